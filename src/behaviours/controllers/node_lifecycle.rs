//! The node lifecycle controller watches each kubelet's heartbeats. Every
//! `node-monitor-period` it checks them; a node silent for longer than
//! `node-monitor-grace-period` becomes NotReady (condition Unknown) and gets
//! the `node.kubernetes.io/unreachable` taints, NoSchedule and NoExecute. A pod
//! on it stays for its toleration of that taint (`tolerationSeconds`, 300 by
//! default, added by the DefaultTolerationSeconds admission plugin), then the
//! taint-eviction controller deletes it and its ReplicaSet makes another.

use super::endpoints;
use crate::behaviours::cluster::{Component, KubeDue, KubeWorld, NodeCondition, pod_status, registered};
use crate::behaviours::scheduler::scheduling_queue;
use crate::behaviours::{api_server, kubelet};
use crate::engine::{SimDuration, SimTime};
use crate::model::kube::{TAINT_UNREACHABLE, Taint, TaintEffect, Toleration, TolerationOperator};
use crate::model::{HostId, InstanceId};
use std::collections::BTreeSet;

/// What the node lifecycle controller watches.
#[derive(Clone, Debug, Default)]
pub struct NodeLifecycleController {
    /// Ready nodes whose kubelet has stopped.
    pub(crate) silent: BTreeSet<HostId>,
}

/// Whether the node is heard from often enough.
pub fn is_healthy(now: SimTime, last_heartbeat: SimTime, grace: SimDuration) -> bool {
    now.since(last_heartbeat) <= grace
}

/// The node lifecycle controller's periodic check. A node whose kubelet
/// runs has reported within one `nodeStatusUpdateFrequency`, which is
/// shorter than the grace period; only silent nodes can go NotReady.
pub fn monitor(w: &mut impl KubeWorld) {
    w.touch(Component::ControllerManager);
    let platform = w.platform().clone();
    let now = w.now();
    let silent: Vec<HostId> = w.kref().node_lifecycle.silent.iter().copied().collect();
    for host in silent {
        let h = host.index();
        let last = w.kref().last_heartbeat(host, now);
        let node = &w.kref().nodes[h];
        if node.condition != NodeCondition::Ready || is_healthy(now, last, platform.node_monitor_grace_period) {
            continue;
        }
        // NotReady (Unknown), tainted unreachable; its pods are not ready any more.
        set_node_condition(w, host, NodeCondition::NotReady);
        let node = &mut w.cluster().nodes[h];
        for effect in [TaintEffect::NoSchedule, TaintEffect::NoExecute] {
            node.taints.push(Taint { key: TAINT_UNREACHABLE.into(), value: String::new(), effect });
        }
        let pods: Vec<InstanceId> = node.pods.iter().copied().collect();
        node_taints_changed(w, host);
        w.api_write();
        note_nodes_ready(w);
        let taint = Taint { key: TAINT_UNREACHABLE.into(), value: String::new(), effect: TaintEffect::NoExecute };
        for p in pods {
            kubelet::set_pod_ready(w, p, false);
            let Some(pod) = w.cluster().pods.get_mut(&p) else { continue };
            pod.ready_changed = Some(now);
            let status = pod_status(pod);
            w.set_pod_status(p, status);
            let pod = w.cluster().pods.get_mut(&p).expect("the pod exists");
            match toleration_seconds(&pod.template.tolerations, &taint, platform.default_toleration_seconds) {
                Tolerance::Never => pod.eviction_at = Some(now),
                Tolerance::For(s) => pod.eviction_at = Some(now + SimDuration::from_secs(s)),
                Tolerance::Forever => pod.eviction_at = None,
            }
            if let Some(at) = pod.eviction_at {
                w.schedule_kube_at(at, KubeDue::Evict(p));
            }
        }
        endpoints::sync_soon(w);
    }
    w.schedule_kube(platform.node_monitor_period, KubeDue::NodeMonitor);
}

/// The kubelet reported in: a NotReady or new node becomes Ready, and its
/// heartbeats run from now.
pub fn node_heard(w: &mut impl KubeWorld, host: HostId) {
    let now = w.now();
    let c = w.cluster();
    c.node_lifecycle.silent.remove(&host);
    let node = &mut c.nodes[host.index()];
    node.last_heartbeat = now;
    node.kubelet_since = Some(now);
    if node.condition != NodeCondition::Ready {
        node.taints.retain(|t| t.key != TAINT_UNREACHABLE);
        let pods: Vec<InstanceId> = node.pods.iter().copied().collect();
        set_node_condition(w, host, NodeCondition::Ready);
        node_taints_changed(w, host);
        for p in &pods {
            if let Some(pod) = w.cluster().pods.get_mut(p) {
                pod.eviction_at = None;
            }
        }
        w.api_write();
        note_nodes_ready(w);
        scheduling_queue::move_all_to_active_or_backoff(w);
    }
}

/// The pod's toleration of the unreachable taint ran out: the taint-eviction controller deletes it.
pub fn evict(w: &mut impl KubeWorld, pod: InstanceId) {
    let now = w.now();
    if w.cluster().pods.get(&pod).is_some_and(|p| p.eviction_at == Some(now)) {
        w.touch(Component::ControllerManager);
        api_server::delete_pod(w, pod);
    }
}

/// A node's Ready condition changes; the scheduler's snapshot follows.
pub fn set_node_condition(w: &mut impl KubeWorld, host: HostId, condition: NodeCondition) {
    let c = w.cluster();
    let node = &mut c.nodes[host.index()];
    let before = std::mem::replace(&mut node.condition, condition);
    if before == condition {
        return;
    }
    for (cond, delta) in [(before, -1i64), (condition, 1)] {
        match cond {
            NodeCondition::Ready => c.ready_nodes = (c.ready_nodes as i64 + delta) as usize,
            NodeCondition::Provisioning => c.provisioning_nodes = (c.provisioning_nodes as i64 + delta) as usize,
            _ => {}
        }
    }
    if condition != NodeCondition::Ready {
        c.node_lifecycle.silent.remove(&host);
    }
    c.cache.set_registered(host.index(), registered(condition));
}

/// The node's taints or cordon changed; the scheduler's cache follows.
pub fn node_taints_changed(w: &mut impl KubeWorld, host: HostId) {
    let c = w.cluster();
    let node = &c.nodes[host.index()];
    c.cache.set_taints(host.index(), &node.taints, node.unschedulable);
}

/// The count of Ready nodes changed: its most and its fewest follow.
pub fn note_nodes_ready(w: &mut impl KubeWorld) {
    let c = w.cluster();
    let ready = c.nodes_ready();
    c.nodes_ready_max = c.nodes_ready_max.max(ready);
    // Nodes still booting at the start are not "lost": count from when all came up.
    if c.provisioning_nodes == 0 {
        c.stats.nodes_ready_min = Some(c.stats.nodes_ready_min.map_or(ready, |m| m.min(ready)));
    }
}

/// Recovery is complete when every Deployment and every ReplicaSet of
/// its own has all its replicas Ready on live nodes. A Pod of its own
/// that was lost is not made again, so it is not waited for.
pub fn check_recovery(w: &mut impl KubeWorld) {
    let now = w.now();
    let Some(since) = w.kref().stats.recovering_since else { return };
    let c = w.kref();
    let healthy = c.deployments.iter().all(|d| d.ready_pods >= d.spec.replicas)
        && c.replica_set_by_name.values().all(|&r| {
            let rs = &c.replica_sets[r];
            rs.pods.iter().filter(|p| c.pods.get(p).is_some_and(|p| p.ready && !p.deleting)).count()
                >= rs.replicas as usize
        });
    // Every pod reported Ready runs: none is Ready on a node that is gone.
    let all_live = c.ready_pods == c.running_pods;
    if healthy && all_live {
        let c = w.cluster();
        c.stats.last_recovery = Some(now.since(since));
        c.stats.recovering_since = None;
    }
}

/// How long a pod stays on a node with `taint`.
enum Tolerance {
    Never,
    For(u64),
    Forever,
}

/// The pod's own tolerations, plus the DefaultTolerationSeconds admission
/// plugin's `node.kubernetes.io/not-ready` and `unreachable` ones when it has none for them.
fn toleration_seconds(tolerations: &[Toleration], taint: &Taint, default_seconds: u64) -> Tolerance {
    let matching: Vec<&Toleration> = tolerations.iter().filter(|t| t.tolerates(taint)).collect();
    if matching.is_empty() {
        let admitted = Toleration {
            key: taint.key.clone(),
            operator: TolerationOperator::Exists,
            value: String::new(),
            effect: Some(TaintEffect::NoExecute),
            toleration_seconds: Some(default_seconds),
        };
        return if admitted.tolerates(taint) { Tolerance::For(default_seconds) } else { Tolerance::Never };
    }
    // The shortest tolerationSeconds wins; one without a limit tolerates forever.
    match matching.iter().filter_map(|t| t.toleration_seconds).min() {
        Some(s) => Tolerance::For(s),
        None => Tolerance::Forever,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_is_unhealthy_after_the_grace_period() {
        let grace = SimDuration::from_secs(50);
        assert!(is_healthy(SimTime(50_000_000), SimTime(0), grace));
        assert!(!is_healthy(SimTime(50_000_001), SimTime(0), grace));
    }
}
