//! The worlds, side by side on one clock: each host a box whose size follows
//! its memory, with CPU and memory fill; each instance a block whose area is
//! the memory it holds, coloured by app and drawn by phase. A VM's block
//! carries a dark band for its guest OS and hypervisor, so VMs look as heavy
//! as they are. Progress within a phase (a pull, a boot) is interpolated
//! between events, so motion stays smooth at any speed.

use std::collections::BTreeMap;
use std::sync::Arc;

use bevy_egui::egui::text::{LayoutJob, TextWrapping};
use bevy_egui::egui::{self, Align2, Color32, FontId, Galley, Pos2, Rect, Sense, Stroke, StrokeKind, Vec2, pos2, vec2};

use super::state::{Selection, Sim};
use super::theme;
use crate::engine::{SimDuration, SimTime};
use crate::model::{Bytes, HostId, Instance, InstanceId, Phase};
use crate::world::World;
use crate::world::kubernetes::{Cluster, Component, NodeCondition};

/// Worlds side by side at most.
pub const MAX_COLUMNS: usize = 3;
/// Hosts drawn per world; more are summarised in a line.
const MAX_HOSTS_DRAWN: usize = 400;
/// Services drawn with a lane each; more are listed in a compact grid.
const MAX_SERVICE_LANES: usize = 2;
/// Waiting instances drawn in the queue strip.
const MAX_WAITING_DRAWN: usize = 300;

/// Where something clickable was drawn this frame.
struct Target {
    rect: Rect,
    selection: Selection,
    tip: String,
}

/// The central area: the lesson caption, then one column per world (tabs beyond three).
pub fn world_view_ui(ui: &mut egui::Ui, sim: &mut Sim) {
    ui.add(egui::Label::new(egui::RichText::new(&sim.playback.scenario.name).strong().size(17.0)).truncate());
    super::panels::lesson::caption_ui(ui, sim);
    let n = sim.playback.tracks.len();
    // Up to three columns; with more worlds, tabs choose which three.
    if n > MAX_COLUMNS {
        ui.horizontal_wrapped(|ui| {
            ui.label(egui::RichText::new("Worlds shown:").color(theme::TEXT_DIM));
            for i in 0..n {
                let name = sim.playback.tracks[i].world.name().to_string();
                let on = sim.shown_worlds().contains(&i);
                if ui.selectable_label(on, name).on_hover_text("show this world (three at a time)").clicked() {
                    sim.show_world(i);
                }
            }
        });
    }
    let shown = sim.shown_worlds().to_vec();
    let (response, painter) = ui.allocate_painter(ui.available_size(), Sense::click());
    let area = response.rect;
    let gap = 10.0;
    let col_w = (area.width() - gap * (shown.len() as f32 - 1.0)) / shown.len() as f32;
    let clock = sim.playback.clock();
    let mut targets = Vec::new();
    let scale = scale_memory(sim);
    // A component stays lit for 0.4 s of real time, so that at 0.1× each
    // hand-off of 50 ms lights its own component (at least 20 ms of simulated time).
    let glow_window = SimDuration::from_secs_f64((0.4 * sim.playback.speed).max(0.02));
    for (k, &w) in shown.iter().enumerate() {
        let x0 = area.left() + k as f32 * (col_w + gap);
        let col = Rect::from_min_size(pos2(x0, area.top()), vec2(col_w, area.height()));
        let view = View { index: w, clock, selection: sim.selection, scale_memory: scale, glow_window };
        // Each world draws inside its own column, never over its neighbour.
        let painter = painter.with_clip_rect(col.intersect(painter.clip_rect()));
        draw_world(&painter, col, &sim.playback.tracks[w].world, &view, &mut targets);
        if sim.focus_world == Some(w) {
            // The world a lesson step points at.
            painter.rect_stroke(col, 6.0, Stroke::new(3.0, theme::PALETTE[4]), StrokeKind::Inside);
        }
    }
    let hit = |pos: Pos2| targets.iter().rev().find(|t| t.rect.contains(pos));
    if let Some(pos) = response.hover_pos().filter(|_| sim.hover_tips)
        && let Some(t) = hit(pos)
    {
        response.clone().on_hover_text_at_pointer(t.tip.clone());
    }
    if response.clicked()
        && let Some(pos) = response.interact_pointer_pos()
    {
        sim.selection = hit(pos).map(|t| t.selection);
        if let Some(Selection::Instance { world, .. } | Selection::Host { world, .. }) = sim.selection {
            sim.gantt_world = world;
        }
    }
}

/// What every world's drawing shares this frame.
struct View {
    index: usize,
    clock: SimTime,
    selection: Option<Selection>,
    /// Bytes of memory that fill a host box's instance area.
    scale_memory: u64,
    /// How long a control-plane component stays lit after it acts, in simulated time.
    glow_window: SimDuration,
}

/// The memory that fills a host box: the scenario's peak on any host (from a
/// headless run), or more if live actions have gone beyond it.
fn scale_memory(sim: &Sim) -> u64 {
    let now =
        sim.playback.tracks.iter().flat_map(|t| t.world.hosts().iter().map(|h| h.memory_used.0)).max().unwrap_or(0);
    sim.peak_host_memory.max(now).max(1)
}

fn draw_world(painter: &egui::Painter, col: Rect, world: &World, view: &View, targets: &mut Vec<Target>) {
    let index = view.index;
    painter.rect_filled(col, 6.0, Color32::from_rgb(0x16, 0x19, 0x1F));
    let mut y = col.top() + 8.0;
    let left = col.left() + 10.0;
    y = title(painter, col, y, index, world.name(), world.spec().platform.description());

    // Counters, from the world's state now (the summary metrics sort every
    // latency of a run, too slow for every frame).
    let counts = world.counts();
    let third = match world.kube() {
        Some(k) => {
            // Hosts the world leaves out are not part of the cluster.
            let members = k.nodes.len() - world.spec().unused_hosts.len();
            ("nodes Ready", format!("{}/{}", k.nodes_ready(), members))
        }
        None => {
            let max = world
                .hosts()
                .iter()
                .map(|h| h.instances.iter().filter(|&&i| world.instance(i).phase == Phase::Running).count())
                .max()
                .unwrap_or(0);
            ("max / host", max.to_string())
        }
    };
    let overhead: u64 = world.hosts().iter().filter(|h| h.up).map(|h| h.overhead_memory.0).sum();
    let counters = [
        ("running", counts.running.to_string()),
        ("pending", counts.pending.to_string()),
        third,
        ("OS + runtime", gib(overhead as f64 / crate::model::quantity::GIB as f64)),
        ("pulled", format!("{:.0} MB", world.registry().bytes_served().0 as f64 / crate::model::quantity::MB as f64)),
    ];
    y = counters_grid(painter, col, y, &counters) + 4.0;
    // Text above the hosts stops here, so that the hosts keep a third of the column.
    let limit = col.bottom() - (col.height() * 0.3).max(48.0);

    let mut api_server = None;
    if let Some(k) = world.kube() {
        let (below, api) = control_plane(painter, col, y, limit, k, view);
        y = below;
        api_server = Some(api);
    }
    if let Some(t) = world.traffic() {
        if t.services.len() <= MAX_SERVICE_LANES {
            for svc in &t.services {
                y = service_lane(painter, col, y, limit, world, t, svc, view.clock);
            }
        } else {
            y = service_grid(painter, col, y, limit, t);
        }
    }

    // The queue of instances waiting for a host: the placer's, or the scheduler's.
    let waiting: Vec<InstanceId> = match world.kube() {
        Some(k) => k
            .cycle
            .current
            .iter()
            .map(|(id, ..)| id)
            .chain(&k.queue.active)
            .chain(k.queue.backoff.keys())
            .chain(k.queue.unschedulable.keys())
            .copied()
            .collect(),
        None => world.waiting().collect(),
    };
    if !waiting.is_empty() {
        let reason = waiting.iter().find_map(|&id| world.instance(id).wait_reason.clone()).unwrap_or_else(|| {
            if world.kube().is_some() { "in the scheduler's queue".to_string() } else { "placing…".to_string() }
        });
        let label = match world.kube() {
            Some(k) => format!(
                "{} pending in the scheduler ({} queued, {} backing off, {} unschedulable): {}",
                waiting.len(),
                k.queue.active.len() + usize::from(k.cycle.current.is_some()),
                k.queue.backoff.len(),
                k.queue.unschedulable.len(),
                reason
            ),
            None => format!("{} waiting: {}", waiting.len(), reason),
        };
        let font = FontId::proportional(12.0);
        if let Some(galley) = wrapped_within(painter, label, font, theme::PALETTE[4], col.width() - 20.0, limit - y) {
            let h = galley.size().y;
            painter.galley(pos2(left, y), galley, Color32::WHITE);
            y += h + 4.0;
        }
        let side = 7.0;
        let per_row = ((col.width() - 20.0) / (side + 2.0)).floor().max(1.0) as usize;
        let room = (((limit - y) / (side + 2.0)).floor().max(0.0) as usize).min(3);
        let rows = waiting.len().min(MAX_WAITING_DRAWN).div_ceil(per_row).min(room);
        for (i, &id) in waiting.iter().take(rows * per_row).enumerate() {
            let (r, c) = (i / per_row, i % per_row);
            let rect = Rect::from_min_size(
                pos2(left + c as f32 * (side + 2.0), y + r as f32 * (side + 2.0)),
                Vec2::splat(side),
            );
            let inst = world.instance(id);
            painter.rect_stroke(
                rect,
                1.0,
                Stroke::new(1.0, theme::app_color(inst.workload.index())),
                StrokeKind::Inside,
            );
            targets.push(Target {
                rect,
                selection: Selection::Instance { world: index, instance: id },
                tip: format!("{} — waiting for a host", inst.name),
            });
        }
        y += rows as f32 * (side + 2.0) + 6.0;
    }

    // Hosts.
    let n = world.hosts().len().min(MAX_HOSTS_DRAWN);
    // A line under the hosts says how many more there are.
    let note = if world.hosts().len() > n { 16.0 } else { 0.0 };
    let hosts_area = Rect::from_min_max(pos2(col.left() + 6.0, y), pos2(col.right() - 6.0, col.bottom() - 6.0 - note));
    let setup = world.setup();
    let max_memory = setup.hosts.iter().map(|h| h.memory.0).max().unwrap_or(1).max(1);
    let cells = grid(n, hosts_area);
    let mut kubelets: Vec<(Rect, f32)> = Vec::new();
    for (h, cell) in cells.into_iter().enumerate() {
        let weight = (setup.hosts[h].memory.0 as f32 / max_memory as f32).max(0.25);
        let side_scale = weight.sqrt();
        let size = vec2(cell.width() * side_scale, cell.height() * side_scale.max(0.6));
        let rect = Rect::from_min_size(cell.min, size).shrink(3.0);
        if let Some(kubelet) = draw_host(painter, rect, world, HostId(h as u32), view, targets) {
            kubelets.push(kubelet);
        }
    }
    // The watch that woke a kubelet: a line from the API server to the
    // kubelet's band, fading as the kubelet's glow does.
    if let Some(api) = api_server {
        for (band, g) in kubelets {
            let color = theme::PALETTE[0].gamma_multiply(0.25 + 0.6 * g);
            painter.line_segment([api.center_bottom(), band.center_top()], Stroke::new(1.0 + 1.5 * g, color));
            painter.circle_filled(band.center_top(), 2.5 + 2.0 * g, color);
        }
    }
    if world.hosts().len() > n {
        painter.text(
            pos2(hosts_area.left() + 4.0, col.bottom() - 4.0),
            Align2::LEFT_BOTTOM,
            format!("+ {} more hosts not drawn", world.hosts().len() - n),
            FontId::proportional(12.0),
            theme::TEXT_DIM,
        );
    }
}

fn gib(x: f64) -> String {
    if x >= 100.0 { format!("{x:.0} GiB") } else { format!("{x:.1} GiB") }
}

/// One line of text no wider than `width`, ending in "…" when cut short.
fn fitted(painter: &egui::Painter, text: String, font: FontId, color: Color32, width: f32) -> Arc<Galley> {
    let mut job = LayoutJob::simple_singleline(text, font, color);
    job.wrap = TextWrapping::truncate_at_width(width.max(1.0));
    painter.layout_job(job)
}

/// Text wrapped at `width` in as many lines as fit in `height`, the last
/// one ending in "…" when cut short; `None` when not one line fits.
fn wrapped_within(
    painter: &egui::Painter,
    text: String,
    font: FontId,
    color: Color32,
    width: f32,
    height: f32,
) -> Option<Arc<Galley>> {
    let whole = painter.layout(text.clone(), font.clone(), color, width.max(1.0));
    if whole.size().y <= height {
        return Some(whole);
    }
    let row_height = whole.size().y / whole.rows.len().max(1) as f32;
    let rows = (height / row_height).floor();
    if rows < 1.0 {
        return None;
    }
    let mut job = LayoutJob::simple(text, font, color, width.max(1.0));
    job.wrap.max_rows = rows as usize;
    Some(painter.layout_job(job))
}

/// The world's name and what it runs on: on one line when they fit, the
/// platform on a line of its own when they do not. Returns the y below.
fn title(painter: &egui::Painter, col: Rect, y: f32, index: usize, name: &str, platform: &str) -> f32 {
    let (left, width) = (col.left() + 10.0, col.width() - 20.0);
    let name = fitted(painter, name.to_string(), FontId::proportional(20.0), theme::world_color(index), width);
    let name_size = name.size();
    painter.galley(pos2(left, y), name, Color32::WHITE);
    let detail = FontId::proportional(14.0);
    let beside = width - name_size.x - 12.0;
    let whole = painter.layout_no_wrap(platform.to_string(), detail.clone(), theme::TEXT_DIM);
    if whole.size().x <= beside {
        // On the name's baseline, more or less.
        let dy = name_size.y - whole.size().y - 2.0;
        painter.galley(pos2(left + name_size.x + 12.0, y + dy), whole, Color32::WHITE);
        y + name_size.y + 6.0
    } else {
        let line = fitted(painter, platform.to_string(), detail, theme::TEXT_DIM, width);
        let h = line.size().y;
        painter.galley(pos2(left, y + name_size.y), line, Color32::WHITE);
        y + name_size.y + h + 6.0
    }
}

/// Values over their labels, in a grid of equal cells that wraps onto more
/// rows when the column is narrow. Returns the y below.
fn counters_grid(painter: &egui::Painter, col: Rect, y: f32, counters: &[(&str, String)]) -> f32 {
    let (left, width) = (col.left() + 10.0, col.width() - 20.0);
    let gap = 14.0;
    let cells: Vec<(Arc<Galley>, Arc<Galley>)> = counters
        .iter()
        .map(|(label, value)| {
            (
                painter.layout_no_wrap(value.clone(), FontId::proportional(17.0), Color32::WHITE),
                painter.layout_no_wrap(label.to_string(), FontId::proportional(12.0), theme::TEXT_DIM),
            )
        })
        .collect();
    let widest = cells.iter().map(|(v, l)| v.size().x.max(l.size().x)).fold(0.0, f32::max);
    let per_row = (((width + gap) / (widest + gap)).floor() as usize).clamp(1, cells.len().max(1));
    let cell_w = width / per_row as f32;
    let row_h = cells.iter().map(|(v, l)| v.size().y + l.size().y).fold(0.0, f32::max) + 4.0;
    for (i, (value, label)) in cells.into_iter().enumerate() {
        let at = pos2(left + (i % per_row) as f32 * cell_w, y + (i / per_row) as f32 * row_h);
        let value_h = value.size().y;
        // A cell narrower than its text (a very narrow column) is elided.
        let fit = |g: Arc<Galley>, font: f32, color: Color32| {
            if g.size().x <= cell_w - 4.0 {
                g
            } else {
                fitted(painter, g.text().to_string(), FontId::proportional(font), color, cell_w - 4.0)
            }
        };
        painter.galley(at, fit(value, 17.0, Color32::WHITE), Color32::WHITE);
        painter.galley(at + vec2(0.0, value_h), fit(label, 12.0, theme::TEXT_DIM), Color32::WHITE);
    }
    y + counters.len().div_ceil(per_row) as f32 * row_h
}

/// The control plane as a row of components that light up when they act,
/// with the Deployments and Services under it. Returns the y below it.
fn control_plane(painter: &egui::Painter, col: Rect, y: f32, limit: f32, k: &Cluster, view: &View) -> (f32, Rect) {
    let left = col.left() + 10.0;
    let parts = [
        (Component::ApiServer, "API server"),
        (Component::Etcd, "etcd"),
        (Component::Scheduler, "scheduler"),
        (Component::ControllerManager, "controller manager"),
    ];
    // Four boxes in a row, or two rows of two when the names would not fit.
    let font = FontId::proportional(12.0);
    let width_of = |name: &str| painter.layout_no_wrap(name.to_string(), font.clone(), Color32::WHITE).size().x;
    // "controllers" stands in for the controller manager where the full name does not fit.
    let widest = ["API server", "etcd", "scheduler", "controllers"].iter().map(|n| width_of(n)).fold(0.0, f32::max);
    let per_row = if (col.width() - 20.0 - 18.0) / 4.0 >= widest + 8.0 { 4 } else { 2 };
    let w = (col.width() - 20.0 - (per_row - 1) as f32 * 6.0) / per_row as f32;
    let api_server = Rect::from_min_size(pos2(left, y), vec2(w, 22.0));
    for (i, (component, name)) in parts.iter().enumerate() {
        let (r, c) = (i / per_row, i % per_row);
        let rect = Rect::from_min_size(pos2(left + c as f32 * (w + 6.0), y + r as f32 * 26.0), vec2(w, 22.0));
        let glow = k.activity.get(component).map_or(0.0, |&t| glow(view, t));
        let fill = lerp_color(Color32::from_rgb(0x2A, 0x30, 0x3C), theme::PALETTE[0], glow * 0.85);
        let stroke = Stroke::new(1.0, lerp_color(theme::HOST_STROKE, Color32::WHITE, glow));
        painter.rect(rect, 4.0, fill, stroke, StrokeKind::Inside);
        let text_color = if glow > 0.5 { Color32::BLACK } else { Color32::from_gray(210) };
        let name =
            if *component == Component::ControllerManager && width_of(name) > w - 6.0 { "controllers" } else { name };
        let label = fitted(painter, name.to_string(), font.clone(), text_color, w - 6.0);
        painter.galley(rect.center() - label.size() / 2.0, label, text_color);
    }
    let rows = parts.len().div_ceil(per_row);
    let mut y = y + rows as f32 * 26.0 + 2.0;
    let mut lines = Vec::new();
    for d in &k.deployments {
        let pods = || d.replica_sets.iter().flat_map(|&r| k.replica_sets[r].pods.iter()).filter_map(|p| k.pods.get(p));
        let ready = pods().filter(|p| p.ready && !p.deleting).count();
        // Deleted pods finishing what they hold: out of the endpoints, not yet gone.
        let terminating = pods().filter(|p| p.deleting).count();
        let terminating = if terminating > 0 { format!(" · {terminating} terminating") } else { String::new() };
        let rollout = if d.rollout_started.is_some() { " · rolling out" } else { "" };
        lines.push(format!("Deployment {}: {ready}/{} ready{terminating}{rollout}", d.spec.name, d.spec.replicas));
    }
    // As `kubectl get hpa` reads: the metric against its target, the replicas and their bounds.
    for hpa in k.hpas() {
        let spec = &hpa.spec;
        let targets = crate::views::kubectl::format_hpa_metrics(hpa);
        let replicas = k.deployments.iter().find(|d| d.spec.name == spec.target).map_or(0, |d| d.spec.replicas);
        let mut line =
            format!("HPA {}: {targets} · {replicas} replicas ({}–{})", spec.name, spec.min_replicas, spec.max_replicas);
        if let Some((reason, _)) = &hpa.scaling_inactive {
            line.push_str(&format!(" · ScalingActive False: {reason}"));
        }
        lines.push(line);
    }
    for s in &k.services {
        lines.push(format!("Service {}: {} endpoints", s.spec.name, s.endpoints.len()));
    }
    let font = FontId::proportional(12.0);
    if !lines.is_empty()
        && let Some(galley) =
            wrapped_within(painter, lines.join("   "), font, theme::TEXT_DIM, col.width() - 20.0, limit - y)
    {
        let h = galley.size().y;
        painter.galley(pos2(left, y), galley, Color32::WHITE);
        y += h + 4.0;
    }
    (y, api_server)
}

/// How bright something that acted at `t` glows at the view's clock: 1 at
/// once, fading to 0 over the glow window (longer at higher speeds).
fn glow(view: &View, t: SimTime) -> f32 {
    if t > view.clock {
        return 0.0;
    }
    1.0 - (view.clock.since(t).as_secs_f64() / view.glow_window.as_secs_f64().max(1e-6)).min(1.0) as f32
}

/// A service: its numbers on one line, and under it a lane in which requests
/// flow in from the left. In per-request mode each dot is a request that
/// arrived, drawn from its arrival until the lane's span of simulated time
/// has passed (red if no instance was there to serve it); at rates too high
/// for dots, and in fluid mode, a stream whose density follows the rate.
#[allow(clippy::too_many_arguments)]
fn service_lane(
    painter: &egui::Painter,
    col: Rect,
    y: f32,
    limit: f32,
    world: &World,
    t: &crate::world::traffic::Traffic,
    svc: &crate::world::traffic::ServiceState,
    clock: SimTime,
) -> f32 {
    let left = col.left() + 10.0;
    let width = col.width() - 20.0;
    let color = theme::app_color(svc.spec.app.index());
    let waiting: usize = svc.shared_queued() + svc.endpoints.iter().map(|&id| t.queued(id)).sum::<usize>();
    let arrived = svc.stats.arrived.max(1);
    let line = format!(
        "Service {} · {:.0} req/s on {} serving · {} waiting · served {} · dropped {} ({:.1} %)",
        svc.spec.name,
        svc.rate_now,
        svc.endpoints.len(),
        waiting,
        svc.stats.served,
        svc.stats.dropped,
        100.0 * svc.stats.dropped as f64 / arrived as f64,
    );
    // The line and the lane under it, or nothing when they do not fit.
    let Some(galley) = wrapped_within(painter, line, FontId::proportional(12.0), color, width, limit - y - 14.0) else {
        return y;
    };
    let h = galley.size().y;
    painter.galley(pos2(left, y), galley, Color32::WHITE);
    let lane = Rect::from_min_size(pos2(left, y + h + 2.0), vec2(width, 10.0));
    painter.rect_filled(lane, 3.0, Color32::from_rgb(0x10, 0x12, 0x17));
    let per_request = t.mode == crate::model::traffic::TrafficMode::PerRequest;
    let rate = svc.rate_now.max(0.0);
    // A span that holds the kept arrivals: 4 s of simulated time at low rates, less at high ones.
    let span = (0.8 * crate::world::traffic::RECENT_ARRIVALS as f64 / rate.max(1e-9)).clamp(0.05, 4.0);
    if per_request && rate * span < 0.8 * crate::world::traffic::RECENT_ARRIVALS as f64 + 1.0 && rate <= 400.0 {
        for &crate::world::traffic::RecentArrival { at, dropped, .. } in svc.recent.iter().rev() {
            if at > clock {
                continue;
            }
            let age = clock.since(at).as_secs_f64();
            if age > span {
                break;
            }
            let x = lane.left() + 4.0 + (age / span) as f32 * (lane.width() - 8.0);
            painter.circle_filled(pos2(x, lane.center().y), 2.6, if dropped { theme::FAILED } else { color });
        }
    } else if rate > 0.0 {
        // A stream: dashes that move with the clock, denser as the rate rises.
        let max = svc.spec.load.max_rate().max(1e-9);
        let density = (rate / max).clamp(0.05, 1.0) as f32;
        let gap = 6.0 + 24.0 * (1.0 - density);
        let offset = ((clock.as_secs_f64() * 40.0) % f64::from(gap)) as f32;
        let mut x = lane.left() + offset;
        while x < lane.right() - 2.0 {
            let dash = Rect::from_center_size(pos2(x, lane.center().y), vec2(4.0, 4.0 + 3.0 * density));
            painter.rect_filled(dash, 1.0, color.gamma_multiply(0.4 + 0.6 * density));
            x += gap;
        }
    }
    let below = lane.bottom() + 3.0;
    if below + 13.0 > limit || svc.endpoints.is_empty() {
        return y + h + 16.0;
    }
    spread_row(painter, lane, below, world, svc, clock, if per_request { span } else { 0.0 })
}

/// Under a service's lane, how its requests are spread: the proxy that picks
/// an endpoint for each request (kube-proxy, at random in its iptables mode or
/// in turn in IPVS round-robin mode), and a chip for each endpoint that lights
/// up as requests reach it. Per request, a chip's fill is its share of the
/// latest arrivals and it flashes when the newest one went to it; in fluid
/// mode every endpoint gets an even share. Returns the y below the row.
#[allow(clippy::too_many_arguments)]
fn spread_row(
    painter: &egui::Painter,
    lane: Rect,
    top: f32,
    world: &World,
    svc: &crate::world::traffic::ServiceState,
    clock: SimTime,
    span: f64,
) -> f32 {
    use crate::model::traffic::Routing;
    let color = theme::app_color(svc.spec.app.index());
    // In a Kubernetes world kube-proxy on every node does the picking.
    let kube = world.kube().is_some();
    let proxy = match svc.spec.routing {
        Routing::Random if kube => "kube-proxy (iptables), at random:",
        Routing::Random => "at random:",
        Routing::RoundRobin if kube => "kube-proxy (IPVS), in turn:",
        Routing::RoundRobin => "in turn:",
        Routing::LeastRequests => "least requests (Envoy):",
        Routing::SharedQueue => "one queue, first free worker:",
    };
    let font = FontId::proportional(10.0);
    let label = painter.layout_no_wrap(proxy.to_string(), font.clone(), theme::TEXT_DIM);
    let row_h = 12.0;
    painter.galley(pos2(lane.left(), top), label.clone(), theme::TEXT_DIM);
    let mut x = lane.left() + label.size().x + 6.0;
    // Requests per endpoint among the arrivals still on the lane; the newest one's endpoint.
    let mut counts: BTreeMap<InstanceId, usize> = BTreeMap::new();
    let mut newest: Option<(InstanceId, f64)> = None;
    let mut total = 0usize;
    for a in svc.recent.iter().rev().filter(|a| a.at <= clock) {
        let age = clock.since(a.at).as_secs_f64();
        if span <= 0.0 || age > span {
            break;
        }
        if let Some(id) = a.endpoint {
            *counts.entry(id).or_default() += 1;
            total += 1;
            if newest.is_none() {
                newest = Some((id, age));
            }
        }
    }
    let chip_w = 34.0;
    let fits = ((lane.right() - x) / (chip_w + 3.0)).floor().max(0.0) as usize;
    let n = svc.endpoints.len();
    let shown = if fits < n { fits.saturating_sub(1) } else { n };
    for &id in svc.endpoints.iter().take(shown) {
        let chip = Rect::from_min_size(pos2(x, top), vec2(chip_w, row_h));
        let share = if span > 0.0 && total > 0 {
            counts.get(&id).copied().unwrap_or(0) as f32 / total as f32
        } else {
            1.0 / n as f32
        };
        let lit = (0.15 + 0.85 * (share * n as f32).min(1.0)).min(1.0);
        painter.rect_filled(chip, 2.0, color.gamma_multiply(0.2 + 0.5 * lit));
        let flash = newest.is_some_and(|(nid, age)| nid == id && age < span / 12.0);
        let stroke = if flash { Stroke::new(1.5, Color32::WHITE) } else { Stroke::new(1.0, color) };
        painter.rect_stroke(chip, 2.0, stroke, StrokeKind::Inside);
        // A pod's random suffix, or an instance's number: enough to tell them apart.
        let name = &world.instance(id).name;
        let short = name.rsplit('-').next().unwrap_or(name);
        painter.text(chip.center(), Align2::CENTER_CENTER, short, FontId::proportional(9.0), Color32::WHITE);
        x += chip_w + 3.0;
    }
    if shown < n {
        painter.text(pos2(x, top + row_h / 2.0), Align2::LEFT_CENTER, format!("+{}", n - shown), font, theme::TEXT_DIM);
    }
    top + row_h + 6.0
}

/// Many services: one short cell each (rate, instances serving, drops), in columns.
fn service_grid(painter: &egui::Painter, col: Rect, y: f32, limit: f32, t: &crate::world::traffic::Traffic) -> f32 {
    let left = col.left() + 10.0;
    let width = col.width() - 20.0;
    let cell_w = 150.0_f32.min(width);
    let per_row = ((width / cell_w).floor() as usize).max(1);
    let cell_h = 16.0;
    // The rows that fit above the limit; the last says how many are left out.
    let rows = t.services.len().div_ceil(per_row);
    let room = (((limit - y) / cell_h).floor().max(0.0) as usize).min(rows);
    let shown = if room < rows { (room * per_row).saturating_sub(1) } else { t.services.len() };
    for (i, svc) in t.services.iter().enumerate().take(shown) {
        let (r, c) = (i / per_row, i % per_row);
        let at = pos2(left + c as f32 * (width / per_row as f32), y + r as f32 * cell_h);
        let text = format!(
            "{} {:.0}/s on {} · {} dropped",
            svc.spec.name,
            svc.rate_now,
            svc.endpoints.len(),
            svc.stats.dropped
        );
        let color = if svc.stats.dropped > 0 { theme::FAILED } else { theme::app_color(svc.spec.app.index()) };
        let cell = fitted(painter, text, FontId::proportional(11.5), color, width / per_row as f32 - 6.0);
        painter.galley(at, cell, color);
    }
    if shown < t.services.len() && room > 0 {
        let at =
            pos2(left + (shown % per_row) as f32 * (width / per_row as f32), y + (shown / per_row) as f32 * cell_h);
        let more = format!("+ {} more services", t.services.len() - shown);
        painter.galley(
            at,
            fitted(painter, more, FontId::proportional(11.5), theme::TEXT_DIM, width / per_row as f32 - 6.0),
            theme::TEXT_DIM,
        );
    }
    y + room as f32 * cell_h + 6.0
}

fn lerp_color(a: Color32, b: Color32, t: f32) -> Color32 {
    let t = t.clamp(0.0, 1.0);
    let mix = |x: u8, y: u8| (x as f32 + (y as f32 - x as f32) * t).round() as u8;
    Color32::from_rgb(mix(a.r(), b.r()), mix(a.g(), b.g()), mix(a.b(), b.b()))
}

/// `n` cells over `area`, in the grid whose cells come closest to square.
fn grid(n: usize, area: Rect) -> Vec<Rect> {
    if n == 0 {
        return Vec::new();
    }
    let (w, h) = (area.width().max(1.0), area.height().max(1.0));
    let mut best = (1usize, 0.0f32);
    for cols in 1..=n {
        let rows = n.div_ceil(cols);
        let side = (w / cols as f32).min(h / rows as f32 * 1.4);
        if side > best.1 {
            best = (cols, side);
        }
    }
    let cols = best.0;
    let rows = n.div_ceil(cols);
    let (cw, ch) = (w / cols as f32, (h / rows as f32).min(w / cols as f32 * 1.4));
    (0..n)
        .map(|i| {
            Rect::from_min_size(
                pos2(area.left() + (i % cols) as f32 * cw, area.top() + (i / cols) as f32 * ch),
                vec2(cw, ch),
            )
        })
        .collect()
}

/// Draws a host; returns its kubelet's band and glow when the kubelet has just acted.
fn draw_host(
    painter: &egui::Painter,
    rect: Rect,
    world: &World,
    host: HostId,
    view: &View,
    targets: &mut Vec<Target>,
) -> Option<(Rect, f32)> {
    let (world_index, clock, selection) = (view.index, view.clock, view.selection);
    let state = &world.hosts()[host.index()];
    let spec = &world.setup().hosts[host.index()];
    let selected = selection == Some(Selection::Host { world: world_index, host });
    painter.rect(
        rect,
        4.0,
        if !state.powered {
            theme::HOST_OFF
        } else if state.up {
            theme::HOST_FILL
        } else {
            theme::HOST_DOWN
        },
        Stroke::new(if selected { 2.5 } else { 1.0 }, if selected { theme::SELECTED } else { theme::HOST_STROKE }),
        StrokeKind::Inside,
    );
    targets.push(Target {
        rect,
        selection: Selection::Host { world: world_index, host },
        tip: format!(
            "{} — {} CPU, {} memory{}",
            spec.name,
            spec.cpu,
            spec.memory.binary(),
            if !state.powered {
                " (powered off)"
            } else if state.up {
                ""
            } else {
                " (down)"
            }
        ),
    });
    let header = rect.height().clamp(10.0, 18.0);
    let font = FontId::proportional((header - 4.0).clamp(8.0, 13.0));
    let bar_w = (rect.width() * 0.35).min(120.0);
    let status = match world.kube().map(|k| &k.nodes[host.index()]) {
        _ if !state.powered => Some(("powered off", theme::TEXT_DIM)),
        Some(node) => match node.condition {
            NodeCondition::Provisioning => Some(("booting", theme::PALETTE[4])),
            NodeCondition::NotReady => Some(("NotReady", theme::FAILED)),
            NodeCondition::Ready if node.unschedulable => Some(("cordoned", theme::PALETTE[4])),
            NodeCondition::Ready | NodeCondition::Absent => None,
        },
        None => None,
    };
    // CPU and memory fill, two thin bars under the name.
    let allocatable = spec.cpu.0 as f64 * world.spec().cpu_allocation_ratio;
    let fills = [
        (state.cpu_used.0 as f64 / allocatable.max(1.0), theme::PALETTE[1]),
        (state.memory_used.0 as f64 / spec.memory.0.max(1) as f64, theme::PALETTE[0]),
    ];
    for (i, (fill, color)) in fills.iter().enumerate().filter(|_| state.powered) {
        let bar = Rect::from_min_size(
            pos2(rect.right() - bar_w - 5.0, rect.top() + 3.0 + i as f32 * (header / 2.0 - 1.0)),
            vec2(bar_w, (header / 2.0 - 3.0).max(2.0)),
        );
        painter.rect_filled(bar, 1.0, Color32::from_gray(50));
        let mut done = bar;
        done.set_width(bar.width() * fill.clamp(0.0, 1.0) as f32);
        painter.rect_filled(done, 1.0, *color);
    }
    let inner = Rect::from_min_max(rect.left_top() + vec2(4.0, header + 2.0), rect.right_bottom() - vec2(4.0, 4.0));
    if inner.width() < 2.0 || inner.height() < 2.0 {
        host_header(painter, rect, &font, &spec.name, status, None, state.powered.then_some(bar_w));
        return None;
    }
    // Instances: those on the host, or, on a host that is down, the ones lost with it.
    let shown: Vec<&Instance> = if state.up {
        state.instances.iter().map(|&id| world.instance(id)).collect()
    } else {
        let since = state.down_since.unwrap_or(SimTime::ZERO);
        world
            .instances()
            .iter()
            .filter(|i| {
                i.host == Some(host)
                    && (i.phase == Phase::Unknown
                        || (i.phase == Phase::Failed && i.entered(Phase::Failed).is_some_and(|t| t >= since)))
            })
            .collect()
    };
    // Block area is proportional to memory, at the same scale on every host of
    // every world, so a VM looks as much heavier than a container as it is.
    let fill_bytes = view.scale_memory.min(spec.memory.0).max(1);
    let mut per_byte = 0.7 * inner.width() * inner.height() / fill_bytes as f32;
    // In a Kubernetes world the node's own processes (and its VM) come first.
    let node_memory = match world.kube() {
        Some(_) if state.up => state
            .overhead_memory
            .0
            .saturating_sub(shown.iter().map(|i| world.demand_of(i).overhead_memory.0).sum::<u64>()),
        _ => 0,
    };
    let mut sides: Vec<f32> = Vec::with_capacity(shown.len() + 1);
    if node_memory > 0 {
        sides.push(node_memory as f32);
    }
    sides.extend(shown.iter().map(|i| world.demand_of(i).memory.0 as f32));
    // Squares rarely tile a box exactly: shrink the scale until the blocks fit.
    let mut laid = flow(&sides, per_byte, inner);
    for _ in 0..12 {
        if laid.1 == 0 {
            break;
        }
        per_byte *= 0.85;
        laid = flow(&sides, per_byte, inner);
    }
    let (mut places, hidden) = laid;
    let clipped = painter.with_clip_rect(inner);
    let kubelet_glow = world.kube().and_then(|k| k.nodes[host.index()].kubelet_acted).map_or(0.0, |t| glow(view, t));
    let mut kubelet = None;
    if node_memory > 0 && !places.is_empty() {
        let block = places.remove(0);
        kubelet = draw_node_components(&clipped, block, world, node_memory, (world_index, host), kubelet_glow, targets)
            .filter(|_| kubelet_glow > 0.0)
            .map(|band| (band, kubelet_glow));
    }
    for (inst, block) in shown.iter().zip(places) {
        let demand = world.demand_of(inst);
        let overhead = demand.overhead_memory.0 as f32 / demand.memory.0.max(1) as f32;
        draw_instance(&clipped, block, world, inst, overhead, clock);
        // The cluster's own pods (CoreDNS and other add-ons) wear the node's colour as a frame.
        let namespace = world.kube().and_then(|k| k.pods.get(&inst.id).map(|p| k.pod_namespace(p)));
        let system = namespace == Some("kube-system");
        if system {
            clipped.rect_stroke(block, 1.0, Stroke::new(2.0, theme::GUEST_OS), StrokeKind::Inside);
            let app = &world.workload(inst.workload).name;
            if block.height() >= 12.0 && block.width() >= 6.0 * app.len() as f32 + 4.0 {
                clipped.text(block.center(), Align2::CENTER_CENTER, app, FontId::proportional(9.5), Color32::WHITE);
            }
        }
        if selection == Some(Selection::Instance { world: world_index, instance: inst.id }) {
            clipped.rect_stroke(block.expand(1.0), 1.0, Stroke::new(2.0, theme::SELECTED), StrokeKind::Outside);
        }
        targets.push(Target {
            rect: block,
            selection: Selection::Instance { world: world_index, instance: inst.id },
            tip: match namespace {
                Some(ns) if ns != "default" => {
                    format!("{} in {ns} — {}", inst.name, theme::phase_label(inst.phase))
                }
                _ => format!("{} — {}", inst.name, theme::phase_label(inst.phase)),
            },
        });
    }
    // What did not fit: in the corner when there is room, else in the header.
    let in_corner = hidden > 0 && inner.height() >= font.size + 4.0;
    if in_corner {
        clipped.text(inner.right_bottom(), Align2::RIGHT_BOTTOM, format!("+{hidden}"), font.clone(), Color32::WHITE);
    }
    let more = (hidden > 0 && !in_corner).then(|| format!("+{hidden}"));
    host_header(painter, rect, &font, &spec.name, status, more, state.powered.then_some(bar_w));
    if !state.up {
        let cross = Stroke::new(2.5, theme::FAILED);
        painter.line_segment([rect.left_top(), rect.right_bottom()], cross);
        painter.line_segment([rect.right_top(), rect.left_bottom()], cross);
    }
    kubelet
}

/// A node's own processes in the block that stands for them: one band per
/// node component (kubelet, container runtime, kube-proxy, log agent …),
/// as high as its share of the memory they reserve, and under them what the
/// node's VM holds besides (guest OS, hypervisor), when it is a VM. The
/// kubelet's band lights up by `kubelet_glow`; returns the kubelet's band.
fn draw_node_components(
    painter: &egui::Painter,
    block: Rect,
    world: &World,
    node_memory: u64,
    (world_index, host): (usize, HostId),
    kubelet_glow: f32,
    targets: &mut Vec<Target>,
) -> Option<Rect> {
    let components: &[crate::model::spec::NodeComponent] = match &world.spec().platform {
        crate::model::spec::Platform::Kubernetes(k) => &k.node_components,
        _ => &[],
    };
    let reserved: u64 = components.iter().map(|c| c.memory.0).sum();
    let machine = node_memory.saturating_sub(reserved);
    painter.rect(block, 1.0, theme::GUEST_OS, Stroke::new(1.0, Color32::from_gray(120)), StrokeKind::Inside);
    targets.push(Target {
        rect: block,
        selection: Selection::Host { world: world_index, host },
        tip: format!("{} for the node's own processes", Bytes(node_memory).binary()),
    });
    let mut bands: Vec<(String, String, u64)> = components
        .iter()
        .map(|c| {
            let tip = format!(
                "{} — reserves {} CPU, {} memory on every node",
                node_component_title(&c.name),
                c.cpu,
                c.memory.binary()
            );
            (c.name.clone(), tip, c.memory.0)
        })
        .collect();
    if machine > 0 {
        bands.push((
            "VM".to_string(),
            format!("the node's VM — {} for its guest OS and hypervisor", Bytes(machine).binary()),
            machine,
        ));
    }
    let inner = block.shrink(1.0);
    let total = bands.iter().map(|b| b.2).sum::<u64>().max(1) as f32;
    let mut top = inner.top();
    let font = FontId::proportional(9.5);
    let mut kubelet = None;
    for (k, (label, tip, memory)) in bands.into_iter().enumerate() {
        let h = inner.height() * memory as f32 / total;
        let band = Rect::from_min_max(pos2(inner.left(), top), pos2(inner.right(), top + h));
        top += h;
        let mut shade = if k % 2 == 0 { theme::GUEST_OS } else { theme::GUEST_OS.gamma_multiply(1.35) };
        let mut ink = Color32::from_gray(225);
        if label == "kubelet" {
            kubelet = Some(band);
            shade = lerp_color(shade, theme::PALETTE[0], kubelet_glow * 0.85);
            if kubelet_glow > 0.5 {
                ink = Color32::BLACK;
            }
        }
        painter.rect_filled(band, 0.0, shade);
        if band.height() >= 10.0 && band.width() >= 6.0 * label.len() as f32 {
            painter.text(band.center(), Align2::CENTER_CENTER, label, font.clone(), ink);
        }
        targets.push(Target { rect: band, selection: Selection::Host { world: world_index, host }, tip });
    }
    kubelet
}

/// A node component's name with what it is, for the ones a default node runs.
fn node_component_title(name: &str) -> String {
    let role = match name {
        "kubelet" => "the node agent, a systemd service",
        "containerd" => "the container runtime, a systemd service",
        "kube-proxy" => "Service routing, a DaemonSet pod in kube-system",
        "fluentd" => "the log agent, a DaemonSet pod in kube-system",
        _ => return name.to_string(),
    };
    format!("{name} ({role})")
}

/// A host's header: its name, its state when it is not plainly up (the
/// state first when both do not fit), and `more` (instances not drawn),
/// left of the bars (`bar_w` wide when drawn); nothing on a box too low for a line.
fn host_header(
    painter: &egui::Painter,
    rect: Rect,
    font: &FontId,
    name: &str,
    status: Option<(&str, Color32)>,
    more: Option<String>,
    bar_w: Option<f32>,
) {
    let room = rect.width() - 10.0 - bar_w.map_or(0.0, |w| w + 6.0);
    if room < 24.0 || rect.height() < font.size + 6.0 {
        return;
    }
    // A state and a count are shown whole or not at all (a box's fill already
    // tells a host that is off); the name takes what is left, elided.
    let mut tail: Vec<Arc<Galley>> = Vec::new();
    let mut left = room;
    for (text, color) in status.map(|(t, c)| (t.to_string(), c)).into_iter().chain(more.map(|m| (m, Color32::WHITE))) {
        let g = painter.layout_no_wrap(text, font.clone(), color);
        if g.size().x <= left {
            left -= g.size().x + 8.0;
            tail.push(g);
        }
    }
    let mut x = rect.left() + 5.0;
    if left > 24.0 {
        let g = fitted(painter, name.to_string(), font.clone(), Color32::WHITE, left);
        let w = g.size().x;
        painter.galley(pos2(x, rect.top() + 2.0), g, Color32::WHITE);
        x += w + 8.0;
    }
    for g in tail {
        let w = g.size().x;
        painter.galley(pos2(x, rect.top() + 2.0), g, Color32::WHITE);
        x += w + 8.0;
    }
}

/// Places blocks of area `memory × per_byte` left to right in rows inside
/// `inner`; returns the rectangles that fit, in order, and how many did not.
fn flow(memory: &[f32], per_byte: f32, inner: Rect) -> (Vec<Rect>, usize) {
    let (mut x, mut y, mut row_h) = (inner.left(), inner.top(), 0.0f32);
    let mut places = Vec::with_capacity(memory.len());
    for &m in memory {
        let side = (m * per_byte).sqrt().clamp(2.0, inner.width().min(inner.height()));
        if x + side > inner.right() + 0.5 && x > inner.left() {
            x = inner.left();
            y += row_h + 1.0;
            row_h = 0.0;
        }
        if y + side > inner.bottom() + 0.5 {
            let hidden = memory.len() - places.len();
            return (places, hidden);
        }
        places.push(Rect::from_min_size(pos2(x, y), Vec2::splat(side)));
        x += side + 1.0;
        row_h = row_h.max(side);
    }
    (places, 0)
}

/// How far into its timed phase (boot, start, stop) an instance is at `clock`, 0 to 1.
pub fn phase_progress(inst: &Instance, clock: SimTime) -> f32 {
    let (Some(start), Some(end)) = (inst.history.last().map(|&(_, t)| t), inst.phase_ends_at) else {
        return 0.0;
    };
    let span = end.since(start).as_secs_f64();
    if span <= 0.0 {
        return 1.0;
    }
    (clock.since(start).as_secs_f64() / span).clamp(0.0, 1.0) as f32
}

fn draw_instance(painter: &egui::Painter, block: Rect, world: &World, inst: &Instance, overhead: f32, clock: SimTime) {
    let color = theme::app_color(inst.workload.index());
    let band_h = (block.height() * overhead).min(block.height());
    let band = Rect::from_min_max(pos2(block.left(), block.bottom() - band_h), block.right_bottom());
    let app_part = Rect::from_min_max(block.left_top(), pos2(block.right(), band.top()));
    match inst.phase {
        Phase::FetchingImage => {
            let (done, total) = world.fetch_progress(inst.id, clock);
            let f = if total.0 == 0 { 1.0 } else { done.0 as f32 / total.0 as f32 };
            painter.rect_filled(block, 1.0, color.gamma_multiply(0.12));
            let mut fill = block;
            fill.set_top(block.bottom() - block.height() * f);
            painter.rect_filled(fill, 0.0, color.gamma_multiply(0.55));
            painter.rect_stroke(block, 1.0, Stroke::new(1.0, color), StrokeKind::Inside);
        }
        Phase::Booting => {
            // The guest OS comes up first: its band fills from the left.
            let p = phase_progress(inst, clock);
            painter.rect_filled(app_part, 0.0, color.gamma_multiply(0.18));
            painter.rect_filled(band, 0.0, theme::GUEST_OS.gamma_multiply(0.45));
            let mut done = if band_h >= 1.0 { band } else { block };
            done.set_width(done.width() * p);
            painter.rect_filled(done, 0.0, if band_h >= 1.0 { theme::GUEST_OS } else { color.gamma_multiply(0.6) });
            painter.rect_stroke(block, 1.0, Stroke::new(1.0, color.gamma_multiply(0.8)), StrokeKind::Inside);
        }
        Phase::Starting => {
            let p = phase_progress(inst, clock);
            painter.rect_filled(band, 0.0, theme::GUEST_OS);
            painter.rect_filled(app_part, 0.0, color.gamma_multiply(0.25));
            let mut done = app_part;
            done.set_width(app_part.width() * p);
            painter.rect_filled(done, 0.0, color.gamma_multiply(0.8));
        }
        Phase::Running => {
            match world.traffic() {
                // Under load: the app colour rises with the CPU the instance used over
                // metrics-server's last 15 s sample (of the CPU it holds), as the
                // autoscalers see it; waiting requests are dots along the top.
                Some(t) => {
                    let cores = match (&world.spec().platform, inst.host) {
                        (crate::model::spec::Platform::Dedicated(_), Some(h)) => {
                            world.setup().hosts[h.index()].cpu.as_cores()
                        }
                        _ => world.demand_of(inst).cpu.as_cores(),
                    };
                    let used_cores = match t.sample(inst.id) {
                        Some((millicores, _, _)) => millicores as f64 / 1000.0,
                        None => t.busy(inst.id),
                    };
                    let used = (used_cores / cores.max(1e-9)).clamp(0.0, 1.0) as f32;
                    painter.rect_filled(app_part, 0.0, color.gamma_multiply(0.35));
                    let mut level = app_part;
                    level.set_top(app_part.bottom() - app_part.height() * used);
                    painter.rect_filled(level, 0.0, color);
                    let queued = t.queued(inst.id);
                    if queued > 0 && app_part.width() > 8.0 {
                        let fits = ((app_part.width() - 4.0) / 5.0).max(1.0) as usize;
                        for k in 0..queued.min(fits) {
                            let c = pos2(app_part.left() + 4.0 + k as f32 * 5.0, app_part.top() + 4.0);
                            painter.circle_filled(c, 1.8, Color32::WHITE);
                        }
                    }
                }
                None => {
                    painter.rect_filled(app_part, 0.0, color);
                }
            }
            painter.rect_filled(band, 0.0, theme::GUEST_OS);
            if band_h > 14.0 && block.width() > 22.0 {
                painter.text(
                    band.center(),
                    Align2::CENTER_CENTER,
                    "OS",
                    FontId::proportional(10.0),
                    Color32::from_gray(190),
                );
            }
        }
        Phase::Stopping => {
            let fade = 1.0 - 0.8 * phase_progress(inst, clock);
            painter.rect_filled(app_part, 0.0, color.gamma_multiply(fade));
            painter.rect_filled(band, 0.0, theme::GUEST_OS.gamma_multiply(fade));
        }
        Phase::Failed => {
            painter.rect_filled(block, 1.0, theme::FAILED);
            if block.width() > 6.0 {
                let s = Stroke::new(1.0, Color32::BLACK);
                painter.line_segment([block.left_top(), block.right_bottom()], s);
                painter.line_segment([block.right_top(), block.left_bottom()], s);
            }
        }
        Phase::Unknown => {
            // Gone in fact, still Running for the control plane: hatched in vermillion.
            painter.rect_filled(block, 1.0, theme::FAILED.gamma_multiply(0.35));
            let s = Stroke::new(1.0, theme::FAILED);
            let step = (block.width() / 3.0).max(3.0);
            let mut x = block.left();
            while x < block.right() {
                let top = pos2(x, block.top());
                let bottom = pos2((x - block.height()).max(block.left() - block.height()), block.bottom());
                painter.line_segment([top, bottom], s);
                x += step;
            }
            painter.rect_stroke(block, 1.0, s, StrokeKind::Inside);
        }
        Phase::WaitingForPlacement | Phase::Stopped => {
            painter.rect_stroke(block, 1.0, Stroke::new(1.0, color), StrokeKind::Inside);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_gives_one_cell_per_host_inside_the_area() {
        let area = Rect::from_min_size(pos2(0.0, 0.0), vec2(600.0, 400.0));
        for n in [1, 2, 3, 4, 7, 40, 400] {
            let cells = grid(n, area);
            assert_eq!(cells.len(), n);
            for c in &cells {
                assert!(area.expand(0.5).contains_rect(*c), "{n}: {c:?}");
            }
        }
    }
}
