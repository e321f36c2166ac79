//! Running a scenario headless: every world from the start to the scenario's
//! end, its metrics, its time series and (when asked) its event log, then the
//! verdict on each expectation. Worlds are independent, so on platforms with
//! threads they run side by side; results do not depend on that.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::engine::SimTime;
use crate::metrics::{self, Metrics, Series};
use crate::scenario::Scenario;
use crate::scenario::expect::Outcome;
use crate::world::{Event, World};

/// One world after its run.
#[derive(Clone, Debug)]
pub struct WorldRun {
    pub world: World,
    pub metrics: Metrics,
    pub series: Series,
    /// Every event in order, when the run kept them.
    pub events: Vec<Event>,
    pub event_count: u64,
}

/// A whole scenario after its run.
#[derive(Clone, Debug)]
pub struct RunResult {
    pub worlds: Vec<WorldRun>,
    pub outcomes: Vec<Outcome>,
}

impl RunResult {
    pub fn metric(&self, world: &str, metric: &str) -> Option<f64> {
        self.worlds.iter().find(|w| w.world.name() == world)?.metrics.get(metric).copied().flatten()
    }

    pub fn all_passed(&self) -> bool {
        self.outcomes.iter().all(|o| o.passed)
    }
}

#[derive(Clone, Copy, Debug, Default)]
pub struct RunOptions {
    /// Keep every event (for `events.jsonl`); counting them is always done.
    pub keep_events: bool,
    /// Record the time series (for the CSV reports); the metrics need none.
    pub record_series: bool,
}

/// Runs one world to the scenario's end. `progress` receives the simulated
/// microseconds reached.
pub fn run_world(scenario: &Scenario, index: usize, options: RunOptions, progress: &AtomicU64) -> WorldRun {
    let mut world = World::new(scenario.setup.clone(), scenario.worlds[index].clone());
    let end = SimTime::ZERO + scenario.setup.duration;
    let mut series = Series::default();
    if options.record_series {
        series.observe(&mut world);
    }
    let mut events = Vec::new();
    let mut event_count = 0u64;
    while let Some(t) = world.next_event_time() {
        if t > end {
            break;
        }
        world.step();
        if options.record_series {
            series.observe(&mut world);
        } else if world.has_dirty_hosts() {
            world.drain_dirty_hosts();
        }
        let batch = world.drain_events();
        event_count += batch.len() as u64;
        if options.keep_events {
            events.extend(batch);
        }
        progress.store(world.now().as_micros(), Ordering::Relaxed);
    }
    world.run_until(end);
    progress.store(end.as_micros(), Ordering::Relaxed);
    let metrics = metrics::compute(&world);
    WorldRun { world, metrics, series, events, event_count }
}

/// Runs every world and checks the expectations. `on_progress` is called now
/// and then with the fraction done, from the calling thread.
pub fn run(scenario: &Scenario, options: RunOptions, on_progress: &mut dyn FnMut(f64)) -> RunResult {
    let n = scenario.worlds.len();
    let progress: Vec<AtomicU64> = (0..n).map(|_| AtomicU64::new(0)).collect();
    let total = scenario.setup.duration.as_micros().max(1) as f64 * n as f64;
    let fraction = |p: &[AtomicU64]| p.iter().map(|a| a.load(Ordering::Relaxed) as f64).sum::<f64>() / total;

    #[cfg(not(target_arch = "wasm32"))]
    let worlds: Vec<WorldRun> = std::thread::scope(|s| {
        // Each world says when it is done, so that waiting ends with the last one.
        let (done, finished) = std::sync::mpsc::channel();
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let p = &progress[i];
                let done = done.clone();
                s.spawn(move || {
                    let run = run_world(scenario, i, options, p);
                    let _ = done.send(());
                    run
                })
            })
            .collect();
        drop(done);
        let mut left = n;
        while left > 0 {
            on_progress(fraction(&progress));
            match finished.recv_timeout(std::time::Duration::from_millis(50)) {
                Ok(()) => left -= 1,
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                // A world panicked: joining it below passes the panic on.
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        handles.into_iter().map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
    });
    #[cfg(target_arch = "wasm32")]
    let worlds: Vec<WorldRun> = (0..n)
        .map(|i| {
            let r = run_world(scenario, i, options, &progress[i]);
            on_progress(fraction(&progress));
            r
        })
        .collect();

    on_progress(1.0);
    let mut result = RunResult { worlds, outcomes: Vec::new() };
    let outcomes = scenario.expectations.iter().map(|e| e.check(&|w: &str, m: &str| result.metric(w, m))).collect();
    result.outcomes = outcomes;
    result
}
