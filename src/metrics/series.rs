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

/// Load, serving instances, nodes, latency, drops and energy at one time,
/// sampled at a fixed interval when the scenario has traffic.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadSample {
    pub time: SimTime,
    /// Offered load, requests per second, summed over services.
    pub rate: f64,
    pub replicas: usize,
    /// Hosts on (Kubernetes: nodes Ready).
    pub nodes: usize,
    /// The p95 latency of what was served in the last whole second (fluid: the
    /// last tick), the slowest service's, seconds.
    pub p95: Option<f64>,
    /// Requests dropped in the last interval.
    pub dropped: u64,
    pub energy_kwh: f64,
}

/// A world's series, built by observing it after each step.
#[derive(Clone, Debug, Default)]
pub struct Series {
    pub samples: Vec<Sample>,
    pub load: Vec<LoadSample>,
    dropped_before: u64,
}

/// Load samples are taken this often.
pub const LOAD_SAMPLE_INTERVAL: crate::engine::SimDuration = crate::engine::SimDuration::from_secs(1);

impl Series {
    /// Records the world's state if anything moved since the last sample.
    pub fn observe(&mut self, world: &mut World) {
        self.observe_load(world);
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

    /// Forgets what was recorded after `t`, to record a different future.
    pub fn truncate_after(&mut self, t: SimTime) {
        self.samples.retain(|s| s.time <= t);
        self.load.retain(|l| l.time <= t);
        // Each load sample holds the drops since the one before: their sum is the total at the last.
        self.dropped_before = self.load.iter().map(|l| l.dropped).sum();
    }

    fn observe_load(&mut self, world: &World) {
        let Some(t) = world.traffic() else { return };
        let now = world.now();
        let interval = match t.mode {
            crate::model::traffic::TrafficMode::PerRequest => LOAD_SAMPLE_INTERVAL,
            crate::model::traffic::TrafficMode::Fluid { tick } => tick.max(LOAD_SAMPLE_INTERVAL),
        };
        if self.load.last().is_some_and(|l| now.since(l.time) < interval) {
            return;
        }
        let since = self.load.last().map_or(SimTime::ZERO, |l| l.time);
        // The slowest service's p95 over what it served in the last whole second
        // (fluid: the last tick).
        let p95 = t
            .services
            .iter()
            .filter_map(|s| match t.mode {
                crate::model::traffic::TrafficMode::Fluid { .. } => s.stats.tick_p95(),
                crate::model::traffic::TrafficMode::PerRequest => {
                    s.stats.last_p95.filter(|(at, _)| *at > since).map(|(_, p)| p)
                }
            })
            .reduce(f64::max);
        let dropped: u64 = t.services.iter().map(|s| s.stats.dropped).sum();
        let nodes = match world.kube() {
            Some(k) => k.nodes_ready(),
            None => world.hosts().iter().filter(|h| h.up && h.powered).count(),
        };
        self.load.push(LoadSample {
            time: now,
            rate: t.services.iter().map(|s| s.rate_now).sum(),
            replicas: t.services.iter().map(|s| s.endpoints.len()).sum(),
            nodes,
            p95: p95.filter(|p| p.is_finite()),
            dropped: dropped - self.dropped_before.min(dropped),
            energy_kwh: crate::behaviours::power::kwh(world.energy_joules()),
        });
        self.dropped_before = dropped;
    }

    /// Running and pending counts at time `t` (the last sample at or before it).
    pub fn counts_at(&self, t: SimTime) -> (u32, u32) {
        let i = self.samples.partition_point(|s| s.time <= t);
        if i == 0 { (0, 0) } else { (self.samples[i - 1].running, self.samples[i - 1].pending) }
    }
}
