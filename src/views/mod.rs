//! What the real tools print about a world at a simulated time: `kubectl`
//! for a Kubernetes world, `docker ps` on a host of a containers world,
//! `virsh list` on a hypervisor of a VMs world. Each view is a pure function
//! from a [`Snapshot`] (a world at a time and what a cluster would have
//! recorded on the way there) to the text the tool prints, laid out as the
//! tool lays it out ([`text`]), so the command line and the app show the same.
//!
//! Where the simulation has no value for a field (a pod's IP, a container's
//! ID, an image digest), it is derived deterministically from what it does
//! have and the README says how, or the view shows what the tool shows for a
//! missing value (`<none>`, `<unknown>`).

pub mod docker;
pub mod kubectl;
pub mod record;
pub mod text;
pub mod virsh;
pub mod yaml;

use crate::engine::SimTime;
use crate::scenario::Scenario;
use crate::world::World;

pub use record::Recorder;

/// What a command prints: its standard output and its standard error
/// (kubectl says `No resources found` on standard error).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Output {
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn out(stdout: String) -> Output {
        Output { stdout, stderr: String::new() }
    }
}

/// Why a view cannot be shown: an unknown world, host or object, a command
/// the tool would refuse, or a world the tool does not apply to.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ViewError {
    #[error("no world named \"{name}\" in this scenario; its worlds are: {known}")]
    UnknownWorld { name: String, known: String },
    #[error("{at} is after the end of the run ({end}); give a time from 0s to {end}")]
    AfterEnd { at: String, end: String },
    #[error("world \"{world}\" runs {platform}, not Kubernetes: it has no API server for kubectl to talk to{hint}")]
    NotKubernetes { world: String, platform: &'static str, hint: String },
    #[error("world \"{world}\" runs {platform}: {tool} {needs}{hint}")]
    WrongPlatform { world: String, platform: &'static str, tool: &'static str, needs: &'static str, hint: String },
    #[error("no host named \"{name}\" in world \"{world}\"; its hosts are: {known}")]
    UnknownHost { name: String, world: String, known: String },
    /// The tool's own error, in its words (`Error from server (NotFound): …`).
    #[error("{0}")]
    Tool(String),
}

/// A world at a simulated time, with what its cluster recorded on the way.
#[derive(Clone, Debug)]
pub struct Snapshot {
    pub world: World,
    pub recorder: Recorder,
}

impl Snapshot {
    /// Runs world `name` of `scenario` to `at` (its events at `at` included),
    /// recording as it goes. The run is the same as any other run of the world.
    pub fn take(scenario: &Scenario, name: &str, at: SimTime) -> Result<Snapshot, ViewError> {
        Snapshot::take_with(scenario, name, at, &[])
    }

    /// [`Snapshot::take`] with actions taken live (in the app) at their times,
    /// as the app's worlds took them.
    pub fn take_with(
        scenario: &Scenario,
        name: &str,
        at: SimTime,
        live: &[(SimTime, crate::model::spec::Action)],
    ) -> Result<Snapshot, ViewError> {
        let Some(spec) = scenario.worlds.iter().find(|w| w.name == name) else {
            return Err(ViewError::UnknownWorld { name: name.to_string(), known: scenario.world_names().join(", ") });
        };
        let end = SimTime::ZERO + scenario.setup.duration;
        if at > end {
            return Err(ViewError::AfterEnd { at: at.to_string(), end: end.to_string() });
        }
        let mut world = World::new(scenario.setup.clone(), spec.clone());
        for (t, action) in live {
            world.apply_at(*t, action.clone());
        }
        let mut recorder = Recorder::new(&world);
        while let Some(t) = world.next_event_time() {
            if t > at {
                break;
            }
            world.step();
            let events = world.drain_events();
            recorder.observe(&world, &events);
            world.drain_dirty_hosts();
        }
        world.run_until(at);
        Ok(Snapshot { world, recorder })
    }

    pub fn now(&self) -> SimTime {
        self.world.now()
    }
}

/// Runs a command line of `tool` (its arguments, without the tool's name) on
/// a snapshot, as `flotilla kubectl|docker|virsh` does; `host` is the host
/// `docker` and `virsh` run on.
pub fn run(snapshot: &Snapshot, tool: Tool, host: Option<&str>, args: &[String]) -> Result<Output, ViewError> {
    match tool {
        Tool::Kubectl => kubectl::run(snapshot, &kubectl::parse(args)?),
        Tool::Docker => docker::run(snapshot, host.unwrap_or_default(), docker::parse(args)?),
        Tool::Virsh => virsh::run(snapshot, host.unwrap_or_default(), virsh::parse(args)?),
    }
}

/// The tools a world can be asked with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    Kubectl,
    Docker,
    Virsh,
}

impl Tool {
    pub fn name(self) -> &'static str {
        match self {
            Tool::Kubectl => "kubectl",
            Tool::Docker => "docker",
            Tool::Virsh => "virsh",
        }
    }

    /// Whether the tool applies to a world of this platform.
    pub fn fits(self, platform: &crate::model::spec::Platform) -> bool {
        use crate::model::spec::Platform;
        matches!(
            (self, platform),
            (Tool::Kubectl, Platform::Kubernetes(_))
                | (Tool::Docker, Platform::Containers(_))
                | (Tool::Virsh, Platform::Vms(_))
        )
    }

    /// The world a command names, or, when it names none, the scenario's only
    /// world the tool applies to.
    pub fn world<'a>(self, scenario: &'a Scenario, name: Option<&'a str>) -> Result<&'a str, ViewError> {
        if let Some(name) = name {
            return Ok(name);
        }
        let fitting: Vec<&str> =
            scenario.worlds.iter().filter(|w| self.fits(&w.platform)).map(|w| w.name.as_str()).collect();
        match fitting.as_slice() {
            [one] => Ok(one),
            [] => Err(ViewError::Tool(format!(
                "error: no world of this scenario is one {} applies to (its worlds: {}); name one with --world",
                self.name(),
                scenario.world_names().join(", ")
            ))),
            many => Err(ViewError::Tool(format!(
                "error: several worlds fit {}: {}; name one with --world",
                self.name(),
                many.join(", ")
            ))),
        }
    }
}

/// The name of a platform for messages: `virtual machines`, `containers`, …
fn platform_words(world: &World) -> &'static str {
    world.spec().platform.description()
}
