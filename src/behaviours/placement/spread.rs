//! Spread: the host left emptiest by the placement (mean of CPU and memory
//! fractions), then the one with fewer instances. Failures take out fewer
//! instances at a time; more hosts stay powered.

use super::{Candidate, Policy};
use crate::model::HostId;

pub struct Spread;

impl Policy for Spread {
    fn name(&self) -> &'static str {
        "Spread"
    }

    fn choose(&self, candidates: &[Candidate]) -> HostId {
        let mut best = &candidates[0];
        for c in &candidates[1..] {
            let (load, best_load) = (c.cpu_after + c.memory_after, best.cpu_after + best.memory_after);
            if load < best_load || (load == best_load && c.instances < best.instances) {
                best = c;
            }
        }
        best.host
    }
}
