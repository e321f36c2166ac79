//! The disruption controller's PodDisruptionBudget status
//! (`pkg/controller/disruption`), and the eviction API that `kubectl drain`
//! calls, which refuses an eviction that would break a budget.

use std::collections::BTreeSet;

use crate::behaviours::api_server;
use crate::behaviours::cluster::{Cluster, Component, KubeDue, KubeWorld, Pod};
use crate::engine::SimDuration;
use crate::model::InstanceId;
use crate::model::kube::PodDisruptionBudgetSpec;

/// How long `kubectl drain` waits before asking again for an eviction a budget refused.
const DRAIN_RETRY: SimDuration = SimDuration::from_secs(5);

impl Cluster {
    /// A PodDisruptionBudget's status as the disruption controller keeps it:
    /// (current healthy, desired healthy, disruptions allowed).
    pub fn disruption_status(&self, budget: &PodDisruptionBudgetSpec) -> (u32, u32, u32) {
        let (matched, healthy, scale) = self.disruption_counts(budget);
        let (_, desired, allowed) = budget.status(matched, healthy, scale);
        (healthy, desired, allowed)
    }

    /// For a PodDisruptionBudget: the pods it matches, those of them Ready
    /// and not terminating, and the replicas their controllers ask for
    /// (`getExpectedScale`: a Deployment's, or a ReplicaSet's of its own).
    /// A pod without a controller adds nothing to the scale: the disruption
    /// controller leaves such pods out (with an `UnmanagedPods` warning).
    ///
    /// A ReplicaSet's pods share its template, so they are matched once
    /// through it and counted from its counts; only a ReplicaSet that may
    /// keep pods of an earlier template has its pods matched one by one.
    fn disruption_counts(&self, budget: &PodDisruptionBudgetSpec) -> (u32, u32, u32) {
        let (mut matched, mut healthy) = (0u32, 0u32);
        let mut owners = BTreeSet::new();
        let is_healthy = |pod: &Pod| u32::from(pod.ready && !pod.deleting);
        for (r, rs) in self.replica_sets.iter().enumerate() {
            // A budget selects pods of its own namespace.
            if rs.pods.is_empty() || rs.namespace != budget.namespace {
                continue;
            }
            let (m, h) = if rs.older_templates {
                let pods = rs.pods.iter().filter_map(|p| self.pods.get(p));
                pods.filter(|pod| budget.matches(&pod.template.labels))
                    .fold((0, 0), |(m, h), pod| (m + 1, h + is_healthy(pod)))
            } else if budget.matches(&rs.template.labels) {
                (rs.pods.len() as u32, rs.counts.healthy)
            } else {
                (0, 0)
            };
            if m > 0 {
                matched += m;
                healthy += h;
                owners.insert(rs.deployment.ok_or(r));
            }
        }
        for standalone in &self.standalone_pods {
            let Some(pod) = standalone.pod.and_then(|p| self.pods.get(&p)) else { continue };
            if standalone.spec.namespace == budget.namespace && budget.matches(&pod.template.labels) {
                matched += 1;
                healthy += is_healthy(pod);
            }
        }
        debug_assert_eq!((matched, healthy), self.disruption_counts_by_pod(budget), "{}", budget.name);
        let scale = owners
            .iter()
            .map(|owner| match *owner {
                Ok(d) => self.deployments[d].spec.replicas,
                Err(r) => self.replica_sets[r].replicas,
            })
            .fold(0u32, u32::saturating_add);
        (matched, healthy, scale)
    }

    /// The pods a budget matches and the healthy ones among them, pod by
    /// pod: what [`Cluster::disruption_counts`] must agree with.
    fn disruption_counts_by_pod(&self, budget: &PodDisruptionBudgetSpec) -> (u32, u32) {
        let matching = self.pods.iter().map(|(_, pod)| pod);
        let matching =
            matching.filter(|pod| budget.matches(&pod.template.labels) && self.pod_namespace(pod) == budget.namespace);
        matching.fold((0, 0), |(m, h), pod| (m + 1, h + u32::from(pod.ready && !pod.deleting)))
    }
}

/// The eviction API (`pods/eviction`) as `kubectl drain` calls it: the
/// pod is deleted unless a PodDisruptionBudget that matches it would be
/// broken, in which case drain asks again 5 s later (429 Too Many
/// Requests, "Cannot evict pod as it would violate the pod's disruption
/// budget"). A pod matched by more than one budget is refused every time,
/// as the API server refuses it.
pub fn drain_evict(w: &mut impl KubeWorld, p: InstanceId) {
    let c = w.kref();
    let Some(pod) = c.pods.get(&p) else { return };
    if pod.deleting {
        return;
    }
    let namespace = c.pod_namespace(pod);
    let mut budgets = c
        .disruption_budgets
        .iter()
        .map(|(b, _)| b)
        .filter(|b| b.namespace == namespace && b.matches(&pod.template.labels));
    let allowed = match (budgets.next(), budgets.next()) {
        (None, _) => true,
        (Some(b), None) => {
            let (healthy, desired, allowed) = c.disruption_status(b);
            // An unready pod counts for nothing: evicting it is allowed while the rest keep the budget.
            allowed > 0 || (!pod.ready && healthy >= desired && desired > 0)
        }
        (Some(_), Some(_)) => false,
    };
    w.touch(Component::ApiServer);
    if allowed {
        api_server::delete_pod(w, p);
    } else {
        w.cluster().evictions_refused += 1;
        w.schedule_kube(DRAIN_RETRY, KubeDue::DrainEvict(p));
    }
}
