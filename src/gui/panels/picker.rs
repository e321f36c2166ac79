//! The top bar: pick a bundled scenario or open one from disk (type a path,
//! or drop the file on the window), launch more instances, and the switches
//! for presentation mode and help.

use bevy::prelude::*;
use bevy_egui::egui::{self, RichText};

use crate::gui::state::Sim;
use crate::gui::theme;
use crate::model::AppId;
use crate::model::spec::Action;
use crate::scenario::{Scenario, bundled};

pub(in crate::gui) fn plugin(app: &mut App) {
    app.add_systems(Update, dropped_files.run_if(resource_exists::<Sim>));
}

/// A scenario file dropped on the window replaces the current one.
fn dropped_files(mut drops: MessageReader<bevy::window::FileDragAndDrop>, mut sim: ResMut<Sim>) {
    for drop in drops.read() {
        if let bevy::window::FileDragAndDrop::DroppedFile { path_buf, .. } = drop {
            open_path(&mut sim, &path_buf.display().to_string());
        }
    }
}

/// Loads a file from disk into the app, or keeps the error to show.
pub fn open_path(sim: &mut Sim, path: &str) {
    #[cfg(not(target_arch = "wasm32"))]
    match Scenario::load(std::path::Path::new(path)) {
        Ok(s) => sim.load(s, path.to_string()),
        Err(e) => sim.load_error = Some(e.to_string()),
    }
    #[cfg(target_arch = "wasm32")]
    {
        sim.load_error = Some(format!("{path}: the browser opens files through Open file… or a drop on the page"));
    }
}

fn open_bundled(sim: &mut Sim, name: &str) {
    let Some(text) = bundled::get(name) else { return };
    match Scenario::parse(text, name) {
        Ok(s) => sim.load(s, name.to_string()),
        Err(e) => sim.load_error = Some(e.to_string()),
    }
}

/// The top bar: one row where there is room, wrapping onto more where there is not.
pub fn top_bar_ui(ui: &mut egui::Ui, sim: &mut Sim) {
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new("Flotilla").strong().size(20.0).color(theme::PALETTE[0]));
        ui.separator();
        let mut chosen = None;
        // A path shows by its file name; the full one is in the tooltip.
        let shown = std::path::Path::new(&sim.source)
            .file_name()
            .map_or_else(|| sim.source.clone(), |n| n.to_string_lossy().into_owned());
        egui::ComboBox::from_id_salt("scenario").selected_text(shown).width(190.0).show_ui(ui, |ui| {
            for (name, _) in bundled::BUNDLED {
                if ui.selectable_label(sim.source == *name, *name).clicked() {
                    chosen = Some(*name);
                }
            }
        });
        if let Some(name) = chosen {
            open_bundled(sim, name);
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            let edit = ui.add(
                egui::TextEdit::singleline(&mut sim.open_path).hint_text("path/to/scenario.ron").desired_width(170.0),
            );
            let enter = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if (ui.button("Open file").on_hover_text("or drop a .ron file on the window").clicked() || enter)
                && !sim.open_path.trim().is_empty()
            {
                let path = sim.open_path.trim().to_string();
                open_path(sim, &path);
            }
        }
        #[cfg(target_arch = "wasm32")]
        if ui
            .button("Open file…")
            .on_hover_text("a scenario (.ron) from your disk, with any load traces it names; or drop them on the page")
            .clicked()
        {
            crate::gui::web::choose_file();
        }
        ui.separator();
        launch_ui(ui, sim);
        ui.separator();
        let charts = sim.charts_shown();
        if ui.selectable_label(charts, "C Charts").on_hover_text("show or fold away the side panel").clicked() {
            sim.toggle_charts();
        }
        if ui.selectable_label(sim.presentation, "F Presentation").on_hover_text("large type for a projector").clicked()
        {
            sim.toggle_presentation();
        }
        if ui
            .selectable_label(sim.terminal.open, "K Commands")
            .on_hover_text("kubectl, docker ps, virsh list at the current time")
            .clicked()
        {
            sim.terminal.open = !sim.terminal.open;
        }
        if ui.selectable_label(sim.show_help, "? Help").clicked() {
            sim.show_help = !sim.show_help;
        }
        crate::gui::export::menu_ui(ui, sim);
    });
}

/// "Launch N more of APP", in every world at the current time.
fn launch_ui(ui: &mut egui::Ui, sim: &mut Sim) {
    let apps: Vec<String> = sim.playback.scenario.setup.apps.iter().map(|a| a.name.clone()).collect();
    if apps.is_empty() {
        return;
    }
    sim.launch_app = sim.launch_app.min(apps.len() - 1);
    if ui.button("Launch").on_hover_text("In every world, now; recorded for replay").clicked() {
        let action = Action::Launch { app: AppId(sim.launch_app as u32), count: sim.launch_count };
        sim.act(action);
    }
    ui.add(egui::DragValue::new(&mut sim.launch_count).range(1..=1000));
    egui::ComboBox::from_id_salt("launch-app").selected_text(apps[sim.launch_app].clone()).show_ui(ui, |ui| {
        for (i, a) in apps.iter().enumerate() {
            ui.selectable_value(&mut sim.launch_app, i, a);
        }
    });
}

/// The key list, over everything.
pub fn help_ui(ctx: &egui::Context, sim: &mut Sim) {
    let mut open = sim.show_help;
    egui::Window::new("Keys").open(&mut open).collapsible(false).resizable(false).anchor(egui::Align2::CENTER_CENTER, [0.0, 0.0]).show(
        ctx,
        |ui| {
            egui::Grid::new("keys").num_columns(2).spacing([24.0, 8.0]).show(ui, |ui| {
                for (key, what) in [
                    ("Space", "play / pause"),
                    ("→", "step to the next event"),
                    ("↑  ↓", "faster / slower (0.1× to 1000×)"),
                    ("R", "restart the scenario as written"),
                    ("N  PgDn", "the lesson's next step"),
                    ("P  PgUp", "the lesson's previous step"),
                    ("L", "the list of the lesson's steps"),
                    ("K", "commands: kubectl, docker ps, virsh list, now"),
                    ("F", "presentation mode: large type"),
                    ("C", "show or fold away the charts"),
                    ("?  H  F1", "this help"),
                    ("Esc", "close help, clear the selection"),
                    ("click", "inspect a host or an instance"),
                    ("drag the slider", "scrub back and forth in time"),
                ] {
                    ui.label(RichText::new(key).monospace().strong());
                    ui.label(what);
                    ui.end_row();
                }
            });
            ui.add_space(8.0);
            ui.label(RichText::new("Failing a host or launching instances acts in every world at the current time. Scrubbing back and playing again replays those actions; R starts over without them.").color(theme::TEXT_DIM));
        },
    );
    sim.show_help = open && sim.show_help;
}

/// A scenario that failed to load, with the message that says why (file,
/// line and column, or the field path, as on the command line). The
/// scenario that was running goes on behind it.
pub fn error_ui(ctx: &egui::Context, sim: &mut Sim) {
    let Some(message) = sim.load_error.clone() else { return };
    let mut open = true;
    let room = ctx.content_rect().size() - egui::vec2(40.0, 80.0);
    egui::Window::new("The scenario could not be opened")
        .open(&mut open)
        .collapsible(false)
        .anchor(egui::Align2::CENTER_TOP, [0.0, 60.0])
        .default_width(room.x.min(700.0))
        .max_width(room.x)
        .max_height(room.y)
        .show(ctx, |ui| {
            egui::ScrollArea::both().show(ui, |ui| {
                crate::gui::layout_check::note_scroll_area(ui);
                for line in message.lines() {
                    let text = RichText::new(line).monospace().color(theme::FAILED);
                    // A quoted source line and its caret stay unwrapped, so that the
                    // caret stays under the column it points at; the rest wraps.
                    let quoted = line.trim_start().starts_with('|')
                        || line.split_once(" |").is_some_and(|(n, _)| n.trim().parse::<usize>().is_ok());
                    ui.add(if quoted { egui::Label::new(text).extend() } else { egui::Label::new(text).wrap() });
                }
            });
            ui.label(RichText::new("The scenario that was open keeps running.").color(theme::TEXT_DIM));
        });
    if !open {
        sim.load_error = None;
    }
}
