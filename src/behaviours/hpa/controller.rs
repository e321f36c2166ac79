//! The HorizontalPodAutoscaler controller (`pkg/controller/podautoscaler/horizontal.go`):
//! every 15 s it reads each HPA's metrics (metrics-server's CPU samples,
//! memory, the custom metrics API's requests per second), asks the replica
//! calculator for each metric's proposal, takes the largest, stabilises and
//! rate-limits it, and scales the target Deployment.

use std::sync::Arc;

use super::{HpaConfig, HpaMemory, PodSample};
use crate::behaviours::cluster::{Component, KubeDue, KubeWorld, pod_status};
use crate::behaviours::controllers::deployment;
use crate::behaviours::hpa;
use crate::engine::SimDuration;
use crate::model::InstanceId;
use crate::model::event::EventKind;
use crate::model::hpa::{MetricCurrent, MetricResource, MetricSource, MetricSpec, MetricTarget, decimal_si_milli};
use crate::model::kube::{ContainerSpec, PodTemplate};
use crate::model::spec::HpaSpec;

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
    /// The `AbleToScale` condition's reason and message, once a sync set it.
    pub able_to_scale: Option<(&'static str, String)>,
    /// The `ScalingLimited` condition, once a sync set it: its status, reason and message.
    pub scaling_limited: Option<(bool, hpa::Why)>,
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
fn pod_sample(w: &impl KubeWorld, id: InstanceId, request_milli: u64, usage: impl Fn(u64) -> u64) -> PodSample {
    let (failed, status, sample) = w.pod_metrics(id).unwrap_or_default();
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

/// `kubectl apply` of a HorizontalPodAutoscaler: the controller syncs every
/// HPA from the first one's sync period on.
pub fn apply(w: &mut impl KubeWorld, spec: HpaSpec) {
    let c = w.cluster();
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
            able_to_scale: None,
            scaling_limited: None,
        }),
    }
    if first {
        w.schedule_kube(HPA_SYNC_PERIOD, KubeDue::HpaSync);
    }
}

/// The HPA controller's sync of every HorizontalPodAutoscaler
/// (`reconcileAutoscaler`).
pub fn sync(w: &mut impl KubeWorld) {
    w.schedule_kube(HPA_SYNC_PERIOD, KubeDue::HpaSync);
    w.touch(Component::ControllerManager);
    let now = w.now();
    let cfg = HpaConfig::default();
    for i in 0..w.kref().hpas.len() {
        let spec = Arc::clone(&w.kref().hpas[i].spec);
        let Some(d) = w.kref().deployment(&spec.target) else { continue };
        let current = w.kref().deployments[d].spec.replicas;
        // Scaled to zero by hand: autoscaling is off for it.
        if current == 0 {
            continue;
        }
        w.cluster().hpas[i].memory.record_initial(now, current);
        let tolerances = hpa::Tolerances::for_hpa(&cfg, spec.behavior.as_ref());
        let (desired, reason) = if current > spec.max_replicas {
            w.cluster().hpas[i].scaling_inactive = None;
            (spec.max_replicas, "current replicas above maxReplicas".to_string())
        } else if current < spec.min_replicas {
            w.cluster().hpas[i].scaling_inactive = None;
            (spec.min_replicas, "current replicas below minReplicas".to_string())
        } else {
            let outcomes: Vec<Result<hpa::Recommendation, MetricError>> =
                spec.metrics.iter().map(|m| metric_replicas(w, d, m, current, tolerances, &cfg)).collect();
            let proposals: Vec<Option<u32>> = outcomes.iter().map(|o| o.as_ref().ok().map(|r| r.replicas)).collect();
            let first_error = outcomes.iter().find_map(|o| o.as_ref().err()).cloned();
            let hpa = &mut w.cluster().hpas[i];
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
                        w.emit(EventKind::Warning {
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
                Some(b) => {
                    hpa::normalize_with_behaviors(memory, now, current, proposed, bounds, &b.scale_up, &b.scale_down)
                }
                None => hpa::normalize_desired_replicas(memory, now, current, proposed, bounds),
            };
            let hpa = &mut w.cluster().hpas[i];
            let (reason, message) =
                normalized.stabilized.unwrap_or(("ReadyForNewScale", "recommended size matches current size"));
            hpa.able_to_scale = Some((reason, message.to_string()));
            hpa.scaling_limited = Some(normalized.limited);
            let metric = &spec.metrics[winner];
            let Ok(r) = &outcomes[winner] else { continue };
            (normalized.replicas, rescale_reason(metric, r))
        };
        if desired != current {
            w.cluster().hpas[i].memory.record_scale(now, current, desired);
            w.cluster().hpas[i].able_to_scale = Some((
                "SucceededRescale",
                format!("the HPA controller was able to update the target scale to {desired}"),
            ));
            w.cluster().deployments[d].spec.replicas = desired;
            w.emit(EventKind::Scaled {
                by: format!("HPA {}", spec.name),
                target: spec.target.clone(),
                from: current,
                to: desired,
                reason,
            });
            w.api_write();
            deployment::sync_soon(w, d);
        }
    }
}

/// One metric's proposal (`computeReplicasForMetric`), or why there is none.
fn metric_replicas(
    w: &impl KubeWorld,
    d: usize,
    metric: &MetricSpec,
    current: u32,
    tolerances: hpa::Tolerances,
    cfg: &HpaConfig,
) -> Result<hpa::Recommendation, MetricError> {
    let now = w.now();
    match &metric.source {
        MetricSource::Resource { resource, container } => {
            let name = resource.name();
            let (reason, wrap) = match container {
                None => ("FailedGetResourceMetric", format!("failed to get {name} resource metric value")),
                Some(_) => ("FailedGetContainerResourceMetric", format!("failed to get {name} container metric value")),
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
                && let Some(pod) = pod_without_container(w, d, c)
            {
                return Err(failed(format!(
                    "unable to get metrics for resource {name}: failed to get container metrics: container {c} not present in metrics for pod {}/{pod}",
                    w.kref().deployments[d].spec.namespace
                )));
            }
            let samples = pod_samples(w, d, *resource, container.as_deref());
            let recommendation = match metric.target {
                MetricTarget::Utilization(percent) => {
                    // calculateRequests: every counted container, or the pod itself, must request the resource.
                    if let Some(error) = request_error(w, d, *resource, container.as_deref()) {
                        return Err(failed(error));
                    }
                    hpa::get_resource_replicas(samples, current, percent, *resource, tolerances, now, cfg)
                }
                MetricTarget::AverageValue { milli, .. } => {
                    hpa::get_raw_resource_replicas(samples, current, milli, *resource, tolerances, now, cfg)
                }
            };
            recommendation.ok_or_else(|| MetricError::quiet(hpa::NO_METRICS))
        }
        MetricSource::Pods { .. } => {
            let MetricTarget::AverageValue { milli, .. } = metric.target else {
                return Err(MetricError::quiet("a Pods metric has an averageValue target"));
            };
            hpa::get_metric_replicas(request_rate_samples(w, d), current, milli, tolerances, now, cfg)
                .ok_or_else(|| MetricError::quiet(hpa::NO_METRICS))
        }
    }
}

/// Why the requests of the Deployment's pods cannot be counted for a
/// utilization target (`calculateRequests`' error), for the first pod that
/// fails: a counted container without a request of `resource`, or a pod
/// that sets requests of its own but names none of it.
fn request_error(w: &impl KubeWorld, d: usize, resource: MetricResource, container: Option<&str>) -> Option<String> {
    let k = w.kref();
    let mut first: Option<(InstanceId, RequestError)> = None;
    for &r in &k.deployments[d].replica_sets {
        let rs = &k.replica_sets[r];
        let error = match calculate_requests(&rs.template, container, resource) {
            Err(e @ (RequestError::MissingRequest(_) | RequestError::MissingPodLevelRequest)) => e,
            _ => continue,
        };
        if let Some(&pod) = rs.pods.iter().min()
            && first.is_none_or(|(p, _)| pod < p)
        {
            first = Some((pod, error));
        }
    }
    let (pod, error) = first?;
    let (name, pod) = (resource.name(), &w.instance(pod).name);
    Some(match error {
        RequestError::MissingRequest(c) => format!("missing request for {name} in container {c} of Pod {pod}"),
        _ => format!("missing pod-level request for {name} in Pod {pod}"),
    })
}

/// The first pod of the Deployment with a metrics sample whose template
/// has no running container named `container`.
fn pod_without_container(w: &impl KubeWorld, d: usize, container: &str) -> Option<String> {
    let k = w.kref();
    k.deployments[d]
        .replica_sets
        .iter()
        .map(|&r| &k.replica_sets[r])
        .filter(|rs| !rs.template.running_containers().any(|c| c.name == container))
        .flat_map(|rs| rs.pods.iter().copied())
        .filter(|&id| w.pod_metrics(id).is_some_and(|(_, _, sample)| sample.is_some()))
        .min()
        .map(|id| w.instance(id).name.clone())
}

/// Why a pod's requests cannot be summed for a metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestError<'a> {
    /// `missing request for <resource> in container <name> of Pod <pod>`.
    MissingRequest(&'a str),
    /// `missing pod-level request for <resource> in Pod <pod>`: the pod sets
    /// requests of its own, none of them, nor any container's, for this resource.
    MissingPodLevelRequest,
    /// `container <name> not found in Pod <pod>`: the metric names a container the pod lacks.
    ContainerNotFound,
}

/// One request of `resource` in thousandths (CPU millicores, memory milli-bytes).
fn thousandths(
    resource: MetricResource,
    cpu: Option<crate::model::Millicores>,
    memory: Option<crate::model::Bytes>,
) -> Option<u64> {
    match resource {
        MetricResource::Cpu => cpu.map(|m| m.0),
        MetricResource::Memory => memory.map(|b| b.0.saturating_mul(1000)),
    }
}

/// `calculateRequests` (`replica_calculator.go`) for a pod of `template`:
/// its request of `resource` in thousandths, from its pod-level requests
/// when it sets any and the metric names no container
/// ([`calculate_pod_level_requests`]), else from its containers
/// ([`calculate_pod_requests_from_containers`]).
pub fn calculate_requests<'a>(
    template: &'a PodTemplate,
    container: Option<&str>,
    resource: MetricResource,
) -> Result<u64, RequestError<'a>> {
    if template.resources.requests_set() && container.is_none() {
        calculate_pod_level_requests(template, resource)
    } else {
        calculate_pod_requests_from_containers(template, container, resource)
    }
}

/// `calculatePodLevelRequests` (`replica_calculator.go`): the pod's
/// `PodRequests` of `resource`, its own request where it sets one, else
/// what its containers request together; an error when neither names it.
pub fn calculate_pod_level_requests(template: &PodTemplate, resource: MetricResource) -> Result<u64, RequestError<'_>> {
    let own = &template.resources;
    if let Some(r) = thousandths(resource, own.cpu_request, own.memory_request) {
        return Ok(r);
    }
    let named = template.containers.iter().chain(&template.init_containers);
    if !named.clone().any(|c| thousandths(resource, c.cpu_request, c.memory_request).is_some()) {
        return Err(RequestError::MissingPodLevelRequest);
    }
    let (cpu, memory) = template.container_requests();
    Ok(thousandths(resource, Some(cpu), Some(memory)).unwrap_or(0))
}

/// `calculatePodRequestsFromContainers` (`replica_calculator.go`) for a pod
/// of `template`: the sum of its requests of `resource`, in thousandths,
/// over the containers a metric counts: every app container and every
/// sidecar (an init container with `restartPolicy: Always`), or the one
/// named. A counted container that requests none of it is an error, the
/// first one found, app containers first; so is a named container the pod
/// does not have.
pub fn calculate_pod_requests_from_containers<'a>(
    template: &'a PodTemplate,
    container: Option<&str>,
    resource: MetricResource,
) -> Result<u64, RequestError<'a>> {
    let counted = template.containers.iter().chain(template.init_containers.iter().filter(|c| c.sidecar));
    let mut sum = 0u64;
    let mut found = false;
    for c in counted.filter(|c| container.is_none_or(|name| c.name == name)) {
        found = true;
        let request = thousandths(resource, c.cpu_request, c.memory_request);
        sum = sum.saturating_add(request.ok_or(RequestError::MissingRequest(c.name.as_str()))?);
    }
    if container.is_some() && !found {
        return Err(RequestError::ContainerNotFound);
    }
    Ok(sum)
}

/// Every pod of a Deployment as the replica calculator sees it for a
/// resource metric, from metrics-server's records, which keep each pod's
/// status beside its sample. A ReplicaSet's pods share its template, so
/// their requests are its. The traffic a pod serves runs in its first
/// app container, which so has all of its CPU use; a container's memory
/// use is its memory request. Without traffic no pod has a sample, and no
/// pod counts.
fn pod_samples(w: &impl KubeWorld, d: usize, resource: MetricResource, container: Option<&str>) -> Vec<PodSample> {
    let k = w.kref();
    let mut samples = Vec::new();
    if !w.metered() {
        return samples;
    }
    for &r in &k.deployments[d].replica_sets {
        let rs = &k.replica_sets[r];
        let counted = |c: &&ContainerSpec| container.is_none_or(|name| c.name == name);
        // What calculateRequests gives, or where it fails (the metric is
        // then not computed for a utilization target) a missing request as 0.
        let request_milli = calculate_requests(&rs.template, container, resource).unwrap_or_else(|_| {
            let request = |c: &ContainerSpec| thousandths(resource, c.cpu_request, c.memory_request).unwrap_or(0);
            rs.template.running_containers().filter(counted).map(request).sum()
        });
        // The CPU the traffic uses is the first app container's.
        let serving = rs.template.containers.first().is_some_and(|c| counted(&c));
        samples.extend(rs.pods.iter().map(|&id| {
            debug_assert_eq!(w.pod_metrics(id).map(|(_, status, _)| status), k.pods.get(&id).map(pod_status), "{id:?}");
            pod_sample(w, id, request_milli, |millicores| match resource {
                MetricResource::Cpu if serving => millicores,
                MetricResource::Cpu => 0,
                MetricResource::Memory => request_milli,
            })
        }));
    }
    samples
}

/// Every pod of a Deployment with its `http_requests_per_second`, as the
/// custom metrics API serves it.
fn request_rate_samples(w: &impl KubeWorld, d: usize) -> Vec<PodSample> {
    let k = w.kref();
    let mut samples = Vec::new();
    if !w.metered() {
        return samples;
    }
    for &r in &k.deployments[d].replica_sets {
        let pods = k.replica_sets[r].pods.iter();
        samples.extend(pods.map(|&id| pod_sample(w, id, 0, |millicores| w.request_rate(id, millicores))));
    }
    samples
}
