//! Fluid traffic agrees with per-request traffic: the same scenarios run in
//! both modes serve and drop about as many requests, scale to about as many
//! replicas at about the same times, and see about the same p95 latency,
//! below capacity, at capacity, overloaded with an HPA, and through a node
//! failure. The tolerances allow for what the fluid mode leaves out: the
//! randomness of single requests (which makes an HPA at its target sometimes
//! scale once more) and the early transient of each tick.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use flotilla::engine::SimDuration;
use flotilla::model::traffic::TrafficMode;
use flotilla::run::{self, RunOptions, WorldRun};
use flotilla::scenario::Scenario;

/// One Kubernetes world of four 8-core nodes serving `web` (1 core, Exp(100 ms) per request: μ = 10/s).
fn scenario(duration: &str, load: &str, timeline: &str, extra: &str) -> String {
    format!(
        r#"Scenario(name: "agreement", seed: 5, duration: "{duration}",
        hosts: [HostGroup(name: "node", count: 4, cpu: "8", memory: "32Gi", cached_images: ["app:1"])],
        images: [Image(name: "app:1", layers: ["20MB"])],
        apps: [App(name: "web", image: "app:1", cpu: "1", memory: "1Gi")],
        services: [Service(name: "web", app: "web", load: {load}, cost: Exponential(mean: "100ms"),
                           timeout: "5s", slo_p95: "1s", warmup: "1m"{extra})],
        worlds: [World(name: "K", platform: Kubernetes(), timeline: [{timeline}])],
        expect: ["K.requests.served > 0"])"#
    )
}

fn run_in(text: &str, mode: TrafficMode) -> WorldRun {
    let mut s = Scenario::parse(text, "agreement.ron").unwrap_or_else(|e| panic!("{e}"));
    Arc::make_mut(&mut s.setup).traffic_mode = mode;
    run::run_world(&s, 0, RunOptions { record_series: true, ..RunOptions::default() }, &AtomicU64::new(0))
}

fn metric(run: &WorldRun, name: &str) -> f64 {
    run.metrics[name].unwrap_or_else(|| panic!("{name} has no value"))
}

/// Serving replicas at the end of each minute of the run: the last sample at or before it.
fn replicas_by_minute(run: &WorldRun) -> Vec<usize> {
    let minutes = (run.world.now().as_secs_f64() / 60.0) as usize;
    (1..=minutes)
        .map(|m| {
            let at = m as f64 * 60.0;
            run.series.load.iter().take_while(|l| l.time.as_secs_f64() <= at).last().map_or(0, |l| l.replicas)
        })
        .collect()
}

struct Agreement {
    served: f64,
    dropped_share: f64,
    p95: f64,
    replicas: usize,
}

/// Runs `text` both ways and checks served within `served` (relative),
/// the dropped share of arrivals within `dropped_share` (absolute), p95
/// within `p95` (relative), and replicas each minute within `replicas` of
/// each other for all but one minute in ten.
fn assert_agree(what: &str, text: &str, tolerance: Agreement) {
    let per_request = run_in(text, TrafficMode::PerRequest);
    let fluid = run_in(text, TrafficMode::Fluid { tick: SimDuration::from_secs(1) });
    let share = |r: &WorldRun| {
        let (served, dropped) = (metric(r, "requests.served"), metric(r, "requests.dropped"));
        dropped / (served + dropped).max(1.0)
    };
    let report = format!(
        "{what}: served {} / {}, dropped {} / {}, p95 {:.3} / {:.3}, replicas {:?} / {:?}",
        metric(&per_request, "requests.served"),
        metric(&fluid, "requests.served"),
        metric(&per_request, "requests.dropped"),
        metric(&fluid, "requests.dropped"),
        metric(&per_request, "latency.p95"),
        metric(&fluid, "latency.p95"),
        replicas_by_minute(&per_request),
        replicas_by_minute(&fluid),
    );
    let close = |a: f64, b: f64, rel: f64| (a - b).abs() <= rel * a.abs().max(b.abs());
    assert!(
        close(metric(&per_request, "requests.served"), metric(&fluid, "requests.served"), tolerance.served),
        "served differ: {report}"
    );
    assert!((share(&per_request) - share(&fluid)).abs() <= tolerance.dropped_share, "dropped differ: {report}");
    assert!(
        close(metric(&per_request, "latency.p95"), metric(&fluid, "latency.p95"), tolerance.p95),
        "p95 differs: {report}"
    );
    let (a, b) = (replicas_by_minute(&per_request), replicas_by_minute(&fluid));
    assert_eq!(a.len(), b.len(), "{report}");
    let apart = a.iter().zip(&b).filter(|(x, y)| x.abs_diff(**y) > tolerance.replicas).count();
    assert!(apart * 10 <= a.len(), "replicas differ in {apart} of {} minutes: {report}", a.len());
}

const FOUR_PODS: &str = r#"At("0s", Launch(app: "web", count: 4))"#;

#[test]
fn below_capacity_both_modes_serve_everything_as_fast() {
    // 20 requests a second on 4 pods of 10/s each: ρ = 0.5.
    let text = scenario("30m", "Constant(20)", FOUR_PODS, "");
    assert_agree("below capacity", &text, Agreement { served: 0.01, dropped_share: 0.001, p95: 0.15, replicas: 0 });
}

#[test]
fn at_capacity_both_modes_serve_about_the_capacity() {
    // 40 requests a second on 4 pods of 10/s each: ρ = 1, queues bounded by the 5 s timeout.
    let text = scenario("30m", "Constant(40)", FOUR_PODS, ", routing: SharedQueue");
    assert_agree("at capacity", &text, Agreement { served: 0.03, dropped_share: 0.03, p95: 0.25, replicas: 0 });
}

#[test]
fn overloaded_both_modes_let_the_hpa_scale_up() {
    // 20 requests a second on one pod of 10/s, an HPA at 50 % CPU: it must scale to about 4.
    let timeline = r#"At("0s", Launch(app: "web", count: 1)),
        At("0s", Apply(HorizontalPodAutoscaler(name: "web", scaleTargetRef: "web", minReplicas: 1,
            maxReplicas: 10, targetCPUUtilizationPercentage: 50)))"#;
    let text = scenario("15m", "Constant(20)", timeline, "");
    assert_agree(
        "overloaded with an HPA",
        &text,
        Agreement { served: 0.03, dropped_share: 0.02, p95: 0.3, replicas: 1 },
    );
    let fluid = run_in(&text, TrafficMode::Fluid { tick: SimDuration::from_secs(1) });
    assert!(metric(&fluid, "replicas.max") >= 4.0, "the fluid HPA scaled to {}", metric(&fluid, "replicas.max"));
}

#[test]
fn through_a_node_failure_both_modes_lose_and_recover_alike() {
    // Six pods over the nodes, one node fails at 5 minutes: kube-proxy keeps
    // sending to its pods until the node lifecycle controller notices.
    let timeline = r#"At("0s", Launch(app: "web", count: 6)), At("5m", FailNode("node-2"))"#;
    let text = scenario("20m", "Constant(30)", timeline, "");
    assert_agree("node failure", &text, Agreement { served: 0.02, dropped_share: 0.01, p95: 0.2, replicas: 0 });
}

#[test]
fn a_run_that_serves_nothing_has_no_latency_in_either_mode() {
    // Four 1-core pods, each request an hour of work, a 5 s timeout: in the
    // 5 minutes about 4 cores × 300 s / 3600 s ≈ 0.3 requests' worth enter
    // service in fluid mode, which is none once counted in requests.
    let text = r#"Scenario(name: "nothing-served", seed: 7, duration: "5m",
        hosts: [HostGroup(name: "node", count: 2, cpu: "8", memory: "32Gi", cached_images: ["app:1"])],
        images: [Image(name: "app:1", layers: ["20MB"])],
        apps: [App(name: "web", image: "app:1", cpu: "1", memory: "1Gi")],
        services: [Service(name: "web", app: "web", load: Constant(100), cost: Constant("1h"),
                           routing: SharedQueue, timeout: "5s")],
        worlds: [World(name: "K", platform: Kubernetes())],
        timeline: [At("0s", Launch(app: "web", count: 4))])"#;
    for mode in [TrafficMode::PerRequest, TrafficMode::Fluid { tick: SimDuration::from_secs(1) }] {
        let run = run_in(text, mode);
        assert_eq!(metric(&run, "requests.served"), 0.0, "{mode:?}");
        assert!(metric(&run, "requests.dropped") > 0.0, "{mode:?}");
        for name in ["latency.p50", "latency.p95", "latency.p99", "latency.mean", "wait.mean"] {
            assert_eq!(run.metrics[name], None, "{name} in {mode:?}");
        }
    }
}
