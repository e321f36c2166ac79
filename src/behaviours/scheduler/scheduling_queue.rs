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

pub fn calculate_backoff_duration(w: &impl KubeWorld, attempts: u32) -> SimDuration {
    // calculateBackoffDuration: initial × 2^(attempts − 1), at most the maximum.
    let profile = &w.platform().profile;
    let mut d = profile.pod_initial_backoff;
    for _ in 1..attempts {
        d = SimDuration(d.0.saturating_mul(2));
        if d >= profile.pod_max_backoff {
            return profile.pod_max_backoff;
        }
    }
    d.min(profile.pod_max_backoff)
}

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
