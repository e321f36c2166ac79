//! Dedicated servers: one instance per physical host, the way appliances and
//! "one app, one box" data centres ran. No virtualisation overhead, but the
//! whole host is spoken for however little of it the app uses, and bringing
//! a server up means booting its firmware and operating system.

use crate::model::spec::AppSpec;
use crate::model::{Bytes, Demand};

/// What a dedicated server running `app` takes: the whole host.
pub fn dedicated_demand(app: &AppSpec) -> Demand {
    Demand {
        cpu: app.cpu,
        memory: app.memory,
        overhead_memory: Bytes(0),
        disk: app.disk,
        blobs: Vec::new(),
        exclusive: true,
    }
}
