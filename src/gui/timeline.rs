//! The shared clock: keys, the passage of real time, and the bar at the
//! bottom with play/pause, step, restart, speed and the scrubber.
//!
//! | key | does |
//! |---|---|
//! | Space | play / pause |
//! | → | step to the next event |
//! | ↑ / ↓ | faster / slower (0.1× … 1000×) |
//! | R | restart the scenario as written |
//! | F | presentation mode (large type) |
//! | ? or H | help |
//! | Esc | close help, clear the selection |

use bevy::prelude::*;
use bevy_egui::egui;

use super::state::Sim;
use crate::engine::{SimDuration, SimTime};

/// Keys and the clock, in this order, every frame.
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub enum ClockSystems {
    Keys,
    Advance,
}

pub(super) fn plugin(app: &mut App) {
    app.configure_sets(Update, (ClockSystems::Keys, ClockSystems::Advance).chain())
        .add_systems(Update, keyboard.in_set(ClockSystems::Keys).run_if(resource_exists::<Sim>))
        .add_systems(Update, advance.in_set(ClockSystems::Advance).run_if(resource_exists::<Sim>));
}

/// The keys of the table above; ignored while a text field has the keyboard.
fn keyboard(
    keys: Option<Res<ButtonInput<KeyCode>>>,
    wants: Option<Res<bevy_egui::input::EguiWantsInput>>,
    mut sim: ResMut<Sim>,
) {
    let Some(keys) = keys else { return };
    if wants.is_some_and(|w| w.wants_keyboard_input()) {
        return;
    }
    if keys.just_pressed(KeyCode::Space) {
        sim.toggle_play();
    }
    if keys.just_pressed(KeyCode::ArrowRight) {
        sim.step();
    }
    if keys.just_pressed(KeyCode::ArrowUp) {
        sim.faster();
    }
    if keys.just_pressed(KeyCode::ArrowDown) {
        sim.slower();
    }
    if keys.just_pressed(KeyCode::KeyR) {
        sim.restart();
    }
    if keys.just_pressed(KeyCode::KeyF) {
        sim.presentation = !sim.presentation;
    }
    if keys.just_pressed(KeyCode::Slash) || keys.just_pressed(KeyCode::KeyH) || keys.just_pressed(KeyCode::F1) {
        sim.show_help = !sim.show_help;
    }
    if keys.just_pressed(KeyCode::Escape) {
        sim.show_help = false;
        sim.selection = None;
    }
}

/// Moves the clock by the real time since the last frame, at the chosen speed.
fn advance(time: Res<Time<Real>>, mut sim: ResMut<Sim>) {
    sim.tick(time.delta_secs_f64());
}

/// "1m 05.3s" for a clock.
pub fn clock_text(t: SimTime) -> String {
    let us = t.as_micros();
    let minutes = us / 60_000_000;
    let seconds = (us % 60_000_000) as f64 / 1e6;
    if minutes > 0 { format!("{minutes}m {seconds:04.1}s") } else { format!("{seconds:.2}s") }
}

fn speed_text(speed: f64) -> String {
    if speed < 1.0 { format!("{speed:.1}×") } else { format!("{speed:.0}×") }
}

/// The bottom bar.
pub fn timeline_ui(ui: &mut egui::Ui, sim: &mut Sim) {
    ui.add_space(4.0);
    ui.horizontal(|ui| {
        let playing = sim.playback.playing;
        if ui.button(if playing { "⏸ Pause" } else { "▶ Play" }).on_hover_text("Space").clicked() {
            sim.toggle_play();
        }
        if ui.button("⏭ Step").on_hover_text("Right arrow: the next event").clicked() {
            sim.step();
        }
        if ui.button("⟲ Restart").on_hover_text("R: the scenario as written, live actions dropped").clicked() {
            sim.restart();
        }
        ui.separator();
        if ui.button("−").on_hover_text("Down arrow: slower").clicked() {
            sim.slower();
        }
        ui.label(egui::RichText::new(speed_text(sim.playback.speed)).monospace().strong());
        if ui.button("+").on_hover_text("Up arrow: faster").clicked() {
            sim.faster();
        }
        ui.separator();
        let clock = sim.playback.clock();
        let end = sim.playback.end();
        ui.label(egui::RichText::new(clock_text(clock)).monospace().strong().size(18.0));
        ui.label(egui::RichText::new(format!("/ {}", clock_text(end))).monospace().color(super::theme::TEXT_DIM));
        let mut seconds = clock.as_secs_f64();
        let width = (ui.available_width() - 16.0).max(100.0);
        ui.spacing_mut().slider_width = width;
        let slider = egui::Slider::new(&mut seconds, 0.0..=end.as_secs_f64()).show_value(false);
        let response = ui.add(slider);
        if response.changed() {
            sim.paused_at = None;
            sim.playback.seek(SimTime::ZERO + SimDuration::from_secs_f64(seconds));
        }
    });
    lesson_marks_ui(ui, sim);
}

/// Ticks under the scrubber where lesson steps are.
fn lesson_marks_ui(ui: &mut egui::Ui, sim: &Sim) {
    let steps = &sim.playback.scenario.lesson;
    if steps.is_empty() {
        return;
    }
    let end = sim.playback.end().as_secs_f64().max(1e-9);
    ui.horizontal_wrapped(|ui| {
        ui.label(egui::RichText::new("Lesson:").small().color(super::theme::TEXT_DIM));
        for (i, s) in steps.iter().enumerate() {
            let reached = SimTime::ZERO + s.at <= sim.playback.clock();
            let text = format!("{}{} {}", i + 1, if s.pause { "⏸" } else { "" }, clock_text(SimTime::ZERO + s.at));
            let color = if reached { egui::Color32::WHITE } else { super::theme::TEXT_DIM };
            ui.label(egui::RichText::new(text).small().color(color)).on_hover_text(format!(
                "{:.0}% — {}",
                s.at.as_secs_f64() / end * 100.0,
                s.caption
            ));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_reads_in_minutes_and_seconds() {
        assert_eq!(clock_text(SimTime(2_500_000)), "2.50s");
        assert_eq!(clock_text(SimTime(65_300_000)), "1m 05.3s");
    }
}
