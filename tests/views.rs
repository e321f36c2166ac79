//! What `kubectl`, `docker ps` and `virsh list` print of shipped scenarios at
//! fixed times: the exact text (golden files in `tests/golden/`, each read
//! and checked against the real tools' layout when it was written), and the
//! properties that text must have whatever the numbers: columns aligned as
//! Go's tabwriter aligns them, rows that agree with the world's own state.

use std::path::Path;

use flotilla::engine::{SimDuration, SimTime};
use flotilla::scenario::Scenario;
use flotilla::views::{self, Snapshot, ViewError, docker, kubectl, virsh};

fn scenario(name: &str) -> Scenario {
    Scenario::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(name)).expect("a shipped scenario")
}

fn at(text: &str) -> SimTime {
    SimTime::ZERO + SimDuration::parse(text).expect("a duration")
}

fn args(line: &str) -> Vec<String> {
    line.split_whitespace().map(String::from).collect()
}

fn kubectl(s: &Snapshot, line: &str) -> String {
    let command = kubectl::parse(&args(line)).expect("a command flotilla's kubectl knows");
    let out = kubectl::run(s, &command).expect("the command runs");
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    out.stdout
}

/// The golden file, or, when `FLOTILLA_BLESS` is set, the output written as the new golden file.
fn golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name);
    if std::env::var_os("FLOTILLA_BLESS").is_some() {
        std::fs::write(&path, actual).expect("the golden file is written");
    }
    let expected = std::fs::read_to_string(&path).expect("the golden file exists");
    assert_eq!(actual, expected, "{name} differs from its golden file; the output was:\n{actual}");
}

/// Every cell of a kubectl table starts where its header does, and columns
/// are at least three spaces apart: Go's tabwriter with minwidth 6 and padding 3.
fn assert_aligned(table: &str) {
    let mut lines = table.lines();
    let header = lines.next().expect("a header");
    // A column starts after at least three spaces (headers such as NOMINATED NODE have one inside).
    let bytes = header.as_bytes();
    let starts: Vec<usize> =
        (0..bytes.len()).filter(|&i| bytes[i] != b' ' && (i == 0 || (i >= 3 && &bytes[i - 3..i] == b"   "))).collect();
    for line in lines {
        for &s in &starts[1..] {
            let before = &line[..s];
            assert!(before.ends_with(' '), "a cell runs into column {s}: {line:?}");
            assert!(!line[s..].starts_with(' '), "nothing starts at column {s}: {line:?}");
        }
    }
}

#[test]
fn get_pods_wide_in_the_middle_of_a_rolling_update() {
    let s = Snapshot::take(&scenario("rolling-update.ron"), "Default", at("1m15s")).unwrap();
    let text = kubectl(&s, "get pods -o wide");
    golden("rolling-update-Default-1m15s-get-pods-wide.txt", &text);
    assert_aligned(&text);
    assert!(
        text.starts_with("NAME ") && text.lines().next().unwrap().ends_with(" NOMINATED NODE   READINESS GATES"),
        "{text}"
    );
    // One row per pod the API server holds, in name order.
    let k = s.world.kube().unwrap();
    let rows: Vec<&str> = text.lines().skip(1).collect();
    assert_eq!(rows.len(), k.pods.len());
    let mut names: Vec<&str> = rows.iter().map(|r| r.split_whitespace().next().unwrap()).collect();
    let listed = names.clone();
    names.sort_unstable();
    assert_eq!(listed, names);
    // 1/1 exactly for the pods that are Ready.
    let ready = rows.iter().filter(|r| r.split_whitespace().nth(1) == Some("1/1")).count();
    assert_eq!(ready, k.pods.values().filter(|p| p.ready).count());
    // Every pod here is on a node and has an IP from that node's pod CIDR.
    for r in &rows {
        let cells: Vec<&str> = r.split_whitespace().collect();
        let node: usize = cells[6].trim_start_matches("node-").parse().unwrap();
        assert!(cells[5].starts_with(&format!("10.244.{}.", node - 1)), "{r}");
    }
}

#[test]
fn get_deploy_rs_shows_both_replica_sets_of_a_rollout() {
    let s = Snapshot::take(&scenario("rolling-update.ron"), "Default", at("1m15s")).unwrap();
    let text = kubectl(&s, "get deploy,rs");
    golden("rolling-update-Default-1m15s-get-deploy-rs.txt", &text);
    // Two tables, an empty line apart, names prefixed with their kind.
    let tables: Vec<&str> = text.split("\n\n").collect();
    assert_eq!(tables.len(), 2, "{text}");
    assert!(tables[0].starts_with("NAME                  READY   UP-TO-DATE   AVAILABLE   AGE\ndeployment.apps/web "));
    assert!(tables[1].starts_with("NAME ") && tables[1].contains("\nreplicaset.apps/web-"));
    for t in tables {
        assert_aligned(t);
    }
    // The ReplicaSets' DESIRED add up to at most replicas + maxSurge (25% of 10, rounded up: 3).
    let desired: u32 = text
        .lines()
        .filter(|l| l.starts_with("replicaset.apps/"))
        .map(|l| l.split_whitespace().nth(1).unwrap().parse::<u32>().unwrap())
        .sum();
    assert!(desired <= 13, "{text}");
}

#[test]
fn a_deployments_status_counts_unavailable_replicas_over_its_replica_sets() {
    // At 1m15s the ReplicaSets ask for 3 + 10 pods and 8 are available:
    // calculateStatus gives 13 − 8 = 5 unavailable, and the rollout is
    // progressing. Once it is done, the new ReplicaSet has progressed.
    let s = Snapshot::take(&scenario("rolling-update.ron"), "Default", at("1m15s")).unwrap();
    let yaml = kubectl(&s, "get deploy web -o yaml");
    for line in ["availableReplicas: 8", "unavailableReplicas: 5", "reason: ReplicaSetUpdated", "type: Progressing"] {
        assert!(yaml.contains(line), "{line} in {yaml}");
    }
    let available = yaml.find("type: Available").expect("an Available condition");
    assert!(available < yaml.find("type: Progressing").unwrap(), "Available comes first, as the controller sets them");
    let s = Snapshot::take(&scenario("rolling-update.ron"), "Default", at("4m")).unwrap();
    let yaml = kubectl(&s, "get deploy web -o yaml");
    let rs = s.world.kube().unwrap().replica_sets.iter().rev().find(|r| r.replicas == 10).unwrap().name.clone();
    for line in [
        "unavailableReplicas: 0".to_string(),
        "reason: NewReplicaSetAvailable".to_string(),
        format!("message: ReplicaSet \"{rs}\" has successfully progressed."),
    ] {
        assert!(yaml.contains(&line), "{line} in {yaml}");
    }
}

#[test]
fn nodes_and_a_pod_of_a_node_that_went_silent() {
    let s = Snapshot::take(&scenario("node-failure.ron"), "Defaults", at("2m")).unwrap();
    let nodes = kubectl(&s, "get nodes -o wide");
    golden("node-failure-Defaults-2m-get-nodes-wide.txt", &nodes);
    assert_aligned(&nodes);
    // node-2 failed at 1:00; 50 s of grace after its last heartbeat, it is NotReady.
    assert!(nodes.lines().any(|l| l.starts_with("node-2   NotReady ")), "{nodes}");
    assert_eq!(nodes.matches(" Ready ").count(), 3);
    // A pod on node-2: kubectl still says Running (the API's last word), but not Ready.
    let pods = kubectl(&s, "get pods -o wide");
    let row = pods.lines().find(|l| l.contains(" node-2 ")).expect("a pod on node-2");
    assert!(row.contains(" 0/1 ") && row.contains(" Running "), "{row}");
    let name = row.split_whitespace().next().unwrap();
    let described = kubectl(&s, &format!("describe pod {name}"));
    golden("node-failure-Defaults-2m-describe-pod.txt", &described);
    assert!(described.contains("\n    Ready:          False\n"), "{described}");
    assert!(described.contains("\n  Ready                       False \n"), "{described}");
    assert!(described.contains(&format!("Successfully assigned default/{name} to node-2")));
    // The events table is its own tabwriter block: its columns two spaces apart.
    assert!(described.contains("\nEvents:\n  Type    Reason     Age   From               Message\n"), "{described}");
}

#[test]
fn get_events_tells_the_node_failure_and_the_evictions() {
    let s = Snapshot::take(&scenario("node-failure.ron"), "Defaults", at("7m")).unwrap();
    let text = kubectl(&s, "get events");
    golden("node-failure-Defaults-7m-get-events.txt", &text);
    assert_aligned(&text);
    assert!(text.starts_with("LAST SEEN   TYPE     REASON"), "{text}");
    assert_eq!(text.matches("Node node-2 status is now: NodeNotReady").count(), 1);
    // The three pods that were on node-2, evicted once their 300 s toleration ran out.
    let evicted: Vec<&str> = text.lines().filter(|l| l.contains(" TaintManagerEviction ")).collect();
    assert_eq!(evicted.len(), 3, "{text}");
    // Their replacements: twelve pods at the start, three more after the evictions.
    assert_eq!(text.matches("Created pod: ").count(), 15);
}

#[test]
fn pods_evicted_from_a_dead_node_are_terminating_since_their_eviction() {
    // node-2 fails at 1m; its three pods are evicted at 6m45s and stay Terminating there.
    let s = Snapshot::take(&scenario("node-failure.ron"), "Defaults", at("9m")).unwrap();
    let text = kubectl(&s, "get pods -o wide");
    assert_aligned(&text);
    let terminating: Vec<&str> = text.lines().filter(|l| l.contains(" Terminating ")).collect();
    assert_eq!(terminating.len(), 3, "{text}");
    assert!(terminating.iter().all(|l| l.contains(" 0/1 ") && l.contains(" node-2 ")), "{text}");
    assert_eq!(text.matches(" Running ").count(), 12, "{text}");
    let name = terminating[0].split_whitespace().next().unwrap();
    let described = kubectl(&s, &format!("describe pod {name}"));
    assert!(described.contains("\nStatus:                    Terminating (lasts 2m15s)\n"), "{described}");
}

#[test]
fn get_events_by_name_prints_the_plain_row_of_that_event() {
    let s = Snapshot::take(&scenario("node-failure.ron"), "Defaults", at("7m")).unwrap();
    let wide = kubectl(&s, "get events -o wide");
    let row = wide.lines().find(|l| l.contains(" NodeNotReady ")).expect("the NodeNotReady event");
    let name = row.split_whitespace().last().unwrap();
    let text = kubectl(&s, &format!("get events {name}"));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].starts_with("LAST SEEN   TYPE     REASON") && lines[0].ends_with("MESSAGE"), "{text}");
    assert!(lines[1].contains("Node node-2 status is now: NodeNotReady"), "{text}");
    assert!(!lines[1].contains(name), "{text}");
}

#[test]
fn describe_pod_shows_the_pull_of_a_new_image() {
    let s = Snapshot::take(&scenario("rolling-update.ron"), "Default", at("1m15s")).unwrap();
    let k = s.world.kube().unwrap();
    // A pod of the new ReplicaSet that pulled web:2.0 (not every node had to).
    let pulled = s
        .recorder
        .events()
        .iter()
        .find(|e| e.reason == "Pulled" && e.message.starts_with("Successfully pulled image \"web:2.0\""))
        .expect("some pod pulled web:2.0");
    assert!(k.pods.iter().any(|(id, _)| s.world.instance(id).name == pulled.object));
    let text = kubectl(&s, &format!("describe pod {}", pulled.object));
    let events = &text[text.find("\nEvents:").unwrap()..];
    let order: Vec<&str> = ["Scheduled", "Pulling", "Pulled", "Created", "Started"]
        .into_iter()
        .filter(|r| events.contains(&format!("  {r}  ")))
        .collect();
    assert_eq!(order.len(), 5, "{events}");
    let positions: Vec<usize> = order.iter().map(|r| events.find(&format!("  {r}  ")).unwrap()).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{events}");
    // web:2.0 is debian:12-slim (28.2 MB) and one layer of 17 MB: 45,200,000 bytes.
    assert!(events.contains("Image size: 45200000 bytes."), "{events}");
}

#[test]
fn failed_scheduling_carries_the_schedulers_message() {
    let s = Snapshot::take(&scenario("autoscaling-spike.ron"), "HpaAndCa", at("11m")).unwrap();
    let text = kubectl(&s, "get events");
    let failed: Vec<&str> = text.lines().filter(|l| l.contains(" FailedScheduling ")).collect();
    assert!(!failed.is_empty(), "{text}");
    assert!(failed.iter().all(|l| l.contains("Warning") && l.contains("nodes are available")), "{text}");
    let hpa = kubectl(&s, "get hpa");
    assert_aligned(&hpa);
    assert!(hpa.contains(" Deployment/web ") && hpa.contains(" cpu: "), "{hpa}");
    // metrics-server runs where there is traffic: top shows every Ready node.
    let top = kubectl(&s, "top nodes");
    assert!(top.starts_with("NAME     CPU(cores)   CPU(%)   MEMORY(bytes)   MEMORY(%)   \n"), "{top:?}");
}

#[test]
fn get_hpa_shows_each_metric_against_its_target() {
    let s = Snapshot::take(&scenario("hpa-metrics.ron"), "Both", at("7m")).unwrap();
    let text = kubectl(&s, "get hpa");
    golden("hpa-metrics-Both-7m-get-hpa.txt", &text);
    assert_aligned(&text);
    // The CPU metric cannot be computed (the sidecar names no request); the Pods metric can.
    assert!(text.contains(" cpu: <unknown>/50%, "), "{text}");
    let s = Snapshot::take(&scenario("hpa-metrics.ron"), "RequestRate", at("7m")).unwrap();
    let yaml = kubectl(&s, "get hpa web -o yaml");
    for line in ["name: http_requests_per_second", "averageValue: \"25\"", "type: Pods", "reason: ValidMetricFound"] {
        assert!(yaml.contains(line), "{line} in {yaml}");
    }
    // AbleToScale, ScalingActive, ScalingLimited, in the order the controller first sets them.
    let kinds: Vec<&str> = yaml.lines().filter_map(|l| l.trim().strip_prefix("type: ")).collect();
    let conditions: Vec<&str> =
        kinds.iter().copied().filter(|k| k.starts_with("AbleTo") || k.starts_with("Scaling")).collect();
    assert_eq!(conditions, ["AbleToScale", "ScalingActive", "ScalingLimited"], "{yaml}");
    let s = Snapshot::take(&scenario("hpa-metrics.ron"), "PodCpu", at("7m")).unwrap();
    let yaml = kubectl(&s, "get hpa web -o yaml");
    assert!(yaml.contains("reason: FailedGetResourceMetric"), "{yaml}");
}

#[test]
fn docker_ps_and_virsh_list_on_a_cold_start() {
    let cold = scenario("cold-start.ron");
    let s = Snapshot::take(&cold, "Containers", at("20s")).unwrap();
    let ps = docker::run(&s, "rack-a-1", docker::parse(&args("ps")).unwrap()).unwrap().stdout;
    golden("cold-start-Containers-20s-docker-ps.txt", &ps);
    assert!(ps.starts_with("CONTAINER ID   IMAGE     COMMAND   CREATED"), "{ps}");
    let on_host = s
        .world
        .instances()
        .iter()
        .filter(|i| i.host == Some(flotilla::model::HostId(0)) && i.phase == flotilla::model::Phase::Running)
        .count();
    assert_eq!(ps.lines().count() - 1, on_host);
    let s = Snapshot::take(&cold, "VMs", at("30s")).unwrap();
    let list = virsh::run(&s, "rack-a-1", virsh::parse(&args("list --all")).unwrap()).unwrap().stdout;
    golden("cold-start-VMs-30s-virsh-list-all.txt", &list);
    assert!(list.starts_with(" Id   Name "), "{list}");
    // Ids count up from 1 in the order the domains started.
    let ids: Vec<&str> = list.lines().skip(2).filter_map(|l| l.split_whitespace().next()).collect();
    let numbered: Vec<String> = (1..=ids.iter().filter(|i| **i != "-").count()).map(|n| n.to_string()).collect();
    assert_eq!(ids.iter().filter(|i| **i != "-").copied().collect::<Vec<_>>(), numbered);
}

#[test]
fn a_recorded_run_is_the_same_run() {
    // Taking a snapshot records events as the world runs; the world must end as a plain run does.
    let sc = scenario("node-failure.ron");
    let t = at("6m30s");
    let s = Snapshot::take(&sc, "Defaults", t).unwrap();
    let spec = sc.worlds.iter().find(|w| w.name == "Defaults").unwrap().clone();
    let mut plain = flotilla::world::World::new(sc.setup.clone(), spec);
    plain.run_until(t);
    assert_eq!(flotilla::metrics::compute(&s.world), flotilla::metrics::compute(&plain));
    assert_eq!(s.world.steps(), plain.steps());
    // And the same snapshot twice prints the same bytes.
    let again = Snapshot::take(&sc, "Defaults", t).unwrap();
    assert_eq!(kubectl(&s, "get events -o wide"), kubectl(&again, "get events -o wide"));
}

#[test]
fn errors_name_what_exists() {
    let sc = scenario("node-failure.ron");
    let e = Snapshot::take(&sc, "Nope", at("1m")).unwrap_err();
    assert_eq!(e.to_string(), "no world named \"Nope\" in this scenario; its worlds are: Defaults, Tuned, VMs");
    assert!(matches!(Snapshot::take(&sc, "Defaults", at("11m")), Err(ViewError::AfterEnd { .. })));
    let vms = Snapshot::take(&sc, "VMs", at("1m")).unwrap();
    let e = kubectl::run(&vms, &kubectl::parse(&args("get pods")).unwrap()).unwrap_err();
    assert!(e.to_string().contains("not Kubernetes"), "{e}");
    let k = Snapshot::take(&sc, "Defaults", at("1m")).unwrap();
    let e = kubectl::run(&k, &kubectl::parse(&args("describe pod web-nope")).unwrap()).unwrap_err();
    assert_eq!(e.to_string(), "Error from server (NotFound): pods \"web-nope\" not found");
    assert!(kubectl::parse(&args("get widgets")).unwrap_err().to_string().contains("resource type \"widgets\""));
    assert!(kubectl::parse(&args("get pods -o json")).is_err());
    assert!(kubectl::parse(&args("get deploy,rs -o yaml")).is_err());
    let e = docker::run(&k, "node-1", docker::Ps { all: true }).unwrap_err();
    assert!(e.to_string().contains("docker"), "{e}");
    // No metrics-server without traffic: kubectl's own message.
    let e = kubectl::run(&k, &kubectl::Command::TopNodes).unwrap_err();
    assert!(e.to_string().starts_with("error: Metrics API not available"), "{e}");
    // Another namespace holds nothing.
    let out = kubectl::run(&k, &kubectl::parse(&args("get pods -n kube-system")).unwrap()).unwrap();
    assert_eq!((out.stdout.as_str(), out.stderr.as_str()), ("", "No resources found in kube-system namespace.\n"));
    // A world is found by the tool when the scenario has one that fits.
    assert_eq!(views::Tool::Virsh.world(&sc, None).unwrap(), "VMs");
    assert!(views::Tool::Kubectl.world(&sc, None).is_err());
}

#[test]
fn get_pdb_counts_the_disruptions_a_dead_node_leaves() {
    // small-shop's storefront has a budget of maxUnavailable 1 over its 3 pods.
    let before = Snapshot::take(&scenario("small-shop.ron"), "Spread", at("7m")).unwrap();
    let text = kubectl(&before, "get pdb -n shop");
    assert_aligned(&text);
    assert_eq!(
        text,
        "NAME   MIN AVAILABLE   MAX UNAVAILABLE   ALLOWED DISRUPTIONS   AGE\nweb    N/A             1                 1                     7m\n"
    );
    // pool-2 died at 8:00: a storefront pod there is not Ready, so none may go.
    let after = Snapshot::take(&scenario("small-shop.ron"), "Spread", at("9m")).unwrap();
    assert!(kubectl(&after, "get pdb -n shop").contains("\nweb    N/A             1                 0 "));
}

#[test]
fn objects_live_in_their_manifests_namespace() {
    // small-shop's manifests put everything in namespace shop.
    let s = Snapshot::take(&scenario("small-shop.ron"), "Spread", at("7m")).unwrap();
    let command = kubectl::parse(&args("get pods")).unwrap();
    let out = kubectl::run(&s, &command).unwrap();
    assert_eq!((out.stdout.as_str(), out.stderr.as_str()), ("", "No resources found in default namespace.\n"));
    let pods = kubectl(&s, "get pods -n shop");
    assert!(pods.starts_with("NAME ") && pods.contains("\napi-"), "{pods}");
    let all = kubectl(&s, "get deploy -A");
    assert_aligned(&all);
    assert!(all.starts_with("NAMESPACE   NAME ") && all.contains("\nshop        api "), "{all}");
    let described =
        kubectl(&s, &format!("describe pod {} -n shop", pods.lines().nth(1).unwrap().split(' ').next().unwrap()));
    assert!(described.contains("\nNamespace:    shop\n"), "{described}");
    assert!(described.contains("Successfully assigned shop/"), "{described}");
    let events = kubectl(&s, "get events -n shop");
    assert!(events.contains(" pod/api-"), "{events}");
    // Node events are in default.
    let s = Snapshot::take(&scenario("small-shop.ron"), "Spread", at("9m")).unwrap();
    let events = kubectl(&s, "get events");
    assert!(events.contains(" node/pool-2 ") && !events.contains(" pod/"), "{events}");
}

#[test]
fn an_empty_namespace_is_the_default_and_all_namespaces_wins_over_one() {
    let namespace_of = |line: &[&str]| match kubectl::parse(&line.iter().map(|a| a.to_string()).collect::<Vec<_>>()) {
        Ok(kubectl::Command::Get { namespace, .. }) => namespace,
        other => panic!("{line:?}: {other:?}"),
    };
    // kubectl reads an empty -n as not given: the context's namespace, default.
    for empty in
        [&["get", "pods", "-n", ""][..], &["get", "pods", "--namespace="], &["get", "pods", "-n", "shop", "-n", ""]]
    {
        assert_eq!(namespace_of(empty), Some("default".to_string()), "{empty:?}");
    }
    assert_eq!(namespace_of(&["get", "pods", "-n", "shop"]), Some("shop".to_string()));
    // -A lists every namespace wherever -n stands.
    assert_eq!(namespace_of(&["get", "pods", "-A", "-n", "shop"]), None);
    assert_eq!(namespace_of(&["get", "pods", "-n", "shop", "-A"]), None);
}

#[test]
fn objects_applied_on_their_own_show_no_controller() {
    let text = r#"Scenario(name: "own", seed: 1, duration: "10m",
        hosts: [HostGroup(name: "node", count: 2, cpu: "4", memory: "16Gi", cached_images: ["redis:7"])],
        images: [Image(name: "redis:7", layers: ["30MB"])],
        apps: [App(name: "cache", image: "redis:7", cpu: "500m", memory: "1Gi")],
        worlds: [World(name: "K", platform: Kubernetes(), timeline: [
            At("0s", Apply(ReplicaSet(name: "cache", replicas: 2, template: PodTemplate(labels: {"app": "cache"},
                containers: [Container(name: "redis", image: "redis:7")])))),
            At("0s", Apply(Pod(name: "debug", namespace: "tools", template: PodTemplate(labels: {"run": "debug"},
                containers: [Container(name: "shell", image: "redis:7")]))))])])"#;
    let scenario = Scenario::parse(text, "own.ron").unwrap_or_else(|e| panic!("{e}"));
    let s = Snapshot::take(&scenario, "K", at("2m")).unwrap();
    let rs = kubectl(&s, "get rs -o wide");
    assert_aligned(&rs);
    assert!(rs.contains("\ncache   2         2         2       2m    redis        redis:7   app=cache\n"), "{rs}");
    let pods = kubectl(&s, "get pods -A");
    assert_aligned(&pods);
    assert!(pods.contains("\ntools       debug "), "{pods}");
    let debug = kubectl(&s, "describe pod debug -n tools");
    assert!(debug.contains("\nLabels:       run=debug\n"), "{debug}");
    assert!(!debug.contains("Controlled By"), "{debug}");
    assert!(debug.contains("Successfully assigned tools/debug to node-"), "{debug}");
    let cache = pods.lines().find(|l| l.starts_with("default     cache-")).expect("a pod of the ReplicaSet");
    let name = cache.split_whitespace().nth(1).unwrap();
    let described = kubectl(&s, &format!("describe pod {name}"));
    assert!(described.contains("\nControlled By:  ReplicaSet/cache\n"), "{described}");
    let events = kubectl(&s, "get events");
    assert!(events.contains(&format!("replicaset/cache   Created pod: {name}")), "{events}");
    let yaml = kubectl(&s, "get pod debug -n tools -o yaml");
    assert!(yaml.contains("namespace: tools") && !yaml.contains("pod-template-hash"), "{yaml}");
}

#[test]
fn show_labels_adds_each_objects_labels_as_a_last_column() {
    let s = Snapshot::take(&scenario("control-plane.ron"), "K8s", at("5s")).unwrap();
    let text = kubectl(&s, "get pods -A --show-labels");
    assert_aligned(&text);
    assert!(text.lines().next().unwrap().ends_with("   LABELS"), "{text}");
    // A pod's labels: its template's and the ReplicaSet's pod-template-hash, in key order.
    let k = s.world.kube().unwrap();
    for line in text.lines().skip(1) {
        let cells: Vec<&str> = line.split_whitespace().collect();
        let (name, labels) = (cells[1], cells[cells.len() - 1]);
        let hash = name.rsplit('-').nth(1).unwrap();
        let expected = if name.starts_with("coredns-") {
            format!("k8s-app=kube-dns,pod-template-hash={hash}")
        } else {
            format!("app=web,pod-template-hash={hash}")
        };
        assert_eq!(labels, expected, "{line}");
    }
    assert_eq!(text.lines().count(), 1 + k.pods.len());
    // The ReplicaSets carry the same labels; a node its hostname.
    let rs = kubectl(&s, "get rs -n kube-system --show-labels");
    assert!(rs.lines().nth(1).unwrap().contains("   k8s-app=kube-dns,pod-template-hash="), "{rs}");
    let nodes = kubectl(&s, "get nodes --show-labels");
    assert!(nodes.lines().nth(1).unwrap().ends_with("   kubernetes.io/hostname=node-1"), "{nodes}");
}

#[test]
fn a_pod_with_pod_level_resources_takes_its_qos_class_from_them_and_shows_them() {
    // sidecars.ron's PodLevel pods: no container names a request; the pod
    // requests 1500m / 768Mi and limits 2 / 1Gi, so it is Burstable
    // (ComputePodQOS from spec.resources), where its containers alone would be BestEffort.
    let s = Snapshot::take(&scenario("sidecars.ron"), "PodLevel", at("10s")).unwrap();
    let k = s.world.kube().unwrap();
    let (id, _) = k.pods.iter().next().expect("a pod");
    let name = s.world.instance(id).name.clone();
    let text = kubectl(&s, &format!("describe pod {name}"));
    assert!(text.contains("\nQoS Class:                    Burstable\n"), "{text}");
    let yaml = kubectl(&s, &format!("get pod {name} -o yaml"));
    let own = "  resources:\n    limits:\n      cpu: \"2\"\n      memory: 1Gi\n    requests:\n      cpu: 1500m\n      memory: 768Mi\n";
    assert!(yaml.contains(own), "{yaml}");
}
