//! Upstream's replica calculator tests
//! (`pkg/controller/podautoscaler/replica_calculator_test.go`), ported as
//! data: each upstream test function is one case, under its upstream name,
//! with its fixture and its expectations.
//!
//! # Upstream's fixture, as a [`PodSample`]
//!
//! Upstream lists `max(currentReplicas, len(podPhase))` pods `test-pod-i`,
//! each with two containers (`container1`, `container2`) requesting the
//! pod's request each, a `Ready` condition (true unless `podReadiness` says
//! otherwise) whose last transition time is Go's zero time, a start time
//! (`podStartTime`, else Go's zero time), a phase (`podPhase`, else Running)
//! and a deletion timestamp where `podDeletionTimestamp` says so. Pod `i`
//! has a sample when `i < len(levels)`: `levels[i][j]` for container `j`,
//! taken at the test's `timestamp` (Go's zero time: no test sets one) with a
//! one-minute window. The calculator runs with a tolerance of 0.1 on both
//! sides, a CPU initialisation period of 2 min and a delay of initial
//! readiness of 10 s (`defaultTesting*`).
//!
//! Go's zero time is [`SimTime::ZERO`] here, the calculator's `time.Now()`
//! is [`NOW`], an hour later; upstream's `hotCPUCreationTime()` is `NOW` and
//! `coolCPUCreationTime()` is `NOW − 3 min`. A pod's [`PodSample`] carries
//! the sum of its counted containers' requests and usages (every container,
//! or the `ContainerResource` metric's one), as the controller builds it
//! (`controller.rs`, `pod_samples`).
//!
//! Upstream's errors are `None` here; the messages are the controller's.
//!
//! # What is not ported, and why
//!
//! Object and external metrics are not modelled (Flotilla's HPA knows
//! `Resource`, `ContainerResource` and `Pods` metrics only), so the tests of
//! `GetObjectMetricReplicas`, `GetObjectPerPodMetricReplicas`,
//! `GetExternalMetricReplicas` and `GetExternalPerPodMetricReplicas` are not
//! ported: `TestReplicaCalcScaleUpCMObject`,
//! `TestReplicaCalcScaleUpCMPerPodObject`,
//! `TestReplicaCalcScaleUpCMObjectIgnoresUnreadyPods`,
//! `TestReplicaCalcScaleUpCMExternalIgnoresUnreadyPods`,
//! `TestReplicaCalcScaleUpPerPodCMExternal`,
//! `TestReplicaCalcScaleDownPerPodCMObject`,
//! `TestReplicaCalcScaleDownCMObject`, `TestReplicaCalcScaleDownCMExternal`,
//! `TestReplicaCalcScaleDownPerPodCMExternal`,
//! `TestReplicaCalcToleranceCMObject`,
//! `TestReplicaCalcTolerancePerPodCMObject`,
//! `TestReplicaCalcToleranceCMExternal`,
//! `TestReplicaCalcTolerancePerPodCMExternal`,
//! `TestReplicaCalcConfigurableToleranceCMObject`,
//! `TestReplicaCalcConfigurableTolerancePerPodCMObject`,
//! `TestReplicaCalcConfigurableToleranceCMExternal`,
//! `TestReplicaCalcConfigurableTolerancePerPodCMExternal`,
//! `TestReplicaCalcScaleUpOverflow` (an object metric of `MaxInt64`),
//! `TestExternalPerPodMetricReplicaOverflow`,
//! `TestExternalPerPodMetricUsageOverflow` and
//! `TestReplicaCalcExternalMetricUsageOverflow`.
//! (`TestReplicaCalcScaleUpCMExternal` and
//! `TestReplicaCalcScaleUpCMExternalNoLabels` are, despite their names,
//! `podMetric` cases of `GetMetricReplicas`, and are ported.)
//!
//! `TestCalculateRequests` is ported against [`controller::calculate_requests`],
//! which works on one pod template, pod-level resources included;
//! `TestCalculatePodRequestsFromContainers_NonExistentContainer` against
//! [`controller::calculate_pod_requests_from_containers`].
//!
//! The newest upstream gathers the resource scale tests (`TestReplicaCalcScaleUp`,
//! `TestReplicaCalcContainerScaleUp`, … `TestReplicaCalcScaleDownIgnoresDeletionPods_StillRunning`)
//! as the cases of one `TestReplicaCalcResourceScale`; the cases here keep
//! the test function names they had before.

use super::*;

/// The calculator's `time.Now()`.
const NOW: SimTime = SimTime(3600 * 1_000_000);
/// Upstream's metric window (`Window: time.Minute`).
const WINDOW: SimDuration = SimDuration::from_secs(60);

/// `defaultTestingCPUInitializationPeriod`, `defaultTestingDelayOfInitialReadinessStatus`.
fn testing_config() -> HpaConfig {
    HpaConfig {
        tolerance: 0.1,
        cpu_initialization_period: SimDuration::from_secs(120),
        initial_readiness_delay: SimDuration::from_secs(10),
    }
}

fn ago(secs: u64) -> SimTime {
    SimTime(NOW.0 - secs * 1_000_000)
}

/// A pod's start time in upstream's fixtures.
#[derive(Clone, Copy)]
enum Start {
    /// Not set: Go's zero time.
    Zero,
    /// `hotCPUCreationTime()`: now, within the CPU initialisation period.
    Hot,
    /// `coolCPUCreationTime()`: 3 min ago, after it.
    Cool,
}

impl Start {
    fn at(self) -> SimTime {
        match self {
            Start::Zero => SimTime::ZERO,
            Start::Hot => NOW,
            Start::Cool => ago(180),
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Phase {
    Running,
    Pending,
    Failed,
}

use Phase::{Failed as F, Pending as P, Running as R};
use Start::{Cool as C, Hot as H};

/// `podReadiness`, `podStartTime`, `podPhase`, `podDeletionTimestamp`: an
/// empty slice is upstream's `nil`.
#[derive(Clone, Copy)]
struct Pods {
    current: u32,
    readiness: &'static [bool],
    start: &'static [Start],
    phase: &'static [Phase],
    deleting: &'static [bool],
}

const fn pods(current: u32) -> Pods {
    Pods { current, readiness: &[], start: &[], phase: &[], deleting: &[] }
}

impl Pods {
    const fn ready(self, readiness: &'static [bool]) -> Self {
        Pods { readiness, ..self }
    }
    const fn start(self, start: &'static [Start]) -> Self {
        Pods { start, ..self }
    }
    const fn phase(self, phase: &'static [Phase]) -> Self {
        Pods { phase, ..self }
    }
    const fn deleting(self, deleting: &'static [bool]) -> Self {
        Pods { deleting, ..self }
    }

    fn count(&self) -> usize {
        (self.current as usize).max(self.phase.len())
    }

    /// Pod `i` as the calculator sees it, with its request and sample.
    fn sample(&self, i: usize, request_milli: u64, value: Option<u64>) -> PodSample {
        let phase = self.phase.get(i).copied().unwrap_or(R);
        PodSample {
            deleting: self.deleting.get(i).copied().unwrap_or(false),
            failed: phase == F,
            pending: phase == P,
            ready: self.readiness.get(i).copied().unwrap_or(true),
            // The Ready condition's LastTransitionTime is not set: Go's zero time.
            ready_transition: Some(SimTime::ZERO),
            start_time: Some(self.start.get(i).copied().unwrap_or(Start::Zero).at()),
            request_milli,
            // Metrics are timestamped at the test's `timestamp`, which no test sets.
            sample: value.map(|v| (v, SimTime::ZERO, WINDOW)),
        }
    }
}

/// `levels`: `makePodMetricLevels(…)` (each container of pod `i` uses the
/// `i`-th value) or one value per container.
#[derive(Clone, Copy)]
enum Levels {
    Same(&'static [u64]),
    Each(&'static [&'static [u64]]),
}

const CONTAINERS_PER_POD: u64 = 2;

impl Levels {
    /// Pod `i`'s usage: every container's (a `Resource` metric) or one's
    /// (a `ContainerResource` metric); none when the pod (or its container)
    /// has no metrics.
    fn usage(&self, i: usize, container: Option<usize>) -> Option<u64> {
        match (*self, container) {
            (Levels::Same(l), None) => l.get(i).map(|v| v * CONTAINERS_PER_POD),
            (Levels::Same(l), Some(_)) => l.get(i).copied(),
            (Levels::Each(l), None) => l.get(i).map(|c| c.iter().sum()),
            (Levels::Each(l), Some(c)) => l.get(i).and_then(|p| p.get(c)).copied(),
        }
    }
}

/// One upstream test of `GetResourceReplicas` (CPU).
struct ResourceCase {
    name: &'static str,
    pods: Pods,
    /// Each container's CPU request of pod `i`, millicores (none beyond).
    requests: &'static [u64],
    levels: Levels,
    /// A `ContainerResource` metric: `container1` (0) or `container2` (1).
    container: Option<usize>,
    target: u32,
    /// `Tolerances{scaleDown, scaleUp}`, when the test sets them.
    tolerances: Option<(f64, f64)>,
    /// (replicas, utilisation, raw value), `None` for an error.
    expected: Option<(u32, u32, u64)>,
}

const fn cpu(name: &'static str, pods: Pods, requests: &'static [u64], levels: Levels, target: u32) -> ResourceCase {
    ResourceCase { name, pods, requests, levels, container: None, target, tolerances: None, expected: None }
}

impl ResourceCase {
    const fn container(self, c: usize) -> Self {
        ResourceCase { container: Some(c), ..self }
    }
    const fn tolerances(self, scale_down: f64, scale_up: f64) -> Self {
        ResourceCase { tolerances: Some((scale_down, scale_up)), ..self }
    }
    const fn expect(self, replicas: u32, utilization: u32, raw: u64) -> Self {
        ResourceCase { expected: Some((replicas, utilization, raw)), ..self }
    }

    fn samples(&self) -> Vec<PodSample> {
        let counted = if self.container.is_some() { 1 } else { CONTAINERS_PER_POD };
        (0..self.pods.count())
            .map(|i| {
                let request = self.requests.get(i).map_or(0, |r| r * counted);
                self.pods.sample(i, request, self.levels.usage(i, self.container))
            })
            .collect()
    }
}

const ONE: &[u64] = &[1000; 7];
use Levels::{Each, Same};

/// `TestReplicaCalcComputedToleranceAlgImplementation`'s requests: 300m
/// per pod (twice the 150m each uses) with some jitter.
const JITTERED: &[u64] = &[400, 200, 310, 290, 302, 298, 301, 299, 300, 300];

const RESOURCE_CASES: &[ResourceCase] = &[
    // The only sample is of "an-older-pod-name", no pod of the target's: test-pod-0 has none.
    cpu("TestReplicaCalcDisjointResourcesMetrics", pods(1), ONE, Same(&[]), 100),
    cpu("TestReplicaCalcScaleUp", pods(3), ONE, Same(&[300, 500, 700]), 30).expect(5, 50, 2 * 500),
    cpu("TestReplicaCalcContainerScaleUp", pods(3), ONE, Each(&[&[1000, 300], &[1000, 500], &[1000, 700]]), 30)
        .container(1)
        .expect(5, 50, 500),
    cpu("TestReplicaCalcScaleUpUnreadyLessScale", pods(3).ready(&[false, true, true]), ONE, Same(&[300, 500, 700]), 30)
        .expect(4, 60, 2 * 600),
    cpu(
        "TestReplicaCalcScaleUpContainerHotCpuLessScale",
        pods(3).start(&[H, C, C]),
        ONE,
        Each(&[&[0, 300], &[0, 500], &[0, 700]]),
        30,
    )
    .container(1)
    .expect(4, 60, 600),
    cpu("TestReplicaCalcScaleUpHotCpuLessScale", pods(3).start(&[H, C, C]), ONE, Same(&[300, 500, 700]), 30).expect(
        4,
        60,
        2 * 600,
    ),
    cpu("TestReplicaCalcScaleUpUnreadyNoScale", pods(3).ready(&[true, false, false]), ONE, Same(&[400, 500, 700]), 30)
        .expect(3, 40, 2 * 400),
    cpu(
        "TestReplicaCalcScaleHotCpuNoScale",
        pods(3).ready(&[true, false, false]).start(&[C, H, H]),
        ONE,
        Same(&[400, 500, 700]),
        30,
    )
    .expect(3, 40, 2 * 400),
    cpu(
        "TestReplicaCalcScaleUpIgnoresFailedPods",
        pods(2).ready(&[true, true, false, false]).phase(&[R, R, F, F]),
        ONE,
        Same(&[500, 700]),
        30,
    )
    .expect(4, 60, 2 * 600),
    cpu(
        "TestReplicaCalcMissingContainerMetricScaleUpIgnoresFailedPods",
        pods(2).ready(&[true, true, false, false]).phase(&[R, R, F, F]),
        ONE,
        Each(&[&[1000, 500], &[9000, 700], &[1000], &[9000]]),
        30,
    )
    .container(1)
    .expect(4, 60, 600),
    cpu(
        "TestReplicaCalcScaleUpContainerIgnoresFailedPods",
        pods(2).ready(&[true, true, false, false]).phase(&[R, R, F, F]),
        ONE,
        Each(&[&[1000, 500], &[9000, 700]]),
        30,
    )
    .container(1)
    .expect(4, 60, 600),
    cpu(
        "TestReplicaCalcScaleUpIgnoresDeletionPods",
        pods(2).ready(&[true, true, false, false]).phase(&[R, R, R, R]).deleting(&[false, false, true, true]),
        ONE,
        Same(&[500, 700]),
        30,
    )
    .expect(4, 60, 2 * 600),
    cpu(
        "TestReplicaCalcScaleUpContainerIgnoresDeletionPods",
        pods(2).ready(&[true, true, false, false]).phase(&[R, R, R, R]).deleting(&[false, false, true, true]),
        ONE,
        Same(&[500, 700]),
        30,
    )
    .container(0)
    .expect(4, 60, 600),
    cpu("TestReplicaCalcScaleDown", pods(5), ONE, Same(&[100, 300, 500, 250, 250]), 50).expect(3, 28, 2 * 280),
    cpu(
        "TestReplicaCalcContainerScaleDown",
        pods(5),
        ONE,
        Each(&[&[1000, 100], &[1000, 300], &[1000, 500], &[1000, 250], &[1000, 250]]),
        50,
    )
    .container(1)
    .expect(3, 28, 280),
    cpu(
        "TestReplicaCalcScaleDownExcludeUnreadyPods",
        pods(5).ready(&[true, true, true, false, false]),
        ONE,
        Same(&[100, 300, 500, 250, 250]),
        50,
    )
    .expect(2, 30, 2 * 300),
    cpu(
        "TestReplicaCalcScaleDownContainerExcludeUnreadyPods",
        pods(5).ready(&[true, true, true, false, false]),
        ONE,
        Each(&[&[1000, 100], &[1000, 300], &[1000, 500], &[1000, 250], &[1000, 250]]),
        50,
    )
    .container(1)
    .expect(2, 30, 300),
    cpu(
        "TestReplicaCalcScaleDownExcludeUnscheduledPods",
        pods(5).ready(&[true, false, false, false, false]).phase(&[R, P, P, P, P]),
        ONE,
        Same(&[100]),
        50,
    )
    .expect(1, 10, 2 * 100),
    cpu(
        "TestReplicaCalcScaleDownContainerExcludeUnscheduledPods",
        pods(5).ready(&[true, false, false, false, false]).phase(&[R, P, P, P, P]),
        ONE,
        Each(&[&[1000, 100], &[1000, 300], &[1000, 500], &[1000, 250], &[1000, 250]]),
        50,
    )
    .container(1)
    .expect(1, 10, 100),
    cpu(
        "TestReplicaCalcScaleDownIgnoreHotCpuPods",
        pods(5).start(&[C, C, C, H, H]),
        ONE,
        Same(&[100, 300, 500, 250, 250]),
        50,
    )
    .expect(2, 30, 2 * 300),
    cpu(
        "TestReplicaCalcScaleDownContainerIgnoreHotCpuPods",
        pods(5).start(&[C, C, C, H, H]),
        ONE,
        Each(&[&[1000, 100], &[1000, 300], &[1000, 500], &[1000, 1000], &[1000, 1000]]),
        50,
    )
    .container(1)
    .expect(2, 30, 300),
    cpu(
        "TestReplicaCalcScaleDownIgnoresFailedPods",
        pods(5).ready(&[true, true, true, true, true, false, false]).phase(&[R, R, R, R, R, F, F]),
        ONE,
        Same(&[100, 300, 500, 250, 250]),
        50,
    )
    .expect(3, 28, 2 * 280),
    cpu(
        "TestReplicaCalcScaleDownContainerIgnoresFailedPods",
        pods(5).ready(&[true, true, true, true, true, false, false]).phase(&[R, R, R, R, R, F, F]),
        ONE,
        Each(&[&[1000, 100], &[1000, 300], &[1000, 500], &[1000, 250], &[1000, 250]]),
        50,
    )
    .container(1)
    .expect(3, 28, 280),
    cpu(
        "TestReplicaCalcScaleDownIgnoresDeletionPods",
        pods(5)
            .ready(&[true, true, true, true, true, false, false])
            .phase(&[R, R, R, R, R, R, R])
            .deleting(&[false, false, false, false, false, true, true]),
        ONE,
        Same(&[100, 300, 500, 250, 250]),
        50,
    )
    .expect(3, 28, 2 * 280),
    cpu(
        "TestReplicaCalcScaleDownIgnoresDeletionPods_StillRunning",
        pods(5)
            .ready(&[true, true, true, true, true, false, false])
            .phase(&[R, R, R, R, R, R, R])
            .deleting(&[false, false, false, false, false, true, true]),
        ONE,
        Each(&[&[1000, 100], &[1000, 300], &[1000, 500], &[1000, 250], &[1000, 250]]),
        50,
    )
    .container(1)
    .expect(3, 28, 280),
    cpu("TestReplicaCalcTolerance", pods(3), &[900, 1000, 1100], Same(&[1010, 1030, 1020]), 100).expect(
        3,
        102,
        2 * 1020,
    ),
    // TestReplicaCalcConfigurableTolerance, one case per subtest.
    cpu(
        "TestReplicaCalcConfigurableTolerance/Outside of a 0% tolerance",
        pods(3),
        &[900, 1000, 1100],
        Same(&[909, 1010, 1111]),
        100,
    )
    .tolerances(0.0, 0.0)
    .expect(4, 101, 2 * 1010),
    cpu(
        "TestReplicaCalcConfigurableTolerance/Within a 200% scale-up tolerance",
        pods(3),
        &[900, 1000, 1100],
        Same(&[1890, 1910, 1900]),
        100,
    )
    .tolerances(0.1, 2.0)
    .expect(3, 190, 2 * 1900),
    cpu(
        "TestReplicaCalcConfigurableTolerance/Outside 8% scale-up tolerance (and superfuous scale-down tolerance)",
        pods(3),
        &[900, 1000, 1100],
        Same(&[1100, 1080, 1090]),
        100,
    )
    .tolerances(2.0, 0.08)
    .expect(4, 109, 2 * 1090),
    cpu(
        "TestReplicaCalcConfigurableTolerance/Within a 36% scale-down tolerance",
        pods(3),
        &[900, 1000, 1100],
        Same(&[660, 640, 650]),
        100,
    )
    .tolerances(0.36, 0.1)
    .expect(3, 65, 2 * 650),
    cpu(
        "TestReplicaCalcConfigurableTolerance/Outside a 34% scale-down tolerance",
        pods(3),
        &[900, 1000, 1100],
        Same(&[660, 640, 650]),
        100,
    )
    .tolerances(0.34, 0.1)
    .expect(2, 65, 2 * 650),
    // Upstream's 6 samples for 4 pods: the two of pods that do not exist
    // (test-pod-4, test-pod-5) have no pod to be a `PodSample` of, and are
    // left out; upstream ignores them too (they have no request).
    cpu("TestReplicaCalcSuperfluousMetrics", pods(4), ONE, Same(&[4000, 9500, 3000, 7000]), 100).expect(
        24,
        587,
        2 * 5875,
    ),
    cpu("TestReplicaCalcMissingMetrics", pods(4), ONE, Same(&[400, 95]), 100).expect(3, 24, 495),
    cpu("TestReplicaCalcEmptyMetrics", pods(4), &[1000, 1000, 1000], Same(&[]), 100),
    // Upstream: "missing request for"; the controller says so (`missing_request`).
    cpu("TestReplicaCalcEmptyCPURequest", pods(1), &[], Same(&[200]), 100),
    cpu("TestReplicaCalcMissingMetricsNoChangeEq", pods(2), ONE, Same(&[1000]), 100).expect(2, 100, 2 * 1000),
    cpu("TestReplicaCalcMissingMetricsNoChangeGt", pods(2), ONE, Same(&[1900]), 100).expect(2, 190, 2 * 1900),
    cpu("TestReplicaCalcMissingMetricsNoChangeLt", pods(2), ONE, Same(&[600]), 100).expect(2, 60, 2 * 600),
    cpu("TestReplicaCalcMissingMetricsUnreadyChange", pods(3).ready(&[false, true, true]), ONE, Same(&[100, 450]), 50)
        .expect(3, 45, 2 * 450),
    cpu("TestReplicaCalcMissingMetricsHotCpuNoChange", pods(3).start(&[H, C, C]), ONE, Same(&[100, 450]), 50).expect(
        3,
        45,
        2 * 450,
    ),
    cpu(
        "TestReplicaCalcMissingMetricsUnreadyScaleUp",
        pods(3).ready(&[false, true, true]),
        ONE,
        Same(&[100, 2000]),
        50,
    )
    .expect(4, 200, 2 * 2000),
    cpu(
        "TestReplicaCalcMissingMetricsHotCpuScaleUp",
        pods(3).ready(&[false, true, true]).start(&[H, C, C]),
        ONE,
        Same(&[100, 2000]),
        50,
    )
    .expect(4, 200, 2 * 2000),
    cpu(
        "TestReplicaCalcMissingMetricsUnreadyScaleDown",
        pods(4).ready(&[false, true, true, true]),
        ONE,
        Same(&[100, 100, 100]),
        50,
    )
    .expect(3, 10, 2 * 100),
    cpu(
        "TestReplicaCalcMissingMetricsScaleDownTargetOver100",
        pods(4).ready(&[false, true, true, true]),
        &[1000, 1000, 2000, 2000],
        Same(&[200, 100, 100]),
        300,
    )
    .expect(2, 6, 2 * 100),
    cpu("TestReplicaCalcDuringRollingUpdateWithMaxSurge", pods(2).phase(&[R, R, R]), ONE, Same(&[100, 100]), 50)
        .expect(2, 10, 2 * 100),
    // TestReplicaCalcComputedToleranceAlgImplementation: 10 pods use 150m of
    // 300m each (50 %). A target of ⌊(1/(2 × (1 − 0.1)) + 0.01) × 100⌋ = 56 %
    // leaves the band (50/56 < 0.9) and scales to ⌈1500/(3000 × 0.5656) × 10⌉ = 9;
    // one of ⌊(1/(2 × 0.9) + 0.004) × 100⌋ = 55 % stays within it (50/55 ≥ 0.9).
    cpu("TestReplicaCalcComputedToleranceAlgImplementation", pods(10), JITTERED, Same(&[150; 10]), 56).expect(
        9,
        50,
        2 * 150,
    ),
    cpu("TestReplicaCalcComputedToleranceAlgImplementation/unscaling", pods(10), JITTERED, Same(&[150; 10]), 55)
        .expect(10, 50, 2 * 150),
];

#[test]
fn test_replica_calc_resource() {
    let cfg = testing_config();
    let mut failures = Vec::new();
    for case in RESOURCE_CASES {
        let tolerances = case
            .tolerances
            .map_or(Tolerances::flag(cfg.tolerance), |(scale_down, scale_up)| Tolerances { scale_down, scale_up });
        let got = get_resource_replicas(
            case.samples(),
            case.pods.current,
            case.target,
            MetricResource::Cpu,
            tolerances,
            NOW,
            &cfg,
        )
        .map(|r| (r.replicas, r.utilization, r.raw_milli));
        if got != case.expected {
            failures.push(format!("{}: got {got:?}, upstream expects {:?}", case.name, case.expected));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// One upstream test of `GetMetricReplicas` (a `Pods` metric, `podMetric`).
struct PodsCase {
    name: &'static str,
    pods: Pods,
    /// Pod `i`'s metric, thousandths (none beyond).
    levels: &'static [u64],
    target: u64,
    tolerances: Option<(f64, f64)>,
    /// (replicas, usage), `None` for an error.
    expected: Option<(u32, u64)>,
}

const fn qps(name: &'static str, pods: Pods, levels: &'static [u64], target: u64, expected: (u32, u64)) -> PodsCase {
    PodsCase { name, pods, levels, target, tolerances: None, expected: Some(expected) }
}

const PODS_CASES: &[PodsCase] = &[
    qps("TestReplicaCalcScaleUpCM", pods(3), &[20000, 10000, 30000], 15000, (4, 20000)),
    // A Pods metric takes no account of readiness nor of start times: every
    // running pod with a sample counts.
    qps(
        "TestReplicaCalcScaleUpCMUnreadyHotCpuNoLessScale",
        pods(3).ready(&[true, true, false]).start(&[C, C, H]),
        &[50000, 10000, 30000],
        15000,
        (6, 30000),
    ),
    qps(
        "TestReplicaCalcScaleUpCMUnreadyHotCpuScaleWouldScaleDown",
        pods(3).ready(&[false, true, false]).start(&[H, C, H]),
        &[50000, 15000, 30000],
        15000,
        (7, 31666),
    ),
    // These two carry an external metric's selector, but are `podMetric`
    // cases: upstream runs them through GetMetricReplicas.
    qps("TestReplicaCalcScaleUpCMExternal", pods(1), &[8600], 4400, (2, 8600)),
    qps("TestReplicaCalcScaleUpCMExternalNoLabels", pods(1), &[8600], 4400, (2, 8600)),
    qps("TestReplicaCalcScaleDownCM", pods(5), &[12000; 5], 20000, (3, 12000)),
    qps("TestReplicaCalcToleranceCM", pods(3), &[20000, 21000, 21000], 20000, (3, 20666)),
    PodsCase {
        tolerances: Some((0.1, 0.01)),
        ..qps("TestReplicaCalcConfigurableToleranceCM", pods(3), &[20000, 21000, 21000], 20000, (4, 20666))
    },
    qps("TestPlainMetricReplicaCalcMissingMetricsNoChangeEq", pods(5), &[20000, 19000, 21000], 20000, (5, 20000)),
    qps(
        "TestReplicaCalcDuringRollingUpdateWithMaxSurgeCM",
        pods(2).phase(&[R, R, R]),
        &[10000, 10000],
        17000,
        (2, 10000),
    ),
];

#[test]
fn test_replica_calc_pods_metric() {
    let cfg = testing_config();
    let mut failures = Vec::new();
    for case in PODS_CASES {
        let tolerances = case
            .tolerances
            .map_or(Tolerances::flag(cfg.tolerance), |(scale_down, scale_up)| Tolerances { scale_down, scale_up });
        let samples = (0..case.pods.count()).map(|i| case.pods.sample(i, 0, case.levels.get(i).copied()));
        let got = get_metric_replicas(samples, case.pods.current, case.target, tolerances, NOW, &cfg)
            .map(|r| (r.replicas, r.raw_milli));
        if got != case.expected {
            failures.push(format!("{}: got {got:?}, upstream expects {:?}", case.name, case.expected));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `TestGroupPods`: each pod alone (upstream's pods are grouped one by one).
#[test]
fn test_group_pods() {
    let cfg = testing_config();
    // A pod as upstream's TestGroupPods writes it: phase Succeeded (neither
    // failed nor pending), no start time, no Ready condition, no metric.
    let bare = PodSample {
        deleting: false,
        failed: false,
        pending: false,
        ready: false,
        ready_transition: None,
        start_time: None,
        request_milli: 0,
        sample: None,
    };
    let metric = |at: SimTime, window: u64| Some((1, at, SimDuration::from_secs(window)));
    // `Metric{Value: 1}`: Go's zero timestamp and window.
    let value_only = metric(SimTime::ZERO, 0);
    let condition = |ready: bool, transition: SimTime| (ready, Some(transition));
    let with = |start: Option<SimTime>, cond: Option<(bool, Option<SimTime>)>, sample| PodSample {
        start_time: start,
        ready: cond.is_some_and(|c| c.0),
        ready_transition: cond.and_then(|c| c.1),
        sample,
        ..bare
    };
    let (ready, unready, missing, ignored) = (Group::Ready, Group::Unready, Group::Missing, Group::Ignored);
    let cases: &[(&str, PodSample, bool, Group)] = &[
        ("count in a ready pod - memory", with(None, None, metric(NOW, 60)), false, ready),
        ("unready a pod without ready condition - CPU", with(Some(NOW), None, value_only), true, unready),
        (
            "count in a ready pod with fresh metrics during initialization period - CPU",
            with(Some(ago(60)), Some(condition(true, ago(30))), metric(NOW, 30)),
            true,
            ready,
        ),
        (
            "unready a ready pod without fresh metrics during initialization period - CPU",
            with(Some(ago(60)), Some(condition(true, ago(30))), metric(NOW, 60)),
            true,
            unready,
        ),
        (
            "unready an unready pod during initialization period - CPU",
            with(Some(ago(600)), Some(condition(false, ago(594))), value_only),
            true,
            unready,
        ),
        (
            "count in a ready pod without fresh metrics after initialization period - CPU",
            with(Some(ago(180)), Some(condition(true, ago(180))), metric(ago(120), 60)),
            true,
            ready,
        ),
        (
            "count in an unready pod that was ready after initialization period - CPU",
            with(Some(ago(600)), Some(condition(false, ago(540))), value_only),
            true,
            ready,
        ),
        (
            // Upstream expects it counted in (ready), its name notwithstanding: it
            // became unready 10 s after starting, not before (the delay is exclusive).
            "unready pod that has never been ready after initialization period - CPU",
            with(Some(ago(600)), Some(condition(false, ago(590))), value_only),
            true,
            ready,
        ),
        ("a missing pod", with(Some(ago(180)), None, None), true, missing),
        ("several pods/lucretius", with(Some(NOW), None, value_only), true, unready),
        ("several pods/niccolo", with(Some(ago(180)), Some(condition(true, ago(180))), value_only), true, ready),
        ("several pods/epicurus", with(Some(ago(180)), None, None), true, missing),
        ("pending pods are unreadied", PodSample { pending: true, ..bare }, true, unready),
        (
            "ignore pods with deletion timestamps",
            PodSample { deleting: true, pending: true, sample: value_only, ..bare },
            true,
            ignored,
        ),
        ("ignore pods in a failed state", PodSample { failed: true, sample: value_only, ..bare }, true, ignored),
    ];
    // "void": no pods, no groups; nothing to call `group` with.
    let mut failures = Vec::new();
    for (name, pod, cpu, expected) in cases {
        let got = group_pods(pod, NOW, &cfg, *cpu);
        if got != *expected {
            failures.push(format!("{name}: got {got:?}, upstream expects {expected:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A container of `name` requesting `cpu` millicores, if any; a sidecar
/// when `sidecar` (an init container with `restartPolicy: Always`).
fn request_container(name: &str, cpu: Option<u64>, sidecar: bool) -> crate::model::kube::ContainerSpec {
    crate::model::kube::ContainerSpec {
        name: name.into(),
        image: crate::model::ImageId(0),
        image_pull_policy: crate::model::kube::ImagePullPolicy::IfNotPresent,
        cpu_request: cpu.map(crate::model::Millicores),
        memory_request: None,
        cpu_limit: None,
        memory_limit: None,
        readiness_delay: SimDuration::ZERO,
        exits_after: None,
        sidecar,
        extended: [0; crate::model::kube::MAX_EXTENDED_RESOURCES],
    }
}

/// `TestCalculateRequests`, every case, names kept (the `PodLevelResources`
/// gate is on, as by default since v1.34; the two cases that turn it off
/// set no pod-level requests, so the gate changes nothing for them), and
/// `TestCalculatePodRequestsFromContainers_NonExistentContainer`.
#[test]
fn test_calculate_requests() {
    use crate::model::kube::{ContainerSpec, PodResources, PodTemplate};
    use controller::{RequestError, calculate_pod_requests_from_containers, calculate_requests};
    let pod = |containers: Vec<ContainerSpec>, init_containers: Vec<ContainerSpec>, own_cpu: Option<u64>| PodTemplate {
        labels: Default::default(),
        init_containers,
        containers,
        node_selector: Default::default(),
        node_name: None,
        affinity: Default::default(),
        tolerations: Vec::new(),
        topology_spread_constraints: Vec::new(),
        restart_policy: Default::default(),
        termination_grace: SimDuration::from_secs(30),
        resources: PodResources { cpu_request: own_cpu.map(crate::model::Millicores), ..PodResources::default() },
    };
    let two =
        || vec![request_container("container1", Some(100), false), request_container("container2", Some(50), false)];
    let one_missing =
        || vec![request_container("container1", None, false), request_container("container2", Some(50), false)];
    let restartable = pod(
        vec![request_container("container1", Some(100), false)],
        vec![
            request_container("init-container1", Some(20), false),
            request_container("restartable-container1", Some(50), true),
        ],
        None,
    );
    let cpu = MetricResource::Cpu;
    type Want = Result<u64, RequestError<'static>>;
    let cases: Vec<(&str, PodTemplate, Option<&str>, Want)> = vec![
        ("Sum container requests if pod-level feature is disabled", pod(two(), vec![], None), None, Ok(150)),
        (
            "Pod-level resources are enabled, but not set: fallback to sum container requests",
            pod(two(), vec![], None),
            None,
            Ok(150),
        ),
        (
            "Pod-level resources override container requests when feature enabled and pod resources specified",
            pod(two(), vec![], Some(800)),
            None,
            Ok(800),
        ),
        (
            "Fail if at least one of the containers is missing requests and pod-level feature/requests are not set",
            pod(one_missing(), vec![], None),
            None,
            Err(RequestError::MissingRequest("container1")),
        ),
        (
            "Pod-level resources override missing container requests when feature enabled and pod resources specified",
            pod(one_missing(), vec![], Some(800)),
            None,
            Ok(800),
        ),
        (
            "Container: if a container name is specified, calculate requests only for that container",
            pod(two(), vec![], None),
            Some("container1"),
            Ok(100),
        ),
        (
            "Container: if a container name is specified, calculate requests only for that container and ignore pod-level requests",
            pod(two(), vec![], Some(800)),
            Some("container1"),
            Ok(100),
        ),
        ("pod with restartable init containers", restartable, None, Ok(150)),
    ];
    // "void": no pods, no requests.
    let none: [&PodTemplate; 0] = [];
    assert!(none.iter().map(|p| calculate_requests(p, None, cpu)).next().is_none(), "void");
    for (name, template, container, want) in &cases {
        assert_eq!(calculate_requests(template, *container, cpu), *want, "{name}");
    }
    let one = pod(vec![request_container("container1", Some(100), false)], Vec::new(), None);
    assert_eq!(
        calculate_pod_requests_from_containers(&one, Some("non-existent-container"), cpu),
        Err(RequestError::ContainerNotFound),
        "TestCalculatePodRequestsFromContainers_NonExistentContainer"
    );
    // calculatePodLevelRequests: a pod with requests of its own but none of
    // this resource, from neither itself nor a container.
    let memory_only = PodTemplate {
        resources: PodResources { memory_request: Some(crate::model::Bytes(1 << 30)), ..PodResources::default() },
        ..pod(vec![request_container("container1", None, false)], Vec::new(), None)
    };
    assert_eq!(calculate_requests(&memory_only, None, cpu), Err(RequestError::MissingPodLevelRequest));
}
