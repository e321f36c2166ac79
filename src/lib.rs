//! Flotilla: an educational simulator of virtual machines, containers and a
//! Kubernetes-style cluster. A scenario file declares hosts, images, apps and a
//! timeline once, and several worlds that run them differently; each world is
//! a deterministic discrete-event simulation whose events feed metrics,
//! reports, expectations and the animated front end.
//!
//! Layers, lowest first: [`engine`] (time, queue, randomness), [`model`]
//! (state), [`behaviours`] (the moving parts), [`world`] (one simulation),
//! [`scenario`] (files, validation, expectations), [`metrics`], [`run`] and
//! [`report`], then the faces: `cli` and, with the `gui` feature, `gui`.

pub mod behaviours;
pub mod engine;
pub mod metrics;
pub mod model;
pub mod playback;
pub mod report;
pub mod run;
pub mod scenario;
pub mod world;

#[cfg(not(target_arch = "wasm32"))]
pub mod cli;

#[cfg(feature = "gui")]
pub mod gui;
