//! PodTopologySpread (`plugins/podtopologyspread`): spreads matching pods
//! across topology domains (nodes, zones). A pod without constraints gets the
//! system defaults: hostname with maxSkew 3 and zone with maxSkew 5, both
//! ScheduleAnyway, counting pods with the pod's own labels.
//!
//! Filter (`filtering.go`), for DoNotSchedule constraints: the node must have
//! the topology key, and placing the pod there must keep
//! `matching pods in its domain (+1 for the pod itself) − global minimum ≤ maxSkew`.
//!
//! Score (`scoring.go`), for ScheduleAnyway constraints: raw =
//! Σ [matching pods in the node's domain × ln(domains + 2) + (maxSkew − 1)],
//! rounded; with its own constraints nodes lacking a key are ignored, with
//! the system defaults they count as one more domain and score nothing for
//! that key. Normalised as
//! `100 × (max + min − raw) / max`, so fewer matching pods score higher.
//!
//! Pods are counted over the registered nodes that have the key and pass the
//! pod's node selector and required affinity (the default node inclusion
//! policy) — for Filter, and for Score with the pod's own constraints, only
//! over nodes that have the keys of all its constraints of that kind
//! (`nodeLabelsMatchSpreadConstraints`); only pods of the pod's own namespace
//! count (`countPodsMatchSelector`), and terminating pods do not. The scheduler's cache keeps the
//! counts per domain, so a pod without a node selector or affinity reads
//! them as they are; one with them counts its own over the nodes it may use.

use std::collections::BTreeMap;

use crate::behaviours::scheduler::{Divisor, MAX_NODE_SCORE, PodInfo, Rejection, SchedulerCache};
use crate::model::kube::{
    LABEL_HOSTNAME, LABEL_ZONE, Labels, TopologySpreadConstraint, UnsatisfiableConstraintAction, selector_matches,
};

pub const REASON_SKEW: &str = "node(s) didn't match pod topology spread constraints";
pub const REASON_MISSING_LABEL: &str = "node(s) didn't match pod topology spread constraints (missing required label)";

/// The constraints in force for a pod with `labels`: its own, or when it has
/// none the system defaults.
pub fn constraints_for(labels: &Labels, own: Vec<TopologySpreadConstraint>) -> Vec<TopologySpreadConstraint> {
    if !own.is_empty() {
        return own;
    }
    let c = |key: &str, skew| TopologySpreadConstraint {
        max_skew: skew,
        topology_key: key.to_string(),
        when_unsatisfiable: UnsatisfiableConstraintAction::ScheduleAnyway,
        label_selector: labels.clone(),
    };
    vec![c(LABEL_HOSTNAME, 3), c(LABEL_ZONE, 5)]
}

/// One constraint in a cycle, with its counts per domain.
#[derive(Clone, Debug, Default)]
struct Counted {
    pair: u32,
    max_skew: i64,
    /// Counted for this pod over the nodes it may use, when it has a node
    /// selector or affinity; otherwise the cache's counts are read.
    own_counts: Option<Vec<i32>>,
    /// Filter: the pod matches its own selector (1) or not (0); and the global minimum.
    self_match: i64,
    min: i64,
    /// Score: ln(domains among the scored nodes + 2).
    weight: f64,
}

impl Counted {
    fn count(&self, cache: &SchedulerCache, domain: usize) -> i64 {
        match &self.own_counts {
            Some(c) => i64::from(c[domain]),
            None => i64::from(cache.spread_counts(self.pair).0[domain]),
        }
    }
}

/// What PreFilter and PreScore work out for a cycle (`preFilterState`, `preScoreState`).
#[derive(Clone, Debug, Default)]
pub struct CycleState {
    filter: Vec<Counted>,
    score: Vec<Counted>,
    /// Per scored node, whether it lacks a key of the pod's own constraints.
    ignored: Vec<bool>,
    /// Per domain, the last cycle that saw it (for counting distinct domains).
    pub(crate) seen: Vec<u64>,
    pub(crate) cycle: u64,
    /// Per scored node, its raw score before rounding.
    sums: Vec<f64>,
    /// The raw score of a domain count, for one constraint (see [`score_unignored`]).
    by_count: Vec<i64>,
    counted_nodes: CountedNodes,
}

/// Which nodes count for the spread of pods alike ([`PodInfo::alike`]) that
/// are limited to some nodes, as of the cache's membership generation. Such
/// a pod's spread is counted over the registered nodes its node selector and
/// required node affinity let it use (and that have every key of
/// `all_keys`), in every cycle; matching each node's labels again each time
/// would cost a cycle a pass of string comparisons over the whole cluster,
/// and adding up each node's pods a pass over every node. What stays while
/// no node joins or leaves is kept here: the nodes usable, and per (pair,
/// `all_keys`) which domains have a counted node, which domains count all
/// their registered nodes (their count is the cache's for the domain), and
/// the counted nodes of the other domains.
#[derive(Clone, Debug, Default)]
struct CountedNodes {
    usable: BTreeMap<u64, (u64, Vec<u32>)>,
    domains: BTreeMap<(u64, u32, Vec<u32>), (u64, Domains)>,
}

#[derive(Clone, Debug, Default)]
struct Domains {
    eligible: Vec<bool>,
    whole: Vec<u32>,
    partial: Vec<(u32, u32)>,
}

impl CountedNodes {
    /// Pods alike and (pod, pair) kept at most: each costs a list of nodes.
    const KEPT: usize = 256;

    /// The registered nodes the pod's node selector and required node affinity let it use.
    fn usable<'a>(usable: &'a mut BTreeMap<u64, (u64, Vec<u32>)>, pod: &PodInfo, cache: &SchedulerCache) -> &'a [u32] {
        let generation = cache.membership_generation();
        if usable.get(&pod.alike).is_none_or(|(g, _)| *g != generation) {
            if usable.len() >= Self::KEPT {
                usable.clear();
            }
            let nodes =
                cache.registered().iter().copied().filter(|&h| pod.node_matches(&cache.node(h as usize).labels));
            usable.insert(pod.alike, (generation, nodes.collect()));
        }
        &usable[&pod.alike].1
    }

    fn domains(&mut self, pod: &PodInfo, cache: &SchedulerCache, pair: u32, all_keys: &[u32]) -> &Domains {
        let generation = cache.membership_generation();
        let key = (pod.alike, pair, all_keys.to_vec());
        if self.domains.get(&key).is_none_or(|(g, _)| *g != generation) {
            if self.domains.len() >= Self::KEPT {
                self.domains.clear();
            }
            let nodes = if pod.has_node_constraints() {
                Self::usable(&mut self.usable, pod, cache)
            } else {
                cache.registered()
            };
            let n = cache.spread_domains(pair);
            let registered = cache.spread_counts(pair).1;
            let (mut eligible, mut counted_nodes) = (vec![false; n], vec![0u32; n]);
            let mut counted = Vec::with_capacity(nodes.len());
            for &h in nodes {
                let Some(d) = cache.spread_domain(pair, h as usize) else { continue };
                if all_keys.iter().any(|&p| cache.spread_domain(p, h as usize).is_none()) {
                    continue;
                }
                eligible[d] = true;
                counted_nodes[d] += 1;
                counted.push((h, d as u32));
            }
            let whole =
                (0..n).filter(|&d| eligible[d] && counted_nodes[d] == registered[d]).map(|d| d as u32).collect();
            counted.retain(|&(_, d)| counted_nodes[d as usize] < registered[d as usize]);
            self.domains.insert(key.clone(), (generation, Domains { eligible, whole, partial: counted }));
        }
        &self.domains[&key].1
    }
}

/// Counts per domain of `pair` over the registered nodes `pod` may use that
/// have every key of `all_keys`, and which domains have such a node. A
/// domain all of whose registered nodes count has the cache's count for the
/// whole domain (always so for a key such as `kubernetes.io/hostname`, a
/// domain per node); only the others add up their counted nodes' pods.
fn own_counts(
    pod: &PodInfo,
    cache: &SchedulerCache,
    pair: u32,
    all_keys: &[u32],
    memo: &mut CountedNodes,
) -> (Vec<i32>, Vec<bool>) {
    // A pod the cache has not prepared (alike 0) is matched afresh.
    let mut fresh = CountedNodes::default();
    let memo = if pod.alike == 0 { &mut fresh } else { memo };
    let domains = memo.domains(pod, cache, pair, all_keys);
    let whole = cache.spread_counts(pair).0;
    let mut counts = vec![0; domains.eligible.len()];
    for &d in &domains.whole {
        counts[d as usize] = whole[d as usize];
    }
    for &(h, d) in &domains.partial {
        counts[d as usize] += cache.spread_on_node(pair, h as usize) as i32;
    }
    (counts, domains.eligible.clone())
}

/// The pairs of the pod's constraints of one kind (`DoNotSchedule` or
/// `ScheduleAnyway`) when some node lacks one of their keys and there is more
/// than one: upstream counts only the nodes that have every key of them
/// (`nodeLabelsMatchSpreadConstraints`). Empty when no node is left out so.
fn all_keys(pod: &PodInfo, cache: &SchedulerCache, kind: UnsatisfiableConstraintAction) -> Vec<u32> {
    let pairs: Vec<u32> = (pod.spread.iter().zip(&pod.spread_counts))
        .filter(|(c, _)| c.when_unsatisfiable == kind)
        .map(|(_, &p)| p)
        .collect();
    if pairs.len() > 1 && pairs.iter().any(|&p| cache.spread_key_is_missing_somewhere(p)) { pairs } else { Vec::new() }
}

fn counted(
    pod: &PodInfo,
    cache: &SchedulerCache,
    k: usize,
    all_keys: &[u32],
    memo: &mut CountedNodes,
) -> (Counted, Option<Vec<bool>>) {
    let c = &pod.spread[k];
    let pair = pod.spread_counts[k];
    let (own, eligible) = if pod.has_node_constraints() || !all_keys.is_empty() {
        let (counts, eligible) = own_counts(pod, cache, pair, all_keys, memo);
        (Some(counts), Some(eligible))
    } else {
        (None, None)
    };
    let self_match = i64::from(selector_matches(&c.label_selector, &pod.labels));
    (Counted { pair, max_skew: c.max_skew, own_counts: own, self_match, min: 0, weight: 0.0 }, eligible)
}

/// Whether the pod has DoNotSchedule constraints for the filter to check.
pub fn filters(pod: &PodInfo) -> bool {
    pod.spread.iter().any(|c| c.when_unsatisfiable == UnsatisfiableConstraintAction::DoNotSchedule)
}

/// PreFilter: counts and the global minimum for each DoNotSchedule constraint.
pub fn pre_filter(pod: &PodInfo, cache: &SchedulerCache, state: &mut CycleState) {
    state.filter.clear();
    let all_keys = all_keys(pod, cache, UnsatisfiableConstraintAction::DoNotSchedule);
    for (k, c) in pod.spread.iter().enumerate() {
        if c.when_unsatisfiable != UnsatisfiableConstraintAction::DoNotSchedule {
            continue;
        }
        let (mut counted, eligible) = counted(pod, cache, k, &all_keys, &mut state.counted_nodes);
        let (counts, registered) = cache.spread_counts(counted.pair);
        counted.min = match &eligible {
            Some(e) => (0..e.len()).filter(|&d| e[d]).map(|d| counted.count(cache, d)).min(),
            None => (0..counts.len()).filter(|&d| registered[d] > 0).map(|d| i64::from(counts[d])).min(),
        }
        .unwrap_or(0);
        state.filter.push(counted);
    }
}

pub fn filter(state: &CycleState, cache: &SchedulerCache, h: usize) -> Option<Rejection> {
    for c in &state.filter {
        let Some(domain) = cache.spread_domain(c.pair, h) else {
            return Some(Rejection::SpreadMissingLabel);
        };
        if c.count(cache, domain) + c.self_match - c.min > c.max_skew {
            return Some(Rejection::SpreadSkew);
        }
    }
    None
}

/// PreScore over the nodes to score, in order: which are ignored, and each
/// ScheduleAnyway constraint's weight.
pub fn pre_score(pod: &PodInfo, cache: &SchedulerCache, feasible: &[u32], state: &mut CycleState) {
    state.score.clear();
    // requireAllTopologies: only a pod's own constraints count over the nodes that have all their keys.
    let all_keys =
        if pod.own_spread { all_keys(pod, cache, UnsatisfiableConstraintAction::ScheduleAnyway) } else { Vec::new() };
    for (k, c) in pod.spread.iter().enumerate() {
        if c.when_unsatisfiable == UnsatisfiableConstraintAction::ScheduleAnyway {
            state.score.push(counted(pod, cache, k, &all_keys, &mut state.counted_nodes).0);
        }
    }
    // requireAllTopologies: only a pod's own constraints ignore nodes without the keys.
    state.ignored.clear();
    let mut scored = feasible.len();
    if pod.own_spread {
        state.ignored.extend(
            feasible.iter().map(|&h| state.score.iter().any(|c| cache.spread_domain(c.pair, h as usize).is_none())),
        );
        scored -= state.ignored.iter().filter(|i| **i).count();
    } else {
        state.ignored.resize(feasible.len(), false);
    }
    // The number of domains among the scored nodes that are not ignored.
    for i in 0..state.score.len() {
        let pair = state.score[i].pair;
        if cache.spread_key_is_absent(pair) {
            continue;
        }
        if cache.spread_key_is_per_node(pair) {
            // One domain per node: as many domains as nodes scored.
            state.score[i].weight = topology_normalizing_weight(scored);
            continue;
        }
        let domain_of = cache.spread_domains_of(pair);
        let domains = cache.spread_domains(pair);
        if state.seen.len() < domains {
            state.seen.resize(domains, 0);
        }
        state.cycle += 1;
        let mut distinct = 0;
        // Scored nodes without the key, which only the system defaults leave
        // unignored, are one more domain: `initPreScoreState` reads their value
        // as "" ("Nodes with no zone are not excluded. They are considered a
        // separate zone.").
        let mut unlabelled = false;
        for (&h, &ignored) in feasible.iter().zip(&state.ignored) {
            let d = domain_of[h as usize];
            if ignored {
                continue;
            }
            if d == u32::MAX {
                unlabelled = true;
                continue;
            }
            if state.seen[d as usize] != state.cycle {
                state.seen[d as usize] = state.cycle;
                distinct += 1;
            }
        }
        state.score[i].weight = topology_normalizing_weight(distinct + usize::from(unlabelled));
    }
}

/// [`score`] for a pod whose constraints ignore no node, with the least and
/// greatest raw score as [`normalize`] takes them. With one constraint whose
/// key nodes have, a node's score follows from the count in its domain alone,
/// so each count's is worked out once.
pub fn score_unignored(
    state: &mut CycleState,
    cache: &SchedulerCache,
    feasible: &[u32],
    out: &mut Vec<i64>,
) -> (i64, i64) {
    let mut live = (0..state.score.len()).filter(|&i| !cache.spread_key_is_absent(state.score[i].pair));
    out.clear();
    if let (Some(only), None) = (live.next(), live.next()) {
        let c = &state.score[only];
        let domain_of = cache.spread_domains_of(c.pair);
        let counts = c.own_counts.as_deref().unwrap_or_else(|| cache.spread_counts(c.pair).0);
        let (weight, max_skew) = (c.weight, c.max_skew);
        // The raw score of each count below 64, once worked out (i64::MIN before).
        const UNSET: i64 = i64::MIN;
        let table = &mut state.by_count;
        table.clear();
        table.resize(64, UNSET);
        let (mut min, mut max) = (i64::MAX, 0);
        out.extend(feasible.iter().map(|&h| {
            let d = domain_of[h as usize];
            let raw = if d == u32::MAX {
                0
            } else {
                let count = i64::from(counts[d as usize]);
                match usize::try_from(count) {
                    Ok(i) if i < 64 => {
                        if table[i] == UNSET {
                            table[i] = round(score_for_count(count, max_skew, weight));
                        }
                        table[i]
                    }
                    _ => round(score_for_count(count, max_skew, weight)),
                }
            };
            min = min.min(raw);
            max = max.max(raw);
            raw
        }));
        return (min, max);
    }
    score(state, cache, feasible, out);
    out.iter().fold((i64::MAX, 0), |(lo, hi), &s| (lo.min(s), hi.max(s)))
}

/// The raw scores of the scored nodes, in order, into `out`.
pub fn score(state: &mut CycleState, cache: &SchedulerCache, feasible: &[u32], out: &mut Vec<i64>) {
    let sums = &mut state.sums;
    sums.clear();
    sums.resize(feasible.len(), 0.0);
    for c in &state.score {
        // A key no node has adds nothing anywhere.
        if cache.spread_key_is_absent(c.pair) {
            continue;
        }
        let domain_of = cache.spread_domains_of(c.pair);
        let counts = c.own_counts.as_deref().unwrap_or_else(|| cache.spread_counts(c.pair).0);
        for (sum, &h) in sums.iter_mut().zip(feasible) {
            let d = domain_of[h as usize];
            if d != u32::MAX {
                *sum += score_for_count(i64::from(counts[d as usize]), c.max_skew, c.weight);
            }
        }
    }
    out.clear();
    out.extend(sums.iter().zip(&state.ignored).map(|(&s, ignored)| if *ignored { 0 } else { round(s) }));
}

/// `topologyNormalizingWeight` (scoring.go): the weight of a constraint
/// whose key has `size` domains among the scored nodes, ln(size + 2), so
/// that a key with more domains weighs more.
pub fn topology_normalizing_weight(size: usize) -> f64 {
    libm::log((size + 2) as f64)
}

/// `scoreForCount` (scoring.go): what one constraint adds to a node's raw
/// score, `cnt` matching pods in its domain × the constraint's weight, plus
/// maxSkew − 1 so that a larger maxSkew evens the scores out.
pub fn score_for_count(cnt: i64, max_skew: i64, tp_weight: f64) -> f64 {
    cnt as f64 * tp_weight + (max_skew - 1) as f64
}

/// Go's `math.Round` (half away from zero) of a score.
pub fn round(s: f64) -> i64 {
    crate::engine::numbers::round(s) as i64
}

pub fn normalize(state: &CycleState, scores: &mut [i64]) {
    let live = scores.iter().zip(&state.ignored).filter(|(_, ig)| !**ig).map(|(s, _)| *s);
    let (min, max) = live.fold((i64::MAX, 0i64), |(lo, hi), s| (lo.min(s), hi.max(s)));
    let by = Divisor::new(max);
    for (s, ignored) in scores.iter_mut().zip(&state.ignored) {
        if *ignored {
            *s = 0;
        } else if max == 0 {
            *s = MAX_NODE_SCORE;
        } else {
            *s = by.divide(MAX_NODE_SCORE * (max + min - *s));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::behaviours::scheduler::NodeInfo;
    use crate::model::kube::{
        NodeAffinity, NodeSelectorTerm, Requirement, SelectorOperator, TAINT_UNSCHEDULABLE, Taint, TaintEffect,
    };

    fn app() -> Labels {
        [("app".to_string(), "web".to_string())].into_iter().collect()
    }

    /// A cache with nodes (name, zone, web pods on it), all registered.
    fn cluster(nodes: &[(&str, &str, usize)]) -> SchedulerCache {
        let mut cache = SchedulerCache::new(Vec::new());
        let mut web = PodInfo { labels: app(), ..PodInfo::default() };
        cache.prepare(&mut web);
        for (h, (name, zone, pods)) in nodes.iter().enumerate() {
            let labels: Labels =
                [(LABEL_HOSTNAME.to_string(), name.to_string()), (LABEL_ZONE.to_string(), zone.to_string())]
                    .into_iter()
                    .collect();
            cache.add_node(NodeInfo { name: name.to_string(), labels, ..NodeInfo::default() });
            cache.set_registered(h, true);
            for _ in 0..*pods {
                cache.add_pod(h, &web, true);
            }
        }
        cache
    }

    fn web(cache: &mut SchedulerCache, own: Vec<TopologySpreadConstraint>) -> PodInfo {
        let mut pod = PodInfo { labels: app(), ..PodInfo::default() }.with_spread_constraints(own);
        cache.prepare(&mut pod);
        pod
    }

    /// The labels `pairs`.
    fn labels<'a>(pairs: impl IntoIterator<Item = &'a (&'a str, &'a str)>) -> Labels {
        pairs.into_iter().map(|&(k, v)| (k.to_string(), v.to_string())).collect()
    }

    /// Labels `keys`, each with the empty value as upstream's tables mostly
    /// give them (`Label("foo", "")`), or the value after `=`.
    fn keys(keys: &[&str]) -> Labels {
        keys.iter().map(|k| k.split_once('=').unwrap_or((k, ""))).map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    const FOO: &[&str] = &["foo"];
    const BAR: &[&str] = &["bar"];
    const FOO_BAR: &[&str] = &["foo", "bar"];

    /// A node of an upstream table; `tainted`: it carries upstream's `taints`
    /// (`node.kubernetes.io/unschedulable:NoSchedule`).
    struct Node {
        name: &'static str,
        labels: &'static [(&'static str, &'static str)],
        tainted: bool,
    }

    const fn node(name: &'static str, labels: &'static [(&'static str, &'static str)]) -> Node {
        Node { name, labels, tainted: false }
    }

    /// `count` existing pods on `node` with labels `labels` (upstream lists
    /// them one by one), of `namespace` (upstream's default where empty),
    /// `terminating` as `Terminating()` makes them.
    struct Existing {
        node: &'static str,
        labels: &'static [&'static str],
        count: usize,
        namespace: &'static str,
        terminating: bool,
    }

    const fn pods(node: &'static str, labels: &'static [&'static str], count: usize) -> Existing {
        Existing { node, labels, count, namespace: "", terminating: false }
    }

    /// The pod to place. Each constraint is (maxSkew, topologyKey, selector);
    /// upstream's `fooSelector` and `barSelector` are `Exists("foo")` and
    /// `Exists("bar")`, here the matchLabels `foo: ""` and `bar: ""`, which
    /// match the same pods, as every existing pod of the tables has the empty
    /// value; labels and selectors are given by key, `key=value` for others. An
    /// empty selector matches no pod, as upstream's null one. No constraint at
    /// all: the system defaults. The affinity is one required term of one
    /// requirement.
    struct Incoming {
        labels: &'static [&'static str],
        node_selector: &'static [(&'static str, &'static str)],
        affinity: Option<(&'static str, SelectorOperator, &'static [&'static str])>,
        constraints: &'static [(i64, &'static str, &'static [&'static str])],
        /// Constraints of the other kind (DoNotSchedule where the table's are ScheduleAnyway).
        others: &'static [(i64, &'static str, &'static [&'static str])],
    }

    const fn pod(
        labels: &'static [&'static str],
        constraints: &'static [(i64, &'static str, &'static [&'static str])],
    ) -> Incoming {
        Incoming { labels, node_selector: &[], affinity: None, constraints, others: &[] }
    }

    /// A cache holding `nodes`, all registered, and the `existing` pods.
    fn snapshot(nodes: &[&Node], existing: &[Existing]) -> SchedulerCache {
        let mut cache = SchedulerCache::new(Vec::new());
        for (h, n) in nodes.iter().enumerate() {
            let taints = if n.tainted {
                vec![Taint { key: TAINT_UNSCHEDULABLE.into(), value: String::new(), effect: TaintEffect::NoSchedule }]
            } else {
                Vec::new()
            };
            cache.add_node(NodeInfo { name: n.name.into(), labels: labels(n.labels), taints, ..NodeInfo::default() });
            cache.set_registered(h, true);
        }
        for e in existing {
            let h = nodes.iter().position(|n| n.name == e.node).expect("a node of the table");
            let mut pod = PodInfo { namespace: e.namespace.into(), labels: keys(e.labels), ..PodInfo::default() };
            cache.prepare(&mut pod);
            for _ in 0..e.count {
                cache.add_pod(h, &pod, !e.terminating);
            }
        }
        cache
    }

    /// The pod to place, its constraints all `action`, prepared in `cache`.
    fn incoming(cache: &mut SchedulerCache, pod: &Incoming, action: UnsatisfiableConstraintAction) -> PodInfo {
        let other = match action {
            UnsatisfiableConstraintAction::ScheduleAnyway => UnsatisfiableConstraintAction::DoNotSchedule,
            UnsatisfiableConstraintAction::DoNotSchedule => UnsatisfiableConstraintAction::ScheduleAnyway,
        };
        let constraints = (pod.others.iter().map(|c| (c, other)))
            .chain(pod.constraints.iter().map(|c| (c, action)))
            .map(|(&(max_skew, key, selector), when_unsatisfiable)| TopologySpreadConstraint {
                max_skew,
                topology_key: key.into(),
                when_unsatisfiable,
                label_selector: keys(selector),
            })
            .collect();
        let required = pod.affinity.iter().map(|&(key, operator, values)| NodeSelectorTerm {
            match_expressions: vec![Requirement {
                key: key.into(),
                operator,
                values: values.iter().map(|v| v.to_string()).collect(),
            }],
        });
        let mut p =
            PodInfo { labels: keys(pod.labels), node_selector: labels(pod.node_selector), ..PodInfo::default() }
                .with_affinity(NodeAffinity { required: required.collect(), preferred: Vec::new() })
                .with_spread_constraints(constraints);
        cache.prepare(&mut p);
        p
    }

    fn scores(pod: &PodInfo, cache: &SchedulerCache, feasible: &[u32]) -> (Vec<i64>, Vec<i64>) {
        let mut state = CycleState::default();
        pre_score(pod, cache, feasible, &mut state);
        let mut raw = Vec::new();
        score(&mut state, cache, feasible, &mut raw);
        let mut normalized = raw.clone();
        normalize(&state, &mut normalized);
        (raw, normalized)
    }

    #[test]
    fn system_defaults_prefer_emptier_nodes_and_zones() {
        // Three nodes: n1 (zone a, 2 web pods), n2 (zone a, 0), n3 (zone b, 0).
        // Hostname weight ln(3 + 2) ≈ 1.609, zone weight ln(2 + 2) ≈ 1.386.
        // n1: 2·1.609 + 2 + 2·1.386 + 4 = 11.99 → 12; n2: 0 + 2 + 2.77 + 4 = 8.77 → 9; n3: 0 + 2 + 0 + 4 = 6.
        // Normalised: 100·(12 + 6 − s)/12 → n1 50, n2 75, n3 100.
        let mut cache = cluster(&[("n1", "a", 2), ("n2", "a", 0), ("n3", "b", 0)]);
        let pod = web(&mut cache, Vec::new());
        assert_eq!(scores(&pod, &cache, &[0, 1, 2]), (vec![12, 9, 6], vec![50, 75, 100]));
    }

    /// A case of `TestPreScoreStateEmptyNodes`: every node is scored, none
    /// has pods; what PreScore works out of them.
    struct PreScoreCase {
        name: &'static str,
        pod: Incoming,
        nodes: &'static [Node],
        /// `TopologyNormalizingWeight`, as the sizes given to `topologyNormalizingWeight`.
        weights: &'static [usize],
        ignored: &'static [&'static str],
    }

    /// `TestPreScoreStateEmptyNodes` (scoring_test.go): 8 of its 12 cases,
    /// comparing the normalizing weights and the ignored nodes (with no pods,
    /// upstream's `TopologyValueToPodCounts` are all 0). In "system default
    /// constraints and a replicaset" the system defaults select the pod's own
    /// labels where upstream takes the ReplicaSet's selector, which changes no
    /// weight. Left out, for the machinery Flotilla does not model: "default
    /// constraints and a replicaset" (default constraints configured as a
    /// list), "NodeAffinityPolicy ignored with labelSelectors" and
    /// "NodeAffinityPolicy ignored with nodeAffinity" (nodeAffinityPolicy
    /// Ignore), "NodeTaintsPolicy honored" (nodeTaintsPolicy Honor).
    #[test]
    fn test_pre_score_state_empty_nodes() {
        const H: &str = LABEL_HOSTNAME;
        const CASES: &[PreScoreCase] = &[
            PreScoreCase {
                name: "normal case",
                pod: pod(FOO, &[(1, "zone", FOO), (1, H, FOO)]),
                nodes: THREE_NODES,
                weights: &[2, 3],
                ignored: &[],
            },
            PreScoreCase {
                name: "null selector",
                pod: pod(FOO, &[(1, "zone", &[])]),
                nodes: THREE_NODES,
                weights: &[2],
                ignored: &[],
            },
            PreScoreCase {
                name: "node-x doesn't have label zone",
                pod: pod(FOO, &[(1, "zone", FOO), (1, H, BAR)]),
                nodes: &[
                    node("node-a", &[("zone", "zone1"), (H, "node-a")]),
                    node("node-b", &[("zone", "zone1"), (H, "node-b")]),
                    node("node-x", &[(H, "node-x")]),
                ],
                weights: &[1, 2],
                ignored: &["node-x"],
            },
            PreScoreCase {
                name: "system default constraints and a replicaset",
                pod: pod(&["foo=tar", "baz=sup"], &[]),
                nodes: &[
                    node("node-a", &[(H, "node-a"), (LABEL_ZONE, "mars")]),
                    node("node-b", &[(H, "node-b"), (LABEL_ZONE, "mars")]),
                    node("node-c", &[(H, "node-c")]),
                    node("node-d", &[(H, "node-d")]),
                ],
                weights: &[4, 2],
                ignored: &[],
            },
            PreScoreCase {
                name: "default constraints and a replicaset, but pod has constraints",
                pod: Incoming {
                    others: &[(1, "zone", BAR)],
                    ..pod(&["foo=bar", "baz=sup"], &[(2, "planet", &["baz=sup"])])
                },
                nodes: &[node("node-a", &[("planet", "mars"), ("galaxy", "andromeda")])],
                weights: &[1],
                ignored: &[],
            },
            PreScoreCase {
                name: "NodeAffinityPolicy honored with labelSelectors",
                pod: Incoming { node_selector: &[("foo", "")], ..pod(FOO, &[(1, "zone", BAR)]) },
                nodes: FOO_ON_AB,
                weights: &[2],
                ignored: &[],
            },
            PreScoreCase {
                name: "NodeAffinityPolicy honored with nodeAffinity",
                pod: Incoming { affinity: Some(("foo", SelectorOperator::In, &[""])), ..pod(FOO, &[(1, "zone", BAR)]) },
                nodes: FOO_ON_AB,
                weights: &[2],
                ignored: &[],
            },
            PreScoreCase {
                name: "NodeTaintsPolicy ignored",
                pod: pod(FOO, &[(1, "zone", BAR)]),
                nodes: &[
                    node("node-a", &[("zone", "zone1"), ("foo", ""), (H, "node-a")]),
                    node("node-b", &[("zone", "zone1"), ("foo", ""), (H, "node-b")]),
                    Node { tainted: true, ..node("node-x", &[("zone", "zone2"), (H, "node-x")]) },
                ],
                weights: &[2],
                ignored: &[],
            },
        ];
        const THREE_NODES: &[Node] = &[
            node("node-a", &[("zone", "zone1"), (H, "node-a")]),
            node("node-b", &[("zone", "zone1"), (H, "node-b")]),
            node("node-x", &[("zone", "zone2"), (H, "node-x")]),
        ];
        const FOO_ON_AB: &[Node] = &[
            node("node-a", &[("zone", "zone1"), ("foo", ""), (H, "node-a")]),
            node("node-b", &[("zone", "zone1"), ("foo", ""), (H, "node-b")]),
            node("node-x", &[("zone", "zone2"), (H, "node-x")]),
        ];
        for case in CASES {
            let all: Vec<&Node> = case.nodes.iter().collect();
            let mut cache = snapshot(&all, &[]);
            let pod = incoming(&mut cache, &case.pod, UnsatisfiableConstraintAction::ScheduleAnyway);
            let feasible: Vec<u32> = (0..case.nodes.len() as u32).collect();
            let mut state = CycleState::default();
            pre_score(&pod, &cache, &feasible, &mut state);
            let weights: Vec<f64> = state.score.iter().map(|c| c.weight).collect();
            let want: Vec<f64> = case.weights.iter().map(|&size| topology_normalizing_weight(size)).collect();
            assert_eq!(weights, want, "{}", case.name);
            let ignored: Vec<&str> =
                case.nodes.iter().zip(&state.ignored).filter(|(_, ig)| **ig).map(|(n, _)| n.name).collect();
            assert_eq!(ignored, case.ignored, "{}", case.name);
        }
    }

    /// A case of `TestPodTopologySpreadScore`: `nodes` are scored, `failed_nodes`
    /// are registered but did not pass the filters.
    struct ScoreCase {
        name: &'static str,
        pod: Incoming,
        existing: &'static [Existing],
        nodes: &'static [Node],
        failed_nodes: &'static [Node],
        want: &'static [i64],
    }

    /// PreScore, Score and NormalizeScore over the scored nodes, as upstream's
    /// loop calls them. Where no node is ignored the framework takes
    /// [`score_unignored`], which must give the same raw scores.
    fn run_score(case: &ScoreCase) -> Vec<i64> {
        let all: Vec<&Node> = case.nodes.iter().chain(case.failed_nodes).collect();
        let mut cache = snapshot(&all, case.existing);
        let pod = incoming(&mut cache, &case.pod, UnsatisfiableConstraintAction::ScheduleAnyway);
        let feasible: Vec<u32> = (0..case.nodes.len() as u32).collect();
        let mut state = CycleState::default();
        pre_score(&pod, &cache, &feasible, &mut state);
        let mut raw = Vec::new();
        score(&mut state, &cache, &feasible, &mut raw);
        if !state.ignored.contains(&true) {
            let mut unignored = Vec::new();
            let bounds = score_unignored(&mut state, &cache, &feasible, &mut unignored);
            assert_eq!(unignored, raw, "{}", case.name);
            let (min, max) = (raw.iter().min().copied().unwrap_or(i64::MAX), raw.iter().max().copied().unwrap_or(0));
            assert_eq!(bounds, (min, max), "{}", case.name);
        }
        normalize(&state, &mut raw);
        raw
    }

    /// `TestPodTopologySpreadScore` (scoring_test.go): 21 of its 28 cases.
    /// The system defaults select the pods with the pod's own labels, where
    /// upstream takes the selector of the Service that selects the pod; in
    /// "system defaulting, nodes don't have zone, pods match service" the
    /// Service selects `foo: ""`, the pod's own labels. Left out, for the
    /// machinery Flotilla does not model:
    /// - "minDomains has no effect when ScheduleAnyway": a constraint's minDomains.
    /// - "NodeAffinityPolicy ignored with labelSelectors", "NodeAffinityPolicy
    ///   ignored with nodeAffinity": nodeAffinityPolicy (Flotilla always honours
    ///   the pod's node selector and required affinity, upstream's default).
    /// - "NodeTaintsPolicy honored": nodeTaintsPolicy (Flotilla never counts
    ///   taints, upstream's default).
    /// - "matchLabelKeys ignored when feature gate disabled", "matchLabelKeys
    ///   ANDed with LabelSelector when LabelSelector is empty", "matchLabelKeys
    ///   ANDed with LabelSelector when LabelSelector isn't empty": matchLabelKeys.
    #[test]
    fn test_pod_topology_spread_score() {
        const H: &str = LABEL_HOSTNAME;
        const CASES: &[ScoreCase] = &[
            ScoreCase {
                name: "one constraint on node, no existing pods",
                pod: pod(FOO, &[(1, H, FOO)]),
                existing: &[],
                nodes: &[node("node-a", &[(H, "node-a")]), node("node-b", &[(H, "node-b")])],
                failed_nodes: &[],
                want: &[100, 100],
            },
            ScoreCase {
                name: "one constraint on node, only one node is candidate",
                pod: pod(FOO, &[(1, H, FOO)]),
                existing: &[pods("node-a", FOO, 2), pods("node-b", FOO, 1)],
                nodes: &[node("node-a", &[(H, "node-a")])],
                failed_nodes: &[node("node-b", &[(H, "node-b")])],
                want: &[100],
            },
            ScoreCase {
                name: "one constraint on node, all nodes have the same number of matching pods",
                pod: pod(FOO, &[(1, H, FOO)]),
                existing: &[pods("node-a", FOO, 1), pods("node-b", FOO, 1)],
                nodes: &[node("node-a", &[(H, "node-a")]), node("node-b", &[(H, "node-b")])],
                failed_nodes: &[],
                want: &[100, 100],
            },
            ScoreCase {
                name: "one constraint on node, all 4 nodes are candidates",
                pod: pod(FOO, &[(1, H, FOO)]),
                existing: &[pods("node-a", FOO, 2), pods("node-b", FOO, 1), pods("node-d", FOO, 3)],
                nodes: HOSTS_ABCD,
                failed_nodes: &[],
                want: &[20, 60, 100, 0],
            },
            ScoreCase {
                name: "one constraint on node, null selector",
                pod: pod(FOO, &[(1, H, &[])]),
                existing: &[pods("node-a", FOO, 2), pods("node-b", FOO, 1), pods("node-d", FOO, 3)],
                nodes: HOSTS_ABCD,
                failed_nodes: &[],
                want: &[100, 100, 100, 100],
            },
            ScoreCase {
                name: "one constraint on node, all 4 nodes are candidates, maxSkew=2",
                pod: pod(FOO, &[(2, H, FOO)]),
                existing: &[pods("node-a", FOO, 2), pods("node-b", FOO, 1), pods("node-d", FOO, 3)],
                nodes: HOSTS_ABCD,
                failed_nodes: &[],
                want: &[33, 66, 100, 16],
            },
            ScoreCase {
                name: "one constraint on node, all 4 nodes are candidates, maxSkew=3",
                pod: pod(FOO, &[(3, H, FOO)]),
                existing: SPREAD_4321,
                nodes: HOSTS_ABCD,
                failed_nodes: &[],
                want: &[44, 66, 77, 100],
            },
            ScoreCase {
                name: "system defaulting, nodes don't have zone, pods match service",
                pod: pod(FOO, &[]),
                existing: SPREAD_4321,
                nodes: HOSTS_ABCD,
                failed_nodes: &[],
                want: &[44, 66, 77, 100],
            },
            ScoreCase {
                name: "one constraint on node, 3 out of 4 nodes are candidates",
                pod: pod(FOO, &[(1, H, FOO)]),
                existing: SPREAD_4213,
                nodes: &[
                    node("node-a", &[(H, "node-a")]),
                    node("node-b", &[(H, "node-b")]),
                    node("node-x", &[(H, "node-x")]),
                ],
                failed_nodes: &[node("node-y", &[(H, "node-y")])],
                want: &[33, 83, 100],
            },
            ScoreCase {
                name: "one constraint on node, 3 out of 4 nodes are candidates, one node doesn't match topology key",
                pod: pod(FOO, &[(1, H, FOO)]),
                existing: SPREAD_4213,
                nodes: &[
                    node("node-a", &[(H, "node-a")]),
                    node("node-b", &[("n", "node-b")]),
                    node("node-x", &[(H, "node-x")]),
                ],
                failed_nodes: &[node("node-y", &[(H, "node-y")])],
                want: &[16, 0, 100],
            },
            ScoreCase {
                name: "one constraint on zone, 3 out of 4 nodes are candidates",
                pod: pod(FOO, &[(1, "zone", FOO)]),
                existing: SPREAD_4213,
                nodes: &[
                    node("node-a", &[("zone", "zone1"), (H, "node-a")]),
                    node("node-b", &[("zone", "zone1"), (H, "node-b")]),
                    node("node-x", &[("zone", "zone2"), (H, "node-x")]),
                ],
                failed_nodes: &[node("node-y", &[("zone", "zone2"), (H, "node-y")])],
                want: &[75, 75, 100],
            },
            ScoreCase {
                name: "two Constraints on zone and node, 2 out of 4 nodes are candidates",
                pod: pod(FOO, &[(1, "zone", FOO), (1, H, FOO)]),
                existing: &[
                    pods("node-a", FOO, 2),
                    pods("node-b", FOO, 1),
                    pods("node-x", FOO, 2),
                    pods("node-y", FOO, 4),
                ],
                nodes: &[
                    node("node-a", &[("zone", "zone1"), (H, "node-a")]),
                    node("node-x", &[("zone", "zone2"), (H, "node-x")]),
                ],
                failed_nodes: &[
                    node("node-b", &[("zone", "zone1"), (H, "node-b")]),
                    node("node-y", &[("zone", "zone2"), (H, "node-y")]),
                ],
                want: &[100, 63],
            },
            ScoreCase {
                name: "two Constraints on zone, 2 out of 4 nodes are candidates",
                pod: pod(FOO_BAR, &[(1, "zone", FOO), (1, "zone", BAR)]),
                existing: &[
                    pods("node-a", FOO_BAR, 1),
                    pods("node-a", FOO, 1),
                    pods("node-b", FOO_BAR, 1),
                    pods("node-y", FOO, 2),
                    pods("node-y", FOO_BAR, 1),
                ],
                nodes: &[node("node-a", &[("zone", "zone1")]), node("node-x", &[("zone", "zone2")])],
                failed_nodes: &[node("node-b", &[("zone", "zone1")]), node("node-y", &[("zone", "zone2")])],
                want: &[85, 100],
            },
            ScoreCase {
                name: "two Constraints on zone and node, with different labelSelectors",
                pod: pod(FOO_BAR, &[(1, "zone", FOO), (1, H, BAR)]),
                existing: FOO_BAR_SPREAD,
                nodes: ZONED_HOSTS,
                failed_nodes: &[],
                want: &[60, 20, 100, 60],
            },
            ScoreCase {
                name: "two Constraints on zone and node, with different labelSelectors, some nodes have 0 pods",
                pod: pod(FOO_BAR, &[(1, "zone", FOO), (1, H, BAR)]),
                existing: &[pods("node-b", BAR, 1), pods("node-x", FOO, 1), pods("node-y", FOO_BAR, 1)],
                nodes: ZONED_HOSTS,
                failed_nodes: &[],
                want: &[100, 60, 40, 0],
            },
            ScoreCase {
                name: "two Constraints on zone and node, with different labelSelectors, 3 out of 4 nodes are candidates",
                pod: pod(FOO_BAR, &[(1, "zone", FOO), (1, H, BAR)]),
                existing: FOO_BAR_SPREAD,
                nodes: ZONED_HOSTS.split_at(3).0,
                failed_nodes: ZONED_HOSTS.split_at(3).1,
                want: &[50, 25, 100],
            },
            ScoreCase {
                name: "existing pods in a different namespace do not count",
                pod: pod(FOO, &[(1, H, FOO)]),
                existing: &[
                    Existing { namespace: "ns1", ..pods("node-a", FOO, 1) },
                    pods("node-a", FOO, 1),
                    pods("node-b", FOO, 2),
                ],
                nodes: &[node("node-a", &[(H, "node-a")]), node("node-b", &[(H, "node-b")])],
                failed_nodes: &[],
                want: &[100, 33],
            },
            ScoreCase {
                name: "terminating Pods should be excluded",
                pod: pod(FOO, &[(1, H, FOO)]),
                existing: &[Existing { terminating: true, ..pods("node-a", FOO, 1) }, pods("node-b", FOO, 1)],
                nodes: &[node("node-a", &[(H, "node-a")]), node("node-b", &[(H, "node-b")])],
                failed_nodes: &[],
                want: &[100, 0],
            },
            ScoreCase {
                name: "NodeAffinityPolicy honoed with labelSelectors",
                pod: Incoming { node_selector: &[("foo", "")], ..pod(FOO, &[(1, "node", FOO)]) },
                existing: SPREAD_211,
                nodes: FOO_ON_AB,
                failed_nodes: &[],
                want: &[0, 33, 100],
            },
            ScoreCase {
                name: "NodeAffinityPolicy honoed with nodeAffinity",
                pod: Incoming { affinity: Some(("foo", SelectorOperator::In, &[""])), ..pod(FOO, &[(1, "node", FOO)]) },
                existing: SPREAD_211,
                nodes: FOO_ON_AB,
                failed_nodes: &[],
                want: &[0, 33, 100],
            },
            ScoreCase {
                name: "NodeTaintsPolicy ignored",
                pod: pod(FOO, &[(1, "node", FOO)]),
                existing: SPREAD_211,
                nodes: &[
                    node("node-a", &[("node", "node-a")]),
                    node("node-b", &[("node", "node-b")]),
                    Node { tainted: true, ..node("node-c", &[("node", "node-c")]) },
                ],
                failed_nodes: &[],
                want: &[66, 100, 100],
            },
        ];
        const HOSTS_ABCD: &[Node] = &[
            node("node-a", &[(H, "node-a")]),
            node("node-b", &[(H, "node-b")]),
            node("node-c", &[(H, "node-c")]),
            node("node-d", &[(H, "node-d")]),
        ];
        const ZONED_HOSTS: &[Node] = &[
            node("node-a", &[("zone", "zone1"), (H, "node-a")]),
            node("node-b", &[("zone", "zone1"), (H, "node-b")]),
            node("node-x", &[("zone", "zone2"), (H, "node-x")]),
            node("node-y", &[("zone", "zone2"), (H, "node-y")]),
        ];
        const FOO_ON_AB: &[Node] = &[
            node("node-a", &[("node", "node-a"), ("foo", "")]),
            node("node-b", &[("node", "node-b"), ("foo", "")]),
            node("node-c", &[("node", "node-c")]),
        ];
        const SPREAD_4321: &[Existing] =
            &[pods("node-a", FOO, 4), pods("node-b", FOO, 3), pods("node-c", FOO, 2), pods("node-d", FOO, 1)];
        const SPREAD_4213: &[Existing] =
            &[pods("node-a", FOO, 4), pods("node-b", FOO, 2), pods("node-x", FOO, 1), pods("node-y", FOO, 3)];
        const SPREAD_211: &[Existing] = &[pods("node-a", FOO, 2), pods("node-b", FOO, 1), pods("node-c", FOO, 1)];
        const FOO_BAR_SPREAD: &[Existing] =
            &[pods("node-a", FOO, 1), pods("node-b", FOO_BAR, 1), pods("node-y", FOO, 1), pods("node-y", BAR, 1)];
        for case in CASES {
            assert_eq!(run_score(case), case.want, "{}", case.name);
        }
    }

    /// A Filter verdict as upstream's status codes name it.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum Code {
        Success,
        Unschedulable,
        UnschedulableAndUnresolvable,
    }

    /// A case of `TestSingleConstraint` or `TestMultipleConstraints`; `want`
    /// per node, in order.
    struct FilterCase {
        name: &'static str,
        pod: Incoming,
        nodes: &'static [Node],
        existing: &'static [Existing],
        want: &'static [Code],
    }

    /// PreFilter over all nodes, then Filter on each, as upstream's loop calls them.
    fn run_filter(case: &FilterCase) -> Vec<Code> {
        let all: Vec<&Node> = case.nodes.iter().collect();
        let mut cache = snapshot(&all, case.existing);
        let pod = incoming(&mut cache, &case.pod, UnsatisfiableConstraintAction::DoNotSchedule);
        assert!(filters(&pod), "{}", case.name);
        let mut state = CycleState::default();
        pre_filter(&pod, &cache, &mut state);
        (0..case.nodes.len())
            .map(|h| match filter(&state, &cache, h) {
                None => Code::Success,
                Some(r) if r.unresolvable() => Code::UnschedulableAndUnresolvable,
                Some(_) => Code::Unschedulable,
            })
            .collect()
    }

    /// node-a and node-b in zone1, node-x and node-y in zone2, each named by its `node` label.
    const ZONES: &[Node] = &[
        node("node-a", &[("zone", "zone1"), ("node", "node-a")]),
        node("node-b", &[("zone", "zone1"), ("node", "node-b")]),
        node("node-x", &[("zone", "zone2"), ("node", "node-x")]),
        node("node-y", &[("zone", "zone2"), ("node", "node-y")]),
    ];
    /// Matching pods spread as 2/1/0/3 over `ZONES`.
    const SPREAD_2103: &[Existing] = &[pods("node-a", FOO, 2), pods("node-b", FOO, 1), pods("node-y", FOO, 3)];

    /// `TestSingleConstraint` (filtering_test.go): 16 of its 23 cases. Left
    /// out, for the machinery Flotilla does not model:
    /// - "pods spread across nodes as 2/2/1, maxSkew is 2, and the number of
    ///   domains < minDomains, then the third node fits", "pods spread across
    ///   nodes as 2/2/1, maxSkew is 2, and the number of domains > minDomains,
    ///   then the all nodes fit", "pods spread across zone as 2/1, maxSkew is 2
    ///   and the number of domains < minDomains, then the third and fourth
    ///   nodes fit", "pods spread across zone as 2/1, maxSkew is 2 and the
    ///   number of domains > minDomains, then the all nodes fit": minDomains.
    /// - "NodeAffinityPolicy ignored with labelSelectors" (upstream has two
    ///   cases of that name, one with a node selector, one with node affinity):
    ///   nodeAffinityPolicy Ignore.
    /// - "NodeTaintsPolicy honored": nodeTaintsPolicy Honor.
    #[test]
    fn test_single_constraint() {
        use Code::*;
        const CASES: &[FilterCase] = &[
            FilterCase {
                name: "no existing pods",
                pod: pod(FOO, &[(1, "zone", FOO)]),
                nodes: ZONES,
                existing: &[],
                want: &[Success, Success, Success, Success],
            },
            FilterCase {
                name: "no existing pods, incoming pod doesn't match itself",
                pod: pod(FOO, &[(1, "zone", BAR)]),
                nodes: ZONES,
                existing: &[],
                want: &[Success, Success, Success, Success],
            },
            FilterCase {
                name: "existing pods in a different namespace do not count",
                pod: pod(FOO, &[(1, "zone", FOO)]),
                nodes: ZONES,
                existing: &[
                    Existing { namespace: "ns1", ..pods("node-a", FOO, 1) },
                    Existing { namespace: "ns2", ..pods("node-a", FOO, 1) },
                    pods("node-x", FOO, 1),
                    pods("node-y", FOO, 1),
                ],
                want: &[Success, Success, Unschedulable, Unschedulable],
            },
            FilterCase {
                name: "existing pods do not match null selector",
                pod: pod(FOO, &[(1, "zone", &[])]),
                nodes: ZONES,
                existing: &[pods("node-x", FOO, 1), pods("node-y", FOO, 1)],
                want: &[Success, Success, Success, Success],
            },
            FilterCase {
                name: "pods spread across zones as 3/3, all nodes fit",
                pod: pod(FOO, &[(1, "zone", FOO)]),
                nodes: ZONES,
                existing: SPREAD_2103,
                want: &[Success, Success, Success, Success],
            },
            FilterCase {
                name: "pods spread across zones as 1/2 due to absence of label 'zone' on node-b",
                pod: pod(FOO, &[(1, "zone", FOO)]),
                nodes: &[
                    node("node-a", &[("zone", "zone1"), ("node", "node-a")]),
                    node("node-b", &[("zon", "zone1"), ("node", "node-b")]),
                    node("node-x", &[("zone", "zone2"), ("node", "node-x")]),
                    node("node-y", &[("zone", "zone2"), ("node", "node-y")]),
                ],
                existing: &[
                    pods("node-a", FOO, 1),
                    pods("node-b", FOO, 1),
                    pods("node-x", FOO, 1),
                    pods("node-y", FOO, 1),
                ],
                want: &[Success, UnschedulableAndUnresolvable, Unschedulable, Unschedulable],
            },
            FilterCase {
                name: "pod cannot be scheduled as all nodes don't have label 'rack'",
                pod: pod(FOO, &[(1, "rack", FOO)]),
                nodes: &[
                    node("node-a", &[("zone", "zone1"), ("node", "node-a")]),
                    node("node-x", &[("zone", "zone2"), ("node", "node-x")]),
                ],
                existing: &[],
                want: &[UnschedulableAndUnresolvable, UnschedulableAndUnresolvable],
            },
            FilterCase {
                name: "pods spread across nodes as 2/1/0/3, only node-x fits",
                pod: pod(FOO, &[(1, "node", FOO)]),
                nodes: ZONES,
                existing: SPREAD_2103,
                want: &[Unschedulable, Unschedulable, Success, Unschedulable],
            },
            FilterCase {
                name: "pods spread across nodes as 2/1/0/3, maxSkew is 2, node-b and node-x fit",
                pod: pod(FOO, &[(2, "node", FOO)]),
                nodes: ZONES,
                existing: SPREAD_2103,
                want: &[Unschedulable, Success, Success, Unschedulable],
            },
            FilterCase {
                name: "pods spread across nodes as 2/1/0/3, but pod doesn't match itself",
                pod: pod(BAR, &[(1, "node", FOO)]),
                nodes: ZONES,
                existing: SPREAD_2103,
                want: &[Unschedulable, Success, Success, Unschedulable],
            },
            FilterCase {
                name: "incoming pod has nodeAffinity, pods spread as 2/~1~/~0~/3, hence node-a fits",
                pod: Incoming {
                    affinity: Some(("node", SelectorOperator::In, &["node-a", "node-y"])),
                    ..pod(FOO, &[(1, "node", FOO)])
                },
                nodes: ZONES,
                existing: SPREAD_2103,
                want: &[Success, Success, Success, Unschedulable],
            },
            FilterCase {
                name: "terminating Pods should be excluded",
                pod: pod(FOO, &[(1, "node", FOO)]),
                nodes: &[node("node-a", &[("node", "node-a")]), node("node-b", &[("node", "node-b")])],
                existing: &[Existing { terminating: true, ..pods("node-a", FOO, 1) }, pods("node-b", FOO, 1)],
                want: &[Success, Unschedulable],
            },
            FilterCase {
                name: "incoming pod has nodeAffinity, pods spread as 0/~2~/0/1, hence node-a fits",
                pod: Incoming {
                    affinity: Some(("node", SelectorOperator::NotIn, &["node-b"])),
                    ..pod(FOO, &[(1, "zone", FOO)])
                },
                nodes: ZONES,
                existing: &[pods("node-b", FOO, 2), pods("node-y", FOO, 1)],
                want: &[Success, Success, Unschedulable, Unschedulable],
            },
            FilterCase {
                name: "NodeAffinityPolicy honored with labelSelectors",
                pod: Incoming { node_selector: &[("foo", "")], ..pod(FOO, &[(1, "node", FOO)]) },
                nodes: FOO_ON_ABX,
                existing: SPREAD_1101,
                want: &[Unschedulable, Unschedulable, Success, Success],
            },
            FilterCase {
                name: "NodeAffinityPolicy honored with nodeAffinity",
                pod: Incoming { affinity: Some(("foo", SelectorOperator::In, &[""])), ..pod(FOO, &[(1, "node", FOO)]) },
                nodes: FOO_ON_ABX,
                existing: SPREAD_1101,
                want: &[Unschedulable, Unschedulable, Success, Success],
            },
            FilterCase {
                name: "NodeTaintsPolicy ignored",
                pod: pod(FOO, &[(1, "node", FOO)]),
                nodes: &[
                    node("node-a", &[("node", "node-a"), ("foo", "")]),
                    node("node-b", &[("node", "node-b"), ("foo", "")]),
                    node("node-x", &[("node", "node-x"), ("foo", "")]),
                    Node { tainted: true, ..node("node-y", &[("node", "node-y")]) },
                ],
                existing: SPREAD_1101,
                want: &[Unschedulable, Unschedulable, Success, Unschedulable],
            },
        ];
        const FOO_ON_ABX: &[Node] = &[
            node("node-a", &[("node", "node-a"), ("foo", "")]),
            node("node-b", &[("node", "node-b"), ("foo", "")]),
            node("node-x", &[("node", "node-x"), ("foo", "")]),
            node("node-y", &[("node", "node-y")]),
        ];
        const SPREAD_1101: &[Existing] = &[pods("node-a", FOO, 1), pods("node-b", FOO, 1), pods("node-y", FOO, 1)];
        for case in CASES {
            assert_eq!(run_filter(case), case.want, "{}", case.name);
        }
    }

    /// `TestMultipleConstraints` (filtering_test.go): 10 of its 13 cases.
    /// Left out, for the machinery Flotilla does not model: "two node
    /// inclusion Constraints, zone: honor/ignore, node: ignore/ignore" and
    /// "two node inclusion Constraints, zone: honor/honor, node: ignore/ignore"
    /// (nodeAffinityPolicy Ignore on the node constraint), "two node inclusion
    /// Constraints, zone: honor/honor, node: honor/ignore" (nodeTaintsPolicy
    /// Honor on the zone constraint).
    #[test]
    fn test_multiple_constraints() {
        use Code::*;
        const ZONE_AND_NODE: &[(i64, &str, &[&str])] = &[(1, "zone", FOO), (1, "node", FOO)];
        const FOO_ZONE_BAR_NODE: &[(i64, &str, &[&str])] = &[(1, "zone", FOO), (1, "node", BAR)];
        const CASES: &[FilterCase] = &[
            FilterCase {
                name: "two Constraints on zone and node, spreads = [3/3, 2/1/0/3]",
                pod: pod(FOO, ZONE_AND_NODE),
                nodes: ZONES,
                existing: SPREAD_2103,
                want: &[Unschedulable, Unschedulable, Success, Unschedulable],
            },
            FilterCase {
                name: "two Constraints on zone and node, spreads = [3/4, 2/1/0/4]",
                pod: pod(FOO, ZONE_AND_NODE),
                nodes: ZONES,
                existing: &[pods("node-a", FOO, 2), pods("node-b", FOO, 1), pods("node-y", FOO, 4)],
                want: &[Unschedulable, Unschedulable, Unschedulable, Unschedulable],
            },
            FilterCase {
                name: "Constraints hold different labelSelectors, spreads = [1/0, 1/0/0/1]",
                pod: pod(FOO_BAR, FOO_ZONE_BAR_NODE),
                nodes: ZONES,
                existing: &[pods("node-a", FOO, 1), pods("node-y", BAR, 1)],
                want: &[Unschedulable, Unschedulable, Success, Unschedulable],
            },
            FilterCase {
                name: "Constraints hold different labelSelectors, spreads = [1/0, 0/0/1/1]",
                pod: pod(FOO_BAR, FOO_ZONE_BAR_NODE),
                nodes: ZONES,
                existing: &[pods("node-a", FOO, 1), pods("node-x", BAR, 1), pods("node-y", BAR, 1)],
                want: &[Unschedulable, Unschedulable, Unschedulable, Unschedulable],
            },
            FilterCase {
                name: "Constraints hold different labelSelectors, spreads = [2/3, 1/0/0/1]",
                pod: pod(FOO_BAR, FOO_ZONE_BAR_NODE),
                nodes: ZONES,
                existing: &[
                    pods("node-a", FOO, 1),
                    pods("node-a", FOO_BAR, 1),
                    pods("node-y", FOO, 2),
                    pods("node-y", FOO_BAR, 1),
                ],
                want: &[Unschedulable, Success, Unschedulable, Unschedulable],
            },
            FilterCase {
                name: "Constraints hold different labelSelectors but pod doesn't match itself on 'zone' constraint",
                pod: pod(BAR, FOO_ZONE_BAR_NODE),
                nodes: ZONES,
                existing: &[pods("node-a", FOO, 1), pods("node-x", BAR, 1), pods("node-y", BAR, 1)],
                want: &[Success, Success, Unschedulable, Unschedulable],
            },
            FilterCase {
                name: "two Constraints on zone and node, absence of label 'node' on node-x, spreads = [1/1, 1/0/0/1]",
                pod: pod(FOO, ZONE_AND_NODE),
                nodes: &[
                    node("node-a", &[("zone", "zone1"), ("node", "node-a")]),
                    node("node-b", &[("zone", "zone1"), ("node", "node-b")]),
                    node("node-x", &[("zone", "zone2")]),
                    node("node-y", &[("zone", "zone2"), ("node", "node-y")]),
                ],
                existing: &[pods("node-a", FOO, 1), pods("node-y", FOO, 1)],
                want: &[Unschedulable, Success, UnschedulableAndUnresolvable, Unschedulable],
            },
            FilterCase {
                name: "two node inclusion Constraints, zone: honor/ignore, node: honor/ignore",
                pod: Incoming { node_selector: &[("foo", "")], ..pod(FOO, ZONE_AND_NODE) },
                nodes: &[
                    node("node-a", &[("zone", "zone1"), ("node", "node-a"), ("foo", "")]),
                    node("node-b", &[("zone", "zone1"), ("node", "node-b")]),
                    node("node-x", &[("zone", "zone2"), ("node", "node-x"), ("foo", "")]),
                    Node { tainted: true, ..node("node-y", &[("zone", "zone2"), ("node", "node-y"), ("foo", "")]) },
                ],
                existing: &[pods("node-a", FOO, 1), pods("node-b", FOO, 1), pods("node-y", FOO, 1)],
                want: &[Unschedulable, Success, Success, Unschedulable],
            },
            FilterCase {
                name: "two Constraints on zone, spreads = [3/3, 2/1]",
                pod: pod(FOO_BAR, &[(1, "zone", BAR), (1, "zone", FOO)]),
                nodes: ZONES,
                existing: &[
                    pods("node-a", FOO_BAR, 1),
                    pods("node-a", FOO, 1),
                    pods("node-b", FOO_BAR, 1),
                    pods("node-y", FOO, 2),
                    pods("node-y", FOO_BAR, 1),
                ],
                want: &[Unschedulable, Unschedulable, Success, Success],
            },
            FilterCase {
                name: "two Constraints on zone, spreads = [3/4, 2/1]",
                pod: pod(FOO_BAR, &[(1, "zone", BAR), (1, "zone", FOO)]),
                nodes: ZONES,
                existing: &[
                    pods("node-a", FOO_BAR, 1),
                    pods("node-a", FOO, 1),
                    pods("node-b", FOO_BAR, 1),
                    pods("node-y", FOO, 3),
                    pods("node-y", FOO_BAR, 1),
                ],
                want: &[Unschedulable, Unschedulable, Unschedulable, Unschedulable],
            },
        ];
        for case in CASES {
            assert_eq!(run_filter(case), case.want, "{}", case.name);
        }
    }

    #[test]
    fn only_nodes_with_every_key_of_the_constraints_are_counted() {
        // calPreFilterState, and initPreScoreState with the pod's own
        // constraints (requireAllTopologies), skip a node that lacks any key
        // of the constraints: its pods count for none of them.
        const NODES: &[Node] = &[
            node("node-a", &[("zone", "zone1"), ("node", "node-a")]),
            node("node-b", &[("zone", "zone1"), ("node", "node-b")]),
            node("node-c", &[("node", "node-c")]),
        ];
        const EXISTING: &[Existing] = &[pods("node-a", FOO, 2), pods("node-b", FOO, 1)];
        // Filter, maxSkew 1 on zone and on node: node-c (no zone, no pods) is
        // left out, so the node minimum is node-b's 1, not node-c's 0: node-a
        // 2 + 1 − 1 = 2 > 1; node-b 1 + 1 − 1 = 1 fits; node-c lacks the zone key.
        let case = FilterCase {
            name: "a node without the zone key is left out of the node minimum",
            pod: pod(FOO, &[(1, "zone", FOO), (1, "node", FOO)]),
            nodes: NODES,
            existing: EXISTING,
            want: &[Code::Unschedulable, Code::Success, Code::UnschedulableAndUnresolvable],
        };
        assert_eq!(run_filter(&case), case.want, "{}", case.name);
        // Score, ScheduleAnyway on zone and rack: node-z has a zone but no
        // rack, so its 3 pods do not count for zone1. Two zones and two racks
        // among the scored nodes weigh ln 4 each: node-r1 has 1 in zone1 and 1
        // in r1 → 2 × 1.386 = 2.77 → 3 (with node-z's pods, 5 × 1.386 = 6.93 → 7).
        const RACKS: &[Node] = &[
            node("node-r1", &[("zone", "zone1"), ("rack", "r1")]),
            node("node-r2", &[("zone", "zone2"), ("rack", "r2")]),
            node("node-z", &[("zone", "zone1")]),
        ];
        const ON_RACKS: &[Existing] = &[pods("node-r1", FOO, 1), pods("node-z", FOO, 3)];
        let all: Vec<&Node> = RACKS.iter().collect();
        let mut cache = snapshot(&all, ON_RACKS);
        let racked = pod(FOO, &[(1, "zone", FOO), (1, "rack", FOO)]);
        let p = incoming(&mut cache, &racked, UnsatisfiableConstraintAction::ScheduleAnyway);
        let (raw, normalized) = scores(&p, &cache, &[0, 1, 2]);
        assert_eq!(raw, vec![3, 0, 0]);
        assert_eq!(normalized, vec![0, 100, 0]);
    }

    #[test]
    fn do_not_schedule_keeps_the_skew() {
        // maxSkew 1 on hostname: n1 has 2, n2 has 1, n3 has 0 (global min 0).
        // n1: 2 + 1 − 0 = 3 > 1 → no; n2: 1 + 1 − 0 = 2 > 1 → no; n3: 0 + 1 − 0 = 1 → fits.
        let mut cache = cluster(&[("n1", "a", 2), ("n2", "a", 1), ("n3", "b", 0)]);
        let constraint = TopologySpreadConstraint {
            max_skew: 1,
            topology_key: LABEL_HOSTNAME.into(),
            when_unsatisfiable: UnsatisfiableConstraintAction::DoNotSchedule,
            label_selector: app(),
        };
        let pod = web(&mut cache, vec![constraint]);
        let mut state = CycleState::default();
        pre_filter(&pod, &cache, &mut state);
        let verdicts: Vec<Option<Rejection>> = (0..3).map(|h| filter(&state, &cache, h)).collect();
        assert_eq!(verdicts, vec![Some(Rejection::SpreadSkew), Some(Rejection::SpreadSkew), None]);
    }

    #[test]
    fn terminating_pods_and_unregistered_nodes_are_not_counted() {
        let mut cache = cluster(&[("n1", "a", 2), ("n2", "a", 0)]);
        let pod = web(&mut cache, Vec::new());
        let pair = pod.spread_counts[1];
        let zone_a = cache.spread_domain(pair, 0).unwrap();
        assert_eq!(cache.spread_counts(pair).0[zone_a], 2);
        cache.pod_terminating(0, &pod);
        assert_eq!(cache.spread_counts(pair).0[zone_a], 1);
        cache.set_registered(0, false);
        assert_eq!(cache.spread_counts(pair).0[zone_a], 0);
        cache.set_registered(0, true);
        assert_eq!(cache.spread_counts(pair).0[zone_a], 1);
    }
}
