//! The Deployment controller (`pkg/controller/deployment`). Its sync finds
//! or makes the ReplicaSet of the current template, then scales: a rolling
//! update (`rolling.go`, `util/deployment_util.go`) lets the new ReplicaSet
//! grow while the total stays within `replicas + maxSurge`, and shrinks old
//! ReplicaSets while the available pods stay at or above
//! `replicas − maxUnavailable`; Recreate (`recreate.go`) scales the old ones
//! to zero and grows the new one once their pods are gone. A scaling event
//! (`sync.go`'s `scale`) resizes the ReplicaSets with pods in proportion to
//! their sizes. It also times each rollout.

use crate::model::kube::{DeploymentSpec, DeploymentStrategy, resolve_fenceposts};
use std::collections::BTreeSet;
use std::sync::Arc;

use super::node_lifecycle;
use super::replica_set;
use crate::behaviours::cluster::{Component, KubeDue, KubeWorld};
use crate::model::kube::PodTemplate;

/// The Deployment controller's work queue: Deployments due a sync.
#[derive(Clone, Debug, Default)]
pub struct DeploymentController {
    pub(crate) pending: BTreeSet<usize>,
}

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

/// The Deployment changed: the controller syncs it after the watch delay, once however many changes come.
pub fn sync_soon(w: &mut impl KubeWorld, d: usize) {
    let delay = w.watch_delay();
    if w.cluster().deployment_controller.pending.insert(d) {
        w.schedule_kube(delay, KubeDue::SyncDeployment(d));
    }
}

/// `MaxSurge` (deployment_util.go): the pods a rolling update may add over
/// `replicas`; 0 for Recreate.
pub fn max_surge(strategy: &DeploymentStrategy, replicas: u32) -> u32 {
    match *strategy {
        DeploymentStrategy::RollingUpdate { max_surge, max_unavailable } => {
            resolve_fenceposts(max_surge, max_unavailable, replicas).0
        }
        DeploymentStrategy::Recreate => 0,
    }
}

/// `GetReplicaSetProportion` (deployment_util.go): the share of
/// `to_add − added` that a ReplicaSet of `size` pods takes in a scaling
/// event, from the size it was given for a Deployment of at most
/// `annotated` pods (its `max-replicas` annotation) against the `allowed`
/// the Deployment has now.
pub fn replica_set_proportion(size: u32, annotated: u32, replicas: u32, allowed: u32, to_add: i64, added: i64) -> i64 {
    if size == 0 || to_add == 0 || to_add == added {
        return 0;
    }
    // getReplicaSetFraction; RoundToInt32 rounds half away from zero.
    let fraction = if replicas == 0 {
        -i64::from(size)
    } else if annotated == 0 {
        0
    } else {
        let exact = (i64::from(size) * i64::from(allowed)) as f64 / f64::from(annotated);
        (exact + 0.5) as i64 - i64::from(size)
    };
    let left = to_add - added;
    if to_add > 0 { fraction.min(left) } else { fraction.max(left) }
}

/// `SetReplicasAnnotations`' values: the Deployment's `replicas`, and
/// `replicas + maxSurge`, the most pods it may have.
fn replicas_annotations(spec: &DeploymentSpec) -> (u32, u32) {
    (spec.replicas, spec.replicas.saturating_add(max_surge(&spec.strategy, spec.replicas)))
}

/// Sets ReplicaSet `r` to `size` pods for Deployment `d`, as
/// `scaleReplicaSet` does, marking it with the Deployment's size;
/// whether its size changed.
fn scale_replica_set(w: &mut impl KubeWorld, d: usize, r: usize, size: u32) -> bool {
    let c = w.cluster();
    let marks = replicas_annotations(&c.deployments[d].spec);
    let rs = &mut c.replica_sets[r];
    let resized = rs.replicas != size;
    rs.replicas = size;
    rs.scaled_for = Some(marks);
    resized
}

/// `isScalingEvent`: a ReplicaSet with pods was last sized for another
/// number of replicas than the Deployment asks for now.
fn is_scaling_event(w: &impl KubeWorld, d: usize) -> bool {
    let c = w.kref();
    let replicas = c.deployments[d].spec.replicas;
    c.deployments[d]
        .replica_sets
        .iter()
        .map(|&r| &c.replica_sets[r])
        .any(|rs| rs.replicas > 0 && rs.scaled_for.is_some_and(|(desired, _)| desired != replicas))
}

/// `scale` (sync.go), on a scaling event: one ReplicaSet with pods (or none)
/// takes the new size; a new ReplicaSet that is saturated leaves the old
/// ones none; in a rolling update every ReplicaSet with pods grows or
/// shrinks in proportion to its size, the largest taking what rounding
/// leaves. Each ReplicaSet it updates is marked with the Deployment's size;
/// returns those whose size changed, and whether it updated any.
fn scale(w: &mut impl KubeWorld, d: usize, new_rs: Option<usize>) -> (Vec<usize>, bool) {
    let now = w.now();
    let c = w.kref();
    let spec = &c.deployments[d].spec;
    let replicas = spec.replicas;
    // ReplicaSetsByCreationTimestamp.
    let age = |r: usize| (c.replica_sets[r].created, c.replica_sets[r].name.as_str());
    let all = &c.deployments[d].replica_sets;
    let mut active: Vec<usize> = all.iter().copied().filter(|&r| c.replica_sets[r].replicas > 0).collect();
    let mut changed = Vec::new();
    // FindActiveOrLatest: the one with pods, or else the new one, or else the newest.
    if active.len() <= 1 {
        if let Some(r) = active.first().copied().or(new_rs).or_else(|| all.iter().copied().max_by_key(|&r| age(r)))
            && c.replica_sets[r].replicas != replicas
            && scale_replica_set(w, d, r, replicas)
        {
            changed.push(r);
        }
        let touched = !changed.is_empty();
        return (changed, touched);
    }
    // IsSaturated.
    if let Some(n) = new_rs {
        let rs = &c.replica_sets[n];
        if rs.replicas == replicas
            && rs.scaled_for.is_some_and(|(desired, _)| desired == replicas)
            && c.available_pods(n, now, spec.min_ready) == replicas
        {
            for r in active.into_iter().filter(|&r| r != n) {
                if scale_replica_set(w, d, r, 0) {
                    changed.push(r);
                }
            }
            let touched = !changed.is_empty();
            return (changed, touched);
        }
    }
    // A Recreate Deployment with more than one ReplicaSet with pods waits.
    let DeploymentStrategy::RollingUpdate { .. } = spec.strategy else { return (changed, false) };
    let total: i64 = active.iter().map(|&r| i64::from(c.replica_sets[r].replicas)).sum();
    let allowed = if replicas > 0 { replicas_annotations(spec).1 } else { 0 };
    let to_add = i64::from(allowed) - total;
    // Largest first; among equals the newer grows first and the older shrinks
    // first (ReplicaSetsBySizeNewer, ReplicaSetsBySizeOlder). There are a
    // handful of them: each place goes to the first of those left.
    let size = |r: usize| c.replica_sets[r].replicas;
    let first = |a: usize, b: usize| {
        size(b).cmp(&size(a)).then_with(|| if to_add > 0 { age(b).cmp(&age(a)) } else { age(a).cmp(&age(b)) })
    };
    let mut ranked = Vec::with_capacity(active.len());
    while let Some(i) = (0..active.len()).min_by(|&i, &j| first(active[i], active[j])) {
        ranked.push(active.swap_remove(i));
    }
    let active = ranked;
    // The Deployment's status.replicas, for a ReplicaSet without the annotation.
    let status_replicas: u32 = c.deployments[d].replica_sets.iter().map(|&r| c.active_count(r) as u32).sum();
    let mut added = 0i64;
    let mut sizes: Vec<i64> = active
        .iter()
        .map(|&r| {
            let rs = &c.replica_sets[r];
            let annotated = rs.scaled_for.map_or(0, |(_, max)| max);
            let annotated = if annotated == 0 { status_replicas } else { annotated };
            let proportion = replica_set_proportion(rs.replicas, annotated, replicas, allowed, to_add, added);
            added += proportion;
            i64::from(rs.replicas) + proportion
        })
        .collect();
    if to_add != 0 {
        sizes[0] = (sizes[0] + to_add - added).max(0);
    }
    for (r, size) in active.into_iter().zip(sizes) {
        if scale_replica_set(w, d, r, size.clamp(0, i64::from(u32::MAX)) as u32) {
            changed.push(r);
        }
    }
    (changed, true)
}

/// The Deployment controller's sync: on a scaling event, resize its
/// ReplicaSets (`scale`); otherwise find or make the new ReplicaSet, then
/// scale it up and the old ones down within the strategy's bounds.
pub fn sync(w: &mut impl KubeWorld, d: usize) {
    w.cluster().deployment_controller.pending.remove(&d);
    w.touch(Component::ControllerManager);
    let now = w.now();
    let (spec, rs_list) = {
        let dep = &w.cluster().deployments[d];
        (dep.spec.clone(), dep.replica_sets.clone())
    };
    let existing = rs_list.iter().copied().find(|&r| *w.cluster().replica_sets[r].template == spec.template);
    if is_scaling_event(w, d) {
        let (mut changed, touched) = scale(w, d, existing);
        changed.sort_unstable();
        if touched {
            w.api_write();
        }
        for r in changed {
            replica_set::sync_soon(w, r);
        }
        // The ReplicaSets' status update, once their controller has acted,
        // brings the Deployment back to its rollout.
        if touched {
            sync_soon(w, d);
        }
        node_lifecycle::check_recovery(w);
        return;
    }
    let new_rs = match existing {
        Some(r) => r,
        None => create_replica_set(w, d, Arc::new(spec.template.clone())),
    };
    let olds: Vec<usize> = w.cluster().deployments[d].replica_sets.iter().copied().filter(|&r| r != new_rs).collect();
    let replicas = spec.replicas;
    let mut changed: Vec<usize> = Vec::new();
    let old_active: u32 = olds.iter().map(|&r| w.cluster().active_count(r) as u32).sum();
    let old_replicas: u32 = olds.iter().map(|&r| w.cluster().replica_sets[r].replicas).sum();
    match spec.strategy {
        DeploymentStrategy::Recreate => {
            for &r in &olds {
                if w.cluster().replica_sets[r].replicas != 0 && scale_replica_set(w, d, r, 0) {
                    changed.push(r);
                }
            }
            // rolloutRecreate: the new ReplicaSet grows only once every old pod is gone.
            let old_pods: usize = olds.iter().map(|&r| w.cluster().replica_sets[r].pods.len()).sum();
            let current_new = w.cluster().replica_sets[new_rs].replicas;
            let target = new_rs_new_replicas(&spec.strategy, replicas, old_replicas, current_new);
            if old_pods == 0 && current_new != target && scale_replica_set(w, d, new_rs, target) {
                changed.push(new_rs);
            }
        }
        DeploymentStrategy::RollingUpdate { .. } => {
            if old_replicas == 0 {
                // Not in a rollout: plain scaling.
                if w.cluster().replica_sets[new_rs].replicas != replicas && scale_replica_set(w, d, new_rs, replicas) {
                    changed.push(new_rs);
                }
            } else {
                let total: u32 = {
                    let c = w.kref();
                    c.deployments[d].replica_sets.iter().map(|&r| c.replica_sets[r].replicas).sum()
                };
                let current_new = w.cluster().replica_sets[new_rs].replicas;
                let target = new_rs_new_replicas(&spec.strategy, replicas, total, current_new);
                if target != current_new && scale_replica_set(w, d, new_rs, target) {
                    changed.push(new_rs);
                }
                // Scale old ReplicaSets down, unhealthy pods first.
                let min_ready = spec.min_ready;
                let min_available = min_available(&spec.strategy, replicas);
                let all_pods: u32 = {
                    let c = w.kref();
                    c.deployments[d].replica_sets.iter().map(|&r| c.replica_sets[r].replicas).sum()
                };
                let new_available = w.cluster().available_pods(new_rs, now, min_ready);
                let new_unavailable = w.cluster().replica_sets[new_rs].replicas.saturating_sub(new_available);
                let mut budget = max_scaled_down(all_pods, min_available, new_unavailable);
                // cleanupUnhealthyReplicas, oldest ReplicaSet first.
                for &r in &olds {
                    if budget == 0 {
                        break;
                    }
                    let (replicas_now, available) = {
                        let c = w.kref();
                        (c.replica_sets[r].replicas, c.available_pods(r, now, min_ready))
                    };
                    let unhealthy = replicas_now.saturating_sub(available);
                    let cut = unhealthy.min(budget).min(replicas_now);
                    if cut > 0 {
                        scale_replica_set(w, d, r, replicas_now - cut);
                        budget -= cut;
                        changed.push(r);
                    }
                }
                // scaleDownOldReplicaSetsForRollingUpdate.
                let available_all: u32 = {
                    let c = w.kref();
                    c.deployments[d].replica_sets.iter().map(|&r| c.available_pods(r, now, min_ready)).sum()
                };
                let mut cut_total = available_all.saturating_sub(min_available);
                for &r in &olds {
                    if cut_total == 0 {
                        break;
                    }
                    let replicas_now = w.cluster().replica_sets[r].replicas;
                    let cut = replicas_now.min(cut_total);
                    if cut > 0 {
                        scale_replica_set(w, d, r, replicas_now - cut);
                        cut_total -= cut;
                        changed.push(r);
                    }
                }
            }
        }
    }
    changed.sort_unstable();
    changed.dedup();
    if !changed.is_empty() {
        w.api_write();
    }
    for r in changed {
        replica_set::sync_soon(w, r);
    }
    // Rollout complete: the new ReplicaSet has every replica available and no old pod is left.
    let c = w.cluster();
    if c.deployments[d].rollout_started.is_some() {
        let available: u32 =
            c.deployments[d].replica_sets.iter().map(|&r| c.available_pods(r, now, spec.min_ready)).sum();
        let dep = &mut c.deployments[d];
        dep.rollout_min_available = Some(dep.rollout_min_available.map_or(available, |m| m.min(available)));
    }
    let new_available = c.available_pods(new_rs, now, spec.min_ready);
    let old_left: usize = olds.iter().map(|&r| c.replica_sets[r].pods.len()).sum();
    if c.replica_sets[new_rs].replicas == replicas && new_available >= replicas && old_left == 0 && old_active == 0 {
        let dep = &mut c.deployments[d];
        if let Some(start) = dep.rollout_started.take() {
            dep.last_rollout = Some(now.since(start));
            dep.last_rollout_min_available = dep.rollout_min_available.take();
        }
    }
    node_lifecycle::check_recovery(w);
}

/// A Deployment's new ReplicaSet, named after the Deployment and the template's hash.
pub fn create_replica_set(w: &mut impl KubeWorld, d: usize, template: Arc<PodTemplate>) -> usize {
    let dep = &w.kref().deployments[d];
    let (name, namespace, workload) =
        (format!("{}-{}", dep.spec.name, template.hash()), dep.spec.namespace.clone(), dep.workload);
    let r = replica_set::create(w, name, &namespace, Some(d), workload, template);
    let c = w.cluster();
    c.deployments[d].replica_sets.push(r);
    // SetNewReplicaSetAnnotations marks a new ReplicaSet with the Deployment's size.
    c.replica_sets[r].scaled_for = Some(replicas_annotations(&c.deployments[d].spec));
    r
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
