//! Kubernetes' autoscalers in a world: HorizontalPodAutoscalers (every 15 s,
//! from metrics-server's samples) and the cluster autoscaler (every scan
//! interval: nodes for pods that fit nowhere, and away with nodes nobody needs).

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{KubeDue, NodeCondition, charge_node_overhead, node_overhead, template_requests, uncharge_node_overhead};
use crate::behaviours::hpa::{self, HpaConfig, HpaMemory, PodSample};
use crate::behaviours::scheduler::Resources;
use crate::engine::{SimDuration, SimTime};
use crate::model::hpa::{MetricCurrent, MetricResource, MetricSource, MetricSpec, MetricTarget, decimal_si_milli};
use crate::model::kube::ContainerSpec;
use crate::model::spec::{ClusterAutoscalerSpec, HpaSpec, NodeGroup, Platform};
use crate::model::{HostId, InstanceId};
use crate::world::{EventKind, World};

/// kube-controller-manager `--horizontal-pod-autoscaler-sync-period`: 15 s (parameters.md B4).
pub const HPA_SYNC_PERIOD: SimDuration = SimDuration::from_secs(15);

/// One HorizontalPodAutoscaler and what its controller remembers.
#[derive(Clone, Debug)]
pub struct HpaState {
    pub spec: Arc<HpaSpec>,
    memory: HpaMemory,
    /// Each metric's current value at the last sync (`status.currentMetrics`),
    /// `None` where it could not be computed.
    pub current_metrics: Vec<Option<MetricCurrent>>,
    /// The metric whose proposal won at the last sync that computed one.
    pub scaled_by: usize,
    /// The `ScalingActive` condition when it is False: its reason and message.
    pub scaling_inactive: Option<(&'static str, String)>,
}

/// Why a metric gave no proposal: the `ScalingActive` reason, the error as
/// its event says it and as the condition wraps it. An HPA whose pods have
/// no samples yet (`reason` `None`) waits quietly.
#[derive(Clone, Debug)]
struct MetricError {
    reason: Option<&'static str>,
    error: String,
    condition: String,
}

impl MetricError {
    fn quiet(error: &str) -> Self {
        MetricError { reason: None, error: error.into(), condition: error.into() }
    }
}

/// The reason a rescale event gives: the metric that won, where it stands
/// against its target, and the replicas it asked for.
fn rescale_reason(metric: &MetricSpec, r: &hpa::Recommendation) -> String {
    match (&metric.source, &metric.target) {
        (MetricSource::Resource { resource, container }, MetricTarget::Utilization(target)) => {
            let scope = container.as_ref().map_or(String::new(), |c| format!("container {c} "));
            format!(
                "{scope}{} utilization {}% of requests against a target of {target}% (recommended {})",
                resource.name(),
                r.utilization,
                r.replicas
            )
        }
        (_, target) => {
            let target = match target {
                MetricTarget::AverageValue { milli, .. } => decimal_si_milli(*milli),
                MetricTarget::Utilization(t) => format!("{t}%"),
            };
            format!(
                "{} {} per pod against a target of {target} (recommended {})",
                metric.describe(),
                decimal_si_milli(r.raw_milli),
                r.replicas
            )
        }
    }
}

/// A pod as the replica calculator sees it, from metrics-server's record of
/// it (its status beside its latest CPU sample): `usage` turns the sample's
/// millicores into the metric's value.
fn pod_sample(
    traffic: &crate::world::traffic::Traffic,
    id: InstanceId,
    request_milli: u64,
    usage: impl Fn(u64) -> u64,
) -> PodSample {
    let (failed, status, sample) = traffic.pod_metrics(id);
    PodSample {
        deleting: status.deleting,
        failed,
        pending: !status.running,
        ready: status.ready,
        ready_transition: status.ready_transition(),
        start_time: status.start_time(),
        request_milli,
        sample: sample.map(|(millicores, at, window)| (usage(millicores), at, window)),
    }
}

/// The cluster autoscaler's memory.
#[derive(Clone, Debug, Default)]
pub struct ClusterAutoscalerState {
    pub last_scale_up: Option<SimTime>,
    /// Since when each node has been unneeded.
    pub unneeded_since: BTreeMap<HostId, SimTime>,
    /// Nodes being drained for removal.
    pub removing: Vec<HostId>,
}

fn ca_spec(world: &World) -> Option<&ClusterAutoscalerSpec> {
    match &world.spec.platform {
        Platform::Kubernetes(k) => k.cluster_autoscaler.as_ref(),
        _ => None,
    }
}

/// What a pod requests, as the scheduler counts it (`pods` 1).
fn requests(pod: &super::Pod) -> Resources {
    template_requests(&pod.template).0
}

/// Whether `room` holds `r`: CPU, memory, a pod slot and every extended resource.
fn holds(room: &Resources, r: &Resources) -> bool {
    room.milli_cpu >= r.milli_cpu
        && room.memory >= r.memory
        && room.pods >= r.pods
        && room.scalar.iter().zip(&r.scalar).all(|(have, want)| have >= want)
}

fn take(room: &mut Resources, r: &Resources) {
    room.milli_cpu -= r.milli_cpu;
    room.memory -= r.memory;
    room.pods -= r.pods;
    for (have, want) in room.scalar.iter_mut().zip(&r.scalar) {
        *have -= want;
    }
}

/// First fit: the first bin with room for the pod takes it. Returns whether one had room.
fn first_fit<'a>(bins: impl IntoIterator<Item = &'a mut Resources>, r: &Resources) -> bool {
    match bins.into_iter().find(|b| holds(b, r)) {
        Some(b) => {
            take(b, r);
            true
        }
        None => false,
    }
}

impl World {
    pub(super) fn apply_hpa(&mut self, spec: HpaSpec) {
        let c = self.cluster();
        // HPAs are never removed: the sync starts with the first.
        let first = c.hpas.is_empty();
        match c.hpas.iter_mut().find(|h| h.spec.name == spec.name) {
            Some(h) => h.spec = Arc::new(spec),
            None => c.hpas.push(HpaState {
                spec: Arc::new(spec),
                memory: HpaMemory::default(),
                current_metrics: Vec::new(),
                scaled_by: 0,
                scaling_inactive: None,
            }),
        }
        if first {
            self.schedule_kube(HPA_SYNC_PERIOD, KubeDue::HpaSync);
        }
    }

    /// The HPA controller's sync of every HorizontalPodAutoscaler
    /// (`reconcileAutoscaler`).
    pub(super) fn hpa_sync(&mut self) {
        self.schedule_kube(HPA_SYNC_PERIOD, KubeDue::HpaSync);
        self.touch(super::Component::ControllerManager);
        let now = self.now;
        let cfg = HpaConfig::default();
        for i in 0..self.kref().hpas.len() {
            let spec = Arc::clone(&self.kref().hpas[i].spec);
            let Some(d) = self.kref().deployment(&spec.target) else { continue };
            let current = self.kref().deployments[d].spec.replicas;
            // Scaled to zero by hand: autoscaling is off for it.
            if current == 0 {
                continue;
            }
            self.cluster().hpas[i].memory.record_initial(now, current);
            let tolerances = hpa::Tolerances::for_hpa(&cfg, spec.behavior.as_ref());
            let (desired, reason) = if current > spec.max_replicas {
                self.cluster().hpas[i].scaling_inactive = None;
                (spec.max_replicas, "current replicas above maxReplicas".to_string())
            } else if current < spec.min_replicas {
                self.cluster().hpas[i].scaling_inactive = None;
                (spec.min_replicas, "current replicas below minReplicas".to_string())
            } else {
                let outcomes: Vec<Result<hpa::Recommendation, MetricError>> =
                    spec.metrics.iter().map(|m| self.metric_replicas(d, m, current, tolerances, &cfg)).collect();
                let proposals: Vec<Option<u32>> =
                    outcomes.iter().map(|o| o.as_ref().ok().map(|r| r.replicas)).collect();
                let first_error = outcomes.iter().find_map(|o| o.as_ref().err()).cloned();
                let hpa = &mut self.cluster().hpas[i];
                hpa.current_metrics = outcomes
                    .iter()
                    .zip(&spec.metrics)
                    .map(|(o, m)| {
                        o.as_ref().ok().map(|r| MetricCurrent {
                            average_milli: r.raw_milli,
                            utilization: matches!(m.target, MetricTarget::Utilization(_)).then_some(r.utilization),
                        })
                    })
                    .collect();
                let Some((proposed, winner)) = hpa::compute_replicas_for_metrics(&proposals, current) else {
                    if let Some(e) = first_error
                        && let Some(reason) = e.reason
                    {
                        let condition = format!("the HPA was unable to compute the replica count: {}", e.condition);
                        if hpa.scaling_inactive.as_ref().is_none_or(|(_, m)| *m != condition) {
                            hpa.scaling_inactive = Some((reason, condition));
                            self.emit(EventKind::Warning {
                                by: format!("HPA {}", spec.name),
                                reason: reason.into(),
                                message: e.error,
                            });
                        }
                    }
                    continue;
                };
                hpa.scaling_inactive = None;
                hpa.scaled_by = winner;
                let memory = &mut hpa.memory;
                let bounds = spec.min_replicas..=spec.max_replicas;
                let normalized = match &spec.behavior {
                    Some(b) => hpa::normalize_with_behaviors(
                        memory,
                        now,
                        current,
                        proposed,
                        bounds,
                        &b.scale_up,
                        &b.scale_down,
                    ),
                    None => hpa::normalize_desired_replicas(memory, now, current, proposed, bounds),
                };
                let metric = &spec.metrics[winner];
                let Ok(r) = &outcomes[winner] else { continue };
                (normalized, rescale_reason(metric, r))
            };
            if desired != current {
                self.cluster().hpas[i].memory.record_scale(now, current, desired);
                self.cluster().deployments[d].spec.replicas = desired;
                self.emit(EventKind::Scaled {
                    by: format!("HPA {}", spec.name),
                    target: spec.target.clone(),
                    from: current,
                    to: desired,
                    reason,
                });
                self.api_write();
                self.sync_deployment_soon(d);
            }
        }
    }

    /// One metric's proposal (`computeReplicasForMetric`), or why there is none.
    fn metric_replicas(
        &self,
        d: usize,
        metric: &MetricSpec,
        current: u32,
        tolerances: hpa::Tolerances,
        cfg: &HpaConfig,
    ) -> Result<hpa::Recommendation, MetricError> {
        let now = self.now;
        match &metric.source {
            MetricSource::Resource { resource, container } => {
                let name = resource.name();
                let (reason, wrap) = match container {
                    None => ("FailedGetResourceMetric", format!("failed to get {name} resource metric value")),
                    Some(_) => {
                        ("FailedGetContainerResourceMetric", format!("failed to get {name} container metric value"))
                    }
                };
                let failed = |inner: String| {
                    let error = match metric.target {
                        MetricTarget::Utilization(_) => format!("failed to get {name} utilization: {inner}"),
                        MetricTarget::AverageValue { .. } => format!("failed to get {name} usage: {inner}"),
                    };
                    MetricError { reason: Some(reason), condition: format!("{wrap}: {error}"), error }
                };
                // getContainerMetrics: a pod with metrics must have the container.
                if let Some(c) = container
                    && let Some(pod) = self.pod_without_container(d, c)
                {
                    return Err(failed(format!(
                        "unable to get metrics for resource {name}: failed to get container metrics: container {c} not present in metrics for pod {}/{pod}",
                        self.kref().deployments[d].spec.namespace
                    )));
                }
                let samples = self.pod_samples(d, *resource, container.as_deref());
                let recommendation = match metric.target {
                    MetricTarget::Utilization(percent) => {
                        // calculatePodRequests: every counted container must request the resource.
                        if let Some((c, pod)) = self.missing_request(d, *resource, container.as_deref()) {
                            return Err(failed(format!("missing request for {name} in container {c} of Pod {pod}")));
                        }
                        hpa::get_resource_replicas(samples, current, percent, *resource, tolerances, now, cfg)
                    }
                    MetricTarget::AverageValue { milli, .. } => {
                        hpa::calc_plain_metric_replicas(samples, current, milli, Some(*resource), tolerances, now, cfg)
                    }
                };
                recommendation.ok_or_else(|| MetricError::quiet(hpa::NO_METRICS))
            }
            MetricSource::Pods { .. } => {
                let MetricTarget::AverageValue { milli, .. } = metric.target else {
                    return Err(MetricError::quiet("a Pods metric has an averageValue target"));
                };
                hpa::calc_plain_metric_replicas(
                    self.request_rate_samples(d),
                    current,
                    milli,
                    None,
                    tolerances,
                    now,
                    cfg,
                )
                .ok_or_else(|| MetricError::quiet(hpa::NO_METRICS))
            }
        }
    }

    /// The first container, in the first pod of the Deployment that has one,
    /// that names no request of `resource` among the containers a metric
    /// counts (every running one, or the one named): (container, pod).
    fn missing_request(&self, d: usize, resource: MetricResource, container: Option<&str>) -> Option<(String, String)> {
        let k = self.kref();
        let mut first: Option<(InstanceId, &str)> = None;
        for &r in &k.deployments[d].replica_sets {
            let rs = &k.replica_sets[r];
            let Some(c) = rs.template.running_containers().find(|c| {
                container.is_none_or(|name| c.name == name)
                    && match resource {
                        MetricResource::Cpu => c.cpu_request.is_none(),
                        MetricResource::Memory => c.memory_request.is_none(),
                    }
            }) else {
                continue;
            };
            if let Some(&pod) = rs.pods.iter().min()
                && first.is_none_or(|(p, _)| pod < p)
            {
                first = Some((pod, &c.name));
            }
        }
        first.map(|(pod, c)| (c.to_string(), self.instances[pod.index()].name.clone()))
    }

    /// The first pod of the Deployment with a metrics sample whose template
    /// has no running container named `container`.
    fn pod_without_container(&self, d: usize, container: &str) -> Option<String> {
        let k = self.kref();
        let traffic = self.traffic()?;
        k.deployments[d]
            .replica_sets
            .iter()
            .map(|&r| &k.replica_sets[r])
            .filter(|rs| !rs.template.running_containers().any(|c| c.name == container))
            .flat_map(|rs| rs.pods.iter().copied())
            .filter(|&id| traffic.sample(id).is_some())
            .min()
            .map(|id| self.instances[id.index()].name.clone())
    }

    /// Every pod of a Deployment as the replica calculator sees it for a
    /// resource metric, from metrics-server's records, which keep each pod's
    /// status beside its sample. A ReplicaSet's pods share its template, so
    /// their requests are its. The traffic a pod serves runs in its first
    /// app container, which so has all of its CPU use; a container's memory
    /// use is its memory request. Without traffic no pod has a sample, and no
    /// pod counts.
    fn pod_samples(
        &self,
        d: usize,
        resource: MetricResource,
        container: Option<&str>,
    ) -> impl Iterator<Item = PodSample> + '_ {
        let k = self.kref();
        let container = container.map(str::to_string);
        self.traffic().into_iter().flat_map(move |traffic| {
            let container = container.clone();
            k.deployments[d].replica_sets.iter().flat_map(move |&r| {
                let rs = &k.replica_sets[r];
                let counted = |c: &&ContainerSpec| container.as_deref().is_none_or(|name| c.name == name);
                let request = |c: &ContainerSpec| match resource {
                    MetricResource::Cpu => c.cpu_request.map_or(0, |m| m.0),
                    MetricResource::Memory => c.memory_request.map_or(0, |b| b.0.saturating_mul(1000)),
                };
                let request_milli: u64 = rs.template.running_containers().filter(counted).map(request).sum();
                // The CPU the traffic uses is the first app container's.
                let serving = rs.template.containers.first().is_some_and(|c| counted(&c));
                rs.pods.iter().map(move |&id| {
                    debug_assert_eq!(Some(traffic.pod_metrics(id).1), k.pods.get(&id).map(super::pod_status), "{id:?}");
                    pod_sample(traffic, id, request_milli, |millicores| match resource {
                        MetricResource::Cpu if serving => millicores,
                        MetricResource::Cpu => 0,
                        MetricResource::Memory => request_milli,
                    })
                })
            })
        })
    }

    /// Every pod of a Deployment with its `http_requests_per_second`, as the
    /// custom metrics API serves it.
    fn request_rate_samples(&self, d: usize) -> impl Iterator<Item = PodSample> + '_ {
        let k = self.kref();
        self.traffic().into_iter().flat_map(move |traffic| {
            k.deployments[d].replica_sets.iter().flat_map(move |&r| {
                k.replica_sets[r]
                    .pods
                    .iter()
                    .map(move |&id| pod_sample(traffic, id, 0, |millicores| traffic.request_rate(id, millicores)))
            })
        })
    }

    // ----- the cluster autoscaler -----

    /// Spare hosts of node groups start powered off and out of the cluster.
    pub(super) fn init_cluster_autoscaler(&mut self) {
        let Some(ca) = ca_spec(self).cloned() else { return };
        for g in &ca.node_groups {
            for &h in g.hosts.iter().skip(g.initial as usize) {
                self.power_off_node(h);
            }
        }
        self.cluster().autoscaler = Some(ClusterAutoscalerState::default());
        self.schedule_kube(ca.scan_interval, KubeDue::ClusterAutoscalerScan);
    }

    fn power_off_node(&mut self, host: HostId) {
        let overhead = {
            let Platform::Kubernetes(k) = &self.spec.platform else { return };
            node_overhead(k)
        };
        self.set_node_condition(host, NodeCondition::Absent);
        self.kubelet_stopped(host, false);
        let node = &mut self.cluster().nodes[host.index()];
        node.unschedulable = false;
        node.taints.retain(|t| t.key != crate::model::kube::TAINT_UNSCHEDULABLE);
        self.node_taints_changed(host);
        let h = &mut self.hosts[host.index()];
        if h.powered {
            h.powered = false;
            uncharge_node_overhead(h, overhead);
        }
        self.update_power(host);
        self.dirty_hosts.insert(host);
    }

    fn provision_node(&mut self, group: &NodeGroup, host: HostId) {
        let overhead = {
            let Platform::Kubernetes(k) = &self.spec.platform else { return };
            node_overhead(k)
        };
        let h = &mut self.hosts[host.index()];
        h.powered = true;
        charge_node_overhead(h, overhead);
        self.update_power(host);
        self.dirty_hosts.insert(host);
        self.set_node_condition(host, NodeCondition::Provisioning);
        let d = group.provisioning_time.sample(&mut self.startup_rng);
        self.schedule_kube(d, KubeDue::NodeBooted(host));
    }

    pub(super) fn cluster_autoscaler_scan(&mut self) {
        let Some(ca) = ca_spec(self).cloned() else { return };
        self.schedule_kube(ca.scan_interval, KubeDue::ClusterAutoscalerScan);
        self.touch(super::Component::ControllerManager);
        self.finish_removals();
        if !self.scale_up(&ca) && ca.scale_down_enabled {
            self.scale_down(&ca);
        }
    }

    /// Pods the scheduler could not place: add nodes so they fit, choosing the
    /// node group by the least-waste expander. Returns whether it scaled up.
    fn scale_up(&mut self, ca: &ClusterAutoscalerSpec) -> bool {
        let k = self.kref();
        let mut pending: Vec<Resources> =
            k.unschedulable.keys().filter_map(|p| k.pods.get(p)).filter(|p| !p.deleting).map(requests).collect();
        // First fit decreasing: by CPU, then memory, then extended resources.
        pending.sort_unstable_by_key(|r| std::cmp::Reverse((r.milli_cpu, r.memory, r.scalar)));
        if pending.is_empty() {
            return false;
        }
        // Per group: how many new nodes the binpacking estimator needs, and the waste.
        let mut best: Option<(f64, usize, u32)> = None;
        for (gi, g) in ca.node_groups.iter().enumerate() {
            let template = k.nodes[g.hosts[0].index()].allocatable;
            // Nodes already coming up take pods first.
            let upcoming: Vec<Resources> = g
                .hosts
                .iter()
                .filter(|h| k.nodes[h.index()].condition == NodeCondition::Provisioning)
                .map(|_| template)
                .collect();
            let in_group =
                g.hosts.iter().filter(|h| k.nodes[h.index()].condition != NodeCondition::Absent).count() as u32;
            let room = g.max.saturating_sub(in_group);
            let (new_nodes, waste) = binpack(&pending, template, upcoming, room);
            if new_nodes == 0 {
                continue;
            }
            // least-waste: the smallest (unused CPU / CPU) + (unused memory / memory); ties keep the first.
            if best.is_none_or(|(w, _, _)| waste < w) {
                best = Some((waste, gi, new_nodes));
            }
        }
        let Some((waste, gi, n)) = best else { return false };
        let group = ca.node_groups[gi].clone();
        let absent: Vec<HostId> = group
            .hosts
            .iter()
            .copied()
            .filter(|h| self.kref().nodes[h.index()].condition == NodeCondition::Absent && self.hosts[h.index()].up)
            .take(n as usize)
            .collect();
        if absent.is_empty() {
            return false;
        }
        let before =
            group.hosts.iter().filter(|h| self.kref().nodes[h.index()].condition != NodeCondition::Absent).count()
                as u32;
        for &h in &absent {
            self.provision_node(&group, h);
        }
        let now = self.now;
        if let Some(s) = self.cluster().autoscaler.as_mut() {
            s.last_scale_up = Some(now);
        }
        self.emit(EventKind::Scaled {
            by: "cluster-autoscaler".into(),
            target: group.name.clone(),
            from: before,
            to: before + absent.len() as u32,
            reason: format!("{} pods unschedulable; least-waste expander, waste {waste:.2}", pending.len()),
        });
        true
    }

    /// Nodes under the utilisation threshold for the unneeded time, whose pods
    /// fit elsewhere, are drained and removed.
    fn scale_down(&mut self, ca: &ClusterAutoscalerSpec) {
        let now = self.now;
        let since_add = self.kref().autoscaler.as_ref().and_then(|s| s.last_scale_up).map(|t| now.since(t));
        let mut candidates = Vec::new();
        for g in &ca.node_groups {
            let k = self.kref();
            let ready: Vec<HostId> =
                g.hosts.iter().copied().filter(|h| k.nodes[h.index()].condition == NodeCondition::Ready).collect();
            let removing =
                k.autoscaler.as_ref().map_or(0, |s| s.removing.iter().filter(|h| g.hosts.contains(h)).count());
            let mut allowed = (ready.len() - removing.min(ready.len())).saturating_sub(g.min as usize);
            for h in ready {
                let node = &k.nodes[h.index()];
                let requested = k.node_requested(node);
                let utilization = (requested.milli_cpu as f64 / node.allocatable.milli_cpu.max(1) as f64)
                    .max(requested.memory as f64 / node.allocatable.memory.max(1) as f64);
                let unneeded = utilization < ca.scale_down_utilization_threshold
                    && !k.autoscaler.as_ref().is_some_and(|s| s.removing.contains(&h));
                candidates.push((h, unneeded, allowed > 0));
                if unneeded && allowed > 0 {
                    allowed -= 1;
                }
            }
        }
        let mut removed = 0;
        for (h, unneeded, allowed) in candidates {
            let state = self.cluster().autoscaler.as_mut().expect("the autoscaler is set up");
            if !unneeded {
                state.unneeded_since.remove(&h);
                continue;
            }
            let since = *state.unneeded_since.entry(h).or_insert(now);
            let waited = now.since(since) >= ca.scale_down_unneeded_time;
            let after_add = since_add.is_none_or(|d| d >= ca.scale_down_delay_after_add);
            if waited && after_add && allowed && removed == 0 && self.pods_fit_elsewhere(h) {
                removed += 1;
                self.remove_node(h);
            }
        }
    }

    /// Whether every pod on `host` fits on the other Ready nodes (first fit on requests).
    fn pods_fit_elsewhere(&self, host: HostId) -> bool {
        let k = self.kref();
        let mut free: Vec<Resources> = k
            .nodes
            .iter()
            .filter(|n| n.host != host && n.condition == NodeCondition::Ready && !n.unschedulable)
            .map(|n| {
                let mut room = n.allocatable;
                take(&mut room, &k.node_requested(n));
                room.pods = n.allocatable.pods - n.pods.len() as i64;
                room
            })
            .collect();
        k.nodes[host.index()]
            .pods
            .iter()
            .filter_map(|p| k.pods.get(p))
            .filter(|p| !p.deleting)
            .all(|p| first_fit(&mut free, &requests(p)))
    }

    fn remove_node(&mut self, host: HostId) {
        let name = self.setup.hosts[host.index()].name.clone();
        let group = self.setup.hosts[host.index()].group.clone();
        self.emit(EventKind::Scaled {
            by: "cluster-autoscaler".into(),
            target: group,
            from: 1,
            to: 0,
            reason: format!("{name} was unneeded for the scale-down-unneeded-time"),
        });
        if let Some(s) = self.cluster().autoscaler.as_mut() {
            s.removing.push(host);
            s.unneeded_since.remove(&host);
        }
        // Drain: cordon, then evict every pod; the node goes when it is empty.
        self.kube_act(&crate::model::spec::Action::Drain(host));
        self.finish_removals();
    }

    /// Powers off drained nodes once their pods are gone.
    fn finish_removals(&mut self) {
        let removing = self.kref().autoscaler.as_ref().map(|s| s.removing.clone()).unwrap_or_default();
        for h in removing {
            if self.kref().nodes[h.index()].pods.is_empty() {
                if let Some(s) = self.cluster().autoscaler.as_mut() {
                    s.removing.retain(|x| *x != h);
                }
                self.power_off_node(h);
                self.note_nodes_ready();
            }
        }
    }
}

/// The binpacking estimator: how many new nodes of `template` the pending pods
/// need (first fit decreasing, upcoming nodes first), at most `room`, and the
/// least-waste score of those new nodes.
pub fn binpack(pending: &[Resources], template: Resources, upcoming: Vec<Resources>, room: u32) -> (u32, f64) {
    // Room left per node, and whether the node is new.
    let mut bins: Vec<(Resources, bool)> = upcoming.into_iter().map(|r| (r, false)).collect();
    let mut new_nodes = 0u32;
    for r in pending {
        if !holds(&template, r) {
            continue;
        }
        if first_fit(bins.iter_mut().map(|b| &mut b.0), r) {
            continue;
        }
        if new_nodes >= room {
            continue;
        }
        new_nodes += 1;
        let mut bin = template;
        take(&mut bin, r);
        bins.push((bin, true));
    }
    let added: Vec<&Resources> = bins.iter().filter(|b| b.1).map(|b| &b.0).collect();
    let n = added.len().max(1) as f64;
    let unused_cpu: f64 =
        added.iter().map(|b| b.milli_cpu as f64).sum::<f64>() / (template.milli_cpu.max(1) as f64 * n);
    let unused_mem: f64 = added.iter().map(|b| b.memory as f64).sum::<f64>() / (template.memory.max(1) as f64 * n);
    (new_nodes, unused_cpu + unused_mem)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binpacking_counts_nodes_for_pending_pods() {
        let template = Resources { milli_cpu: 4000, memory: 16_000, pods: 110, ..Resources::default() };
        let pod = |cpu, memory| Resources { milli_cpu: cpu, memory, pods: 1, ..Resources::default() };
        // Five pods of 1500m: two per node → 3 nodes; unused CPU (1000 + 1000 + 2500)/12000, memory none used … .
        let pending = vec![pod(1500, 1000); 5];
        let (n, waste) = binpack(&pending, template, Vec::new(), 10);
        assert_eq!(n, 3);
        let expected = 4500.0 / 12_000.0 + (48_000.0 - 5_000.0) / 48_000.0;
        assert!((waste - expected).abs() < 1e-12);
        // One node already coming up takes two of them.
        assert_eq!(binpack(&pending, template, vec![template], 10).0, 2);
        // At most `room` new nodes.
        assert_eq!(binpack(&pending, template, Vec::new(), 1).0, 1);
        // A pod larger than a node is left out.
        assert_eq!(binpack(&[pod(5000, 1)], template, Vec::new(), 10).0, 0);
        // A pod asking for a GPU needs a node that has one.
        let gpu = Resources { scalar: [1, 0, 0, 0], ..pod(100, 1) };
        assert_eq!(binpack(&[gpu], template, Vec::new(), 10).0, 0);
        let gpu_node = Resources { scalar: [4, 0, 0, 0], ..template };
        assert_eq!(binpack(&[gpu; 6], gpu_node, Vec::new(), 10).0, 2);
    }
}
