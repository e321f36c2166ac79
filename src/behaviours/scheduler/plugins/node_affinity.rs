//! NodeAffinity (`plugins/nodeaffinity`). Filter: the node's labels must
//! match the pod's `nodeSelector` and one of its required node-affinity
//! terms. Score: the sum of the weights of the preferred terms the node
//! matches, normalised so the best node scores 100.

use crate::behaviours::scheduler::{MAX_NODE_SCORE, NodeInfo, PodInfo, Rejection, default_normalize_score};

pub const REASON: &str = "node(s) didn't match Pod's node affinity/selector";

pub fn filter(pod: &PodInfo, node: &NodeInfo) -> Option<Rejection> {
    (!pod.node_matches(&node.labels)).then_some(Rejection::NodeAffinity)
}

pub fn score(pod: &PodInfo, node: &NodeInfo) -> i64 {
    pod.affinity.preferred.iter().filter(|p| p.preference.matches(&node.labels)).map(|p| p.weight).sum()
}

pub fn normalize(scores: &mut [i64]) {
    default_normalize_score(MAX_NODE_SCORE, false, scores);
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
        assert_eq!(filter(&pod, &node("a")), None);
        assert_eq!(filter(&pod, &node("b")), Some(Rejection::NodeAffinity));
        let mut pod = PodInfo::default();
        pod.affinity.required = vec![term("b"), term("c")];
        assert_eq!(filter(&pod, &node("c")), None);
        assert_eq!(filter(&pod, &node("a")), Some(Rejection::NodeAffinity));
    }

    #[test]
    fn preferred_weights_add_up_and_normalise() {
        // Weights 2 on zone a and 5 on zone b: raw 2, 5, 0 → normalised 100·2/5 = 40, 100, 0.
        let mut pod = PodInfo::default();
        pod.affinity.preferred = vec![
            PreferredSchedulingTerm { weight: 2, preference: term("a") },
            PreferredSchedulingTerm { weight: 5, preference: term("b") },
        ];
        let mut s: Vec<i64> = ["a", "b", "c"].iter().map(|z| score(&pod, &node(z))).collect();
        assert_eq!(s, vec![2, 5, 0]);
        normalize(&mut s);
        assert_eq!(s, vec![40, 100, 0]);
    }
}
