//! The state of a Kubernetes cluster: the objects the API server holds
//! (nodes, pods, ReplicaSets, Deployments, Services, budgets) and what each
//! component keeps of its own (the scheduler's cache and queues, the
//! kubelets' pulls, the autoscalers' memory), and [`KubeWorld`], what the
//! components ask of the world they run in.
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
//! Each component is a module of its own, with its event handlers:
//! [`api_server`](super::api_server), the
//! [scheduling queue](super::scheduler::scheduling_queue) and
//! [cycle](super::scheduler::schedule_one), the
//! [kubelet](super::kubelet), the [Deployment](super::controllers::deployment),
//! [ReplicaSet](super::controllers::replica_set),
//! [endpoints](super::controllers::endpoints),
//! [node lifecycle](super::controllers::node_lifecycle) and
//! [disruption](super::controllers::disruption) controllers, the
//! [HPA](super::hpa::controller) and the
//! [cluster autoscaler](super::cluster_autoscaler). Every hand-off through
//! the API server takes the platform's watch delay.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;

mod pods;

pub use pods::Pods;

use super::cluster_autoscaler::ClusterAutoscalerState;
use super::controllers::deployment::DeploymentController;
use super::controllers::endpoints::EndpointsController;
use super::controllers::node_lifecycle::NodeLifecycleController;
use super::controllers::replica_set::ReplicaSetController;
use super::hpa::controller::HpaState;
use super::scheduler::schedule_one::SchedulingCycle;
use super::scheduler::scheduling_queue::SchedulingQueue;
use super::scheduler::{self, Decision, NodeInfo, PodInfo, Resources, Scheduler, SchedulerCache};
use crate::engine::{RandomStream, SimDuration, SimTime};
use crate::model::cache::BlobCache;
use crate::model::event::EventKind;
use crate::model::kube::{
    DeploymentSpec, Labels, PodDisruptionBudgetSpec, PodTemplate, ServiceSpec, StandalonePodSpec, Taint,
};
use crate::model::spec::{KubePlatform, NodeSource, Setup};
use crate::model::{
    Bytes, Demand, DemandId, HostId, ImageId, Instance, InstanceId, InstanceSet, Millicores, Phase, WorkloadId,
};

/// Work for the control plane and the kubelets.
#[derive(Clone, Debug)]
pub enum KubeDue {
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
    // The kubelet's timers for a run of a pod's containers carry the
    // pod's `epoch` when they were set, and are inert once it moved on.
    ContainerStarted(InstanceId, u32),
    PodReady(InstanceId, u32),
    ContainerExited(InstanceId, u32),
    ContainerRestart(InstanceId, u32),
    PodTerminated(InstanceId),
    SyncEndpoints,
    HpaSync,
    ClusterAutoscalerScan,
    /// The node lifecycle controller's NoExecute tainting pass (every 100 ms
    /// while a node waits for its zone's rate limiter).
    NoExecuteTainting,
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
    /// Which run of its containers this is: one more each time they die
    /// (with their host, or by exiting). The kubelet's timers for a run
    /// (started, Ready, exit, restart back-off) carry it, so one left from
    /// an earlier run does nothing to the run after.
    pub epoch: u32,
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
    /// What its controllers count of those pods.
    pub counts: PodCounts,
    /// Some of its pods may have been made from an earlier template (a
    /// ReplicaSet applied again with another keeps the pods it has).
    pub older_templates: bool,
    pub created: SimTime,
    /// Its Deployment's `replicas` and `replicas + maxSurge` when that
    /// Deployment last scaled it (the `deployment.kubernetes.io/desired-replicas`
    /// and `max-replicas` annotations); `None` for a ReplicaSet applied on its own.
    pub scaled_for: Option<(u32, u32)>,
}

/// What a ReplicaSet's controllers and the disruption controller count of
/// its pods, kept as the pods change so that a sync need not walk them all:
/// the pods being deleted, the active ones on each node, the Ready ones not
/// being deleted, and when each of those became Ready (for `minReadySeconds`).
#[derive(Clone, Debug, Default)]
pub struct PodCounts {
    deleting: u32,
    pub(crate) on_node: BTreeMap<HostId, u32>,
    pub(crate) healthy: u32,
    ready_since: BTreeMap<SimTime, u32>,
    /// The pods in `ready_since`.
    timed: u32,
}

impl PodCounts {
    /// Counts `pod` in (`sign` 1) or out (−1).
    fn count(&mut self, pod: &Pod, sign: i32) {
        let add = |n: &mut u32| *n = n.checked_add_signed(sign).expect("a pod counted out was counted in");
        if let (false, Some(h)) = (pod.deleting, pod.node) {
            let n = self.on_node.entry(h).or_insert(0);
            add(n);
            if *n == 0 {
                self.on_node.remove(&h);
            }
        }
        if pod.deleting {
            add(&mut self.deleting);
        } else if pod.ready {
            add(&mut self.healthy);
            let Some(t) = pod.ready_since else { return };
            add(&mut self.timed);
            let n = self.ready_since.entry(t).or_insert(0);
            add(n);
            if *n == 0 {
                self.ready_since.remove(&t);
            }
        }
    }

    /// Pods not being deleted that have been Ready for at least `min_ready` at `now`.
    fn available(&self, now: SimTime, min_ready: SimDuration) -> u32 {
        // Ready at or before `now - min_ready`; none when that is before time began.
        let Some(latest) = now.0.checked_sub(min_ready.0) else { return 0 };
        let recent: u32 = self.ready_since.range(SimTime(latest + 1)..).map(|(_, n)| n).sum();
        self.timed - recent
    }
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
    pub(crate) relist: bool,
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

/// Everything a Kubernetes world adds to a world.
#[derive(Clone, Debug)]
pub struct Cluster {
    // The objects the API server holds.
    pub nodes: Vec<Node>,
    pub pods: Pods,
    pub deployments: Vec<Deployment>,
    /// Each Deployment's index in `deployments`, by name.
    pub(crate) deployment_by_name: BTreeMap<String, usize>,
    pub replica_sets: Vec<ReplicaSet>,
    /// ReplicaSets applied on their own, by name.
    pub(crate) replica_set_by_name: BTreeMap<String, usize>,
    /// Pods applied on their own, in the order they were first applied.
    pub standalone_pods: Vec<StandalonePod>,
    pub services: Vec<Service>,
    /// PodDisruptionBudgets, with when each was first applied.
    pub disruption_budgets: Vec<(PodDisruptionBudgetSpec, SimTime)>,
    /// Names per ReplicaSet for pods (`web-<hash>-<n>`).
    pub(crate) pod_counter: u64,

    // What each component keeps of its own.
    /// kube-scheduler's framework: its profile and plugins.
    pub(crate) scheduler: Scheduler,
    /// What the scheduler knows of every node.
    pub cache: SchedulerCache,
    pub queue: SchedulingQueue,
    pub cycle: SchedulingCycle,
    pub(crate) deployment_controller: DeploymentController,
    pub(crate) replica_set_controller: ReplicaSetController,
    pub endpoints_controller: EndpointsController,
    pub(crate) node_lifecycle: NodeLifecycleController,
    /// Never shrinks: the HPA controller's sync starts with the first one.
    pub(crate) hpas: Vec<HpaState>,
    pub autoscaler: Option<ClusterAutoscalerState>,
    /// How often the eviction API refused `kubectl drain` for a budget.
    pub evictions_refused: u64,
    /// Per blob, the images that have it as a layer (for the kubelets' reports of their images).
    pub(crate) blob_images: Vec<Vec<ImageId>>,
    /// `nodeStatusUpdateFrequency`: a running kubelet reports this often.
    pub(crate) heartbeat_every: SimDuration,

    // Counts for the metrics and the front end.
    pub(crate) ready_nodes: usize,
    pub(crate) provisioning_nodes: usize,
    pub(crate) not_ready_nodes: usize,
    /// The most nodes Ready at once.
    pub nodes_ready_max: usize,
    /// Pods Ready, and pods whose containers run.
    pub(crate) ready_pods: usize,
    pub(crate) running_pods: usize,
    pub stats: KubeStats,
    pub activity: BTreeMap<Component, SimTime>,
}

impl Cluster {
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
        self.cycle.decisions.iter().rev().find(|(p, _)| *p == pod).map(|(_, d)| &**d)
    }

    /// The scheduler's profile.
    pub fn profile(&self) -> &scheduler::Profile {
        self.scheduler.profile()
    }

    /// The HorizontalPodAutoscalers, in the order they were applied.
    pub fn hpas(&self) -> &[HpaState] {
        &self.hpas
    }

    pub fn deployment(&self, name: &str) -> Option<usize> {
        self.deployment_by_name.get(name).copied()
    }

    /// How many pods of a ReplicaSet count as its replicas: not being deleted.
    pub(crate) fn active_count(&self, rs: usize) -> usize {
        let r = &self.replica_sets[rs];
        let n = r.pods.len() - r.counts.deleting as usize;
        debug_assert_eq!(n, self.active_pods(rs).len(), "ReplicaSet {rs}");
        n
    }

    /// Changes pod `id` (if it exists) with `change`, keeping its ReplicaSet's counts.
    pub(crate) fn update_pod<R>(&mut self, id: InstanceId, change: impl FnOnce(&mut Pod) -> R) -> Option<R> {
        let pod = self.pods.get_mut(&id)?;
        let rs = pod.owner.replica_set();
        if let Some(r) = rs {
            self.replica_sets[r].counts.count(pod, -1);
        }
        let out = change(pod);
        if let Some(r) = rs {
            self.replica_sets[r].counts.count(pod, 1);
        }
        Some(out)
    }

    /// Pod `id` leaves the API server: its ReplicaSet counts it no more.
    pub(crate) fn remove_pod(&mut self, id: InstanceId) -> Option<Pod> {
        let pod = self.pods.remove(&id)?;
        if let Some(r) = pod.owner.replica_set() {
            self.replica_sets[r].counts.count(&pod, -1);
        }
        Some(pod)
    }

    /// Pods of a ReplicaSet that count as its replicas: not being deleted.
    pub(crate) fn active_pods(&self, rs: usize) -> Vec<InstanceId> {
        self.replica_sets[rs]
            .pods
            .iter()
            .copied()
            .filter(|p| self.pods.get(p).is_some_and(|pod| !pod.deleting))
            .collect()
    }

    /// Pods of a ReplicaSet available for `min_ready`: Ready, not deleting.
    pub(crate) fn available_pods(&self, rs: usize, now: SimTime, min_ready: SimDuration) -> u32 {
        let n = self.replica_sets[rs].counts.available(now, min_ready);
        debug_assert_eq!(
            n as usize,
            self.replica_sets[rs]
                .pods
                .iter()
                .filter_map(|p| self.pods.get(p))
                .filter(|p| !p.deleting && p.ready && p.ready_since.is_some_and(|t| now.since(t) >= min_ready))
                .count(),
            "ReplicaSet {rs}"
        );
        n
    }

    /// The instance that is pod `id` changed phase: the count of pods running follows.
    pub fn phase_changed(&mut self, id: InstanceId, before: Phase, after: Phase) {
        if !self.pods.contains_key(&id) {
            return;
        }
        if before == Phase::Running {
            self.running_pods -= 1;
        }
        if after == Phase::Running {
            self.running_pods += 1;
        }
    }

    /// What the pods bound to `node` request, terminating ones included, as
    /// the scheduler adds them up (`pods` counts them).
    pub fn node_requested(&self, node: &Node) -> Resources {
        self.cache.node(node.host.index()).requested
    }
}

/// A pod's status as the HPA reads it: a deletion timestamp, phase Running,
/// the Ready condition and when it last changed, and when its containers
/// started. Times absent are [`SimTime::MAX`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PodStatus {
    pub deleting: bool,
    pub running: bool,
    pub ready: bool,
    pub(crate) ready_transition: SimTime,
    pub(crate) start_time: SimTime,
}

impl Default for PodStatus {
    fn default() -> Self {
        PodStatus {
            deleting: false,
            running: false,
            ready: false,
            ready_transition: SimTime::MAX,
            start_time: SimTime::MAX,
        }
    }
}

impl PodStatus {
    pub fn new(
        deleting: bool,
        running: bool,
        ready: bool,
        ready_transition: Option<SimTime>,
        start_time: Option<SimTime>,
    ) -> Self {
        PodStatus {
            deleting,
            running,
            ready,
            ready_transition: ready_transition.unwrap_or(SimTime::MAX),
            start_time: start_time.unwrap_or(SimTime::MAX),
        }
    }

    /// When the Ready condition last changed (or the pod started, before it ever did).
    pub fn ready_transition(&self) -> Option<SimTime> {
        (self.ready_transition != SimTime::MAX).then_some(self.ready_transition)
    }

    pub fn start_time(&self) -> Option<SimTime> {
        (self.start_time != SimTime::MAX).then_some(self.start_time)
    }
}

/// A pod's status as the HPA reads it.
pub fn pod_status(pod: &Pod) -> PodStatus {
    PodStatus::new(pod.deleting, pod.running, pod.ready, pod.ready_changed.or(pod.started_at), pod.started_at)
}

/// What a node's own processes hold on its host: the reservations of its
/// node components and, on node VMs, the guest OS and the hypervisor.
pub fn node_overhead(platform: &KubePlatform) -> (Millicores, Bytes) {
    let (cpu, memory) = platform.reserved();
    let vm = match &platform.nodes {
        NodeSource::Hosts => 0,
        NodeSource::Vms(vm) => vm.guest_os_memory.0 + vm.hypervisor_overhead.0,
    };
    (cpu, Bytes(memory.0 + vm))
}

/// Whether a node in this condition is in the scheduler's snapshot.
pub fn registered(condition: NodeCondition) -> bool {
    !matches!(condition, NodeCondition::Provisioning | NodeCondition::Absent)
}

impl Cluster {
    /// A cluster of `nodes`, with no objects yet: the scheduler's cache
    /// learns the nodes, and which images each blob is a layer of.
    pub fn new(nodes: Vec<Node>, setup: &Setup, platform: &KubePlatform, scheduler_rng: RandomStream) -> Cluster {
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
        let not_ready_nodes = nodes.iter().filter(|n| n.condition == NodeCondition::NotReady).count();
        let mut cluster = Cluster {
            nodes,
            pods: Pods::default(),
            deployments: Vec::new(),
            deployment_by_name: BTreeMap::new(),
            replica_sets: Vec::new(),
            replica_set_by_name: BTreeMap::new(),
            standalone_pods: Vec::new(),
            services: Vec::new(),
            disruption_budgets: Vec::new(),
            pod_counter: 0,
            scheduler: Scheduler::new(platform.profile.clone(), &setup.extended_resources),
            cache,
            queue: SchedulingQueue::default(),
            cycle: SchedulingCycle::new(scheduler_rng),
            deployment_controller: DeploymentController::default(),
            replica_set_controller: ReplicaSetController::default(),
            endpoints_controller: EndpointsController::default(),
            node_lifecycle: NodeLifecycleController::default(),
            hpas: Vec::new(),
            autoscaler: None,
            evictions_refused: 0,
            blob_images,
            heartbeat_every: platform.node_status_update_frequency,
            ready_nodes,
            provisioning_nodes,
            not_ready_nodes,
            nodes_ready_max: 0,
            ready_pods: 0,
            running_pods: 0,
            stats: KubeStats { nodes_ready_min: None, ..KubeStats::default() },
            activity: BTreeMap::new(),
        };
        for (h, node) in cluster.nodes.iter().enumerate() {
            cluster.cache.set_registered(h, registered(node.condition));
        }
        cluster
    }
}

/// metrics-server's CPU sample of a pod: millicores, when it was taken, over what window.
pub type CpuSample = (u64, SimTime, SimDuration);

/// What the control plane and the kubelets ask of the world they run in:
/// its clock and event queue, its random streams, its machines and the
/// instances that pods are. A world implements it; the components are
/// written against it, so each can be read, and tested, on its own.
pub trait KubeWorld {
    fn now(&self) -> SimTime;
    fn setup(&self) -> &Setup;
    fn platform(&self) -> &KubePlatform;
    fn kref(&self) -> &Cluster;
    fn cluster(&mut self) -> &mut Cluster;

    /// Work for a component, `after` from now.
    fn schedule_kube(&mut self, after: SimDuration, due: KubeDue);
    /// Work for a component at `at`.
    fn schedule_kube_at(&mut self, at: SimTime, due: KubeDue);
    /// Work that ends the phase `pod` is in, `after` from now (the front end shows its progress).
    fn schedule_phase_end(&mut self, pod: InstanceId, after: SimDuration, due: KubeDue);
    fn emit(&mut self, kind: EventKind);
    /// The stream that times start-ups, pulls aside (boots, scheduling, container starts).
    fn startup_rng(&mut self) -> &mut RandomStream;
    /// The stream that times stops.
    fn stop_rng(&mut self) -> &mut RandomStream;

    fn instance(&self, id: InstanceId) -> &Instance;
    fn instance_mut(&mut self, id: InstanceId) -> &mut Instance;
    fn set_phase(&mut self, id: InstanceId, phase: Phase);
    /// Sets why the instance waits, and says so when the reason is new.
    fn set_wait_reason(&mut self, id: InstanceId, reason: String);
    /// A new instance for a pod of `workload`; the scheduler, not the world's
    /// own placer, finds its node.
    fn launch_pod(&mut self, workload: WorkloadId, demand: DemandId) -> InstanceId;
    /// The instance waits for the kubelet again, on the node it is bound to.
    fn wait_on_node(&mut self, id: InstanceId);
    /// The workload whose instances are the pods of the object `name`.
    fn workload_named(&mut self, name: &str) -> WorkloadId;
    fn demands(&self) -> Arc<Vec<Demand>>;
    fn add_demand(&mut self, demand: Demand) -> DemandId;
    /// Holds the instance's demand on `host`.
    fn reserve(&mut self, id: InstanceId, host: HostId);
    /// Gives the instance's demand on `host` back, if it holds it there.
    fn unreserve(&mut self, id: InstanceId, host: HostId);
    /// Whether the instance holds its demand on `host`.
    fn host_holds(&self, host: HostId, id: InstanceId) -> bool;

    fn host_up(&self, host: HostId) -> bool;
    fn host_powered(&self, host: HostId) -> bool;
    /// Powers the machine on or off (a node group's spare hosts are off).
    fn set_powered(&mut self, host: HostId, powered: bool);
    /// What `host` holds changed: its power draw and the front end follow.
    fn host_changed(&mut self, host: HostId);
    /// The node's own processes start holding, or stop holding, their overhead on `host`.
    fn hold_node_overhead(&mut self, host: HostId, hold: bool);
    fn layer_cache(&self, host: HostId) -> &BlobCache;
    fn layer_cache_mut(&mut self, host: HostId) -> &mut BlobCache;
    /// Starts fetching `blob` to `host` from the registry, unless it is there or on its way.
    fn pull_blob(&mut self, host: HostId, blob: crate::model::BlobId);
    /// Pulls just asked for start flowing.
    fn start_transfers(&mut self);

    /// metrics-server's and the proxies' record of a pod follows its status.
    fn set_pod_status(&mut self, pod: InstanceId, status: PodStatus);
    /// The pod started or stopped serving: the Services' endpoints follow.
    fn endpoints_changed(&mut self, pods: &[InstanceId]);
    /// Whether the pods are metered: metrics-server samples them only in a
    /// world whose Services carry traffic.
    fn metered(&self) -> bool;
    /// metrics-server's record of a pod in a metered world: whether it
    /// failed, its status, and its latest CPU sample (millicores, when, over
    /// what window).
    fn pod_metrics(&self, pod: InstanceId) -> Option<(bool, PodStatus, Option<CpuSample>)>;
    /// The custom metrics API's `http_requests_per_second` of a pod beside a
    /// CPU sample of `millicores`, in thousandths.
    fn request_rate(&self, pod: InstanceId, millicores: u64) -> u64;
    /// Whether a test replaced the scheduler's own cycle.
    fn scheduler_replaced(&self) -> bool;
    /// The replacement for the scheduler's own cycle, if a test set one:
    /// the node for `pod`, or why none fits.
    fn replaced_schedule(
        &self,
        pod: InstanceId,
        start: &mut usize,
        rng: &mut RandomStream,
    ) -> Option<(Option<HostId>, Option<String>)>;

    /// The API server stored a change: etcd and the API server light up.
    fn api_write(&mut self) {
        self.touch(Component::ApiServer);
        self.touch(Component::Etcd);
    }

    /// A control-plane component acted, for the front end to light it up.
    fn touch(&mut self, c: Component) {
        let now = self.now();
        self.cluster().activity.insert(c, now);
    }

    /// How long a change takes to reach a component that watches for it.
    fn watch_delay(&self) -> SimDuration {
        self.platform().api_watch_delay
    }
}

/// A pod's effective request as the scheduler counts it (containers summed,
/// init containers maxed, the pod-level request where set; `pods` is 1),
/// the same with missing requests counted at the defaults, and what Score
/// counts for it (see [`scheduler::effective_requests`]).
pub fn template_requests(template: &PodTemplate) -> (Resources, Resources, Resources) {
    let req = |c: &crate::model::kube::ContainerSpec| {
        (c.cpu_request.map(|m| m.0 as i64), c.memory_request.map(|b| b.0 as i64))
    };
    let own = &template.resources;
    let (mut requests, mut non_zero, mut score) = scheduler::effective_requests(
        template.containers.iter().map(req),
        template.init_containers.iter().map(|c| (req(c), c.sidecar)),
        (own.cpu_request.map(|m| m.0 as i64), own.memory_request.map(|b| b.0 as i64)),
    );
    // Extended resources add up as PodRequests adds any resource; no default for a missing one.
    for i in 0..crate::model::kube::MAX_EXTENDED_RESOURCES {
        let app = template.containers.iter().map(|c| c.extended[i]);
        let init = template.init_containers.iter().map(|c| (c.extended[i], c.sidecar));
        let amount = crate::model::kube::pod_requests(app, init) as i64;
        (requests.scalar[i], non_zero.scalar[i], score.scalar[i]) = (amount, amount, amount);
    }
    (requests, non_zero, score)
}

/// The scheduler's view of a pod of `template` in `namespace`, before the cache prepares it.
pub fn pod_info(template: &PodTemplate, namespace: &str) -> PodInfo {
    PodInfo {
        namespace: namespace.to_string(),
        labels: template.labels.clone(),
        images: template.images().collect(),
        node_selector: template.node_selector.clone(),
        node_name: template.node_name.clone(),
        tolerations: template.tolerations.clone(),
        ..PodInfo::default()
    }
    .with_affinity(template.affinity.clone())
    .with_requests(template_requests(template))
    .with_spread_constraints(template.topology_spread_constraints.clone())
}
