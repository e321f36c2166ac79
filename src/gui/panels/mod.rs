//! Panels around the worlds: the top bar with the scenario picker and live
//! actions, the inspector, the charts and legend, the lesson, the commands
//! window (kubectl, docker, virsh), help and error windows.

pub mod charts;
pub mod inspector;
pub mod lesson;
pub mod picker;
pub mod terminal;
