//! The placer for worlds without an orchestrator: it checks which hosts have
//! room for an instance and lets a policy choose among them. An instance that
//! fits nowhere waits, and the placer says why in the words Kubernetes uses
//! for the same situation (`0/4 hosts are available: 4 Insufficient memory.`).

mod best_fit;
mod first_fit;
mod spread;

use std::collections::BTreeMap;

use crate::model::spec::PlacementPolicy;
use crate::model::{Bytes, HostId, Millicores};

pub use best_fit::BestFit;
pub use first_fit::FirstFit;
pub use spread::Spread;

/// How full one host would be with the instance on it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Candidate {
    pub host: HostId,
    /// CPU reserved after placement, as a fraction of what may be reserved.
    pub cpu_after: f64,
    /// Memory reserved after placement, as a fraction of the host's memory.
    pub memory_after: f64,
    /// Instances on the host before placement.
    pub instances: u32,
}

/// A placement policy: one per file, each choosing among hosts that fit.
pub trait Policy {
    fn name(&self) -> &'static str;
    /// The chosen host; `candidates` is non-empty and in host order.
    fn choose(&self, candidates: &[Candidate]) -> HostId;
}

pub fn policy(p: PlacementPolicy) -> &'static dyn Policy {
    match p {
        PlacementPolicy::FirstFit => &FirstFit,
        PlacementPolicy::BestFit => &BestFit,
        PlacementPolicy::Spread => &Spread,
    }
}

/// Why a host cannot take an instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Misfit {
    HostDown,
    Occupied,
    InsufficientCpu,
    InsufficientMemory,
    InsufficientDisk,
}

impl Misfit {
    fn phrase(self) -> &'static str {
        match self {
            Misfit::HostDown => "host(s) were down",
            Misfit::Occupied => "host(s) were taken by a dedicated instance",
            Misfit::InsufficientCpu => "Insufficient cpu",
            Misfit::InsufficientMemory => "Insufficient memory",
            Misfit::InsufficientDisk => "Insufficient disk",
        }
    }
}

/// What a host has left, as the placer sees it.
#[derive(Clone, Copy, Debug)]
pub struct Room {
    pub up: bool,
    /// Held whole by a dedicated instance.
    pub occupied: bool,
    pub instances: u32,
    pub cpu_allocatable: Millicores,
    pub cpu_used: Millicores,
    pub memory: Bytes,
    pub memory_used: Bytes,
    pub disk: Bytes,
    /// Disk that cannot be freed: instance disks, pinned and in-flight blobs.
    pub disk_committed: Bytes,
}

/// What an instance needs from a host.
#[derive(Clone, Copy, Debug)]
pub struct Need {
    pub cpu: Millicores,
    pub memory: Bytes,
    /// Its own disk plus the blobs the host would have to fetch for it.
    pub disk: Bytes,
    pub exclusive: bool,
}

/// Whether `room` takes `need`: the candidate if it does, every reason if not.
pub fn fit(host: HostId, room: &Room, need: &Need) -> Result<Candidate, Vec<Misfit>> {
    if !room.up {
        return Err(vec![Misfit::HostDown]);
    }
    if room.occupied || (need.exclusive && room.instances > 0) {
        return Err(vec![Misfit::Occupied]);
    }
    let mut misfits = Vec::new();
    let cpu_after = room.cpu_used.0.saturating_add(need.cpu.0);
    if cpu_after > room.cpu_allocatable.0 {
        misfits.push(Misfit::InsufficientCpu);
    }
    let memory_after = room.memory_used.0.saturating_add(need.memory.0);
    if memory_after > room.memory.0 {
        misfits.push(Misfit::InsufficientMemory);
    }
    if room.disk_committed.0.saturating_add(need.disk.0) > room.disk.0 {
        misfits.push(Misfit::InsufficientDisk);
    }
    if !misfits.is_empty() {
        return Err(misfits);
    }
    Ok(Candidate {
        host,
        cpu_after: cpu_after as f64 / room.cpu_allocatable.0.max(1) as f64,
        memory_after: memory_after as f64 / room.memory.0.max(1) as f64,
        instances: room.instances,
    })
}

/// Counts reasons across hosts and words them as kube-scheduler does:
/// reasons sorted, each with the number of hosts it applies to.
pub fn unavailable_message(total_hosts: usize, misfits: &[Misfit]) -> String {
    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    for m in misfits {
        *counts.entry(m.phrase()).or_insert(0) += 1;
    }
    let parts: Vec<String> = counts.iter().map(|(phrase, n)| format!("{n} {phrase}")).collect();
    format!("0/{total_hosts} hosts are available: {}.", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room(cpu_used: u64, memory_used: u64) -> Room {
        Room {
            up: true,
            occupied: false,
            instances: 1,
            cpu_allocatable: Millicores(4_000),
            cpu_used: Millicores(cpu_used),
            memory: Bytes(1_000),
            memory_used: Bytes(memory_used),
            disk: Bytes(1_000),
            disk_committed: Bytes(0),
        }
    }

    #[test]
    fn reports_every_missing_resource() {
        let need = Need { cpu: Millicores(1_000), memory: Bytes(500), disk: Bytes(0), exclusive: false };
        let err = fit(HostId(0), &room(3_500, 600), &need).unwrap_err();
        assert_eq!(err, vec![Misfit::InsufficientCpu, Misfit::InsufficientMemory]);
    }

    #[test]
    fn message_counts_and_sorts_reasons_like_kube_scheduler() {
        let m = unavailable_message(
            4,
            &[Misfit::InsufficientMemory, Misfit::InsufficientCpu, Misfit::InsufficientMemory, Misfit::HostDown],
        );
        assert_eq!(m, "0/4 hosts are available: 1 Insufficient cpu, 2 Insufficient memory, 1 host(s) were down.");
    }

    #[test]
    fn policies_choose_first_fullest_and_emptiest() {
        let c = |h, cpu, mem, n| Candidate { host: HostId(h), cpu_after: cpu, memory_after: mem, instances: n };
        let cands = [c(0, 0.5, 0.5, 2), c(1, 0.9, 0.8, 5), c(2, 0.1, 0.2, 0)];
        assert_eq!(FirstFit.choose(&cands), HostId(0));
        assert_eq!(BestFit.choose(&cands), HostId(1));
        assert_eq!(Spread.choose(&cands), HostId(2));
    }
}
