//! Request traffic through each service, at one of two fidelities.
//!
//! Per request: arrivals are a Poisson process whose rate follows the load
//! profile (drawn by thinning), each request takes a CPU time drawn from the
//! service's cost distribution on one of an instance's workers, and waits
//! in a FIFO queue (one shared queue, or one per instance) for a worker.
//! A request that has waited longer than the timeout is dropped; so is one
//! that arrives when no instance serves. Latencies are exact.
//!
//! Fluid: every tick the rate is split over the serving instances, and the
//! M/M/c formulas give the wait and the latency distribution; load above
//! capacity is dropped.
//!
//! Either way every instance's CPU use is integrated, which is what
//! metrics-server scrapes for the autoscalers and what hosts draw power for.

use std::collections::{BTreeMap, VecDeque};

use super::{Due, World};
use crate::behaviours::queueing;
use crate::engine::{RandomStream, SimDuration, SimTime};
use crate::model::traffic::{Routing, ServiceLoad, TrafficMode};
use crate::model::{InstanceId, Phase};

/// metrics-server's `--metric-resolution` default: a sample every 15 s.
pub const SCRAPE_INTERVAL: SimDuration = SimDuration::from_secs(15);

#[derive(Clone, Debug)]
pub(super) enum TrafficDue {
    /// The next candidate arrival for a service (accepted or thinned away).
    Arrival(usize),
    /// A request finishes on an instance; stale when the instance's epoch moved on.
    Departure { service: usize, instance: InstanceId, epoch: u32, arrival: SimTime },
    /// Fluid mode: the next tick.
    Tick,
}

#[derive(Clone, Copy, Debug)]
struct Request {
    arrival: SimTime,
    cost: SimDuration,
}

/// One instance's share of a service.
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
}

/// What one service did, for the metrics.
#[derive(Clone, Debug, Default)]
pub struct ServiceStats {
    /// Requests that arrived after the warm-up (per request; fluid mode rounds per tick).
    pub arrived: u64,
    pub served: u64,
    pub dropped: u64,
    /// Per-request latencies (seconds), or in fluid mode none (see `fluid`).
    pub latencies: Vec<f64>,
    pub waits_total: f64,
    /// Per second of simulated time: latencies of requests completed then, and drops.
    pub per_second: BTreeMap<u64, (Vec<f32>, u32)>,
    /// Time integral of requests in the system (µs · requests), after the warm-up.
    pub in_system_integral: f64,
    /// Fluid mode: per tick (weight = requests served, servers, λ, μ).
    pub fluid: Vec<(f64, u32, f64, f64)>,
    /// Fluid mode: per tick second and its p95 latency.
    pub fluid_p95: Vec<(u64, f64)>,
    /// Fluid mode: requests arrived, served and dropped, unrounded.
    pub fluid_totals: (f64, f64, f64),
}

impl ServiceStats {
    /// `n` requests dropped at `now`.
    fn drop_at(&mut self, now: SimTime, n: u64) {
        self.dropped += n;
        self.per_second.entry(now.as_micros() / 1_000_000).or_default().1 += n as u32;
    }
}

/// One service's live state.
#[derive(Clone, Debug)]
pub struct ServiceState {
    pub spec: ServiceLoad,
    /// Instances serving it now, in id order.
    pub endpoints: Vec<InstanceId>,
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
    /// The latest arrivals (per request), newest last, and whether each found no instance to serve it.
    pub recent: VecDeque<(SimTime, bool)>,
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

/// All traffic in a world.
#[derive(Clone, Debug)]
pub struct Traffic {
    pub mode: TrafficMode,
    pub services: Vec<ServiceState>,
    pub load: BTreeMap<InstanceId, InstanceLoad>,
    /// Per instance: CPU-seconds of work done up to a time, the cores busy since then, and that time.
    pub cpu_work: BTreeMap<InstanceId, (f64, f64, SimTime)>,
    /// metrics-server's latest sample per instance: millicores, when, over what window.
    pub samples: BTreeMap<InstanceId, (u64, SimTime, SimDuration)>,
    /// Work at the previous scrape, per instance.
    scraped: BTreeMap<InstanceId, (f64, SimTime)>,
    /// Serving instances over time: the integral (instance-seconds), the most, and the last count and change.
    pub replicas_integral: f64,
    pub replicas_max: usize,
    replicas_now: usize,
    replicas_since: SimTime,
}

impl Traffic {
    /// CPU-seconds an instance has done up to `now`.
    pub fn work(&self, id: InstanceId, now: SimTime) -> f64 {
        self.cpu_work.get(&id).map_or(0.0, |&(w, busy, since)| w + busy * now.since(since).as_secs_f64())
    }

    /// The time-weighted mean of serving instances from the start to `now`.
    pub fn replicas_mean(&self, now: SimTime) -> f64 {
        let total = self.replicas_integral + self.replicas_now as f64 * now.since(self.replicas_since).as_secs_f64();
        total / now.since(SimTime::ZERO).as_secs_f64().max(1e-9)
    }

    fn set_work(&mut self, id: InstanceId, now: SimTime, busy: f64) {
        let w = self.cpu_work.entry(id).or_insert((0.0, 0.0, now));
        w.0 += w.1 * now.since(w.2).as_secs_f64();
        w.1 = busy.max(0.0);
        w.2 = now;
    }

    /// CPU cores an instance is using now.
    pub fn busy(&self, id: InstanceId) -> f64 {
        self.cpu_work.get(&id).map_or(0.0, |w| w.1)
    }

    /// Requests waiting in an instance's own queue.
    pub fn queued(&self, id: InstanceId) -> usize {
        self.load.get(&id).map_or(0, |l| l.queue.len())
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
            })
            .collect();
        self.traffic = Some(Box::new(Traffic {
            mode: self.setup.traffic_mode,
            services,
            load: BTreeMap::new(),
            cpu_work: BTreeMap::new(),
            samples: BTreeMap::new(),
            scraped: BTreeMap::new(),
            replicas_integral: 0.0,
            replicas_max: 0,
            replicas_now: 0,
            replicas_since: SimTime::ZERO,
        }));
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
            Some(k) => k.serving.contains(&id),
            None => self.instances[id.index()].phase == Phase::Running,
        }
    }

    /// Brings services' endpoints up to date for instances whose phase or
    /// readiness changed (`changed`, in id order), and drops what instances
    /// that stopped running still held.
    pub(super) fn refresh_endpoints(&mut self, changed: &[InstanceId]) {
        let Some(t) = self.traffic.as_deref() else { return };
        let apps: Vec<_> = t.services.iter().map(|s| s.spec.app).collect();
        for (i, &app) in apps.iter().enumerate() {
            for &id in changed {
                if self.instances[id.index()].workload.0 != app.0 {
                    continue;
                }
                let serves = self.serves(id);
                let endpoints = &mut self.traffic_mut().services[i].endpoints;
                match (endpoints.binary_search(&id), serves) {
                    (Err(at), true) => endpoints.insert(at, id),
                    // It stopped serving: its queue and, if it failed, what it had in flight are lost.
                    (Ok(at), false) => {
                        endpoints.remove(at);
                        self.drop_instance_load(i, id);
                    }
                    _ => {}
                }
            }
        }
        // Instances still holding requests that are no longer running lose them,
        // endpoints or not.
        for &id in changed {
            let t = self.traffic.as_deref().expect("traffic");
            let holds = t.load.get(&id).is_some_and(|l| !l.in_service.is_empty() || !l.queue.is_empty());
            if !holds || matches!(self.instances[id.index()].phase, Phase::Running | Phase::Stopping) {
                continue;
            }
            let app = self.instances[id.index()].workload.0;
            if let Some(i) = apps.iter().position(|a| a.0 == app) {
                self.drop_instance_load(i, id);
            }
        }
        let now = self.now;
        let t = self.traffic_mut();
        let total: usize = t.services.iter().map(|s| s.endpoints.len()).sum();
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
        let Some(load) = t.load.get_mut(&id) else { return };
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
            s.stats.drop_at(now, counted as u64);
        }
        if failed && let Some(h) = host {
            self.update_power(h);
        }
    }

    fn account_in_system(s: &mut ServiceState, now: SimTime, delta: i64) {
        if now.since(SimTime::ZERO) > s.spec.warmup {
            let from = s.last_change.max(SimTime::ZERO + s.spec.warmup);
            s.stats.in_system_integral += s.in_system as f64 * now.since(from).as_secs_f64();
        }
        s.last_change = now;
        s.in_system = (s.in_system as i64 + delta).max(0) as u64;
    }

    fn schedule_arrival(&mut self, i: usize) {
        let now = self.now;
        let s = &mut self.traffic_mut().services[i];
        let max = s.max_rate;
        if max <= 0.0 {
            return;
        }
        let gap = -libm::log(s.arrivals.next_open_f64()) / max;
        self.queue.schedule(now + SimDuration::from_secs_f64(gap), Due::Traffic(TrafficDue::Arrival(i)));
    }

    pub(super) fn handle_traffic(&mut self, due: TrafficDue) {
        match due {
            TrafficDue::Arrival(i) => self.arrival(i),
            TrafficDue::Departure { service, instance, epoch, arrival } => {
                self.departure(service, instance, epoch, arrival)
            }
            TrafficDue::Tick => self.fluid_tick(),
        }
    }

    fn arrival(&mut self, i: usize) {
        self.schedule_arrival(i);
        let now = self.now;
        let s = &mut self.traffic_mut().services[i];
        let rate = s.spec.load.rate(now);
        s.rate_now = rate;
        // Thinning: accept with probability rate / max.
        if s.arrivals.next_f64() * s.max_rate >= rate {
            return;
        }
        let cost = s.spec.cost.sample(&mut s.arrivals);
        let request = Request { arrival: now, cost };
        let counted = s.counts(now);
        if counted {
            s.stats.arrived += 1;
        }
        if s.recent.len() == RECENT_ARRIVALS {
            s.recent.pop_front();
        }
        s.recent.push_back((now, s.endpoints.is_empty()));
        if s.endpoints.is_empty() {
            if counted {
                s.stats.drop_at(now, 1);
            }
            return;
        }
        Self::account_in_system(s, now, 1);
        match s.spec.routing {
            Routing::SharedQueue => {
                s.shared.push_back(request);
                // The first endpoint with a free worker takes it.
                for k in 0..s.endpoints.len() {
                    let s = &self.traffic_mut().services[i];
                    if s.shared.is_empty() {
                        break;
                    }
                    let id = s.endpoints[k];
                    self.feed_shared(i, id);
                }
            }
            routing => {
                let n = s.endpoints.len();
                let pick = match routing {
                    Routing::Random => s.endpoints[s.routing.below(n as u64) as usize],
                    Routing::RoundRobin => {
                        s.cursor = (s.cursor + 1) % n;
                        s.endpoints[s.cursor]
                    }
                    _ => {
                        // Power of two choices: the less busy of two at random.
                        let a = s.endpoints[s.routing.below(n as u64) as usize];
                        let b = s.endpoints[s.routing.below(n as u64) as usize];
                        let t = self.traffic.as_deref().expect("traffic");
                        let active = |id: &InstanceId| t.load.get(id).map_or(0, |l| l.in_service.len() + l.queue.len());
                        if active(&b) < active(&a) { b } else { a }
                    }
                };
                if self.instances[pick.index()].phase != Phase::Running {
                    // A stale endpoint: the instance is gone and the request is lost.
                    let s = &mut self.traffic_mut().services[i];
                    Self::account_in_system(s, now, -1);
                    if let Some(last) = s.recent.back_mut() {
                        last.1 = true;
                    }
                    if counted {
                        s.stats.drop_at(now, 1);
                    }
                    return;
                }
                self.traffic_mut().load.entry(pick).or_default().queue.push_back(request);
                self.start_next(i, pick);
            }
        }
    }

    /// Shared queue: give `id` requests while it has free workers.
    fn feed_shared(&mut self, i: usize, id: InstanceId) {
        let serving = self.instances[id.index()].phase == Phase::Running
            && self.traffic.as_deref().is_some_and(|t| t.services[i].endpoints.binary_search(&id).is_ok());
        if !serving {
            return;
        }
        let (concurrency, _) = self.workers(i, id);
        loop {
            let t = self.traffic_mut();
            let busy = t.load.get(&id).map_or(0, InstanceLoad::busy);
            if busy >= concurrency {
                return;
            }
            let Some(r) = t.services[i].shared.pop_front() else { return };
            t.load.entry(id).or_default().queue.push_back(r);
            self.start_next(i, id);
        }
    }

    /// Starts queued requests on `id` while it has free workers; drops those that timed out.
    fn start_next(&mut self, i: usize, id: InstanceId) {
        let now = self.now;
        let host = self.instances[id.index()].host;
        let (concurrency, speed) = self.workers(i, id);
        let mut started = false;
        loop {
            let t = self.traffic.as_deref_mut().expect("traffic");
            let load = t.load.entry(id).or_default();
            if load.busy() >= concurrency {
                break;
            }
            let Some(r) = load.queue.pop_front() else { break };
            let s = &mut t.services[i];
            let counted = s.counts(r.arrival);
            if now.since(r.arrival) > s.spec.timeout {
                Self::account_in_system(s, now, -1);
                if counted {
                    s.stats.drop_at(now, 1);
                }
                continue;
            }
            if counted {
                s.stats.waits_total += now.since(r.arrival).as_secs_f64();
            }
            let load = t.load.get_mut(&id).expect("just inserted");
            load.in_service.push(r.arrival);
            let epoch = load.epoch;
            let busy = f64::from(load.busy()) * speed;
            t.set_work(id, now, busy);
            let service_time = SimDuration::from_secs_f64(r.cost.as_secs_f64() / speed);
            self.queue.schedule(
                now + service_time,
                Due::Traffic(TrafficDue::Departure { service: i, instance: id, epoch, arrival: r.arrival }),
            );
            started = true;
        }
        // The host's draw, once for every request started (CPU use only rose).
        if started && let Some(h) = host {
            self.update_power(h);
        }
    }

    fn departure(&mut self, i: usize, id: InstanceId, epoch: u32, arrival: SimTime) {
        let now = self.now;
        let t = self.traffic.as_deref_mut().expect("traffic");
        let Some(load) = t.load.get_mut(&id) else { return };
        if load.epoch != epoch {
            return;
        }
        if let Some(k) = load.in_service.iter().position(|&a| a == arrival) {
            load.in_service.swap_remove(k);
        }
        let remaining = load.busy();
        let (_, speed) = self.workers(i, id);
        let t = self.traffic.as_deref_mut().expect("traffic");
        t.set_work(id, now, f64::from(remaining) * speed);
        let s = &mut t.services[i];
        Self::account_in_system(s, now, -1);
        if s.counts(arrival) {
            let latency = now.since(arrival).as_secs_f64();
            s.stats.served += 1;
            s.stats.latencies.push(latency);
            s.stats.per_second.entry(now.as_micros() / 1_000_000).or_default().0.push(latency as f32);
        }
        let shared = s.spec.routing == Routing::SharedQueue;
        if let Some(h) = self.instances[id.index()].host {
            self.update_power(h);
        }
        if shared {
            self.feed_shared(i, id);
        } else if self.instances[id.index()].phase == Phase::Running {
            self.start_next(i, id);
        }
    }

    /// Fluid mode: rates for one tick, latency from the M/M/c formulas.
    fn fluid_tick(&mut self) {
        let TrafficMode::Fluid { tick } = self.setup.traffic_mode else { return };
        let now = self.now;
        let dt = tick.as_secs_f64();
        let n_services = self.traffic_mut().services.len();
        let mut busy_per_instance: BTreeMap<InstanceId, f64> = BTreeMap::new();
        for i in 0..n_services {
            let s = &mut self.traffic_mut().services[i];
            let rate = s.spec.load.rate(now);
            s.rate_now = rate;
            let cost = s.spec.cost.mean().as_secs_f64().max(1e-9);
            let timeout = s.spec.timeout.as_secs_f64();
            let endpoints = &self.traffic.as_deref().expect("traffic").services[i].endpoints;
            let n_endpoints = endpoints.len();
            // Endpoints whose instance is no longer running (a stale entry) get
            // their share of the load and lose it.
            let live: Vec<(InstanceId, (u32, f64))> = endpoints
                .iter()
                .filter(|&&id| self.instances[id.index()].phase == Phase::Running)
                .map(|&id| (id, self.workers(i, id)))
                .collect();
            let s = &mut self.traffic_mut().services[i];
            let counted = s.counts(now);
            let second = now.as_micros() / 1_000_000;
            let arrivals = rate * dt;
            let shared = s.spec.routing == Routing::SharedQueue;
            // The queues this tick, as (instances alike, servers, λ per queue, μ).
            // A shared queue is one M/M/c over every live worker; other routing
            // splits the load evenly, one M/M/c per instance, grouped by shape.
            let mut lost_rate = 0.0;
            let mut shape_keys: Vec<(u32, u64)> = live.iter().map(|&(_, (w, v))| (w, v.to_bits())).collect();
            shape_keys.sort_unstable();
            shape_keys.dedup();
            let queues: Vec<(f64, u32, f64, f64)> = if live.is_empty() {
                lost_rate = rate;
                Vec::new()
            } else if shared {
                let servers: u32 = live.iter().map(|x| x.1.0).sum();
                let cores: f64 = live.iter().map(|&(_, (w, v))| f64::from(w) * v).sum();
                vec![(1.0, servers, rate, cores / f64::from(servers) / cost)]
            } else {
                let n = n_endpoints as f64;
                lost_rate = rate * (n - live.len() as f64) / n;
                shape_keys
                    .iter()
                    .map(|&(w, v)| {
                        let k = live.iter().filter(|x| x.1.0 == w && x.1.1.to_bits() == v).count() as f64;
                        (k, w, rate / n, f64::from_bits(v) / cost)
                    })
                    .collect()
            };
            let mut served_total = 0.0;
            let mut dropped_total = lost_rate * dt;
            // This tick's queues in `s.stats.fluid`, for its p95.
            let first_part = s.stats.fluid.len();
            let mut served_rates = Vec::with_capacity(queues.len());
            for &(k, servers, lambda, mu) in &queues {
                // Beyond capacity the excess is dropped; of the rest, those that
                // would wait past the timeout, P(Wq > timeout) = C·e^{−(cμ−λ)·timeout}.
                let admitted = lambda.min(f64::from(servers) * mu * 0.999);
                let pw = queueing::erlang_c(servers, admitted, mu);
                let waits_too_long = pw.unwrap_or(1.0) * libm::exp(-(f64::from(servers) * mu - admitted) * timeout);
                let served_rate = admitted * (1.0 - waits_too_long);
                served_rates.push(served_rate);
                let served = served_rate * k * dt;
                served_total += served;
                dropped_total += (lambda - served_rate) * k * dt;
                if counted && served > 0.0 {
                    // Wq = C/(cμ − λ), as queueing::mean_wait.
                    let w = pw.map_or(0.0, |pw| pw / (f64::from(servers) * mu - admitted));
                    s.stats.waits_total += w * served;
                    // Little's law for the tick: L = λW.
                    s.stats.in_system_integral += served_rate * k * (w + 1.0 / mu) * dt;
                    s.stats.fluid.push((served, servers, admitted, mu));
                }
            }
            if counted {
                let f = &mut s.stats.fluid_totals;
                f.0 += arrivals;
                f.1 += served_total;
                f.2 += dropped_total;
                (s.stats.arrived, s.stats.served, s.stats.dropped) =
                    (f.0.round() as u64, f.1.round() as u64, f.2.round() as u64);
                // The tick's p95 over served and dropped requests, dropped ones counting as slowest.
                let dropped_share = dropped_total / (served_total + dropped_total).max(1e-12);
                let p95 = if dropped_share >= 0.05 {
                    timeout
                } else {
                    queueing::mixture_response_quantile(&s.stats.fluid[first_part..], 0.95 / (1.0 - dropped_share))
                        .unwrap_or(0.0)
                };
                s.stats.fluid_p95.push((second, p95));
            }
            // CPU: each instance does the work of the requests it served; a shared
            // queue keeps every worker equally busy.
            let total_cores: f64 = live.iter().map(|&(_, (w, v))| f64::from(w) * v).sum();
            for &(id, (w, v)) in &live {
                let cores = if shared {
                    served_rates[0] * cost * f64::from(w) * v / total_cores
                } else {
                    let q = shape_keys.binary_search(&(w, v.to_bits())).unwrap_or(0);
                    served_rates[q] * cost
                };
                *busy_per_instance.entry(id).or_insert(0.0) += cores;
            }
        }
        // Integrate CPU work: cores busy during the tick that starts now.
        let t = self.traffic_mut();
        let ids: std::collections::BTreeSet<InstanceId> =
            t.cpu_work.keys().copied().chain(busy_per_instance.keys().copied()).collect();
        for &id in &ids {
            t.set_work(id, now, busy_per_instance.get(&id).copied().unwrap_or(0.0));
        }
        // Every host whose instances' CPU use may have changed.
        let mut hosts: Vec<_> = ids.iter().filter_map(|id| self.instances[id.index()].host).collect();
        hosts.sort_unstable();
        hosts.dedup();
        for h in hosts {
            self.update_power(h);
        }
        self.queue.schedule(now + tick, Due::Traffic(TrafficDue::Tick));
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
    fn workers(&self, service: usize, id: InstanceId) -> (u32, f64) {
        let per_core = self.traffic.as_deref().map_or(1, |t| t.services[service].spec.concurrency.max(1));
        let cores = self.cores_held(id);
        let workers = libm::round(f64::from(per_core) * cores).max(1.0) as u32;
        (workers, cores / f64::from(workers))
    }

    /// CPU cores busy on a host now, from the traffic it serves.
    pub(super) fn busy_cores(&self, host: crate::model::HostId) -> Option<f64> {
        let t = self.traffic.as_deref()?;
        Some(self.hosts[host.index()].instances.iter().map(|id| t.busy(*id)).sum())
    }

    /// metrics-server: every instance's CPU use over the last interval, in millicores.
    pub(super) fn scrape(&mut self) {
        let now = self.now;
        let running: Vec<InstanceId> = self
            .instances
            .iter()
            .filter(|i| i.phase == Phase::Running || i.phase == Phase::Starting)
            .map(|i| i.id)
            .collect();
        let t = self.traffic_mut();
        for id in running {
            let work = t.work(id, now);
            let (before, at) = t.scraped.get(&id).copied().unwrap_or((work, now));
            let window = now.since(at);
            if window > SimDuration::ZERO {
                let millicores = ((work - before) / window.as_secs_f64() * 1000.0).max(0.0).round() as u64;
                t.samples.insert(id, (millicores, now, window));
            }
            t.scraped.insert(id, (work, now));
        }
        self.queue.schedule(now + SCRAPE_INTERVAL, Due::Scrape);
    }
}
