//! `docker ps` on a host of a containers world: the containers on that host,
//! newest first, as the docker CLI's table formatter prints them.
//!
//! A container exists from the moment the runtime creates it (the world's
//! `Starting`), is `Up` from when it runs, and, with `-a`, `Exited` once
//! stopped: `(0)` after a `docker stop`, `(255)` when its host went down
//! under it, as dockerd marks containers it finds dead after a crash.

use super::text::{TabWriter, derived_hex, docker_duration};
use super::{Output, Snapshot, ViewError};
use crate::model::spec::Platform;
use crate::model::{HostId, Phase};

/// `docker ps [-a]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ps {
    pub all: bool,
}

/// Reads `ps`, `ps -a`, `ps --all`.
pub fn parse(args: &[String]) -> Result<Ps, ViewError> {
    let usage = "flotilla's docker knows: ps [-a]";
    let Some((verb, rest)) = args.split_first() else {
        return Err(ViewError::Tool(format!("no command given; {usage}")));
    };
    if verb != "ps" {
        return Err(ViewError::Tool(format!("docker: '{verb}' is not a docker command known here; {usage}")));
    }
    let mut all = false;
    for a in rest {
        match a.as_str() {
            "-a" | "--all" => all = true,
            other => return Err(ViewError::Tool(format!("unknown flag: {other}; {usage}"))),
        }
    }
    Ok(Ps { all })
}

/// The docker CLI's short container ID: 12 hex digits, here derived from
/// the world and the container's name.
pub fn container_id(world: &str, name: &str) -> String {
    derived_hex(&["docker container", world, name])[..12].to_string()
}

/// Finds a host by name, or says which exist.
pub(super) fn host(s: &Snapshot, name: &str) -> Result<HostId, ViewError> {
    let hosts = &s.world.setup().hosts;
    match hosts.iter().position(|h| h.name == name) {
        Some(i) => Ok(HostId(i as u32)),
        None => {
            let mut known: Vec<&str> = hosts.iter().take(12).map(|h| h.name.as_str()).collect();
            if hosts.len() > 12 {
                known.push("…");
            }
            Err(ViewError::UnknownHost {
                name: name.to_string(),
                world: s.world.name().to_string(),
                known: known.join(", "),
            })
        }
    }
}

/// `docker ps` on `host` at the snapshot's time.
pub fn run(s: &Snapshot, host_name: &str, ps: Ps) -> Result<Output, ViewError> {
    let world = &s.world;
    if !matches!(world.spec().platform, Platform::Containers(_)) {
        let hint = match &world.spec().platform {
            Platform::Kubernetes(_) => "; ask the cluster with `flotilla kubectl`",
            Platform::Vms(_) => "; its hypervisors answer `flotilla virsh … list`",
            _ => "",
        };
        return Err(ViewError::WrongPlatform {
            world: world.name().to_string(),
            platform: super::platform_words(world),
            tool: "docker",
            needs: "lists the containers of a containers world",
            hint: hint.to_string(),
        });
    }
    let h = host(s, host_name)?;
    let state = &world.hosts()[h.index()];
    if !state.up || !state.powered {
        return Err(ViewError::Tool(format!(
            "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n\
             (host {host_name} is {} at {})",
            if state.up { "powered off" } else { "down" },
            s.now()
        )));
    }
    let now = s.now();
    let mut rows: Vec<(crate::engine::SimTime, u32, Vec<String>)> = Vec::new();
    for inst in world.instances().iter().filter(|i| i.host == Some(h)) {
        // A container exists once the runtime has created it.
        let Some(created) = inst.history.iter().find(|(p, _)| *p == Phase::Starting).map(|&(_, t)| t) else {
            continue;
        };
        let since = |p: Phase| now.since(inst.entered(p).unwrap_or(now));
        let status = match inst.phase {
            Phase::Running | Phase::Stopping => format!("Up {}", docker_duration(since(Phase::Running))),
            Phase::Starting if ps.all => "Created".to_string(),
            Phase::Stopped if ps.all => format!("Exited (0) {} ago", docker_duration(since(Phase::Stopped))),
            Phase::Failed if ps.all => format!("Exited (255) {} ago", docker_duration(since(Phase::Failed))),
            _ => continue,
        };
        let image = match world.workload(inst.workload).app {
            Some(app) => world.setup().images[world.setup().apps[app.index()].image.index()].name.clone(),
            None => String::new(),
        };
        rows.push((
            created,
            inst.id.0,
            vec![
                container_id(world.name(), &inst.name),
                image,
                // The simulation runs no commands: the quoted command is empty.
                "\"\"".to_string(),
                format!("{} ago", docker_duration(now.since(created))),
                status,
                String::new(),
                inst.name.clone(),
            ],
        ));
    }
    // Newest first, as dockerd lists them.
    rows.sort_by_key(|r| std::cmp::Reverse((r.0, r.1)));
    let mut text = String::from("CONTAINER ID\tIMAGE\tCOMMAND\tCREATED\tSTATUS\tPORTS\tNAMES\n");
    for (_, _, row) in rows {
        text.push_str(&row.join("\t"));
        text.push('\n');
    }
    Ok(Output::out(TabWriter::DOCKER.format(&text)))
}
