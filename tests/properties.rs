//! Invariants that hold for any scenario: no host is ever over its capacity,
//! every instance is in exactly one place, counts add up, and time never goes
//! back. Random small scenarios are generated as RON text, so the whole path
//! from file to world is exercised.

use flotilla::engine::SimTime;
use flotilla::model::traffic::TrafficMode;
use flotilla::model::{Phase, spec::Platform};
use flotilla::scenario::Scenario;
use flotilla::world::World;
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct Case {
    groups: Vec<(u32, u32, u32, u32)>,
    apps: Vec<(u32, u32, u32)>,
    platform: usize,
    placement: usize,
    registry: Option<(u32, u32)>,
    replace: bool,
    actions: Vec<(u32, u8, usize, u32)>,
    /// Request load on the first app: base rate, routing, concurrency per core, fluid.
    service: Option<(u32, usize, u32, bool)>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec((1u32..=3, 1u32..=16, 1u32..=32, 5u32..=60), 1..=3),
        prop::collection::vec((1u32..=40, 1u32..=64, 0u32..=4), 1..=3),
        0usize..4,
        0usize..3,
        prop::option::of((1u32..=200, 1u32..=4)),
        any::<bool>(),
        prop::collection::vec((0u32..=90, 0u8..6, 0usize..16, 1u32..=12), 1..=14),
        prop::option::of((1u32..=200, 0usize..4, 1u32..=4, any::<bool>())),
    )
        .prop_map(|(groups, apps, platform, placement, registry, replace, actions, service)| Case {
            groups,
            apps,
            platform,
            placement,
            registry,
            replace,
            actions,
            service,
        })
}

fn scenario_text(c: &Case) -> String {
    let mut hosts = Vec::new();
    let mut host_names = Vec::new();
    for (g, &(count, cpu, mem_gib, disk_gib)) in c.groups.iter().enumerate() {
        hosts.push(format!(
            "HostGroup(name: \"g{g}\", count: {count}, cpu: \"{cpu}\", memory: \"{mem_gib}Gi\", disk: \"{disk_gib}Gi\")"
        ));
        host_names.extend((1..=count).map(|n| format!("g{g}-{n}")));
    }
    let mut images = vec!["Image(name: \"base\", layers: [\"300MB\", \"40MB\"])".to_string()];
    let mut vm_images = Vec::new();
    let mut apps = Vec::new();
    for (a, &(cpu_tenths, mem_64mi, disk_gib)) in c.apps.iter().enumerate() {
        images.push(format!("Image(name: \"img{a}\", base: \"base\", layers: [\"{}MB\"])", 10 + a * 50));
        vm_images.push(format!("VmImage(name: \"vm{a}\", size: \"{}MB\", virtual_size: \"2Gi\")", 200 + a * 100));
        apps.push(format!(
            "App(name: \"app{a}\", image: \"img{a}\", vm_image: \"vm{a}\", cpu: \"{}m\", memory: \"{}Mi\", disk: \"{disk_gib}Gi\")",
            cpu_tenths * 100,
            mem_64mi * 64
        ));
    }
    let platform = [
        "Vms()",
        "Containers(start_time: Exponential(mean: \"1s\"))",
        "MicroVms()",
        "Dedicated(boot_time: Uniform(min: \"10s\", max: \"40s\"))",
    ][c.platform];
    let placement = ["FirstFit", "BestFit", "Spread"][c.placement];
    let registry = match c.registry {
        Some((mbps, n)) => format!("registry: Registry(bandwidth: \"{mbps}MB/s\", max_concurrent_pulls: {n}),"),
        None => String::new(),
    };
    let replace = if c.replace { "replace_failed_after: \"5s\"," } else { "" };
    let mut timeline = Vec::new();
    for &(t, kind, target, count) in &c.actions {
        let app = target % c.apps.len();
        let host = &host_names[target % host_names.len()];
        timeline.push(match kind {
            0..=2 => format!("At(\"{t}s\", Launch(app: \"app{app}\", count: {count}))"),
            3 => format!("At(\"{t}s\", Stop(app: \"app{app}\", count: {count}))"),
            4 => format!("At(\"{t}s\", FailHost(\"{host}\"))"),
            _ => format!("At(\"{t}s\", RecoverHost(\"{host}\"))"),
        });
    }
    let services = match c.service {
        None => String::new(),
        Some((rate, routing, concurrency, fluid)) => format!(
            "{}services: [Service(name: \"s\", app: \"app0\", cost: Exponential(mean: \"50ms\"), timeout: \"5s\",
                load: Spike(base: {rate}, peak: {}, start: \"30s\", ramp: \"10s\", hold: \"20s\"),
                concurrency: {concurrency}, routing: {})],",
            if fluid { "traffic: Fluid(tick: \"1s\"), " } else { "" },
            rate * 3,
            ["SharedQueue", "Random", "RoundRobin", "LeastRequests"][routing]
        ),
    };
    format!(
        "Scenario(name: \"random\", seed: 9, duration: \"2m\", {registry} {services}
        hosts: [{}], images: [{}], vm_images: [{}], apps: [{}],
        worlds: [World(name: \"W\", platform: {platform}, placement: {placement}, {replace})],
        timeline: [{}])",
        hosts.join(", "),
        images.join(", "),
        vm_images.join(", "),
        apps.join(", "),
        timeline.join(", ")
    )
}

fn check_invariants(w: &World) -> Result<(), TestCaseError> {
    let setup = w.setup();
    let ratio = w.spec().cpu_allocation_ratio;
    let mut placed = 0usize;
    for (h, (state, spec)) in w.hosts().iter().zip(&setup.hosts).enumerate() {
        let allocatable = (spec.cpu.0 as f64 * ratio).floor() as u64;
        prop_assert!(state.cpu_used.0 <= allocatable, "host {h}: cpu {} > {}", state.cpu_used.0, allocatable);
        prop_assert!(state.memory_used.0 <= spec.memory.0, "host {h}: memory over capacity");
        prop_assert!(
            state.disk_reserved.0 + state.cache.pinned().0 <= spec.disk.0,
            "host {h}: committed disk {} + {} > {}",
            state.disk_reserved.0,
            state.cache.pinned().0,
            spec.disk.0
        );
        if !state.up {
            prop_assert!(state.instances.is_empty());
        }
        if matches!(w.spec().platform, Platform::Dedicated(_)) {
            prop_assert!(state.instances.len() <= 1, "host {h}: two instances on a dedicated server");
        }
        for &id in &state.instances {
            prop_assert_eq!(w.instance(id).host, Some(flotilla::model::HostId(h as u32)));
        }
        placed += state.instances.len();
    }
    let waiting: Vec<_> = w.waiting().collect();
    let mut on_hosts = 0usize;
    for inst in w.instances() {
        let is_waiting = waiting.contains(&inst.id);
        prop_assert_eq!(is_waiting, inst.phase == Phase::WaitingForPlacement, "{} waiting set vs phase", inst.name);
        if !inst.phase.is_terminal() && inst.phase != Phase::WaitingForPlacement {
            let host = inst.host.expect("a placed instance has a host");
            prop_assert!(w.hosts()[host.index()].instances.contains(&inst.id), "{} lost from its host", inst.name);
            on_hosts += 1;
        }
        let times: Vec<SimTime> = inst.history.iter().map(|&(_, t)| t).collect();
        prop_assert!(times.windows(2).all(|p| p[0] <= p[1]), "{} history goes back in time", inst.name);
    }
    prop_assert_eq!(placed, on_hosts);
    let c = w.counts();
    let stopping = w.instances().iter().filter(|i| i.phase == Phase::Stopping).count() as u32;
    prop_assert_eq!(c.launched, c.running + c.pending + c.stopped + c.failed + c.unknown + stopping);
    prop_assert_eq!(c.launched as usize, w.instances().len());
    if let Some(t) = w.traffic() {
        for s in &t.services {
            // Every request that arrived was served, dropped, or is still inside.
            if t.mode == TrafficMode::PerRequest {
                prop_assert_eq!(
                    s.stats.arrived,
                    s.stats.served + s.stats.dropped + s.in_system,
                    "{} lost requests",
                    s.spec.name
                );
            }
            for id in &s.endpoints {
                prop_assert_eq!(
                    w.instance(*id).phase,
                    Phase::Running,
                    "{} serves but is not running",
                    w.instance(*id).name
                );
            }
        }
        // No instance uses more CPU than it holds.
        for inst in w.instances() {
            let busy = t.busy(inst.id);
            let cores = match (&w.spec().platform, inst.host) {
                (Platform::Dedicated(_), Some(h)) => setup.hosts[h.index()].cpu.as_cores(),
                _ => w.demand_of(inst).cpu.as_cores(),
            };
            prop_assert!(busy <= cores + 1e-9, "{} uses {busy} cores of {cores}", inst.name);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_scenarios_never_overfill_a_host_or_lose_an_instance(c in case()) {
        let text = scenario_text(&c);
        let scenario = match Scenario::parse(&text, "random.ron") {
            Ok(s) => s,
            // Apps larger than every host are refused by validation; that path has its own tests.
            Err(e) => {
                prop_assume!(!e.to_string().contains("more than any host"), "too big");
                return Err(TestCaseError::fail(format!("generated scenario refused: {e}\n{text}")));
            }
        };
        let mut world = World::new(scenario.setup.clone(), scenario.worlds[0].clone());
        let end = SimTime::ZERO + scenario.setup.duration;
        let mut last = SimTime::ZERO;
        while let Some(t) = world.next_event_time() {
            if t > end { break; }
            world.step();
            prop_assert!(world.now() >= last, "time went back");
            last = world.now();
            check_invariants(&world)?;
        }
        if std::env::var_os("FLOTILLA_PROPTEST_TRACE").is_some() {
            eprintln!("case: {} instances, {} running", world.instances().len(), world.counts().running);
        }
    }
}
