//! TaintToleration (`plugins/tainttoleration`). Filter: a node with a
//! NoSchedule or NoExecute taint the pod does not tolerate is ruled out.
//! Score: the number of PreferNoSchedule taints the pod does not tolerate,
//! reverse-normalised, so the node with fewest scores 100.

use crate::behaviours::scheduler::{
    FilterPlugin, MAX_NODE_SCORE, NodeInfo, PodInfo, ScorePlugin, Snapshot, Verdict, default_normalize_score,
};
use crate::model::kube::{TaintEffect, Toleration};

pub struct TaintToleration;

impl FilterPlugin for TaintToleration {
    fn name(&self) -> &'static str {
        "TaintToleration"
    }

    fn filter(&self, pod: &PodInfo, node: &NodeInfo, _: &Snapshot) -> Verdict {
        let untolerated = node.taints.iter().find(|taint| {
            matches!(taint.effect, TaintEffect::NoSchedule | TaintEffect::NoExecute)
                && !pod.tolerations.iter().any(|t| t.tolerates(taint))
        });
        match untolerated {
            None => Verdict::Fits,
            Some(t) => Verdict::UnschedulableAndUnresolvable(vec![format!(
                "node(s) had untolerated taint {{{}: {}}}",
                t.key, t.value
            )]),
        }
    }
}

impl ScorePlugin for TaintToleration {
    fn name(&self) -> &'static str {
        "TaintToleration"
    }

    fn score(&self, pod: &PodInfo, node: &NodeInfo, _: &Snapshot) -> i64 {
        // getAllTolerationPreferNoSchedule: tolerations with no effect or PreferNoSchedule.
        let prefer: Vec<&Toleration> = pod
            .tolerations
            .iter()
            .filter(|t| t.effect.is_none() || t.effect == Some(TaintEffect::PreferNoSchedule))
            .collect();
        node.taints
            .iter()
            .filter(|taint| taint.effect == TaintEffect::PreferNoSchedule && !prefer.iter().any(|t| t.tolerates(taint)))
            .count() as i64
    }

    fn normalize(&self, scores: &mut [i64]) {
        default_normalize_score(MAX_NODE_SCORE, true, scores);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::kube::Taint;

    fn taint(key: &str, value: &str, effect: TaintEffect) -> Taint {
        Taint { key: key.into(), value: value.into(), effect }
    }

    #[test]
    fn an_untolerated_taint_rules_the_node_out_with_kube_schedulers_words() {
        let node = NodeInfo { taints: vec![taint("dedicated", "db", TaintEffect::NoSchedule)], ..NodeInfo::default() };
        assert_eq!(
            TaintToleration.filter(&PodInfo::default(), &node, &Snapshot::default()),
            Verdict::UnschedulableAndUnresolvable(vec!["node(s) had untolerated taint {dedicated: db}".into()])
        );
        let soft =
            NodeInfo { taints: vec![taint("dedicated", "db", TaintEffect::PreferNoSchedule)], ..NodeInfo::default() };
        assert!(TaintToleration.filter(&PodInfo::default(), &soft, &Snapshot::default()).fits());
    }

    #[test]
    fn fewer_intolerable_prefer_no_schedule_taints_score_higher() {
        // taint_toleration_test.go "the more intolerable taints a node has, the lower score it gets":
        // node 1 none, node 2 one, node 3 two → raw 0, 1, 2 → reverse-normalised 100, 50, 0.
        let p = |k: &str| taint(k, "v", TaintEffect::PreferNoSchedule);
        let nodes = [
            NodeInfo::default(),
            NodeInfo { taints: vec![p("a")], ..NodeInfo::default() },
            NodeInfo { taints: vec![p("a"), p("b")], ..NodeInfo::default() },
        ];
        let pod = PodInfo::default();
        let mut scores: Vec<i64> = nodes.iter().map(|n| TaintToleration.score(&pod, n, &Snapshot::default())).collect();
        assert_eq!(scores, vec![0, 1, 2]);
        ScorePlugin::normalize(&TaintToleration, &mut scores);
        assert_eq!(scores, vec![100, 50, 0]);
    }
}
