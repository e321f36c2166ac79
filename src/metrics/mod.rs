//! Metrics: what a run of one world comes to, under the names expectations
//! use (see [`crate::scenario::expect::METRICS`]), and the time series the
//! charts and CSV reports draw.

pub mod series;

use std::collections::BTreeMap;

use crate::behaviours::power::kwh;
use crate::model::Phase;
use crate::model::quantity::{GIB, MB};
use crate::world::World;

pub use series::Series;

/// A world's metrics by name; `None` where the run gave no value
/// (no instance started, say).
pub type Metrics = BTreeMap<String, Option<f64>>;

pub use crate::engine::stats::nearest_rank;

/// Computes every metric of the world as it stands now.
pub fn compute(world: &World) -> Metrics {
    let mut m = Metrics::new();
    let mut startups: Vec<f64> =
        world.instances().iter().filter_map(|i| i.startup_time()).map(|d| d.as_secs_f64()).collect();
    startups.sort_by(f64::total_cmp);
    m.insert("startup.p50".into(), nearest_rank(&startups, 0.50));
    m.insert("startup.p95".into(), nearest_rank(&startups, 0.95));
    m.insert("startup.max".into(), startups.last().copied());

    let counts = world.counts();
    let all_running_at = if counts.pending == 0 && counts.launched > 0 {
        world.instances().iter().filter_map(|i| i.entered(Phase::Running)).max().map(|t| t.as_secs_f64())
    } else {
        None
    };
    m.insert("all_running_at".into(), all_running_at);
    m.insert("instances.running".into(), Some(f64::from(counts.running)));
    m.insert("instances.pending".into(), Some(f64::from(counts.pending)));

    let per_host: Vec<usize> = world
        .hosts()
        .iter()
        .map(|h| h.instances.iter().filter(|&&i| world.instance(i).phase == Phase::Running).count())
        .collect();
    let in_use: Vec<usize> = per_host.iter().copied().filter(|&n| n > 0).collect();
    m.insert("density.max_per_host".into(), Some(in_use.iter().copied().max().unwrap_or(0) as f64));
    let mean = if in_use.is_empty() { 0.0 } else { in_use.iter().sum::<usize>() as f64 / in_use.len() as f64 };
    m.insert("density.mean_per_host".into(), Some(mean));

    let setup = world.setup();
    let (mut overhead, mut used, mut total, mut disk) = (0u64, 0u64, 0u64, 0u64);
    for (h, spec) in world.hosts().iter().zip(&setup.hosts) {
        disk += h.cache.used().0;
        if h.up {
            overhead += h.overhead_memory.0;
            used += h.memory_used.0;
            total += spec.memory.0;
            disk += h.disk_reserved.0;
        }
    }
    m.insert("memory.overhead_gib".into(), Some(overhead as f64 / GIB as f64));
    m.insert("memory.used_fraction".into(), Some(if total == 0 { 0.0 } else { used as f64 / total as f64 }));
    m.insert("image.pulled_mb".into(), Some(world.registry().bytes_served().0 as f64 / MB as f64));
    m.insert("disk.used_gib".into(), Some(disk as f64 / GIB as f64));
    m.insert("energy.kwh".into(), Some(kwh(world.energy_joules())));
    kubernetes(world, &mut m);
    traffic(world, &mut m);
    cost(world, &mut m);
    m
}

/// Request metrics; without services they have no value.
fn traffic(world: &World, m: &mut Metrics) {
    let Some(t) = world.traffic() else {
        for name in [
            "requests.served",
            "requests.dropped",
            "latency.p50",
            "latency.p95",
            "latency.p99",
            "latency.mean",
            "wait.mean",
            "in_system.mean",
            "slo.violation_s",
            "replicas.max",
            "replicas.mean",
        ] {
            m.insert(name.into(), None);
        }
        return;
    };
    let now = world.now();
    let served: u64 = t.services.iter().map(|s| s.stats.served).sum();
    let dropped: u64 = t.services.iter().map(|s| s.stats.dropped).sum();
    m.insert("requests.served".into(), Some(served as f64));
    m.insert("requests.dropped".into(), Some(dropped as f64));
    let fluid = matches!(t.mode, crate::model::traffic::TrafficMode::Fluid { .. });
    if fluid {
        // The latency distribution is the served-weighted mixture of each
        // tick's queueing times. Rates are fractions of requests: a run whose
        // served requests come to less than one has a mixture of some weight
        // all the same, but no request was served to take a latency from, as
        // in per-request mode.
        let mut all = crate::world::traffic::FluidLatency::default();
        for s in &t.services {
            all.merge(&s.stats.fluid);
        }
        let any = served > 0;
        for (name, q) in [("latency.p50", 0.5), ("latency.p95", 0.95), ("latency.p99", 0.99)] {
            m.insert(name.into(), all.quantile(q).filter(|_| any));
        }
        m.insert("latency.mean".into(), crate::world::traffic::mean_latency(&all).filter(|_| any));
    } else {
        let mut all = crate::engine::stats::Durations::default();
        for s in &t.services {
            all.merge(&s.stats.latencies);
        }
        m.insert("latency.p50".into(), all.quantile_secs(0.50));
        m.insert("latency.p95".into(), all.quantile_secs(0.95));
        m.insert("latency.p99".into(), all.quantile_secs(0.99));
        m.insert("latency.mean".into(), all.mean_secs());
    }
    let waits: f64 = t.services.iter().map(|s| s.stats.waits_total).sum();
    m.insert("wait.mean".into(), (served > 0).then(|| waits / served as f64));
    let in_system: f64 = t
        .services
        .iter()
        .map(|s| {
            // The integral runs to the last change; the requests inside since then count up to now.
            let start = crate::engine::SimTime::ZERO + s.spec.warmup;
            let tail =
                if fluid { 0.0 } else { s.in_system as f64 * now.since(s.last_change().max(start)).as_secs_f64() };
            (s.stats.in_system_integral + tail) / now.since(start).as_secs_f64().max(1e-9)
        })
        .sum();
    m.insert("in_system.mean".into(), Some(in_system));
    let violations: f64 = match t.mode {
        crate::model::traffic::TrafficMode::Fluid { tick } => {
            t.services.iter().map(|s| s.stats.slo_violations as f64 * tick.as_secs_f64()).sum()
        }
        crate::model::traffic::TrafficMode::PerRequest => {
            t.services.iter().map(|s| s.stats.slo_violation_seconds(s.spec.slo_p95) as f64).sum()
        }
    };
    m.insert("slo.violation_s".into(), Some(violations));
    m.insert("replicas.max".into(), Some(t.replicas_max as f64));
    m.insert("replicas.mean".into(), Some(t.replicas_mean(now)));
}

/// What the hosts and instances cost, and how many hosts were on at most.
fn cost(world: &World, m: &mut Metrics) {
    let now = world.now();
    let setup = world.setup();
    let host_cost: f64 = world
        .hosts()
        .iter()
        .zip(&setup.hosts)
        .map(|(h, s)| h.on_time_at(now).as_secs_f64() / 3600.0 * s.price_per_hour)
        .sum();
    // An instance is billed from placement until it stops or fails.
    let price = world.spec().instance_price_per_hour;
    let instance_hours: f64 = world
        .instances()
        .iter()
        .filter_map(|i| {
            let start = i.history.iter().find(|(p, _)| *p != Phase::WaitingForPlacement).map(|&(_, t)| t)?;
            let end = if i.phase.is_terminal() { i.history.last().map(|&(_, t)| t).unwrap_or(now) } else { now };
            Some(end.since(start).as_secs_f64() / 3600.0)
        })
        .sum();
    m.insert("cost.usd".into(), Some(host_cost + instance_hours * price));
    let nodes_max = match world.kube() {
        Some(k) => k.nodes_ready_max,
        None => world.max_hosts_on(),
    };
    m.insert("nodes.max".into(), Some(nodes_max as f64));
}

/// The Kubernetes metrics; without a cluster they have no value.
fn kubernetes(world: &World, m: &mut Metrics) {
    let k = world.kube();
    let f = |x: u64| Some(x as f64);
    m.insert("pods.running".into(), k.map(|_| f64::from(world.counts().running)));
    m.insert("pods.pending.max".into(), k.map(|_| f64::from(world.counts().max_pending)));
    m.insert("scheduling.attempts".into(), k.and_then(|k| f(k.stats.scheduling_attempts)));
    m.insert("scheduling.unschedulable".into(), k.and_then(|k| f(k.stats.scheduling_unschedulable)));
    m.insert(
        "rollout.duration".into(),
        k.and_then(|k| k.deployments.iter().filter_map(|d| d.last_rollout).max()).map(|d| d.as_secs_f64()),
    );
    m.insert(
        "rollout.min_available".into(),
        k.and_then(|k| k.deployments.iter().filter_map(|d| d.last_rollout_min_available).min()).map(f64::from),
    );
    m.insert("recovery.time".into(), k.and_then(|k| k.stats.last_recovery).map(|d| d.as_secs_f64()));
    m.insert("nodes.ready.min".into(), k.and_then(|k| k.stats.nodes_ready_min).map(|n| n as f64));
}
