//! BestFit: the host left fullest by the placement, measured by the mean of
//! its CPU and memory fractions. Bin-packing: few hosts in use, the rest free
//! for big instances or for switching off.

use super::{Candidate, Policy};
use crate::model::HostId;

pub struct BestFit;

impl Policy for BestFit {
    fn name(&self) -> &'static str {
        "BestFit"
    }

    fn choose(&self, candidates: &[Candidate]) -> HostId {
        let mut best = &candidates[0];
        for c in &candidates[1..] {
            // Strictly fuller wins; ties keep the earlier host.
            if c.cpu_after + c.memory_after > best.cpu_after + best.memory_after {
                best = c;
            }
        }
        best.host
    }
}
