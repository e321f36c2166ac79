//! Request traffic through each service, at one of two fidelities.
//!
//! Per request ([`per_request`]): arrivals are a Poisson process whose rate
//! follows the load profile (drawn by thinning), each request takes a CPU
//! time drawn from the service's cost distribution on one of an instance's
//! workers, and waits in a FIFO queue (one shared queue, or one per
//! instance) for a worker. A request that has waited longer than the timeout
//! is dropped; so is one that arrives when no instance serves. Latencies are
//! exact; their percentiles come from a histogram within 0.1 %.
//!
//! Fluid ([`fluid`]): every tick the rate is split over the serving
//! instances and queueing formulas give what is served, dropped and how long
//! it takes.
//!
//! Either way every instance's CPU use is integrated, which is what
//! metrics-server scrapes for the autoscalers and what hosts draw power for.
//! Every record is bounded: statistics are running sums and histograms, and
//! the per-second accounting keeps one second at a time.

mod fluid;
mod per_request;

use std::collections::VecDeque;

use super::{Due, World};
use crate::engine::numbers::round;
use crate::engine::stats::{Durations, nearest_rank};
use crate::engine::{RandomStream, SimDuration, SimTime};
use crate::model::traffic::{ServiceLoad, TrafficMode};
use crate::model::{HostId, InstanceId, InstanceSet, Phase, WorkloadId};

pub use crate::behaviours::cluster::PodStatus;
pub use fluid::{FluidLatency, mean_latency};

/// metrics-server's `--metric-resolution` default: a sample every 15 s.
pub const SCRAPE_INTERVAL: SimDuration = SimDuration::from_secs(15);

#[derive(Clone, Debug)]
pub(super) enum TrafficDue {
    /// The next candidate arrival for a service (accepted or thinned away).
    Arrival(u32),
    /// A request finishes on an instance; stale when the instance's epoch moved on.
    Departure { service: u32, instance: InstanceId, epoch: u32, arrival: SimTime },
    /// Fluid mode: the next tick.
    Tick,
}

#[derive(Clone, Copy, Debug)]
struct Request {
    arrival: SimTime,
    cost: SimDuration,
}

/// One instance's share of the services it serves (per request).
#[derive(Clone, Debug, Default)]
pub struct InstanceLoad {
    queue: VecDeque<Request>,
    /// Arrival times of the requests in service.
    in_service: Vec<SimTime>,
    /// Bumped when the instance stops serving; requests in flight then are lost.
    epoch: u32,
}

impl InstanceLoad {
    /// Requests in service now.
    pub fn busy(&self) -> u32 {
        self.in_service.len() as u32
    }

    fn holds_requests(&self) -> bool {
        !self.in_service.is_empty() || !self.queue.is_empty()
    }
}

/// CPU-seconds of work an instance has done up to `since`, and the cores it has been busy on since.
#[derive(Clone, Copy, Debug)]
struct Work {
    done: f64,
    busy: f64,
    since: SimTime,
}

impl Work {
    const NONE: Work = Work { done: 0.0, busy: 0.0, since: SimTime::ZERO };

    #[inline]
    fn at(&self, now: SimTime) -> f64 {
        self.done + self.busy * now.since(self.since).as_secs_f64()
    }
}

/// What a fluid tick, the power model, metrics-server and the HPA read of an
/// instance, in two cache lines: over a cluster of 100,000 pods a table per
/// field would cost a miss per field and per pod. The first line is what a
/// fluid tick reads and writes; the second, metrics-server's record (with
/// the count of scrapes it has taken) and the pod's status as the HPA reads
/// it, so an HPA sync that finds the record up to date reads one line.
///
/// metrics-server's scrapes are taken lazily: every scrape that falls while
/// nothing about the instance changes would read the same work function, so
/// the record catches up on the scrapes taken since it last did just before
/// anything it depends on changes (its work, phase or host), and a read works
/// out the latest sample from it. Only the last two missed scrapes matter.
#[derive(Clone, Copy, Debug)]
#[repr(C, align(128))]
struct Meter {
    work: Work,
    /// A fluid tick's cores while it adds them up over the services.
    tick_cores: f64,
    /// Its workers' share of a core each, for the first service it joined.
    speed: f64,
    /// That service + 1 (0 before it joins one), and the workers it runs for it.
    shape_service: u32,
    workers: u32,
    /// Its host, once placed (u32::MAX before).
    host: u32,
    /// The fluid tick that last gave it cores (ticks count from 1).
    tick: u32,
    /// Its phase is Running; Running or Starting (what metrics-server scrapes).
    running: bool,
    scraped_phase: bool,
    /// In its host's set of instances (what metrics-server walks).
    on_host: bool,
    /// The work at its last scrape and when ([`SimTime::MAX`] before the first).
    scraped_work: f64,
    scraped_at: SimTime,
    /// The latest sample: millicores, when ([`SimTime::MAX`] before one), over what window.
    sample: (u64, SimTime, SimDuration),
    /// The pod's status as the HPA reads it ([`PodStatus`], times absent
    /// [`SimTime::MAX`]), and whether the instance failed.
    ready_transition: SimTime,
    start_time: SimTime,
    deleting: bool,
    pod_running: bool,
    ready: bool,
    failed: bool,
    /// The scrapes taken into account so far.
    scrapes: u32,
}

const _: () = assert!(std::mem::size_of::<Meter>() == 128);
const _: () = assert!(std::mem::offset_of!(Meter, scraped_work) == 64 && std::mem::offset_of!(Meter, scrapes) > 64);

impl Default for Meter {
    fn default() -> Self {
        Meter {
            work: Work::NONE,
            tick_cores: 0.0,
            speed: 0.0,
            shape_service: 0,
            workers: 0,
            host: u32::MAX,
            tick: 0,
            scrapes: 0,
            running: false,
            scraped_phase: false,
            on_host: false,
            scraped_work: 0.0,
            scraped_at: SimTime::MAX,
            sample: (0, SimTime::MAX, SimDuration::ZERO),
            ready_transition: SimTime::MAX,
            start_time: SimTime::MAX,
            deleting: false,
            pod_running: false,
            ready: false,
            failed: false,
        }
    }
}

/// Every instance's meter, kept beside the meters of the other instances of
/// its workload, in id order: a Service's endpoints and a ReplicaSet's pods
/// are one workload's instances in id order, so a fluid tick or an HPA sync
/// walking them reads memory in order, where a table by id would have the
/// workloads of a large cluster interleaved.
#[derive(Clone, Debug, Default)]
struct Meters {
    /// Per workload, its instances' meters.
    groups: Vec<Vec<Meter>>,
    /// By instance id: its workload and place there (`u32::MAX` before it has one).
    at: Vec<(u32, u32)>,
}

impl Meters {
    /// A meter for a new instance; ids grow, so it goes at the end of its workload's.
    fn add(&mut self, id: InstanceId, workload: WorkloadId) {
        let g = workload.index();
        if self.groups.len() <= g {
            self.groups.resize_with(g + 1, Vec::new);
        }
        if self.at.len() <= id.index() {
            self.at.resize(id.index() + 1, (u32::MAX, u32::MAX));
        }
        if self.at[id.index()].0 == u32::MAX {
            self.at[id.index()] = (g as u32, self.groups[g].len() as u32);
            self.groups[g].push(Meter::default());
        }
    }

    #[inline]
    fn get(&self, id: InstanceId) -> Option<&Meter> {
        let &(g, i) = self.at.get(id.index())?;
        self.groups.get(g as usize)?.get(i as usize)
    }

    /// The meter of an instance of this world: every instance gets one when it is launched.
    #[inline]
    fn of(&mut self, id: InstanceId) -> &mut Meter {
        let (g, i) = self.at[id.index()];
        &mut self.groups[g as usize][i as usize]
    }
}

/// The time of the `k`-th scrape (from 1).
fn scrape_time(k: u32) -> SimTime {
    SimTime::ZERO + SimDuration(SCRAPE_INTERVAL.as_micros() * u64::from(k))
}

impl Meter {
    /// metrics-server's record once `scrapes` scrapes have been taken: the
    /// work at the last one that saw the instance and when, and the latest sample.
    #[inline]
    fn scraped(&self, scrapes: u32) -> (f64, SimTime, (u64, SimTime, SimDuration)) {
        let mut record = (self.scraped_work, self.scraped_at, self.sample);
        if self.scrapes >= scrapes || !(self.scraped_phase && self.on_host) {
            return record;
        }
        for k in (self.scrapes + 1).max(scrapes - 1)..=scrapes {
            let now = scrape_time(k);
            let work = self.work.at(now);
            let (before, at) = if record.1 == SimTime::MAX { (work, now) } else { (record.0, record.1) };
            let window = now.since(at);
            if window > SimDuration::ZERO {
                let millicores = round(((work - before) / window.as_secs_f64() * 1000.0).max(0.0)) as u64;
                record.2 = (millicores, now, window);
            }
            (record.0, record.1) = (work, now);
        }
        record
    }

    /// Takes the scrapes missed so far, before something they read changes.
    #[inline]
    fn catch_up(&mut self, scrapes: u32) {
        if self.scrapes < scrapes {
            (self.scraped_work, self.scraped_at, self.sample) = self.scraped(scrapes);
            self.scrapes = scrapes;
        }
    }

    /// The latest sample once `scrapes` scrapes have been taken.
    #[inline]
    fn sample(&self, scrapes: u32) -> Option<CpuSample> {
        let sample = self.scraped(scrapes).2;
        (sample.1 != SimTime::MAX).then_some(sample)
    }
}

/// One calendar second of a service's completions and drops, for its SLO and
/// for the traffic series.
#[derive(Clone, Debug, Default)]
struct Second {
    second: u64,
    /// Latencies completed in it, microseconds.
    latencies: Vec<u64>,
    drops: u32,
}

impl Second {
    /// Whether its p95 over served and dropped requests, dropped ones counting
    /// as slowest (nearest rank), exceeded `slo`; and the p95 of what was
    /// served, seconds. Sorts the latencies.
    fn close(&mut self, slo: SimDuration) -> (bool, Option<f64>) {
        self.latencies.sort_unstable();
        let n = self.latencies.len() + self.drops as usize;
        let missed = n > 0 && {
            let rank = libm::ceil(0.95 * n as f64) as usize;
            rank > self.latencies.len() || self.latencies[rank - 1] > slo.as_micros()
        };
        (missed, nearest_rank(&self.latencies, 0.95).map(|us| us as f64 / 1e6))
    }
}

/// What one service did, for the metrics.
#[derive(Clone, Debug, Default)]
pub struct ServiceStats {
    /// Requests that arrived after the warm-up (fluid mode rounds the running sums).
    pub arrived: u64,
    pub served: u64,
    pub dropped: u64,
    /// Per request: every counted latency.
    pub latencies: Durations,
    pub waits_total: f64,
    /// Time integral of requests in the system (seconds · requests), after the warm-up.
    pub in_system_integral: f64,
    /// Seconds (fluid: ticks) whose p95 exceeded the SLO, drops counting as too slow.
    pub slo_violations: u64,
    /// The p95 of what was served in the last second that closed (per
    /// request): when it closed, and the p95.
    pub last_p95: Option<(SimTime, f64)>,
    /// Fluid mode: the last tick's served requests, (weight, part), for its p95.
    pub tick_parts: Vec<(f64, fluid::Part)>,
    /// Fluid mode: the latency distribution of what was served, and the
    /// unrounded requests arrived, served and dropped.
    pub fluid: FluidLatency,
    pub fluid_totals: (f64, f64, f64),
    /// The second being counted (per request).
    second: Second,
}

impl ServiceStats {
    /// `n` requests dropped at `now`.
    fn drop_at(&mut self, now: SimTime, n: u64, slo: SimDuration) {
        self.dropped += n;
        self.roll(now, slo);
        self.second.drops += n as u32;
    }

    /// A request served at `now` after `latency`.
    #[inline]
    fn served_at(&mut self, now: SimTime, latency: SimDuration, slo: SimDuration) {
        self.served += 1;
        self.latencies.record(latency);
        self.roll(now, slo);
        self.second.latencies.push(latency.as_micros());
    }

    /// Closes the counted second if `now` is in a later one.
    #[inline]
    fn roll(&mut self, now: SimTime, slo: SimDuration) {
        let second = now.as_micros() / 1_000_000;
        if second != self.second.second {
            self.close_second(slo);
            self.second.second = second;
        }
    }

    fn close_second(&mut self, slo: SimDuration) {
        let (missed, p95) = self.second.close(slo);
        self.slo_violations += u64::from(missed);
        if let Some(p95) = p95 {
            self.last_p95 = Some((SimTime((self.second.second + 1) * 1_000_000), p95));
        }
        self.second.latencies.clear();
        self.second.drops = 0;
    }

    /// Seconds (per request) whose p95 exceeded `slo`, the second still open included.
    pub fn slo_violation_seconds(&self, slo: SimDuration) -> u64 {
        self.slo_violations + u64::from(self.second.clone().close(slo).0)
    }

    /// The p95 of what the last tick served (fluid mode), seconds.
    pub fn tick_p95(&self) -> Option<f64> {
        fluid::mixture_quantile(self.tick_parts.iter().copied(), 0.95)
    }
}

/// One service's live state.
#[derive(Clone, Debug)]
pub struct ServiceState {
    pub spec: ServiceLoad,
    /// Instances serving it now, in id order.
    pub endpoints: Vec<InstanceId>,
    /// Endpoints that run and have a free worker (shared queue).
    idle: InstanceSet,
    shared: VecDeque<Request>,
    cursor: usize,
    /// Arrivals and their costs: the same stream in every world, so that the
    /// worlds of a scenario serve the very same requests.
    arrivals: RandomStream,
    /// Routing choices, this world's own.
    routing: RandomStream,
    pub in_system: u64,
    last_change: SimTime,
    pub stats: ServiceStats,
    pub rate_now: f64,
    /// The load profile's highest rate, the ceiling of the thinning.
    max_rate: f64,
    /// The latest arrivals (per request), newest last.
    pub recent: VecDeque<RecentArrival>,
    /// Fluid mode: requests waiting beyond what the servers take at once, carried from tick to tick.
    pub backlog: f64,
}

/// One of a service's latest arrivals, kept for drawing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecentArrival {
    pub at: SimTime,
    /// The endpoint the request was sent to, when the routing picks one on
    /// arrival (not with a shared queue, where the first free worker takes it).
    pub endpoint: Option<InstanceId>,
    /// No instance was there to serve it, or the one picked was already gone.
    pub dropped: bool,
}

/// Arrivals kept in [`ServiceState::recent`] for drawing.
pub const RECENT_ARRIVALS: usize = 96;

impl ServiceState {
    /// When the number of requests inside last changed.
    pub fn last_change(&self) -> SimTime {
        self.last_change
    }

    /// Whether a request that arrived at `arrival` counts, being after the warm-up.
    fn counts(&self, arrival: SimTime) -> bool {
        arrival.since(SimTime::ZERO) >= self.spec.warmup
    }

    /// Requests waiting in the service's shared queue.
    pub fn shared_queued(&self) -> usize {
        self.shared.len()
    }
}

/// metrics-server's latest sample of an instance: millicores, when, over what window.
pub use crate::behaviours::cluster::CpuSample;

/// All traffic in a world.
#[derive(Clone, Debug)]
pub struct Traffic {
    pub mode: TrafficMode,
    pub services: Vec<ServiceState>,
    /// By instance id: per-request queues; CPU work, what the tick reads and
    /// metrics-server's records; the cores busy, which the power model adds
    /// up host by host.
    load: Vec<InstanceLoad>,
    meters: Meters,
    busy: Vec<f64>,
    /// Scrapes metrics-server has taken, and fluid ticks so far.
    scrapes: u32,
    ticks: u32,
    /// Each app's services, in service order, by the app's index.
    services_of_app: Vec<Vec<u32>>,
    /// Endpoints over all services.
    endpoints_total: usize,
    scratch_services: Vec<u32>,
    /// In fluid mode, instances that stopped serving somewhere (left a
    /// service's endpoints, or stopped running) since the last tick: those
    /// busy then that no service gives cores to now become idle.
    stopped_serving: Vec<InstanceId>,
    /// Serving instances over time: the integral (instance-seconds), the most, and the last count and change.
    pub replicas_integral: f64,
    pub replicas_max: usize,
    replicas_now: usize,
    replicas_since: SimTime,
}

fn slot<T: Default>(v: &mut Vec<T>, id: InstanceId) -> &mut T {
    if v.len() <= id.index() {
        v.resize_with(id.index() + 1, T::default);
    }
    &mut v[id.index()]
}

impl Traffic {
    /// CPU-seconds an instance has done up to `now`.
    pub fn work(&self, id: InstanceId, now: SimTime) -> f64 {
        self.meters.get(id).map_or(0.0, |m| m.work.at(now))
    }

    /// The time-weighted mean of serving instances from the start to `now`.
    pub fn replicas_mean(&self, now: SimTime) -> f64 {
        let total = self.replicas_integral + self.replicas_now as f64 * now.since(self.replicas_since).as_secs_f64();
        total / now.since(SimTime::ZERO).as_secs_f64().max(1e-9)
    }

    #[inline]
    fn set_work(&mut self, id: InstanceId, now: SimTime, busy: f64) {
        let meter = self.meters.of(id);
        meter.catch_up(self.scrapes);
        let w = &mut meter.work;
        w.done = w.at(now);
        w.busy = busy.max(0.0);
        w.since = now;
        *slot(&mut self.busy, id) = w.busy;
    }

    /// CPU cores an instance is using now.
    #[inline]
    pub fn busy(&self, id: InstanceId) -> f64 {
        self.busy.get(id.index()).copied().unwrap_or(0.0)
    }

    /// Requests waiting in an instance's own queue.
    pub fn queued(&self, id: InstanceId) -> usize {
        self.load.get(id.index()).map_or(0, |l| l.queue.len())
    }

    /// metrics-server's latest sample of an instance.
    pub fn sample(&self, id: InstanceId) -> Option<CpuSample> {
        self.meters.get(id).and_then(|m| m.sample(self.scrapes))
    }

    /// A new instance of `workload` gets its meter.
    pub(super) fn launched(&mut self, id: InstanceId, workload: WorkloadId) {
        self.meters.add(id, workload);
    }

    /// Keeps the HPA's copy of a pod's status.
    pub(super) fn set_pod_status(&mut self, id: InstanceId, status: PodStatus) {
        let m = self.meters.of(id);
        (m.deleting, m.pod_running, m.ready) = (status.deleting, status.running, status.ready);
        (m.ready_transition, m.start_time) = (status.ready_transition, status.start_time);
    }

    /// Whether the instance is in its host's set of instances, which metrics-server walks.
    pub(super) fn set_on_host(&mut self, id: InstanceId, on_host: bool) {
        let meter = self.meters.of(id);
        if meter.on_host != on_host {
            meter.catch_up(self.scrapes);
            meter.on_host = on_host;
        }
    }

    fn load_mut(&mut self, id: InstanceId) -> &mut InstanceLoad {
        slot(&mut self.load, id)
    }

    /// Keeps the meter's copy of an instance's phase and host.
    pub(super) fn phase_changed(&mut self, id: InstanceId, phase: Phase, host: Option<HostId>) {
        let meter = self.meters.of(id);
        meter.catch_up(self.scrapes);
        let stopped = meter.running && phase != Phase::Running;
        meter.running = phase == Phase::Running;
        meter.scraped_phase = matches!(phase, Phase::Running | Phase::Starting);
        meter.host = host.map_or(u32::MAX, |h| h.0);
        meter.failed = phase == Phase::Failed;
        if stopped {
            self.stopped_serving(id);
        }
    }

    /// `id` stopped serving a service (fluid mode keeps the list for its next tick).
    fn stopped_serving(&mut self, id: InstanceId) {
        if matches!(self.mode, TrafficMode::Fluid { .. }) {
            self.stopped_serving.push(id);
        }
    }

    /// What the HPA reads of a pod: whether it failed, its status, and
    /// metrics-server's latest sample of it.
    #[inline]
    pub fn pod_metrics(&self, id: InstanceId) -> (bool, PodStatus, Option<CpuSample>) {
        self.meters.get(id).map_or((false, PodStatus::default(), None), |m| {
            let status = PodStatus {
                deleting: m.deleting,
                running: m.pod_running,
                ready: m.ready,
                ready_transition: m.ready_transition,
                start_time: m.start_time,
            };
            (m.failed, status, m.sample(self.scrapes))
        })
    }

    /// The `http_requests_per_second` a pod reports beside a CPU sample of
    /// `millicores`: the requests that CPU work served over the same window,
    /// the work divided by the mean CPU cost of a request of the first
    /// service the pod joined (thousandths of a request a second). A pod that
    /// has served no service reports 0.
    pub fn request_rate(&self, id: InstanceId, millicores: u64) -> u64 {
        let Some(m) = self.meters.get(id) else { return 0 };
        let service = (m.shape_service as usize).checked_sub(1).and_then(|i| self.services.get(i));
        service.map_or(0, |s| {
            let cost = s.spec.cost.mean().as_secs_f64();
            if cost > 0.0 { crate::engine::numbers::round(millicores as f64 / cost) as u64 } else { 0 }
        })
    }

    /// Whether the instance runs, as the meter keeps it.
    #[inline]
    fn running(&self, id: InstanceId) -> bool {
        self.meters.get(id).is_some_and(|m| m.running)
    }
}

impl World {
    pub fn traffic(&self) -> Option<&Traffic> {
        self.traffic.as_deref()
    }

    pub(super) fn init_traffic(&mut self) {
        if self.spec.services.is_empty() {
            return;
        }
        let services = self
            .spec
            .services
            .iter()
            .map(|s| ServiceState {
                spec: s.clone(),
                endpoints: Vec::new(),
                idle: InstanceSet::new(),
                shared: VecDeque::new(),
                cursor: 0,
                arrivals: RandomStream::derive(self.setup.seed, "services", &format!("arrivals:{}", s.name)),
                routing: RandomStream::derive(self.setup.seed, &self.spec.name, &format!("routing:{}", s.name)),
                in_system: 0,
                last_change: SimTime::ZERO,
                stats: ServiceStats::default(),
                rate_now: s.load.rate(SimTime::ZERO),
                max_rate: s.load.max_rate(),
                recent: VecDeque::new(),
                backlog: 0.0,
            })
            .collect();
        let mut services_of_app: Vec<Vec<u32>> = vec![Vec::new(); self.setup.apps.len()];
        for (i, s) in self.spec.services.iter().enumerate() {
            services_of_app[s.app.index()].push(i as u32);
        }
        self.traffic = Some(Box::new(Traffic {
            mode: self.setup.traffic_mode,
            services,
            load: Vec::new(),
            meters: Meters::default(),
            busy: Vec::new(),
            scrapes: 0,
            ticks: 0,
            stopped_serving: Vec::new(),
            services_of_app,
            endpoints_total: 0,
            scratch_services: Vec::new(),
            replicas_integral: 0.0,
            replicas_max: 0,
            replicas_now: 0,
            replicas_since: SimTime::ZERO,
        }));
        // Instances that exist already (the cluster's own) get their meters.
        let t = self.traffic.as_deref_mut().expect("traffic was just set up");
        for inst in &self.instances {
            t.meters.add(inst.id, inst.workload);
            t.phase_changed(inst.id, inst.phase, inst.host);
        }
        for &id in self.hosts.iter().flat_map(|h| h.instances.iter()) {
            t.set_on_host(id, true);
        }
        self.queue.schedule(SimTime::ZERO + SCRAPE_INTERVAL, Due::Scrape);
        match self.setup.traffic_mode {
            TrafficMode::PerRequest => {
                for i in 0..self.spec.services.len() {
                    self.schedule_arrival(i);
                }
            }
            TrafficMode::Fluid { tick } => {
                self.queue.schedule(SimTime::ZERO + tick, Due::Traffic(TrafficDue::Tick));
            }
        }
    }

    fn traffic_mut(&mut self) -> &mut Traffic {
        self.traffic.as_deref_mut().expect("traffic is set up")
    }

    /// Whether `id` is an endpoint of its app's services: in Kubernetes, as the
    /// endpoints controller last listed the Ready pods (an instance that has
    /// just died stays listed until the control plane notices); elsewhere,
    /// while it runs.
    fn serves(&self, id: InstanceId) -> bool {
        match self.kube() {
            Some(k) => k.endpoints_controller.serving.contains(&id),
            None => self.instances[id.index()].phase == Phase::Running,
        }
    }

    /// Brings services' endpoints up to date for instances whose phase or
    /// readiness changed (`changed`, in id order), and drops what instances
    /// that stopped running still held.
    pub(super) fn refresh_endpoints(&mut self, changed: &[InstanceId]) {
        if self.traffic.is_none() {
            return;
        }
        // The services of the changed instances' apps, in service order.
        let mut services = std::mem::take(&mut self.traffic_mut().scratch_services);
        services.clear();
        let t = self.traffic.as_deref().expect("traffic");
        for &id in changed {
            if let Some(of_app) = t.services_of_app.get(self.instances[id.index()].workload.index()) {
                services.extend_from_slice(of_app);
            }
        }
        services.sort_unstable();
        services.dedup();
        for &i in &services {
            let i = i as usize;
            let app = self.traffic().expect("traffic").services[i].spec.app;
            for &id in changed {
                if self.instances[id.index()].workload.0 != app.0 {
                    continue;
                }
                let serves = self.serves(id);
                let stopping = self.instances[id.index()].phase == Phase::Stopping;
                let endpoints = &mut self.traffic_mut().services[i].endpoints;
                match (endpoints.binary_search(&id), serves) {
                    (Err(at), true) => {
                        endpoints.insert(at, id);
                        self.traffic_mut().endpoints_total += 1;
                        let (workers, speed) = self.work_out_workers(i, id);
                        let meter = self.traffic_mut().meters.of(id);
                        if meter.shape_service == 0 {
                            (meter.shape_service, meter.workers, meter.speed) = (i as u32 + 1, workers, speed);
                        }
                    }
                    // Terminating: it gets no new requests and serves what it
                    // holds until it stops (what is left then is lost).
                    (Ok(at), false) if stopping => {
                        endpoints.remove(at);
                        self.traffic_mut().endpoints_total -= 1;
                        self.traffic_mut().stopped_serving(id);
                    }
                    // It stopped serving: its queue and, if it failed, what it had in flight are lost.
                    (Ok(at), false) => {
                        let before = endpoints.len();
                        endpoints.remove(at);
                        self.traffic_mut().endpoints_total -= 1;
                        self.traffic_mut().stopped_serving(id);
                        self.drop_instance_load(i, id);
                        self.fluid_endpoint_left(i, before);
                    }
                    _ => {}
                }
                self.update_idle(i, id);
            }
        }
        self.traffic_mut().scratch_services = services;
        // Instances still holding requests that are no longer running lose them,
        // endpoints or not.
        for &id in changed {
            let t = self.traffic.as_deref().expect("traffic");
            let holds = t.load.get(id.index()).is_some_and(InstanceLoad::holds_requests);
            if !holds || matches!(self.instances[id.index()].phase, Phase::Running | Phase::Stopping) {
                continue;
            }
            let workload = self.instances[id.index()].workload.index();
            if let Some(&i) = t.services_of_app.get(workload).and_then(|of_app| of_app.first()) {
                self.drop_instance_load(i as usize, id);
            }
        }
        let now = self.now;
        let t = self.traffic_mut();
        let total = t.endpoints_total;
        debug_assert_eq!(total, t.services.iter().map(|s| s.endpoints.len()).sum::<usize>());
        t.replicas_integral += t.replicas_now as f64 * now.since(t.replicas_since).as_secs_f64();
        t.replicas_now = total;
        t.replicas_since = now;
        t.replicas_max = t.replicas_max.max(total);
    }

    /// An instance left a service: its queued requests are lost, and if it is
    /// no longer running (failed, crashed, stopped), so are those in service.
    fn drop_instance_load(&mut self, service: usize, id: InstanceId) {
        let failed = !matches!(self.instances[id.index()].phase, Phase::Running | Phase::Stopping);
        let now = self.now;
        let host = self.instances[id.index()].host;
        let t = self.traffic_mut();
        let Some(load) = t.load.get_mut(id.index()) else { return };
        let queued: Vec<Request> = load.queue.drain(..).collect();
        let in_service = if failed { std::mem::take(&mut load.in_service) } else { Vec::new() };
        if failed {
            load.epoch += 1;
            t.set_work(id, now, 0.0);
        }
        let s = &mut t.services[service];
        let lost = queued.iter().map(|r| r.arrival).chain(in_service).collect::<Vec<_>>();
        Self::account_in_system(s, now, -(lost.len() as i64));
        let counted = lost.iter().filter(|&&a| s.counts(a)).count();
        if counted > 0 {
            let slo = s.spec.slo_p95;
            s.stats.drop_at(now, counted as u64, slo);
        }
        if failed && let Some(h) = host {
            self.update_power(h);
        }
    }

    #[inline]
    fn account_in_system(s: &mut ServiceState, now: SimTime, delta: i64) {
        if now.since(SimTime::ZERO) > s.spec.warmup {
            let from = s.last_change.max(SimTime::ZERO + s.spec.warmup);
            s.stats.in_system_integral += s.in_system as f64 * now.since(from).as_secs_f64();
        }
        s.last_change = now;
        s.in_system = (s.in_system as i64 + delta).max(0) as u64;
    }

    pub(super) fn handle_traffic(&mut self, due: TrafficDue) {
        match due {
            TrafficDue::Arrival(i) => self.arrival(i as usize),
            TrafficDue::Departure { service, instance, epoch, arrival } => {
                self.departure(service as usize, instance, epoch, arrival)
            }
            TrafficDue::Tick => self.fluid_tick(),
        }
    }

    /// The cores an instance's work runs on: a dedicated server's, or what the
    /// instance requests; a pod that requests no CPU gets one core.
    pub(super) fn cores_held(&self, id: InstanceId) -> f64 {
        let inst = &self.instances[id.index()];
        let cores = match (&self.spec.platform, inst.host) {
            (crate::model::spec::Platform::Dedicated(_), Some(h)) => self.setup.hosts[h.index()].cpu.as_cores(),
            _ => self.demands[inst.demand.index()].cpu.as_cores(),
        };
        if cores > 0.0 { cores } else { 1.0 }
    }

    /// Workers an instance runs for a service, and the share of a core each
    /// runs at: its concurrency per core times the cores the instance holds
    /// (at least one worker), all sharing those cores, as under a CPU limit
    /// equal to the request.
    #[inline]
    fn workers(&self, service: usize, id: InstanceId) -> (u32, f64) {
        if let Some(t) = self.traffic.as_deref()
            && let Some(m) = t.meters.get(id)
            && m.shape_service as usize == service + 1
        {
            return (m.workers, m.speed);
        }
        self.work_out_workers(service, id)
    }

    fn work_out_workers(&self, service: usize, id: InstanceId) -> (u32, f64) {
        let per_core = self.traffic.as_deref().map_or(1, |t| t.services[service].spec.concurrency.max(1));
        let cores = self.cores_held(id);
        let workers = crate::engine::numbers::round(f64::from(per_core) * cores).max(1.0) as u32;
        (workers, cores / f64::from(workers))
    }

    /// CPU cores busy on a host now, from the traffic it serves.
    pub(super) fn busy_cores(&self, host: crate::model::HostId) -> Option<f64> {
        let t = self.traffic.as_deref()?;
        Some(self.hosts[host.index()].instances.iter().map(|id| t.busy(*id)).sum())
    }

    /// metrics-server: every instance on a host in phase Running or Starting
    /// has its CPU use over the last interval sampled, in millicores. Each
    /// meter takes the scrape when it is next read or changed ([`Meter`]).
    pub(super) fn scrape(&mut self) {
        let now = self.now;
        let t = self.traffic.as_deref_mut().expect("traffic is set up");
        t.scrapes += 1;
        debug_assert_eq!(scrape_time(t.scrapes), now);
        self.queue.schedule(now + SCRAPE_INTERVAL, Due::Scrape);
    }
}
