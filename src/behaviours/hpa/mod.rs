//! The HorizontalPodAutoscaler, as kube-controller-manager runs it
//! (`pkg/controller/podautoscaler/replica_calculator.go` and `horizontal.go`,
//! parameters.md B4).
//!
//! Every sync (15 s) the replica calculator turns pod CPU samples into a
//! recommendation: desired = ⌈ratio × ready pods⌉, ratio = utilisation /
//! target, unchanged within the tolerance band (1 − 0.1 ≤ ratio ≤ 1 + 0.1 by
//! default, each side settable per HPA); pods being deleted, failed or
//! pending are dropped, pods without a sample count 100 % on a scale-down and
//! 0 % on a scale-up, unready pods count 0 % on a scale-up. The recommendation
//! is then stabilised (scale-down: the highest of the last 300 s; scale-up:
//! the lowest of its window, 0 s by default) and rate-limited by the
//! `behavior` policies (up: 4 pods or 100 % per 15 s, whichever is more;
//! down: 100 % per 15 s), and kept within min and max replicas.

pub mod controller;
#[cfg(test)]
mod replica_calculator_test;

use crate::engine::{SimDuration, SimTime};
pub use crate::model::hpa::{Behavior, DecimalQuantity, MetricResource, ScalingPolicy, ScalingRules, SelectPolicy};

/// The band around the target inside which the calculator keeps the current
/// replicas: `1 − scale_down ≤ ratio ≤ 1 + scale_up` (`Tolerances.isWithin`).
/// Both sides are the controller's `--horizontal-pod-autoscaler-tolerance`
/// (0.1) unless the HPA's `behavior.scaleUp.tolerance` or
/// `behavior.scaleDown.tolerance` sets one (`tolerancesForHpa`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tolerances {
    pub scale_down: f64,
    pub scale_up: f64,
}

impl Tolerances {
    /// The controller's flag on both sides.
    pub fn flag(tolerance: f64) -> Self {
        Tolerances { scale_down: tolerance, scale_up: tolerance }
    }

    /// The flag, with the sides an HPA's `behavior` sets.
    pub fn for_hpa(cfg: &HpaConfig, behavior: Option<&Behavior>) -> Self {
        Tolerances::with_sides(
            cfg,
            behavior.and_then(|b| b.scale_up.tolerance),
            behavior.and_then(|b| b.scale_down.tolerance),
        )
    }

    /// The flag, with the sides that are set.
    pub fn with_sides(cfg: &HpaConfig, scale_up: Option<DecimalQuantity>, scale_down: Option<DecimalQuantity>) -> Self {
        let side = |q: Option<DecimalQuantity>| q.map_or(cfg.tolerance, DecimalQuantity::as_approximate_f64);
        Tolerances { scale_down: side(scale_down), scale_up: side(scale_up) }
    }

    /// Whether a usage ratio is close enough to 1 to change nothing.
    pub fn is_within(&self, ratio: f64) -> bool {
        (1.0 - self.scale_down) <= ratio && ratio <= (1.0 + self.scale_up)
    }
}

impl Default for Tolerances {
    fn default() -> Self {
        Tolerances::flag(HpaConfig::default().tolerance)
    }
}

/// A pod as the replica calculator sees it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PodSample {
    pub deleting: bool,
    pub failed: bool,
    /// Phase Pending (not yet running).
    pub pending: bool,
    /// The Ready condition, and when it last changed.
    pub ready: bool,
    pub ready_transition: Option<SimTime>,
    /// When the pod started (its containers), if it has.
    pub start_time: Option<SimTime>,
    /// The pod's request of the metric's resource, thousandths of its unit
    /// (millicores, millibytes); 0 for a metric that is no resource.
    pub request_milli: u64,
    /// The latest metrics sample: the metric in thousandths of its unit
    /// (millicores for CPU), when it was taken, and its window.
    pub sample: Option<(u64, SimTime, SimDuration)>,
}

/// The controller's flags (parameters.md B4).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HpaConfig {
    pub tolerance: f64,
    pub cpu_initialization_period: SimDuration,
    pub initial_readiness_delay: SimDuration,
}

impl Default for HpaConfig {
    fn default() -> Self {
        HpaConfig {
            tolerance: 0.1,
            cpu_initialization_period: SimDuration::from_secs(300),
            initial_readiness_delay: SimDuration::from_secs(30),
        }
    }
}

/// The replica calculator's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Recommendation {
    pub replicas: u32,
    /// The current utilisation, percent of the requests, over the pods with
    /// samples (0 for a metric without a utilisation).
    pub utilization: u32,
    /// The average of the samples per pod, thousandths of the metric's unit.
    pub raw_milli: u64,
}

/// Where `groupPods` puts a pod.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    Ready,
    Unready,
    Missing,
    Ignored,
}

/// `groupPods` (`replica_calculator.go`), for one pod: only a CPU sample
/// can be too early to trust.
pub fn group_pods(p: &PodSample, now: SimTime, cfg: &HpaConfig, cpu: bool) -> Group {
    if p.deleting || p.failed {
        return Group::Ignored;
    }
    // "Pending pods are ignored": kept out of the ratio, but as unready pods,
    // which count at 0 % on a scale-up.
    if p.pending {
        return Group::Unready;
    }
    let Some((_, sampled_at, window)) = p.sample else { return Group::Missing };
    if !cpu {
        return Group::Ready;
    }
    let unready = match (p.ready_transition, p.start_time) {
        (Some(transition), Some(start)) => {
            if start + cfg.cpu_initialization_period > now {
                // Within the initialisation period: unready, or the sample predates one window after becoming ready.
                !p.ready || sampled_at < transition + window
            } else {
                // After it: only a pod unready that never became ready within the initial delay.
                !p.ready && start + cfg.initial_readiness_delay > transition
            }
        }
        _ => true,
    };
    if unready { Group::Unready } else { Group::Ready }
}

/// Sums over a set of pods: how many, their usage and their requests, millicores.
#[derive(Clone, Copy, Default)]
struct Sums {
    pods: u64,
    usage: u64,
    requests: u64,
}

impl Sums {
    #[inline]
    fn add(&mut self, usage: u64, request: u64) {
        self.pods += 1;
        self.usage += usage;
        self.requests += request;
    }

    fn and(self, other: Sums) -> Sums {
        Sums { pods: self.pods + other.pods, usage: self.usage + other.usage, requests: self.requests + other.requests }
    }
}

/// `GetResourceUtilizationRatio`: (usage ratio, utilisation %) of the pods summed up.
fn utilization_ratio(sums: Sums, target_percent: u32) -> Option<(f64, u32)> {
    if sums.requests == 0 {
        return None;
    }
    let utilization = (sums.usage * 100 / sums.requests) as u32;
    Some((f64::from(utilization) / f64::from(target_percent.max(1)), utilization))
}

/// `GetMetricUsageRatio`: (usage ratio, average per pod), the average
/// truncated to a whole number of thousandths as the controller's int64 is.
fn usage_ratio(sums: Sums, target_milli: u64) -> Option<(f64, u64)> {
    if sums.pods == 0 {
        return None;
    }
    let average = sums.usage / sums.pods;
    Some((average as f64 / target_milli.max(1) as f64, average))
}

/// The replica calculator's error when no pod is left with a sample.
pub const NO_METRICS: &str = "did not receive metrics for targeted pods (pods might be unready)";

/// `GetResourceReplicas` (`replica_calculator.go`): the recommendation for a
/// utilisation target of a resource. `None` when no pod has a usable sample
/// ([`NO_METRICS`]). One pass over the pods: every quantity the calculator
/// needs is a count or a sum of them.
pub fn get_resource_replicas<P: std::borrow::Borrow<PodSample>>(
    pods: impl IntoIterator<Item = P>,
    current_replicas: u32,
    target_percent: u32,
    resource: MetricResource,
    tolerances: Tolerances,
    now: SimTime,
    cfg: &HpaConfig,
) -> Option<Recommendation> {
    let cpu = resource == MetricResource::Cpu;
    // On a scale-down, missing pods count as using 100 % of their request,
    // or the target when it is higher.
    let fallback = u64::from(target_percent.max(100));
    let (mut ready, mut unready, mut missing) = (Sums::default(), Sums::default(), Sums::default());
    let mut missing_at_fallback = Sums::default();
    for p in pods {
        let p = p.borrow();
        match group_pods(p, now, cfg, cpu) {
            Group::Ready => ready.add(p.sample.map_or(0, |s| s.0), p.request_milli),
            Group::Unready => unready.add(0, p.request_milli),
            Group::Missing => {
                missing.add(0, p.request_milli);
                missing_at_fallback.add(p.request_milli * fallback / 100, p.request_milli);
            }
            Group::Ignored => {}
        }
    }
    if ready.pods == 0 {
        return None;
    }
    let (ratio, utilization) = utilization_ratio(ready, target_percent)?;
    let raw_milli = ready.usage / ready.pods;
    let scale_up_with_unready = unready.pods > 0 && ratio > 1.0;
    if !scale_up_with_unready && missing.pods == 0 {
        if tolerances.is_within(ratio) {
            return Some(Recommendation { replicas: current_replicas, utilization, raw_milli });
        }
        let replicas = libm::ceil(ratio * ready.pods as f64) as u32;
        return Some(Recommendation { replicas, utilization, raw_milli });
    }
    // Fill in the pods without samples, and the unready ones on a scale-up.
    let mut samples = ready;
    if ratio < 1.0 {
        samples = samples.and(missing_at_fallback);
    } else if ratio > 1.0 {
        samples = samples.and(missing);
    }
    if scale_up_with_unready {
        samples = samples.and(unready);
    }
    let (new_ratio, _) = utilization_ratio(samples, target_percent)?;
    if tolerances.is_within(new_ratio) || (ratio < 1.0 && new_ratio > 1.0) || (ratio > 1.0 && new_ratio < 1.0) {
        return Some(Recommendation { replicas: current_replicas, utilization, raw_milli });
    }
    let replicas = libm::ceil(new_ratio * samples.pods as f64) as u32;
    if (new_ratio < 1.0 && replicas > current_replicas) || (new_ratio > 1.0 && replicas < current_replicas) {
        return Some(Recommendation { replicas: current_replicas, utilization, raw_milli });
    }
    Some(Recommendation { replicas, utilization, raw_milli })
}

/// `calcPlainMetricReplicas` (`replica_calculator.go`), behind
/// `GetRawResourceReplicas` (an average value of a resource per pod) and
/// `GetMetricReplicas` (a `Pods` metric): the recommendation for an average
/// value per pod, `target_milli` thousandths of the metric's unit. Pods
/// without a sample count at the target on a scale-down and at 0 on a
/// scale-up, unready pods at 0 on a scale-up. `None` when no pod has a usable
/// sample ([`NO_METRICS`]).
pub fn calc_plain_metric_replicas<P: std::borrow::Borrow<PodSample>>(
    pods: impl IntoIterator<Item = P>,
    current_replicas: u32,
    target_milli: u64,
    resource: Option<MetricResource>,
    tolerances: Tolerances,
    now: SimTime,
    cfg: &HpaConfig,
) -> Option<Recommendation> {
    let cpu = resource == Some(MetricResource::Cpu);
    let (mut ready, mut unready, mut missing) = (Sums::default(), Sums::default(), Sums::default());
    for p in pods {
        let p = p.borrow();
        match group_pods(p, now, cfg, cpu) {
            Group::Ready => ready.add(p.sample.map_or(0, |s| s.0), 0),
            Group::Unready => unready.add(0, 0),
            Group::Missing => missing.add(0, 0),
            Group::Ignored => {}
        }
    }
    let (ratio, average) = usage_ratio(ready, target_milli)?;
    let scale_up_with_unready = unready.pods > 0 && ratio > 1.0;
    let recommend = |replicas| Some(Recommendation { replicas, utilization: 0, raw_milli: average });
    if !scale_up_with_unready && missing.pods == 0 {
        if tolerances.is_within(ratio) {
            return recommend(current_replicas);
        }
        return recommend(libm::ceil(ratio * ready.pods as f64) as u32);
    }
    let mut samples = ready;
    // Missing pods count at the target on a scale-down, at 0 on a scale-up;
    // at a ratio of exactly 1 they are left out, as upstream leaves them.
    let fill = if ratio < 1.0 {
        Some(target_milli)
    } else if ratio > 1.0 {
        Some(0)
    } else {
        None
    };
    if let Some(fill) = fill.filter(|_| missing.pods > 0) {
        samples = samples.and(Sums { pods: missing.pods, usage: fill * missing.pods, requests: 0 });
    }
    if scale_up_with_unready {
        samples = samples.and(unready);
    }
    let (new_ratio, _) = usage_ratio(samples, target_milli)?;
    if tolerances.is_within(new_ratio) || (ratio > 1.0 && new_ratio < 1.0) || (ratio < 1.0 && new_ratio > 1.0) {
        return recommend(current_replicas);
    }
    let replicas = libm::ceil(new_ratio * samples.pods as f64) as u32;
    if (new_ratio < 1.0 && replicas > current_replicas) || (new_ratio > 1.0 && replicas < current_replicas) {
        return recommend(current_replicas);
    }
    recommend(replicas)
}

/// `GetMetricReplicas` (`replica_calculator.go`): a `Pods` metric's
/// recommendation, the plain-metric calculation over each pod's value.
pub fn get_metric_replicas<P: std::borrow::Borrow<PodSample>>(
    pods: impl IntoIterator<Item = P>,
    current_replicas: u32,
    target_milli: u64,
    tolerances: Tolerances,
    now: SimTime,
    cfg: &HpaConfig,
) -> Option<Recommendation> {
    calc_plain_metric_replicas(pods, current_replicas, target_milli, None, tolerances, now, cfg)
}

/// `GetRawResourceReplicas` (`replica_calculator.go`): a resource metric
/// with an `AverageValue` target, the plain-metric calculation over each
/// pod's use of `resource`.
pub fn get_raw_resource_replicas<P: std::borrow::Borrow<PodSample>>(
    pods: impl IntoIterator<Item = P>,
    current_replicas: u32,
    target_milli: u64,
    resource: MetricResource,
    tolerances: Tolerances,
    now: SimTime,
    cfg: &HpaConfig,
) -> Option<Recommendation> {
    calc_plain_metric_replicas(pods, current_replicas, target_milli, Some(resource), tolerances, now, cfg)
}

/// `computeReplicasForMetrics` (`horizontal.go`): each metric's proposal,
/// `None` for a metric that could not be computed, gives the largest
/// proposal (the first of equal ones) and its index. `None` when every
/// metric failed, or when some failed and the largest proposal would scale
/// down: a metric that cannot be read might have asked for more.
pub fn compute_replicas_for_metrics(proposals: &[Option<u32>], spec_replicas: u32) -> Option<(u32, usize)> {
    let mut best: Option<(u32, usize)> = None;
    let mut invalid = 0;
    for (i, p) in proposals.iter().enumerate() {
        match *p {
            None => invalid += 1,
            Some(r) if best.is_none_or(|(b, _)| r > b) => best = Some((r, i)),
            Some(_) => {}
        }
    }
    let (replicas, _) = best?;
    if invalid > 0 && replicas < spec_replicas {
        return None;
    }
    best
}

/// The controller's `--horizontal-pod-autoscaler-downscale-stabilization` default.
pub const DOWNSCALE_STABILIZATION: SimDuration = SimDuration::from_secs(300);
/// Scale events are kept this long: the longest policy period allowed.
const MAX_POLICY_PERIOD: SimDuration = SimDuration::from_secs(1800);

/// What the controller remembers per HPA between syncs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HpaMemory {
    /// Unstabilised recommendations with their times.
    recommendations: Vec<(SimTime, u32)>,
    /// Replicas added (positive) or removed (negative) by past scalings, with their times.
    events: Vec<(SimTime, i64)>,
}

impl HpaMemory {
    /// Records that the controller scaled from `from` to `to`.
    pub fn record_scale(&mut self, now: SimTime, from: u32, to: u32) {
        self.events.retain(|(t, _)| now.since(*t) < MAX_POLICY_PERIOD);
        self.events.push((now, i64::from(to) - i64::from(from)));
    }

    /// `recordInitialRecommendation`: the first sync remembers the current
    /// replicas as a recommendation, so that nothing scales down within the
    /// stabilisation window of an HPA appearing.
    pub fn record_initial(&mut self, now: SimTime, current: u32) {
        if self.recommendations.is_empty() {
            self.recommendations.push((now, current));
        }
    }

    /// Replicas added (`up`) or removed within `period` before `now`.
    fn changed_within(&self, now: SimTime, period: SimDuration, up: bool) -> i64 {
        self.events
            .iter()
            .filter(|(t, _)| now.since(*t) < period)
            .map(|(_, d)| if up { (*d).max(0) } else { (-*d).max(0) })
            .sum::<i64>()
    }

    /// The replicas at the start of a policy's period: the current count less
    /// what was added in it, plus what was removed.
    fn period_start(&self, now: SimTime, period: SimDuration, current: u32) -> i64 {
        i64::from(current) - self.changed_within(now, period, true) + self.changed_within(now, period, false)
    }
}

/// A condition's reason and message, as the HPA controller words them.
pub type Why = (&'static str, &'static str);

/// What normalising a recommendation gives: the replicas, why the
/// stabilisation window changed the recommendation if it did (the
/// `AbleToScale` condition's reason), and the `ScalingLimited` condition:
/// whether the rules or bounds cut the stabilised count, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Normalized {
    pub replicas: u32,
    pub stabilized: Option<Why>,
    pub limited: (bool, Why),
}

const WITHIN_RANGE: Why = ("DesiredWithinRange", "the desired count is within the acceptable range");
const SCALE_UP_LIMIT: Why =
    ("ScaleUpLimit", "the desired replica count is increasing faster than the maximum scale rate");
const TOO_MANY: Why = ("TooManyReplicas", "the desired replica count is more than the maximum replica count");
const TOO_FEW: Why = ("TooFewReplicas", "the desired replica count is less than the minimum replica count");
const SCALE_DOWN_STABILIZED: Why = (
    "ScaleDownStabilized",
    "recent recommendations were higher than current one, applying the highest recent recommendation",
);

/// `normalizeDesiredReplicasWithBehaviors`: stabilise, then rate-limit, then
/// bound to `replicas` (minReplicas..=maxReplicas).
pub fn normalize_with_behaviors(
    memory: &mut HpaMemory,
    now: SimTime,
    current: u32,
    desired: u32,
    replicas: std::ops::RangeInclusive<u32>,
    up: &ScalingRules,
    down: &ScalingRules,
) -> Normalized {
    let (min_replicas, max_replicas) = (*replicas.start(), *replicas.end());
    // stabilizeRecommendationWithBehaviors.
    let (mut lowest, mut highest) = (desired, desired);
    for &(t, r) in &memory.recommendations {
        if now.since(t) < up.stabilization_window {
            lowest = lowest.min(r);
        }
        if now.since(t) < down.stabilization_window {
            highest = highest.max(r);
        }
    }
    let keep = up.stabilization_window.max(down.stabilization_window);
    memory.recommendations.retain(|(t, _)| now.since(*t) < keep);
    memory.recommendations.push((now, desired));
    let stabilized = current.clamp(lowest, highest);
    let why_stabilized = (stabilized != desired).then_some(if desired >= current {
        (
            "ScaleUpStabilized",
            "recent recommendations were lower than current one, applying the lowest recent recommendation",
        )
    } else {
        SCALE_DOWN_STABILIZED
    });

    // convertDesiredReplicasWithBehaviorRate.
    let (replicas, why) = if stabilized > current {
        let limit = scale_up_limit(memory, now, current, up).max(current);
        let (most, why) = if max_replicas > limit { (limit, SCALE_UP_LIMIT) } else { (max_replicas, TOO_MANY) };
        if stabilized > most { (most, why) } else { (stabilized, WITHIN_RANGE) }
    } else if stabilized < current {
        let limit = scale_down_limit(memory, now, current, down).min(current);
        let (least, why) = if min_replicas < limit {
            (limit, ("ScaleDownLimit", "the desired replica count is decreasing faster than the maximum scale rate"))
        } else {
            (min_replicas, TOO_FEW)
        };
        if stabilized < least { (least, why) } else { (stabilized, WITHIN_RANGE) }
    } else {
        (stabilized, WITHIN_RANGE)
    };
    Normalized { replicas, stabilized: why_stabilized, limited: (replicas != stabilized, why) }
}

/// `calculateScaleUpLimitWithScalingRules`.
fn scale_up_limit(memory: &HpaMemory, now: SimTime, current: u32, rules: &ScalingRules) -> u32 {
    let proposals = rules.policies.iter().map(|p| {
        let start = memory.period_start(now, p.period(), current).max(0);
        match *p {
            ScalingPolicy::Pods { value, .. } => start.saturating_add(i64::from(value)),
            ScalingPolicy::Percent { value, .. } => {
                libm::ceil(start as f64 * (1.0 + f64::from(value) / 100.0)).min(u32::MAX as f64) as i64
            }
        }
    });
    let limit = match rules.select {
        SelectPolicy::Disabled => i64::from(current),
        SelectPolicy::Max => proposals.max().unwrap_or(i64::from(current)),
        SelectPolicy::Min => proposals.min().unwrap_or(i64::from(current)),
    };
    limit.clamp(0, i64::from(u32::MAX)) as u32
}

/// `calculateScaleDownLimitWithBehaviors`.
fn scale_down_limit(memory: &HpaMemory, now: SimTime, current: u32, rules: &ScalingRules) -> u32 {
    let proposals = rules.policies.iter().map(|p| {
        let start = memory.period_start(now, p.period(), current);
        match *p {
            ScalingPolicy::Pods { value, .. } => start - i64::from(value),
            ScalingPolicy::Percent { value, .. } => (start as f64 * (1.0 - f64::from(value) / 100.0)) as i64,
        }
    });
    // "Max" means the policy allowing the biggest change, which for a scale-down is the fewest replicas.
    let limit = match rules.select {
        SelectPolicy::Disabled => i64::from(current),
        SelectPolicy::Max => proposals.min().unwrap_or(i64::from(current)),
        SelectPolicy::Min => proposals.max().unwrap_or(i64::from(current)),
    };
    limit.clamp(0, i64::from(u32::MAX)) as u32
}

/// `normalizeDesiredReplicas`, for an HPA without `behavior`: the highest
/// recommendation of the last 300 s (`stabilizeRecommendation`), then at
/// most max(2 × current, 4) on a scale-up, within min and max replicas
/// (`convertDesiredReplicasWithRules`).
pub fn normalize_desired_replicas(
    memory: &mut HpaMemory,
    now: SimTime,
    current: u32,
    desired: u32,
    replicas: std::ops::RangeInclusive<u32>,
) -> Normalized {
    let mut highest = desired;
    let mut old_sample = None;
    for (k, &(t, r)) in memory.recommendations.iter().enumerate() {
        // Before the cutoff: an old sample, to be replaced; at or after it: in the window.
        if now.since(t) > DOWNSCALE_STABILIZATION {
            old_sample = Some(k);
        } else {
            highest = highest.max(r);
        }
    }
    match old_sample {
        Some(k) => memory.recommendations[k] = (now, desired),
        None => memory.recommendations.push((now, desired)),
    }
    let stabilized = (highest != desired).then_some(SCALE_DOWN_STABILIZED);
    let scale_up_limit = current.saturating_mul(2).max(4);
    let (min_replicas, max_replicas) = (*replicas.start(), *replicas.end());
    let (most, why) =
        if max_replicas > scale_up_limit { (scale_up_limit, SCALE_UP_LIMIT) } else { (max_replicas, TOO_MANY) };
    let (replicas, why) = if highest < min_replicas {
        (min_replicas, TOO_FEW)
    } else if highest > most {
        (most, why)
    } else {
        (highest, WITHIN_RANGE)
    };
    Normalized { replicas, stabilized, limited: (replicas != highest, why) }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> SimTime = |s| SimTime(s * 1_000_000);

    fn pod(usage: u64, request: u64) -> PodSample {
        PodSample {
            deleting: false,
            failed: false,
            pending: false,
            ready: true,
            ready_transition: Some(S(0)),
            start_time: Some(S(0)),
            request_milli: request,
            sample: Some((usage, S(1000), SimDuration::from_secs(30))),
        }
    }

    const NOW: SimTime = SimTime(1_000_000_000);

    #[test]
    fn within_tolerance_nothing_changes() {
        // Utilisation 105 % of a 100 % target: |1 − 1.05| ≤ 0.1 → stay at 4.
        let pods = [pod(1050, 1000); 4];
        assert_eq!(
            get_resource_replicas(pods, 4, 100, MetricResource::Cpu, Tolerances::default(), NOW, &HpaConfig::default())
                .unwrap()
                .replicas,
            4
        );
    }

    #[test]
    fn the_tolerance_band_includes_its_edges() {
        // 66 % of a 60 % target is a ratio of exactly 1.1 as the calculator computes it (66/60):
        // inside 1 − 0.1 ≤ ratio ≤ 1 + 0.1, so 1 replica stays, where |1 − 1.1| = 0.10000000000000009
        // would have scaled to 2.
        let cfg = HpaConfig::default();
        let at = |usage| {
            get_resource_replicas([pod(usage, 1000)], 1, 60, MetricResource::Cpu, Tolerances::default(), NOW, &cfg)
                .unwrap()
        };
        assert_eq!(at(660).replicas, 1);
        assert_eq!(at(670).replicas, 2);
        // 54 % of 60 % is the lower edge, 0.9: ten pods stay; 53 % (0.883) goes to ⌈8.83⌉ = 9.
        let ten = |usage| {
            get_resource_replicas([pod(usage, 1000); 10], 10, 60, MetricResource::Cpu, Tolerances::default(), NOW, &cfg)
                .unwrap()
        };
        assert_eq!(ten(540).replicas, 10);
        assert_eq!(ten(530).replicas, 9);
    }

    #[test]
    fn each_side_of_the_band_can_be_set() {
        // behavior.scaleUp.tolerance 0.05: 66 % of 60 % (1.1) now scales up; the scale-down side keeps 0.1.
        let cfg = HpaConfig::default();
        let up = Tolerances { scale_down: 0.1, scale_up: 0.05 };
        assert_eq!(
            get_resource_replicas([pod(660, 1000)], 1, 60, MetricResource::Cpu, up, NOW, &cfg).unwrap().replicas,
            2
        );
        assert_eq!(
            get_resource_replicas([pod(540, 1000); 10], 10, 60, MetricResource::Cpu, up, NOW, &cfg).unwrap().replicas,
            10
        );
        // behavior.scaleDown.tolerance 0.5: down to half the target nothing scales down.
        let down = Tolerances { scale_down: 0.5, scale_up: 0.1 };
        assert_eq!(
            get_resource_replicas([pod(300, 1000); 10], 10, 60, MetricResource::Cpu, down, NOW, &cfg).unwrap().replicas,
            10
        );
        assert_eq!(
            get_resource_replicas([pod(290, 1000); 10], 10, 60, MetricResource::Cpu, down, NOW, &cfg).unwrap().replicas,
            5
        );
    }

    #[test]
    fn an_hpas_behavior_sets_its_tolerances() {
        let q = |mantissa, exponent| Some(DecimalQuantity { mantissa, exponent });
        let mut b =
            Behavior { scale_up: ScalingRules::default_scale_up(), scale_down: ScalingRules::default_scale_down() };
        let cfg = HpaConfig::default();
        assert_eq!(Tolerances::for_hpa(&cfg, None), Tolerances { scale_down: 0.1, scale_up: 0.1 });
        assert_eq!(Tolerances::for_hpa(&cfg, Some(&b)), Tolerances { scale_down: 0.1, scale_up: 0.1 });
        b.scale_up.tolerance = q(5, -2);
        b.scale_down.tolerance = q(0, 0);
        assert_eq!(Tolerances::for_hpa(&cfg, Some(&b)), Tolerances { scale_down: 0.0, scale_up: 0.05 });
        // "50m" is the same number as "0.05".
        assert_eq!(DecimalQuantity { mantissa: 50, exponent: -3 }.as_approximate_f64(), 0.05);
        assert_eq!(DecimalQuantity { mantissa: 5, exponent: -2 }.to_string(), "0.05");
        assert_eq!(DecimalQuantity { mantissa: 15, exponent: -1 }.to_string(), "1.5");
        assert_eq!(DecimalQuantity { mantissa: 2, exponent: 1 }.to_string(), "20");
    }

    #[test]
    fn missing_samples_count_full_on_a_scale_down() {
        // Two pods at 10 % of a 50 % target (ratio 0.2), one without a sample: it counts as 100 %,
        // so the ratio becomes (100 + 100 + 1000)/3000 / 0.5 = 0.8 and ⌈0.8 × 3⌉ = 3 = current → no change.
        let mut missing = pod(0, 1000);
        missing.sample = None;
        let pods = [pod(100, 1000), pod(100, 1000), missing];
        assert_eq!(
            get_resource_replicas(pods, 3, 50, MetricResource::Cpu, Tolerances::default(), NOW, &HpaConfig::default())
                .unwrap()
                .replicas,
            3
        );
    }

    #[test]
    fn unready_pods_count_zero_on_a_scale_up() {
        // Two ready pods at 100 % of a 50 % target (ratio 2), one unready within its
        // initialisation period: it counts 0 %: (1000 + 1000 + 0)/3000 / 0.5 = 4/3 → ⌈3 × 4/3⌉ = 4.
        let mut unready = pod(0, 1000);
        unready.ready = false;
        unready.start_time = Some(NOW);
        let pods = [pod(1000, 1000), pod(1000, 1000), unready];
        assert_eq!(
            get_resource_replicas(pods, 3, 50, MetricResource::Cpu, Tolerances::default(), NOW, &HpaConfig::default())
                .unwrap()
                .replicas,
            4
        );
    }

    #[test]
    fn deleting_pods_are_ignored() {
        let mut deleting = pod(5000, 1000);
        deleting.deleting = true;
        let pods = [pod(800, 1000), deleting];
        // Only one pod counts: 80 % of 40 % → ratio 2 → 2 replicas.
        assert_eq!(
            get_resource_replicas(pods, 2, 40, MetricResource::Cpu, Tolerances::default(), NOW, &HpaConfig::default())
                .unwrap()
                .replicas,
            2
        );
    }

    #[test]
    fn pending_pods_count_as_unready_on_a_scale_up() {
        // Pending pods are kept out of the ratio like unready ones and count 0 % on a
        // scale-up: one pod at 80 % of 40 % (ratio 2) and one pending pod give
        // (800 + 0)/2000 / 0.4 = 1.0, inside the tolerance → the current 3 stays.
        let mut pending = pod(0, 1000);
        pending.pending = true;
        let mut deleting = pod(5000, 1000);
        deleting.deleting = true;
        let pods = [pod(800, 1000), pending, deleting];
        assert_eq!(
            get_resource_replicas(pods, 3, 40, MetricResource::Cpu, Tolerances::default(), NOW, &HpaConfig::default())
                .unwrap()
                .replicas,
            3
        );
        // With two pods at 80 %, the ratio is (1600 + 0)/3000 / 0.4 = 4/3 → ⌈3 × 4/3⌉ = 4.
        let pods = [pod(800, 1000), pod(800, 1000), pending];
        assert_eq!(
            get_resource_replicas(pods, 3, 40, MetricResource::Cpu, Tolerances::default(), NOW, &HpaConfig::default())
                .unwrap()
                .replicas,
            4
        );
    }

    #[test]
    fn without_behavior_scale_up_is_limited_to_double_or_four() {
        // horizontal.go calculateScaleUpLimit: max(2 × current, 4).
        let mut m = HpaMemory::default();
        assert_eq!(normalize_desired_replicas(&mut m, S(0), 1, 10, 1..=100).replicas, 4);
        let mut m = HpaMemory::default();
        assert_eq!(normalize_desired_replicas(&mut m, S(0), 5, 10, 1..=100).replicas, 10);
        let mut m = HpaMemory::default();
        assert_eq!(normalize_desired_replicas(&mut m, S(0), 5, 30, 1..=8).replicas, 8);
    }

    #[test]
    fn normalizing_says_why_the_count_was_cut_as_the_conditions_do() {
        let mut m = HpaMemory::default();
        let n = normalize_desired_replicas(&mut m, S(0), 1, 10, 1..=100);
        assert_eq!((n.replicas, n.limited), (4, (true, SCALE_UP_LIMIT)));
        let n = normalize_desired_replicas(&mut m, S(0), 5, 30, 1..=8);
        assert_eq!((n.replicas, n.limited), (8, (true, TOO_MANY)));
        let mut m = HpaMemory::default();
        let n = normalize_desired_replicas(&mut m, S(0), 5, 6, 1..=8);
        assert_eq!((n.replicas, n.stabilized, n.limited), (6, None, (false, WITHIN_RANGE)));
        let n = normalize_desired_replicas(&mut m, S(15), 6, 2, 1..=8);
        assert_eq!((n.replicas, n.stabilized.map(|w| w.0)), (6, Some("ScaleDownStabilized")));
        let n = normalize_desired_replicas(&mut m, S(400), 6, 1, 3..=8);
        assert_eq!((n.replicas, n.limited), (3, (true, TOO_FEW)));
        // With behavior: at most 1 pod removed a minute.
        let up = ScalingRules::default_scale_up();
        let down = ScalingRules {
            stabilization_window: SimDuration::ZERO,
            select: SelectPolicy::Max,
            policies: vec![ScalingPolicy::Pods { value: 1, period: SimDuration::from_secs(60) }],
            tolerance: None,
        };
        let mut m = HpaMemory::default();
        let n = normalize_with_behaviors(&mut m, S(0), 10, 2, 1..=100, &up, &down);
        assert_eq!((n.replicas, n.stabilized, n.limited.0, n.limited.1.0), (9, None, true, "ScaleDownLimit"));
    }

    #[test]
    fn without_behavior_scale_down_keeps_the_highest_of_300_seconds() {
        let mut m = HpaMemory::default();
        assert_eq!(normalize_desired_replicas(&mut m, S(0), 10, 10, 1..=100).replicas, 10);
        // 300 s later the sample at 0 s is still inside the window (not before the cutoff).
        assert_eq!(normalize_desired_replicas(&mut m, S(300), 10, 2, 1..=100).replicas, 10);
        // At 301 s the sample at 0 s is old and replaced; the one at 300 s (2) remains: 3 wins.
        assert_eq!(normalize_desired_replicas(&mut m, S(301), 10, 3, 1..=100).replicas, 3);
        // Below minReplicas the minimum is returned.
        assert_eq!(normalize_desired_replicas(&mut m, S(302), 3, 1, 2..=100).replicas, 3);
        assert_eq!(normalize_desired_replicas(&mut m, S(900), 3, 1, 2..=100).replicas, 2);
    }

    #[test]
    fn default_behavior_limits_scale_up_to_four_pods_or_double() {
        let (up, down) = (ScalingRules::default_scale_up(), ScalingRules::default_scale_down());
        let mut m = HpaMemory::default();
        // From 1 pod, 100 % allows 2, 4 pods allows 5: Max picks 5.
        assert_eq!(normalize_with_behaviors(&mut m, S(0), 1, 20, 1..=100, &up, &down).replicas, 5);
        m.record_scale(S(0), 1, 5);
        // Within the same 15 s, the period started at 1 replica: still at most 5.
        assert_eq!(normalize_with_behaviors(&mut m, S(10), 5, 20, 1..=100, &up, &down).replicas, 5);
        // After 15 s: 10 (100 %) or 9 (4 pods): 10.
        assert_eq!(normalize_with_behaviors(&mut m, S(15), 5, 20, 1..=100, &up, &down).replicas, 10);
    }

    #[test]
    fn scale_down_waits_for_the_stabilization_window() {
        let (up, down) = (ScalingRules::default_scale_up(), ScalingRules::default_scale_down());
        let mut m = HpaMemory::default();
        assert_eq!(normalize_with_behaviors(&mut m, S(0), 10, 10, 1..=100, &up, &down).replicas, 10);
        // Load falls: the recommendation is 2, but 10 was recommended within 300 s.
        assert_eq!(normalize_with_behaviors(&mut m, S(15), 10, 2, 1..=100, &up, &down).replicas, 10);
        assert_eq!(normalize_with_behaviors(&mut m, S(299), 10, 2, 1..=100, &up, &down).replicas, 10);
        // 300 s after the last recommendation of 10, the highest in the window is 2.
        assert_eq!(normalize_with_behaviors(&mut m, S(300), 10, 2, 1..=100, &up, &down).replicas, 2);
    }

    #[test]
    fn plain_metric_missing_pods_count_at_the_target_on_a_scale_down_and_zero_on_a_scale_up() {
        let cfg = HpaConfig::default();
        let missing = PodSample { sample: None, ..pod(0, 0) };
        // Down: two pods at 5 against 10, one missing counted at 10: average 6.67, ⌈3 × 0.667⌉ = 2.
        let pods = [pod(5000, 0), pod(5000, 0), missing];
        let r = get_metric_replicas(pods, 3, 10000, Tolerances::default(), NOW, &cfg).unwrap();
        assert_eq!(r.replicas, 2);
        // Up: two pods at 30 against 10, one missing counted at 0: average 20, ⌈3 × 2⌉ = 6.
        let pods = [pod(30000, 0), pod(30000, 0), missing];
        let r = get_metric_replicas(pods, 3, 10000, Tolerances::default(), NOW, &cfg).unwrap();
        assert_eq!(r.replicas, 6);
        // No pod with a sample: no recommendation.
        assert!(get_metric_replicas([missing], 1, 10000, Tolerances::default(), NOW, &cfg).is_none());
    }

    #[test]
    fn memory_utilization_ignores_the_cpu_initialization_period() {
        // A pod started 10 s ago and not yet Ready: its CPU sample is not trusted, its memory sample is.
        let young =
            PodSample { ready: false, ready_transition: Some(S(990)), start_time: Some(S(990)), ..pod(900, 1000) };
        let cfg = HpaConfig::default();
        let cpu = get_resource_replicas([young], 1, 50, MetricResource::Cpu, Tolerances::default(), NOW, &cfg);
        assert!(cpu.is_none());
        let memory = get_resource_replicas([young], 1, 50, MetricResource::Memory, Tolerances::default(), NOW, &cfg);
        assert_eq!(memory.map(|r| (r.replicas, r.utilization)), Some((2, 90)));
    }

    // horizontal_test.go: several metrics, some of them invalid.
    #[test]
    fn compute_replicas_for_metrics_takes_the_largest_proposal() {
        // TestScaleUpTwoMetrics / TestScaleDownTwoMetrics: the larger proposal wins, the first of equal ones.
        assert_eq!(compute_replicas_for_metrics(&[Some(4), Some(6)], 3), Some((6, 1)));
        assert_eq!(compute_replicas_for_metrics(&[Some(2), Some(1)], 5), Some((2, 0)));
        assert_eq!(compute_replicas_for_metrics(&[Some(4), Some(4)], 3), Some((4, 0)));
        // TestScaleUpOneMetricInvalid: one metric cannot be read, the other scales up.
        assert_eq!(compute_replicas_for_metrics(&[None, Some(4)], 3), Some((4, 1)));
        // TestScaleDownOneMetricInvalid: a scale-down waits for every metric.
        assert_eq!(compute_replicas_for_metrics(&[None, Some(2)], 5), None);
        // Holding steady with one invalid metric is no scale-down.
        assert_eq!(compute_replicas_for_metrics(&[Some(5), None], 5), Some((5, 0)));
        // TestScaleUpBothMetricsEmpty: nothing to go on.
        assert_eq!(compute_replicas_for_metrics(&[None, None], 3), None);
    }

    // horizontal_test.go TestTolerance and TestToleranceCM: the whole sync of an HPA
    // (min 1, max 5, 3 replicas, no behavior) whose metric is within the tolerance.
    #[test]
    fn horizontal_tolerance_keeps_the_replicas() {
        let cfg = HpaConfig::default();
        // TestTolerance: one container each, 0.9, 1.0 and 1.1 CPU requested, 1010m, 1030m and
        // 1020m used against a 100 % target: 3060/3000 = 102 %, within 10 %.
        let pods = [pod(1010, 900), pod(1030, 1000), pod(1020, 1100)];
        let r = get_resource_replicas(pods, 3, 100, MetricResource::Cpu, Tolerances::default(), NOW, &cfg).unwrap();
        assert_eq!((r.replicas, r.utilization), (3, 102));
        let mut m = HpaMemory::default();
        assert_eq!(normalize_desired_replicas(&mut m, NOW, 3, r.replicas, 1..=5).replicas, 3);
        // TestToleranceCM: qps of 20, 20.001 and 21 against an average value of 20: 20.333, within 10 %.
        let pods = [pod(20000, 0), pod(20001, 0), pod(21000, 0)];
        let r = get_metric_replicas(pods, 3, 20000, Tolerances::default(), NOW, &cfg).unwrap();
        assert_eq!((r.replicas, r.raw_milli), (3, 20333));
        let mut m = HpaMemory::default();
        assert_eq!(normalize_desired_replicas(&mut m, NOW, 3, r.replicas, 1..=5).replicas, 3);
    }
}
