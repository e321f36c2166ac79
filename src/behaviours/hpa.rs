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

use crate::engine::{SimDuration, SimTime};
pub use crate::model::hpa::{Behavior, DecimalQuantity, ScalingPolicy, ScalingRules, SelectPolicy};

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
    /// CPU request in millicores.
    pub request_millicores: u64,
    /// The latest metrics sample: usage in millicores, when it was taken, and its window.
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
    /// The current utilisation, percent of the requests, over the pods with samples.
    pub utilization: u32,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Group {
    Ready,
    Unready,
    Missing,
    Ignored,
}

/// `groupPods`.
fn group(p: &PodSample, now: SimTime, cfg: &HpaConfig) -> Group {
    if p.deleting || p.failed {
        return Group::Ignored;
    }
    // "Pending pods are ignored": kept out of the ratio, but as unready pods,
    // which count at 0 % on a scale-up.
    if p.pending {
        return Group::Unready;
    }
    let Some((_, sampled_at, window)) = p.sample else { return Group::Missing };
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

/// `GetResourceReplicas`: the recommendation for a CPU utilisation target.
/// `None` when no pod has a usable sample. One pass over the pods: every
/// quantity the calculator needs is a count or a sum of them.
pub fn resource_replicas<P: std::borrow::Borrow<PodSample>>(
    pods: impl IntoIterator<Item = P>,
    current_replicas: u32,
    target_percent: u32,
    tolerances: Tolerances,
    now: SimTime,
    cfg: &HpaConfig,
) -> Option<Recommendation> {
    // On a scale-down, missing pods count as using 100 % of their request,
    // or the target when it is higher.
    let fallback = u64::from(target_percent.max(100));
    let (mut ready, mut unready, mut missing) = (Sums::default(), Sums::default(), Sums::default());
    let mut missing_at_fallback = Sums::default();
    for p in pods {
        let p = p.borrow();
        match group(p, now, cfg) {
            Group::Ready => ready.add(p.sample.map_or(0, |s| s.0), p.request_millicores),
            Group::Unready => unready.add(0, p.request_millicores),
            Group::Missing => {
                missing.add(0, p.request_millicores);
                missing_at_fallback.add(p.request_millicores * fallback / 100, p.request_millicores);
            }
            Group::Ignored => {}
        }
    }
    if ready.pods == 0 {
        return None;
    }
    let (ratio, utilization) = utilization_ratio(ready, target_percent)?;
    let scale_up_with_unready = unready.pods > 0 && ratio > 1.0;
    if !scale_up_with_unready && missing.pods == 0 {
        if tolerances.is_within(ratio) {
            return Some(Recommendation { replicas: current_replicas, utilization });
        }
        let replicas = libm::ceil(ratio * ready.pods as f64) as u32;
        return Some(Recommendation { replicas, utilization });
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
        return Some(Recommendation { replicas: current_replicas, utilization });
    }
    let replicas = libm::ceil(new_ratio * samples.pods as f64) as u32;
    if (new_ratio < 1.0 && replicas > current_replicas) || (new_ratio > 1.0 && replicas < current_replicas) {
        return Some(Recommendation { replicas: current_replicas, utilization });
    }
    Some(Recommendation { replicas, utilization })
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
) -> u32 {
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

    // convertDesiredReplicasWithBehaviorRate.
    if stabilized > current {
        let limit = scale_up_limit(memory, now, current, up).max(current);
        stabilized.min(max_replicas.min(limit))
    } else if stabilized < current {
        let limit = scale_down_limit(memory, now, current, down).min(current);
        stabilized.max(min_replicas.max(limit))
    } else {
        stabilized.clamp(min_replicas, max_replicas)
    }
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
) -> u32 {
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
    let scale_up_limit = current.saturating_mul(2).max(4);
    let (min_replicas, max_replicas) = (*replicas.start(), *replicas.end());
    if highest < min_replicas {
        min_replicas
    } else if highest > scale_up_limit {
        scale_up_limit.min(max_replicas)
    } else {
        highest.min(max_replicas)
    }
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
            request_millicores: request,
            sample: Some((usage, S(1000), SimDuration::from_secs(30))),
        }
    }

    const NOW: SimTime = SimTime(1_000_000_000);

    #[test]
    fn scale_up_is_ceil_of_ratio_times_ready_pods() {
        // replica_calculator_test.go "TestReplicaCalcScaleUp": 3 pods requesting 1000m use 300m, 500m, 700m
        // against a 30 % target: utilisation 50 %, ratio 5/3, ⌈3 × 5/3⌉ = 5.
        let pods = [pod(300, 1000), pod(500, 1000), pod(700, 1000)];
        let r = resource_replicas(pods, 3, 30, Tolerances::default(), NOW, &HpaConfig::default()).unwrap();
        assert_eq!(r, Recommendation { replicas: 5, utilization: 50 });
    }

    #[test]
    fn within_tolerance_nothing_changes() {
        // Utilisation 105 % of a 100 % target: |1 − 1.05| ≤ 0.1 → stay at 4.
        let pods = [pod(1050, 1000); 4];
        assert_eq!(
            resource_replicas(pods, 4, 100, Tolerances::default(), NOW, &HpaConfig::default()).unwrap().replicas,
            4
        );
    }

    #[test]
    fn the_tolerance_band_includes_its_edges() {
        // 66 % of a 60 % target is a ratio of exactly 1.1 as the calculator computes it (66/60):
        // inside 1 − 0.1 ≤ ratio ≤ 1 + 0.1, so 1 replica stays, where |1 − 1.1| = 0.10000000000000009
        // would have scaled to 2.
        let cfg = HpaConfig::default();
        let at = |usage| resource_replicas([pod(usage, 1000)], 1, 60, Tolerances::default(), NOW, &cfg).unwrap();
        assert_eq!(at(660).replicas, 1);
        assert_eq!(at(670).replicas, 2);
        // 54 % of 60 % is the lower edge, 0.9: ten pods stay; 53 % (0.883) goes to ⌈8.83⌉ = 9.
        let ten = |usage| resource_replicas([pod(usage, 1000); 10], 10, 60, Tolerances::default(), NOW, &cfg).unwrap();
        assert_eq!(ten(540).replicas, 10);
        assert_eq!(ten(530).replicas, 9);
    }

    #[test]
    fn each_side_of_the_band_can_be_set() {
        // behavior.scaleUp.tolerance 0.05: 66 % of 60 % (1.1) now scales up; the scale-down side keeps 0.1.
        let cfg = HpaConfig::default();
        let up = Tolerances { scale_down: 0.1, scale_up: 0.05 };
        assert_eq!(resource_replicas([pod(660, 1000)], 1, 60, up, NOW, &cfg).unwrap().replicas, 2);
        assert_eq!(resource_replicas([pod(540, 1000); 10], 10, 60, up, NOW, &cfg).unwrap().replicas, 10);
        // behavior.scaleDown.tolerance 0.5: down to half the target nothing scales down.
        let down = Tolerances { scale_down: 0.5, scale_up: 0.1 };
        assert_eq!(resource_replicas([pod(300, 1000); 10], 10, 60, down, NOW, &cfg).unwrap().replicas, 10);
        assert_eq!(resource_replicas([pod(290, 1000); 10], 10, 60, down, NOW, &cfg).unwrap().replicas, 5);
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
            resource_replicas(pods, 3, 50, Tolerances::default(), NOW, &HpaConfig::default()).unwrap().replicas,
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
            resource_replicas(pods, 3, 50, Tolerances::default(), NOW, &HpaConfig::default()).unwrap().replicas,
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
            resource_replicas(pods, 2, 40, Tolerances::default(), NOW, &HpaConfig::default()).unwrap().replicas,
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
            resource_replicas(pods, 3, 40, Tolerances::default(), NOW, &HpaConfig::default()).unwrap().replicas,
            3
        );
        // With two pods at 80 %, the ratio is (1600 + 0)/3000 / 0.4 = 4/3 → ⌈3 × 4/3⌉ = 4.
        let pods = [pod(800, 1000), pod(800, 1000), pending];
        assert_eq!(
            resource_replicas(pods, 3, 40, Tolerances::default(), NOW, &HpaConfig::default()).unwrap().replicas,
            4
        );
    }

    #[test]
    fn without_behavior_scale_up_is_limited_to_double_or_four() {
        // horizontal.go calculateScaleUpLimit: max(2 × current, 4).
        let mut m = HpaMemory::default();
        assert_eq!(normalize_desired_replicas(&mut m, S(0), 1, 10, 1..=100), 4);
        let mut m = HpaMemory::default();
        assert_eq!(normalize_desired_replicas(&mut m, S(0), 5, 10, 1..=100), 10);
        let mut m = HpaMemory::default();
        assert_eq!(normalize_desired_replicas(&mut m, S(0), 5, 30, 1..=8), 8);
    }

    #[test]
    fn without_behavior_scale_down_keeps_the_highest_of_300_seconds() {
        let mut m = HpaMemory::default();
        assert_eq!(normalize_desired_replicas(&mut m, S(0), 10, 10, 1..=100), 10);
        // 300 s later the sample at 0 s is still inside the window (not before the cutoff).
        assert_eq!(normalize_desired_replicas(&mut m, S(300), 10, 2, 1..=100), 10);
        // At 301 s the sample at 0 s is old and replaced; the one at 300 s (2) remains: 3 wins.
        assert_eq!(normalize_desired_replicas(&mut m, S(301), 10, 3, 1..=100), 3);
        // Below minReplicas the minimum is returned.
        assert_eq!(normalize_desired_replicas(&mut m, S(302), 3, 1, 2..=100), 3);
        assert_eq!(normalize_desired_replicas(&mut m, S(900), 3, 1, 2..=100), 2);
    }

    #[test]
    fn default_behavior_limits_scale_up_to_four_pods_or_double() {
        let (up, down) = (ScalingRules::default_scale_up(), ScalingRules::default_scale_down());
        let mut m = HpaMemory::default();
        // From 1 pod, 100 % allows 2, 4 pods allows 5: Max picks 5.
        assert_eq!(normalize_with_behaviors(&mut m, S(0), 1, 20, 1..=100, &up, &down), 5);
        m.record_scale(S(0), 1, 5);
        // Within the same 15 s, the period started at 1 replica: still at most 5.
        assert_eq!(normalize_with_behaviors(&mut m, S(10), 5, 20, 1..=100, &up, &down), 5);
        // After 15 s: 10 (100 %) or 9 (4 pods): 10.
        assert_eq!(normalize_with_behaviors(&mut m, S(15), 5, 20, 1..=100, &up, &down), 10);
    }

    #[test]
    fn scale_down_waits_for_the_stabilization_window() {
        let (up, down) = (ScalingRules::default_scale_up(), ScalingRules::default_scale_down());
        let mut m = HpaMemory::default();
        assert_eq!(normalize_with_behaviors(&mut m, S(0), 10, 10, 1..=100, &up, &down), 10);
        // Load falls: the recommendation is 2, but 10 was recommended within 300 s.
        assert_eq!(normalize_with_behaviors(&mut m, S(15), 10, 2, 1..=100, &up, &down), 10);
        assert_eq!(normalize_with_behaviors(&mut m, S(299), 10, 2, 1..=100, &up, &down), 10);
        // 300 s after the last recommendation of 10, the highest in the window is 2.
        assert_eq!(normalize_with_behaviors(&mut m, S(300), 10, 2, 1..=100, &up, &down), 2);
    }
}
