//! Request traffic against queueing theory, and the autoscalers' timing.

use flotilla::behaviours::queueing;
use flotilla::engine::SimTime;
use flotilla::metrics;
use flotilla::scenario::Scenario;
use flotilla::world::{EventKind, World};

fn run(text: &str, world: usize) -> World {
    let s = Scenario::parse(text, "test.ron").unwrap_or_else(|e| panic!("{e}"));
    let mut w = World::new(s.setup.clone(), s.worlds[world].clone());
    w.run_until(SimTime::ZERO + s.setup.duration);
    w
}

fn queue_scenario(routing: &str, replicas: u32, lambda: f64, duration: &str) -> String {
    format!(
        r#"Scenario(name: "q", seed: 3, duration: "{duration}",
        hosts: [HostGroup(name: "h", count: 1, cpu: "16", memory: "64Gi", cached_images: ["a:1"])],
        images: [Image(name: "a:1", layers: ["1MB"])],
        apps: [App(name: "a", image: "a:1", cpu: "1", memory: "256Mi")],
        services: [Service(name: "s", app: "a", load: Constant({lambda}), cost: Exponential(mean: "100ms"),
                           routing: {routing}, warmup: "10m", timeout: "1h")],
        worlds: [World(name: "W", platform: Containers())],
        timeline: [At("0s", Launch(app: "a", count: {replicas}))])"#
    )
}

fn metric(w: &World, name: &str) -> f64 {
    metrics::compute(w)[name].unwrap_or_else(|| panic!("{name} has no value"))
}

/// Runs world 0 of `text` for `seconds` and lists the autoscalers' decisions as (time, by, from, to).
fn run_scalings(text: &str, seconds: u64) -> (World, Vec<(f64, String, u32, u32)>) {
    let s = Scenario::parse(text, "t.ron").unwrap_or_else(|e| panic!("{e}"));
    let mut w = World::new(s.setup.clone(), s.worlds[0].clone());
    let mut scalings = Vec::new();
    while let Some(t) = w.next_event_time() {
        if t > SimTime(seconds * 1_000_000) {
            break;
        }
        w.step();
        for e in w.drain_events() {
            if let EventKind::Scaled { by, from, to, .. } = e.kind {
                scalings.push((e.time.as_secs_f64(), by, from, to));
            }
        }
    }
    (w, scalings)
}

#[test]
fn shared_queue_mean_wait_is_erlang_c_within_3_percent() {
    // M/M/2 with λ = 16/s, μ = 10/s (ρ = 0.8), 12 hours: about 690,000 requests.
    let w = run(&queue_scenario("SharedQueue", 2, 16.0, "12h"), 0);
    let expected = queueing::mean_wait(2, 16.0, 10.0).unwrap();
    let got = metric(&w, "wait.mean");
    assert!((got / expected - 1.0).abs() < 0.03, "wait {got} vs Erlang C {expected}");
}

#[test]
fn random_routing_makes_each_replica_an_mm1_queue() {
    // Four replicas, λ = 24/s in all: each an M/M/1 queue with λ = 6, μ = 10: Wq = 0.6/4 = 0.15 s.
    let w = run(&queue_scenario("Random", 4, 24.0, "8h"), 0);
    let got = metric(&w, "wait.mean");
    assert!((got / 0.15 - 1.0).abs() < 0.03, "wait {got} vs 0.15");
}

#[test]
fn requests_side_by_side_share_their_core() {
    // One replica of one core serving 4 requests at once: each runs at a quarter of the core,
    // so the replica is an M/M/4 queue with μ = 2.5/s per worker, and λ = 8/s keeps
    // the core 80 % busy.
    let text = queue_scenario("SharedQueue", 1, 8.0, "12h").replace("routing:", "concurrency: 4, routing:");
    let w = run(&text, 0);
    let expected = queueing::mean_wait(4, 8.0, 2.5).unwrap() + 0.4;
    let got = metric(&w, "latency.mean");
    assert!((got / expected - 1.0).abs() < 0.03, "latency {got} vs M/M/4 {expected}");
    let t = w.traffic().unwrap();
    let id = t.services[0].endpoints[0];
    let cpu_seconds = t.work(id, w.now());
    let busy = cpu_seconds / w.now().as_secs_f64();
    assert!((busy - 0.8).abs() < 0.02, "the core was {busy} busy");
}

#[test]
fn littles_law_holds() {
    let w = run(&queue_scenario("LeastRequests", 3, 24.0, "4h"), 0);
    let served = metric(&w, "requests.served");
    let throughput = served / (4.0 * 3600.0 - 600.0);
    let l = metric(&w, "in_system.mean");
    let lambda_w = throughput * metric(&w, "latency.mean");
    assert!((l / lambda_w - 1.0).abs() < 0.02, "L = {l}, λW = {lambda_w}");
}

#[test]
fn fluid_mode_gives_the_formulas_exactly() {
    let text =
        queue_scenario("SharedQueue", 4, 36.0, "1h").replace(r#"seed: 3,"#, r#"seed: 3, traffic: Fluid(tick: "1s"),"#);
    let w = run(&text, 0);
    let expected = queueing::mean_wait(4, 36.0, 10.0).unwrap();
    assert!((metric(&w, "wait.mean") / expected - 1.0).abs() < 1e-6);
    let p95 = queueing::response_quantile(4, 36.0, 10.0, 0.95).unwrap();
    assert!((metric(&w, "latency.p95") / p95 - 1.0).abs() < 1e-6);
}

#[test]
fn the_hpa_reacts_within_a_sync_period_and_scales_down_after_the_window() {
    // 2 pods of one core at 50 ms per request; load steps from 10/s (25 % of two cores,
    // well inside the minimum of 2) to 80/s (200 %) at 2:00 and back at 6:00. Target 50 %.
    let text = r#"Scenario(name: "h", seed: 5, duration: "20m",
        hosts: [HostGroup(name: "n", count: 4, cpu: "8", memory: "32Gi", cached_images: ["a:1"])],
        images: [Image(name: "a:1", layers: ["1MB"])],
        apps: [App(name: "a", image: "a:1", cpu: "1", memory: "256Mi")],
        services: [Service(name: "s", app: "a", cost: Exponential(mean: "50ms"),
                           load: Spike(base: 10, peak: 80, start: "2m", ramp: "0s", hold: "4m"))],
        worlds: [World(name: "K", platform: Kubernetes(), timeline: [
            At("0s", Launch(app: "a", count: 2)),
            At("0s", Apply(HorizontalPodAutoscaler(name: "a", scaleTargetRef: "a", minReplicas: 2, maxReplicas: 20,
                                                   targetCPUUtilizationPercentage: 50))),
        ])])"#;
    let (_, scalings) = run_scalings(text, 1200);
    let scalings: Vec<(f64, u32, u32)> = scalings.into_iter().map(|(t, _, from, to)| (t, from, to)).collect();
    let up = &scalings[0];
    // The step at 120 s is seen by the next scrape and sync: within 15 s + 15 s.
    // One worker per one-core pod: usage saturates at 100 % of the request, so
    // the first step at most doubles the replicas.
    assert!(up.0 > 120.0 && up.0 <= 150.0 && up.1 == 2 && up.2 == 4, "{scalings:?}");
    // Later steps follow at the 15 s sync period up to the 8 pods that 4 cores at 50 % need.
    assert_eq!(scalings.iter().filter(|s| s.2 > s.1).map(|s| s.2).max(), Some(8), "{scalings:?}");
    let down = scalings.iter().find(|s| s.2 < s.1).expect("scaled down");
    // The load falls at 360 s; the stabilisation window holds the replicas for 300 s more.
    assert!(down.0 >= 660.0 && down.0 <= 700.0, "{scalings:?}");
}

#[test]
fn the_cluster_autoscaler_adds_a_node_for_pending_pods_and_removes_it_when_unneeded() {
    // One node of 4 cores; 6 one-core pods at 0:00 → two pending → a second node.
    // At 2:00 the deployment shrinks to 2: the second node is unneeded and goes after 10 min.
    let text = r#"Scenario(name: "ca", seed: 9, duration: "30m",
        hosts: [HostGroup(name: "pool", count: 3, cpu: "4", memory: "16Gi", cached_images: ["a:1"])],
        images: [Image(name: "a:1", layers: ["1MB"])],
        apps: [App(name: "a", image: "a:1", cpu: "1", memory: "256Mi")],
        worlds: [World(name: "K", platform: Kubernetes(cluster_autoscaler: ClusterAutoscaler(
            node_groups: [NodeGroup(hosts: "pool", min: 1, provisioning_time: Constant("60s"))],
            scale_down_delay_after_add: "0s")),
            timeline: [At("0s", Launch(app: "a", count: 6)), At("2m", Scale(deployment: "a", replicas: 2))])])"#;
    let (w, scalings) = run_scalings(text, 1800);
    // Scale-up at the first 10 s scan after the pods failed to schedule.
    let up = &scalings[0];
    assert_eq!((up.1.as_str(), up.2, up.3), ("cluster-autoscaler", 1, 2), "{scalings:?}");
    assert!(up.0 <= 10.0, "{scalings:?}");
    // Removal: unneeded from about 2:00, gone after 10 minutes more.
    let down = scalings.iter().find(|s| s.3 < s.2).expect("scaled down");
    assert!(down.0 >= 720.0 && down.0 <= 750.0, "{scalings:?}");
    let k = w.kube().unwrap();
    assert_eq!(k.nodes_ready(), 1);
    assert_eq!(w.counts().running, 2);
}

fn trace_scenario(file: &str) -> String {
    format!(
        r#"Scenario(name: "t", seed: 1, duration: "1h",
        hosts: [HostGroup(name: "h", count: 1, cpu: "4", memory: "16Gi", cached_images: ["a:1"])],
        images: [Image(name: "a:1", layers: ["1MB"])],
        apps: [App(name: "a", image: "a:1", cpu: "1", memory: "256Mi")],
        services: [Service(name: "s", app: "a", load: Trace(file: "{file}", scale: 2), cost: Constant("10ms"))],
        worlds: [World(name: "W", platform: Containers())])"#
    )
}

#[test]
fn a_trace_is_read_from_a_csv_file_beside_the_scenario_and_scaled() {
    let dir = std::env::temp_dir().join(format!("flotilla-trace-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("load.csv"), "# calls\nseconds,rps\n0,10\n600, 30\n\n1200,20\n").unwrap();
    std::fs::write(dir.join("t.ron"), trace_scenario("load.csv")).unwrap();
    let s = Scenario::load(&dir.join("t.ron")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::remove_dir_all(&dir).unwrap();
    let load = &s.setup.services[0].load;
    let at = |secs: u64| load.rate(SimTime(secs * 1_000_000));
    // Straight lines between the rows, each rate doubled; flat after the last row.
    assert_eq!((at(0), at(300), at(600), at(900), at(1200), at(3000)), (20.0, 40.0, 60.0, 50.0, 40.0, 40.0));
}

#[test]
fn a_bad_trace_is_reported_with_its_line_and_the_field_path() {
    let problems = |csv: &'static str| {
        let err = Scenario::parse_with_files(&trace_scenario("load.csv"), "t.ron", &move |_| Ok(csv.to_string()))
            .expect_err("a bad trace is refused");
        err.to_string()
    };
    let e = problems("0,10\n60,abc\n");
    assert!(e.contains("services[0].load.file") && e.contains("load.csv: line 2: expected two numbers"), "{e}");
    let e = problems("0,10\n60,20\n30,5\n");
    assert!(e.contains("line 3: the time 30 s does not come after the row before it (60 s)"), "{e}");
    let e = problems("0,-1\n");
    assert!(e.contains("line 1: the rate -1"), "{e}");
    let e = problems("# nothing\n");
    assert!(e.contains("no rows of seconds,rps"), "{e}");
    // A file that is not there, and one outside the scenario's folder.
    let e = Scenario::load(std::path::Path::new("scenarios/volte-core.ron")).map(|_| ());
    assert!(e.is_ok(), "{e:?}");
    let dir = std::env::temp_dir().join(format!("flotilla-trace-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("a.ron"), trace_scenario("../load.csv")).unwrap();
    std::fs::write(dir.join("b.ron"), trace_scenario("missing.csv")).unwrap();
    let a = Scenario::load(&dir.join("a.ron")).expect_err("outside the folder").to_string();
    let b = Scenario::load(&dir.join("b.ron")).expect_err("missing").to_string();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(a.contains("a relative path inside its folder"), "{a}");
    assert!(b.contains("cannot read \"missing.csv\""), "{b}");
}

#[test]
fn requests_sent_to_a_dead_node_are_lost_until_its_pods_leave_the_endpoints() {
    // Four pods on two nodes take 20 requests a second at random. node-1 dies at 5:00:
    // kube-proxy still routes half the requests to its two pods until the node
    // lifecycle controller marks it NotReady (40 s grace, seen on a 5 s monitor period)
    // and the pods leave the endpoints: about 10/s for 40–45 s are lost, then none.
    let text = |fail: &str| {
        format!(
            r#"Scenario(name: "f", seed: 4, duration: "10m",
            hosts: [HostGroup(name: "node", count: 2, cpu: "4", memory: "16Gi", cached_images: ["a:1"])],
            images: [Image(name: "a:1", layers: ["1MB"])],
            apps: [App(name: "a", image: "a:1", cpu: "1", memory: "256Mi")],
            services: [Service(name: "s", app: "a", load: Constant(20), cost: Constant("10ms"), routing: Random)],
            worlds: [World(name: "K", platform: Kubernetes(), timeline: [At("0s", Launch(app: "a", count: 4)){fail}])])"#
        )
    };
    // Without the failure only the requests that come before the first pod is Ready are lost.
    let healthy = run(&text(""), 0);
    let before_ready = metric(&healthy, "requests.dropped");
    assert!(before_ready < 20.0, "{before_ready} dropped");
    let failed = run(&text(r#", At("5m", FailNode("node-1"))"#), 0);
    let dropped = metric(&failed, "requests.dropped") - before_ready;
    assert!((10.0 * 38.0..=10.0 * 50.0).contains(&dropped), "{dropped} dropped");
    // Both runs draw the same arrivals: what the failure lost is all that is missing.
    let arrived = |w: &World| metric(w, "requests.served") + metric(w, "requests.dropped");
    assert_eq!(arrived(&failed), arrived(&healthy));
}

#[test]
fn a_terminating_pod_gets_no_new_requests_and_serves_what_it_holds() {
    // Four pods with their own queues at ρ = 0.8; at 60 s, Scale to 3 deletes one, which takes
    // 5 s to shut down. It leaves the endpoints at once (ready: false, terminating: true), and
    // the requests queued on it are served while it stops instead of being lost; a 1-hour
    // timeout drops nothing else, and the 30-s warm-up leaves out the start.
    let text = r#"Scenario(name: "q", seed: 3, duration: "70s",
        hosts: [HostGroup(name: "h", count: 1, cpu: "16", memory: "64Gi", cached_images: ["a:1"])],
        images: [Image(name: "a:1", layers: ["1MB"])],
        apps: [App(name: "a", image: "a:1", cpu: "1", memory: "256Mi")],
        services: [Service(name: "s", app: "a", load: Constant(32), cost: Exponential(mean: "100ms"),
                           timeout: "1h", warmup: "30s")],
        worlds: [World(name: "K", platform: Kubernetes(container_stop_time: Constant("5s")), timeline: [
            At("0s", Launch(app: "a", count: 4)), At("60s", Scale(deployment: "a", replicas: 3))])])"#;
    let s = Scenario::parse(text, "test.ron").unwrap_or_else(|e| panic!("{e}"));
    let mut w = World::new(s.setup.clone(), s.worlds[0].clone());
    w.run_until(SimTime(59_000_000));
    assert_eq!(w.counts().running, 4);
    w.run_until(SimTime(70_000_000));
    assert_eq!((w.counts().running, w.counts().stopped), (3, 1));
    assert!(metric(&w, "requests.served") > 1_000.0);
    assert_eq!(metric(&w, "requests.dropped"), 0.0);
}

#[test]
fn the_latest_arrivals_name_the_endpoint_the_routing_picked() {
    let last = |routing: &str| {
        // Only the arrivals are looked at, so no warmup is needed (nor would one fit in a minute).
        let w = run(&queue_scenario(routing, 3, 12.0, "1m").replace("warmup: \"10m\"", "warmup: \"0s\""), 0);
        let t = w.traffic().expect("the world has traffic");
        let svc = &t.services[0];
        assert_eq!(svc.recent.len(), flotilla::world::traffic::RECENT_ARRIVALS);
        (svc.endpoints.clone(), svc.recent.iter().map(|a| a.endpoint).collect::<Vec<_>>())
    };
    // In turn: each arrival goes to the endpoint after the one before.
    let (endpoints, picked) = last("RoundRobin");
    assert_eq!(endpoints.len(), 3);
    let index = |id| endpoints.iter().position(|&e| Some(e) == id).expect("an endpoint");
    for pair in picked.windows(2) {
        assert_eq!(index(pair[1]), (index(pair[0]) + 1) % 3);
    }
    // At random: every endpoint among the latest arrivals.
    let (endpoints, picked) = last("Random");
    assert!(endpoints.iter().all(|e| picked.contains(&Some(*e))));
    // A shared queue picks no endpoint on arrival.
    let (_, picked) = last("SharedQueue");
    assert!(picked.iter().all(Option::is_none));
}
