//! kube-scheduler's cycle for one pod (`pkg/scheduler/schedule_one.go`,
//! `ScheduleOne`): take the next pod from the active queue, run the
//! framework over the cache, and after the cycle's time bind it to the
//! chosen node, or leave it unschedulable with the reason, in back-off.

use std::collections::VecDeque;

use super::Decision;
use crate::engine::RandomStream;
use std::sync::Arc;

/// The scheduler's cycle: where it starts looking, its random stream, the
/// pod under way and, while kept, the latest cycles' verdicts and scores.
#[derive(Clone, Debug)]
pub struct SchedulingCycle {
    /// Where the next cycle starts looking (`nextStartNodeIndex`).
    pub(crate) next_start_node_index: usize,
    /// Breaks ties between the best-scored nodes (`selectHost`).
    pub(crate) rng: RandomStream,
    /// The pod in the current cycle, the node chosen for it, or why none fits.
    pub current: Option<(InstanceId, Option<HostId>, Option<String>)>,
    /// The latest cycles' verdicts and scores, newest last, while kept.
    pub(crate) decisions: VecDeque<(InstanceId, Arc<Decision>)>,
    /// Verdicts in `decisions`, and how many may be kept.
    pub(crate) decision_verdicts: usize,
    pub(crate) keep_decisions: usize,
}

impl SchedulingCycle {
    pub fn new(rng: RandomStream) -> Self {
        SchedulingCycle {
            next_start_node_index: 0,
            rng,
            current: None,
            decisions: VecDeque::new(),
            decision_verdicts: 0,
            keep_decisions: 0,
        }
    }
}

use super::scheduling_queue;
use crate::behaviours::cluster::{Component, KubeDue, KubeWorld};
use crate::engine::SimDuration;
use crate::model::event::EventKind;
use crate::model::{HostId, InstanceId};

/// A cycle (`ScheduleOne`): the next pod from the active queue is filtered and scored against the cache.
pub fn schedule_one(w: &mut impl KubeWorld) {
    if w.cluster().cycle.current.is_some() {
        return;
    }
    let pod = loop {
        let Some(p) = w.cluster().queue.active.pop_front() else { return };
        if w.cluster().pods.get(&p).is_some_and(|pod| !pod.deleting && pod.node.is_none()) {
            break p;
        }
    };
    w.touch(Component::Scheduler);
    let (node, message) = match w.scheduler_replaced() {
        true => {
            let c = w.kref();
            let (mut start, mut rng) = (c.cycle.next_start_node_index, c.cycle.rng.clone());
            let outcome = w.replaced_schedule(pod, &mut start, &mut rng).expect("the scheduler is replaced");
            let c = w.cluster();
            (c.cycle.next_start_node_index, c.cycle.rng) = (start, rng);
            outcome
        }
        false => {
            let c = w.cluster();
            let info = Arc::clone(&c.pods[&pod].pod_info);
            let keep = c.cycle.keep_decisions > 0;
            let outcome =
                c.scheduler.schedule(&info, &c.cache, &mut c.cycle.next_start_node_index, &mut c.cycle.rng, keep);
            if let Some(d) = outcome.decision {
                c.cycle.decision_verdicts += d.verdicts.len();
                c.cycle.decisions.push_back((pod, Arc::new(d)));
                while c.cycle.decision_verdicts > c.cycle.keep_decisions && c.cycle.decisions.len() > 1 {
                    let (_, old) = c.cycle.decisions.pop_front().expect("more than one decision");
                    c.cycle.decision_verdicts -= old.verdicts.len();
                }
            }
            (outcome.node, outcome.message)
        }
    };
    let c = w.cluster();
    c.stats.scheduling_attempts += 1;
    c.cycle.current = Some((pod, node, message));
    c.pods.get_mut(&pod).expect("the pod exists").attempts += 1;
    let d = w.platform().scheduling_time.clone().sample(w.startup_rng());
    w.schedule_kube(d, KubeDue::BindDone(pod));
}

/// The end of a cycle: bind the pod, or leave it unschedulable with the reason.
pub fn bind_done(w: &mut impl KubeWorld, pod: InstanceId) {
    let now = w.now();
    let outcome = w.cluster().cycle.current.take();
    let usable = w.cluster().pods.get(&pod).is_some_and(|p| !p.deleting && p.node.is_none());
    if let (Some((p, node, message)), true) = (outcome, usable)
        && p == pod
    {
        match node {
            Some(host) => bind(w, pod, host),
            None => {
                let message = message.unwrap_or_default();
                let attempts = w.cluster().pods[&pod].attempts;
                let backoff = {
                    let profile = &w.platform().profile;
                    scheduling_queue::calculate_backoff_duration(
                        profile.pod_initial_backoff,
                        profile.pod_max_backoff,
                        attempts,
                    )
                };
                let c = w.cluster();
                c.stats.scheduling_unschedulable += 1;
                c.queue.unschedulable.insert(pod, now);
                c.queue.backoff.insert(pod, now + backoff);
                w.set_wait_reason(pod, message);
                w.schedule_kube(backoff, KubeDue::BackoffDone(pod));
            }
        }
    }
    if !w.cluster().queue.active.is_empty() {
        w.schedule_kube(SimDuration::ZERO, KubeDue::SchedulingCycle);
    }
}

/// Binds the pod to `host` (`bind`): the cache and the node hold its requests, and the kubelet hears of it.
pub fn bind(w: &mut impl KubeWorld, pod: InstanceId, host: HostId) {
    let delay = w.watch_delay();
    let c = w.cluster();
    c.queue.unschedulable.remove(&pod);
    c.queue.backoff.remove(&pod);
    let info = c.update_pod(pod, |p| {
        p.node = Some(host);
        Arc::clone(&p.pod_info)
    });
    let info = info.expect("the pod exists");
    c.nodes[host.index()].pods.insert(pod);
    c.cache.add_pod(host.index(), &info, true);
    w.api_write();
    // The scheduler's cache holds the resources from the binding on.
    w.reserve(pod, host);
    w.instance_mut(pod).wait_reason = None;
    w.emit(EventKind::Placed { instance: pod, host });
    w.schedule_kube(delay, KubeDue::KubeletAdmit(pod));
}
