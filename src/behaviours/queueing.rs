//! Queueing theory for a Service with `c` servers: the M/M/c (Erlang C)
//! formulas the fluid traffic model uses for latency, and that per-request
//! runs are checked against (parameters.md D).
//!
//! Offered load a = λ/μ, utilisation ρ = a/c < 1;
//! P₀ = [Σ_{k<c} aᵏ/k! + aᶜ/c! · 1/(1−ρ)]⁻¹; C(c, a) = aᶜ/c! · 1/(1−ρ) · P₀;
//! Wq = C/(cμ − λ); W = Wq + 1/μ; P(Wq > t) = C·e^{−(cμ−λ)t}.

/// The probability that an arrival waits (Erlang C), or `None` when ρ ≥ 1.
/// Computed through the Erlang B recurrence, B(k) = a·B(k−1) / (k + a·B(k−1)),
/// then C = B / (1 − ρ(1 − B)): every step stays between 0 and 1, so any
/// number of servers and any load give a finite answer.
pub fn erlang_c(c: u32, lambda: f64, mu: f64) -> Option<f64> {
    if c == 0 || mu <= 0.0 || lambda < 0.0 || !lambda.is_finite() || !mu.is_finite() {
        return None;
    }
    let a = lambda / mu;
    let rho = a / f64::from(c);
    if rho >= 1.0 {
        return None;
    }
    if lambda == 0.0 {
        return Some(0.0);
    }
    let mut b = 1.0;
    for k in 1..=c {
        b = a * b / (f64::from(k) + a * b);
    }
    Some(b / (1.0 - rho * (1.0 - b)))
}

/// M/M/c whose requests give up after waiting `patience`, as an M/M/c/K
/// queue with room for K = cμ·patience waiting (those the workers take
/// within the patience): a request that finds the room full gives up. With
/// B the Erlang B probability of a(c), the states with j waiting have
/// p_{c+j} = B·ρ^j relative to the states without (which sum to 1); an
/// arrival waits when it finds c + j busy, j < K, and is turned away at K.
/// Below capacity and with room to spare it is the M/M/c queue; at ρ = 1
/// the waiting room fills evenly; over capacity it stays full.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WaitingRoom {
    /// The share of arrivals turned away.
    pub turned_away: f64,
    /// The share of the others that wait.
    pub waits: f64,
    /// The mean number waiting.
    pub waiting: f64,
}

impl WaitingRoom {
    pub fn new(c: u32, lambda: f64, mu: f64, patience: f64) -> Self {
        if c == 0 || mu <= 0.0 || lambda.is_nan() || lambda <= 0.0 {
            return WaitingRoom { turned_away: f64::from(c == 0 && lambda > 0.0), waits: 0.0, waiting: 0.0 };
        }
        let a = lambda / mu;
        let rho = a / f64::from(c);
        let mut b = 1.0;
        for k in 1..=c {
            b = a * b / (f64::from(k) + a * b);
        }
        let k = libm::round(f64::from(c) * mu * patience).max(1.0);
        // Σ_{j<K} ρ^j (arrivals that wait), ρ^K (turned away), Σ_{1≤j≤K} j·ρ^j (waiting).
        let (wait, full, queued) = if (rho - 1.0).abs() < 1e-9 {
            (k, 1.0, k * (k + 1.0) / 2.0)
        } else if rho > 1.0 && k * libm::log(rho) > 600.0 {
            // The room is full nearly always: divided by ρ^K, the sums tend to these.
            let total = b * rho / (rho - 1.0);
            return WaitingRoom { turned_away: b / total, waits: 1.0, waiting: (k - 1.0 / (rho - 1.0)).max(0.0) };
        } else {
            let rk = libm::pow(rho, k);
            let wait = (1.0 - rk) / (1.0 - rho);
            let queued = rho * (1.0 - (k + 1.0) * rk + k * rk * rho) / ((1.0 - rho) * (1.0 - rho));
            (wait, rk, queued)
        };
        // The states with none waiting sum to 1; Σ_{1≤j≤K} ρ^j = ρ·Σ_{j<K} ρ^j.
        let total = 1.0 + b * rho * wait;
        let turned_away = b * full / total;
        WaitingRoom {
            turned_away,
            waits: (b * wait / total / (1.0 - turned_away)).min(1.0),
            waiting: b * queued / total,
        }
    }
}

/// Mean wait in queue, Wq = C/(cμ − λ), in seconds.
pub fn mean_wait(c: u32, lambda: f64, mu: f64) -> Option<f64> {
    let pw = erlang_c(c, lambda, mu)?;
    Some(pw / (f64::from(c) * mu - lambda))
}

/// One M/M/c queue with its Erlang C probability worked out once, for the
/// many tail evaluations of a quantile search.
#[derive(Clone, Copy, Debug)]
struct Queue {
    pw: f64,
    c: u32,
    lambda: f64,
    mu: f64,
}

impl Queue {
    fn new(c: u32, lambda: f64, mu: f64) -> Option<Queue> {
        Some(Queue { pw: erlang_c(c, lambda, mu)?, c, lambda, mu })
    }

    /// P(T > t): Wq is 0 with probability 1 − C and Exp(cμ − λ) otherwise; S is Exp(μ).
    fn tail(&self, t: f64) -> f64 {
        let Queue { pw, c, lambda, mu } = *self;
        let a = f64::from(c) * mu - lambda;
        let service = libm::exp(-mu * t);
        let both = if (a - mu).abs() < 1e-12 {
            // E1 + E2 with equal rates is Erlang-2.
            (1.0 + mu * t) * libm::exp(-mu * t)
        } else {
            (a * libm::exp(-mu * t) - mu * libm::exp(-a * t)) / (a - mu)
        };
        (1.0 - pw) * service + pw * both
    }
}

/// The `q`-quantile of the M/M/c response time, by bisection on the tail.
pub fn response_quantile(c: u32, lambda: f64, mu: f64, q: f64) -> Option<f64> {
    let queue = Queue::new(c, lambda, mu)?;
    let target = 1.0 - q;
    let mut hi = 1.0 / mu;
    while queue.tail(hi) > target {
        hi *= 2.0;
        if hi > 1e9 {
            return None;
        }
    }
    let mut lo = 0.0;
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if queue.tail(mid) > target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(0.5 * (lo + hi))
}

/// The `q` quantile of response time over a mixture of M/M/c queues, each
/// given as (weight, c, λ, μ): the time t with a weighted share 1 − q of
/// responses slower than t, found by bisection. Unstable queues (ρ ≥ 1)
/// count as slower than any t.
pub fn mixture_response_quantile(parts: &[(f64, u32, f64, f64)], q: f64) -> Option<f64> {
    let weight: f64 = parts.iter().map(|x| x.0).sum();
    if weight <= 0.0 || !weight.is_finite() {
        return None;
    }
    let queues: Vec<(f64, Option<Queue>)> = parts.iter().map(|&(w, c, l, mu)| (w, Queue::new(c, l, mu))).collect();
    let tail = |t: f64| -> f64 {
        queues.iter().map(|&(w, queue)| w * queue.map_or(1.0, |queue| queue.tail(t))).sum::<f64>() / weight
    };
    let target = 1.0 - q;
    let mut hi = parts.iter().map(|x| 1.0 / x.3).fold(0.0, f64::max).max(1e-6);
    while tail(hi) > target && hi < 1e7 {
        hi *= 2.0;
    }
    let mut lo = 0.0;
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if tail(mid) > target { lo = mid } else { hi = mid }
    }
    Some(0.5 * (lo + hi))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mm1_reduces_to_rho() {
        // c = 1: C = ρ and Wq = ρ/(μ − λ). λ = 8, μ = 10: ρ = 0.8, Wq = 0.8/2 = 0.4 s.
        assert!((erlang_c(1, 8.0, 10.0).unwrap() - 0.8).abs() < 1e-12);
        assert!((mean_wait(1, 8.0, 10.0).unwrap() - 0.4).abs() < 1e-12);
    }

    #[test]
    fn erlang_c_for_four_servers() {
        // c = 4, λ = 36, μ = 10: a = 3.6, ρ = 0.9.
        // Σ_{k<4} aᵏ/k! = 1 + 3.6 + 6.48 + 7.776 = 18.856; a⁴/4! = 6.9984; /(1−ρ) = 69.984.
        // C = 69.984 / (18.856 + 69.984) = 0.787753…; Wq = C/(40 − 36) = 0.196938 s.
        let c = erlang_c(4, 36.0, 10.0).unwrap();
        assert!((c - 69.984 / 88.84).abs() < 1e-12, "{c}");
        assert!((mean_wait(4, 36.0, 10.0).unwrap() - 69.984 / 88.84 / 4.0).abs() < 1e-12);
        assert_eq!(erlang_c(4, 40.0, 10.0), None);
    }

    #[test]
    fn response_quantiles_match_the_mm1_closed_form() {
        // M/M/1: T is Exp(μ − λ), so its q-quantile is −ln(1 − q)/(μ − λ). λ = 8, μ = 10: p95 = ln 20 / 2.
        let p95 = response_quantile(1, 8.0, 10.0, 0.95).unwrap();
        assert!((p95 - libm::log(20.0) / 2.0).abs() < 1e-9, "{p95}");
        // With no load, T is the service time alone: p50 = ln 2 / μ.
        let p50 = response_quantile(3, 0.0, 10.0, 0.5).unwrap();
        assert!((p50 - libm::log(2.0) / 10.0).abs() < 1e-9);
    }

    #[test]
    fn a_large_waiting_room_is_the_m_m_c_queue() {
        // c = 4, λ = 36, μ = 10 with a patience of an hour: nobody is turned
        // away, the share that waits is Erlang C's 0.787753 and Lq = C·ρ/(1 − ρ) = 7.08978.
        let room = WaitingRoom::new(4, 36.0, 10.0, 3600.0);
        assert!(room.turned_away < 1e-12);
        assert!((room.waits - 69.984 / 88.84).abs() < 1e-9, "{}", room.waits);
        assert!((room.waiting - 69.984 / 88.84 * 0.9 / 0.1).abs() < 1e-6, "{}", room.waiting);
    }

    #[test]
    fn a_full_waiting_room_turns_the_excess_away() {
        // One worker at ρ = 1 with room for K = 50 waiting: the 52 states
        // (idle, one in service, then 1 to 50 waiting) are equally likely, so
        // 1/52 is turned away and (1 + 2 + … + 50)/52 = 24.519 wait on average.
        let room = WaitingRoom::new(1, 10.0, 10.0, 5.0);
        assert!((room.turned_away - 1.0 / 52.0).abs() < 1e-9, "{}", room.turned_away);
        assert!((room.waiting - 1275.0 / 52.0).abs() < 1e-9, "{}", room.waiting);
        // Twice over capacity with a long patience: half is turned away, the room stays full.
        let over = WaitingRoom::new(2, 40.0, 10.0, 1_000.0);
        assert!((over.turned_away - 0.5).abs() < 1e-6, "{}", over.turned_away);
        assert!(over.waits > 0.999 && over.waiting > 19_000.0);
    }

    #[test]
    fn erlang_c_stays_finite_for_large_loads() {
        // a = 900 (beyond where a^k/k! overflows an f64), c = 1000: a number between 0 and 1.
        let pw = erlang_c(1000, 900.0, 1.0).unwrap();
        assert!(pw.is_finite() && (0.0..1.0).contains(&pw), "{pw}");
        let p95 = response_quantile(1000, 900.0, 1.0, 0.95).unwrap();
        assert!(p95.is_finite() && p95 > 2.0 && p95 < 4.0, "{p95}");
    }
}
