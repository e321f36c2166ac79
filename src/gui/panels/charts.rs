//! Charts that follow the clock: instances running and pending over time per
//! world, and a start-up Gantt chart with a row per instance and a bar per phase.

use bevy_egui::egui::{self, Color32};
use egui_plot::{Bar, BarChart, Legend, Line, Plot, PlotPoints, VLine};

use crate::gui::state::Sim;
use crate::gui::theme;
use crate::model::Phase;

/// Rows in the Gantt chart; later instances are summarised.
const MAX_GANTT_ROWS: usize = 200;

/// Running (solid) and pending (thin) per world, up to the clock.
pub fn counts_chart_ui(ui: &mut egui::Ui, sim: &Sim, height: f32) {
    let clock = sim.playback.clock();
    let end = sim.playback.end().as_secs_f64();
    Plot::new("counts")
        .height(height)
        .legend(Legend::default().position(egui_plot::Corner::LeftTop))
        .x_axis_label("time (s)")
        .include_x(0.0)
        .include_x((clock.as_secs_f64() * 1.15).clamp(10.0_f64.min(end), end))
        .include_y(0.0)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .show(ui, |plot| {
            for (i, track) in sim.playback.tracks.iter().enumerate() {
                let name = track.world.name();
                let color = theme::world_color(i);
                let mut running = Vec::new();
                let mut pending = Vec::new();
                let mut last = (0.0, 0.0);
                for s in track.series.samples.iter().take_while(|s| s.time <= clock) {
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
pub fn gantt_ui(ui: &mut egui::Ui, sim: &mut Sim, height: f32) {
    let n = sim.playback.tracks.len();
    ui.horizontal(|ui| {
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
    Plot::new("gantt")
        .height(height)
        .x_axis_label("time (s)")
        .include_x(0.0)
        .include_x(end.min(clock.as_secs_f64().max(1.0) * 1.2).max(1.0))
        .include_y(0.5)
        .include_y(-(rows.max(1) as f64) + 0.5)
        .show_axes([true, false])
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
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
    ui.horizontal_wrapped(|ui| {
        ui.label(egui::RichText::new("Host bars:").color(theme::TEXT_DIM));
        swatch(ui, theme::PALETTE[1], false, "CPU reserved");
        swatch(ui, theme::PALETTE[0], false, "memory reserved");
    });
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
