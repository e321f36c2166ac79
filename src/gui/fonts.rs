//! egui's default fonts for the browser build: Hack, Ubuntu Light, Noto Emoji
//! and the emoji icon font, with egui's own scales and fallback order. They
//! travel in the module packed with LZMA (build.rs), about 100 KB smaller
//! than gzip packs them, and are unpacked once, before egui's first pass.
//! The desktop build takes the same fonts from egui (its `default_fonts`
//! feature); a test checks that both give the same definitions.

use std::io::Read as _;
use std::sync::Arc;

use bevy_egui::egui::{FontData, FontDefinitions, FontFamily, FontTweak};

const HACK: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/Hack-Regular.ttf.lzma"));
const NOTO_EMOJI: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/NotoEmoji-Regular.ttf.lzma"));
const UBUNTU_LIGHT: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/Ubuntu-Light.ttf.lzma"));
const EMOJI_ICON: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/emoji-icon-font.ttf.lzma"));

/// A font as build.rs packed it. The bytes are the build's own, checked by
/// the tests, so a failure here is a build defect.
#[allow(clippy::expect_used)]
fn unpack(packed: &[u8]) -> FontData {
    let mut font = Vec::new();
    lzma_rust2::LzmaReader::new_mem_limit(packed, u32::MAX, None)
        .and_then(|mut reader| reader.read_to_end(&mut font))
        .expect("build.rs packs each font as a valid .lzma file");
    FontData::from_owned(font)
}

/// What egui's `FontDefinitions::default()` gives with its `default_fonts`
/// feature, from the packed copies.
pub fn definitions() -> FontDefinitions {
    let mut defs = FontDefinitions::empty();
    let tweak = |scale| FontTweak { scale, ..Default::default() };
    defs.font_data.insert("Hack".to_owned(), Arc::new(unpack(HACK)));
    defs.font_data.insert("NotoEmoji-Regular".to_owned(), Arc::new(unpack(NOTO_EMOJI).tweak(tweak(0.81))));
    defs.font_data.insert("Ubuntu-Light".to_owned(), Arc::new(unpack(UBUNTU_LIGHT)));
    defs.font_data.insert("emoji-icon-font".to_owned(), Arc::new(unpack(EMOJI_ICON).tweak(tweak(0.90))));
    defs.families.insert(
        FontFamily::Monospace,
        ["Hack", "Ubuntu-Light", "NotoEmoji-Regular", "emoji-icon-font"].map(str::to_owned).to_vec(),
    );
    defs.families.insert(
        FontFamily::Proportional,
        ["Ubuntu-Light", "NotoEmoji-Regular", "emoji-icon-font"].map(str::to_owned).to_vec(),
    );
    defs
}

/// Gives each new egui context the fonts before its first pass begins.
#[cfg(target_arch = "wasm32")]
pub fn install(
    mut contexts: bevy::prelude::Query<&mut bevy_egui::EguiContext, bevy::prelude::Added<bevy_egui::EguiContext>>,
) {
    for mut ctx in &mut contexts {
        ctx.get_mut().set_fonts(definitions());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_packed_fonts_are_eguis_default_fonts() {
        assert!(definitions() == FontDefinitions::default());
    }
}
