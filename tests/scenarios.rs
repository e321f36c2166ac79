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
    ("autoscaling-spike", "6d030990a22b69a27b055574b6eb84f8c7e8a61ed763ea767e6601be74463d16"),
    ("cold-start", "8c413a96fe0ff504f2375a033ecceabf2bd807a7f49b041bf6ffb5b7459041bb"),
    ("density", "6ddcbb69cffea59bf996b6b0cd4b7364c568fede1f07124691652f84838d0b7c"),
    ("diurnal-day", "ad6f3e0d0338ec85168a925c7cdbdfa40c07c2f02f792cae0064edcb29469271"),
    ("hpa-metrics", "0de0ccc8208011306666474b2fcd4dfb978da6dd8d29d8648da3ab9cea10c302"),
    ("image-layers", "4c24b312df608f502a57b2a3afb3331937d551949ba1063d4eb8e42c29dc67b2"),
    ("image-locality", "e3e0e5fa83cc04bb2c39544aebb1da4a4c982512ffc4a92ad6f42201a7c85c2f"),
    ("node-failure", "1a7d31ad452f0c839fccbe2737b006c33cc840a8c349bd04a3dda230310c7bbf"),
    ("queueing-theory", "d4aa4866b1d28d2fc63876cba5ea86d65d87aabe7ff0efe6a2ba9ed290e10069"),
    ("rolling-update", "fa14039705ec4ae7bedababe962dacf3177d58e1410f9138e1d2d3272db0a035"),
    ("scheduling-strategies", "d20ad286bb5b79b0a5494aaaf5102665a101c76410bd5aede0ef5d82563950ba"),
    ("sidecars", "9273711ba30c8d1ae5d6ff074450eeebce4da4545ea22b6ab9698a3a2a2e9498"),
    ("small-shop", "2f6485a126870cb60656447a779df0c3a5d8faafecec80f32592c73c9e63292f"),
    ("volte-core", "4e10738f75fc2a11c90a53916930d207d1f0c6ce8c83ea9f7c0eba36d5c7cb00"),
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
