//! The scenario file as written: RON read by serde, with no checks beyond syntax.
//!
//! Every struct refuses unknown fields, so a misspelt field is an error with its
//! line and column rather than a silently ignored setting. [`super::validate`]
//! turns a `ScenarioFile` into a checked [`super::Scenario`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::engine::{Distribution, SimDuration};
use crate::model::quantity::{Bytes, BytesPerSecond, Millicores};
pub use crate::model::spec::PlacementPolicy;

/// A whole scenario file.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename = "Scenario", deny_unknown_fields)]
pub struct ScenarioFile {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub seed: u64,
    pub duration: SimDuration,
    #[serde(default)]
    pub registry: Option<RegistryFile>,
    pub hosts: Vec<HostGroupFile>,
    #[serde(default)]
    pub images: Vec<ImageFile>,
    #[serde(default)]
    pub vm_images: Vec<VmImageFile>,
    pub apps: Vec<AppFile>,
    pub worlds: Vec<WorldFile>,
    #[serde(default)]
    pub timeline: Vec<At>,
    #[serde(default)]
    pub lesson: Vec<Step>,
    #[serde(default)]
    pub expect: Vec<String>,
}

/// The image registry every host pulls from.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename = "Registry", deny_unknown_fields)]
pub struct RegistryFile {
    /// Total bandwidth the registry serves, shared by all pulls; unlimited when absent.
    #[serde(default)]
    pub bandwidth: Option<BytesPerSecond>,
    /// Blob downloads served at once; further ones queue. Unlimited when absent.
    #[serde(default)]
    pub max_concurrent_pulls: Option<u32>,
}

/// `count` identical hosts named `NAME-1` … `NAME-count`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename = "HostGroup", deny_unknown_fields)]
pub struct HostGroupFile {
    pub name: String,
    #[serde(default = "one")]
    pub count: u32,
    pub cpu: Millicores,
    pub memory: Bytes,
    #[serde(default)]
    pub disk: Option<Bytes>,
    #[serde(default)]
    pub nic: Option<BytesPerSecond>,
    #[serde(default)]
    pub power: Option<PowerFile>,
    /// Room for image layers and VM disk images; the whole disk when absent.
    #[serde(default)]
    pub image_cache: Option<Bytes>,
    /// Images (container or VM) already on every host of the group at the start.
    #[serde(default)]
    pub cached_images: Vec<String>,
    #[serde(default)]
    pub zone: Option<String>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

fn one() -> u32 {
    1
}

/// The linear power model: `idle_watts + (peak_watts − idle_watts) × utilisation`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename = "Power", deny_unknown_fields)]
pub struct PowerFile {
    pub idle_watts: f64,
    pub peak_watts: f64,
}

/// A container image: its own layers on top of an optional base image's.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename = "Image", deny_unknown_fields)]
pub struct ImageFile {
    pub name: String,
    #[serde(default)]
    pub base: Option<String>,
    /// Compressed sizes of the layers this image adds, bottom first.
    pub layers: Vec<Bytes>,
}

/// A virtual machine disk image (for example a qcow2 file).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename = "VmImage", deny_unknown_fields)]
pub struct VmImageFile {
    pub name: String,
    /// Bytes fetched to a host the first time a VM uses it.
    pub size: Bytes,
    /// Disk each VM reserves for its own copy-on-write disk.
    pub virtual_size: Bytes,
}

/// An application: what runs in each instance, and what it asks for.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename = "App", deny_unknown_fields)]
pub struct AppFile {
    pub name: String,
    pub image: String,
    /// The VM disk image used when this app runs as a VM.
    #[serde(default)]
    pub vm_image: Option<String>,
    pub cpu: Millicores,
    pub memory: Bytes,
    /// Writable disk per instance (a container's writable layer).
    #[serde(default)]
    pub disk: Option<Bytes>,
}

/// One world: the scenario's hosts and apps on one platform.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename = "World", deny_unknown_fields)]
pub struct WorldFile {
    pub name: String,
    pub platform: PlatformFile,
    #[serde(default)]
    pub placement: Option<PlacementPolicy>,
    /// Virtual CPUs allowed per physical core (OpenStack's `cpu_allocation_ratio`); 1.0 when absent.
    #[serde(default)]
    pub cpu_allocation_ratio: Option<f64>,
    /// When set, an instance lost with its host is launched again elsewhere after this delay.
    #[serde(default)]
    pub replace_failed_after: Option<SimDuration>,
    /// Images (container or VM) already in every host's cache in this world.
    #[serde(default)]
    pub preloaded_images: Vec<String>,
    /// Actions for this world only, on top of the scenario's timeline.
    #[serde(default)]
    pub timeline: Vec<At>,
}

/// How instances of an app are run on the hosts.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub enum PlatformFile {
    /// Full virtual machines on a hypervisor (KVM/QEMU-like).
    Vms {
        #[serde(default)]
        hypervisor_overhead: Option<Bytes>,
        #[serde(default)]
        guest_os_memory: Option<Bytes>,
        #[serde(default)]
        boot_time: Option<Distribution>,
        #[serde(default)]
        stop_time: Option<Distribution>,
    },
    /// Containers sharing the host kernel (containerd + runc-like).
    Containers {
        #[serde(default)]
        runtime_overhead: Option<Bytes>,
        #[serde(default)]
        start_time: Option<Distribution>,
        #[serde(default)]
        stop_time: Option<Distribution>,
    },
    /// Firecracker-like microVMs running the container image.
    MicroVms {
        #[serde(default)]
        vmm_overhead: Option<Bytes>,
        #[serde(default)]
        guest_os_memory: Option<Bytes>,
        #[serde(default)]
        boot_time: Option<Distribution>,
        #[serde(default)]
        start_time: Option<Distribution>,
        #[serde(default)]
        stop_time: Option<Distribution>,
    },
    /// One instance per physical server.
    Dedicated {
        boot_time: Distribution,
        #[serde(default)]
        stop_time: Option<Distribution>,
    },
}

/// A timeline entry: an action at a time.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename = "At")]
pub struct At(pub SimDuration, pub ActionFile);

/// Something that happens to every world at a given time.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub enum ActionFile {
    /// Ask for `count` more instances of an app.
    Launch { app: String, count: u32 },
    /// Stop `count` instances of an app, those not yet running first, newest first.
    Stop { app: String, count: u32 },
    /// The host goes down with everything on it.
    FailHost(String),
    /// The host comes back, empty but with its image cache.
    RecoverHost(String),
}

/// A lesson caption shown at a time, optionally pausing the clock.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename = "Step", deny_unknown_fields)]
pub struct Step {
    pub at: SimDuration,
    pub caption: String,
    #[serde(default)]
    pub pause: bool,
}
