//! Typed indices into the model's vectors. An id is only meaningful within the
//! [`super::spec::Setup`] or world that issued it.

use serde::Serialize;

macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        pub struct $name(pub u32);

        impl $name {
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
    };
}

id!(
    /// A physical host.
    HostId
);
id!(
    /// An application definition.
    AppId
);
id!(
    /// A container image.
    ImageId
);
id!(
    /// A VM disk image.
    VmImageId
);
id!(
    /// Something fetched from the registry and kept in a host's cache: an image
    /// layer or a VM disk image.
    BlobId
);
id!(
    /// One instance (a VM, a container, a microVM or a pod) in one world.
    InstanceId
);
id!(
    /// What an instance belongs to in one world: an app, or a Deployment.
    WorkloadId
);
id!(
    /// What an instance reserves, in one world's table of demands.
    DemandId
);
