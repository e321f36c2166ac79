//! Invariants that hold for any run of any valid scenario, of every platform
//! kind: no host or node over capacity, every instance or pod in one phase —
//! the one its events tell — and on at most one host, counts that add up,
//! time that never goes back, and two runs of the same scenario identical.
//! Scenarios are generated as RON text (`support::scenario`), so the whole
//! path from file to world is exercised.
//!
//! `FLOTILLA_PROPTEST_CASES` sets the number of cases (CI runs the default;
//! run 10,000 or more before changing the core).

mod support;

use flotilla::engine::SimTime;
use flotilla::scenario::Scenario;
use flotilla::world::World;
use proptest::prelude::*;

fn cases() -> u32 {
    std::env::var("FLOTILLA_PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(300)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, max_shrink_iters: 400, ..ProptestConfig::default() })]

    #[test]
    fn random_scenarios_keep_every_invariant(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let made = support::scenario(&mut support::ByteChoices::new(&bytes));
        let scenario = match Scenario::parse(&made.text, "random.ron") {
            Ok(s) => s,
            // Apps larger than every host are refused by validation; that path has its own tests.
            Err(e) => {
                prop_assume!(!e.to_string().contains("more than any host"), "too big");
                return Err(TestCaseError::fail(format!("generated scenario refused: {e}\n{}", made.text)));
            }
        };
        let end = SimTime::ZERO + scenario.setup.duration;
        for spec in &scenario.worlds {
            let mut first = World::new(scenario.setup.clone(), spec.clone());
            let a = support::run_checked(&mut first, end)
                .map_err(|e| TestCaseError::fail(format!("world {}: {e}\n{}", spec.name, made.text)))?;
            let mut second = World::new(scenario.setup.clone(), spec.clone());
            let b = support::run_checked(&mut second, end)
                .map_err(|e| TestCaseError::fail(format!("world {}: {e}\n{}", spec.name, made.text)))?;
            prop_assert!(a == b, "world {}: two runs differ\n{}", spec.name, made.text);
        }
    }
}

/// Scenarios the property test once failed on, kept as files.
#[test]
fn scenarios_it_once_failed_on_keep_every_invariant() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/property-regressions");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(!files.is_empty());
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let scenario = Scenario::parse(&text, &file.display().to_string()).unwrap_or_else(|e| panic!("{e}"));
        let end = SimTime::ZERO + scenario.setup.duration;
        for spec in &scenario.worlds {
            let mut world = World::new(scenario.setup.clone(), spec.clone());
            if let Err(e) = support::run_checked(&mut world, end) {
                panic!("{}: world {}: {e}", file.display(), spec.name);
            }
        }
    }
}
