//! NodeUnschedulable (`plugins/nodeunschedulable`): a cordoned node takes no
//! new pods, unless the pod tolerates the `node.kubernetes.io/unschedulable`
//! NoSchedule taint.

use crate::behaviours::scheduler::{NodeInfo, PodInfo, Rejection};
use crate::model::kube::{TAINT_UNSCHEDULABLE, Taint, TaintEffect};

pub const REASON: &str = "node(s) were unschedulable";

/// Whether the pod tolerates the taint that comes with a cordon.
pub fn tolerates_cordon(pod: &PodInfo) -> bool {
    let taint = Taint { key: TAINT_UNSCHEDULABLE.into(), value: String::new(), effect: TaintEffect::NoSchedule };
    pod.tolerations.iter().any(|t| t.tolerates(&taint))
}

/// `tolerates` as [`tolerates_cordon`] gives it for the pod.
pub fn filter(tolerates: bool, node: &NodeInfo) -> Option<Rejection> {
    (node.unschedulable && !tolerates).then_some(Rejection::Unschedulable)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::behaviours::scheduler::Verdict;
    use crate::model::kube::Toleration;

    /// A case of `TestNodeUnschedulable`.
    struct Case {
        name: &'static str,
        pod: PodInfo,
        /// The node's `spec.unschedulable`.
        unschedulable: bool,
        want_status: Verdict,
    }

    /// `TestNodeUnschedulable` (nodeunschedulable/node_unschedulable_test.go),
    /// all 3 cases. An empty upstream status is [`Verdict::Fits`];
    /// `ErrReasonUnschedulable` is [`REASON`].
    #[test]
    fn test_node_unschedulable() {
        let test_cases = [
            Case {
                name: "Does not schedule pod to unschedulable node (node.Spec.Unschedulable==true)",
                pod: PodInfo::default(),
                unschedulable: true,
                want_status: Verdict::UnschedulableAndUnresolvable(vec![REASON.into()]),
            },
            Case {
                name: "Schedule pod to normal node",
                pod: PodInfo::default(),
                unschedulable: false,
                want_status: Verdict::Fits,
            },
            Case {
                name: "Schedule pod with toleration to unschedulable node (node.Spec.Unschedulable==true)",
                pod: PodInfo {
                    // Key and effect only: the operator defaults to Equal and the value to "".
                    tolerations: vec![Toleration {
                        key: TAINT_UNSCHEDULABLE.into(),
                        operator: Default::default(),
                        value: String::new(),
                        effect: Some(TaintEffect::NoSchedule),
                        toleration_seconds: None,
                    }],
                    ..PodInfo::default()
                },
                unschedulable: true,
                want_status: Verdict::Fits,
            },
        ];
        for test in &test_cases {
            let node = NodeInfo { unschedulable: test.unschedulable, ..NodeInfo::default() };
            let got_status = filter(tolerates_cordon(&test.pod), &node).map_or(Verdict::Fits, |r| Verdict::of(r, &[]));
            assert_eq!(got_status, test.want_status, "{}", test.name);
        }
    }
}
