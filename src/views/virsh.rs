//! `virsh list` on a hypervisor of a VMs world: the domains libvirt holds on
//! that host, as `vshTable` prints them.
//!
//! A VM's domain is defined and started once its disk image is on the host;
//! it is `running` while the guest boots and serves, `in shutdown` while it
//! stops, and, with `--all`, `shut off` once stopped or lost with its host.
//! libvirt numbers running domains from 1 in the order they start, anew
//! each time libvirtd starts, that is after the host comes back.

use super::text::vsh_table;
use super::{Output, Snapshot, ViewError};
use crate::engine::SimTime;
use crate::model::Phase;
use crate::model::spec::Platform;

/// `virsh list [--all]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct List {
    pub all: bool,
}

/// Reads `list` and `list --all`.
pub fn parse(args: &[String]) -> Result<List, ViewError> {
    let usage = "flotilla's virsh knows: list [--all]";
    let Some((verb, rest)) = args.split_first() else {
        return Err(ViewError::Tool(format!("error: no command given; {usage}")));
    };
    if verb != "list" {
        return Err(ViewError::Tool(format!("error: unknown command: '{verb}'; {usage}")));
    }
    let mut all = false;
    for a in rest {
        match a.as_str() {
            "--all" | "-a" => all = true,
            other => {
                return Err(ViewError::Tool(format!("error: command 'list' doesn't support option {other}; {usage}")));
            }
        }
    }
    Ok(List { all })
}

/// `virsh list` on `host` at the snapshot's time.
pub fn run(s: &Snapshot, host_name: &str, list: List) -> Result<Output, ViewError> {
    let world = &s.world;
    if !matches!(world.spec().platform, Platform::Vms(_)) {
        let hint = match &world.spec().platform {
            Platform::Kubernetes(_) => "; ask the cluster with `flotilla kubectl`",
            Platform::Containers(_) => "; its hosts answer `flotilla docker … ps`",
            _ => "",
        };
        return Err(ViewError::WrongPlatform {
            world: world.name().to_string(),
            platform: super::platform_words(world),
            tool: "virsh",
            needs: "lists the libvirt domains of a VMs world",
            hint: hint.to_string(),
        });
    }
    let h = super::docker::host(s, host_name)?;
    let state = &world.hosts()[h.index()];
    if !state.up || !state.powered {
        return Err(ViewError::Tool(format!(
            "error: failed to connect to the hypervisor\n\
             error: Failed to connect socket to '/var/run/libvirt/libvirt-sock': Connection refused\n\
             (host {host_name} is {} at {})",
            if state.up { "powered off" } else { "down" },
            s.now()
        )));
    }
    let now = s.now();
    let on_host: Vec<&crate::model::Instance> = world.instances().iter().filter(|i| i.host == Some(h)).collect();
    // libvirtd started last when the host last came back: after the latest
    // instant at which instances on it were lost with it.
    let libvirtd_since = on_host
        .iter()
        .filter(|i| i.phase == Phase::Failed)
        .filter_map(|i| i.entered(Phase::Failed))
        .filter(|t| *t <= now)
        .max()
        .unwrap_or(SimTime::ZERO);
    let mut started: Vec<(SimTime, u32)> = on_host
        .iter()
        .filter_map(|i| i.history.iter().find(|(p, _)| *p == Phase::Booting).map(|&(_, t)| (t, i.id.0)))
        .filter(|(t, _)| *t >= libvirtd_since)
        .collect();
    started.sort_unstable();
    let mut active = Vec::new();
    let mut inactive = Vec::new();
    for inst in &on_host {
        let Some(booted) = inst.entered(Phase::Booting) else { continue };
        let state = match inst.phase {
            Phase::Booting | Phase::Starting | Phase::Running => "running",
            Phase::Stopping => "in shutdown",
            Phase::Stopped | Phase::Failed => "shut off",
            _ => continue,
        };
        if state == "shut off" {
            if list.all {
                inactive.push(vec!["-".to_string(), inst.name.clone(), state.to_string()]);
            }
            continue;
        }
        let id = started.iter().position(|&x| x == (booted, inst.id.0)).map_or(0, |p| p + 1);
        active.push((id, vec![id.to_string(), inst.name.clone(), state.to_string()]));
    }
    active.sort_by_key(|(id, _)| *id);
    inactive.sort_by(|a, b| a[1].cmp(&b[1]));
    let rows: Vec<Vec<String>> = active.into_iter().map(|(_, r)| r).chain(inactive).collect();
    // virsh ends the listing with an empty line.
    let mut text = vsh_table(&["Id", "Name", "State"], &rows);
    text.push('\n');
    Ok(Output::out(text))
}
