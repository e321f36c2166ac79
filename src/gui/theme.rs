//! Colours and type. Apps and worlds take colours from the Okabe–Ito palette,
//! which stays distinguishable with the common forms of colour blindness;
//! phases differ by shape and fill as well as by colour, so nothing depends
//! on hue alone.

use bevy_egui::egui::{self, Color32};

use crate::model::Phase;

/// Okabe–Ito, without black, in an order that reads well on a dark background.
pub const PALETTE: [Color32; 7] = [
    Color32::from_rgb(0x56, 0xB4, 0xE9), // sky blue
    Color32::from_rgb(0xE6, 0x9F, 0x00), // orange
    Color32::from_rgb(0x00, 0x9E, 0x73), // bluish green
    Color32::from_rgb(0xCC, 0x79, 0xA7), // reddish purple
    Color32::from_rgb(0xF0, 0xE4, 0x42), // yellow
    Color32::from_rgb(0x00, 0x72, 0xB2), // blue
    Color32::from_rgb(0xD5, 0x5E, 0x00), // vermillion
];

/// Vermillion is kept for failure.
pub const FAILED: Color32 = Color32::from_rgb(0xD5, 0x5E, 0x00);
/// The guest operating system's share of a VM.
pub const GUEST_OS: Color32 = Color32::from_rgb(0x4A, 0x4F, 0x5C);
pub const HOST_FILL: Color32 = Color32::from_rgb(0x20, 0x24, 0x2C);
pub const HOST_DOWN: Color32 = Color32::from_rgb(0x30, 0x30, 0x30);
/// A host switched off: darker than the background of a host that is on.
pub const HOST_OFF: Color32 = Color32::from_rgb(0x12, 0x14, 0x18);
pub const HOST_STROKE: Color32 = Color32::from_rgb(0x6A, 0x72, 0x80);
pub const TEXT_DIM: Color32 = Color32::from_rgb(0xA0, 0xA8, 0xB4);
pub const SELECTED: Color32 = Color32::WHITE;
pub const CAPTION_BG: Color32 = Color32::from_rgb(0x1B, 0x3A, 0x57);

/// An app's colour by its index.
pub fn app_color(app: usize) -> Color32 {
    PALETTE[app % (PALETTE.len() - 1)]
}

/// A world's colour in charts.
pub fn world_color(world: usize) -> Color32 {
    PALETTE[(world + 2) % (PALETTE.len() - 1)]
}

/// A phase's colour in the start-up chart.
pub fn phase_color(phase: Phase) -> Color32 {
    match phase {
        Phase::WaitingForPlacement => Color32::from_rgb(0x80, 0x80, 0x80),
        Phase::FetchingImage => PALETTE[0],
        Phase::Booting => PALETTE[1],
        Phase::Starting => PALETTE[4],
        Phase::Running => PALETTE[2],
        Phase::Unknown => Color32::from_rgb(0x8A, 0x3A, 0x10),
        Phase::Stopping => PALETTE[3],
        Phase::Stopped => Color32::from_rgb(0x50, 0x50, 0x50),
        Phase::Failed => FAILED,
    }
}

/// Words for a phase on screen.
pub fn phase_label(phase: Phase) -> &'static str {
    match phase {
        Phase::WaitingForPlacement => "waiting for a host",
        Phase::FetchingImage => "fetching image",
        Phase::Booting => "booting",
        Phase::Starting => "starting",
        Phase::Running => "running",
        Phase::Unknown => "unknown (node silent)",
        Phase::Stopping => "stopping",
        Phase::Stopped => "stopped",
        Phase::Failed => "failed",
    }
}

/// Zoom for presentation mode on a 1080-line screen: type and widgets 1.6
/// times larger.
pub const PRESENTATION_ZOOM: f32 = 1.6;

/// Zoom for presentation mode on a screen `height` pixels tall (at scale 1):
/// 1.6 from 1080 lines up, less on smaller projectors, down to 1.25 at 800
/// lines and below, so that the worlds, the counters and the controls still
/// fit in the room the screen has.
pub fn presentation_zoom(height: f32) -> f32 {
    (height / 675.0).clamp(1.25, PRESENTATION_ZOOM)
}

/// The app's look: dark, with slightly larger type than egui's default.
pub fn apply(ctx: &egui::Context) {
    ctx.set_visuals(egui::Visuals::dark());
    ctx.all_styles_mut(|s| {
        s.text_styles.insert(egui::TextStyle::Body, egui::FontId::proportional(15.0));
        s.text_styles.insert(egui::TextStyle::Button, egui::FontId::proportional(15.0));
        s.text_styles.insert(egui::TextStyle::Heading, egui::FontId::proportional(22.0));
        s.text_styles.insert(egui::TextStyle::Small, egui::FontId::proportional(12.0));
        s.text_styles.insert(egui::TextStyle::Monospace, egui::FontId::monospace(14.0));
        s.spacing.item_spacing = egui::vec2(8.0, 6.0);
    });
    ctx.options_mut(|o| o.zoom_with_keyboard = false);
}
