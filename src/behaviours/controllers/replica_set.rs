//! The ReplicaSet controller (`pkg/controller/replicaset`) keeps `replicas`
//! active pods, named after the ReplicaSet: it creates the missing ones and,
//! when there are too many, deletes in the order of
//! `controller.ActivePodsWithRanks` (`pkg/controller/controller_utils.go`):
//! pods not yet on a node first, then pending before running, not ready
//! before ready, pods doubled up on a node with more of their Deployment's
//! active pods first, ready for less time first, more restarts first, newer
//! first. Times are taken as the API stores them, in whole seconds, on a
//! logarithmic scale (`LogarithmicScaleDown`): ages with the same ⌊log₂⌋ in
//! nanoseconds are alike, and pods alike in everything go by their UIDs, at random.

use std::cmp::Ordering;
use std::collections::BTreeSet;

use crate::engine::SimTime;
use std::sync::Arc;

use super::deployment;
use crate::behaviours::api_server;
use crate::behaviours::cluster::{Component, KubeDue, KubeWorld, PodOwner, ReplicaSet};
use crate::model::kube::PodTemplate;
use crate::model::{InstanceId, InstanceSet, WorkloadId};

/// What the ordering looks at, per pod.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PodRank {
    pub assigned: bool,
    /// The pod's phase reached Running (containers started).
    pub running: bool,
    pub ready: bool,
    /// Active pods of the ReplicaSet's Deployment (of the ReplicaSet alone
    /// without one) on the pod's node (`getPodsRankedByRelatedPodsOnSameNode`).
    pub colocated: u32,
    /// How long it has been ready, and how old it is, as [`log2_age`]s.
    pub ready_for: Option<i32>,
    pub restarts: u32,
    pub age: i32,
    /// Stands for the pod's UID: ages on the same step of the scale go by it.
    pub uid: u64,
}

/// `logarithmicRankDiff`'s scale: ⌊log₂⌋ of the nanoseconds from a
/// timestamp, as the API stores it (whole seconds), to `now`; −1 for none.
pub fn log2_age(at: SimTime, now: SimTime) -> i32 {
    let nanos = now.as_micros().saturating_sub(at.as_micros() / 1_000_000 * 1_000_000) * 1000;
    nanos.checked_ilog2().map_or(-1, |n| n as i32)
}

/// The ReplicaSet controller's work queue: ReplicaSets due a sync.
#[derive(Clone, Debug, Default)]
pub struct ReplicaSetController {
    pub(crate) pending: BTreeSet<usize>,
}

/// `ActivePodsWithRanks` order: the first pods are the first to delete.
/// Upstream's comparison sends two ages on one step of the scale to the UIDs
/// unless their timestamps are equal, which is no total order; here a step
/// of ready time is followed by restarts, then the step of age, then the UID.
pub fn deletion_order(a: &PodRank, b: &PodRank) -> Ordering {
    a.assigned
        .cmp(&b.assigned)
        .then(a.running.cmp(&b.running))
        .then(a.ready.cmp(&b.ready))
        // Doubled up first.
        .then(b.colocated.cmp(&a.colocated))
        // Ready for less time first.
        .then(a.ready_for.cmp(&b.ready_for))
        .then(b.restarts.cmp(&a.restarts))
        // Newer first.
        .then(a.age.cmp(&b.age))
        .then(a.uid.cmp(&b.uid))
}

/// The ReplicaSet changed: the controller syncs it after the watch delay, once however many changes come.
pub fn sync_soon(w: &mut impl KubeWorld, rs: usize) {
    let delay = w.watch_delay();
    if w.cluster().replica_set_controller.pending.insert(rs) {
        w.schedule_kube(delay, KubeDue::SyncReplicaSet(rs));
    }
}

/// The ReplicaSet controller's sync: create or delete pods to match replicas.
pub fn sync(w: &mut impl KubeWorld, r: usize) {
    w.cluster().replica_set_controller.pending.remove(&r);
    w.touch(Component::ControllerManager);
    let active = w.cluster().active_count(r);
    let want = w.cluster().replica_sets[r].replicas as usize;
    if active < want {
        for _ in 0..(want - active) {
            let (workload, demand, template, info) = {
                let rs = &w.kref().replica_sets[r];
                (rs.workload, rs.demand, rs.template.clone(), Arc::clone(&rs.pod_info))
            };
            // Pods are named after their ReplicaSet, as Kubernetes names them.
            let c = w.cluster();
            c.pod_counter += 1;
            let name = format!("{}-{}", c.replica_sets[r].name, pod_suffix(c.pod_counter));
            let id = api_server::create_pod(w, PodOwner::ReplicaSet(r), workload, demand, template, info, name);
            w.cluster().replica_sets[r].pods.insert(id);
        }
        w.api_write();
    } else if active > want {
        let now = w.now();
        let c = w.kref();
        let related = match c.replica_sets[r].deployment {
            Some(d) => &c.deployments[d].replica_sets[..],
            None => std::slice::from_ref(&r),
        };
        let mut on_node = vec![0u32; c.nodes.len()];
        for &rs in related {
            for (h, n) in &c.replica_sets[rs].counts.on_node {
                on_node[h.index()] += n;
            }
        }
        debug_assert_eq!(on_node, {
            let mut walked = vec![0u32; c.nodes.len()];
            let pods = related.iter().flat_map(|&rs| &c.replica_sets[rs].pods).filter_map(|p| c.pods.get(p));
            for h in pods.filter(|pod| !pod.deleting).filter_map(|pod| pod.node) {
                walked[h.index()] += 1;
            }
            walked
        });
        let mut ranked: Vec<(PodRank, InstanceId)> = c.replica_sets[r]
            .pods
            .iter()
            .filter_map(|&p| {
                let pod = c.pods.get(&p).filter(|pod| !pod.deleting)?;
                let rank = PodRank {
                    assigned: pod.node.is_some(),
                    running: pod.running,
                    ready: pod.ready,
                    colocated: pod.node.map_or(0, |h| on_node[h.index()]),
                    ready_for: pod.ready_since.filter(|_| pod.ready).map(|t| log2_age(t, now)),
                    restarts: pod.restarts,
                    age: log2_age(pod.created, now),
                    uid: crate::engine::random::stable_hash(&[b"uid", &p.0.to_le_bytes()]),
                };
                Some((rank, p))
            })
            .collect();
        // The pods to delete, in order: the order is total, so picking them
        // out before sorting them gives what sorting all would.
        let order =
            |a: &(PodRank, InstanceId), b: &(PodRank, InstanceId)| deletion_order(&a.0, &b.0).then(b.1.cmp(&a.1));
        let doomed = active - want;
        if doomed < ranked.len() {
            ranked.select_nth_unstable_by(doomed, order);
            ranked.truncate(doomed);
        }
        ranked.sort_by(order);
        for (_, p) in ranked {
            api_server::delete_pod(w, p);
        }
        w.api_write();
    }
    if let Some(d) = w.cluster().replica_sets[r].deployment {
        deployment::sync_soon(w, d);
    }
}

/// Stores a new ReplicaSet with no replicas.
pub fn create(
    w: &mut impl KubeWorld,
    name: String,
    namespace: &str,
    deployment: Option<usize>,
    workload: WorkloadId,
    template: Arc<PodTemplate>,
) -> usize {
    let (demand, pod_info) = api_server::pod_demand(w, &template, namespace);
    let now = w.now();
    let c = w.cluster();
    c.replica_sets.push(ReplicaSet {
        name,
        namespace: namespace.to_string(),
        deployment,
        workload,
        template,
        pod_info,
        demand,
        replicas: 0,
        pods: InstanceSet::new(),
        counts: Default::default(),
        older_templates: false,
        created: now,
        scaled_for: None,
    });
    c.replica_sets.len() - 1
}

/// Five characters as Kubernetes appends to generated pod names.
fn pod_suffix(n: u64) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let h = crate::engine::random::stable_hash(&[&n.to_le_bytes()]);
    (0..5).map(|i| ALPHABET[((h >> (i * 7)) % ALPHABET.len() as u64) as usize] as char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: SimTime = SimTime(100_000_000);

    fn rank(assigned: bool, running: bool, ready: bool, created_s: u64) -> PodRank {
        let at = |s: u64| log2_age(SimTime(s * 1_000_000), NOW);
        PodRank {
            assigned,
            running,
            ready,
            colocated: 1,
            ready_for: ready.then(|| at(created_s + 5)),
            restarts: 0,
            age: at(created_s),
            uid: created_s,
        }
    }

    fn order(mut pods: Vec<PodRank>) -> Vec<u64> {
        pods.sort_by(deletion_order);
        pods.iter().map(|p| p.uid).collect()
    }

    #[test]
    fn unscheduled_then_pending_then_unready_then_newest_go_first() {
        let pods = vec![
            rank(true, true, true, 1),
            rank(true, true, true, 90),
            rank(false, false, false, 2),
            rank(true, false, false, 3),
            rank(true, true, false, 4),
        ];
        assert_eq!(order(pods), vec![2, 3, 4, 90, 1]);
    }

    #[test]
    fn a_pod_doubled_up_on_a_node_goes_before_a_newer_one_alone() {
        let doubled = PodRank { colocated: 3, ..rank(true, true, true, 1) };
        assert_eq!(order(vec![rank(true, true, true, 90), doubled]), vec![1, 90]);
    }

    #[test]
    fn ages_within_one_power_of_two_go_by_uid() {
        // Ready for 59 s and 49 s: both ⌊log₂⌋ 35 in nanoseconds, so the UID decides.
        let (a, b) =
            (PodRank { uid: 7, ..rank(true, true, true, 36) }, PodRank { uid: 3, ..rank(true, true, true, 46) });
        assert_eq!(order(vec![a, b]), vec![3, 7]);
        assert_eq!(order(vec![b, a]), vec![3, 7]);
        // Ready for 59 s and 9 s: the newer first, whatever the UIDs.
        let c = PodRank { uid: 9, ..rank(true, true, true, 86) };
        assert_eq!(order(vec![a, c]), vec![9, 7]);
        // More restarts first within a step.
        let d = PodRank { restarts: 2, ..a };
        assert_eq!(order(vec![b, d]), vec![7, 3]);
    }

    #[test]
    fn the_api_keeps_whole_seconds() {
        assert_eq!(log2_age(SimTime(10_200_000), NOW), log2_age(SimTime(10_700_000), NOW));
        // 0.9 s after a timestamp stored as 10 s, taken at 10.4 s.
        assert_eq!(log2_age(SimTime(10_400_000), SimTime(10_900_000)), 29);
        assert_eq!(log2_age(NOW, NOW), -1);
        // 90 s is 2^36.4 nanoseconds.
        assert_eq!(log2_age(SimTime(10_000_000), NOW), 36);
    }
}
