//! NodeAffinity (`plugins/nodeaffinity`). Filter: the node's labels must
//! match the pod's `nodeSelector` and one of its required node-affinity
//! terms. Score: the sum of the weights of the preferred terms the node
//! matches, normalised so the best node scores 100.

use crate::behaviours::scheduler::{MAX_NODE_SCORE, NodeInfo, PodInfo, Rejection, default_normalize_score};
use crate::model::kube::{Labels, NodeAffinity, NodeSelectorTerm, Requirement, SelectorOperator};
use crate::model::kube_rules;

pub const REASON: &str = "node(s) didn't match Pod's node affinity/selector";

/// Whether `labels.NewRequirement` (k8s.io/apimachinery labels/selector.go)
/// accepts the requirement, as `nodeSelectorRequirementsAsSelector` builds it:
/// a qualified-name key; at least one value for `In` and `NotIn`, none for
/// `Exists` and `DoesNotExist`, exactly one decimal integer for `Gt` and
/// `Lt`; and every value a valid label value. API validation checks only the
/// number of values, so a pod can carry a requirement that fails here.
pub fn valid_requirement(r: &Requirement) -> bool {
    let count_ok = match r.operator {
        SelectorOperator::In | SelectorOperator::NotIn => !r.values.is_empty(),
        SelectorOperator::Exists | SelectorOperator::DoesNotExist => r.values.is_empty(),
        SelectorOperator::Gt | SelectorOperator::Lt => r.values.len() == 1 && r.values[0].parse::<i64>().is_ok(),
    };
    count_ok
        && kube_rules::qualified_name(&r.key).is_empty()
        && r.values.iter().all(|v| kube_rules::label_value(v).is_empty())
}

/// `nodeSelectorRequirementsAsSelector` over a pod's node-affinity terms,
/// once when the scheduler first sees the pod: a term with a requirement
/// that fails to parse (see [`valid_requirement`]) is emptied, so that it
/// matches no node, as `LazyErrorNodeSelector.Match` skips it and
/// `RequiredNodeAffinity.Match` drops the error.
pub fn parse_terms(mut affinity: NodeAffinity) -> NodeAffinity {
    let terms = affinity.required.iter_mut().chain(affinity.preferred.iter_mut().map(|p| &mut p.preference));
    for term in terms.filter(|t| !t.match_expressions.iter().all(valid_requirement)) {
        term.match_expressions.clear();
    }
    affinity
}

/// `nodeSelectorTerm.match` (k8s.io/component-helpers
/// scheduling/corev1/nodeaffinity/nodeaffinity.go) for a term of
/// `matchExpressions`, parsed by [`parse_terms`]: a term without any matches
/// no node (`isEmptyNodeSelectorTerm`).
pub fn node_selector_term_match(term: &NodeSelectorTerm, labels: &Labels) -> bool {
    !term.match_expressions.is_empty() && term.matches(labels)
}

/// `RequiredNodeAffinity.Match` (k8s.io/component-helpers
/// scheduling/corev1/nodeaffinity/nodeaffinity.go) on a node's labels: every
/// pair of the pod's `nodeSelector`, and when the pod has required
/// node-affinity terms, any one of them.
pub fn required_node_affinity_match(pod: &PodInfo, labels: &Labels) -> bool {
    pod.node_selector.iter().all(|(k, v)| labels.get(k) == Some(v))
        && (pod.affinity.required.is_empty()
            || pod.affinity.required.iter().any(|t| node_selector_term_match(t, labels)))
}

pub fn filter(pod: &PodInfo, node: &NodeInfo) -> Option<Rejection> {
    (!required_node_affinity_match(pod, &node.labels)).then_some(Rejection::NodeAffinity)
}

/// `PreferredSchedulingTerms.Score`: the weights of the preferred terms the
/// node's labels match. An empty term matches no node, as
/// `NewPreferredSchedulingTerms` leaves it out; a term that fails to parse
/// matches none either, where upstream's PreScore fails the cycle with the
/// parse error.
pub fn score(pod: &PodInfo, node: &NodeInfo) -> i64 {
    pod.affinity
        .preferred
        .iter()
        .filter(|p| node_selector_term_match(&p.preference, &node.labels))
        .map(|p| p.weight)
        .sum()
}

pub fn normalize(scores: &mut [i64]) {
    default_normalize_score(MAX_NODE_SCORE, false, scores);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::behaviours::scheduler::Verdict;
    use crate::model::kube::PreferredSchedulingTerm;
    use SelectorOperator::{DoesNotExist, Exists, Gt, In, NotIn};

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().map(|&(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn requirement(key: &str, operator: SelectorOperator, values: &[&str]) -> Requirement {
        Requirement { key: key.into(), operator, values: values.iter().map(|v| v.to_string()).collect() }
    }

    fn term(match_expressions: Vec<Requirement>) -> NodeSelectorTerm {
        NodeSelectorTerm { match_expressions }
    }

    /// A case of `TestNodeAffinity`.
    struct FilterCase {
        name: &'static str,
        /// The pod's `nodeSelector`.
        node_selector: &'static [(&'static str, &'static str)],
        /// The pod's required node-affinity terms; none stands for upstream's
        /// nil `Affinity`, nil `NodeAffinity` or nil `RequiredDuringScheduling…`.
        required: Vec<NodeSelectorTerm>,
        labels: &'static [(&'static str, &'static str)],
        want_status: Verdict,
        /// Whether PreFilter returns Skip: the framework then leaves the
        /// filter out, as Flotilla's does when the pod has no node constraints.
        want_pre_filter_skip: bool,
    }

    /// `TestNodeAffinity` (nodeaffinity/node_affinity_test.go): 31 cases
    /// upstream, 20 here. An empty upstream status is [`Verdict::Fits`];
    /// `ErrReasonPod` is [`REASON`]. Left out, needing `matchFields` (terms on
    /// the node's name) and PreFilter's node-name result: "Pod with matchFields
    /// using In operator that matches the existing node", "Pod with matchFields
    /// using In operator that does not match the existing node", "Pod with two
    /// terms: matchFields does not match, but matchExpressions matches", "Pod
    /// with one term: matchFields does not match, but matchExpressions
    /// matches", "Pod with one term: both matchFields and matchExpressions
    /// match", "Pod with two terms: both matchFields and matchExpressions do
    /// not match", "Pod with two terms of node.Name affinity", "Pod with two
    /// conflicting mach field requirements". Left out, needing the plugin's
    /// `addedAffinity` argument: "Matches added affinity and Pod's node
    /// affinity", "Matches added affinity but not Pod's node affinity",
    /// "Doesn't match added affinity".
    #[test]
    fn test_node_affinity() {
        let unmatched = || Verdict::UnschedulableAndUnresolvable(vec![REASON.into()]);
        let tests = [
            FilterCase {
                name: "missing labels",
                node_selector: &[("foo", "bar")],
                required: vec![],
                labels: &[],
                want_status: unmatched(),
                want_pre_filter_skip: false,
            },
            FilterCase {
                name: "same labels",
                node_selector: &[("foo", "bar")],
                required: vec![],
                labels: &[("foo", "bar")],
                want_status: Verdict::Fits,
                want_pre_filter_skip: false,
            },
            FilterCase {
                name: "node labels are superset",
                node_selector: &[("foo", "bar")],
                required: vec![],
                labels: &[("foo", "bar"), ("baz", "blah")],
                want_status: Verdict::Fits,
                want_pre_filter_skip: false,
            },
            FilterCase {
                name: "node labels are subset",
                node_selector: &[("foo", "bar"), ("baz", "blah")],
                required: vec![],
                labels: &[("foo", "bar")],
                want_status: unmatched(),
                want_pre_filter_skip: false,
            },
            FilterCase {
                name: "Pod with matchExpressions using In operator that matches the existing node",
                node_selector: &[],
                required: vec![term(vec![requirement("foo", In, &["bar", "value2"])])],
                labels: &[("foo", "bar")],
                want_status: Verdict::Fits,
                want_pre_filter_skip: false,
            },
            FilterCase {
                name: "Pod with matchExpressions using Gt operator that matches the existing node",
                node_selector: &[],
                required: vec![term(vec![requirement("kernel-version", Gt, &["0204"])])],
                labels: &[("kernel-version", "0206")],
                want_status: Verdict::Fits,
                want_pre_filter_skip: false,
            },
            FilterCase {
                name: "Pod with matchExpressions using NotIn operator that matches the existing node",
                node_selector: &[],
                required: vec![term(vec![requirement("mem-type", NotIn, &["DDR", "DDR2"])])],
                labels: &[("mem-type", "DDR3")],
                want_status: Verdict::Fits,
                want_pre_filter_skip: false,
            },
            FilterCase {
                name: "Pod with matchExpressions using Exists operator that matches the existing node",
                node_selector: &[],
                required: vec![term(vec![requirement("GPU", Exists, &[])])],
                labels: &[("GPU", "NVIDIA-GRID-K1")],
                want_status: Verdict::Fits,
                want_pre_filter_skip: false,
            },
            FilterCase {
                name: "Pod with affinity that don't match node's labels won't schedule onto the node",
                node_selector: &[],
                required: vec![term(vec![requirement("foo", In, &["value1", "value2"])])],
                labels: &[("foo", "bar")],
                want_status: unmatched(),
                want_pre_filter_skip: false,
            },
            FilterCase {
                name: "Pod with empty MatchExpressions is not a valid value will match no objects and won't schedule onto the node",
                node_selector: &[],
                required: vec![term(vec![])],
                labels: &[("foo", "bar")],
                want_status: unmatched(),
                want_pre_filter_skip: false,
            },
            FilterCase {
                name: "Pod with no Affinity will schedule onto a node",
                node_selector: &[],
                required: vec![],
                labels: &[("foo", "bar")],
                want_status: Verdict::Fits,
                want_pre_filter_skip: true,
            },
            FilterCase {
                name: "Pod with Affinity but nil NodeSelector will schedule onto a node",
                node_selector: &[],
                required: vec![],
                labels: &[("foo", "bar")],
                want_status: Verdict::Fits,
                want_pre_filter_skip: true,
            },
            FilterCase {
                name: "Pod with multiple matchExpressions ANDed that matches the existing node",
                node_selector: &[],
                required: vec![term(vec![
                    requirement("GPU", Exists, &[]),
                    requirement("GPU", NotIn, &["AMD", "INTER"]),
                ])],
                labels: &[("GPU", "NVIDIA-GRID-K1")],
                want_status: Verdict::Fits,
                want_pre_filter_skip: false,
            },
            FilterCase {
                name: "Pod with multiple matchExpressions ANDed that doesn't match the existing node",
                node_selector: &[],
                required: vec![term(vec![requirement("GPU", Exists, &[]), requirement("GPU", In, &["AMD", "INTER"])])],
                labels: &[("GPU", "NVIDIA-GRID-K1")],
                want_status: unmatched(),
                want_pre_filter_skip: false,
            },
            FilterCase {
                name: "Pod with multiple NodeSelectorTerms ORed in affinity, matches the node's labels and will schedule onto the node",
                node_selector: &[],
                required: vec![
                    term(vec![requirement("foo", In, &["bar", "value2"])]),
                    term(vec![requirement("diffkey", In, &["wrong", "value2"])]),
                ],
                labels: &[("foo", "bar")],
                want_status: Verdict::Fits,
                want_pre_filter_skip: false,
            },
            FilterCase {
                name: "Pod with an Affinity and a PodSpec.NodeSelector(the old thing that we are deprecating) \
                       both are satisfied, will schedule onto the node",
                node_selector: &[("foo", "bar")],
                required: vec![term(vec![requirement("foo", Exists, &[])])],
                labels: &[("foo", "bar")],
                want_status: Verdict::Fits,
                want_pre_filter_skip: false,
            },
            FilterCase {
                name: "Pod with an Affinity matches node's labels but the PodSpec.NodeSelector(the old thing that we are deprecating) \
                       is not satisfied, won't schedule onto the node",
                node_selector: &[("foo", "bar")],
                required: vec![term(vec![requirement("foo", Exists, &[])])],
                labels: &[("foo", "barrrrrr")],
                want_status: unmatched(),
                want_pre_filter_skip: false,
            },
            FilterCase {
                name: "Pod with an invalid value in Affinity term won't be scheduled onto the node",
                node_selector: &[],
                required: vec![term(vec![requirement("foo", NotIn, &["invalid value: ___@#$%^"])])],
                labels: &[("foo", "bar")],
                want_status: unmatched(),
                want_pre_filter_skip: false,
            },
            FilterCase {
                name: "Matches node selector correctly even if PreFilter is not called",
                node_selector: &[("foo", "bar")],
                required: vec![],
                labels: &[("foo", "bar"), ("baz", "blah")],
                want_status: Verdict::Fits,
                want_pre_filter_skip: false,
            },
            FilterCase {
                name: "Matches node affinity correctly even if PreFilter is not called",
                node_selector: &[],
                required: vec![term(vec![
                    requirement("GPU", Exists, &[]),
                    requirement("GPU", NotIn, &["AMD", "INTER"]),
                ])],
                labels: &[("GPU", "NVIDIA-GRID-K1")],
                want_status: Verdict::Fits,
                want_pre_filter_skip: false,
            },
        ];
        for test in tests {
            let pod = PodInfo { node_selector: labels(test.node_selector), ..PodInfo::default() }
                .with_affinity(NodeAffinity { required: test.required, preferred: Vec::new() });
            let node = NodeInfo { labels: labels(test.labels), ..NodeInfo::default() };
            assert_eq!(!pod.has_node_constraints(), test.want_pre_filter_skip, "{}: PreFilter", test.name);
            let got_status = filter(&pod, &node).map_or(Verdict::Fits, |r| Verdict::of(r, &[]));
            assert_eq!(got_status, test.want_status, "{}", test.name);
        }
    }

    /// A case of `TestNodeAffinityPriority`.
    struct ScoreCase {
        name: &'static str,
        preferred: Vec<PreferredSchedulingTerm>,
        nodes: Vec<(&'static str, Labels)>,
        expected_list: &'static [(&'static str, i64)],
    }

    /// `TestNodeAffinityPriority` (nodeaffinity/node_affinity_test.go): 9
    /// cases upstream, 5 here, each node scored then the list normalised.
    /// Left out, needing PreScore's status, which Flotilla does not model:
    /// "Skip is returned in PreScore when NodeAffinity is nil" and "PreScore
    /// returns error when an incoming Pod has a broken affinity" (see
    /// [`score`] for how a term that fails to parse scores here). Left out,
    /// needing the plugin's `addedAffinity` argument: "added affinity",
    /// "added affinity and pod has default affinity".
    #[test]
    fn test_node_affinity_priority() {
        let label1 = labels(&[("foo", "bar")]);
        let label2 = labels(&[("key", "value")]);
        let label3 = labels(&[("az", "az1")]);
        let label4 = labels(&[("abc", "az11"), ("def", "az22")]);
        let label5 = labels(&[("foo", "bar"), ("key", "value"), ("az", "az1")]);
        let preferred =
            |weight, match_expressions| PreferredSchedulingTerm { weight, preference: term(match_expressions) };
        let affinity1 = || vec![preferred(2, vec![requirement("foo", In, &["bar"])])];
        let affinity2 = || {
            vec![
                preferred(2, vec![requirement("foo", In, &["bar"])]),
                preferred(4, vec![requirement("key", In, &["value"])]),
                preferred(
                    5,
                    vec![
                        requirement("foo", In, &["bar"]),
                        requirement("key", In, &["value"]),
                        requirement("az", In, &["az1"]),
                    ],
                ),
            ]
        };
        let tests = [
            ScoreCase {
                name: "all nodes are same priority as NodeAffinity is nil",
                preferred: vec![],
                nodes: vec![("node1", label1.clone()), ("node2", label2.clone()), ("node3", label3.clone())],
                expected_list: &[("node1", 0), ("node2", 0), ("node3", 0)],
            },
            ScoreCase {
                name: "no node matches preferred scheduling requirements in NodeAffinity of pod so all nodes' priority is zero",
                preferred: affinity1(),
                nodes: vec![("node1", label4), ("node2", label2.clone()), ("node3", label3.clone())],
                expected_list: &[("node1", 0), ("node2", 0), ("node3", 0)],
            },
            ScoreCase {
                name: "only node1 matches the preferred scheduling requirements of pod",
                preferred: affinity1(),
                nodes: vec![("node1", label1.clone()), ("node2", label2.clone()), ("node3", label3)],
                expected_list: &[("node1", MAX_NODE_SCORE), ("node2", 0), ("node3", 0)],
            },
            ScoreCase {
                name: "all nodes matches the preferred scheduling requirements of pod but with different priorities ",
                preferred: affinity2(),
                nodes: vec![("node1", label1.clone()), ("node5", label5.clone()), ("node2", label2.clone())],
                expected_list: &[("node1", 18), ("node5", MAX_NODE_SCORE), ("node2", 36)],
            },
            ScoreCase {
                name: "calculate the priorities correctly even if PreScore is not called",
                preferred: affinity2(),
                nodes: vec![("node1", label1), ("node5", label5), ("node2", label2)],
                expected_list: &[("node1", 18), ("node5", MAX_NODE_SCORE), ("node2", 36)],
            },
        ];
        for test in tests {
            let pod =
                PodInfo::default().with_affinity(NodeAffinity { required: Vec::new(), preferred: test.preferred });
            let nodes: Vec<NodeInfo> = test
                .nodes
                .into_iter()
                .map(|(name, labels)| NodeInfo { name: name.into(), labels, ..NodeInfo::default() })
                .collect();
            let mut scores: Vec<i64> = nodes.iter().map(|node| score(&pod, node)).collect();
            normalize(&mut scores);
            let got_list: Vec<(&str, i64)> = nodes.iter().map(|n| n.name.as_str()).zip(scores).collect();
            assert_eq!(got_list, test.expected_list, "{}", test.name);
        }
    }

    #[test]
    fn a_requirement_parses_as_labels_new_requirement_parses_it() {
        for (r, valid) in [
            (requirement("foo", In, &["bar"]), true),
            (requirement("foo", In, &[]), false),
            (requirement("foo", NotIn, &["invalid value: ___@#$%^"]), false),
            (requirement("invalid key", In, &["bar"]), false),
            (requirement("example.com/zone", Exists, &[]), true),
            (requirement("foo", DoesNotExist, &["bar"]), false),
            (requirement("kernel-version", Gt, &["0204"]), true),
            (requirement("kernel-version", Gt, &["high"]), false),
            (requirement("kernel-version", Gt, &["1", "2"]), false),
        ] {
            assert_eq!(valid_requirement(&r), valid, "{r:?}");
        }
    }
}
