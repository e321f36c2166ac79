//! What the front end holds: the scenario's worlds on one clock
//! ([`Playback`]), and the person's choices (selection, speed, panels).
//! The front end only reads worlds and sends actions; it computes no result.

use bevy::prelude::*;

use crate::model::spec::Action;
use crate::model::{HostId, InstanceId};
use crate::playback::Playback;
use crate::scenario::{LessonStep, Scenario};

/// The speeds ↑ and ↓ step through, in simulated seconds per real second.
pub const SPEEDS: [f64; 13] = [0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0];

/// Something clicked in a world.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Selection {
    Host { world: usize, host: HostId },
    Instance { world: usize, instance: InstanceId },
}

/// The front end's state, as a bevy resource.
#[derive(Resource)]
pub struct Sim {
    pub playback: Playback,
    /// Where the scenario came from: a bundled name or a path.
    pub source: String,
    pub selection: Option<Selection>,
    /// Large type for a projector.
    pub presentation: bool,
    pub show_help: bool,
    /// The lesson step the clock stopped at, until play resumes.
    pub paused_at: Option<LessonStep>,
    /// A scenario that failed to load, with the reason.
    pub load_error: Option<String>,
    /// Which world the start-up chart shows.
    pub gantt_world: usize,
    /// The app and count for "launch N more".
    pub launch_app: usize,
    pub launch_count: u32,
    /// The path typed into "open a file".
    pub open_path: String,
    /// The worlds shown side by side (at most three), in order.
    shown_worlds: Vec<usize>,
    /// The most memory any host holds at any time in a headless run of the
    /// scenario; instance blocks are scaled so that this fills a host box.
    pub peak_host_memory: u64,
    /// Tooltips under the pointer (off for screenshots).
    pub hover_tips: bool,
    /// What the traffic chart shows.
    pub traffic_chart: super::panels::charts::TrafficChart,
    /// The side panel (charts, inspector, legend) shown or folded away by
    /// the person; `None` leaves it to [`Sim::charts_shown`].
    pub charts: Option<bool>,
    /// The screen's width at zoom 1 in the last frame, in points.
    pub screen_width: f32,
    /// The list of the lesson's steps shown.
    pub show_lesson: bool,
    /// The lesson step whose focus was last followed.
    pub focused_step: Option<usize>,
    /// The world a lesson step points at, outlined.
    pub focus_world: Option<usize>,
    /// What the last export did: the file it saved, or why it could not.
    pub export_message: Option<String>,
    /// A screenshot asked for, to be saved at this path after the next frame.
    pub screenshot_to: Option<std::path::PathBuf>,
    /// The commands window (kubectl, docker, virsh).
    pub terminal: super::panels::terminal::Terminal,
}

/// Below this width (at zoom 1), presentation mode starts with the charts
/// folded away, so that the worlds fill a projector's screen.
pub const CHARTS_IN_PRESENTATION_FROM: f32 = 1600.0;

/// The most memory reserved on any one host, in any world, over a whole run.
/// Requests are followed as a fluid here: the peak depends on how many
/// replicas the autoscalers start, not on single requests, and a fluid run
/// of a day of traffic takes milliseconds.
fn peak_host_memory(scenario: &Scenario) -> u64 {
    let mut fluid = scenario.clone();
    if fluid.setup.traffic_mode == crate::model::traffic::TrafficMode::PerRequest {
        std::sync::Arc::make_mut(&mut fluid.setup).traffic_mode =
            crate::model::traffic::TrafficMode::Fluid { tick: crate::engine::SimDuration::from_secs(1) };
    }
    let progress = std::sync::atomic::AtomicU64::new(0);
    (0..fluid.worlds.len())
        .map(|i| {
            crate::run::run_world(
                &fluid,
                i,
                crate::run::RunOptions { record_series: true, ..Default::default() },
                &progress,
            )
        })
        .flat_map(|w| w.series.samples.into_iter().flat_map(|s| s.host_memory.into_iter().map(|(_, m)| m.0)))
        .max()
        .unwrap_or(0)
}

impl Sim {
    pub fn new(scenario: Scenario, source: String) -> Self {
        Sim {
            peak_host_memory: peak_host_memory(&scenario),
            hover_tips: true,
            traffic_chart: Default::default(),
            playback: Playback::new(scenario),
            source,
            selection: None,
            presentation: false,
            show_help: false,
            paused_at: None,
            load_error: None,
            gantt_world: 0,
            launch_app: 0,
            launch_count: 10,
            open_path: String::new(),
            shown_worlds: Vec::new(),
            charts: None,
            screen_width: 1920.0,
            show_lesson: false,
            focused_step: None,
            focus_world: None,
            export_message: None,
            screenshot_to: None,
            terminal: Default::default(),
        }
    }

    /// Whether the side panel shows: as the person chose, else always but in
    /// presentation mode on a screen narrower than 1600 points.
    pub fn charts_shown(&self) -> bool {
        self.charts.unwrap_or(!(self.presentation && self.screen_width < CHARTS_IN_PRESENTATION_FROM))
    }

    pub fn set_charts_shown(&mut self, shown: bool) {
        self.charts = Some(shown);
    }

    pub fn toggle_charts(&mut self) {
        self.charts = Some(!self.charts_shown());
    }

    /// Presentation mode on or off; the side panel goes back to its default for the mode.
    pub fn toggle_presentation(&mut self) {
        self.presentation = !self.presentation;
        self.charts = None;
    }

    /// Replaces the scenario, keeping the person's display choices.
    pub fn load(&mut self, scenario: Scenario, source: String) {
        let speed = self.playback.speed;
        self.peak_host_memory = peak_host_memory(&scenario);
        self.playback = Playback::new(scenario);
        self.playback.speed = speed;
        self.source = source;
        self.selection = None;
        self.paused_at = None;
        self.focused_step = None;
        self.focus_world = None;
        self.load_error = None;
        self.export_message = None;
        self.terminal = Default::default();
        self.gantt_world = 0;
        self.launch_app = 0;
        self.shown_worlds.clear();
    }

    pub fn toggle_play(&mut self) {
        if self.playback.clock() >= self.playback.end() {
            self.playback.seek(crate::engine::SimTime::ZERO);
        }
        self.playback.playing = !self.playback.playing;
        if self.playback.playing {
            self.paused_at = None;
        }
    }

    pub fn step(&mut self) {
        self.paused_at = None;
        self.playback.step_to_next_event();
    }

    pub fn faster(&mut self) {
        let next = SPEEDS.iter().copied().find(|&s| s > self.playback.speed * 1.0001);
        self.playback.set_speed(next.unwrap_or(SPEEDS[SPEEDS.len() - 1]));
    }

    pub fn slower(&mut self) {
        let next = SPEEDS.iter().rev().copied().find(|&s| s < self.playback.speed / 1.0001);
        self.playback.set_speed(next.unwrap_or(SPEEDS[0]));
    }

    pub fn restart(&mut self) {
        self.playback.restart();
        self.paused_at = None;
        self.selection = None;
    }

    /// Goes to the lesson's next step, or back one, and stops there.
    pub fn go_to_step(&mut self, forward: bool) {
        if let Some(step) = self.playback.go_to_step(forward) {
            self.paused_at = Some(step);
        }
    }

    /// Jumps the clock to `t`, stopped; at a lesson step that pauses, the
    /// clock stops there as playing up to it would (its question showing).
    pub fn open_at(&mut self, t: crate::engine::SimTime) {
        self.playback.seek(t);
        self.paused_at =
            self.playback.scenario.lesson.iter().find(|s| s.pause && crate::engine::SimTime::ZERO + s.at == t).cloned();
    }

    /// Follows the focus of the lesson step showing, once each time the
    /// step changes: its world into view and outlined, its host or pods
    /// selected, its chart shown.
    pub fn follow_lesson_focus(&mut self) {
        use super::panels::charts::TrafficChart;
        use crate::scenario::{LessonChart, LessonFocus};
        let index = self.playback.caption_index();
        if index == self.focused_step {
            return;
        }
        self.focused_step = index;
        self.focus_world = None;
        let Some(focus) = index.and_then(|i| self.playback.scenario.lesson[i].focus.clone()) else { return };
        match focus {
            LessonFocus::World(w) => {
                self.show_world(w);
                self.focus_world = Some(w);
            }
            LessonFocus::Host { world, host } => {
                self.show_world(world);
                self.gantt_world = world;
                self.selection = Some(Selection::Host { world, host });
            }
            LessonFocus::Pod { world, name } => {
                // The first live one whose name starts so, else any.
                let instances = self.playback.tracks[world].world.instances();
                let named = |i: &&crate::model::instance::Instance| i.name.starts_with(&name);
                let found =
                    instances.iter().filter(named).find(|i| !i.phase.is_terminal()).or(instances.iter().find(named));
                if let Some(inst) = found {
                    let instance = inst.id;
                    self.show_world(world);
                    self.gantt_world = world;
                    self.selection = Some(Selection::Instance { world, instance });
                }
            }
            LessonFocus::Chart(chart) => {
                self.set_charts_shown(true);
                self.traffic_chart = match chart {
                    LessonChart::Instances | LessonChart::Startup => self.traffic_chart,
                    LessonChart::Load => TrafficChart::Load,
                    LessonChart::Replicas => TrafficChart::Replicas,
                    LessonChart::Latency => TrafficChart::Latency,
                    LessonChart::Drops => TrafficChart::Drops,
                    LessonChart::Nodes => TrafficChart::Nodes,
                    LessonChart::Energy => TrafficChart::Energy,
                };
            }
        }
    }

    /// Advances by `real_seconds` of wall time when playing.
    pub fn tick(&mut self, real_seconds: f64) {
        if let Some(step) = self.playback.advance(real_seconds) {
            self.paused_at = Some(step);
        }
    }

    /// The host or instance named `WORLD:NAME` (an instance name may be
    /// abbreviated to its start), with its world brought into view.
    pub fn find(&mut self, target: &str) -> Option<Selection> {
        let (world, name) = target.split_once(':')?;
        let w = self.playback.tracks.iter().position(|t| t.world.name() == world)?;
        let track = &self.playback.tracks[w].world;
        let selection = match track.setup().hosts.iter().position(|h| h.name == name) {
            Some(h) => Selection::Host { world: w, host: crate::model::HostId(h as u32) },
            None => {
                let inst = track.instances().iter().find(|i| i.name == name || i.name.starts_with(name))?;
                Selection::Instance { world: w, instance: inst.id }
            }
        };
        self.show_world(w);
        self.gantt_world = w;
        Some(selection)
    }

    /// The worlds that have columns: up to three, the first ones unless chosen.
    pub fn shown_worlds(&mut self) -> &[usize] {
        let n = self.playback.tracks.len();
        self.shown_worlds.retain(|&w| w < n);
        if self.shown_worlds.is_empty() {
            self.shown_worlds = (0..n.min(super::world_view::MAX_COLUMNS)).collect();
        }
        &self.shown_worlds
    }

    /// Gives world `w` a column, in place of the leftmost one.
    pub fn show_world(&mut self, w: usize) {
        if !self.shown_worlds().contains(&w) {
            self.shown_worlds.remove(0);
            self.shown_worlds.push(w);
            self.shown_worlds.sort_unstable();
        }
    }

    /// A live action in every world, recorded for replay.
    pub fn act(&mut self, action: Action) {
        self.playback.apply_live(action);
    }
}
