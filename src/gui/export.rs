//! Export from the app, at the current simulated time: the charts as one
//! SVG (the report's drawings, each line up to the clock), the window as a
//! PNG screenshot, and a Kubernetes world as `kubectl get
//! nodes,deployments,pods,hpa -A -o yaml`. On the desktop the files go into
//! [`EXPORT_DIR`] under the working directory; in a browser the SVG is
//! downloaded (the screenshot and the YAML, whose serializer would take the
//! module over its size budget, are the desktop app's).

use bevy_egui::egui;

use super::state::Sim;
use crate::engine::SimTime;
use crate::report::html::{ChartSource, figures, figures_svg};

/// Where the desktop app writes what it exports.
#[cfg(not(target_arch = "wasm32"))]
pub const EXPORT_DIR: &str = "flotilla-export";

/// A file name for something exported: the scenario's file stem, what it
/// is, and the simulated time, such as `small-shop-charts-at-540s.svg`.
pub fn file_name(sim: &Sim, what: &str, extension: &str) -> String {
    let stem = std::path::Path::new(&sim.source)
        .file_stem()
        .map_or_else(|| "scenario".to_string(), |s| s.to_string_lossy().into_owned());
    let clean = |s: &str| -> String {
        s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '.' { c } else { '-' }).collect()
    };
    let secs = sim.playback.clock().as_secs_f64();
    let at = crate::engine::time::trim_float((secs * 1000.0).round() / 1000.0);
    format!("{}-{}-at-{at}s.{extension}", clean(&stem), clean(what))
}

/// Every world's charts up to the clock, as one standalone SVG document.
pub fn charts_svg(sim: &Sim) -> String {
    let scenario = &sim.playback.scenario;
    let clock = sim.playback.clock();
    let sources: Vec<ChartSource> =
        sim.playback.tracks.iter().map(|t| ChartSource { world: &t.world, series: &t.series, until: clock }).collect();
    // The time axis runs to the clock (at least a second), as far as the lines go.
    let end = clock
        .max(SimTime::ZERO + crate::engine::SimDuration::from_secs(1))
        .min(SimTime::ZERO + scenario.setup.duration);
    let title = format!("{} — at {}", scenario.name, super::panels::charts::time_label(clock.as_secs_f64()));
    figures_svg(&title, &figures(scenario, &sources, end))
}

/// A Kubernetes world as kubectl prints it in YAML, under a comment that says which world and when.
#[cfg(not(target_arch = "wasm32"))]
pub fn world_yaml(sim: &Sim, world: usize) -> Result<String, String> {
    let w = &sim.playback.tracks[world].world;
    let yaml = crate::views::yaml::get_everything(w)?;
    Ok(format!(
        "# kubectl get nodes,deployments,pods,hpa -A -o yaml\n# world {} of {}, at {}\n{yaml}",
        w.name(),
        sim.playback.scenario.name,
        super::panels::charts::time_label(sim.playback.clock().as_secs_f64())
    ))
}

/// Saves text under `name`; returns what to tell the person.
#[cfg(not(target_arch = "wasm32"))]
pub fn save_text(name: &str, text: &str) -> String {
    let dir = std::path::Path::new(EXPORT_DIR);
    let path = dir.join(name);
    match std::fs::create_dir_all(dir).and_then(|()| std::fs::write(&path, text)) {
        Ok(()) => format!("saved {}", path.display()),
        Err(e) => format!("could not save {}: {e}", path.display()),
    }
}

/// Downloads text as a file named `name`.
#[cfg(target_arch = "wasm32")]
pub fn save_text(name: &str, text: &str) -> String {
    use wasm_bindgen::JsCast;
    let mime = if name.ends_with(".svg") { "image/svg+xml" } else { "text/plain" };
    // A Blob's URL, which has no length limit as a data: URL has.
    let done = (|| {
        let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
        let options = web_sys::BlobPropertyBag::new();
        options.set_type(mime);
        let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).ok()?;
        let url = web_sys::Url::create_object_url_with_blob(&blob).ok()?;
        let document = web_sys::window()?.document()?;
        let link = document.create_element("a").ok()?;
        link.set_attribute("href", &url).ok()?;
        link.set_attribute("download", name).ok()?;
        link.dyn_into::<web_sys::HtmlElement>().ok()?.click();
        web_sys::Url::revoke_object_url(&url).ok()?;
        Some(())
    })();
    match done {
        Some(()) => format!("downloaded {name}"),
        None => format!("could not download {name}"),
    }
}

/// The Export menu of the top bar.
pub fn menu_ui(ui: &mut egui::Ui, sim: &mut Sim) {
    ui.menu_button("Export", |ui| {
        if ui.button("Charts as SVG").on_hover_text("every world's charts up to now, in one SVG file").clicked() {
            let name = file_name(sim, "charts", "svg");
            let svg = charts_svg(sim);
            sim.export_message = Some(save_text(&name, &svg));
            ui.close();
        }
        #[cfg(not(target_arch = "wasm32"))]
        if ui.button("Screenshot as PNG").on_hover_text("the window as it is").clicked() {
            let name = file_name(sim, "view", "png");
            let path = std::path::Path::new(EXPORT_DIR).join(name);
            sim.export_message = Some(match std::fs::create_dir_all(EXPORT_DIR) {
                Ok(()) => format!("saved {}", path.display()),
                Err(e) => format!("could not save {}: {e}", path.display()),
            });
            sim.screenshot_to = Some(path);
            ui.close();
        }
        #[cfg(not(target_arch = "wasm32"))]
        let kube: Vec<(usize, String)> = sim
            .playback
            .tracks
            .iter()
            .enumerate()
            .filter(|(_, t)| t.world.kube().is_some())
            .map(|(i, t)| (i, t.world.name().to_string()))
            .collect();
        #[cfg(not(target_arch = "wasm32"))]
        for (i, name) in kube {
            let label = format!("{name} as kubectl YAML");
            if ui.button(label).on_hover_text("kubectl get nodes,deployments,pods,hpa -A -o yaml, now").clicked() {
                let file = file_name(sim, &name, "yaml");
                sim.export_message = Some(match world_yaml(sim, i) {
                    Ok(yaml) => save_text(&file, &yaml),
                    Err(e) => e,
                });
                ui.close();
            }
        }
    });
    if let Some(message) = &sim.export_message {
        ui.label(egui::RichText::new(message).small().color(super::theme::TEXT_DIM));
    }
}
