//! The moving parts, one module per real component.

pub mod bare_metal;
pub mod container_runtime;
pub mod controllers;
pub mod hpa;
pub mod hypervisor;
pub mod kubelet;
pub mod placement;
pub mod power;
pub mod queueing;
pub mod registry;
pub mod scheduler;

use crate::model::Demand;
use crate::model::spec::{AppSpec, ContainerPlatform, Platform, Setup};

/// What an instance of `app` reserves on `platform`.
pub fn demand(platform: &Platform, app: &AppSpec, setup: &Setup) -> Demand {
    match platform {
        Platform::Vms(p) => hypervisor::vm_demand(p, app, setup),
        Platform::Containers(p) => container_runtime::container_demand(p, app, setup),
        Platform::MicroVms(p) => hypervisor::microvm_demand(p, app, setup),
        Platform::Dedicated(_) => bare_metal::dedicated_demand(app),
        Platform::Kubernetes(k) => {
            let runtime = ContainerPlatform {
                runtime_overhead: k.runtime_overhead,
                start_time: k.container_start_time.clone(),
                stop_time: k.container_stop_time.clone(),
            };
            container_runtime::container_demand(&runtime, app, setup)
        }
    }
}
