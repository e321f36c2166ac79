//! The browser entry point: the same app, drawn into the page's
//! `<canvas id="flotilla">` (see `web/index.html`).
//!
//! - The query string chooses what opens: `?scenario=NAME` a bundled scenario
//!   (with or without `.ron`), `?at=5m` the time to start at, `?presentation`
//!   large type from the start.
//! - A scenario from the user's disk comes through the page's file input
//!   (the top bar's *Open file…* clicks it) or a drop anywhere on the page;
//!   load traces dropped or chosen with it are read beside it.
//! - The app tells the page when it has drawn: `<body data-flotilla="running"
//!   data-first-frame-ms="…">`, the time since navigation began; and what it
//!   shows: `data-scenario` (the file open) and `data-load-error` (the message
//!   on screen when a file could not be opened).
//! - `?digests` runs every bundled scenario instead and publishes each event
//!   log's digest (`data-digests` on `<body>`, and a table on the page), to
//!   compare with `flotilla digest scenarios/` on the desktop.
//! - `?layout-check` publishes the text that overlaps or is cut once the
//!   layout has settled (`data-layout-problems`), as `flotilla shot
//!   --check-layout` does on the desktop.

use std::sync::Mutex;

use bevy::prelude::*;
use bevy_egui::{EguiContext, EguiFullOutput, EguiPostUpdateSet, PrimaryEguiContext};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use super::Sim;
use super::layout_check;
use crate::engine::{SimDuration, SimTime};
use crate::scenario::{MAX_FILE_BYTES, Scenario, ScenarioError, bundled};

/// Files read from the page, a batch per choice or drop, waiting for the next frame.
static PICKED: Mutex<Vec<Vec<PickedFile>>> = Mutex::new(Vec::new());

/// A file from the user's disk: its name and its text, or why it was not read.
struct PickedFile {
    name: String,
    text: Result<String, String>,
}

/// What the page's query string asked for.
struct UrlQuery {
    params: Option<web_sys::UrlSearchParams>,
}

impl UrlQuery {
    fn read() -> Self {
        let search = web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default();
        UrlQuery { params: web_sys::UrlSearchParams::new_with_str(&search).ok() }
    }

    fn get(&self, key: &str) -> Option<String> {
        self.params.as_ref().and_then(|p| p.get(key))
    }

    fn has(&self, key: &str) -> bool {
        self.params.as_ref().is_some_and(|p| p.has(key))
    }
}

/// Starts the app in the browser (or, with `?digests`, the digest page).
pub fn start() {
    let query = UrlQuery::read();
    if query.has("digests") {
        wasm_bindgen_futures::spawn_local(publish_digests());
        return;
    }
    let sim = initial_sim(&query);
    listen_for_files();
    let mut app = super::windowed_app(sim, (1280, 800), false);
    app.add_systems(Update, open_picked_files.run_if(resource_exists::<Sim>))
        .add_systems(Last, (tell_the_page_when_drawn, tell_the_page_what_is_open.run_if(resource_exists::<Sim>)));
    if query.has("layout-check") {
        app.add_systems(
            PostUpdate,
            publish_layout_problems.after(EguiPostUpdateSet::EndPass).before(EguiPostUpdateSet::ProcessOutput),
        );
    }
    app.run();
}

/// The bundled scenario named in `?scenario=`, at `?at=`; a name or time that
/// does not work opens the default scenario with the reason on screen.
fn initial_sim(query: &UrlQuery) -> Sim {
    let mut problem = None;
    let mut sim = match query.get("scenario") {
        None => super::default_sim(),
        Some(asked) => {
            let name = if asked.ends_with(".ron") { asked.clone() } else { format!("{asked}.ron") };
            match bundled::get(&name).map(|text| Scenario::parse(text, &name)) {
                Some(Ok(s)) => Sim::new(s, name),
                Some(Err(e)) => {
                    problem = Some(e.to_string());
                    super::default_sim()
                }
                None => {
                    let names: Vec<&str> = bundled::BUNDLED.iter().map(|(n, _)| n.trim_end_matches(".ron")).collect();
                    problem = Some(format!(
                        "?scenario={asked}: no bundled scenario has this name; the bundled ones are {}",
                        names.join(", ")
                    ));
                    super::default_sim()
                }
            }
        }
    };
    if let Some(at) = query.get("at") {
        match SimDuration::parse(&at) {
            Ok(d) if d <= sim.playback.scenario.setup.duration => sim.open_at(SimTime::ZERO + d),
            Ok(_) => {
                problem.get_or_insert(format!(
                    "?at={at}: after the scenario's end ({})",
                    sim.playback.scenario.setup.duration
                ));
            }
            Err(e) => {
                problem.get_or_insert(format!("?at={at}: {e}"));
            }
        }
    }
    sim.presentation = query.has("presentation");
    sim.load_error = problem;
    sim
}

/// Opens the page's file chooser (the top bar's *Open file…*). Browsers
/// allow this only just after a click, which is when egui reports one.
pub fn choose_file() {
    if let Some(input) = element("open-file").and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
        input.click();
    }
}

fn element(id: &str) -> Option<web_sys::Element> {
    web_sys::window()?.document()?.get_element_by_id(id)
}

/// Reads files chosen in the page's file input or dropped on the page.
fn listen_for_files() {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    if let Some(input) = element("open-file").and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok()) {
        let target = input.clone();
        let on_change = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
            if let Some(files) = target.files() {
                read_files(&files);
            }
            // The same file chosen again is a change too.
            target.set_value("");
        });
        let _ = input.add_event_listener_with_callback("change", on_change.as_ref().unchecked_ref());
        on_change.forget();
    }
    // A drop needs its dragover cancelled, or the browser opens the file itself.
    let on_dragover = Closure::<dyn FnMut(web_sys::DragEvent)>::new(|e: web_sys::DragEvent| e.prevent_default());
    let on_drop = Closure::<dyn FnMut(web_sys::DragEvent)>::new(|e: web_sys::DragEvent| {
        e.prevent_default();
        if let Some(files) = e.data_transfer().and_then(|d| d.files()) {
            read_files(&files);
        }
    });
    let _ = document.add_event_listener_with_callback("dragover", on_dragover.as_ref().unchecked_ref());
    let _ = document.add_event_listener_with_callback("drop", on_drop.as_ref().unchecked_ref());
    on_dragover.forget();
    on_drop.forget();
}

fn read_files(list: &web_sys::FileList) {
    let files: Vec<web_sys::File> = (0..list.length()).filter_map(|i| list.get(i)).collect();
    if files.is_empty() {
        return;
    }
    wasm_bindgen_futures::spawn_local(async move {
        let mut batch = Vec::with_capacity(files.len());
        for file in files {
            let name = file.name();
            let text = if file.size() > MAX_FILE_BYTES as f64 {
                Err(ScenarioError::TooLarge { file: name.clone() }.to_string())
            } else {
                match wasm_bindgen_futures::JsFuture::from(file.text()).await {
                    Ok(v) => v.as_string().ok_or_else(|| format!("{name}: the file is not text")),
                    Err(e) => Err(format!("{name}: {}", e.as_string().unwrap_or_else(|| "could not be read".into()))),
                }
            };
            batch.push(PickedFile { name, text });
        }
        PICKED.lock().unwrap_or_else(|e| e.into_inner()).push(batch);
    });
}

/// A batch of files from the page: its scenario replaces the current one, or
/// the error is shown and the current one keeps running.
fn open_picked_files(mut sim: ResMut<Sim>) {
    let batches = std::mem::take(&mut *PICKED.lock().unwrap_or_else(|e| e.into_inner()));
    for batch in batches {
        let Some(main) = batch.iter().position(|f| f.name.ends_with(".ron")) else {
            let names: Vec<&str> = batch.iter().map(|f| f.name.as_str()).collect();
            sim.load_error =
                Some(format!("{}: no scenario among these; a scenario file ends in .ron", names.join(", ")));
            continue;
        };
        let file = &batch[main];
        let text = match &file.text {
            Ok(t) => t,
            Err(e) => {
                sim.load_error = Some(e.clone());
                continue;
            }
        };
        // Files named by the scenario: those chosen with it, then the bundled ones.
        let beside = |name: &str| -> Result<String, String> {
            match batch.iter().find(|f| f.name == name) {
                Some(f) => f.text.clone(),
                None => bundled::side_file(name).map(str::to_string).ok_or_else(|| {
                    "not among the files opened with the scenario, and no bundled file has this name \
                     (choose or drop it together with the scenario)"
                        .to_string()
                }),
            }
        };
        match Scenario::parse_with_files(text, &file.name, &beside) {
            Ok(s) => sim.load(s, file.name.clone()),
            Err(e) => sim.load_error = Some(e.to_string()),
        }
    }
}

fn set_body_attribute(name: &str, value: &str) {
    if let Some(body) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.body()) {
        let _ = body.set_attribute(name, value);
    }
}

fn now_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
}

/// Marks the page once the app's first frames are out, so that the page can
/// take its loading message away and a test can time the start.
fn tell_the_page_when_drawn(mut frames: Local<u32>) {
    *frames += 1;
    // The first frame lays egui out and the second presents it.
    if *frames == 2 {
        set_body_attribute("data-first-frame-ms", &format!("{:.0}", now_ms()));
        set_body_attribute("data-flotilla", "running");
    }
}

/// Mirrors the scenario that is open and the load error on screen into the
/// page, when they change.
fn tell_the_page_what_is_open(sim: Res<Sim>, mut shown: Local<Option<(String, Option<String>)>>) {
    let now = (sim.source.clone(), sim.load_error.clone());
    if shown.as_ref() == Some(&now) {
        return;
    }
    set_body_attribute("data-scenario", &now.0);
    match &now.1 {
        Some(e) => set_body_attribute("data-load-error", e),
        None => {
            if let Some(body) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.body()) {
                let _ = body.remove_attribute("data-load-error");
            }
        }
    }
    *shown = Some(now);
}

/// Frames after which the layout is taken as settled (panels sized, fonts loaded).
const SETTLE_FRAMES: u32 = 10;

fn publish_layout_problems(
    mut contexts: Query<(&EguiFullOutput, &mut EguiContext), With<PrimaryEguiContext>>,
    mut frames: Local<u32>,
) {
    *frames += 1;
    if *frames != SETTLE_FRAMES {
        return;
    }
    let Some((output, mut ctx)) = contexts.iter_mut().next() else { return };
    let Some(output) = &output.0 else { return };
    let boxes = layout_check::text_boxes(&output.shapes);
    let scrolls = layout_check::scroll_areas(ctx.get_mut());
    let problems: Vec<String> = layout_check::problems(&boxes, &scrolls).iter().map(ToString::to_string).collect();
    set_body_attribute(
        "data-layout-problems",
        &serde_json::json!({ "text_boxes": boxes.len(), "problems": problems }).to_string(),
    );
}

/// Runs every bundled scenario and publishes its event-log digest, one by
/// one, yielding to the page between runs so that the table fills in.
async fn publish_digests() {
    set_body_attribute("data-flotilla", "digests");
    let mut rows = Vec::new();
    let mut table = String::from("event-log digests of the bundled scenarios, computed in this browser\n\n");
    for (name, text) in bundled::BUNDLED {
        let started = now_ms();
        let row = match Scenario::parse(text, name) {
            Ok(s) => {
                let result = crate::run::run(
                    &s,
                    crate::run::RunOptions { keep_events: true, record_series: false },
                    &mut |_| {},
                );
                let events: usize = result.worlds.iter().map(|w| w.events.len()).sum();
                let digest = crate::report::digest(&crate::report::events_jsonl(&s, &result));
                serde_json::json!({ "scenario": name, "digest": digest, "events": events, "ms": now_ms() - started })
            }
            Err(e) => serde_json::json!({ "scenario": name, "error": e.to_string() }),
        };
        table.push_str(&format!(
            "{}  {:>9}  {}\n",
            row["digest"].as_str().unwrap_or("error"),
            row["events"].as_u64().unwrap_or(0),
            name
        ));
        rows.push(row);
        if let Some(pre) = element("digests") {
            pre.set_text_content(Some(&table));
        }
        next_tick().await;
    }
    set_body_attribute("data-digests", &serde_json::Value::Array(rows).to_string());
}

/// A promise that resolves on the page's next task, after it has painted.
async fn next_tick() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
