//! The scenario file as written: RON read by serde, with no checks beyond syntax.
//!
//! Every struct refuses unknown fields, so a misspelt field is an error with its
//! line and column rather than a silently ignored setting. [`super::validate`]
//! turns a `ScenarioFile` into a checked [`super::Scenario`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::engine::{Distribution, SimDuration};
use crate::model::quantity::{Bytes, BytesPerSecond, Millicores};
pub use crate::model::spec::PlacementPolicy;

/// A whole scenario file.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename = "Scenario", deny_unknown_fields)]
pub struct ScenarioFile {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub seed: u64,
    pub duration: SimDuration,
    #[serde(default)]
    pub registry: Option<RegistryFile>,
    pub hosts: Vec<HostGroupFile>,
    #[serde(default)]
    pub images: Vec<ImageFile>,
    #[serde(default)]
    pub vm_images: Vec<VmImageFile>,
    /// What `Launch` starts; a scenario whose worlds only apply Deployments,
    /// ReplicaSets, Pods or manifests needs none.
    #[serde(default)]
    pub apps: Vec<AppFile>,
    pub worlds: Vec<WorldFile>,
    #[serde(default)]
    pub timeline: Vec<At>,
    /// Services under request load.
    #[serde(default)]
    pub services: Vec<TrafficServiceFile>,
    /// `PerRequest` (the default: every request an event) or `Fluid(tick: "1s")`.
    #[serde(default)]
    pub traffic: Option<TrafficFile>,
    #[serde(default)]
    pub lesson: Vec<Step>,
    #[serde(default)]
    pub expect: Vec<String>,
    /// The work and memory the run may take, when it needs more than the
    /// default budget (see [`super::budget`]).
    #[serde(default)]
    pub budget: Option<super::budget::BudgetFile>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename = "Traffic", deny_unknown_fields)]
pub enum TrafficFile {
    PerRequest,
    Fluid {
        #[serde(default)]
        tick: Option<SimDuration>,
    },
}

/// Requests per second over time, as written in the file.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub enum LoadFile {
    Constant(f64),
    /// `from` until `at`, then `to`.
    Step {
        from: f64,
        to: f64,
        at: SimDuration,
    },
    /// `from` until `start`, linearly to `to` at `end`, then `to`.
    Ramp {
        from: f64,
        to: f64,
        start: SimDuration,
        end: SimDuration,
    },
    /// `base`, rising over `ramp` from `start` to `peak`, held for `hold`, falling back over `ramp`.
    Spike {
        base: f64,
        peak: f64,
        start: SimDuration,
        ramp: SimDuration,
        hold: SimDuration,
    },
    /// A day's swing between `min` and `max`, highest at `peak_at`.
    Diurnal {
        min: f64,
        max: f64,
        peak_at: SimDuration,
    },
    /// A CSV file of `seconds,rps` rows beside the scenario, every rate
    /// multiplied by `scale` (1 when left out).
    Trace {
        file: String,
        #[serde(default)]
        scale: Option<f64>,
    },
}

/// A service under load: what load, what each request costs, how requests are spread.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename = "Service", deny_unknown_fields)]
pub struct TrafficServiceFile {
    pub name: String,
    /// The app whose instances serve it (in Kubernetes, the Deployment of that name).
    pub app: String,
    pub load: LoadFile,
    /// CPU time per request on one worker.
    pub cost: Distribution,
    #[serde(default)]
    pub concurrency: Option<u32>,
    #[serde(default)]
    pub routing: Option<crate::model::traffic::Routing>,
    #[serde(default)]
    pub timeout: Option<SimDuration>,
    #[serde(default)]
    pub slo_p95: Option<SimDuration>,
    #[serde(default)]
    pub warmup: Option<SimDuration>,
}

/// The image registry every host pulls from.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename = "Registry", deny_unknown_fields)]
pub struct RegistryFile {
    /// Total bandwidth the registry serves, shared by all pulls; unlimited when absent.
    #[serde(default)]
    pub bandwidth: Option<BytesPerSecond>,
    /// Blob downloads served at once; further ones queue. Unlimited when absent.
    #[serde(default)]
    pub max_concurrent_pulls: Option<u32>,
}

/// `count` identical hosts named `NAME-1` … `NAME-count`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename = "HostGroup", deny_unknown_fields)]
pub struct HostGroupFile {
    pub name: String,
    #[serde(default = "one")]
    pub count: u32,
    pub cpu: Millicores,
    pub memory: Bytes,
    #[serde(default)]
    pub disk: Option<Bytes>,
    #[serde(default)]
    pub nic: Option<BytesPerSecond>,
    #[serde(default)]
    pub power: Option<PowerFile>,
    /// Room for image layers and VM disk images; the whole disk when absent.
    #[serde(default)]
    pub image_cache: Option<Bytes>,
    /// Images (container or VM) already on every host of the group at the start.
    #[serde(default)]
    pub cached_images: Vec<String>,
    #[serde(default)]
    pub zone: Option<String>,
    /// Node labels in a Kubernetes world.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Node taints in a Kubernetes world.
    #[serde(default)]
    pub taints: Vec<crate::model::kube::Taint>,
    /// What an hour of one of these hosts powered on costs.
    #[serde(default)]
    pub price_per_hour: Option<f64>,
    /// Extended resources each node advertises, as a device plugin does:
    /// `{"nvidia.com/gpu": 4}`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extended_resources: BTreeMap<String, u64>,
    /// The most pods each node of the group runs in a Kubernetes world (its
    /// kubelet's `maxPods`, its allocatable `pods`); the platform's
    /// `max_pods` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_pods: Option<u32>,
}

fn one() -> u32 {
    1
}

/// The linear power model: `idle_watts + (peak_watts − idle_watts) × utilisation`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename = "Power", deny_unknown_fields)]
pub struct PowerFile {
    #[serde(default)]
    pub idle_watts: Option<f64>,
    #[serde(default)]
    pub peak_watts: Option<f64>,
    /// Eleven watts figures at 0 %, 10 %, … 100 % utilisation (SPECpower style).
    #[serde(default)]
    pub table: Option<Vec<f64>>,
}

/// A container image: its own layers on top of an optional base image's.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename = "Image", deny_unknown_fields)]
pub struct ImageFile {
    pub name: String,
    #[serde(default)]
    pub base: Option<String>,
    /// Compressed sizes of the layers this image adds, bottom first.
    pub layers: Vec<Bytes>,
}

/// A virtual machine disk image (for example a qcow2 file).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename = "VmImage", deny_unknown_fields)]
pub struct VmImageFile {
    pub name: String,
    /// Bytes fetched to a host the first time a VM uses it.
    pub size: Bytes,
    /// Disk each VM reserves for its own copy-on-write disk.
    pub virtual_size: Bytes,
}

/// An application: what runs in each instance, and what it asks for.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename = "App", deny_unknown_fields)]
pub struct AppFile {
    pub name: String,
    pub image: String,
    /// The VM disk image used when this app runs as a VM.
    #[serde(default)]
    pub vm_image: Option<String>,
    pub cpu: Millicores,
    pub memory: Bytes,
    /// Writable disk per instance (a container's writable layer).
    #[serde(default)]
    pub disk: Option<Bytes>,
}

/// One world: the scenario's hosts and apps on one platform.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename = "World", deny_unknown_fields)]
pub struct WorldFile {
    pub name: String,
    pub platform: PlatformFile,
    #[serde(default)]
    pub placement: Option<PlacementPolicy>,
    /// Virtual CPUs allowed per physical core (OpenStack's `cpu_allocation_ratio`); 1.0 when absent.
    #[serde(default)]
    pub cpu_allocation_ratio: Option<f64>,
    /// When set, an instance lost with its host is launched again elsewhere after this delay.
    #[serde(default)]
    pub replace_failed_after: Option<SimDuration>,
    /// Images (container or VM) already in every host's cache in this world.
    #[serde(default)]
    pub preloaded_images: Vec<String>,
    /// Actions for this world only, on top of the scenario's timeline.
    #[serde(default)]
    pub timeline: Vec<At>,
    /// What an hour of one running instance costs (VMs billed by the hour, say).
    #[serde(default)]
    pub instance_price_per_hour: Option<f64>,
    /// A cloud autoscaling group with target tracking on average CPU.
    #[serde(default)]
    pub autoscaling: Option<AutoscalingGroupFile>,
    /// The host groups this world uses; the others stay powered off. All when absent.
    #[serde(default)]
    pub host_groups: Option<Vec<String>>,
    /// Services under load in this world only, on top of the scenario's.
    #[serde(default)]
    pub services: Vec<TrafficServiceFile>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename = "AutoscalingGroup", deny_unknown_fields)]
pub struct AutoscalingGroupFile {
    pub app: String,
    pub min: u32,
    pub max: u32,
    pub target_cpu_percent: f64,
    #[serde(default)]
    pub period: Option<SimDuration>,
    #[serde(default)]
    pub warmup: Option<SimDuration>,
    #[serde(default)]
    pub cooldown: Option<SimDuration>,
}

/// How instances of an app are run on the hosts.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename = "Platform", deny_unknown_fields)]
pub enum PlatformFile {
    /// Full virtual machines on a hypervisor (KVM/QEMU-like).
    Vms {
        #[serde(default)]
        hypervisor_overhead: Option<Bytes>,
        #[serde(default)]
        guest_os_memory: Option<Bytes>,
        #[serde(default)]
        boot_time: Option<Distribution>,
        #[serde(default)]
        stop_time: Option<Distribution>,
    },
    /// Containers sharing the host kernel (containerd + runc-like).
    Containers {
        #[serde(default)]
        runtime_overhead: Option<Bytes>,
        #[serde(default)]
        start_time: Option<Distribution>,
        #[serde(default)]
        stop_time: Option<Distribution>,
    },
    /// Firecracker-like microVMs running the container image.
    MicroVms {
        #[serde(default)]
        vmm_overhead: Option<Bytes>,
        #[serde(default)]
        guest_os_memory: Option<Bytes>,
        #[serde(default)]
        boot_time: Option<Distribution>,
        #[serde(default)]
        start_time: Option<Distribution>,
        #[serde(default)]
        stop_time: Option<Distribution>,
    },
    /// One instance per physical server.
    Dedicated {
        boot_time: Distribution,
        #[serde(default)]
        stop_time: Option<Distribution>,
    },
    /// A Kubernetes cluster: a control plane, and a kubelet on every node.
    Kubernetes(Box<KubernetesFile>),
}

/// A timeline entry: an action at a time.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename = "At")]
pub struct At(pub SimDuration, pub ActionFile);

/// Something that happens to every world at a given time.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename = "Action", deny_unknown_fields)]
pub enum ActionFile {
    /// Ask for `count` more instances of an app.
    Launch {
        app: String,
        count: u32,
    },
    /// Stop `count` instances of an app, those not yet running first, newest first.
    Stop {
        app: String,
        count: u32,
    },
    /// The host goes down with everything on it.
    FailHost(String),
    /// The host comes back, empty but with its image cache.
    RecoverHost(String),
    /// The same as FailHost, in Kubernetes' words.
    FailNode(String),
    RecoverNode(String),
    /// `kubectl apply`: a Deployment or a Service (Kubernetes worlds).
    Apply(Box<KubeObjectFile>),
    /// `kubectl scale deployment/NAME --replicas=N`.
    Scale {
        deployment: String,
        replicas: u32,
    },
    /// `kubectl set image deployment/NAME CONTAINER=IMAGE`: starts a rollout.
    SetImage {
        deployment: String,
        image: String,
        #[serde(default)]
        container: Option<String>,
    },
    /// `kubectl cordon NODE`: no new pods there.
    Cordon(String),
    Uncordon(String),
    /// `kubectl drain NODE`: cordon it and evict its pods.
    Drain(String),
    /// `kubectl apply -f PATH`: Kubernetes manifests beside the scenario, a
    /// file or a folder.
    ApplyManifests(String),
}

/// A lesson step: a caption shown at a time, optionally pausing the clock,
/// with an optional question for the class (the clock stops at it; the
/// answer shows once it goes on) and an optional focus.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename = "Step", deny_unknown_fields)]
pub struct Step {
    pub at: SimDuration,
    pub caption: String,
    #[serde(default)]
    pub pause: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub focus: Option<FocusFile>,
}

/// What a lesson step points at: `World("K8s")`, `Host("K8s", "node-2")`,
/// `Pod("K8s", "web")` (the pods whose names start so), `Chart(Replicas)`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename = "Focus")]
pub enum FocusFile {
    World(String),
    Host(String, String),
    Pod(String, String),
    Chart(super::LessonChart),
}

/// A Kubernetes world's settings; every field has a default.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename = "Kubernetes", deny_unknown_fields)]
pub struct KubernetesFile {
    /// `Hosts` (each host is a node) or `Vms(...)` (each host runs a node VM that boots first).
    #[serde(default)]
    pub nodes: Option<NodesFile>,
    /// What runs on every node beside the pods: kubelet, container runtime, kube-proxy, log agent.
    #[serde(default)]
    pub node_components: Option<Vec<NodeComponentFile>>,
    #[serde(default)]
    pub max_pods: Option<u32>,
    #[serde(default)]
    pub scheduler: Option<crate::scenario::scheduler_config::KubeSchedulerConfiguration>,
    /// A `KubeSchedulerConfiguration` YAML file beside the scenario
    /// (kube-scheduler's `--config`), in place of `scheduler`.
    #[serde(default)]
    pub scheduler_config: Option<String>,
    /// Kubernetes manifests beside the scenario, files or folders, applied
    /// at 0 s before the world's own timeline (`kubectl apply -f` each).
    #[serde(default)]
    pub manifests: Vec<String>,
    #[serde(default)]
    pub scheduling_time: Option<Distribution>,
    #[serde(default)]
    pub api_watch_delay: Option<SimDuration>,
    #[serde(default)]
    pub node_monitor_period: Option<SimDuration>,
    #[serde(default)]
    pub node_monitor_grace_period: Option<SimDuration>,
    #[serde(default)]
    pub node_status_update_frequency: Option<SimDuration>,
    #[serde(default)]
    pub default_toleration_seconds: Option<u64>,
    /// kube-controller-manager `--node-eviction-rate`: nodes a second whose
    /// pods the node lifecycle controller starts evicting, per zone.
    #[serde(default)]
    pub node_eviction_rate: Option<f64>,
    /// `--secondary-node-eviction-rate`: the same in a zone where most nodes are NotReady.
    #[serde(default)]
    pub secondary_node_eviction_rate: Option<f64>,
    /// `--unhealthy-zone-threshold`: the share of NotReady nodes (more than
    /// two) that makes a zone unhealthy.
    #[serde(default)]
    pub unhealthy_zone_threshold: Option<f64>,
    /// `--large-cluster-size-threshold`: an unhealthy zone of no more nodes
    /// than this stops evicting.
    #[serde(default)]
    pub large_cluster_size_threshold: Option<u32>,
    #[serde(default)]
    pub serialize_image_pulls: Option<bool>,
    #[serde(default)]
    pub container_start_time: Option<Distribution>,
    #[serde(default)]
    pub container_stop_time: Option<Distribution>,
    #[serde(default)]
    pub runtime_overhead: Option<Bytes>,
    #[serde(default)]
    pub cluster_autoscaler: Option<ClusterAutoscalerFile>,
}

/// The cluster autoscaler, with its flags' names.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename = "ClusterAutoscaler", deny_unknown_fields)]
pub struct ClusterAutoscalerFile {
    pub node_groups: Vec<NodeGroupFile>,
    #[serde(default)]
    pub scan_interval: Option<SimDuration>,
    #[serde(default)]
    pub scale_down: Option<bool>,
    #[serde(default)]
    pub scale_down_unneeded_time: Option<SimDuration>,
    #[serde(default)]
    pub scale_down_utilization_threshold: Option<f64>,
    #[serde(default)]
    pub scale_down_delay_after_add: Option<SimDuration>,
}

/// A node group: the hosts of a host group, of which `initial` (`min` when
/// absent) start as nodes.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename = "NodeGroup", deny_unknown_fields)]
pub struct NodeGroupFile {
    /// A host group's name.
    pub hosts: String,
    pub min: u32,
    /// At most the host group's count; all of it when absent.
    #[serde(default)]
    pub max: Option<u32>,
    #[serde(default)]
    pub initial: Option<u32>,
    pub provisioning_time: Distribution,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub enum NodesFile {
    Hosts,
    Vms {
        #[serde(default)]
        hypervisor_overhead: Option<Bytes>,
        #[serde(default)]
        guest_os_memory: Option<Bytes>,
        #[serde(default)]
        boot_time: Option<Distribution>,
    },
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename = "NodeComponent", deny_unknown_fields)]
pub struct NodeComponentFile {
    pub name: String,
    pub cpu: Millicores,
    pub memory: Bytes,
}

/// An object for `Apply`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename = "KubeObject")]
pub enum KubeObjectFile {
    Deployment(Box<DeploymentFile>),
    ReplicaSet(Box<ReplicaSetFile>),
    Pod(Box<PodFile>),
    Service(ServiceFile),
    HorizontalPodAutoscaler(Box<HpaFile>),
    PodDisruptionBudget(PodDisruptionBudgetFile),
}

/// A ReplicaSet applied on its own (apps/v1): it keeps `replicas` pods of
/// its template. Applied again with another template, it makes its new pods
/// from that one and leaves the pods it has; no rollout happens.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename = "ReplicaSet", deny_unknown_fields)]
pub struct ReplicaSetFile {
    pub name: String,
    /// Its namespace; `default` when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default = "one")]
    pub replicas: u32,
    pub template: PodTemplateFile,
}

/// A Pod applied on its own (v1): it declares no controller, so once it is
/// deleted, evicted or its node is lost, nothing makes it again. Its
/// `template` holds its labels and spec; any `restartPolicy` is allowed.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename = "Pod", deny_unknown_fields)]
pub struct PodFile {
    pub name: String,
    /// Its namespace; `default` when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub template: PodTemplateFile,
}

/// A PodDisruptionBudget (policy/v1): `kubectl drain` evicts a pod it
/// matches only while the rest keep the budget.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename = "PodDisruptionBudget", deny_unknown_fields)]
pub struct PodDisruptionBudgetFile {
    pub name: String,
    /// Its namespace; `default` when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// `matchLabels`; empty matches every pod.
    #[serde(default)]
    pub selector: BTreeMap<String, String>,
    #[serde(default, rename = "minAvailable", skip_serializing_if = "Option::is_none")]
    pub min_available: Option<IntOrPercentFile>,
    #[serde(default, rename = "maxUnavailable", skip_serializing_if = "Option::is_none")]
    pub max_unavailable: Option<IntOrPercentFile>,
}

/// A HorizontalPodAutoscaler (autoscaling/v2). Its metrics are either one
/// CPU utilisation target (`targetCPUUtilizationPercentage`, as in
/// autoscaling/v1) or a list of `metrics`; with neither, 80 % CPU.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename = "HorizontalPodAutoscaler", deny_unknown_fields)]
pub struct HpaFile {
    pub name: String,
    /// Its namespace; `default` when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The Deployment to scale.
    #[serde(rename = "scaleTargetRef")]
    pub scale_target_ref: String,
    #[serde(default, rename = "minReplicas")]
    pub min_replicas: Option<u32>,
    #[serde(rename = "maxReplicas")]
    pub max_replicas: u32,
    /// averageUtilization of the cpu Resource metric.
    #[serde(default, rename = "targetCPUUtilizationPercentage", skip_serializing_if = "Option::is_none")]
    pub target_cpu_utilization_percentage: Option<u32>,
    /// `spec.metrics`: the largest replica count any of them proposes wins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<Vec<MetricFile>>,
    #[serde(default)]
    pub behavior: Option<BehaviorFile>,
}

/// One of an HPA's `metrics` (autoscaling/v2 `MetricSpec`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename = "Metric", deny_unknown_fields)]
pub enum MetricFile {
    /// A resource of every container of each pod: `name` is `cpu` or `memory`.
    Resource { name: String, target: MetricTargetFile },
    /// A resource of one container of each pod.
    ContainerResource { name: String, container: String, target: MetricTargetFile },
    /// A per-pod metric of the custom metrics API: `http_requests_per_second`.
    Pods { metric: String, target: MetricTargetFile },
}

/// A metric's `target`: `Utilization(60)` (percent of the requests) or
/// `AverageValue("500m")` (a quantity per pod).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename = "MetricTarget")]
pub enum MetricTargetFile {
    Utilization(u32),
    AverageValue(String),
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename = "Behavior", deny_unknown_fields)]
pub struct BehaviorFile {
    #[serde(default, rename = "scaleUp")]
    pub scale_up: Option<ScalingRulesFile>,
    #[serde(default, rename = "scaleDown")]
    pub scale_down: Option<ScalingRulesFile>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename = "ScalingRules", deny_unknown_fields)]
pub struct ScalingRulesFile {
    #[serde(default, rename = "stabilizationWindowSeconds")]
    pub stabilization_window_seconds: Option<u64>,
    #[serde(default, rename = "selectPolicy")]
    pub select_policy: Option<SelectPolicyFile>,
    #[serde(default)]
    pub policies: Option<Vec<ScalingPolicyFile>>,
    /// This direction's side of the tolerance band, a quantity (`"0.05"`, `"50m"`, `0.05`).
    #[serde(default)]
    pub tolerance: Option<DecimalQuantityFile>,
}

/// A decimal quantity as Kubernetes writes one: `"0.05"`, `"50m"`, or a
/// plain number; its sign kept so that validation can refuse a negative one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecimalQuantityFile {
    pub negative: bool,
    pub value: crate::model::hpa::DecimalQuantity,
}

impl DecimalQuantityFile {
    /// `[+-]digits[.digits][m]`.
    pub fn parse(text: &str) -> Option<Self> {
        use crate::model::hpa::DecimalQuantity;
        let t = text.trim();
        let (negative, t) = match t.as_bytes().first() {
            Some(b'-') => (true, &t[1..]),
            Some(b'+') => (false, &t[1..]),
            _ => (false, t),
        };
        let (t, milli) = match t.strip_suffix('m') {
            Some(rest) => (rest, 3),
            None => (t, 0),
        };
        let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
        let digits = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() && frac.is_empty() || !digits(whole) || !digits(frac) || frac.len() > 18 {
            return None;
        }
        let joined = format!("{whole}{frac}");
        let significant = joined.trim_start_matches('0');
        let mantissa: u64 = if significant.is_empty() { 0 } else { significant.parse().ok()? };
        let exponent = -(frac.len() as i32) - milli;
        Some(DecimalQuantityFile { negative, value: DecimalQuantity { mantissa, exponent } })
    }
}

impl Serialize for DecimalQuantityFile {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{}{}", if self.negative { "-" } else { "" }, self.value))
    }
}

impl<'de> Deserialize<'de> for DecimalQuantityFile {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = DecimalQuantityFile;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a quantity such as \"0.05\", \"50m\" or 0.05")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self::Value, E> {
                // The shortest text that reads back as v: 0.05, not 0.05000000000000000277.
                if !v.is_finite() {
                    return Err(E::custom(format!("{v} is not a quantity")));
                }
                self.visit_str(&v.to_string())
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                DecimalQuantityFile::parse(v)
                    .ok_or_else(|| E::custom(format!("\"{v}\" is not a quantity such as \"0.05\" or \"50m\"")))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
pub enum SelectPolicyFile {
    Max,
    Min,
    Disabled,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename = "HPAScalingPolicy", deny_unknown_fields)]
pub struct ScalingPolicyFile {
    #[serde(rename = "type")]
    pub kind: ScalingPolicyType,
    pub value: u32,
    #[serde(rename = "periodSeconds")]
    pub period_seconds: u64,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
pub enum ScalingPolicyType {
    Pods,
    Percent,
}

/// A Deployment, with Kubernetes' field names.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename = "Deployment", deny_unknown_fields)]
pub struct DeploymentFile {
    pub name: String,
    /// Its namespace; `default` when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default = "one")]
    pub replicas: u32,
    #[serde(default)]
    pub strategy: Option<StrategyFile>,
    #[serde(default, rename = "minReadySeconds")]
    pub min_ready_seconds: u64,
    pub template: PodTemplateFile,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub enum StrategyFile {
    RollingUpdate {
        #[serde(default, rename = "maxSurge")]
        max_surge: Option<IntOrPercentFile>,
        #[serde(default, rename = "maxUnavailable")]
        max_unavailable: Option<IntOrPercentFile>,
    },
    Recreate,
}

/// A count (`1`) or a percentage (`"25%"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IntOrPercentFile(pub crate::model::kube::IntOrPercent);

impl Serialize for IntOrPercentFile {
    /// As it is read: a count as a number, a percentage as a string.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            crate::model::kube::IntOrPercent::Int(n) => s.serialize_u32(n),
            crate::model::kube::IntOrPercent::Percent(_) => s.serialize_str(&self.0.to_string()),
        }
    }
}

impl<'de> Deserialize<'de> for IntOrPercentFile {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use crate::model::kube::IntOrPercent;
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = IntOrPercentFile;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a count such as 1, or a percentage such as \"25%\"")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
                u32::try_from(v).map(|n| IntOrPercentFile(IntOrPercent::Int(n))).map_err(|_| E::custom("too large"))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
                u32::try_from(v)
                    .map(|n| IntOrPercentFile(IntOrPercent::Int(n)))
                    .map_err(|_| E::custom(format!("{v} is not a count")))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                // A string is a percentage, `[0-9]+%` (IsValidPercent): "5" is not a count.
                let percent = v.strip_suffix('%').filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()));
                let Some(digits) = percent else {
                    return Err(E::custom(format!(
                        "\"{v}\": a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%' or '93%'); a count is written without quotes"
                    )));
                };
                digits
                    .parse::<u32>()
                    .map(|n| IntOrPercentFile(IntOrPercent::Percent(n)))
                    .map_err(|_| E::custom(format!("\"{v}\" is too large a percentage")))
            }
        }
        d.deserialize_any(V)
    }
}

/// A pod template, with Kubernetes' field names.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename = "PodTemplate", deny_unknown_fields)]
pub struct PodTemplateFile {
    /// `{"app": "NAME"}` when empty.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    pub containers: Vec<ContainerFile>,
    #[serde(default, rename = "initContainers")]
    pub init_containers: Vec<ContainerFile>,
    #[serde(default, rename = "nodeSelector")]
    pub node_selector: BTreeMap<String, String>,
    #[serde(default, rename = "nodeName")]
    pub node_name: Option<String>,
    #[serde(default)]
    pub affinity: Option<AffinityFile>,
    #[serde(default)]
    pub tolerations: Vec<crate::model::kube::Toleration>,
    #[serde(default, rename = "topologySpreadConstraints")]
    pub topology_spread_constraints: Vec<crate::model::kube::TopologySpreadConstraint>,
    #[serde(default, rename = "restartPolicy")]
    pub restart_policy: crate::model::kube::RestartPolicy,
    #[serde(default, rename = "terminationGracePeriodSeconds")]
    pub termination_grace_period_seconds: Option<u64>,
    /// Pod-level resources: CPU and memory for the whole pod.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourcesFile>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename = "Affinity", deny_unknown_fields)]
pub struct AffinityFile {
    #[serde(default, rename = "nodeAffinity")]
    pub node_affinity: crate::model::kube::NodeAffinity,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename = "Container", deny_unknown_fields)]
pub struct ContainerFile {
    pub name: String,
    pub image: String,
    #[serde(default, rename = "imagePullPolicy")]
    pub image_pull_policy: Option<crate::model::kube::ImagePullPolicy>,
    #[serde(default)]
    pub resources: ResourcesFile,
    #[serde(default, rename = "readinessProbe")]
    pub readiness_probe: Option<ProbeFile>,
    /// Only on an init container, and only `Always`: a sidecar.
    #[serde(default, rename = "restartPolicy")]
    pub restart_policy: Option<crate::model::kube::RestartPolicy>,
    /// Not a Kubernetes field: the process exits this long after each start,
    /// to show the kubelet's restart back-off.
    #[serde(default, rename = "exitsAfter")]
    pub exits_after: Option<SimDuration>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename = "Resources", deny_unknown_fields)]
pub struct ResourcesFile {
    #[serde(default)]
    pub requests: Option<ResourceListFile>,
    #[serde(default)]
    pub limits: Option<ResourceListFile>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename = "ResourceList", deny_unknown_fields)]
pub struct ResourceListFile {
    #[serde(default)]
    pub cpu: Option<Millicores>,
    #[serde(default)]
    pub memory: Option<Bytes>,
    /// Extended resources, whole devices: `{"nvidia.com/gpu": 1}`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extended: BTreeMap<String, u64>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename = "Probe", deny_unknown_fields)]
pub struct ProbeFile {
    #[serde(default, rename = "initialDelaySeconds")]
    pub initial_delay_seconds: u64,
}

/// A Service: a stable front for the Ready pods its selector matches.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename = "Service", deny_unknown_fields)]
pub struct ServiceFile {
    pub name: String,
    /// Its namespace; `default` when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub selector: BTreeMap<String, String>,
}
