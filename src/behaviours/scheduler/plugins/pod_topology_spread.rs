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
//! rounded; nodes lacking a key are ignored. Normalised as
//! `100 × (max + min − raw) / max`, so fewer matching pods score higher.
//!
//! Pods are counted over the registered nodes that have the key and pass the
//! pod's node selector and required affinity (the default node inclusion
//! policy); only pods of the pod's own namespace count (`countPodsMatchSelector`),
//! and terminating pods do not. The scheduler's cache keeps the
//! counts per domain, so a pod without a node selector or affinity reads
//! them as they are; one with them counts its own over the nodes it may use.

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
    own_counts: Option<Vec<i64>>,
    /// Filter: the pod matches its own selector (1) or not (0); and the global minimum.
    self_match: i64,
    min: i64,
    /// Score: ln(domains among the scored nodes + 2).
    weight: f64,
}

impl Counted {
    fn count(&self, cache: &SchedulerCache, domain: usize) -> i64 {
        match &self.own_counts {
            Some(c) => c[domain],
            None => cache.spread_counts(self.pair).0[domain],
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
}

/// Counts per domain of `pair` over the registered nodes `pod` may use, and
/// which domains have such a node.
fn own_counts(pod: &PodInfo, cache: &SchedulerCache, pair: u32) -> (Vec<i64>, Vec<bool>) {
    let domains = cache.spread_domains(pair);
    let (mut counts, mut eligible) = (vec![0; domains], vec![false; domains]);
    for &h in cache.registered() {
        let h = h as usize;
        let Some(d) = cache.spread_domain(pair, h) else { continue };
        if !pod.node_matches(&cache.node(h).labels) {
            continue;
        }
        eligible[d] = true;
        counts[d] += cache.spread_on_node(pair, h);
    }
    (counts, eligible)
}

fn counted(pod: &PodInfo, cache: &SchedulerCache, k: usize) -> (Counted, Option<Vec<bool>>) {
    let c = &pod.spread[k];
    let pair = pod.spread_counts[k];
    let (own, eligible) = if pod.has_node_constraints() {
        let (counts, eligible) = own_counts(pod, cache, pair);
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
    for (k, c) in pod.spread.iter().enumerate() {
        if c.when_unsatisfiable != UnsatisfiableConstraintAction::DoNotSchedule {
            continue;
        }
        let (mut counted, eligible) = counted(pod, cache, k);
        let (counts, registered) = cache.spread_counts(counted.pair);
        counted.min = match &eligible {
            Some(e) => (0..e.len()).filter(|&d| e[d]).map(|d| counted.count(cache, d)).min(),
            None => (0..counts.len()).filter(|&d| registered[d] > 0).map(|d| counts[d]).min(),
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
    for (k, c) in pod.spread.iter().enumerate() {
        if c.when_unsatisfiable == UnsatisfiableConstraintAction::ScheduleAnyway {
            state.score.push(counted(pod, cache, k).0);
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
            state.score[i].weight = libm::log(scored as f64 + 2.0);
            continue;
        }
        let domain_of = cache.spread_domains_of(pair);
        let domains = cache.spread_domains(pair);
        if state.seen.len() < domains {
            state.seen.resize(domains, 0);
        }
        state.cycle += 1;
        let mut distinct = 0;
        for (&h, &ignored) in feasible.iter().zip(&state.ignored) {
            let d = domain_of[h as usize];
            if ignored || d == u32::MAX {
                continue;
            }
            if state.seen[d as usize] != state.cycle {
                state.seen[d as usize] = state.cycle;
                distinct += 1;
            }
        }
        state.score[i].weight = libm::log(f64::from(distinct) + 2.0);
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
        let (weight, skew) = (c.weight, (c.max_skew - 1) as f64);
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
                let count = counts[d as usize];
                match usize::try_from(count) {
                    Ok(i) if i < 64 => {
                        if table[i] == UNSET {
                            table[i] = round(count as f64 * weight + skew);
                        }
                        table[i]
                    }
                    _ => round(count as f64 * weight + skew),
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
        let (weight, skew) = (c.weight, (c.max_skew - 1) as f64);
        for (sum, &h) in sums.iter_mut().zip(feasible) {
            let d = domain_of[h as usize];
            if d != u32::MAX {
                *sum += counts[d as usize] as f64 * weight + skew;
            }
        }
    }
    out.clear();
    out.extend(sums.iter().zip(&state.ignored).map(|(&s, ignored)| if *ignored { 0 } else { round(s) }));
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

    #[test]
    fn one_hostname_constraint_over_four_candidates() {
        // scoring_test.go "one constraint on node, all 4 nodes are candidates": matching pods
        // 2, 1, 0, 3 on node-a..d, maxSkew 1 → 20, 60, 100, 0.
        // Weight ln(4 + 2) = 1.792: raw round(3.58) = 4, round(1.79) = 2, 0, round(5.38) = 5;
        // normalised 100·(5 + 0 − raw)/5.
        let mut cache = cluster(&[("node-a", "z", 2), ("node-b", "z", 1), ("node-c", "z", 0), ("node-d", "z", 3)]);
        let constraint = TopologySpreadConstraint {
            max_skew: 1,
            topology_key: LABEL_HOSTNAME.into(),
            when_unsatisfiable: UnsatisfiableConstraintAction::ScheduleAnyway,
            label_selector: app(),
        };
        let pod = web(&mut cache, vec![constraint]);
        assert_eq!(scores(&pod, &cache, &[0, 1, 2, 3]).1, vec![20, 60, 100, 0]);
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
