//! One scheduling cycle, as `schedule_one.go` runs it: filter nodes from a
//! rotating start index until enough feasible ones are found
//! (`numFeasibleNodesToFind`), score them with every score plugin, normalise,
//! weight and add, then pick the highest total, breaking ties at random by
//! reservoir sampling (`selectHost`).
//!
//! A plugin with nothing to find for the pod is skipped, as PreFilter and
//! PreScore let kube-scheduler skip it: NodeAffinity for a pod without a
//! selector or affinity, TaintToleration's filter when no node has a taint
//! that keeps pods off, and so on; a skipped score plugin gives every node
//! the same score, which changes no choice. When asked, a cycle also keeps
//! every verdict and score, so that the inspector can show why the pod went
//! where it went.

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::plugins::node_resources_balanced_allocation::BalancedAllocation;
use super::plugins::node_resources_fit::{self, Fit};
use super::plugins::{
    image_locality, node_affinity, node_name, node_unschedulable, pod_topology_spread, taint_toleration,
};
use super::profile::Profile;
use super::{MAX_NODE_SCORE, PodInfo, Rejection, SchedulerCache, Verdict};
use crate::engine::RandomStream;
use crate::model::HostId;

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
    pub node: HostId,
    /// The first filter plugin that ruled the node out, and its verdict.
    pub rejected_by: Option<(&'static str, Verdict)>,
    pub scores: Vec<PluginScore>,
    pub total: i64,
}

/// Every verdict and score of one scheduling cycle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// The chosen node, if any fits.
    pub node: Option<HostId>,
    /// Every node the cycle looked at, in the order it looked.
    pub verdicts: Vec<NodeVerdict>,
    /// kube-scheduler's message when no node fits.
    pub message: Option<String>,
}

/// What a cycle comes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CycleOutcome {
    /// The chosen node, if any fits.
    pub node: Option<HostId>,
    /// kube-scheduler's message when no node fits.
    pub message: Option<String>,
    /// Every verdict and score, when the cycle was asked to keep them.
    pub decision: Option<Decision>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FilterKind {
    NodeUnschedulable,
    NodeName,
    TaintToleration,
    NodeAffinity,
    NodeResourcesFit,
    PodTopologySpread,
}

impl FilterKind {
    fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "NodeUnschedulable" => FilterKind::NodeUnschedulable,
            "NodeName" => FilterKind::NodeName,
            "TaintToleration" => FilterKind::TaintToleration,
            "NodeAffinity" => FilterKind::NodeAffinity,
            "NodeResourcesFit" => FilterKind::NodeResourcesFit,
            "PodTopologySpread" => FilterKind::PodTopologySpread,
            _ => return None,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ScoreKind {
    TaintToleration,
    NodeAffinity,
    NodeResourcesFit,
    PodTopologySpread,
    NodeResourcesBalancedAllocation,
    ImageLocality,
}

impl ScoreKind {
    fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "TaintToleration" => ScoreKind::TaintToleration,
            "NodeAffinity" => ScoreKind::NodeAffinity,
            "NodeResourcesFit" => ScoreKind::NodeResourcesFit,
            "PodTopologySpread" => ScoreKind::PodTopologySpread,
            "NodeResourcesBalancedAllocation" => ScoreKind::NodeResourcesBalancedAllocation,
            "ImageLocality" => ScoreKind::ImageLocality,
            _ => return None,
        })
    }
}

/// A failed cycle's result, valid while the cache and the pod are unchanged.
#[derive(Clone, Debug)]
struct Failure {
    generation: u64,
    pod: u64,
    message: String,
}

/// Buffers reused from cycle to cycle.
#[derive(Clone, Debug, Default)]
struct Work {
    filters: Vec<(usize, FilterKind)>,
    feasible: Vec<u32>,
    /// (node, position of the filter in the profile, why).
    rejections: Vec<(u32, usize, Rejection)>,
    totals: Vec<i64>,
    raw: Vec<i64>,
    normalized: Vec<i64>,
    /// Per score plugin, raw and normalised scores, when the cycle keeps them.
    kept: Vec<(Vec<i64>, Vec<i64>)>,
    spread: pod_topology_spread::CycleState,
    images: Vec<(usize, i64)>,
}

/// A scheduler for one profile.
#[derive(Clone, Debug)]
pub struct Scheduler {
    profile: Profile,
    filters: Vec<(&'static str, FilterKind)>,
    scores: Vec<(&'static str, ScoreKind, i64)>,
    fit: Fit,
    balanced: BalancedAllocation,
    work: Work,
    last_failure: Option<Failure>,
}

impl Scheduler {
    pub fn new(profile: Profile) -> Self {
        let filters = profile.filters.iter().filter_map(|&n| FilterKind::from_name(n).map(|k| (n, k))).collect();
        let scores = profile.scores.iter().filter_map(|&(n, w)| ScoreKind::from_name(n).map(|k| (n, k, w))).collect();
        let fit = Fit::new(&profile.scoring_strategy);
        let balanced = BalancedAllocation::new(&profile.balanced_resources);
        Scheduler { profile, filters, scores, fit, balanced, work: Work::default(), last_failure: None }
    }

    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// Runs one cycle for `pod` over the cache's snapshot, starting at
    /// `next_start_node_index` and moving it on; with `keep`, the outcome
    /// carries every verdict and score.
    pub fn schedule(
        &mut self,
        pod: &PodInfo,
        cache: &SchedulerCache,
        next_start_node_index: &mut usize,
        rng: &mut RandomStream,
        keep: bool,
    ) -> CycleOutcome {
        let nodes = cache.registered();
        let n = nodes.len();
        if n == 0 {
            return CycleOutcome { node: None, message: Some("0/0 nodes are available.".into()), decision: None };
        }
        // A pod like the last one that fitted nowhere, against the same cache,
        // fits nowhere again: a failed cycle looks at every node and draws nothing.
        if !keep
            && let Some(f) = &self.last_failure
            && f.generation == cache.generation()
            && f.pod == pod.id
        {
            return CycleOutcome { node: None, message: Some(f.message.clone()), decision: None };
        }
        self.pre_filter(pod, cache);
        let to_find = super::num_feasible_nodes_to_find(self.profile.percentage_of_nodes_to_score, n);
        let start = *next_start_node_index % n;
        let tolerates_cordon = node_unschedulable::tolerates_cordon(pod);
        let w = &mut self.work;
        w.feasible.clear();
        w.rejections.clear();
        let mut processed = 0;
        for i in 0..n {
            let h = nodes[if start + i >= n { start + i - n } else { start + i }];
            processed += 1;
            let node = cache.node(h as usize);
            let mut rejected = None;
            for &(at, kind) in &w.filters {
                let r = match kind {
                    FilterKind::NodeUnschedulable => node_unschedulable::filter(tolerates_cordon, node),
                    FilterKind::NodeName => node_name::filter(pod, node),
                    FilterKind::TaintToleration => taint_toleration::filter(pod, node),
                    FilterKind::NodeAffinity => node_affinity::filter(pod, node),
                    FilterKind::NodeResourcesFit => node_resources_fit::filter(pod, node),
                    FilterKind::PodTopologySpread => pod_topology_spread::filter(&w.spread, cache, h as usize),
                };
                if let Some(r) = r {
                    rejected = Some((at, r));
                    break;
                }
            }
            match rejected {
                None => {
                    w.feasible.push(h);
                    if w.feasible.len() >= to_find {
                        break;
                    }
                }
                Some((at, r)) => w.rejections.push((h, at, r)),
            }
        }
        *next_start_node_index = (start + processed) % n;

        if w.feasible.is_empty() {
            let message = self.failure_message(cache, n);
            let decision = keep.then(|| self.decision(cache, start, processed, None, Some(message.clone())));
            if !keep {
                self.last_failure =
                    Some(Failure { generation: cache.generation(), pod: pod.id, message: message.clone() });
            }
            return CycleOutcome { node: None, message: Some(message), decision };
        }
        // schedule_one.go: with one feasible node there is nothing to score.
        let w = &mut self.work;
        w.totals.clear();
        w.totals.resize(w.feasible.len(), 0);
        w.kept.clear();
        if w.feasible.len() > 1 {
            self.score(pod, cache, keep);
        }
        let chosen = select_host(&self.work.feasible, &self.work.totals, rng);
        let decision = keep.then(|| self.decision(cache, start, processed, Some(HostId(chosen)), None));
        CycleOutcome { node: Some(HostId(chosen)), message: None, decision }
    }

    /// The filters that can rule a node out for this pod, and their PreFilter state.
    fn pre_filter(&mut self, pod: &PodInfo, cache: &SchedulerCache) {
        let w = &mut self.work;
        w.filters.clear();
        for (at, &(_, kind)) in self.filters.iter().enumerate() {
            let runs = match kind {
                FilterKind::NodeUnschedulable => cache.counts_unschedulable(),
                FilterKind::NodeName => pod.node_name.is_some(),
                FilterKind::TaintToleration => cache.counts_hard_taints(),
                FilterKind::NodeAffinity => pod.has_node_constraints(),
                FilterKind::NodeResourcesFit => true,
                FilterKind::PodTopologySpread => pod_topology_spread::filters(pod),
            };
            if runs {
                if kind == FilterKind::PodTopologySpread {
                    pod_topology_spread::pre_filter(pod, cache, &mut w.spread);
                }
                w.filters.push((at, kind));
            }
        }
    }

    /// Adds each score plugin's weighted, normalised score to the totals.
    fn score(&mut self, pod: &PodInfo, cache: &SchedulerCache, keep: bool) {
        let w = &mut self.work;
        let k = w.feasible.len();
        for &(_, kind, weight) in &self.scores {
            w.raw.clear();
            // A plugin with nothing to tell nodes apart gives them all the same score.
            let constant = match kind {
                ScoreKind::TaintToleration if !cache.counts_prefer_taints() => Some((0, MAX_NODE_SCORE)),
                ScoreKind::NodeAffinity if pod.affinity.preferred.is_empty() => Some((0, 0)),
                ScoreKind::NodeResourcesBalancedAllocation if BalancedAllocation::skips(pod) => Some((0, 0)),
                _ => None,
            };
            if let Some((raw, normalized)) = constant {
                let add = normalized.clamp(0, MAX_NODE_SCORE) * weight;
                for t in &mut w.totals {
                    *t += add;
                }
                if keep {
                    w.kept.push((vec![raw; k], vec![normalized; k]));
                }
                continue;
            }
            let nodes = w.feasible.iter().map(|&h| cache.node(h as usize));
            match kind {
                ScoreKind::TaintToleration => w.raw.extend(nodes.map(|n| taint_toleration::score(pod, n))),
                ScoreKind::NodeAffinity => w.raw.extend(nodes.map(|n| node_affinity::score(pod, n))),
                ScoreKind::NodeResourcesFit => w.raw.extend(nodes.map(|n| self.fit.score(pod, n))),
                ScoreKind::NodeResourcesBalancedAllocation => w.raw.extend(nodes.map(|n| self.balanced.score(pod, n))),
                ScoreKind::ImageLocality => {
                    image_locality::contributions(pod, cache, &mut w.images);
                    let images = &w.images;
                    w.raw.extend(w.feasible.iter().map(|&h| image_locality::score(images, cache, h as usize)));
                }
                ScoreKind::PodTopologySpread => {
                    pod_topology_spread::pre_score(pod, cache, &w.feasible, &mut w.spread);
                    let state = &w.spread;
                    w.raw.extend(
                        w.feasible
                            .iter()
                            .enumerate()
                            .map(|(i, &h)| pod_topology_spread::score(state, cache, i, h as usize)),
                    );
                }
            }
            w.normalized.clear();
            w.normalized.extend_from_slice(&w.raw);
            match kind {
                ScoreKind::TaintToleration => taint_toleration::normalize(&mut w.normalized),
                ScoreKind::NodeAffinity => node_affinity::normalize(&mut w.normalized),
                ScoreKind::PodTopologySpread => pod_topology_spread::normalize(&w.spread, &mut w.normalized),
                _ => {}
            }
            for (t, s) in w.totals.iter_mut().zip(&mut w.normalized) {
                *s = (*s).clamp(0, MAX_NODE_SCORE);
                *t += *s * weight;
            }
            if keep {
                w.kept.push((w.raw.clone(), w.normalized.clone()));
            }
        }
    }

    /// `FitError.Error()` with DefaultPreemption's clause, from the rejections of a cycle that found no node.
    fn failure_message(&self, cache: &SchedulerCache, n: usize) -> String {
        let mut counts: BTreeMap<Cow<'static, str>, usize> = BTreeMap::new();
        let mut unresolvable = 0;
        for &(h, _, r) in &self.work.rejections {
            if r.unresolvable() {
                unresolvable += 1;
            }
            let mut count = |reason: Cow<'static, str>| *counts.entry(reason).or_insert(0) += 1;
            match r {
                Rejection::Fit(bits) => node_resources_fit::reasons(bits).for_each(|s| count(Cow::Borrowed(s))),
                Rejection::Taint(i) => {
                    count(Cow::Owned(taint_toleration::reason(&cache.node(h as usize).taints[usize::from(i)])))
                }
                Rejection::Unschedulable => count(Cow::Borrowed(node_unschedulable::REASON)),
                Rejection::NodeName => count(Cow::Borrowed(node_name::REASON)),
                Rejection::NodeAffinity => count(Cow::Borrowed(node_affinity::REASON)),
                Rejection::SpreadMissingLabel => count(Cow::Borrowed(pod_topology_spread::REASON_MISSING_LABEL)),
                Rejection::SpreadSkew => count(Cow::Borrowed(pod_topology_spread::REASON_SKEW)),
            }
        }
        let mut message = super::counted_reasons_message(n, counts.iter().map(|(r, c)| (r.as_ref(), *c)));
        if self.profile.preemption {
            let resolvable = self.work.rejections.len() - unresolvable;
            message = format!("{message} {}", super::preemption_clause(n, unresolvable, resolvable));
        }
        message
    }

    /// Every verdict and score of the cycle just run, in the order it looked at the nodes.
    fn decision(
        &self,
        cache: &SchedulerCache,
        start: usize,
        processed: usize,
        node: Option<HostId>,
        message: Option<String>,
    ) -> Decision {
        let w = &self.work;
        let nodes = cache.registered();
        let n = nodes.len();
        let (mut feasible, mut rejected) = (0, 0);
        let verdicts = (0..processed)
            .map(|i| {
                let h = nodes[(start + i) % n];
                if rejected < w.rejections.len() && w.rejections[rejected].0 == h {
                    let (_, at, r) = w.rejections[rejected];
                    rejected += 1;
                    let verdict = Verdict::of(r, cache.node(h as usize));
                    return NodeVerdict {
                        node: HostId(h),
                        rejected_by: Some((self.filters[at].0, verdict)),
                        scores: Vec::new(),
                        total: 0,
                    };
                }
                let k = feasible;
                feasible += 1;
                let scores = self
                    .scores
                    .iter()
                    .zip(&w.kept)
                    .map(|(&(plugin, _, weight), (raw, normalized))| PluginScore {
                        plugin,
                        raw: raw[k],
                        normalized: normalized[k],
                        weight,
                    })
                    .collect();
                NodeVerdict { node: HostId(h), rejected_by: None, scores, total: w.totals.get(k).copied().unwrap_or(0) }
            })
            .collect();
        Decision { node, verdicts, message }
    }
}

/// `selectHost`: the highest total; among equal totals each is equally
/// likely, by reservoir sampling in the order the nodes were found.
fn select_host(feasible: &[u32], totals: &[i64], rng: &mut RandomStream) -> u32 {
    let mut best = feasible[0];
    let mut best_score = totals[0];
    let mut count = 1u64;
    for (&h, &s) in feasible.iter().zip(totals).skip(1) {
        if s > best_score {
            best = h;
            best_score = s;
            count = 1;
        } else if s == best_score {
            count += 1;
            if rng.below(count) == 0 {
                best = h;
            }
        }
    }
    best
}
