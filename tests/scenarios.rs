//! The shipped scenarios: each one's expectations hold, and each run is
//! reproducible to the byte.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use flotilla::engine::Distribution;
use flotilla::report;
use flotilla::run::{self, RunOptions};
use flotilla::scenario::{self, Scenario};

fn shipped() -> Vec<PathBuf> {
    scenario::collect_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")).expect("scenarios/ has files")
}

/// Whether any world samples a distribution that is not a constant; a scenario
/// that draws nothing random rightly gives the same log under every seed.
fn draws_random_numbers(s: &Scenario) -> bool {
    s.worlds.iter().any(|w| {
        let p = &w.platform;
        [Some(p.startup_time()), Some(p.stop_time()), p.start_after_boot()]
            .into_iter()
            .flatten()
            .any(|d| !matches!(d, Distribution::Constant(_)))
    })
}

fn events(s: &Scenario) -> String {
    let result = run::run(s, RunOptions { keep_events: true }, &mut |_| {});
    report::events_jsonl(s, &result)
}

#[test]
fn every_shipped_scenario_meets_its_expectations() {
    let mut failures = Vec::new();
    for file in shipped() {
        let s = Scenario::load(&file).unwrap_or_else(|e| panic!("{e}"));
        assert!(!s.expectations.is_empty(), "{} has no expectations", file.display());
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.starts_with("//"), "{} must open with a comment on what it teaches", file.display());
        let result = run::run(&s, RunOptions::default(), &mut |_| {});
        for (e, o) in s.expectations.iter().zip(&result.outcomes) {
            if !o.passed {
                failures.push(format!("{}: {} ({})", file.display(), e.text, report::outcome_detail(o)));
            }
        }
    }
    assert!(failures.is_empty(), "failed expectations:\n{}", failures.join("\n"));
}

#[test]
fn the_same_seed_gives_a_byte_identical_event_log_and_another_seed_does_not() {
    for file in shipped() {
        let s = Scenario::load(&file).unwrap();
        let first = events(&s);
        let second = events(&s);
        assert!(!first.is_empty());
        assert!(first == second, "{}: two runs differ", file.display());

        let mut other = s.clone();
        let mut setup = (*other.setup).clone();
        setup.seed = setup.seed.wrapping_add(1);
        other.setup = Arc::new(setup);
        if draws_random_numbers(&s) {
            assert!(events(&other) != first, "{}: another seed gave the same log", file.display());
        }
    }
}
