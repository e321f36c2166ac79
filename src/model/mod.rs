//! The state a world simulates: hosts, images and their layers, the registry,
//! and instances. Plain data with typed ids into vectors.

pub mod cache;
pub mod event;
pub mod hpa;
pub mod ids;
pub mod instance;
pub mod kube;
pub mod kube_rules;
pub mod quantity;
pub mod scheduler_profile;
pub mod spec;
pub mod traffic;

pub use ids::{AppId, BlobId, DemandId, HostId, ImageId, InstanceId, VmImageId, WorkloadId};
pub use instance::{Demand, Instance, InstanceSet, Phase};
pub use quantity::{Bytes, BytesPerSecond, Millicores};
