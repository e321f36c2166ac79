//! The inspector: what a clicked host or instance is, what it holds, every
//! phase it went through and when, and why it waits when it waits. Live
//! actions on a host (fail, recover) start here.

use bevy_egui::egui::{self, RichText};

use crate::engine::SimTime;
use crate::gui::state::{Selection, Sim};
use crate::gui::theme;
use crate::gui::timeline::clock_text;
use crate::gui::world_view::phase_progress;
use crate::model::spec::Action;
use crate::model::{Bytes, HostId, InstanceId, Phase};
use crate::world::kubernetes::{Cluster, Pod};

pub fn inspector_ui(ui: &mut egui::Ui, sim: &mut Sim) {
    match sim.selection {
        None => {
            ui.label(RichText::new("Click a host or an instance to inspect it.").color(theme::TEXT_DIM));
        }
        Some(Selection::Host { world, host }) => host_ui(ui, sim, world, host),
        Some(Selection::Instance { world, instance }) => instance_ui(ui, sim, world, instance),
    }
}

fn row(ui: &mut egui::Ui, key: &str, value: impl Into<egui::WidgetText>) {
    ui.label(RichText::new(key).color(theme::TEXT_DIM));
    ui.label(value);
    ui.end_row();
}

fn host_ui(ui: &mut egui::Ui, sim: &mut Sim, world_index: usize, host: HostId) {
    let mut action = None;
    let mut select = None;
    {
        let world = &sim.playback.tracks[world_index].world;
        let spec = &world.setup().hosts[host.index()];
        let state = &world.hosts()[host.index()];
        ui.heading(format!("{} in {}", spec.name, world.name()));
        egui::Grid::new("host-grid").num_columns(2).striped(true).show(ui, |ui| {
            row(
                ui,
                "state",
                if state.up {
                    "up".to_string()
                } else {
                    format!("down since {}", clock_text(state.down_since.unwrap_or(SimTime::ZERO)))
                },
            );
            row(ui, "CPU", format!("{} of {} cores reserved", state.cpu_used, spec.cpu));
            row(ui, "memory", format!("{} of {} reserved", state.memory_used.binary(), spec.memory.binary()));
            row(ui, "  for OS and runtimes", state.overhead_memory.binary());
            row(
                ui,
                "disk",
                format!(
                    "{} for instances, {} of images (of {})",
                    state.disk_reserved.binary(),
                    state.cache.used(),
                    spec.disk.binary()
                ),
            );
            row(ui, "NIC", spec.nic.to_string());
            row(
                ui,
                "power now",
                format!("{:.0} W ({:.0}–{:.0} W)", state.energy.watts(), spec.power.idle_watts, spec.power.peak_watts),
            );
            row(ui, "instances", state.instances.len().to_string());
        });
        if let Some((k, node)) = world.kube().map(|k| (k, &k.nodes[host.index()])) {
            ui.label(RichText::new("Kubernetes node").strong());
            egui::Grid::new("node-grid").num_columns(2).striped(true).show(ui, |ui| {
                row(
                    ui,
                    "condition",
                    format!("{:?}{}", node.condition, if node.unschedulable { ", cordoned" } else { "" }),
                );
                row(ui, "last heartbeat", clock_text(k.last_heartbeat(host, world.now())));
                row(
                    ui,
                    "allocatable",
                    format!(
                        "{} CPU, {} memory, {} pods",
                        crate::model::Millicores(node.allocatable.milli_cpu.max(0) as u64),
                        Bytes(node.allocatable.memory.max(0) as u64).binary(),
                        node.allocatable.pods
                    ),
                );
                let requested = k.cache.node(host.index()).requested;
                for (i, name) in world.setup().extended_resources.iter().enumerate() {
                    if node.allocatable.scalar[i] > 0 {
                        row(ui, name, format!("{} of {} requested", requested.scalar[i], node.allocatable.scalar[i]));
                    }
                }
                row(ui, "pods bound", node.pods.len().to_string());
                let taints: Vec<String> =
                    node.taints.iter().map(|t| format!("{}={}:{}", t.key, t.value, t.effect.name())).collect();
                // One a line: a NotReady node's two unreachable taints side by side would widen the panel.
                row(ui, "taints", if taints.is_empty() { "none".to_string() } else { taints.join("\n") });
            });
        }
        ui.horizontal(|ui| {
            if state.up {
                if ui.button("💥 Fail this host").on_hover_text("In every world, now; recorded for replay").clicked()
                {
                    action = Some(Action::FailHost(host));
                }
            } else if ui.button("♻ Recover this host").clicked() {
                action = Some(Action::RecoverHost(host));
            }
            if let Some(node) = world.kube().map(|k| &k.nodes[host.index()]) {
                if node.unschedulable {
                    if ui.button("Uncordon").clicked() {
                        action = Some(Action::Uncordon(host));
                    }
                } else if ui.button("Cordon").on_hover_text("kubectl cordon: no new pods").clicked() {
                    action = Some(Action::Cordon(host));
                }
                if ui.button("Drain").on_hover_text("kubectl drain: cordon and evict every pod").clicked() {
                    action = Some(Action::Drain(host));
                }
            }
        });
        ui.collapsing(format!("image cache ({} blobs)", state.cache.len()), |ui| {
            for (blob, bytes) in state.cache.blobs() {
                ui.label(format!("{}  {}", world.setup().blobs[blob.index()].name, bytes));
            }
            for blob in state.downloading.keys() {
                ui.label(
                    RichText::new(format!("{}  downloading", world.setup().blobs[blob.index()].name))
                        .color(theme::PALETTE[0]),
                );
            }
        });
        ui.collapsing("instances", |ui| {
            egui::ScrollArea::vertical().max_height(180.0).show(ui, |ui| {
                crate::gui::layout_check::note_scroll_area(ui);
                for &id in state.instances.iter().take(500) {
                    let inst = world.instance(id);
                    if ui.link(format!("{} — {}", inst.name, theme::phase_label(inst.phase))).clicked() {
                        select = Some(Selection::Instance { world: world_index, instance: id });
                    }
                }
            });
        });
    }
    if let Some(a) = action {
        sim.act(a);
    }
    if let Some(s) = select {
        sim.selection = Some(s);
    }
}

/// A pod's API state and its last scheduling cycle: each node's filter
/// verdict, or its score per plugin and total.
fn pod_ui(ui: &mut egui::Ui, world: &crate::world::World, k: &Cluster, id: InstanceId, pod: &Pod) {
    ui.label(RichText::new("Kubernetes pod").strong());
    egui::Grid::new("pod-grid").num_columns(2).striped(true).show(ui, |ui| {
        let controller = match pod.owner.replica_set() {
            Some(r) => format!("ReplicaSet/{}", k.replica_sets[r].name),
            None => "none (a Pod of its own)".to_string(),
        };
        row(ui, "controlled by", controller);
        row(ui, "labels", pod.template.labels.iter().map(|(a, b)| format!("{a}={b}")).collect::<Vec<_>>().join(", "));
        // What the scheduler and the kubelet count (`PodRequests`), and where it comes from.
        let (cpu, memory) = pod.template.requests();
        let own = &pod.template.resources;
        let from = if own.requests_set() { "pod-level" } else { "its containers" };
        row(ui, "requests", format!("{cpu} CPU, {} memory (from {from})", memory.binary()));
        if own.cpu_limit.is_some() || own.memory_limit.is_some() {
            let limits =
                [own.cpu_limit.map(|c| format!("{c} CPU")), own.memory_limit.map(|m| format!("{} memory", m.binary()))];
            row(ui, "pod-level limits", limits.into_iter().flatten().collect::<Vec<_>>().join(", "));
        }
        let status = format!(
            "{}{}{}",
            if pod.running { "Running" } else { "Pending" },
            if pod.ready { ", Ready" } else { ", not Ready" },
            if pod.deleting { ", Terminating" } else { "" }
        );
        row(ui, "status", status);
        row(ui, "restarts", pod.restarts.to_string());
        row(ui, "scheduling attempts", pod.attempts.to_string());
        if let Some(at) = pod.eviction_at {
            row(ui, "eviction at", clock_text(at));
        }
    });
    let Some(decision) = k.decision(id) else { return };
    ui.label(RichText::new("Last scheduling cycle").strong());
    if let Some(message) = &decision.message {
        ui.label(RichText::new(message).color(theme::PALETTE[4]));
    }
    let mut plugins: Vec<&'static str> = Vec::new();
    for s in decision.verdicts.iter().flat_map(|v| v.scores.iter()) {
        if !plugins.contains(&s.plugin) {
            plugins.push(s.plugin);
        }
    }
    egui::ScrollArea::horizontal().id_salt("decision").show(ui, |ui| {
        crate::gui::layout_check::note_scroll_area(ui);
        egui::Grid::new("decision-grid").striped(true).show(ui, |ui| {
            ui.label(RichText::new("node").strong());
            ui.label(RichText::new("filter").strong());
            for p in &plugins {
                ui.label(RichText::new(short_plugin(p)).strong()).on_hover_text(*p);
            }
            ui.label(RichText::new("total").strong());
            ui.end_row();
            for v in &decision.verdicts {
                let name = world.setup().hosts[v.node.index()].name.clone();
                if decision.node == Some(v.node) {
                    ui.label(RichText::new(format!("▶ {name}")).strong().color(theme::PALETTE[2]));
                } else {
                    ui.label(name);
                }
                match &v.rejected_by {
                    Some((plugin, verdict)) => {
                        ui.label(
                            RichText::new(format!("{plugin}: {}", verdict.reasons().join("; "))).color(theme::FAILED),
                        );
                    }
                    None => {
                        ui.label("fits");
                    }
                }
                for p in &plugins {
                    match v.scores.iter().find(|s| s.plugin == *p) {
                        Some(s) => {
                            ui.label(format!("{}×{}", s.normalized, s.weight)).on_hover_text(format!("raw {}", s.raw))
                        }
                        None => ui.label(""),
                    };
                }
                ui.label(if v.rejected_by.is_none() { v.total.to_string() } else { String::new() });
                ui.end_row();
            }
        });
    });
}

/// Plugin names short enough for a table's header.
fn short_plugin(name: &str) -> &str {
    match name {
        "NodeResourcesFit" => "Fit",
        "NodeResourcesBalancedAllocation" => "Balanced",
        "TaintToleration" => "Taints",
        "PodTopologySpread" => "Spread",
        "ImageLocality" => "Image",
        "NodeAffinity" => "Affinity",
        other => other,
    }
}

fn instance_ui(ui: &mut egui::Ui, sim: &mut Sim, world_index: usize, id: InstanceId) {
    let clock = sim.playback.clock();
    let world = &sim.playback.tracks[world_index].world;
    if id.index() >= world.instances().len() {
        ui.label("This instance does not exist at this time.");
        return;
    }
    let inst = world.instance(id);
    let demand = world.demand_of(inst);
    let workload = world.workload(inst.workload);
    let mut select = None;
    ui.heading(format!("{} in {}", inst.name, world.name()));
    egui::Grid::new("instance-grid").num_columns(2).striped(true).show(ui, |ui| {
        row(ui, "platform", world.spec().platform.kind_name());
        row(ui, "phase", RichText::new(theme::phase_label(inst.phase)).color(theme::phase_color(inst.phase)).strong());
        if let Some(host) = inst.host {
            row(ui, "host", world.setup().hosts[host.index()].name.clone());
        }
        row(ui, "belongs to", workload.name.clone());
        if let Some(app) = workload.app.map(|a| &world.setup().apps[a.index()]) {
            row(ui, "app asks for", format!("{} CPU, {} memory", app.cpu, app.memory.binary()));
        }
        row(
            ui,
            "reserves",
            format!("{} CPU, {} memory, {} disk", demand.cpu, demand.memory.binary(), demand.disk.binary()),
        );
        row(ui, "  of which overhead", demand.overhead_memory.binary());
        if inst.phase == Phase::FetchingImage {
            let (done, total) = world.fetch_progress(id, clock);
            row(ui, "image", format!("{} of {}", done, total));
        }
        if let Some(end) = inst.phase_ends_at {
            row(ui, "this phase", format!("{:.0}% (ends at {})", phase_progress(inst, clock) * 100.0, clock_text(end)));
        }
        if let Some(t) = inst.startup_time() {
            row(ui, "start-up", format!("{:.3} s", t.as_secs_f64()));
        }
        if let Some(r) = inst.replaces {
            row(ui, "replaces", world.instance(r).name.clone());
        }
    });
    if let Some(reason) = &inst.wait_reason {
        ui.label(RichText::new("Why it waits").strong());
        ui.label(RichText::new(reason).color(theme::PALETTE[4]));
    }
    if let Some((k, pod)) = world.kube().and_then(|k| k.pods.get(&id).map(|p| (k, p))) {
        pod_ui(ui, world, k, id, pod);
    }
    ui.label(RichText::new("History").strong());
    egui::Grid::new("history-grid").num_columns(3).striped(true).show(ui, |ui| {
        for (k, &(phase, t)) in inst.history.iter().enumerate() {
            let next = inst.history.get(k + 1).map(|&(_, n)| n);
            ui.label(RichText::new(clock_text(t)).monospace());
            ui.label(RichText::new(theme::phase_label(phase)).color(theme::phase_color(phase)));
            ui.label(match next {
                Some(n) => format!("{:.3} s", n.since(t).as_secs_f64()),
                None if phase.is_terminal() => String::new(),
                None => "…".to_string(),
            });
            ui.end_row();
        }
    });
    if let Some(host) = inst.host
        && ui.link("show its host").clicked()
    {
        select = Some(Selection::Host { world: world_index, host });
    }
    if let Some(s) = select {
        sim.selection = Some(s);
    }
}
