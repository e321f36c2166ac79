//! TaintToleration (`plugins/tainttoleration`). Filter: a node with a
//! NoSchedule or NoExecute taint the pod does not tolerate is ruled out.
//! Score: the number of PreferNoSchedule taints the pod does not tolerate,
//! reverse-normalised, so the node with fewest scores 100.

use crate::behaviours::scheduler::{MAX_NODE_SCORE, NodeInfo, PodInfo, Rejection, default_normalize_score};
use crate::model::kube::TaintEffect;

/// Whether the node has a NoSchedule or NoExecute taint the pod does not tolerate.
pub fn filter(pod: &PodInfo, node: &NodeInfo) -> Option<Rejection> {
    node.taints
        .iter()
        .any(|taint| {
            matches!(taint.effect, TaintEffect::NoSchedule | TaintEffect::NoExecute)
                && !pod.tolerations.iter().any(|t| t.tolerates(taint))
        })
        .then_some(Rejection::Taint)
}

/// The reason kube-scheduler prints for an untolerated taint. Since
/// kubernetes#134740 (v1.35, and v1.34.2 by cherry-pick) it names neither the
/// taint's key nor its value, which may be sensitive; kube-scheduler logs the
/// taint instead.
pub const REASON: &str = "node(s) had untolerated taint(s)";

/// PreferNoSchedule taints of the node that no toleration of the pod for
/// PreferNoSchedule (or for every effect) tolerates.
pub fn score(pod: &PodInfo, node: &NodeInfo) -> i64 {
    node.taints
        .iter()
        .filter(|taint| {
            taint.effect == TaintEffect::PreferNoSchedule
                && !pod
                    .tolerations
                    .iter()
                    .filter(|t| t.effect.is_none() || t.effect == Some(TaintEffect::PreferNoSchedule))
                    .any(|t| t.tolerates(taint))
        })
        .count() as i64
}

pub fn normalize(scores: &mut [i64]) {
    default_normalize_score(MAX_NODE_SCORE, true, scores);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::behaviours::scheduler::Verdict;
    use crate::model::kube::{Taint, Toleration, TolerationOperator};
    use TaintEffect::{NoSchedule, PreferNoSchedule};
    use TolerationOperator::{Equal, Exists};

    fn taint(key: &str, value: &str, effect: TaintEffect) -> Taint {
        Taint { key: key.into(), value: value.into(), effect }
    }

    fn toleration(key: &str, operator: TolerationOperator, value: &str, effect: Option<TaintEffect>) -> Toleration {
        Toleration { key: key.into(), operator, value: value.into(), effect, toleration_seconds: None }
    }

    fn pod_with_tolerations(tolerations: Vec<Toleration>) -> PodInfo {
        PodInfo { tolerations, ..PodInfo::default() }
    }

    fn node_with_taints(name: &str, taints: Vec<Taint>) -> NodeInfo {
        NodeInfo { name: name.into(), taints, ..NodeInfo::default() }
    }

    /// A case of `TestTaintTolerationScore`.
    struct ScoreCase {
        name: &'static str,
        pod: PodInfo,
        nodes: Vec<NodeInfo>,
        expected_list: &'static [(&'static str, i64)],
    }

    /// `TestTaintTolerationScore` (tainttoleration/taint_toleration_test.go):
    /// 8 cases upstream, 5 here, each node scored then the list normalised.
    /// Left out, needing tolerations with the `Gt` and `Lt` operators (the
    /// alpha TaintTolerationComparisonOperators feature), which Flotilla does
    /// not model: "Numeric Gt operator: pod with Gt toleration prefers nodes
    /// with matching SLA taint", "Numeric Lt operator: pod with Lt toleration
    /// prefers nodes with matching SLA taint", "Score ignores parse errors from
    /// numeric PreferNoSchedule taint value".
    #[test]
    fn test_taint_toleration_score() {
        let tests = [
            ScoreCase {
                name: "node with taints tolerated by the pod, gets a higher score than those node with intolerable taints",
                pod: pod_with_tolerations(vec![toleration("foo", Equal, "bar", Some(PreferNoSchedule))]),
                nodes: vec![
                    node_with_taints("nodeA", vec![taint("foo", "bar", PreferNoSchedule)]),
                    node_with_taints("nodeB", vec![taint("foo", "blah", PreferNoSchedule)]),
                ],
                expected_list: &[("nodeA", MAX_NODE_SCORE), ("nodeB", 0)],
            },
            ScoreCase {
                name: "the nodes that all of their taints are tolerated by the pod, get the same score, no matter how many tolerable taints a node has",
                pod: pod_with_tolerations(vec![
                    toleration("cpu-type", Equal, "arm64", Some(PreferNoSchedule)),
                    toleration("disk-type", Equal, "ssd", Some(PreferNoSchedule)),
                ]),
                nodes: vec![
                    node_with_taints("nodeA", vec![]),
                    node_with_taints("nodeB", vec![taint("cpu-type", "arm64", PreferNoSchedule)]),
                    node_with_taints(
                        "nodeC",
                        vec![taint("cpu-type", "arm64", PreferNoSchedule), taint("disk-type", "ssd", PreferNoSchedule)],
                    ),
                ],
                expected_list: &[("nodeA", MAX_NODE_SCORE), ("nodeB", MAX_NODE_SCORE), ("nodeC", MAX_NODE_SCORE)],
            },
            ScoreCase {
                name: "the more intolerable taints a node has, the lower score it gets.",
                pod: pod_with_tolerations(vec![toleration("foo", Equal, "bar", Some(PreferNoSchedule))]),
                nodes: vec![
                    node_with_taints("nodeA", vec![]),
                    node_with_taints("nodeB", vec![taint("cpu-type", "arm64", PreferNoSchedule)]),
                    node_with_taints(
                        "nodeC",
                        vec![taint("cpu-type", "arm64", PreferNoSchedule), taint("disk-type", "ssd", PreferNoSchedule)],
                    ),
                ],
                expected_list: &[("nodeA", MAX_NODE_SCORE), ("nodeB", 50), ("nodeC", 0)],
            },
            ScoreCase {
                name: "only taints and tolerations that have effect PreferNoSchedule are checked by taints-tolerations priority function",
                pod: pod_with_tolerations(vec![
                    toleration("cpu-type", Equal, "arm64", Some(NoSchedule)),
                    toleration("disk-type", Equal, "ssd", Some(NoSchedule)),
                ]),
                nodes: vec![
                    node_with_taints("nodeA", vec![]),
                    node_with_taints("nodeB", vec![taint("cpu-type", "arm64", NoSchedule)]),
                    node_with_taints(
                        "nodeC",
                        vec![taint("cpu-type", "arm64", PreferNoSchedule), taint("disk-type", "ssd", PreferNoSchedule)],
                    ),
                ],
                expected_list: &[("nodeA", MAX_NODE_SCORE), ("nodeB", MAX_NODE_SCORE), ("nodeC", 0)],
            },
            ScoreCase {
                name: "Default behaviour No taints and tolerations, lands on node with no taints",
                pod: pod_with_tolerations(vec![]),
                nodes: vec![
                    node_with_taints("nodeA", vec![]),
                    node_with_taints("nodeB", vec![taint("cpu-type", "arm64", PreferNoSchedule)]),
                ],
                expected_list: &[("nodeA", MAX_NODE_SCORE), ("nodeB", 0)],
            },
        ];
        for test in &tests {
            let mut scores: Vec<i64> = test.nodes.iter().map(|node| score(&test.pod, node)).collect();
            normalize(&mut scores);
            let got_list: Vec<(&str, i64)> = test.nodes.iter().map(|n| n.name.as_str()).zip(scores).collect();
            assert_eq!(got_list, test.expected_list, "{}", test.name);
        }
    }

    /// A case of `TestTaintTolerationFilter`.
    struct FilterCase {
        name: &'static str,
        pod: PodInfo,
        node: NodeInfo,
        want_status: Verdict,
    }

    /// `TestTaintTolerationFilter` (tainttoleration/taint_toleration_test.go):
    /// 14 cases upstream, 9 here; upstream compares the status's code and
    /// message, as [`Verdict`] does. Left out, needing tolerations with the
    /// `Gt` and `Lt` operators (the alpha TaintTolerationComparisonOperators
    /// feature), which Flotilla does not model: "Pod with Gt toleration cannot
    /// be scheduled on node when taint value is lower than threshold", "Pod
    /// with Gt toleration can be scheduled on node when taint value is higher
    /// than threshold", "Pod with Lt toleration cannot be scheduled on node
    /// when taint value is higher than threshold", "Pod with Lt toleration can
    /// be scheduled on node when taint value is lower than threshold", "Pod
    /// with Gt toleration cannot be scheduled on node with non-numeric taint
    /// value".
    #[test]
    fn test_taint_toleration_filter() {
        let untolerated = || Verdict::UnschedulableAndUnresolvable(vec![REASON.into()]);
        let tests = [
            FilterCase {
                name: "A pod having no tolerations can't be scheduled onto a node with nonempty taints",
                pod: pod_with_tolerations(vec![]),
                node: node_with_taints("nodeA", vec![taint("dedicated", "user1", NoSchedule)]),
                want_status: untolerated(),
            },
            FilterCase {
                name: "A pod which can be scheduled on a dedicated node assigned to user1 with effect NoSchedule",
                pod: pod_with_tolerations(vec![toleration("dedicated", Equal, "user1", Some(NoSchedule))]),
                node: node_with_taints("nodeA", vec![taint("dedicated", "user1", NoSchedule)]),
                want_status: Verdict::Fits,
            },
            FilterCase {
                name: "A pod which can't be scheduled on a dedicated node assigned to user2 with effect NoSchedule",
                pod: pod_with_tolerations(vec![toleration("dedicated", Equal, "user2", Some(NoSchedule))]),
                node: node_with_taints("nodeA", vec![taint("dedicated", "user1", NoSchedule)]),
                want_status: untolerated(),
            },
            FilterCase {
                name: "A pod can be scheduled onto the node, with a toleration uses operator Exists that tolerates the taints on the node",
                pod: pod_with_tolerations(vec![toleration("foo", Exists, "", Some(NoSchedule))]),
                node: node_with_taints("nodeA", vec![taint("foo", "bar", NoSchedule)]),
                want_status: Verdict::Fits,
            },
            FilterCase {
                name: "A pod has multiple tolerations, node has multiple taints, all the taints are tolerated, pod can be scheduled onto the node",
                pod: pod_with_tolerations(vec![
                    toleration("dedicated", Equal, "user2", Some(NoSchedule)),
                    toleration("foo", Exists, "", Some(NoSchedule)),
                ]),
                node: node_with_taints(
                    "nodeA",
                    vec![taint("dedicated", "user2", NoSchedule), taint("foo", "bar", NoSchedule)],
                ),
                want_status: Verdict::Fits,
            },
            FilterCase {
                name: "A pod has a toleration that keys and values match the taint on the node, but (non-empty) effect doesn't match, \
                       can't be scheduled onto the node",
                pod: pod_with_tolerations(vec![toleration("foo", Equal, "bar", Some(PreferNoSchedule))]),
                node: node_with_taints("nodeA", vec![taint("foo", "bar", NoSchedule)]),
                want_status: untolerated(),
            },
            FilterCase {
                name: "The pod has a toleration that keys and values match the taint on the node, the effect of toleration is empty, \
                       and the effect of taint is NoSchedule. Pod can be scheduled onto the node",
                pod: pod_with_tolerations(vec![toleration("foo", Equal, "bar", None)]),
                node: node_with_taints("nodeA", vec![taint("foo", "bar", NoSchedule)]),
                want_status: Verdict::Fits,
            },
            FilterCase {
                name: "The pod has a toleration that key and value don't match the taint on the node, \
                       but the effect of taint on node is PreferNoSchedule. Pod can be scheduled onto the node",
                pod: pod_with_tolerations(vec![toleration("dedicated", Equal, "user2", Some(NoSchedule))]),
                node: node_with_taints("nodeA", vec![taint("dedicated", "user1", PreferNoSchedule)]),
                want_status: Verdict::Fits,
            },
            FilterCase {
                name: "The pod has no toleration, \
                       but the effect of taint on node is PreferNoSchedule. Pod can be scheduled onto the node",
                pod: pod_with_tolerations(vec![]),
                node: node_with_taints("nodeA", vec![taint("dedicated", "user1", PreferNoSchedule)]),
                want_status: Verdict::Fits,
            },
        ];
        for test in &tests {
            let got_status = filter(&test.pod, &test.node).map_or(Verdict::Fits, |r| Verdict::of(r, &[]));
            assert_eq!(got_status, test.want_status, "{}", test.name);
        }
    }
}
