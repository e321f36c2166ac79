//! The ReplicaSet controller keeps `replicas` active pods: it creates the
//! missing ones and, when there are too many, deletes in the order of
//! `controller.ActivePods` (`pkg/controller/controller_utils.go`): pods not
//! yet on a node first, then pending before running, not ready before ready,
//! ready for less time first, more restarts first, newer first.

use std::cmp::Ordering;

use crate::engine::SimTime;

/// What the ordering looks at, per pod.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PodRank {
    pub assigned: bool,
    /// The pod's phase reached Running (containers started).
    pub running: bool,
    pub ready: bool,
    pub ready_since: Option<SimTime>,
    pub restarts: u32,
    pub created: SimTime,
}

/// `ActivePods` order: the first pods are the first to delete.
pub fn deletion_order(a: &PodRank, b: &PodRank) -> Ordering {
    a.assigned
        .cmp(&b.assigned)
        .then(a.running.cmp(&b.running))
        .then(a.ready.cmp(&b.ready))
        // Ready for less time (a later ready time) goes first.
        .then_with(|| b.ready_since.cmp(&a.ready_since))
        .then(b.restarts.cmp(&a.restarts))
        // Newer first.
        .then(b.created.cmp(&a.created))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rank(assigned: bool, running: bool, ready: bool, created: u64) -> PodRank {
        PodRank {
            assigned,
            running,
            ready,
            ready_since: ready.then_some(SimTime(created + 5)),
            restarts: 0,
            created: SimTime(created),
        }
    }

    #[test]
    fn unscheduled_then_pending_then_unready_then_newest_go_first() {
        let mut pods = [
            rank(true, true, true, 1),
            rank(true, true, true, 9),
            rank(false, false, false, 2),
            rank(true, false, false, 3),
            rank(true, true, false, 4),
        ];
        pods.sort_by(deletion_order);
        let created: Vec<u64> = pods.iter().map(|p| p.created.0).collect();
        assert_eq!(created, vec![2, 3, 4, 9, 1]);
    }
}
