//! Per-request traffic: every request an arrival and a departure event.
//!
//! A shared queue (M/M/c) hands a request to the first endpoint, in id
//! order, with a free worker; the endpoints that have one are kept in a set,
//! so an arrival finds it at once however many endpoints there are. Other
//! routing picks an instance (at random, in turn, or the less busy of two at
//! random) and queues the request there.

use super::{InstanceLoad, Request, ServiceState, TrafficDue};
use crate::engine::{SimDuration, SimTime};
use crate::model::traffic::Routing;
use crate::model::{InstanceId, Phase};
use crate::world::{Due, World};

impl World {
    pub(super) fn schedule_arrival(&mut self, i: usize) {
        let now = self.now;
        let s = &mut self.traffic_mut().services[i];
        let max = s.max_rate;
        if max <= 0.0 {
            return;
        }
        let gap = -libm::log(s.arrivals.next_open_f64()) / max;
        self.queue.schedule(now + SimDuration::from_secs_f64(gap), Due::Traffic(TrafficDue::Arrival(i as u32)));
    }

    pub(super) fn arrival(&mut self, i: usize) {
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
        if s.recent.len() == super::RECENT_ARRIVALS {
            s.recent.pop_front();
        }
        s.recent.push_back(super::RecentArrival { at: now, endpoint: None, dropped: s.endpoints.is_empty() });
        if s.endpoints.is_empty() {
            if counted {
                let slo = s.spec.slo_p95;
                s.stats.drop_at(now, 1, slo);
            }
            return;
        }
        Self::account_in_system(s, now, 1);
        match s.spec.routing {
            Routing::SharedQueue => {
                // Nothing waits and a worker is free: it takes the request at once.
                if s.shared.is_empty()
                    && let Some(&id) = s.idle.first()
                {
                    let (workers, speed) = self.workers(i, id);
                    if self.begin(i, id, request, workers, speed) {
                        self.traffic_mut().services[i].idle.remove(&id);
                    }
                    if let Some(h) = self.instances[id.index()].host {
                        self.update_power(h);
                    }
                    return;
                }
                let s = &mut self.traffic_mut().services[i];
                s.shared.push_back(request);
                // Endpoints with a free worker take what waits, in id order.
                loop {
                    let s = &self.traffic_mut().services[i];
                    let Some(&id) = s.idle.first() else { break };
                    if s.shared.is_empty() {
                        break;
                    }
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
                        let active =
                            |id: InstanceId| t.load.get(id.index()).map_or(0, |l| l.in_service.len() + l.queue.len());
                        if active(b) < active(a) { b } else { a }
                    }
                };
                if self.instances[pick.index()].phase != Phase::Running {
                    // A stale endpoint: the instance is gone and the request is lost.
                    let s = &mut self.traffic_mut().services[i];
                    Self::account_in_system(s, now, -1);
                    if let Some(last) = s.recent.back_mut() {
                        last.endpoint = Some(pick);
                        last.dropped = true;
                    }
                    if counted {
                        let slo = s.spec.slo_p95;
                        s.stats.drop_at(now, 1, slo);
                    }
                    return;
                }
                let s = &mut self.traffic_mut().services[i];
                if let Some(last) = s.recent.back_mut() {
                    last.endpoint = Some(pick);
                }
                self.traffic_mut().load_mut(pick).queue.push_back(request);
                self.start_next(i, pick);
            }
        }
    }

    /// Whether `id` runs, serves service `i` and has a free worker: it can take
    /// a request from the shared queue.
    #[inline]
    fn takes_shared(&self, i: usize, id: InstanceId) -> bool {
        let Some(t) = self.traffic.as_deref() else { return false };
        let s = &t.services[i];
        s.spec.routing == Routing::SharedQueue
            && self.instances[id.index()].phase == Phase::Running
            && s.endpoints.binary_search(&id).is_ok()
            && t.load.get(id.index()).map_or(0, InstanceLoad::busy) < self.workers(i, id).0
    }

    /// Keeps the set of endpoints that can take a shared-queue request up to date for `id`.
    pub(super) fn update_idle(&mut self, i: usize, id: InstanceId) {
        let takes = self.takes_shared(i, id);
        let idle = &mut self.traffic_mut().services[i].idle;
        if takes {
            idle.insert(id);
        } else {
            idle.remove(&id);
        }
    }

    /// Shared queue: give `id` requests while it has free workers, dropping
    /// those that have waited past the timeout.
    fn feed_shared(&mut self, i: usize, id: InstanceId) {
        if !self.takes_shared(i, id) {
            self.update_idle(i, id);
            return;
        }
        let now = self.now;
        let (workers, speed) = self.workers(i, id);
        let mut started = false;
        loop {
            let t = self.traffic_mut();
            if t.load.get(id.index()).map_or(0, InstanceLoad::busy) >= workers {
                break;
            }
            let s = &mut t.services[i];
            let Some(r) = s.shared.pop_front() else { break };
            if Self::drop_if_timed_out(s, now, r.arrival) {
                continue;
            }
            self.begin(i, id, r, workers, speed);
            started = true;
        }
        // The host's draw, once for the requests started (CPU use only rose).
        if started && let Some(h) = self.instances[id.index()].host {
            self.update_power(h);
        }
        self.update_idle(i, id);
    }

    /// A request taken from a queue that has waited past the timeout is
    /// dropped, not started; whether it was.
    #[inline]
    fn drop_if_timed_out(s: &mut ServiceState, now: SimTime, arrival: SimTime) -> bool {
        if now.since(arrival) <= s.spec.timeout {
            return false;
        }
        Self::account_in_system(s, now, -1);
        if s.counts(arrival) {
            let slo = s.spec.slo_p95;
            s.stats.drop_at(now, 1, slo);
        }
        true
    }

    /// Starts request `r` on one of `id`'s workers; whether they are all busy now.
    #[inline]
    fn begin(&mut self, i: usize, id: InstanceId, r: Request, workers: u32, speed: f64) -> bool {
        let now = self.now;
        let t = self.traffic.as_deref_mut().expect("traffic");
        let s = &mut t.services[i];
        if s.counts(r.arrival) {
            s.stats.waits_total += now.since(r.arrival).as_secs_f64();
        }
        let load = t.load_mut(id);
        load.in_service.push(r.arrival);
        let (epoch, busy) = (load.epoch, load.busy());
        t.set_work(id, now, f64::from(busy) * speed);
        let service_time = SimDuration::from_secs_f64(r.cost.as_secs_f64() / speed);
        self.queue.schedule(
            now + service_time,
            Due::Traffic(TrafficDue::Departure { service: i as u32, instance: id, epoch, arrival: r.arrival }),
        );
        busy >= workers
    }

    /// Starts queued requests on `id` while it has free workers; drops those that timed out.
    fn start_next(&mut self, i: usize, id: InstanceId) {
        let now = self.now;
        let host = self.instances[id.index()].host;
        let (concurrency, speed) = self.workers(i, id);
        let mut started = false;
        loop {
            let t = self.traffic.as_deref_mut().expect("traffic");
            let load = t.load_mut(id);
            if load.busy() >= concurrency {
                break;
            }
            let Some(r) = load.queue.pop_front() else { break };
            let s = &mut t.services[i];
            if Self::drop_if_timed_out(s, now, r.arrival) {
                continue;
            }
            self.begin(i, id, r, concurrency, speed);
            started = true;
        }
        // The host's draw, once for every request started (CPU use only rose).
        if started && let Some(h) = host {
            self.update_power(h);
        }
    }

    pub(super) fn departure(&mut self, i: usize, id: InstanceId, epoch: u32, arrival: SimTime) {
        let now = self.now;
        let t = self.traffic.as_deref_mut().expect("traffic");
        let Some(load) = t.load.get_mut(id.index()) else { return };
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
            let slo = s.spec.slo_p95;
            s.stats.served_at(now, now.since(arrival), slo);
        }
        let shared = s.spec.routing == Routing::SharedQueue;
        if let Some(h) = self.instances[id.index()].host {
            self.update_power(h);
        }
        // A terminating instance goes on with what it holds until it stops.
        if shared {
            self.feed_shared(i, id);
        } else if matches!(self.instances[id.index()].phase, Phase::Running | Phase::Stopping) {
            self.start_next(i, id);
        }
    }
}
