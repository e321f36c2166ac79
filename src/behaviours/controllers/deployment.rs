//! The Deployment controller's rolling update (`pkg/controller/deployment/rolling.go`
//! and `util/deployment_util.go`): the new ReplicaSet may grow while the total
//! stays within `replicas + maxSurge`, and old ReplicaSets shrink while the
//! available pods stay at or above `replicas − maxUnavailable`.

/// `NewRSNewReplicas` for a rolling update: how big the new ReplicaSet may be now.
pub fn new_rs_new_replicas(replicas: u32, max_surge: u32, current_total: u32, new_rs_replicas: u32) -> u32 {
    let max_total = replicas + max_surge;
    if current_total >= max_total {
        return new_rs_replicas;
    }
    let scale_up = max_total - current_total;
    let room = replicas.saturating_sub(new_rs_replicas);
    new_rs_replicas + scale_up.min(room)
}

/// `reconcileOldReplicaSets`: how many old pods may go now, given every pod
/// of the Deployment, the minimum available, and the new ReplicaSet's pods
/// that are not yet available (they may never become so, and must not be
/// counted on).
pub fn max_scaled_down(all_pods: u32, min_available: u32, new_rs_unavailable: u32) -> u32 {
    all_pods.saturating_sub(min_available).saturating_sub(new_rs_unavailable)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_replica_set_grows_within_the_surge() {
        // rolling_test.go-style case: 10 replicas, maxSurge 3 (25% rounded up),
        // 10 old pods, new RS at 0 → it may grow to 3.
        assert_eq!(new_rs_new_replicas(10, 3, 10, 0), 3);
        // Already at 13 in all: no growth.
        assert_eq!(new_rs_new_replicas(10, 3, 13, 3), 3);
        // Old shrank to 5, new at 3 (8 in all): grow by 5 to 8.
        assert_eq!(new_rs_new_replicas(10, 3, 8, 3), 8);
        // Never past the desired count.
        assert_eq!(new_rs_new_replicas(10, 3, 9, 9), 10);
    }

    #[test]
    fn old_pods_go_only_while_enough_stay_available() {
        // 13 pods, minAvailable 10 − 2 = 8, 3 new pods not ready: 13 − 8 − 3 = 2.
        assert_eq!(max_scaled_down(13, 8, 3), 2);
        assert_eq!(max_scaled_down(10, 8, 3), 0);
    }
}
