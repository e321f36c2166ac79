//! The Deployment controller's rolling update (`pkg/controller/deployment/rolling.go`
//! and `util/deployment_util.go`): the new ReplicaSet may grow while the total
//! stays within `replicas + maxSurge`, and old ReplicaSets shrink while the
//! available pods stay at or above `replicas − maxUnavailable`.

use crate::model::kube::{DeploymentStrategy, resolve_fenceposts};

/// `NewRSNewReplicas` (deployment_util.go): how big the new ReplicaSet may
/// be now. A rolling update grows it while all the Deployment's ReplicaSets
/// together (`current_total`) stay within `replicas + maxSurge`, never past
/// `replicas`; Recreate makes it `replicas` at once (its caller waits for
/// the old pods to go first).
pub fn new_rs_new_replicas(
    strategy: &DeploymentStrategy,
    replicas: u32,
    current_total: u32,
    new_rs_replicas: u32,
) -> u32 {
    match *strategy {
        DeploymentStrategy::Recreate => replicas,
        DeploymentStrategy::RollingUpdate { max_surge, .. } => {
            let max_total = i64::from(replicas) + i64::from(max_surge.scaled(replicas, true));
            let (current, new_rs) = (i64::from(current_total), i64::from(new_rs_replicas));
            if current >= max_total {
                return new_rs_replicas;
            }
            let scale_up = (max_total - current).min(i64::from(replicas) - new_rs);
            (new_rs + scale_up).clamp(0, i64::from(u32::MAX)) as u32
        }
    }
}

/// `MaxUnavailable` (deployment_util.go): the pods a rolling update may have
/// unavailable, at most `replicas`; 0 for Recreate or no replicas.
pub fn max_unavailable(strategy: &DeploymentStrategy, replicas: u32) -> u32 {
    match *strategy {
        DeploymentStrategy::RollingUpdate { max_surge, max_unavailable } if replicas > 0 => {
            resolve_fenceposts(max_surge, max_unavailable, replicas).1.min(replicas)
        }
        _ => 0,
    }
}

/// `MinAvailable` (deployment_util.go): the pods a rolling update keeps
/// available; 0 for Recreate.
pub fn min_available(strategy: &DeploymentStrategy, replicas: u32) -> u32 {
    match strategy {
        DeploymentStrategy::RollingUpdate { .. } => replicas - max_unavailable(strategy, replicas),
        DeploymentStrategy::Recreate => 0,
    }
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

    use crate::model::kube::IntOrPercent;

    fn rolling(max_surge: IntOrPercent, max_unavailable: IntOrPercent) -> DeploymentStrategy {
        DeploymentStrategy::RollingUpdate { max_surge, max_unavailable }
    }

    #[test]
    fn new_rs_new_replicas_as_upstream() {
        // deployment_util_test.go TestNewRSNewReplicas, every case: the other ReplicaSet holds
        // 5 replicas (allRSs is [rs5]), maxUnavailable 1; (name, strategy, depReplicas,
        // newRSReplicas, maxSurge, expected).
        let recreate = DeploymentStrategy::Recreate;
        for (name, strategy, dep_replicas, new_rs, surge, expected) in [
            ("can not scale up - to newRSReplicas", None, 1, 5, 1, 5),
            ("scale up - to depReplicas", None, 6, 2, 10, 6),
            ("recreate - to depReplicas", Some(&recreate), 3, 1, 1, 3),
        ] {
            let rolling = rolling(IntOrPercent::Int(surge), IntOrPercent::Int(1));
            let strategy = strategy.unwrap_or(&rolling);
            assert_eq!(new_rs_new_replicas(strategy, dep_replicas, 5, new_rs), expected, "{name}");
        }
        // A rollout: 10 replicas, maxSurge 3, 10 old pods, new RS at 0 → it may grow to 3;
        // at 13 in all it may not; with the old ones down to 5 it grows by 5 to 8.
        let s = rolling(IntOrPercent::Int(3), IntOrPercent::Int(0));
        assert_eq!(new_rs_new_replicas(&s, 10, 10, 0), 3);
        assert_eq!(new_rs_new_replicas(&s, 10, 13, 3), 3);
        assert_eq!(new_rs_new_replicas(&s, 10, 8, 3), 8);
        assert_eq!(new_rs_new_replicas(&s, 10, 9, 9), 10);
    }

    #[test]
    fn max_unavailable_as_upstream() {
        // deployment_util_test.go TestMaxUnavailable, every case (maxSurge 1).
        let m = |n| IntOrPercent::Int(n);
        let p = |n| IntOrPercent::Percent(n);
        for (name, replicas, unavailable, expected) in [
            ("maxUnavailable less than replicas", 10, Some(m(5)), 5),
            ("maxUnavailable equal replicas", 10, Some(m(10)), 10),
            ("maxUnavailable greater than replicas", 5, Some(m(10)), 5),
            ("maxUnavailable with replicas is 0", 0, Some(m(10)), 0),
            ("maxUnavailable with Recreate deployment strategy", 0, None, 0),
            ("maxUnavailable less than replicas with percents", 10, Some(p(50)), 5),
            ("maxUnavailable equal replicas with percents", 10, Some(p(100)), 10),
            ("maxUnavailable greater than replicas with percents", 5, Some(p(100)), 5),
        ] {
            let strategy = unavailable.map_or(DeploymentStrategy::Recreate, |u| rolling(m(1), u));
            assert_eq!(max_unavailable(&strategy, replicas), expected, "{name}");
        }
    }

    #[test]
    fn min_available_as_upstream() {
        // deployment_util_test.go TestMinAvailable, every case (maxSurge 1).
        let m = |n| IntOrPercent::Int(n);
        let p = |n| IntOrPercent::Percent(n);
        for (name, replicas, unavailable, expected) in [
            ("replicas greater than maxUnavailable", 10, Some(m(5)), 5),
            ("replicas equal maxUnavailable", 10, Some(m(10)), 0),
            ("replicas less than maxUnavailable", 5, Some(m(10)), 0),
            ("replicas is 0", 0, Some(m(10)), 0),
            ("minAvailable with Recreate deployment strategy", 10, None, 0),
            ("replicas greater than maxUnavailable with percents", 10, Some(p(60)), 4),
            ("replicas equal maxUnavailable with percents", 10, Some(p(100)), 0),
            ("replicas less than maxUnavailable with percents", 5, Some(p(100)), 0),
        ] {
            let strategy = unavailable.map_or(DeploymentStrategy::Recreate, |u| rolling(m(1), u));
            assert_eq!(min_available(&strategy, replicas), expected, "{name}");
        }
    }

    #[test]
    fn old_pods_go_only_while_enough_stay_available() {
        // 13 pods, minAvailable 10 − 2 = 8, 3 new pods not ready: 13 − 8 − 3 = 2.
        assert_eq!(max_scaled_down(13, 8, 3), 2);
        assert_eq!(max_scaled_down(10, 8, 3), 0);
    }
}
