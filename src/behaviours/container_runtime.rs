//! The container runtime (containerd + runc-like): a container is a process in
//! its own namespaces and cgroup, sharing the host's kernel. It reserves the
//! CPU and memory the app asks for, fractions of a core included, plus a small
//! per-container shim; its image is a stack of layers pulled through the
//! host's layer cache; starting it takes a fraction of a second.

use crate::model::spec::{AppSpec, ContainerPlatform, Setup};
use crate::model::{Bytes, Demand};

/// What a container running `app` reserves.
pub fn container_demand(p: &ContainerPlatform, app: &AppSpec, setup: &Setup) -> Demand {
    Demand {
        cpu: app.cpu,
        memory: Bytes(app.memory.0 + p.runtime_overhead.0),
        overhead_memory: p.runtime_overhead,
        disk: app.disk,
        blobs: setup.images[app.image.index()].layers.clone(),
        exclusive: false,
    }
}
