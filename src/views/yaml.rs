//! A Kubernetes world's objects as `kubectl get -o yaml` prints them: the
//! spec as applied and the status as simulated, built as the API's own types
//! (`k8s-openapi`) so that the YAML is what `kubectl apply --dry-run=client`
//! accepts. Times are left out: a simulated clock has no date.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1 as apps;
use k8s_openapi::api::autoscaling::v2 as autoscaling;
use k8s_openapi::api::core::v1 as core;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::Serialize;

use crate::model::Phase;
use crate::model::kube::{
    ContainerSpec, DeploymentStrategy, IntOrPercent, PodTemplate, RestartPolicy, SelectorOperator, TaintEffect,
    TolerationOperator, UnsatisfiableConstraintAction,
};
use crate::world::World;
use crate::world::kubernetes::{Cluster, NodeCondition};

/// The kinds `get` prints, by the names and short names kubectl takes.
pub fn kind_of(resource: &str) -> Option<&'static str> {
    Some(match resource.to_ascii_lowercase().as_str() {
        "deploy" | "deployment" | "deployments" | "deployments.apps" => "Deployment",
        "po" | "pod" | "pods" => "Pod",
        "no" | "node" | "nodes" => "Node",
        "hpa" | "horizontalpodautoscaler" | "horizontalpodautoscalers" => "HorizontalPodAutoscaler",
        _ => return None,
    })
}

/// `kubectl get RESOURCE [NAME] -o yaml` on a Kubernetes world as it is now:
/// one object, or a `List` of every object of the kind when no name is
/// given, of `namespace` (of every namespace when `None`).
pub fn get(world: &World, resource: &str, name: Option<&str>, namespace: Option<&str>) -> Result<String, String> {
    let Some(cluster) = world.kube() else {
        return Err(format!("world {:?} is not a Kubernetes world", world.name()));
    };
    let Some(kind) = kind_of(resource) else {
        return Err(format!(
            "the server doesn't have a resource type {resource:?}; Flotilla prints deployments, pods, nodes and hpa"
        ));
    };
    let value = match name {
        Some(n) => {
            let plural = resource_plural(kind);
            let found = if names(world, cluster, kind, namespace).iter().any(|known| known == n) {
                object(world, cluster, kind, n)
            } else {
                None
            };
            found.ok_or_else(|| format!("Error from server (NotFound): {plural} {n:?} not found"))?
        }
        None => list(items(world, cluster, kind, namespace)),
    };
    to_yaml(&value)
}

/// `kubectl get nodes,deployments,pods,hpa -A -o yaml` on a Kubernetes world
/// as it is now: one `List` of every node, then every Deployment, pod and
/// HorizontalPodAutoscaler, as kubectl prints several kinds at once.
pub fn get_everything(world: &World) -> Result<String, String> {
    let Some(cluster) = world.kube() else {
        return Err(format!("world {:?} is not a Kubernetes world", world.name()));
    };
    let all = ["Node", "Deployment", "Pod", "HorizontalPodAutoscaler"]
        .into_iter()
        .flat_map(|kind| items(world, cluster, kind, None))
        .collect();
    to_yaml(&list(all))
}

fn list(items: Vec<serde_json::Value>) -> serde_json::Value {
    serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items, "metadata": {"resourceVersion": ""}})
}

/// The names of the objects of a kind in `namespace` (every namespace when `None`), in the order kubectl lists them.
fn names(world: &World, cluster: &Cluster, kind: &str, namespace: Option<&str>) -> Vec<String> {
    let in_scope = |ns: &str| namespace.is_none_or(|n| n == ns);
    match kind {
        "Deployment" => {
            cluster.deployments.iter().filter(|d| in_scope(&d.spec.namespace)).map(|d| d.spec.name.clone()).collect()
        }
        "Pod" => cluster
            .pods
            .iter()
            .filter(|(_, p)| in_scope(cluster.pod_namespace(p)))
            .map(|(id, _)| world.instance(id).name.clone())
            .collect(),
        "Node" => {
            cluster.nodes.iter().filter(|n| n.condition != NodeCondition::Absent).map(|n| n.name.clone()).collect()
        }
        _ => cluster.hpas().iter().filter(|h| in_scope(&h.spec.namespace)).map(|h| h.spec.name.clone()).collect(),
    }
}

fn object(world: &World, cluster: &Cluster, kind: &str, name: &str) -> Option<serde_json::Value> {
    let json = match kind {
        "Deployment" => serde_json::to_value(deployment(world, cluster, name)?),
        "Pod" => serde_json::to_value(pod(world, cluster, name)?),
        "Node" => serde_json::to_value(node(world, cluster, name)?),
        _ => serde_json::to_value(hpa(world, cluster, name)?),
    };
    json.ok()
}

fn items(world: &World, cluster: &Cluster, kind: &str, namespace: Option<&str>) -> Vec<serde_json::Value> {
    names(world, cluster, kind, namespace).iter().filter_map(|n| object(world, cluster, kind, n)).collect()
}

fn resource_plural(kind: &str) -> &'static str {
    match kind {
        "Deployment" => "deployments.apps",
        "Pod" => "pods",
        "Node" => "nodes",
        _ => "horizontalpodautoscalers.autoscaling",
    }
}

/// YAML with two-space indentation, keys in the order the types give them.
pub fn to_yaml<T: Serialize>(value: &T) -> Result<String, String> {
    serde_saphyr::to_string(value).map_err(|e| e.to_string())
}

/// An object's metadata; `namespace` `None` for a cluster-scoped one.
fn meta(name: &str, namespace: Option<&str>, labels: BTreeMap<String, String>) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_string()),
        namespace: namespace.map(str::to_string),
        labels: (!labels.is_empty()).then_some(labels),
        ..ObjectMeta::default()
    }
}

fn cpu(m: crate::model::Millicores) -> Quantity {
    Quantity(m.to_string())
}

/// Bytes as an exact Kubernetes quantity: the largest binary suffix (`Mi`,
/// `Gi`) that divides it, else the largest decimal one (`M`, `G`), else bytes.
fn memory(b: crate::model::Bytes) -> Quantity {
    let b = b.0;
    let binary =
        [("Ei", 1u64 << 60), ("Pi", 1 << 50), ("Ti", 1 << 40), ("Gi", 1 << 30), ("Mi", 1 << 20), ("Ki", 1 << 10)];
    let decimal = [
        ("E", 10u64.pow(18)),
        ("P", 10u64.pow(15)),
        ("T", 10u64.pow(12)),
        ("G", 10u64.pow(9)),
        ("M", 10u64.pow(6)),
        ("k", 1000),
    ];
    let suffix = binary.into_iter().chain(decimal).find(|&(_, scale)| b != 0 && b.is_multiple_of(scale));
    Quantity(match suffix {
        Some((unit, scale)) => format!("{}{unit}", b / scale),
        None => b.to_string(),
    })
}

fn int_or_percent(v: IntOrPercent) -> IntOrString {
    match v {
        IntOrPercent::Int(n) => IntOrString::Int(i32::try_from(n).unwrap_or(i32::MAX)),
        IntOrPercent::Percent(p) => IntOrString::String(format!("{p}%")),
    }
}

/// A resource list of CPU and memory, `None` when empty.
fn resource_list(
    cpu_q: Option<crate::model::Millicores>,
    mem: Option<crate::model::Bytes>,
) -> Option<BTreeMap<String, Quantity>> {
    let mut m = BTreeMap::new();
    if let Some(c) = cpu_q {
        m.insert("cpu".to_string(), cpu(c));
    }
    if let Some(b) = mem {
        m.insert("memory".to_string(), memory(b));
    }
    (!m.is_empty()).then_some(m)
}

fn container(world: &World, c: &ContainerSpec) -> core::Container {
    let list = resource_list;
    // Extended resources: a request equals its limit, and both are written.
    let extended = |m: Option<BTreeMap<String, Quantity>>| {
        let mut m = m.unwrap_or_default();
        for (name, &n) in world.setup().extended_resources.iter().zip(&c.extended) {
            if n > 0 {
                m.insert(name.clone(), Quantity(n.to_string()));
            }
        }
        (!m.is_empty()).then_some(m)
    };
    let requests = extended(list(c.cpu_request, c.memory_request));
    let limits = extended(list(c.cpu_limit, c.memory_limit));
    core::Container {
        name: c.name.clone(),
        image: Some(world.setup().images[c.image.index()].name.clone()),
        image_pull_policy: Some(format!("{:?}", c.image_pull_policy)),
        resources: (requests.is_some() || limits.is_some()).then(|| core::ResourceRequirements {
            requests,
            limits,
            ..Default::default()
        }),
        readiness_probe: (c.readiness_delay.as_micros() > 0).then(|| core::Probe {
            initial_delay_seconds: Some(i32::try_from(c.readiness_delay.as_micros() / 1_000_000).unwrap_or(i32::MAX)),
            ..Default::default()
        }),
        restart_policy: c.sidecar.then(|| "Always".to_string()),
        ..Default::default()
    }
}

fn operator(op: SelectorOperator) -> String {
    format!("{op:?}")
}

fn pod_spec(world: &World, t: &PodTemplate) -> core::PodSpec {
    let term = |t: &crate::model::kube::NodeSelectorTerm| core::NodeSelectorTerm {
        match_expressions: Some(
            t.match_expressions
                .iter()
                .map(|r| core::NodeSelectorRequirement {
                    key: r.key.clone(),
                    operator: operator(r.operator),
                    values: (!r.values.is_empty()).then(|| r.values.clone()),
                })
                .collect(),
        ),
        match_fields: None,
    };
    let affinity = (!t.affinity.required.is_empty() || !t.affinity.preferred.is_empty()).then(|| core::Affinity {
        node_affinity: Some(core::NodeAffinity {
            required_during_scheduling_ignored_during_execution: (!t.affinity.required.is_empty())
                .then(|| core::NodeSelector { node_selector_terms: t.affinity.required.iter().map(term).collect() }),
            preferred_during_scheduling_ignored_during_execution: (!t.affinity.preferred.is_empty()).then(|| {
                t.affinity
                    .preferred
                    .iter()
                    .map(|p| core::PreferredSchedulingTerm {
                        weight: i32::try_from(p.weight).unwrap_or(100),
                        preference: term(&p.preference),
                    })
                    .collect()
            }),
        }),
        ..Default::default()
    });
    core::PodSpec {
        containers: t.containers.iter().map(|c| container(world, c)).collect(),
        init_containers: (!t.init_containers.is_empty())
            .then(|| t.init_containers.iter().map(|c| container(world, c)).collect()),
        node_selector: (!t.node_selector.is_empty()).then(|| t.node_selector.clone()),
        node_name: t.node_name.clone(),
        affinity,
        tolerations: (!t.tolerations.is_empty()).then(|| {
            t.tolerations
                .iter()
                .map(|x| core::Toleration {
                    key: (!x.key.is_empty()).then(|| x.key.clone()),
                    operator: Some(
                        match x.operator {
                            TolerationOperator::Equal => "Equal",
                            TolerationOperator::Exists => "Exists",
                        }
                        .to_string(),
                    ),
                    value: (!x.value.is_empty()).then(|| x.value.clone()),
                    effect: x.effect.map(|e| TaintEffect::name(e).to_string()),
                    toleration_seconds: x.toleration_seconds.map(|s| i64::try_from(s).unwrap_or(i64::MAX)),
                })
                .collect()
        }),
        topology_spread_constraints: (!t.topology_spread_constraints.is_empty()).then(|| {
            t.topology_spread_constraints
                .iter()
                .map(|c| core::TopologySpreadConstraint {
                    max_skew: i32::try_from(c.max_skew).unwrap_or(i32::MAX),
                    topology_key: c.topology_key.clone(),
                    when_unsatisfiable: match c.when_unsatisfiable {
                        UnsatisfiableConstraintAction::DoNotSchedule => "DoNotSchedule",
                        UnsatisfiableConstraintAction::ScheduleAnyway => "ScheduleAnyway",
                    }
                    .to_string(),
                    label_selector: (!c.label_selector.is_empty()).then(|| LabelSelector {
                        match_labels: Some(c.label_selector.clone()),
                        match_expressions: None,
                    }),
                    ..Default::default()
                })
                .collect()
        }),
        restart_policy: Some(
            match t.restart_policy {
                RestartPolicy::Always => "Always",
                RestartPolicy::OnFailure => "OnFailure",
                RestartPolicy::Never => "Never",
            }
            .to_string(),
        ),
        termination_grace_period_seconds: Some(
            i64::try_from(t.termination_grace.as_micros() / 1_000_000).unwrap_or(i64::MAX),
        ),
        resources: t.resources.is_set().then(|| core::ResourceRequirements {
            requests: resource_list(t.resources.cpu_request, t.resources.memory_request),
            limits: resource_list(t.resources.cpu_limit, t.resources.memory_limit),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn condition_status(b: bool) -> String {
    if b { "True" } else { "False" }.to_string()
}

/// A Deployment: its spec as applied, its status counted from its pods now.
pub fn deployment(world: &World, cluster: &Cluster, name: &str) -> Option<apps::Deployment> {
    let d = &cluster.deployments[cluster.deployment(name)?];
    let spec = &d.spec;
    let now = world.now();
    let pods: Vec<_> = d
        .replica_sets
        .iter()
        .flat_map(|&r| cluster.replica_sets[r].pods.iter().map(move |p| (r, *p)))
        .filter_map(|(r, p)| cluster.pods.get(&p).map(|pod| (r, pod)))
        .filter(|(_, pod)| !pod.deleting)
        .collect();
    let newest = d.replica_sets.iter().copied().find(|&r| *cluster.replica_sets[r].template == spec.template);
    let count = |f: &dyn Fn(usize, &crate::world::kubernetes::Pod) -> bool| {
        i32::try_from(pods.iter().filter(|(r, p)| f(*r, p)).count()).unwrap_or(i32::MAX)
    };
    let replicas = count(&|_, _| true);
    let ready = count(&|_, p| p.ready);
    let available = count(&|_, p| p.ready && p.ready_since.is_some_and(|t| now.since(t) >= spec.min_ready));
    let updated = count(&|r, _| Some(r) == newest);
    let desired = i32::try_from(spec.replicas).unwrap_or(i32::MAX);
    let strategy = match &spec.strategy {
        DeploymentStrategy::Recreate => {
            apps::DeploymentStrategy { type_: Some("Recreate".into()), rolling_update: None }
        }
        DeploymentStrategy::RollingUpdate { max_surge, max_unavailable } => apps::DeploymentStrategy {
            type_: Some("RollingUpdate".into()),
            rolling_update: Some(apps::RollingUpdateDeployment {
                max_surge: Some(int_or_percent(*max_surge)),
                max_unavailable: Some(int_or_percent(*max_unavailable)),
            }),
        },
    };
    let min_available = crate::behaviours::controllers::deployment::min_available(&spec.strategy, spec.replicas);
    let available_condition = core_condition(
        "Available",
        u32::try_from(available).unwrap_or(0) >= min_available,
        if u32::try_from(available).unwrap_or(0) >= min_available {
            ("MinimumReplicasAvailable", "Deployment has minimum availability.")
        } else {
            ("MinimumReplicasUnavailable", "Deployment does not have minimum availability.")
        },
    );
    // calculateStatus: the replicas its ReplicaSets ask for, less those available.
    let total: u32 = d.replica_sets.iter().map(|&r| cluster.replica_sets[r].replicas).sum();
    let total = i32::try_from(total).unwrap_or(i32::MAX);
    // The Progressing condition as the rollout leaves it (the progress deadline is not kept).
    let new_rs = newest.map_or(String::new(), |r| cluster.replica_sets[r].name.clone());
    let complete = updated == desired && replicas == desired && available == desired;
    let (reason, progress) = if complete {
        ("NewReplicaSetAvailable", "has successfully progressed")
    } else {
        ("ReplicaSetUpdated", "is progressing")
    };
    let progressing_condition =
        core_condition("Progressing", true, (reason, &format!("ReplicaSet \"{new_rs}\" {progress}.")));
    Some(apps::Deployment {
        metadata: meta(&spec.name, Some(&spec.namespace), BTreeMap::new()),
        spec: apps::DeploymentSpec {
            replicas: Some(desired),
            selector: LabelSelector { match_labels: Some(spec.template.labels.clone()), match_expressions: None },
            strategy: Some(strategy),
            min_ready_seconds: Some(i32::try_from(spec.min_ready.as_micros() / 1_000_000).unwrap_or(i32::MAX)),
            template: core::PodTemplateSpec {
                metadata: Some(meta("", None, spec.template.labels.clone())).map(|mut m| {
                    m.name = None;
                    m
                }),
                spec: Some(pod_spec(world, &spec.template)),
            },
            ..Default::default()
        },
        status: Some(apps::DeploymentStatus {
            replicas: Some(replicas),
            ready_replicas: Some(ready),
            available_replicas: Some(available),
            updated_replicas: Some(updated),
            unavailable_replicas: Some((total - available).max(0)),
            conditions: Some(
                [available_condition, progressing_condition]
                    .into_iter()
                    .map(|(kind, status, reason, message)| apps::DeploymentCondition {
                        type_: Some(kind),
                        status: Some(status),
                        reason: Some(reason),
                        message: Some(message),
                        ..Default::default()
                    })
                    .collect(),
            ),
            ..Default::default()
        }),
    })
}

/// (type, status, reason, message) of a condition.
fn core_condition(kind: &str, ok: bool, (reason, message): (&str, &str)) -> (String, String, String, String) {
    (kind.to_string(), condition_status(ok), reason.to_string(), message.to_string())
}

/// A pod: its template with the node it is bound to, its phase and conditions.
pub fn pod(world: &World, cluster: &Cluster, name: &str) -> Option<core::Pod> {
    let (id, p) = cluster.pods.iter().find(|(id, _)| world.instance(*id).name == name)?;
    let instance = world.instance(id);
    let mut labels = p.template.labels.clone();
    if let Some(hash) = p.owner.replica_set().and_then(|r| super::kubectl::template_hash(cluster, r)) {
        labels.insert("pod-template-hash".to_string(), hash.to_string());
    }
    let namespace = cluster.pod_namespace(p);
    let metadata = meta(name, Some(namespace), labels);
    let mut spec = pod_spec(world, &p.template);
    if let Some(h) = p.node {
        spec.node_name = Some(cluster.nodes[h.index()].name.clone());
    }
    // The pod's phase as the API server reports it: Pending until its
    // containers run, Unknown while its node is silent.
    let phase = match instance.phase {
        Phase::Running | Phase::Stopping => "Running",
        Phase::Unknown => "Unknown",
        Phase::Stopped => "Succeeded",
        Phase::Failed => "Failed",
        _ => "Pending",
    };
    let condition = |kind: &str, ok: bool| core::PodCondition {
        type_: kind.to_string(),
        status: condition_status(ok),
        ..Default::default()
    };
    let statuses: Vec<core::ContainerStatus> = p
        .template
        .running_containers()
        .map(|c| core::ContainerStatus {
            name: c.name.clone(),
            image: world.setup().images[c.image.index()].name.clone(),
            image_id: String::new(),
            ready: p.ready,
            restart_count: i32::try_from(p.restarts).unwrap_or(i32::MAX),
            started: Some(p.running),
            ..Default::default()
        })
        .collect();
    Some(core::Pod {
        metadata,
        spec: Some(spec),
        status: Some(core::PodStatus {
            phase: Some(phase.to_string()),
            conditions: Some(vec![
                condition("PodScheduled", p.node.is_some()),
                condition("ContainersReady", p.ready),
                condition("Ready", p.ready),
            ]),
            container_statuses: Some(statuses),
            ..Default::default()
        }),
    })
}

/// A node: its labels and taints, capacity and allocatable, and its Ready condition.
pub fn node(world: &World, cluster: &Cluster, name: &str) -> Option<core::Node> {
    let n = cluster.nodes.iter().find(|n| n.name == name && n.condition != NodeCondition::Absent)?;
    let host = &world.setup().hosts[n.host.index()];
    let resources = |cpu_m: u64, mem: u64, pods: i64| {
        let mut list = BTreeMap::from([
            ("cpu".to_string(), cpu(crate::model::Millicores(cpu_m))),
            ("memory".to_string(), memory(crate::model::Bytes(mem))),
            ("pods".to_string(), Quantity(pods.to_string())),
        ]);
        // The device plugins' extended resources, the same in capacity and allocatable.
        for (name, &count) in world.setup().extended_resources.iter().zip(&host.extended) {
            if count > 0 {
                list.insert(name.clone(), Quantity(count.to_string()));
            }
        }
        list
    };
    let (status, reason, message) = match n.condition {
        NodeCondition::Ready => ("True", "KubeletReady", "kubelet is posting ready status"),
        NodeCondition::NotReady => ("Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status."),
        _ => ("False", "KubeletNotReady", "the node is still booting"),
    };
    let taints: Vec<core::Taint> = n
        .taints
        .iter()
        .map(|t| core::Taint {
            key: t.key.clone(),
            value: (!t.value.is_empty()).then(|| t.value.clone()),
            effect: t.effect.name().to_string(),
            time_added: None,
        })
        .collect();
    Some(core::Node {
        metadata: meta(&n.name, None, n.labels.clone()),
        spec: Some(core::NodeSpec {
            taints: (!taints.is_empty()).then_some(taints),
            unschedulable: n.unschedulable.then_some(true),
            ..Default::default()
        }),
        status: Some(core::NodeStatus {
            capacity: Some(resources(host.cpu.0, host.memory.0, n.allocatable.pods)),
            allocatable: Some(resources(
                u64::try_from(n.allocatable.milli_cpu).unwrap_or(0),
                u64::try_from(n.allocatable.memory).unwrap_or(0),
                n.allocatable.pods,
            )),
            conditions: Some(vec![core::NodeCondition {
                type_: "Ready".into(),
                status: status.into(),
                reason: Some(reason.into()),
                message: Some(message.into()),
                ..Default::default()
            }]),
            ..Default::default()
        }),
    })
}

/// A HorizontalPodAutoscaler (autoscaling/v2): its spec with the defaults
/// filled in, the utilisation it last saw and its ScalingActive condition.
pub fn hpa(_world: &World, cluster: &Cluster, name: &str) -> Option<autoscaling::HorizontalPodAutoscaler> {
    let h = cluster.hpas().iter().rev().find(|h| h.spec.name == name)?;
    let spec = &h.spec;
    let target = cluster.deployment(&spec.target).map(|d| &cluster.deployments[d]);
    let current = target.map_or(0, |d| {
        d.replica_sets
            .iter()
            .map(|&r| {
                cluster.replica_sets[r].pods.iter().filter(|p| cluster.pods.get(p).is_some_and(|p| !p.deleting)).count()
            })
            .sum::<usize>()
    });
    let behavior = spec.behavior.as_ref().map(|b| {
        let rules = |r: &crate::behaviours::hpa::ScalingRules| autoscaling::HPAScalingRules {
            stabilization_window_seconds: Some(
                i32::try_from(r.stabilization_window.as_micros() / 1_000_000).unwrap_or(i32::MAX),
            ),
            select_policy: Some(format!("{:?}", r.select)),
            policies: Some(
                r.policies
                    .iter()
                    .map(|p| {
                        let (kind, value, period) = match p {
                            crate::behaviours::hpa::ScalingPolicy::Pods { value, period } => ("Pods", value, period),
                            crate::behaviours::hpa::ScalingPolicy::Percent { value, period } => {
                                ("Percent", value, period)
                            }
                        };
                        autoscaling::HPAScalingPolicy {
                            type_: kind.to_string(),
                            value: i32::try_from(*value).unwrap_or(i32::MAX),
                            period_seconds: i32::try_from(period.as_micros() / 1_000_000).unwrap_or(i32::MAX),
                        }
                    })
                    .collect(),
            ),
            tolerance: r.tolerance.map(|t| Quantity(t.to_string())),
        };
        autoscaling::HorizontalPodAutoscalerBehavior {
            scale_up: Some(rules(&b.scale_up)),
            scale_down: Some(rules(&b.scale_down)),
        }
    });
    use crate::model::hpa::{MetricSource, MetricTarget};
    let metric_target = |t: &MetricTarget| match t {
        MetricTarget::Utilization(u) => autoscaling::MetricTarget {
            type_: "Utilization".into(),
            average_utilization: Some(i32::try_from(*u).unwrap_or(i32::MAX)),
            ..Default::default()
        },
        MetricTarget::AverageValue { text, .. } => autoscaling::MetricTarget {
            type_: "AverageValue".into(),
            average_value: Some(Quantity(text.clone())),
            ..Default::default()
        },
    };
    let metrics: Vec<autoscaling::MetricSpec> = spec
        .metrics
        .iter()
        .map(|m| {
            let target = metric_target(&m.target);
            let mut out = autoscaling::MetricSpec { type_: m.kind().into(), ..Default::default() };
            match &m.source {
                MetricSource::Resource { resource, container: None } => {
                    out.resource = Some(autoscaling::ResourceMetricSource { name: resource.name().into(), target });
                }
                MetricSource::Resource { resource, container: Some(c) } => {
                    out.container_resource = Some(autoscaling::ContainerResourceMetricSource {
                        name: resource.name().into(),
                        container: c.clone(),
                        target,
                    });
                }
                MetricSource::Pods { metric } => {
                    out.pods = Some(autoscaling::PodsMetricSource {
                        metric: autoscaling::MetricIdentifier { name: metric.clone(), selector: None },
                        target,
                    });
                }
            }
            out
        })
        .collect();
    let current_metrics: Vec<autoscaling::MetricStatus> = spec
        .metrics
        .iter()
        .zip(&h.current_metrics)
        .filter_map(|(m, c)| {
            let c = (*c)?;
            let current = autoscaling::MetricValueStatus {
                average_utilization: c.utilization.map(|u| i32::try_from(u).unwrap_or(i32::MAX)),
                average_value: Some(Quantity(crate::model::hpa::decimal_si_milli(c.average_milli))),
                ..Default::default()
            };
            let mut out = autoscaling::MetricStatus { type_: m.kind().into(), ..Default::default() };
            match &m.source {
                MetricSource::Resource { resource, container: None } => {
                    out.resource = Some(autoscaling::ResourceMetricStatus { name: resource.name().into(), current });
                }
                MetricSource::Resource { resource, container: Some(container) } => {
                    out.container_resource = Some(autoscaling::ContainerResourceMetricStatus {
                        name: resource.name().into(),
                        container: container.clone(),
                        current,
                    });
                }
                MetricSource::Pods { metric } => {
                    out.pods = Some(autoscaling::PodsMetricStatus {
                        metric: autoscaling::MetricIdentifier { name: metric.clone(), selector: None },
                        current,
                    });
                }
            }
            Some(out)
        })
        .collect();
    let valid_from = spec.metrics.get(h.scaled_by).map_or_else(String::new, |m| m.describe());
    let (active, reason, message) = match &h.scaling_inactive {
        Some((reason, message)) => (false, reason.to_string(), message.clone()),
        None => (
            true,
            "ValidMetricFound".to_string(),
            format!("the HPA was able to successfully calculate a replica count from {valid_from}"),
        ),
    };
    // In the order the controller first sets them: AbleToScale, ScalingActive, ScalingLimited.
    let condition =
        |kind: &str, status: bool, reason: &str, message: &str| autoscaling::HorizontalPodAutoscalerCondition {
            type_: kind.into(),
            status: condition_status(status),
            reason: Some(reason.into()),
            message: Some(message.into()),
            ..Default::default()
        };
    let mut conditions = Vec::new();
    if let Some((reason, message)) = &h.able_to_scale {
        conditions.push(condition("AbleToScale", true, reason, message));
    }
    conditions.push(condition("ScalingActive", active, &reason, &message));
    if let Some((limited, (reason, message))) = h.scaling_limited {
        conditions.push(condition("ScalingLimited", limited, reason, message));
    }
    Some(autoscaling::HorizontalPodAutoscaler {
        metadata: meta(&spec.name, Some(&spec.namespace), BTreeMap::new()),
        spec: autoscaling::HorizontalPodAutoscalerSpec {
            scale_target_ref: autoscaling::CrossVersionObjectReference {
                api_version: Some("apps/v1".into()),
                kind: "Deployment".into(),
                name: spec.target.clone(),
            },
            min_replicas: Some(i32::try_from(spec.min_replicas).unwrap_or(i32::MAX)),
            max_replicas: i32::try_from(spec.max_replicas).unwrap_or(i32::MAX),
            metrics: Some(metrics),
            behavior,
        },
        status: Some(autoscaling::HorizontalPodAutoscalerStatus {
            current_replicas: Some(i32::try_from(current).unwrap_or(i32::MAX)),
            desired_replicas: i32::try_from(target.map_or(0, |d| d.spec.replicas)).unwrap_or(i32::MAX),
            current_metrics: (!current_metrics.is_empty()).then_some(current_metrics),
            conditions: Some(conditions),
            ..Default::default()
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Bytes;

    #[test]
    fn memory_is_an_exact_quantity_that_kubectl_reads() {
        let shown = |b: u64| memory(Bytes(b)).0;
        assert_eq!(shown(512 << 20), "512Mi");
        assert_eq!(shown(3 << 30), "3Gi");
        assert_eq!(shown(300_000_000), "300M");
        assert_eq!(shown(1_234_567_000), "1234567k");
        assert_eq!(shown(1_234_567_891), "1234567891");
        assert_eq!(shown(0), "0");
    }
}
