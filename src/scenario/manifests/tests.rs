use super::*;

fn read_one(text: &str) -> Read {
    let mut out = Read::default();
    read_text(text, "k8s/app.yaml", &mut yaml::Allowance::default(), &mut out);
    out
}

const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  strategy:
    rollingUpdate: {maxSurge: 1, maxUnavailable: 0}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: web:1
        resources:
          requests: {cpu: 250m, memory: 256Mi}
        livenessProbe:
          exec: {command: [cat, /tmp/healthy]}
";

#[test]
fn a_deployment_is_read_with_its_unread_fields_listed() {
    let read = read_one(DEPLOYMENT);
    assert!(read.problems.is_empty(), "{:?}", read.problems);
    let [m] = read.manifests.as_slice() else { panic!("one object") };
    let Object::Deployment(d) = &m.object else { panic!("a Deployment") };
    assert_eq!((d.name.as_str(), d.replicas), ("web", 3));
    assert_eq!(d.template.containers[0].resources.requests.as_ref().unwrap().cpu, Some(Millicores(250)));
    assert!(matches!(
        d.strategy,
        Some(StrategyFile::RollingUpdate { max_surge: Some(IntOrPercentFile(IntOrPercent::Int(1))), .. })
    ));
    let listed: Vec<String> = read.ignored.iter().map(|i| format!("{}:{}", i.at.line, i.path)).collect();
    assert_eq!(listed, vec!["5:metadata.labels", "21:spec.template.spec.containers[0].livenessProbe"]);
}

#[test]
fn problems_are_placed_by_line_column_and_field_path() {
    let text = DEPLOYMENT.replace("replicas: 3", "replicas: three").replace("---", "");
    let read = read_one(&format!("apiVersion: v1\nkind: Namespace\nmetadata: {{name: shop}}\n---\n{text}"));
    assert_eq!(read.problems.len(), 1, "{:?}", read.problems);
    let p = &read.problems[0];
    assert_eq!(p.path, "k8s/app.yaml:11:3: document 2, Deployment \"web\", spec.replicas");
    assert!(p.message.contains("invalid type: string \"three\""), "{}", p.message);
}

#[test]
fn a_local_tag_is_refused_at_its_value() {
    let read = read_one(&DEPLOYMENT.replace("  name: web\n", "  name: !Ref web\n"));
    assert!(read.manifests.is_empty());
    let [p] = read.problems.as_slice() else { panic!("one problem: {:?}", read.problems) };
    assert_eq!(p.path, "k8s/app.yaml:4:14");
    assert!(p.message.starts_with("the YAML does not parse: unsupported tag `!Ref`: "), "{}", p.message);
}

#[test]
fn an_unknown_field_is_refused_as_strict_decoding_refuses_it() {
    let read = read_one(&DEPLOYMENT.replace("  replicas: 3", "  replica: 3"));
    assert_eq!(read.problems.len(), 1, "{:?}", read.problems);
    assert_eq!(read.problems[0].path, "k8s/app.yaml:7:3: document 1, Deployment \"web\", spec.replica");
    assert_eq!(read.problems[0].message, "strict decoding error: unknown field \"spec.replica\"");
}

#[test]
fn an_unknown_field_in_a_list_item_is_named_by_its_index_and_a_null_one_is_absent() {
    let text = DEPLOYMENT.replace("        image: web:1\n", "        image: web:1\n        imagePolicy: Always\n");
    let read = read_one(&text.replace("  replicas: 3", "  replicas: 3\n  paused: null\n  extra: null"));
    let messages: Vec<String> = read.problems.iter().map(|p| p.message.clone()).collect();
    assert_eq!(
        messages,
        ["strict decoding error: unknown field \"spec.template.spec.containers[0].imagePolicy\""],
        "{:?}",
        read.problems
    );
}

#[test]
fn unknown_kinds_and_versions_are_errors() {
    let read = read_one(
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db}\n---\napiVersion: extensions/v1beta1\nkind: Deployment\nmetadata: {name: web}\n---\nkind: Service\n",
    );
    let messages: Vec<String> = read.problems.iter().map(|p| format!("{}: {}", p.path, p.message)).collect();
    assert_eq!(messages.len(), 3, "{messages:?}");
    assert!(messages[0].starts_with("k8s/app.yaml:2:1: document 1, StatefulSet \"db\", kind: no matches for kind \"StatefulSet\" in version \"apps/v1\": Flotilla reads Deployment"), "{}", messages[0]);
    assert!(
        messages[1]
            .ends_with("no matches for kind \"Deployment\" in version \"extensions/v1beta1\": Deployment is apps/v1"),
        "{}",
        messages[1]
    );
    assert!(messages[2].ends_with("error validating data: [apiVersion not set]"), "{}", messages[2]);
}

#[test]
fn a_list_holds_objects_and_config_maps_are_kept_whole() {
    let text = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata: {name: web}\n  spec:\n    selector: {app: web}\n    ports: [{port: 80}]\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: settings}\n  data: {a: b}\n";
    let read = read_one(text);
    assert!(read.problems.is_empty(), "{:?}", read.problems);
    assert_eq!(read.manifests.len(), 2);
    assert!(matches!(&read.manifests[0].object, Object::Service(s) if s.selector["app"] == "web"));
    let listed: Vec<String> = read.ignored.iter().map(|i| i.to_string()).collect();
    assert_eq!(
        listed,
        vec![
            "k8s/app.yaml:9:5: document 1, items[0], Service \"web\": spec.ports: not simulated: requests reach a pod without ports",
            "k8s/app.yaml:10:3: document 1, items[1], ConfigMap \"settings\":: not simulated: a ConfigMap holds a container's settings, which run as its service's cost",
        ]
    );
}

#[test]
fn an_hpa_reads_the_metrics_flotilla_measures_and_lists_the_others() {
    let text = "apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: api}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
  minReplicas: 2
  maxReplicas: 10
  metrics:
  - type: Resource
    resource: {name: memory, target: {type: Utilization, averageUtilization: 70}}
  - type: External
    external:
      metric: {name: queue_messages_ready}
      target: {type: AverageValue, averageValue: 30}
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 60}}
  - type: Pods
    pods:
      metric: {name: http_requests_per_second}
      target: {type: AverageValue, averageValue: 500m}
  - type: Pods
    pods:
      metric: {name: packets-per-second}
      target: {type: AverageValue, averageValue: 1k}
  - type: ContainerResource
    containerResource: {name: cpu, container: app, target: {type: AverageValue, averageValue: 250m}}
  behavior:
    scaleDown: {stabilizationWindowSeconds: 60}
";
    let read = read_one(text);
    assert!(read.problems.is_empty(), "{:?}", read.problems);
    let Object::HorizontalPodAutoscaler { hpa, metrics, .. } = &read.manifests[0].object else { panic!() };
    assert_eq!((hpa.min_replicas, hpa.max_replicas, hpa.target_cpu_utilization_percentage), (Some(2), 10, None));
    let t = |s: &str| MetricTargetFile::AverageValue(s.into());
    assert_eq!(
        hpa.metrics.as_deref().unwrap(),
        [
            MetricFile::Resource { name: "memory".into(), target: MetricTargetFile::Utilization(70) },
            MetricFile::Resource { name: "cpu".into(), target: MetricTargetFile::Utilization(60) },
            MetricFile::Pods { metric: "http_requests_per_second".into(), target: t("500m") },
            MetricFile::ContainerResource { name: "cpu".into(), container: "app".into(), target: t("250m") },
        ]
    );
    assert_eq!(metrics.iter().map(|(i, _)| *i).collect::<Vec<_>>(), [0, 2, 3, 5]);
    let object = &read.manifests[0].object;
    assert_eq!(manifest_path(object, ".metrics[1].target"), "spec.metrics[2].resource.target.averageUtilization");
    assert_eq!(manifest_path(object, ".metrics[2].metric"), "spec.metrics[3].pods.metric.name");
    assert_eq!(manifest_path(object, ".metrics[3].container"), "spec.metrics[5].containerResource.container");
    assert_eq!(manifest_path(object, ".metrics[3].target"), "spec.metrics[5].containerResource.target.averageValue");
    assert_eq!(hpa.behavior.as_ref().unwrap().scale_down.as_ref().unwrap().stabilization_window_seconds, Some(60));
    let ignored: Vec<&str> = read.ignored.iter().map(|u| u.path.as_str()).collect();
    assert_eq!(ignored, ["spec.metrics[1]", "spec.metrics[4]"], "{:?}", read.ignored);
    assert!(read.ignored[1].reason.contains("packets-per-second"), "{:?}", read.ignored[1]);
}

#[test]
fn an_hpa_metric_without_its_target_value_is_refused() {
    let text = "apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: api}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
  maxReplicas: 10
  metrics:
  - type: Pods
    pods:
      metric: {name: http_requests_per_second}
      target: {type: Utilization, averageUtilization: 50}
";
    let read = read_one(text);
    assert_eq!(read.problems.len(), 1, "{:?}", read.problems);
    assert!(read.problems[0].path.ends_with("spec.metrics[0].pods.target.averageValue"), "{:?}", read.problems);
}

#[test]
fn ron_paths_are_told_in_the_manifests_words() {
    let d = Object::Deployment(Box::default_deployment());
    assert_eq!(manifest_path(&d, ".template.containers[0].image"), "spec.template.spec.containers[0].image");
    assert_eq!(manifest_path(&d, ".template.labels"), "spec.template.metadata.labels");
    assert_eq!(manifest_path(&d, ".strategy.maxUnavailable"), "spec.strategy.rollingUpdate.maxUnavailable");
    assert_eq!(manifest_path(&d, ".name"), "metadata.name");
    assert_eq!(manifest_path(&d, ".replicas"), "spec.replicas");
}

trait DefaultDeployment {
    fn default_deployment() -> Self;
}

impl DefaultDeployment for Box<DeploymentFile> {
    fn default_deployment() -> Self {
        let mut read = read_one(DEPLOYMENT);
        match read.manifests.remove(0).object {
            Object::Deployment(d) => d,
            _ => unreachable!(),
        }
    }
}

#[test]
fn a_pod_template_without_containers_is_refused_where_it_says_so() {
    let text = DEPLOYMENT.replace(
        "      containers:\n      - name: web\n        image: web:1\n        resources:\n          requests: {cpu: 250m, memory: 256Mi}\n        livenessProbe:\n          exec: {command: [cat, /tmp/healthy]}\n",
        "      containers: []\n",
    );
    assert!(text.contains("containers: []"));
    let read = read_one(&text);
    let messages: Vec<String> = read.problems.iter().map(|p| format!("{}: {}", p.path, p.message)).collect();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(messages[0].ends_with("spec.template.spec.containers: Required value"), "{messages:?}");
}

#[test]
fn a_list_whose_items_are_not_a_list_is_refused() {
    let read = read_one("apiVersion: v1\nkind: List\nitems: {name: web}\n");
    let messages: Vec<String> = read.problems.iter().map(|p| format!("{}: {}", p.path, p.message)).collect();
    assert_eq!(messages, ["k8s/app.yaml:3:1: document 1, List, items: invalid type: expected a sequence of objects"]);
}

#[test]
fn a_pod_disruption_budget_is_read_with_its_selector_and_budget() {
    let read = read_one(
        "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: web}\nspec:\n  minAvailable: 50%\n  selector:\n    matchLabels: {app: web}\n",
    );
    assert!(read.problems.is_empty(), "{:?}", read.problems);
    let [m] = read.manifests.as_slice() else { panic!("one object") };
    let Object::PodDisruptionBudget(b) = &m.object else { panic!("a PodDisruptionBudget") };
    assert_eq!(b.min_available, Some(IntOrPercentFile(IntOrPercent::Percent(50))));
    assert_eq!(b.selector.get("app").map(String::as_str), Some("web"));
    assert!(read.ignored.is_empty(), "{:?}", read.ignored);
}

#[test]
fn extended_resources_are_read_as_whole_devices() {
    let text = DEPLOYMENT.replace(
        "          requests: {cpu: 250m, memory: 256Mi}\n",
        "          requests: {cpu: 250m, memory: 256Mi}\n          limits: {nvidia.com/gpu: 2, ephemeral-storage: 1Gi}\n",
    );
    let read = read_one(&text);
    assert!(read.problems.is_empty(), "{:?}", read.problems);
    let Object::Deployment(d) = &read.manifests[0].object else { panic!("a Deployment") };
    let limits = d.template.containers[0].resources.limits.as_ref().unwrap();
    assert_eq!(limits.extended.get("nvidia.com/gpu"), Some(&2));
    let ignored: Vec<&str> = read.ignored.iter().map(|u| u.path.as_str()).collect();
    assert!(ignored.contains(&"spec.template.spec.containers[0].resources.limits.ephemeral-storage"), "{ignored:?}");
    // A part of a device is refused.
    let read = read_one(&text.replace("nvidia.com/gpu: 2", "nvidia.com/gpu: 500m"));
    assert_eq!(read.problems.len(), 1, "{:?}", read.problems);
    assert!(read.problems[0].message.contains("must be an integer"), "{:?}", read.problems);
    assert!(read.problems[0].path.ends_with("resources.limits[nvidia.com/gpu]"), "{:?}", read.problems);
}

#[test]
fn an_hpa_metric_without_its_source_is_refused() {
    let text = "apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: api}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
  maxReplicas: 10
  metrics:
  - type: Pods
";
    let read = read_one(text);
    assert_eq!(read.problems.len(), 1, "{:?}", read.problems);
    assert!(read.problems[0].path.ends_with("spec.metrics[0].pods"), "{:?}", read.problems);
    assert!(read.problems[0].message.contains("must populate information"), "{:?}", read.problems);
}

const STANDALONE: &str = "apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: cache
spec:
  replicas: 2
  minReadySeconds: 5
  selector:
    matchLabels: {app: cache}
  template:
    metadata:
      labels: {app: cache}
    spec:
      containers:
      - name: redis
        image: redis:7
        resources:
          requests: {cpu: 500m, memory: 1Gi}
---
apiVersion: v1
kind: Pod
metadata:
  name: debug
  namespace: shop
  labels: {app: debug}
spec:
  restartPolicy: Never
  containers:
  - name: shell
    image: busybox:1.36
    command: [sleep, '3600']
";

#[test]
fn a_replica_set_and_a_pod_of_their_own_are_read() {
    let read = read_one(STANDALONE);
    assert!(read.problems.is_empty(), "{:?}", read.problems);
    let [rs, pod] = read.manifests.as_slice() else { panic!("two objects") };
    let Object::ReplicaSet(r) = &rs.object else { panic!("a ReplicaSet") };
    assert_eq!((r.name.as_str(), r.replicas, r.namespace.as_deref()), ("cache", 2, None));
    assert_eq!(r.template.labels["app"], "cache");
    assert_eq!(r.template.containers[0].resources.requests.as_ref().unwrap().cpu, Some(Millicores(500)));
    let Object::Pod(p) = &pod.object else { panic!("a Pod") };
    assert_eq!((p.name.as_str(), p.namespace.as_deref()), ("debug", Some("shop")));
    assert_eq!((p.template.labels["app"].as_str(), p.template.restart_policy), ("debug", RestartPolicy::Never));
    let listed: Vec<String> = read.ignored.iter().map(|i| format!("{}:{}", i.at.line, i.path)).collect();
    assert_eq!(listed, vec!["7:spec.minReadySeconds", "31:spec.containers[0].command"]);
    // The scenario's checks name a Pod's fields as the Pod has them.
    assert_eq!(manifest_path(&pod.object, ".template.containers[0].image"), "spec.containers[0].image");
    assert_eq!(manifest_path(&pod.object, ".template.labels"), "metadata.labels");
    assert_eq!(manifest_path(&rs.object, ".template.restartPolicy"), "spec.template.spec.restartPolicy");
}

#[test]
fn a_replica_set_whose_selector_misses_its_pods_is_refused() {
    let read = read_one(&STANDALONE.replace("matchLabels: {app: cache}", "matchLabels: {app: redis}"));
    let messages: Vec<String> = read.problems.iter().map(|p| format!("{}: {}", p.path, p.message)).collect();
    assert_eq!(
        messages,
        vec![
            "k8s/app.yaml:12:7: document 1, ReplicaSet \"cache\", spec.template.metadata.labels: Invalid value: `selector` does not match template `labels`"
        ]
    );
}

#[test]
fn an_empty_selector_is_refused_as_the_api_server_refuses_it() {
    let messages = |text: &str| -> Vec<String> {
        read_one(text).problems.iter().map(|p| format!("{}: {}", p.path, p.message)).collect()
    };
    assert_eq!(
        messages(&DEPLOYMENT.replace("matchLabels: {app: web}", "matchLabels: {}")),
        vec![
            "k8s/app.yaml:8:3: document 1, Deployment \"web\", spec.selector: Invalid value: {\"matchLabels\":{}}: empty selector is invalid for deployment"
        ]
    );
    assert_eq!(
        messages(&STANDALONE.replace("matchLabels: {app: cache}", "matchExpressions: []")),
        vec![
            "k8s/app.yaml:8:3: document 1, ReplicaSet \"cache\", spec.selector: Invalid value: {\"matchExpressions\":[]}: empty selector is invalid for deployment"
        ]
    );
}

#[test]
fn pod_level_resources_are_read_and_huge_pages_listed_as_not_simulated() {
    let text = DEPLOYMENT.replace(
        "    spec:\n      containers:",
        "    spec:\n      resources:\n        requests: {cpu: 500m, memory: 512Mi, hugepages-2Mi: 4Mi}\n        limits: {cpu: \"1\"}\n      containers:",
    );
    let read = read_one(&text);
    assert!(read.problems.is_empty(), "{:?}", read.problems);
    let [m] = read.manifests.as_slice() else { panic!("one object") };
    let Object::Deployment(d) = &m.object else { panic!("a Deployment") };
    let own = d.template.resources.as_ref().expect("pod-level resources");
    let requests = own.requests.as_ref().expect("requests");
    assert_eq!((requests.cpu, requests.memory), (Some(Millicores(500)), Some(Bytes(512 << 20))));
    assert_eq!(own.limits.as_ref().and_then(|l| l.cpu), Some(Millicores(1000)));
    let listed: Vec<&str> = read.ignored.iter().map(|i| i.path.as_str()).collect();
    assert!(listed.contains(&"spec.template.spec.resources.requests.hugepages-2Mi"), "{listed:?}");
}

#[test]
fn a_quantity_past_the_largest_a_scenario_takes_says_so_in_the_manifests_words() {
    // `Ei` and `E` are Kubernetes suffixes: the value is read, then found too large.
    for (memory, cpu) in [("1Ei", "1e9"), ("2E", "2000000")] {
        let text =
            DEPLOYMENT.replace("{cpu: 250m, memory: 256Mi}", &format!("{{cpu: \"{cpu}\", memory: \"{memory}\"}}"));
        let read = read_one(&text);
        let messages: Vec<&str> = read.problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                format!("\"{cpu}\" is more than a million cores, the most a scenario may give"),
                format!("\"{memory}\" is more than 1024Ti (1 PiB), the largest size a scenario may give"),
            ],
        );
    }
}

#[test]
fn required_node_affinity_without_a_term_is_refused_as_the_api_server_refuses_it() {
    let text = DEPLOYMENT.replace(
        "      containers:\n",
        "      affinity:\n        nodeAffinity:\n          requiredDuringSchedulingIgnoredDuringExecution:\n            nodeSelectorTerms: []\n      containers:\n",
    );
    let read = read_one(&text);
    let [p] = read.problems.as_slice() else { panic!("one problem: {:?}", read.problems) };
    assert!(
        p.path.ends_with(
            "spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms"
        ),
        "{}",
        p.path
    );
    assert_eq!(p.message, "Required value: must have at least one node selector term");
}

#[test]
fn a_nodes_devices_are_whole_as_the_api_server_requires() {
    let node = |gpus: &str| {
        read_one(&format!(
            "apiVersion: v1\nkind: Node\nmetadata: {{name: gpu-1}}\nstatus:\n  capacity: {{cpu: \"8\", nvidia.com/gpu: \"{gpus}\"}}\n"
        ))
    };
    let read = node("2");
    assert!(read.problems.is_empty(), "{:?}", read.problems);
    let [m] = read.manifests.as_slice() else { panic!("one object") };
    let Object::Node(n) = &m.object else { panic!("a Node") };
    assert_eq!(n.extended.get("nvidia.com/gpu"), Some(&2));
    let read = node("1.5");
    let [p] = read.problems.as_slice() else { panic!("one problem: {:?}", read.problems) };
    assert!(p.path.ends_with("status.capacity[nvidia.com/gpu]"), "{}", p.path);
    assert_eq!(p.message, "must be an integer");
}
