//! The node lifecycle controller watches each kubelet's heartbeats. Every
//! `node-monitor-period` it checks them; a node silent for longer than
//! `node-monitor-grace-period` becomes NotReady (condition Unknown) and gets
//! the `node.kubernetes.io/unreachable` taints, NoSchedule and NoExecute. A pod
//! on it stays for its toleration of that taint (`tolerationSeconds`, 300 by
//! default, added by the DefaultTolerationSeconds admission plugin), then the
//! taint-eviction controller deletes it and its ReplicaSet makes another.

use crate::engine::{SimDuration, SimTime};

/// Whether the node is heard from often enough.
pub fn is_healthy(now: SimTime, last_heartbeat: SimTime, grace: SimDuration) -> bool {
    now.since(last_heartbeat) <= grace
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_is_unhealthy_after_the_grace_period() {
        let grace = SimDuration::from_secs(50);
        assert!(is_healthy(SimTime(50_000_000), SimTime(0), grace));
        assert!(!is_healthy(SimTime(50_000_001), SimTime(0), grace));
    }
}
