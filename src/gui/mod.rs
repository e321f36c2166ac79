//! The front end (bevy + bevy_egui): each world of a scenario in its own
//! column on one shared clock, with charts, an inspector, lesson captions and
//! live actions. It reads worlds and sends actions; every number it shows
//! comes from the same worlds and metrics the headless CLI uses.
//!
//! Plugins, one per concern: [`timeline`] (keys and the clock), the layout
//! (one egui pass drawing the panels' `…_ui` functions), the picker's file
//! drops, the window's fit to the screen, and [`shot`] for screenshots.
//! [`layout_check`] finds text that overlaps or is cut in what egui laid out;
//! in the browser, `fonts` gives egui its default fonts from packed copies.

pub mod export;
#[cfg(any(target_arch = "wasm32", test))]
pub mod fonts;
pub mod layout_check;
pub mod panels;
#[cfg(not(target_arch = "wasm32"))]
pub mod shot;
pub mod state;
pub mod theme;
pub mod timeline;
#[cfg(target_arch = "wasm32")]
pub mod web;
pub mod world_view;

use bevy::prelude::*;
use bevy::window::{WindowResizeConstraints, WindowResolution};
#[cfg(target_arch = "wasm32")]
use bevy_egui::EguiPreUpdateSet;
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
        #[cfg(not(target_arch = "wasm32"))]
        shot::plugin(app);
        #[cfg(target_arch = "wasm32")]
        app.add_systems(
            PreUpdate,
            fonts::install.after(EguiPreUpdateSet::InitContexts).before(EguiPreUpdateSet::BeginPass),
        );
        app.add_systems(Startup, spawn_camera)
            .add_systems(EguiPrimaryContextPass, layout_ui.run_if(resource_exists::<Sim>));
        #[cfg(not(target_arch = "wasm32"))]
        app.add_systems(Update, fit_window_to_screen.run_if(resource_exists::<FitToScreen>))
            .add_systems(Update, take_screenshot.run_if(resource_exists::<Sim>));
    }
}

/// Saves the window as a PNG when the Export menu asked for it.
#[cfg(not(target_arch = "wasm32"))]
fn take_screenshot(mut commands: Commands, mut sim: ResMut<Sim>) {
    use bevy::render::view::screenshot::{Screenshot, save_to_disk};
    if let Some(path) = sim.screenshot_to.take() {
        commands.spawn(Screenshot::primary_window()).observe(save_to_disk(path));
    }
}

fn spawn_camera(mut commands: Commands) {
    commands.spawn(Camera2d);
}

/// The smallest window in which the top bar, the worlds and the timeline
/// controls still fit, in logical pixels.
pub const MIN_WINDOW: (f32, f32) = (800.0, 560.0);

/// The egui pass: styles once, then [`app_ui`].
fn layout_ui(mut contexts: EguiContexts, mut sim: ResMut<Sim>, mut styled: Local<bool>) -> Result {
    let ctx = contexts.ctx_mut()?.clone();
    if !*styled {
        theme::apply(&ctx);
        *styled = true;
    }
    app_ui(&ctx, &mut sim);
    Ok(())
}

/// The whole screen: top bar, timeline, the side panel (charts, inspector,
/// legend; collapsible), and the worlds in the rest. Tests call this on a
/// plain egui context to lay the app out at any size.
pub fn app_ui(ctx: &egui::Context, sim: &mut Sim) {
    // The screen in points at zoom 1, whatever the zoom now.
    let screen = ctx.viewport_rect().size() * ctx.zoom_factor();
    sim.screen_width = screen.x;
    let zoom = if sim.presentation { theme::presentation_zoom(screen.y) } else { 1.0 };
    if (ctx.zoom_factor() - zoom).abs() > f32::EPSILON {
        ctx.set_zoom_factor(zoom);
    }
    let viewport = ctx.viewport_rect();
    let mut root =
        egui::Ui::new(ctx.clone(), "root".into(), UiBuilder::new().layer_id(LayerId::background()).max_rect(viewport));
    sim.follow_lesson_focus();
    egui::Panel::top("top-bar").show(&mut root, |ui| panels::picker::top_bar_ui(ui, sim));
    egui::Panel::bottom("timeline").show(&mut root, |ui| timeline::timeline_ui(ui, sim));
    // The worlds keep at least half the width; on a projector the charts
    // start folded away (C or the top bar's Charts brings them back).
    let side_width = (viewport.width() * 0.3).clamp(260.0, 560.0).min(viewport.width() * 0.45);
    let mut expanded = sim.charts_shown();
    let before = expanded;
    egui::Panel::right("side")
        .default_size(side_width)
        .min_size(220.0)
        .max_size(viewport.width() * 0.5)
        .resizable(true)
        .show_collapsible(&mut root, &mut expanded, |ui| panels::charts::side_panel_ui(ui, sim));
    if expanded != before {
        sim.set_charts_shown(expanded);
    }
    egui::CentralPanel::default().show(&mut root, |ui| world_view::world_view_ui(ui, sim));
    panels::picker::help_ui(ctx, sim);
    panels::lesson::steps_ui(ctx, sim);
    panels::terminal::terminal_ui(ctx, sim);
    panels::picker::error_ui(ctx, sim);
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
        resize_constraints: WindowResizeConstraints {
            min_width: MIN_WINDOW.0.min(size.0 as f32),
            min_height: MIN_WINDOW.1.min(size.1 as f32),
            ..default()
        },
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

/// The bundled scenario the app opens on. Every bundled scenario is parsed
/// and checked by the test suite, so a failure here is a build defect.
#[allow(clippy::panic)]
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
                return crate::exit_code::INPUT_ERROR;
            }
        },
    };
    let mut app = windowed_app(sim, (1600, 900), false);
    app.insert_resource(FitToScreen);
    exit_code(app.run())
}

/// Asks for the window to be made to fit the screen it opens on.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Resource)]
struct FitToScreen;

/// Once the screens are known: a window larger than the room on its screen
/// is shrunk to fit, centred, and maximised, so that the timeline's controls
/// are never off-screen.
#[cfg(not(target_arch = "wasm32"))]
fn fit_window_to_screen(
    mut commands: Commands,
    monitors: Query<(&bevy::window::Monitor, Has<bevy::window::PrimaryMonitor>)>,
    mut windows: Query<&mut Window, With<bevy::window::PrimaryWindow>>,
) {
    // The primary screen, or any screen when none is marked primary.
    let Some((monitor, _)) = monitors.iter().max_by_key(|(_, primary)| *primary) else { return };
    let Ok(mut window) = windows.single_mut() else { return };
    commands.remove_resource::<FitToScreen>();
    let scale = monitor.scale_factor.max(0.1) as f32;
    let screen = Vec2::new(monitor.physical_width as f32, monitor.physical_height as f32) / scale;
    // Room for the desktop's own panels and the window's title bar.
    let room = screen * Vec2::new(0.96, 0.9);
    let wanted = Vec2::new(window.resolution.width(), window.resolution.height());
    if wanted.x > room.x || wanted.y > room.y {
        let fit = wanted.min(room);
        info!("the screen is {}x{}: the window opens at {}x{}", screen.x, screen.y, fit.x, fit.y);
        window.resolution.set(fit.x, fit.y);
        window.position = WindowPosition::Centered(MonitorSelection::Primary);
        window.set_maximized(true);
    }
}

/// How `flotilla shot` draws the app, beyond where and when.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Clone, Debug, Default)]
pub struct ShotOptions {
    /// Large type, as in presentation mode.
    pub presentation: bool,
    /// `WORLD:NAME` of a host or instance to open in the inspector.
    pub inspect: Option<String>,
    /// Fail (exit 1) when text overlaps or is cut.
    pub check_layout: bool,
}

/// `flotilla shot FILE --at T --out PNG --size WxH`: 0 when the picture was
/// written, 1 when it was but `check_layout` found text that overlaps or is
/// cut, 2 on bad input or when no picture came.
#[cfg(not(target_arch = "wasm32"))]
pub fn shot(file: &std::path::Path, at: &str, out: &std::path::Path, size: &str, options: &ShotOptions) -> u8 {
    use crate::engine::{SimDuration, SimTime};
    use crate::exit_code::INPUT_ERROR;
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
    sim.presentation = options.presentation;
    sim.hover_tips = false;
    sim.open_at(SimTime::ZERO + at);
    if let Some(target) = options.inspect.as_deref() {
        match sim.find(target) {
            Some(selection) => {
                // What is asked for is shown, not what the lesson points at.
                sim.selection = Some(selection);
                sim.focused_step = sim.playback.caption_index();
            }
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
    app.insert_resource(shot::ShotPlan {
        out: out.to_path_buf(),
        settle_frames: 8,
        give_up_after: 600,
        check_layout: options.check_layout,
    });
    let code = exit_code(app.run());
    if (code == 0 || code == shot::LAYOUT_PROBLEMS) && out.exists() {
        println!("wrote {} ({w}x{h}, at {at})", out.display());
        if code != 0 {
            eprintln!("error: text overlaps or is cut in {} (the lines above say where)", out.display());
        }
        code
    } else {
        eprintln!("error: no screenshot was written to {}", out.display());
        INPUT_ERROR
    }
}
