//! The lesson on screen: the caption of the step showing, large, with its
//! question while the clock stops there (the class predicts) and its answer
//! once the clock goes on (the class observes); and a list of every step to
//! jump to (L). N / Page Down and P / Page Up go through the steps, as a
//! presenter's clicker sends them.

use bevy_egui::egui::{self, Color32, RichText};

use crate::gui::panels::charts::time_label;
use crate::gui::state::Sim;
use crate::gui::theme;

/// The question's colour (yellow) and the answer's (bluish green).
const QUESTION: Color32 = theme::PALETTE[4];
const ANSWER: Color32 = theme::PALETTE[2];

/// The caption of the step showing, over the worlds.
pub fn caption_ui(ui: &mut egui::Ui, sim: &Sim) {
    let Some(index) = sim.playback.caption_index() else { return };
    let lesson = &sim.playback.scenario.lesson;
    let step = &lesson[index];
    let paused_here = sim.paused_at.as_ref().is_some_and(|p| p.at == step.at);
    egui::Frame::new().fill(theme::CAPTION_BG).inner_margin(egui::Margin::symmetric(12, 8)).corner_radius(6.0).show(
        ui,
        |ui| {
            ui.set_width(ui.available_width());
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new(&step.caption).size(20.0).color(Color32::WHITE));
            });
            match (&step.question, paused_here) {
                (Some(q), true) => {
                    ui.horizontal_wrapped(|ui| {
                        ui.label(RichText::new(format!("Question: {}", q.text)).size(20.0).strong().color(QUESTION));
                    });
                }
                (Some(q), false) => {
                    ui.horizontal_wrapped(|ui| {
                        ui.label(RichText::new(format!("Answer: {}", q.answer)).size(18.0).color(ANSWER));
                    });
                }
                (None, _) => {}
            }
            ui.horizontal_wrapped(|ui| {
                let mut hint = format!("step {} of {}", index + 1, lesson.len());
                if paused_here {
                    hint.push_str(if step.question.is_some() {
                        " · ⏸ predict, then Space to see"
                    } else {
                        " · ⏸ paused — Space to go on"
                    });
                }
                hint.push_str(" · N next · P back · L all steps");
                ui.label(RichText::new(hint).size(13.0).color(theme::TEXT_DIM));
            });
        },
    );
    ui.add_space(6.0);
}

/// Every step of the lesson, its time and caption, the one showing marked;
/// a click goes there.
pub fn steps_ui(ctx: &egui::Context, sim: &mut Sim) {
    if !sim.show_lesson || sim.playback.scenario.lesson.is_empty() {
        return;
    }
    let mut open = true;
    let current = sim.playback.caption_index();
    let mut chosen = None;
    egui::Window::new("Lesson").open(&mut open).collapsible(false).default_width(420.0).show(ctx, |ui| {
        egui::ScrollArea::vertical().max_height(ui.ctx().content_rect().height() * 0.6).show(ui, |ui| {
            crate::gui::layout_check::note_scroll_area(ui);
            for (i, step) in sim.playback.scenario.lesson.iter().enumerate() {
                let mut text = format!("{:>6}  {}", time_label(step.at.as_secs_f64()), step.caption);
                if step.question.is_some() {
                    text.push_str("  (question)");
                }
                if ui.selectable_label(current == Some(i), text).clicked() {
                    chosen = Some(i);
                }
            }
        });
    });
    sim.show_lesson = open;
    if let Some(i) = chosen {
        let at = sim.playback.scenario.lesson[i].at;
        sim.playback.playing = false;
        sim.open_at(crate::engine::SimTime::ZERO + at);
        sim.paused_at = Some(sim.playback.scenario.lesson[i].clone());
    }
}
