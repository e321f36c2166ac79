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
    use crate::behaviours::scheduler::Verdict;

    /// A case of `TestNodeName`.
    struct Case {
        /// The pod's `spec.nodeName`, if it names one.
        pod_node_name: Option<&'static str>,
        node_name: &'static str,
        name: &'static str,
        want_status: Verdict,
    }

    /// `TestNodeName` (nodename/node_name_test.go), all 3 cases. An empty
    /// upstream status is [`Verdict::Fits`]; `ErrReason` is [`REASON`].
    #[test]
    fn test_node_name() {
        let tests = [
            Case { pod_node_name: None, node_name: "", name: "no host specified", want_status: Verdict::Fits },
            Case { pod_node_name: Some("foo"), node_name: "foo", name: "host matches", want_status: Verdict::Fits },
            Case {
                pod_node_name: Some("bar"),
                node_name: "foo",
                name: "host doesn't match",
                want_status: Verdict::UnschedulableAndUnresolvable(vec![REASON.into()]),
            },
        ];
        for test in &tests {
            let pod = PodInfo { node_name: test.pod_node_name.map(String::from), ..PodInfo::default() };
            let node = NodeInfo { name: test.node_name.into(), ..NodeInfo::default() };
            let got_status = filter(&pod, &node).map_or(Verdict::Fits, |r| Verdict::of(r, &[]));
            assert_eq!(got_status, test.want_status, "{}", test.name);
        }
    }
}
