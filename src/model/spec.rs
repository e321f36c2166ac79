//! The checked description of what a world simulates: hosts, images, apps and
//! the timeline every world shares ([`Setup`]), and what differs per world
//! ([`WorldSpec`]). Validation in [`crate::scenario`] builds these; every
//! default figure cites a row of the project's parameter sheet.

use std::collections::BTreeMap;

use crate::engine::{Distribution, SimDuration};

use std::sync::Arc;

use super::ids::{AppId, BlobId, HostId, ImageId, VmImageId};
use super::kube::{DeploymentSpec, ServiceSpec, Taint};
use super::quantity::{Bytes, BytesPerSecond, MB, MIB, Millicores};
use super::traffic::{ServiceLoad, TrafficMode};
use crate::model::scheduler_profile::Profile;

/// The parts every world of a scenario shares.
#[derive(Clone, Debug)]
pub struct Setup {
    pub seed: u64,
    pub duration: SimDuration,
    pub registry: RegistrySpec,
    pub hosts: Vec<HostSpec>,
    pub blobs: Vec<BlobSpec>,
    pub images: Vec<ImageSpec>,
    pub vm_images: Vec<VmImageSpec>,
    pub apps: Vec<AppSpec>,
    /// Actions every world takes, ordered by time, then by position in the file.
    pub timeline: Vec<TimedAction>,
    /// Services under request load.
    pub services: Vec<ServiceLoad>,
    pub traffic_mode: TrafficMode,
    /// The extended resources (`nvidia.com/gpu`) nodes advertise or pods
    /// request, in the order they were first named: an amount of them is
    /// kept by index.
    pub extended_resources: Vec<String>,
}

#[derive(Clone, Debug, Default)]
pub struct RegistrySpec {
    pub bandwidth: Option<BytesPerSecond>,
    pub max_concurrent_pulls: Option<u32>,
}

#[derive(Clone, Debug)]
pub struct HostSpec {
    pub name: String,
    pub group: String,
    pub cpu: Millicores,
    pub memory: Bytes,
    pub disk: Bytes,
    pub nic: BytesPerSecond,
    pub power: PowerSpec,
    pub image_cache: Bytes,
    /// Blobs present at the start, shared by the hosts of a group.
    pub cached: Arc<[BlobId]>,
    pub zone: Option<String>,
    pub labels: BTreeMap<String, String>,
    /// Taints the host's node carries in a Kubernetes world.
    pub taints: Vec<Taint>,
    /// What an hour of the host powered on costs.
    pub price_per_hour: f64,
    /// Extended resources its node advertises (GPUs), by their index in
    /// [`Setup::extended_resources`].
    pub extended: crate::model::kube::ExtendedAmounts,
    /// Its node's kubelet `maxPods`, where it is not the platform's.
    pub max_pods: Option<u32>,
}

/// Power drawn against CPU utilisation: linear between idle and peak
/// (parameters.md C, "Linear model"), or a SPECpower-style table of eleven
/// points at 0 %, 10 %, … 100 %, interpolated.
#[derive(Clone, Debug, PartialEq)]
pub struct PowerSpec {
    pub idle_watts: f64,
    pub peak_watts: f64,
    /// Shared by the hosts of a group: eleven figures per host would be most
    /// of a host's description.
    pub table: Option<Arc<[f64; 11]>>,
}

impl PowerSpec {
    /// parameters.md C, "SPECpower_ssj2008: HP ML110 G4": 86 W idle, 117 W at 100 %.
    pub const HP_ML110_G4: PowerSpec = PowerSpec { idle_watts: 86.0, peak_watts: 117.0, table: None };

    /// Watts drawn at CPU utilisation `u` in [0, 1].
    pub fn watts(&self, u: f64) -> f64 {
        let u = u.clamp(0.0, 1.0);
        match &self.table {
            Some(points) => {
                let x = u * 10.0;
                let i = (libm::floor(x) as usize).min(9);
                points[i] + (points[i + 1] - points[i]) * (x - i as f64)
            }
            None => self.idle_watts + (self.peak_watts - self.idle_watts) * u,
        }
    }
}

/// Default NIC: 10 GbE (parameters.md A4, "Network throughput ... on 10 GbE").
pub const DEFAULT_NIC: BytesPerSecond = BytesPerSecond(10_000_000_000 / 8);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlobKind {
    Layer,
    VmDisk,
}

/// An image layer or a VM disk image, as fetched from the registry.
#[derive(Clone, Debug)]
pub struct BlobSpec {
    pub name: String,
    pub bytes: Bytes,
    pub kind: BlobKind,
}

#[derive(Clone, Debug)]
pub struct ImageSpec {
    pub name: String,
    pub base: Option<ImageId>,
    /// Every layer of the image, the base's first.
    pub layers: Vec<BlobId>,
}

#[derive(Clone, Debug)]
pub struct VmImageSpec {
    pub name: String,
    pub blob: BlobId,
    pub virtual_size: Bytes,
}

#[derive(Clone, Debug)]
pub struct AppSpec {
    pub name: String,
    pub image: ImageId,
    pub vm_image: Option<VmImageId>,
    pub cpu: Millicores,
    pub memory: Bytes,
    pub disk: Bytes,
}

/// An action at a time, shared by all worlds.
#[derive(Clone, Debug, PartialEq)]
pub struct TimedAction {
    pub at: SimDuration,
    pub action: Action,
}

/// What the timeline (or a person at the controls) can do to a world.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// More instances of an app; in a Kubernetes world, its Deployment scales up.
    Launch {
        app: AppId,
        count: u32,
    },
    /// Fewer; in a Kubernetes world, its Deployment scales down.
    Stop {
        app: AppId,
        count: u32,
    },
    FailHost(HostId),
    RecoverHost(HostId),
    /// `kubectl apply` of a Deployment or a Service (Kubernetes worlds).
    Apply(Arc<KubeObject>),
    /// `kubectl scale deployment/NAME --replicas=N`.
    Scale {
        deployment: String,
        replicas: u32,
    },
    /// `kubectl set image deployment/NAME CONTAINER=IMAGE`: a rollout.
    SetImage {
        deployment: String,
        container: Option<String>,
        image: ImageId,
    },
    /// `kubectl cordon NODE`.
    Cordon(HostId),
    Uncordon(HostId),
    /// `kubectl drain NODE`: cordon, then evict every pod.
    Drain(HostId),
}

impl Action {
    /// Whether only a Kubernetes world can take it.
    pub fn needs_kubernetes(&self) -> bool {
        matches!(
            self,
            Action::Apply(_)
                | Action::Scale { .. }
                | Action::SetImage { .. }
                | Action::Cordon(_)
                | Action::Uncordon(_)
                | Action::Drain(_)
        )
    }
}

/// An object applied to a Kubernetes world.
#[derive(Clone, Debug, PartialEq)]
pub enum KubeObject {
    Deployment(Box<DeploymentSpec>),
    ReplicaSet(Box<super::kube::ReplicaSetSpec>),
    Pod(Box<super::kube::StandalonePodSpec>),
    Service(ServiceSpec),
    HorizontalPodAutoscaler(HpaSpec),
    PodDisruptionBudget(super::kube::PodDisruptionBudgetSpec),
}

/// What one world runs on.
#[derive(Clone, Debug)]
pub struct WorldSpec {
    pub name: String,
    pub platform: Platform,
    pub placement: PlacementPolicy,
    pub cpu_allocation_ratio: f64,
    pub replace_failed_after: Option<SimDuration>,
    /// Blobs in every host's cache at the start, on top of the host group's.
    pub preloaded: Vec<BlobId>,
    /// The shared timeline and this world's own entries, ordered by time
    /// (shared entries first at equal times).
    pub timeline: Vec<TimedAction>,
    /// What an hour of one running instance (a VM, say) costs.
    pub instance_price_per_hour: f64,
    /// A cloud-style autoscaling group for an app's instances.
    pub autoscaling: Option<AutoscalingGroup>,
    /// Hosts this world does not use: powered off throughout.
    pub unused_hosts: Vec<HostId>,
    /// The scenario's services and this world's own.
    pub services: Vec<ServiceLoad>,
}

/// A cloud autoscaling group with target tracking on average CPU: every
/// period it sets the group to ⌈n × average CPU / target⌉, adds instances at
/// once, removes them only after the cooldown, and leaves new instances out
/// of the average until their warm-up is over.
#[derive(Clone, Debug, PartialEq)]
pub struct AutoscalingGroup {
    pub app: AppId,
    pub min: u32,
    pub max: u32,
    pub target_cpu_percent: f64,
    pub period: SimDuration,
    pub warmup: SimDuration,
    pub cooldown: SimDuration,
}

/// A group of identical nodes the cluster autoscaler can add and remove.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeGroup {
    pub name: String,
    /// The hosts that can be its nodes; `initial` of them start as nodes.
    pub hosts: Vec<HostId>,
    pub min: u32,
    pub max: u32,
    /// Nodes at the start, between `min` and `max`.
    pub initial: u32,
    /// From the request for a node to its kubelet registering.
    pub provisioning_time: Distribution,
}

/// The cluster autoscaler's settings (parameters.md B5).
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterAutoscalerSpec {
    pub node_groups: Vec<NodeGroup>,
    pub scan_interval: SimDuration,
    pub scale_down_enabled: bool,
    pub scale_down_unneeded_time: SimDuration,
    pub scale_down_utilization_threshold: f64,
    pub scale_down_delay_after_add: SimDuration,
}

impl ClusterAutoscalerSpec {
    /// parameters.md B5: scan-interval 10 s.
    pub const DEFAULT_SCAN_INTERVAL: SimDuration = SimDuration::from_secs(10);
    /// scale-down-unneeded-time 10 min.
    pub const DEFAULT_UNNEEDED_TIME: SimDuration = SimDuration::from_secs(600);
    /// scale-down-utilization-threshold 0.5.
    pub const DEFAULT_UTILIZATION_THRESHOLD: f64 = 0.5;
    /// scale-down-delay-after-add 10 min.
    pub const DEFAULT_DELAY_AFTER_ADD: SimDuration = SimDuration::from_secs(600);
}

/// A HorizontalPodAutoscaler (autoscaling/v2).
#[derive(Clone, Debug, PartialEq)]
pub struct HpaSpec {
    pub name: String,
    pub namespace: String,
    /// The Deployment it scales.
    pub target: String,
    pub min_replicas: u32,
    pub max_replicas: u32,
    /// `spec.metrics`, at least one: each proposes a replica count, and the
    /// largest proposal wins.
    pub metrics: Vec<crate::model::hpa::MetricSpec>,
    /// `behavior`, its missing parts filled with the defaults; `None` when the
    /// HPA gives none, and the controller's older rules apply (at most
    /// doubling, or 4 pods, per sync; 300 s scale-down stabilisation).
    pub behavior: Option<crate::model::hpa::Behavior>,
}

/// Which host a new instance goes to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub enum PlacementPolicy {
    /// The first host, in declaration order, with room.
    #[default]
    FirstFit,
    /// The host left fullest by the placement (bin-packing).
    BestFit,
    /// The host left emptiest by the placement (spreading).
    Spread,
}

/// How instances run on hosts, with each platform's costs.
#[derive(Clone, Debug)]
pub enum Platform {
    Vms(VmPlatform),
    Containers(ContainerPlatform),
    MicroVms(MicroVmPlatform),
    Dedicated(DedicatedPlatform),
    Kubernetes(Box<KubePlatform>),
}

/// Where a Kubernetes world's nodes run.
#[derive(Clone, Debug)]
pub enum NodeSource {
    /// Each host is a node.
    Hosts,
    /// Each host runs one node VM, which boots before its kubelet registers.
    Vms(VmPlatform),
}

/// A process every node runs, and what it holds (kubelet's `kube-reserved`
/// and `system-reserved` are set aside for these).
#[derive(Clone, Debug, PartialEq)]
pub struct NodeComponent {
    pub name: String,
    pub cpu: Millicores,
    pub memory: Bytes,
}

/// A Node manifest as a template for nodes: the labels it adds, the taints
/// it sets in place of the host group's, and whether they start cordoned.
/// A field the manifest does not write leaves the nodes' own.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeTemplate {
    pub hosts: Vec<HostId>,
    pub labels: BTreeMap<String, String>,
    pub taints: Option<Vec<Taint>>,
    pub unschedulable: Option<bool>,
}

/// A Kubernetes world: a control plane and a kubelet on every node.
#[derive(Clone, Debug)]
pub struct KubePlatform {
    /// Node manifests applied to the nodes as the world starts, in order.
    pub node_templates: Vec<NodeTemplate>,
    pub nodes: NodeSource,
    pub node_components: Vec<NodeComponent>,
    /// kubelet `maxPods`.
    pub max_pods: u32,
    pub profile: Profile,
    /// One scheduling cycle.
    pub scheduling_time: Distribution,
    /// From a write to the API server to the watchers hearing of it.
    pub api_watch_delay: SimDuration,
    pub node_monitor_period: SimDuration,
    pub node_monitor_grace_period: SimDuration,
    /// kubelet `nodeStatusUpdateFrequency`: how often it reports in.
    pub node_status_update_frequency: SimDuration,
    /// `--default-not-ready-toleration-seconds` / `--default-unreachable-toleration-seconds`.
    pub default_toleration_seconds: u64,
    /// The node lifecycle controller's `--node-eviction-rate` and
    /// `--secondary-node-eviction-rate` (nodes a second, per zone),
    /// `--unhealthy-zone-threshold` and `--large-cluster-size-threshold`.
    pub node_eviction_rate: f64,
    pub secondary_node_eviction_rate: f64,
    pub unhealthy_zone_threshold: f64,
    pub large_cluster_size_threshold: u32,
    /// kubelet `serializeImagePulls`: one image pull at a time per node.
    pub serialize_image_pulls: bool,
    pub container_start_time: Distribution,
    pub container_stop_time: Distribution,
    /// Memory of the runtime's per-pod shim.
    pub runtime_overhead: Bytes,
    pub cluster_autoscaler: Option<ClusterAutoscalerSpec>,
}

impl KubePlatform {
    /// parameters.md A3, "Pods per node": kubelet maxPods 110.
    pub const DEFAULT_MAX_PODS: u32 = 110;
    /// parameters.md B6, "node-monitor-period": 5 s.
    pub const DEFAULT_NODE_MONITOR_PERIOD: SimDuration = SimDuration::from_secs(5);
    /// parameters.md B6, "node-monitor-grace-period": 50 s since v1.32.
    pub const DEFAULT_NODE_MONITOR_GRACE_PERIOD: SimDuration = SimDuration::from_secs(50);
    /// parameters.md B6, "kubelet nodeStatusUpdateFrequency": 10 s.
    pub const DEFAULT_NODE_STATUS_UPDATE_FREQUENCY: SimDuration = SimDuration::from_secs(10);
    /// parameters.md B6, "not-ready / unreachable NoExecute tolerationSeconds": 300.
    pub const DEFAULT_TOLERATION_SECONDS: u64 = 300;
    /// kube-controller-manager's node lifecycle defaults
    /// (`pkg/controller/nodelifecycle/config/v1alpha1/defaults.go`):
    /// `--node-eviction-rate` 0.1, `--secondary-node-eviction-rate` 0.01,
    /// `--unhealthy-zone-threshold` 0.55, `--large-cluster-size-threshold` 50.
    pub const DEFAULT_NODE_EVICTION_RATE: f64 = 0.1;
    pub const DEFAULT_SECONDARY_NODE_EVICTION_RATE: f64 = 0.01;
    pub const DEFAULT_UNHEALTHY_ZONE_THRESHOLD: f64 = 0.55;
    pub const DEFAULT_LARGE_CLUSTER_SIZE_THRESHOLD: u32 = 50;
    /// No sourced figure; a watch event usually arrives within tens of milliseconds.
    pub const DEFAULT_API_WATCH_DELAY: SimDuration = SimDuration::from_millis(50);

    /// No sourced figures: the kubelet, the container runtime (containerd),
    /// kube-proxy and a log agent (Fluentd) at a few hundred MiB in all.
    /// Scenarios should state their own.
    pub fn default_node_components() -> Vec<NodeComponent> {
        let c = |name: &str, cpu, memory_mib: u64| NodeComponent {
            name: name.to_string(),
            cpu: Millicores(cpu),
            memory: Bytes(memory_mib * MIB),
        };
        vec![c("kubelet", 100, 200), c("containerd", 50, 100), c("kube-proxy", 50, 50), c("fluentd", 50, 100)]
    }

    /// No sourced figure: 5 ms a scheduling cycle, 200 pods a second.
    pub fn default_scheduling_time() -> Distribution {
        Distribution::Constant(SimDuration::from_millis(5))
    }

    /// What the node components hold together (saturating; validation
    /// refuses components that do not fit on their node).
    pub fn reserved(&self) -> (Millicores, Bytes) {
        (
            Millicores(self.node_components.iter().fold(0u64, |a, c| a.saturating_add(c.cpu.0))),
            Bytes(self.node_components.iter().fold(0u64, |a, c| a.saturating_add(c.memory.0))),
        )
    }
}

#[derive(Clone, Debug)]
pub struct VmPlatform {
    /// Memory of the hypervisor process per VM.
    pub hypervisor_overhead: Bytes,
    /// Memory the guest operating system keeps for itself inside each VM.
    pub guest_os_memory: Bytes,
    pub boot_time: Distribution,
    pub stop_time: Distribution,
}

#[derive(Clone, Debug)]
pub struct ContainerPlatform {
    /// Memory of the runtime's per-container shim.
    pub runtime_overhead: Bytes,
    pub start_time: Distribution,
    pub stop_time: Distribution,
}

#[derive(Clone, Debug)]
pub struct MicroVmPlatform {
    pub vmm_overhead: Bytes,
    pub guest_os_memory: Bytes,
    /// From the VMM's start to the guest's init.
    pub boot_time: Distribution,
    /// The app's container starting inside the booted guest.
    pub start_time: Distribution,
    pub stop_time: Distribution,
}

#[derive(Clone, Debug)]
pub struct DedicatedPlatform {
    pub boot_time: Distribution,
    pub stop_time: Distribution,
}

impl DedicatedPlatform {
    /// An operating-system shutdown on a server; no sourced figure, the VM placeholder.
    pub fn default_stop_time() -> Distribution {
        VmPlatform::default_stop_time()
    }
}

impl VmPlatform {
    /// parameters.md A3, "Firecracker VMM memory": QEMU ≈131 MB per VM (NSDI'20).
    pub const DEFAULT_HYPERVISOR_OVERHEAD: Bytes = Bytes(131 * MB);
    /// No sourced figure exists (parameters.md A3, "VM consolidation ratio ⚠");
    /// 512 MiB is a small Linux guest. Scenarios should state their own.
    pub const DEFAULT_GUEST_OS_MEMORY: Bytes = Bytes(512 * MIB);

    /// parameters.md A1, "Full distro on local KVM/QEMU": placeholder 5–30 s ⚠.
    pub fn default_boot_time() -> Distribution {
        Distribution::Uniform { min: SimDuration::from_secs(5), max: SimDuration::from_secs(30) }
    }

    /// An orderly guest shutdown; no sourced figure, so the same placeholder
    /// range as a boot's lower end (parameters.md A1 ⚠).
    pub fn default_stop_time() -> Distribution {
        Distribution::Uniform { min: SimDuration::from_secs(2), max: SimDuration::from_secs(10) }
    }
}

impl ContainerPlatform {
    /// parameters.md A3, "containerd shim": 5–11 MB RSS observed; the low end.
    pub const DEFAULT_RUNTIME_OVERHEAD: Bytes = Bytes(5 * MB);

    /// parameters.md A1, "containerd": create+start ≈250 ms.
    pub fn default_start_time() -> Distribution {
        Distribution::Constant(SimDuration::from_millis(250))
    }

    /// parameters.md A1, "containerd": stop+delete ≈250 ms.
    pub fn default_stop_time() -> Distribution {
        Distribution::Constant(SimDuration::from_millis(250))
    }
}

impl MicroVmPlatform {
    /// parameters.md A3, "Firecracker VMM memory": ≤5 MiB.
    pub const DEFAULT_VMM_OVERHEAD: Bytes = Bytes(5 * MIB);
    /// A minimal guest kernel and init; no sourced figure (parameters.md A3 gives
    /// 128 MiB guests in total, "microVM density"), so a quarter of that.
    pub const DEFAULT_GUEST_OS_MEMORY: Bytes = Bytes(32 * MIB);

    /// parameters.md A1, "Firecracker microVM boot": ≤125 ms.
    pub fn default_boot_time() -> Distribution {
        Distribution::Constant(SimDuration::from_millis(125))
    }

    /// parameters.md A1, "containerd": create+start ≈250 ms, for the container inside the guest.
    pub fn default_start_time() -> Distribution {
        ContainerPlatform::default_start_time()
    }

    /// parameters.md A1, "containerd": stop+delete ≈250 ms, taken for the guest's process too.
    pub fn default_stop_time() -> Distribution {
        Distribution::Constant(SimDuration::from_millis(250))
    }
}

impl Platform {
    pub fn kind_name(&self) -> &'static str {
        match self {
            Platform::Vms(_) => "Vms",
            Platform::Containers(_) => "Containers",
            Platform::MicroVms(_) => "MicroVms",
            Platform::Dedicated(_) => "Dedicated",
            Platform::Kubernetes(_) => "Kubernetes",
        }
    }

    /// What the platform runs, in words.
    pub fn description(&self) -> &'static str {
        match self {
            Platform::Vms(_) => "virtual machines",
            Platform::Containers(_) => "containers",
            Platform::MicroVms(_) => "microVMs",
            Platform::Dedicated(_) => "dedicated servers",
            Platform::Kubernetes(k) => match k.nodes {
                NodeSource::Hosts => "Kubernetes",
                NodeSource::Vms(_) => "Kubernetes on VMs",
            },
        }
    }

    /// Whether instances boot a guest kernel (VMs, microVMs, servers) rather than start a process.
    pub fn boots(&self) -> bool {
        !matches!(self, Platform::Containers(_) | Platform::Kubernetes(_))
    }

    pub fn stop_time(&self) -> &Distribution {
        match self {
            Platform::Vms(p) => &p.stop_time,
            Platform::Containers(p) => &p.stop_time,
            Platform::MicroVms(p) => &p.stop_time,
            Platform::Dedicated(p) => &p.stop_time,
            Platform::Kubernetes(k) => &k.container_stop_time,
        }
    }

    /// The first start-up stage: a boot, or a container's start.
    pub fn startup_time(&self) -> &Distribution {
        match self {
            Platform::Vms(p) => &p.boot_time,
            Platform::Containers(p) => &p.start_time,
            Platform::MicroVms(p) => &p.boot_time,
            Platform::Dedicated(p) => &p.boot_time,
            Platform::Kubernetes(k) => &k.container_start_time,
        }
    }

    /// A second stage after the boot, when the app starts as a container inside the guest.
    pub fn start_after_boot(&self) -> Option<&Distribution> {
        match self {
            Platform::MicroVms(p) => Some(&p.start_time),
            _ => None,
        }
    }
}
