//! The API server, as the components meet it: `kubectl apply` and the
//! other commands store objects, and pods are created and deleted through
//! it. Each write lights up the API server and etcd; the controllers that
//! watch the object hear of it after the platform's watch delay.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::cluster::pod_info;
use super::cluster::{Deployment, KubeDue, KubeWorld, Pod, PodOwner, Service, StandalonePod};
use super::controllers::{deployment, disruption, endpoints, node_lifecycle, replica_set};
use super::scheduler::{PodInfo, scheduling_queue};
use super::{hpa, kubelet};
use crate::engine::SimDuration;
use crate::model::event::EventKind;
use crate::model::kube::{
    DeploymentSpec, DeploymentStrategy, IntOrPercent, Labels, PodTemplate, ReplicaSetSpec, StandalonePodSpec,
    TAINT_UNSCHEDULABLE, Taint, TaintEffect,
};
use crate::model::spec::{Action, KubeObject};
use crate::model::{AppId, DemandId, HostId, InstanceId, Phase, WorkloadId};

/// Takes an action in a Kubernetes world; `false` when it is not one of its own.
pub fn act(w: &mut impl KubeWorld, action: &Action) -> bool {
    match action {
        Action::Launch { app, count } => {
            let d = deployment_for_app(w, *app);
            let c = w.cluster();
            c.deployments[d].spec.replicas = c.deployments[d].spec.replicas.saturating_add(*count);
            w.api_write();
            deployment::sync_soon(w, d);
        }
        Action::Stop { app, count } => {
            let name = w.setup().apps[app.index()].name.clone();
            if let Some(d) = w.cluster().deployment(&name) {
                let c = w.cluster();
                c.deployments[d].spec.replicas = c.deployments[d].spec.replicas.saturating_sub(*count);
                w.api_write();
                deployment::sync_soon(w, d);
            }
        }
        Action::Apply(object) => match &**object {
            KubeObject::Deployment(spec) => apply_deployment(w, (**spec).clone()),
            KubeObject::ReplicaSet(spec) => apply_replica_set(w, spec),
            KubeObject::Pod(spec) => apply_pod(w, spec),
            KubeObject::HorizontalPodAutoscaler(spec) => hpa::controller::apply(w, spec.clone()),
            KubeObject::PodDisruptionBudget(spec) => {
                let now = w.now();
                let c = w.cluster();
                match c.disruption_budgets.iter_mut().find(|(b, _)| b.name == spec.name) {
                    Some((b, _)) => *b = spec.clone(),
                    None => c.disruption_budgets.push((spec.clone(), now)),
                }
                w.api_write();
            }
            KubeObject::Service(spec) => {
                let c = w.cluster();
                let s = match c.services.iter().position(|s| s.spec.name == spec.name) {
                    Some(s) => s,
                    None => {
                        c.services.push(Service { spec: spec.clone(), endpoints: Vec::new(), relist: true });
                        c.services.len() - 1
                    }
                };
                c.services[s].spec = spec.clone();
                // The endpoints controller lists the Service's pods afresh at its next sync.
                c.services[s].relist = true;
                w.api_write();
                endpoints::sync_soon(w);
            }
        },
        Action::Scale { deployment, replicas } => {
            if let Some(d) = w.cluster().deployment(deployment) {
                w.cluster().deployments[d].spec.replicas = *replicas;
                w.api_write();
                deployment::sync_soon(w, d);
            }
        }
        Action::SetImage { deployment, container, image } => {
            if let Some(d) = w.cluster().deployment(deployment) {
                let mut spec = w.cluster().deployments[d].spec.clone();
                let idx = match container {
                    Some(name) => spec.template.containers.iter().position(|c| &c.name == name).unwrap_or(0),
                    None => 0,
                };
                if let Some(c) = spec.template.containers.get_mut(idx) {
                    c.image = *image;
                }
                apply_deployment(w, spec);
            }
        }
        Action::Cordon(host) => set_cordon(w, *host, true),
        Action::Uncordon(host) => set_cordon(w, *host, false),
        Action::Drain(host) => {
            set_cordon(w, *host, true);
            let pods: Vec<InstanceId> = w.cluster().nodes[host.index()].pods.iter().copied().collect();
            for p in pods {
                disruption::drain_evict(w, p);
            }
        }
        Action::FailHost(_) | Action::RecoverHost(_) => return false,
    }
    true
}

/// The Deployment `Launch(app)` scales: the app's name, its image and requests.
pub fn deployment_for_app(w: &mut impl KubeWorld, app: AppId) -> usize {
    let spec = w.setup().apps[app.index()].clone();
    if let Some(d) = w.kref().deployment(&spec.name) {
        return d;
    }
    let template = crate::model::kube::PodTemplate {
        labels: [("app".to_string(), spec.name.clone())].into_iter().collect(),
        init_containers: Vec::new(),
        containers: vec![crate::model::kube::ContainerSpec {
            name: spec.name.clone(),
            image: spec.image,
            image_pull_policy: kubelet::default_pull_policy(&w.setup().images[spec.image.index()].name),
            cpu_request: Some(spec.cpu),
            memory_request: Some(spec.memory),
            cpu_limit: None,
            memory_limit: None,
            readiness_delay: SimDuration::ZERO,
            exits_after: None,
            sidecar: false,
            extended: [0; crate::model::kube::MAX_EXTENDED_RESOURCES],
        }],
        node_selector: Labels::new(),
        node_name: None,
        affinity: Default::default(),
        tolerations: Vec::new(),
        topology_spread_constraints: Vec::new(),
        restart_policy: Default::default(),
        termination_grace: SimDuration::from_secs(30),
        resources: Default::default(),
    };
    let deployment = DeploymentSpec {
        name: spec.name.clone(),
        namespace: "default".into(),
        replicas: 0,
        // apps/v1 defaults: RollingUpdate with maxSurge and maxUnavailable 25%.
        strategy: DeploymentStrategy::RollingUpdate {
            max_surge: IntOrPercent::Percent(25),
            max_unavailable: IntOrPercent::Percent(25),
        },
        min_ready: SimDuration::ZERO,
        template,
    };
    create_deployment(w, deployment)
}

/// Stores a new Deployment; the workload its pods belong to is named after it.
pub fn create_deployment(w: &mut impl KubeWorld, spec: DeploymentSpec) -> usize {
    let workload = w.workload_named(&spec.name);
    let c = w.cluster();
    c.deployment_by_name.insert(spec.name.clone(), c.deployments.len());
    c.deployments.push(Deployment {
        spec,
        workload,
        replica_sets: Vec::new(),
        rollout_started: None,
        last_rollout: None,
        rollout_min_available: None,
        last_rollout_min_available: None,
        ready_pods: 0,
    });
    c.deployments.len() - 1
}

/// `kubectl apply` of a Deployment: a new template starts a rollout.
pub fn apply_deployment(w: &mut impl KubeWorld, spec: DeploymentSpec) {
    let d = match w.cluster().deployment(&spec.name) {
        Some(d) => {
            let now = w.now();
            let dep = &mut w.cluster().deployments[d];
            if dep.spec.template != spec.template {
                dep.rollout_started = Some(now);
                dep.rollout_min_available = None;
            }
            dep.spec = spec;
            d
        }
        None => create_deployment(w, spec),
    };
    w.api_write();
    deployment::sync_soon(w, d);
}

/// `kubectl apply` of a ReplicaSet without an owner: its replicas and
/// template change; the pods it has keep the template they were made from.
pub fn apply_replica_set(w: &mut impl KubeWorld, spec: &ReplicaSetSpec) {
    let r = match w.kref().standalone_replica_set(&spec.name) {
        Some(r) => {
            let template = Arc::new(spec.template.clone());
            if *w.kref().replica_sets[r].template != *template {
                let (demand, info) = pod_demand(w, &template, &spec.namespace);
                let rs = &mut w.cluster().replica_sets[r];
                rs.template = template;
                rs.older_templates |= !rs.pods.is_empty();
                rs.demand = demand;
                rs.pod_info = info;
            }
            w.cluster().replica_sets[r].replicas = spec.replicas;
            r
        }
        None => {
            let workload = w.workload_named(&spec.name);
            let template = Arc::new(spec.template.clone());
            let r = replica_set::create(w, spec.name.clone(), &spec.namespace, None, workload, template);
            let c = w.cluster();
            c.replica_set_by_name.insert(spec.name.clone(), r);
            c.replica_sets[r].replicas = spec.replicas;
            r
        }
    };
    w.api_write();
    replica_set::sync_soon(w, r);
}

/// `kubectl apply` of a Pod: it is created when no pod of that name
/// exists. The API server refuses most changes to a pod's spec, so a
/// pod that exists is left as it is.
pub fn apply_pod(w: &mut impl KubeWorld, spec: &StandalonePodSpec) {
    let c = w.kref();
    let found = c.standalone_pods.iter().position(|p| p.spec.name == spec.name && p.spec.namespace == spec.namespace);
    if found.is_some_and(|i| c.standalone_pods[i].pod.is_some()) {
        return;
    }
    let i = match found {
        Some(i) => {
            w.cluster().standalone_pods[i].spec = spec.clone();
            i
        }
        None => {
            let workload = w.workload_named(&spec.name);
            let c = w.cluster();
            c.standalone_pods.push(StandalonePod { spec: spec.clone(), workload, pod: None });
            c.standalone_pods.len() - 1
        }
    };
    let template = Arc::new(spec.template.clone());
    let (demand, info) = pod_demand(w, &template, &spec.namespace);
    let workload = w.kref().standalone_pods[i].workload;
    let id = create_pod(w, PodOwner::Standalone(i), workload, demand, template, info, spec.name.clone());
    w.cluster().standalone_pods[i].pod = Some(id);
    w.api_write();
}

/// `kubectl cordon` or `uncordon`: the node takes no new pods while cordoned.
pub fn set_cordon(w: &mut impl KubeWorld, host: HostId, cordon: bool) {
    let node = &mut w.cluster().nodes[host.index()];
    node.unschedulable = cordon;
    node.taints.retain(|t| t.key != TAINT_UNSCHEDULABLE);
    if cordon {
        node.taints.push(Taint {
            key: TAINT_UNSCHEDULABLE.into(),
            value: String::new(),
            effect: TaintEffect::NoSchedule,
        });
    }
    node_lifecycle::node_taints_changed(w, host);
    w.api_write();
    if !cordon {
        scheduling_queue::move_all_to_active_or_backoff(w);
    }
}

/// The API server creates a pod; it waits for the scheduler.
pub fn create_pod(
    w: &mut impl KubeWorld,
    owner: PodOwner,
    workload: WorkloadId,
    demand: DemandId,
    template: Arc<PodTemplate>,
    pod_info: Arc<PodInfo>,
    name: String,
) -> InstanceId {
    let id = w.launch_pod(workload, demand);
    let now = w.now();
    let c = w.cluster();
    c.pods.insert(
        id,
        Pod {
            owner,
            template,
            pod_info,
            node: None,
            created: now,
            running: false,
            ready: false,
            ready_since: None,
            ready_changed: None,
            deleting: false,
            restarts: 0,
            restart_backoff: SimDuration::ZERO,
            attempts: 0,
            eviction_at: None,
            images_missing: BTreeSet::new(),
            pinned: false,
            started_at: None,
            epoch: 0,
        },
    );
    c.queue.active.push_back(id);
    w.instance_mut(id).name = name;
    let delay = w.watch_delay();
    w.schedule_kube(delay, KubeDue::SchedulingCycle);
    id
}

/// Sets a pod's deletion timestamp; the kubelet then stops it.
pub fn delete_pod(w: &mut impl KubeWorld, p: InstanceId) {
    let c = w.cluster();
    if c.pods.get(&p).is_none_or(|pod| pod.deleting) {
        return;
    }
    c.update_pod(p, |pod| {
        pod.deleting = true;
        pod.eviction_at = None;
    });
    kubelet::pod_status_changed(w, p);
    let c = w.cluster();
    let pod = &c.pods[&p];
    let (node, ready, deployment, info) = (pod.node, pod.ready, c.pod_deployment(pod), Arc::clone(&pod.pod_info));
    c.endpoints_controller.changed.insert(p);
    if ready && let Some(d) = deployment {
        c.deployments[d].ready_pods -= 1;
    }
    if let Some(h) = node {
        // Terminating: spreading counts it no more, though it still holds its requests.
        c.cache.pod_terminating(h.index(), &info);
    }
    c.queue.backoff.remove(&p);
    c.queue.unschedulable.remove(&p);
    // EndpointSlice conditions: a pod with a deletion timestamp is
    // `ready: false, terminating: true` at once, and gets no new requests.
    if c.endpoints_controller.serving.remove(&p) {
        for s in &mut c.services {
            if let Ok(at) = s.endpoints.binary_search(&p) {
                s.endpoints.remove(at);
            }
        }
        w.endpoints_changed(&[p]);
    }
    let phase = w.instance(p).phase;
    match node {
        None => {
            w.set_phase(p, Phase::Stopped);
            forget_pod(w, p);
        }
        Some(host) if !w.host_up(host) || phase == Phase::Unknown => {
            // Its node is silent: the pod stays Terminating until the kubelet
            // is back to confirm that its containers are gone
            // (`kubelet::sync_pods`); its ReplicaSet counts it out at once.
            w.emit(EventKind::MarkedForDeletion { instance: p });
        }
        Some(_) => {
            if phase != Phase::Stopping && !phase.is_terminal() {
                w.set_phase(p, Phase::Stopping);
                let d = w.platform().container_stop_time.clone().sample(w.stop_rng());
                w.schedule_phase_end(p, d, KubeDue::PodTerminated(p));
            }
        }
    }
    endpoints::sync_soon(w);
    if let Some(r) = w.cluster().pods.get(&p).and_then(|pod| pod.owner.replica_set()) {
        replica_set::sync_soon(w, r);
    }
}

/// Removes a pod from the API server and frees what it held.
pub fn forget_pod(w: &mut impl KubeWorld, p: InstanceId) {
    release_pod(w, p);
    let c = w.cluster();
    if let Some(pod) = c.remove_pod(p) {
        let deployment = c.pod_deployment(&pod);
        match pod.owner {
            PodOwner::ReplicaSet(r) => {
                c.replica_sets[r].pods.remove(&p);
            }
            PodOwner::Standalone(i) => c.standalone_pods[i].pod = None,
        }
        c.endpoints_controller.changed.insert(p);
        if pod.ready {
            c.ready_pods -= 1;
            if !pod.deleting
                && let Some(d) = deployment
            {
                c.deployments[d].ready_pods -= 1;
            }
        }
        if let Some(h) = pod.node {
            c.nodes[h.index()].pods.remove(&p);
            c.cache.remove_pod(h.index(), &pod.pod_info, !pod.deleting);
        }
        if let Some(r) = pod.owner.replica_set() {
            replica_set::sync_soon(w, r);
        }
        if let Some(d) = deployment {
            deployment::sync_soon(w, d);
        }
    }
    w.api_write();
    scheduling_queue::move_all_to_active_or_backoff(w);
    node_lifecycle::check_recovery(w);
}

/// Gives back the pod's reservation on its host and its cache pins.
pub fn release_pod(w: &mut impl KubeWorld, p: InstanceId) {
    let pinned = w.cluster().pods.get(&p).is_some_and(|pod| pod.pinned);
    if let Some(host) = w.instance(p).host
        && w.host_holds(host, p)
    {
        let demands = w.demands();
        let demand = &demands[w.instance(p).demand.index()];
        w.unreserve(p, host);
        if pinned {
            for &b in &demand.blobs {
                w.layer_cache_mut(host).unpin(b);
            }
        }
    }
    if let Some(pod) = w.cluster().pods.get_mut(&p) {
        pod.pinned = false;
    }
}

/// What pods made from `template` in `namespace` need of a host, and how the scheduler sees them.
pub fn pod_demand(w: &mut impl KubeWorld, template: &PodTemplate, namespace: &str) -> (DemandId, Arc<PodInfo>) {
    let demand = kubelet::pod_demand(template, w.platform(), w.setup());
    let demand = w.add_demand(demand);
    let mut info = pod_info(template, namespace);
    w.cluster().cache.prepare(&mut info);
    (demand, Arc::new(info))
}
