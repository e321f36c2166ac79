//! The state a world simulates: hosts, images and their layers, the registry,
//! and instances. Plain data with typed ids into vectors.

pub mod cache;
pub mod ids;
pub mod instance;
pub mod quantity;
pub mod spec;

pub use ids::{AppId, BlobId, HostId, ImageId, InstanceId, VmImageId};
pub use instance::{Demand, Instance, Phase};
pub use quantity::{Bytes, BytesPerSecond, Millicores};
