//! NodeName (`plugins/nodename`): a pod that names its node (`spec.nodeName`)
//! fits only there.

use crate::behaviours::scheduler::{FilterPlugin, NodeInfo, PodInfo, Snapshot, Verdict};

pub struct NodeName;

/// `ErrReason`.
pub const REASON: &str = "node(s) didn't match the requested node name";

impl FilterPlugin for NodeName {
    fn name(&self) -> &'static str {
        "NodeName"
    }

    fn filter(&self, pod: &PodInfo, node: &NodeInfo, _: &Snapshot) -> Verdict {
        match &pod.node_name {
            Some(name) if *name != node.name => Verdict::UnschedulableAndUnresolvable(vec![REASON.into()]),
            _ => Verdict::Fits,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_named_node_fits() {
        let pod = PodInfo { node_name: Some("node-2".into()), ..PodInfo::default() };
        let node = |n: &str| NodeInfo { name: n.into(), ..NodeInfo::default() };
        assert!(NodeName.filter(&pod, &node("node-2"), &Snapshot::default()).fits());
        assert!(!NodeName.filter(&pod, &node("node-1"), &Snapshot::default()).fits());
        assert!(NodeName.filter(&PodInfo::default(), &node("node-1"), &Snapshot::default()).fits());
    }
}
