//! Flotilla: an educational simulator of virtual machines, containers and a
//! Kubernetes-style cluster. A scenario file declares hosts, images, apps and a
//! timeline once, and several worlds that run them differently; each world is
//! a deterministic discrete-event simulation whose events feed metrics,
//! reports, expectations and the animated front end.
//!
//! Layers, lowest first: [`engine`] (time, queue, randomness), [`model`]
//! (state), [`behaviours`] (the moving parts), [`world`] (one simulation),
//! [`scenario`] (files, validation, expectations), [`metrics`], [`run`],
//! [`report`] and [`views`] (what kubectl, docker and virsh would print), then the faces: `cli` and, with the `gui` feature, `gui`.

// Library code says what went wrong instead of panicking: a failing
// `unwrap`, `expect` or `panic!` is refused by these lints (tests may use
// them). Where an `expect` states an invariant of the world's own state, the
// module allows it and says why; the property tests and the fuzz targets
// check those invariants.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod behaviours;
pub mod engine;
pub mod exit_code;
pub mod metrics;
pub mod model;
pub mod playback;
pub mod report;
pub mod run;
pub mod scenario;
pub mod views;
pub mod world;

#[cfg(not(target_arch = "wasm32"))]
pub mod cli;

#[cfg(feature = "gui")]
pub mod gui;
