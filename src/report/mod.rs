//! Report files: the summary object (also what `check --json` prints), the
//! event log as JSON lines, a CSV time series per world, JUnit XML, and a
//! self-contained HTML page with charts ([`html`]).

pub mod html;

use std::fmt::Write as _;

use serde_json::{Map, Value, json};

use crate::model::spec::{Action, Setup};
use crate::run::RunResult;
use crate::scenario::Scenario;
use crate::scenario::expect::{self, Outcome};
use crate::world::{Event, EventKind};

fn number(x: f64) -> Value {
    serde_json::Number::from_f64(x).map(Value::Number).unwrap_or(Value::Null)
}

fn side(v: Option<expect::Value>) -> Value {
    match v {
        Some(expect::Value::Number(x)) => number(x),
        Some(expect::Value::Bool(b)) => Value::Bool(b),
        None => Value::Null,
    }
}

/// `{"scenario", "file", "seed", "worlds": {WORLD: {METRIC: number}}, "expectations": [...]}`.
pub fn summary(scenario: &Scenario, result: &RunResult) -> Value {
    let mut worlds = Map::new();
    let mut events = Map::new();
    for w in &result.worlds {
        events.insert(w.world.name().to_string(), Value::from(w.world.events_scheduled()));
        let metrics: Map<String, Value> =
            w.metrics.iter().map(|(k, v)| (k.clone(), v.map(number).unwrap_or(Value::Null))).collect();
        worlds.insert(w.world.name().to_string(), Value::Object(metrics));
    }
    let expectations: Vec<Value> = scenario
        .expectations
        .iter()
        .zip(&result.outcomes)
        .map(|(e, o)| {
            let mut obj = json!({
                "text": e.text,
                "passed": o.passed,
                "left": side(o.left),
                "right": side(o.right),
            });
            if let Some(note) = &o.note {
                obj["note"] = Value::String(note.clone());
            }
            obj
        })
        .collect();
    json!({
        "scenario": scenario.name,
        "file": scenario.file,
        "seed": scenario.setup.seed,
        "worlds": worlds,
        "events": events,
        "expectations": expectations,
    })
}

fn action_json(setup: &Setup, a: &Action) -> Value {
    match a {
        Action::Launch { app, count } => {
            json!({"action": "Launch", "app": setup.apps[app.index()].name, "count": count})
        }
        Action::Stop { app, count } => json!({"action": "Stop", "app": setup.apps[app.index()].name, "count": count}),
        Action::FailHost(h) => json!({"action": "FailHost", "host": setup.hosts[h.index()].name}),
        Action::RecoverHost(h) => json!({"action": "RecoverHost", "host": setup.hosts[h.index()].name}),
        Action::Apply(object) => match &**object {
            crate::model::spec::KubeObject::Deployment(d) => {
                json!({"action": "Apply", "kind": "Deployment", "name": d.name, "replicas": d.replicas})
            }
            crate::model::spec::KubeObject::ReplicaSet(r) => {
                json!({"action": "Apply", "kind": "ReplicaSet", "name": r.name, "replicas": r.replicas})
            }
            crate::model::spec::KubeObject::Pod(p) => json!({"action": "Apply", "kind": "Pod", "name": p.name}),
            crate::model::spec::KubeObject::Service(s) => json!({"action": "Apply", "kind": "Service", "name": s.name}),
            crate::model::spec::KubeObject::HorizontalPodAutoscaler(h) => {
                json!({"action": "Apply", "kind": "HorizontalPodAutoscaler", "name": h.name, "target": h.target})
            }
            crate::model::spec::KubeObject::PodDisruptionBudget(b) => {
                json!({"action": "Apply", "kind": "PodDisruptionBudget", "name": b.name})
            }
        },
        Action::Scale { deployment, replicas } => {
            json!({"action": "Scale", "deployment": deployment, "replicas": replicas})
        }
        Action::SetImage { deployment, container, image } => json!({
            "action": "SetImage", "deployment": deployment, "container": container, "image": setup.images[image.index()].name
        }),
        Action::Cordon(h) => json!({"action": "Cordon", "node": setup.hosts[h.index()].name}),
        Action::Uncordon(h) => json!({"action": "Uncordon", "node": setup.hosts[h.index()].name}),
        Action::Drain(h) => json!({"action": "Drain", "node": setup.hosts[h.index()].name}),
    }
}

/// One event as a JSON object, with names rather than internal ids.
pub fn event_json(setup: &Setup, world: &crate::world::World, e: &Event) -> Value {
    let host = |h: crate::model::HostId| setup.hosts[h.index()].name.clone();
    let blob = |b: crate::model::BlobId| setup.blobs[b.index()].name.clone();
    let inst = |i: crate::model::InstanceId| world.instance(i).name.clone();
    let mut v = match &e.kind {
        EventKind::Action { action, live } => {
            let mut v = json!({"type": "Action", "live": live});
            if let (Value::Object(m), Value::Object(a)) = (&mut v, action_json(setup, action)) {
                m.extend(a);
            }
            v
        }
        EventKind::Launched { instance, workload } => {
            json!({"type": "Launched", "instance": inst(*instance), "workload": world.workload(*workload).name})
        }
        EventKind::Waiting { instance, reason } => {
            json!({"type": "Waiting", "instance": inst(*instance), "reason": reason})
        }
        EventKind::Placed { instance, host: h } => {
            json!({"type": "Placed", "instance": inst(*instance), "host": host(*h)})
        }
        EventKind::PhaseChanged { instance, phase } => {
            json!({"type": "PhaseChanged", "instance": inst(*instance), "phase": phase.name()})
        }
        EventKind::PullStarted { host: h, blob: b, bytes } => {
            json!({"type": "PullStarted", "host": host(*h), "blob": blob(*b), "bytes": bytes.0})
        }
        EventKind::PullFinished { host: h, blob: b, bytes } => {
            json!({"type": "PullFinished", "host": host(*h), "blob": blob(*b), "bytes": bytes.0})
        }
        EventKind::Evicted { host: h, blob: b, bytes } => {
            json!({"type": "Evicted", "host": host(*h), "blob": blob(*b), "bytes": bytes.0})
        }
        EventKind::HostDown { host: h } => json!({"type": "HostDown", "host": host(*h)}),
        EventKind::MarkedForDeletion { instance } => {
            json!({"type": "MarkedForDeletion", "instance": inst(*instance)})
        }
        EventKind::HostUp { host: h } => json!({"type": "HostUp", "host": host(*h)}),
        EventKind::Scaled { by, target, from, to, reason } => {
            json!({"type": "Scaled", "by": by, "target": target, "from": from, "to": to, "reason": reason})
        }
        EventKind::Warning { by, reason, message } => {
            json!({"type": "Warning", "by": by, "reason": reason, "message": message})
        }
    };
    let mut head = Map::new();
    head.insert("t_us".into(), json!(e.time.as_micros()));
    head.insert("world".into(), json!(world.name()));
    if let Value::Object(m) = &mut v {
        head.extend(std::mem::take(m));
    }
    Value::Object(head)
}

/// Every event of every world, one JSON object a line, world by world in file order.
pub fn events_jsonl(scenario: &Scenario, result: &RunResult) -> String {
    let mut out = String::new();
    for w in &result.worlds {
        for e in &w.events {
            out.push_str(&event_json(&scenario.setup, &w.world, e).to_string());
            out.push('\n');
        }
    }
    out
}

/// The SHA-256 of an event log (`events.jsonl`), in hex: two runs of the same
/// scenario and seed give the same digest on every platform.
pub fn digest(events_jsonl: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(events_jsonl.as_bytes()).iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// A world's series as CSV: time, running, pending, then memory reserved per host in GiB.
pub fn series_csv(setup: &Setup, run: &crate::run::WorldRun) -> String {
    let mut out = String::from("time_s,running,pending");
    for h in &setup.hosts {
        let _ = write!(out, ",{}", csv_field(&format!("memory_gib:{}", h.name)));
    }
    out.push('\n');
    let mut memory = vec![0u64; setup.hosts.len()];
    for s in &run.series.samples {
        for &(h, m) in &s.host_memory {
            memory[h.index()] = m.0;
        }
        let _ = write!(out, "{},{},{}", s.time.as_secs_f64(), s.running, s.pending);
        for m in &memory {
            let _ = write!(out, ",{}", *m as f64 / crate::model::quantity::GIB as f64);
        }
        out.push('\n');
    }
    out
}

/// A world's traffic, one row per load sample (every second): offered load,
/// instances serving, hosts on, p95 latency and drops over the last interval,
/// energy so far. `None` when the scenario has no traffic.
pub fn traffic_csv(run: &crate::run::WorldRun) -> Option<String> {
    if run.series.load.is_empty() {
        return None;
    }
    let mut out = String::from("time_s,offered_rps,replicas,nodes,p95_s,dropped,energy_kwh\n");
    for l in &run.series.load {
        let p95 = l.p95.map_or(String::new(), |p| p.to_string());
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{}",
            l.time.as_secs_f64(),
            l.rate,
            l.replicas,
            l.nodes,
            p95,
            l.dropped,
            l.energy_kwh
        );
    }
    Some(out)
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

fn xml_escape(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '&' => "&amp;".to_string(),
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '"' => "&quot;".to_string(),
            '\'' => "&apos;".to_string(),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => " ".to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// Words for one outcome: `left 7.5 < right 28` style values.
pub fn outcome_detail(o: &Outcome) -> String {
    let show = |v: Option<expect::Value>| match v {
        Some(expect::Value::Number(x)) => crate::engine::time::trim_float(x),
        Some(expect::Value::Bool(b)) => b.to_string(),
        None => "—".to_string(),
    };
    let mut s = format!("left = {}, right = {}", show(o.left), show(o.right));
    if let Some(note) = &o.note {
        let _ = write!(s, " ({note})");
    }
    s
}

/// JUnit XML: a testsuite per scenario, a testcase per expectation.
pub fn junit(runs: &[(&Scenario, &RunResult, f64)]) -> String {
    let tests: usize = runs.iter().map(|(s, _, _)| s.expectations.len()).sum();
    let failures: usize = runs.iter().map(|(_, r, _)| r.outcomes.iter().filter(|o| !o.passed).count()).sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(out, "<testsuites name=\"flotilla\" tests=\"{tests}\" failures=\"{failures}\">");
    for (scenario, result, seconds) in runs {
        let fails = result.outcomes.iter().filter(|o| !o.passed).count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" file=\"{}\" tests=\"{}\" failures=\"{fails}\" time=\"{seconds:.3}\">",
            xml_escape(&scenario.name),
            xml_escape(&scenario.file),
            scenario.expectations.len()
        );
        for (e, o) in scenario.expectations.iter().zip(&result.outcomes) {
            let _ = write!(
                out,
                "    <testcase classname=\"{}\" name=\"{}\"",
                xml_escape(&scenario.name),
                xml_escape(&e.text)
            );
            if o.passed {
                out.push_str("/>\n");
            } else {
                let detail = outcome_detail(o);
                let _ = writeln!(
                    out,
                    ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>",
                    xml_escape(&detail),
                    xml_escape(&format!("{}: {detail}", e.text))
                );
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn a_csv_field_with_a_comma_or_a_quote_is_quoted_whole() {
        assert_eq!(csv_field("memory_gib:rack-1"), "memory_gib:rack-1");
        assert_eq!(csv_field("memory_gib:a,b\"c-1"), "\"memory_gib:a,b\"\"c-1\"");
    }
}
