//! The front end (bevy + bevy_egui): each world of a scenario in its own
//! column on one shared clock, with charts, an inspector, lesson captions and
//! live actions. It reads worlds and sends actions; every number it shows
//! comes from the same worlds and metrics the headless CLI uses.
//!
//! Plugins, one per concern: [`timeline`] (keys and the clock), the layout
//! (one egui pass drawing the panels' `…_ui` functions), the picker's file
//! drops, and [`shot`] for screenshots.

pub mod panels;
pub mod shot;
pub mod state;
pub mod theme;
pub mod timeline;
#[cfg(target_arch = "wasm32")]
pub mod web;
pub mod world_view;

use bevy::prelude::*;
use bevy::window::WindowResolution;
use bevy_egui::egui::{self, LayerId, UiBuilder};
use bevy_egui::{EguiContexts, EguiPlugin, EguiPrimaryContextPass};

use crate::scenario::{Scenario, bundled};
pub use state::Sim;

/// Everything the app adds to bevy, apart from the window and egui themselves.
pub struct FlotillaPlugin;

impl Plugin for FlotillaPlugin {
    fn build(&self, app: &mut App) {
        timeline::plugin(app);
        panels::picker::plugin(app);
        shot::plugin(app);
        app.add_systems(Startup, spawn_camera)
            .add_systems(EguiPrimaryContextPass, layout_ui.run_if(resource_exists::<Sim>));
    }
}

fn spawn_camera(mut commands: Commands) {
    commands.spawn(Camera2d);
}

/// The whole screen, in one egui pass: top bar, timeline, side panel, worlds.
fn layout_ui(mut contexts: EguiContexts, mut sim: ResMut<Sim>, mut styled: Local<bool>) -> Result {
    let ctx = contexts.ctx_mut()?.clone();
    if !*styled {
        theme::apply(&ctx);
        *styled = true;
    }
    let zoom = if sim.presentation { theme::PRESENTATION_ZOOM } else { 1.0 };
    if (ctx.zoom_factor() - zoom).abs() > f32::EPSILON {
        ctx.set_zoom_factor(zoom);
    }
    let sim = &mut *sim;
    let mut root = egui::Ui::new(
        ctx.clone(),
        "root".into(),
        UiBuilder::new().layer_id(LayerId::background()).max_rect(ctx.viewport_rect()),
    );
    egui::Panel::top("top-bar").show(&mut root, |ui| panels::picker::top_bar_ui(ui, sim));
    egui::Panel::bottom("timeline").show(&mut root, |ui| timeline::timeline_ui(ui, sim));
    let side_width = (ctx.viewport_rect().width() * 0.3).clamp(300.0, 560.0);
    egui::Panel::right("side").default_size(side_width).resizable(true).show(&mut root, |ui| {
        let total = ui.available_height();
        // The inspector grows when something is selected; the charts share the rest.
        let inspector = if sim.selection.is_some() { 0.45 } else { 0.08 };
        let charts = 1.0 - inspector - 0.2;
        egui::ScrollArea::vertical().id_salt("inspector").max_height(total * inspector).show(ui, |ui| {
            panels::inspector::inspector_ui(ui, sim);
        });
        ui.separator();
        ui.horizontal(|ui| {
            ui.label(egui::RichText::new("Instances over time").strong());
            ui.label(egui::RichText::new("solid: running · dashed: pending").small().color(theme::TEXT_DIM));
        });
        panels::charts::counts_chart_ui(ui, sim, total * charts * 0.45);
        ui.separator();
        if sim.playback.scenario.worlds.iter().all(|w| w.services.is_empty()) {
            panels::charts::gantt_ui(ui, sim, total * charts * 0.55);
        } else {
            ui.label(egui::RichText::new("Traffic").strong());
            panels::charts::traffic_chart_ui(ui, sim, total * charts * 0.45);
            panels::charts::decisions_ui(ui, sim);
        }
        ui.separator();
        panels::charts::legend_ui(ui, sim);
    });
    egui::CentralPanel::default().show(&mut root, |ui| world_view::world_view_ui(ui, sim));
    panels::picker::help_ui(&ctx, sim);
    panels::picker::error_ui(&ctx, sim);
    Ok(())
}

/// The app with a window of `size` logical pixels (scale factor 1 when `exact`).
pub fn windowed_app(sim: Sim, size: (u32, u32), exact: bool) -> App {
    let mut resolution = WindowResolution::new(size.0, size.1);
    if exact {
        resolution = resolution.with_scale_factor_override(1.0);
    }
    let window = Window {
        title: format!("Flotilla — {}", sim.playback.scenario.name),
        resolution,
        #[cfg(target_arch = "wasm32")]
        canvas: Some("#flotilla".into()),
        #[cfg(target_arch = "wasm32")]
        fit_canvas_to_parent: true,
        ..default()
    };
    let mut app = App::new();
    app.insert_resource(ClearColor(Color::srgb(0.07, 0.08, 0.1)))
        .add_plugins(DefaultPlugins.set(WindowPlugin { primary_window: Some(window), ..default() }))
        .add_plugins(EguiPlugin::default())
        .insert_resource(sim)
        .add_plugins(FlotillaPlugin);
    app
}

/// The app without a window or renderer, for tests: the clock and keys only,
/// with time advanced by hand (`TimeUpdateStrategy::ManualDuration`).
pub fn headless_app(sim: Sim, frame: std::time::Duration) -> App {
    let mut app = App::new();
    app.add_plugins(MinimalPlugins)
        .insert_resource(bevy::time::TimeUpdateStrategy::ManualDuration(frame))
        .init_resource::<ButtonInput<KeyCode>>()
        .insert_resource(sim);
    timeline::plugin(&mut app);
    app
}

/// The bundled scenario the app opens on.
pub fn default_sim() -> Sim {
    let text = bundled::get(bundled::DEFAULT).unwrap_or(bundled::BUNDLED[0].1);
    let scenario =
        Scenario::parse(text, bundled::DEFAULT).unwrap_or_else(|e| panic!("a bundled scenario is invalid: {e}"));
    Sim::new(scenario, bundled::DEFAULT.to_string())
}

#[cfg(not(target_arch = "wasm32"))]
fn exit_code(exit: AppExit) -> u8 {
    match exit {
        AppExit::Success => 0,
        AppExit::Error(code) => code.get(),
    }
}

/// `flotilla` and `flotilla open [FILE]`: the app in a window.
#[cfg(not(target_arch = "wasm32"))]
pub fn open(file: Option<std::path::PathBuf>) -> u8 {
    let sim = match file {
        None => default_sim(),
        Some(path) => match Scenario::load(&path) {
            Ok(s) => Sim::new(s, path.display().to_string()),
            Err(e) => {
                eprintln!("error: {e}");
                return crate::cli::INPUT_ERROR;
            }
        },
    };
    exit_code(windowed_app(sim, (1600, 900), false).run())
}

/// `flotilla shot FILE --at T --out PNG --size WxH`.
#[cfg(not(target_arch = "wasm32"))]
pub fn shot(
    file: &std::path::Path,
    at: &str,
    out: &std::path::Path,
    size: &str,
    presentation: bool,
    inspect: Option<&str>,
) -> u8 {
    use crate::cli::INPUT_ERROR;
    use crate::engine::{SimDuration, SimTime};
    let at = match SimDuration::parse(at) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: --at: {e}");
            return INPUT_ERROR;
        }
    };
    let Some((w, h)) =
        size.split_once('x').and_then(|(w, h)| Some((w.trim().parse::<u32>().ok()?, h.trim().parse::<u32>().ok()?)))
    else {
        eprintln!("error: --size: \"{size}\" is not WIDTHxHEIGHT, such as 1920x1080");
        return INPUT_ERROR;
    };
    if !(320..=7680).contains(&w) || !(240..=4320).contains(&h) {
        eprintln!("error: --size: {w}x{h} is outside 320x240 to 7680x4320");
        return INPUT_ERROR;
    }
    let scenario = match Scenario::load(file) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return INPUT_ERROR;
        }
    };
    if at > scenario.setup.duration {
        eprintln!("error: --at {at} is after the scenario's end ({})", scenario.setup.duration);
        return INPUT_ERROR;
    }
    let mut sim = Sim::new(scenario, file.display().to_string());
    sim.presentation = presentation;
    sim.hover_tips = false;
    sim.playback.seek(SimTime::ZERO + at);
    if let Some(target) = inspect {
        match sim.find(target) {
            Some(selection) => sim.selection = Some(selection),
            None => {
                eprintln!("error: --inspect: no world:host or world:instance named \"{target}\" at {at}");
                return INPUT_ERROR;
            }
        }
    }
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty())
        && let Err(e) = std::fs::create_dir_all(parent)
    {
        eprintln!("error: {}: {e}", parent.display());
        return INPUT_ERROR;
    }
    let _ = std::fs::remove_file(out);
    let mut app = windowed_app(sim, (w, h), true);
    app.insert_resource(shot::ShotPlan { out: out.to_path_buf(), settle_frames: 8, give_up_after: 600 });
    let code = exit_code(app.run());
    if code == 0 && out.exists() {
        println!("wrote {} ({w}x{h}, at {at})", out.display());
        0
    } else {
        eprintln!("error: no screenshot was written to {}", out.display());
        INPUT_ERROR
    }
}
