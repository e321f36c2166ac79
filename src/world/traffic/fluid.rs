//! Fluid traffic: rates per tick instead of requests.
//!
//! Each tick the offered rate λ is split over the serving instances: one
//! queue over every worker (a shared queue), or a queue per instance. A queue
//! with c workers each serving μ requests a second has a capacity of cμ.
//!
//! - Below capacity, with nothing left waiting, the queue is an M/M/c queue
//!   whose requests give up after the timeout T: it serves λ' and drops
//!   λ − λ', where λ' solves λ' = λ·(1 − C(c, λ', μ)·e^{−(cμ−λ')T}) (the
//!   share that would wait past T, with the load the others make). The
//!   response time is Wq + S, Wq zero with probability 1 − C and exponential
//!   with rate cμ − λ' otherwise, S exponential with rate μ.
//! - At or over capacity, or while a backlog from earlier ticks drains, the
//!   workers are all busy: the queue serves cμ, and what arrives beyond that
//!   waits in a backlog carried to the next tick, up to what the workers can
//!   take within the timeout (cμ·T); arrivals beyond that are dropped. A
//!   request served from the backlog has waited for the backlog ahead of it.
//!
//! So the CPU an instance uses is what it serves times the cost: all of its
//! cores when it is overloaded, which is what the HPA sees, as in per-request
//! mode. The latency distribution of everything served is kept in a
//! [`FluidLatency`] sketch of fixed size.

use std::collections::BTreeMap;

use super::TrafficDue;
use crate::behaviours::queueing;
use crate::model::traffic::Routing;
use crate::model::traffic::TrafficMode;
use crate::model::{InstanceId, Phase};
use crate::world::{Due, World};

/// Relative width of the sketch's bins: rates and waits within 0.1 % of one
/// another share a bin, so quantiles come out within about 0.1 %.
const BIN_WIDTH: f64 = 1e-3;

/// A part of a tick's served requests and how long they took.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Part {
    /// Served at once: the service time, Exp(μ).
    Service { mu: f64 },
    /// Waited Exp(θ) in an M/M/c queue, then Exp(μ).
    Queued { theta: f64, mu: f64 },
    /// Waited `wait` behind a backlog, then Exp(μ).
    Behind { wait: f64, mu: f64 },
}

impl Part {
    /// P(T > t).
    fn survival(self, t: f64) -> f64 {
        match self {
            Part::Service { mu } => libm::exp(-mu * t),
            Part::Queued { theta, mu } => {
                // Exp(θ) + Exp(μ): e^{−μt}·(1 + μ·(e^{(μ−θ)t} − 1)/(μ − θ)), which
                // tends to Erlang-2's e^{−μt}(1 + μt) as θ → μ.
                let d = mu - theta;
                let growth = if (d * t).abs() < 1e-9 { t } else { libm::expm1(d * t) / d };
                (libm::exp(-mu * t) * (1.0 + mu * growth)).clamp(0.0, 1.0)
            }
            Part::Behind { wait, mu } => {
                if t < wait {
                    1.0
                } else {
                    libm::exp(-mu * (t - wait))
                }
            }
        }
    }

    /// Mean response time.
    fn mean(self) -> f64 {
        match self {
            Part::Service { mu } => 1.0 / mu,
            Part::Queued { theta, mu } => 1.0 / theta + 1.0 / mu,
            Part::Behind { wait, mu } => wait + 1.0 / mu,
        }
    }
}

/// The q-quantile of a mixture of parts, (weight, part), by bisection on its survival.
pub(super) fn mixture_quantile(parts: impl Iterator<Item = (f64, Part)> + Clone, q: f64) -> Option<f64> {
    let total: f64 = parts.clone().map(|(w, _)| w).sum();
    if total <= 0.0 || !total.is_finite() {
        return None;
    }
    let survival = |t: f64| parts.clone().map(|(w, p)| w * p.survival(t)).sum::<f64>() / total;
    let target = 1.0 - q;
    let mut hi = parts.clone().map(|(_, p)| p.mean()).fold(1e-6, f64::max);
    while survival(hi) > target && hi < 1e9 {
        hi *= 2.0;
    }
    let mut lo = 0.0;
    for _ in 0..64 {
        let mid = 0.5 * (lo + hi);
        if survival(mid) > target { lo = mid } else { hi = mid }
    }
    Some(0.5 * (lo + hi))
}

/// The latency distribution of a service's served requests in fluid mode: a
/// weighted mixture of [`Part`]s, merged by kind, service rate and, within
/// [`BIN_WIDTH`], by their wait rate or wait. Its size follows the range of
/// rates and waits the run goes through, not its length.
#[derive(Clone, Debug, Default)]
pub struct FluidLatency {
    /// (kind, μ's bits, bin) → (weight, weight × the binned parameter).
    bins: BTreeMap<(u8, u64, i64), (f64, f64)>,
}

fn bin(x: f64) -> i64 {
    (libm::log(x.max(1e-12)) / BIN_WIDTH).floor() as i64
}

impl FluidLatency {
    pub fn add(&mut self, weight: f64, part: Part) {
        if weight <= 0.0 {
            return;
        }
        let (key, param) = match part {
            Part::Service { mu } => ((0, mu.to_bits(), 0), 0.0),
            Part::Queued { theta, mu } => ((1, mu.to_bits(), bin(theta)), theta),
            Part::Behind { wait, mu } => ((2, mu.to_bits(), bin(wait)), wait),
        };
        let e = self.bins.entry(key).or_insert((0.0, 0.0));
        e.0 += weight;
        e.1 += weight * param;
    }

    pub fn merge(&mut self, other: &FluidLatency) {
        for (&key, &(w, p)) in &other.bins {
            let e = self.bins.entry(key).or_insert((0.0, 0.0));
            e.0 += w;
            e.1 += p;
        }
    }

    fn parts(&self) -> impl Iterator<Item = (f64, Part)> + Clone + '_ {
        self.bins.iter().map(|(&(kind, mu, _), &(w, p))| {
            let (mu, param) = (f64::from_bits(mu), p / w);
            let part = match kind {
                0 => Part::Service { mu },
                1 => Part::Queued { theta: param, mu },
                _ => Part::Behind { wait: param, mu },
            };
            (w, part)
        })
    }

    pub fn is_empty(&self) -> bool {
        self.bins.is_empty()
    }

    /// The `q`-quantile, seconds.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        mixture_quantile(self.parts(), q)
    }

    /// Bins in use.
    pub fn len(&self) -> usize {
        self.bins.len()
    }
}

/// One queue of a tick: how many queues alike, its workers, λ per queue and μ per worker.
#[derive(Clone, Copy, Debug)]
struct Queue {
    alike: f64,
    servers: u32,
    lambda: f64,
    mu: f64,
}

/// What one queue did in a tick: requests served and dropped, the backlog
/// left, and the parts of what it served (weight in requests).
struct Outcome {
    served: f64,
    dropped: f64,
    backlog: f64,
    parts: [(f64, Option<Part>); 3],
    /// Σ served × mean response time, and × mean wait.
    time_in_system: f64,
    waited: f64,
}

/// The steady M/M/c queue whose requests give up after `patience`: the rate
/// it serves, and the probability that a served request waited.
fn steady(servers: u32, lambda: f64, mu: f64, patience: f64) -> (f64, f64) {
    let c = f64::from(servers);
    let gives_up = |served: f64| match queueing::erlang_c(servers, served, mu) {
        Some(pw) => pw * libm::exp(-(c * mu - served) * patience),
        None => 1.0,
    };
    let first = gives_up(lambda.min(c * mu * (1.0 - 1e-12)));
    if first < 1e-9 {
        let served = lambda * (1.0 - first);
        return (served, queueing::erlang_c(servers, served, mu).unwrap_or(1.0));
    }
    // λ' = λ·(1 − P(give up | λ')): the left side grows and the right falls with λ'.
    let (mut lo, mut hi) = (0.0, lambda.min(c * mu * (1.0 - 1e-12)));
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if lambda * (1.0 - gives_up(mid)) > mid { lo = mid } else { hi = mid }
    }
    let served = 0.5 * (lo + hi);
    (served, queueing::erlang_c(servers, served, mu).unwrap_or(1.0))
}

/// One tick of one queue of `servers` workers of rate `mu`, offered `lambda`,
/// starting with `backlog` waiting.
fn tick_queue(q: Queue, backlog: f64, dt: f64, patience: f64) -> Outcome {
    let cap = f64::from(q.servers) * q.mu;
    let most = cap * patience;
    let mut out =
        Outcome { served: 0.0, dropped: 0.0, backlog: 0.0, parts: [(0.0, None); 3], time_in_system: 0.0, waited: 0.0 };
    let mut rest = dt;
    if backlog > 0.0 || q.lambda >= cap {
        // Every worker busy while the backlog lasts: it drains at cμ − λ, or grows at λ − cμ.
        let drains_in = if q.lambda < cap { backlog / (cap - q.lambda) } else { f64::INFINITY };
        let busy = drains_in.min(dt);
        let mut end = backlog + (q.lambda - cap) * busy;
        if end > most {
            out.dropped += end - most;
            end = most;
        }
        let served = cap * busy;
        let wait = (backlog + end.max(0.0)) / 2.0 / cap;
        out.served += served;
        out.parts[0] = (served, Some(Part::Behind { wait, mu: q.mu }));
        out.time_in_system += served * (wait + 1.0 / q.mu);
        out.waited += served * wait;
        out.backlog = end.max(0.0);
        rest = dt - busy;
    }
    if rest > 0.0 && q.lambda > 0.0 {
        let (rate, pw) = steady(q.servers, q.lambda, q.mu, patience);
        let served = rate * rest;
        out.served += served;
        out.dropped += (q.lambda - rate) * rest;
        let theta = cap - rate;
        out.parts[1] = (served * (1.0 - pw), Some(Part::Service { mu: q.mu }));
        out.parts[2] = (served * pw, Some(Part::Queued { theta, mu: q.mu }));
        let wait = pw / theta;
        out.time_in_system += served * (wait + 1.0 / q.mu);
        out.waited += served * wait;
    }
    out
}

impl World {
    /// An instance left service `i`, which had `before` endpoints: with a
    /// queue of its own, it takes its share of the backlog with it.
    pub(super) fn fluid_endpoint_left(&mut self, i: usize, before: usize) {
        let now = self.now;
        let Some(t) = self.traffic.as_deref_mut() else { return };
        let s = &mut t.services[i];
        if s.backlog <= 0.0 || s.spec.routing == Routing::SharedQueue {
            return;
        }
        let lost = s.backlog / before.max(1) as f64;
        s.backlog -= lost;
        if s.counts(now) {
            s.stats.fluid_totals.2 += lost;
            s.stats.dropped = s.stats.fluid_totals.2.round() as u64;
        }
    }

    /// Fluid mode: one tick of every service.
    pub(super) fn fluid_tick(&mut self) {
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
            let patience = s.spec.timeout.as_secs_f64();
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
            let arrivals = rate * dt;
            let shared = s.spec.routing == Routing::SharedQueue;
            // The queues this tick, grouped by shape: a shared queue is one
            // queue over every live worker; other routing splits the load
            // evenly, a queue per instance.
            let mut lost = 0.0;
            let mut shapes: Vec<(u32, u64)> = live.iter().map(|&(_, (w, v))| (w, v.to_bits())).collect();
            shapes.sort_unstable();
            shapes.dedup();
            let queues: Vec<Queue> = if live.is_empty() {
                lost = arrivals;
                Vec::new()
            } else if shared {
                let servers: u32 = live.iter().map(|x| x.1.0).sum();
                let cores: f64 = live.iter().map(|&(_, (w, v))| f64::from(w) * v).sum();
                vec![Queue { alike: 1.0, servers, lambda: rate, mu: cores / f64::from(servers) / cost }]
            } else {
                let n = n_endpoints as f64;
                lost = arrivals * (n - live.len() as f64) / n;
                shapes
                    .iter()
                    .map(|&(w, v)| {
                        let k = live.iter().filter(|x| x.1.0 == w && x.1.1.to_bits() == v).count() as f64;
                        Queue { alike: k, servers: w, lambda: rate / n, mu: f64::from_bits(v) / cost }
                    })
                    .collect()
            };
            // The backlog is shared by the queues in proportion to their capacity.
            let capacity: f64 = queues.iter().map(|q| q.alike * f64::from(q.servers) * q.mu).sum();
            let backlog = s.backlog;
            let (mut served_total, mut dropped_total, mut backlog_after) = (0.0, lost, 0.0);
            if queues.is_empty() {
                // Nobody serves: what waited gives up.
                dropped_total += backlog;
            }
            let mut tick_parts = std::mem::take(&mut s.stats.tick_parts);
            tick_parts.clear();
            let mut served_rates = Vec::with_capacity(queues.len());
            for q in &queues {
                let share = if capacity > 0.0 { backlog * f64::from(q.servers) * q.mu / capacity } else { 0.0 };
                let out = tick_queue(*q, share, dt, patience);
                served_rates.push(out.served / dt);
                served_total += out.served * q.alike;
                dropped_total += out.dropped * q.alike;
                backlog_after += out.backlog * q.alike;
                if counted {
                    s.stats.waits_total += out.waited * q.alike;
                    s.stats.in_system_integral += out.time_in_system * q.alike;
                    for (w, part) in out.parts {
                        if let Some(part) = part
                            && w > 0.0
                        {
                            s.stats.fluid.add(w * q.alike, part);
                            tick_parts.push((w * q.alike, part));
                        }
                    }
                }
            }
            s.backlog = backlog_after;
            if counted {
                let f = &mut s.stats.fluid_totals;
                f.0 += arrivals;
                f.1 += served_total;
                f.2 += dropped_total;
                (s.stats.arrived, s.stats.served, s.stats.dropped) =
                    (f.0.round() as u64, f.1.round() as u64, f.2.round() as u64);
                // The tick misses its SLO when more than 5 % of its requests,
                // the dropped ones counting as too slow, took longer.
                let slo = s.spec.slo_p95.as_secs_f64();
                let all = served_total + dropped_total;
                if all > 0.0 {
                    let slow: f64 = tick_parts.iter().map(|(w, p)| w * p.survival(slo)).sum();
                    if (dropped_total + slow) / all > 0.05 {
                        s.stats.slo_violations += 1;
                    }
                }
            }
            s.stats.tick_parts = tick_parts;
            // CPU: each instance does the work of the requests it served; a shared
            // queue keeps every worker equally busy.
            let total_cores: f64 = live.iter().map(|&(_, (w, v))| f64::from(w) * v).sum();
            for &(id, (w, v)) in &live {
                let cores = if shared {
                    served_rates[0] * cost * f64::from(w) * v / total_cores
                } else {
                    let q = shapes.binary_search(&(w, v.to_bits())).unwrap_or(0);
                    served_rates[q] * cost
                };
                *busy_per_instance.entry(id).or_insert(0.0) += cores;
            }
        }
        // Integrate CPU work: cores busy during the tick that starts now.
        let t = self.traffic_mut();
        let ids: std::collections::BTreeSet<InstanceId> =
            t.busy_instances.iter().copied().chain(busy_per_instance.keys().copied()).collect();
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
}

/// The mean response time of a fluid latency distribution, seconds.
pub fn mean_latency(latency: &FluidLatency) -> Option<f64> {
    let weight: f64 = latency.parts().map(|(w, _)| w).sum();
    (weight > 0.0).then(|| latency.parts().map(|(w, p)| w * p.mean()).sum::<f64>() / weight)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_m_m_c_tick_below_capacity_matches_erlang_c() {
        // c = 4, λ = 32, μ = 10, a long patience: nothing is dropped, and the
        // wait is Erlang C's, 0.074554 s (see scenarios/queueing-theory.ron).
        let q = Queue { alike: 1.0, servers: 4, lambda: 32.0, mu: 10.0 };
        let out = tick_queue(q, 0.0, 10.0, 1e6);
        assert!((out.served - 320.0).abs() < 1e-6);
        assert!(out.dropped.abs() < 1e-6);
        assert!((out.waited / out.served - 0.074554).abs() < 1e-5);
    }

    #[test]
    fn an_overloaded_queue_serves_its_capacity_and_builds_a_backlog() {
        // One worker serving 10/s offered 20/s with a 5 s patience: it serves
        // 10/s, and the backlog grows by 10/s up to what it takes in 5 s (50).
        let q = Queue { alike: 1.0, servers: 1, lambda: 20.0, mu: 10.0 };
        let first = tick_queue(q, 0.0, 2.0, 5.0);
        assert!((first.served - 20.0).abs() < 1e-9 && first.dropped == 0.0);
        assert!((first.backlog - 20.0).abs() < 1e-9);
        let later = tick_queue(q, first.backlog, 10.0, 5.0);
        assert!((later.served - 100.0).abs() < 1e-9);
        assert!((later.backlog - 50.0).abs() < 1e-9);
        // 20 + 100 arrivals beyond the 100 served, 30 waiting beyond the 50 that fit.
        assert!((later.dropped - 70.0).abs() < 1e-9);
        // Once the load falls, the backlog drains at cμ − λ, every worker busy meanwhile.
        let calm = Queue { lambda: 5.0, ..q };
        let drain = tick_queue(calm, 50.0, 20.0, 5.0);
        assert!(drain.backlog == 0.0);
        assert!((drain.served - 150.0).abs() < 1e-6, "{}", drain.served);
    }

    #[test]
    fn near_capacity_the_impatient_share_gives_up_and_frees_the_workers() {
        // λ = 9.9 on one worker of 10/s with a 1 s patience: many would wait
        // longer and give up, so the rest wait less; the fixed point serves
        // less than λ but the worker stays busy most of the time.
        let (served, pw) = steady(1, 9.9, 10.0, 1.0);
        assert!(served < 9.9 && served > 8.0, "{served}");
        assert!(pw > 0.8 && pw < 1.0);
    }

    #[test]
    fn the_sketch_keeps_quantiles_within_its_bin_width() {
        // Many M/M/1 ticks with slowly varying load: the sketch's p95 against the exact mixture.
        let mut sketch = FluidLatency::default();
        let mut exact = Vec::new();
        for k in 0..2_000 {
            let lambda = 5.0 + 4.0 * (k as f64 / 2_000.0);
            let theta = 10.0 - lambda;
            let pw = lambda / 10.0;
            for (w, part) in [(1.0 - pw, Part::Service { mu: 10.0 }), (pw, Part::Queued { theta, mu: 10.0 })] {
                sketch.add(w, part);
                exact.push((w, part));
            }
        }
        assert!(sketch.len() < exact.len() / 2, "{} bins", sketch.len());
        for q in [0.5, 0.95, 0.99] {
            let want = mixture_quantile(exact.iter().copied(), q).unwrap();
            let got = sketch.quantile(q).unwrap();
            assert!((got - want).abs() <= want * 2e-3, "q {q}: {got} vs {want}");
        }
    }

    #[test]
    fn an_m_m_1_mixture_of_one_has_the_closed_form_quantile() {
        // M/M/1 with λ = 8, μ = 10: T is Exp(2), p95 = ln 20 / 2.
        let pw = 0.8;
        let parts = [(1.0 - pw, Part::Service { mu: 10.0 }), (pw, Part::Queued { theta: 2.0, mu: 10.0 })];
        let p95 = mixture_quantile(parts.iter().copied(), 0.95).unwrap();
        assert!((p95 - libm::log(20.0) / 2.0).abs() < 1e-9, "{p95}");
    }
}
