//! A scenario's worlds on one shared clock, for a front end: play at a speed,
//! step to the next event, scrub forwards and backwards, take live actions,
//! and stop at the lesson's pause points.
//!
//! Scrubbing back never recomputes from the start: each world keeps
//! checkpoints (clones of itself) as it first runs forward, and a seek
//! restores the nearest one before the target and runs on from there. Because
//! a world is deterministic, the replay is identical to the first run. A live
//! action is added to the world and to every checkpoint before its time, so
//! it replays too; whatever was recorded after it is discarded.

use crate::engine::{SimDuration, SimTime};
use crate::metrics::Series;
use crate::model::spec::Action;
use crate::scenario::{LessonStep, Scenario};
use crate::world::{Event, World};

/// One world, its checkpoints and what it has recorded so far.
#[derive(Clone, Debug)]
pub struct Track {
    pub world: World,
    /// Clones of the world, oldest first, the first at time zero.
    checkpoints: Vec<World>,
    /// Sampled on change up to the frontier.
    pub series: Series,
    /// Every event up to the furthest point reached.
    pub events: Vec<Event>,
    /// The furthest state the world has reached; a replay records nothing
    /// until it goes beyond it.
    frontier: Frontier,
    /// A copy of the world that runs ahead of the one on screen while the
    /// front end is idle, recording and leaving checkpoints, so that a later
    /// jump forward restores a checkpoint instead of computing the way.
    ahead: Option<World>,
    /// Everything up to the end of the run is recorded.
    complete: bool,
}

/// How far a track has recorded: the steps of the furthest state reached, and its time.
#[derive(Clone, Copy, Debug, Default)]
struct Frontier {
    steps: u64,
    time: SimTime,
}

/// How many steps a run ahead takes between two questions whether to go on:
/// asking costs a clock reading, and a per-request step takes well under a
/// microsecond.
const STEPS_BETWEEN_ASKS: u32 = 16;

/// Steps `world` up to `t` (its events at `t` included), recording what lies
/// beyond the frontier and leaving a checkpoint every `every` of simulated
/// time, while `more` says to go on (asked every [`STEPS_BETWEEN_ASKS`]
/// steps). Whether it reached `t`.
fn run_recording(
    world: &mut World,
    t: SimTime,
    record: (&mut Vec<World>, &mut Series, &mut Vec<Event>, &mut Frontier),
    every: SimDuration,
    more: &mut dyn FnMut() -> bool,
) -> bool {
    let (checkpoints, series, events, frontier) = record;
    let mut steps = 0u32;
    while let Some(next) = world.next_event_time() {
        if next > t {
            break;
        }
        steps += 1;
        if steps.is_multiple_of(STEPS_BETWEEN_ASKS) && !more() {
            return false;
        }
        world.step();
        let batch = world.drain_events();
        if world.steps() > frontier.steps {
            *frontier = Frontier { steps: world.steps(), time: world.now() };
            series.observe(world);
            events.extend(batch);
            let last = checkpoints.last().map(|w| w.now()).unwrap_or(SimTime::ZERO);
            if world.now().since(last) >= every {
                checkpoints.push(world.clone());
            }
        } else {
            world.drain_dirty_hosts();
        }
    }
    true
}

impl Track {
    fn new(world: World) -> Self {
        let mut series = Series::default();
        let mut world = world;
        world.keep_decisions(DECISION_VERDICTS_KEPT);
        series.observe(&mut world);
        Track {
            checkpoints: vec![world.clone()],
            world,
            series,
            events: Vec::new(),
            frontier: Frontier::default(),
            ahead: None,
            complete: false,
        }
    }

    /// Brings the world to exactly `t`, restoring first the latest checkpoint
    /// at or before `t` when `t` is in the world's past or that checkpoint is
    /// ahead of the world (a jump forward over ground already covered).
    fn seek(&mut self, t: SimTime, checkpoint_every: SimDuration) {
        let i = self.checkpoints.partition_point(|w| w.now() <= t).max(1) - 1;
        if t < self.world.now() || self.checkpoints[i].now() > self.world.now() {
            self.world = self.checkpoints[i].clone();
        }
        let record = (&mut self.checkpoints, &mut self.series, &mut self.events, &mut self.frontier);
        run_recording(&mut self.world, t, record, checkpoint_every, &mut || true);
        self.world.run_until(t);
    }

    /// Runs the copy ahead towards `end` while `more` says to; whether
    /// everything up to `end` is recorded.
    fn run_ahead(&mut self, end: SimTime, checkpoint_every: SimDuration, more: &mut dyn FnMut() -> bool) -> bool {
        if self.complete {
            return true;
        }
        // Start from the latest checkpoint when the copy is missing or that
        // checkpoint is further on (the world on screen has recorded past the copy).
        if let Some(last) = self.checkpoints.last()
            && self.ahead.as_ref().is_none_or(|a| a.steps() < last.steps())
        {
            self.ahead = Some(last.clone());
        }
        let Some(ahead) = self.ahead.as_mut() else { return true };
        let record = (&mut self.checkpoints, &mut self.series, &mut self.events, &mut self.frontier);
        if run_recording(ahead, end, record, checkpoint_every, more) {
            self.complete = true;
            self.ahead = None;
        }
        self.complete
    }

    /// Forgets everything recorded after the world's present (a live action
    /// is about to change the future); the world must stand at its clock.
    fn truncate_future(&mut self) {
        let t = self.world.now();
        self.checkpoints.retain(|w| w.now() <= t);
        self.series.truncate_after(t);
        self.events.retain(|e| e.time <= t);
        self.frontier = Frontier { steps: self.world.steps(), time: t };
        self.ahead = None;
        self.complete = false;
    }
}

/// The state of a front end's clock over all worlds of a scenario.
#[derive(Clone, Debug)]
pub struct Playback {
    pub scenario: Scenario,
    pub tracks: Vec<Track>,
    clock: SimTime,
    pub playing: bool,
    /// Simulated seconds per real second.
    pub speed: f64,
    /// Live actions taken, with their times, in order.
    live: Vec<(SimTime, Action)>,
    checkpoint_every: SimDuration,
}

/// How many node verdicts of the latest scheduling cycles a Kubernetes world
/// keeps for the inspector: every cycle of a classroom cluster, the latest
/// few hundred of a large one.
pub const DECISION_VERDICTS_KEPT: usize = 100_000;

/// The slowest and fastest speeds, in simulated seconds per real second.
pub const MIN_SPEED: f64 = 0.1;
pub const MAX_SPEED: f64 = 1000.0;

impl Playback {
    pub fn new(scenario: Scenario) -> Self {
        let tracks =
            scenario.worlds.iter().map(|spec| Track::new(World::new(scenario.setup.clone(), spec.clone()))).collect();
        // About 200 checkpoints over the run (fewer when the worlds are large:
        // they must fit the memory budget), none closer than a tenth of a second.
        let every = SimDuration((scenario.setup.duration.0 / scenario.checkpoints() as u64).max(100_000));
        let mut p = Playback {
            scenario,
            tracks,
            clock: SimTime::ZERO,
            playing: false,
            speed: 1.0,
            live: Vec::new(),
            checkpoint_every: every,
        };
        // What happens at time zero (the first launches) is on screen from the start.
        p.seek(SimTime::ZERO);
        p
    }

    pub fn clock(&self) -> SimTime {
        self.clock
    }

    pub fn duration(&self) -> SimDuration {
        self.scenario.setup.duration
    }

    pub fn end(&self) -> SimTime {
        SimTime::ZERO + self.duration()
    }

    pub fn live_actions(&self) -> &[(SimTime, Action)] {
        &self.live
    }

    /// Moves every world to `t` (clamped to the scenario's span).
    pub fn seek(&mut self, t: SimTime) {
        let t = t.min(self.end());
        for track in &mut self.tracks {
            track.seek(t, self.checkpoint_every);
        }
        self.clock = t;
        if self.clock >= self.end() {
            self.playing = false;
        }
    }

    /// Runs the worlds ahead of the clock while `more` says to, recording
    /// and leaving checkpoints, so that scrubbing forward later only
    /// restores one: a front end calls this with what is left of a frame.
    /// Whether every world is recorded to the end. What is recorded does not
    /// depend on how the work is split between calls.
    pub fn run_ahead(&mut self, more: &mut dyn FnMut() -> bool) -> bool {
        let end = self.end();
        let every = self.checkpoint_every;
        let mut complete = true;
        for track in &mut self.tracks {
            complete &= track.run_ahead(end, every, more);
        }
        complete
    }

    /// How far every world is recorded: scrubbing up to here restores a
    /// checkpoint and replays a little; beyond it, the worlds compute the way.
    pub fn recorded_until(&self) -> SimTime {
        let end = self.end();
        self.tracks.iter().map(|t| if t.complete { end } else { t.frontier.time }).min().unwrap_or(end)
    }

    /// Advances the clock by `real_seconds` of wall time at the current speed,
    /// stopping at a lesson step that pauses. Returns that step when it paused.
    pub fn advance(&mut self, real_seconds: f64) -> Option<LessonStep> {
        if !self.playing || real_seconds <= 0.0 {
            return None;
        }
        let target = self.clock + SimDuration::from_secs_f64(real_seconds * self.speed);
        let pause = self
            .scenario
            .lesson
            .iter()
            .find(|s| s.pause && SimTime::ZERO + s.at > self.clock && SimTime::ZERO + s.at <= target)
            .cloned();
        match pause {
            Some(step) => {
                self.seek(SimTime::ZERO + step.at);
                self.playing = false;
                Some(step)
            }
            None => {
                self.seek(target);
                None
            }
        }
    }

    /// Jumps to the next instant at which something happens in any world, and pauses.
    pub fn step_to_next_event(&mut self) {
        self.playing = false;
        let emitted = |p: &Playback| p.tracks.iter().map(|t| t.world.events_emitted()).sum::<u64>();
        let before = emitted(self);
        // Some scheduled instants turn out to change nothing (a transfer that
        // was rescheduled); pass over them.
        loop {
            let next = self.tracks.iter().filter_map(|t| t.world.next_event_time()).filter(|&t| t > self.clock).min();
            match next {
                Some(t) if t <= self.end() => {
                    self.seek(t);
                    if emitted(self) != before {
                        return;
                    }
                }
                _ => {
                    self.seek(self.end());
                    return;
                }
            }
        }
    }

    /// Takes an action in every world at the current time. It is recorded like
    /// a timeline entry: scrubbing back and playing again replays it.
    pub fn apply_live(&mut self, action: Action) {
        let at = self.clock;
        self.live.push((at, action.clone()));
        for track in &mut self.tracks {
            track.truncate_future();
            track.world.apply_at(at, action.clone());
            for cp in &mut track.checkpoints {
                cp.apply_at(at, action.clone());
            }
        }
        // Process it now so that the picture changes at once.
        let clock = self.clock;
        for track in &mut self.tracks {
            track.seek(clock, self.checkpoint_every);
        }
    }

    /// Back to the start of the scenario as written: live actions are dropped.
    pub fn restart(&mut self) {
        let speed = self.speed;
        *self = Playback::new(self.scenario.clone());
        self.speed = speed;
    }

    /// The lesson caption showing at the current time: the last step at or before it.
    pub fn caption(&self) -> Option<&LessonStep> {
        self.caption_index().map(|i| &self.scenario.lesson[i])
    }

    /// The index of that step in the lesson.
    pub fn caption_index(&self) -> Option<usize> {
        self.scenario.lesson.iter().rposition(|s| SimTime::ZERO + s.at <= self.clock)
    }

    /// Goes to the lesson's next step (`forward`) or back to the one before
    /// the step showing, and pauses there. Returns the step gone to.
    pub fn go_to_step(&mut self, forward: bool) -> Option<LessonStep> {
        let lesson = &self.scenario.lesson;
        let target = match (self.caption_index(), forward) {
            (None, true) => (!lesson.is_empty()).then_some(0),
            (None, false) => None,
            (Some(i), true) => {
                // Steps at the same time as the one showing are passed over with it.
                let at = lesson[i].at;
                (i + 1..lesson.len()).find(|&j| lesson[j].at > at)
            }
            (Some(i), false) => {
                // Back to the start of the step showing, when the clock is past it; else the one before.
                let at = lesson[i].at;
                if SimTime::ZERO + at < self.clock { Some(i) } else { lesson[..i].iter().rposition(|s| s.at < at) }
            }
        };
        let step = lesson.get(target?)?.clone();
        self.playing = false;
        self.seek(SimTime::ZERO + step.at);
        Some(step)
    }

    pub fn set_speed(&mut self, speed: f64) {
        self.speed = speed.clamp(MIN_SPEED, MAX_SPEED);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::HostId;

    fn cold_start() -> Scenario {
        let text = include_str!("../scenarios/cold-start.ron");
        Scenario::parse(text, "cold-start.ron").expect("shipped scenario parses")
    }

    fn fingerprint(p: &Playback) -> Vec<String> {
        p.tracks
            .iter()
            .map(|t| {
                let phases: Vec<String> = t.world.instances().iter().map(|i| format!("{:?}", i.history)).collect();
                format!("{} {:?} {}", t.world.now().0, t.world.counts(), phases.join(";"))
            })
            .collect()
    }

    #[test]
    fn a_question_pauses_and_steps_are_gone_through_forward_and_back() {
        let text = r#"Scenario(name: "q", duration: "5m",
            hosts: [HostGroup(name: "node", count: 1, cpu: "4", memory: "16Gi")],
            images: [Image(name: "a:1", layers: ["1MB"])],
            apps: [App(name: "a", image: "a:1", cpu: "1", memory: "256Mi")],
            worlds: [World(name: "C", platform: Containers())],
            timeline: [At("0s", Launch(app: "a", count: 1))],
            lesson: [
                Step(at: "10s", caption: "One container."),
                Step(at: "1m", caption: "Guess.", question: "How long did it take to start?", answer: "Under a second."),
                Step(at: "2m", caption: "The end.", focus: World("C")),
            ])"#;
        let mut p = Playback::new(Scenario::parse(text, "q.ron").unwrap());
        assert!(p.scenario.lesson[1].pause, "a question stops the clock");
        p.playing = true;
        let stopped = p.advance(100.0).expect("stops at the question");
        assert_eq!((stopped.at, p.clock()), (SimDuration::from_secs(60), SimTime(60_000_000)));
        assert_eq!(stopped.question.unwrap().answer, "Under a second.");
        // Forward: the next step; back: the one before; back from the first: nothing.
        assert_eq!(p.go_to_step(true).unwrap().caption, "The end.");
        assert_eq!(p.clock(), SimTime(120_000_000));
        assert!(!p.playing);
        assert_eq!(p.go_to_step(true), None, "no step after the last");
        assert_eq!(p.go_to_step(false).unwrap().caption, "Guess.");
        // Back from a time past a step's start goes to that step's start.
        p.seek(SimTime(90_000_000));
        assert_eq!(p.go_to_step(false).unwrap().caption, "Guess.");
        assert_eq!(p.go_to_step(false).unwrap().caption, "One container.");
        assert_eq!(p.go_to_step(false), None);
        p.seek(SimTime::ZERO);
        assert_eq!(p.go_to_step(true).unwrap().caption, "One container.");
    }

    #[test]
    fn scrubbing_back_gives_the_state_a_fresh_run_reaches() {
        let mut p = Playback::new(cold_start());
        p.seek(SimTime(60_000_000));
        p.seek(SimTime(30_000_000));
        let mut fresh = Playback::new(cold_start());
        fresh.seek(SimTime(30_000_000));
        assert_eq!(fingerprint(&p), fingerprint(&fresh));
        // And forward again matches too.
        p.seek(SimTime(90_000_000));
        fresh.seek(SimTime(90_000_000));
        assert_eq!(fingerprint(&p), fingerprint(&fresh));
        assert_eq!(p.tracks[0].series.samples, fresh.tracks[0].series.samples);
        assert_eq!(p.tracks[0].events, fresh.tracks[0].events);
    }

    #[test]
    fn running_ahead_in_slices_records_what_a_straight_run_records() {
        let spike = || {
            let text = include_str!("../scenarios/autoscaling-spike.ron");
            Scenario::parse(text, "autoscaling-spike.ron").expect("shipped scenario parses")
        };
        let mut straight = Playback::new(spike());
        straight.seek(straight.end());
        let mut ahead = Playback::new(spike());
        let mut calls = 0;
        // A few asks per call, the world on screen moving between calls.
        loop {
            let mut asks = 0;
            let done = ahead.run_ahead(&mut || {
                asks += 1;
                asks <= 3
            });
            calls += 1;
            if done {
                break;
            }
            if calls == 40 {
                ahead.seek(SimTime(300_000_000));
            }
        }
        assert!(calls > 100, "the run ahead came in {calls} slices");
        for (a, s) in ahead.tracks.iter().zip(&straight.tracks) {
            assert_eq!(a.events, s.events);
            assert_eq!(a.series.samples, s.series.samples);
            let times = |t: &Track| t.checkpoints.iter().map(|w| (w.now(), w.steps())).collect::<Vec<_>>();
            assert_eq!(times(a), times(s));
        }
        // A jump forward over recorded ground lands where a fresh run does.
        for t in [SimTime(700_000_000), SimTime(200_000_000), straight.end()] {
            ahead.seek(t);
            let mut fresh = Playback::new(spike());
            fresh.seek(t);
            assert_eq!(fingerprint(&ahead), fingerprint(&fresh));
        }
        assert!(ahead.run_ahead(&mut || false));
    }

    #[test]
    fn play_stops_at_a_pausing_lesson_step() {
        let mut p = Playback::new(cold_start());
        p.playing = true;
        p.set_speed(10.0);
        let step = p.advance(1.0).expect("the 2s step pauses");
        assert_eq!(step.at, SimDuration::from_secs(2));
        assert_eq!(p.clock(), SimTime(2_000_000));
        assert!(!p.playing);
        assert!(p.caption().unwrap().caption.contains("already serve"));
    }

    #[test]
    fn step_goes_to_the_next_event_instant() {
        let mut p = Playback::new(cold_start());
        p.step_to_next_event();
        // The launch at 0s was processed when the clock reached 0; the next
        // instant is a pull finishing or a start-up completing.
        assert!(p.clock() > SimTime::ZERO);
        let next = p.tracks.iter().flat_map(|t| t.events.iter().map(|e| e.time)).filter(|&t| t > SimTime::ZERO).min();
        assert_eq!(Some(p.clock()), next);
    }

    #[test]
    fn a_live_action_replays_identically_after_scrubbing_back() {
        let mut p = Playback::new(cold_start());
        p.seek(SimTime(10_000_000));
        p.apply_live(Action::FailHost(HostId(0)));
        p.seek(SimTime(120_000_000));
        let first = fingerprint(&p);
        let events_first = p.tracks[1].events.clone();
        p.seek(SimTime(5_000_000));
        p.seek(SimTime(120_000_000));
        assert_eq!(fingerprint(&p), first);
        assert_eq!(p.tracks[1].events, events_first);
        // The host really failed in every world.
        for t in &p.tracks {
            assert!(!t.world.hosts()[0].up);
        }
        // A scripted run with the same action at the same time agrees.
        let mut scripted = Playback::new(cold_start());
        for t in &mut scripted.tracks {
            t.world.apply_at(SimTime(10_000_000), Action::FailHost(HostId(0)));
            for cp in &mut t.checkpoints {
                cp.apply_at(SimTime(10_000_000), Action::FailHost(HostId(0)));
            }
        }
        scripted.seek(SimTime(120_000_000));
        assert_eq!(fingerprint(&scripted), first);
    }

    #[test]
    fn a_live_action_after_scrubbing_back_rewrites_the_traffic_series() {
        let spike = || {
            let text = include_str!("../scenarios/autoscaling-spike.ron");
            Scenario::parse(text, "autoscaling-spike.ron").expect("shipped scenario parses")
        };
        let (before, after) = (SimTime(660_000_000), SimTime(720_000_000));
        let mut p = Playback::new(spike());
        p.seek(after);
        p.seek(before);
        p.apply_live(Action::FailHost(HostId(0)));
        p.seek(after);
        let mut direct = Playback::new(spike());
        direct.seek(before);
        direct.apply_live(Action::FailHost(HostId(0)));
        direct.seek(after);
        for (a, b) in p.tracks.iter().zip(&direct.tracks) {
            assert_eq!(a.series.load, b.series.load, "{}", a.world.name());
            assert_eq!(a.series.samples, b.series.samples, "{}", a.world.name());
        }
    }

    #[test]
    fn restart_drops_live_actions() {
        let mut p = Playback::new(cold_start());
        p.seek(SimTime(10_000_000));
        p.apply_live(Action::FailHost(HostId(1)));
        p.restart();
        assert!(p.live_actions().is_empty());
        p.seek(SimTime(20_000_000));
        assert!(p.tracks.iter().all(|t| t.world.hosts()[1].up));
    }
}
