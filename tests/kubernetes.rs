//! A Kubernetes world end to end: the scheduler's message for a pod that
//! fits nowhere, node-lifecycle timings with the default timeouts, taints and
//! tolerations, the kubelet's restart back-off, a drain, and the cluster
//! autoscaler's choice of nodes to add and to remove.

use flotilla::engine::{SimDuration, SimTime};
use flotilla::model::Phase;
use flotilla::scenario::Scenario;
use flotilla::world::World;
use flotilla::world::kubernetes::NodeCondition;

fn world(text: &str) -> World {
    let s = Scenario::parse(text, "test.ron").unwrap_or_else(|e| panic!("{e}"));
    World::new(s.setup.clone(), s.worlds[0].clone())
}

const HOSTS: &str = r#"
    hosts: [
        HostGroup(name: "node", count: 3, cpu: "4", memory: "16Gi", cached_images: ["app:1"]),
        HostGroup(name: "db", count: 2, cpu: "16", memory: "64Gi", cached_images: ["app:1"],
                  taints: [Taint(key: "dedicated", value: "db", effect: NoSchedule)]),
    ],
    images: [Image(name: "app:1", layers: ["10MB"])],
"#;

fn scenario(worlds_and_timeline: &str) -> String {
    format!(
        r#"Scenario(name: "k8s", seed: 1, duration: "20m", {HOSTS}
        apps: [App(name: "app", image: "app:1", cpu: "1", memory: "1Gi")],
        {worlds_and_timeline})"#
    )
}

#[test]
fn a_pod_that_fits_nowhere_carries_kube_schedulers_message() {
    // 8 cores: the three 4-core nodes are too small, the two 16-core ones are tainted. The
    // 4-core nodes could not hold the pod even empty, so preemption cannot help there either
    // (`InsufficientResource.Unresolvable`, kube-scheduler v1.34).
    let mut w = world(&scenario(
        r#"worlds: [World(name: "K", platform: Kubernetes(), timeline: [At("0s", Apply(Deployment(name: "big",
            template: PodTemplate(containers: [Container(name: "big", image: "app:1",
                resources: Resources(requests: ResourceList(cpu: "8", memory: "1Gi")))]))))])]"#,
    ));
    w.keep_decisions(1_000);
    w.run_until(SimTime(10_000_000));
    let k = w.kube().unwrap();
    let (id, _) = k.pods.iter().next().expect("one pod");
    assert_eq!(
        k.decision(id).unwrap().message.as_deref(),
        Some(
            "0/5 nodes are available: 2 node(s) had untolerated taint(s), 3 Insufficient cpu. \
             preemption: 0/5 nodes are available: 5 Preemption is not helpful for scheduling."
        )
    );
    assert_eq!(k.stats.scheduling_unschedulable, 1);
    assert_eq!(w.instance(id).phase, Phase::WaitingForPlacement);
    assert!(w.instance(id).wait_reason.as_deref().unwrap().starts_with("0/5 nodes are available"));
}

#[test]
fn a_toleration_lets_a_pod_onto_a_tainted_node() {
    let mut w = world(&scenario(
        r#"worlds: [World(name: "K", platform: Kubernetes(), timeline: [At("0s", Apply(Deployment(name: "big",
            template: PodTemplate(
                tolerations: [Toleration(key: "dedicated", operator: Equal, value: "db", effect: NoSchedule)],
                containers: [Container(name: "big", image: "app:1",
                    resources: Resources(requests: ResourceList(cpu: "8", memory: "1Gi")))]))))])]"#,
    ));
    w.run_until(SimTime(10_000_000));
    let k = w.kube().unwrap();
    let (id, pod) = k.pods.iter().next().unwrap();
    let host = pod.node.expect("bound");
    assert!(w.setup().hosts[host.index()].name.starts_with("db-"));
    assert_eq!(w.instance(id).phase, Phase::Running);
}

/// Six pods on the three plain nodes; node-1 fails at 61 s, and comes back at `recover` if given.
fn node_1_fails_at_61s(recover: Option<&str>) -> World {
    let back = recover.map_or(String::new(), |t| format!(r#", At("{t}", RecoverNode("node-1"))"#));
    world(&scenario(&format!(
        r#"worlds: [World(name: "K", platform: Kubernetes())],
        timeline: [At("0s", Launch(app: "app", count: 6)), At("61s", FailNode("node-1")){back}]"#
    )))
}

#[test]
fn node_lifecycle_follows_the_default_timeouts() {
    // Heartbeats every 10 s, the monitor every 5 s, grace 50 s, toleration 300 s.
    // node-1 fails at 61 s, just after its heartbeat at 60 s: silent for more than
    // 50 s first at the 115 s monitor pass (115 − 60 = 55 > 50; at 110 it is exactly 50).
    let mut w = node_1_fails_at_61s(None);
    w.run_until(SimTime(114_000_000));
    let node = |w: &World| w.kube().unwrap().nodes[0].condition;
    assert_eq!(node(&w), NodeCondition::Ready);
    let lost: Vec<_> = w.kube().unwrap().nodes[0].pods.iter().copied().collect();
    assert!(!lost.is_empty(), "the scheduler spread pods onto node-1");
    assert!(lost.iter().all(|p| w.instance(*p).phase == Phase::Unknown));
    w.run_until(SimTime(115_000_000));
    assert_eq!(node(&w), NodeCondition::NotReady);
    let k = w.kube().unwrap();
    assert!(k.nodes[0].taints.iter().any(|t| t.key == "node.kubernetes.io/unreachable"));
    for p in &lost {
        assert_eq!(k.pods[p].eviction_at, Some(SimTime(415_000_000)), "evicted 300 s after the taint");
        assert!(!k.pods[p].ready);
    }
    w.run_until(SimTime(414_000_000));
    assert!(lost.iter().all(|p| w.instance(*p).phase == Phase::Unknown));
    w.run_until(SimTime(420_000_000));
    // Deleted, they stay Terminating: no kubelet is there to confirm that they are gone.
    let k = w.kube().unwrap();
    assert!(lost.iter().all(|p| w.instance(*p).phase == Phase::Unknown && k.pods[p].deleting));
    assert_eq!(w.counts().running, 6, "replacements run elsewhere");
    let recovery = w.kube().unwrap().stats.last_recovery.expect("recovered");
    // 415 s eviction + about half a second to start, minus the 61 s failure.
    assert!(recovery > SimDuration::from_secs(354) && recovery < SimDuration::from_secs(356), "{recovery:?}");
}

/// A cluster of node groups (name, count, zone), each node 4 CPU with the
/// image, running `pods` pods of 1 CPU, and the hosts that fail, with when
/// (`RecoverNode` when the host's name starts with `+`).
fn zoned(groups: &[(&str, u32, Option<&str>)], pods: u32, failures: &[(&str, &str)]) -> World {
    let hosts: Vec<String> = groups
        .iter()
        .map(|(name, count, zone)| {
            let zone = zone.map(|z| format!(r#", zone: "{z}""#)).unwrap_or_default();
            format!(
                r#"HostGroup(name: "{name}", count: {count}, cpu: "4", memory: "16Gi", cached_images: ["app:1"]{zone})"#
            )
        })
        .collect();
    let failures: Vec<String> = failures
        .iter()
        .map(|(at, host)| match host.strip_prefix('+') {
            Some(host) => format!(r#"At("{at}", RecoverNode("{host}"))"#),
            None => format!(r#"At("{at}", FailNode("{host}"))"#),
        })
        .collect();
    world(&format!(
        r#"Scenario(name: "zones", seed: 1, duration: "30m", hosts: [{}],
        images: [Image(name: "app:1", layers: ["10MB"])],
        apps: [App(name: "app", image: "app:1", cpu: "1", memory: "1Gi")],
        worlds: [World(name: "K", platform: Kubernetes())],
        timeline: [At("0s", Launch(app: "app", count: {pods})), {}])"#,
        hosts.join(", "),
        failures.join(", ")
    ))
}

/// Whether the node carries the unreachable NoExecute taint, which starts evictions.
fn tainted_no_execute(w: &World, node: &str) -> bool {
    let k = w.kube().unwrap();
    let node = k.nodes.iter().find(|n| n.name == node).expect("a node of that name");
    node.taints
        .iter()
        .any(|t| t.key == "node.kubernetes.io/unreachable" && t.effect == flotilla::model::kube::TaintEffect::NoExecute)
}

#[test]
fn nodes_lost_together_are_tainted_for_eviction_ten_seconds_apart() {
    // --node-eviction-rate 0.1: one node a second... a tenth, per zone. Three
    // of eight nodes fail at 61 s and go NotReady together at 115 s (3/8 is
    // under the 0.55 that makes a zone unhealthy): their NoExecute taints
    // come at 115, 125 and 135 s, and their pods' evictions 300 s after each.
    let failures = [("61s", "node-1"), ("61s", "node-2"), ("61s", "node-3")];
    let mut w = zoned(&[("node", 8, None)], 16, &failures);
    w.run_until(SimTime(115_000_000));
    assert!(tainted_no_execute(&w, "node-1") && !tainted_no_execute(&w, "node-2"));
    let k = w.kube().unwrap();
    assert!(k.nodes[1].taints.iter().any(|t| t.key == "node.kubernetes.io/unreachable"), "NoSchedule at once");
    w.run_until(SimTime(124_900_000));
    assert!(!tainted_no_execute(&w, "node-2"));
    w.run_until(SimTime(125_000_000));
    assert!(tainted_no_execute(&w, "node-2") && !tainted_no_execute(&w, "node-3"));
    w.run_until(SimTime(135_000_000));
    assert!(tainted_no_execute(&w, "node-3"));
    let k = w.kube().unwrap();
    for (n, evicted_at) in [(0, 415), (1, 425), (2, 435)] {
        assert!(!k.nodes[n].pods.is_empty());
        for p in k.nodes[n].pods.iter() {
            assert_eq!(k.pods[p].eviction_at, Some(SimTime(evicted_at * 1_000_000)), "node-{}", n + 1);
        }
    }
}

#[test]
fn a_small_zone_mostly_not_ready_evicts_nothing() {
    // 3 of 5 nodes (more than two, and 0.6 ≥ 0.55): the zone is partially
    // disrupted, and with no more than --large-cluster-size-threshold (50)
    // nodes its eviction rate is 0. Once one is back (2 of 5), the zone is
    // normal again; the new bucket starts empty, so the others are tainted
    // 10 and 20 s after the check that saw it.
    let failures = [("61s", "node-1"), ("61s", "node-2"), ("61s", "node-3")];
    let mut w = zoned(&[("node", 5, None)], 10, &failures);
    w.run_until(SimTime(600_000_000));
    for node in ["node-1", "node-2", "node-3"] {
        assert!(!tainted_no_execute(&w, node), "{node}");
    }
    let k = w.kube().unwrap();
    assert!(k.nodes[0].pods.iter().all(|p| k.pods[p].eviction_at.is_none()));
    assert!(k.nodes[0].pods.iter().all(|p| w.instance(*p).phase == Phase::Unknown), "still on the node");
    let recovered = [("61s", "node-1"), ("61s", "node-2"), ("61s", "node-3"), ("10m", "+node-1")];
    let mut w = zoned(&[("node", 5, None)], 10, &recovered);
    w.run_until(SimTime(700_000_000));
    let k = w.kube().unwrap();
    assert_eq!(k.nodes[0].condition, NodeCondition::Ready);
    let evictions: Vec<SimTime> =
        [1, 2].iter().map(|&n| k.pods[k.nodes[n].pods.iter().next().unwrap()].eviction_at.unwrap()).collect();
    assert_eq!(evictions[1].since(evictions[0]), SimDuration::from_secs(10));
}

#[test]
fn every_node_not_ready_stops_evictions_and_lifts_the_taints() {
    // Master disruption mode: node-1 and node-2 fail at 61 s and node-1 is
    // tainted at 115 s (2 of 3 is a normal zone); node-3 fails at 71 s and
    // is NotReady at 125 s. Every node of the cluster is then NotReady: the
    // controller takes that for its own network's fault, takes the NoExecute
    // taints off and evicts nothing.
    let failures = [("61s", "node-1"), ("61s", "node-2"), ("71s", "node-3")];
    let mut w = zoned(&[("node", 3, None)], 6, &failures);
    w.run_until(SimTime(115_000_000));
    assert!(tainted_no_execute(&w, "node-1"));
    w.run_until(SimTime(1_200_000_000));
    let k = w.kube().unwrap();
    for n in 0..3 {
        assert_eq!(k.nodes[n].condition, NodeCondition::NotReady);
        assert!(!tainted_no_execute(&w, &k.nodes[n].name), "node-{}", n + 1);
        assert!(k.nodes[n].pods.iter().all(|p| w.instance(*p).phase == Phase::Unknown), "node-{}", n + 1);
    }
}

#[test]
fn a_large_zone_mostly_not_ready_evicts_at_the_secondary_rate() {
    // 40 of 60 nodes: partially disrupted, and larger than 50 nodes, so
    // --secondary-node-eviction-rate 0.01: a node every 100 s, as the
    // controller's float32 rate has it (0.01 is 0.0099999998), so the token
    // is there at the 100 ms pass after 100 s, not at it.
    let failures: Vec<(String, String)> = (1..=40).map(|i| ("61s".to_string(), format!("node-{i}"))).collect();
    let failures: Vec<(&str, &str)> = failures.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let mut w = zoned(&[("node", 60, None)], 60, &failures);
    w.run_until(SimTime(115_000_000));
    assert!(tainted_no_execute(&w, "node-1") && !tainted_no_execute(&w, "node-2"));
    w.run_until(SimTime(215_000_000));
    assert!(!tainted_no_execute(&w, "node-2"));
    w.run_until(SimTime(215_100_000));
    assert!(tainted_no_execute(&w, "node-2") && !tainted_no_execute(&w, "node-3"));
    w.run_until(SimTime(315_200_000));
    assert!(tainted_no_execute(&w, "node-3"));
}

#[test]
fn each_zone_has_its_own_eviction_rate() {
    // Zone a loses all three nodes (fully disrupted: it evicts at the normal
    // rate, since zone b is up), zone b one: each zone's bucket gives its
    // first token at once.
    let failures = [("61s", "a-1"), ("61s", "a-2"), ("61s", "a-3"), ("61s", "b-1")];
    let mut w = zoned(&[("a", 3, Some("a")), ("b", 3, Some("b"))], 12, &failures);
    w.run_until(SimTime(115_000_000));
    assert!(tainted_no_execute(&w, "a-1") && tainted_no_execute(&w, "b-1"));
    assert!(!tainted_no_execute(&w, "a-2"));
    w.run_until(SimTime(125_000_000));
    assert!(tainted_no_execute(&w, "a-2") && !tainted_no_execute(&w, "a-3"));
    w.run_until(SimTime(135_000_000));
    assert!(tainted_no_execute(&w, "a-3"));
}

#[test]
fn a_node_back_before_eviction_restarts_its_pods() {
    let mut w = node_1_fails_at_61s(Some("3m"));
    w.run_until(SimTime(170_000_000));
    let lost: Vec<_> = w.kube().unwrap().nodes[0].pods.iter().copied().collect();
    assert!(lost.iter().all(|p| w.instance(*p).phase == Phase::Unknown));
    w.run_until(SimTime(200_000_000));
    let k = w.kube().unwrap();
    assert_eq!(k.nodes[0].condition, NodeCondition::Ready);
    for p in &lost {
        assert_eq!(w.instance(*p).phase, Phase::Running, "restarted in place");
        assert_eq!(k.pods[p].restarts, 1);
        assert_eq!(k.pods[p].eviction_at, None);
    }
}

#[test]
fn pods_evicted_from_a_dead_node_stay_terminating_until_its_kubelet_is_back() {
    // node-1 fails at 61 s; its pods are evicted at 415 s and replaced elsewhere, but the API
    // server keeps them, Terminating, until the kubelet is back (at 10 min) to find their
    // containers gone: only then are they deleted, and nothing on node-1 starts again.
    let mut w = node_1_fails_at_61s(Some("10m"));
    w.run_until(SimTime(420_000_000));
    let k = w.kube().unwrap();
    let lost: Vec<_> = k.nodes[0].pods.iter().copied().collect();
    assert!(!lost.is_empty(), "the scheduler spread pods onto node-1");
    assert!(lost.iter().all(|p| k.pods[p].deleting && !k.pods[p].ready));
    assert_eq!(k.pods.len(), 6 + lost.len(), "six pods and the Terminating ones");
    assert_eq!(w.counts().running, 6);
    assert!(k.stats.last_recovery.is_some(), "the Deployment has its replicas Ready");
    w.run_until(SimTime(599_000_000));
    assert_eq!(w.kube().unwrap().pods.len(), 6 + lost.len());
    w.run_until(SimTime(601_000_000));
    let k = w.kube().unwrap();
    assert_eq!(k.nodes[0].condition, NodeCondition::Ready);
    assert!(lost.iter().all(|p| !k.pods.contains_key(p) && w.instance(*p).phase == Phase::Failed));
    assert_eq!(k.pods.len(), 6);
    assert!(k.nodes[0].pods.is_empty());
    assert_eq!(w.counts().running, 6);
}

#[test]
fn a_kubelet_back_before_its_node_is_not_ready_starts_every_pod_bound_to_it() {
    // node-1 fails at 61 s and is back at 90 s, before the node lifecycle
    // controller would call it NotReady (115 s, as above): the control plane
    // never notices, and binds to it some of the pods the scale-up at 65 s
    // adds. Its kubelet, back, starts those, and starts again the one pod
    // whose container died with the host (restarts 1).
    let mut w = world(&scenario(
        r#"worlds: [World(name: "K", platform: Kubernetes(), timeline: [At("65s", Scale(deployment: "app", replicas: 9))])],
        timeline: [At("0s", Launch(app: "app", count: 3)), At("61s", FailNode("node-1")), At("90s", RecoverNode("node-1"))]"#,
    ));
    w.run_until(SimTime(89_000_000));
    let k = w.kube().unwrap();
    let bound: Vec<_> = k.nodes[0].pods.iter().copied().collect();
    let lost: Vec<_> = bound.iter().copied().filter(|p| w.instance(*p).phase == Phase::Unknown).collect();
    let unstarted: Vec<_> =
        bound.iter().copied().filter(|p| w.instance(*p).phase == Phase::WaitingForPlacement).collect();
    assert_eq!(lost.len(), 1, "one of the first three pods ran on node-1");
    assert!(!unstarted.is_empty(), "the scheduler bound new pods to the silent node");
    assert_eq!(lost.len() + unstarted.len(), bound.len());
    w.run_until(SimTime(120_000_000));
    let k = w.kube().unwrap();
    assert_eq!(k.nodes[0].condition, NodeCondition::Ready);
    for p in &bound {
        assert_eq!(w.instance(*p).phase, Phase::Running, "started on node-1");
        assert!(k.pods[p].ready);
    }
    assert_eq!(k.pods[&lost[0]].restarts, 1);
    assert!(unstarted.iter().all(|p| k.pods[p].restarts == 0));
    assert_eq!(w.counts().running, 9);
}

#[test]
fn a_host_groups_max_pods_caps_the_pods_on_each_of_its_nodes() {
    // The three 4-core nodes take 2 pods each (max_pods), the tainted db nodes
    // none: 6 of 8 one-core pods run, the others fit nowhere, "Too many pods"
    // on the three nodes that have the cores.
    let text = scenario(
        r#"worlds: [World(name: "K", platform: Kubernetes())],
        timeline: [At("0s", Launch(app: "app", count: 8))]"#,
    )
    .replace(r#"HostGroup(name: "node", count: 3,"#, r#"HostGroup(name: "node", count: 3, max_pods: 2,"#);
    let mut w = world(&text);
    w.run_until(SimTime(60_000_000));
    let k = w.kube().unwrap();
    assert!(k.nodes[..3].iter().all(|n| n.allocatable.pods == 2 && n.pods.len() == 2));
    assert_eq!(w.counts().running, 6);
    let waiting: Vec<_> = k.pods.iter().filter(|(id, _)| w.instance(*id).phase == Phase::WaitingForPlacement).collect();
    assert_eq!(waiting.len(), 2);
    for (id, _) in waiting {
        let reason = w.instance(id).wait_reason.as_deref().unwrap();
        assert!(reason.contains("3 Too many pods"), "{reason}");
    }
}

#[test]
fn crashing_containers_back_off_10_20_40_seconds() {
    let mut w = world(&scenario(
        r#"worlds: [World(name: "K", platform: Kubernetes(container_start_time: Constant("0s")),
            timeline: [At("0s", Apply(Deployment(name: "crash", replicas: 1,
                template: PodTemplate(containers: [Container(name: "c", image: "app:1", exitsAfter: "1s")]))))])]"#,
    ));
    w.run_until(SimTime(200_000_000));
    let k = w.kube().unwrap();
    let (id, pod) = k.pods.iter().next().unwrap();
    let inst = w.instance(id);
    // Ready, exit after 1 s, back-off 10 s, start, exit after 1 s, back-off 20 s, …
    let starts: Vec<f64> = inst
        .history
        .iter()
        .filter(|(p, _)| *p == Phase::Running)
        .map(|(_, t)| (t.as_secs_f64() * 10.0).round() / 10.0)
        .collect();
    let gaps: Vec<f64> = starts.windows(2).map(|w| ((w[1] - w[0]) * 10.0).round() / 10.0).collect();
    assert!(gaps.starts_with(&[11.0, 21.0, 41.0, 81.0]), "{gaps:?}");
    assert!(pod.restarts >= 4);
}

#[test]
fn drain_moves_every_pod_off_the_node() {
    let mut w = world(&scenario(
        r#"worlds: [World(name: "K", platform: Kubernetes())],
        timeline: [At("0s", Launch(app: "app", count: 6)), At("30s", Drain("node-2"))]"#,
    ));
    w.run_until(SimTime(29_000_000));
    assert!(!w.kube().unwrap().nodes[1].pods.is_empty());
    w.run_until(SimTime(60_000_000));
    let k = w.kube().unwrap();
    assert!(k.nodes[1].pods.is_empty());
    assert!(k.nodes[1].unschedulable);
    assert_eq!(w.counts().running, 6);
}

#[test]
fn an_image_named_without_a_tag_is_its_latest_tag() {
    // The node caches "gcr.io/web:latest" and the pod runs "gcr.io/web": one
    // image, as the kubelet and ImageLocality see it (normalizedImageName).
    let mut w = world(
        r#"Scenario(name: "k8s", seed: 1, duration: "5m",
        hosts: [HostGroup(name: "plain", count: 2, cpu: "4", memory: "16Gi"),
                HostGroup(name: "cached", count: 1, cpu: "4", memory: "16Gi", cached_images: ["gcr.io/web:latest"])],
        images: [Image(name: "gcr.io/web", layers: ["500MB"])],
        apps: [App(name: "web", image: "gcr.io/web", cpu: "1", memory: "1Gi")],
        worlds: [World(name: "K", platform: Kubernetes(), timeline: [At("0s", Apply(Deployment(name: "web",
            template: PodTemplate(containers: [Container(name: "web", image: "gcr.io/web:latest")]))))])])"#,
    );
    w.keep_decisions(1_000);
    w.run_until(SimTime(10_000_000));
    let k = w.kube().unwrap();
    let (id, pod) = k.pods.iter().next().expect("one pod");
    let decision = k.decision(id).unwrap();
    let image_score = |node: usize| {
        let v = decision.verdicts.iter().find(|v| v.node.index() == node).unwrap();
        v.scores.iter().find(|s| s.plugin == "ImageLocality").unwrap().raw
    };
    // 500 MB on one node of three: 100 · (500 MB / 3 − 23 MiB) / (1000 − 23) MiB = 13.
    assert_eq!([image_score(0), image_score(1), image_score(2)], [0, 0, 13]);
    assert_eq!(pod.node.map(|h| h.index()), Some(2));
}

#[test]
fn one_image_may_not_be_declared_with_and_without_its_latest_tag() {
    let err = Scenario::parse(
        r#"Scenario(name: "x", duration: "1m", hosts: [HostGroup(name: "n", count: 1, cpu: "4", memory: "16Gi")],
        images: [Image(name: "web", layers: ["1MB"]), Image(name: "web:latest", layers: ["1MB"])],
        apps: [], worlds: [World(name: "K", platform: Kubernetes())])"#,
        "test.ron",
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains(r#"images[1].name: "web:latest" names the same image as images[0] ("web"): a name with no tag means "web:latest""#), "{err}");
}

fn hpa_scenario(hpa: &str) -> Result<Scenario, String> {
    Scenario::parse(
        &format!(
            r#"Scenario(name: "x", duration: "1m", hosts: [HostGroup(name: "n", count: 1, cpu: "4", memory: "16Gi")],
            images: [Image(name: "web:1", layers: ["1MB"])],
            apps: [App(name: "web", image: "web:1", cpu: "1", memory: "1Gi")],
            worlds: [World(name: "K", platform: Kubernetes(), timeline: [
                At("0s", Launch(app: "web", count: 1)),
                At("0s", Apply(HorizontalPodAutoscaler(name: "web", scaleTargetRef: "web", maxReplicas: 5, {hpa})))])])"#
        ),
        "test.ron",
    )
    .map_err(|e| e.to_string())
}

#[test]
fn an_hpas_tolerances_are_quantities_and_bound_its_target() {
    // The default band (0.1) leaves 90 % as the highest CPU target that can scale up.
    assert!(hpa_scenario("targetCPUUtilizationPercentage: 90").is_ok());
    let err = hpa_scenario("targetCPUUtilizationPercentage: 95").unwrap_err();
    assert!(err.contains("targetCPUUtilizationPercentage: between 1 and 90"), "{err}");
    // A scale-up tolerance of 0.01 ("10m") lets 95 % scale up: 100/95 = 1.053 > 1.01.
    for t in [r#""10m""#, r#""0.01""#, "0.01"] {
        let hpa =
            format!("targetCPUUtilizationPercentage: 95, behavior: Behavior(scaleUp: ScalingRules(tolerance: {t}))");
        assert!(hpa_scenario(&hpa).is_ok(), "{t}: {:?}", hpa_scenario(&hpa).err());
    }
    let err = hpa_scenario(
        r#"targetCPUUtilizationPercentage: 50, behavior: Behavior(scaleDown: ScalingRules(tolerance: "-0.1"))"#,
    )
    .unwrap_err();
    assert!(
        err.contains(r#"behavior.scaleDown.tolerance: Invalid value: "-0.1": must be greater than or equal to 0"#),
        "{err}"
    );
    let err = hpa_scenario(
        r#"targetCPUUtilizationPercentage: 50, behavior: Behavior(scaleUp: ScalingRules(tolerance: "ten percent"))"#,
    )
    .unwrap_err();
    assert!(err.contains(r#""ten percent" is not a quantity such as "0.05" or "50m""#), "{err}");
}

#[test]
fn a_surge_above_100_percent_starts_every_new_pod_at_once() {
    // maxSurge "150%" of 4 replicas (6) with maxUnavailable 0: on a new image the new ReplicaSet
    // goes to all 4 replicas in the first sync, 8 pods side by side.
    let mut w = world(
        r#"Scenario(name: "k8s", seed: 1, duration: "5m",
        hosts: [HostGroup(name: "n", count: 4, cpu: "8", memory: "32Gi", cached_images: ["web:1", "web:2"])],
        images: [Image(name: "web:1", layers: ["1MB"]), Image(name: "web:2", layers: ["1MB"])],
        apps: [App(name: "web", image: "web:1", cpu: "1", memory: "1Gi")],
        worlds: [World(name: "K", platform: Kubernetes(), timeline: [
            At("0s", Apply(Deployment(name: "web", replicas: 4,
                strategy: RollingUpdate(maxSurge: "150%", maxUnavailable: 0),
                template: PodTemplate(containers: [Container(name: "web", image: "web:1")])))),
            At("60s", SetImage(deployment: "web", image: "web:2"))])])"#,
    );
    w.run_until(SimTime(61_000_000));
    let launched: Vec<f64> = w.instances().iter().map(|i| i.launched_at.as_secs_f64()).collect();
    assert_eq!(launched, [0.1, 0.1, 0.1, 0.1, 60.1, 60.1, 60.1, 60.1]);
}

#[test]
fn a_sidecar_runs_beside_the_app_containers_and_counts_in_the_request() {
    // 3 cores of app container and a 2-core sidecar (an init container with restartPolicy
    // Always) need 5 cores: more than a 4-core node holds, though each fits on its own.
    let text = |policy: &str| {
        scenario(&format!(
            r#"worlds: [World(name: "K", platform: Kubernetes(), timeline: [At("0s", Apply(Deployment(name: "side",
            template: PodTemplate(
                initContainers: [Container(name: "proxy", image: "app:1", {policy}
                    resources: Resources(requests: ResourceList(cpu: "2", memory: "1Gi")))],
                containers: [Container(name: "app", image: "app:1",
                    resources: Resources(requests: ResourceList(cpu: "3", memory: "1Gi")))]))))])]"#
        ))
    };
    let mut w = world(&text(r#"restartPolicy: Always,"#));
    w.keep_decisions(1_000);
    w.run_until(SimTime(30_000_000));
    let k = w.kube().unwrap();
    let (id, pod) = k.pods.iter().next().unwrap();
    assert_eq!(pod.node, None);
    let message = k.decision(id).unwrap().message.clone().unwrap();
    assert!(
        message.starts_with("0/5 nodes are available: 2 node(s) had untolerated taint(s), 3 Insufficient cpu."),
        "{message}"
    );
    // As a plain init container it runs to completion first: 3 cores, which a 4-core node holds.
    let mut w = world(&text(""));
    w.keep_decisions(1_000);
    w.run_until(SimTime(30_000_000));
    let (_, pod) = w.kube().unwrap().pods.iter().next().unwrap();
    assert!(w.setup().hosts[pod.node.unwrap().index()].name.starts_with("node-"));
    // Only an init container may be a sidecar, and only with Always.
    let err = Scenario::parse(&text("restartPolicy: OnFailure,"), "test.ron").map(|_| ()).unwrap_err().to_string();
    assert!(
        err.contains(r#"initContainers[0].restartPolicy: Unsupported value: "OnFailure": supported values: "Always""#),
        "{err}"
    );
}

#[test]
fn an_hpa_over_pods_without_a_cpu_request_is_not_scaling_active() {
    let mut w = world(&scenario(
        r#"worlds: [World(name: "K", platform: Kubernetes(), timeline: [
            At("0s", Apply(Deployment(name: "web", replicas: 2,
                template: PodTemplate(containers: [Container(name: "nginx", image: "app:1")])))),
            At("0s", Apply(HorizontalPodAutoscaler(name: "web", scaleTargetRef: "web", maxReplicas: 5,
                targetCPUUtilizationPercentage: 50)))])]"#,
    ));
    w.run_until(SimTime(120_000_000));
    let warnings: Vec<(String, String)> = w
        .drain_events()
        .into_iter()
        .filter_map(|e| match e.kind {
            flotilla::world::EventKind::Warning { reason, message, .. } => Some((reason, message)),
            flotilla::world::EventKind::Scaled { .. } => panic!("nothing scales"),
            _ => None,
        })
        .collect();
    let pod = &w.instances()[0].name;
    assert_eq!(
        warnings,
        [(
            "FailedGetResourceMetric".to_string(),
            format!("failed to get cpu utilization: missing request for cpu in container nginx of Pod {pod}")
        )],
        "one warning when it starts, not one per sync"
    );
    let (reason, message) = w.kube().unwrap().hpas()[0].scaling_inactive.clone().unwrap();
    assert_eq!(reason, "FailedGetResourceMetric");
    assert!(message.starts_with("the HPA was unable to compute the replica count: "), "{message}");
}

#[test]
fn a_node_manifest_keeps_the_taints_it_does_not_write() {
    let text = scenario(r#"worlds: [World(name: "K", platform: Kubernetes(manifests: ["nodes.yaml"]), timeline: [])]"#);
    let manifest =
        |spec: &str| format!("apiVersion: v1\nkind: Node\nmetadata:\n  name: db\n  labels: {{disk: ssd}}\n{spec}");
    let taints_of = |yaml: String| {
        let s = Scenario::parse_with_files(&text, "test.ron", &|_| Ok(yaml.clone())).unwrap_or_else(|e| panic!("{e}"));
        let w = World::new(s.setup.clone(), s.worlds[0].clone());
        let k = w.kube().unwrap();
        let db: Vec<_> = k.nodes.iter().filter(|n| n.name.starts_with("db-")).collect();
        assert!(db.iter().all(|n| n.labels.get("disk").map(String::as_str) == Some("ssd")));
        db[0].taints.iter().map(|t| t.key.clone()).collect::<Vec<_>>()
    };
    // No spec.taints: the group's taint stays, as `kubectl apply` leaves a field it does not set.
    assert_eq!(taints_of(manifest("")), ["dedicated"]);
    // taints written, even empty: they replace the group's.
    assert!(taints_of(manifest("spec:\n  taints: []\n")).is_empty());
    assert_eq!(
        taints_of(manifest("spec:\n  unschedulable: true\n")),
        ["dedicated", "node.kubernetes.io/unschedulable"]
    );
}

#[test]
fn drain_keeps_a_pod_disruption_budget() {
    // Six pods of 1 core on three 4-core nodes; node-2 holds some of them.
    let run = |budget: &str| {
        let mut w = world(&scenario(&format!(
            r#"worlds: [World(name: "K", platform: Kubernetes(), timeline: [{budget}])],
            timeline: [At("0s", Launch(app: "app", count: 6)), At("30s", Drain("node-2"))]"#
        )));
        w.run_until(SimTime(29_000_000));
        let on_node = w.kube().unwrap().nodes[1].pods.len();
        assert!(on_node >= 2, "node-2 holds {on_node} pods");
        // The fewest Ready pods of the app, second by second, while the drain goes on.
        let mut fewest = u32::MAX;
        for s in 30..180 {
            w.run_until(SimTime(s * 1_000_000));
            let k = w.kube().unwrap();
            fewest = fewest.min(k.deployments[k.deployment("app").unwrap()].ready_pods);
        }
        let k = w.kube().unwrap();
        assert!(k.nodes[1].pods.is_empty(), "the drain ends");
        (fewest, k.evictions_refused)
    };
    // Without a budget every pod of the node goes at once.
    let (fewest, refused) = run("");
    assert_eq!(refused, 0);
    assert!(fewest <= 4, "{fewest}");
    // minAvailable 5: one pod at a time, the next only once a replacement is Ready.
    let (fewest, refused) =
        run(r#"At("0s", Apply(PodDisruptionBudget(name: "app", selector: {"app": "app"}, minAvailable: 5)))"#);
    assert_eq!(fewest, 5);
    assert!(refused > 0);
    // maxUnavailable "20%" of 6 is 2 (rounded up): two may go at once, never a third.
    let (fewest, _) =
        run(r#"At("0s", Apply(PodDisruptionBudget(name: "app", selector: {"app": "app"}, maxUnavailable: "20%")))"#);
    assert!(fewest >= 4, "{fewest}");
}

#[test]
fn a_pod_disruption_budget_is_checked_as_the_api_server_checks_it() {
    let err = Scenario::parse(
        &scenario(
            r#"worlds: [World(name: "K", platform: Kubernetes(), timeline: [
                At("0s", Apply(PodDisruptionBudget(name: "app", minAvailable: 1, maxUnavailable: 1))),
                At("0s", Apply(PodDisruptionBudget(name: "web", maxUnavailable: "120%")))])]"#,
        ),
        "test.ron",
    )
    .map(|_| ())
    .unwrap_err()
    .to_string();
    assert!(err.contains("minAvailable and maxUnavailable cannot be both set"), "{err}");
    assert!(err.contains(r#"maxUnavailable: Invalid value: "120%": must not be greater than 100%"#), "{err}");
}

#[test]
fn a_ron_object_names_its_namespace_as_the_api_server_allows() {
    let text = |ns: &str| {
        scenario(&format!(
            r#"worlds: [World(name: "K", platform: Kubernetes(), timeline: [
                At("0s", Apply(Deployment(name: "web", namespace: "{ns}", replicas: 1,
                    template: PodTemplate(containers: [Container(name: "nginx", image: "app:1")]))))])]"#
        ))
    };
    let mut w = world(&text("shop"));
    w.run_until(SimTime(1_000_000));
    assert_eq!(w.kube().unwrap().deployments[0].spec.namespace, "shop");
    let err = Scenario::parse(&text("Shop_1"), "test.ron").map(|_| ()).unwrap_err().to_string();
    assert!(err.contains(r#"timeline[0].namespace: Invalid value: "Shop_1": a lowercase RFC 1123 label"#), "{err}");
}

#[test]
fn extended_resources_are_checked_as_the_api_server_checks_them() {
    let check = |resources: &str, group: &str| {
        let text = format!(
            r#"Scenario(name: "g", seed: 1, duration: "1m",
            hosts: [HostGroup(name: "gpu", count: 1, cpu: "8", memory: "32Gi", extended_resources: {group})],
            images: [Image(name: "app:1", layers: ["10MB"])],
            apps: [App(name: "app", image: "app:1", cpu: "1", memory: "1Gi")],
            worlds: [World(name: "K", platform: Kubernetes(), timeline: [
                At("0s", Apply(Deployment(name: "train", replicas: 1, template: PodTemplate(
                    containers: [Container(name: "t", image: "app:1", resources: {resources})]))))])])"#
        );
        Scenario::parse(&text, "test.ron").map(|_| ()).map_err(|e| e.to_string())
    };
    let gpus = r#"{"nvidia.com/gpu": 4}"#;
    assert!(check(r#"Resources(limits: ResourceList(extended: {"nvidia.com/gpu": 1}))"#, gpus).is_ok());
    let err = check(r#"Resources(requests: ResourceList(extended: {"nvidia.com/gpu": 1}))"#, gpus).unwrap_err();
    assert!(
        err.contains(
            "resources.limits[nvidia.com/gpu]: Required value: Limit must be set for non overcommitable resources"
        ),
        "{err}"
    );
    let err = check(
        r#"Resources(requests: ResourceList(extended: {"nvidia.com/gpu": 1}), limits: ResourceList(extended: {"nvidia.com/gpu": 2}))"#,
        gpus,
    )
    .unwrap_err();
    assert!(
        err.contains(
            r#"resources.requests[nvidia.com/gpu]: Invalid value: "1": must be equal to nvidia.com/gpu limit of 2"#
        ),
        "{err}"
    );
    let err = check(r#"Resources(limits: ResourceList(extended: {"gpu": 1}))"#, gpus).unwrap_err();
    assert!(err.contains("resources.limits[gpu]: an extended resource is named with a domain"), "{err}");
    let err = check("Resources()", r#"{"a.io/x": 1, "b.io/x": 1, "c.io/x": 1, "d.io/x": 1, "e.io/x": 1}"#).unwrap_err();
    assert!(err.contains("hosts[0].extended_resources[e.io/x]: a scenario uses at most 4 extended resources"), "{err}");
}

#[test]
fn a_pod_asking_for_gpus_waits_where_none_are_left() {
    let text = r#"Scenario(name: "g", seed: 1, duration: "1m",
        hosts: [HostGroup(name: "cpu", count: 2, cpu: "8", memory: "32Gi", cached_images: ["app:1"]),
                HostGroup(name: "gpu", count: 1, cpu: "8", memory: "32Gi", cached_images: ["app:1"],
                          extended_resources: {"nvidia.com/gpu": 2})],
        images: [Image(name: "app:1", layers: ["10MB"])],
        apps: [App(name: "app", image: "app:1", cpu: "1", memory: "1Gi")],
        worlds: [World(name: "K", platform: Kubernetes(), timeline: [
            At("0s", Apply(Deployment(name: "train", replicas: 3, template: PodTemplate(
                containers: [Container(name: "t", image: "app:1",
                    resources: Resources(limits: ResourceList(cpu: "1", memory: "1Gi", extended: {"nvidia.com/gpu": 1})))]))))])])"#;
    let mut w = world(text);
    w.run_until(SimTime(30_000_000));
    let k = w.kube().unwrap();
    let placed: Vec<&str> =
        k.pods.iter().filter_map(|(_, p)| p.node).map(|h| k.nodes[h.index()].name.as_str()).collect();
    assert_eq!(placed, ["gpu-1", "gpu-1"], "two GPUs, two pods, on the GPU node");
    let message = w
        .drain_events()
        .into_iter()
        .find_map(|e| match e.kind {
            flotilla::world::EventKind::Waiting { reason, .. } if reason.contains("nodes are available") => {
                Some(reason)
            }
            _ => None,
        })
        .expect("the third pod waits");
    assert!(message.contains("0/3 nodes are available: 3 Insufficient nvidia.com/gpu."), "{message}");
}

#[test]
fn a_service_and_a_budget_select_pods_of_their_own_namespace() {
    let deployment = |name: &str, ns: &str, replicas: u32| {
        format!(
            r#"At("0s", Apply(Deployment(name: "{name}", namespace: "{ns}", replicas: {replicas},
                template: PodTemplate(labels: {{"tier": "web"}},
                    containers: [Container(name: "nginx", image: "app:1")]))))"#
        )
    };
    let text = scenario(&format!(
        r#"worlds: [World(name: "K", platform: Kubernetes(), timeline: [
            {}, {},
            At("0s", Apply(Service(name: "front", namespace: "shop", selector: {{"tier": "web"}}))),
            At("0s", Apply(PodDisruptionBudget(name: "front", namespace: "shop", selector: {{"tier": "web"}},
                                               minAvailable: 2)))])]"#,
        deployment("web", "shop", 2),
        deployment("staging-web", "staging", 3),
    ));
    let mut w = world(&text);
    w.run_until(SimTime(60_000_000));
    let k = w.kube().unwrap();
    let service = k.services.iter().find(|s| s.spec.name == "front").unwrap();
    assert_eq!(service.endpoints.len(), 2, "only shop's pods");
    let (healthy, desired, allowed) = k.disruption_status(&k.disruption_budgets[0].0);
    assert_eq!((healthy, desired, allowed), (2, 2, 0), "only shop's pods count");
}

#[test]
fn manifests_may_use_the_namespaces_every_cluster_has_but_no_other_unmade_one() {
    let text = scenario(r#"worlds: [World(name: "K", platform: Kubernetes(manifests: ["dns.yaml"]), timeline: [])]"#);
    let manifest = |namespace: &str| {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: coredns\n  namespace: {namespace}\n\
             spec:\n  replicas: 2\n  selector:\n    matchLabels: {{k8s-app: kube-dns}}\n  template:\n    \
             metadata:\n      labels: {{k8s-app: kube-dns}}\n    spec:\n      containers:\n      - name: coredns\n        \
             image: app:1\n        resources:\n          requests: {{cpu: 100m, memory: 70Mi}}\n"
        )
    };
    for namespace in ["kube-system", "kube-public", "kube-node-lease"] {
        let yaml = manifest(namespace);
        let s = Scenario::parse_with_files(&text, "test.ron", &|_| Ok(yaml.clone())).unwrap_or_else(|e| panic!("{e}"));
        let mut w = World::new(s.setup.clone(), s.worlds[0].clone());
        w.run_until(SimTime(30_000_000));
        let k = w.kube().unwrap();
        let in_namespace = k.pods.iter().filter(|(_, p)| k.pod_namespace(p) == namespace).count();
        assert_eq!(in_namespace, 2, "{namespace}");
    }
    let yaml = manifest("kube-dns");
    let err = Scenario::parse_with_files(&text, "test.ron", &|_| Ok(yaml.clone())).unwrap_err().to_string();
    assert!(err.contains(r#"namespaces "kube-dns" not found"#), "{err}");
}

#[test]
fn a_scenario_of_manifests_alone_needs_no_apps_but_one_that_runs_nothing_does() {
    let text = |worlds: &str| format!(r#"Scenario(name: "m", duration: "1m", {HOSTS} {worlds})"#);
    let yaml = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n  selector:\n    \
                matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      \
                containers:\n      - name: web\n        image: app:1\n";
    let manifests = text(r#"worlds: [World(name: "K", platform: Kubernetes(manifests: ["web.yaml"]))]"#);
    let s =
        Scenario::parse_with_files(&manifests, "m.ron", &|_| Ok(yaml.to_string())).unwrap_or_else(|e| panic!("{e}"));
    let mut w = World::new(s.setup.clone(), s.worlds[0].clone());
    w.run_until(SimTime(30_000_000));
    assert_eq!(w.kube().unwrap().pods.len(), 2);
    let nothing = text(r#"worlds: [World(name: "K", platform: Kubernetes())]"#);
    let err = Scenario::parse(&nothing, "m.ron").unwrap_err().to_string();
    assert!(
        err.contains("apps: a scenario needs at least one app, or a Kubernetes world that applies objects"),
        "{err}"
    );
}

#[test]
fn topology_spread_counts_only_pods_of_the_pods_own_namespace() {
    // Two pods labelled app=x in namespace one, both on node-1; then three
    // more app=x pods in namespace two, spread by hostname with maxSkew 1.
    // Counting namespace one's pods too (as upstream does not) would keep
    // namespace two off node-1 and leave its third pod Pending.
    let template = |extra: &str| {
        format!(
            r#"template: PodTemplate(labels: {{"app": "x"}}, {extra}
                containers: [Container(name: "x", image: "app:1",
                    resources: Resources(requests: ResourceList(cpu: "100m", memory: "64Mi")))])"#
        )
    };
    let one = template(r#"nodeSelector: {"kubernetes.io/hostname": "node-1"},"#);
    let two = template(
        r#"topologySpreadConstraints: [TopologySpreadConstraint(maxSkew: 1, topologyKey: "kubernetes.io/hostname",
              whenUnsatisfiable: DoNotSchedule, labelSelector: {"app": "x"})],"#,
    );
    let mut w = world(&scenario(&format!(
        r#"worlds: [World(name: "K", platform: Kubernetes(), timeline: [
            At("0s", Apply(Deployment(name: "a", namespace: "one", replicas: 2, {one}))),
            At("30s", Apply(Deployment(name: "b", namespace: "two", replicas: 3, {two}))),
        ])]"#
    )));
    w.run_until(SimTime(90_000_000));
    let k = w.kube().unwrap();
    let nodes_of = |namespace: &str| -> Vec<String> {
        let mut v: Vec<String> = k
            .pods
            .iter()
            .filter(|(_, p)| k.pod_namespace(p) == namespace)
            .map(|(_, p)| p.node.map_or("<none>".to_string(), |h| k.nodes[h.index()].name.clone()))
            .collect();
        v.sort();
        v
    };
    assert_eq!(nodes_of("one"), ["node-1", "node-1"]);
    assert_eq!(nodes_of("two"), ["node-1", "node-2", "node-3"]);
}

#[test]
fn a_pod_restarted_after_a_brief_host_failure_is_ready_only_after_its_new_start() {
    // The pod's containers start within the first seconds and its readiness
    // probe passes 30 s later. The host fails at 10 s and is back at 12 s:
    // the kubelet starts the pod again, and it is Ready 30 s after that new
    // start (after 42 s), not when the first run's probe would have passed
    // (before 40 s).
    let text = r#"Scenario(name: "k8s", seed: 1, duration: "2m",
        hosts: [HostGroup(name: "n", count: 1, cpu: "4", memory: "16Gi", cached_images: ["app:1"])],
        images: [Image(name: "app:1", layers: ["10MB"])],
        apps: [App(name: "app", image: "app:1", cpu: "1", memory: "1Gi")],
        worlds: [World(name: "K", platform: Kubernetes(), timeline: [
            At("0s", Apply(Deployment(name: "web", replicas: 1, template: PodTemplate(containers: [
                Container(name: "web", image: "app:1", resources: Resources(requests: ResourceList(cpu: "1", memory: "1Gi")),
                          readinessProbe: Probe(initialDelaySeconds: 30))])))),
        ])],
        timeline: [At("10s", FailNode("n-1")), At("12s", RecoverNode("n-1"))])"#;
    let mut w = world(text);
    w.run_until(SimTime(9_000_000));
    let k = w.kube().unwrap();
    let pod = *k.pods.iter().next().map(|(id, _)| id).as_ref().expect("one pod");
    assert!(k.pods[&pod].running && !k.pods[&pod].ready, "started, not yet Ready");
    w.run_until(SimTime(41_000_000));
    let k = w.kube().unwrap();
    assert_eq!(k.pods[&pod].restarts, 1);
    assert!(!k.pods[&pod].ready, "Ready at {:?}, before its new start's probe passed", k.pods[&pod].ready_since);
    w.run_until(SimTime(60_000_000));
    let k = w.kube().unwrap();
    assert!(k.pods[&pod].ready);
    assert!(k.pods[&pod].ready_since.is_some_and(|t| t >= SimTime(42_000_000)), "{:?}", k.pods[&pod].ready_since);
}

#[test]
fn a_scale_down_takes_a_pod_from_the_node_with_most_of_the_deployment() {
    // Three pods on node-1 while node-2 is cordoned, a fourth on node-2, then back to three:
    // the ReplicaSet ranks pods by their Deployment's pods on the same node before their
    // ready time (`getPodsRankedByRelatedPodsOnSameNode`), so one of node-1's goes.
    let mut w = world(&scenario(
        r#"worlds: [World(name: "K", platform: Kubernetes(), timeline: [
            At("0s", Cordon("node-2")), At("0s", Cordon("node-3")),
            At("1s", Apply(Deployment(name: "web", replicas: 3,
                template: PodTemplate(containers: [Container(name: "web", image: "app:1",
                    resources: Resources(requests: ResourceList(cpu: "500m", memory: "512Mi")))])))),
            At("30s", Uncordon("node-2")),
            At("40s", Scale(deployment: "web", replicas: 4)),
            At("2m", Scale(deployment: "web", replicas: 3))])]"#,
    ));
    w.run_until(SimTime(150_000_000));
    let k = w.kube().unwrap();
    let nodes: Vec<&str> = k
        .pods
        .iter()
        .filter(|(_, p)| !p.deleting)
        .map(|(_, p)| w.setup().hosts[p.node.unwrap().index()].name.as_str())
        .collect();
    assert_eq!(nodes.len(), 3, "{nodes:?}");
    assert_eq!(nodes.iter().filter(|&&n| n == "node-1").count(), 2, "{nodes:?}");
    assert_eq!(nodes.iter().filter(|&&n| n == "node-2").count(), 1, "{nodes:?}");
}

#[test]
fn the_cluster_autoscaler_removes_no_node_whose_pods_it_may_not_drain() {
    // Two 4-core nodes with a 1-core pod each (25 %): either node's pod fits
    // on the other, so one node goes, unless the autoscaler's drainability
    // rules forbid: a pod with no controller, a kube-system pod that no
    // PodDisruptionBudget covers, or a budget that allows no disruption.
    let drained = |timeline: &str| {
        let mut w = autoscaled(
            r#"HostGroup(name: "pool", count: 2, cpu: "4", memory: "16Gi", cached_images: ["app:1"])"#,
            r#"NodeGroup(hosts: "pool", min: 0, initial: 2, provisioning_time: Constant("60s"))"#,
            timeline,
        );
        drained_within_five_minutes(&mut w, 0..2)
    };
    let pod = |name: &str| {
        format!(
            r#"At("0s", Apply(Pod(name: "{name}", template: PodTemplate(labels: {{"app": "web"}},
                containers: [Container(name: "web", image: "app:1",
                    resources: Resources(requests: ResourceList(cpu: "1", memory: "1Gi")))]))))"#
        )
    };
    let system = r#"At("0s", Apply(Deployment(name: "dns", namespace: "kube-system", replicas: 2, template: PodTemplate(
            labels: {"app": "dns"},
            containers: [Container(name: "dns", image: "app:1",
                resources: Resources(requests: ResourceList(cpu: "1", memory: "1Gi")))]))))"#;
    let budget = |namespace: &str, app: &str, min: &str| {
        format!(
            r#"At("0s", Apply(PodDisruptionBudget(name: "{app}", namespace: "{namespace}", selector: {{"app": "{app}"}},
                minAvailable: "{min}")))"#
        )
    };
    assert!(drained(&web(2, "")));
    assert!(!drained(&format!("{}, {}", pod("a"), pod("b"))), "NotReplicated");
    assert!(!drained(system), "UnmovableKubeSystemPod");
    assert!(drained(&format!("{system}, {}", budget("kube-system", "dns", "50%"))));
    assert!(!drained(&format!("{}, {}", web(2, ""), budget("default", "web", "100%"))), "NotEnoughPdb");
}

#[test]
fn the_cluster_autoscaler_removes_empty_nodes_together_and_drains_one_at_a_time() {
    // Five 4-core nodes, one pod of 1 core: the four empty nodes go in one
    // scan (--max-scale-down-parallelism 10); the node with the pod has
    // nowhere left to move it, and stays.
    let mut w = autoscaled(
        r#"HostGroup(name: "pool", count: 5, cpu: "4", memory: "16Gi", cached_images: ["app:1"])"#,
        r#"NodeGroup(hosts: "pool", min: 0, initial: 5, provisioning_time: Constant("60s"))"#,
        &web(1, ""),
    );
    let mut gone_at: Vec<Option<u64>> = vec![None; 5];
    for s in 1..=300 {
        w.run_until(SimTime(s * 1_000_000));
        for (n, node) in w.kube().unwrap().nodes.iter().enumerate() {
            if gone_at[n].is_none() && (node.unschedulable || node.condition != NodeCondition::Ready) {
                gone_at[n] = Some(s);
            }
        }
    }
    let times: Vec<u64> = gone_at.iter().flatten().copied().collect();
    assert_eq!(times.len(), 4, "{gone_at:?}");
    assert!(times.iter().all(|&t| t == times[0]), "in one scan: {gone_at:?}");
    // Six 8-core nodes and three 1-core pods, each pod taking 30 s to stop:
    // the empty nodes go at once, then the nodes with a pod are drained one
    // at a time (--max-drain-parallelism 1), the next once the last is empty,
    // until the last pods have nowhere else to go.
    let mut w = world(&format!(
        r#"Scenario(name: "ca", seed: 3, duration: "30m",
        hosts: [HostGroup(name: "pool", count: 6, cpu: "8", memory: "16Gi", cached_images: ["app:1"])],
        images: [Image(name: "app:1", layers: ["10MB"])],
        apps: [App(name: "web", image: "app:1", cpu: "1", memory: "1Gi")],
        worlds: [World(name: "K", platform: Kubernetes(container_stop_time: Constant("30s"),
            cluster_autoscaler: ClusterAutoscaler(
                node_groups: [NodeGroup(hosts: "pool", min: 0, initial: 6, provisioning_time: Constant("60s"))],
                scale_down_unneeded_time: "1m", scale_down_delay_after_add: "0s")),
            timeline: [{}])])"#,
        web(3, "")
    ));
    let (mut draining_max, mut drained) = (0, 0);
    for s in 1..=900 {
        w.run_until(SimTime(s * 1_000_000));
        let k = w.kube().unwrap();
        let draining = k.nodes.iter().filter(|n| n.unschedulable && !n.pods.is_empty()).count();
        draining_max = draining_max.max(draining);
        drained = drained.max(k.nodes.iter().filter(|n| n.condition != NodeCondition::Ready).count());
    }
    assert_eq!(drained, 5, "three empty nodes and two drained ones");
    assert_eq!(draining_max, 1, "{draining_max} nodes drained at once");
    assert_eq!(w.counts().running, 3);
}

/// Whether one of `nodes` was cordoned or left the cluster at some 10 s
/// step of the first five minutes, the world run to the end of them.
fn drained_within_five_minutes(w: &mut World, nodes: std::ops::Range<usize>) -> bool {
    (1..=30).fold(false, |drained, s| {
        w.run_until(SimTime(s * 10_000_000));
        let k = w.kube().unwrap();
        drained || k.nodes[nodes.clone()].iter().any(|n| n.unschedulable || n.condition != NodeCondition::Ready)
    })
}

/// A world of `hosts` whose cluster autoscaler has the node group `group`
/// (unneeded nodes go after 1 min, at once after a scale-up), with `timeline`.
fn autoscaled(hosts: &str, group: &str, timeline: &str) -> World {
    world(&format!(
        r#"Scenario(name: "ca", seed: 3, duration: "30m", hosts: [{hosts}],
        images: [Image(name: "app:1", layers: ["10MB"])],
        apps: [App(name: "web", image: "app:1", cpu: "1", memory: "1Gi")],
        worlds: [World(name: "K", platform: Kubernetes(cluster_autoscaler: ClusterAutoscaler(
            node_groups: [{group}], scale_down_unneeded_time: "1m", scale_down_delay_after_add: "0s")),
            timeline: [{timeline}])])"#
    ))
}

/// A Deployment `web` of `replicas` pods of 1 core and 1 GiB, with `tolerations`.
fn web(replicas: u32, tolerations: &str) -> String {
    format!(
        r#"At("0s", Apply(Deployment(name: "web", replicas: {replicas}, template: PodTemplate(
            labels: {{"app": "web"}}, tolerations: [{tolerations}],
            containers: [Container(name: "web", image: "app:1",
                resources: Resources(requests: ResourceList(cpu: "1", memory: "1Gi")))]))))"#
    )
}

const TOLERATES_DB: &str = r#"Toleration(key: "dedicated", operator: Equal, value: "db", effect: NoSchedule)"#;
const DB_HOSTS: &str = r#"HostGroup(name: "db", count: 4, cpu: "8", memory: "32Gi", cached_images: ["app:1"],
    taints: [Taint(key: "dedicated", value: "db", effect: NoSchedule)])"#;

#[test]
fn the_cluster_autoscaler_adds_no_node_whose_taint_the_pending_pods_do_not_tolerate() {
    // One 2-core node holds one of six 1-core pods; the only node group's
    // nodes are tainted dedicated=db:NoSchedule. The scheduler's filters on
    // the group's template node rule the pods out, so nothing is added.
    let run = |tolerations: &str| {
        let hosts = format!(
            r#"HostGroup(name: "base", count: 1, cpu: "2", memory: "8Gi", cached_images: ["app:1"]), {DB_HOSTS}"#
        );
        let mut w = autoscaled(
            &hosts,
            r#"NodeGroup(hosts: "db", min: 0, initial: 0, provisioning_time: Constant("60s"))"#,
            &web(6, tolerations),
        );
        w.run_until(SimTime(600_000_000));
        let k = w.kube().unwrap();
        let db_nodes = k.nodes.iter().filter(|n| n.name.starts_with("db-") && n.condition != NodeCondition::Absent);
        (db_nodes.count(), w.counts().running)
    };
    assert_eq!(run(""), (0, 1));
    // Pods that tolerate the taint get a node: five pods of 1 core fit on one 8-core node.
    assert_eq!(run(TOLERATES_DB), (1, 6));
}

#[test]
fn the_cluster_autoscaler_keeps_a_node_whose_pods_fit_only_where_they_are_not_tolerated() {
    // A 1-core pod on pool-1 (4 cores: 25 % used, under the 50 % threshold);
    // db-1 is empty but tainted. The pod fits on db-1 only by its resources:
    // pool-1 stays, unless the pod tolerates the taint.
    let run = |tolerations: &str| {
        let hosts = format!(
            r#"HostGroup(name: "pool", count: 1, cpu: "4", memory: "16Gi", cached_images: ["app:1"]), {DB_HOSTS}"#
        );
        let mut w = autoscaled(
            &hosts,
            r#"NodeGroup(hosts: "pool", min: 0, initial: 1, provisioning_time: Constant("60s"))"#,
            &web(1, tolerations),
        );
        // Whether pool-1 was drained at some point in 5 min, and the pods running at the end.
        (drained_within_five_minutes(&mut w, 0..1), w.counts().running)
    };
    assert_eq!(run(""), (false, 1));
    assert_eq!(run(TOLERATES_DB), (true, 1));
}

/// The replicas each of the Deployment's ReplicaSets asks for, oldest first.
fn replica_set_sizes(w: &World) -> Vec<u32> {
    w.kube().unwrap().replica_sets.iter().map(|rs| rs.replicas).collect()
}

/// A Deployment of 10 (maxSurge 3, maxUnavailable 2) whose new image takes
/// minutes to pull, scaled by `scale` at 120 s while its rollout is stuck.
fn stuck_rollout(scale: &str) -> World {
    world(&format!(
        r#"Scenario(name: "k8s", seed: 1, duration: "30m",
        hosts: [HostGroup(name: "n", count: 10, cpu: "16", memory: "64Gi", cached_images: ["web:1"])],
        images: [Image(name: "web:1", layers: ["1MB"]), Image(name: "web:2", layers: ["10GB"])],
        registry: Registry(bandwidth: "10MB/s"),
        apps: [App(name: "web", image: "web:1", cpu: "100m", memory: "128Mi")],
        worlds: [World(name: "K", platform: Kubernetes(), timeline: [
            At("0s", Apply(Deployment(name: "web", replicas: 10,
                strategy: RollingUpdate(maxSurge: 3, maxUnavailable: 2),
                template: PodTemplate(containers: [Container(name: "web", image: "web:1")])))),
            At("60s", SetImage(deployment: "web", image: "web:2")),
            At("120s", {scale})])])"#
    ))
}

#[test]
fn a_deployment_scaled_mid_rollout_spreads_the_change_over_its_replica_sets() {
    // The documentation's example of proportional scaling: the rollout holds at 8 old and 5
    // new; scaled to 15, the 5 more (18 allowed) go 3 to the old ReplicaSet (8 × 18/13 = 11.08)
    // and 2 to the new one (5 × 18/13 = 6.92), as the Deployment controller's `scale` gives.
    let mut w = stuck_rollout(r#"Scale(deployment: "web", replicas: 15)"#);
    w.run_until(SimTime(119_000_000));
    assert_eq!(replica_set_sizes(&w), [8, 5], "the rollout holds at maxUnavailable");
    w.run_until(SimTime(125_000_000));
    assert_eq!(replica_set_sizes(&w), [11, 7]);
    // Scaled down to 5 (8 allowed with the surge), the larger ReplicaSet gives up more:
    // 8 × 8/13 = 4.92 → 5 and 5 × 8/13 = 3.08 → 3. The rollout then goes on: 5 old pods
    // are available where 3 are needed (5 − maxUnavailable), so the old ReplicaSet goes to 3
    // and the new one grows back to 5, 8 in all.
    let mut w = stuck_rollout(r#"Scale(deployment: "web", replicas: 5)"#);
    w.run_until(SimTime(120_060_000));
    assert_eq!(replica_set_sizes(&w), [5, 3]);
    w.run_until(SimTime(125_000_000));
    assert_eq!(replica_set_sizes(&w), [3, 5]);
}
