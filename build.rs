//! Bundles every scenario in `scenarios/`, the CSV load traces beside them
//! and the manifests in folders beside them, into the binary, so that the
//! app's scenario picker works with no files around it (and in the browser).

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
    let dest = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("bundled_scenarios.rs");
    std::fs::write(dest, out).expect("OUT_DIR is writable");
}
