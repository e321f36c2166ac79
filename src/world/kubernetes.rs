//! A Kubernetes world: the control plane (API server and etcd, the
//! scheduler, the controller manager) and a kubelet on every node, moving the
//! world's pods through their lives.
//!
//! ```text
//!  kubectl apply ─▶ API server ─▶ Deployment controller ─▶ ReplicaSet ─▶ pods (Pending)
//!                      │ watch                                             │ watch
//!                      ▼                                                   ▼
//!                  kubelet ◀── binding ◀── scheduler: filter, score, bind ◀┘
//!                      │ pull layers through the node's cache, start, probe
//!                      ▼
//!                  Ready ─▶ endpoints of the Service, Deployment status
//! ```
//!
//! Every hand-off through the API server takes the platform's watch delay.
//! Nodes report every `nodeStatusUpdateFrequency`; the node lifecycle
//! controller marks a silent node NotReady after the grace period and its
//! pods are evicted once their toleration of the unreachable taint runs out.
//! A kubelet's regular heartbeats change nothing but the time of the last
//! one, so they are not events: the time follows from when the kubelet
//! started, and only a kubelet that stops is looked at by the controller.
//!
//! The scheduler keeps its own cache of the nodes, as kube-scheduler does:
//! each binding, deletion, cordon, taint and image pull updates it, and a
//! scheduling cycle reads it instead of walking the pods.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;

mod autoscalers;
mod pods;

pub use autoscalers::{ClusterAutoscalerState, HpaState};
pub use pods::Pods;

use super::traffic::PodStatus;
use super::{Due, EventKind, HostState, Workload, World};
use crate::behaviours::controllers::{deployment, node_lifecycle, replica_set};
use crate::behaviours::kubelet;
use crate::behaviours::scheduler::{self, Decision, NodeInfo, PodInfo, Resources, Scheduler, SchedulerCache};
use crate::engine::{RandomStream, SimDuration, SimTime};
use crate::model::kube::{
    DeploymentSpec, DeploymentStrategy, ImagePullPolicy, IntOrPercent, LABEL_HOSTNAME, LABEL_ZONE, Labels,
    PodDisruptionBudgetSpec, PodTemplate, ReplicaSetSpec, ServiceSpec, StandalonePodSpec, TAINT_UNREACHABLE,
    TAINT_UNSCHEDULABLE, Taint, TaintEffect, Toleration, TolerationOperator, selector_matches,
};
use crate::model::spec::{Action, KubeObject, KubePlatform, NodeSource, Platform};
use crate::model::{AppId, Bytes, DemandId, HostId, ImageId, InstanceId, InstanceSet, Millicores, Phase, WorkloadId};

/// Work for the control plane and the kubelets.
#[derive(Clone, Debug)]
pub(super) enum KubeDue {
    /// A node VM finished booting and its kubelet registers.
    NodeBooted(HostId),
    /// The kubelet starts again on a host that came back, and reports in.
    KubeletStarted(HostId),
    NodeMonitor,
    Evict(InstanceId),
    /// `kubectl drain` asks the eviction API for the pod again (every 5 s).
    DrainEvict(InstanceId),
    SyncDeployment(usize),
    SyncReplicaSet(usize),
    SchedulingCycle,
    BindDone(InstanceId),
    BackoffDone(InstanceId),
    FlushUnschedulable,
    KubeletAdmit(InstanceId),
    ContainerStarted(InstanceId),
    PodReady(InstanceId),
    ContainerExited(InstanceId),
    ContainerRestart(InstanceId),
    PodTerminated(InstanceId),
    SyncEndpoints,
    HpaSync,
    ClusterAutoscalerScan,
}

/// A node's Ready condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeCondition {
    /// A node VM still booting; not registered yet.
    Provisioning,
    Ready,
    /// NotReady with status Unknown: the kubelet went silent.
    NotReady,
    /// Not part of the cluster: a node group's spare host, powered off.
    Absent,
}

/// A node as the API server holds it.
#[derive(Clone, Debug)]
pub struct Node {
    pub host: HostId,
    pub name: String,
    pub labels: Labels,
    /// The node's own taints and those the controllers added.
    pub taints: Vec<Taint>,
    /// Cordoned.
    pub unschedulable: bool,
    pub condition: NodeCondition,
    /// When the kubelet's running heartbeats started; `None` while it is not running.
    pub kubelet_since: Option<SimTime>,
    /// The last heartbeat of a kubelet that stopped (see [`Cluster::last_heartbeat`]).
    pub last_heartbeat: SimTime,
    pub allocatable: Resources,
    /// Pods bound to the node and not yet gone.
    pub pods: InstanceSet,
    /// Images waiting for the kubelet's (serialized) puller, and the one being pulled.
    pub pull_queue: VecDeque<ImageId>,
    pub pulling: BTreeSet<ImageId>,
    /// When the node's kubelet last acted on a pod (admitted it, pulled for
    /// it, started, probed or restarted its containers), for the front end.
    pub kubelet_acted: Option<SimTime>,
}

/// A pod as the API server holds it; its life on the node is its instance.
///
/// What the HPA reads of every pod at every sync comes first, in the first
/// cache line of the pod (`repr(C)` keeps the order, the alignment the line).
#[derive(Clone, Debug)]
#[repr(C, align(64))]
pub struct Pod {
    /// The pod's phase reached Running (its containers started).
    pub running: bool,
    /// The Ready condition.
    pub ready: bool,
    /// A deletion timestamp is set.
    pub deleting: bool,
    /// Its layers are pinned in the node's cache.
    pub pinned: bool,
    pub restarts: u32,
    /// When the Ready condition last changed either way (its lastTransitionTime).
    pub ready_changed: Option<SimTime>,
    /// When its containers first started.
    pub started_at: Option<SimTime>,
    pub owner: PodOwner,
    pub template: Arc<PodTemplate>,
    /// The pod as the scheduler sees it.
    pub pod_info: Arc<PodInfo>,
    pub node: Option<HostId>,
    pub created: SimTime,
    pub ready_since: Option<SimTime>,
    pub restart_backoff: SimDuration,
    pub attempts: u32,
    /// When the taint-eviction controller will delete it.
    pub eviction_at: Option<SimTime>,
    /// Images still missing before the kubelet can start it.
    pub images_missing: BTreeSet<ImageId>,
}

/// What created a pod.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PodOwner {
    /// A ReplicaSet, its controller.
    ReplicaSet(usize),
    /// Nothing: the pod was applied as a Pod object (its index in
    /// [`Cluster::standalone_pods`]) and declares no controller.
    Standalone(usize),
}

impl PodOwner {
    pub fn replica_set(self) -> Option<usize> {
        match self {
            PodOwner::ReplicaSet(r) => Some(r),
            PodOwner::Standalone(_) => None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct ReplicaSet {
    pub name: String,
    pub namespace: String,
    /// The Deployment that owns it; `None` for a ReplicaSet applied on its own.
    pub deployment: Option<usize>,
    pub workload: WorkloadId,
    /// The template of the pods it creates.
    pub template: Arc<PodTemplate>,
    /// Those pods as the scheduler sees them.
    pub pod_info: Arc<PodInfo>,
    pub demand: DemandId,
    pub replicas: u32,
    /// Its pods that still exist.
    pub pods: InstanceSet,
    pub created: SimTime,
}

/// A Pod applied on its own, and the pod made from it while that pod exists.
#[derive(Clone, Debug)]
pub struct StandalonePod {
    pub spec: StandalonePodSpec,
    pub workload: WorkloadId,
    pub pod: Option<InstanceId>,
}

#[derive(Clone, Debug)]
pub struct Deployment {
    pub spec: DeploymentSpec,
    pub workload: WorkloadId,
    pub replica_sets: Vec<usize>,
    /// When the current rollout began, while one is under way.
    pub rollout_started: Option<SimTime>,
    /// The duration of the last rollout that completed.
    pub last_rollout: Option<SimDuration>,
    /// The fewest pods available so far in the rollout under way.
    pub rollout_min_available: Option<u32>,
    /// The same for the last rollout that completed.
    pub last_rollout_min_available: Option<u32>,
    /// Its pods that are Ready and not terminating.
    pub ready_pods: u32,
}

#[derive(Clone, Debug)]
pub struct Service {
    pub spec: ServiceSpec,
    /// Ready pods behind it, as kube-proxy last programmed them, in id order.
    pub endpoints: Vec<InstanceId>,
    /// Its selector is new: the next sync lists its pods afresh.
    relist: bool,
}

/// The control-plane components, for the front end to light up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Component {
    ApiServer,
    Etcd,
    Scheduler,
    ControllerManager,
}

/// Counts the metrics read.
#[derive(Clone, Debug, Default)]
pub struct KubeStats {
    pub scheduling_attempts: u64,
    pub scheduling_unschedulable: u64,
    pub nodes_ready_min: Option<usize>,
    /// The last node failure not yet recovered from.
    pub recovering_since: Option<SimTime>,
    pub last_recovery: Option<SimDuration>,
}

/// Another implementation of kube-scheduler's cycle, to run in place of the
/// world's own: given the world, the pod, the start index (to move on) and
/// the scheduler's random stream, it returns the chosen node or the message
/// of a pod that fits nowhere. The tests hold the world's scheduler to a
/// plain implementation of the same algorithm this way.
pub type ScheduleFn = fn(&World, InstanceId, &mut usize, &mut RandomStream) -> (Option<HostId>, Option<String>);

/// Everything a Kubernetes world adds to a world.
#[derive(Clone, Debug)]
pub struct Cluster {
    pub nodes: Vec<Node>,
    pub pods: Pods,
    pub deployments: Vec<Deployment>,
    /// Each Deployment's index in `deployments`, by name.
    deployment_by_name: BTreeMap<String, usize>,
    pub replica_sets: Vec<ReplicaSet>,
    /// ReplicaSets applied on their own, by name.
    replica_set_by_name: BTreeMap<String, usize>,
    /// Pods applied on their own, in the order they were first applied.
    pub standalone_pods: Vec<StandalonePod>,
    pub services: Vec<Service>,
    scheduler: Scheduler,
    /// What the scheduler knows of every node.
    pub cache: SchedulerCache,
    /// Where the next cycle starts looking (`nextStartNodeIndex`).
    next_start_node_index: usize,
    scheduler_rng: RandomStream,
    replaced_scheduler: Option<ScheduleFn>,
    /// The scheduler's active queue, oldest first; pods deleted or bound
    /// meanwhile are passed over when they come up.
    pub active_queue: VecDeque<InstanceId>,
    /// Pods waiting out their back-off, with when it ends.
    pub backoff: BTreeMap<InstanceId, SimTime>,
    /// Pods that did not fit, with when they last failed.
    pub unschedulable: BTreeMap<InstanceId, SimTime>,
    /// The pod in the current scheduling cycle, the node chosen for it, or why none fits.
    pub scheduling: Option<(InstanceId, Option<HostId>, Option<String>)>,
    /// The latest cycles' verdicts and scores, newest last, while kept.
    decisions: VecDeque<(InstanceId, Arc<Decision>)>,
    /// Verdicts in `decisions`, and how many may be kept.
    decision_verdicts: usize,
    keep_decisions: usize,
    /// Per blob, the images that have it as a layer.
    blob_images: Vec<Vec<ImageId>>,
    /// `nodeStatusUpdateFrequency`: a running kubelet reports this often.
    heartbeat_every: SimDuration,
    /// Ready nodes whose kubelet has stopped: the node lifecycle controller watches these.
    silent: BTreeSet<HostId>,
    ready_nodes: usize,
    provisioning_nodes: usize,
    /// Pods Ready, and pods whose containers run.
    ready_pods: usize,
    running_pods: usize,
    /// Pods whose Ready or terminating state changed since the endpoints controller last looked.
    serving_changed: BTreeSet<InstanceId>,
    sync_pending: BTreeSet<(u8, usize)>,
    endpoints_pending: bool,
    pub stats: KubeStats,
    pub activity: BTreeMap<Component, SimTime>,
    /// Names per ReplicaSet for pods (`web-<hash>-<n>`).
    pod_counter: u64,
    /// Never shrinks: the HPA controller's sync starts with the first one.
    hpas: Vec<HpaState>,
    pub autoscaler: Option<ClusterAutoscalerState>,
    /// The most nodes Ready at once.
    pub nodes_ready_max: usize,
    /// Pods the endpoints controller last listed as serving: Ready and not terminating.
    pub serving: BTreeSet<InstanceId>,
    /// PodDisruptionBudgets, with when each was first applied.
    pub disruption_budgets: Vec<(PodDisruptionBudgetSpec, SimTime)>,
    /// How often the eviction API refused `kubectl drain` for a budget.
    pub evictions_refused: u64,
}

/// kube-scheduler: a pod left unschedulable longer than this goes back to the
/// active queue even without a cluster event (`podMaxInUnschedulablePodsDuration`).
const MAX_IN_UNSCHEDULABLE: SimDuration = SimDuration::from_secs(300);
/// How often that is checked (`flushUnschedulablePodsLeftover`).
const FLUSH_INTERVAL: SimDuration = SimDuration::from_secs(30);

/// How long `kubectl drain` waits before asking again for an eviction a budget refused.
const DRAIN_RETRY: SimDuration = SimDuration::from_secs(5);

impl Cluster {
    /// A PodDisruptionBudget's status as the disruption controller keeps it:
    /// (current healthy, desired healthy, disruptions allowed).
    pub fn disruption_status(&self, budget: &PodDisruptionBudgetSpec) -> (u32, u32, u32) {
        let (matched, healthy, scale) = self.disruption_counts(budget);
        let (_, desired, allowed) = budget.status(matched, healthy, scale);
        (healthy, desired, allowed)
    }

    /// For a PodDisruptionBudget: the pods it matches, those of them Ready
    /// and not terminating, and the replicas their controllers ask for
    /// (`getExpectedScale`: a Deployment's, or a ReplicaSet's of its own).
    /// A pod without a controller adds nothing to the scale: the disruption
    /// controller leaves such pods out (with an `UnmanagedPods` warning).
    fn disruption_counts(&self, budget: &PodDisruptionBudgetSpec) -> (u32, u32, u32) {
        let (mut matched, mut healthy) = (0u32, 0u32);
        let mut owners = BTreeSet::new();
        for (_, pod) in self.pods.iter() {
            // A budget selects pods of its own namespace.
            if !budget.matches(&pod.template.labels) || self.pod_namespace(pod) != budget.namespace {
                continue;
            }
            matched += 1;
            if pod.ready && !pod.deleting {
                healthy += 1;
            }
            if let PodOwner::ReplicaSet(r) = pod.owner {
                owners.insert(self.replica_sets[r].deployment.ok_or(r));
            }
        }
        let scale = owners
            .iter()
            .map(|owner| match *owner {
                Ok(d) => self.deployments[d].spec.replicas,
                Err(r) => self.replica_sets[r].replicas,
            })
            .fold(0u32, u32::saturating_add);
        (matched, healthy, scale)
    }

    /// A pod's namespace: its ReplicaSet's, or its own.
    pub fn pod_namespace(&self, pod: &Pod) -> &str {
        match pod.owner {
            PodOwner::ReplicaSet(r) => &self.replica_sets[r].namespace,
            PodOwner::Standalone(i) => &self.standalone_pods[i].spec.namespace,
        }
    }

    /// The Deployment that owns a pod through its ReplicaSet.
    pub fn pod_deployment(&self, pod: &Pod) -> Option<usize> {
        pod.owner.replica_set().and_then(|r| self.replica_sets[r].deployment)
    }

    /// A ReplicaSet applied on its own, by name.
    pub fn standalone_replica_set(&self, name: &str) -> Option<usize> {
        self.replica_set_by_name.get(name).copied()
    }

    pub fn nodes_ready(&self) -> usize {
        self.ready_nodes
    }

    /// When the kubelet on `host` last reported, as of `now`.
    pub fn last_heartbeat(&self, host: HostId, now: SimTime) -> SimTime {
        let node = &self.nodes[host.index()];
        match node.kubelet_since {
            Some(since) => {
                let every = self.heartbeat_every.as_micros().max(1);
                since + SimDuration((now.since(since).as_micros() / every) * every)
            }
            None => node.last_heartbeat,
        }
    }

    /// The latest cycle's verdicts and scores for `pod`, while they are kept.
    pub fn decision(&self, pod: InstanceId) -> Option<&Decision> {
        self.decisions.iter().rev().find(|(p, _)| *p == pod).map(|(_, d)| &**d)
    }

    /// The scheduler's profile.
    pub fn profile(&self) -> &scheduler::Profile {
        self.scheduler.profile()
    }

    /// The HorizontalPodAutoscalers, in the order they were applied.
    pub fn hpas(&self) -> &[autoscalers::HpaState] {
        &self.hpas
    }

    pub fn deployment(&self, name: &str) -> Option<usize> {
        self.deployment_by_name.get(name).copied()
    }

    /// Pods of a ReplicaSet that count as its replicas: not being deleted.
    fn active_pods(&self, rs: usize) -> Vec<InstanceId> {
        self.replica_sets[rs]
            .pods
            .iter()
            .copied()
            .filter(|p| self.pods.get(p).is_some_and(|pod| !pod.deleting))
            .collect()
    }

    /// Pods of a ReplicaSet available for `min_ready`: Ready, not deleting.
    fn available_pods(&self, rs: usize, now: SimTime, min_ready: SimDuration) -> u32 {
        self.replica_sets[rs]
            .pods
            .iter()
            .filter_map(|p| self.pods.get(p))
            .filter(|p| !p.deleting && p.ready && p.ready_since.is_some_and(|t| now.since(t) >= min_ready))
            .count() as u32
    }

    /// What the pods bound to `node` request, terminating ones included, as
    /// the scheduler adds them up (`pods` counts them).
    pub(super) fn node_requested(&self, node: &Node) -> Resources {
        self.cache.node(node.host.index()).requested
    }
}

/// What a node's own processes hold on its host: the reservations of its
/// node components and, on node VMs, the guest OS and the hypervisor.
fn node_overhead(platform: &KubePlatform) -> (Millicores, Bytes) {
    let (cpu, memory) = platform.reserved();
    let vm = match &platform.nodes {
        NodeSource::Hosts => 0,
        NodeSource::Vms(vm) => vm.guest_os_memory.0 + vm.hypervisor_overhead.0,
    };
    (cpu, Bytes(memory.0 + vm))
}

/// A node comes up on `host`: its overhead is held from then on.
fn charge_node_overhead(host: &mut HostState, (cpu, memory): (Millicores, Bytes)) {
    host.cpu_used.0 += cpu.0;
    host.memory_used.0 += memory.0;
    host.overhead_memory.0 += memory.0;
}

/// The node on `host` is gone: its overhead is given back.
fn uncharge_node_overhead(host: &mut HostState, (cpu, memory): (Millicores, Bytes)) {
    host.cpu_used.0 = host.cpu_used.0.saturating_sub(cpu.0);
    host.memory_used.0 = host.memory_used.0.saturating_sub(memory.0);
    host.overhead_memory.0 = host.overhead_memory.0.saturating_sub(memory.0);
}

fn kube_platform(world: &World) -> &KubePlatform {
    match &world.spec.platform {
        Platform::Kubernetes(k) => k,
        _ => unreachable!("Kubernetes work is only scheduled in Kubernetes worlds"),
    }
}

impl World {
    pub fn kube(&self) -> Option<&Cluster> {
        self.kube.as_deref()
    }

    fn kref(&self) -> &Cluster {
        self.kube.as_deref().expect("a Kubernetes world has a cluster")
    }

    fn cluster(&mut self) -> &mut Cluster {
        self.kube.as_deref_mut().expect("a Kubernetes world has a cluster")
    }

    fn touch(&mut self, c: Component) {
        let now = self.now;
        self.cluster().activity.insert(c, now);
    }

    /// The kubelet of `host` acted on one of its pods.
    fn kubelet_acts(&mut self, host: HostId) {
        let now = self.now;
        if let Some(node) = self.cluster().nodes.get_mut(host.index()) {
            node.kubelet_acted = Some(now);
        }
    }

    /// The kubelet of the node `pod` is bound to acted on it.
    fn kubelet_acts_on(&mut self, pod: InstanceId) {
        if let Some(host) = self.cluster().pods.get(&pod).and_then(|p| p.node) {
            self.kubelet_acts(host);
        }
    }

    /// The API server stored a change: etcd and the API server light up.
    fn api_write(&mut self) {
        self.touch(Component::ApiServer);
        self.touch(Component::Etcd);
    }

    fn watch_delay(&self) -> SimDuration {
        kube_platform(self).api_watch_delay
    }

    fn schedule_kube(&mut self, after: SimDuration, due: KubeDue) {
        self.queue.schedule(self.now + after, Due::Kube(due));
    }

    /// Sets up nodes, node components and the controllers' timers.
    pub(super) fn init_kubernetes(&mut self) {
        let Platform::Kubernetes(platform) = &self.spec.platform else { return };
        let platform = platform.clone();
        let (reserved_cpu, _) = platform.reserved();
        let overhead = node_overhead(&platform);
        let mut nodes = Vec::new();
        for (h, spec) in self.setup.hosts.iter().enumerate() {
            let mut labels = spec.labels.clone();
            labels.insert(LABEL_HOSTNAME.to_string(), spec.name.clone());
            if let Some(zone) = &spec.zone {
                labels.insert(LABEL_ZONE.to_string(), zone.clone());
            }
            let allocatable = Resources {
                milli_cpu: spec.cpu.0.saturating_sub(reserved_cpu.0) as i64,
                memory: spec.memory.0.saturating_sub(overhead.1.0) as i64,
                pods: i64::from(platform.max_pods),
                scalar: spec.extended.map(|n| n as i64),
            };
            // The node's own processes (and its VM) hold memory from the start;
            // a host the world does not use is no node at all.
            let host = &mut self.hosts[h];
            let condition = if !host.powered {
                NodeCondition::Absent
            } else {
                charge_node_overhead(host, overhead);
                match platform.nodes {
                    NodeSource::Hosts => NodeCondition::Ready,
                    NodeSource::Vms(_) => NodeCondition::Provisioning,
                }
            };
            // A node on a host at the start has a kubelet heartbeating from time zero.
            let kubelet_since = (condition == NodeCondition::Ready).then_some(SimTime::ZERO);
            // Node manifests that name the host or its group, applied in turn:
            // their labels added, their taints (where written) in place of the group's.
            let mut taints = spec.taints.clone();
            let mut unschedulable = false;
            for t in platform.node_templates.iter().filter(|t| t.hosts.contains(&HostId(h as u32))) {
                labels.extend(t.labels.iter().map(|(k, v)| (k.clone(), v.clone())));
                if let Some(written) = &t.taints {
                    taints = written.clone();
                }
                if let Some(cordoned) = t.unschedulable {
                    unschedulable = cordoned;
                }
            }
            if unschedulable {
                // As `kubectl cordon` marks it.
                taints.push(Taint {
                    key: TAINT_UNSCHEDULABLE.into(),
                    value: String::new(),
                    effect: TaintEffect::NoSchedule,
                });
            }
            nodes.push(Node {
                host: HostId(h as u32),
                name: spec.name.clone(),
                labels,
                taints,
                unschedulable,
                condition,
                kubelet_since,
                last_heartbeat: SimTime::ZERO,
                allocatable,
                pods: InstanceSet::new(),
                pull_queue: VecDeque::new(),
                pulling: BTreeSet::new(),
                kubelet_acted: None,
            });
        }
        let n = nodes.len();
        let setup = &self.setup;
        let image_sizes =
            setup.images.iter().map(|i| i.layers.iter().map(|b| setup.blobs[b.index()].bytes.0).sum::<u64>() as i64);
        let mut cache = SchedulerCache::new(image_sizes.collect());
        let mut blob_images = vec![Vec::new(); setup.blobs.len()];
        for (i, image) in setup.images.iter().enumerate() {
            for b in &image.layers {
                if !blob_images[b.index()].contains(&ImageId(i as u32)) {
                    blob_images[b.index()].push(ImageId(i as u32));
                }
            }
        }
        for node in &nodes {
            cache.add_node(NodeInfo {
                name: node.name.clone(),
                labels: node.labels.clone(),
                taints: node.taints.clone(),
                unschedulable: node.unschedulable,
                allocatable: node.allocatable,
                ..NodeInfo::default()
            });
        }
        let ready_nodes = nodes.iter().filter(|n| n.condition == NodeCondition::Ready).count();
        let provisioning_nodes = nodes.iter().filter(|n| n.condition == NodeCondition::Provisioning).count();
        self.kube = Some(Box::new(Cluster {
            nodes,
            pods: Pods::default(),
            deployments: Vec::new(),
            deployment_by_name: BTreeMap::new(),
            replica_sets: Vec::new(),
            replica_set_by_name: BTreeMap::new(),
            standalone_pods: Vec::new(),
            services: Vec::new(),
            disruption_budgets: Vec::new(),
            evictions_refused: 0,
            scheduler: Scheduler::new(platform.profile.clone(), &self.setup.extended_resources),
            cache,
            next_start_node_index: 0,
            scheduler_rng: RandomStream::derive(self.setup.seed, &self.spec.name, "kube-scheduler"),
            replaced_scheduler: None,
            active_queue: VecDeque::new(),
            backoff: BTreeMap::new(),
            unschedulable: BTreeMap::new(),
            scheduling: None,
            decisions: VecDeque::new(),
            decision_verdicts: 0,
            keep_decisions: 0,
            blob_images,
            heartbeat_every: platform.node_status_update_frequency,
            silent: BTreeSet::new(),
            ready_nodes,
            provisioning_nodes,
            ready_pods: 0,
            running_pods: 0,
            serving_changed: BTreeSet::new(),
            sync_pending: BTreeSet::new(),
            endpoints_pending: false,
            stats: KubeStats { nodes_ready_min: None, ..KubeStats::default() },
            activity: BTreeMap::new(),
            pod_counter: 0,
            hpas: Vec::new(),
            autoscaler: None,
            nodes_ready_max: 0,
            serving: BTreeSet::new(),
        }));
        for h in 0..n {
            let host = HostId(h as u32);
            self.update_power(host);
            self.dirty_hosts.insert(host);
            let condition = self.kref().nodes[h].condition;
            self.cluster().cache.set_registered(h, registered(condition));
            for blob in self.hosts[h].cache.blobs().map(|(b, _)| b).collect::<Vec<_>>() {
                self.kube_cache_changed(host, blob);
            }
            if let (NodeCondition::Provisioning, NodeSource::Vms(vm)) = (condition, &platform.nodes) {
                let boot = vm.boot_time.sample(&mut self.startup_rng);
                self.schedule_kube(boot, KubeDue::NodeBooted(host));
            }
        }
        self.schedule_kube(platform.node_monitor_period, KubeDue::NodeMonitor);
        self.schedule_kube(FLUSH_INTERVAL, KubeDue::FlushUnschedulable);
        self.init_cluster_autoscaler();
        self.note_nodes_ready();
    }

    fn note_nodes_ready(&mut self) {
        let c = self.cluster();
        let ready = c.nodes_ready();
        c.nodes_ready_max = c.nodes_ready_max.max(ready);
        // Nodes still booting at the start are not "lost": count from when all came up.
        if c.provisioning_nodes == 0 {
            c.stats.nodes_ready_min = Some(c.stats.nodes_ready_min.map_or(ready, |m| m.min(ready)));
        }
    }

    /// A node's Ready condition changes; the scheduler's snapshot follows.
    fn set_node_condition(&mut self, host: HostId, condition: NodeCondition) {
        let c = self.cluster();
        let node = &mut c.nodes[host.index()];
        let before = std::mem::replace(&mut node.condition, condition);
        if before == condition {
            return;
        }
        for (cond, delta) in [(before, -1i64), (condition, 1)] {
            match cond {
                NodeCondition::Ready => c.ready_nodes = (c.ready_nodes as i64 + delta) as usize,
                NodeCondition::Provisioning => c.provisioning_nodes = (c.provisioning_nodes as i64 + delta) as usize,
                _ => {}
            }
        }
        if condition != NodeCondition::Ready {
            c.silent.remove(&host);
        }
        c.cache.set_registered(host.index(), registered(condition));
    }

    /// The node's taints or cordon changed; the scheduler's cache follows.
    fn node_taints_changed(&mut self, host: HostId) {
        let c = self.cluster();
        let node = &c.nodes[host.index()];
        c.cache.set_taints(host.index(), &node.taints, node.unschedulable);
    }

    /// A blob arrived in or left `host`'s layer cache: the images present there may have changed.
    pub(super) fn kube_cache_changed(&mut self, host: HostId, blob: crate::model::BlobId) {
        let Some(c) = self.kube.as_deref() else { return };
        let images = c.blob_images[blob.index()].clone();
        for image in images {
            let present = self.image_present(host, image);
            self.cluster().cache.set_image_present(host.index(), image.index(), present);
        }
    }

    /// Keeps the verdicts and scores of the latest scheduling cycles, up to
    /// about `verdicts` node verdicts in all (0, the default, keeps none), for
    /// a front end to show why each pod went where it went.
    pub fn keep_decisions(&mut self, verdicts: usize) {
        if let Some(c) = self.kube.as_deref_mut() {
            c.keep_decisions = verdicts;
        }
    }

    /// Runs `schedule` in place of the scheduler's own cycle from now on.
    pub fn replace_scheduler(&mut self, schedule: ScheduleFn) {
        if let Some(c) = self.kube.as_deref_mut() {
            c.replaced_scheduler = Some(schedule);
        }
    }

    // ----- actions -----

    /// Takes an action in a Kubernetes world; `false` when it is not one of its own.
    pub(super) fn kube_act(&mut self, action: &Action) -> bool {
        if self.kube.is_none() {
            return false;
        }
        match action {
            Action::Launch { app, count } => {
                let d = self.deployment_for_app(*app);
                let c = self.cluster();
                c.deployments[d].spec.replicas = c.deployments[d].spec.replicas.saturating_add(*count);
                self.api_write();
                self.sync_deployment_soon(d);
            }
            Action::Stop { app, count } => {
                let name = self.setup.apps[app.index()].name.clone();
                if let Some(d) = self.cluster().deployment(&name) {
                    let c = self.cluster();
                    c.deployments[d].spec.replicas = c.deployments[d].spec.replicas.saturating_sub(*count);
                    self.api_write();
                    self.sync_deployment_soon(d);
                }
            }
            Action::Apply(object) => match &**object {
                KubeObject::Deployment(spec) => self.apply_deployment((**spec).clone()),
                KubeObject::ReplicaSet(spec) => self.apply_replica_set(spec),
                KubeObject::Pod(spec) => self.apply_pod(spec),
                KubeObject::HorizontalPodAutoscaler(spec) => self.apply_hpa(spec.clone()),
                KubeObject::PodDisruptionBudget(spec) => {
                    let now = self.now;
                    let c = self.cluster();
                    match c.disruption_budgets.iter_mut().find(|(b, _)| b.name == spec.name) {
                        Some((b, _)) => *b = spec.clone(),
                        None => c.disruption_budgets.push((spec.clone(), now)),
                    }
                    self.api_write();
                }
                KubeObject::Service(spec) => {
                    let c = self.cluster();
                    let s = match c.services.iter().position(|s| s.spec.name == spec.name) {
                        Some(s) => s,
                        None => {
                            c.services.push(Service { spec: spec.clone(), endpoints: Vec::new(), relist: true });
                            c.services.len() - 1
                        }
                    };
                    c.services[s].spec = spec.clone();
                    // The endpoints controller lists the Service's pods afresh at its next sync.
                    c.services[s].relist = true;
                    self.api_write();
                    self.endpoints_soon();
                }
            },
            Action::Scale { deployment, replicas } => {
                if let Some(d) = self.cluster().deployment(deployment) {
                    self.cluster().deployments[d].spec.replicas = *replicas;
                    self.api_write();
                    self.sync_deployment_soon(d);
                }
            }
            Action::SetImage { deployment, container, image } => {
                if let Some(d) = self.cluster().deployment(deployment) {
                    let mut spec = self.cluster().deployments[d].spec.clone();
                    let idx = match container {
                        Some(name) => spec.template.containers.iter().position(|c| &c.name == name).unwrap_or(0),
                        None => 0,
                    };
                    if let Some(c) = spec.template.containers.get_mut(idx) {
                        c.image = *image;
                    }
                    self.apply_deployment(spec);
                }
            }
            Action::Cordon(host) => self.set_cordon(*host, true),
            Action::Uncordon(host) => self.set_cordon(*host, false),
            Action::Drain(host) => {
                self.set_cordon(*host, true);
                let pods: Vec<InstanceId> = self.cluster().nodes[host.index()].pods.iter().copied().collect();
                for p in pods {
                    self.drain_evict(p);
                }
            }
            Action::FailHost(_) | Action::RecoverHost(_) => return false,
        }
        true
    }

    /// The Deployment `Launch(app)` scales: the app's name, its image and requests.
    fn deployment_for_app(&mut self, app: AppId) -> usize {
        let spec = self.setup.apps[app.index()].clone();
        if let Some(d) = self.kref().deployment(&spec.name) {
            return d;
        }
        let template = crate::model::kube::PodTemplate {
            labels: [("app".to_string(), spec.name.clone())].into_iter().collect(),
            init_containers: Vec::new(),
            containers: vec![crate::model::kube::ContainerSpec {
                name: spec.name.clone(),
                image: spec.image,
                image_pull_policy: kubelet::default_pull_policy(&self.setup.images[spec.image.index()].name),
                cpu_request: Some(spec.cpu),
                memory_request: Some(spec.memory),
                cpu_limit: None,
                memory_limit: None,
                readiness_delay: SimDuration::ZERO,
                exits_after: None,
                sidecar: false,
                extended: [0; crate::model::kube::MAX_EXTENDED_RESOURCES],
            }],
            node_selector: Labels::new(),
            node_name: None,
            affinity: Default::default(),
            tolerations: Vec::new(),
            topology_spread_constraints: Vec::new(),
            restart_policy: Default::default(),
            termination_grace: SimDuration::from_secs(30),
        };
        let deployment = DeploymentSpec {
            name: spec.name.clone(),
            namespace: "default".into(),
            replicas: 0,
            // apps/v1 defaults: RollingUpdate with maxSurge and maxUnavailable 25%.
            strategy: DeploymentStrategy::RollingUpdate {
                max_surge: IntOrPercent::Percent(25),
                max_unavailable: IntOrPercent::Percent(25),
            },
            min_ready: SimDuration::ZERO,
            template,
        };
        self.create_deployment(deployment)
    }

    /// The workload whose instances are the pods of the object `name`.
    fn workload_named(&mut self, name: &str) -> WorkloadId {
        match self.workloads.iter().position(|w| w.name == name) {
            Some(i) => WorkloadId(i as u32),
            None => {
                self.workloads.push(Workload { name: name.to_string(), app: None });
                self.name_counters.push(0);
                WorkloadId(self.workloads.len() as u32 - 1)
            }
        }
    }

    fn create_deployment(&mut self, spec: DeploymentSpec) -> usize {
        let workload = self.workload_named(&spec.name);
        let c = self.cluster();
        c.deployment_by_name.insert(spec.name.clone(), c.deployments.len());
        c.deployments.push(Deployment {
            spec,
            workload,
            replica_sets: Vec::new(),
            rollout_started: None,
            last_rollout: None,
            rollout_min_available: None,
            last_rollout_min_available: None,
            ready_pods: 0,
        });
        c.deployments.len() - 1
    }

    fn apply_deployment(&mut self, spec: DeploymentSpec) {
        let d = match self.cluster().deployment(&spec.name) {
            Some(d) => {
                let now = self.now;
                let dep = &mut self.cluster().deployments[d];
                if dep.spec.template != spec.template {
                    dep.rollout_started = Some(now);
                    dep.rollout_min_available = None;
                }
                dep.spec = spec;
                d
            }
            None => self.create_deployment(spec),
        };
        self.api_write();
        self.sync_deployment_soon(d);
    }

    /// `kubectl apply` of a ReplicaSet without an owner: its replicas and
    /// template change; the pods it has keep the template they were made from.
    fn apply_replica_set(&mut self, spec: &ReplicaSetSpec) {
        let r = match self.kref().standalone_replica_set(&spec.name) {
            Some(r) => {
                let template = Arc::new(spec.template.clone());
                if *self.kref().replica_sets[r].template != *template {
                    let (demand, info) = self.pod_demand(&template, &spec.namespace);
                    let rs = &mut self.cluster().replica_sets[r];
                    rs.template = template;
                    rs.demand = demand;
                    rs.pod_info = info;
                }
                self.cluster().replica_sets[r].replicas = spec.replicas;
                r
            }
            None => {
                let workload = self.workload_named(&spec.name);
                let template = Arc::new(spec.template.clone());
                let r = self.create_replica_set(spec.name.clone(), &spec.namespace, None, workload, template);
                let c = self.cluster();
                c.replica_set_by_name.insert(spec.name.clone(), r);
                c.replica_sets[r].replicas = spec.replicas;
                r
            }
        };
        self.api_write();
        self.sync_replica_set_soon(r);
    }

    /// `kubectl apply` of a Pod: it is created when no pod of that name
    /// exists. The API server refuses most changes to a pod's spec, so a
    /// pod that exists is left as it is.
    fn apply_pod(&mut self, spec: &StandalonePodSpec) {
        let c = self.kref();
        let found =
            c.standalone_pods.iter().position(|p| p.spec.name == spec.name && p.spec.namespace == spec.namespace);
        if found.is_some_and(|i| c.standalone_pods[i].pod.is_some()) {
            return;
        }
        let i = match found {
            Some(i) => {
                self.cluster().standalone_pods[i].spec = spec.clone();
                i
            }
            None => {
                let workload = self.workload_named(&spec.name);
                let c = self.cluster();
                c.standalone_pods.push(StandalonePod { spec: spec.clone(), workload, pod: None });
                c.standalone_pods.len() - 1
            }
        };
        let template = Arc::new(spec.template.clone());
        let (demand, info) = self.pod_demand(&template, &spec.namespace);
        let workload = self.kref().standalone_pods[i].workload;
        let id = self.create_pod(PodOwner::Standalone(i), workload, demand, template, info, spec.name.clone());
        self.cluster().standalone_pods[i].pod = Some(id);
        self.api_write();
    }

    fn set_cordon(&mut self, host: HostId, cordon: bool) {
        let node = &mut self.cluster().nodes[host.index()];
        node.unschedulable = cordon;
        node.taints.retain(|t| t.key != TAINT_UNSCHEDULABLE);
        if cordon {
            node.taints.push(Taint {
                key: TAINT_UNSCHEDULABLE.into(),
                value: String::new(),
                effect: TaintEffect::NoSchedule,
            });
        }
        self.node_taints_changed(host);
        self.api_write();
        if !cordon {
            self.cluster_event();
        }
    }

    // ----- controllers -----

    fn sync_deployment_soon(&mut self, d: usize) {
        let delay = self.watch_delay();
        if self.cluster().sync_pending.insert((0, d)) {
            self.schedule_kube(delay, KubeDue::SyncDeployment(d));
        }
    }

    fn sync_replica_set_soon(&mut self, rs: usize) {
        let delay = self.watch_delay();
        if self.cluster().sync_pending.insert((1, rs)) {
            self.schedule_kube(delay, KubeDue::SyncReplicaSet(rs));
        }
    }

    fn endpoints_soon(&mut self) {
        let delay = self.watch_delay();
        if !self.cluster().endpoints_pending {
            self.cluster().endpoints_pending = true;
            self.schedule_kube(delay, KubeDue::SyncEndpoints);
        }
    }

    /// The Deployment controller's sync: find or make the new ReplicaSet,
    /// then scale it up and the old ones down within the strategy's bounds.
    fn sync_deployment(&mut self, d: usize) {
        self.cluster().sync_pending.remove(&(0, d));
        self.touch(Component::ControllerManager);
        let now = self.now;
        let (spec, rs_list) = {
            let dep = &self.cluster().deployments[d];
            (dep.spec.clone(), dep.replica_sets.clone())
        };
        let new_rs = match rs_list.iter().copied().find(|&r| *self.cluster().replica_sets[r].template == spec.template)
        {
            Some(r) => r,
            None => self.create_deployment_replica_set(d, Arc::new(spec.template.clone())),
        };
        let olds: Vec<usize> =
            self.cluster().deployments[d].replica_sets.iter().copied().filter(|&r| r != new_rs).collect();
        let replicas = spec.replicas;
        let mut changed: Vec<usize> = Vec::new();
        let old_active: u32 = olds.iter().map(|&r| self.cluster().active_pods(r).len() as u32).sum();
        let old_replicas: u32 = olds.iter().map(|&r| self.cluster().replica_sets[r].replicas).sum();
        match spec.strategy {
            DeploymentStrategy::Recreate => {
                for &r in &olds {
                    if self.cluster().replica_sets[r].replicas != 0 {
                        self.cluster().replica_sets[r].replicas = 0;
                        changed.push(r);
                    }
                }
                // rolloutRecreate: the new ReplicaSet grows only once every old pod is gone.
                let old_pods: usize = olds.iter().map(|&r| self.cluster().replica_sets[r].pods.len()).sum();
                let current_new = self.cluster().replica_sets[new_rs].replicas;
                let target = deployment::new_rs_new_replicas(&spec.strategy, replicas, old_replicas, current_new);
                if old_pods == 0 && current_new != target {
                    self.cluster().replica_sets[new_rs].replicas = target;
                    changed.push(new_rs);
                }
            }
            DeploymentStrategy::RollingUpdate { .. } => {
                if old_replicas == 0 {
                    // Not in a rollout: plain scaling.
                    if self.cluster().replica_sets[new_rs].replicas != replicas {
                        self.cluster().replica_sets[new_rs].replicas = replicas;
                        changed.push(new_rs);
                    }
                } else {
                    let total: u32 = {
                        let c = self.kref();
                        c.deployments[d].replica_sets.iter().map(|&r| c.replica_sets[r].replicas).sum()
                    };
                    let current_new = self.cluster().replica_sets[new_rs].replicas;
                    let target = deployment::new_rs_new_replicas(&spec.strategy, replicas, total, current_new);
                    if target != current_new {
                        self.cluster().replica_sets[new_rs].replicas = target;
                        changed.push(new_rs);
                    }
                    // Scale old ReplicaSets down, unhealthy pods first.
                    let min_ready = spec.min_ready;
                    let min_available = deployment::min_available(&spec.strategy, replicas);
                    let all_pods: u32 = {
                        let c = self.kref();
                        c.deployments[d].replica_sets.iter().map(|&r| c.replica_sets[r].replicas).sum()
                    };
                    let new_available = self.cluster().available_pods(new_rs, now, min_ready);
                    let new_unavailable = self.cluster().replica_sets[new_rs].replicas.saturating_sub(new_available);
                    let mut budget = deployment::max_scaled_down(all_pods, min_available, new_unavailable);
                    // cleanupUnhealthyReplicas, oldest ReplicaSet first.
                    for &r in &olds {
                        if budget == 0 {
                            break;
                        }
                        let (replicas_now, available) = {
                            let c = self.kref();
                            (c.replica_sets[r].replicas, c.available_pods(r, now, min_ready))
                        };
                        let unhealthy = replicas_now.saturating_sub(available);
                        let cut = unhealthy.min(budget).min(replicas_now);
                        if cut > 0 {
                            self.cluster().replica_sets[r].replicas -= cut;
                            budget -= cut;
                            changed.push(r);
                        }
                    }
                    // scaleDownOldReplicaSetsForRollingUpdate.
                    let available_all: u32 = {
                        let c = self.kref();
                        c.deployments[d].replica_sets.iter().map(|&r| c.available_pods(r, now, min_ready)).sum()
                    };
                    let mut cut_total = available_all.saturating_sub(min_available);
                    for &r in &olds {
                        if cut_total == 0 {
                            break;
                        }
                        let cut = self.cluster().replica_sets[r].replicas.min(cut_total);
                        if cut > 0 {
                            self.cluster().replica_sets[r].replicas -= cut;
                            cut_total -= cut;
                            changed.push(r);
                        }
                    }
                }
            }
        }
        changed.sort_unstable();
        changed.dedup();
        if !changed.is_empty() {
            self.api_write();
        }
        for r in changed {
            self.sync_replica_set_soon(r);
        }
        // Rollout complete: the new ReplicaSet has every replica available and no old pod is left.
        let c = self.cluster();
        if c.deployments[d].rollout_started.is_some() {
            let available: u32 =
                c.deployments[d].replica_sets.iter().map(|&r| c.available_pods(r, now, spec.min_ready)).sum();
            let dep = &mut c.deployments[d];
            dep.rollout_min_available = Some(dep.rollout_min_available.map_or(available, |m| m.min(available)));
        }
        let new_available = c.available_pods(new_rs, now, spec.min_ready);
        let old_left: usize = olds.iter().map(|&r| c.replica_sets[r].pods.len()).sum();
        if c.replica_sets[new_rs].replicas == replicas && new_available >= replicas && old_left == 0 && old_active == 0
        {
            let dep = &mut c.deployments[d];
            if let Some(start) = dep.rollout_started.take() {
                dep.last_rollout = Some(now.since(start));
                dep.last_rollout_min_available = dep.rollout_min_available.take();
            }
        }
        self.check_recovery();
    }

    /// What pods made from `template` in `namespace` need of a host, and how the scheduler sees them.
    fn pod_demand(&mut self, template: &PodTemplate, namespace: &str) -> (DemandId, Arc<PodInfo>) {
        let Platform::Kubernetes(platform) = &self.spec.platform else { unreachable!() };
        let demand = kubelet::pod_demand(template, platform, &self.setup);
        Arc::make_mut(&mut self.demands).push(demand);
        let demand = DemandId(self.demands.len() as u32 - 1);
        let mut info = pod_info(template, namespace);
        self.cluster().cache.prepare(&mut info);
        (demand, Arc::new(info))
    }

    /// A Deployment's new ReplicaSet, named after the Deployment and the template's hash.
    fn create_deployment_replica_set(&mut self, d: usize, template: Arc<PodTemplate>) -> usize {
        let dep = &self.kref().deployments[d];
        let (name, namespace, workload) =
            (format!("{}-{}", dep.spec.name, template.hash()), dep.spec.namespace.clone(), dep.workload);
        let r = self.create_replica_set(name, &namespace, Some(d), workload, template);
        self.cluster().deployments[d].replica_sets.push(r);
        r
    }

    fn create_replica_set(
        &mut self,
        name: String,
        namespace: &str,
        deployment: Option<usize>,
        workload: WorkloadId,
        template: Arc<PodTemplate>,
    ) -> usize {
        let (demand, pod_info) = self.pod_demand(&template, namespace);
        let now = self.now;
        let c = self.cluster();
        c.replica_sets.push(ReplicaSet {
            name,
            namespace: namespace.to_string(),
            deployment,
            workload,
            template,
            pod_info,
            demand,
            replicas: 0,
            pods: InstanceSet::new(),
            created: now,
        });
        c.replica_sets.len() - 1
    }

    /// The ReplicaSet controller's sync: create or delete pods to match replicas.
    fn sync_replica_set(&mut self, r: usize) {
        self.cluster().sync_pending.remove(&(1, r));
        self.touch(Component::ControllerManager);
        let active = self.cluster().active_pods(r);
        let want = self.cluster().replica_sets[r].replicas as usize;
        if active.len() < want {
            for _ in 0..(want - active.len()) {
                let (workload, demand, template, info) = {
                    let rs = &self.kref().replica_sets[r];
                    (rs.workload, rs.demand, rs.template.clone(), Arc::clone(&rs.pod_info))
                };
                // Pods are named after their ReplicaSet, as Kubernetes names them.
                let c = self.cluster();
                c.pod_counter += 1;
                let name = format!("{}-{}", c.replica_sets[r].name, pod_suffix(c.pod_counter));
                let id = self.create_pod(PodOwner::ReplicaSet(r), workload, demand, template, info, name);
                self.cluster().replica_sets[r].pods.insert(id);
            }
            self.api_write();
        } else if active.len() > want {
            let mut ranked: Vec<(replica_set::PodRank, InstanceId)> = active
                .iter()
                .map(|&p| {
                    let pod = &self.cluster().pods[&p];
                    let rank = replica_set::PodRank {
                        assigned: pod.node.is_some(),
                        running: pod.running,
                        ready: pod.ready,
                        ready_since: pod.ready_since,
                        restarts: pod.restarts,
                        created: pod.created,
                    };
                    (rank, p)
                })
                .collect();
            ranked.sort_by(|a, b| replica_set::deletion_order(&a.0, &b.0).then(b.1.cmp(&a.1)));
            for (_, p) in ranked.into_iter().take(active.len() - want) {
                self.delete_pod(p);
            }
            self.api_write();
        }
        if let Some(d) = self.cluster().replica_sets[r].deployment {
            self.sync_deployment_soon(d);
        }
    }

    /// The API server creates a pod; it waits for the scheduler.
    fn create_pod(
        &mut self,
        owner: PodOwner,
        workload: WorkloadId,
        demand: DemandId,
        template: Arc<PodTemplate>,
        pod_info: Arc<PodInfo>,
        name: String,
    ) -> InstanceId {
        let id = self.launch_one(workload, demand);
        let now = self.now;
        let c = self.cluster();
        c.pods.insert(
            id,
            Pod {
                owner,
                template,
                pod_info,
                node: None,
                created: now,
                running: false,
                ready: false,
                ready_since: None,
                ready_changed: None,
                deleting: false,
                restarts: 0,
                restart_backoff: SimDuration::ZERO,
                attempts: 0,
                eviction_at: None,
                images_missing: BTreeSet::new(),
                pinned: false,
                started_at: None,
            },
        );
        c.active_queue.push_back(id);
        self.instances[id.index()].name = name;
        // Pods wait for the scheduler, not the simple placer.
        self.waiting.remove(&id);
        let delay = self.watch_delay();
        self.schedule_kube(delay, KubeDue::SchedulingCycle);
        id
    }

    /// Sets a pod's deletion timestamp; the kubelet then stops it.
    fn delete_pod(&mut self, p: InstanceId) {
        let Some(pod) = self.cluster().pods.get_mut(&p) else { return };
        if pod.deleting {
            return;
        }
        pod.deleting = true;
        pod.eviction_at = None;
        self.pod_status_changed(p);
        let c = self.cluster();
        let pod = &c.pods[&p];
        let (node, ready, deployment, info) = (pod.node, pod.ready, c.pod_deployment(pod), Arc::clone(&pod.pod_info));
        c.serving_changed.insert(p);
        if ready && let Some(d) = deployment {
            c.deployments[d].ready_pods -= 1;
        }
        if let Some(h) = node {
            // Terminating: spreading counts it no more, though it still holds its requests.
            c.cache.pod_terminating(h.index(), &info);
        }
        c.backoff.remove(&p);
        c.unschedulable.remove(&p);
        // EndpointSlice conditions: a pod with a deletion timestamp is
        // `ready: false, terminating: true` at once, and gets no new requests.
        if c.serving.remove(&p) {
            for s in &mut c.services {
                if let Ok(at) = s.endpoints.binary_search(&p) {
                    s.endpoints.remove(at);
                }
            }
            self.endpoints_changed.push(p);
        }
        let phase = self.instances[p.index()].phase;
        match node {
            None => {
                self.set_phase(p, Phase::Stopped);
                self.forget_pod(p);
            }
            Some(host) if !self.hosts[host.index()].up || phase == Phase::Unknown => {
                // Its node is silent: the pod is gone for the control plane.
                self.set_phase(p, Phase::Failed);
                self.forget_pod(p);
            }
            Some(_) => {
                if phase != Phase::Stopping && !phase.is_terminal() {
                    self.set_phase(p, Phase::Stopping);
                    let d = kube_platform(self).container_stop_time.clone().sample(&mut self.stop_rng);
                    self.schedule_phase_end(p, d, Due::Kube(KubeDue::PodTerminated(p)));
                }
            }
        }
        self.endpoints_soon();
        if let Some(r) = self.cluster().pods.get(&p).and_then(|pod| pod.owner.replica_set()) {
            self.sync_replica_set_soon(r);
        }
    }

    /// Removes a pod from the API server and frees what it held.
    fn forget_pod(&mut self, p: InstanceId) {
        self.release_pod(p);
        let c = self.cluster();
        if let Some(pod) = c.pods.remove(&p) {
            let deployment = c.pod_deployment(&pod);
            match pod.owner {
                PodOwner::ReplicaSet(r) => {
                    c.replica_sets[r].pods.remove(&p);
                }
                PodOwner::Standalone(i) => c.standalone_pods[i].pod = None,
            }
            c.serving_changed.insert(p);
            if pod.ready {
                c.ready_pods -= 1;
                if !pod.deleting
                    && let Some(d) = deployment
                {
                    c.deployments[d].ready_pods -= 1;
                }
            }
            if let Some(h) = pod.node {
                c.nodes[h.index()].pods.remove(&p);
                c.cache.remove_pod(h.index(), &pod.pod_info, !pod.deleting);
            }
            if let Some(r) = pod.owner.replica_set() {
                self.sync_replica_set_soon(r);
            }
            if let Some(d) = deployment {
                self.sync_deployment_soon(d);
            }
        }
        self.api_write();
        self.cluster_event();
        self.check_recovery();
    }

    /// Gives back the pod's reservation on its host and its cache pins.
    fn release_pod(&mut self, p: InstanceId) {
        let pinned = self.cluster().pods.get(&p).is_some_and(|pod| pod.pinned);
        if let Some(host) = self.instances[p.index()].host
            && self.hosts[host.index()].instances.contains(&p)
        {
            let demands = Arc::clone(&self.demands);
            let demand = &demands[self.instances[p.index()].demand.index()];
            self.unreserve(p, host, demand);
            if pinned {
                for &b in &demand.blobs {
                    self.hosts[host.index()].cache.unpin(b);
                }
            }
        }
        if let Some(pod) = self.cluster().pods.get_mut(&p) {
            pod.pinned = false;
        }
    }

    /// The endpoints controller: every Service lists its Ready pods that are
    /// not terminating. Only pods whose state changed since the last sync
    /// are looked at again.
    fn sync_endpoints(&mut self) {
        self.cluster().endpoints_pending = false;
        self.touch(Component::ControllerManager);
        let c = self.cluster();
        let changed = std::mem::take(&mut c.serving_changed);
        let mut now_changed = Vec::new();
        for id in changed {
            let serving = c
                .pods
                .get(&id)
                .filter(|p| p.ready && !p.deleting)
                .map(|p| (Arc::clone(&p.template), c.pod_namespace(p).to_string()));
            let was = c.serving.contains(&id);
            if let Some((template, namespace)) = &serving {
                // A Service selects pods of its own namespace.
                for s in &mut c.services {
                    if s.spec.namespace == *namespace
                        && selector_matches(&s.spec.selector, &template.labels)
                        && let Err(at) = s.endpoints.binary_search(&id)
                    {
                        s.endpoints.insert(at, id);
                    }
                }
            } else {
                for s in &mut c.services {
                    if let Ok(at) = s.endpoints.binary_search(&id) {
                        s.endpoints.remove(at);
                    }
                }
            }
            if serving.is_some() != was {
                if was {
                    c.serving.remove(&id);
                } else {
                    c.serving.insert(id);
                }
                now_changed.push(id);
            }
        }
        let mut services = std::mem::take(&mut c.services);
        for s in services.iter_mut().filter(|s| s.relist) {
            s.relist = false;
            s.endpoints = c
                .serving
                .iter()
                .copied()
                .filter(|id| {
                    c.pods.get(id).is_some_and(|p| {
                        c.pod_namespace(p) == s.spec.namespace && selector_matches(&s.spec.selector, &p.template.labels)
                    })
                })
                .collect();
        }
        c.services = services;
        self.endpoints_changed.extend(now_changed);
    }

    // ----- the scheduler -----

    /// Something changed that may let unschedulable pods fit: move them back
    /// to the active queue, or to back-off if theirs has not run out.
    fn cluster_event(&mut self) {
        let now = self.now;
        let c = self.cluster();
        let waiting: Vec<InstanceId> = c.unschedulable.keys().copied().collect();
        let mut moved = false;
        for p in waiting {
            c.unschedulable.remove(&p);
            match c.backoff.get(&p) {
                Some(&until) if until > now => {}
                _ => {
                    c.backoff.remove(&p);
                    c.active_queue.push_back(p);
                    moved = true;
                }
            }
        }
        if moved {
            self.schedule_kube(SimDuration::ZERO, KubeDue::SchedulingCycle);
        }
    }

    fn backoff_for(&self, attempts: u32) -> SimDuration {
        // calculateBackoffDuration: initial × 2^(attempts − 1), at most the maximum.
        let profile = &kube_platform(self).profile;
        let mut d = profile.pod_initial_backoff;
        for _ in 1..attempts {
            d = SimDuration(d.0.saturating_mul(2));
            if d >= profile.pod_max_backoff {
                return profile.pod_max_backoff;
            }
        }
        d.min(profile.pod_max_backoff)
    }

    fn scheduling_cycle(&mut self) {
        if self.cluster().scheduling.is_some() {
            return;
        }
        let pod = loop {
            let Some(p) = self.cluster().active_queue.pop_front() else { return };
            if self.cluster().pods.get(&p).is_some_and(|pod| !pod.deleting && pod.node.is_none()) {
                break p;
            }
        };
        self.touch(Component::Scheduler);
        let (node, message) = match self.kref().replaced_scheduler {
            Some(schedule) => {
                let c = self.kref();
                let (mut start, mut rng) = (c.next_start_node_index, c.scheduler_rng.clone());
                let outcome = schedule(self, pod, &mut start, &mut rng);
                let c = self.cluster();
                (c.next_start_node_index, c.scheduler_rng) = (start, rng);
                outcome
            }
            None => {
                let c = self.cluster();
                let info = Arc::clone(&c.pods[&pod].pod_info);
                let keep = c.keep_decisions > 0;
                let outcome =
                    c.scheduler.schedule(&info, &c.cache, &mut c.next_start_node_index, &mut c.scheduler_rng, keep);
                if let Some(d) = outcome.decision {
                    c.decision_verdicts += d.verdicts.len();
                    c.decisions.push_back((pod, Arc::new(d)));
                    while c.decision_verdicts > c.keep_decisions && c.decisions.len() > 1 {
                        let (_, old) = c.decisions.pop_front().expect("more than one decision");
                        c.decision_verdicts -= old.verdicts.len();
                    }
                }
                (outcome.node, outcome.message)
            }
        };
        let c = self.cluster();
        c.stats.scheduling_attempts += 1;
        c.scheduling = Some((pod, node, message));
        c.pods.get_mut(&pod).expect("the pod exists").attempts += 1;
        let d = kube_platform(self).scheduling_time.clone().sample(&mut self.startup_rng);
        self.schedule_kube(d, KubeDue::BindDone(pod));
    }

    /// The end of a cycle: bind the pod, or leave it unschedulable with the reason.
    fn bind_done(&mut self, pod: InstanceId) {
        let now = self.now;
        let outcome = self.cluster().scheduling.take();
        let usable = self.cluster().pods.get(&pod).is_some_and(|p| !p.deleting && p.node.is_none());
        if let (Some((p, node, message)), true) = (outcome, usable)
            && p == pod
        {
            match node {
                Some(host) => self.bind(pod, host),
                None => {
                    let message = message.unwrap_or_default();
                    let attempts = self.cluster().pods[&pod].attempts;
                    let backoff = self.backoff_for(attempts);
                    let c = self.cluster();
                    c.stats.scheduling_unschedulable += 1;
                    c.unschedulable.insert(pod, now);
                    c.backoff.insert(pod, now + backoff);
                    self.set_wait_reason(pod, message);
                    self.schedule_kube(backoff, KubeDue::BackoffDone(pod));
                }
            }
        }
        if !self.cluster().active_queue.is_empty() {
            self.schedule_kube(SimDuration::ZERO, KubeDue::SchedulingCycle);
        }
    }

    fn backoff_done(&mut self, pod: InstanceId) {
        let now = self.now;
        let c = self.cluster();
        if c.backoff.get(&pod).is_some_and(|&t| t <= now) {
            c.backoff.remove(&pod);
            // Still unschedulable: it waits for a cluster event or the periodic flush.
            if !c.unschedulable.contains_key(&pod) && c.pods.contains_key(&pod) {
                c.active_queue.push_back(pod);
                self.schedule_kube(SimDuration::ZERO, KubeDue::SchedulingCycle);
            }
        }
    }

    fn flush_unschedulable(&mut self) {
        let now = self.now;
        let c = self.cluster();
        let stale: Vec<InstanceId> = c
            .unschedulable
            .iter()
            .filter(|(_, since)| now.since(**since) >= MAX_IN_UNSCHEDULABLE)
            .map(|(p, _)| *p)
            .collect();
        for p in &stale {
            c.unschedulable.remove(p);
            c.backoff.remove(p);
            c.active_queue.push_back(*p);
        }
        if !stale.is_empty() {
            self.schedule_kube(SimDuration::ZERO, KubeDue::SchedulingCycle);
        }
        self.schedule_kube(FLUSH_INTERVAL, KubeDue::FlushUnschedulable);
    }

    fn bind(&mut self, pod: InstanceId, host: HostId) {
        let delay = self.watch_delay();
        let c = self.cluster();
        c.unschedulable.remove(&pod);
        c.backoff.remove(&pod);
        let p = c.pods.get_mut(&pod).expect("the pod exists");
        p.node = Some(host);
        let info = Arc::clone(&p.pod_info);
        c.nodes[host.index()].pods.insert(pod);
        c.cache.add_pod(host.index(), &info, true);
        self.api_write();
        // The scheduler's cache holds the resources from the binding on.
        let demands = Arc::clone(&self.demands);
        self.reserve(pod, host, &demands[self.instances[pod.index()].demand.index()]);
        self.instances[pod.index()].wait_reason = None;
        self.emit(EventKind::Placed { instance: pod, host });
        self.schedule_kube(delay, KubeDue::KubeletAdmit(pod));
    }

    // ----- kubelets -----

    fn kubelet_admit(&mut self, pod: InstanceId) {
        let Some(host) = self.cluster().pods.get(&pod).and_then(|p| if p.deleting { None } else { p.node }) else {
            return;
        };
        if !self.hosts[host.index()].up {
            return;
        }
        self.kubelet_acts(host);
        let template = self.cluster().pods[&pod].template.clone();
        let missing: BTreeSet<ImageId> = template.images().filter(|&i| !self.image_present(host, i)).collect();
        if missing.is_empty() {
            self.start_containers(pod);
            return;
        }
        self.set_phase(pod, Phase::FetchingImage);
        // imagePullPolicy Never: the kubelet will not pull; the pod waits.
        let never = template
            .init_containers
            .iter()
            .chain(&template.containers)
            .find(|c| c.image_pull_policy == ImagePullPolicy::Never && missing.contains(&c.image));
        if let Some(c) = never {
            let reason = format!(
                "ErrImageNeverPull: container image \"{}\" is not present with pull policy of Never",
                self.setup.images[c.image.index()].name
            );
            self.set_wait_reason(pod, reason);
            return;
        }
        let c = self.cluster();
        c.pods.get_mut(&pod).expect("the pod exists").images_missing = missing.clone();
        let node = &mut c.nodes[host.index()];
        for i in missing {
            if !node.pulling.contains(&i) && !node.pull_queue.contains(&i) {
                node.pull_queue.push_back(i);
            }
        }
        self.next_pulls(host);
    }

    fn image_present(&self, host: HostId, image: ImageId) -> bool {
        let cache = &self.hosts[host.index()].cache;
        self.setup.images[image.index()].layers.iter().all(|b| cache.contains(*b))
    }

    /// Starts image pulls on `host`: one at a time when pulls are serialized.
    fn next_pulls(&mut self, host: HostId) {
        let serialize = kube_platform(self).serialize_image_pulls;
        loop {
            let node = &mut self.cluster().nodes[host.index()];
            if serialize && !node.pulling.is_empty() {
                return;
            }
            let Some(image) = node.pull_queue.pop_front() else { return };
            node.pulling.insert(image);
            let layers = self.setup.images[image.index()].layers.clone();
            for blob in layers {
                let h = &mut self.hosts[host.index()];
                if h.cache.contains(blob) || h.downloading.contains_key(&blob) {
                    continue;
                }
                h.downloading.insert(blob, Vec::new());
                let bytes = self.setup.blobs[blob.index()].bytes;
                self.registry.request(self.now, host, blob, bytes);
                self.emit(EventKind::PullStarted { host, blob, bytes });
            }
            self.schedule_transfers();
            // An image whose layers were all here (another image brought them) is done at once.
            if self.image_present(host, image) {
                self.image_pulled(host, image);
                continue;
            }
        }
    }

    /// A blob reached `host`: see which images are now complete.
    pub(super) fn kube_blob_arrived(&mut self, host: HostId) {
        if self.kube.is_none() {
            return;
        }
        let pulling: Vec<ImageId> = self.cluster().nodes[host.index()].pulling.iter().copied().collect();
        for image in pulling {
            if self.image_present(host, image) {
                self.image_pulled(host, image);
            }
        }
        self.next_pulls(host);
    }

    fn image_pulled(&mut self, host: HostId, image: ImageId) {
        self.kubelet_acts(host);
        self.cluster().nodes[host.index()].pulling.remove(&image);
        let waiting: Vec<InstanceId> = self.cluster().nodes[host.index()].pods.iter().copied().collect();
        for p in waiting {
            // Only pods the kubelet is pulling for: one lost with its host
            // (Unknown now) is no longer waiting for anything.
            if self.instances[p.index()].phase != Phase::FetchingImage {
                continue;
            }
            let ready_to_start = {
                let Some(pod) = self.cluster().pods.get_mut(&p) else { continue };
                if !pod.images_missing.remove(&image) {
                    continue;
                }
                pod.images_missing.is_empty() && !pod.deleting
            };
            if ready_to_start {
                self.start_containers(p);
            }
        }
    }

    /// Every image is present: pin the layers and start the containers.
    fn start_containers(&mut self, pod: InstanceId) {
        let Some(host) = self.instances[pod.index()].host else { return };
        self.kubelet_acts(host);
        let demands = Arc::clone(&self.demands);
        let demand = &demands[self.instances[pod.index()].demand.index()];
        let already = self.cluster().pods[&pod].pinned;
        if !already {
            for &b in &demand.blobs {
                self.hosts[host.index()].cache.touch(b);
                self.hosts[host.index()].cache.pin(b);
            }
            self.cluster().pods.get_mut(&pod).expect("the pod exists").pinned = true;
        }
        self.set_phase(pod, Phase::Starting);
        let template = self.cluster().pods[&pod].template.clone();
        // Init containers run one after another to completion (a sidecar
        // until it has started, then on beside the others), then the app
        // containers start together.
        let start = kube_platform(self).container_start_time.clone();
        let mut d = SimDuration::ZERO;
        for _ in &template.init_containers {
            d = d + start.sample(&mut self.startup_rng);
        }
        d = d + start.sample(&mut self.startup_rng);
        self.schedule_phase_end(pod, d, Due::Kube(KubeDue::ContainerStarted(pod)));
    }

    fn container_started(&mut self, pod: InstanceId) {
        if self.instances[pod.index()].phase != Phase::Starting {
            return;
        }
        self.kubelet_acts_on(pod);
        let template = self.cluster().pods[&pod].template.clone();
        let now = self.now;
        let p = self.cluster().pods.get_mut(&pod).expect("the pod exists");
        p.running = true;
        p.started_at.get_or_insert(now);
        self.pod_status_changed(pod);
        // Sidecars' readiness probes count towards the pod's Ready condition too.
        let readiness = template.running_containers().map(|c| c.readiness_delay).max().unwrap_or(SimDuration::ZERO);
        let delay = self.watch_delay();
        self.schedule_phase_end(pod, readiness + delay, Due::Kube(KubeDue::PodReady(pod)));
        if let Some(exit) = template.containers.iter().filter_map(|c| c.exits_after).min() {
            self.schedule_kube(exit, KubeDue::ContainerExited(pod));
        }
    }

    fn pod_ready(&mut self, pod: InstanceId) {
        if self.instances[pod.index()].phase != Phase::Starting {
            return;
        }
        self.kubelet_acts_on(pod);
        let now = self.now;
        let p = self.cluster().pods.get_mut(&pod).expect("the pod exists");
        p.ready_since = Some(now);
        p.ready_changed = Some(now);
        self.set_pod_ready(pod, true);
        self.pod_status_changed(pod);
        self.set_phase(pod, Phase::Running);
        self.api_write();
        self.endpoints_soon();
        let c = self.kref();
        let Some(d) = c.pod_deployment(&c.pods[&pod]) else { return };
        self.sync_deployment_soon(d);
        let min_ready = self.cluster().deployments[d].spec.min_ready;
        if min_ready > SimDuration::ZERO {
            let delay = self.watch_delay();
            self.schedule_kube(min_ready + delay, KubeDue::SyncDeployment(d));
        }
    }

    fn container_exited(&mut self, pod: InstanceId) {
        let phase = self.instances[pod.index()].phase;
        if !matches!(phase, Phase::Starting | Phase::Running)
            || self.cluster().pods.get(&pod).is_none_or(|p| p.deleting)
        {
            return;
        }
        let restart = self.cluster().pods[&pod].template.restart_policy;
        let now = self.now;
        self.set_pod_ready(pod, false);
        let p = self.cluster().pods.get_mut(&pod).expect("the pod exists");
        p.ready_changed = Some(now);
        p.running = false;
        p.restarts += 1;
        p.restart_backoff = kubelet::next_restart_backoff(p.restart_backoff);
        let backoff = p.restart_backoff;
        let restarts = p.restarts;
        self.pod_status_changed(pod);
        self.endpoints_soon();
        if restart == crate::model::kube::RestartPolicy::Never {
            self.set_phase(pod, Phase::Failed);
            self.forget_pod(pod);
            return;
        }
        self.set_phase(pod, Phase::Starting);
        let reason =
            format!("CrashLoopBackOff: back-off {} restarting failed container (restarts: {restarts})", backoff);
        self.instances[pod.index()].wait_reason = Some(reason.clone());
        self.emit(EventKind::Waiting { instance: pod, reason });
        self.schedule_phase_end(pod, backoff, Due::Kube(KubeDue::ContainerRestart(pod)));
        let c = self.kref();
        if let Some(d) = c.pod_deployment(&c.pods[&pod]) {
            self.sync_deployment_soon(d);
        }
    }

    /// The pod's Ready condition; what counts Ready pods follows, and the
    /// endpoints controller will look at it again.
    fn set_pod_ready(&mut self, pod: InstanceId, ready: bool) {
        let c = self.cluster();
        let Some(p) = c.pods.get_mut(&pod) else { return };
        if p.ready == ready {
            return;
        }
        p.ready = ready;
        let status = pod_status(p);
        let deleting = p.deleting;
        if let Some(t) = self.traffic.as_deref_mut() {
            t.set_pod_status(pod, status);
        }
        let c = self.cluster();
        let deployment = c.pod_deployment(&c.pods[&pod]);
        let delta = if ready { 1 } else { -1 };
        c.ready_pods = (c.ready_pods as i64 + delta) as usize;
        if !deleting && let Some(d) = deployment {
            c.deployments[d].ready_pods = (i64::from(c.deployments[d].ready_pods) + delta) as u32;
        }
        c.serving_changed.insert(pod);
    }

    /// Metrics-server's record of the pod follows its status, for the HPA.
    fn pod_status_changed(&mut self, pod: InstanceId) {
        let Some(status) = self.kube.as_deref().and_then(|c| c.pods.get(&pod)).map(pod_status) else { return };
        if let Some(t) = self.traffic.as_deref_mut() {
            t.set_pod_status(pod, status);
        }
    }

    /// An instance of this world changed phase: the count of pods running follows.
    pub(super) fn kube_phase_changed(&mut self, id: InstanceId, before: Phase, after: Phase) {
        let Some(c) = self.kube.as_deref_mut() else { return };
        if !c.pods.contains_key(&id) {
            return;
        }
        if before == Phase::Running {
            c.running_pods -= 1;
        }
        if after == Phase::Running {
            c.running_pods += 1;
        }
    }

    fn container_restart(&mut self, pod: InstanceId) {
        if self.instances[pod.index()].phase != Phase::Starting
            || self.cluster().pods.get(&pod).is_none_or(|p| p.deleting)
        {
            return;
        }
        self.kubelet_acts_on(pod);
        self.instances[pod.index()].wait_reason = None;
        let d = kube_platform(self).container_start_time.clone().sample(&mut self.startup_rng);
        self.schedule_phase_end(pod, d, Due::Kube(KubeDue::ContainerStarted(pod)));
    }

    fn pod_terminated(&mut self, pod: InstanceId) {
        if self.instances[pod.index()].phase != Phase::Stopping {
            return;
        }
        // forget_pod gives back what the pod held.
        self.set_phase(pod, Phase::Stopped);
        self.forget_pod(pod);
    }

    // ----- nodes -----

    fn node_booted(&mut self, host: HostId) {
        if !self.hosts[host.index()].up {
            return;
        }
        self.node_heard(host);
    }

    /// The kubelet of a host that came back starts and reports at once.
    fn kubelet_started(&mut self, host: HostId) {
        let condition = self.kref().nodes[host.index()].condition;
        if !self.hosts[host.index()].up
            || !self.hosts[host.index()].powered
            || matches!(condition, NodeCondition::Provisioning | NodeCondition::Absent)
        {
            return;
        }
        self.node_heard(host);
    }

    /// The kubelet stops with its host (or its node leaves the cluster): its
    /// last heartbeat is the last one it sent before now. One due at this
    /// very instant went out first only when a person at the controls stopped
    /// the host; a timeline entry acts before anything else at its instant.
    fn kubelet_stopped(&mut self, host: HostId, live: bool) {
        let now = self.now;
        let c = self.cluster();
        let every = c.heartbeat_every.as_micros().max(1);
        let node = &mut c.nodes[host.index()];
        let Some(since) = node.kubelet_since.take() else { return };
        let beats = now.since(since).as_micros() / every;
        let beats = if beats > 0 && !live && since + SimDuration(beats * every) == now { beats - 1 } else { beats };
        node.last_heartbeat = since + SimDuration(beats * every);
        if node.condition == NodeCondition::Ready {
            c.silent.insert(host);
        }
    }

    /// The kubelet reported in: a NotReady or new node becomes Ready, and its
    /// heartbeats run from now.
    fn node_heard(&mut self, host: HostId) {
        let now = self.now;
        let c = self.cluster();
        c.silent.remove(&host);
        let node = &mut c.nodes[host.index()];
        node.last_heartbeat = now;
        node.kubelet_since = Some(now);
        if node.condition != NodeCondition::Ready {
            node.taints.retain(|t| t.key != TAINT_UNREACHABLE);
            let pods: Vec<InstanceId> = node.pods.iter().copied().collect();
            self.set_node_condition(host, NodeCondition::Ready);
            self.node_taints_changed(host);
            for p in &pods {
                if let Some(pod) = self.cluster().pods.get_mut(p) {
                    pod.eviction_at = None;
                }
            }
            self.api_write();
            self.note_nodes_ready();
            // The kubelet starts again the pods still bound to it.
            for p in pods {
                if self.instances[p.index()].phase == Phase::Unknown {
                    self.set_pod_ready(p, false);
                    if let Some(pod) = self.cluster().pods.get_mut(&p) {
                        pod.restarts += 1;
                        pod.running = false;
                        pod.ready_changed = Some(now);
                        pod.pinned = false;
                    }
                    self.pod_status_changed(p);
                    let demands = Arc::clone(&self.demands);
                    self.reserve(p, host, &demands[self.instances[p.index()].demand.index()]);
                    self.set_phase(p, Phase::WaitingForPlacement);
                    self.waiting.remove(&p);
                    self.schedule_kube(SimDuration::ZERO, KubeDue::KubeletAdmit(p));
                }
            }
            self.cluster_event();
        }
    }

    /// The node lifecycle controller's periodic check. A node whose kubelet
    /// runs has reported within one `nodeStatusUpdateFrequency`, which is
    /// shorter than the grace period; only silent nodes can go NotReady.
    fn node_monitor(&mut self) {
        self.touch(Component::ControllerManager);
        let platform = kube_platform(self).clone();
        let now = self.now;
        let silent: Vec<HostId> = self.kref().silent.iter().copied().collect();
        for host in silent {
            let h = host.index();
            let last = self.kref().last_heartbeat(host, now);
            let node = &self.kref().nodes[h];
            if node.condition != NodeCondition::Ready
                || node_lifecycle::is_healthy(now, last, platform.node_monitor_grace_period)
            {
                continue;
            }
            // NotReady (Unknown), tainted unreachable; its pods are not ready any more.
            self.set_node_condition(host, NodeCondition::NotReady);
            let node = &mut self.cluster().nodes[h];
            for effect in [TaintEffect::NoSchedule, TaintEffect::NoExecute] {
                node.taints.push(Taint { key: TAINT_UNREACHABLE.into(), value: String::new(), effect });
            }
            let pods: Vec<InstanceId> = node.pods.iter().copied().collect();
            self.node_taints_changed(host);
            self.api_write();
            self.note_nodes_ready();
            let taint = Taint { key: TAINT_UNREACHABLE.into(), value: String::new(), effect: TaintEffect::NoExecute };
            for p in pods {
                self.set_pod_ready(p, false);
                let Some(pod) = self.cluster().pods.get_mut(&p) else { continue };
                pod.ready_changed = Some(now);
                let status = pod_status(pod);
                if let Some(t) = self.traffic.as_deref_mut() {
                    t.set_pod_status(p, status);
                }
                let pod = self.cluster().pods.get_mut(&p).expect("the pod exists");
                match toleration_seconds(&pod.template.tolerations, &taint, platform.default_toleration_seconds) {
                    Tolerance::Never => pod.eviction_at = Some(now),
                    Tolerance::For(s) => pod.eviction_at = Some(now + SimDuration::from_secs(s)),
                    Tolerance::Forever => pod.eviction_at = None,
                }
                if let Some(at) = pod.eviction_at {
                    self.queue.schedule(at, Due::Kube(KubeDue::Evict(p)));
                }
            }
            self.endpoints_soon();
        }
        self.schedule_kube(platform.node_monitor_period, KubeDue::NodeMonitor);
    }

    /// The eviction API (`pods/eviction`) as `kubectl drain` calls it: the
    /// pod is deleted unless a PodDisruptionBudget that matches it would be
    /// broken, in which case drain asks again 5 s later (429 Too Many
    /// Requests, "Cannot evict pod as it would violate the pod's disruption
    /// budget"). A pod matched by more than one budget is refused every time,
    /// as the API server refuses it.
    fn drain_evict(&mut self, p: InstanceId) {
        let c = self.kref();
        let Some(pod) = c.pods.get(&p) else { return };
        if pod.deleting {
            return;
        }
        let namespace = c.pod_namespace(pod);
        let mut budgets = c
            .disruption_budgets
            .iter()
            .map(|(b, _)| b)
            .filter(|b| b.namespace == namespace && b.matches(&pod.template.labels));
        let allowed = match (budgets.next(), budgets.next()) {
            (None, _) => true,
            (Some(b), None) => {
                let (healthy, desired, allowed) = c.disruption_status(b);
                // An unready pod counts for nothing: evicting it is allowed while the rest keep the budget.
                allowed > 0 || (!pod.ready && healthy >= desired && desired > 0)
            }
            (Some(_), Some(_)) => false,
        };
        self.touch(Component::ApiServer);
        if allowed {
            self.delete_pod(p);
        } else {
            self.cluster().evictions_refused += 1;
            self.schedule_kube(DRAIN_RETRY, KubeDue::DrainEvict(p));
        }
    }

    fn evict(&mut self, pod: InstanceId) {
        let now = self.now;
        if self.cluster().pods.get(&pod).is_some_and(|p| p.eviction_at == Some(now)) {
            self.touch(Component::ControllerManager);
            self.delete_pod(pod);
        }
    }

    /// The host went down: the pods on it are gone in fact, though the
    /// control plane will not know for a while.
    pub(super) fn kube_host_failed(&mut self, host: HostId, lost: &[InstanceId], live: bool) {
        // A machine the cluster autoscaler keeps powered off is no node: nothing is lost.
        if self.kube.is_none() || !self.hosts[host.index()].powered {
            return;
        }
        let now = self.now;
        self.kubelet_stopped(host, live);
        for &p in lost {
            if let Some(pod) = self.cluster().pods.get_mut(&p) {
                pod.pinned = false;
                self.set_phase(p, Phase::Unknown);
            }
        }
        let node = &mut self.cluster().nodes[host.index()];
        node.pull_queue.clear();
        node.pulling.clear();
        let c = self.cluster();
        c.stats.recovering_since = Some(now);
    }

    /// The host is back: its kubelet (or its node VM, first) starts again. A
    /// machine the cluster autoscaler keeps powered off stays out of the
    /// cluster until the autoscaler provisions it.
    pub(super) fn kube_host_recovered(&mut self, host: HostId) {
        if self.kube.is_none() || !self.hosts[host.index()].powered {
            return;
        }
        let platform = kube_platform(self).clone();
        charge_node_overhead(&mut self.hosts[host.index()], node_overhead(&platform));
        self.update_power(host);
        match &platform.nodes {
            NodeSource::Hosts => self.schedule_kube(SimDuration::ZERO, KubeDue::KubeletStarted(host)),
            NodeSource::Vms(vm) => {
                let boot = vm.boot_time.sample(&mut self.startup_rng);
                self.set_node_condition(host, NodeCondition::Provisioning);
                self.schedule_kube(boot, KubeDue::NodeBooted(host));
            }
        }
    }

    /// Recovery is complete when every Deployment and every ReplicaSet of
    /// its own has all its replicas Ready on live nodes. A Pod of its own
    /// that was lost is not made again, so it is not waited for.
    fn check_recovery(&mut self) {
        let now = self.now;
        let Some(since) = self.kref().stats.recovering_since else { return };
        let c = self.kref();
        let healthy = c.deployments.iter().all(|d| d.ready_pods >= d.spec.replicas)
            && c.replica_set_by_name.values().all(|&r| {
                let rs = &c.replica_sets[r];
                rs.pods.iter().filter(|p| c.pods.get(p).is_some_and(|p| p.ready && !p.deleting)).count()
                    >= rs.replicas as usize
            });
        // Every pod reported Ready runs: none is Ready on a node that is gone.
        let all_live = c.ready_pods == c.running_pods;
        if healthy && all_live {
            let c = self.cluster();
            c.stats.last_recovery = Some(now.since(since));
            c.stats.recovering_since = None;
        }
    }

    pub(super) fn handle_kube(&mut self, due: KubeDue) {
        match due {
            KubeDue::NodeBooted(h) => self.node_booted(h),
            KubeDue::KubeletStarted(h) => self.kubelet_started(h),
            KubeDue::NodeMonitor => self.node_monitor(),
            KubeDue::Evict(p) => self.evict(p),
            KubeDue::DrainEvict(p) => self.drain_evict(p),
            KubeDue::SyncDeployment(d) => self.sync_deployment(d),
            KubeDue::SyncReplicaSet(r) => self.sync_replica_set(r),
            KubeDue::SchedulingCycle => self.scheduling_cycle(),
            KubeDue::BindDone(p) => self.bind_done(p),
            KubeDue::BackoffDone(p) => self.backoff_done(p),
            KubeDue::FlushUnschedulable => self.flush_unschedulable(),
            KubeDue::KubeletAdmit(p) => self.kubelet_admit(p),
            KubeDue::ContainerStarted(p) => self.container_started(p),
            KubeDue::PodReady(p) => {
                self.pod_ready(p);
                self.check_recovery();
            }
            KubeDue::ContainerExited(p) => self.container_exited(p),
            KubeDue::ContainerRestart(p) => self.container_restart(p),
            KubeDue::PodTerminated(p) => self.pod_terminated(p),
            KubeDue::SyncEndpoints => self.sync_endpoints(),
            KubeDue::HpaSync => self.hpa_sync(),
            KubeDue::ClusterAutoscalerScan => self.cluster_autoscaler_scan(),
        }
    }
}

/// How long a pod stays on a node with `taint`.
enum Tolerance {
    Never,
    For(u64),
    Forever,
}

/// The pod's own tolerations, plus the DefaultTolerationSeconds admission
/// plugin's `node.kubernetes.io/not-ready` and `unreachable` ones when it has none for them.
fn toleration_seconds(tolerations: &[Toleration], taint: &Taint, default_seconds: u64) -> Tolerance {
    let matching: Vec<&Toleration> = tolerations.iter().filter(|t| t.tolerates(taint)).collect();
    if matching.is_empty() {
        let admitted = Toleration {
            key: taint.key.clone(),
            operator: TolerationOperator::Exists,
            value: String::new(),
            effect: Some(TaintEffect::NoExecute),
            toleration_seconds: Some(default_seconds),
        };
        return if admitted.tolerates(taint) { Tolerance::For(default_seconds) } else { Tolerance::Never };
    }
    // The shortest tolerationSeconds wins; one without a limit tolerates forever.
    match matching.iter().filter_map(|t| t.toleration_seconds).min() {
        Some(s) => Tolerance::For(s),
        None => Tolerance::Forever,
    }
}

/// A pod's status as the HPA reads it.
fn pod_status(pod: &Pod) -> PodStatus {
    PodStatus::new(pod.deleting, pod.running, pod.ready, pod.ready_changed.or(pod.started_at), pod.started_at)
}

/// A pod's effective request as the scheduler counts it (containers summed,
/// init containers maxed; `pods` is 1), and the same with requests left out
/// counted at the defaults.
pub fn template_requests(template: &PodTemplate) -> (Resources, Resources) {
    let req = |c: &crate::model::kube::ContainerSpec| {
        (c.cpu_request.map(|m| m.0 as i64), c.memory_request.map(|b| b.0 as i64))
    };
    let (mut requests, mut non_zero) = scheduler::effective_requests(
        template.containers.iter().map(req),
        template.init_containers.iter().map(|c| (req(c), c.sidecar)),
    );
    // Extended resources add up as PodRequests adds any resource; no default for a missing one.
    for i in 0..crate::model::kube::MAX_EXTENDED_RESOURCES {
        let app = template.containers.iter().map(|c| c.extended[i]);
        let init = template.init_containers.iter().map(|c| (c.extended[i], c.sidecar));
        let amount = crate::model::kube::pod_requests(app, init) as i64;
        (requests.scalar[i], non_zero.scalar[i]) = (amount, amount);
    }
    (requests, non_zero)
}

/// The scheduler's view of a pod of `template` in `namespace`, before the cache prepares it.
pub fn pod_info(template: &PodTemplate, namespace: &str) -> PodInfo {
    PodInfo {
        namespace: namespace.to_string(),
        labels: template.labels.clone(),
        images: template.images().collect(),
        node_selector: template.node_selector.clone(),
        node_name: template.node_name.clone(),
        affinity: template.affinity.clone(),
        tolerations: template.tolerations.clone(),
        ..PodInfo::default()
    }
    .with_requests(template_requests(template))
    .with_spread_constraints(template.topology_spread_constraints.clone())
}

/// Whether a node in this condition is in the scheduler's snapshot.
fn registered(condition: NodeCondition) -> bool {
    !matches!(condition, NodeCondition::Provisioning | NodeCondition::Absent)
}

/// Five characters as Kubernetes appends to generated pod names.
fn pod_suffix(n: u64) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let h = crate::engine::random::stable_hash(&[&n.to_le_bytes()]);
    (0..5).map(|i| ALPHABET[((h >> (i * 7)) % ALPHABET.len() as u64) as usize] as char).collect()
}
