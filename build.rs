//! Bundles every scenario in `scenarios/`, the CSV load traces beside them
//! and the manifests in folders beside them, into the binary, so that the
//! app's scenario picker works with no files around it (and in the browser).
//! With the `gui` feature it also packs egui's default fonts with LZMA for
//! the browser build (src/gui/fonts.rs unpacks them).

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let dir = Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR")).join("scenarios");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut out = String::new();
    for (constant, extension, what) in [("BUNDLED", "ron", "scenario"), ("BUNDLED_FILES", "csv", "load trace")] {
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == extension))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        let _ = writeln!(out, "/// (file name, contents) of each bundled {what}, sorted by name.");
        let _ = writeln!(out, "pub const {constant}: &[(&str, &str)] = &[");
        for f in &files {
            println!("cargo:rerun-if-changed={}", f.display());
            let name = f.file_name().expect("a file has a name").to_string_lossy();
            let _ = writeln!(out, "    ({name:?}, include_str!({:?})),", f.display().to_string());
        }
        out.push_str("];\n");
    }
    // Files in folders beside the scenarios (Kubernetes manifests and
    // KubeSchedulerConfiguration files), by their path from `scenarios/`;
    // `bench/` holds generated scenarios that are not bundled.
    let mut side: Vec<(String, std::path::PathBuf)> = Vec::new();
    let mut folders = vec![dir.clone()];
    while let Some(folder) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else { continue };
        for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
            let relative = path.strip_prefix(&dir).expect("below scenarios/").to_string_lossy().replace('\\', "/");
            if path.is_dir() {
                if relative != "bench" {
                    println!("cargo:rerun-if-changed={}", path.display());
                    folders.push(path);
                }
            } else if folder != dir && path.extension().is_some_and(|x| x == "yaml" || x == "yml" || x == "json") {
                side.push((relative, path));
            }
        }
    }
    side.sort();
    out.push_str("/// (path from scenarios/, contents) of each manifest bundled in a folder beside the scenarios.\n");
    out.push_str("pub const BUNDLED_FOLDERS: &[(&str, &str)] = &[\n");
    for (name, path) in &side {
        println!("cargo:rerun-if-changed={}", path.display());
        let _ = writeln!(out, "    ({name:?}, include_str!({:?})),", path.display().to_string());
    }
    out.push_str("];\n");
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    std::fs::write(Path::new(&out_dir).join("bundled_scenarios.rs"), out).expect("OUT_DIR is writable");
    #[cfg(feature = "gui")]
    fonts::pack(Path::new(&out_dir));
}

/// egui's default fonts, each written to `NAME.ttf.lzma` in OUT_DIR as a
/// .lzma file (header with the unpacked size, then the stream). LZMA packs
/// them about 100 KB smaller than gzip packs them inside the module.
#[cfg(feature = "gui")]
mod fonts {
    use std::io::Write as _;
    use std::path::Path;

    pub fn pack(out_dir: &Path) {
        for (name, data) in [
            ("Hack-Regular", epaint_default_fonts::HACK_REGULAR),
            ("NotoEmoji-Regular", epaint_default_fonts::NOTO_EMOJI_REGULAR),
            ("Ubuntu-Light", epaint_default_fonts::UBUNTU_LIGHT),
            ("emoji-icon-font", epaint_default_fonts::EMOJI_ICON),
        ] {
            let mut options = lzma_rust2::LzmaOptions::with_preset(9);
            // A window as large as the font; a larger one only costs memory when unpacking.
            options.dict_size = u32::try_from(data.len()).expect("a font under 4 GiB").next_power_of_two();
            let mut packed = Vec::new();
            let mut writer = lzma_rust2::LzmaWriter::new_use_header(&mut packed, &options, Some(data.len() as u64))
                .expect("preset 9 is a valid LZMA configuration");
            writer.write_all(data).expect("writing to memory");
            writer.finish().expect("writing to memory");
            std::fs::write(out_dir.join(format!("{name}.ttf.lzma")), packed).expect("OUT_DIR is writable");
        }
    }
}
