//! The moving parts, one module per real component.

#[allow(clippy::expect_used, reason = "invariants of the cluster's own state, checked by the property tests")]
pub mod api_server;
pub mod bare_metal;
#[allow(clippy::expect_used, reason = "invariants of the cluster's own state, checked by the property tests")]
pub mod cluster;
#[allow(clippy::expect_used, reason = "invariants of the cluster's own state, checked by the property tests")]
pub mod cluster_autoscaler;
pub mod container_runtime;
#[allow(clippy::expect_used, reason = "invariants of the cluster's own state, checked by the property tests")]
pub mod controllers;
#[allow(clippy::expect_used, reason = "invariants of the cluster's own state, checked by the property tests")]
pub mod hpa;
pub mod hypervisor;
#[allow(clippy::expect_used, reason = "invariants of the cluster's own state, checked by the property tests")]
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
