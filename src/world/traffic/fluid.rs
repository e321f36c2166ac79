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

use super::TrafficDue;
use crate::behaviours::queueing;
use crate::model::InstanceId;
use crate::model::traffic::Routing;
use crate::model::traffic::TrafficMode;
use crate::world::{Due, World};

/// Relative width of the sketch's bins: rates and waits within 0.1 % of one
/// another share a bin, so quantiles come out within about 0.1 %.
const BIN_WIDTH: f64 = 1e-3;

/// A part of a tick's served requests and how long they took.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Part {
    /// Served at once: the service time, Exp(μ).
    Service { mu: f64 },
    /// Waited in an M/M/c queue with density ∝ e^{−θw}, no longer than
    /// `limit` (those that would have waited longer gave up), then Exp(μ).
    /// θ = cμ − λ; over capacity it is negative.
    Queued { theta: f64, mu: f64, limit: f64 },
    /// Waited `wait` behind a backlog, then Exp(μ).
    Behind { wait: f64, mu: f64 },
    /// Sent to the less busy of two instances of one worker each, at load ρ
    /// per instance: found K requests there with P(K ≥ k) = ρ^(2^(k+1) − 2)
    /// (the supermarket model), and took Erlang(K + 1, μ).
    TwoChoices { rho: f64, mu: f64 },
}

/// r, the density's factor of a wait with density r·e^{−θw} on [0, L]: θ
/// may be of any sign (a queue over capacity waits longer more often), or
/// zero (uniform).
fn cut_density(theta: f64, limit: f64) -> f64 {
    if !limit.is_finite() {
        theta
    } else if (theta * limit).abs() < 1e-9 {
        1.0 / limit
    } else {
        theta / -libm::expm1(-theta * limit)
    }
}

/// Far over capacity (θL below −700) e^{−θL} overflows: there the wait's
/// density is written from the limit back, r·e^{−θw} = θ·e^{θ(L−w)}/expm1(θL).
fn far_over(theta: f64, limit: f64) -> bool {
    limit.is_finite() && theta * limit < -700.0
}

/// P(K ≥ k) for [`Part::TwoChoices`], for k = 0, 1, … while it matters.
fn two_choices_tail(rho: f64) -> impl Iterator<Item = (u32, f64)> {
    let log = libm::log(rho.clamp(1e-300, 1.0));
    (0u32..60)
        .map(move |k| (k, libm::exp(log * ((1u64 << (k + 1)) as f64 - 2.0))))
        .take_while(|&(k, p)| k == 0 || p > 1e-16)
}

/// That tail worked out once: `at_least[k]` = P(K ≥ k).
#[derive(Clone, Copy)]
struct Tail {
    at_least: [f64; 60],
    len: usize,
}

impl Tail {
    fn new(rho: f64) -> Tail {
        let mut tail = Tail { at_least: [0.0; 60], len: 0 };
        for (k, p) in two_choices_tail(rho) {
            tail.at_least[k as usize] = p;
            tail.len = k as usize + 1;
        }
        tail
    }

    fn get(&self) -> &[f64] {
        &self.at_least[..self.len]
    }

    /// P(K = k) = P(K ≥ k) − P(K ≥ k + 1).
    fn exactly(&self, k: usize) -> f64 {
        let tail = self.get();
        tail[k] - tail.get(k + 1).copied().unwrap_or(0.0)
    }
}

/// P(Erlang(m, μ) > t) = e^{−μt} Σ_{j<m} (μt)^j / j! for m = 1, 2, …: the
/// partial sums of one series, each the same sum [`erlang_survival`] adds up.
struct ErlangSurvival {
    decay: f64,
    x: f64,
    /// Σ_{j<m} for the m reached, and its last term.
    sum: f64,
    term: f64,
    m: u32,
}

impl ErlangSurvival {
    fn new(mu: f64, t: f64) -> Self {
        let x = mu * t;
        ErlangSurvival { decay: libm::exp(-x), x, sum: 1.0, term: 1.0, m: 1 }
    }

    /// P(Erlang(m, μ) > t), for m no smaller than the last asked.
    fn at(&mut self, m: u32) -> f64 {
        while self.m < m {
            self.term *= self.x / f64::from(self.m);
            self.sum += self.term;
            self.m += 1;
        }
        (self.decay * self.sum).min(1.0)
    }
}

/// P(Erlang(m, μ) > t) = e^{−μt} Σ_{j<m} (μt)^j / j!.
#[cfg(test)]
fn erlang_survival(m: u32, mu: f64, t: f64) -> f64 {
    let x = mu * t;
    let (mut term, mut sum) = (1.0, 1.0);
    for j in 1..m {
        term *= x / f64::from(j);
        sum += term;
    }
    (libm::exp(-x) * sum).min(1.0)
}

/// A part with what its formulas share worked out once (the two-choices
/// tail), for the several evaluations a tick makes of it.
#[derive(Clone, Copy)]
pub(super) struct Prepared {
    part: Part,
    tail: Option<Tail>,
}

impl Prepared {
    fn new(part: Part) -> Self {
        let tail = match part {
            Part::TwoChoices { rho, .. } => Some(Tail::new(rho)),
            _ => None,
        };
        Prepared { part, tail }
    }

    /// P(T > t).
    fn survival(&self, t: f64) -> f64 {
        match self.part {
            Part::Service { mu } => libm::exp(-mu * t),
            Part::Queued { theta, mu, limit } => {
                // W with density r·e^{−θw} on [0, L], plus Exp(μ): for a = min(t, L),
                // r·e^{−μt}·(e^{(μ−θ)a} − 1)/(μ − θ) + P(W > t).
                let d = mu - theta;
                let a = t.min(limit);
                let served = if far_over(theta, limit) || d * a > 700.0 {
                    // The same integral as density(a)·e^{−μ(t−a)} − density(0)·e^{−μt}, over d,
                    // with no exponential that overflows.
                    let density = |w: f64| {
                        if far_over(theta, limit) {
                            theta * libm::exp(theta * (limit - w)) / libm::expm1(theta * limit)
                        } else {
                            cut_density(theta, limit) * libm::exp(-theta * w)
                        }
                    };
                    (density(a) * libm::exp(-mu * (t - a)) - density(0.0) * libm::exp(-mu * t)) / d
                } else {
                    let growth = if (d * a).abs() < 1e-9 { a } else { libm::expm1(d * a) / d };
                    cut_density(theta, limit) * libm::exp(-mu * t) * growth
                };
                (served + self.wait_survival(t)).clamp(0.0, 1.0)
            }
            Part::Behind { wait, mu } => {
                if t < wait {
                    1.0
                } else {
                    libm::exp(-mu * (t - wait))
                }
            }
            Part::TwoChoices { mu, .. } => {
                let tail = self.tail.as_ref().expect("a two-choices part has its tail");
                let mut erlang = ErlangSurvival::new(mu, t);
                (0..tail.len).map(|k| tail.exactly(k) * erlang.at(k as u32 + 1)).sum::<f64>().clamp(0.0, 1.0)
            }
        }
    }

    /// P(the wait alone > t), for the share that gives up.
    fn wait_survival(&self, t: f64) -> f64 {
        match self.part {
            Part::Service { .. } => 0.0,
            Part::Queued { theta, limit, .. } => {
                if t >= limit {
                    0.0
                } else if (theta * limit).abs() < 1e-9 {
                    (limit - t) / limit
                } else if far_over(theta, limit) {
                    libm::expm1(theta * (limit - t)) / libm::expm1(theta * limit)
                } else {
                    // ∫_t^L r·e^{−θw} dw.
                    cut_density(theta, limit) * (libm::exp(-theta * t) - libm::exp(-theta * limit)) / theta
                }
            }
            Part::Behind { wait, .. } => f64::from(t < wait),
            Part::TwoChoices { mu, .. } => {
                let tail = self.tail.as_ref().expect("a two-choices part has its tail");
                let mut erlang = ErlangSurvival::new(mu, t);
                (1..tail.len).map(|k| tail.exactly(k) * erlang.at(k as u32)).sum()
            }
        }
    }

    /// Mean response time.
    fn mean(&self) -> f64 {
        match self.part {
            Part::Service { mu } => 1.0 / mu,
            Part::Queued { theta, mu, limit } => {
                let wait = if !limit.is_finite() {
                    1.0 / theta
                } else if (theta * limit).abs() < 1e-9 {
                    limit / 2.0
                } else if far_over(theta, limit) {
                    1.0 / theta - limit / libm::expm1(theta * limit)
                } else {
                    // ∫_0^L w·r·e^{−θw} dw = r·(1 − e^{−θL}(1 + θL))/θ².
                    cut_density(theta, limit) * (1.0 - libm::exp(-theta * limit) * (1.0 + theta * limit))
                        / (theta * theta)
                };
                wait + 1.0 / mu
            }
            Part::Behind { wait, mu } => wait + 1.0 / mu,
            Part::TwoChoices { mu, .. } => {
                let tail = self.tail.as_ref().expect("a two-choices part has its tail");
                (1.0 + tail.get().iter().skip(1).copied().sum::<f64>()) / mu
            }
        }
    }

    /// Mean wait before service.
    fn mean_wait(&self) -> f64 {
        match self.part {
            Part::Service { mu } | Part::Queued { mu, .. } | Part::Behind { mu, .. } | Part::TwoChoices { mu, .. } => {
                self.mean() - 1.0 / mu
            }
        }
    }
}

impl Part {
    /// P(T > t).
    #[cfg(test)]
    fn survival(self, t: f64) -> f64 {
        Prepared::new(self).survival(t)
    }

    /// P(the wait alone > t), for the share that gives up.
    #[cfg(test)]
    fn wait_survival(self, t: f64) -> f64 {
        Prepared::new(self).wait_survival(t)
    }

    /// Mean response time.
    fn mean(self) -> f64 {
        Prepared::new(self).mean()
    }

    /// Mean wait before service.
    #[cfg(test)]
    fn mean_wait(self) -> f64 {
        Prepared::new(self).mean_wait()
    }
}

/// The q-quantile of a mixture of parts, (weight, part), by bisection on its survival.
pub(super) fn mixture_quantile(parts: impl Iterator<Item = (f64, Part)> + Clone, q: f64) -> Option<f64> {
    let total: f64 = parts.clone().map(|(w, _)| w).sum();
    if total <= 0.0 || !total.is_finite() {
        return None;
    }
    // Each part is prepared where it is evaluated: a mixture may have
    // thousands, and a prepared two-choices part carries its whole tail.
    let survival = |t: f64| parts.clone().map(|(w, p)| w * Prepared::new(p).survival(t)).sum::<f64>() / total;
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
    /// (kind, μ's bits, the patience's bits, bin) → (weight, weight × the
    /// binned parameter), in key order.
    bins: Vec<(BinKey, (f64, f64))>,
    /// Where the k-th addition of the last tick went. A tick adds to the
    /// bins the one before it added to, or to their neighbours as the load
    /// moves, in the same order; the search for each starts there.
    hints: Vec<usize>,
    /// Additions so far in this tick.
    added: usize,
}

type BinKey = (u8, u64, u64, i64);

/// Additions per tick whose place is remembered for the next tick.
const HINTS: usize = 64;

fn bin(x: f64) -> i64 {
    (libm::log(x.max(1e-12)) / BIN_WIDTH).floor() as i64
}

impl FluidLatency {
    pub fn add(&mut self, weight: f64, part: Part) {
        if weight <= 0.0 {
            return;
        }
        let (key, param) = match part {
            Part::Service { mu } => ((0, mu.to_bits(), 0, 0), 0.0),
            Part::Queued { theta, mu, limit } => ((1, mu.to_bits(), limit.to_bits(), bin(theta)), theta),
            Part::Behind { wait, mu } => ((2, mu.to_bits(), 0, bin(wait)), wait),
            Part::TwoChoices { rho, mu } => ((3, mu.to_bits(), 0, bin(rho)), rho),
        };
        let k = self.added;
        self.added += 1;
        let at = self.find_near(self.hints.get(k).copied().unwrap_or(0), key);
        match self.hints.get_mut(k) {
            Some(hint) => *hint = at,
            None if k < HINTS => self.hints.push(at),
            None => {}
        }
        let e = &mut self.bins[at].1;
        e.0 += weight;
        e.1 += weight * param;
    }

    /// A new tick's additions begin.
    pub fn begin_tick(&mut self) {
        self.added = 0;
    }

    /// The place of `key`'s bin, made empty if it is new, searched for
    /// outward from `near` in steps that double, then by halves: a bin a few
    /// places away is found in a few steps among hundreds.
    fn find_near(&mut self, near: usize, key: BinKey) -> usize {
        use std::cmp::Ordering::{Equal, Greater, Less};
        let bins = &self.bins;
        let n = bins.len();
        // Every bin before `lo` is below `key`, every bin from `hi` on above it.
        let (lo, hi) = if n == 0 {
            (0, 0)
        } else {
            let p = near.min(n - 1);
            match bins[p].0.cmp(&key) {
                Equal => return p,
                Less => {
                    let (mut lo, mut step) = (p + 1, 1);
                    loop {
                        let probe = p + step;
                        if probe >= n {
                            break (lo, n);
                        }
                        match bins[probe].0.cmp(&key) {
                            Equal => return probe,
                            Less => (lo, step) = (probe + 1, step * 2),
                            Greater => break (lo, probe),
                        }
                    }
                }
                Greater => {
                    let (mut hi, mut step) = (p, 1);
                    loop {
                        if step > p {
                            break (0, hi);
                        }
                        let probe = p - step;
                        match bins[probe].0.cmp(&key) {
                            Equal => return probe,
                            Greater => (hi, step) = (probe, step * 2),
                            Less => break (probe + 1, hi),
                        }
                    }
                }
            }
        };
        let at = match bins[lo..hi].binary_search_by(|(k, _)| k.cmp(&key)) {
            Ok(i) => return lo + i,
            Err(i) => lo + i,
        };
        self.bins.insert(at, (key, (0.0, 0.0)));
        at
    }

    pub fn merge(&mut self, other: &FluidLatency) {
        // Both in key order: each search starts where the last one ended.
        let mut at = 0;
        for &(key, (w, p)) in &other.bins {
            at = self.find_near(at, key);
            let e = &mut self.bins[at].1;
            e.0 += w;
            e.1 += p;
        }
    }

    fn parts(&self) -> impl Iterator<Item = (f64, Part)> + Clone + '_ {
        self.bins.iter().map(|&((kind, mu, limit, _), (w, p))| {
            let (mu, limit, param) = (f64::from_bits(mu), f64::from_bits(limit), p / w);
            let part = match kind {
                0 => Part::Service { mu },
                1 => Part::Queued { theta: param, mu, limit },
                2 => Part::Behind { wait: param, mu },
                _ => Part::TwoChoices { rho: param, mu },
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

/// How requests reach a queue's workers.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Discipline {
    /// Every worker behind one queue (a shared queue; an instance picked at
    /// random has its own, with its workers): M/M/c.
    Pooled,
    /// Each of `n` instances in turn: each instance sees Erlang-n gaps between arrivals (G/M/1).
    InTurn { n: u32 },
    /// The less busy of two instances at random.
    TwoChoices,
}

/// One queue of a tick: how many queues alike, its workers, λ per queue, μ
/// per worker, and how requests reach it.
#[derive(Clone, Copy, Debug)]
struct Queue {
    alike: f64,
    servers: u32,
    lambda: f64,
    mu: f64,
    discipline: Discipline,
    /// How long a request waits before it gives up (the service's timeout).
    patience: f64,
}

impl Queue {
    /// The steady queue at its load: the share of arrivals it serves, the
    /// parts of what it serves, (share, part), and how many wait on average.
    fn steady(&self) -> (f64, [(f64, Prepared); 2], f64) {
        let (c, mu, lambda) = (f64::from(self.servers), self.mu, self.lambda);
        let limit = self.patience;
        let rho = lambda / (c * mu);
        let exponential = |p_wait: f64, theta: f64| {
            [
                (1.0 - p_wait, Prepared::new(Part::Service { mu })),
                (p_wait, Prepared::new(Part::Queued { theta, mu, limit })),
            ]
        };
        match self.discipline {
            Discipline::TwoChoices if self.servers == 1 && rho < 0.98 => {
                let part = Prepared::new(Part::TwoChoices { rho, mu });
                let gives_up = part.wait_survival(limit);
                let served = 1.0 - gives_up;
                let parts = [(1.0, part), (0.0, Prepared::new(Part::Service { mu }))];
                (served, parts, lambda * served * part.mean_wait())
            }
            Discipline::InTurn { n } if n > 1 && rho < 0.98 => {
                // G/M/1 with the instance's workers as one server of rate cμ: a
                // request waits with probability σ, then Exp(cμ(1 − σ)), where
                // σ = A*(cμ(1 − σ)) and A*(s) = (Λ/(Λ + s))ⁿ for Λ = nλ.
                let total = lambda * f64::from(n);
                let lst = |sigma: f64| libm::pow(total / (total + c * mu * (1.0 - sigma)), f64::from(n));
                let (mut lo, mut hi) = (0.0, 1.0 - 1e-12);
                for _ in 0..60 {
                    let mid = 0.5 * (lo + hi);
                    if lst(mid) > mid { lo = mid } else { hi = mid }
                }
                let sigma = 0.5 * (lo + hi);
                let theta = c * mu * (1.0 - sigma);
                let gives_up = sigma * libm::exp(-theta * limit);
                let parts = exponential((sigma - gives_up) / (1.0 - gives_up), theta);
                let wait = parts[1].0 * parts[1].1.mean_wait();
                (1.0 - gives_up, parts, lambda * (1.0 - gives_up) * wait + lambda * gives_up * limit)
            }
            _ => {
                let room = queueing::WaitingRoom::new(self.servers, lambda, mu, limit);
                let parts = exponential(room.waits, c * mu - lambda);
                (1.0 - room.turned_away, parts, room.waiting)
            }
        }
    }
}

/// What one queue did in a tick: requests served and dropped, the backlog
/// left, and the parts of what it served (weight in requests).
struct Outcome {
    served: f64,
    dropped: f64,
    backlog: f64,
    parts: [(f64, Option<Prepared>); 3],
    /// Σ served × mean response time, and × mean wait.
    time_in_system: f64,
    waited: f64,
}

/// One tick of a queue starting with `backlog` requests waiting. The queue
/// settles on the steady number waiting for its load: when more wait (load
/// fell, or the workers were lost), every worker is busy and the backlog
/// drains at cμ − λ; when fewer wait and the load is above capacity, every
/// worker is busy and the backlog grows at λ − cμ; a request served from the
/// backlog has waited for the backlog ahead of it. Once settled, the steady
/// queue serves the rest of the tick. No more can wait than the workers take
/// within the patience (cμ·patience); the rest give up.
fn tick_queue(q: Queue, backlog: f64, dt: f64) -> Outcome {
    let cap = f64::from(q.servers) * q.mu;
    let most = cap * q.patience;
    let mut out =
        Outcome { served: 0.0, dropped: 0.0, backlog: 0.0, parts: [(0.0, None); 3], time_in_system: 0.0, waited: 0.0 };
    let (share, parts, settled) =
        if q.lambda > 0.0 { q.steady() } else { (0.0, [(0.0, Prepared::new(Part::Service { mu: q.mu })); 2], 0.0) };
    let rate = q.lambda * share;
    let settled = settled.min(most);
    let mut backlog = backlog;
    if backlog > most {
        out.dropped += backlog - most;
        backlog = most;
    }
    let mut rest = dt;
    let moving = if backlog > settled {
        (q.lambda < cap).then(|| (backlog - settled) / (cap - q.lambda))
    } else if q.lambda > cap {
        Some((settled - backlog) / (q.lambda - cap))
    } else {
        None
    };
    match moving {
        Some(time) => {
            let busy = time.min(dt);
            let end = (backlog + (q.lambda - cap) * busy).clamp(0.0, most);
            let served = cap * busy;
            let wait = (backlog + end) / 2.0 / cap;
            out.served += served;
            out.parts[0] = (served, Some(Prepared::new(Part::Behind { wait, mu: q.mu })));
            out.time_in_system += served * (wait + 1.0 / q.mu);
            out.waited += served * wait;
            out.backlog = end;
            rest = dt - busy;
        }
        None => {
            // Above the steady queue but over capacity: the excess gives up.
            if backlog > settled {
                out.dropped += backlog - settled;
            }
        }
    }
    if rest > 0.0 && q.lambda > 0.0 {
        let served = rate * rest;
        out.served += served;
        out.dropped += (q.lambda - rate) * rest;
        for (k, (share, part)) in parts.into_iter().enumerate() {
            out.parts[1 + k] = (served * share, Some(part));
            out.time_in_system += served * share * part.mean();
            out.waited += served * share * part.mean_wait();
        }
        out.backlog = settled;
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
        // Each instance's cores this tick, added up over the services it
        // serves in service order; the hosts of the instances whose cores were
        // set, and the instances busy after the tick.
        self.traffic_mut().ticks += 1;
        let mut changed_hosts = vec![false; self.hosts.len()];
        let mut live_scratch: Vec<(InstanceId, (u32, f64))> = Vec::new();
        let mut shapes: Vec<(u32, u64)> = Vec::new();
        let mut queues: Vec<Queue> = Vec::new();
        let mut served_rates: Vec<f64> = Vec::new();
        let mut prepared: Vec<Prepared> = Vec::new();
        for i in 0..n_services {
            let s = &mut self.traffic_mut().services[i];
            let rate = s.spec.load.rate(now);
            s.rate_now = rate;
            let cost = s.spec.cost.mean().as_secs_f64().max(1e-9);
            let patience = s.spec.timeout.as_secs_f64();
            let t = self.traffic.as_deref().expect("traffic");
            let endpoints = &t.services[i].endpoints;
            let n_endpoints = endpoints.len();
            // Endpoints whose instance is no longer running (a stale entry) get
            // their share of the load and lose it.
            let mut live = std::mem::take(&mut live_scratch);
            live.clear();
            live.extend(endpoints.iter().filter(|&&id| t.running(id)).map(|&id| (id, self.workers(i, id))));
            let s = &mut self.traffic_mut().services[i];
            let counted = s.counts(now);
            let arrivals = rate * dt;
            let shared = s.spec.routing == Routing::SharedQueue;
            // The queues this tick, grouped by shape: a shared queue is one
            // queue over every live worker; other routing splits the load
            // evenly, a queue per instance.
            let mut lost = 0.0;
            shapes.clear();
            shapes.extend(live.iter().map(|&(_, (w, v))| (w, v.to_bits())));
            shapes.sort_unstable();
            shapes.dedup();
            queues.clear();
            if live.is_empty() {
                lost = arrivals;
            } else if shared {
                let servers: u32 = live.iter().map(|x| x.1.0).sum();
                let cores: f64 = live.iter().map(|&(_, (w, v))| f64::from(w) * v).sum();
                let mu = cores / f64::from(servers) / cost;
                queues.push(Queue { alike: 1.0, servers, lambda: rate, mu, discipline: Discipline::Pooled, patience });
            } else {
                let n = n_endpoints as f64;
                let discipline = match s.spec.routing {
                    Routing::RoundRobin => Discipline::InTurn { n: n_endpoints as u32 },
                    Routing::LeastRequests => Discipline::TwoChoices,
                    _ => Discipline::Pooled,
                };
                lost = arrivals * (n - live.len() as f64) / n;
                queues.extend(shapes.iter().map(|&(w, v)| {
                    let k = if shapes.len() == 1 {
                        live.len()
                    } else {
                        live.iter().filter(|x| x.1.0 == w && x.1.1.to_bits() == v).count()
                    };
                    Queue {
                        alike: k as f64,
                        servers: w,
                        lambda: rate / n,
                        mu: f64::from_bits(v) / cost,
                        discipline,
                        patience,
                    }
                }));
            }
            // The backlog is shared by the queues in proportion to their capacity.
            let capacity: f64 = queues.iter().map(|q| q.alike * f64::from(q.servers) * q.mu).sum();
            let backlog = s.backlog;
            let (mut served_total, mut dropped_total, mut backlog_after) = (0.0, lost, 0.0);
            if queues.is_empty() {
                // Nobody serves: what waited gives up.
                dropped_total += backlog;
            }
            s.stats.fluid.begin_tick();
            let mut tick_parts = std::mem::take(&mut s.stats.tick_parts);
            tick_parts.clear();
            served_rates.clear();
            prepared.clear();
            for q in &queues {
                let share = if capacity > 0.0 { backlog * f64::from(q.servers) * q.mu / capacity } else { 0.0 };
                let out = tick_queue(*q, share, dt);
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
                            s.stats.fluid.add(w * q.alike, part.part);
                            tick_parts.push((w * q.alike, part.part));
                            prepared.push(part);
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
                    let slow: f64 = tick_parts.iter().zip(&prepared).map(|((w, _), p)| w * p.survival(slo)).sum();
                    if (dropped_total + slow) / all > 0.05 {
                        s.stats.slo_violations += 1;
                    }
                }
            }
            s.stats.tick_parts = tick_parts;
            // CPU: each instance does the work of the requests it served; a shared
            // queue keeps every worker equally busy. An instance serving several
            // services adds up its cores in service order; its work follows at
            // once, as often as it changes (at one instant the work done so far
            // stays what it is).
            let total_cores: f64 = live.iter().map(|&(_, (w, v))| f64::from(w) * v).sum();
            let t = self.traffic.as_deref_mut().expect("traffic");
            let tick_number = t.ticks;
            for &(id, (w, v)) in &live {
                let cores = if shared {
                    served_rates[0] * cost * f64::from(w) * v / total_cores
                } else {
                    let q = shapes.binary_search(&(w, v.to_bits())).unwrap_or(0);
                    served_rates[q] * cost
                };
                let meter = t.meters.of(id);
                let total = if meter.tick == tick_number {
                    meter.tick_cores + cores
                } else {
                    meter.tick = tick_number;
                    if meter.host != u32::MAX {
                        changed_hosts[meter.host as usize] = true;
                    }
                    cores
                };
                meter.tick_cores = total;
                t.set_work(id, now, total);
            }
            live_scratch = live;
        }
        // Instances that stopped serving since the last tick and that no
        // service gave cores to now are idle, if they were busy.
        let t = self.traffic.as_deref_mut().expect("traffic");
        let tick_number = t.ticks;
        for id in std::mem::take(&mut t.stopped_serving) {
            let meter = t.meters.of(id);
            if meter.tick != tick_number && meter.work.busy > 0.0 {
                meter.tick = tick_number;
                if meter.host != u32::MAX {
                    changed_hosts[meter.host as usize] = true;
                }
                t.set_work(id, now, 0.0);
            }
        }
        // Every host whose instances' CPU use may have changed, in host order.
        for h in (0..changed_hosts.len()).filter(|&h| changed_hosts[h]) {
            self.update_power(crate::model::HostId(h as u32));
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

    fn queue(servers: u32, lambda: f64, patience: f64) -> Queue {
        Queue { alike: 1.0, servers, lambda, mu: 10.0, discipline: Discipline::Pooled, patience }
    }

    /// What arrives and what waited is served, dropped or waits on.
    fn conserved(q: Queue, backlog: f64, dt: f64, out: &Outcome) {
        let left = q.lambda * dt + backlog - out.served - out.dropped - out.backlog;
        assert!(left.abs() < 1e-6, "{left} requests unaccounted for");
    }

    #[test]
    fn an_m_m_c_tick_below_capacity_matches_erlang_c() {
        // c = 4, λ = 32, μ = 10, a long patience: nothing is dropped, and the
        // wait is Erlang C's, 0.074554 s (see scenarios/queueing-theory.ron).
        let q = queue(4, 32.0, 1e6);
        let out = tick_queue(q, 0.0, 10.0);
        assert!((out.served - 320.0).abs() < 1e-6);
        assert!(out.dropped.abs() < 1e-6);
        assert!((out.waited / out.served - 0.074554).abs() < 1e-5);
    }

    #[test]
    fn an_overloaded_queue_serves_its_capacity_and_its_backlog_drains_later() {
        // One worker serving 10/s offered 20/s with a 5 s patience: it serves
        // 10/s from the first moment, and what it cannot take waits, up to the
        // 50 requests it serves within 5 s; beyond that they give up.
        let q = queue(1, 20.0, 5.0);
        let first = tick_queue(q, 0.0, 2.0);
        assert!((first.served - 20.0).abs() < 1e-9 && first.dropped == 0.0);
        assert!((first.backlog - 20.0).abs() < 1e-9);
        conserved(q, 0.0, 2.0, &first);
        let later = tick_queue(q, first.backlog, 10.0);
        assert!(later.served > 95.0 && later.served <= 100.0 + 1e-9, "{}", later.served);
        assert!(later.backlog > 20.0 && later.backlog <= 50.0, "{}", later.backlog);
        assert!(later.dropped > 50.0, "{}", later.dropped);
        conserved(q, first.backlog, 10.0, &later);
        // Once the load falls to 5/s, the backlog drains at 5/s, the worker busy meanwhile.
        let calm = Queue { lambda: 5.0, ..q };
        let drain = tick_queue(calm, later.backlog, 20.0);
        assert!(drain.backlog < 1.0, "{}", drain.backlog);
        assert!(drain.served > later.backlog + 90.0, "{}", drain.served);
        conserved(calm, later.backlog, 20.0, &drain);
    }

    #[test]
    fn near_capacity_the_impatient_share_gives_up_and_frees_the_workers() {
        // λ = 9.9 on one worker of 10/s with a 1 s patience (room for 10
        // waiting): some give up, the worker stays busy most of the time, and
        // no served request waited longer than its patience.
        let (served, parts, waiting) = queue(1, 9.9, 1.0).steady();
        assert!(served < 1.0 && served > 0.85, "{served}");
        assert!(parts[1].0 > 0.8 && parts[1].0 < 1.0);
        assert_eq!(parts[1].1.wait_survival(1.0), 0.0);
        assert!(waiting > 2.0 && waiting < 10.0, "{waiting}");
    }

    #[test]
    fn a_bin_is_found_from_last_ticks_place_as_a_search_over_all_bins_finds_it() {
        // Ticks of three additions each, whose bins wander back and forth and
        // jump now and then, against the same weights summed by key.
        let mut sketch = FluidLatency::default();
        let mut by_key: std::collections::BTreeMap<BinKey, (f64, f64)> = Default::default();
        for tick in 0..3_000u64 {
            sketch.begin_tick();
            let wander = (tick as f64 / 97.0).sin() * 3.0 + (tick % 11) as f64 * 0.01;
            let parts = [
                Part::Service { mu: 10.0 + (tick % 3) as f64 },
                Part::Queued { theta: libm::exp(wander), mu: 10.0, limit: f64::INFINITY },
                Part::Behind { wait: libm::exp(-wander * 1.5) + (tick % 400 == 0) as u64 as f64 * 50.0, mu: 20.0 },
            ];
            for (k, part) in parts.into_iter().enumerate() {
                let w = 1.0 + k as f64 + (tick % 5) as f64;
                sketch.add(w, part);
                let (key, param) = match part {
                    Part::Service { mu } => ((0, mu.to_bits(), 0, 0), 0.0),
                    Part::Queued { theta, mu, limit } => ((1, mu.to_bits(), limit.to_bits(), bin(theta)), theta),
                    Part::Behind { wait, mu } => ((2, mu.to_bits(), 0, bin(wait)), wait),
                    Part::TwoChoices { .. } => unreachable!(),
                };
                let e = by_key.entry(key).or_default();
                e.0 += w;
                e.1 += w * param;
            }
        }
        let want: Vec<(BinKey, (f64, f64))> = by_key.into_iter().collect();
        assert!(want.len() > 1_000, "{} bins", want.len());
        assert_eq!(sketch.bins, want);
        // A merge into a sketch that has bins of its own.
        let mut merged = FluidLatency::default();
        merged.add(1.0, Part::Behind { wait: 0.5, mu: 20.0 });
        merged.merge(&sketch);
        let mut again = FluidLatency::default();
        again.merge(&sketch);
        again.merge(&FluidLatency {
            bins: vec![((2, 20.0f64.to_bits(), 0, bin(0.5)), (1.0, 0.5))],
            ..Default::default()
        });
        assert_eq!(merged.bins.len(), again.bins.len());
        assert!(merged.bins.windows(2).all(|p| p[0].0 < p[1].0));
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
            let queued = Part::Queued { theta, mu: 10.0, limit: f64::INFINITY };
            for (w, part) in [(1.0 - pw, Part::Service { mu: 10.0 }), (pw, queued)] {
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
        let queued = Part::Queued { theta: 2.0, mu: 10.0, limit: f64::INFINITY };
        let parts = [(1.0 - pw, Part::Service { mu: 10.0 }), (pw, queued)];
        let p95 = mixture_quantile(parts.iter().copied(), 0.95).unwrap();
        assert!((p95 - libm::log(20.0) / 2.0).abs() < 1e-9, "{p95}");
    }

    #[test]
    fn the_erlang_series_gives_each_survival_bit_for_bit() {
        for (mu, t) in [(10.0, 0.01), (10.0, 0.3), (2.5, 4.0), (40.0, 0.05), (1.0, 30.0)] {
            let mut series = ErlangSurvival::new(mu, t);
            for m in 1..40 {
                assert_eq!(series.at(m).to_bits(), erlang_survival(m, mu, t).to_bits(), "m {m}, μ {mu}, t {t}");
            }
        }
    }

    #[test]
    fn two_choices_match_the_supermarket_model() {
        // Mitzenmacher's supermarket model with d = 2 at λ = 0.9 per server of
        // rate 1: E[T] = Σ_{i≥1} λ^(2^i − 2) = 1 + 0.81 + 0.531 + 0.2288 + 0.0424 + … = 2.6139.
        let part = Part::TwoChoices { rho: 0.9, mu: 1.0 };
        assert!((part.mean() - 2.6139).abs() < 1e-3, "{}", part.mean());
        // Its survival starts at 1 and falls, and P(T > 0) = 1.
        assert!((part.survival(0.0) - 1.0).abs() < 1e-12);
        assert!(part.survival(1.0) > part.survival(5.0));
        // Against M/M/1 at the same load, whose mean is 10.
        assert!(part.mean() < 3.0);
    }

    #[test]
    fn a_cut_wait_ends_at_its_limit() {
        // Exp(1) cut at 2: P(W > 1) = (e^−1 − e^−2)/(1 − e^−2) = 0.2689.
        let part = Part::Queued { theta: 1.0, mu: 10.0, limit: 2.0 };
        assert!((part.wait_survival(1.0) - 0.268_941).abs() < 1e-5);
        assert_eq!(part.wait_survival(2.0), 0.0);
        // Its mean wait: 1 − 2e^−2/(1 − e^−2) = 1 − 0.270671/0.864665 = 0.686965.
        assert!((part.mean_wait() - 0.686_965).abs() < 1e-5, "{}", part.mean_wait());
    }

    #[test]
    fn far_over_capacity_a_cut_wait_stays_finite_and_continuous() {
        // θL = −699 uses e^{−θL} directly; −701 writes the density from the limit back.
        let (near, far) = (
            Part::Queued { theta: -699.0 / 30.0, mu: 20.0, limit: 30.0 },
            Part::Queued { theta: -701.0 / 30.0, mu: 20.0, limit: 30.0 },
        );
        // Nearly everyone waits close to the limit: about L − 1/|θ|.
        assert!((far.mean_wait() - (30.0 - 30.0 / 701.0)).abs() < 1e-9, "{}", far.mean_wait());
        assert!((near.mean_wait() - far.mean_wait()).abs() < 1e-3);
        for t in [0.0, 1.0, 29.9, 29.99, 30.0, 30.05, 31.0, 60.0] {
            let (a, b) = (near.survival(t), far.survival(t));
            assert!(a.is_finite() && b.is_finite(), "t = {t}: {a}, {b}");
            assert!((a - b).abs() < 2e-3, "t = {t}: {a} vs {b}");
            assert!((near.wait_survival(t) - far.wait_survival(t)).abs() < 2e-3, "t = {t}");
        }
        // And the quantiles of a mixture with it are found.
        let p95 = mixture_quantile([(1.0, far)].into_iter(), 0.95).unwrap();
        assert!(p95 > 29.9 && p95 < 30.2, "{p95}");
    }
}
