//! A plain kube-scheduler cycle, written for reading rather than speed: every
//! cycle it builds the snapshot afresh from the API objects (each node's pods,
//! their requests and labels, the images in each node's layer cache) and runs
//! the filter and score plugins of the world's profile over it, as
//! `schedule_one.go` and the plugins under `framework/plugins/` describe.
//! The world's scheduler, which keeps a cache instead, must choose exactly
//! the same nodes and print exactly the same messages.

#![allow(dead_code)]

use std::collections::BTreeMap;

use flotilla::behaviours::scheduler::plugins::image_locality::calculate_priority;
use flotilla::behaviours::scheduler::plugins::node_resources_balanced_allocation::balanced_score;
use flotilla::behaviours::scheduler::plugins::node_resources_fit::{
    broken_linear, least_requested_score, most_requested_score,
};
use flotilla::behaviours::scheduler::{
    MAX_NODE_SCORE, Profile, Resources, default_normalize_score, num_feasible_nodes_to_find, preemption_clause,
    unschedulable_message,
};
use flotilla::engine::RandomStream;
use flotilla::model::kube::{
    LABEL_HOSTNAME, LABEL_ZONE, Labels, NodeAffinity, TAINT_UNSCHEDULABLE, Taint, TaintEffect, Toleration,
    TopologySpreadConstraint, UnsatisfiableConstraintAction, selector_matches,
};
use flotilla::model::scheduler_profile::{ScoringStrategyType, UtilizationShapePoint};
use flotilla::model::{HostId, InstanceId};
use flotilla::world::World;
use flotilla::world::kubernetes::{NodeCondition, template_requests};

/// A node as this scheduler sees it.
pub struct Node {
    pub name: String,
    pub labels: Labels,
    pub taints: Vec<Taint>,
    pub unschedulable: bool,
    pub allocatable: Resources,
    pub requested: Resources,
    pub non_zero_requested: Resources,
    /// Namespaces and labels of the pods on it that are not terminating.
    pub pods: Vec<(String, Labels)>,
    /// Images present, by name: (size, registered nodes that have it).
    pub images: BTreeMap<String, (i64, i64)>,
    /// Extended resources by name: (allocatable, requested).
    pub extended: BTreeMap<String, (i64, i64)>,
}

/// A pod as this scheduler sees it.
pub struct Pod {
    pub namespace: String,
    pub labels: Labels,
    pub requests: Resources,
    pub non_zero_requests: Resources,
    pub images: Vec<String>,
    pub node_selector: Labels,
    pub node_name: Option<String>,
    pub affinity: NodeAffinity,
    pub tolerations: Vec<Toleration>,
    pub constraints: Vec<TopologySpreadConstraint>,
    /// Extended resources requested, by name.
    pub extended: BTreeMap<String, i64>,
}

/// The snapshot: every registered node, in host order, and its host.
pub fn snapshot(world: &World) -> (Vec<Node>, Vec<HostId>) {
    let k = world.kube().expect("a Kubernetes world");
    let setup = world.setup();
    let registered: Vec<_> = k
        .nodes
        .iter()
        .filter(|n| !matches!(n.condition, NodeCondition::Provisioning | NodeCondition::Absent))
        .collect();
    let present = |h: HostId| -> Vec<usize> {
        (0..setup.images.len())
            .filter(|&i| setup.images[i].layers.iter().all(|b| world.hosts()[h.index()].cache.contains(*b)))
            .collect()
    };
    let images: Vec<Vec<usize>> = registered.iter().map(|n| present(n.host)).collect();
    let mut with_image = vec![0i64; setup.images.len()];
    for &i in images.iter().flatten() {
        with_image[i] += 1;
    }
    let nodes = registered
        .iter()
        .zip(&images)
        .map(|(n, images)| {
            let (mut requested, mut non_zero) = (Resources::default(), Resources::default());
            let mut pods = Vec::new();
            let mut extended: BTreeMap<String, (i64, i64)> = setup
                .extended_resources
                .iter()
                .zip(setup.hosts[n.host.index()].extended)
                .map(|(name, count)| (name.clone(), (count as i64, 0)))
                .collect();
            for p in &n.pods {
                let pod = &k.pods[p];
                for (name, amount) in pod_extended(world, &pod.template) {
                    extended.get_mut(&name).expect("every extended resource is listed").1 += amount;
                }
                let (r, nz, _) = template_requests(&pod.template);
                for (sum, add) in [(&mut requested, r), (&mut non_zero, nz)] {
                    sum.milli_cpu += add.milli_cpu;
                    sum.memory += add.memory;
                    sum.pods += 1;
                }
                if !pod.deleting {
                    pods.push((k.pod_namespace(pod).to_string(), pod.template.labels.clone()));
                }
            }
            let images = images
                .iter()
                .map(|&i| {
                    let image = &setup.images[i];
                    let size: u64 = image.layers.iter().map(|b| setup.blobs[b.index()].bytes.0).sum();
                    (image.name.clone(), (size as i64, with_image[i]))
                })
                .collect();
            Node {
                name: n.name.clone(),
                labels: n.labels.clone(),
                taints: n.taints.clone(),
                unschedulable: n.unschedulable,
                allocatable: n.allocatable,
                requested,
                non_zero_requested: non_zero,
                pods,
                images,
                extended,
            }
        })
        .collect();
    (nodes, registered.iter().map(|n| n.host).collect())
}

/// A pod's extended resources by name: each container's, init containers
/// maxed as PodRequests does (a sidecar adds, a plain init container needs
/// its own and the sidecars started before it).
fn pod_extended(world: &World, t: &flotilla::model::kube::PodTemplate) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    for (i, name) in world.setup().extended_resources.iter().enumerate() {
        let app: i64 = t.containers.iter().map(|c| c.extended[i] as i64).sum();
        let (mut sidecars, mut init_peak) = (0i64, 0i64);
        for c in &t.init_containers {
            let need = c.extended[i] as i64;
            if c.sidecar {
                sidecars += need;
                init_peak = init_peak.max(sidecars);
            } else {
                init_peak = init_peak.max(sidecars + need);
            }
        }
        out.insert(name.clone(), (app + sidecars).max(init_peak));
    }
    out
}

pub fn pod(world: &World, id: InstanceId) -> Pod {
    let k = world.kube().expect("a Kubernetes world");
    let t = &k.pods[&id].template;
    // The pod being placed is scored with what Score counts for it.
    let (requests, _, non_zero_requests) = template_requests(t);
    Pod {
        namespace: k.pod_namespace(&k.pods[&id]).to_string(),
        labels: t.labels.clone(),
        requests,
        non_zero_requests,
        images: t.images().map(|i| world.setup().images[i.index()].name.clone()).collect(),
        node_selector: t.node_selector.clone(),
        node_name: t.node_name.clone(),
        affinity: t.affinity.clone(),
        tolerations: t.tolerations.clone(),
        constraints: t.topology_spread_constraints.clone(),
        extended: pod_extended(world, t),
    }
}

/// The world's scheduling cycle, done the plain way (a `ScheduleFn`).
pub fn schedule(
    world: &World,
    id: InstanceId,
    next_start: &mut usize,
    rng: &mut RandomStream,
) -> (Option<HostId>, Option<String>) {
    let (nodes, hosts) = snapshot(world);
    let profile = world.kube().expect("a Kubernetes world").profile();
    let (chosen, message) = cycle(profile, &pod(world, id), &nodes, next_start, rng);
    (chosen.map(|i| hosts[i]), message)
}

/// A filter's verdict: the reasons, and whether preemption could not help.
type Rejected = (Vec<String>, bool);

fn filter(name: &str, pod: &Pod, node: &Node, nodes: &[Node]) -> Result<(), Rejected> {
    let unresolvable = |r: &str| Err((vec![r.to_string()], true));
    match name {
        "NodeUnschedulable" => {
            let taint =
                Taint { key: TAINT_UNSCHEDULABLE.into(), value: String::new(), effect: TaintEffect::NoSchedule };
            if node.unschedulable && !pod.tolerations.iter().any(|t| t.tolerates(&taint)) {
                return unresolvable("node(s) were unschedulable");
            }
        }
        "NodeName" => {
            if pod.node_name.as_ref().is_some_and(|n| *n != node.name) {
                return unresolvable("node(s) didn't match the requested node name");
            }
        }
        "TaintToleration" => {
            let hard = |t: &Taint| matches!(t.effect, TaintEffect::NoSchedule | TaintEffect::NoExecute);
            if node.taints.iter().any(|t| hard(t) && !pod.tolerations.iter().any(|tol| tol.tolerates(t))) {
                return unresolvable("node(s) had untolerated taint(s)");
            }
        }
        "NodeAffinity" => {
            if !node_matches(pod, &node.labels) {
                return unresolvable("node(s) didn't match Pod's node affinity/selector");
            }
        }
        "NodeResourcesFit" => {
            let mut reasons = Vec::new();
            // More than the node's whole allocatable: no preemption makes room.
            let mut larger_than_node = false;
            if node.requested.pods + 1 > node.allocatable.pods {
                reasons.push("Too many pods".to_string());
            }
            let mut check = |want: i64, allocatable: i64, requested: i64, name: &str| {
                if want > 0 && want > allocatable - requested {
                    reasons.push(format!("Insufficient {name}"));
                    larger_than_node |= want > allocatable;
                }
            };
            check(pod.requests.milli_cpu, node.allocatable.milli_cpu, node.requested.milli_cpu, "cpu");
            check(pod.requests.memory, node.allocatable.memory, node.requested.memory, "memory");
            for (name, &want) in &pod.extended {
                let (allocatable, requested) = node.extended.get(name).copied().unwrap_or((0, 0));
                check(want, allocatable, requested, name);
            }
            if !reasons.is_empty() {
                return Err((reasons, larger_than_node));
            }
        }
        "PodTopologySpread" => {
            let hard: Vec<TopologySpreadConstraint> = constraints(pod)
                .into_iter()
                .filter(|c| c.when_unsatisfiable == UnsatisfiableConstraintAction::DoNotSchedule)
                .collect();
            for c in &hard {
                let counts = domain_counts(c, pod, nodes, &hard);
                let min = counts.values().copied().min().unwrap_or(0);
                let Some(domain) = node.labels.get(&c.topology_key) else {
                    return unresolvable(
                        "node(s) didn't match pod topology spread constraints (missing required label)",
                    );
                };
                let own = i64::from(selector_matches(&c.label_selector, &pod.labels));
                if counts.get(domain).copied().unwrap_or(0) + own - min > c.max_skew {
                    return Err((vec!["node(s) didn't match pod topology spread constraints".into()], false));
                }
            }
        }
        other => panic!("no plain filter for {other}"),
    }
    Ok(())
}

fn node_matches(pod: &Pod, labels: &Labels) -> bool {
    pod.node_selector.iter().all(|(k, v)| labels.get(k) == Some(v))
        && (pod.affinity.required.is_empty() || pod.affinity.required.iter().any(|t| term_matches(t, labels)))
}

/// A node-selector term of a scenario (checked when read) on a node's
/// labels: an empty term matches no node.
fn term_matches(t: &flotilla::model::kube::NodeSelectorTerm, labels: &Labels) -> bool {
    !t.match_expressions.is_empty() && t.matches(labels)
}

/// The pod's own spread constraints, or the system defaults.
fn constraints(pod: &Pod) -> Vec<TopologySpreadConstraint> {
    if !pod.constraints.is_empty() {
        return pod.constraints.clone();
    }
    let c = |key: &str, skew| TopologySpreadConstraint {
        max_skew: skew,
        topology_key: key.into(),
        when_unsatisfiable: UnsatisfiableConstraintAction::ScheduleAnyway,
        label_selector: pod.labels.clone(),
    };
    vec![c(LABEL_HOSTNAME, 3), c(LABEL_ZONE, 5)]
}

/// Matching pods per domain over the nodes that have the key, every key of
/// `all` (`nodeLabelsMatchSpreadConstraints`) and pass the pod's node
/// selector and affinity.
fn domain_counts(
    c: &TopologySpreadConstraint,
    pod: &Pod,
    nodes: &[Node],
    all: &[TopologySpreadConstraint],
) -> BTreeMap<String, i64> {
    let mut counts = BTreeMap::new();
    for node in nodes {
        let Some(domain) = node.labels.get(&c.topology_key) else { continue };
        if !node_matches(pod, &node.labels) || all.iter().any(|a| !node.labels.contains_key(&a.topology_key)) {
            continue;
        }
        // Pods of the pod's own namespace only (`countPodsMatchSelector`).
        let n =
            node.pods.iter().filter(|(ns, l)| *ns == pod.namespace && selector_matches(&c.label_selector, l)).count()
                as i64;
        *counts.entry(domain.clone()).or_insert(0) += n;
    }
    counts
}

/// Raw scores of one plugin over the feasible nodes, then normalised.
fn score(profile: &Profile, name: &str, pod: &Pod, feasible: &[&Node], nodes: &[Node]) -> Vec<i64> {
    // (requested with the pod's, allocatable); an extended resource the pod does not ask for
    // and a resource nobody has are left out as (0, 0).
    let resource = |n: &str, node: &Node, requested: Resources, pod_r: Resources| match n {
        "cpu" => (requested.milli_cpu + pod_r.milli_cpu, node.allocatable.milli_cpu),
        "memory" => (requested.memory + pod_r.memory, node.allocatable.memory),
        name => match (pod.extended.get(name), node.extended.get(name)) {
            (Some(&want), Some(&(allocatable, held))) if want > 0 => (held + want, allocatable),
            _ => (0, 0),
        },
    };
    match name {
        "TaintToleration" => {
            let prefer: Vec<&Toleration> = pod
                .tolerations
                .iter()
                .filter(|t| t.effect.is_none() || t.effect == Some(TaintEffect::PreferNoSchedule))
                .collect();
            let mut s: Vec<i64> = feasible
                .iter()
                .map(|n| {
                    n.taints
                        .iter()
                        .filter(|t| t.effect == TaintEffect::PreferNoSchedule && !prefer.iter().any(|p| p.tolerates(t)))
                        .count() as i64
                })
                .collect();
            default_normalize_score(MAX_NODE_SCORE, true, &mut s);
            s
        }
        "NodeAffinity" => {
            let mut s: Vec<i64> = feasible
                .iter()
                .map(|n| {
                    pod.affinity
                        .preferred
                        .iter()
                        .filter(|p| term_matches(&p.preference, &n.labels))
                        .map(|p| p.weight)
                        .sum()
                })
                .collect();
            default_normalize_score(MAX_NODE_SCORE, false, &mut s);
            s
        }
        "NodeResourcesFit" => {
            let strategy = &profile.scoring_strategy;
            feasible
                .iter()
                .map(|n| {
                    let (mut total, mut weights) = (0i64, 0i64);
                    for (r, w) in &strategy.resources {
                        let (requested, capacity) = resource(r, n, n.non_zero_requested, pod.non_zero_requests);
                        let s = match strategy.kind {
                            ScoringStrategyType::LeastAllocated | ScoringStrategyType::MostAllocated => {
                                if capacity == 0 {
                                    continue;
                                }
                                if strategy.kind == ScoringStrategyType::LeastAllocated {
                                    least_requested_score(requested, capacity)
                                } else {
                                    most_requested_score(requested, capacity)
                                }
                            }
                            ScoringStrategyType::RequestedToCapacityRatio => {
                                if capacity == 0 {
                                    continue;
                                }
                                let shape: Vec<UtilizationShapePoint> = strategy
                                    .shape
                                    .iter()
                                    .map(|p| UtilizationShapePoint { utilization: p.utilization, score: p.score * 10 })
                                    .collect();
                                let utilization = if capacity == 0 || requested > capacity {
                                    100
                                } else {
                                    requested * 100 / capacity
                                };
                                let s = broken_linear(&shape, utilization);
                                if s == 0 {
                                    continue;
                                }
                                s
                            }
                        };
                        total += s * w;
                        weights += w;
                    }
                    match (weights, strategy.kind) {
                        (0, _) => 0,
                        (_, ScoringStrategyType::RequestedToCapacityRatio) => {
                            libm::round(total as f64 / weights as f64) as i64
                        }
                        _ => total / weights,
                    }
                })
                .collect()
        }
        "NodeResourcesBalancedAllocation" => feasible
            .iter()
            .map(|n| {
                // PreScore's Skip: the pod requests none of the plugin's resources.
                let asks = |r: &str| match r {
                    "cpu" => pod.requests.milli_cpu > 0,
                    "memory" => pod.requests.memory > 0,
                    name => pod.extended.get(name).is_some_and(|&n| n > 0),
                };
                if !profile.balanced_resources.iter().any(|(r, _)| asks(r)) {
                    return 0;
                }
                let fractions: Vec<f64> = profile
                    .balanced_resources
                    .iter()
                    .filter_map(|(r, _)| {
                        let (requested, allocatable) = resource(r, n, n.requested, pod.requests);
                        (allocatable != 0).then(|| (requested as f64 / allocatable as f64).min(1.0))
                    })
                    .collect();
                balanced_score(&fractions)
            })
            .collect(),
        "ImageLocality" => {
            let total = nodes.len().max(1) as f64;
            feasible
                .iter()
                .map(|n| {
                    let sum: i64 = pod
                        .images
                        .iter()
                        .filter_map(|i| n.images.get(i))
                        .map(|&(size, with)| (size as f64 * (with as f64 / total)) as i64)
                        .sum();
                    calculate_priority(sum, pod.images.len() as i64)
                })
                .collect()
        }
        "PodTopologySpread" => {
            let scored: Vec<TopologySpreadConstraint> = constraints(pod)
                .into_iter()
                .filter(|c| c.when_unsatisfiable == UnsatisfiableConstraintAction::ScheduleAnyway)
                .collect();
            let own = !pod.constraints.is_empty();
            let ignored: Vec<bool> = feasible
                .iter()
                .map(|n| own && scored.iter().any(|c| !n.labels.contains_key(&c.topology_key)))
                .collect();
            let weights: Vec<f64> = scored
                .iter()
                .map(|c| {
                    // A node without the key is in the "" domain (`node.Labels[key]`).
                    let mut domains: Vec<&str> = feasible
                        .iter()
                        .zip(&ignored)
                        .filter(|(_, ig)| !**ig)
                        .map(|(n, _)| n.labels.get(&c.topology_key).map_or("", String::as_str))
                        .collect();
                    domains.sort();
                    domains.dedup();
                    libm::log(domains.len() as f64 + 2.0)
                })
                .collect();
            // requireAllTopologies: the pod's own constraints count over the nodes with all their keys.
            let all: &[TopologySpreadConstraint] = if own { &scored } else { &[] };
            let counts: Vec<BTreeMap<String, i64>> = scored.iter().map(|c| domain_counts(c, pod, nodes, all)).collect();
            let mut s: Vec<i64> = feasible
                .iter()
                .zip(&ignored)
                .map(|(n, ig)| {
                    if *ig {
                        return 0;
                    }
                    let mut total = 0.0;
                    for (k, c) in scored.iter().enumerate() {
                        let Some(d) = n.labels.get(&c.topology_key) else { continue };
                        total += counts[k].get(d).copied().unwrap_or(0) as f64 * weights[k] + (c.max_skew - 1) as f64;
                    }
                    libm::round(total) as i64
                })
                .collect();
            let live = s.iter().zip(&ignored).filter(|(_, ig)| !**ig).map(|(v, _)| *v);
            let (min, max) = live.fold((i64::MAX, 0i64), |(lo, hi), v| (lo.min(v), hi.max(v)));
            for (v, ig) in s.iter_mut().zip(&ignored) {
                *v = if *ig {
                    0
                } else if max == 0 {
                    MAX_NODE_SCORE
                } else {
                    MAX_NODE_SCORE * (max + min - *v) / max
                };
            }
            s
        }
        other => panic!("no plain score for {other}"),
    }
}

/// One cycle over `nodes`: the index of the chosen node, or the message.
pub fn cycle(
    profile: &Profile,
    pod: &Pod,
    nodes: &[Node],
    next_start: &mut usize,
    rng: &mut RandomStream,
) -> (Option<usize>, Option<String>) {
    let n = nodes.len();
    if n == 0 {
        return (None, Some("0/0 nodes are available.".into()));
    }
    let to_find = num_feasible_nodes_to_find(profile.percentage_of_nodes_to_score, n);
    let start = *next_start % n;
    let (mut feasible, mut rejected): (Vec<usize>, Vec<Rejected>) = (Vec::new(), Vec::new());
    let mut processed = 0;
    for i in 0..n {
        let idx = (start + i) % n;
        processed += 1;
        match profile.filters.iter().try_for_each(|f| filter(f, pod, &nodes[idx], nodes)) {
            Ok(()) => feasible.push(idx),
            Err(r) => rejected.push(r),
        }
        if feasible.len() >= to_find {
            break;
        }
    }
    *next_start = (start + processed) % n;
    if feasible.is_empty() {
        let reasons: Vec<Vec<String>> = rejected.iter().map(|(r, _)| r.clone()).collect();
        let mut message = unschedulable_message(n, &reasons);
        if profile.preemption {
            let unresolvable = rejected.iter().filter(|(_, u)| *u).count();
            message = format!("{message} {}", preemption_clause(n, unresolvable, rejected.len() - unresolvable));
        }
        return (None, Some(message));
    }
    let mut totals = vec![0i64; feasible.len()];
    if feasible.len() > 1 {
        let candidates: Vec<&Node> = feasible.iter().map(|&i| &nodes[i]).collect();
        for (name, weight) in &profile.scores {
            for (t, s) in totals.iter_mut().zip(score(profile, name, pod, &candidates, nodes)) {
                *t += s.clamp(0, MAX_NODE_SCORE) * weight;
            }
        }
    }
    // selectHost: the highest total, one draw among the nodes that have it.
    let best_total = totals.iter().copied().max().unwrap_or(0);
    let tied: Vec<usize> = feasible.iter().zip(&totals).filter(|&(_, &t)| t == best_total).map(|(&i, _)| i).collect();
    let best = if tied.len() > 1 { tied[rng.below(tied.len() as u64) as usize] } else { tied[0] };
    (Some(best), None)
}
