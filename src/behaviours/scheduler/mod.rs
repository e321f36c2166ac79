//! kube-scheduler's scheduling framework: for each pod, the filter plugins
//! rule nodes out, the score plugins rank the rest, and the pod is bound to
//! the best node (ties broken at random, from a seeded stream). Each plugin
//! lives in its own file under [`plugins`] with the name Kubernetes gives it,
//! with its formulas as small functions that can be called on their own.
//!
//! As in kube-scheduler, the scheduler never walks the cluster's pods: its
//! [`cache::SchedulerCache`] keeps, per node, the sum of the requests of the
//! pods bound there, the images present and the pods that topology spreading
//! counts, updated as pods bind and leave and as nodes change; a cycle reads
//! them, so its cost follows the nodes it looks at, not the pods that exist.
//!
//! Sources: `pkg/scheduler/schedule_one.go` (the cycle,
//! `numFeasibleNodesToFind`, `selectHost`), `pkg/scheduler/framework/types.go`
//! (`FitError`), `pkg/scheduler/apis/config/v1/default_plugins.go` (the
//! default profile and weights), `pkg/scheduler/backend/cache` (the cache).

pub mod cache;
pub mod framework;
pub mod plugins;
#[allow(clippy::expect_used, reason = "invariants of the cluster's own state, checked by the property tests")]
pub mod schedule_one;
#[allow(clippy::expect_used, reason = "invariants of the cluster's own state, checked by the property tests")]
pub mod scheduling_queue;

use std::collections::BTreeMap;

use crate::model::ImageId;
use crate::model::kube::{Labels, NodeAffinity, Toleration, TopologySpreadConstraint};

pub use crate::model::scheduler_profile::{Profile, ScoringStrategy};
pub use cache::{NodeInfo, SchedulerCache};
pub use framework::{CycleOutcome, Decision, NodeVerdict, PluginScore, Scheduler};

/// The highest score a plugin gives (`framework.MaxNodeScore`).
pub const MAX_NODE_SCORE: i64 = 100;

/// CPU in millicores, memory in bytes, a pod count, and the scenario's
/// extended resources by index (`ScalarResources`), as the scheduler adds
/// them up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Resources {
    pub milli_cpu: i64,
    pub memory: i64,
    pub pods: i64,
    pub scalar: [i64; crate::model::kube::MAX_EXTENDED_RESOURCES],
}

/// `pkg/scheduler/util/pod_resources.go`: a container that requests no CPU
/// counts as 100m, one that requests no memory as 200 MB, when scoring
/// Least/MostAllocated.
pub const DEFAULT_MILLI_CPU_REQUEST: i64 = 100;
pub const DEFAULT_MEMORY_REQUEST: i64 = 200 * 1024 * 1024;

/// A pod as the scheduler sees it, worked out once per pod template
/// (`framework.PodInfo`): what it requests, where it may go, and what it
/// spreads against.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PodInfo {
    /// Its namespace: PodTopologySpread counts only pods of the same one.
    pub namespace: String,
    pub labels: Labels,
    /// The effective request (containers summed, init containers maxed); `pods` is 1.
    pub requests: Resources,
    /// The same with missing requests counted at the defaults, as the
    /// scheduler's cache adds it to a node (`calculateResource`).
    pub non_zero_requests: Resources,
    /// What NodeResourcesFit's Score counts for this pod when it is the one
    /// being placed (`calculatePodResourceRequest`): a container's missing
    /// request at the default even where the pod sets requests of its own.
    /// The same as `non_zero_requests` unless pod-level requests leave a
    /// resource to containers of which only some name it.
    pub score_requests: Resources,
    /// The image of every container, init containers first, as ImageLocality counts them.
    pub images: Vec<ImageId>,
    pub node_selector: Labels,
    pub node_name: Option<String>,
    pub affinity: NodeAffinity,
    pub tolerations: Vec<Toleration>,
    /// Its own topology spread constraints, or when it has none the system
    /// defaults (see [`plugins::pod_topology_spread::constraints_for`]).
    pub spread: Vec<TopologySpreadConstraint>,
    /// The constraints are the pod's own (so nodes lacking a key are ignored when scoring).
    pub own_spread: bool,
    /// Set by [`SchedulerCache::prepare`]: the pod's id in the cache; the
    /// id it shares with every pod that asks for the same resources, images,
    /// nodes and tolerations (so that every plugin but PodTopologySpread sees
    /// them alike); the group of pods with its labels; and the counts kept for
    /// each of its spread constraints.
    pub id: u64,
    pub alike: u64,
    pub labelset: u32,
    pub spread_counts: Vec<u32>,
}

impl PodInfo {
    /// Sets the pod's own topology spread constraints; with none, the
    /// system defaults apply (see [`plugins::pod_topology_spread::constraints_for`]).
    pub fn with_spread_constraints(mut self, constraints: Vec<TopologySpreadConstraint>) -> Self {
        self.own_spread = !constraints.is_empty();
        self.spread = plugins::pod_topology_spread::constraints_for(&self.labels, constraints);
        self
    }

    /// Sets the effective request, the same with missing requests counted at
    /// the defaults, and what Score counts (see [`effective_requests`]).
    pub fn with_requests(mut self, (requests, non_zero, score): (Resources, Resources, Resources)) -> Self {
        (self.requests, self.non_zero_requests, self.score_requests) = (requests, non_zero, score);
        self
    }

    /// Fills the requests from per-container requests, regular and init.
    /// `init` gives each init container's requests and whether it is a sidecar.
    pub fn with_container_requests(self, regular: &[ContainerRequests], init: &[(ContainerRequests, bool)]) -> Self {
        self.with_pod_requests(regular, init, (None, None))
    }

    /// Fills the requests from per-container requests and the pod's own
    /// (`spec.resources.requests`, cpu and memory).
    pub fn with_pod_requests(
        self,
        regular: &[ContainerRequests],
        init: &[(ContainerRequests, bool)],
        pod_level: ContainerRequests,
    ) -> Self {
        self.with_requests(effective_requests(regular.iter().copied(), init.iter().copied(), pod_level))
    }

    /// Sets the pod's node affinity, its terms parsed ([`plugins::node_affinity::parse_terms`]).
    pub fn with_affinity(mut self, affinity: NodeAffinity) -> Self {
        self.affinity = plugins::node_affinity::parse_terms(affinity);
        self
    }

    /// Whether the pod is limited to nodes by a node selector or required node affinity.
    pub fn has_node_constraints(&self) -> bool {
        !self.node_selector.is_empty() || !self.affinity.required.is_empty()
    }

    /// Whether `labels` pass the pod's node selector and required node affinity
    /// (see [`plugins::node_affinity::required_node_affinity_match`]).
    pub fn node_matches(&self, labels: &Labels) -> bool {
        plugins::node_affinity::required_node_affinity_match(self, labels)
    }
}

/// One container's requests: cpu millicores and memory bytes, `None` where
/// the container names no request.
pub type ContainerRequests = (Option<i64>, Option<i64>);

/// A pod's effective request from per-container requests, regular and init
/// (with whether each is a sidecar), and its pod-level requests, per
/// resource as `PodRequests` adds them up: the pod-level request where set,
/// else the containers' ([`crate::model::kube::pod_requests`]); `pods` is 1.
/// Then the same with missing requests counted at the defaults (100m,
/// 200Mi) as the cache adds the pod to a node (`calculateResource`,
/// `getNonMissingContainerRequests`): without pod-level requests every
/// container's missing key is defaulted; with them, only a resource that
/// neither the pod nor any container names. An explicit 0 stays 0. Last,
/// what Score counts for the pod being placed (`calculatePodResourceRequest`):
/// every container's missing key defaulted, then the pod-level requests.
pub fn effective_requests(
    regular: impl Iterator<Item = ContainerRequests> + Clone,
    init: impl Iterator<Item = (ContainerRequests, bool)> + Clone,
    pod_level: ContainerRequests,
) -> (Resources, Resources, Resources) {
    let resource = |of: &dyn Fn(ContainerRequests) -> i64| {
        let app = regular.clone().map(|r| of(r).max(0) as u64);
        crate::model::kube::pod_requests(app, init.clone().map(|(r, sidecar)| (of(r).max(0) as u64, sidecar))) as i64
    };
    let named = |of: &dyn Fn(ContainerRequests) -> Option<i64>| {
        regular.clone().any(|r| of(r).is_some()) || init.clone().any(|(r, _)| of(r).is_some())
    };
    let pod_level_set = pod_level.0.is_some() || pod_level.1.is_some();
    let cpu = pod_level.0.unwrap_or_else(|| resource(&|r| r.0.unwrap_or(0)));
    let mem = pod_level.1.unwrap_or_else(|| resource(&|r| r.1.unwrap_or(0)));
    let requests = Resources { milli_cpu: cpu, memory: mem, pods: 1, ..Resources::default() };
    let defaulted_cpu = resource(&|r| r.0.unwrap_or(DEFAULT_MILLI_CPU_REQUEST));
    let defaulted_mem = resource(&|r| r.1.unwrap_or(DEFAULT_MEMORY_REQUEST));
    let cached =
        |own: Option<i64>, summed: i64, defaulted: i64, of: &dyn Fn(ContainerRequests) -> Option<i64>| match own {
            Some(v) => v,
            None if pod_level_set && named(of) => summed,
            None => defaulted,
        };
    let non_zero = Resources {
        milli_cpu: cached(pod_level.0, cpu, defaulted_cpu, &|r| r.0),
        memory: cached(pod_level.1, mem, defaulted_mem, &|r| r.1),
        pods: 1,
        ..Resources::default()
    };
    let score = Resources {
        milli_cpu: pod_level.0.unwrap_or(defaulted_cpu),
        memory: pod_level.1.unwrap_or(defaulted_mem),
        pods: 1,
        ..Resources::default()
    };
    (requests, non_zero, score)
}

/// Why a filter plugin ruled a node out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rejection {
    /// NodeUnschedulable: the node is cordoned.
    Unschedulable,
    /// NodeName: not the node the pod names.
    NodeName,
    /// TaintToleration: a NoSchedule or NoExecute taint is not tolerated.
    Taint,
    /// NodeAffinity: the node selector or required affinity does not match.
    NodeAffinity,
    /// NodeResourcesFit: [`plugins::node_resources_fit::TOO_MANY_PODS`] and the other bits.
    Fit(u8),
    /// PodTopologySpread: the node lacks a topology key.
    SpreadMissingLabel,
    /// PodTopologySpread: placing the pod there would exceed a maxSkew.
    SpreadSkew,
}

impl Rejection {
    /// Whether preemption could not help (`UnschedulableAndUnresolvable`):
    /// NodeResourcesFit's only when the pod asks for more than the node's
    /// whole allocatable of some resource.
    pub fn unresolvable(self) -> bool {
        match self {
            Rejection::Fit(bits) => bits & plugins::node_resources_fit::UNRESOLVABLE != 0,
            Rejection::SpreadSkew => false,
            _ => true,
        }
    }

    /// The reasons kube-scheduler prints for it; `extended` names the
    /// scenario's extended resources.
    pub fn reasons(self, extended: &[String]) -> Vec<String> {
        use plugins::*;
        match self {
            Rejection::Unschedulable => vec![node_unschedulable::REASON.into()],
            Rejection::NodeName => vec![node_name::REASON.into()],
            Rejection::Taint => vec![taint_toleration::REASON.into()],
            Rejection::NodeAffinity => vec![node_affinity::REASON.into()],
            Rejection::Fit(bits) => node_resources_fit::reasons(bits, extended).map(String::from).collect(),
            Rejection::SpreadMissingLabel => vec![pod_topology_spread::REASON_MISSING_LABEL.into()],
            Rejection::SpreadSkew => vec![pod_topology_spread::REASON_SKEW.into()],
        }
    }
}

/// A filter plugin's verdict on one node, as the inspector shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Fits,
    /// The node is ruled out, with the reasons kube-scheduler prints;
    /// preempting other pods could make room.
    Unschedulable(Vec<String>),
    /// Ruled out in a way preemption cannot change (a taint, a selector, a
    /// request larger than the node).
    UnschedulableAndUnresolvable(Vec<String>),
}

impl Verdict {
    pub fn fits(&self) -> bool {
        matches!(self, Verdict::Fits)
    }

    pub fn reasons(&self) -> &[String] {
        match self {
            Verdict::Fits => &[],
            Verdict::Unschedulable(r) | Verdict::UnschedulableAndUnresolvable(r) => r,
        }
    }

    /// The verdict a rejection gives; `extended` names the scenario's extended resources.
    pub fn of(rejection: Rejection, extended: &[String]) -> Verdict {
        let reasons = rejection.reasons(extended);
        if rejection.unresolvable() {
            Verdict::UnschedulableAndUnresolvable(reasons)
        } else {
            Verdict::Unschedulable(reasons)
        }
    }
}

/// `helper.DefaultNormalizeScore`: scales scores so the highest becomes
/// `max_priority` (integer maths), optionally reversed (`max − score`).
pub fn default_normalize_score(max_priority: i64, reverse: bool, scores: &mut [i64]) {
    let max = scores.iter().copied().max().unwrap_or(0);
    if max == 0 {
        if reverse {
            for s in scores.iter_mut() {
                *s = max_priority;
            }
        }
        return;
    }
    let by = Divisor::new(max);
    for s in scores.iter_mut() {
        *s = by.divide(max_priority * *s);
        if reverse {
            *s = max_priority - *s;
        }
    }
}

/// Integer division of many values by one divisor, exactly as `/` gives it.
/// A normalisation divides every node's score by the same maximum; for
/// values and divisors below 2³² a multiply and a shift do it (Lemire, Kaser
/// and Kurz, "Faster remainder by direct computation", 2019: with
/// M = ⌈2⁶⁴/d⌉, ⌊a/d⌋ = ⌊M·a/2⁶⁴⌋ for every 32-bit a), others divide.
#[derive(Clone, Copy, Debug)]
pub struct Divisor {
    d: i64,
    /// ⌈2⁶⁴/d⌉, or 0 when d is out of that range (or 1).
    m: u64,
}

impl Divisor {
    pub fn new(d: i64) -> Self {
        let m = if (2..=i64::from(u32::MAX)).contains(&d) { u64::MAX / d as u64 + 1 } else { 0 };
        Divisor { d, m }
    }

    pub fn divide(self, a: i64) -> i64 {
        if self.m != 0 && (0..=i64::from(u32::MAX)).contains(&a) {
            ((u128::from(self.m) * a as u128) >> 64) as i64
        } else {
            a / self.d
        }
    }
}

/// `schedule_one.go numFeasibleNodesToFind`: how many feasible nodes to find
/// before scoring. Below 100 nodes, all of them; otherwise the configured
/// percentage, or when that is 0 the adaptive max(50 − n/125, 5) %, and never
/// fewer than 100.
pub fn num_feasible_nodes_to_find(percentage_of_nodes_to_score: u32, num_all_nodes: usize) -> usize {
    const MIN_FEASIBLE_NODES_TO_FIND: usize = 100;
    const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND: i64 = 5;
    if num_all_nodes < MIN_FEASIBLE_NODES_TO_FIND {
        return num_all_nodes;
    }
    let mut percentage = i64::from(percentage_of_nodes_to_score);
    if percentage == 0 {
        percentage = 50 - num_all_nodes as i64 / 125;
        if percentage < MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND {
            percentage = MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND;
        }
    }
    if percentage >= 100 {
        return num_all_nodes;
    }
    let num = num_all_nodes * percentage as usize / 100;
    num.max(MIN_FEASIBLE_NODES_TO_FIND)
}

/// `FitError.Error()` (`framework/types.go`): `0/5 nodes are available: 2
/// node(s) had untolerated taint(s), 3 Insufficient cpu.` — each
/// reason with the number of nodes that gave it, and the "count reason"
/// strings sorted as plain strings (so "10 …" comes before "2 …").
pub fn unschedulable_message(num_all_nodes: usize, reasons_per_node: &[Vec<String>]) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for reasons in reasons_per_node {
        for r in reasons {
            *counts.entry(r.as_str()).or_insert(0) += 1;
        }
    }
    counted_reasons_message(num_all_nodes, counts.into_iter())
}

/// The same message from each reason and the number of nodes that gave it.
pub fn counted_reasons_message<'a>(num_all_nodes: usize, counts: impl Iterator<Item = (&'a str, usize)>) -> String {
    let mut parts: Vec<String> = counts.map(|(r, n)| format!("{n} {r}")).collect();
    parts.sort();
    if parts.is_empty() {
        format!("0/{num_all_nodes} nodes are available.")
    } else {
        format!("0/{num_all_nodes} nodes are available: {}.", parts.join(", "))
    }
}

/// The clause DefaultPreemption adds when it finds no victims, as it never
/// does among pods of one priority: nodes ruled out in a way preemption
/// cannot change are "not helpful", the others have no victims.
pub fn preemption_clause(num_all_nodes: usize, unresolvable: usize, resolvable: usize) -> String {
    let counts = [
        ("No preemption victims found for incoming pod", resolvable),
        ("Preemption is not helpful for scheduling", unresolvable),
    ];
    format!("preemption: {}", counted_reasons_message(num_all_nodes, counts.into_iter().filter(|&(_, n)| n > 0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_divisor_divides_as_the_operator_does() {
        let mut values: Vec<i64> = (0..2_000).collect();
        values.extend([u32::MAX as i64 - 1, u32::MAX as i64, u32::MAX as i64 + 1, 1 << 40, -1, -7, i64::MAX / 200]);
        for d in [1, 2, 3, 7, 10, 99, 100, 101, 1_000, 65_537, u32::MAX as i64, u32::MAX as i64 + 3, 1 << 40] {
            let by = Divisor::new(d);
            for &a in &values {
                assert_eq!(by.divide(a), a / d, "{a} / {d}");
            }
        }
    }

    #[test]
    fn adaptive_percentage_of_nodes_to_score() {
        // Below 100 nodes: all of them.
        assert_eq!(num_feasible_nodes_to_find(0, 50), 50);
        // 100 nodes: 50 − 100/125 = 50 %, 50 nodes, raised to the minimum of 100.
        assert_eq!(num_feasible_nodes_to_find(0, 100), 100);
        // 1,000 nodes: 50 − 8 = 42 % → 420.
        assert_eq!(num_feasible_nodes_to_find(0, 1_000), 420);
        // 5,000 nodes: 50 − 40 = 10 % → 500.
        assert_eq!(num_feasible_nodes_to_find(0, 5_000), 500);
        // 6,000 nodes: 50 − 48 = 2 %, raised to 5 % → 300.
        assert_eq!(num_feasible_nodes_to_find(0, 6_000), 300);
        // A configured percentage is used as is, still at least 100 nodes.
        assert_eq!(num_feasible_nodes_to_find(30, 1_000), 300);
        assert_eq!(num_feasible_nodes_to_find(5, 1_000), 100);
        assert_eq!(num_feasible_nodes_to_find(100, 1_000), 1_000);
    }

    #[test]
    fn num_feasible_nodes_to_find_as_upstream() {
        // schedule_one_test.go TestNumFeasibleNodesToFind, every case: (name, global percentage,
        // profile percentage, nodes, wanted). The profile's value, when set, replaces the
        // global one (scenario::scheduler_config resolves the two into the profile).
        for (name, global, profile, nodes, want) in [
            ("not set percentageOfNodesToScore and nodes number not more than 50", 0, None, 10, 10),
            ("set profile percentageOfNodesToScore and nodes number not more than 50", 0, Some(40), 10, 10),
            ("not set percentageOfNodesToScore and nodes number more than 50", 0, None, 1000, 420),
            ("set profile percentageOfNodesToScore and nodes number more than 50", 0, Some(40), 1000, 400),
            ("set global and profile percentageOfNodesToScore and nodes number more than 50", 100, Some(40), 1000, 400),
            ("set global percentageOfNodesToScore and nodes number more than 50", 40, None, 1000, 400),
            ("not set profile percentageOfNodesToScore and nodes number more than 50*125", 0, None, 6000, 300),
            ("set profile percentageOfNodesToScore and nodes number more than 50*125", 0, Some(40), 6000, 2400),
        ] {
            assert_eq!(num_feasible_nodes_to_find(profile.unwrap_or(global), nodes), want, "{name}");
        }
    }

    /// A case of `TestDefaultNormalizeScore`.
    struct NormalizeCase {
        reverse: bool,
        scores: &'static [i64],
        expected_scores: &'static [i64],
    }

    /// `TestDefaultNormalizeScore` (plugins/helper/normalize_score_test.go),
    /// all 9 cases, each named `case_<index>` as upstream's `t.Run` names them.
    #[test]
    fn test_default_normalize_score() {
        let case = |reverse, scores, expected_scores| NormalizeCase { reverse, scores, expected_scores };
        let tests = [
            case(false, &[1, 2, 3, 4], &[25, 50, 75, 100]),
            case(true, &[1, 2, 3, 4], &[75, 50, 25, 0]),
            case(false, &[1000, 10, 20, 30], &[100, 1, 2, 3]),
            case(true, &[1000, 10, 20, 30], &[0, 99, 98, 97]),
            case(false, &[1, 1, 1, 1], &[100, 100, 100, 100]),
            case(false, &[1000, 1, 1, 1], &[100, 0, 0, 0]),
            case(true, &[0, 1, 1, 1], &[100, 0, 0, 0]),
            case(false, &[0, 0, 0, 0], &[0, 0, 0, 0]),
            case(true, &[0, 0, 0, 0], &[100, 100, 100, 100]),
        ];
        for (i, test) in tests.iter().enumerate() {
            let mut scores = test.scores.to_vec();
            default_normalize_score(MAX_NODE_SCORE, test.reverse, &mut scores);
            assert_eq!(scores, test.expected_scores, "case_{i}");
        }
    }

    #[test]
    fn the_unschedulable_message_reads_like_kube_schedulers() {
        let per_node = vec![
            vec!["Insufficient cpu".to_string()],
            vec!["Insufficient cpu".to_string()],
            vec!["Insufficient cpu".to_string()],
            vec!["node(s) had untolerated taint(s)".to_string()],
            vec!["node(s) had untolerated taint(s)".to_string()],
        ];
        // Sorted as strings, count first, as FitError.Error() does.
        assert_eq!(
            unschedulable_message(5, &per_node),
            "0/5 nodes are available: 2 node(s) had untolerated taint(s), 3 Insufficient cpu."
        );
        assert_eq!(
            preemption_clause(5, 2, 3),
            "preemption: 0/5 nodes are available: 2 Preemption is not helpful for scheduling, \
             3 No preemption victims found for incoming pod."
        );
        // "10 …" sorts before "2 …".
        let mut many = vec![vec!["Insufficient memory".to_string()]; 10];
        many.extend(vec![vec!["Insufficient cpu".to_string()]; 2]);
        assert_eq!(
            unschedulable_message(12, &many),
            "0/12 nodes are available: 10 Insufficient memory, 2 Insufficient cpu."
        );
    }
}
