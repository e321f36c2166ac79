//! The cluster autoscaler (`kubernetes/autoscaler`, `cluster-autoscaler`):
//! every scan interval it adds nodes for pods that fit nowhere, choosing the
//! node group by the least-waste expander after binpacking the pending pods,
//! and drains and removes nodes that stayed under the utilisation threshold
//! for the unneeded time and whose pods fit elsewhere. Like upstream, it runs
//! the scheduler's filters to tell where a pod fits: on a node group's
//! template node for a scale-up, on the other nodes for a scale-down.

use std::collections::BTreeMap;

use super::api_server;
use super::cluster::{Cluster, Component, KubeDue, KubeWorld, NodeCondition};
use super::controllers::node_lifecycle;
use super::kubelet;
use super::scheduler::cache::add;
use super::scheduler::{NodeInfo, PodInfo, Resources};
use crate::engine::SimTime;
use crate::model::HostId;
use crate::model::event::EventKind;
use crate::model::kube::{LABEL_HOSTNAME, TAINT_UNREACHABLE, TAINT_UNSCHEDULABLE};
use crate::model::spec::{ClusterAutoscalerSpec, NodeGroup};

/// The cluster autoscaler's memory.
#[derive(Clone, Debug, Default)]
pub struct ClusterAutoscalerState {
    pub last_scale_up: Option<SimTime>,
    /// Since when each node has been unneeded.
    pub unneeded_since: BTreeMap<HostId, SimTime>,
    /// Nodes being drained for removal.
    pub removing: Vec<HostId>,
}

/// Whether `room` holds `r`: CPU, memory, a pod slot and every extended resource.
fn holds(room: &Resources, r: &Resources) -> bool {
    room.milli_cpu >= r.milli_cpu
        && room.memory >= r.memory
        && room.pods >= r.pods
        && room.scalar.iter().zip(&r.scalar).all(|(have, want)| have >= want)
}

/// First fit: the first bin with room for the pod takes it. Returns whether one had room.
fn first_fit<'a>(bins: impl IntoIterator<Item = &'a mut Resources>, r: &Resources) -> bool {
    match bins.into_iter().find(|b| holds(b, r)) {
        Some(b) => {
            add(b, *r, -1);
            true
        }
        None => false,
    }
}

/// Spare hosts of node groups start powered off and out of the cluster.
pub fn init(w: &mut impl KubeWorld) {
    let Some(ca) = w.platform().cluster_autoscaler.clone() else { return };
    for g in &ca.node_groups {
        for &h in g.hosts.iter().skip(g.initial as usize) {
            power_off_node(w, h);
        }
    }
    w.cluster().autoscaler = Some(ClusterAutoscalerState::default());
    w.schedule_kube(ca.scan_interval, KubeDue::ClusterAutoscalerScan);
}

/// The node leaves the cluster and its machine is powered off.
fn power_off_node(w: &mut impl KubeWorld, host: HostId) {
    node_lifecycle::set_node_condition(w, host, NodeCondition::Absent);
    kubelet::stopped(w, host, false);
    let node = &mut w.cluster().nodes[host.index()];
    node.unschedulable = false;
    node.taints.retain(|t| t.key != TAINT_UNSCHEDULABLE);
    node_lifecycle::node_taints_changed(w, host);
    if w.host_powered(host) {
        w.set_powered(host, false);
        w.hold_node_overhead(host, false);
    }
    w.host_changed(host);
}

/// The machine is powered on and its node VM boots, to register as a node.
fn provision_node(w: &mut impl KubeWorld, group: &NodeGroup, host: HostId) {
    w.set_powered(host, true);
    w.hold_node_overhead(host, true);
    w.host_changed(host);
    node_lifecycle::set_node_condition(w, host, NodeCondition::Provisioning);
    let d = group.provisioning_time.sample(w.startup_rng());
    w.schedule_kube(d, KubeDue::NodeBooted(host));
}

/// A scan: first scale up for pods that fit nowhere; only when none is added, scale down.
pub fn scan(w: &mut impl KubeWorld) {
    let Some(ca) = w.platform().cluster_autoscaler.clone() else { return };
    w.schedule_kube(ca.scan_interval, KubeDue::ClusterAutoscalerScan);
    w.touch(Component::ControllerManager);
    finish_removals(w);
    if !scale_up(w, &ca) && ca.scale_down_enabled {
        scale_down(w, &ca);
    }
}

/// A node group's template node (`TemplateNodeInfo`): a node of the group as
/// it registers, with nothing on it. As `simulator/node_info_utils.go`
/// sanitizes a node into one, it takes the group's first node's labels,
/// taints and allocatable, with its own name for a hostname label, and none of
/// the taints that stand for a node's condition (`utils/taints`
/// `NodeConditionTaints`).
pub fn template_node(k: &Cluster, g: &NodeGroup) -> NodeInfo {
    let node = k.cache.node(g.hosts[0].index());
    let name = format!("template-node-for-{}", g.name);
    let mut labels = node.labels.clone();
    labels.insert(LABEL_HOSTNAME.into(), name.clone());
    let condition = |key: &str| key == TAINT_UNREACHABLE || key == TAINT_UNSCHEDULABLE;
    let taints = node.taints.iter().filter(|t| !condition(&t.key)).cloned().collect();
    NodeInfo { name, labels, taints, allocatable: node.allocatable, ..NodeInfo::default() }
}

/// Whether a new node of the group would take the pod: the scheduler's
/// filters pass on the group's template node.
pub fn fits_template(k: &Cluster, template: &NodeInfo, pod: &PodInfo) -> bool {
    k.scheduler.filter_node(pod, template, &Resources::default()).is_none()
}

/// Pods the scheduler could not place: add nodes so they fit, choosing the
/// node group by the least-waste expander. Returns whether it scaled up.
pub fn scale_up(w: &mut impl KubeWorld, ca: &ClusterAutoscalerSpec) -> bool {
    let k = w.kref();
    let mut pending: Vec<&PodInfo> = k
        .queue
        .unschedulable
        .keys()
        .filter_map(|p| k.pods.get(p))
        .filter(|p| !p.deleting)
        .map(|p| &*p.pod_info)
        .collect();
    // First fit decreasing: by CPU, then memory, then extended resources.
    pending.sort_unstable_by_key(|p| std::cmp::Reverse((p.requests.milli_cpu, p.requests.memory, p.requests.scalar)));
    if pending.is_empty() {
        return false;
    }
    // Per group: how many new nodes the binpacking estimator needs, and the waste.
    let mut best: Option<(f64, usize, u32)> = None;
    for (gi, g) in ca.node_groups.iter().enumerate() {
        let template = template_node(k, g);
        // Only the pods a new node of the group would take count for it: a
        // pod that fits no group's template triggers no scale-up.
        let fitting: Vec<Resources> =
            pending.iter().filter(|p| fits_template(k, &template, p)).map(|p| p.requests).collect();
        let template = template.allocatable;
        // Nodes already coming up take pods first.
        let upcoming: Vec<Resources> = g
            .hosts
            .iter()
            .filter(|h| k.nodes[h.index()].condition == NodeCondition::Provisioning)
            .map(|_| template)
            .collect();
        let in_group = g.hosts.iter().filter(|h| k.nodes[h.index()].condition != NodeCondition::Absent).count() as u32;
        let room = g.max.saturating_sub(in_group);
        let (new_nodes, waste) = binpack(&fitting, template, upcoming, room);
        if new_nodes == 0 {
            continue;
        }
        // least-waste: the smallest (unused CPU / CPU) + (unused memory / memory); ties keep the first.
        if best.is_none_or(|(w, _, _)| waste < w) {
            best = Some((waste, gi, new_nodes));
        }
    }
    let unschedulable = pending.len();
    let Some((waste, gi, n)) = best else { return false };
    let group = ca.node_groups[gi].clone();
    let absent: Vec<HostId> = group
        .hosts
        .iter()
        .copied()
        .filter(|h| w.kref().nodes[h.index()].condition == NodeCondition::Absent && w.host_up(*h))
        .take(n as usize)
        .collect();
    if absent.is_empty() {
        return false;
    }
    let before =
        group.hosts.iter().filter(|h| w.kref().nodes[h.index()].condition != NodeCondition::Absent).count() as u32;
    for &h in &absent {
        provision_node(w, &group, h);
    }
    let now = w.now();
    if let Some(s) = w.cluster().autoscaler.as_mut() {
        s.last_scale_up = Some(now);
    }
    w.emit(EventKind::Scaled {
        by: "cluster-autoscaler".into(),
        target: group.name.clone(),
        from: before,
        to: before + absent.len() as u32,
        reason: format!("{unschedulable} pods unschedulable; least-waste expander, waste {waste:.2}"),
    });
    true
}

/// Nodes under the utilisation threshold for the unneeded time, whose pods
/// fit elsewhere, are drained and removed.
pub fn scale_down(w: &mut impl KubeWorld, ca: &ClusterAutoscalerSpec) {
    let now = w.now();
    let since_add = w.kref().autoscaler.as_ref().and_then(|s| s.last_scale_up).map(|t| now.since(t));
    let mut candidates = Vec::new();
    // Whether any drainability rule can block a node here at all.
    let k = w.kref();
    let rules_apply = !k.disruption_budgets.is_empty()
        || !k.standalone_pods.is_empty()
        || k.replica_sets.iter().any(|r| r.namespace == KUBE_SYSTEM);
    for g in &ca.node_groups {
        let k = w.kref();
        let ready: Vec<HostId> =
            g.hosts.iter().copied().filter(|h| k.nodes[h.index()].condition == NodeCondition::Ready).collect();
        let removing = k.autoscaler.as_ref().map_or(0, |s| s.removing.iter().filter(|h| g.hosts.contains(h)).count());
        let mut allowed = (ready.len() - removing.min(ready.len())).saturating_sub(g.min as usize);
        for h in ready {
            let node = &k.nodes[h.index()];
            let requested = k.node_requested(node);
            let utilization = (requested.milli_cpu as f64 / node.allocatable.milli_cpu.max(1) as f64)
                .max(requested.memory as f64 / node.allocatable.memory.max(1) as f64);
            let unneeded = utilization < ca.scale_down_utilization_threshold
                && !k.autoscaler.as_ref().is_some_and(|s| s.removing.contains(&h))
                && (!rules_apply || drainable(k, h));
            candidates.push((h, unneeded, allowed > 0));
            if unneeded && allowed > 0 {
                allowed -= 1;
            }
        }
    }
    // The scale-down budgets (`CropNodes`): deletions at once, those in
    // progress counted, and of them drains of nodes that still run pods.
    // Empty nodes go first.
    let k = w.kref();
    let removing = k.autoscaler.as_ref().map_or(&[][..], |s| &s.removing[..]);
    let draining = removing.iter().filter(|h| !k.nodes[h.index()].pods.is_empty()).count();
    let mut parallelism = MAX_SCALE_DOWN_PARALLELISM.saturating_sub(removing.len());
    let mut drains = MAX_DRAIN_PARALLELISM.saturating_sub(draining);
    let mut to_drain = Vec::new();
    for (h, unneeded, allowed) in candidates {
        let state = w.cluster().autoscaler.as_mut().expect("the autoscaler is set up");
        if !unneeded {
            state.unneeded_since.remove(&h);
            continue;
        }
        let since = *state.unneeded_since.entry(h).or_insert(now);
        let waited = now.since(since) >= ca.scale_down_unneeded_time;
        let after_add = since_add.is_none_or(|d| d >= ca.scale_down_delay_after_add);
        if !(waited && after_add && allowed) {
            continue;
        }
        let k = w.kref();
        if k.nodes[h.index()].pods.iter().all(|p| k.pods.get(p).is_none_or(|p| p.deleting)) {
            if parallelism > 0 {
                parallelism -= 1;
                remove_node(w, h);
            }
        } else {
            to_drain.push(h);
        }
    }
    for h in to_drain {
        if drains == 0 || parallelism == 0 {
            break;
        }
        if pods_fit_elsewhere(w, h) {
            (drains, parallelism) = (drains - 1, parallelism - 1);
            remove_node(w, h);
        }
    }
}

/// `--max-scale-down-parallelism` and `--max-drain-parallelism` (`config/flags/flags.go`).
const MAX_SCALE_DOWN_PARALLELISM: usize = 10;
const MAX_DRAIN_PARALLELISM: usize = 1;

/// Whether every pod on `host` fits on the other Ready nodes, as
/// `simulator/cluster.go` `findPlaceFor` places them: each in turn on the
/// first node whose filters it passes, with the pods placed before it.
fn pods_fit_elsewhere(w: &impl KubeWorld, host: HostId) -> bool {
    let k = w.kref();
    let mut free: Vec<(&NodeInfo, Resources)> = k
        .nodes
        .iter()
        .filter(|n| n.host != host && n.condition == NodeCondition::Ready && !n.unschedulable)
        .map(|n| k.cache.node(n.host.index()))
        .map(|n| (n, n.requested))
        .collect();
    k.nodes[host.index()].pods.iter().filter_map(|p| k.pods.get(p)).filter(|p| !p.deleting).all(|p| {
        let pod = &*p.pod_info;
        let place = free.iter_mut().find(|(n, requested)| k.scheduler.filter_node(pod, n, requested).is_none());
        place.map(|(_, requested)| add(requested, pod.requests, 1)).is_some()
    })
}

/// The autoscaler's drainability rules (`simulator/drainability/rules`): a
/// node is not removable while it runs a pod that no controller would make
/// again (`NotReplicated`), a kube-system pod that no PodDisruptionBudget
/// covers (`UnmovableKubeSystemPod`, `--skip-nodes-with-system-pods`), or
/// more pods of a budget than the budget allows to be disrupted now
/// (`NotEnoughPdb`). Pods already terminating do not count.
fn drainable(k: &Cluster, host: HostId) -> bool {
    let budgets = &k.disruption_budgets;
    let mut on_node = vec![0u32; budgets.len()];
    for pod in k.nodes[host.index()].pods.iter().filter_map(|p| k.pods.get(p)).filter(|p| !p.deleting) {
        if pod.owner.replica_set().is_none() {
            return false;
        }
        let namespace = k.pod_namespace(pod);
        let mut covered = false;
        for (n, (b, _)) in on_node.iter_mut().zip(budgets) {
            if b.namespace == namespace && b.matches(&pod.template.labels) {
                *n += 1;
                covered = true;
            }
        }
        if namespace == KUBE_SYSTEM && !covered {
            return false;
        }
    }
    on_node.iter().zip(budgets).all(|(&n, (b, _))| n == 0 || n <= k.disruption_status(b).2)
}

const KUBE_SYSTEM: &str = "kube-system";

/// Drains `host` for removal; it is powered off once its pods are gone.
pub fn remove_node(w: &mut impl KubeWorld, host: HostId) {
    let name = w.setup().hosts[host.index()].name.clone();
    let group = w.setup().hosts[host.index()].group.clone();
    w.emit(EventKind::Scaled {
        by: "cluster-autoscaler".into(),
        target: group,
        from: 1,
        to: 0,
        reason: format!("{name} was unneeded for the scale-down-unneeded-time"),
    });
    if let Some(s) = w.cluster().autoscaler.as_mut() {
        s.removing.push(host);
        s.unneeded_since.remove(&host);
    }
    // Drain: cordon, then evict every pod; the node goes when it is empty.
    api_server::act(w, &crate::model::spec::Action::Drain(host));
    finish_removals(w);
}

/// Powers off drained nodes once their pods are gone.
pub fn finish_removals(w: &mut impl KubeWorld) {
    let removing = w.kref().autoscaler.as_ref().map(|s| s.removing.clone()).unwrap_or_default();
    for h in removing {
        if w.kref().nodes[h.index()].pods.is_empty() {
            if let Some(s) = w.cluster().autoscaler.as_mut() {
                s.removing.retain(|x| *x != h);
            }
            power_off_node(w, h);
            node_lifecycle::note_nodes_ready(w);
        }
    }
}

/// The binpacking estimator: how many new nodes of `template` the pending pods
/// need (first fit decreasing, upcoming nodes first), at most `room`, and the
/// least-waste score of those new nodes.
pub fn binpack(pending: &[Resources], template: Resources, upcoming: Vec<Resources>, room: u32) -> (u32, f64) {
    // Room left per node, and whether the node is new.
    let mut bins: Vec<(Resources, bool)> = upcoming.into_iter().map(|r| (r, false)).collect();
    let mut new_nodes = 0u32;
    for r in pending {
        if !holds(&template, r) {
            continue;
        }
        if first_fit(bins.iter_mut().map(|b| &mut b.0), r) {
            continue;
        }
        if new_nodes >= room {
            continue;
        }
        new_nodes += 1;
        let mut bin = template;
        add(&mut bin, *r, -1);
        bins.push((bin, true));
    }
    let added: Vec<&Resources> = bins.iter().filter(|b| b.1).map(|b| &b.0).collect();
    let n = added.len().max(1) as f64;
    let unused_cpu: f64 =
        added.iter().map(|b| b.milli_cpu as f64).sum::<f64>() / (template.milli_cpu.max(1) as f64 * n);
    let unused_mem: f64 = added.iter().map(|b| b.memory as f64).sum::<f64>() / (template.memory.max(1) as f64 * n);
    (new_nodes, unused_cpu + unused_mem)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binpacking_counts_nodes_for_pending_pods() {
        let template = Resources { milli_cpu: 4000, memory: 16_000, pods: 110, ..Resources::default() };
        let pod = |cpu, memory| Resources { milli_cpu: cpu, memory, pods: 1, ..Resources::default() };
        // Five pods of 1500m: two per node → 3 nodes; unused CPU (1000 + 1000 + 2500)/12000, memory none used … .
        let pending = vec![pod(1500, 1000); 5];
        let (n, waste) = binpack(&pending, template, Vec::new(), 10);
        assert_eq!(n, 3);
        let expected = 4500.0 / 12_000.0 + (48_000.0 - 5_000.0) / 48_000.0;
        assert!((waste - expected).abs() < 1e-12);
        // One node already coming up takes two of them.
        assert_eq!(binpack(&pending, template, vec![template], 10).0, 2);
        // At most `room` new nodes.
        assert_eq!(binpack(&pending, template, Vec::new(), 1).0, 1);
        // A pod larger than a node is left out.
        assert_eq!(binpack(&[pod(5000, 1)], template, Vec::new(), 10).0, 0);
        // A pod asking for a GPU needs a node that has one.
        let gpu = Resources { scalar: [1, 0, 0, 0], ..pod(100, 1) };
        assert_eq!(binpack(&[gpu], template, Vec::new(), 10).0, 0);
        let gpu_node = Resources { scalar: [4, 0, 0, 0], ..template };
        assert_eq!(binpack(&[gpu; 6], gpu_node, Vec::new(), 10).0, 2);
    }
}
