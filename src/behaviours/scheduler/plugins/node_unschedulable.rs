//! NodeUnschedulable (`plugins/nodeunschedulable`): a cordoned node
//! (`spec.unschedulable`) takes no pod that does not tolerate the
//! `node.kubernetes.io/unschedulable:NoSchedule` taint.

use crate::behaviours::scheduler::{FilterPlugin, NodeInfo, PodInfo, Snapshot, Verdict};
use crate::model::kube::{TAINT_UNSCHEDULABLE, Taint, TaintEffect};

pub struct NodeUnschedulable;

/// `ErrReasonUnschedulable`.
pub const REASON: &str = "node(s) were unschedulable";

impl FilterPlugin for NodeUnschedulable {
    fn name(&self) -> &'static str {
        "NodeUnschedulable"
    }

    fn filter(&self, pod: &PodInfo, node: &NodeInfo, _: &Snapshot) -> Verdict {
        if !node.unschedulable {
            return Verdict::Fits;
        }
        let taint = Taint { key: TAINT_UNSCHEDULABLE.into(), value: String::new(), effect: TaintEffect::NoSchedule };
        if pod.tolerations.iter().any(|t| t.tolerates(&taint)) {
            Verdict::Fits
        } else {
            Verdict::UnschedulableAndUnresolvable(vec![REASON.into()])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::kube::{Toleration, TolerationOperator};

    #[test]
    fn a_cordoned_node_refuses_pods_that_do_not_tolerate_it() {
        let node = NodeInfo { unschedulable: true, ..NodeInfo::default() };
        let pod = PodInfo::default();
        assert_eq!(
            NodeUnschedulable.filter(&pod, &node, &Snapshot::default()),
            Verdict::UnschedulableAndUnresolvable(vec![REASON.into()])
        );
        let tolerant = PodInfo {
            tolerations: vec![Toleration {
                key: TAINT_UNSCHEDULABLE.into(),
                operator: TolerationOperator::Exists,
                value: String::new(),
                effect: Some(TaintEffect::NoSchedule),
                toleration_seconds: None,
            }],
            ..PodInfo::default()
        };
        assert!(NodeUnschedulable.filter(&tolerant, &node, &Snapshot::default()).fits());
        assert!(NodeUnschedulable.filter(&pod, &NodeInfo::default(), &Snapshot::default()).fits());
    }
}
