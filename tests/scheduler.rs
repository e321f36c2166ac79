//! The world's scheduler, which keeps a cache, chooses exactly the nodes a
//! plain implementation of kube-scheduler's cycle chooses (tests/reference_scheduler),
//! through every kind of change a cluster goes through: pods binding and
//! terminating, rolling updates, node failures, cordons and drains, images
//! pulled and evicted, nodes added by the cluster autoscaler.

mod reference_scheduler;

use std::path::Path;

use flotilla::engine::SimTime;
use flotilla::model::spec::Platform;
use flotilla::report;
use flotilla::scenario::{self, Scenario};
use flotilla::world::World;

#[derive(Clone, Copy, PartialEq)]
enum Scheduler {
    /// The world's own, keeping no verdicts (as headless runs do).
    Cache,
    /// The world's own, keeping every cycle's verdicts and scores (as the app does).
    CacheKeepingVerdicts,
    Plain,
}

/// Every event of every Kubernetes world of the scenario, as JSON lines.
fn event_log(s: &Scenario, scheduler: Scheduler) -> String {
    let mut out = String::new();
    for spec in s.worlds.iter().filter(|w| matches!(w.platform, Platform::Kubernetes(_))) {
        let mut world = World::new(s.setup.clone(), spec.clone());
        match scheduler {
            Scheduler::Cache => {}
            Scheduler::CacheKeepingVerdicts => world.keep_decisions(usize::MAX),
            Scheduler::Plain => world.replace_scheduler(reference_scheduler::schedule),
        }
        let end = SimTime::ZERO + s.setup.duration;
        while world.next_event_time().is_some_and(|t| t <= end) {
            world.step();
            for e in world.drain_events() {
                out.push_str(&report::event_json(&s.setup, &world, &e).to_string());
                out.push('\n');
            }
        }
    }
    out
}

fn assert_same_placements(s: &Scenario) {
    let fast = event_log(s, Scheduler::Cache);
    let plain = event_log(s, Scheduler::Plain);
    assert!(fast.lines().filter(|l| l.contains("\"Placed\"")).count() > 0, "{}: nothing was placed", s.name);
    if fast != plain {
        let first = fast.lines().zip(plain.lines()).position(|(a, b)| a != b).unwrap_or(0);
        panic!(
            "{}: the event logs part at line {}:\n  cache: {}\n  plain: {}",
            s.name,
            first + 1,
            fast.lines().nth(first).unwrap_or("(end)"),
            plain.lines().nth(first).unwrap_or("(end)")
        );
    }
}

#[test]
fn the_shipped_kubernetes_scenarios_place_every_pod_as_the_plain_scheduler_does() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    for file in scenario::collect_files(&dir).unwrap() {
        let s = Scenario::load(&file).unwrap();
        if s.worlds.iter().any(|w| matches!(w.platform, Platform::Kubernetes(_))) {
            assert_same_placements(&s);
        }
    }
}

/// 130 nodes in three zones (so that `percentageOfNodesToScore` leaves some
/// out), some tainted, some labelled, not every image everywhere; pods with
/// selectors, affinities, tolerations and spread constraints of their own;
/// a rolling update, a node that fails, a cordon, a drain, and a node group
/// the cluster autoscaler grows.
const VARIED: &str = r#"Scenario(
    name: "varied", seed: 11, duration: "25m",
    registry: Registry(bandwidth: "10Gbps"),
    hosts: [
        HostGroup(name: "a", count: 40, cpu: "8", memory: "32Gi", zone: "zone-a", labels: {"disk": "ssd"},
                  cached_images: ["web:1", "base"]),
        HostGroup(name: "b", count: 40, cpu: "16", memory: "64Gi", zone: "zone-b", cached_images: ["api:1"]),
        HostGroup(name: "c", count: 30, cpu: "4", memory: "16Gi", zone: "zone-c",
                  taints: [Taint(key: "spot", value: "true", effect: PreferNoSchedule)]),
        HostGroup(name: "db", count: 10, cpu: "32", memory: "128Gi", zone: "zone-a",
                  taints: [Taint(key: "dedicated", value: "db", effect: NoSchedule)], cached_images: ["db:1"]),
        HostGroup(name: "spare", count: 10, cpu: "8", memory: "32Gi", zone: "zone-b"),
    ],
    images: [
        Image(name: "base", layers: ["30MB"]),
        Image(name: "web:1", base: "base", layers: ["40MB"]),
        Image(name: "web:2", base: "base", layers: ["45MB"]),
        Image(name: "api:1", layers: ["300MB"]),
        Image(name: "db:1", layers: ["600MB"]),
    ],
    apps: [App(name: "web", image: "web:1", cpu: "500m", memory: "1Gi")],
    worlds: [
        World(name: "Default", platform: Kubernetes(cluster_autoscaler: ClusterAutoscaler(
            node_groups: [NodeGroup(hosts: "spare", min: 0, initial: 0, provisioning_time: Uniform(min: "30s", max: "90s"))]))),
        World(name: "Packing", platform: Kubernetes(scheduler: KubeSchedulerConfiguration(
            percentageOfNodesToScore: 30,
            profiles: [Profile(
                plugins: Plugins(score: PluginSet(enabled: [Plugin(name: "NodeResourcesFit", weight: 5)])),
                pluginConfig: [PluginConfig(name: "NodeResourcesFit", args: NodeResourcesFitArgs(
                    scoringStrategy: ScoringStrategy(type: MostAllocated,
                        resources: [ResourceSpec(name: "cpu", weight: 2), ResourceSpec(name: "memory", weight: 1)])))],
            )]))),
        World(name: "Ratio", platform: Kubernetes(scheduler: KubeSchedulerConfiguration(profiles: [Profile(
            pluginConfig: [PluginConfig(name: "NodeResourcesFit", args: NodeResourcesFitArgs(
                scoringStrategy: ScoringStrategy(type: RequestedToCapacityRatio,
                    requestedToCapacityRatio: RequestedToCapacityRatioParam(shape: [
                        UtilizationShapePoint(utilization: 0, score: 0),
                        UtilizationShapePoint(utilization: 100, score: 10)]))))],
        )]))),
    ],
    timeline: [
        At("0s", Launch(app: "web", count: 120)),
        At("0s", Apply(Deployment(name: "api", replicas: 60,
            template: PodTemplate(
                affinity: Affinity(nodeAffinity: NodeAffinity(
                    preferredDuringSchedulingIgnoredDuringExecution: [
                        PreferredSchedulingTerm(weight: 10, preference: NodeSelectorTerm(matchExpressions: [
                            Requirement(key: "topology.kubernetes.io/zone", operator: In, values: ["zone-b"])]))])),
                topologySpreadConstraints: [
                    TopologySpreadConstraint(maxSkew: 2, topologyKey: "topology.kubernetes.io/zone",
                        whenUnsatisfiable: DoNotSchedule, labelSelector: {"app": "api"}),
                    TopologySpreadConstraint(maxSkew: 1, topologyKey: "kubernetes.io/hostname",
                        whenUnsatisfiable: ScheduleAnyway, labelSelector: {"app": "api"})],
                containers: [Container(name: "api", image: "api:1",
                    resources: Resources(requests: ResourceList(cpu: "1", memory: "2Gi")))])))),
        At("0s", Apply(Deployment(name: "db", replicas: 8,
            template: PodTemplate(
                nodeSelector: {"topology.kubernetes.io/zone": "zone-a"},
                tolerations: [Toleration(key: "dedicated", operator: Equal, value: "db", effect: NoSchedule)],
                containers: [Container(name: "db", image: "db:1",
                    resources: Resources(requests: ResourceList(cpu: "6", memory: "24Gi")))])))),
        At("0s", Apply(Deployment(name: "ssd", replicas: 30,
            template: PodTemplate(
                affinity: Affinity(nodeAffinity: NodeAffinity(requiredDuringSchedulingIgnoredDuringExecution: [
                    NodeSelectorTerm(matchExpressions: [Requirement(key: "disk", operator: Exists)])])),
                topologySpreadConstraints: [
                    TopologySpreadConstraint(maxSkew: 1, topologyKey: "kubernetes.io/hostname",
                        whenUnsatisfiable: DoNotSchedule, labelSelector: {"app": "ssd"})],
                containers: [Container(name: "ssd", image: "web:2",
                    resources: Resources(requests: ResourceList(cpu: "250m")))])))),
        At("0s", Apply(Deployment(name: "api-canary", namespace: "canary", replicas: 12,
            template: PodTemplate(
                labels: {"app": "api"},
                topologySpreadConstraints: [
                    TopologySpreadConstraint(maxSkew: 1, topologyKey: "kubernetes.io/hostname",
                        whenUnsatisfiable: DoNotSchedule, labelSelector: {"app": "api"})],
                containers: [Container(name: "api", image: "api:1",
                    resources: Resources(requests: ResourceList(cpu: "250m", memory: "512Mi")))])))),
        At("0s", Apply(Deployment(name: "besteffort", replicas: 25,
            template: PodTemplate(containers: [Container(name: "be", image: "base")])))),
        At("3m", FailNode("b-3")),
        At("3m", Cordon("a-1")),
        At("4m", Drain("a-2")),
        At("5m", SetImage(deployment: "web", image: "web:2")),
        At("6m", Scale(deployment: "api", replicas: 420)),
        At("7m", Apply(Deployment(name: "huge", replicas: 2,
            template: PodTemplate(containers: [Container(name: "huge", image: "base",
                resources: Resources(requests: ResourceList(cpu: "20", memory: "8Gi")))])))),
        At("9m", Scale(deployment: "besteffort", replicas: 5)),
        At("10m", Uncordon("a-1")),
        At("12m", RecoverNode("b-3")),
    ],
    expect: ["Default.pods.running > 0"],
)"#;

#[test]
fn a_varied_cluster_places_every_pod_as_the_plain_scheduler_does() {
    let s = Scenario::parse(VARIED, "varied.ron").unwrap_or_else(|e| panic!("{e}"));
    assert_same_placements(&s);
}

#[test]
fn keeping_every_verdict_for_the_inspector_changes_no_placement() {
    let s = Scenario::parse(VARIED, "varied.ron").unwrap_or_else(|e| panic!("{e}"));
    assert!(event_log(&s, Scheduler::Cache) == event_log(&s, Scheduler::CacheKeepingVerdicts));
}
