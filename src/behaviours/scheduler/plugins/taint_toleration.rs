//! TaintToleration (`plugins/tainttoleration`). Filter: a node with a
//! NoSchedule or NoExecute taint the pod does not tolerate is ruled out.
//! Score: the number of PreferNoSchedule taints the pod does not tolerate,
//! reverse-normalised, so the node with fewest scores 100.

use crate::behaviours::scheduler::{MAX_NODE_SCORE, NodeInfo, PodInfo, Rejection, default_normalize_score};
use crate::model::kube::{Taint, TaintEffect};

/// The first NoSchedule or NoExecute taint of the node the pod does not tolerate.
pub fn filter(pod: &PodInfo, node: &NodeInfo) -> Option<Rejection> {
    node.taints
        .iter()
        .position(|taint| {
            matches!(taint.effect, TaintEffect::NoSchedule | TaintEffect::NoExecute)
                && !pod.tolerations.iter().any(|t| t.tolerates(taint))
        })
        .map(|i| Rejection::Taint(i.min(usize::from(u16::MAX)) as u16))
}

/// The reason kube-scheduler prints for an untolerated taint.
pub fn reason(taint: &Taint) -> String {
    format!("node(s) had untolerated taint {{{}: {}}}", taint.key, taint.value)
}

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

    fn taint(key: &str, value: &str, effect: TaintEffect) -> Taint {
        Taint { key: key.into(), value: value.into(), effect }
    }

    #[test]
    fn an_untolerated_taint_rules_the_node_out_with_kube_schedulers_words() {
        let node = NodeInfo { taints: vec![taint("dedicated", "db", TaintEffect::NoSchedule)], ..NodeInfo::default() };
        assert_eq!(filter(&PodInfo::default(), &node), Some(Rejection::Taint(0)));
        assert_eq!(reason(&node.taints[0]), "node(s) had untolerated taint {dedicated: db}");
        let soft =
            NodeInfo { taints: vec![taint("dedicated", "db", TaintEffect::PreferNoSchedule)], ..NodeInfo::default() };
        assert_eq!(filter(&PodInfo::default(), &soft), None);
    }

    #[test]
    fn fewer_intolerable_prefer_no_schedule_taints_score_higher() {
        let p = |k: &str| taint(k, "v", TaintEffect::PreferNoSchedule);
        let nodes = [
            NodeInfo::default(),
            NodeInfo { taints: vec![p("a")], ..NodeInfo::default() },
            NodeInfo { taints: vec![p("a"), p("b")], ..NodeInfo::default() },
        ];
        let pod = PodInfo::default();
        let mut scores: Vec<i64> = nodes.iter().map(|n| score(&pod, n)).collect();
        assert_eq!(scores, vec![0, 1, 2]);
        normalize(&mut scores);
        assert_eq!(scores, vec![100, 50, 0]);
    }
}
