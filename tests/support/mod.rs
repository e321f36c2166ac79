//! Random valid scenarios of every platform kind, as RON text, and the
//! invariants any run of them must keep, checked after every instant.
//!
//! The generator draws every choice from a [`Choices`] source, so the same
//! code serves the property tests (a proptest byte vector) and the
//! structure-aware fuzz target (libFuzzer's bytes through `arbitrary`). With
//! every byte zero it makes the smallest scenario there is; more bytes make
//! larger ones.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fmt::Write as _;

use flotilla::engine::SimTime;
use flotilla::model::spec::Platform;
use flotilla::model::traffic::TrafficMode;
use flotilla::model::{HostId, InstanceId, Phase};
use flotilla::world::{Event, EventKind, World};

/// Where a generator's choices come from.
pub trait Choices {
    /// A number in `0..n` (0 when `n` is 0).
    fn below(&mut self, n: u64) -> u64;

    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    fn flag(&mut self) -> bool {
        self.below(2) == 1
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

/// Choices read from bytes, two at a time; zeros once they run out.
pub struct ByteChoices<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> ByteChoices<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        ByteChoices { bytes, at: 0 }
    }
}

impl Choices for ByteChoices<'_> {
    fn below(&mut self, n: u64) -> u64 {
        if n <= 1 {
            return 0;
        }
        let mut x = 0u64;
        for _ in 0..2 {
            x = x << 8 | u64::from(self.bytes.get(self.at).copied().unwrap_or(0));
            self.at += 1;
        }
        x % n
    }
}

/// What the generator made, beside the text: what the checks need to know.
#[derive(Clone, Debug, Default)]
pub struct Made {
    pub text: String,
    pub worlds: usize,
}

const PLATFORMS: [&str; 5] = ["Vms", "Containers", "MicroVms", "Dedicated", "Kubernetes"];

/// A random valid scenario.
pub fn scenario(c: &mut impl Choices) -> Made {
    let mut out = String::new();
    let seed = c.below(1000);
    let duration = c.pick(&["2m", "3m", "5m"]);
    let _ = writeln!(out, "Scenario(name: \"random\", seed: {seed}, duration: \"{duration}\",");
    if c.flag() {
        let _ = writeln!(
            out,
            "registry: Registry(bandwidth: \"{}MB/s\", max_concurrent_pulls: {}),",
            c.range(1, 200),
            c.range(1, 4)
        );
    }

    // Hosts: one to three groups.
    let groups = c.range(1, 3);
    let mut hosts = Vec::new();
    let mut host_names = Vec::new();
    for g in 0..groups {
        let count = c.range(1, 4);
        let mut group = format!(
            "HostGroup(name: \"g{g}\", count: {count}, cpu: \"{}\", memory: \"{}Gi\", disk: \"{}Gi\"",
            c.range(1, 32),
            c.range(4, 64),
            c.range(5, 100)
        );
        if c.flag() {
            let _ = write!(group, ", zone: \"z{}\"", c.below(2));
        }
        if c.flag() {
            let _ = write!(group, ", labels: {{\"disk\": \"{}\"}}", c.pick(&["ssd", "hdd"]));
        }
        if c.below(4) == 0 {
            group.push_str(", taints: [Taint(key: \"dedicated\", value: \"db\", effect: NoSchedule)]");
        }
        if c.flag() {
            group.push_str(", cached_images: [\"base\"]");
        }
        group.push(')');
        hosts.push(group);
        host_names.extend((1..=count).map(|n| format!("g{g}-{n}")));
    }

    // Apps, each on its own image over a shared base, and a second version of each.
    let apps = c.range(1, 3) as usize;
    let mut images = vec!["Image(name: \"base\", layers: [\"300MB\", \"40MB\"])".to_string()];
    let mut vm_images = Vec::new();
    let mut app_files = Vec::new();
    for a in 0..apps {
        for v in 1..=2 {
            images.push(format!("Image(name: \"img{a}:{v}\", base: \"base\", layers: [\"{}MB\"])", 10 + a * 50 + v));
        }
        vm_images.push(format!("VmImage(name: \"vm{a}\", size: \"{}MB\", virtual_size: \"2Gi\")", 200 + a * 100));
        app_files.push(format!(
            "App(name: \"app{a}\", image: \"img{a}:1\", vm_image: \"vm{a}\", cpu: \"{}m\", memory: \"{}Mi\", disk: \"{}Gi\")",
            c.range(1, 40) * 100,
            c.range(1, 64) * 64,
            c.below(5)
        ));
    }
    let _ = writeln!(
        out,
        "hosts: [{}],\nimages: [{}],\nvm_images: [{}],\napps: [{}],",
        hosts.join(", "),
        images.join(", "),
        vm_images.join(", "),
        app_files.join(", ")
    );

    // Traffic on the first app.
    let traffic = c.below(3) > 0;
    if traffic {
        if c.flag() {
            let _ = writeln!(out, "traffic: Fluid(tick: \"{}\"),", c.pick(&["1s", "5s"]));
        }
        let rate = c.range(1, 200);
        let load = match c.below(5) {
            0 => format!("Constant({rate})"),
            1 => format!("Step(from: {rate}, to: {}, at: \"30s\")", rate * 2),
            2 => format!("Ramp(from: {rate}, to: {}, start: \"10s\", end: \"50s\")", rate * 3),
            3 => format!("Spike(base: {rate}, peak: {}, start: \"30s\", ramp: \"10s\", hold: \"20s\")", rate * 3),
            _ => format!("Diurnal(min: {rate}, max: {}, peak_at: \"12h\")", rate * 2),
        };
        let _ = writeln!(
            out,
            "services: [Service(name: \"s\", app: \"app0\", load: {load}, cost: Exponential(mean: \"{}ms\"), \
             timeout: \"{}s\", concurrency: {}, routing: {})],",
            c.range(5, 100),
            c.range(1, 10),
            c.range(1, 4),
            c.pick(&["SharedQueue", "Random", "RoundRobin", "LeastRequests"])
        );
    }

    // Worlds: one or two, of any platform.
    let worlds = c.range(1, 2) as usize;
    let mut world_files = Vec::new();
    let mut any_plain = false;
    for w in 0..worlds {
        let platform = PLATFORMS[c.below(5) as usize];
        let text = if platform == "Kubernetes" {
            kubernetes_world(c, w, apps, &host_names, traffic)
        } else {
            any_plain = true;
            plain_world(c, w, platform, apps, &host_names)
        };
        world_files.push(text);
    }
    let _ = writeln!(out, "worlds: [{}],", world_files.join(",\n"));

    // The shared timeline: launches of every app first, then plain actions.
    let mut timeline: Vec<String> =
        (0..apps).map(|a| format!("At(\"0s\", Launch(app: \"app{a}\", count: {}))", c.range(1, 8))).collect();
    for _ in 0..c.below(10) {
        timeline.push(plain_action(c, apps, &host_names, any_plain));
    }
    let _ = write!(out, "timeline: [{}],\n)", timeline.join(", "));
    Made { text: out, worlds }
}

/// An action every world can take.
fn plain_action(c: &mut impl Choices, apps: usize, hosts: &[String], any: bool) -> String {
    let t = c.below(90);
    let app = c.below(apps as u64);
    let host = &hosts[c.below(hosts.len() as u64) as usize];
    match c.below(if any { 6 } else { 4 }) {
        0 | 1 => format!("At(\"{t}s\", Launch(app: \"app{app}\", count: {}))", c.range(1, 12)),
        2 => format!("At(\"{t}s\", Stop(app: \"app{app}\", count: {}))", c.range(1, 12)),
        3 => format!("At(\"{t}s\", FailHost(\"{host}\"))"),
        _ => format!("At(\"{t}s\", RecoverHost(\"{host}\"))"),
    }
}

fn plain_world(c: &mut impl Choices, w: usize, platform: &str, apps: usize, hosts: &[String]) -> String {
    let body = match platform {
        "Vms" => "Vms()".to_string(),
        "Containers" => "Containers(start_time: Exponential(mean: \"1s\"))".to_string(),
        "MicroVms" => "MicroVms()".to_string(),
        _ => "Dedicated(boot_time: Uniform(min: \"10s\", max: \"40s\"))".to_string(),
    };
    let mut text = format!(
        "World(name: \"W{w}\", platform: {body}, placement: {}, cpu_allocation_ratio: {}",
        c.pick(&["FirstFit", "BestFit", "Spread"]),
        c.pick(&["1.0", "1.0", "0.5", "2.0", "4.0"])
    );
    if c.flag() {
        let _ = write!(text, ", replace_failed_after: \"{}s\"", c.below(10));
    }
    if c.below(4) == 0 {
        let _ = write!(
            text,
            ", autoscaling: AutoscalingGroup(app: \"app0\", min: 1, max: {}, target_cpu_percent: 50, period: \"15s\", warmup: \"20s\", cooldown: \"30s\")",
            c.range(1, 6)
        );
    }
    let own: Vec<String> = (0..c.below(4)).map(|_| plain_action(c, apps, hosts, true)).collect();
    let _ = write!(text, ", timeline: [{}])", own.join(", "));
    text
}

fn kubernetes_world(c: &mut impl Choices, w: usize, apps: usize, hosts: &[String], traffic: bool) -> String {
    let nodes = if c.below(4) == 0 { "Vms(boot_time: Constant(\"20s\"))" } else { "Hosts" };
    let mut platform = format!("nodes: {nodes}, max_pods: {}", c.range(2, 110));
    if c.flag() {
        let _ = write!(
            platform,
            ", node_monitor_grace_period: \"{}s\", default_toleration_seconds: {}",
            c.range(11, 50),
            c.range(5, 60)
        );
    }
    if nodes == "Hosts" && c.below(3) == 0 {
        let _ = write!(
            platform,
            ", cluster_autoscaler: ClusterAutoscaler(node_groups: [NodeGroup(hosts: \"g0\", min: 0, initial: {}, provisioning_time: Constant(\"15s\"))], scale_down_unneeded_time: \"1m\", scale_down_delay_after_add: \"1m\")",
            c.below(2)
        );
    }
    if c.flag() {
        platform.push_str(&format!(
            ", scheduler: KubeSchedulerConfiguration(profiles: [Profile(pluginConfig: [PluginConfig(name: \"NodeResourcesFit\", \
             args: NodeResourcesFitArgs(scoringStrategy: ScoringStrategy(type: {}, resources: [ResourceSpec(name: \"cpu\", weight: 1)])))])])",
            c.pick(&["LeastAllocated", "MostAllocated"])
        ));
    }
    let mut timeline = Vec::new();
    // Deployments of their own, beside those Launch makes for the apps.
    for d in 0..c.below(3) {
        let image = format!("img{}:1", c.below(apps as u64));
        let strategy = match c.below(3) {
            0 => "Recreate".to_string(),
            _ => {
                let surge = c.below(3);
                let unavailable = if surge == 0 { c.range(1, 2) } else { c.below(3) };
                format!("RollingUpdate(maxSurge: {surge}, maxUnavailable: {unavailable})")
            }
        };
        let mut template = format!(
            "containers: [Container(name: \"c\", image: \"{image}\", resources: Resources(requests: ResourceList(cpu: \"{}m\", memory: \"{}Mi\"))",
            c.range(1, 20) * 100,
            c.range(1, 32) * 64
        );
        if c.below(4) == 0 {
            let _ = write!(template, ", readinessProbe: Probe(initialDelaySeconds: {})", c.below(10));
        }
        if c.below(5) == 0 {
            let _ = write!(template, ", exitsAfter: \"{}s\"", c.range(5, 40));
        }
        template.push_str(")]");
        if c.below(3) == 0 {
            template.push_str(
                ", tolerations: [Toleration(key: \"dedicated\", operator: Equal, value: \"db\", effect: NoSchedule)]",
            );
        }
        if c.below(4) == 0 {
            template.push_str(", nodeSelector: {\"disk\": \"ssd\"}");
        }
        if c.below(4) == 0 {
            let _ = write!(
                template,
                ", topologySpreadConstraints: [TopologySpreadConstraint(maxSkew: 1, topologyKey: \"topology.kubernetes.io/zone\", whenUnsatisfiable: {}, labelSelector: {{\"app\": \"d{d}\"}})]",
                c.pick(&["DoNotSchedule", "ScheduleAnyway"])
            );
        }
        timeline.push(format!(
            "At(\"{}s\", Apply(Deployment(name: \"d{d}\", replicas: {}, strategy: {strategy}, template: PodTemplate({template}))))",
            c.below(20),
            c.below(12)
        ));
        if c.flag() {
            timeline.push(format!(
                "At(\"{}s\", Scale(deployment: \"d{d}\", replicas: {}))",
                c.range(20, 80),
                c.below(12)
            ));
        }
        if c.flag() {
            timeline.push(format!(
                "At(\"{}s\", SetImage(deployment: \"d{d}\", image: \"img{}:2\"))",
                c.range(20, 80),
                c.below(apps as u64)
            ));
        }
    }
    if traffic && c.flag() {
        timeline.push(format!(
            "At(\"0s\", Apply(HorizontalPodAutoscaler(name: \"hpa\", scaleTargetRef: \"app0\", minReplicas: 1, maxReplicas: {}, targetCPUUtilizationPercentage: {})))",
            c.range(1, 10),
            c.range(20, 90)
        ));
    }
    for _ in 0..c.below(5) {
        let t = c.below(90);
        let host = &hosts[c.below(hosts.len() as u64) as usize];
        timeline.push(match c.below(6) {
            0 => format!("At(\"{t}s\", FailNode(\"{host}\"))"),
            1 => format!("At(\"{t}s\", RecoverNode(\"{host}\"))"),
            2 => format!("At(\"{t}s\", Cordon(\"{host}\"))"),
            3 => format!("At(\"{t}s\", Uncordon(\"{host}\"))"),
            4 => format!("At(\"{t}s\", Drain(\"{host}\"))"),
            _ => format!("At(\"{t}s\", Scale(deployment: \"app0\", replicas: {}))", c.below(12)),
        });
    }
    format!("World(name: \"K{w}\", platform: Kubernetes({platform}), timeline: [{}])", timeline.join(", "))
}

/// What a world looked like after each instant, for comparing two runs.
#[derive(Debug, PartialEq)]
pub struct Trace {
    pub events: Vec<Event>,
    pub counts: Vec<flotilla::world::Counts>,
}

/// Runs a world to the scenario's end, checking the invariants after every
/// instant; returns what it did.
pub fn run_checked(world: &mut World, end: SimTime) -> Result<Trace, String> {
    let mut last = world.now();
    let mut log = Log::default();
    let mut trace = Trace { events: Vec::new(), counts: Vec::new() };
    while let Some(t) = world.next_event_time() {
        if t > end {
            break;
        }
        world.step();
        if world.now() < last {
            return Err(format!("time went back from {last} to {}", world.now()));
        }
        last = world.now();
        let events = world.drain_events();
        log.follow(&events)?;
        check(world, &log)?;
        trace.events.extend(events);
        trace.counts.push(world.counts().clone());
    }
    Ok(trace)
}

/// The phase of every instance as the event log tells it.
#[derive(Default)]
pub struct Log {
    phase: BTreeMap<InstanceId, Phase>,
    launched: u32,
}

impl Log {
    fn follow(&mut self, events: &[Event]) -> Result<(), String> {
        for e in events {
            match &e.kind {
                EventKind::Launched { instance, .. } => {
                    if self.phase.insert(*instance, Phase::WaitingForPlacement).is_some() {
                        return Err(format!("instance {} launched twice", instance.index()));
                    }
                    self.launched += 1;
                }
                EventKind::PhaseChanged { instance, phase } => {
                    let Some(p) = self.phase.get_mut(instance) else {
                        return Err(format!("instance {} changed phase before it was launched", instance.index()));
                    };
                    if p.is_terminal() {
                        return Err(format!("instance {} left {:?} for {phase:?}", instance.index(), p));
                    }
                    *p = *phase;
                }
                _ => {}
            }
        }
        Ok(())
    }
}

macro_rules! ensure {
    ($cond:expr, $($arg:tt)*) => {
        if !$cond {
            return Err(format!($($arg)*));
        }
    };
}

/// The invariants after an instant.
pub fn check(w: &World, log: &Log) -> Result<(), String> {
    let setup = w.setup();
    let kube = matches!(w.spec().platform, Platform::Kubernetes(_));
    let ratio = if kube { 1.0 } else { w.spec().cpu_allocation_ratio };
    // Hosts: never over capacity (CPU at the world's overcommit ratio).
    let mut on_host: BTreeMap<InstanceId, HostId> = BTreeMap::new();
    for (h, (state, spec)) in w.hosts().iter().zip(&setup.hosts).enumerate() {
        let allocatable = (spec.cpu.0 as f64 * ratio).floor() as u64;
        ensure!(state.cpu_used.0 <= allocatable, "host {h}: cpu {} > {allocatable}", state.cpu_used.0);
        // In Kubernetes the scheduler fits pods' requests into what the node
        // components leave; each pod's runtime shim comes on top of that, so
        // a full node holds its shims beyond the host's memory. (A known gap:
        // real clusters cover the shims in system-reserved.)
        let shims = match &w.spec().platform {
            Platform::Kubernetes(k) => state.instances.len() as u64 * k.runtime_overhead.0,
            _ => 0,
        };
        ensure!(
            state.memory_used.0 <= spec.memory.0 + shims,
            "host {h}: memory {} > {} (+ {shims} of runtime shims)",
            state.memory_used.0,
            spec.memory.0
        );
        ensure!(
            state.disk_reserved.0 + state.cache.pinned().0 <= spec.disk.0,
            "host {h}: committed disk {} + {} > {}",
            state.disk_reserved.0,
            state.cache.pinned().0,
            spec.disk.0
        );
        if !state.up {
            // A Kubernetes pod may be bound to a node whose host just died and
            // the control plane does not know yet; nothing runs there.
            let running =
                state.instances.iter().filter(|&&id| w.instance(id).phase != Phase::WaitingForPlacement).count();
            ensure!(running == 0 && (kube || state.instances.is_empty()), "host {h} is down with instances on it");
        }
        if matches!(w.spec().platform, Platform::Dedicated(_)) {
            ensure!(state.instances.len() <= 1, "host {h}: two instances on a dedicated server");
        }
        for &id in &state.instances {
            ensure!(on_host.insert(id, HostId(h as u32)).is_none(), "instance {} on two hosts", id.index());
            ensure!(
                w.instance(id).host == Some(HostId(h as u32)),
                "instance {} is not where its host says",
                id.index()
            );
        }
    }
    // Instances: in one phase, the one the event log tells; on a host exactly when placed and alive.
    let waiting: Vec<InstanceId> = w.waiting().collect();
    ensure!(
        log.launched as usize == w.instances().len(),
        "{} launched in the log, {} instances",
        log.launched,
        w.instances().len()
    );
    let mut by_phase: BTreeMap<Phase, u32> = BTreeMap::new();
    for inst in w.instances() {
        *by_phase.entry(inst.phase).or_default() += 1;
        ensure!(
            log.phase.get(&inst.id) == Some(&inst.phase),
            "{} is {:?}, the log says {:?}",
            inst.name,
            inst.phase,
            log.phase.get(&inst.id)
        );
        if !kube {
            ensure!(
                waiting.contains(&inst.id) == (inst.phase == Phase::WaitingForPlacement),
                "{} waiting set vs phase",
                inst.name
            );
        }
        let placed = !inst.phase.is_terminal() && inst.phase != Phase::WaitingForPlacement;
        if placed && !(kube && inst.phase == Phase::Unknown) {
            ensure!(on_host.contains_key(&inst.id), "{} ({:?}) is on no host", inst.name, inst.phase);
        }
        if inst.phase.is_terminal() {
            ensure!(!on_host.contains_key(&inst.id), "{} is {:?} but still on a host", inst.name, inst.phase);
        }
        let times: Vec<SimTime> = inst.history.iter().map(|&(_, t)| t).collect();
        ensure!(times.windows(2).all(|p| p[0] <= p[1]), "{} history goes back in time", inst.name);
    }
    // Counts: as the phases add up.
    let n = |p: Phase| by_phase.get(&p).copied().unwrap_or(0);
    let c = w.counts();
    ensure!(c.launched as usize == w.instances().len(), "launched {} vs {}", c.launched, w.instances().len());
    ensure!(c.running == n(Phase::Running), "running {} vs {}", c.running, n(Phase::Running));
    let pending = Phase::ALL.iter().filter(|p| p.is_pending()).map(|&p| n(p)).sum::<u32>();
    ensure!(c.pending == pending, "pending {} vs {pending}", c.pending);
    ensure!(c.stopped == n(Phase::Stopped), "stopped {} vs {}", c.stopped, n(Phase::Stopped));
    ensure!(c.failed == n(Phase::Failed), "failed {} vs {}", c.failed, n(Phase::Failed));
    ensure!(c.unknown == n(Phase::Unknown), "unknown {} vs {}", c.unknown, n(Phase::Unknown));
    // Kubernetes: every pod on at most one node, and no node over its allocatable.
    if let Some(k) = w.kube() {
        let mut bound: BTreeMap<InstanceId, usize> = BTreeMap::new();
        for (i, node) in k.nodes.iter().enumerate() {
            let (mut cpu, mut memory) = (0i64, 0i64);
            for p in &node.pods {
                ensure!(bound.insert(*p, i).is_none(), "pod {} on two nodes", p.index());
                if let Some(pod) = k.pods.get(p) {
                    ensure!(pod.node == Some(node.host), "pod {} is not where its node says", p.index());
                    let (r, ..) = flotilla::world::kubernetes::template_requests(&pod.template);
                    cpu += r.milli_cpu;
                    memory += r.memory;
                }
            }
            ensure!(
                cpu <= node.allocatable.milli_cpu,
                "node {}: requests {cpu}m > {}m",
                node.name,
                node.allocatable.milli_cpu
            );
            ensure!(
                memory <= node.allocatable.memory,
                "node {}: requests {memory} > {}",
                node.name,
                node.allocatable.memory
            );
            ensure!(
                node.pods.len() as i64 <= node.allocatable.pods,
                "node {}: {} pods > {}",
                node.name,
                node.pods.len(),
                node.allocatable.pods
            );
        }
    }
    // Traffic: every request that arrived was served, dropped, or is still
    // inside; outside Kubernetes (where an endpoint may be stale until the
    // control plane notices) only running instances serve; no instance uses
    // more CPU than it holds.
    if let Some(t) = w.traffic() {
        for inst in w.instances() {
            let busy = t.busy(inst.id);
            let cores = match (&w.spec().platform, inst.host) {
                (Platform::Dedicated(_), Some(h)) => setup.hosts[h.index()].cpu.as_cores(),
                _ => w.demand_of(inst).cpu.as_cores(),
            };
            let within = busy <= cores + 1e-9;
            ensure!(within, "{} uses {busy} cores of {cores}", inst.name);
        }
        for s in &t.services {
            if !kube {
                for id in &s.endpoints {
                    ensure!(
                        w.instance(*id).phase == Phase::Running,
                        "{} serves but is not running",
                        w.instance(*id).name
                    );
                }
            }
            if t.mode == TrafficMode::PerRequest {
                ensure!(
                    s.stats.arrived == s.stats.served + s.stats.dropped + s.in_system,
                    "{}: {} arrived, {} served, {} dropped, {} inside",
                    s.spec.name,
                    s.stats.arrived,
                    s.stats.served,
                    s.stats.dropped,
                    s.in_system
                );
            }
        }
    }
    Ok(())
}

/// The budget the fuzz targets run under: small, so that every accepted
/// input runs in well under a second.
pub fn fuzz_options() -> flotilla::scenario::LoadOptions {
    flotilla::scenario::LoadOptions {
        budget: Some(flotilla::scenario::BudgetFile {
            events: Some(2e6),
            memory: Some(flotilla::model::Bytes(256 << 20)),
        }),
    }
}

/// Runs every world of an accepted scenario to its end; a run that schedules
/// more events than the scenario was estimated to need is a budget breach.
fn run_within_estimate(scenario: &flotilla::scenario::Scenario, checked: bool) -> Result<(), String> {
    let end = SimTime::ZERO + scenario.setup.duration;
    let mut events = 0u64;
    for spec in &scenario.worlds {
        let mut world = World::new(scenario.setup.clone(), spec.clone());
        if checked {
            let first = run_checked(&mut world, end).map_err(|e| format!("world {}: {e}", spec.name))?;
            let mut again = World::new(scenario.setup.clone(), spec.clone());
            let second = run_checked(&mut again, end).map_err(|e| format!("world {}: {e}", spec.name))?;
            if first != second {
                return Err(format!("world {}: two runs differ", spec.name));
            }
        } else {
            world.run_until(end);
        }
        events += world.events_scheduled();
    }
    let estimate = scenario.estimate.events();
    if events as f64 > estimate {
        return Err(format!("budget breach: {events} events scheduled, {estimate:.0} estimated"));
    }
    Ok(())
}

/// Any bytes as a scenario file: parsed, validated, weighed and, when
/// accepted, run to its end. Refusals are fine; a panic, a hang or a run
/// beyond its estimate is not.
pub fn fuzz_text(data: &[u8]) -> Result<(), String> {
    match flotilla::scenario::Scenario::parse_bytes_with(data, "fuzz.ron", fuzz_options()) {
        // Every refusal can be shown, and stays short.
        Err(e) => match e.to_string().len() {
            n if n > 64 << 10 => Err(format!("a refusal of {n} bytes")),
            _ => Ok(()),
        },
        Ok(s) => run_within_estimate(&s, false),
    }
}

/// A valid scenario drawn from the bytes: it must be accepted (unless an app
/// fits no host, or it is over the budget), keep every invariant after every
/// instant, run the same twice, and stay within its estimate.
pub fn fuzz_structured(choices: &mut impl Choices) -> Result<(), String> {
    let made = scenario(choices);
    let s =
        match flotilla::scenario::Scenario::parse_with(&made.text, "fuzz.ron", &|_| Err(String::new()), fuzz_options())
        {
            Ok(s) => s,
            Err(e) => {
                let shown = e.to_string();
                if shown.contains("more than any host") || shown.contains("budget: the run needs") {
                    return Ok(());
                }
                return Err(format!("a generated scenario was refused: {shown}\n{}", made.text));
            }
        };
    run_within_estimate(&s, true).map_err(|e| format!("{e}\n{}", made.text))
}
