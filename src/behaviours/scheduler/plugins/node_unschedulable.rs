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
    use crate::model::kube::{Toleration, TolerationOperator};

    #[test]
    fn a_cordoned_node_takes_only_pods_that_tolerate_the_cordon() {
        let cordoned = NodeInfo { unschedulable: true, ..NodeInfo::default() };
        let plain = PodInfo::default();
        assert_eq!(filter(tolerates_cordon(&plain), &cordoned), Some(Rejection::Unschedulable));
        assert_eq!(filter(tolerates_cordon(&plain), &NodeInfo::default()), None);
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
        assert_eq!(filter(tolerates_cordon(&tolerant), &cordoned), None);
    }
}
