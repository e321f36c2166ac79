//! One simulated world: the scenario's hosts, images and apps on one platform.
//!
//! A `World` owns its event queue, its random streams, the model state and the
//! behaviours that move it. It advances with [`World::step`] (every event at the
//! next instant) or [`World::run_until`], takes actions from the timeline and
//! from people at the controls, and offers read-only views. It is `Clone`, so a
//! front end can keep checkpoints and scrub backwards without recomputing.

// Where the world `expect`s, it states an invariant of its own state: a
// handler for a Kubernetes, traffic or autoscaling event runs only in a world
// that has them, and a pod id names a pod it holds. The property tests and
// the fuzz targets check these after every instant.
#[allow(clippy::expect_used, reason = "invariants of the world's own state, checked by the property tests")]
mod autoscaling;
pub use crate::model::event;
#[allow(clippy::expect_used, reason = "invariants of the world's own state, checked by the property tests")]
pub mod kubernetes;
#[allow(clippy::expect_used, reason = "invariants of the world's own state, checked by the property tests")]
pub mod traffic;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::behaviours::placement::{self, Misfit, Need, Room};
use crate::behaviours::power::EnergyMeter;
use crate::behaviours::registry::Registry;
use crate::behaviours::{self};
use crate::engine::{EventQueue, RandomStream, SimDuration, SimTime};
use crate::model::spec::{Action, Setup, WorldSpec};
use crate::model::{
    AppId, BlobId, Bytes, Demand, DemandId, HostId, Instance, InstanceId, InstanceSet, Millicores, Phase, WorkloadId,
};

pub use event::{Event, EventKind};

/// Scheduled work inside a world.
#[derive(Clone, Debug)]
enum Due {
    Timeline(usize),
    /// Registry flows may have finished; stale when the generation moved on.
    Transfers(u64),
    StartupDone(InstanceId),
    StopDone(InstanceId),
    Replace {
        workload: WorkloadId,
        demand: DemandId,
        replaces: InstanceId,
    },
    Kube(kubernetes::KubeDue),
    Traffic(traffic::TrafficDue),
    /// metrics-server scrapes every instance's CPU use.
    Scrape,
    /// The VM autoscaling group evaluates its target.
    AutoscalingGroup,
}

/// A host as it is now.
#[derive(Clone, Debug)]
pub struct HostState {
    pub up: bool,
    pub cpu_used: Millicores,
    pub memory_used: Bytes,
    pub overhead_memory: Bytes,
    /// Disk reserved by instances themselves.
    pub disk_reserved: Bytes,
    /// Instances placed here and not yet stopped or failed.
    pub instances: InstanceSet,
    /// Held whole by a dedicated instance.
    pub occupied: bool,
    pub cache: crate::model::cache::BlobCache,
    /// Blobs on their way, with the instances waiting for each.
    pub downloading: BTreeMap<BlobId, Vec<InstanceId>>,
    pub energy: EnergyMeter,
    /// When it went down, while it is down.
    pub down_since: Option<SimTime>,
    /// Powered on (a node group's spare hosts start off).
    pub powered: bool,
    /// Time spent powered on and up before `on_since`.
    pub on_time: SimDuration,
    /// Since when it is on, while it is.
    pub on_since: Option<SimTime>,
}

impl HostState {
    /// Time powered on and up, up to `now`.
    pub fn on_time_at(&self, now: SimTime) -> SimDuration {
        self.on_time + self.on_since.map_or(SimDuration::ZERO, |t| now.since(t))
    }

    fn in_flight(&self, setup: &Setup) -> Bytes {
        Bytes(self.downloading.keys().map(|b| setup.blobs[b.index()].bytes.0).sum())
    }
}

/// What instances belong to: the scenario's apps first (a workload's id is
/// then its app's), then any Deployment that is not named after an app.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Workload {
    pub name: String,
    pub app: Option<AppId>,
}

/// Counts kept as the world runs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub running: u32,
    pub pending: u32,
    pub launched: u32,
    pub stopped: u32,
    pub failed: u32,
    /// Pods on a node that went silent, not yet evicted.
    pub unknown: u32,
    /// The most instances pending at any instant.
    pub max_pending: u32,
}

/// One world of a scenario.
#[derive(Clone, Debug)]
pub struct World {
    setup: Arc<Setup>,
    spec: Arc<WorldSpec>,
    now: SimTime,
    queue: EventQueue<Due>,
    startup_rng: RandomStream,
    stop_rng: RandomStream,
    hosts: Vec<HostState>,
    instances: Vec<Instance>,
    workloads: Vec<Workload>,
    /// What instances reserve; an app's instances use the demand of the same index.
    demands: Arc<Vec<Demand>>,
    waiting: BTreeSet<InstanceId>,
    registry: Registry,
    /// Instances named so far per workload.
    name_counters: Vec<u32>,
    counts: Counts,
    /// Actions from people at the controls, in time order, not yet applied.
    live_actions: Vec<(SimTime, Action)>,
    /// Every live action taken, for replay.
    live_log: Vec<(SimTime, Action)>,
    events: Vec<Event>,
    dirty_hosts: BTreeSet<HostId>,
    /// Instants processed so far; equal in a world and its deterministic replay.
    steps: u64,
    /// Events emitted so far.
    emitted: u64,
    /// The control plane and kubelets, in a Kubernetes world.
    kube: Option<Box<kubernetes::Cluster>>,
    /// A test's implementation of the scheduling cycle, run in place of the scheduler's own.
    replaced_scheduler: Option<kubernetes::ScheduleFn>,
    /// Services under load.
    traffic: Option<Box<traffic::Traffic>>,
    /// Instances whose phase or readiness changed since services' endpoints followed.
    endpoints_changed: Vec<InstanceId>,
    autoscaling: Option<autoscaling::GroupState>,
    /// Hosts powered on and up now, and the most at once.
    hosts_on: usize,
    hosts_on_max: usize,
}

impl World {
    pub fn new(setup: Arc<Setup>, spec: Arc<WorldSpec>) -> Self {
        let demands: Vec<Demand> =
            setup.apps.iter().map(|app| behaviours::demand(&spec.platform, app, &setup)).collect();
        let hosts = setup
            .hosts
            .iter()
            .map(|h| {
                let mut cache = crate::model::cache::BlobCache::new(h.image_cache);
                for &blob in h.cached.iter().chain(&spec.preloaded) {
                    cache.insert(blob, setup.blobs[blob.index()].bytes, h.image_cache);
                }
                HostState {
                    up: true,
                    cpu_used: Millicores(0),
                    memory_used: Bytes(0),
                    overhead_memory: Bytes(0),
                    disk_reserved: Bytes(0),
                    instances: InstanceSet::new(),
                    occupied: false,
                    cache,
                    downloading: BTreeMap::new(),
                    energy: EnergyMeter::new(h.power.watts(0.0)),
                    down_since: None,
                    powered: true,
                    on_time: SimDuration::ZERO,
                    on_since: Some(SimTime::ZERO),
                }
            })
            .collect();
        let registry = Registry::new(&setup.registry, setup.hosts.iter().map(|h| h.nic.0).collect());
        let mut queue = EventQueue::new();
        for (i, entry) in spec.timeline.iter().enumerate() {
            queue.schedule(SimTime::ZERO + entry.at, Due::Timeline(i));
        }
        let mut world = World {
            startup_rng: RandomStream::derive(setup.seed, &spec.name, "startup"),
            stop_rng: RandomStream::derive(setup.seed, &spec.name, "stop"),
            name_counters: vec![0; setup.apps.len()],
            workloads: setup
                .apps
                .iter()
                .enumerate()
                .map(|(i, a)| Workload { name: a.name.clone(), app: Some(AppId(i as u32)) })
                .collect(),
            demands: Arc::new(demands),
            setup,
            spec,
            now: SimTime::ZERO,
            queue,
            hosts,
            instances: Vec::new(),
            waiting: BTreeSet::new(),
            registry,
            counts: Counts::default(),
            live_actions: Vec::new(),
            live_log: Vec::new(),
            events: Vec::new(),
            dirty_hosts: BTreeSet::new(),
            steps: 0,
            emitted: 0,
            kube: None,
            replaced_scheduler: None,
            traffic: None,
            endpoints_changed: Vec::new(),
            autoscaling: None,
            hosts_on: 0,
            hosts_on_max: 0,
        };
        world.hosts_on = world.hosts.len();
        for h in world.spec.unused_hosts.clone() {
            world.hosts[h.index()].powered = false;
            world.update_power(h);
        }
        world.init_kubernetes();
        world.init_traffic();
        world.init_autoscaling();
        world.hosts_on_max = world.hosts_on;
        world
    }

    /// The most hosts powered on and up at once so far.
    pub fn max_hosts_on(&self) -> usize {
        self.hosts_on_max
    }

    /// Reserves `demand` on `host` for `id`.
    fn reserve(&mut self, id: InstanceId, host: HostId, demand: &Demand) {
        let h = &mut self.hosts[host.index()];
        h.cpu_used.0 += demand.cpu.0;
        h.memory_used.0 += demand.memory.0;
        h.overhead_memory.0 += demand.overhead_memory.0;
        h.disk_reserved.0 += demand.disk.0;
        h.instances.insert(id);
        h.occupied |= demand.exclusive;
        if let Some(t) = self.traffic.as_deref_mut() {
            t.set_on_host(id, true);
        }
        self.instances[id.index()].host = Some(host);
        self.update_power(host);
        self.dirty_hosts.insert(host);
    }

    /// Gives back what `id` reserved on `host` (not its cache pins).
    fn unreserve(&mut self, id: InstanceId, host: HostId, demand: &Demand) {
        let h = &mut self.hosts[host.index()];
        if !h.instances.remove(&id) {
            return;
        }
        if let Some(t) = self.traffic.as_deref_mut() {
            t.set_on_host(id, false);
        }
        h.cpu_used.0 -= demand.cpu.0;
        h.memory_used.0 -= demand.memory.0;
        h.overhead_memory.0 -= demand.overhead_memory.0;
        h.disk_reserved.0 -= demand.disk.0;
        if demand.exclusive {
            h.occupied = false;
        }
        self.update_power(host);
        self.dirty_hosts.insert(host);
    }

    // ----- views -----

    pub fn name(&self) -> &str {
        &self.spec.name
    }

    pub fn setup(&self) -> &Setup {
        &self.setup
    }

    pub fn spec(&self) -> &WorldSpec {
        &self.spec
    }

    pub fn now(&self) -> SimTime {
        self.now
    }

    pub fn hosts(&self) -> &[HostState] {
        &self.hosts
    }

    pub fn instances(&self) -> &[Instance] {
        &self.instances
    }

    pub fn instance(&self, id: InstanceId) -> &Instance {
        &self.instances[id.index()]
    }

    /// What `inst` reserves.
    pub fn demand_of(&self, inst: &Instance) -> &Demand {
        &self.demands[inst.demand.index()]
    }

    pub fn workload(&self, id: WorkloadId) -> &Workload {
        &self.workloads[id.index()]
    }

    pub fn counts(&self) -> &Counts {
        &self.counts
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Instances waiting for a host, oldest first.
    pub fn waiting(&self) -> impl Iterator<Item = InstanceId> + '_ {
        self.waiting.iter().copied()
    }

    /// Live actions taken so far, with their times, for replay.
    pub fn live_log(&self) -> &[(SimTime, Action)] {
        &self.live_log
    }

    /// Bytes of an instance's image that have reached its host by `at`
    /// (interpolated between events), and the total it needs.
    pub fn fetch_progress(&self, id: InstanceId, at: SimTime) -> (Bytes, Bytes) {
        let inst = &self.instances[id.index()];
        let demand = &self.demands[inst.demand.index()];
        let Some(host) = inst.host else {
            return (Bytes(0), Bytes(demand.blobs.iter().map(|b| self.setup.blobs[b.index()].bytes.0).sum()));
        };
        let (mut done, mut total) = (0, 0);
        for &blob in &demand.blobs {
            let bytes = self.setup.blobs[blob.index()].bytes.0;
            total += bytes;
            if self.hosts[host.index()].cache.contains(blob) {
                done += bytes;
            } else if let Some((d, _)) = self.registry.progress(host, blob, at) {
                done += d.0;
            }
        }
        (Bytes(done), Bytes(total))
    }

    /// Joules used by all hosts from the start to now.
    pub fn energy_joules(&self) -> f64 {
        self.hosts.iter().map(|h| h.energy.joules_at(self.now)).sum()
    }

    /// The time of the next thing that will happen, if anything will.
    pub fn next_event_time(&self) -> Option<SimTime> {
        let queued = self.queue.peek_time();
        let live = self.live_actions.first().map(|(t, _)| *t);
        match (queued, live) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Events emitted since the last call, in order.
    pub fn drain_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    /// Whether some host's reservations changed since the last [`Self::drain_dirty_hosts`].
    pub fn has_dirty_hosts(&self) -> bool {
        !self.dirty_hosts.is_empty()
    }

    /// Hosts whose reservations changed since the last call.
    pub fn drain_dirty_hosts(&mut self) -> BTreeSet<HostId> {
        std::mem::take(&mut self.dirty_hosts)
    }

    // ----- running -----

    /// Processes every event at the next instant and moves the clock there.
    /// Returns that instant, or `None` when nothing is left to happen.
    pub fn step(&mut self) -> Option<SimTime> {
        let t = self.next_event_time()?;
        self.now = self.now.max(t);
        self.steps += 1;
        loop {
            // The queue's events at this instant first, then live actions at it.
            // A live action is taken when the clock already stands at its time,
            // after that instant's events; a replay must put it in the same place.
            if let Some((_, due)) = self.queue.pop_due(self.now) {
                self.handle(due);
                self.refresh_endpoints_if_changed();
                continue;
            }
            match self.live_actions.first() {
                Some(&(at, _)) if at <= self.now => {
                    let (_, action) = self.live_actions.remove(0);
                    self.act(&action, true);
                    self.refresh_endpoints_if_changed();
                }
                _ => break,
            }
        }
        Some(self.now)
    }

    /// Services' endpoints follow every change of phase or readiness at once.
    #[inline]
    fn refresh_endpoints_if_changed(&mut self) {
        if !self.endpoints_changed.is_empty() {
            let mut changed = std::mem::take(&mut self.endpoints_changed);
            changed.sort_unstable();
            changed.dedup();
            self.refresh_endpoints(&changed);
            changed.clear();
            self.endpoints_changed = changed;
        }
    }

    /// Instants processed so far. A clone replayed to the same time has the same count.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Runs every event up to and including `until`, then sets the clock to `until`.
    pub fn run_until(&mut self, until: SimTime) {
        while let Some(t) = self.next_event_time() {
            if t > until {
                break;
            }
            self.step();
        }
        self.now = self.now.max(until);
    }

    /// Takes an action now, as a person at the controls would. It is recorded
    /// in [`World::live_log`] so that the same actions replay identically.
    pub fn apply(&mut self, action: Action) {
        self.apply_at(self.now, action);
    }

    /// Schedules a live action at `at` (not before now).
    pub fn apply_at(&mut self, at: SimTime, action: Action) {
        let at = at.max(self.now);
        let pos = self.live_actions.partition_point(|(t, _)| *t <= at);
        self.live_actions.insert(pos, (at, action.clone()));
        self.live_log.push((at, action));
    }

    fn emit(&mut self, kind: EventKind) {
        self.emitted += 1;
        self.events.push(Event { time: self.now, kind });
    }

    /// Events scheduled on the world's queue since the start, handled or
    /// still due: the measure of a run's work that its budget bounds.
    pub fn events_scheduled(&self) -> u64 {
        self.queue.scheduled()
    }

    /// Events emitted since the start, drained or not.
    pub fn events_emitted(&self) -> u64 {
        self.emitted
    }

    fn handle(&mut self, due: Due) {
        match due {
            Due::Timeline(i) => {
                let action = self.spec.timeline[i].action.clone();
                self.act(&action, false);
            }
            Due::Transfers(generation) => {
                if generation == self.registry.generation() {
                    self.finish_transfers();
                }
            }
            Due::StartupDone(id) => {
                let phase = self.instances[id.index()].phase;
                let spec = Arc::clone(&self.spec);
                match (phase, spec.platform.start_after_boot()) {
                    (Phase::Booting, Some(start)) => {
                        self.set_phase(id, Phase::Starting);
                        let d = start.sample(&mut self.startup_rng);
                        self.schedule_phase_end(id, d, Due::StartupDone(id));
                    }
                    (Phase::Booting | Phase::Starting, _) => self.set_phase(id, Phase::Running),
                    _ => {}
                }
            }
            Due::StopDone(id) => {
                if self.instances[id.index()].phase == Phase::Stopping {
                    self.release(id);
                    self.set_phase(id, Phase::Stopped);
                    self.place_waiting();
                }
            }
            Due::Kube(k) => self.handle_kube(k),
            Due::Traffic(t) => self.handle_traffic(t),
            Due::Scrape => self.scrape(),
            Due::AutoscalingGroup => self.evaluate_group(),
            Due::Replace { workload, demand, replaces } => {
                let id = self.launch_one(workload, demand);
                self.instances[id.index()].replaces = Some(replaces);
                self.place_waiting();
            }
        }
    }

    fn act(&mut self, action: &Action, live: bool) {
        self.emit(EventKind::Action { action: action.clone(), live });
        if self.kube_act(action) {
            return;
        }
        match *action {
            Action::Launch { app, count } => {
                for _ in 0..count {
                    self.launch_one(WorkloadId(app.0), DemandId(app.0));
                }
                self.place_waiting();
            }
            Action::Stop { app, count } => self.stop(app, count),
            Action::FailHost(host) => self.fail_host(host, live),
            Action::RecoverHost(host) => self.recover_host(host),
            // Validation keeps Kubernetes actions out of other worlds.
            _ => {}
        }
    }

    fn launch_one(&mut self, workload: WorkloadId, demand: DemandId) -> InstanceId {
        let id = InstanceId(self.instances.len() as u32);
        self.name_counters[workload.index()] += 1;
        let name = format!("{}-{}", self.workloads[workload.index()].name, self.name_counters[workload.index()]);
        self.instances.push(Instance {
            id,
            name,
            workload,
            demand,
            host: None,
            phase: Phase::WaitingForPlacement,
            launched_at: self.now,
            history: vec![(Phase::WaitingForPlacement, self.now)],
            wait_reason: None,
            blobs_outstanding: 0,
            replaces: None,
            phase_ends_at: None,
        });
        if let Some(t) = self.traffic.as_deref_mut() {
            t.launched(id, workload);
        }
        self.counts.launched += 1;
        self.counts.pending += 1;
        self.counts.max_pending = self.counts.max_pending.max(self.counts.pending);
        self.waiting.insert(id);
        self.emit(EventKind::Launched { instance: id, workload });
        id
    }

    fn set_phase(&mut self, id: InstanceId, phase: Phase) {
        let inst = &mut self.instances[id.index()];
        let before = inst.phase;
        if before == phase {
            return;
        }
        inst.phase = phase;
        inst.phase_ends_at = None;
        inst.history.push((phase, self.now));
        if let Some(t) = self.traffic.as_deref_mut() {
            t.phase_changed(id, phase, inst.host);
        }
        self.endpoints_changed.push(id);
        self.kube_phase_changed(id, before, phase);
        let c = &mut self.counts;
        if before.is_pending() {
            c.pending -= 1;
        }
        if before == Phase::Running {
            c.running -= 1;
        }
        if before == Phase::Unknown {
            c.unknown -= 1;
        }
        if phase.is_pending() {
            c.pending += 1;
            c.max_pending = c.max_pending.max(c.pending);
        }
        match phase {
            Phase::Running => c.running += 1,
            Phase::Unknown => c.unknown += 1,
            Phase::Stopped => c.stopped += 1,
            Phase::Failed => c.failed += 1,
            _ => {}
        }
        self.emit(EventKind::PhaseChanged { instance: id, phase });
    }

    /// What `host` has left, as the placer sees it.
    fn room(&self, host: HostId) -> Room {
        let h = &self.hosts[host.index()];
        let spec = &self.setup.hosts[host.index()];
        let allocatable = libm::floor(spec.cpu.0 as f64 * self.spec.cpu_allocation_ratio) as u64;
        Room {
            up: h.up && h.powered,
            occupied: h.occupied,
            instances: h.instances.len() as u32,
            cpu_allocatable: Millicores(allocatable),
            cpu_used: h.cpu_used,
            memory: spec.memory,
            memory_used: h.memory_used,
            disk: spec.disk,
            disk_committed: Bytes(h.disk_reserved.0 + h.cache.pinned().0 + h.in_flight(&self.setup).0),
        }
    }

    /// Disk that placing `demand` on `host` would newly commit for blobs: those
    /// neither in flight nor already needed by another instance there. A cached
    /// but unused blob counts, since placing the instance makes it unevictable.
    fn blob_bytes_to_commit(&self, host: HostId, demand: &Demand) -> Bytes {
        let h = &self.hosts[host.index()];
        Bytes(
            demand
                .blobs
                .iter()
                .filter(|b| !h.cache.is_pinned(**b) && !h.downloading.contains_key(b))
                .map(|b| self.setup.blobs[b.index()].bytes.0)
                .sum(),
        )
    }

    /// Tries to place every waiting instance, oldest first. Once an app fails
    /// to fit, its later instances are not tried again in the same pass: they
    /// are identical and would fail the same way.
    fn place_waiting(&mut self) {
        if self.waiting.is_empty() {
            return;
        }
        let policy = placement::policy(self.spec.placement);
        let mut blocked: BTreeMap<DemandId, String> = BTreeMap::new();
        let queue: Vec<InstanceId> = self.waiting.iter().copied().collect();
        for id in queue {
            let key = self.instances[id.index()].demand;
            if let Some(reason) = blocked.get(&key) {
                let reason = reason.clone();
                self.set_wait_reason(id, reason);
                continue;
            }
            let demands = Arc::clone(&self.demands);
            let demand = &demands[key.index()];
            let mut candidates = Vec::new();
            let mut misfits: Vec<Misfit> = Vec::new();
            for h in 0..self.hosts.len() {
                let host = HostId(h as u32);
                let need = Need {
                    cpu: demand.cpu,
                    memory: demand.memory,
                    disk: Bytes(demand.disk.0 + self.blob_bytes_to_commit(host, demand).0),
                    exclusive: demand.exclusive,
                };
                match placement::fit(host, &self.room(host), &need) {
                    Ok(c) => candidates.push(c),
                    Err(m) => misfits.extend(m),
                }
            }
            if candidates.is_empty() {
                let reason = placement::unavailable_message(self.hosts.len(), &misfits);
                blocked.insert(key, reason.clone());
                self.set_wait_reason(id, reason);
            } else {
                let host = policy.choose(&candidates);
                self.place(id, host);
            }
        }
    }

    fn set_wait_reason(&mut self, id: InstanceId, reason: String) {
        let inst = &mut self.instances[id.index()];
        if inst.wait_reason.as_deref() != Some(reason.as_str()) {
            inst.wait_reason = Some(reason.clone());
            self.emit(EventKind::Waiting { instance: id, reason });
        }
    }

    fn place(&mut self, id: InstanceId, host: HostId) {
        self.waiting.remove(&id);
        let key = self.instances[id.index()].demand;
        let demands = Arc::clone(&self.demands);
        let demand = &demands[key.index()];
        self.reserve(id, host, demand);
        self.instances[id.index()].wait_reason = None;
        self.emit(EventKind::Placed { instance: id, host });

        let mut outstanding = 0;
        for &blob in &demand.blobs {
            let h = &mut self.hosts[host.index()];
            if h.cache.contains(blob) {
                h.cache.touch(blob);
                h.cache.pin(blob);
            } else if let Some(waiters) = h.downloading.get_mut(&blob) {
                waiters.push(id);
                outstanding += 1;
            } else {
                h.downloading.insert(blob, vec![id]);
                outstanding += 1;
                let bytes = self.setup.blobs[blob.index()].bytes;
                self.registry.request(self.now, host, blob, bytes);
                self.emit(EventKind::PullStarted { host, blob, bytes });
            }
        }
        self.make_disk_room(host);
        self.schedule_transfers();
        self.instances[id.index()].blobs_outstanding = outstanding;
        if outstanding > 0 {
            self.set_phase(id, Phase::FetchingImage);
        } else {
            self.begin_startup(id);
        }
    }

    /// Evicts unused cached blobs so that instance disks and the cache fit on the disk.
    fn make_disk_room(&mut self, host: HostId) {
        let spec = &self.setup.hosts[host.index()];
        let in_flight = self.hosts[host.index()].in_flight(&self.setup);
        let h = &mut self.hosts[host.index()];
        let limit = Bytes(spec.disk.0.saturating_sub(h.disk_reserved.0 + in_flight.0).min(spec.image_cache.0));
        let evicted = h.cache.evict_to(limit, None);
        for (blob, bytes) in evicted {
            self.emit(EventKind::Evicted { host, blob, bytes });
            self.kube_cache_changed(host, blob);
        }
    }

    fn begin_startup(&mut self, id: InstanceId) {
        let boots = self.spec.platform.boots();
        self.set_phase(id, if boots { Phase::Booting } else { Phase::Starting });
        let d = self.spec.platform.startup_time().sample(&mut self.startup_rng);
        self.schedule_phase_end(id, d, Due::StartupDone(id));
    }

    fn schedule_phase_end(&mut self, id: InstanceId, d: crate::engine::SimDuration, due: Due) {
        let at = self.now + d;
        self.instances[id.index()].phase_ends_at = Some(at);
        self.queue.schedule(at, due);
    }

    fn schedule_transfers(&mut self) {
        if let Some(t) = self.registry.next_completion() {
            self.queue.schedule(t.max(self.now), Due::Transfers(self.registry.generation()));
        }
    }

    fn finish_transfers(&mut self) {
        let done = self.registry.complete_due(self.now);
        for (host, blob, bytes) in done {
            let waiters = self.hosts[host.index()].downloading.remove(&blob).unwrap_or_default();
            let spec = &self.setup.hosts[host.index()];
            let limit = {
                let h = &self.hosts[host.index()];
                Bytes(spec.disk.0.saturating_sub(h.disk_reserved.0 + h.in_flight(&self.setup).0))
            };
            let evicted = self.hosts[host.index()].cache.insert(blob, bytes, limit);
            self.emit(EventKind::PullFinished { host, blob, bytes });
            self.kube_cache_changed(host, blob);
            for (b, n) in evicted {
                self.emit(EventKind::Evicted { host, blob: b, bytes: n });
                self.kube_cache_changed(host, b);
            }
            for id in waiters {
                if self.instances[id.index()].phase != Phase::FetchingImage {
                    continue;
                }
                self.hosts[host.index()].cache.pin(blob);
                let inst = &mut self.instances[id.index()];
                inst.blobs_outstanding -= 1;
                if inst.blobs_outstanding == 0 {
                    self.begin_startup(id);
                }
            }
            self.kube_blob_arrived(host);
        }
        self.schedule_transfers();
    }

    /// Gives back what an instance held on its host, its cache pins included.
    fn release(&mut self, id: InstanceId) {
        let Some(host) = self.instances[id.index()].host else {
            return;
        };
        if !self.hosts[host.index()].instances.contains(&id) {
            return;
        }
        let key = self.instances[id.index()].demand;
        let demands = Arc::clone(&self.demands);
        let demand = &demands[key.index()];
        self.unreserve(id, host, demand);
        let h = &mut self.hosts[host.index()];
        for &blob in &demand.blobs {
            match h.downloading.get_mut(&blob) {
                Some(waiters) if waiters.contains(&id) => waiters.retain(|w| *w != id),
                _ => h.cache.unpin(blob),
            }
        }
    }

    /// Sets a host's power draw from its utilisation: the CPU its instances
    /// actually use when the scenario has traffic, or else the CPU they reserve.
    #[inline]
    fn update_power(&mut self, host: HostId) {
        let spec = &self.setup.hosts[host.index()];
        let cores = spec.cpu.0.max(1) as f64 / 1000.0;
        let busy = self.busy_cores(host);
        let h = &self.hosts[host.index()];
        let on = h.up && h.powered;
        let utilization = match busy {
            Some(b) => b / cores,
            None => h.cpu_used.0 as f64 / 1000.0 / cores,
        };
        let watts = if on { spec.power.watts(utilization) } else { 0.0 };
        let now = self.now;
        let h = &mut self.hosts[host.index()];
        if watts != h.energy.watts() {
            h.energy.set(now, watts);
        }
        match (on, h.on_since) {
            (true, None) => {
                h.on_since = Some(now);
                self.hosts_on += 1;
                self.hosts_on_max = self.hosts_on_max.max(self.hosts_on);
            }
            (false, Some(since)) => {
                h.on_time = h.on_time + now.since(since);
                h.on_since = None;
                self.hosts_on -= 1;
            }
            _ => {}
        }
    }

    fn stop(&mut self, app: AppId, count: u32) {
        let rank = |p: Phase| match p {
            Phase::WaitingForPlacement => 0,
            Phase::FetchingImage => 1,
            Phase::Booting | Phase::Starting => 2,
            _ => 3,
        };
        let mut victims: Vec<(u8, std::cmp::Reverse<InstanceId>)> = self
            .instances
            .iter()
            .filter(|i| i.workload.0 == app.0 && (i.phase.is_pending() || i.phase == Phase::Running))
            .map(|i| (rank(i.phase), std::cmp::Reverse(i.id)))
            .collect();
        victims.sort_unstable();
        for (_, std::cmp::Reverse(id)) in victims.into_iter().take(count as usize) {
            match self.instances[id.index()].phase {
                Phase::WaitingForPlacement => {
                    self.waiting.remove(&id);
                    self.set_phase(id, Phase::Stopped);
                }
                Phase::FetchingImage => {
                    self.release(id);
                    self.set_phase(id, Phase::Stopped);
                }
                _ => {
                    self.set_phase(id, Phase::Stopping);
                    let d = self.spec.platform.stop_time().sample(&mut self.stop_rng);
                    self.schedule_phase_end(id, d, Due::StopDone(id));
                }
            }
        }
        self.place_waiting();
    }

    /// The host goes down with everything on it; `live` when a person at the controls did it.
    fn fail_host(&mut self, host: HostId, live: bool) {
        if !self.hosts[host.index()].up {
            return;
        }
        let lost: Vec<InstanceId> = self.hosts[host.index()].instances.iter().copied().collect();
        if let Some(t) = self.traffic.as_deref_mut() {
            for &id in &lost {
                t.set_on_host(id, false);
            }
        }
        if self.kube.is_some() {
            self.kube_host_failed(host, &lost, live);
        } else {
            for &id in &lost {
                self.set_phase(id, Phase::Failed);
            }
        }
        {
            let h = &mut self.hosts[host.index()];
            h.up = false;
            h.down_since = Some(self.now);
            h.instances.clear();
            h.cpu_used = Millicores(0);
            h.memory_used = Bytes(0);
            h.overhead_memory = Bytes(0);
            h.disk_reserved = Bytes(0);
            h.occupied = false;
            h.downloading.clear();
            h.cache.unpin_all();
        }
        self.registry.cancel_host(self.now, host);
        self.schedule_transfers();
        self.update_power(host);
        self.dirty_hosts.insert(host);
        self.emit(EventKind::HostDown { host });
        if let Some(delay) = self.spec.replace_failed_after {
            for id in lost {
                let (workload, demand) = (self.instances[id.index()].workload, self.instances[id.index()].demand);
                self.queue.schedule(self.now + delay, Due::Replace { workload, demand, replaces: id });
            }
        }
        self.place_waiting();
    }

    fn recover_host(&mut self, host: HostId) {
        if self.hosts[host.index()].up {
            return;
        }
        self.hosts[host.index()].up = true;
        self.hosts[host.index()].down_since = None;
        self.update_power(host);
        self.kube_host_recovered(host);
        self.dirty_hosts.insert(host);
        self.emit(EventKind::HostUp { host });
        self.place_waiting();
    }
}
