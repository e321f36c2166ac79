//! The work budget's estimate against what runs do. Each shape below makes
//! one part of a run dominate (requests, placements, pulls, fluid ticks,
//! nodes, pods, replacements, …). At a small scale, every shape must schedule
//! no more events than estimated; that runs in CI. At full scale the ignored
//! `calibration` test prints, per shape, the estimate beside the measured
//! events, time and peak memory — what the weights in `scenario/budget.rs`
//! were set from:
//!
//! ```sh
//! cargo test --release --no-default-features --test budget -- --ignored --nocapture
//! ```

use flotilla::engine::SimTime;
use flotilla::scenario::{BudgetFile, LoadOptions, Scenario};
use flotilla::world::World;

/// A shape at scale `s` (1 is small; 100 is the calibration size).
struct Shape {
    name: &'static str,
    make: fn(u64) -> String,
}

fn scenario(duration: &str, extra: &str, hosts: &str, apps: &str, worlds: &str, timeline: &str) -> String {
    format!(
        "Scenario(name: \"shape\", duration: \"{duration}\", {extra}
         hosts: [{hosts}], images: [Image(name: \"app:1\", layers: [\"10MB\", \"20MB\"])],
         vm_images: [VmImage(name: \"app.qcow2\", size: \"600MB\", virtual_size: \"3Gi\")],
         apps: [{apps}], worlds: [{worlds}], timeline: [{timeline}])"
    )
}

const SMALL_APP: &str = "App(name: \"app\", image: \"app:1\", vm_image: \"app.qcow2\", cpu: \"10m\", memory: \"10Mi\")";
const CORE_APP: &str = "App(name: \"app\", image: \"app:1\", vm_image: \"app.qcow2\", cpu: \"1\", memory: \"512Mi\")";
const CONTAINERS: &str = "World(name: \"W\", platform: Containers())";
const KUBERNETES: &str = "World(name: \"W\", platform: Kubernetes())";

fn hosts(count: u64, cached: bool) -> String {
    format!(
        "HostGroup(name: \"h\", count: {count}, cpu: \"64\", memory: \"256Gi\"{})",
        if cached { ", cached_images: [\"app:1\", \"app.qcow2\"]" } else { "" }
    )
}

fn launch(n: u64) -> String {
    format!("At(\"0s\", Launch(app: \"app\", count: {n}))")
}

fn service(rate: u64, routing: &str) -> String {
    format!(
        "services: [Service(name: \"s\", app: \"app\", load: Constant({rate}), cost: Exponential(mean: \"10ms\"), routing: {routing})],"
    )
}

const SHAPES: &[Shape] = &[
    Shape {
        name: "requests, one shared queue",
        make: |s| {
            scenario(
                &format!("{}m", 6 * s),
                &service(320, "SharedQueue"),
                &hosts(1, true),
                CORE_APP,
                CONTAINERS,
                &launch(4),
            )
        },
    },
    Shape {
        name: "requests, least requests over 40",
        make: |s| {
            scenario(
                &format!("{}m", 6 * s / 4),
                &service(3200, "LeastRequests"),
                &hosts(1, true),
                CORE_APP,
                CONTAINERS,
                &launch(40),
            )
        },
    },
    Shape {
        name: "placement",
        make: |s| scenario("1m", "", &hosts(20 * s, true), SMALL_APP, CONTAINERS, &launch(500 * s)),
    },
    Shape {
        name: "image pulls",
        make: |s| {
            scenario(
                "10m",
                "registry: Registry(max_concurrent_pulls: 16),",
                &hosts(20 * s, false),
                SMALL_APP,
                "World(name: \"W\", platform: Containers(), placement: Spread)",
                &launch(20 * s),
            )
        },
    },
    Shape {
        name: "VMs booting",
        make: |s| {
            scenario("10m", "", &hosts(10 * s, true), SMALL_APP, "World(name: \"W\", platform: Vms())", &launch(50 * s))
        },
    },
    Shape {
        name: "fluid ticks",
        make: |s| {
            scenario(
                &format!("{}h", 1 + s / 4),
                &format!("traffic: Fluid(tick: \"1s\"), {}", service(2000, "LeastRequests")),
                &hosts(10, true),
                CORE_APP,
                CONTAINERS,
                &launch(3 * s),
            )
        },
    },
    Shape {
        name: "traffic samples over many hosts",
        make: |s| {
            scenario(
                &format!("{}h", 1 + s / 4),
                &service(1, "Random"),
                &hosts(50 * s, true),
                SMALL_APP,
                CONTAINERS,
                &launch(4),
            )
        },
    },
    Shape {
        name: "replacements",
        make: |s| {
            let failures: Vec<String> = (0..3 * s)
                .map(|k| format!("At(\"{k}s\", FailHost(\"h-1\")), At(\"{k}.5s\", RecoverHost(\"h-1\"))"))
                .collect();
            scenario(
                "10m",
                "",
                &hosts(1, true),
                SMALL_APP,
                "World(name: \"W\", platform: Containers(), replace_failed_after: \"0s\")",
                &format!("{}, {}", launch(10 * s), failures.join(", ")),
            )
        },
    },
    Shape {
        name: "Kubernetes nodes",
        make: |s| scenario(&format!("{}d", 1 + s / 10), "", &hosts(30 * s, true), SMALL_APP, KUBERNETES, ""),
    },
    Shape {
        name: "Kubernetes pods",
        make: |s| scenario("30m", "", &hosts(3 * s, true), SMALL_APP, KUBERNETES, &launch(200 * s)),
    },
    Shape {
        name: "Kubernetes pods that do not fit",
        make: |s| scenario("2h", "", &hosts(1 + s / 5, true), SMALL_APP, KUBERNETES, &launch(50 * s)),
    },
    Shape {
        name: "Kubernetes pods of which one fits a node",
        make: |s| {
            let big = SMALL_APP.replace("cpu: \"10m\"", "cpu: \"48\"");
            scenario("1d", "", &hosts(1 + s / 5, true), &big, KUBERNETES, &launch(10 * s))
        },
    },
    Shape {
        name: "Kubernetes drain that a PodDisruptionBudget refuses",
        make: |s| {
            scenario(
                "6h",
                "",
                &hosts(2, true),
                SMALL_APP,
                &format!(
                    "World(name: \"W\", platform: Kubernetes(), timeline: [At(\"0s\", Apply(Deployment(name: \"web\", replicas: {}, \
                     template: PodTemplate(containers: [Container(name: \"web\", image: \"app:1\")])))), \
                     At(\"0s\", Apply(PodDisruptionBudget(name: \"web\", selector: {{\"app\": \"web\"}}, minAvailable: \"100%\"))), \
                     At(\"1m\", Drain(\"h-1\")), At(\"1m\", Drain(\"h-2\"))])",
                    20 * s
                ),
                "",
            )
        },
    },
    Shape {
        name: "Kubernetes pods behind a service",
        make: |s| {
            scenario("30m", &service(100, "LeastRequests"), &hosts(s, true), SMALL_APP, KUBERNETES, &launch(50 * s))
        },
    },
    Shape {
        name: "Kubernetes rolling updates",
        make: |s| {
            let rollouts: Vec<String> = (1..=5)
                .map(|k| format!("At(\"{}m\", SetImage(deployment: \"app\", image: \"app:{}\"))", k * 2, 1 + k % 2))
                .collect();
            scenario(
                "15m",
                "",
                &hosts(2 * s, true),
                SMALL_APP,
                KUBERNETES,
                &format!("{}, {}", launch(20 * s), rollouts.join(", ")),
            )
            .replace("images: [Image(", "images: [Image(name: \"app:2\", layers: [\"10MB\", \"21MB\"]), Image(")
        },
    },
    Shape {
        name: "Kubernetes HPA under diurnal load",
        make: |s| {
            scenario(
                "1d",
                "traffic: Fluid(tick: \"10s\"), services: [Service(name: \"s\", app: \"app\", load: Diurnal(min: 50, max: 500, peak_at: \"14h\"), cost: Exponential(mean: \"20ms\"))],",
                &hosts(2 + s / 10, true),
                CORE_APP,
                &format!(
                    "World(name: \"W\", platform: Kubernetes(), timeline: [At(\"0s\", Apply(HorizontalPodAutoscaler(name: \"h\", scaleTargetRef: \"app\", minReplicas: 1, maxReplicas: {}, targetCPUUtilizationPercentage: 60)))])",
                    10 * s
                ),
                &launch(2),
            )
        },
    },
];

/// What a run of the shape did: events scheduled, and the estimate.
fn run(shape: &Shape, scale: u64) -> (Scenario, u64) {
    let options =
        LoadOptions { budget: Some(BudgetFile { events: Some(1e13), memory: Some(flotilla::model::Bytes(1 << 45)) }) };
    let text = (shape.make)(scale);
    let scenario = Scenario::parse_with(&text, shape.name, &|_| Err(String::new()), options)
        .unwrap_or_else(|e| panic!("{}: {e}\n{text}", shape.name));
    let end = SimTime::ZERO + scenario.setup.duration;
    let mut events = 0;
    for spec in &scenario.worlds {
        let mut world = World::new(scenario.setup.clone(), spec.clone());
        world.run_until(end);
        events += world.events_scheduled();
    }
    (scenario, events)
}

#[test]
fn the_estimate_bounds_the_events_of_every_shape() {
    let mut over = Vec::new();
    for shape in SHAPES {
        let (scenario, events) = run(shape, 1);
        if events as f64 > scenario.estimate.events() {
            over.push(format!("{}: {events} events, {:.0} estimated", shape.name, scenario.estimate.events()));
        }
    }
    assert!(over.is_empty(), "{}", over.join("\n"));
}

#[test]
#[ignore = "calibration: run in release, by hand, after changing the core"]
fn calibration() {
    // Each shape runs as `flotilla check` in a process of its own under
    // /usr/bin/time, so that its peak memory is its own.
    let scale = std::env::var("FLOTILLA_BUDGET_SCALE").ok().and_then(|v| v.parse().ok()).unwrap_or(100);
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("budget-shapes");
    std::fs::create_dir_all(&dir).unwrap();
    println!(
        "{:<40} {:>10} {:>10} {:>8} {:>9} {:>9} {:>9}",
        "shape", "estimate", "events", "seconds", "ns/unit", "est MiB", "peak MiB"
    );
    for (i, shape) in SHAPES.iter().enumerate() {
        let (scenario, events) = run(shape, scale);
        let file = dir.join(format!("shape-{i}.ron"));
        std::fs::write(&file, (shape.make)(scale)).unwrap();
        let out = std::process::Command::new("/usr/bin/time")
            .args(["-f", "%e %M"])
            .arg(env!("CARGO_BIN_EXE_flotilla"))
            .args(["check", "--budget", "events=1e13,memory=32Ti"])
            .arg(&file)
            .output()
            .expect("/usr/bin/time runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let mut last = stderr.lines().last().unwrap_or("").split_whitespace();
        let seconds: f64 = last.next().and_then(|x| x.parse().ok()).unwrap_or(f64::NAN);
        let peak_kib: f64 = last.next().and_then(|x| x.parse().ok()).unwrap_or(f64::NAN);
        let estimate = scenario.estimate.events();
        println!(
            "{:<40} {:>10.2e} {:>10.2e} {:>8.2} {:>9.0} {:>9.0} {:>9.0}",
            shape.name,
            estimate,
            events as f64,
            seconds,
            seconds * 1e9 / estimate,
            scenario.estimate.bytes() / 1048576.0,
            peak_kib / 1024.0
        );
    }
}

#[test]
fn large_worlds_keep_fewer_checkpoints_for_scrubbing() {
    let small =
        Scenario::parse(&scenario("1m", "", &hosts(1, true), SMALL_APP, CONTAINERS, &launch(3)), "small").unwrap();
    assert_eq!(small.checkpoints(), 200);
    // Half a million instances of about 0.7 KiB each: a few copies fit in half of 2 GiB.
    let large =
        Scenario::parse(&scenario("1m", "", &hosts(100, true), SMALL_APP, CONTAINERS, &launch(500_000)), "large")
            .unwrap();
    let state = large.estimate.parts.iter().filter(|p| p.world.is_some()).map(|p| p.bytes).sum::<f64>();
    assert_eq!(large.checkpoints(), (1024.0 * 1024.0 * 1024.0 / state) as usize);
    assert!((2..20).contains(&large.checkpoints()), "{}", large.checkpoints());
}
