//! The future event list: a priority queue ordered by (time, insertion sequence).
//!
//! Two events at the same instant come out in the order they were scheduled,
//! so a run never depends on how a heap happens to break ties.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use super::time::SimTime;

/// One scheduled entry.
#[derive(Clone, Debug)]
struct Entry<E> {
    time: SimTime,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.time == other.time && self.seq == other.seq
    }
}
impl<E> Eq for Entry<E> {}

impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<E> Ord for Entry<E> {
    /// Reversed so that `BinaryHeap`, a max-heap, pops the earliest entry first.
    fn cmp(&self, other: &Self) -> Ordering {
        other.time.cmp(&self.time).then_with(|| other.seq.cmp(&self.seq))
    }
}

/// A queue of events of type `E` on the simulated clock.
#[derive(Clone, Debug)]
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    next_seq: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self { heap: BinaryHeap::new(), next_seq: 0 }
    }
}

impl<E> EventQueue<E> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Schedules `event` at `time`; returns its insertion sequence number.
    pub fn schedule(&mut self, time: SimTime, event: E) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Entry { time, seq, event });
        seq
    }

    /// The time of the earliest event, if any.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|e| e.time)
    }

    /// Removes and returns the earliest event if it is due at or before `limit`.
    pub fn pop_due(&mut self, limit: SimTime) -> Option<(SimTime, E)> {
        if self.heap.peek()?.time > limit {
            return None;
        }
        self.heap.pop().map(|e| (e.time, e.event))
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Events scheduled since the queue was made, handled or not.
    pub fn scheduled(&self) -> u64 {
        self.next_seq
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_at_one_instant_leave_in_insertion_order() {
        let mut q = EventQueue::new();
        q.schedule(SimTime(5), "b");
        q.schedule(SimTime(1), "a");
        q.schedule(SimTime(5), "c");
        q.schedule(SimTime(5), "d");
        let order: Vec<_> = std::iter::from_fn(|| q.pop_due(SimTime::MAX)).map(|(_, e)| e).collect();
        assert_eq!(order, ["a", "b", "c", "d"]);
    }

    #[test]
    fn pop_due_stops_at_the_limit() {
        let mut q = EventQueue::new();
        q.schedule(SimTime(10), 1);
        q.schedule(SimTime(20), 2);
        assert_eq!(q.pop_due(SimTime(15)), Some((SimTime(10), 1)));
        assert_eq!(q.pop_due(SimTime(15)), None);
        assert_eq!(q.peek_time(), Some(SimTime(20)));
    }
}
