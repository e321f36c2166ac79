//! Charts that follow the clock: instances running and pending over time per
//! world, and a start-up Gantt chart with a row per instance and a bar per phase.
//! Legends sit above the charts, never over the data.

use bevy_egui::egui::{self, Color32};
use egui_plot::{Bar, BarChart, Line, Plot, PlotPoints, VLine};

use crate::engine::SimTime;
use crate::gui::state::Sim;
use crate::gui::theme;
use crate::metrics::series::LoadSample;
use crate::model::Phase;
use crate::world::{Event, EventKind};

/// Rows in the Gantt chart; later instances are summarised.
const MAX_GANTT_ROWS: usize = 200;

/// Grid steps for a time axis in seconds: round seconds, minutes and hours.
const TIME_STEPS: [f64; 21] = [
    0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0, 10800.0,
    21600.0, 43200.0, 86400.0,
];

/// A time axis in seconds, with grid lines at round times and labels such as
/// 45s, 10m, 2h30.
fn time_axis(plot: Plot<'_>) -> Plot<'_> {
    plot.x_axis_label("time")
        .x_grid_spacer(egui_plot::uniform_grid_spacer(|input| {
            // The base step is 8 points wide; labels need about 60, so the middle
            // step is at least eight base steps.
            let step_at_least =
                |x: f64| TIME_STEPS.iter().copied().find(|&s| s >= x).unwrap_or(TIME_STEPS[TIME_STEPS.len() - 1]);
            let fine = step_at_least(input.base_step_size);
            let labelled = step_at_least(8.0 * input.base_step_size);
            [fine, labelled, step_at_least(4.0 * labelled)]
        }))
        .x_axis_formatter(|mark, _| time_label(mark.value))
}

/// Room right of a chart for its last time label, which is centred on the
/// chart's right edge.
const PLOT_RIGHT_MARGIN: f32 = 28.0;

/// A chart that follows the clock rather than the mouse: a time axis from
/// zero, no dragging or zooming; as wide as `ui` leaves, less a margin.
fn clock_plot<'a>(ui: &egui::Ui, id: impl egui::AsId, height: f32) -> Plot<'a> {
    time_axis(Plot::new(id))
        .width((ui.available_width() - PLOT_RIGHT_MARGIN).max(80.0))
        .height(height)
        .include_x(0.0)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
}

/// The part of a time-ordered list at or before `clock`.
fn up_to<T>(items: &[T], clock: SimTime, time: impl Fn(&T) -> SimTime) -> &[T] {
    &items[..items.partition_point(|x| time(x) <= clock)]
}

/// A time in seconds as a short label: 0.5s, 45s, 10m, 10m30s, 2h, 2h30.
pub fn time_label(secs: f64) -> String {
    if secs < 0.0 {
        return String::new();
    }
    let whole = secs.round() as u64;
    if (secs - whole as f64).abs() > 1e-6 {
        return format!("{secs:.1}s");
    }
    let (h, m, s) = (whole / 3600, whole / 60 % 60, whole % 60);
    match (h, m, s) {
        (0, 0, s) => format!("{s}s"),
        (0, m, 0) => format!("{m}m"),
        (0, m, s) => format!("{m}m{s:02}s"),
        (h, 0, _) => format!("{h}h"),
        (h, m, _) => format!("{h}h{m:02}"),
    }
}

/// The side panel: the inspector, two charts sharing the height, and the
/// legend at the bottom. Everything is sized to fit, so nothing is cut.
pub fn side_panel_ui(ui: &mut egui::Ui, sim: &mut Sim) {
    egui::Panel::bottom("legend").show(ui, |ui| legend_ui(ui, sim));
    if sim.selection.is_some() {
        let height = ui.available_height() * 0.45;
        egui::ScrollArea::vertical().id_salt("inspector").max_height(height).show(ui, |ui| {
            crate::gui::layout_check::note_scroll_area(ui);
            super::inspector::inspector_ui(ui, sim);
        });
    } else {
        super::inspector::inspector_ui(ui, sim);
    }
    ui.separator();
    ui.horizontal_wrapped(|ui| {
        ui.label(egui::RichText::new("Instances over time").strong());
        ui.label(egui::RichText::new("solid: running · dashed: pending").small().color(theme::TEXT_DIM));
    });
    worlds_legend_ui(ui, sim);
    let traffic = sim.playback.scenario.worlds.iter().any(|w| !w.services.is_empty());
    // The second chart's own header and notes take about this much.
    let below = if traffic { 70.0 } else { 56.0 };
    let charts = (ui.available_height() - below).max(0.0);
    counts_chart_ui(ui, sim, charts * 0.45);
    ui.separator();
    if traffic {
        ui.label(egui::RichText::new("Traffic").strong());
        traffic_chart_ui(ui, sim);
    } else {
        gantt_ui(ui, sim);
    }
}

/// A swatch and a name per world: the charts' legend.
fn worlds_legend_ui(ui: &mut egui::Ui, sim: &Sim) {
    ui.horizontal_wrapped(|ui| {
        for (i, track) in sim.playback.tracks.iter().enumerate() {
            let name = egui::RichText::new(track.world.name()).small();
            keep_together(ui, 14.0, name.clone());
            let (rect, _) = ui.allocate_exact_size(egui::vec2(14.0, 4.0), egui::Sense::hover());
            ui.painter().rect_filled(rect, 1.0, theme::world_color(i));
            ui.label(name);
        }
    });
}

/// In a wrapping row: starts a new row unless a swatch `swatch` wide and
/// the first word of its label fit on this one, so that they stay together.
fn keep_together(ui: &mut egui::Ui, swatch: f32, first_word: egui::RichText) {
    let galley = egui::WidgetText::from(first_word).into_galley(
        ui,
        Some(egui::TextWrapMode::Extend),
        f32::INFINITY,
        egui::TextStyle::Body,
    );
    let needed = swatch + 2.0 * ui.spacing().item_spacing.x + galley.size().x;
    if ui.available_width() < needed && ui.cursor().left() > ui.max_rect().left() + 1.0 {
        ui.end_row();
    }
}

/// Room left for a chart after `reserve` points below it; at least a little.
/// The least height of a chart that shows its y axis' title.
const MIN_HEIGHT_FOR_AXIS_TITLE: f32 = 130.0;

fn chart_height(ui: &egui::Ui, reserve: f32) -> f32 {
    (ui.available_height() - reserve).max(60.0)
}

/// Running (solid) and pending (thin) per world, up to the clock.
pub fn counts_chart_ui(ui: &mut egui::Ui, sim: &Sim, height: f32) {
    let clock = sim.playback.clock();
    let end = sim.playback.end().as_secs_f64();
    clock_plot(ui, "counts", height)
        .include_x((clock.as_secs_f64() * 1.15).clamp(10.0_f64.min(end), end))
        .include_y(0.0)
        .show(ui, |plot| {
            for (i, track) in sim.playback.tracks.iter().enumerate() {
                let name = track.world.name();
                let color = theme::world_color(i);
                let mut running = Vec::new();
                let mut pending = Vec::new();
                let mut last = (0.0, 0.0);
                for s in up_to(&track.series.samples, clock, |s| s.time) {
                    let t = s.time.as_secs_f64();
                    running.push([t, last.0]);
                    pending.push([t, last.1]);
                    last = (f64::from(s.running), f64::from(s.pending));
                    running.push([t, last.0]);
                    pending.push([t, last.1]);
                }
                running.push([clock.as_secs_f64(), last.0]);
                pending.push([clock.as_secs_f64(), last.1]);
                plot.line(Line::new(name, PlotPoints::from(running)).color(color).width(2.5));
                plot.line(
                    Line::new("", PlotPoints::from(pending))
                        .color(color.gamma_multiply(0.6))
                        .width(1.2)
                        .style(egui_plot::LineStyle::dashed_loose()),
                );
            }
            plot.vline(VLine::new("", clock.as_secs_f64()).color(Color32::WHITE).width(1.0));
        });
}

/// One row per instance of the chosen world, one bar per phase, up to the clock.
pub fn gantt_ui(ui: &mut egui::Ui, sim: &mut Sim) {
    let n = sim.playback.tracks.len();
    ui.horizontal_wrapped(|ui| {
        ui.label("Start-up of each instance in");
        let current = sim.playback.tracks[sim.gantt_world.min(n - 1)].world.name().to_string();
        egui::ComboBox::from_id_salt("gantt-world").selected_text(current).show_ui(ui, |ui| {
            for i in 0..n {
                let name = sim.playback.tracks[i].world.name().to_string();
                ui.selectable_value(&mut sim.gantt_world, i, name);
            }
        });
    });
    let track = &sim.playback.tracks[sim.gantt_world.min(n - 1)];
    let clock = sim.playback.clock();
    let instances = track.world.instances();
    let mut per_phase: Vec<(Phase, Vec<Bar>)> = Phase::ALL.iter().map(|&p| (p, Vec::new())).collect();
    for (row, inst) in instances.iter().take(MAX_GANTT_ROWS).enumerate() {
        for (k, &(phase, start)) in inst.history.iter().enumerate() {
            if phase.is_terminal() {
                continue;
            }
            let end = inst.history.get(k + 1).map(|&(_, t)| t).unwrap_or(clock).min(clock);
            let (s, e) = (start.as_secs_f64(), end.as_secs_f64());
            if e < s {
                continue;
            }
            let bar = Bar::new(-(row as f64), (e - s).max(1e-3))
                .base_offset(s)
                .width(0.8)
                .fill(theme::phase_color(phase))
                .name(format!("{} {}", inst.name, theme::phase_label(phase)));
            if let Some((_, bars)) = per_phase.iter_mut().find(|(p, _)| *p == phase) {
                bars.push(bar);
            }
        }
    }
    let end = sim.playback.end().as_secs_f64();
    let rows = instances.len().min(MAX_GANTT_ROWS);
    let more = instances.len() > MAX_GANTT_ROWS;
    let height = chart_height(ui, if more { 22.0 } else { 4.0 });
    clock_plot(ui, "gantt", height)
        .include_x(end.min(clock.as_secs_f64().max(1.0) * 1.2).max(1.0))
        .include_y(0.5)
        .include_y(-(rows.max(1) as f64) + 0.5)
        .show_axes([true, false])
        .show(ui, |plot| {
            for (phase, bars) in per_phase {
                if !bars.is_empty() {
                    plot.bar_chart(BarChart::new(theme::phase_label(phase), bars).horizontal());
                }
            }
            plot.vline(VLine::new("", clock.as_secs_f64()).color(Color32::WHITE).width(1.0));
        });
    if instances.len() > MAX_GANTT_ROWS {
        ui.label(
            egui::RichText::new(format!("first {MAX_GANTT_ROWS} of {} instances", instances.len()))
                .small()
                .color(theme::TEXT_DIM),
        );
    }
}

/// Colours of apps and phases, and how a VM's guest OS is drawn.
pub fn legend_ui(ui: &mut egui::Ui, sim: &Sim) {
    let swatch = |ui: &mut egui::Ui, color: Color32, outline: bool, label: &str| {
        keep_together(ui, 14.0, egui::RichText::new(label.split(' ').next().unwrap_or(label)));
        let (rect, _) = ui.allocate_exact_size(egui::vec2(14.0, 14.0), egui::Sense::hover());
        if outline {
            ui.painter().rect_stroke(rect, 2.0, egui::Stroke::new(1.5, color), egui::StrokeKind::Inside);
        } else {
            ui.painter().rect_filled(rect, 2.0, color);
        }
        ui.label(label);
    };
    ui.horizontal_wrapped(|ui| {
        for (i, app) in sim.playback.scenario.setup.apps.iter().enumerate().take(12) {
            swatch(ui, theme::app_color(i), false, &app.name);
        }
    });
    ui.horizontal_wrapped(|ui| {
        swatch(ui, Color32::from_gray(160), true, "waiting / fetching (fills as it downloads)");
        swatch(ui, theme::GUEST_OS, false, "guest OS + hypervisor (fills while booting)");
        swatch(ui, theme::FAILED, false, "failed");
    });
    let kubernetes =
        sim.playback.scenario.worlds.iter().any(|w| matches!(w.platform, crate::model::spec::Platform::Kubernetes(_)));
    if kubernetes {
        ui.horizontal_wrapped(|ui| {
            ui.label(egui::RichText::new("Nodes:").color(theme::TEXT_DIM));
            ui.label("grey bands: the node's own processes; grey frame: a kube-system pod");
        });
    }
    ui.horizontal_wrapped(|ui| {
        ui.label(egui::RichText::new("Host bars:").color(theme::TEXT_DIM));
        swatch(ui, theme::PALETTE[1], false, "CPU reserved");
        swatch(ui, theme::PALETTE[0], false, "memory reserved");
    });
    let traffic = sim.playback.scenario.worlds.iter().any(|w| !w.services.is_empty());
    if traffic {
        ui.horizontal_wrapped(|ui| {
            ui.label(egui::RichText::new("Under load:").color(theme::TEXT_DIM));
            ui.label("an instance's colour rises with its CPU use over the last 15 s sample; white dots are requests waiting; dots in a service's lane are requests arriving (red: dropped), sent to the endpoints under it");
        });
        ui.horizontal_wrapped(|ui| {
            ui.label(egui::RichText::new("Hosts:").color(theme::TEXT_DIM));
            swatch(ui, theme::HOST_OFF, false, "powered off");
        });
        return;
    }
    ui.horizontal_wrapped(|ui| {
        ui.label(egui::RichText::new("Start-up chart:").color(theme::TEXT_DIM));
        for phase in [
            Phase::WaitingForPlacement,
            Phase::FetchingImage,
            Phase::Booting,
            Phase::Starting,
            Phase::Running,
            Phase::Stopping,
        ] {
            swatch(ui, theme::phase_color(phase), false, theme::phase_label(phase));
        }
    });
}

/// What the traffic chart shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TrafficChart {
    #[default]
    Load,
    Replicas,
    Latency,
    Drops,
    Nodes,
    Energy,
}

impl TrafficChart {
    const ALL: [TrafficChart; 6] = [
        TrafficChart::Load,
        TrafficChart::Replicas,
        TrafficChart::Latency,
        TrafficChart::Drops,
        TrafficChart::Nodes,
        TrafficChart::Energy,
    ];

    fn label(self) -> &'static str {
        match self {
            TrafficChart::Load => "load",
            TrafficChart::Replicas => "replicas",
            TrafficChart::Latency => "p95 latency",
            TrafficChart::Drops => "drops",
            TrafficChart::Nodes => "hosts / nodes",
            TrafficChart::Energy => "energy",
        }
    }

    fn y_label(self) -> &'static str {
        match self {
            TrafficChart::Load => "requests/s",
            TrafficChart::Replicas => "instances serving",
            TrafficChart::Latency => "p95 latency (s)",
            TrafficChart::Drops => "requests dropped per sample",
            TrafficChart::Nodes => "hosts on",
            TrafficChart::Energy => "kWh so far",
        }
    }

    /// What the chart plots of a sample, if anything.
    fn value(self) -> fn(&LoadSample) -> Option<f64> {
        match self {
            TrafficChart::Load => |l| Some(l.rate),
            TrafficChart::Replicas => |l| Some(l.replicas as f64),
            TrafficChart::Latency => |l| l.p95,
            TrafficChart::Drops => |l| Some(l.dropped as f64),
            TrafficChart::Nodes => |l| Some(l.nodes as f64),
            TrafficChart::Energy => |l| Some(l.energy_kwh),
        }
    }
}

/// An autoscaler's decision: when, by whom, what, from, to, and why.
type Decision<'a> = (SimTime, &'a str, &'a str, u32, u32, &'a str);

fn decision(e: &Event) -> Option<Decision<'_>> {
    match &e.kind {
        EventKind::Scaled { by, target, from, to, reason } => Some((e.time, by, target, *from, *to, reason)),
        _ => None,
    }
}

/// Load, replicas, latency, drops, nodes or energy per world, up to the clock,
/// with the autoscalers' decisions as marks.
pub fn traffic_chart_ui(ui: &mut egui::Ui, sim: &mut Sim) {
    ui.horizontal_wrapped(|ui| {
        for kind in TrafficChart::ALL {
            ui.selectable_value(&mut sim.traffic_chart, kind, kind.label());
        }
    });
    // The decisions under the chart get the room they need, as many as fit
    // beside a chart of at least 100 points.
    let decisions = decision_galleys(ui, sim);
    let mut shown = decisions.len();
    let needed = |k: usize| decisions[..k].iter().map(|g| g.size().y + ui.spacing().item_spacing.y).sum::<f32>();
    while shown > 0 && ui.available_height() - needed(shown) < 100.0 {
        // The heading goes with the last decision.
        shown = if shown <= 2 { 0 } else { shown - 1 };
    }
    let height = chart_height(ui, needed(shown) + 4.0);
    let clock = sim.playback.clock();
    let kind = sim.traffic_chart;
    let end = sim.playback.end().as_secs_f64();
    let plot = clock_plot(ui, ("traffic", kind as u8), height);
    // A squeezed chart (the inspector open on a small screen) leaves out its
    // axis title, which would stand taller than the chart; the tab names it.
    let plot = if height >= MIN_HEIGHT_FOR_AXIS_TITLE { plot.y_axis_label(kind.y_label()) } else { plot };
    plot.include_x((clock.as_secs_f64() * 1.15).clamp(10.0_f64.min(end), end)).include_y(0.0).show(ui, |plot| {
        let value = kind.value();
        for (i, track) in sim.playback.tracks.iter().enumerate() {
            let color = theme::world_color(i);
            let points: PlotPoints = up_to(&track.series.load, clock, |l| l.time)
                .iter()
                .filter_map(|l| value(l).map(|y| [l.time.as_secs_f64(), y]))
                .collect();
            plot.line(Line::new(track.world.name(), points).color(color).width(2.0));
            // The autoscalers' decisions.
            for (t, ..) in up_to(&track.events, clock, |e| e.time).iter().filter_map(decision) {
                plot.vline(VLine::new("", t.as_secs_f64()).color(color.gamma_multiply(0.5)).width(1.0));
            }
        }
        let slo = sim
            .playback
            .scenario
            .worlds
            .iter()
            .flat_map(|w| w.services.first())
            .map(|s| s.slo_p95.as_secs_f64())
            .next();
        if kind == TrafficChart::Latency
            && let Some(slo) = slo
        {
            plot.hline(egui_plot::HLine::new("SLO", slo).color(theme::FAILED).width(1.0));
        }
        plot.vline(VLine::new("", clock.as_secs_f64()).color(Color32::WHITE).width(1.0));
    });
    for galley in decisions.into_iter().take(shown) {
        ui.label(galley);
    }
}

/// The autoscalers' latest decisions in the world shown in the start-up
/// chart, newest first, laid out at the panel's width: a heading, then a line each.
fn decision_galleys(ui: &egui::Ui, sim: &Sim) -> Vec<std::sync::Arc<egui::Galley>> {
    let w = sim.gantt_world.min(sim.playback.tracks.len() - 1);
    let track = &sim.playback.tracks[w];
    let clock = sim.playback.clock();
    let decisions: Vec<Decision> =
        up_to(&track.events, clock, |e| e.time).iter().rev().filter_map(decision).take(4).collect();
    if decisions.is_empty() {
        return Vec::new();
    }
    let width = ui.available_width();
    let style = ui.style();
    let body = egui::TextStyle::Body.resolve(style);
    let small = egui::TextStyle::Small.resolve(style);
    let text = style.visuals.text_color();
    let mut galleys = vec![ui.painter().layout(format!("Autoscaling in {}", track.world.name()), body, text, width)];
    for (t, by, target, from, to, reason) in decisions {
        let line = format!("{} {by}: {target} {from} to {to} — {reason}", crate::gui::timeline::clock_text(t));
        galleys.push(ui.painter().layout(line, small.clone(), text, width));
    }
    galleys
}

#[cfg(test)]
mod tests {
    use super::time_label;

    #[test]
    fn time_labels_are_short_and_round() {
        let labels: Vec<String> =
            [0.0, 0.5, 45.0, 600.0, 630.0, 7200.0, 9000.0].iter().map(|&s| time_label(s)).collect();
        assert_eq!(labels, ["0s", "0.5s", "45s", "10m", "10m30s", "2h", "2h30"]);
    }
}
