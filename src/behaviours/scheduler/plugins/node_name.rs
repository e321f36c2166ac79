//! NodeName (`plugins/nodename`): a pod that names a node (`spec.nodeName`)
//! fits only there.

use crate::behaviours::scheduler::{NodeInfo, PodInfo, Rejection};

pub const REASON: &str = "node(s) didn't match the requested node name";

pub fn filter(pod: &PodInfo, node: &NodeInfo) -> Option<Rejection> {
    match &pod.node_name {
        Some(name) if *name != node.name => Some(Rejection::NodeName),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_named_node_fits() {
        let pod = PodInfo { node_name: Some("node-2".into()), ..PodInfo::default() };
        let node = |n: &str| NodeInfo { name: n.into(), ..NodeInfo::default() };
        assert_eq!(filter(&pod, &node("node-2")), None);
        assert_eq!(filter(&pod, &node("node-1")), Some(Rejection::NodeName));
        assert_eq!(filter(&PodInfo::default(), &node("node-1")), None);
    }
}
