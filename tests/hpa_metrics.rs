//! HorizontalPodAutoscalers on several kinds of metrics: requests per second
//! (a `Pods` metric), CPU of one container (`ContainerResource`), memory, and
//! several metrics at once, where the largest proposal wins.

use flotilla::engine::SimTime;
use flotilla::scenario::Scenario;
use flotilla::world::{EventKind, World};

/// Two one-core pods of 50 ms requests; the load steps from 10/s to 80/s at
/// 2:00 for 8 minutes. 80/s is 4 cores of work.
fn spike(template: &str, metrics: &str) -> String {
    format!(
        r#"Scenario(name: "m", seed: 5, duration: "12m",
        hosts: [HostGroup(name: "n", count: 6, cpu: "8", memory: "32Gi", cached_images: ["a:1"])],
        images: [Image(name: "a:1", layers: ["1MB"])],
        apps: [App(name: "a", image: "a:1", cpu: "1", memory: "256Mi")],
        services: [Service(name: "s", app: "a", cost: Exponential(mean: "50ms"),
                           load: Spike(base: 10, peak: 80, start: "2m", ramp: "0s", hold: "8m"))],
        worlds: [World(name: "K", platform: Kubernetes(), timeline: [
            At("0s", Apply(Deployment(name: "a", replicas: 2, template: {template}))),
            At("0s", Apply(HorizontalPodAutoscaler(name: "a", scaleTargetRef: "a", minReplicas: 2, maxReplicas: 30,
                                                   {metrics}))),
        ])])"#
    )
}

const APP: &str = r#"PodTemplate(containers: [Container(name: "app", image: "a:1",
    resources: Resources(requests: ResourceList(cpu: "1", memory: "256Mi")))])"#;

/// The app and a proxy sidecar that names no CPU request.
const WITH_SIDECAR: &str = r#"PodTemplate(
    initContainers: [Container(name: "proxy", image: "a:1", restartPolicy: Always,
        resources: Resources(requests: ResourceList(memory: "64Mi")))],
    containers: [Container(name: "app", image: "a:1",
        resources: Resources(requests: ResourceList(cpu: "1", memory: "256Mi")))])"#;

/// The HPA's rescales as (time, from, to).
type Scalings = Vec<(f64, u32, u32)>;
/// Warnings as (reason, message).
type Warnings = Vec<(String, String)>;

/// Runs to `seconds`, listing the HPA's rescales and the warnings.
fn run(text: &str, seconds: u64) -> (World, Scalings, Warnings) {
    let s = Scenario::parse(text, "t.ron").unwrap_or_else(|e| panic!("{e}"));
    let mut w = World::new(s.setup.clone(), s.worlds[0].clone());
    let (mut scalings, mut warnings) = (Vec::new(), Vec::new());
    while let Some(t) = w.next_event_time() {
        if t > SimTime(seconds * 1_000_000) {
            break;
        }
        w.step();
        for e in w.drain_events() {
            match e.kind {
                EventKind::Scaled { from, to, .. } => scalings.push((e.time.as_secs_f64(), from, to)),
                EventKind::Warning { reason, message, .. } => warnings.push((reason, message)),
                _ => {}
            }
        }
    }
    (w, scalings, warnings)
}

fn peak(scalings: &[(f64, u32, u32)]) -> u32 {
    scalings.iter().map(|s| s.2).max().unwrap_or(0)
}

#[test]
fn a_pods_metric_of_requests_per_second_scales_to_load_over_target() {
    let text = spike(APP, r#"metrics: [Pods(metric: "http_requests_per_second", target: AverageValue("5"))]"#);
    let (w, scalings, warnings) = run(&text, 540);
    assert!(warnings.is_empty(), "{warnings:?}");
    // 80 requests a second at 5 per pod: 16 pods.
    assert_eq!(peak(&scalings), 16, "{scalings:?}");
    let hpa = &w.kube().unwrap().hpas()[0];
    let current = hpa.current_metrics[0].expect("a current value");
    assert!((4500..=5500).contains(&current.average_milli), "{current:?}");
    assert_eq!(current.utilization, None);
    // Against a CPU target of 50 %, the same load needs 8 pods: the two HPAs answer different questions.
    let (_, cpu, _) = run(&spike(APP, "targetCPUUtilizationPercentage: 50"), 540);
    assert_eq!(peak(&cpu), 8, "{cpu:?}");
}

#[test]
fn with_several_metrics_the_largest_proposal_wins() {
    let metrics = r#"metrics: [
        Resource(name: "cpu", target: Utilization(50)),
        Pods(metric: "http_requests_per_second", target: AverageValue("5")),
    ]"#;
    let (w, scalings, _) = run(&spike(APP, metrics), 540);
    assert_eq!(peak(&scalings), 16, "{scalings:?}");
    let hpa = &w.kube().unwrap().hpas()[0];
    assert_eq!(hpa.scaled_by, 1, "the Pods metric asked for more");
    assert!(hpa.current_metrics.iter().all(Option::is_some), "{:?}", hpa.current_metrics);
}

#[test]
fn a_container_resource_metric_reads_one_container_when_another_names_no_request() {
    // The Resource metric needs every container's CPU request: the sidecar names none.
    let (_, scalings, warnings) =
        run(&spike(WITH_SIDECAR, r#"metrics: [Resource(name: "cpu", target: Utilization(50))]"#), 540);
    assert!(scalings.is_empty(), "{scalings:?}");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].0, "FailedGetResourceMetric");
    assert!(warnings[0].1.contains("missing request for cpu in container proxy of Pod"), "{warnings:?}");
    // ContainerResource reads the app container alone, which does the serving.
    let metrics = r#"metrics: [ContainerResource(name: "cpu", container: "app", target: Utilization(50))]"#;
    let (_, scalings, warnings) = run(&spike(WITH_SIDECAR, metrics), 540);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(peak(&scalings), 8, "{scalings:?}");
}

/// The app and the proxy sidecar of [`WITH_SIDECAR`] under a pod-level
/// budget of 2 CPU and 512Mi (`spec.resources`) that the two share.
const POD_LEVEL: &str = r#"PodTemplate(
    initContainers: [Container(name: "proxy", image: "a:1", restartPolicy: Always,
        resources: Resources(requests: ResourceList(memory: "64Mi")))],
    containers: [Container(name: "app", image: "a:1",
        resources: Resources(requests: ResourceList(cpu: "1", memory: "256Mi")))],
    resources: Resources(requests: ResourceList(cpu: "2", memory: "512Mi")))"#;

#[test]
fn pod_level_requests_are_what_a_resource_metric_divides_by() {
    // calculateRequests: with pod-level requests the sidecar's missing CPU
    // request no longer matters, and utilization is use over the pod's 2 CPU:
    // the same 4 cores of work at 50 % need 4 pods, not the 8 of 1-CPU pods.
    let (_, scalings, warnings) =
        run(&spike(POD_LEVEL, r#"metrics: [Resource(name: "cpu", target: Utilization(50))]"#), 540);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(peak(&scalings), 4, "{scalings:?}");
    // A ContainerResource metric ignores the pod-level requests and reads its container's.
    let metrics = r#"metrics: [ContainerResource(name: "cpu", container: "app", target: Utilization(50))]"#;
    let (_, scalings, _) = run(&spike(POD_LEVEL, metrics), 540);
    assert_eq!(peak(&scalings), 8, "{scalings:?}");
    // A pod that sets requests of its own but none of CPU, nor has a container
    // naming one: the HPA cannot compute the metric.
    let memory_only = POD_LEVEL
        .replace(r#"ResourceList(cpu: "1", memory: "256Mi")"#, r#"ResourceList(memory: "256Mi")"#)
        .replace(r#"ResourceList(cpu: "2", memory: "512Mi")"#, r#"ResourceList(memory: "512Mi")"#);
    let (_, scalings, warnings) =
        run(&spike(&memory_only, r#"metrics: [Resource(name: "cpu", target: Utilization(50))]"#), 540);
    assert!(scalings.is_empty(), "{scalings:?}");
    assert_eq!(warnings[0].0, "FailedGetResourceMetric");
    assert!(warnings[0].1.contains("missing pod-level request for cpu in Pod a-"), "{warnings:?}");
}

#[test]
fn an_invalid_metric_lets_the_others_scale_up_but_not_down() {
    let metrics = r#"metrics: [
        Resource(name: "cpu", target: Utilization(50)),
        ContainerResource(name: "cpu", container: "app", target: Utilization(50)),
    ]"#;
    let (w, scalings, warnings) = run(&spike(WITH_SIDECAR, metrics), 1200);
    // Up with the container metric, to 8 pods.
    assert_eq!(peak(&scalings), 8, "{scalings:?}");
    // The load falls at 10:00; a scale-down would need the metric that cannot be read.
    assert!(scalings.iter().all(|s| s.2 > s.1), "{scalings:?}");
    // Each time the condition turns False its warning is told again.
    assert!(!warnings.is_empty() && warnings.iter().all(|w| w.0 == "FailedGetResourceMetric"), "{warnings:?}");
    let hpa = &w.kube().unwrap().hpas()[0];
    assert_eq!(hpa.scaling_inactive.as_ref().map(|s| s.0), Some("FailedGetResourceMetric"));
}

#[test]
fn a_container_that_is_not_in_the_pod_has_no_metrics() {
    let metrics = r#"metrics: [ContainerResource(name: "cpu", container: "nginx", target: Utilization(50))]"#;
    let (_, scalings, warnings) = run(&spike(APP, metrics), 300);
    assert!(scalings.is_empty(), "{scalings:?}");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].0, "FailedGetContainerResourceMetric");
    assert!(warnings[0].1.contains("container nginx not present in metrics for pod default/"), "{warnings:?}");
}

#[test]
fn memory_is_measured_as_what_the_pods_request() {
    // A pod's working set is its memory request: 100 % of it, against a target of 80 %.
    let (w, scalings, _) = run(&spike(APP, r#"metrics: [Resource(name: "memory", target: Utilization(80))]"#), 300);
    assert!(scalings.first().is_some_and(|s| s.0 < 60.0 && s.2 == 3), "{scalings:?}");
    let current = w.kube().unwrap().hpas()[0].current_metrics[0].unwrap();
    assert_eq!((current.utilization, current.average_milli), (Some(100), 256 * 1024 * 1024 * 1000));
    // Against an average value of 512Mi per pod they use half: down to the minimum, never up.
    let (_, scalings, _) =
        run(&spike(APP, r#"metrics: [Resource(name: "memory", target: AverageValue("512Mi"))]"#), 540);
    assert!(scalings.is_empty(), "{scalings:?}");
}

#[test]
fn hpa_metrics_are_checked_with_their_paths() {
    let check = |metrics: &str| Scenario::parse(&spike(APP, metrics), "t.ron").map(|_| ()).unwrap_err().to_string();
    let err = check(r#"metrics: [Pods(metric: "packets-per-second", target: AverageValue("1k"))]"#);
    assert!(err.contains(r#"metrics[0].metric: "packets-per-second": Flotilla's custom metrics API serves "http_requests_per_second" for pods"#), "{err}");
    let err = check(r#"metrics: [Resource(name: "nvidia.com/gpu", target: Utilization(50))]"#);
    assert!(err.contains(r#"metrics[0].name: "nvidia.com/gpu": metrics-server measures "cpu" and "memory""#), "{err}");
    let err = check(r#"metrics: [Resource(name: "cpu", target: AverageValue("0"))]"#);
    assert!(err.contains("metrics[0].target: Invalid value: must be positive"), "{err}");
    let err = check(r#"metrics: [Resource(name: "cpu", target: AverageValue("lots"))]"#);
    assert!(err.contains(r#"metrics[0].target: "lots": quantities must match"#), "{err}");
    let err = check(r#"metrics: [Resource(name: "cpu", target: Utilization(95))]"#);
    assert!(err.contains("metrics[0].target: between 1 and 90"), "{err}");
    let err = check(r#"targetCPUUtilizationPercentage: 50, metrics: [Resource(name: "cpu", target: Utilization(50))]"#);
    assert!(err.contains("metrics: set either targetCPUUtilizationPercentage"), "{err}");
    let err = check("metrics: []");
    assert!(err.contains("metrics: Required value: must specify at least one metric"), "{err}");
    let err = check(r#"metrics: [ContainerResource(name: "cpu", container: "", target: Utilization(50))]"#);
    assert!(err.contains("metrics[0].container: Required value: must specify a container"), "{err}");
}
