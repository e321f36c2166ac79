//! The ReplicaSet controller (`pkg/controller/replicaset`) keeps `replicas`
//! active pods, named after the ReplicaSet: it creates the
//! missing ones and, when there are too many, deletes in the order of
//! `controller.ActivePods` (`pkg/controller/controller_utils.go`): pods not
//! yet on a node first, then pending before running, not ready before ready,
//! ready for less time first, more restarts first, newer first.

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
    pub ready_since: Option<SimTime>,
    pub restarts: u32,
    pub created: SimTime,
}

/// The ReplicaSet controller's work queue: ReplicaSets due a sync.
#[derive(Clone, Debug, Default)]
pub struct ReplicaSetController {
    pub(crate) pending: BTreeSet<usize>,
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
        let c = w.kref();
        let mut ranked: Vec<(PodRank, InstanceId)> = c.replica_sets[r]
            .pods
            .iter()
            .filter_map(|&p| {
                let pod = c.pods.get(&p).filter(|pod| !pod.deleting)?;
                let rank = PodRank {
                    assigned: pod.node.is_some(),
                    running: pod.running,
                    ready: pod.ready,
                    ready_since: pod.ready_since,
                    restarts: pod.restarts,
                    created: pod.created,
                };
                Some((rank, p))
            })
            .collect();
        ranked.sort_by(|a, b| deletion_order(&a.0, &b.0).then(b.1.cmp(&a.1)));
        for (_, p) in ranked.into_iter().take(active - want) {
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
