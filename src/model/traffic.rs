//! Request traffic: how much load a service gets over time, how each request
//! costs CPU, and how requests are spread over the instances that serve it.

use serde::{Deserialize, Serialize};

use super::ids::AppId;
use crate::engine::{Distribution, SimDuration, SimTime};

/// Requests per second over time.
#[derive(Clone, Debug, PartialEq)]
pub enum LoadProfile {
    Constant(f64),
    /// `from` until `at`, then `to`.
    Step {
        from: f64,
        to: f64,
        at: SimDuration,
    },
    /// `from` until `start`, linearly to `to` at `end`, then `to`.
    Ramp {
        from: f64,
        to: f64,
        start: SimDuration,
        end: SimDuration,
    },
    /// `base`, rising over `ramp` from `start` to `peak`, held for `hold`, falling back over `ramp`.
    Spike {
        base: f64,
        peak: f64,
        start: SimDuration,
        ramp: SimDuration,
        hold: SimDuration,
    },
    /// A day's swing between `min` and `max`, highest at `peak_at` (a cosine with a 24 h period).
    Diurnal {
        min: f64,
        max: f64,
        peak_at: SimDuration,
    },
    /// Points (seconds, rps) read from a CSV file beside the scenario, joined by straight lines.
    Trace(Vec<(f64, f64)>),
}

const DAY: f64 = 86_400.0;

impl LoadProfile {
    /// The rate at `t`, requests per second.
    pub fn rate(&self, t: SimTime) -> f64 {
        let s = t.as_secs_f64();
        let lerp = |a: f64, b: f64, f: f64| a + (b - a) * f.clamp(0.0, 1.0);
        match self {
            LoadProfile::Constant(r) => *r,
            LoadProfile::Step { from, to, at } => {
                if s < at.as_secs_f64() {
                    *from
                } else {
                    *to
                }
            }
            LoadProfile::Ramp { from, to, start, end } => {
                let (a, b) = (start.as_secs_f64(), end.as_secs_f64());
                if s <= a {
                    *from
                } else if s >= b {
                    *to
                } else {
                    lerp(*from, *to, (s - a) / (b - a))
                }
            }
            LoadProfile::Spike { base, peak, start, ramp, hold } => {
                let (t0, r, h) = (start.as_secs_f64(), ramp.as_secs_f64(), hold.as_secs_f64());
                if s < t0 || s >= t0 + 2.0 * r + h {
                    *base
                } else if s < t0 + r {
                    lerp(*base, *peak, (s - t0) / r.max(1e-9))
                } else if s < t0 + r + h {
                    *peak
                } else {
                    lerp(*peak, *base, (s - t0 - r - h) / r.max(1e-9))
                }
            }
            LoadProfile::Diurnal { min, max, peak_at } => {
                let phase = 2.0 * std::f64::consts::PI * (s - peak_at.as_secs_f64()) / DAY;
                min + (max - min) * (1.0 + libm::cos(phase)) / 2.0
            }
            LoadProfile::Trace(points) => {
                let i = points.partition_point(|p| p.0 <= s);
                match (i.checked_sub(1).map(|k| points[k]), points.get(i)) {
                    (None, Some(p)) => p.1,
                    (Some(p), None) => p.1,
                    (Some(a), Some(b)) => lerp(a.1, b.1, (s - a.0) / (b.0 - a.0).max(1e-12)),
                    (None, None) => 0.0,
                }
            }
        }
    }

    /// The highest rate the profile ever reaches (for thinning).
    pub fn max_rate(&self) -> f64 {
        match self {
            LoadProfile::Constant(r) => *r,
            LoadProfile::Step { from, to, .. } | LoadProfile::Ramp { from, to, .. } => from.max(*to),
            LoadProfile::Spike { base, peak, .. } => base.max(*peak),
            LoadProfile::Diurnal { min, max, .. } => min.max(*max),
            LoadProfile::Trace(points) => points.iter().map(|p| p.1).fold(0.0, f64::max),
        }
    }
}

/// How a service spreads requests over its instances.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Routing {
    /// One queue in front of every instance; a free worker takes the oldest request (M/M/c).
    SharedQueue,
    /// Each request to an instance chosen at random; a queue per instance.
    Random,
    /// In turn, one instance after another (kube-proxy in IPVS round-robin mode).
    RoundRobin,
    /// The less busy of two instances chosen at random (Envoy's LEAST_REQUEST).
    #[default]
    LeastRequests,
}

/// Every request an event, or rates per tick.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrafficMode {
    PerRequest,
    Fluid { tick: SimDuration },
}

/// A service under load, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceLoad {
    pub name: String,
    /// The app whose instances (or, in Kubernetes, whose Deployment's Ready pods) serve it.
    pub app: AppId,
    pub load: LoadProfile,
    /// CPU time one request takes.
    pub cost: Distribution,
    /// Requests served at once per core an instance holds (at least one per
    /// instance). Requests side by side share their core: with k per core,
    /// each runs at 1/k of a core and takes k times its CPU time.
    pub concurrency: u32,
    pub routing: Routing,
    /// A request that has waited this long is dropped.
    pub timeout: SimDuration,
    /// The p95 latency objective for `slo.violation_s`.
    pub slo_p95: SimDuration,
    /// Statistics count only requests arriving after this.
    pub warmup: SimDuration,
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> SimTime = |s| SimTime(s * 1_000_000);

    #[test]
    fn spike_rises_holds_and_falls() {
        let p = LoadProfile::Spike {
            base: 10.0,
            peak: 110.0,
            start: SimDuration::from_secs(60),
            ramp: SimDuration::from_secs(10),
            hold: SimDuration::from_secs(100),
        };
        assert_eq!(p.rate(S(0)), 10.0);
        assert_eq!(p.rate(S(65)), 60.0);
        assert_eq!(p.rate(S(100)), 110.0);
        assert_eq!(p.rate(S(175)), 60.0);
        assert_eq!(p.rate(S(180)), 10.0);
        assert_eq!(p.max_rate(), 110.0);
    }

    #[test]
    fn diurnal_peaks_at_its_hour() {
        let p = LoadProfile::Diurnal { min: 100.0, max: 1000.0, peak_at: SimDuration::from_secs(14 * 3600) };
        assert!((p.rate(S(14 * 3600)) - 1000.0).abs() < 1e-9);
        assert!((p.rate(S(2 * 3600)) - 100.0).abs() < 1e-9);
    }

    #[test]
    fn trace_interpolates_between_points() {
        let p = LoadProfile::Trace(vec![(0.0, 10.0), (10.0, 30.0), (20.0, 30.0)]);
        assert_eq!(p.rate(S(5)), 20.0);
        assert_eq!(p.rate(S(100)), 30.0);
    }
}
