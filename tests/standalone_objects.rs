//! ReplicaSets and Pods applied on their own, without a Deployment: a
//! ReplicaSet replaces its lost pods, a Pod that declares no controller is
//! never made again, a PodDisruptionBudget leaves such a pod out of its
//! controllers' scale, and a ReplicaSet's new template reaches only the pods
//! it makes next.

use flotilla::engine::SimTime;
use flotilla::model::spec::Action;
use flotilla::model::{HostId, InstanceId, Millicores, Phase};
use flotilla::scenario::Scenario;
use flotilla::world::World;
use flotilla::world::kubernetes::{Cluster, PodOwner};

fn world(timeline: &str) -> World {
    let text = format!(
        r#"Scenario(name: "k8s", seed: 1, duration: "20m",
        hosts: [HostGroup(name: "node", count: 3, cpu: "4", memory: "16Gi", cached_images: ["app:1"])],
        images: [Image(name: "app:1", layers: ["10MB"])],
        apps: [App(name: "app", image: "app:1", cpu: "1", memory: "1Gi")],
        worlds: [World(name: "K", platform: Kubernetes(), timeline: [{timeline}])])"#
    );
    let s = Scenario::parse(&text, "test.ron").unwrap_or_else(|e| panic!("{e}"));
    World::new(s.setup.clone(), s.worlds[0].clone())
}

fn secs(s: u64) -> SimTime {
    SimTime(s * 1_000_000)
}

const CACHE: &str = r#"At("0s", Apply(ReplicaSet(name: "cache", replicas: 3, template: PodTemplate(
    labels: {"app": "cache"},
    containers: [Container(name: "redis", image: "app:1",
        resources: Resources(requests: ResourceList(cpu: "1", memory: "1Gi")))]))))"#;

const DEBUG: &str = r#"At("0s", Apply(Pod(name: "debug", template: PodTemplate(
    labels: {"app": "debug"},
    containers: [Container(name: "shell", image: "app:1",
        resources: Resources(requests: ResourceList(cpu: "1", memory: "1Gi")))]))))"#;

/// The pod named `name`, and its node.
fn pod_named(w: &World, name: &str) -> Option<(InstanceId, Option<HostId>)> {
    let k = w.kube().unwrap();
    k.pods.iter().find(|(id, _)| w.instance(*id).name == name).map(|(id, p)| (id, p.node))
}

/// Pods of the ReplicaSet `cache` that are Ready and not terminating.
fn cache_ready(k: &Cluster) -> usize {
    let r = k.standalone_replica_set("cache").expect("the ReplicaSet exists");
    k.replica_sets[r].pods.iter().filter(|p| k.pods.get(p).is_some_and(|p| p.ready && !p.deleting)).count()
}

#[test]
fn a_replica_set_replaces_its_lost_pods_and_a_pod_of_its_own_is_lost_for_good() {
    let mut w = world(&format!("{CACHE}, {DEBUG}"));
    w.run_until(secs(60));
    let k = w.kube().unwrap();
    assert_eq!(cache_ready(k), 3);
    let (debug, Some(node)) = pod_named(&w, "debug").expect("the pod exists") else { panic!("debug is bound") };
    assert_eq!(k.pods.get(&debug).unwrap().owner, PodOwner::Standalone(0));
    assert!(k.deployments.is_empty(), "no Deployment is made for either object");
    // The ReplicaSet's pods are named after it, with no pod-template-hash.
    let r = k.standalone_replica_set("cache").unwrap();
    assert!(k.replica_sets[r].deployment.is_none());
    for p in &k.replica_sets[r].pods {
        let name = &w.instance(*p).name;
        assert!(name.starts_with("cache-") && name.len() == "cache-".len() + 5, "{name}");
    }

    w.apply(Action::FailHost(node));
    w.run_until(secs(900));
    let k = w.kube().unwrap();
    // The pod was evicted from the dead node (300 s toleration): it stays Terminating there,
    // with no kubelet to confirm that it is gone, and nothing makes it again.
    assert_eq!(pod_named(&w, "debug"), Some((debug, Some(node))));
    assert!(k.pods[&debug].deleting);
    // The ReplicaSet is whole again, on the two live nodes; its pods left on the dead
    // node are Terminating too.
    assert_eq!(cache_ready(k), 3);
    assert!(k.pods.iter().all(|(_, p)| p.node != Some(node) || p.deleting));
    // Recovery waits for the ReplicaSet, not for the Pod that is lost.
    assert!(k.stats.last_recovery.is_some(), "the world recovered");
    // The host back, its kubelet finds the containers gone: the pods are deleted.
    w.apply(Action::RecoverHost(node));
    w.run_until(secs(960));
    let k = w.kube().unwrap();
    assert!(pod_named(&w, "debug").is_none(), "the Pod is gone");
    assert_eq!(k.standalone_pods[0].pod, None);
    assert_eq!(w.instance(debug).phase, Phase::Failed);
    assert!(k.pods.iter().all(|(_, p)| p.node != Some(node)));
    assert_eq!(cache_ready(k), 3);
}

#[test]
fn applying_a_pod_again_makes_it_only_when_it_is_gone() {
    let mut w = world(&format!(r#"{DEBUG}, {}"#, DEBUG.replace(r#"At("0s""#, r#"At("30s""#)));
    w.run_until(secs(60));
    let k = w.kube().unwrap();
    assert_eq!(k.pods.len(), 1, "the second apply changes nothing");
    let (_, Some(node)) = pod_named(&w, "debug").unwrap() else { panic!("bound") };
    w.apply(Action::FailHost(node));
    w.run_until(secs(700));
    // Evicted, it is Terminating on the dead node until the host is back.
    assert!(pod_named(&w, "debug").is_some());
    w.apply(Action::RecoverHost(node));
    w.run_until(secs(720));
    assert!(pod_named(&w, "debug").is_none());
    // kubectl apply of the same file once it is gone makes it anew.
    let s = Scenario::parse(
        &format!(
            r#"Scenario(name: "k8s", seed: 1, duration: "20m",
            hosts: [HostGroup(name: "node", count: 3, cpu: "4", memory: "16Gi", cached_images: ["app:1"])],
            images: [Image(name: "app:1", layers: ["10MB"])],
            apps: [App(name: "app", image: "app:1", cpu: "1", memory: "1Gi")],
            worlds: [World(name: "K", platform: Kubernetes(), timeline: [{DEBUG}])])"#
        ),
        "test.ron",
    )
    .unwrap();
    let apply = s.worlds[0].timeline[0].action.clone();
    w.apply(apply);
    w.run_until(secs(760));
    let (again, bound) = pod_named(&w, "debug").expect("made again");
    assert!(bound.is_some());
    assert!(w.kube().unwrap().pods.get(&again).unwrap().ready);
}

#[test]
fn drain_evicts_a_pod_without_a_controller_unless_its_budget_expects_no_pods() {
    let run = |budget: &str| {
        let mut w = world(&format!("{DEBUG}{budget}"));
        w.run_until(secs(30));
        let (_, Some(node)) = pod_named(&w, "debug").unwrap() else { panic!("bound") };
        w.apply(Action::Drain(node));
        w.run_until(secs(120));
        let k = w.kube().unwrap();
        (pod_named(&w, "debug").is_some(), k.evictions_refused, k.nodes[node.index()].unschedulable)
    };
    // No budget: `kubectl drain --force` evicts it, and nothing makes it again.
    assert_eq!(run(""), (false, 0, true));
    // An integer minAvailable counts the pods themselves: 1 healthy, 0 wanted, 1 may go.
    assert_eq!(
        run(r#", At("0s", Apply(PodDisruptionBudget(name: "debug", selector: {"app": "debug"}, minAvailable: 0)))"#),
        (false, 0, true)
    );
    // maxUnavailable counts the scale of the pods' controllers, and this pod
    // has none: 0 pods expected, so no disruption is allowed and the drain waits.
    let (kept, refused, _) =
        run(r#", At("0s", Apply(PodDisruptionBudget(name: "debug", selector: {"app": "debug"}, maxUnavailable: 1)))"#);
    assert!(kept && refused > 10, "{kept} {refused}");
}

#[test]
fn a_budget_leaves_a_pod_without_a_controller_out_of_the_scale() {
    // The ReplicaSet's 3 pods and the Pod all match: 3 expected (the
    // ReplicaSet's replicas), 2 desired, 4 healthy, so 2 may go.
    let budget = r#", At("0s", Apply(PodDisruptionBudget(name: "all", maxUnavailable: 1)))"#;
    let mut w = world(&format!("{CACHE}, {DEBUG}{budget}"));
    w.run_until(secs(30));
    let k = w.kube().unwrap();
    let spec = k.disruption_budgets[0].0.clone();
    assert_eq!(k.disruption_status(&spec), (4, 2, 2));
}

#[test]
fn a_budget_over_a_replica_set_of_its_own_counts_its_replicas() {
    let budget =
        r#", At("0s", Apply(PodDisruptionBudget(name: "cache", selector: {"app": "cache"}, maxUnavailable: "34%")))"#;
    let mut w = world(&format!("{CACHE}{budget}"));
    w.run_until(secs(30));
    let k = w.kube().unwrap();
    let spec = k.disruption_budgets[0].0.clone();
    // 34 % of 3 replicas, rounded up, is 2 unavailable: 1 must stay healthy.
    assert_eq!(k.disruption_status(&spec), (3, 1, 2));
}

#[test]
fn a_replica_set_applied_again_makes_only_its_new_pods_from_the_new_template() {
    let smaller = CACHE
        .replace(r#"At("0s""#, r#"At("60s""#)
        .replace("replicas: 3", "replicas: 4")
        .replace(r#"ResourceList(cpu: "1", memory: "1Gi")"#, r#"ResourceList(cpu: "500m", memory: "1Gi")"#);
    let mut w = world(&format!("{CACHE}, {smaller}"));
    w.run_until(secs(120));
    let k = w.kube().unwrap();
    let r = k.standalone_replica_set("cache").unwrap();
    let mut cpu: Vec<u64> = k.replica_sets[r]
        .pods
        .iter()
        .map(|p| k.pods.get(p).unwrap().template.containers[0].cpu_request.unwrap().0)
        .collect();
    cpu.sort_unstable();
    // No rollout: the three pods keep 1 CPU; the fourth is made from the new template.
    assert_eq!(cpu, [500, 1000, 1000, 1000]);
    assert_eq!(k.replica_sets.len(), 1, "still one ReplicaSet");
    // The scheduler's cache holds what each pod requests.
    let held: u64 = k.nodes.iter().map(|n| k.cache.node(n.host.index()).requested.milli_cpu as u64).sum();
    assert_eq!(Millicores(held), Millicores(3500));
}

#[test]
fn a_pod_of_its_own_follows_its_restart_policy() {
    let pod = |policy: &str| {
        format!(
            r#"At("0s", Apply(Pod(name: "job", template: PodTemplate(restartPolicy: {policy},
                containers: [Container(name: "task", image: "app:1", exitsAfter: "20s")]))))"#
        )
    };
    // Never: the container exits once and the pod fails; nothing restarts or replaces it.
    let mut w = world(&pod("Never"));
    w.run_until(secs(120));
    assert!(w.kube().unwrap().pods.is_empty());
    assert_eq!(w.instances().iter().filter(|i| i.phase == Phase::Failed).count(), 1);
    assert_eq!(w.instances().len(), 1);
    // OnFailure: the kubelet restarts it in place, with its back-off.
    let mut w = world(&pod("OnFailure"));
    w.run_until(secs(120));
    let k = w.kube().unwrap();
    let (_, p) = k.pods.iter().next().expect("the pod is still there");
    assert!(p.restarts >= 2, "{}", p.restarts);
}

#[test]
fn a_replica_sets_pods_must_restart_always_and_a_pods_may_not() {
    let text = |object: &str| {
        format!(
            r#"Scenario(name: "k8s", seed: 1, duration: "1m",
            hosts: [HostGroup(name: "node", count: 1, cpu: "4", memory: "16Gi")],
            images: [Image(name: "app:1", layers: ["10MB"])], apps: [],
            worlds: [World(name: "K", platform: Kubernetes(), timeline: [At("0s", Apply({object}(name: "x",
                template: PodTemplate(restartPolicy: Never, containers: [Container(name: "c", image: "app:2")]))))])])"#
        )
    };
    let err = Scenario::parse(&text("ReplicaSet"), "test.ron").map(|_| ()).unwrap_err().to_string();
    assert!(
        err.contains(r#"timeline[0].template.restartPolicy: Unsupported value: "Never": supported values: "Always""#),
        "{err}"
    );
    assert!(err.contains(r#"timeline[0].template.containers[0].image: no image is named "app:2""#), "{err}");
    let err = Scenario::parse(&text("Pod"), "test.ron").map(|_| ()).unwrap_err().to_string();
    assert!(!err.contains("restartPolicy"), "{err}");
    assert!(err.contains(r#"timeline[0].template.containers[0].image: no image is named "app:2""#), "{err}");
}

#[test]
fn a_budget_matches_the_pods_of_a_replica_set_applied_again_by_their_own_labels() {
    // At 60 s the ReplicaSet's template gets other labels and a fourth
    // replica: its first 3 pods keep `app: cache`, the new one has `app: store`.
    let relabelled = CACHE
        .replace(r#"At("0s""#, r#"At("60s""#)
        .replace("replicas: 3", "replicas: 4")
        .replace(r#"{"app": "cache"}"#, r#"{"app": "store"}"#);
    let old = r#", At("0s", Apply(PodDisruptionBudget(name: "old", selector: {"app": "cache"}, maxUnavailable: 1)))"#;
    let new = r#", At("0s", Apply(PodDisruptionBudget(name: "new", selector: {"app": "store"}, maxUnavailable: 1)))"#;
    let mut w = world(&format!("{CACHE}, {relabelled}{old}{new}"));
    w.run_until(secs(120));
    let k = w.kube().unwrap();
    let status = |i: usize| k.disruption_status(&k.disruption_budgets[i].0.clone());
    // Healthy, desired (the ReplicaSet's 4 replicas less 1), allowed.
    assert_eq!(status(0), (3, 3, 0));
    assert_eq!(status(1), (1, 3, 0));
}
