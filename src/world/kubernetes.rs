//! A Kubernetes world. The cluster's components live in
//! [`behaviours`](crate::behaviours), one module each, written against
//! [`KubeWorld`]; here the world sets the cluster up on its hosts, hands each
//! component the work that falls due, and is the `KubeWorld` they run in.
//!
//! A kubelet's regular heartbeats change nothing but the time of the last
//! one, so they are not events: the time follows from when the kubelet
//! started, and only a kubelet that stops is looked at by the node lifecycle
//! controller.

use std::sync::Arc;

pub use crate::behaviours::cluster::{
    Cluster, Component, Deployment, KubeDue, KubeStats, KubeWorld, Node, NodeCondition, Pod, PodOwner, Pods,
    ReplicaSet, Service, StandalonePod, node_overhead, pod_info, template_requests,
};
pub use crate::behaviours::cluster_autoscaler::ClusterAutoscalerState;
pub use crate::behaviours::hpa::controller::HpaState;

use super::traffic::{CpuSample, PodStatus};
use super::{Due, EventKind, World};
use crate::behaviours::controllers::{deployment, disruption, endpoints, node_lifecycle, replica_set};
use crate::behaviours::scheduler::{schedule_one, scheduling_queue};
use crate::behaviours::{api_server, cluster_autoscaler, hpa, kubelet};
use crate::engine::{RandomStream, SimDuration, SimTime};
use crate::model::cache::BlobCache;
use crate::model::spec::{Action, KubePlatform, Platform, Setup};
use crate::model::{BlobId, Demand, DemandId, HostId, Instance, InstanceId, Phase, WorkloadId};

/// Another implementation of kube-scheduler's cycle, to run in place of the
/// world's own: given the world, the pod, the start index (to move on) and
/// the scheduler's random stream, it returns the chosen node or the message
/// of a pod that fits nowhere. The tests hold the world's scheduler to a
/// plain implementation of the same algorithm this way.
pub type ScheduleFn = fn(&World, InstanceId, &mut usize, &mut RandomStream) -> (Option<HostId>, Option<String>);

impl World {
    pub fn kube(&self) -> Option<&Cluster> {
        self.kube.as_deref()
    }

    /// Sets up nodes, node components and the controllers' timers.
    pub(super) fn init_kubernetes(&mut self) {
        let Platform::Kubernetes(platform) = &self.spec.platform else { return };
        let platform = platform.clone();
        let overhead = node_overhead(&platform);
        let mut nodes = Vec::new();
        for (h, spec) in self.setup.hosts.iter().enumerate() {
            // The node's own processes (and its VM) hold memory from the start;
            // a host the world does not use is no node at all.
            let host = &mut self.hosts[h];
            if host.powered {
                hold_overhead(host, overhead, true);
            }
            nodes.push(kubelet::register_node(HostId(h as u32), spec, &platform, host.powered));
        }
        let scheduler_rng = RandomStream::derive(self.setup.seed, &self.spec.name, "kube-scheduler");
        self.kube = Some(Box::new(Cluster::new(nodes, &self.setup, &platform, scheduler_rng)));
        for h in 0..self.hosts.len() {
            self.update_power(HostId(h as u32));
            self.dirty_hosts.insert(HostId(h as u32));
        }
        kubelet::start_nodes(self);
        self.schedule_kube(platform.node_monitor_period, KubeDue::NodeMonitor);
        self.schedule_kube(scheduling_queue::FLUSH_INTERVAL, KubeDue::FlushUnschedulable);
        cluster_autoscaler::init(self);
        node_lifecycle::note_nodes_ready(self);
    }

    /// Keeps the verdicts and scores of the latest scheduling cycles, up to
    /// about `verdicts` node verdicts in all (0, the default, keeps none), for
    /// a front end to show why each pod went where it went.
    pub fn keep_decisions(&mut self, verdicts: usize) {
        if let Some(c) = self.kube.as_deref_mut() {
            c.cycle.keep_decisions = verdicts;
        }
    }

    /// Runs `schedule` in place of the scheduler's own cycle from now on.
    pub fn replace_scheduler(&mut self, schedule: ScheduleFn) {
        self.replaced_scheduler = Some(schedule);
    }

    /// Takes an action in a Kubernetes world; `false` when it is not one of its own.
    pub(super) fn kube_act(&mut self, action: &Action) -> bool {
        self.kube.is_some() && api_server::act(self, action)
    }

    /// A blob arrived in or left `host`'s layer cache.
    pub(super) fn kube_cache_changed(&mut self, host: HostId, blob: BlobId) {
        if self.kube.is_some() {
            kubelet::cache_changed(self, host, blob);
        }
    }

    /// A blob reached `host`.
    pub(super) fn kube_blob_arrived(&mut self, host: HostId) {
        if self.kube.is_some() {
            kubelet::blob_arrived(self, host);
        }
    }

    /// The host went down, with the instances on it.
    pub(super) fn kube_host_failed(&mut self, host: HostId, lost: &[InstanceId], live: bool) {
        if self.kube.is_some() {
            kubelet::host_failed(self, host, lost, live);
        }
    }

    /// The host is back.
    pub(super) fn kube_host_recovered(&mut self, host: HostId) {
        if self.kube.is_some() {
            kubelet::host_recovered(self, host);
        }
    }

    /// An instance of this world changed phase: the count of pods running follows.
    pub(super) fn kube_phase_changed(&mut self, id: InstanceId, before: Phase, after: Phase) {
        if let Some(c) = self.kube.as_deref_mut() {
            c.phase_changed(id, before, after);
        }
    }

    pub(super) fn handle_kube(&mut self, due: KubeDue) {
        match due {
            KubeDue::NodeBooted(h) => kubelet::node_booted(self, h),
            KubeDue::KubeletStarted(h) => kubelet::started(self, h),
            KubeDue::NodeMonitor => node_lifecycle::monitor(self),
            KubeDue::Evict(p) => node_lifecycle::evict(self, p),
            KubeDue::NoExecuteTainting => node_lifecycle::no_execute_tainting_pass(self),
            KubeDue::DrainEvict(p) => disruption::drain_evict(self, p),
            KubeDue::SyncDeployment(d) => deployment::sync(self, d),
            KubeDue::SyncReplicaSet(r) => replica_set::sync(self, r),
            KubeDue::SchedulingCycle => schedule_one::schedule_one(self),
            KubeDue::BindDone(p) => schedule_one::bind_done(self, p),
            KubeDue::BackoffDone(p) => scheduling_queue::backoff_done(self, p),
            KubeDue::FlushUnschedulable => scheduling_queue::flush_unschedulable_pods_leftover(self),
            KubeDue::KubeletAdmit(p) => kubelet::admit(self, p),
            KubeDue::ContainerStarted(p, epoch)
            | KubeDue::PodReady(p, epoch)
            | KubeDue::ContainerExited(p, epoch)
            | KubeDue::ContainerRestart(p, epoch)
                if !kubelet::current(self, p, epoch) => {}
            KubeDue::ContainerStarted(p, _) => kubelet::container_started(self, p),
            KubeDue::PodReady(p, _) => {
                kubelet::pod_ready(self, p);
                node_lifecycle::check_recovery(self);
            }
            KubeDue::ContainerExited(p, _) => kubelet::container_exited(self, p),
            KubeDue::ContainerRestart(p, _) => kubelet::container_restart(self, p),
            KubeDue::PodTerminated(p) => kubelet::pod_terminated(self, p),
            KubeDue::SyncEndpoints => endpoints::sync(self),
            KubeDue::HpaSync => hpa::controller::sync(self),
            KubeDue::ClusterAutoscalerScan => cluster_autoscaler::scan(self),
        }
    }
}

/// The node's own processes take, or give back, their overhead on `host`.
fn hold_overhead(
    host: &mut super::HostState,
    (cpu, memory): (crate::model::Millicores, crate::model::Bytes),
    hold: bool,
) {
    if hold {
        host.cpu_used.0 += cpu.0;
        host.memory_used.0 += memory.0;
        host.overhead_memory.0 += memory.0;
    } else {
        host.cpu_used.0 = host.cpu_used.0.saturating_sub(cpu.0);
        host.memory_used.0 = host.memory_used.0.saturating_sub(memory.0);
        host.overhead_memory.0 = host.overhead_memory.0.saturating_sub(memory.0);
    }
}

fn kube_platform(spec: &crate::model::spec::WorldSpec) -> &KubePlatform {
    match &spec.platform {
        Platform::Kubernetes(k) => k,
        _ => unreachable!("Kubernetes work is only scheduled in Kubernetes worlds"),
    }
}

impl KubeWorld for World {
    fn now(&self) -> SimTime {
        self.now
    }

    fn setup(&self) -> &Setup {
        &self.setup
    }

    fn platform(&self) -> &KubePlatform {
        kube_platform(&self.spec)
    }

    fn kref(&self) -> &Cluster {
        self.kube.as_deref().expect("a Kubernetes world has a cluster")
    }

    fn cluster(&mut self) -> &mut Cluster {
        self.kube.as_deref_mut().expect("a Kubernetes world has a cluster")
    }

    fn schedule_kube(&mut self, after: SimDuration, due: KubeDue) {
        self.queue.schedule(self.now + after, Due::Kube(due));
    }

    fn schedule_kube_at(&mut self, at: SimTime, due: KubeDue) {
        self.queue.schedule(at, Due::Kube(due));
    }

    fn schedule_phase_end(&mut self, pod: InstanceId, after: SimDuration, due: KubeDue) {
        World::schedule_phase_end(self, pod, after, Due::Kube(due));
    }

    fn emit(&mut self, kind: EventKind) {
        World::emit(self, kind);
    }

    fn startup_rng(&mut self) -> &mut RandomStream {
        &mut self.startup_rng
    }

    fn stop_rng(&mut self) -> &mut RandomStream {
        &mut self.stop_rng
    }

    fn instance(&self, id: InstanceId) -> &Instance {
        &self.instances[id.index()]
    }

    fn instance_mut(&mut self, id: InstanceId) -> &mut Instance {
        &mut self.instances[id.index()]
    }

    fn set_phase(&mut self, id: InstanceId, phase: Phase) {
        World::set_phase(self, id, phase);
    }

    fn set_wait_reason(&mut self, id: InstanceId, reason: String) {
        World::set_wait_reason(self, id, reason);
    }

    fn launch_pod(&mut self, workload: WorkloadId, demand: DemandId) -> InstanceId {
        let id = self.launch_one(workload, demand);
        self.waiting.remove(&id);
        id
    }

    fn wait_on_node(&mut self, id: InstanceId) {
        self.waiting.remove(&id);
    }

    fn workload_named(&mut self, name: &str) -> WorkloadId {
        match self.workloads.iter().position(|w| w.name == name) {
            Some(i) => WorkloadId(i as u32),
            None => {
                self.workloads.push(super::Workload { name: name.to_string(), app: None });
                self.name_counters.push(0);
                WorkloadId(self.workloads.len() as u32 - 1)
            }
        }
    }

    fn demands(&self) -> Arc<Vec<Demand>> {
        Arc::clone(&self.demands)
    }

    fn add_demand(&mut self, demand: Demand) -> DemandId {
        Arc::make_mut(&mut self.demands).push(demand);
        DemandId(self.demands.len() as u32 - 1)
    }

    fn reserve(&mut self, id: InstanceId, host: HostId) {
        let demands = Arc::clone(&self.demands);
        World::reserve(self, id, host, &demands[self.instances[id.index()].demand.index()]);
    }

    fn unreserve(&mut self, id: InstanceId, host: HostId) {
        let demands = Arc::clone(&self.demands);
        World::unreserve(self, id, host, &demands[self.instances[id.index()].demand.index()]);
    }

    fn host_holds(&self, host: HostId, id: InstanceId) -> bool {
        self.hosts[host.index()].instances.contains(&id)
    }

    fn host_up(&self, host: HostId) -> bool {
        self.hosts[host.index()].up
    }

    fn host_powered(&self, host: HostId) -> bool {
        self.hosts[host.index()].powered
    }

    fn set_powered(&mut self, host: HostId, powered: bool) {
        self.hosts[host.index()].powered = powered;
    }

    fn host_changed(&mut self, host: HostId) {
        self.update_power(host);
        self.dirty_hosts.insert(host);
    }

    fn hold_node_overhead(&mut self, host: HostId, hold: bool) {
        let overhead = node_overhead(kube_platform(&self.spec));
        hold_overhead(&mut self.hosts[host.index()], overhead, hold);
    }

    fn layer_cache(&self, host: HostId) -> &BlobCache {
        &self.hosts[host.index()].cache
    }

    fn layer_cache_mut(&mut self, host: HostId) -> &mut BlobCache {
        &mut self.hosts[host.index()].cache
    }

    fn pull_blob(&mut self, host: HostId, blob: BlobId) {
        let h = &mut self.hosts[host.index()];
        if h.cache.contains(blob) || h.downloading.contains_key(&blob) {
            return;
        }
        h.downloading.insert(blob, Vec::new());
        let bytes = self.setup.blobs[blob.index()].bytes;
        self.registry.request(self.now, host, blob, bytes);
        World::emit(self, EventKind::PullStarted { host, blob, bytes });
    }

    fn start_transfers(&mut self) {
        self.schedule_transfers();
    }

    fn set_pod_status(&mut self, pod: InstanceId, status: PodStatus) {
        if let Some(t) = self.traffic.as_deref_mut() {
            t.set_pod_status(pod, status);
        }
    }

    fn endpoints_changed(&mut self, pods: &[InstanceId]) {
        self.endpoints_changed.extend_from_slice(pods);
    }

    fn metered(&self) -> bool {
        self.traffic.is_some()
    }

    fn pod_metrics(&self, pod: InstanceId) -> Option<(bool, PodStatus, Option<CpuSample>)> {
        self.traffic.as_deref().map(|t| t.pod_metrics(pod))
    }

    fn request_rate(&self, pod: InstanceId, millicores: u64) -> u64 {
        self.traffic.as_deref().map_or(0, |t| t.request_rate(pod, millicores))
    }

    fn scheduler_replaced(&self) -> bool {
        self.replaced_scheduler.is_some()
    }

    fn replaced_schedule(
        &self,
        pod: InstanceId,
        start: &mut usize,
        rng: &mut RandomStream,
    ) -> Option<(Option<HostId>, Option<String>)> {
        self.replaced_scheduler.map(|schedule| schedule(self, pod, start, rng))
    }
}
