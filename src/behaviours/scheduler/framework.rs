//! One scheduling cycle, as `schedule_one.go` runs it: filter nodes from a
//! rotating start index until enough feasible ones are found
//! (`numFeasibleNodesToFind`), score them with every score plugin, normalise,
//! weight and add, then pick the highest total, breaking ties at random by
//! reservoir sampling (`selectHost`). Every verdict and score is kept so that
//! a report or the inspector can show why the pod went where it went.

use super::plugins;
use super::profile::Profile;
use super::{FilterPlugin, MAX_NODE_SCORE, PodInfo, ScorePlugin, Snapshot, Verdict};
use crate::engine::RandomStream;

/// One plugin's score for one node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PluginScore {
    pub plugin: &'static str,
    /// Before normalisation.
    pub raw: i64,
    /// After normalisation, 0–100.
    pub normalized: i64,
    pub weight: i64,
}

/// What the cycle found out about one node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeVerdict {
    /// Index into the snapshot's nodes.
    pub node: usize,
    /// The first filter plugin that ruled the node out, and its verdict.
    pub rejected_by: Option<(&'static str, Verdict)>,
    pub scores: Vec<PluginScore>,
    pub total: i64,
}

/// The outcome of one scheduling cycle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// The chosen node, if any fits.
    pub node: Option<usize>,
    /// Every node the cycle looked at, in the order it looked.
    pub verdicts: Vec<NodeVerdict>,
    /// kube-scheduler's message when no node fits.
    pub message: Option<String>,
}

/// A scheduler for one profile; it remembers where the next cycle starts.
pub struct Scheduler {
    profile: Profile,
    filters: Vec<Box<dyn FilterPlugin + Send + Sync>>,
    scores: Vec<(Box<dyn ScorePlugin + Send + Sync>, i64)>,
    next_start_node_index: usize,
}

impl Clone for Scheduler {
    /// Plugins keep no state between cycles, so a clone is the same profile at
    /// the same start index.
    fn clone(&self) -> Self {
        let mut s = Scheduler::new(self.profile.clone());
        s.next_start_node_index = self.next_start_node_index;
        s
    }
}

impl std::fmt::Debug for Scheduler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scheduler")
            .field("profile", &self.profile)
            .field("next_start_node_index", &self.next_start_node_index)
            .finish()
    }
}

impl Scheduler {
    pub fn new(profile: Profile) -> Self {
        let filters = profile.filters.iter().filter_map(|name| plugins::filter_plugin(name, &profile)).collect();
        let scores = profile
            .scores
            .iter()
            .filter_map(|&(name, weight)| plugins::score_plugin(name, &profile).map(|p| (p, weight)))
            .collect();
        Scheduler { profile, filters, scores, next_start_node_index: 0 }
    }

    /// Runs one cycle for `pod` over `snapshot`.
    pub fn schedule(&mut self, pod: &PodInfo, snapshot: &Snapshot, rng: &mut RandomStream) -> Decision {
        let n = snapshot.nodes.len();
        if n == 0 {
            return Decision { node: None, verdicts: Vec::new(), message: Some("0/0 nodes are available.".into()) };
        }
        for f in &mut self.filters {
            f.pre_filter(pod, snapshot);
        }
        let to_find = super::num_feasible_nodes_to_find(self.profile.percentage_of_nodes_to_score, n);
        let start = self.next_start_node_index % n;
        let mut verdicts = Vec::new();
        let mut feasible: Vec<usize> = Vec::new();
        // Where each feasible node's verdict is in `verdicts`.
        let mut feasible_at: Vec<usize> = Vec::new();
        let mut processed = 0;
        for i in 0..n {
            let idx = (start + i) % n;
            processed += 1;
            let node = &snapshot.nodes[idx];
            let mut rejected_by = None;
            for f in &self.filters {
                let verdict = f.filter(pod, node, snapshot);
                if !verdict.fits() {
                    rejected_by = Some((f.name(), verdict));
                    break;
                }
            }
            if rejected_by.is_none() {
                feasible.push(idx);
                feasible_at.push(verdicts.len());
            }
            verdicts.push(NodeVerdict { node: idx, rejected_by, scores: Vec::new(), total: 0 });
            if feasible.len() >= to_find {
                break;
            }
        }
        self.next_start_node_index = (start + processed) % n;

        if feasible.is_empty() {
            let reasons: Vec<Vec<String>> =
                verdicts.iter().filter_map(|v| v.rejected_by.as_ref().map(|(_, r)| r.reasons().to_vec())).collect();
            let mut message = super::unschedulable_message(n, &reasons);
            if self.profile.preemption {
                let unresolvable = verdicts
                    .iter()
                    .filter(|v| matches!(v.rejected_by, Some((_, Verdict::UnschedulableAndUnresolvable(_)))))
                    .count();
                message =
                    format!("{message} {}", super::preemption_clause(n, unresolvable, verdicts.len() - unresolvable));
            }
            return Decision { node: None, message: Some(message), verdicts };
        }
        // schedule_one.go: with one feasible node there is nothing to score.
        if feasible.len() > 1 {
            self.score(pod, snapshot, &feasible, &feasible_at, &mut verdicts);
        }
        let chosen = select_host(&feasible, &feasible_at, &verdicts, rng);
        Decision { node: Some(chosen), verdicts, message: None }
    }

    /// Scores the feasible nodes; `feasible_at[k]` is where `feasible[k]`'s verdict is.
    fn score(
        &mut self,
        pod: &PodInfo,
        snapshot: &Snapshot,
        feasible: &[usize],
        feasible_at: &[usize],
        verdicts: &mut [NodeVerdict],
    ) {
        for (plugin, weight) in &mut self.scores {
            plugin.pre_score(pod, snapshot, feasible);
            let raw: Vec<i64> = feasible.iter().map(|&i| plugin.score(pod, &snapshot.nodes[i], snapshot)).collect();
            let mut normalized = raw.clone();
            plugin.normalize(&mut normalized);
            for (k, &at) in feasible_at.iter().enumerate() {
                let v = &mut verdicts[at];
                let s = normalized[k].clamp(0, MAX_NODE_SCORE);
                v.scores.push(PluginScore { plugin: plugin.name(), raw: raw[k], normalized: s, weight: *weight });
                v.total += s * *weight;
            }
        }
    }
}

/// `selectHost`: the highest total; among equal totals each is equally
/// likely, by reservoir sampling in the order the nodes were found.
/// `feasible_at[k]` is where `feasible[k]`'s verdict is.
fn select_host(feasible: &[usize], feasible_at: &[usize], verdicts: &[NodeVerdict], rng: &mut RandomStream) -> usize {
    let mut best = feasible[0];
    let mut best_score = verdicts[feasible_at[0]].total;
    let mut count = 1u64;
    for (&i, &at) in feasible.iter().zip(feasible_at).skip(1) {
        let s = verdicts[at].total;
        if s > best_score {
            best = i;
            best_score = s;
            count = 1;
        } else if s == best_score {
            count += 1;
            if rng.below(count) == 0 {
                best = i;
            }
        }
    }
    best
}
