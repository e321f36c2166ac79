//! The hypervisor: a virtual machine carries a whole guest operating system.
//!
//! A VM reserves whole virtual CPUs, the app's memory plus the guest OS's and
//! the hypervisor process's, and a disk of its own (a copy-on-write overlay on
//! a disk image the host fetches once). Then it boots a kernel and an init
//! system, which takes seconds. A microVM (Firecracker-like) is the same idea
//! cut to the bone: a tiny VMM, a minimal guest, a boot in about 125 ms, and
//! the app's container image instead of a disk image.

use crate::model::spec::{AppSpec, MicroVmPlatform, Setup, VmPlatform};
use crate::model::{Bytes, Demand, Millicores};

/// Whole virtual CPUs: a VM cannot have half a core.
pub fn whole_vcpus(cpu: Millicores) -> Millicores {
    Millicores(cpu.0.div_ceil(1000).max(1) * 1000)
}

/// What a VM running `app` reserves.
pub fn vm_demand(p: &VmPlatform, app: &AppSpec, setup: &Setup) -> Demand {
    let overhead = Bytes(p.guest_os_memory.0 + p.hypervisor_overhead.0);
    let (disk, blobs) = match app.vm_image {
        Some(id) => {
            let image = &setup.vm_images[id.index()];
            (Bytes(image.virtual_size.0.max(app.disk.0)), vec![image.blob])
        }
        None => (app.disk, Vec::new()),
    };
    Demand {
        cpu: whole_vcpus(app.cpu),
        memory: Bytes(app.memory.0 + overhead.0),
        overhead_memory: overhead,
        disk,
        blobs,
        exclusive: false,
    }
}

/// What a microVM running `app`'s container image reserves.
pub fn microvm_demand(p: &MicroVmPlatform, app: &AppSpec, setup: &Setup) -> Demand {
    let overhead = Bytes(p.guest_os_memory.0 + p.vmm_overhead.0);
    Demand {
        cpu: whole_vcpus(app.cpu),
        memory: Bytes(app.memory.0 + overhead.0),
        overhead_memory: overhead,
        disk: app.disk,
        blobs: setup.images[app.image.index()].layers.clone(),
        exclusive: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vcpus_round_up_to_whole_cores() {
        assert_eq!(whole_vcpus(Millicores(500)), Millicores(1000));
        assert_eq!(whole_vcpus(Millicores(1000)), Millicores(1000));
        assert_eq!(whole_vcpus(Millicores(1001)), Millicores(2000));
        assert_eq!(whole_vcpus(Millicores(0)), Millicores(1000));
    }
}
