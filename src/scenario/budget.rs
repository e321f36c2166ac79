//! The work budget: what a scenario will cost to run, estimated from its
//! parts before it runs, and refused when that is more than its budget.
//!
//! A run's time goes into events — requests arriving, pods scheduled,
//! instances starting — and into the objects some events visit: a placement
//! looks at every host, a scheduling cycle at many nodes, a fluid tick at every
//! instance. The estimate counts both in *events*, each visit weighted by
//! what it costs next to an event (measured; see the constants below), and
//! adds up the memory the objects and records take. It is an upper bound for
//! ordinary scenarios, not a prediction: where the count depends on what
//! happens (how often a pending pod is retried), it takes the busy case.
//!
//! The default budget admits every shipped scenario and ordinary classroom
//! and CI scenarios (up to about a minute of work); a scenario that needs more
//! says so with `budget: Budget(events: 2e9, memory: "8Gi")`, and the command
//! line's `--budget` overrides both. Limits on counts (hosts, instances,
//! requests, worlds) follow from the budget; there are no separate ceilings.

use serde::{Deserialize, Serialize};

use crate::engine::SimDuration;
use crate::model::Millicores;
use crate::model::quantity::{Bytes, GIB};
use crate::model::spec::{Action, KubeObject, Platform, Setup, WorldSpec};
use crate::model::traffic::{LoadProfile, Routing, TrafficMode};

/// How much work and memory a run may take.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Budget {
    /// Events, with the objects events visit counted at their weight.
    pub events: f64,
    /// Memory for the worlds' state and records.
    pub memory: Bytes,
}

impl Budget {
    /// About a minute of work on one core of a 2020s laptop.
    pub const DEFAULT_EVENTS: f64 = 1e8;
    /// What a desktop or CI machine spares without trouble; a browser tab less.
    #[cfg(not(target_arch = "wasm32"))]
    pub const DEFAULT_MEMORY: Bytes = Bytes(2 * GIB);
    #[cfg(target_arch = "wasm32")]
    pub const DEFAULT_MEMORY: Bytes = Bytes(GIB);

    pub const DEFAULT: Budget = Budget { events: Budget::DEFAULT_EVENTS, memory: Budget::DEFAULT_MEMORY };
}

impl Default for Budget {
    fn default() -> Self {
        Budget::DEFAULT
    }
}

/// A budget as a scenario file or the command line gives it; what is left
/// out keeps its default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename = "Budget", deny_unknown_fields)]
pub struct BudgetFile {
    #[serde(default)]
    pub events: Option<f64>,
    #[serde(default)]
    pub memory: Option<Bytes>,
}

impl BudgetFile {
    /// Reads `events=2e9,memory=8Gi` (either part may be left out, neither
    /// given twice).
    pub fn parse(text: &str) -> Result<BudgetFile, String> {
        let mut out = BudgetFile::default();
        for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let Some((key, value)) = item.split_once('=') else {
                return Err(format!("{} is not KEY=VALUE; write events=2e9,memory=8Gi", super::error::quoted(item)));
            };
            let key = key.trim();
            if (key == "events" && out.events.is_some()) || (key == "memory" && out.memory.is_some()) {
                return Err(format!("{key} is given twice; give it once"));
            }
            match key {
                "events" => {
                    let n: f64 = value.trim().parse().map_err(|_| {
                        format!("events={} is not a number such as 2e9", crate::engine::time::shown_value(value))
                    })?;
                    out.events = Some(n);
                }
                "memory" => out.memory = Some(Bytes::parse(value.trim())?),
                other => {
                    return Err(format!(
                        "{} is not part of a budget; it has events and memory",
                        super::error::quoted(other)
                    ));
                }
            }
        }
        Ok(out)
    }

    /// What is wrong with the figures, if anything.
    pub fn problem(&self) -> Option<String> {
        match self.events {
            Some(e) if !(e.is_finite() && e >= 1.0) => Some("events is a number of at least 1".to_string()),
            _ => None,
        }
        .or_else(|| self.memory.filter(|m| m.0 == 0).map(|_| "memory must be above zero".to_string()))
    }

    /// `self`'s figures where given, `under`'s where not.
    pub fn over(self, under: Budget) -> Budget {
        Budget { events: self.events.unwrap_or(under.events), memory: self.memory.unwrap_or(under.memory) }
    }
}

// Weights, in events: what visiting one object costs next to handling one
// event (about 0.35 µs for a request's arrival or departure in a release
// build). Measured with `tests/budget.rs`'s calibration, which runs scaled-up
// shapes of scenario (many hosts, many instances, long runs, fluid ticks,
// large clusters) and compares each estimate with the time and memory taken.

/// A placement looking at one host for one instance.
const HOST_CHECK: f64 = 0.2;
/// A registry re-allocation touching one flow.
const FLOW_UPDATE: f64 = 0.05;
/// A periodic pass (scrape, scan) visiting one object.
const VISIT: f64 = 0.02;
/// A traffic sample counting one host that is on.
const HOST_SAMPLE: f64 = 0.01;
/// A scheduling cycle filtering and scoring one node.
const NODE_SCORE: f64 = 1.0;
/// A scheduling cycle for a pod that fits nowhere, tried again (about 2.8
/// events each, measured with 1,950 pods waiting on 50 nodes).
const RETRY: f64 = 3.0;
/// `kubectl drain` asks again for an eviction a PodDisruptionBudget refused
/// after this long (5 s); each request is about one event.
const DRAIN_RETRY_S: f64 = 5.0;
/// A fluid tick computing one instance's share.
const FLUID_INSTANCE: f64 = 0.8;
/// Least-requests routing, beside the request's own events.
const LEAST_REQUESTS: f64 = 4.0;
/// A change of phase making a service look again at one instance.
const ENDPOINT_VISIT: f64 = 0.05;
/// A node's state at the start: its labels, its scheduler cache entry.
const NODE_INIT: f64 = 5.0;
/// The program itself, before any scenario.
const PROGRAM_BYTES: f64 = 16.0 * 1024.0 * 1024.0;
/// A replacement looking again at one instance still waiting.
const REPLACEMENT_VISIT: f64 = 0.06;

// Bytes per object, measured the same way (peak resident memory over counts).

/// A host as validation describes it, before its labels and cached images.
const HOST_SPEC_BYTES: f64 = 250.0;
/// A host's state in one world.
const HOST_STATE_BYTES: f64 = 400.0;
/// A blob in a host's cache.
const CACHE_ENTRY_BYTES: f64 = 64.0;
/// A node in a Kubernetes world, before its labels, with its scheduler cache entry.
const NODE_BYTES: f64 = 1200.0;
/// A label or taint, beyond its text.
const LABEL_BYTES: f64 = 80.0;
/// An instance with its history.
const INSTANCE_BYTES: f64 = 450.0;
/// A pod as the API server holds it, beyond its instance.
const POD_BYTES: f64 = 600.0;
/// A service's latencies, kept for percentiles in an HdrHistogram of 3
/// significant digits up to 2^45 µs: 36,864 counts of 8 bytes, however many
/// requests it serves.
const LATENCY_HISTOGRAM_BYTES: f64 = 36_864.0 * 8.0;
/// One count of PodTopologySpread's, a selector's pods in one domain: 4
/// bytes, and its share of the rest (30,000 selectors over 5,000 nodes took
/// 0.75 GiB beyond the other estimates).
const SPREAD_COUNT_BYTES: f64 = 5.5;
/// A request waiting in a queue.
const REQUEST_BYTES: f64 = 48.0;
/// A sample of a world's time series, or an event in its log.
const SAMPLE_BYTES: f64 = 96.0;

/// Events in an instance's life: launch, placement, pulls, start, stop.
const INSTANCE_EVENTS: f64 = 8.0;
/// Events in a pod's life: the controllers, the scheduler, the kubelet, the endpoints.
const POD_EVENTS: f64 = 16.0;

/// kube-scheduler moves a pod that stayed unschedulable this long back to the
/// active queue (podMaxInUnschedulablePodsDuration, 5 min).
const UNSCHEDULABLE_RETRY_S: f64 = 300.0;
/// How often it looks for such pods (flushUnschedulablePodsLeftover, 30 s).
const FLUSH_S: f64 = 30.0;
/// metrics-server's scrape and the HPA's sync (15 s).
const SCRAPE_S: f64 = 15.0;
/// The scale-down stabilisation window of an HPA (300 s).
const STABILIZATION_S: f64 = 300.0;

/// One part of the cost, in the words of the scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Part {
    /// The world it belongs to; `None` for what all worlds share.
    pub world: Option<String>,
    /// What it is, with the figures that drive it.
    pub what: String,
    pub events: f64,
    pub bytes: f64,
    /// What would cost less, when something would.
    pub hint: Option<&'static str>,
}

/// A scenario's estimated cost, part by part.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Estimate {
    pub parts: Vec<Part>,
}

impl Estimate {
    pub fn events(&self) -> f64 {
        self.parts.iter().map(|p| p.events).sum()
    }

    pub fn bytes(&self) -> f64 {
        self.parts.iter().map(|p| p.bytes).sum()
    }

    fn add(&mut self, world: Option<&str>, what: String, events: f64, bytes: f64) {
        if events > 0.0 || bytes > 0.0 {
            self.parts.push(Part { world: world.map(str::to_string), what, events, bytes, hint: None });
        }
    }

    /// Why the scenario does not fit `budget`, naming the parts that cost
    /// most; `None` when it fits.
    pub fn refusal(&self, budget: &Budget) -> Option<String> {
        let (events, bytes) = (self.events(), self.bytes());
        let mut reasons = Vec::new();
        if events > budget.events {
            reasons.push(format!(
                "about {} events, more than the budget of {} ({})",
                sci(events),
                sci(budget.events),
                self.largest(|p| p.events, sci)
            ));
        }
        if bytes > budget.memory.0 as f64 {
            reasons.push(format!(
                "about {} of memory, more than the budget of {} ({})",
                size(bytes),
                budget.memory.binary(),
                self.largest(|p| p.bytes, size)
            ));
        }
        if reasons.is_empty() {
            return None;
        }
        let mut raise = Vec::new();
        if events > budget.events {
            raise.push(format!("events: {}", sci(round_up(events))));
        }
        if bytes > budget.memory.0 as f64 {
            raise.push(format!("memory: \"{}\"", Bytes(round_up(bytes) as u64).binary()));
        }
        let hint = self
            .parts
            .iter()
            .max_by(|a, b| a.events.total_cmp(&b.events))
            .and_then(|p| p.hint)
            .map_or_else(String::new, |h| format!("; {h}"));
        Some(format!(
            "the run needs {}; if it is meant, raise the budget with budget: Budget({}) or --budget {}{hint}",
            reasons.join(", and "),
            raise.join(", "),
            raise.iter().map(|r| r.replace(": ", "=").replace('"', "")).collect::<Vec<_>>().join(",")
        ))
    }

    /// The parts that cost most by `key`, largest first, each with its
    /// figure; the same part in several worlds is named once, with its worlds.
    fn largest(&self, key: impl Fn(&Part) -> f64, show: fn(f64) -> String) -> String {
        let mut groups: Vec<(&str, Vec<Option<&str>>, f64)> = Vec::new();
        for p in self.parts.iter().filter(|p| key(p) > 0.0) {
            match groups.iter_mut().find(|g| g.0 == p.what) {
                Some(g) => {
                    g.1.push(p.world.as_deref());
                    g.2 += key(p);
                }
                None => groups.push((p.what.as_str(), vec![p.world.as_deref()], key(p))),
            }
        }
        groups.sort_by(|a, b| b.2.total_cmp(&a.2));
        let total: f64 = groups.iter().map(|g| g.2).sum();
        let mut shown = Vec::new();
        let mut covered = 0.0;
        for (what, worlds, cost) in groups.iter().take(3) {
            // Enough parts to explain most of it, never the crumbs.
            if covered > 0.9 * total {
                break;
            }
            covered += cost;
            let named: Vec<String> = worlds.iter().flatten().take(3).map(|w| super::error::quoted(w)).collect();
            let place = match worlds.len() {
                _ if named.is_empty() => String::new(),
                1 => format!("world {}: ", named.join("")),
                n if n <= 3 => format!("worlds {}: ", named.join(", ")),
                n => format!("{n} worlds ({}, …): ", named.join(", ")),
            };
            shown.push(format!("{place}{what}, {}", show(*cost)));
        }
        shown.join("; ")
    }
}

/// `1 host`, `3 hosts`, `2 timeline entries`.
fn of(n: f64, what: &str) -> String {
    let n = libm::ceil(n.max(0.0));
    let word = if n == 1.0 {
        what.to_string()
    } else if let Some(stem) = what.strip_suffix('y') {
        format!("{stem}ies")
    } else {
        format!("{what}s")
    };
    if n < 1e7 { format!("{} {word}", n as u64) } else { format!("{n:.1e} {word}") }
}

/// `3.2e11`, or plain for small numbers.
fn sci(x: f64) -> String {
    if x < 1e5 { format!("{}", libm::ceil(x) as u64) } else { format!("{x:.1e}") }
}

fn size(bytes: f64) -> String {
    Bytes(libm::ceil(bytes.min(u64::MAX as f64)) as u64).binary()
}

/// Two significant figures, rounded up: a budget that surely admits `x`.
fn round_up(x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    let scale = libm::pow(10.0, libm::floor(libm::log10(x)) - 1.0);
    libm::ceil(x / scale) * scale
}

/// A host group as validation sees it before it makes the hosts.
#[derive(Clone, Copy, Debug)]
pub(crate) struct HostGroupShape {
    pub count: u64,
    /// Blobs cached on each host at the start.
    pub cached: u64,
    /// Bytes of label and taint text on each host.
    pub label_text: u64,
    /// Labels and taints on each host.
    pub labels: u64,
}

/// What describing the hosts takes, before any world runs; validation checks
/// it before it makes them.
pub(crate) fn host_bytes(groups: &[HostGroupShape]) -> (u64, f64) {
    let hosts: u64 = groups.iter().map(|g| g.count).sum();
    let bytes = groups
        .iter()
        .map(|g| {
            g.count as f64
                * (HOST_SPEC_BYTES + 4.0 * g.cached as f64 + g.label_text as f64 + LABEL_BYTES * g.labels as f64)
        })
        .sum();
    (hosts, bytes)
}

/// A host's state made in each world at the start.
const HOST_INIT: f64 = 1.0;

/// What the hosts alone take: described once, then a state in each world.
/// Validation weighs this before it makes them, so that a short file cannot
/// ask for more hosts than the budget holds.
pub(crate) fn hosts_before_worlds(groups: &[HostGroupShape], worlds: usize) -> Estimate {
    let mut e = Estimate::default();
    let (hosts, bytes) = host_bytes(groups);
    let cached: f64 = groups.iter().map(|g| g.count as f64 * g.cached as f64).sum();
    e.add(None, of(hosts as f64, "host"), 0.0, bytes);
    let worlds = worlds.max(1) as f64;
    e.add(
        None,
        format!("{} in each of {}", of(hosts as f64, "host"), of(worlds, "world")),
        worlds * hosts as f64 * HOST_INIT,
        worlds * (hosts as f64 * HOST_STATE_BYTES + cached * CACHE_ENTRY_BYTES),
    );
    e
}

/// The parts of a checked scenario and what each costs.
pub fn estimate(setup: &Setup, worlds: &[std::sync::Arc<WorldSpec>]) -> Estimate {
    let mut e = Estimate::default();
    e.add(None, "the program itself".to_string(), 0.0, PROGRAM_BYTES);
    let shapes: Vec<HostGroupShape> = setup
        .hosts
        .iter()
        .map(|h| HostGroupShape {
            count: 1,
            cached: h.cached.len() as u64,
            label_text: h.labels.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>() as u64
                + h.taints.iter().map(|t| t.key.len() + t.value.len()).sum::<usize>() as u64,
            labels: (h.labels.len() + h.taints.len()) as u64,
        })
        .collect();
    let (hosts, bytes) = host_bytes(&shapes);
    e.add(None, of(hosts as f64, "host"), 0.0, bytes);
    let layers: usize = setup.images.iter().map(|i| i.layers.len()).sum();
    e.add(None, format!("{} images of {layers} layers in all", setup.images.len()), 0.0, 4.0 * layers as f64);
    for w in worlds {
        world(&mut e, setup, w);
    }
    e
}

/// A count drawn at random with mean `m` (requests arriving, candidates
/// for arrival), bounded above: the mean plus six standard deviations of a
/// Poisson count, so that a run goes over its estimate by chance about once
/// in a billion runs rather than every other run.
fn poisson_high(m: f64) -> f64 {
    m + 6.0 * libm::sqrt(m.max(0.0)) + 6.0
}

/// Requests arriving over `[0, d]` seconds at the profile's rate.
fn requests(load: &LoadProfile, d: f64) -> f64 {
    // ∫ of a rate that is `a` until `t0`, then `b`, over [0, d].
    let step = |a: f64, b: f64, t0: f64| a * t0.clamp(0.0, d) + b * (d - t0.clamp(0.0, d));
    // ∫ of a straight line from (t0, a) to (t1, b), clipped to [0, d].
    let segment = |t0: f64, a: f64, t1: f64, b: f64| {
        let (lo, hi) = (t0.max(0.0), t1.min(d));
        if hi <= lo || t1 <= t0 {
            return 0.0;
        }
        let at = |t: f64| a + (b - a) * (t - t0) / (t1 - t0);
        (at(lo) + at(hi)) / 2.0 * (hi - lo)
    };
    match load {
        LoadProfile::Constant(r) => r * d,
        LoadProfile::Step { from, to, at } => step(*from, *to, at.as_secs_f64()),
        LoadProfile::Ramp { from, to, start, end } => {
            let (a, b) = (start.as_secs_f64(), end.as_secs_f64());
            from * a.clamp(0.0, d) + segment(a, *from, b, *to) + to * (d - b.clamp(0.0, d))
        }
        LoadProfile::Spike { base, peak, start, ramp, hold } => {
            let (t0, r, h) = (start.as_secs_f64(), ramp.as_secs_f64(), hold.as_secs_f64());
            base * d
                + segment(t0, 0.0, t0 + r, peak - base)
                + (peak - base) * ((t0 + r + h).min(d) - (t0 + r).min(d)).max(0.0)
                + segment(t0 + r + h, peak - base, t0 + 2.0 * r + h, 0.0)
        }
        // The mean of the cosine, and at most half a day's swing above it.
        LoadProfile::Diurnal { min, max, .. } => (min + max) / 2.0 * d + (max - min).abs() / 2.0 * 86_400.0 / 3.15,
        LoadProfile::Trace(points) => {
            let (Some(first), Some(last)) = (points.first(), points.last()) else { return 0.0 };
            let mut total = first.1 * first.0.clamp(0.0, d) + last.1 * (d - last.0.clamp(0.0, d));
            for pair in points.windows(2) {
                if let [a, b] = pair {
                    total += segment(a.0, a.1, b.0, b.1);
                }
            }
            total
        }
    }
}

/// How often, over `d` seconds, the containers of one pod made from
/// `template` restart: the kubelet restarts an exited container at least
/// every 5 minutes (its back-off's cap), unless the pod never restarts.
fn container_restarts(template: &crate::model::kube::PodTemplate, d: f64) -> f64 {
    if template.restart_policy == crate::model::kube::RestartPolicy::Never {
        return 0.0;
    }
    template
        .containers
        .iter()
        .chain(&template.init_containers)
        .filter_map(|c| c.exits_after)
        .map(|exit| periods(d, (exit + SimDuration::from_secs(10)).min(SimDuration::from_secs(300))))
        .sum()
}

/// What a fixed-period activity over the run adds up to.
fn periods(d: f64, period: SimDuration) -> f64 {
    d / period.as_secs_f64().max(1e-6)
}

/// How often a load rises and falls again over `d` seconds: each swing can
/// make an autoscaler add instances and, later, remove them.
fn swings(load: &LoadProfile, d: f64) -> f64 {
    match load {
        LoadProfile::Constant(_) => 1.0,
        LoadProfile::Step { .. } | LoadProfile::Ramp { .. } | LoadProfile::Spike { .. } => 1.0,
        LoadProfile::Diurnal { .. } => libm::ceil(d / 86_400.0).max(1.0),
        // Every local peak of the trace within the run.
        LoadProfile::Trace(points) => {
            let peaks =
                points.windows(3).filter(|w| matches!(w, [a, b, c] if b.0 <= d && b.1 > a.1 && b.1 >= c.1)).count();
            (peaks as f64).max(1.0)
        }
    }
}

fn world(e: &mut Estimate, setup: &Setup, w: &WorldSpec) {
    let name = Some(w.name.as_str());
    let d = setup.duration.as_secs_f64();
    let run = setup.duration;
    let hosts = (setup.hosts.len() - w.unused_hosts.len().min(setup.hosts.len())) as f64;
    let all_hosts = setup.hosts.len() as f64;
    let cached: f64 = setup.hosts.iter().map(|h| (h.cached.len() + w.preloaded.len()) as f64).sum();
    e.add(
        name,
        of(all_hosts, "host"),
        all_hosts * HOST_INIT,
        all_hosts * HOST_STATE_BYTES + cached * CACHE_ENTRY_BYTES,
    );
    e.add(name, of(w.timeline.len() as f64, "timeline entry"), w.timeline.len() as f64, 64.0 * w.timeline.len() as f64);

    // The most instances of each app at once (in Kubernetes, of the
    // Deployment named after it), and how many are made in all.
    let mut alive: std::collections::BTreeMap<String, f64> = std::collections::BTreeMap::new();
    let instances = match &w.platform {
        Platform::Kubernetes(k) => pods(e, name, setup, w, k, d, hosts, &mut alive),
        _ => plain(e, name, setup, w, d, hosts, &mut alive),
    };
    let of_app = |app: crate::model::AppId| {
        setup.apps.get(app.index()).and_then(|a| alive.get(&a.name)).copied().unwrap_or(0.0).max(1.0)
    };

    // Traffic.
    if w.services.is_empty() {
        return;
    }
    let samples = match setup.traffic_mode {
        TrafficMode::PerRequest => d,
        TrafficMode::Fluid { tick } => periods(d, tick.max(SimDuration::from_secs(1))),
    };
    e.add(
        name,
        format!("traffic samples: {samples:.0} × {}", of(hosts, "host")),
        samples * (1.0 + hosts * HOST_SAMPLE),
        samples * SAMPLE_BYTES * w.services.len() as f64,
    );
    e.add(
        name,
        format!("metrics-server scrapes: every 15s for {run} × {}", of(instances, "instance")),
        d / SCRAPE_S * (1.0 + instances * VISIT),
        0.0,
    );
    // Every change of phase makes the services look again at their instances.
    let changes = 5.0 * instances;
    e.add(
        name,
        format!("endpoints: {} changes × {}", sci(changes), of(instances, "instance")),
        changes * instances * ENDPOINT_VISIT,
        0.0,
    );
    match setup.traffic_mode {
        TrafficMode::PerRequest => {
            for s in &w.services {
                let max = s.load.max_rate();
                let candidates = max * d;
                let served = requests(&s.load, d).min(candidates);
                let per_request = match s.routing {
                    Routing::SharedQueue => 1.0 + of_app(s.app) * VISIT,
                    Routing::LeastRequests => 1.0 + LEAST_REQUESTS,
                    Routing::Random | Routing::RoundRobin => 1.0,
                };
                e.add(
                    name,
                    format!(
                        "service {}: {} requests ({} rps at most, for {run})",
                        super::error::quoted(&s.name),
                        sci(served),
                        max
                    ),
                    poisson_high(candidates) + poisson_high(served) * per_request,
                    LATENCY_HISTOGRAM_BYTES + max * s.timeout.as_secs_f64().min(d) * REQUEST_BYTES,
                );
                if let Some(p) = e.parts.last_mut() {
                    p.hint = Some("or use traffic: Fluid(tick: \"1s\"), which costs a tick, not an event per request");
                }
            }
        }
        TrafficMode::Fluid { tick } => {
            let ticks = periods(d, tick);
            let serving: f64 = w.services.iter().map(|s| of_app(s.app)).sum();
            e.add(
                name,
                format!(
                    "fluid ticks: {ticks:.0} (every {tick} for {run}) × {} × up to {} serving",
                    of(w.services.len() as f64, "service"),
                    of(serving, "instance")
                ),
                ticks * (w.services.len() as f64 + serving * FLUID_INSTANCE),
                ticks * w.services.len() as f64 * 16.0,
            );
        }
    }
}

/// `pulls` image pulls, as many at once as the registry allows: each start
/// and end re-shares the bandwidth among the flows, and each pulled blob is
/// a cache entry.
fn image_pulls(e: &mut Estimate, name: Option<&str>, setup: &Setup, pulls: f64) {
    let concurrent = setup.registry.max_concurrent_pulls.map_or(pulls, |c| pulls.min(f64::from(c)));
    e.add(
        name,
        format!("image pulls: {pulls:.0}, up to {concurrent:.0} at once"),
        3.0 * pulls + pulls * concurrent * FLOW_UPDATE,
        pulls * CACHE_ENTRY_BYTES,
    );
}

/// Instances outside Kubernetes: launched, replaced, placed, pulled; returns
/// how many are made in all.
fn plain(
    e: &mut Estimate,
    name: Option<&str>,
    setup: &Setup,
    w: &WorldSpec,
    d: f64,
    hosts: f64,
    alive: &mut std::collections::BTreeMap<String, f64>,
) -> f64 {
    let mut launched = vec![0.0; setup.apps.len()];
    let mut stops = 0.0;
    let mut failures = 0.0;
    for t in &w.timeline {
        match &t.action {
            Action::Launch { app, count } => {
                if let Some(n) = launched.get_mut(app.index()) {
                    *n += f64::from(*count);
                }
            }
            Action::Stop { .. } => stops += 1.0,
            Action::FailHost(_) => failures += 1.0,
            _ => {}
        }
    }
    if let Some(g) = &w.autoscaling
        && let Some(n) = launched.get_mut(g.app.index())
    {
        // Each scale-out after a cooldown may launch up to the group's size.
        *n += f64::from(g.max) * (1.0 + periods(d, g.cooldown.max(g.period)));
    }
    for (app, n) in setup.apps.iter().zip(&launched) {
        alive.insert(app.name.clone(), *n);
    }
    let total: f64 = launched.iter().sum();
    let mut replacements = 0.0;
    if w.replace_failed_after.is_some() && failures > 0.0 {
        // A host holds at most what its CPU and memory fit of the smallest app.
        let per_host = setup
            .hosts
            .iter()
            .flat_map(|h| {
                setup.apps.iter().map(move |a| {
                    let cpu = h.cpu.0 as f64 * w.cpu_allocation_ratio / a.cpu.0.max(1) as f64;
                    let mem = h.memory.0 as f64 / a.memory.0.max(1) as f64;
                    cpu.min(mem)
                })
            })
            .fold(0.0, f64::max);
        let most = per_host.min(total);
        replacements = failures * most;
        e.add(
            name,
            format!("replacements: {} × up to {} each", of(failures, "host failure"), of(most, "instance")),
            // Each replacement looks again at every instance still waiting.
            replacements * (INSTANCE_EVENTS + most * REPLACEMENT_VISIT),
            replacements * (INSTANCE_BYTES + 3.0 * SAMPLE_BYTES),
        );
    }
    let instances = total + replacements;
    e.add(
        name,
        format!("{} launched", of(total, "instance")),
        total * INSTANCE_EVENTS + stops * instances * VISIT,
        total * (INSTANCE_BYTES + 3.0 * SAMPLE_BYTES),
    );
    e.add(
        name,
        format!("placement: {} × {}", of(instances, "instance"), of(hosts, "host")),
        instances * hosts * HOST_CHECK,
        0.0,
    );
    // Each host pulls an app's blobs it lacks once; every pull re-shares the bandwidth among the flows.
    let mut pulls = 0.0;
    for (app, n) in setup.apps.iter().zip(&launched) {
        let blobs = setup.images.get(app.image.index()).map_or(0, |i| i.layers.len()) + 1;
        pulls += n.min(hosts) * blobs as f64;
    }
    image_pulls(e, name, setup, pulls);
    instances.max(1.0)
}

/// The pods a Kubernetes world makes over the run, and what they and the
/// control plane cost; returns the most pods alive at once.
#[allow(clippy::too_many_arguments)]
fn pods(
    e: &mut Estimate,
    name: Option<&str>,
    setup: &Setup,
    w: &WorldSpec,
    k: &crate::model::spec::KubePlatform,
    d: f64,
    nodes: f64,
    alive: &mut std::collections::BTreeMap<String, f64>,
) -> f64 {
    let run = setup.duration;
    let labels: f64 = setup.hosts.iter().map(|h| (h.labels.len() + h.taints.len() + 2) as f64).sum();
    e.add(name, of(nodes, "node"), nodes * NODE_INIT, nodes * NODE_BYTES + labels * LABEL_BYTES);
    e.add(
        name,
        format!("node monitor: every {} for {run}", k.node_monitor_period),
        2.0 * (periods(d, k.node_monitor_period) + d / FLUSH_S),
        0.0,
    );
    // The load each app's service puts on it, for how often an HPA swings.
    let load_swings = |deployment: &str| {
        w.services
            .iter()
            .filter(|s| setup.apps.get(s.app.index()).is_some_and(|a| a.name == deployment))
            .map(|s| swings(&s.load, d))
            .fold(1.0, f64::max)
    };
    // Deployments by name: (most replicas at once, replicas now, pods made by rollouts and scaling).
    let mut made_by: std::collections::BTreeMap<String, (f64, f64, f64)> = std::collections::BTreeMap::new();
    let mut restarts = 0.0;
    let mut failures = 0.0;
    // The smallest CPU and memory a pod requests, for how many pods the nodes hold.
    let mut smallest = (u64::MAX, u64::MAX);
    let mut request = |cpu: Millicores, memory: Bytes| smallest = (smallest.0.min(cpu.0), smallest.1.min(memory.0));
    // When nodes are drained, and whether a PodDisruptionBudget may hold their pods.
    let mut drains: Vec<f64> = Vec::new();
    let mut budgets = false;
    for t in &w.timeline {
        match &t.action {
            Action::Launch { app, count } => {
                if let Some(a) = setup.apps.get(app.index()) {
                    request(a.cpu, a.memory);
                    let entry = made_by.entry(a.name.clone()).or_insert((0.0, 0.0, 0.0));
                    entry.1 += f64::from(*count);
                    entry.0 = entry.0.max(entry.1);
                }
            }
            Action::Scale { deployment, replicas } => {
                let entry = made_by.entry(deployment.clone()).or_insert((0.0, 0.0, 0.0));
                entry.2 += (f64::from(*replicas) - entry.1).max(0.0);
                entry.1 = f64::from(*replicas);
                entry.0 = entry.0.max(entry.1);
            }
            // A rolling update makes a new pod for every replica.
            Action::SetImage { deployment, .. } => {
                let entry = made_by.entry(deployment.clone()).or_insert((0.0, 0.0, 0.0));
                entry.2 += entry.1.max(1.0);
            }
            Action::FailHost(_) => failures += 1.0,
            Action::Drain(_) => {
                failures += 1.0;
                drains.push(t.at.as_secs_f64());
            }
            Action::Apply(object) => match &**object {
                KubeObject::Deployment(spec) => {
                    let (cpu, memory) = spec.template.requests();
                    request(cpu, memory);
                    let entry = made_by.entry(spec.name.clone()).or_insert((0.0, 0.0, 0.0));
                    // Applying again rolls the Deployment out anew.
                    entry.2 += entry.1;
                    entry.1 = f64::from(spec.replicas);
                    entry.0 = entry.0.max(entry.1);
                    restarts += f64::from(spec.replicas) * container_restarts(&spec.template, d);
                }
                // A ReplicaSet or a Pod of its own replaces no pod when applied again.
                KubeObject::ReplicaSet(spec) => {
                    let (cpu, memory) = spec.template.requests();
                    request(cpu, memory);
                    let entry = made_by.entry(format!("ReplicaSet/{}", spec.name)).or_insert((0.0, 0.0, 0.0));
                    // Applied again with more replicas, it makes pods as a Scale does.
                    if entry.0 > 0.0 {
                        entry.2 += (f64::from(spec.replicas) - entry.1).max(0.0);
                    }
                    entry.1 = f64::from(spec.replicas);
                    entry.0 = entry.0.max(entry.1);
                    restarts += f64::from(spec.replicas) * container_restarts(&spec.template, d);
                }
                KubeObject::Pod(spec) => {
                    let (cpu, memory) = spec.template.requests();
                    request(cpu, memory);
                    let entry = made_by.entry(format!("Pod/{}", spec.name)).or_insert((0.0, 0.0, 0.0));
                    entry.1 = 1.0;
                    entry.0 = 1.0;
                    restarts += container_restarts(&spec.template, d);
                }
                KubeObject::HorizontalPodAutoscaler(h) => {
                    let entry = made_by.entry(h.target.clone()).or_insert((0.0, 0.0, 0.0));
                    entry.0 = entry.0.max(f64::from(h.max_replicas));
                    // Each swing of the load adds pods and, a stabilisation window later, removes them.
                    let swings = load_swings(&h.target).min(periods(d, SimDuration::from_secs(STABILIZATION_S as u64)));
                    entry.2 += f64::from(h.max_replicas) * swings;
                    e.add(
                        name,
                        format!(
                            "HPA {}: every 15s for {run} × {}",
                            super::error::quoted(&h.name),
                            of(f64::from(h.max_replicas), "pod")
                        ),
                        d / SCRAPE_S * (1.0 + f64::from(h.max_replicas) * VISIT),
                        0.0,
                    );
                }
                KubeObject::PodDisruptionBudget(_) => budgets = true,
                KubeObject::Service(_) => {}
            },
            _ => {}
        }
    }
    for (deployment, m) in &made_by {
        alive.insert(deployment.clone(), m.0);
    }
    let most: f64 = made_by.values().map(|m| m.0).sum();
    // Each node's maxPods: its host group's, or else the platform's.
    let max_pods = setup.hosts.iter().map(|h| f64::from(h.max_pods.unwrap_or(k.max_pods)));
    let (largest, mean) =
        (max_pods.clone().fold(0.0, f64::max), max_pods.sum::<f64>() / setup.hosts.len().max(1) as f64);
    let per_node = largest.min(most);
    let made = made_by.values().map(|m| m.0 + m.2).sum::<f64>() + failures * per_node;
    let scored = crate::behaviours::scheduler::num_feasible_nodes_to_find(
        k.profile.percentage_of_nodes_to_score,
        nodes as usize,
    ) as f64;
    // Pods beyond what the nodes hold (their maxPods, or the smallest pod's
    // requests) wait, and are tried again every 5 minutes.
    let fit = |have: u64, each: u64| have.checked_div(each).map_or(f64::INFINITY, |n| n as f64);
    let held: f64 = setup
        .hosts
        .iter()
        .map(|h| {
            let pods = f64::from(h.max_pods.unwrap_or(k.max_pods));
            pods.min(fit(h.cpu.0, smallest.0)).min(fit(h.memory.0, smallest.1))
        })
        .sum();
    let waiting = (most - held.min(nodes * mean)).max(0.0);
    let retries = waiting * d / UNSCHEDULABLE_RETRY_S;
    e.add(
        name,
        if waiting > 0.0 {
            format!(
                "{} ({} at most at once, {} of them fitting nowhere, tried again every 5m)",
                of(made, "pod"),
                sci(most),
                sci(waiting)
            )
        } else {
            format!("{} ({} at most at once)", of(made, "pod"), sci(most))
        },
        made * POD_EVENTS + restarts * 4.0 + retries * RETRY,
        made * (INSTANCE_BYTES + POD_BYTES + 3.0 * SAMPLE_BYTES),
    );
    // A drained node's pods that a budget keeps are asked for again every 5 s, to the end.
    if budgets && !drains.is_empty() {
        let asks: f64 = drains.iter().map(|&t| per_node * (d - t).max(0.0) / DRAIN_RETRY_S).sum();
        e.add(
            name,
            format!(
                "evictions a PodDisruptionBudget refuses, asked again every 5s: {}",
                of(drains.len() as f64, "drain")
            ),
            asks,
            0.0,
        );
    }
    e.add(
        name,
        format!("scheduling: {} × {} scored each", of(made, "pod"), of(scored, "node")),
        made * scored * NODE_SCORE,
        0.0,
    );
    // PodTopologySpread's counts: per workload's selector, a count per node
    // (the default constraints spread over `kubernetes.io/hostname`).
    let selectors = made_by.len() as f64;
    e.add(
        name,
        format!("spread counts: {} × {}", of(selectors, "selector"), of(nodes, "node")),
        0.0,
        selectors * nodes * SPREAD_COUNT_BYTES,
    );
    // Image pulls on the nodes, one flow per layer.
    let layers: f64 = setup.images.iter().map(|i| i.layers.len() as f64).sum::<f64>().min(32.0);
    let pulls = made.min(nodes) * layers;
    image_pulls(e, name, setup, pulls);
    if let Some(ca) = &k.cluster_autoscaler {
        e.add(
            name,
            format!("cluster autoscaler: every {} for {run} × {}", ca.scan_interval, of(nodes, "node")),
            periods(d, ca.scan_interval) * (1.0 + (nodes + most) * VISIT),
            0.0,
        );
    }
    most.max(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_integrate_the_profile() {
        let near = |a: f64, b: f64| (a - b).abs() < 1e-6 * b.abs().max(1.0);
        assert!(near(requests(&LoadProfile::Constant(32.0), 43_200.0), 1_382_400.0));
        let step = LoadProfile::Step { from: 10.0, to: 20.0, at: SimDuration::from_secs(60) };
        assert!(near(requests(&step, 120.0), 600.0 + 1200.0));
        // 100 for 600 s; rising to 600 over 30 s, held 600 s, falling over 30 s: 100 × 1800 + 500 × 630.
        let spike = LoadProfile::Spike {
            base: 100.0,
            peak: 600.0,
            start: SimDuration::from_secs(300),
            ramp: SimDuration::from_secs(30),
            hold: SimDuration::from_secs(600),
        };
        assert!(near(requests(&spike, 1800.0), 180_000.0 + 315_000.0));
        let trace = LoadProfile::Trace(vec![(0.0, 10.0), (10.0, 30.0)]);
        assert!(near(requests(&trace, 20.0), 200.0 + 300.0));
    }

    #[test]
    fn a_budget_reads_from_the_command_line() {
        let b = BudgetFile::parse("events=2e9,memory=8Gi").unwrap();
        assert_eq!(b.over(Budget::DEFAULT), Budget { events: 2e9, memory: Bytes(8 * GIB) });
        assert_eq!(BudgetFile::parse("memory=1Gi").unwrap().over(Budget::DEFAULT).events, Budget::DEFAULT_EVENTS);
        assert!(BudgetFile::parse("time=1h").is_err());
        assert!(BudgetFile::parse("events=lots").is_err());
        assert_eq!(BudgetFile::parse("events=1e9, events=2e3"), Err("events is given twice; give it once".into()));
        assert_eq!(
            BudgetFile::parse("memory=1Gi,events=5,memory=8Gi"),
            Err("memory is given twice; give it once".into())
        );
        assert!(BudgetFile { events: Some(0.0), memory: None }.problem().is_some());
    }

    #[test]
    fn a_refusal_names_what_costs_most_and_how_to_raise_the_budget() {
        let e = Estimate {
            parts: vec![
                Part { world: Some("K".into()), what: "heartbeats".into(), events: 3e11, bytes: 0.0, hint: None },
                Part { world: None, what: "hosts".into(), events: 0.0, bytes: 1e6, hint: None },
            ],
        };
        let message = e.refusal(&Budget::DEFAULT).unwrap();
        assert!(message.contains("about 3.0e11 events, more than the budget of 1.0e8"), "{message}");
        assert!(message.contains("world \"K\": heartbeats, 3.0e11"), "{message}");
        assert!(message.ends_with("budget: Budget(events: 3.0e11) or --budget events=3.0e11"), "{message}");
        assert_eq!(e.refusal(&Budget { events: 1e12, memory: Budget::DEFAULT_MEMORY }), None);
    }
}
