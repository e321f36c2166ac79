//! The app's clock and keys, headless (bevy's `MinimalPlugins`, no window):
//! play, pause, step and scrub reach the expected simulated time and counts,
//! and a live action replays identically.
#![cfg(feature = "gui")]

use std::time::Duration;

use bevy::prelude::*;
use flotilla::engine::SimTime;
use flotilla::gui::{Sim, default_sim, headless_app};
use flotilla::metrics;
use flotilla::model::HostId;
use flotilla::model::spec::Action;

const FRAME: Duration = Duration::from_millis(100);

fn app() -> App {
    let mut app = headless_app(default_sim(), FRAME);
    // The first update starts the clocks; from then on each update is one FRAME.
    app.update();
    app
}

fn press(app: &mut App, key: KeyCode) {
    app.world_mut().resource_mut::<ButtonInput<KeyCode>>().press(key);
    app.update();
    let mut input = app.world_mut().resource_mut::<ButtonInput<KeyCode>>();
    input.release(key);
    input.clear();
}

fn sim(app: &App) -> &Sim {
    app.world().resource::<Sim>()
}

fn counts(app: &App) -> Vec<(f64, f64)> {
    counts_of(sim(app))
}

fn counts_of(sim: &Sim) -> Vec<(f64, f64)> {
    sim.playback
        .tracks
        .iter()
        .map(|t| {
            let m = metrics::compute(&t.world);
            (m["instances.running"].unwrap(), m["instances.pending"].unwrap())
        })
        .collect()
}

#[test]
fn space_plays_and_pauses_at_the_chosen_speed() {
    let mut app = app();
    assert_eq!(sim(&app).playback.clock(), SimTime::ZERO);
    press(&mut app, KeyCode::Space);
    assert!(sim(&app).playback.playing);
    for _ in 0..9 {
        app.update();
    }
    // Ten frames of 100 ms at 1×: one simulated second (the frame that pressed Space counts).
    let t = sim(&app).playback.clock();
    assert!(t >= SimTime(900_000) && t <= SimTime(1_000_000), "{t:?}");
    press(&mut app, KeyCode::Space);
    let paused = sim(&app).playback.clock();
    for _ in 0..5 {
        app.update();
    }
    assert_eq!(sim(&app).playback.clock(), paused);
}

#[test]
fn arrows_change_speed_and_play_stops_at_a_lesson_pause() {
    let mut app = app();
    press(&mut app, KeyCode::ArrowUp);
    press(&mut app, KeyCode::ArrowUp);
    press(&mut app, KeyCode::ArrowUp);
    assert_eq!(sim(&app).playback.speed, 10.0);
    press(&mut app, KeyCode::ArrowDown);
    assert_eq!(sim(&app).playback.speed, 5.0);
    press(&mut app, KeyCode::Space);
    for _ in 0..20 {
        app.update();
    }
    // cold-start.ron pauses at its 2 s lesson step.
    let s = sim(&app);
    assert_eq!(s.playback.clock(), SimTime(2_000_000));
    assert!(!s.playback.playing);
    assert_eq!(s.paused_at.as_ref().map(|p| p.at.as_secs_f64()), Some(2.0));
    // At 2 s every container, microVM and pod on the hosts runs; the VMs and
    // the pods waiting for their node VMs to boot are still pending.
    assert_eq!(counts(&app), vec![(0.0, 40.0), (40.0, 0.0), (40.0, 0.0), (40.0, 0.0), (0.0, 40.0)]);
}

#[test]
fn page_down_and_page_up_go_through_the_lesson_and_its_question_shows() {
    let mut app = app();
    // cold-start.ron: steps at 0 s, 2 s (a question), 25 s and 50 s.
    press(&mut app, KeyCode::PageDown);
    assert_eq!(sim(&app).playback.clock(), SimTime(2_000_000));
    let s = sim(&app);
    let question = s.paused_at.as_ref().and_then(|p| p.question.as_ref()).expect("the step asks a question");
    assert!(question.text.contains("40 VMs"), "{}", question.text);
    assert!(!s.playback.playing);
    press(&mut app, KeyCode::KeyN);
    assert_eq!(sim(&app).playback.clock(), SimTime(25_000_000));
    press(&mut app, KeyCode::PageUp);
    assert_eq!(sim(&app).playback.clock(), SimTime(2_000_000));
    press(&mut app, KeyCode::KeyL);
    assert!(sim(&app).show_lesson);
}

#[test]
fn right_arrow_steps_to_the_next_event() {
    let mut app = app();
    press(&mut app, KeyCode::ArrowRight);
    let s = sim(&app);
    let t = s.playback.clock();
    assert!(t > SimTime::ZERO);
    let first_after_zero =
        s.playback.tracks.iter().flat_map(|t| t.events.iter().map(|e| e.time)).filter(|&x| x > SimTime::ZERO).min();
    assert_eq!(Some(t), first_after_zero);
    assert!(!s.playback.playing);
}

#[test]
fn scrubbing_back_and_forth_matches_a_fresh_run() {
    let mut app = app();
    app.world_mut().resource_mut::<Sim>().playback.seek(SimTime(90_000_000));
    let at_90 = counts(&app);
    assert_eq!(at_90, vec![(40.0, 0.0); 5]);
    app.world_mut().resource_mut::<Sim>().playback.seek(SimTime(20_000_000));
    let mut fresh = default_sim();
    fresh.playback.seek(SimTime(20_000_000));
    assert_eq!(counts(&app), counts_of(&fresh));
    app.world_mut().resource_mut::<Sim>().playback.seek(SimTime(90_000_000));
    assert_eq!(counts(&app), at_90);
}

#[test]
fn a_live_host_failure_replays_identically() {
    let mut app = app();
    {
        let mut s = app.world_mut().resource_mut::<Sim>();
        s.playback.seek(SimTime(30_000_000));
        s.act(Action::FailHost(HostId(2)));
        s.playback.seek(SimTime(120_000_000));
    }
    let first = counts(&app);
    // Ten instances were lost in the first four worlds: nothing replaces the VMs,
    // containers and microVMs, and at 2:00 Kubernetes has not yet evicted its lost
    // pods (that takes about six minutes). On node VMs every pod had gone to the
    // node that booted first, which was not rack-a-3.
    assert_eq!(first, vec![(30.0, 0.0), (30.0, 0.0), (30.0, 0.0), (30.0, 0.0), (40.0, 0.0)]);
    {
        let mut s = app.world_mut().resource_mut::<Sim>();
        s.playback.seek(SimTime(10_000_000));
        s.playback.seek(SimTime(120_000_000));
    }
    assert_eq!(counts(&app), first);
    // R starts over without the live action.
    press(&mut app, KeyCode::KeyR);
    app.world_mut().resource_mut::<Sim>().playback.seek(SimTime(120_000_000));
    assert_eq!(counts(&app), vec![(40.0, 0.0); 5]);
}

#[test]
fn export_gives_the_charts_up_to_the_clock_and_the_world_as_kubectl_yaml() {
    use flotilla::gui::export;
    use flotilla::scenario::{Scenario, bundled};
    let text = bundled::get("control-plane.ron").expect("control-plane.ron is bundled");
    let mut sim = Sim::new(Scenario::parse(text, "control-plane.ron").unwrap(), "control-plane.ron".into());
    sim.playback.seek(SimTime(5_000_000));
    assert_eq!(export::file_name(&sim, "charts", "svg"), "control-plane-charts-at-5s.svg");
    assert_eq!(export::file_name(&sim, "K8s", "yaml"), "control-plane-K8s-at-5s.yaml");

    let svg = export::charts_svg(&sim);
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""), "{}", &svg[..80]);
    assert!(svg.contains("at 5s</title>"), "{}", &svg[..400]);
    for title in ["Instances running", "Start-up of each instance in K8s"] {
        assert!(svg.contains(&format!(">{title}</text>")), "no chart {title}");
    }
    // Every element that opens closes: one <svg> per chart inside the page's own.
    assert_eq!(svg.matches("<svg").count(), svg.matches("</svg>").count());
    // The line of running instances ends at the clock, not at the end of the run.
    let later = {
        let mut s = Sim::new(Scenario::parse(text, "control-plane.ron").unwrap(), "control-plane.ron".into());
        s.playback.seek(SimTime(60_000_000));
        export::charts_svg(&s)
    };
    assert_ne!(svg, later);

    let yaml = export::world_yaml(&sim, 0).expect("K8s is a Kubernetes world");
    assert!(yaml.starts_with("# kubectl get nodes,deployments,pods,hpa -A -o yaml\n# world K8s of "), "{yaml}");
    let list: serde_json::Value = serde_saphyr::from_str(&yaml).expect("the export is YAML");
    assert_eq!(list["kind"], "List");
    let kinds: Vec<(&str, &str)> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["kind"].as_str().unwrap(), i["metadata"]["namespace"].as_str().unwrap_or("")))
        .collect();
    // Three nodes, the two Deployments (CoreDNS in kube-system, web) and their three pods, in kubectl's order.
    assert_eq!(kinds.iter().filter(|k| k.0 == "Node").count(), 3, "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| k.0 == "Deployment").count(), 2, "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| *k == &("Pod", "kube-system")).count(), 2, "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| *k == &("Pod", "default")).count(), 1, "{kinds:?}");
    assert_eq!(kinds[0].0, "Node");
    assert_eq!(kinds.last().unwrap().0, "Pod");
}

#[test]
fn k_opens_the_commands_window_whose_commands_print_what_the_cli_prints() {
    use flotilla::gui::panels::terminal::run_line;
    use flotilla::views::{Snapshot, kubectl};
    let mut app = app();
    press(&mut app, KeyCode::KeyK);
    assert!(sim(&app).terminal.open);
    // cold-start.ron at 2 s: its worlds are VMs, Containers, MicroVMs, Kubernetes, KubernetesOnVms.
    press(&mut app, KeyCode::PageDown);
    let s = sim(&app);
    assert_eq!(s.playback.clock(), SimTime(2_000_000));
    let docker = run_line(s, 1, "docker ps");
    assert!(docker.starts_with("CONTAINER ID   IMAGE"), "{docker}");
    assert_eq!(docker.lines().count(), 1 + 10, "ten containers on the first host: {docker}");
    let virsh = run_line(s, 0, "virsh list --all");
    assert!(virsh.starts_with(" Id   Name"), "{virsh}");
    // The window's kubectl prints what `flotilla kubectl` prints at the same time.
    let line = "get pods -o wide";
    let cli = {
        let snapshot = Snapshot::take(&s.playback.scenario, "Kubernetes", s.playback.clock()).unwrap();
        let args: Vec<String> = line.split_whitespace().map(String::from).collect();
        kubectl::run(&snapshot, &kubectl::parse(&args).unwrap()).unwrap().stdout
    };
    assert_eq!(run_line(s, 3, &format!("kubectl {line}")), cli);
    // A tool that does not apply to the world, and one not known here, say so.
    assert!(run_line(s, 1, "kubectl get pods").starts_with("kubectl does not apply to world Containers"));
    assert!(run_line(s, 3, "helm list").starts_with("helm: command not found here"));
    // A live action counts: a failed host shows as NotReady once its node is marked so.
    let mut app = app;
    app.world_mut().resource_mut::<Sim>().act(Action::FailHost(HostId(0)));
    app.world_mut().resource_mut::<Sim>().playback.seek(SimTime(60_000_000));
    let nodes = run_line(sim(&app), 3, "kubectl get nodes");
    assert!(nodes.lines().nth(1).is_some_and(|l| l.contains("NotReady")), "{nodes}");
}
