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

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;

mod autoscalers;

pub use autoscalers::{ClusterAutoscalerState, HpaState};

use super::{Due, EventKind, HostState, Workload, World};
use crate::behaviours::controllers::{deployment, node_lifecycle, replica_set};
use crate::behaviours::kubelet;
use crate::behaviours::scheduler::{
    self, Decision, ImageStateSummary, NodeInfo, PodInfo, Resources, Scheduler, Snapshot,
};
use crate::engine::{RandomStream, SimDuration, SimTime};
use crate::model::kube::{
    DeploymentSpec, DeploymentStrategy, ImagePullPolicy, IntOrPercent, LABEL_HOSTNAME, LABEL_ZONE, Labels, PodTemplate,
    ServiceSpec, TAINT_UNREACHABLE, TAINT_UNSCHEDULABLE, Taint, TaintEffect, Toleration, TolerationOperator,
    resolve_fenceposts, selector_matches,
};
use crate::model::spec::{Action, KubeObject, KubePlatform, NodeSource, Platform};
use crate::model::{AppId, Bytes, DemandId, HostId, ImageId, InstanceId, Millicores, Phase, WorkloadId};

/// Work for the control plane and the kubelets.
#[derive(Clone, Debug)]
pub(super) enum KubeDue {
    /// A node VM finished booting and its kubelet registers.
    NodeBooted(HostId),
    Heartbeat(HostId),
    NodeMonitor,
    Evict(InstanceId),
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
    pub last_heartbeat: SimTime,
    pub allocatable: Resources,
    /// Pods bound to the node and not yet gone.
    pub pods: BTreeSet<InstanceId>,
    /// Images waiting for the kubelet's (serialized) puller, and the one being pulled.
    pub pull_queue: VecDeque<ImageId>,
    pub pulling: BTreeSet<ImageId>,
}

/// A pod as the API server holds it; its life on the node is its instance.
#[derive(Clone, Debug)]
pub struct Pod {
    pub replica_set: usize,
    pub template: Arc<PodTemplate>,
    pub node: Option<HostId>,
    pub created: SimTime,
    /// The pod's phase reached Running (its containers started).
    pub running: bool,
    /// The Ready condition.
    pub ready: bool,
    pub ready_since: Option<SimTime>,
    /// When the Ready condition last changed either way (its lastTransitionTime).
    pub ready_changed: Option<SimTime>,
    /// A deletion timestamp is set.
    pub deleting: bool,
    pub restarts: u32,
    pub restart_backoff: SimDuration,
    pub attempts: u32,
    /// When the taint-eviction controller will delete it.
    pub eviction_at: Option<SimTime>,
    /// The last scheduling cycle for it: every node's verdict and scores.
    pub decision: Option<Decision>,
    /// The hosts of the nodes the decision's indices refer to.
    pub decision_hosts: Vec<HostId>,
    /// Images still missing before the kubelet can start it.
    pub images_missing: BTreeSet<ImageId>,
    /// Its layers are pinned in the node's cache.
    pub pinned: bool,
    /// When its containers first started.
    pub started_at: Option<SimTime>,
}

#[derive(Clone, Debug)]
pub struct ReplicaSet {
    pub name: String,
    pub deployment: usize,
    pub template: Arc<PodTemplate>,
    pub demand: DemandId,
    pub replicas: u32,
    /// Its pods that still exist.
    pub pods: BTreeSet<InstanceId>,
    pub created: SimTime,
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
}

#[derive(Clone, Debug)]
pub struct Service {
    pub spec: ServiceSpec,
    /// Ready pods behind it, as kube-proxy last programmed them.
    pub endpoints: Vec<InstanceId>,
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
    pub nodes: Vec<Node>,
    pub pods: BTreeMap<InstanceId, Pod>,
    pub deployments: Vec<Deployment>,
    pub replica_sets: Vec<ReplicaSet>,
    pub services: Vec<Service>,
    scheduler: Scheduler,
    scheduler_rng: RandomStream,
    /// The scheduler's active queue, oldest first.
    pub active_queue: VecDeque<InstanceId>,
    /// Pods waiting out their back-off, with when it ends.
    pub backoff: BTreeMap<InstanceId, SimTime>,
    /// Pods that did not fit, with when they last failed.
    pub unschedulable: BTreeMap<InstanceId, SimTime>,
    /// The pod in the current scheduling cycle.
    pub scheduling: Option<InstanceId>,
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
}

/// kube-scheduler: a pod left unschedulable longer than this goes back to the
/// active queue even without a cluster event (`podMaxInUnschedulablePodsDuration`).
const MAX_IN_UNSCHEDULABLE: SimDuration = SimDuration::from_secs(300);
/// How often that is checked (`flushUnschedulablePodsLeftover`).
const FLUSH_INTERVAL: SimDuration = SimDuration::from_secs(30);

impl Cluster {
    pub fn nodes_ready(&self) -> usize {
        self.nodes.iter().filter(|n| n.condition == NodeCondition::Ready).count()
    }

    pub fn deployment(&self, name: &str) -> Option<usize> {
        self.deployments.iter().position(|d| d.spec.name == name)
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
    /// the scheduler adds them up: the requests (`pods` counts them) and the
    /// same with zero requests counted at the defaults.
    pub(super) fn node_requested(&self, node: &Node) -> (Resources, Resources) {
        let mut requested = Resources::default();
        let mut non_zero = Resources::default();
        for pod in node.pods.iter().filter_map(|p| self.pods.get(p)) {
            let (r, nz) = template_requests(&pod.template);
            requested.milli_cpu += r.milli_cpu;
            requested.memory += r.memory;
            requested.pods += 1;
            non_zero.milli_cpu += nz.milli_cpu;
            non_zero.memory += nz.memory;
            non_zero.pods += 1;
        }
        (requested, non_zero)
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
            nodes.push(Node {
                host: HostId(h as u32),
                name: spec.name.clone(),
                labels,
                taints: spec.taints.clone(),
                unschedulable: false,
                condition,
                last_heartbeat: SimTime::ZERO,
                allocatable,
                pods: BTreeSet::new(),
                pull_queue: VecDeque::new(),
                pulling: BTreeSet::new(),
            });
        }
        let n = nodes.len();
        self.kube = Some(Box::new(Cluster {
            nodes,
            pods: BTreeMap::new(),
            deployments: Vec::new(),
            replica_sets: Vec::new(),
            services: Vec::new(),
            scheduler: Scheduler::new(platform.profile.clone()),
            scheduler_rng: RandomStream::derive(self.setup.seed, &self.spec.name, "kube-scheduler"),
            active_queue: VecDeque::new(),
            backoff: BTreeMap::new(),
            unschedulable: BTreeMap::new(),
            scheduling: None,
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
            if self.kref().nodes[h].condition == NodeCondition::Absent {
                continue;
            }
            match &platform.nodes {
                NodeSource::Hosts => {
                    self.schedule_kube(platform.node_status_update_frequency, KubeDue::Heartbeat(host))
                }
                NodeSource::Vms(vm) => {
                    let boot = vm.boot_time.sample(&mut self.startup_rng);
                    self.schedule_kube(boot, KubeDue::NodeBooted(host));
                }
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
        let all_provisioned = c.nodes.iter().all(|n| n.condition != NodeCondition::Provisioning);
        // Nodes still booting at the start are not "lost": count from when all came up.
        if all_provisioned {
            c.stats.nodes_ready_min = Some(c.stats.nodes_ready_min.map_or(ready, |m| m.min(ready)));
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
                KubeObject::HorizontalPodAutoscaler(spec) => self.apply_hpa(spec.clone()),
                KubeObject::Service(spec) => {
                    let c = self.cluster();
                    match c.services.iter_mut().find(|s| s.spec.name == spec.name) {
                        Some(s) => s.spec = spec.clone(),
                        None => c.services.push(Service { spec: spec.clone(), endpoints: Vec::new() }),
                    }
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
                    self.delete_pod(p);
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
                cpu_request: spec.cpu,
                memory_request: spec.memory,
                cpu_limit: None,
                memory_limit: None,
                readiness_delay: SimDuration::ZERO,
                exits_after: None,
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

    fn create_deployment(&mut self, spec: DeploymentSpec) -> usize {
        let workload = match self.workloads.iter().position(|w| w.name == spec.name) {
            Some(i) => WorkloadId(i as u32),
            None => {
                self.workloads.push(Workload { name: spec.name.clone(), app: None });
                self.name_counters.push(0);
                WorkloadId(self.workloads.len() as u32 - 1)
            }
        };
        let c = self.cluster();
        c.deployments.push(Deployment {
            spec,
            workload,
            replica_sets: Vec::new(),
            rollout_started: None,
            last_rollout: None,
            rollout_min_available: None,
            last_rollout_min_available: None,
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
            None => self.create_replica_set(d, Arc::new(spec.template.clone())),
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
                // The new ReplicaSet grows only once every old pod is gone.
                let old_pods: usize = olds.iter().map(|&r| self.cluster().replica_sets[r].pods.len()).sum();
                if old_pods == 0 && self.cluster().replica_sets[new_rs].replicas != replicas {
                    self.cluster().replica_sets[new_rs].replicas = replicas;
                    changed.push(new_rs);
                }
            }
            DeploymentStrategy::RollingUpdate { max_surge, max_unavailable } => {
                let (surge, unavailable) = resolve_fenceposts(max_surge, max_unavailable, replicas);
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
                    let target = deployment::new_rs_new_replicas(replicas, surge, total, current_new).min(replicas);
                    if target != current_new {
                        self.cluster().replica_sets[new_rs].replicas = target;
                        changed.push(new_rs);
                    }
                    // Scale old ReplicaSets down, unhealthy pods first.
                    let min_ready = spec.min_ready;
                    let min_available = replicas.saturating_sub(unavailable);
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

    fn create_replica_set(&mut self, d: usize, template: Arc<PodTemplate>) -> usize {
        let Platform::Kubernetes(platform) = &self.spec.platform else { unreachable!() };
        let demand = kubelet::pod_demand(&template, platform, &self.setup);
        Arc::make_mut(&mut self.demands).push(demand);
        let demand = DemandId(self.demands.len() as u32 - 1);
        let now = self.now;
        let c = self.cluster();
        let name = format!("{}-{}", c.deployments[d].spec.name, template.hash());
        c.replica_sets.push(ReplicaSet {
            name,
            deployment: d,
            template,
            demand,
            replicas: 0,
            pods: BTreeSet::new(),
            created: now,
        });
        let r = c.replica_sets.len() - 1;
        c.deployments[d].replica_sets.push(r);
        r
    }

    /// The ReplicaSet controller's sync: create or delete pods to match replicas.
    fn sync_replica_set(&mut self, r: usize) {
        self.cluster().sync_pending.remove(&(1, r));
        self.touch(Component::ControllerManager);
        let active = self.cluster().active_pods(r);
        let want = self.cluster().replica_sets[r].replicas as usize;
        if active.len() < want {
            for _ in 0..(want - active.len()) {
                self.create_pod(r);
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
        let d = self.cluster().replica_sets[r].deployment;
        self.sync_deployment_soon(d);
    }

    fn create_pod(&mut self, r: usize) {
        let (workload, demand, template) = {
            let c = self.cluster();
            let rs = &c.replica_sets[r];
            (c.deployments[rs.deployment].workload, rs.demand, rs.template.clone())
        };
        let id = self.launch_one(workload, demand);
        // Pods are named after their ReplicaSet, as Kubernetes names them.
        let now = self.now;
        let c = self.cluster();
        c.pod_counter += 1;
        let suffix = pod_suffix(c.pod_counter);
        let name = format!("{}-{}", c.replica_sets[r].name, suffix);
        c.replica_sets[r].pods.insert(id);
        c.pods.insert(
            id,
            Pod {
                replica_set: r,
                template,
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
                decision: None,
                decision_hosts: Vec::new(),
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
    }

    /// Sets a pod's deletion timestamp; the kubelet then stops it.
    fn delete_pod(&mut self, p: InstanceId) {
        let Some(pod) = self.cluster().pods.get_mut(&p) else { return };
        if pod.deleting {
            return;
        }
        pod.deleting = true;
        pod.eviction_at = None;
        let node = pod.node;
        let c = self.cluster();
        c.active_queue.retain(|x| *x != p);
        c.backoff.remove(&p);
        c.unschedulable.remove(&p);
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
        let r = self.cluster().pods.get(&p).map(|pod| pod.replica_set);
        if let Some(r) = r {
            self.sync_replica_set_soon(r);
        }
    }

    /// Removes a pod from the API server and frees what it held.
    fn forget_pod(&mut self, p: InstanceId) {
        self.release_pod(p);
        let c = self.cluster();
        if let Some(pod) = c.pods.remove(&p) {
            c.replica_sets[pod.replica_set].pods.remove(&p);
            if let Some(h) = pod.node {
                c.nodes[h.index()].pods.remove(&p);
            }
            let (r, d) = (pod.replica_set, c.replica_sets[pod.replica_set].deployment);
            self.sync_replica_set_soon(r);
            self.sync_deployment_soon(d);
        }
        self.api_write();
        self.cluster_event();
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

    fn sync_endpoints(&mut self) {
        self.cluster().endpoints_pending = false;
        self.touch(Component::ControllerManager);
        let c = self.cluster();
        let ready: Vec<(InstanceId, Labels)> = c
            .pods
            .iter()
            .filter(|(_, p)| p.ready && !p.deleting)
            .map(|(&id, p)| (id, p.template.labels.clone()))
            .collect();
        for s in &mut c.services {
            s.endpoints =
                ready.iter().filter(|(_, l)| selector_matches(&s.spec.selector, l)).map(|(id, _)| *id).collect();
        }
        c.serving = ready.iter().map(|(id, _)| *id).collect();
        self.endpoints_dirty = true;
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
        let (snapshot, hosts) = self.snapshot();
        let info = self.pod_info(pod);
        let c = self.cluster();
        let decision = c.scheduler.schedule(&info, &snapshot, &mut c.scheduler_rng);
        c.stats.scheduling_attempts += 1;
        c.scheduling = Some(pod);
        let p = c.pods.get_mut(&pod).expect("the pod exists");
        p.attempts += 1;
        p.decision = Some(decision);
        p.decision_hosts = hosts;
        let d = kube_platform(self).scheduling_time.clone().sample(&mut self.startup_rng);
        self.schedule_kube(d, KubeDue::BindDone(pod));
    }

    /// The end of a cycle: bind the pod, or leave it unschedulable with the reason.
    fn bind_done(&mut self, pod: InstanceId) {
        self.cluster().scheduling = None;
        let now = self.now;
        let decision = self.cluster().pods.get(&pod).and_then(|p| p.decision.clone());
        let usable = self.cluster().pods.get(&pod).is_some_and(|p| !p.deleting && p.node.is_none());
        if let (Some(decision), true) = (decision, usable) {
            match decision.node {
                Some(n) => {
                    let host = self.kref().pods[&pod].decision_hosts[n];
                    self.bind(pod, host);
                }
                None => {
                    let message = decision.message.clone().unwrap_or_default();
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

    /// The scheduler's view of every registered node, and each one's host.
    pub fn snapshot(&self) -> (Snapshot, Vec<HostId>) {
        let c = self.kube().expect("a Kubernetes world");
        let setup = &self.setup;
        let registered = |n: &&Node| !matches!(n.condition, NodeCondition::Provisioning | NodeCondition::Absent);
        let hosts: Vec<HostId> = c.nodes.iter().filter(registered).map(|n| n.host).collect();
        // Images present on each registered node: every layer in its cache.
        let present: Vec<Vec<usize>> = hosts
            .iter()
            .map(|&h| (0..setup.images.len()).filter(|&i| self.image_present(h, ImageId(i as u32))).collect())
            .collect();
        let mut image_nodes: Vec<i64> = vec![0; setup.images.len()];
        for &i in present.iter().flatten() {
            image_nodes[i] += 1;
        }
        let image_sizes: Vec<i64> = setup
            .images
            .iter()
            .map(|image| image.layers.iter().map(|b| setup.blobs[b.index()].bytes.0).sum::<u64>() as i64)
            .collect();
        let nodes = c
            .nodes
            .iter()
            .filter(registered)
            .zip(&present)
            .map(|(n, images)| {
                let (requested, non_zero_requested) = c.node_requested(n);
                // Spreading counts no terminating pod.
                let pods = n
                    .pods
                    .iter()
                    .map(|p| &c.pods[p])
                    .filter(|pod| !pod.deleting)
                    .map(|pod| pod.template.labels.clone())
                    .collect();
                let images = images
                    .iter()
                    .map(|&i| {
                        let summary = ImageStateSummary { size: image_sizes[i], num_nodes: image_nodes[i] };
                        (setup.images[i].name.clone(), summary)
                    })
                    .collect();
                NodeInfo {
                    name: n.name.clone(),
                    labels: n.labels.clone(),
                    taints: n.taints.clone(),
                    unschedulable: n.unschedulable,
                    allocatable: n.allocatable,
                    requested,
                    non_zero_requested,
                    pods,
                    images,
                }
            })
            .collect();
        (Snapshot { nodes }, hosts)
    }

    fn pod_info(&self, pod: InstanceId) -> PodInfo {
        let c = self.kube().expect("a Kubernetes world");
        let mut info = pod_info_of(&c.pods[&pod].template, &self.setup);
        info.name = self.instances[pod.index()].name.clone();
        info
    }

    fn bind(&mut self, pod: InstanceId, host: HostId) {
        let delay = self.watch_delay();
        let c = self.cluster();
        c.unschedulable.remove(&pod);
        c.backoff.remove(&pod);
        let p = c.pods.get_mut(&pod).expect("the pod exists");
        p.node = Some(host);
        c.nodes[host.index()].pods.insert(pod);
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
        self.cluster().nodes[host.index()].pulling.remove(&image);
        let waiting: Vec<InstanceId> = self.cluster().nodes[host.index()].pods.iter().copied().collect();
        for p in waiting {
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
        // Init containers run one after another to completion, then the
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
        let template = self.cluster().pods[&pod].template.clone();
        let now = self.now;
        let p = self.cluster().pods.get_mut(&pod).expect("the pod exists");
        p.running = true;
        p.started_at.get_or_insert(now);
        let readiness = template.containers.iter().map(|c| c.readiness_delay).max().unwrap_or(SimDuration::ZERO);
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
        let now = self.now;
        let p = self.cluster().pods.get_mut(&pod).expect("the pod exists");
        p.ready = true;
        p.ready_since = Some(now);
        p.ready_changed = Some(now);
        let r = p.replica_set;
        self.set_phase(pod, Phase::Running);
        self.api_write();
        self.endpoints_soon();
        let d = self.cluster().replica_sets[r].deployment;
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
        let p = self.cluster().pods.get_mut(&pod).expect("the pod exists");
        p.ready = false;
        p.ready_changed = Some(now);
        p.running = false;
        p.restarts += 1;
        p.restart_backoff = kubelet::next_restart_backoff(p.restart_backoff);
        let backoff = p.restart_backoff;
        let restarts = p.restarts;
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
        let r = self.kref().pods[&pod].replica_set;
        let d = self.kref().replica_sets[r].deployment;
        self.sync_deployment_soon(d);
    }

    fn container_restart(&mut self, pod: InstanceId) {
        if self.instances[pod.index()].phase != Phase::Starting
            || self.cluster().pods.get(&pod).is_none_or(|p| p.deleting)
        {
            return;
        }
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
        let freq = kube_platform(self).node_status_update_frequency;
        self.schedule_kube(freq, KubeDue::Heartbeat(host));
    }

    fn heartbeat(&mut self, host: HostId) {
        let condition = self.kref().nodes[host.index()].condition;
        if !self.hosts[host.index()].up
            || !self.hosts[host.index()].powered
            || matches!(condition, NodeCondition::Provisioning | NodeCondition::Absent)
        {
            // A dead kubelet sends nothing; it starts again when the host recovers.
            return;
        }
        self.node_heard(host);
        let freq = kube_platform(self).node_status_update_frequency;
        self.schedule_kube(freq, KubeDue::Heartbeat(host));
    }

    /// The kubelet reported in: a NotReady or new node becomes Ready.
    fn node_heard(&mut self, host: HostId) {
        let now = self.now;
        let node = &mut self.cluster().nodes[host.index()];
        node.last_heartbeat = now;
        if node.condition != NodeCondition::Ready {
            node.condition = NodeCondition::Ready;
            node.taints.retain(|t| t.key != TAINT_UNREACHABLE);
            let pods: Vec<InstanceId> = node.pods.iter().copied().collect();
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
                    if let Some(pod) = self.cluster().pods.get_mut(&p) {
                        pod.restarts += 1;
                        pod.running = false;
                        pod.ready = false;
                        pod.ready_changed = Some(now);
                        pod.pinned = false;
                    }
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

    /// The node lifecycle controller's periodic check.
    fn node_monitor(&mut self) {
        self.touch(Component::ControllerManager);
        let platform = kube_platform(self).clone();
        let now = self.now;
        for h in 0..self.cluster().nodes.len() {
            let node = &self.cluster().nodes[h];
            if node.condition != NodeCondition::Ready
                || node_lifecycle::is_healthy(now, node.last_heartbeat, platform.node_monitor_grace_period)
            {
                continue;
            }
            // NotReady (Unknown), tainted unreachable; its pods are not ready any more.
            let node = &mut self.cluster().nodes[h];
            node.condition = NodeCondition::NotReady;
            for effect in [TaintEffect::NoSchedule, TaintEffect::NoExecute] {
                node.taints.push(Taint { key: TAINT_UNREACHABLE.into(), value: String::new(), effect });
            }
            let pods: Vec<InstanceId> = node.pods.iter().copied().collect();
            self.api_write();
            self.note_nodes_ready();
            let taint = Taint { key: TAINT_UNREACHABLE.into(), value: String::new(), effect: TaintEffect::NoExecute };
            for p in pods {
                let Some(pod) = self.cluster().pods.get_mut(&p) else { continue };
                pod.ready = false;
                pod.ready_changed = Some(now);
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

    fn evict(&mut self, pod: InstanceId) {
        let now = self.now;
        if self.cluster().pods.get(&pod).is_some_and(|p| p.eviction_at == Some(now)) {
            self.touch(Component::ControllerManager);
            self.delete_pod(pod);
        }
    }

    /// The host went down: the pods on it are gone in fact, though the
    /// control plane will not know for a while.
    pub(super) fn kube_host_failed(&mut self, host: HostId, lost: &[InstanceId]) {
        if self.kube.is_none() {
            return;
        }
        let now = self.now;
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

    /// The host is back: its kubelet (or its node VM, first) starts again.
    pub(super) fn kube_host_recovered(&mut self, host: HostId) {
        if self.kube.is_none() {
            return;
        }
        let platform = kube_platform(self).clone();
        charge_node_overhead(&mut self.hosts[host.index()], node_overhead(&platform));
        self.update_power(host);
        match &platform.nodes {
            NodeSource::Hosts => self.schedule_kube(SimDuration::ZERO, KubeDue::Heartbeat(host)),
            NodeSource::Vms(vm) => {
                let boot = vm.boot_time.sample(&mut self.startup_rng);
                self.cluster().nodes[host.index()].condition = NodeCondition::Provisioning;
                self.schedule_kube(boot, KubeDue::NodeBooted(host));
            }
        }
    }

    /// Recovery is complete when every Deployment has all its replicas
    /// Ready on live nodes.
    fn check_recovery(&mut self) {
        let now = self.now;
        let Some(since) = self.kref().stats.recovering_since else { return };
        let c = self.kref();
        let healthy = c.deployments.iter().all(|d| {
            let ready = d
                .replica_sets
                .iter()
                .flat_map(|&r| c.replica_sets[r].pods.iter())
                .filter(|p| c.pods.get(p).is_some_and(|pod| pod.ready && !pod.deleting))
                .count() as u32;
            ready >= d.spec.replicas
        });
        let all_live = c.pods.values().filter(|p| p.ready).count() as u32
            == c.pods.keys().filter(|p| self.instances[p.index()].phase == Phase::Running).count() as u32;
        if healthy && all_live {
            let c = self.cluster();
            c.stats.last_recovery = Some(now.since(since));
            c.stats.recovering_since = None;
        }
    }

    pub(super) fn handle_kube(&mut self, due: KubeDue) {
        match due {
            KubeDue::NodeBooted(h) => self.node_booted(h),
            KubeDue::Heartbeat(h) => self.heartbeat(h),
            KubeDue::NodeMonitor => self.node_monitor(),
            KubeDue::Evict(p) => self.evict(p),
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

/// A pod's effective request as the scheduler counts it (containers summed,
/// init containers maxed; `pods` is 1), and the same with zero requests
/// counted at the defaults.
pub fn template_requests(template: &PodTemplate) -> (Resources, Resources) {
    let req = |c: &crate::model::kube::ContainerSpec| (c.cpu_request.0 as i64, c.memory_request.0 as i64);
    scheduler::effective_requests(template.containers.iter().map(req), template.init_containers.iter().map(req))
}

/// The scheduler's view of a pod of `template`.
pub fn pod_info_of(template: &PodTemplate, setup: &crate::model::spec::Setup) -> PodInfo {
    let (requests, non_zero_requests) = template_requests(template);
    let containers = template
        .init_containers
        .iter()
        .map(|c| scheduler::ContainerImage { image: setup.images[c.image.index()].name.clone(), init: true })
        .chain(
            template
                .containers
                .iter()
                .map(|c| scheduler::ContainerImage { image: setup.images[c.image.index()].name.clone(), init: false }),
        )
        .collect();
    PodInfo {
        name: String::new(),
        labels: template.labels.clone(),
        requests,
        non_zero_requests,
        containers,
        node_selector: template.node_selector.clone(),
        node_name: template.node_name.clone(),
        affinity: template.affinity.clone(),
        tolerations: template.tolerations.clone(),
        topology_spread_constraints: template.topology_spread_constraints.clone(),
    }
}

/// Five characters as Kubernetes appends to generated pod names.
fn pod_suffix(n: u64) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let h = crate::engine::random::stable_hash(&[&n.to_le_bytes()]);
    (0..5).map(|i| ALPHABET[((h >> (i * 7)) % ALPHABET.len() as u64) as usize] as char).collect()
}
