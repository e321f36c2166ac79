//! Time series sampled on change: instances running and pending, and the
//! memory reserved on each host, after every instant at which they moved.

use crate::engine::SimTime;
use crate::model::{Bytes, HostId};
use crate::world::World;

/// One sample.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    pub time: SimTime,
    pub running: u32,
    pub pending: u32,
    /// Hosts whose reserved memory changed at this instant, with the new value.
    pub host_memory: Vec<(HostId, Bytes)>,
}

/// A world's series, built by observing it after each step.
#[derive(Clone, Debug, Default)]
pub struct Series {
    pub samples: Vec<Sample>,
}

impl Series {
    /// Records the world's state if anything moved since the last sample.
    pub fn observe(&mut self, world: &mut World) {
        let dirty = world.drain_dirty_hosts();
        let counts = world.counts();
        let (running, pending) = (counts.running, counts.pending);
        let unchanged = self.samples.last().is_some_and(|s| s.running == running && s.pending == pending);
        if dirty.is_empty() && unchanged && !self.samples.is_empty() {
            return;
        }
        let host_memory = dirty.into_iter().map(|h| (h, world.hosts()[h.index()].memory_used)).collect();
        let time = world.now();
        match self.samples.last_mut() {
            // Several steps at one instant fold into one sample.
            Some(last) if last.time == time => {
                last.running = running;
                last.pending = pending;
                for (h, m) in host_memory {
                    match last.host_memory.iter_mut().find(|(x, _)| *x == h) {
                        Some(entry) => entry.1 = m,
                        None => last.host_memory.push((h, m)),
                    }
                }
            }
            _ => self.samples.push(Sample { time, running, pending, host_memory }),
        }
    }

    /// Running and pending counts at time `t` (the last sample at or before it).
    pub fn counts_at(&self, t: SimTime) -> (u32, u32) {
        let i = self.samples.partition_point(|s| s.time <= t);
        if i == 0 { (0, 0) } else { (self.samples[i - 1].running, self.samples[i - 1].pending) }
    }
}
