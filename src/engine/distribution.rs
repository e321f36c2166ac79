//! Distributions of durations, sampled from a [`RandomStream`].
//!
//! All transcendental maths goes through `libm`, whose results are the same on
//! every platform, so a scenario draws identical numbers natively and in the browser.

use serde::{Deserialize, Serialize};

use super::random::RandomStream;
use super::time::SimDuration;

/// z for the 95th percentile of the standard normal distribution.
pub const Z_P95: f64 = 1.644_853_626_951_472_2;

/// How long something takes, as a distribution.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Distribution {
    /// Always the same duration.
    Constant(SimDuration),
    /// Every microsecond between `min` and `max` (inclusive) equally likely.
    Uniform { min: SimDuration, max: SimDuration },
    /// Memoryless, with the given mean.
    Exponential { mean: SimDuration },
    /// Normal with the given mean and standard deviation, truncated at zero
    /// (negative draws are drawn again).
    Normal { mean: SimDuration, std_dev: SimDuration },
    /// Log-normal given by its median and 95th percentile, the way start-up
    /// times are usually reported.
    LogNormal { median: SimDuration, p95: SimDuration },
    /// One of the listed durations, each equally likely.
    Empirical(Vec<SimDuration>),
}

impl Distribution {
    /// Draws one duration.
    pub fn sample(&self, rng: &mut RandomStream) -> SimDuration {
        match self {
            Distribution::Constant(d) => *d,
            Distribution::Uniform { min, max } => {
                let (lo, hi) = (min.0.min(max.0), min.0.max(max.0));
                match (hi - lo).checked_add(1) {
                    Some(span) => SimDuration(lo + rng.below(span)),
                    None => SimDuration(rng.next_u64()),
                }
            }
            Distribution::Exponential { mean } => {
                SimDuration::from_secs_f64(-mean.as_secs_f64() * libm::log(rng.next_open_f64()))
            }
            Distribution::Normal { mean, std_dev } => {
                // Rejection keeps the shape of the upper part exactly; a thousand
                // misses in a row only happens when the mean sits far below zero,
                // which validation rules out, so zero is a safe last answer.
                for _ in 0..1000 {
                    let x = mean.as_secs_f64() + std_dev.as_secs_f64() * standard_normal(rng);
                    if x >= 0.0 {
                        return SimDuration::from_secs_f64(x);
                    }
                }
                SimDuration::ZERO
            }
            Distribution::LogNormal { median, p95 } => {
                let (mu, sigma) = lognormal_params(*median, *p95);
                SimDuration::from_secs_f64(libm::exp(mu + sigma * standard_normal(rng)))
            }
            Distribution::Empirical(values) => {
                if values.is_empty() {
                    SimDuration::ZERO
                } else {
                    values[rng.below(values.len() as u64) as usize]
                }
            }
        }
    }

    /// The distribution's mean, for display.
    pub fn mean(&self) -> SimDuration {
        match self {
            Distribution::Constant(d) => *d,
            Distribution::Uniform { min, max } => SimDuration((min.0 / 2) + (max.0 / 2)),
            Distribution::Exponential { mean } => *mean,
            Distribution::Normal { mean, .. } => *mean,
            Distribution::LogNormal { median, p95 } => {
                let (mu, sigma) = lognormal_params(*median, *p95);
                SimDuration::from_secs_f64(libm::exp(mu + sigma * sigma / 2.0))
            }
            Distribution::Empirical(values) => {
                if values.is_empty() {
                    SimDuration::ZERO
                } else {
                    let sum: u128 = values.iter().map(|v| u128::from(v.0)).sum();
                    SimDuration((sum / values.len() as u128) as u64)
                }
            }
        }
    }

    /// Problems with the parameters, as messages; empty when the distribution is sound.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        match self {
            Distribution::Constant(_) => {}
            Distribution::Uniform { min, max } => {
                if min > max {
                    out.push(format!("Uniform min ({min}) is above max ({max})"));
                }
            }
            Distribution::Exponential { mean } => {
                if mean.0 == 0 {
                    out.push("Exponential mean must be above zero".to_string());
                }
            }
            Distribution::Normal { mean, std_dev } => {
                if std_dev.0 > 0 && mean.as_secs_f64() < std_dev.as_secs_f64() * -3.0 {
                    out.push("Normal mean is too far below zero".to_string());
                }
            }
            Distribution::LogNormal { median, p95 } => {
                if median.0 == 0 {
                    out.push("LogNormal median must be above zero".to_string());
                }
                if p95 < median {
                    out.push(format!("LogNormal p95 ({p95}) is below the median ({median})"));
                }
            }
            Distribution::Empirical(values) => {
                if values.is_empty() {
                    out.push("Empirical needs at least one value".to_string());
                }
                if values.len() > 100_000 {
                    out.push(format!("Empirical has {} values; at most 100000 are allowed", values.len()));
                }
            }
        }
        out
    }
}

/// (μ, σ) of the underlying normal for a log-normal with this median and p95.
fn lognormal_params(median: SimDuration, p95: SimDuration) -> (f64, f64) {
    let m = median.as_secs_f64().max(1e-9);
    let p = p95.as_secs_f64().max(m);
    let mu = libm::log(m);
    (mu, (libm::log(p) - mu) / Z_P95)
}

/// One standard normal draw by the Box–Muller transform.
fn standard_normal(rng: &mut RandomStream) -> f64 {
    let u1 = rng.next_open_f64();
    let u2 = rng.next_f64();
    libm::sqrt(-2.0 * libm::log(u1)) * libm::cos(2.0 * std::f64::consts::PI * u2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draws(d: &Distribution, n: usize) -> Vec<f64> {
        let mut rng = RandomStream::derive(42, "test", "dist");
        let mut v: Vec<f64> = (0..n).map(|_| d.sample(&mut rng).as_secs_f64()).collect();
        v.sort_by(f64::total_cmp);
        v
    }

    #[test]
    fn lognormal_hits_its_median_and_p95() {
        let d = Distribution::LogNormal { median: SimDuration::from_secs(25), p95: SimDuration::from_secs(45) };
        let v = draws(&d, 20_000);
        let median = v[v.len() / 2];
        let p95 = v[v.len() * 95 / 100];
        assert!((median - 25.0).abs() < 0.6, "median {median}");
        assert!((p95 - 45.0).abs() < 1.5, "p95 {p95}");
    }

    #[test]
    fn exponential_mean_is_close() {
        let d = Distribution::Exponential { mean: SimDuration::from_secs(2) };
        let v = draws(&d, 20_000);
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        assert!((mean - 2.0).abs() < 0.06, "mean {mean}");
    }

    #[test]
    fn normal_is_truncated_at_zero() {
        let d = Distribution::Normal { mean: SimDuration::from_secs(1), std_dev: SimDuration::from_secs(2) };
        assert!(draws(&d, 5_000).iter().all(|&x| x >= 0.0));
    }

    #[test]
    fn uniform_covers_its_bounds_only() {
        let d = Distribution::Uniform { min: SimDuration::from_secs(5), max: SimDuration::from_secs(30) };
        let v = draws(&d, 5_000);
        assert!(v[0] >= 5.0 && v[v.len() - 1] <= 30.0);
        assert!(v[0] < 5.1 && v[v.len() - 1] > 29.9);
    }

    #[test]
    fn empirical_draws_only_listed_values() {
        let d = Distribution::Empirical(vec![SimDuration::from_secs(1), SimDuration::from_secs(3)]);
        assert!(draws(&d, 1_000).iter().all(|&x| x == 1.0 || x == 3.0));
    }

    #[test]
    fn bad_parameters_are_reported() {
        let d = Distribution::LogNormal { median: SimDuration::from_secs(5), p95: SimDuration::from_secs(1) };
        assert_eq!(d.problems().len(), 1);
        assert_eq!(Distribution::Empirical(vec![]).problems().len(), 1);
    }
}
