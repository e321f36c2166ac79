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

use std::collections::BTreeMap;

use crate::behaviours::scheduler::{FilterPlugin, MAX_NODE_SCORE, NodeInfo, PodInfo, ScorePlugin, Snapshot, Verdict};
use crate::model::kube::{
    LABEL_HOSTNAME, LABEL_ZONE, TopologySpreadConstraint, UnsatisfiableConstraintAction, selector_matches,
};

#[derive(Default)]
pub struct PodTopologySpread {
    /// Per constraint (of those scored), matching pods per domain value.
    counts: Vec<BTreeMap<String, i64>>,
    /// Per constraint, ln(number of domains + 2).
    weights: Vec<f64>,
    constraints: Vec<TopologySpreadConstraint>,
    /// Feasible nodes, in scoring order, that lack a topology key (only
    /// when the pod has constraints of its own: system defaults ignore none).
    ignored: Vec<bool>,
    /// For the filter: per DoNotSchedule constraint, counts per domain and the minimum.
    filter_counts: Vec<(TopologySpreadConstraint, BTreeMap<String, i64>, i64)>,
}

pub const REASON_SKEW: &str = "node(s) didn't match pod topology spread constraints";
pub const REASON_MISSING_LABEL: &str = "node(s) didn't match pod topology spread constraints (missing required label)";

/// The constraints in force for `pod`: its own, or the system defaults.
pub fn constraints_for(pod: &PodInfo) -> Vec<TopologySpreadConstraint> {
    if !pod.topology_spread_constraints.is_empty() {
        return pod.topology_spread_constraints.clone();
    }
    let c = |key: &str, skew| TopologySpreadConstraint {
        max_skew: skew,
        topology_key: key.to_string(),
        when_unsatisfiable: UnsatisfiableConstraintAction::ScheduleAnyway,
        label_selector: pod.labels.clone(),
    };
    vec![c(LABEL_HOSTNAME, 3), c(LABEL_ZONE, 5)]
}

/// Matching pods per domain over every node that has the key (and passes the
/// pod's node selector, as the node inclusion policy has it).
fn count_domains(c: &TopologySpreadConstraint, pod: &PodInfo, snapshot: &Snapshot) -> BTreeMap<String, i64> {
    let mut counts = BTreeMap::new();
    for node in &snapshot.nodes {
        let Some(domain) = node.labels.get(&c.topology_key) else { continue };
        if !pod.node_selector.iter().all(|(k, v)| node.labels.get(k) == Some(v)) {
            continue;
        }
        let affinity = &pod.affinity.required;
        if !affinity.is_empty() && !affinity.iter().any(|t| t.matches(&node.labels)) {
            continue;
        }
        let n = node.pods.iter().filter(|labels| selector_matches(&c.label_selector, labels)).count() as i64;
        *counts.entry(domain.clone()).or_insert(0) += n;
    }
    counts
}

impl FilterPlugin for PodTopologySpread {
    fn name(&self) -> &'static str {
        "PodTopologySpread"
    }

    fn pre_filter(&mut self, pod: &PodInfo, snapshot: &Snapshot) {
        self.filter_counts = constraints_for(pod)
            .into_iter()
            .filter(|c| c.when_unsatisfiable == UnsatisfiableConstraintAction::DoNotSchedule)
            .map(|c| {
                let counts = count_domains(&c, pod, snapshot);
                let min = counts.values().copied().min().unwrap_or(0);
                (c, counts, min)
            })
            .collect();
    }

    fn filter(&self, pod: &PodInfo, node: &NodeInfo, _: &Snapshot) -> Verdict {
        for (c, counts, min) in &self.filter_counts {
            let Some(domain) = node.labels.get(&c.topology_key) else {
                return Verdict::UnschedulableAndUnresolvable(vec![REASON_MISSING_LABEL.into()]);
            };
            let self_match = i64::from(selector_matches(&c.label_selector, &pod.labels));
            let count = counts.get(domain).copied().unwrap_or(0);
            if count + self_match - min > c.max_skew {
                return Verdict::Unschedulable(vec![REASON_SKEW.into()]);
            }
        }
        Verdict::Fits
    }
}

impl ScorePlugin for PodTopologySpread {
    fn name(&self) -> &'static str {
        "PodTopologySpread"
    }

    fn pre_score(&mut self, pod: &PodInfo, snapshot: &Snapshot, feasible: &[usize]) {
        self.constraints = constraints_for(pod)
            .into_iter()
            .filter(|c| c.when_unsatisfiable == UnsatisfiableConstraintAction::ScheduleAnyway)
            .collect();
        // requireAllTopologies: only a pod's own constraints ignore nodes without the keys.
        let require_all = !pod.topology_spread_constraints.is_empty();
        self.ignored = feasible
            .iter()
            .map(|&i| {
                require_all && self.constraints.iter().any(|c| !snapshot.nodes[i].labels.contains_key(&c.topology_key))
            })
            .collect();
        self.counts = self.constraints.iter().map(|c| count_domains(c, pod, snapshot)).collect();
        // The number of domains among the feasible nodes that are not ignored.
        self.weights = self
            .constraints
            .iter()
            .map(|c| {
                let mut domains: Vec<&String> = feasible
                    .iter()
                    .zip(&self.ignored)
                    .filter(|(_, ignored)| !**ignored)
                    .filter_map(|(&i, _)| snapshot.nodes[i].labels.get(&c.topology_key))
                    .collect();
                domains.sort();
                domains.dedup();
                libm::log(domains.len() as f64 + 2.0)
            })
            .collect();
    }

    fn score(&self, pod: &PodInfo, node: &NodeInfo, _: &Snapshot) -> i64 {
        let require_all = !pod.topology_spread_constraints.is_empty();
        if require_all && self.constraints.iter().any(|c| !node.labels.contains_key(&c.topology_key)) {
            return 0;
        }
        let mut score = 0.0;
        for (k, c) in self.constraints.iter().enumerate() {
            let Some(domain) = node.labels.get(&c.topology_key) else { continue };
            let count = self.counts[k].get(domain).copied().unwrap_or(0);
            score += count as f64 * self.weights[k] + (c.max_skew - 1) as f64;
        }
        libm::round(score) as i64
    }

    fn normalize(&self, scores: &mut [i64]) {
        let live = scores.iter().zip(&self.ignored).filter(|(_, ig)| !**ig).map(|(s, _)| *s);
        let (min, max) = live.fold((i64::MAX, 0i64), |(lo, hi), s| (lo.min(s), hi.max(s)));
        for (s, ignored) in scores.iter_mut().zip(&self.ignored) {
            if *ignored {
                *s = 0;
            } else if max == 0 {
                *s = MAX_NODE_SCORE;
            } else {
                *s = MAX_NODE_SCORE * (max + min - *s) / max;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::kube::Labels;

    fn node(name: &str, zone: &str, pods: usize) -> NodeInfo {
        let labels: Labels =
            [(LABEL_HOSTNAME.to_string(), name.to_string()), (LABEL_ZONE.to_string(), zone.to_string())]
                .into_iter()
                .collect();
        let app: Labels = [("app".to_string(), "web".to_string())].into_iter().collect();
        NodeInfo { name: name.into(), labels, pods: vec![app; pods], ..NodeInfo::default() }
    }

    fn web() -> PodInfo {
        PodInfo { labels: [("app".to_string(), "web".to_string())].into_iter().collect(), ..PodInfo::default() }
    }

    #[test]
    fn system_defaults_prefer_emptier_nodes_and_zones() {
        // Three nodes: n1 (zone a, 2 web pods), n2 (zone a, 0), n3 (zone b, 0).
        // Hostname weight ln(3 + 2) ≈ 1.609, zone weight ln(2 + 2) ≈ 1.386.
        // n1: 2·1.609 + 2 + 2·1.386 + 4 = 11.99 → 12; n2: 0 + 2 + 2.77 + 4 = 8.77 → 9; n3: 0 + 2 + 0 + 4 = 6.
        // Normalised: 100·(12 + 6 − s)/12 → n1 50, n2 75, n3 100.
        let snapshot = Snapshot { nodes: vec![node("n1", "a", 2), node("n2", "a", 0), node("n3", "b", 0)] };
        let mut p = PodTopologySpread::default();
        let pod = web();
        p.pre_score(&pod, &snapshot, &[0, 1, 2]);
        let mut s: Vec<i64> = snapshot.nodes.iter().map(|n| p.score(&pod, n, &snapshot)).collect();
        assert_eq!(s, vec![12, 9, 6]);
        ScorePlugin::normalize(&p, &mut s);
        assert_eq!(s, vec![50, 75, 100]);
    }

    #[test]
    fn one_hostname_constraint_over_four_candidates() {
        // scoring_test.go "one constraint on node, all 4 nodes are candidates": matching pods
        // 2, 1, 0, 3 on node-a..d, maxSkew 1 → 20, 60, 100, 0.
        // Weight ln(4 + 2) = 1.792: raw round(3.58) = 4, round(1.79) = 2, 0, round(5.38) = 5;
        // normalised 100·(5 + 0 − raw)/5.
        let snapshot = Snapshot {
            nodes: vec![node("node-a", "z", 2), node("node-b", "z", 1), node("node-c", "z", 0), node("node-d", "z", 3)],
        };
        let mut pod = web();
        pod.topology_spread_constraints = vec![TopologySpreadConstraint {
            max_skew: 1,
            topology_key: LABEL_HOSTNAME.into(),
            when_unsatisfiable: UnsatisfiableConstraintAction::ScheduleAnyway,
            label_selector: pod.labels.clone(),
        }];
        let mut p = PodTopologySpread::default();
        p.pre_score(&pod, &snapshot, &[0, 1, 2, 3]);
        let mut s: Vec<i64> = snapshot.nodes.iter().map(|n| p.score(&pod, n, &snapshot)).collect();
        ScorePlugin::normalize(&p, &mut s);
        assert_eq!(s, vec![20, 60, 100, 0]);
    }

    #[test]
    fn do_not_schedule_keeps_the_skew() {
        // maxSkew 1 on hostname: n1 has 2, n2 has 1, n3 has 0 (global min 0).
        // n1: 2 + 1 − 0 = 3 > 1 → no; n2: 1 + 1 − 0 = 2 > 1 → no; n3: 0 + 1 − 0 = 1 → fits.
        let snapshot = Snapshot { nodes: vec![node("n1", "a", 2), node("n2", "a", 1), node("n3", "b", 0)] };
        let mut pod = web();
        pod.topology_spread_constraints = vec![TopologySpreadConstraint {
            max_skew: 1,
            topology_key: LABEL_HOSTNAME.into(),
            when_unsatisfiable: UnsatisfiableConstraintAction::DoNotSchedule,
            label_selector: pod.labels.clone(),
        }];
        let mut p = PodTopologySpread::default();
        p.pre_filter(&pod, &snapshot);
        let fits: Vec<bool> =
            snapshot.nodes.iter().map(|n| FilterPlugin::filter(&p, &pod, n, &snapshot).fits()).collect();
        assert_eq!(fits, vec![false, false, true]);
    }
}
