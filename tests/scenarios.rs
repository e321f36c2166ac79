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
    ("autoscaling-spike", "20d7a2ee8c29735860590510205b491f9c9353a558bc8080e47a7e487f217953"),
    ("cold-start", "949091d204fcf7c5dbea6251d02e49ac8a648830bfa4e594fde4501012d0a9d4"),
    ("control-plane", "b6d3eadf8ecc435c43b4c8cb2de45a95effb51fe7cba3071bcd6cc7944f8de6c"),
    ("density", "ca16f6bdec83f072c1e8916318a3e5630a63a62718ef081f7d490f3b5f25fcc7"),
    ("diurnal-day", "0e66b9062bb269fd940ef12bbc22d0bba57735b71e14808f64421b555a2e6813"),
    ("gpu-nodes", "15fd7eb079d7a5e139090adb134fb9dc79a86cab4fc57a1933192c048819f39e"),
    ("hpa-metrics", "4270200b6de07b427401a8c009866fb389761a120ee40c348c9a85d8236464b0"),
    ("image-layers", "4c24b312df608f502a57b2a3afb3331937d551949ba1063d4eb8e42c29dc67b2"),
    ("image-locality", "289ad9e18596019a7e648b63dd2ca82e76a483a14abac1966c5a53309f284f10"),
    ("node-failure", "c0ae4367af6bf21892caa7f0458ef09105a99e0f2ffaeb8f5287aa65836b02ca"),
    ("queueing-theory", "d4aa4866b1d28d2fc63876cba5ea86d65d87aabe7ff0efe6a2ba9ed290e10069"),
    ("rolling-update", "4a4e8499d00b414bc801e4c59444a9a8858389db3fd0f2b5d66b36657b8dcda0"),
    ("scheduling-strategies", "9845a5cfab3c2cbc0980eb28be79ec276c06e62633f6d05f460193ecd715eed2"),
    ("sidecars", "35be10432f4859ce648937f8f53947e41611d720b8eec374b59fde9cc54b78cc"),
    ("small-shop", "12e86a987ddf223a1695e6f8162528a6d345741601dcdcb6d716aebb5c1ce5f7"),
    ("volte-core", "2459ed32b4a435dd4d27982ac491ad60c928dc1d713af030777bf9b60d2e7838"),
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
