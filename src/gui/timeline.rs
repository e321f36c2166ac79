//! The shared clock: keys, the passage of real time, and the bar at the
//! bottom with play/pause, step, restart, speed and the scrubber.
//!
//! | key | does |
//! |---|---|
//! | Space | play / pause |
//! | → | step to the next event |
//! | ↑ / ↓ | faster / slower (0.1× … 1000×) |
//! | N or Page Down / P or Page Up | the lesson's next / previous step |
//! | L | the list of the lesson's steps |
//! | R | restart the scenario as written |
//! | F | presentation mode (large type) |
//! | C | show or fold away the charts |
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
    // A screenshot shows the run as of its time, whatever the machine's speed.
    #[cfg(not(target_arch = "wasm32"))]
    app.add_systems(
        Update,
        run_ahead
            .after(ClockSystems::Advance)
            .run_if(resource_exists::<Sim>.and_then(not(resource_exists::<super::shot::ShotPlan>))),
    );
    #[cfg(target_arch = "wasm32")]
    app.add_systems(Update, run_ahead.after(ClockSystems::Advance).run_if(resource_exists::<Sim>));
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
    if keys.just_pressed(KeyCode::KeyN) || keys.just_pressed(KeyCode::PageDown) {
        sim.go_to_step(true);
    }
    if keys.just_pressed(KeyCode::KeyP) || keys.just_pressed(KeyCode::PageUp) {
        sim.go_to_step(false);
    }
    if keys.just_pressed(KeyCode::KeyL) {
        sim.show_lesson = !sim.show_lesson;
    }
    if keys.just_pressed(KeyCode::KeyK) {
        sim.terminal.open = !sim.terminal.open;
    }
    if keys.just_pressed(KeyCode::KeyF) {
        sim.toggle_presentation();
    }
    if keys.just_pressed(KeyCode::KeyC) {
        sim.toggle_charts();
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

/// Of each frame, the wall time the worlds may spend running ahead of the
/// clock (recording and leaving checkpoints), so that a later drag forward
/// is as quick as one backward; a 60 Hz frame lasts 16.7 ms.
const RUN_AHEAD_PER_FRAME: std::time::Duration = std::time::Duration::from_millis(6);

#[allow(
    clippy::disallowed_methods,
    reason = "bounds the frame's work in wall time; what is recorded does not depend on it"
)]
fn run_ahead(mut sim: ResMut<Sim>) {
    if sim.playback.recorded_until() >= sim.playback.end() {
        return;
    }
    let started = bevy::platform::time::Instant::now();
    sim.playback.run_ahead(&mut || started.elapsed() < RUN_AHEAD_PER_FRAME);
}

/// A time as a clock reads it: "2.50s", "1m 05.3s", and from an hour on
/// "19:00:00".
pub fn clock_text(t: SimTime) -> String {
    let us = t.as_micros();
    if us >= HOUR_US {
        return hours_text(t);
    }
    let minutes = us / 60_000_000;
    let seconds = (us % 60_000_000) as f64 / 1e6;
    if minutes > 0 { format!("{minutes}m {seconds:04.1}s") } else { format!("{seconds:.2}s") }
}

const HOUR_US: u64 = 3_600_000_000;

/// "19:00:00", "0:05:30": hours, minutes and whole seconds.
pub fn hours_text(t: SimTime) -> String {
    let s = t.as_micros() / 1_000_000;
    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// The clock of a run that ends at `end`: in hours throughout once the run
/// lasts an hour or more, so that the reading never changes its shape.
pub fn run_clock_text(t: SimTime, end: SimTime) -> String {
    if end.as_micros() >= HOUR_US { hours_text(t) } else { clock_text(t) }
}

fn speed_text(speed: f64) -> String {
    if speed < 1.0 { format!("{speed:.1}×") } else { format!("{speed:.0}×") }
}

/// Room the scrubber needs beside the buttons; with less, it takes a row of its own.
const MIN_SLIDER_WIDTH: f32 = 220.0;

/// The bottom bar.
pub fn timeline_ui(ui: &mut egui::Ui, sim: &mut Sim) {
    ui.add_space(4.0);
    let room = ui
        .horizontal(|ui| {
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
            let (clock, end) = (sim.playback.clock(), sim.playback.end());
            ui.label(egui::RichText::new(run_clock_text(clock, end)).monospace().strong().size(18.0));
            ui.label(
                egui::RichText::new(format!("/ {}", run_clock_text(end, end)))
                    .monospace()
                    .color(super::theme::TEXT_DIM),
            );
            let room = ui.available_width() - 16.0;
            if room >= MIN_SLIDER_WIDTH {
                scrubber_ui(ui, sim, room);
            }
            room
        })
        .inner;
    if room < MIN_SLIDER_WIDTH {
        let width = ui.available_width() - 16.0;
        scrubber_ui(ui, sim, width);
    }
    lesson_marks_ui(ui, sim);
}

/// The slider that moves the clock, `width` points long.
fn scrubber_ui(ui: &mut egui::Ui, sim: &mut Sim, width: f32) {
    let (clock, end) = (sim.playback.clock(), sim.playback.end());
    let mut seconds = clock.as_secs_f64();
    ui.spacing_mut().slider_width = width.max(100.0);
    let slider = egui::Slider::new(&mut seconds, 0.0..=end.as_secs_f64()).show_value(false);
    let response = ui.add(slider);
    // Under the rail, how far the worlds are recorded (a jump within it is
    // quick), as a video player shows what it has buffered.
    let recorded = sim.playback.recorded_until();
    if recorded < end {
        let rect = response.rect;
        let fraction = (recorded.as_secs_f64() / end.as_secs_f64().max(1e-9)) as f32;
        let y = rect.bottom() - 1.0;
        let stroke = egui::Stroke::new(2.0, super::theme::TEXT_DIM);
        ui.painter()
            .line_segment([egui::pos2(rect.left(), y), egui::pos2(rect.left() + rect.width() * fraction, y)], stroke);
    }
    if response.changed() {
        sim.paused_at = None;
        sim.playback.seek(SimTime::ZERO + SimDuration::from_secs_f64(seconds));
    }
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
            let at = run_clock_text(SimTime::ZERO + s.at, sim.playback.end());
            let text = format!("{}{} {at}", i + 1, if s.pause { "⏸" } else { "" });
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

    #[test]
    fn long_runs_read_in_hours_throughout() {
        let day = SimTime(24 * HOUR_US);
        // 19 h into diurnal-day, which printed "1140m 00.0s" before.
        assert_eq!(clock_text(SimTime(19 * HOUR_US)), "19:00:00");
        assert_eq!(run_clock_text(SimTime(19 * HOUR_US), day), "19:00:00");
        assert_eq!(run_clock_text(SimTime(330_500_000), day), "0:05:30");
        assert_eq!(run_clock_text(day, day), "24:00:00");
        // A three-minute run keeps minutes and seconds.
        assert_eq!(run_clock_text(SimTime(65_300_000), SimTime(180_000_000)), "1m 05.3s");
    }
}
