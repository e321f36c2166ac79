//! An instance: one VM, container, microVM or dedicated server running an app,
//! with the timestamp of every phase it went through.

use serde::Serialize;

use crate::engine::SimTime;

use super::ids::{BlobId, DemandId, HostId, InstanceId, WorkloadId};
use super::quantity::{Bytes, Millicores};

/// Where an instance is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Phase {
    /// Asked for, but no host has room yet.
    WaitingForPlacement,
    /// On a host, waiting for its image layers or VM disk image.
    FetchingImage,
    /// A VM, microVM or server booting its kernel and operating system.
    Booting,
    /// A container's runtime creating and starting it.
    Starting,
    Running,
    /// Kubernetes' `Unknown`: its node stopped reporting; the control plane
    /// does not know yet that it is gone.
    Unknown,
    Stopping,
    Stopped,
    /// Lost with its host, or evicted from a lost node.
    Failed,
}

impl Phase {
    pub const ALL: [Phase; 9] = [
        Phase::WaitingForPlacement,
        Phase::FetchingImage,
        Phase::Booting,
        Phase::Starting,
        Phase::Running,
        Phase::Unknown,
        Phase::Stopping,
        Phase::Stopped,
        Phase::Failed,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Phase::WaitingForPlacement => "WaitingForPlacement",
            Phase::FetchingImage => "FetchingImage",
            Phase::Booting => "Booting",
            Phase::Starting => "Starting",
            Phase::Running => "Running",
            Phase::Unknown => "Unknown",
            Phase::Stopping => "Stopping",
            Phase::Stopped => "Stopped",
            Phase::Failed => "Failed",
        }
    }

    /// Launched but not running yet.
    pub fn is_pending(self) -> bool {
        matches!(self, Phase::WaitingForPlacement | Phase::FetchingImage | Phase::Booting | Phase::Starting)
    }

    /// Gone for good.
    pub fn is_terminal(self) -> bool {
        matches!(self, Phase::Stopped | Phase::Failed)
    }
}

/// What an instance reserves on its host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Demand {
    pub cpu: Millicores,
    /// All memory reserved: the app's plus the overhead.
    pub memory: Bytes,
    /// The part of `memory` that goes to guest OSes, hypervisors and runtimes.
    pub overhead_memory: Bytes,
    /// Disk reserved for the instance itself (a VM's disk, a container's writable layer).
    pub disk: Bytes,
    /// What must be in the host's cache before it can start.
    pub blobs: Vec<BlobId>,
    /// Takes the whole host (a dedicated server).
    pub exclusive: bool,
}

/// One instance and its history.
#[derive(Clone, Debug)]
pub struct Instance {
    pub id: InstanceId,
    /// `app-N`, N counting the workload's instances from 1 in this world.
    pub name: String,
    /// The app or Deployment it belongs to.
    pub workload: WorkloadId,
    /// What it reserves on its host.
    pub demand: DemandId,
    pub host: Option<HostId>,
    pub phase: Phase,
    pub launched_at: SimTime,
    /// Every phase entered, with when.
    pub history: Vec<(Phase, SimTime)>,
    /// Why it is waiting for placement, in the placer's words.
    pub wait_reason: Option<String>,
    /// Blobs it is still waiting for while fetching.
    pub blobs_outstanding: u32,
    /// The instance this one replaces after a host failure.
    pub replaces: Option<InstanceId>,
    /// When the current timed phase (a boot, a start, a stop) will end.
    pub phase_ends_at: Option<SimTime>,
}

impl Instance {
    /// When it entered `phase`, the last time it did.
    pub fn entered(&self, phase: Phase) -> Option<SimTime> {
        self.history.iter().rev().find(|(p, _)| *p == phase).map(|&(_, t)| t)
    }

    /// Launch request to running, if it got there.
    pub fn startup_time(&self) -> Option<crate::engine::SimDuration> {
        self.entered(Phase::Running).map(|t| t.since(self.launched_at))
    }
}

/// A set of instances kept as a sorted vector: small sets (a host's
/// instances, a node's pods) iterate in id order without chasing pointers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InstanceSet(Vec<InstanceId>);

impl InstanceSet {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `id`; whether it was not there yet.
    pub fn insert(&mut self, id: InstanceId) -> bool {
        // Ids grow over time, so most insertions are at the end.
        if self.0.last().is_none_or(|&last| last < id) {
            self.0.push(id);
            return true;
        }
        match self.0.binary_search(&id) {
            Ok(_) => false,
            Err(at) => {
                self.0.insert(at, id);
                true
            }
        }
    }

    /// Removes `id`; whether it was there.
    pub fn remove(&mut self, id: &InstanceId) -> bool {
        match self.0.binary_search(id) {
            Ok(at) => {
                self.0.remove(at);
                true
            }
            Err(_) => false,
        }
    }

    pub fn contains(&self, id: &InstanceId) -> bool {
        self.0.binary_search(id).is_ok()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, InstanceId> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn clear(&mut self) {
        self.0.clear();
    }

    /// The smallest id.
    pub fn first(&self) -> Option<&InstanceId> {
        self.0.first()
    }

    pub fn as_slice(&self) -> &[InstanceId] {
        &self.0
    }
}

impl<'a> IntoIterator for &'a InstanceSet {
    type Item = &'a InstanceId;
    type IntoIter = std::slice::Iter<'a, InstanceId>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}
