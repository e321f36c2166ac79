//! Scrubbing: how long the app's slider takes to bring every world of a
//! shipped scenario to a point in time.
//!
//!     cargo bench --no-default-features --bench scrub [-- DIR]
//!
//! For each scenario in DIR (`scenarios/` by default), opened twice:
//!
//! - cold: the slider dragged to the end at once, before anything is
//!   recorded (the worlds compute the whole run);
//! - as the app does it: the worlds run ahead of the clock in slices of
//!   6 ms (the app's share of a frame) until the run is recorded, then 200
//!   seeks to points spread over the run in a fixed pseudo-random order,
//!   each timed on its own, as the slider asks for them.
//!
//! Prints, per scenario, the cold drag, the wall time and slices the
//! recording took, the longest slice, the median and the slowest seek, and
//! at the end the slowest seek of all.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use flotilla::engine::{SimDuration, SimTime};
use flotilla::playback::Playback;
use flotilla::scenario::Scenario;

const SEEKS: usize = 200;
/// The app's `RUN_AHEAD_PER_FRAME`.
const SLICE: Duration = Duration::from_millis(6);

fn scenario_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "ron"))
        .collect();
    files.sort();
    files
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[allow(clippy::disallowed_methods, reason = "a benchmark measures wall time")]
fn main() {
    // `cargo bench` passes `--bench`; the first other argument is the directory.
    let dir = std::env::args().skip(1).find(|a| !a.starts_with("--")).unwrap_or_else(|| "scenarios".into());
    println!(
        "| scenario | checkpoints | cold drag to the end | recorded in (slices) | longest slice | median seek | slowest seek |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let mut slowest: (f64, String) = (0.0, String::new());
    for path in scenario_files(Path::new(&dir)) {
        let scenario = Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let span = scenario.setup.duration.as_micros();
        let checkpoints = scenario.checkpoints();

        let mut cold = Playback::new(scenario.clone());
        let started = Instant::now();
        cold.seek(cold.end());
        let cold = millis(started.elapsed());

        let mut playback = Playback::new(scenario);
        let (started, mut slices, mut longest) = (Instant::now(), 0, Duration::ZERO);
        loop {
            let slice = Instant::now();
            let done = playback.run_ahead(&mut || slice.elapsed() < SLICE);
            slices += 1;
            longest = longest.max(slice.elapsed());
            if done {
                break;
            }
        }
        let recorded = millis(started.elapsed());
        // A fixed sequence of points over the run (an LCG), so every run of
        // the benchmark asks for the same seeks; the first is the end.
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut seeks: Vec<f64> = (0..SEEKS)
            .map(|k| {
                x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                let at = if k == 0 { playback.end() } else { SimTime::ZERO + SimDuration((x >> 11) % (span + 1)) };
                let started = Instant::now();
                playback.seek(at);
                millis(started.elapsed())
            })
            .collect();
        seeks.sort_by(f64::total_cmp);
        let (median, max) = (seeks[SEEKS / 2], seeks[SEEKS - 1]);
        println!(
            "| {name} | {checkpoints} | {cold:.1} ms | {recorded:.0} ms ({slices}) | {:.1} ms | {median:.2} ms | {max:.1} ms |",
            millis(longest)
        );
        if max > slowest.0 {
            slowest = (max, name);
        }
    }
    println!("\nslowest seek: {:.1} ms ({})", slowest.0, slowest.1);
}
