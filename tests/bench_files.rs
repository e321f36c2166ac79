//! The benchmark scenarios load, and are what `bench/generate.py` writes.

use std::path::Path;

use flotilla::scenario::{self, Scenario};

#[test]
fn every_bench_scenario_loads() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios").join("bench");
    let files = scenario::collect_files(&dir).unwrap();
    assert!(files.len() >= 17, "{} files", files.len());
    for file in files {
        if let Err(e) = Scenario::load(&file) {
            panic!("{}: {e}", file.display());
        }
    }
}

#[test]
fn the_bench_scenarios_are_what_the_generator_writes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let Ok(status) = std::process::Command::new("python3").arg(root.join("bench/generate.py")).arg("--check").status()
    else {
        eprintln!("python3 is not installed: scenarios/bench/ is not compared with bench/generate.py");
        return;
    };
    assert!(status.success(), "scenarios/bench/ is out of date: run bench/generate.py");
}
