//! kube-scheduler's scheduling queue (`pkg/scheduler/backend/queue/scheduling_queue.go`):
//! pods wait in the active queue, oldest first; one that did not fit waits
//! among the unschedulable pods until a cluster event or the periodic flush
//! moves it back, and out its back-off (1 s doubling to 10 s by default)
//! before it is tried again.

use std::collections::{BTreeMap, VecDeque};

use crate::behaviours::cluster::{KubeDue, KubeWorld};
use crate::engine::SimDuration;
use crate::engine::SimTime;
use crate::model::InstanceId;

/// A pod left unschedulable longer than this goes back to the active queue
/// even without a cluster event (`podMaxInUnschedulablePodsDuration`).
const MAX_IN_UNSCHEDULABLE: SimDuration = SimDuration::from_secs(300);
/// How often that is checked (`flushUnschedulablePodsLeftover`).
pub const FLUSH_INTERVAL: SimDuration = SimDuration::from_secs(30);

/// The queue's three parts.
#[derive(Clone, Debug, Default)]
pub struct SchedulingQueue {
    /// The active queue, oldest first; pods deleted or bound meanwhile are
    /// passed over when they come up.
    pub active: VecDeque<InstanceId>,
    /// Pods waiting out their back-off, with when it ends.
    pub backoff: BTreeMap<InstanceId, SimTime>,
    /// Pods that did not fit, with when they last failed.
    pub unschedulable: BTreeMap<InstanceId, SimTime>,
}

/// Something changed that may let unschedulable pods fit: move them back
/// to the active queue, or to back-off if theirs has not run out.
pub fn move_all_to_active_or_backoff(w: &mut impl KubeWorld) {
    let now = w.now();
    let c = w.cluster();
    let waiting: Vec<InstanceId> = c.queue.unschedulable.keys().copied().collect();
    let mut moved = false;
    for p in waiting {
        c.queue.unschedulable.remove(&p);
        match c.queue.backoff.get(&p) {
            Some(&until) if until > now => {}
            _ => {
                c.queue.backoff.remove(&p);
                c.queue.active.push_back(p);
                moved = true;
            }
        }
    }
    if moved {
        w.schedule_kube(SimDuration::ZERO, KubeDue::SchedulingCycle);
    }
}

/// `calculateBackoffDuration` (`scheduling_queue.go`): the initial back-off
/// doubled for every attempt after the first, at most the maximum.
pub fn calculate_backoff_duration(initial: SimDuration, max: SimDuration, attempts: u32) -> SimDuration {
    let mut duration = initial;
    for _ in 1..attempts {
        // As upstream, a comparison with the room left instead of a doubling that could overflow.
        if duration.0 > max.0.saturating_sub(duration.0) {
            return max;
        }
        duration = SimDuration(duration.0 * 2);
    }
    duration
}

/// The pod's back-off ran out: it goes back to the active queue unless it waits as unschedulable.
pub fn backoff_done(w: &mut impl KubeWorld, pod: InstanceId) {
    let now = w.now();
    let c = w.cluster();
    if c.queue.backoff.get(&pod).is_some_and(|&t| t <= now) {
        c.queue.backoff.remove(&pod);
        // Still unschedulable: it waits for a cluster event or the periodic flush.
        if !c.queue.unschedulable.contains_key(&pod) && c.pods.contains_key(&pod) {
            c.queue.active.push_back(pod);
            w.schedule_kube(SimDuration::ZERO, KubeDue::SchedulingCycle);
        }
    }
}

/// `flushUnschedulablePodsLeftover`, every 30 s: pods unschedulable for 5 min go back to the active queue.
pub fn flush_unschedulable_pods_leftover(w: &mut impl KubeWorld) {
    let now = w.now();
    let c = w.cluster();
    let stale: Vec<InstanceId> = c
        .queue
        .unschedulable
        .iter()
        .filter(|(_, since)| now.since(**since) >= MAX_IN_UNSCHEDULABLE)
        .map(|(p, _)| *p)
        .collect();
    for p in &stale {
        c.queue.unschedulable.remove(p);
        c.queue.backoff.remove(p);
        c.queue.active.push_back(*p);
    }
    if !stale.is_empty() {
        w.schedule_kube(SimDuration::ZERO, KubeDue::SchedulingCycle);
    }
    w.schedule_kube(FLUSH_INTERVAL, KubeDue::FlushUnschedulable);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `TestPriorityQueue_calculateBackoffDuration`, every case; the durations
    /// there are nanoseconds, here the same counts of the clock's unit.
    #[test]
    fn priority_queue_calculate_backoff_duration() {
        let cases: [(&str, u64, u64, u32, u64); 3] = [
            ("normal", 1, 32, 16, 32),
            ("overflow_32bit", 1, i32::MAX as u64, 32, i32::MAX as u64),
            ("overflow_64bit", 1, i64::MAX as u64, 64, i64::MAX as u64),
        ];
        for (name, initial, max, attempts, want) in cases {
            let got = calculate_backoff_duration(SimDuration(initial), SimDuration(max), attempts);
            assert_eq!(got, SimDuration(want), "{name}");
        }
        // The defaults: 1 s doubling to 10 s.
        let backoff = |n| calculate_backoff_duration(SimDuration::from_secs(1), SimDuration::from_secs(10), n);
        let got: Vec<u64> = (1..=6).map(|n| backoff(n).as_micros() / 1_000_000).collect();
        assert_eq!(got, [1, 2, 4, 8, 10, 10]);
    }
}
