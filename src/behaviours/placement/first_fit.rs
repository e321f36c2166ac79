//! FirstFit: the first host in declaration order with room. Cheap, and it
//! packs the front of the host list while the back stays empty.

use super::{Candidate, Policy};
use crate::model::HostId;

pub struct FirstFit;

impl Policy for FirstFit {
    fn name(&self) -> &'static str {
        "FirstFit"
    }

    fn choose(&self, candidates: &[Candidate]) -> HostId {
        candidates[0].host
    }
}
