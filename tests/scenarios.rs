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
    let result = run::run(s, RunOptions { keep_events: true, ..RunOptions::default() }, &mut |_| {});
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

/// The SHA-256 of each shipped scenario's `events.jsonl`. A change to the
/// simulation that is meant to change what happens updates the digest of
/// each scenario it touches, and says why in its commit; an optimisation
/// changes none.
const EVENT_LOG_DIGESTS: &[(&str, &str)] = &[
    ("autoscaling-spike", "67d14b4c93518db690d857379bff7443ef2a55d7c10d84d9695925b15b06fc08"),
    ("cold-start", "07c08301414be143b52bd7e0dd32891ae0c273e2ec78b73da210723588ed3283"),
    ("density", "6ddcbb69cffea59bf996b6b0cd4b7364c568fede1f07124691652f84838d0b7c"),
    ("diurnal-day", "c38008b70c4604e8678638c613e53d94ca58c06d0d349c209937360f24d95a18"),
    ("image-layers", "4c24b312df608f502a57b2a3afb3331937d551949ba1063d4eb8e42c29dc67b2"),
    ("image-locality", "7ffe375a1e25b7559a82875ab4ea036353cf287bed258edc006bb202b0cf0535"),
    ("node-failure", "0d51684c7ed8695d236ff754a0c91b47ed94f666a01bf3b953eadbb84f5979ff"),
    ("queueing-theory", "d4aa4866b1d28d2fc63876cba5ea86d65d87aabe7ff0efe6a2ba9ed290e10069"),
    ("rolling-update", "a05bd1c4c0c4289ff5672b286742d3b9c8f8a5bd71cbdf3c8a85c05ae7f6e0f7"),
    ("scheduling-strategies", "c5914f9ae47801e48df3c655cbc7d7f2d66ba76b911be9e05ee580e0c007dc36"),
    ("volte-core", "0852bcebac1cb14924ff7877278ba9d077bc7f7da06fbab80ca9e53611de440b"),
    ("warm-cache", "58eb15eee5a644b8e318fda38d6bbf8d163991ac011195b8116df3946b76c412"),
];

#[test]
fn the_same_seed_gives_a_byte_identical_event_log_and_another_seed_does_not() {
    let mut changed = Vec::new();
    for file in shipped() {
        let s = Scenario::load(&file).unwrap();
        let first = events(&s);
        let second = events(&s);
        assert!(!first.is_empty());
        assert!(first == second, "{}: two runs differ", file.display());
        let name = file.file_stem().unwrap().to_string_lossy().into_owned();
        let pinned = EVENT_LOG_DIGESTS.iter().find(|(n, _)| *n == name).map(|(_, d)| *d);
        let digest = report::digest(&first);
        if pinned != Some(digest.as_str()) {
            changed.push(format!("{name}: pinned {}, now {digest}", pinned.unwrap_or("none")));
        }

        let mut other = s.clone();
        let mut setup = (*other.setup).clone();
        setup.seed = setup.seed.wrapping_add(1);
        other.setup = Arc::new(setup);
        if draws_random_numbers(&s) {
            assert!(events(&other) != first, "{}: another seed gave the same log", file.display());
        }
    }
    assert!(changed.is_empty(), "event logs differ from their pinned digests:\n{}", changed.join("\n"));
}
