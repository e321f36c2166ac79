//! One scheduling cycle, as `schedule_one.go` runs it: filter nodes from a
//! rotating start index until enough feasible ones are found
//! (`numFeasibleNodesToFind`), score them with every score plugin, normalise,
//! weight and add, then pick the highest total, by one draw among the nodes
//! that share it (`selectHost`).
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
use super::{MAX_NODE_SCORE, NodeInfo, PodInfo, Rejection, Resources, SchedulerCache, Verdict};
use crate::engine::RandomStream;
use crate::engine::random::Bound;
use crate::model::HostId;
use crate::model::scheduler_profile::Profile;

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

/// Score plugins a profile can have: each of the six at most once.
const MAX_SCORE_PLUGINS: usize = 6;

/// What the node-local plugins (every filter but PodTopologySpread's, every
/// score but its) found for pods alike ([`PodInfo::alike`]) on each node. It
/// holds while the node is unchanged, so the pods of a ReplicaSet, scheduled
/// one after another, work it out once per node rather than once per cycle.
/// What a cycle reads of every node it walks is one record, and the raw
/// scores, read only to keep or normalise them, are apart.
#[derive(Clone, Debug, Default)]
struct Memo {
    node: Vec<NodeMemo>,
    /// Raw scores by score plugin position.
    raw: Vec<[i64; MAX_SCORE_PLUGINS]>,
}

/// What the node-local plugins found on a node.
#[derive(Clone, Copy, Debug, Default)]
struct NodeMemo {
    /// For which pods, and at which generation of the node.
    alike: u64,
    node_generation: u64,
    /// The first node-local filter that ruled the node out (its position in the profile), and why.
    rejected: Option<(u8, Rejection)>,
    /// The image generation the scores were worked out at.
    scored_at: Option<u64>,
    /// The weighted sum of the plugins that normalise nothing (NodeResourcesFit,
    /// NodeResourcesBalancedAllocation, ImageLocality): their part of the total.
    settled: i64,
}

impl Memo {
    fn grow(&mut self, nodes: usize) {
        if self.node.len() < nodes {
            self.node.resize(nodes, NodeMemo::default());
            self.raw.resize(nodes, [0; MAX_SCORE_PLUGINS]);
        }
    }
}

impl ScoreKind {
    /// Whether the plugin's score goes into the total as it is, with no
    /// normalisation across the nodes of a cycle.
    fn settled(self) -> bool {
        matches!(
            self,
            ScoreKind::NodeResourcesFit | ScoreKind::NodeResourcesBalancedAllocation | ScoreKind::ImageLocality
        )
    }
}

/// Buffers reused from cycle to cycle.
#[derive(Clone, Debug, Default)]
struct Work {
    memo: Memo,
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
    best: Best,
}

/// A scheduler for one profile.
#[derive(Clone, Debug)]
pub struct Scheduler {
    profile: Profile,
    filters: Vec<(&'static str, FilterKind)>,
    scores: Vec<(&'static str, ScoreKind, i64)>,
    fit: Fit,
    balanced: BalancedAllocation,
    /// The scenario's extended resources, by index, for Fit's reasons.
    extended: Vec<String>,
    work: Work,
    last_failure: Option<Failure>,
}

impl Scheduler {
    /// A scheduler of `profile`; `extended` names the scenario's extended resources.
    pub fn new(profile: Profile, extended: &[String]) -> Self {
        let filters = profile.filters.iter().filter_map(|&n| FilterKind::from_name(n).map(|k| (n, k))).collect();
        let scores = profile.scores.iter().filter_map(|&(n, w)| ScoreKind::from_name(n).map(|k| (n, k, w))).collect();
        let fit = Fit::new(&profile.scoring_strategy, extended);
        let balanced = BalancedAllocation::new(&profile.balanced_resources, extended);
        let extended = extended.to_vec();
        Scheduler { profile, filters, scores, fit, balanced, extended, work: Work::default(), last_failure: None }
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
        self.work.memo.grow(cache.nodes().len());
        let w = &mut self.work;
        w.feasible.clear();
        w.rejections.clear();
        let spread = w.filters.iter().find(|(_, k)| *k == FilterKind::PodTopologySpread).map(|&(at, _)| at);
        let generations = cache.node_generations();
        let mut processed = 0;
        // From the start index to the end of the snapshot, then from its beginning.
        'walk: for part in [&nodes[start..], &nodes[..start]] {
            for &h in part {
                let h = h as usize;
                processed += 1;
                let memo = &mut w.memo;
                let node_memo = &mut memo.node[h];
                if node_memo.alike != pod.alike || node_memo.node_generation != generations[h] {
                    let node = cache.node(h);
                    let rejected = w.filters.iter().find_map(|&(at, kind)| {
                        let r = match kind {
                            FilterKind::NodeUnschedulable => node_unschedulable::filter(tolerates_cordon, node),
                            FilterKind::NodeName => node_name::filter(pod, node),
                            FilterKind::TaintToleration => taint_toleration::filter(pod, node),
                            FilterKind::NodeAffinity => node_affinity::filter(pod, node),
                            FilterKind::NodeResourcesFit => node_resources_fit::filter(pod, node),
                            FilterKind::PodTopologySpread => None,
                        };
                        r.map(|r| (at as u8, r))
                    });
                    let (alike, node_generation) = (pod.alike, generations[h]);
                    *node_memo = NodeMemo { alike, node_generation, rejected, scored_at: None, settled: 0 };
                }
                let rejected = match memo.node[h].rejected {
                    Some((at, r)) => Some((usize::from(at), r)),
                    None => spread.and_then(|at| pod_topology_spread::filter(&w.spread, cache, h).map(|r| (at, r))),
                };
                if let Some((at, r)) = rejected {
                    w.rejections.push((h as u32, at, r));
                    continue;
                }
                w.feasible.push(h as u32);
                if w.feasible.len() >= to_find {
                    break 'walk;
                }
            }
        }
        *next_start_node_index = (start + processed) % n;

        if w.feasible.is_empty() {
            let message = self.failure_message(n);
            let decision = keep.then(|| self.decision(cache, start, processed, None, Some(message.clone())));
            if !keep {
                self.last_failure =
                    Some(Failure { generation: cache.generation(), pod: pod.id, message: message.clone() });
            }
            return CycleOutcome { node: None, message: Some(message), decision };
        }
        // schedule_one.go: with one feasible node there is nothing to score.
        let w = &mut self.work;
        let chosen = if w.feasible.len() == 1 {
            w.feasible[0]
        } else if let Some(chosen) = (!keep).then(|| self.score_and_select(pod, cache, rng)).flatten() {
            chosen
        } else {
            let w = &mut self.work;
            w.totals.clear();
            w.totals.resize(w.feasible.len(), 0);
            w.kept.clear();
            self.score(pod, cache, keep);
            let w = &mut self.work;
            select_host(&w.feasible, &w.totals, &mut w.best, rng)
        };
        let decision = keep.then(|| self.decision(cache, start, processed, Some(HostId(chosen)), None));
        CycleOutcome { node: Some(HostId(chosen)), message: None, decision }
    }

    /// The profile's filters that look at the node alone (all but
    /// PodTopologySpread) on `node` as if its pods requested `requested`: the
    /// cluster autoscaler runs them against a node group's template node, and
    /// against the nodes it would move a node's pods to.
    pub fn filter_node(&self, pod: &PodInfo, node: &NodeInfo, requested: &Resources) -> Option<Rejection> {
        self.filters.iter().find_map(|&(_, kind)| match kind {
            FilterKind::NodeUnschedulable if node.unschedulable => {
                node_unschedulable::filter(node_unschedulable::tolerates_cordon(pod), node)
            }
            FilterKind::NodeName => node_name::filter(pod, node),
            FilterKind::TaintToleration => taint_toleration::filter(pod, node),
            FilterKind::NodeAffinity => node_affinity::filter(pod, node),
            FilterKind::NodeResourcesFit => node_resources_fit::fits_request(pod, &node.allocatable, requested),
            _ => None,
        })
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

    /// Scores and picks in one sweep, when every score plugin either gives
    /// every node the same score, takes its score from the node's memo as it
    /// is, or is PodTopologySpread with constraints that ignore no node (the
    /// usual case); `None` otherwise, for [`Self::score`] to do it plugin by plugin.
    fn score_and_select(&mut self, pod: &PodInfo, cache: &SchedulerCache, rng: &mut RandomStream) -> Option<u32> {
        let mut constant = 0;
        let mut spread_weight = None;
        for &(_, kind, weight) in &self.scores {
            match kind {
                _ if kind.settled() => {}
                ScoreKind::TaintToleration if !cache.counts_prefer_taints() => constant += MAX_NODE_SCORE * weight,
                ScoreKind::NodeAffinity if pod.affinity.preferred.is_empty() => {}
                ScoreKind::PodTopologySpread if !pod.own_spread && spread_weight.is_none() => {
                    spread_weight = Some(weight)
                }
                _ => return None,
            }
        }
        self.memo_scores(pod, cache);
        let w = &mut self.work;
        let node_memo = &w.memo.node;
        w.best.clear();
        if let Some(weight) = spread_weight {
            pod_topology_spread::pre_score(pod, cache, &w.feasible, &mut w.spread);
            let (min, max) = pod_topology_spread::score_unignored(&mut w.spread, cache, &w.feasible, &mut w.raw);
            let by = super::Divisor::new(max);
            for (&h, &raw) in w.feasible.iter().zip(&w.raw) {
                let normalized = if max == 0 { MAX_NODE_SCORE } else { by.divide(MAX_NODE_SCORE * (max + min - raw)) };
                w.best
                    .offer(h, node_memo[h as usize].settled + constant + normalized.clamp(0, MAX_NODE_SCORE) * weight);
            }
        } else {
            for &h in &w.feasible {
                w.best.offer(h, node_memo[h as usize].settled + constant);
            }
        }
        Some(w.best.pick(rng))
    }

    /// Fills the memo's node-local raw scores of every feasible node that lacks them.
    fn memo_scores(&mut self, pod: &PodInfo, cache: &SchedulerCache) {
        let w = &mut self.work;
        let images_at = cache.image_generation();
        let memo = &mut w.memo;
        for &h in &w.feasible {
            let h = h as usize;
            let node = &mut memo.node[h];
            if node.scored_at != Some(images_at) {
                node_scores(
                    &self.scores,
                    &self.fit,
                    &self.balanced,
                    pod,
                    cache,
                    h,
                    &mut w.images,
                    (&mut memo.raw[h], &mut node.settled),
                );
                node.scored_at = Some(images_at);
            }
        }
    }

    /// Adds each score plugin's weighted, normalised score to the totals.
    fn score(&mut self, pod: &PodInfo, cache: &SchedulerCache, keep: bool) {
        self.memo_scores(pod, cache);
        let w = &mut self.work;
        let k = w.feasible.len();
        // Unless the cycle keeps every score, the settled plugins' part of each total is in the memo.
        if !keep {
            let node = &w.memo.node;
            for (t, &h) in w.totals.iter_mut().zip(&w.feasible) {
                *t += node[h as usize].settled;
            }
        }
        for (at, &(_, kind, weight)) in self.scores.iter().enumerate() {
            if !keep && kind.settled() {
                continue;
            }
            w.raw.clear();
            // A plugin with nothing to tell nodes apart gives them all the same score.
            let constant = match kind {
                ScoreKind::TaintToleration if !cache.counts_prefer_taints() => Some((0, MAX_NODE_SCORE)),
                ScoreKind::NodeAffinity if pod.affinity.preferred.is_empty() => Some((0, 0)),
                ScoreKind::NodeResourcesBalancedAllocation if self.balanced.skips(pod) => Some((0, 0)),
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
            if kind == ScoreKind::PodTopologySpread {
                pod_topology_spread::pre_score(pod, cache, &w.feasible, &mut w.spread);
                pod_topology_spread::score(&mut w.spread, cache, &w.feasible, &mut w.raw);
            } else {
                let raw = &w.memo.raw;
                w.raw.extend(w.feasible.iter().map(|&h| raw[h as usize][at]));
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

    /// `FitError.Error()` with DefaultPreemption's clause, from the rejections
    /// of a cycle that found no node. Rejections are counted by kind first
    /// (a failed cycle over thousands of nodes has a handful of kinds), then
    /// by the reasons each kind gives.
    fn failure_message(&self, n: usize) -> String {
        let mut by_kind: BTreeMap<Rejection, usize> = BTreeMap::new();
        let mut counts: BTreeMap<Cow<'static, str>, usize> = BTreeMap::new();
        let mut unresolvable = 0;
        let mut last: Option<(Rejection, usize)> = None;
        for &(_, _, r) in &self.work.rejections {
            if r.unresolvable() {
                unresolvable += 1;
            }
            match &mut last {
                Some((kind, k)) if *kind == r => *k += 1,
                _ => {
                    if let Some((kind, k)) = last.replace((r, 1)) {
                        *by_kind.entry(kind).or_insert(0) += k;
                    }
                }
            }
        }
        if let Some((kind, k)) = last {
            *by_kind.entry(kind).or_insert(0) += k;
        }
        for (r, k) in by_kind {
            let mut count = |reason: Cow<'static, str>| *counts.entry(reason).or_insert(0) += k;
            match r {
                Rejection::Fit(bits) => node_resources_fit::reasons(bits, &self.extended).for_each(count),
                Rejection::Taint => count(taint_toleration::REASON.into()),
                Rejection::Unschedulable => count(node_unschedulable::REASON.into()),
                Rejection::NodeName => count(node_name::REASON.into()),
                Rejection::NodeAffinity => count(node_affinity::REASON.into()),
                Rejection::SpreadMissingLabel => count(pod_topology_spread::REASON_MISSING_LABEL.into()),
                Rejection::SpreadSkew => count(pod_topology_spread::REASON_SKEW.into()),
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
                    let verdict = Verdict::of(r, &self.extended);
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

/// Works out the node-local raw scores of node `h` for `pod`, and their settled part.
#[allow(clippy::too_many_arguments)]
fn node_scores(
    scores: &[(&'static str, ScoreKind, i64)],
    fit: &Fit,
    balanced: &BalancedAllocation,
    pod: &PodInfo,
    cache: &SchedulerCache,
    h: usize,
    images: &mut Vec<(usize, i64)>,
    (raw, settled): (&mut [i64; MAX_SCORE_PLUGINS], &mut i64),
) {
    let node = cache.node(h);
    for (at, &(_, kind, _)) in scores.iter().enumerate() {
        raw[at] = match kind {
            ScoreKind::TaintToleration => taint_toleration::score(pod, node),
            ScoreKind::NodeAffinity => node_affinity::score(pod, node),
            ScoreKind::NodeResourcesFit => fit.score(pod, node),
            ScoreKind::NodeResourcesBalancedAllocation => balanced.score(pod, node),
            ScoreKind::ImageLocality => {
                image_locality::contributions(pod, cache, images);
                image_locality::score(images, cache, h)
            }
            ScoreKind::PodTopologySpread => 0,
        };
    }
    *settled = scores
        .iter()
        .zip(raw.iter())
        .filter(|((_, kind, _), _)| kind.settled())
        .map(|((_, _, weight), raw)| raw.clamp(&0, &MAX_NODE_SCORE) * weight)
        .sum();
}

/// `selectHost`: the highest total, each node that has it equally likely.
/// Upstream draws once per tie while it walks the nodes (reservoir
/// sampling); one draw among the ties once they are counted picks from the
/// same distribution, and a cycle over hundreds of equal nodes (a fresh
/// cluster) then draws once rather than hundreds of times.
fn select_host(feasible: &[u32], totals: &[i64], best: &mut Best, rng: &mut RandomStream) -> u32 {
    best.clear();
    for (&h, &t) in feasible.iter().zip(totals) {
        best.offer(h, t);
    }
    best.pick(rng)
}

/// The highest total of a cycle so far and the nodes that have it, in the
/// order they were scored.
#[derive(Clone, Debug, Default)]
struct Best {
    total: i64,
    nodes: Vec<u32>,
    /// `bounds[k]`: a draw below k, for breaking ties among k nodes; kept from cycle to cycle.
    bounds: Vec<Bound>,
}

impl Best {
    fn clear(&mut self) {
        self.total = i64::MIN;
        self.nodes.clear();
    }

    #[inline]
    fn offer(&mut self, h: u32, total: i64) {
        if total > self.total {
            self.total = total;
            self.nodes.clear();
            self.nodes.push(h);
        } else if total == self.total {
            self.nodes.push(h);
        }
    }

    /// One of the nodes with the highest total, each equally likely (a draw only when they tie).
    fn pick(&mut self, rng: &mut RandomStream) -> u32 {
        let ties = self.nodes.len();
        let pick = if ties > 1 {
            while self.bounds.len() <= ties {
                self.bounds.push(Bound::new(self.bounds.len().max(1) as u64));
            }
            rng.below_by(&self.bounds[ties]) as usize
        } else {
            0
        };
        self.nodes[pick]
    }
}
