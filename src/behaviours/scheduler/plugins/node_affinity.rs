//! NodeAffinity (`plugins/nodeaffinity`). Filter: the node's labels must
//! match the pod's `nodeSelector` and one of its required node-affinity
//! terms. Score: the sum of the weights of the preferred terms the node
//! matches, normalised so the best node scores 100.

use crate::behaviours::scheduler::{
    FilterPlugin, MAX_NODE_SCORE, NodeInfo, PodInfo, ScorePlugin, Snapshot, Verdict, default_normalize_score,
};

#[derive(Default)]
pub struct NodeAffinity;

/// `ErrReasonPod`.
pub const REASON: &str = "node(s) didn't match Pod's node affinity/selector";

impl FilterPlugin for NodeAffinity {
    fn name(&self) -> &'static str {
        "NodeAffinity"
    }

    fn filter(&self, pod: &PodInfo, node: &NodeInfo, _: &Snapshot) -> Verdict {
        let selector_ok = pod.node_selector.iter().all(|(k, v)| node.labels.get(k) == Some(v));
        let required = &pod.affinity.required;
        let affinity_ok = required.is_empty() || required.iter().any(|term| term.matches(&node.labels));
        if selector_ok && affinity_ok {
            Verdict::Fits
        } else {
            Verdict::UnschedulableAndUnresolvable(vec![REASON.into()])
        }
    }
}

impl ScorePlugin for NodeAffinity {
    fn name(&self) -> &'static str {
        "NodeAffinity"
    }

    fn score(&self, pod: &PodInfo, node: &NodeInfo, _: &Snapshot) -> i64 {
        pod.affinity.preferred.iter().filter(|p| p.preference.matches(&node.labels)).map(|p| p.weight).sum()
    }

    fn normalize(&self, scores: &mut [i64]) {
        default_normalize_score(MAX_NODE_SCORE, false, scores);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::kube::{NodeSelectorTerm, PreferredSchedulingTerm, Requirement, SelectorOperator};

    fn node(zone: &str) -> NodeInfo {
        NodeInfo { labels: [("zone".to_string(), zone.to_string())].into_iter().collect(), ..NodeInfo::default() }
    }

    fn term(zone: &str) -> NodeSelectorTerm {
        NodeSelectorTerm {
            match_expressions: vec![Requirement {
                key: "zone".into(),
                operator: SelectorOperator::In,
                values: vec![zone.into()],
            }],
        }
    }

    #[test]
    fn selector_and_required_terms_filter() {
        let pod = PodInfo {
            node_selector: [("zone".to_string(), "a".to_string())].into_iter().collect(),
            ..PodInfo::default()
        };
        assert!(NodeAffinity.filter(&pod, &node("a"), &Snapshot::default()).fits());
        assert_eq!(
            NodeAffinity.filter(&pod, &node("b"), &Snapshot::default()),
            Verdict::UnschedulableAndUnresolvable(vec![REASON.into()])
        );
        let mut pod = PodInfo::default();
        pod.affinity.required = vec![term("b"), term("c")];
        assert!(NodeAffinity.filter(&pod, &node("c"), &Snapshot::default()).fits());
        assert!(!NodeAffinity.filter(&pod, &node("a"), &Snapshot::default()).fits());
    }

    #[test]
    fn preferred_weights_add_up_and_normalise() {
        // Weights 2 on zone a and 5 on zone b: raw 2, 5, 0 → normalised 100·2/5 = 40, 100, 0.
        let mut pod = PodInfo::default();
        pod.affinity.preferred = vec![
            PreferredSchedulingTerm { weight: 2, preference: term("a") },
            PreferredSchedulingTerm { weight: 5, preference: term("b") },
        ];
        let mut s: Vec<i64> =
            ["a", "b", "c"].iter().map(|z| NodeAffinity.score(&pod, &node(z), &Snapshot::default())).collect();
        assert_eq!(s, vec![2, 5, 0]);
        ScorePlugin::normalize(&NodeAffinity, &mut s);
        assert_eq!(s, vec![40, 100, 0]);
    }
}
