//! The app's layout at classroom sizes: every shipped scenario, at
//! 1920×1080, 1280×800, 1280×720 and 1024×768, in normal and presentation
//! mode, laid out by egui without a window; no line of text may overlap
//! another or be cut. (`flotilla shot --check-layout` asks the same of a real
//! window, in CI.)
#![cfg(feature = "gui")]

use std::path::Path;

use flotilla::engine::{SimDuration, SimTime};
use flotilla::gui::Sim;
use flotilla::gui::layout_check::{lay_out, problems};
use flotilla::scenario::{self, Scenario};

const SIZES: [(f32, f32); 4] = [(1920.0, 1080.0), (1280.0, 800.0), (1280.0, 720.0), (1024.0, 768.0)];

fn shipped() -> Vec<Scenario> {
    scenario::collect_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios"))
        .unwrap()
        .iter()
        .map(|f| Scenario::load(f).unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

/// Every problem at every size and mode, for `sim` as it stands.
fn check(sim: &mut Sim, what: &str, found: &mut Vec<String>) -> usize {
    let mut lines = 0;
    for size in SIZES {
        for presentation in [false, true] {
            sim.presentation = presentation;
            sim.charts = None;
            let (boxes, scroll_areas) = lay_out(sim, size);
            lines += boxes.len();
            let mode = if presentation { "presentation" } else { "normal" };
            for p in problems(&boxes, &scroll_areas) {
                found.push(format!("{what} at {}x{} {mode}: {p}", size.0, size.1));
            }
        }
    }
    lines
}

#[test]
fn no_text_overlaps_or_is_cut_in_any_shipped_scenario_at_classroom_sizes() {
    let mut found = Vec::new();
    for s in shipped() {
        let file = s.file.clone();
        let end = s.setup.duration;
        let mut sim = Sim::new(s, file.clone());
        sim.hover_tips = false;
        // Early (things starting) and late (things running, long clocks).
        for fraction in [0.1, 0.8] {
            let at = SimTime::ZERO + SimDuration::from_secs_f64(end.as_secs_f64() * fraction);
            sim.playback.seek(at);
            let lines = check(&mut sim, &format!("{file} at {}", flotilla::gui::timeline::clock_text(at)), &mut found);
            assert!(lines > 50, "{file}: only {lines} lines of text were laid out");
        }
    }
    assert!(found.is_empty(), "{} problems:\n{}", found.len(), found.join("\n"));
}

#[test]
fn the_inspector_fits_with_a_node_and_a_pod_selected() {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/node-failure.ron")).unwrap();
    let s = Scenario::parse(&text, "node-failure.ron").unwrap();
    let mut sim = Sim::new(s, "node-failure.ron".into());
    sim.hover_tips = false;
    sim.playback.seek(SimTime::ZERO + SimDuration::from_secs(90));
    let world = sim.playback.tracks.iter().position(|t| t.world.kube().is_some()).expect("a Kubernetes world");
    let name = sim.playback.tracks[world].world.name().to_string();
    let node = sim.playback.tracks[world].world.setup().hosts[0].name.clone();
    let pod = sim.playback.tracks[world].world.instances()[0].name.clone();
    let mut found = Vec::new();
    for target in [node, pod] {
        sim.selection = Some(sim.find(&format!("{name}:{target}")).expect("found"));
        check(&mut sim, &format!("node-failure.ron inspecting {target}"), &mut found);
    }
    // A node that is down, long after it failed.
    sim.playback.seek(SimTime::ZERO + SimDuration::from_secs(480));
    sim.selection = Some(sim.find(&format!("{name}:node-2")).expect("found"));
    check(&mut sim, "node-failure.ron inspecting node-2 at 8m", &mut found);
    assert!(found.is_empty(), "{} problems:\n{}", found.len(), found.join("\n"));
}

#[test]
fn presentation_mode_on_a_projector_gives_the_worlds_the_screen() {
    let text = flotilla::scenario::bundled::get("cold-start.ron").unwrap();
    let mut sim = Sim::new(Scenario::parse(text, "cold-start.ron").unwrap(), "cold-start.ron".into());
    for (width, shown) in [(1024.0, false), (1280.0, false), (1920.0, true)] {
        sim.presentation = true;
        sim.charts = None;
        lay_out(&mut sim, (width, 768.0));
        assert_eq!(sim.charts_shown(), shown, "{width}");
    }
    // Folding the charts away by hand holds in normal mode too.
    sim.toggle_presentation();
    assert!(!sim.presentation && sim.charts_shown());
    sim.toggle_charts();
    lay_out(&mut sim, (1920.0, 1080.0));
    assert!(!sim.charts_shown());
}

#[test]
fn the_traffic_chart_fits_beside_the_inspector() {
    let s = Scenario::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/small-shop.ron")).unwrap();
    let mut sim = Sim::new(s, "small-shop.ron".into());
    sim.hover_tips = false;
    sim.playback.seek(SimTime::ZERO + SimDuration::from_secs(540));
    sim.selection = Some(sim.find("Spread:pool-2").expect("found"));
    let mut found = Vec::new();
    check(&mut sim, "small-shop.ron inspecting pool-2", &mut found);
    assert!(found.is_empty(), "{} problems:\n{}", found.len(), found.join("\n"));
}
