//! The node lifecycle controller watches each kubelet's heartbeats. Every
//! `node-monitor-period` it checks them; a node silent for longer than
//! `node-monitor-grace-period` becomes NotReady (condition Unknown) and gets
//! the `node.kubernetes.io/unreachable` NoSchedule taint at once. The
//! NoExecute taint, which evicts, is rate-limited per zone
//! (`doNoExecuteTaintingPass`): a token bucket of `--node-eviction-rate`
//! nodes a second with a burst of one, slower (`--secondary-node-eviction-rate`)
//! or stopped in a zone where most nodes are NotReady, and stopped everywhere
//! while every node of every zone is (`handleDisruption`'s master disruption
//! mode, which also takes the NoExecute taints off). A pod on a tainted node
//! stays for its toleration of the taint (`tolerationSeconds`, 300 by
//! default, added by the DefaultTolerationSeconds admission plugin), then the
//! taint-eviction controller deletes it and its ReplicaSet makes another.
//! The deleted pod stays Terminating on its node until the node's kubelet
//! is back to confirm that its containers are gone.
//!
//! Nodes wait for their zone's tainter in the order they went NotReady
//! (upstream re-queues them at every check, in its informer's order).

use super::endpoints;
use crate::behaviours::cluster::{Component, KubeDue, KubeWorld, NodeCondition, pod_status, registered};
use crate::behaviours::scheduler::scheduling_queue;
use crate::behaviours::{api_server, kubelet};
use crate::engine::{SimDuration, SimTime};
use crate::model::kube::{LABEL_ZONE, TAINT_UNREACHABLE, Taint, TaintEffect, Toleration, TolerationOperator};
use crate::model::{HostId, InstanceId};
use std::collections::BTreeSet;

/// `nodeEvictionPeriod`: how often the NoExecute tainting pass runs.
const TAINTING_PASS_PERIOD: SimDuration = SimDuration::from_millis(100);

/// What the node lifecycle controller watches.
#[derive(Clone, Debug, Default)]
pub struct NodeLifecycleController {
    /// Ready nodes whose kubelet has stopped.
    pub(crate) silent: BTreeSet<HostId>,
    /// Zones in key order (`GetZoneKey`: region and zone labels; "" without them).
    zones: Vec<Zone>,
    /// When the next tainting pass runs, while a node waits for one.
    pass_at: Option<SimTime>,
}

/// `ComputeZoneState`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ZoneState {
    Normal,
    PartialDisruption,
    FullDisruption,
}

/// A zone's state and its NoExecute tainter: NotReady nodes waiting for the
/// taint, behind a token bucket with a burst of one.
#[derive(Clone, Debug)]
struct Zone {
    key: String,
    state: ZoneState,
    /// Nodes a second; 0 takes none.
    qps: f64,
    /// When the bucket next holds its token.
    token_at: SimTime,
    queue: Vec<HostId>,
}

impl Zone {
    fn new(key: String, qps: f64) -> Self {
        Zone { key, state: ZoneState::Normal, qps, token_at: SimTime::ZERO, queue: Vec::new() }
    }

    /// The bucket refills one token in 1/qps seconds, the rate as the
    /// controller holds it (a float32).
    fn refill(qps: f64) -> SimDuration {
        SimDuration((1e6 / f64::from(qps as f32)).ceil() as u64)
    }

    /// `TryAccept`.
    fn try_accept(&mut self, now: SimTime) -> bool {
        if self.qps <= 0.0 || now < self.token_at {
            return false;
        }
        self.token_at = now + Self::refill(self.qps);
        true
    }

    /// `SwapLimiter`: a new bucket at `qps`, full, or empty if the old one was.
    fn swap_limiter(&mut self, qps: f64, now: SimTime) {
        if self.qps == qps {
            return;
        }
        let old_had_token = self.try_accept(now);
        self.qps = qps;
        self.token_at = if qps > 0.0 && !old_had_token { now + Self::refill(qps) } else { now };
    }
}

impl NodeLifecycleController {
    /// The zone of `key`, made (normal, at `qps`) if it is new.
    fn zone(&mut self, key: String, qps: f64) -> &mut Zone {
        let at = match self.zones.binary_search_by(|z| z.key.cmp(&key)) {
            Ok(at) => at,
            Err(at) => {
                self.zones.insert(at, Zone::new(key, qps));
                at
            }
        };
        &mut self.zones[at]
    }

    /// The node leaves its zone's queue.
    fn unqueue(&mut self, key: &str, host: HostId) {
        if let Some(zone) = self.zones.iter_mut().find(|z| z.key == key) {
            zone.queue.retain(|&h| h != host);
        }
    }
}

/// `GetZoneKey`: the node's region and zone labels (or their beta forms).
fn zone_key(labels: &crate::model::kube::Labels) -> String {
    let get = |ga: &str, beta: &str| labels.get(ga).or_else(|| labels.get(beta)).map_or("", String::as_str);
    let zone = get(LABEL_ZONE, "failure-domain.beta.kubernetes.io/zone");
    let region = get("topology.kubernetes.io/region", "failure-domain.beta.kubernetes.io/region");
    if zone.is_empty() && region.is_empty() { String::new() } else { format!("{region}:\0:{zone}") }
}

/// Whether the node is heard from often enough.
pub fn is_healthy(now: SimTime, last_heartbeat: SimTime, grace: SimDuration) -> bool {
    now.since(last_heartbeat) <= grace
}

/// The node lifecycle controller's periodic check (`monitorNodeHealth`). A
/// node whose kubelet runs has reported within one
/// `nodeStatusUpdateFrequency`, which is shorter than the grace period; only
/// silent nodes can go NotReady.
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
        // NotReady (Unknown), tainted unreachable NoSchedule; its pods are not ready any more.
        set_node_condition(w, host, NodeCondition::NotReady);
        let node = &mut w.cluster().nodes[h];
        node.taints.push(Taint {
            key: TAINT_UNREACHABLE.into(),
            value: String::new(),
            effect: TaintEffect::NoSchedule,
        });
        let pods: Vec<InstanceId> = node.pods.iter().copied().collect();
        node_taints_changed(w, host);
        w.api_write();
        note_nodes_ready(w);
        for p in pods {
            kubelet::set_pod_ready(w, p, false);
            let Some(pod) = w.cluster().pods.get_mut(&p) else { continue };
            pod.ready_changed = Some(now);
            let status = pod_status(pod);
            w.set_pod_status(p, status);
        }
        endpoints::sync_soon(w);
        mark_for_tainting(w, host);
    }
    handle_disruption(w);
    no_execute_tainting(w);
    w.schedule_kube(platform.node_monitor_period, KubeDue::NodeMonitor);
}

/// `markNodeForTainting`: the node joins its zone's queue.
fn mark_for_tainting(w: &mut impl KubeWorld, host: HostId) {
    let rate = w.platform().node_eviction_rate;
    let key = zone_key(&w.kref().nodes[host.index()].labels);
    let zone = w.cluster().node_lifecycle.zone(key, rate);
    if !zone.queue.contains(&host) {
        zone.queue.push(host);
    }
}

/// Whether the node carries the unreachable NoExecute taint.
fn tainted(w: &impl KubeWorld, host: HostId) -> bool {
    w.kref().nodes[host.index()].taints.iter().any(|t| t.key == TAINT_UNREACHABLE && t.effect == TaintEffect::NoExecute)
}

/// `handleDisruption`: each zone's state from its registered nodes, and its
/// tainter's rate from the state.
fn handle_disruption(w: &mut impl KubeWorld) {
    let c = w.kref();
    let lc = &c.node_lifecycle;
    if c.not_ready_nodes == 0 && lc.zones.iter().all(|z| z.state == ZoneState::Normal) {
        return;
    }
    let p = w.platform().clone();
    let now = w.now();
    // (zone, (ready, not ready)) in key order.
    let mut counts: Vec<(String, (u32, u32))> = Vec::new();
    for node in &c.nodes {
        let ready = match node.condition {
            NodeCondition::Ready => true,
            NodeCondition::NotReady => false,
            NodeCondition::Provisioning | NodeCondition::Absent => continue,
        };
        let key = zone_key(&node.labels);
        let at = match counts.binary_search_by(|(k, _)| k.cmp(&key)) {
            Ok(at) => at,
            Err(at) => {
                counts.insert(at, (key, (0, 0)));
                at
            }
        };
        let n = &mut counts[at].1;
        if ready { n.0 += 1 } else { n.1 += 1 }
    }
    let state = |(ready, not_ready): (u32, u32)| {
        if ready == 0 && not_ready > 0 {
            ZoneState::FullDisruption
        } else if not_ready > 2 && f64::from(not_ready) / f64::from(ready + not_ready) >= p.unhealthy_zone_threshold {
            ZoneState::PartialDisruption
        } else {
            ZoneState::Normal
        }
    };
    let lc = &mut w.cluster().node_lifecycle;
    // Zones with no registered node left are forgotten, with their queues:
    // the zones are then the counted ones, in the same order.
    lc.zones.retain(|z| counts.iter().any(|(k, _)| *k == z.key));
    for (k, _) in &counts {
        lc.zone(k.clone(), p.node_eviction_rate);
    }
    let all_were_down = lc.zones.iter().all(|z| z.state == ZoneState::FullDisruption);
    let all_are_down = !counts.is_empty() && counts.iter().all(|&(_, n)| state(n) == ZoneState::FullDisruption);
    let limit = |state: ZoneState, size: u32| match state {
        ZoneState::Normal | ZoneState::FullDisruption => p.node_eviction_rate,
        ZoneState::PartialDisruption if size > p.large_cluster_size_threshold => p.secondary_node_eviction_rate,
        ZoneState::PartialDisruption => 0.0,
    };
    if !all_were_down && all_are_down {
        // Every node NotReady: the fault is likelier the control plane's own
        // network than the nodes. No evictions; the NoExecute taints go, and
        // the nodes wait for the tainters again.
        for zone in &mut lc.zones {
            zone.swap_limiter(0.0, now);
            zone.state = ZoneState::FullDisruption;
        }
        let down: Vec<HostId> =
            w.kref().nodes.iter().filter(|n| n.condition == NodeCondition::NotReady).map(|n| n.host).collect();
        for host in down {
            untaint_no_execute(w, host);
            mark_for_tainting(w, host);
        }
        return;
    }
    for (zone, &(_, n)) in lc.zones.iter_mut().zip(&counts) {
        let next = state(n);
        if next != zone.state || (all_were_down && !all_are_down) {
            zone.swap_limiter(limit(next, n.0 + n.1), now);
            zone.state = next;
        }
    }
}

/// `markNodeAsReachable`'s part for the NoExecute taint: it goes, the
/// evictions it started stop, and the node leaves its zone's queue.
fn untaint_no_execute(w: &mut impl KubeWorld, host: HostId) {
    let key = zone_key(&w.kref().nodes[host.index()].labels);
    w.cluster().node_lifecycle.unqueue(&key, host);
    if !tainted(w, host) {
        return;
    }
    let node = &mut w.cluster().nodes[host.index()];
    node.taints.retain(|t| !(t.key == TAINT_UNREACHABLE && t.effect == TaintEffect::NoExecute));
    let pods: Vec<InstanceId> = node.pods.iter().copied().collect();
    for p in &pods {
        if let Some(pod) = w.cluster().pods.get_mut(p) {
            pod.eviction_at = None;
        }
    }
    node_taints_changed(w, host);
    w.api_write();
}

/// The NoExecute tainting pass due now.
pub fn no_execute_tainting_pass(w: &mut impl KubeWorld) {
    let now = w.now();
    if w.kref().node_lifecycle.pass_at != Some(now) {
        return;
    }
    w.cluster().node_lifecycle.pass_at = None;
    no_execute_tainting(w);
}

/// `doNoExecuteTaintingPass`: in each zone, while its bucket gives a token,
/// the next node in its queue gets the unreachable NoExecute taint if it is
/// still NotReady, and its pods their eviction times. The next pass is
/// planned for when a waiting node's zone next has a token.
fn no_execute_tainting(w: &mut impl KubeWorld) {
    let now = w.now();
    let default_seconds = w.platform().default_toleration_seconds;
    for z in 0..w.kref().node_lifecycle.zones.len() {
        loop {
            let zone = &mut w.cluster().node_lifecycle.zones[z];
            if zone.queue.is_empty() || !zone.try_accept(now) {
                break;
            }
            let host = zone.queue.remove(0);
            if w.kref().nodes[host.index()].condition != NodeCondition::NotReady || tainted(w, host) {
                continue;
            }
            w.touch(Component::ControllerManager);
            let taint = Taint { key: TAINT_UNREACHABLE.into(), value: String::new(), effect: TaintEffect::NoExecute };
            let node = &mut w.cluster().nodes[host.index()];
            node.taints.push(taint.clone());
            let pods: Vec<InstanceId> = node.pods.iter().copied().collect();
            node_taints_changed(w, host);
            w.api_write();
            for p in pods {
                let Some(pod) = w.cluster().pods.get_mut(&p) else { continue };
                pod.eviction_at = match toleration_seconds(&pod.template.tolerations, &taint, default_seconds) {
                    Tolerance::Never => Some(now),
                    Tolerance::For(s) => Some(now + SimDuration::from_secs(s)),
                    Tolerance::Forever => None,
                };
                if let Some(at) = pod.eviction_at {
                    w.schedule_kube_at(at, KubeDue::Evict(p));
                }
            }
        }
    }
    // The 100 ms pass that first finds a token for a waiting node.
    let lc = &w.kref().node_lifecycle;
    let next = lc.zones.iter().filter(|z| z.qps > 0.0 && !z.queue.is_empty()).map(|z| z.token_at).min();
    if let Some(at) = next {
        let period = TAINTING_PASS_PERIOD.as_micros();
        let at = SimTime(at.as_micros().div_ceil(period).max(now.as_micros() / period + 1) * period);
        if lc.pass_at.is_none_or(|p| at < p) {
            w.cluster().node_lifecycle.pass_at = Some(at);
            w.schedule_kube_at(at, KubeDue::NoExecuteTainting);
        }
    }
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
        let key = zone_key(&node.labels);
        c.node_lifecycle.unqueue(&key, host);
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
        let count = match cond {
            NodeCondition::Ready => &mut c.ready_nodes,
            NodeCondition::Provisioning => &mut c.provisioning_nodes,
            NodeCondition::NotReady => &mut c.not_ready_nodes,
            NodeCondition::Absent => continue,
        };
        *count = (*count as i64 + delta) as usize;
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
