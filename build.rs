//! Bundles every scenario in `scenarios/`, and the CSV load traces beside
//! them, into the binary, so that the app's scenario picker works with no
//! files around it (and in the browser).

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
    let dest = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("bundled_scenarios.rs");
    std::fs::write(dest, out).expect("OUT_DIR is writable");
}
