//! The commands students will meet, in a window (K): `kubectl` on a
//! Kubernetes world, `docker ps` on a host of a containers world, `virsh
//! list` on a hypervisor, at the current simulated time and printed as the
//! tools print them: the same views `flotilla kubectl|docker|virsh` prints.
//! A row of the usual commands for the world, and a line to type any other.

use bevy_egui::egui::{self, RichText};

use crate::gui::panels::charts::time_label;
use crate::gui::state::{Selection, Sim};
use crate::gui::theme;
use crate::model::HostId;
use crate::model::spec::Platform;
use crate::views::{self, Snapshot, Tool, ViewError};

/// As the clock moves, a command runs again at most this often (real
/// seconds), while playing and while scrubbing: each run replays the world
/// from the start to the clock.
const RERUN_PLAYING: f64 = 1.0;
const RERUN_SCRUBBING: f64 = 0.25;

/// The window's state: which world, the command line, and the last output.
#[derive(Default)]
pub struct Terminal {
    pub open: bool,
    world: Option<usize>,
    line: String,
    last: Option<(Key, String)>,
    ran_at: f64,
}

/// What an output was computed for.
#[derive(Clone, PartialEq)]
struct Key {
    world: usize,
    host: Option<HostId>,
    line: String,
    clock: crate::engine::SimTime,
    live: usize,
}

/// The usual commands for a world; in a cluster whose timeline applies
/// objects outside `default`, across every namespace (`-A`), as one would
/// ask there.
fn presets(world: &crate::world::World) -> Vec<String> {
    let list = |commands: &[&str]| commands.iter().map(|c| c.to_string()).collect();
    match &world.spec().platform {
        Platform::Kubernetes(_) => {
            use crate::model::spec::{Action, KubeObject};
            // What the world's timeline applies, whenever it does.
            let elsewhere = world.spec().timeline.iter().any(|t| match &t.action {
                Action::Apply(object) => match object.as_ref() {
                    KubeObject::Deployment(d) => d.namespace != "default",
                    KubeObject::ReplicaSet(r) => r.namespace != "default",
                    KubeObject::Pod(p) => p.namespace != "default",
                    _ => false,
                },
                _ => false,
            });
            let all = if elsewhere { " -A" } else { "" };
            vec![
                format!("kubectl get pods{all} -o wide"),
                "kubectl get nodes".to_string(),
                format!("kubectl get deploy,rs{all}"),
                format!("kubectl get hpa{all}"),
                "kubectl top nodes".to_string(),
                format!("kubectl get events{all}"),
                format!("kubectl describe pod{all}"),
                "kubectl get pods -A --show-labels".to_string(),
            ]
        }
        Platform::Containers(_) => list(&["docker ps", "docker ps -a"]),
        Platform::Vms(_) => list(&["virsh list", "virsh list --all"]),
        _ => Vec::new(),
    }
}

/// The tool a line starts with, and its arguments.
fn split(line: &str) -> Result<(Tool, Vec<String>), String> {
    let mut words = line.split_whitespace().map(String::from);
    let tool = match words.next().as_deref() {
        Some("kubectl") => Tool::Kubectl,
        Some("docker") => Tool::Docker,
        Some("virsh") => Tool::Virsh,
        Some(other) => return Err(format!("{other}: command not found here; kubectl, docker and virsh are")),
        None => return Err(String::new()),
    };
    Ok((tool, words.collect()))
}

/// The host `docker` and `virsh` run on: the one selected in the world, else its first.
fn host_of(sim: &Sim, world: usize) -> Option<HostId> {
    match sim.selection {
        Some(Selection::Host { world: w, host }) if w == world => Some(host),
        Some(Selection::Instance { world: w, instance }) if w == world => {
            sim.playback.tracks[w].world.instance(instance).host
        }
        _ => (!sim.playback.tracks[world].world.hosts().is_empty()).then_some(HostId(0)),
    }
}

/// What `line` prints on world `world` at the clock, as the window shows it
/// (on the selected host, or the world's first, for docker and virsh).
pub fn run_line(sim: &Sim, world: usize, line: &str) -> String {
    let key = Key {
        world,
        host: host_of(sim, world),
        line: line.trim().to_string(),
        clock: sim.playback.clock(),
        live: sim.playback.live_actions().len(),
    };
    output(sim, &key)
}

/// What the command prints at the clock, or why it cannot run.
fn output(sim: &Sim, key: &Key) -> String {
    let (tool, args) = match split(&key.line) {
        Ok(parts) => parts,
        Err(message) => return message,
    };
    let track = &sim.playback.tracks[key.world];
    if !tool.fits(&track.world.spec().platform) {
        return format!(
            "{} does not apply to world {}, which runs {}",
            tool.name(),
            track.world.name(),
            track.world.spec().platform.description()
        );
    }
    let host = key.host.map(|h| track.world.setup().hosts[h.index()].name.clone());
    let result =
        Snapshot::take_with(&sim.playback.scenario, track.world.name(), key.clock, sim.playback.live_actions())
            .and_then(|s| views::run(&s, tool, host.as_deref(), &args));
    match result {
        Ok(out) => format!("{}{}", out.stdout, out.stderr),
        Err(ViewError::Tool(message)) => message,
        Err(e) => format!("error: {e}"),
    }
}

/// The window, when open.
pub fn terminal_ui(ctx: &egui::Context, sim: &mut Sim) {
    if !sim.terminal.open {
        return;
    }
    let worlds = sim.playback.tracks.len();
    let world = sim.terminal.world.filter(|&w| w < worlds).or(sim.focus_world).unwrap_or(0).min(worlds - 1);
    sim.terminal.world = Some(world);
    let platform = sim.playback.tracks[world].world.spec().platform.clone();
    let presets = presets(&sim.playback.tracks[world].world);
    if sim.terminal.line.is_empty() || split(&sim.terminal.line).is_ok_and(|(t, _)| !t.fits(&platform)) {
        sim.terminal.line = presets.first().cloned().unwrap_or_default();
    }
    let mut open = true;
    let mut chosen_world = None;
    let mut run_now = false;
    egui::Window::new("Commands")
        .open(&mut open)
        .default_width((ctx.content_rect().width() - 60.0).clamp(400.0, 1100.0))
        .default_pos(ctx.content_rect().left_bottom() + egui::vec2(20.0, -460.0))
        .show(ctx, |ui| {
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new("world").color(theme::TEXT_DIM));
                egui::ComboBox::from_id_salt("terminal-world")
                    .selected_text(sim.playback.tracks[world].world.name())
                    .show_ui(ui, |ui| {
                        for (i, t) in sim.playback.tracks.iter().enumerate() {
                            if ui.selectable_label(i == world, t.world.name()).clicked() {
                                chosen_world = Some(i);
                            }
                        }
                    });
                let host = host_of(sim, world).filter(|_| !matches!(platform, Platform::Kubernetes(_)));
                if let Some(h) = host {
                    let name = &sim.playback.tracks[world].world.setup().hosts[h.index()].name;
                    ui.label(RichText::new(format!("on host {name} (click a host to choose)")).color(theme::TEXT_DIM));
                }
                ui.label(
                    RichText::new(format!("at {}", time_label(sim.playback.clock().as_secs_f64())))
                        .color(theme::TEXT_DIM),
                );
            });
            ui.horizontal_wrapped(|ui| {
                for p in &presets {
                    let short = p.split_once(' ').map_or(p.as_str(), |(_, rest)| rest);
                    if ui.selectable_label(sim.terminal.line == *p, short).on_hover_text(p.as_str()).clicked() {
                        sim.terminal.line = p.clone();
                        run_now = true;
                    }
                }
            });
            let mut typing = false;
            ui.horizontal(|ui| {
                ui.label(RichText::new("$").monospace());
                let edit = ui.add(
                    egui::TextEdit::singleline(&mut sim.terminal.line)
                        .font(egui::TextStyle::Monospace)
                        .desired_width(f32::INFINITY),
                );
                typing = edit.has_focus();
                if edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                    run_now = true;
                }
            });
            let key = Key {
                world,
                host: host_of(sim, world),
                line: sim.terminal.line.trim().to_string(),
                clock: sim.playback.clock(),
                live: sim.playback.live_actions().len(),
            };
            let now = ui.input(|i| i.time);
            let stale = sim.terminal.last.as_ref().is_none_or(|(k, _)| *k != key);
            // A chosen command runs at once, a typed one on Enter; a moving clock
            // at most once a second while playing, four times while scrubbing.
            let moved_only = sim.terminal.last.as_ref().is_some_and(|(k, _)| {
                k.world == key.world && k.line == key.line && k.host == key.host && k.live == key.live
            });
            let every = if sim.playback.playing { RERUN_PLAYING } else { RERUN_SCRUBBING };
            let due = if moved_only { now - sim.terminal.ran_at >= every } else { !typing };
            if stale && (run_now || due) {
                let text = output(sim, &key);
                sim.terminal.last = Some((key, text));
                sim.terminal.ran_at = now;
            }
            let text = sim.terminal.last.as_ref().map_or("", |(_, t)| t.as_str());
            egui::ScrollArea::both().max_height(ui.ctx().content_rect().height() * 0.45).show(ui, |ui| {
                crate::gui::layout_check::note_scroll_area(ui);
                ui.add(
                    egui::Label::new(RichText::new(text).monospace().size(13.0)).wrap_mode(egui::TextWrapMode::Extend),
                );
            });
        });
    if let Some(w) = chosen_world {
        sim.terminal.world = Some(w);
        sim.terminal.line.clear();
    }
    sim.terminal.open = open;
}
