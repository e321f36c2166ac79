//! The kubelet: it registers its node, admits pods bound to it, pulls their
//! images (one image at a time when `serializeImagePulls` is on, the
//! default) through the registry and the node's layer cache, starts the
//! containers (init containers first, one after another), reports them Ready
//! after their readiness delay, restarts them with a back-off of 10 s
//! doubling to 5 min when they exit, stops them when the pod is deleted,
//! reports the images its node holds, and sends heartbeats.

use crate::engine::SimDuration;
use crate::model::kube::{ImagePullPolicy, PodTemplate};
use crate::model::spec::{HostSpec, KubePlatform, Setup};
use crate::model::{Bytes, Demand};
use std::collections::BTreeSet;

use super::api_server;
use std::collections::VecDeque;

use super::cluster::{KubeDue, KubeWorld, Node, NodeCondition, node_overhead, pod_status};
use super::controllers::{deployment, endpoints, node_lifecycle};
use super::scheduler::Resources;
use crate::engine::SimTime;
use crate::model::InstanceSet;
use crate::model::event::EventKind;
use crate::model::kube::{LABEL_HOSTNAME, LABEL_ZONE, TAINT_UNSCHEDULABLE, Taint, TaintEffect};
use crate::model::spec::NodeSource;
use crate::model::{BlobId, HostId, ImageId, InstanceId, Phase};

/// parameters.md B6, "Restart backoff": 10 s, doubling, capped at 300 s.
pub const INITIAL_RESTART_BACKOFF: SimDuration = SimDuration::from_secs(10);
pub const MAX_RESTART_BACKOFF: SimDuration = SimDuration::from_secs(300);

/// The next back-off after one of `current` (zero for the first restart).
pub fn next_restart_backoff(current: SimDuration) -> SimDuration {
    if current == SimDuration::ZERO {
        INITIAL_RESTART_BACKOFF
    } else {
        SimDuration(current.0.saturating_mul(2)).min(MAX_RESTART_BACKOFF)
    }
}

/// `SetDefaults_Container` (parameters.md B6, "imagePullPolicy"): Always when
/// the tag is `latest` or missing, IfNotPresent otherwise.
pub fn default_pull_policy(image: &str) -> ImagePullPolicy {
    let name = image.rsplit('/').next().unwrap_or(image);
    if image.contains('@') {
        return ImagePullPolicy::IfNotPresent;
    }
    match name.split_once(':') {
        None => ImagePullPolicy::Always,
        Some((_, "latest")) => ImagePullPolicy::Always,
        Some(_) => ImagePullPolicy::IfNotPresent,
    }
}

/// What a pod of `template` holds on its node: its requests, plus the
/// runtime's shim, and the layers of every image it runs.
pub fn pod_demand(template: &PodTemplate, platform: &KubePlatform, setup: &Setup) -> Demand {
    let (cpu, memory) = template.requests();
    let mut blobs = Vec::new();
    for image in template.images() {
        for &b in &setup.images[image.index()].layers {
            if !blobs.contains(&b) {
                blobs.push(b);
            }
        }
    }
    Demand {
        cpu,
        memory: Bytes(memory.0 + platform.runtime_overhead.0),
        overhead_memory: platform.runtime_overhead,
        disk: Bytes(0),
        blobs,
        exclusive: false,
    }
}

/// The kubelet of `host` acted on one of its pods.
pub fn acts(w: &mut impl KubeWorld, host: HostId) {
    let now = w.now();
    if let Some(node) = w.cluster().nodes.get_mut(host.index()) {
        node.kubelet_acted = Some(now);
    }
}

/// The kubelet of the node `pod` is bound to acted on it.
pub fn acts_on(w: &mut impl KubeWorld, pod: InstanceId) {
    if let Some(host) = w.cluster().pods.get(&pod).and_then(|p| p.node) {
        acts(w, host);
    }
}

/// A pod bound to the node: the kubelet admits it and pulls what images it lacks, or starts it.
pub fn admit(w: &mut impl KubeWorld, pod: InstanceId) {
    let Some(host) = w.cluster().pods.get(&pod).and_then(|p| if p.deleting { None } else { p.node }) else {
        return;
    };
    // Only once: a kubelet that started again may have admitted it already.
    if !w.host_up(host) || w.instance(pod).phase != Phase::WaitingForPlacement {
        return;
    }
    acts(w, host);
    let template = w.cluster().pods[&pod].template.clone();
    let missing: BTreeSet<ImageId> = template.images().filter(|&i| !image_present(w, host, i)).collect();
    if missing.is_empty() {
        start_containers(w, pod);
        return;
    }
    w.set_phase(pod, Phase::FetchingImage);
    // imagePullPolicy Never: the kubelet will not pull; the pod waits.
    let never = template
        .init_containers
        .iter()
        .chain(&template.containers)
        .find(|c| c.image_pull_policy == ImagePullPolicy::Never && missing.contains(&c.image));
    if let Some(c) = never {
        let reason = format!(
            "ErrImageNeverPull: container image \"{}\" is not present with pull policy of Never",
            w.setup().images[c.image.index()].name
        );
        w.set_wait_reason(pod, reason);
        return;
    }
    let c = w.cluster();
    c.pods.get_mut(&pod).expect("the pod exists").images_missing = missing.clone();
    let node = &mut c.nodes[host.index()];
    for i in missing {
        if !node.pulling.contains(&i) && !node.pull_queue.contains(&i) {
            node.pull_queue.push_back(i);
        }
    }
    next_pulls(w, host);
}

/// Whether every layer of `image` is in the node's layer cache.
pub fn image_present(w: &impl KubeWorld, host: HostId, image: ImageId) -> bool {
    let cache = w.layer_cache(host);
    w.setup().images[image.index()].layers.iter().all(|b| cache.contains(*b))
}

/// Starts image pulls on `host`: one at a time when pulls are serialized.
pub fn next_pulls(w: &mut impl KubeWorld, host: HostId) {
    let serialize = w.platform().serialize_image_pulls;
    loop {
        let node = &mut w.cluster().nodes[host.index()];
        if serialize && !node.pulling.is_empty() {
            return;
        }
        let Some(image) = node.pull_queue.pop_front() else { return };
        node.pulling.insert(image);
        let layers = w.setup().images[image.index()].layers.clone();
        for blob in layers {
            w.pull_blob(host, blob);
        }
        w.start_transfers();
        // An image whose layers were all here (another image brought them) is done at once.
        if image_present(w, host, image) {
            image_pulled(w, host, image);
            continue;
        }
    }
}

/// A blob reached `host`: see which images are now complete.
pub fn blob_arrived(w: &mut impl KubeWorld, host: HostId) {
    let pulling: Vec<ImageId> = w.cluster().nodes[host.index()].pulling.iter().copied().collect();
    for image in pulling {
        if image_present(w, host, image) {
            image_pulled(w, host, image);
        }
    }
    next_pulls(w, host);
}

/// An image is complete on `host`: pods waiting only for it start.
pub fn image_pulled(w: &mut impl KubeWorld, host: HostId, image: ImageId) {
    acts(w, host);
    w.cluster().nodes[host.index()].pulling.remove(&image);
    let waiting: Vec<InstanceId> = w.cluster().nodes[host.index()].pods.iter().copied().collect();
    for p in waiting {
        // Only pods the kubelet is pulling for: one lost with its host
        // (Unknown now) is no longer waiting for anything.
        if w.instance(p).phase != Phase::FetchingImage {
            continue;
        }
        let ready_to_start = {
            let Some(pod) = w.cluster().pods.get_mut(&p) else { continue };
            if !pod.images_missing.remove(&image) {
                continue;
            }
            pod.images_missing.is_empty() && !pod.deleting
        };
        if ready_to_start {
            start_containers(w, p);
        }
    }
}

/// Every image is present: pin the layers and start the containers.
pub fn start_containers(w: &mut impl KubeWorld, pod: InstanceId) {
    let Some(host) = w.instance(pod).host else { return };
    acts(w, host);
    let demands = w.demands();
    let demand = &demands[w.instance(pod).demand.index()];
    let already = w.cluster().pods[&pod].pinned;
    if !already {
        for &b in &demand.blobs {
            w.layer_cache_mut(host).touch(b);
            w.layer_cache_mut(host).pin(b);
        }
        w.cluster().pods.get_mut(&pod).expect("the pod exists").pinned = true;
    }
    w.set_phase(pod, Phase::Starting);
    let template = w.cluster().pods[&pod].template.clone();
    // Init containers run one after another to completion (a sidecar
    // until it has started, then on beside the others), then the app
    // containers start together.
    let start = w.platform().container_start_time.clone();
    let mut d = SimDuration::ZERO;
    for _ in &template.init_containers {
        d = d + start.sample(w.startup_rng());
    }
    d = d + start.sample(w.startup_rng());
    let epoch = epoch(w, pod);
    w.schedule_phase_end(pod, d, KubeDue::ContainerStarted(pod, epoch));
}

/// The run of the pod's containers a timer was set for is still the
/// current one (see [`Pod::epoch`](crate::behaviours::cluster::Pod)).
pub fn current(w: &impl KubeWorld, pod: InstanceId, epoch: u32) -> bool {
    w.kref().pods.get(&pod).is_some_and(|p| p.epoch == epoch)
}

fn epoch(w: &impl KubeWorld, pod: InstanceId) -> u32 {
    w.kref().pods.get(&pod).map_or(0, |p| p.epoch)
}

/// The containers run (phase Running): readiness probes begin, and a container that will exit is timed.
pub fn container_started(w: &mut impl KubeWorld, pod: InstanceId) {
    if w.instance(pod).phase != Phase::Starting {
        return;
    }
    acts_on(w, pod);
    let template = w.cluster().pods[&pod].template.clone();
    let now = w.now();
    let p = w.cluster().pods.get_mut(&pod).expect("the pod exists");
    p.running = true;
    p.started_at.get_or_insert(now);
    pod_status_changed(w, pod);
    // Sidecars' readiness probes count towards the pod's Ready condition too.
    let readiness = template.running_containers().map(|c| c.readiness_delay).max().unwrap_or(SimDuration::ZERO);
    let delay = w.watch_delay();
    let epoch = epoch(w, pod);
    w.schedule_phase_end(pod, readiness + delay, KubeDue::PodReady(pod, epoch));
    if let Some(exit) = template.containers.iter().filter_map(|c| c.exits_after).min() {
        w.schedule_kube(exit, KubeDue::ContainerExited(pod, epoch));
    }
}

/// The readiness probes passed: the pod is Ready, and the endpoints and Deployment controllers hear of it.
pub fn pod_ready(w: &mut impl KubeWorld, pod: InstanceId) {
    if w.instance(pod).phase != Phase::Starting {
        return;
    }
    acts_on(w, pod);
    let now = w.now();
    w.cluster()
        .update_pod(pod, |p| {
            p.ready_since = Some(now);
            p.ready_changed = Some(now);
        })
        .expect("the pod exists");
    set_pod_ready(w, pod, true);
    pod_status_changed(w, pod);
    w.set_phase(pod, Phase::Running);
    w.api_write();
    endpoints::sync_soon(w);
    let c = w.kref();
    let Some(d) = c.pod_deployment(&c.pods[&pod]) else { return };
    deployment::sync_soon(w, d);
    let min_ready = w.cluster().deployments[d].spec.min_ready;
    if min_ready > SimDuration::ZERO {
        let delay = w.watch_delay();
        w.schedule_kube(min_ready + delay, KubeDue::SyncDeployment(d));
    }
}

/// A container exited: the pod is restarted after its back-off, or fails under `restartPolicy: Never`.
pub fn container_exited(w: &mut impl KubeWorld, pod: InstanceId) {
    let phase = w.instance(pod).phase;
    if !matches!(phase, Phase::Starting | Phase::Running) || w.cluster().pods.get(&pod).is_none_or(|p| p.deleting) {
        return;
    }
    let restart = w.cluster().pods[&pod].template.restart_policy;
    let now = w.now();
    set_pod_ready(w, pod, false);
    let p = w.cluster().pods.get_mut(&pod).expect("the pod exists");
    p.ready_changed = Some(now);
    p.running = false;
    p.restarts += 1;
    p.epoch += 1;
    p.restart_backoff = next_restart_backoff(p.restart_backoff);
    let backoff = p.restart_backoff;
    let restarts = p.restarts;
    pod_status_changed(w, pod);
    endpoints::sync_soon(w);
    if restart == crate::model::kube::RestartPolicy::Never {
        w.set_phase(pod, Phase::Failed);
        api_server::forget_pod(w, pod);
        return;
    }
    w.set_phase(pod, Phase::Starting);
    let reason = format!("CrashLoopBackOff: back-off {} restarting failed container (restarts: {restarts})", backoff);
    w.instance_mut(pod).wait_reason = Some(reason.clone());
    w.emit(EventKind::Waiting { instance: pod, reason });
    let epoch = epoch(w, pod);
    w.schedule_phase_end(pod, backoff, KubeDue::ContainerRestart(pod, epoch));
    let c = w.kref();
    if let Some(d) = c.pod_deployment(&c.pods[&pod]) {
        deployment::sync_soon(w, d);
    }
}

/// The pod's Ready condition; what counts Ready pods follows, and the
/// endpoints controller will look at it again.
pub fn set_pod_ready(w: &mut impl KubeWorld, pod: InstanceId, ready: bool) {
    let c = w.cluster();
    if c.pods.get(&pod).is_none_or(|p| p.ready == ready) {
        return;
    }
    let (status, deleting) = c
        .update_pod(pod, |p| {
            p.ready = ready;
            (pod_status(p), p.deleting)
        })
        .expect("the pod exists");
    w.set_pod_status(pod, status);
    let c = w.cluster();
    let deployment = c.pod_deployment(&c.pods[&pod]);
    let delta = if ready { 1 } else { -1 };
    c.ready_pods = (c.ready_pods as i64 + delta) as usize;
    if !deleting && let Some(d) = deployment {
        c.deployments[d].ready_pods = (i64::from(c.deployments[d].ready_pods) + delta) as u32;
    }
    c.endpoints_controller.changed.insert(pod);
}

/// Metrics-server's record of the pod follows its status, for the HPA.
pub fn pod_status_changed(w: &mut impl KubeWorld, pod: InstanceId) {
    let Some(status) = w.kref().pods.get(&pod).map(pod_status) else { return };
    w.set_pod_status(pod, status);
}

/// The back-off ran out: the container starts again.
pub fn container_restart(w: &mut impl KubeWorld, pod: InstanceId) {
    if w.instance(pod).phase != Phase::Starting || w.cluster().pods.get(&pod).is_none_or(|p| p.deleting) {
        return;
    }
    acts_on(w, pod);
    w.instance_mut(pod).wait_reason = None;
    let d = w.platform().container_start_time.clone().sample(w.startup_rng());
    let epoch = epoch(w, pod);
    w.schedule_phase_end(pod, d, KubeDue::ContainerStarted(pod, epoch));
}

/// The pod's containers stopped after its deletion: the pod is gone.
pub fn pod_terminated(w: &mut impl KubeWorld, pod: InstanceId) {
    if w.instance(pod).phase != Phase::Stopping {
        return;
    }
    // forget_pod gives back what the pod held.
    w.set_phase(pod, Phase::Stopped);
    api_server::forget_pod(w, pod);
}

/// A node VM finished booting: its kubelet registers and reports.
pub fn node_booted(w: &mut impl KubeWorld, host: HostId) {
    if !w.host_up(host) {
        return;
    }
    node_lifecycle::node_heard(w, host);
    sync_pods(w, host);
}

/// The kubelet of a host that came back starts and reports at once.
pub fn started(w: &mut impl KubeWorld, host: HostId) {
    let condition = w.kref().nodes[host.index()].condition;
    if !w.host_up(host)
        || !w.host_powered(host)
        || matches!(condition, NodeCondition::Provisioning | NodeCondition::Absent)
    {
        return;
    }
    node_lifecycle::node_heard(w, host);
    sync_pods(w, host);
}

/// The kubelet (re)started: it syncs every pod the API server has bound to
/// its node (`HandlePodAdditions`), whether or not the node went NotReady
/// meanwhile. A pod whose containers died with the host starts them again,
/// its restart count one higher (the kubelet finds the old container
/// exited); a pod bound while the kubelet was down is admitted now.
pub fn sync_pods(w: &mut impl KubeWorld, host: HostId) {
    let now = w.now();
    let pods: Vec<InstanceId> = w.kref().nodes[host.index()].pods.iter().copied().collect();
    // Pods deleted while the node was silent: their containers died with the
    // host, so the kubelet confirms at once that they are gone.
    for &p in &pods {
        if w.kref().pods.get(&p).is_some_and(|pod| pod.deleting) {
            match w.instance(p).phase {
                Phase::Unknown => w.set_phase(p, Phase::Failed),
                phase if phase.is_pending() => w.set_phase(p, Phase::Stopped),
                _ => continue,
            }
            api_server::forget_pod(w, p);
        }
    }
    for p in pods {
        if w.kref().pods.get(&p).is_none_or(|pod| pod.deleting) {
            continue;
        }
        match w.instance(p).phase {
            Phase::Unknown => {
                set_pod_ready(w, p, false);
                let pod = w.cluster().pods.get_mut(&p).expect("the pod exists");
                pod.restarts += 1;
                pod.running = false;
                pod.ready_changed = Some(now);
                pod.pinned = false;
                pod_status_changed(w, p);
                w.reserve(p, host);
                w.set_phase(p, Phase::WaitingForPlacement);
                w.wait_on_node(p);
                w.schedule_kube(SimDuration::ZERO, KubeDue::KubeletAdmit(p));
            }
            Phase::WaitingForPlacement => w.schedule_kube(SimDuration::ZERO, KubeDue::KubeletAdmit(p)),
            _ => {}
        }
    }
}

/// The kubelet stops with its host (or its node leaves the cluster): its
/// last heartbeat is the last one it sent before now. One due at this
/// very instant went out first only when a person at the controls stopped
/// the host; a timeline entry acts before anything else at its instant.
pub fn stopped(w: &mut impl KubeWorld, host: HostId, live: bool) {
    let now = w.now();
    let c = w.cluster();
    let every = c.heartbeat_every.as_micros().max(1);
    let node = &mut c.nodes[host.index()];
    let Some(since) = node.kubelet_since.take() else { return };
    let beats = now.since(since).as_micros() / every;
    let beats = if beats > 0 && !live && since + SimDuration(beats * every) == now { beats - 1 } else { beats };
    node.last_heartbeat = since + SimDuration(beats * every);
    if node.condition == NodeCondition::Ready {
        c.node_lifecycle.silent.insert(host);
    }
}

/// The host went down: the pods on it are gone in fact, though the
/// control plane will not know for a while.
pub fn host_failed(w: &mut impl KubeWorld, host: HostId, lost: &[InstanceId], live: bool) {
    // A machine the cluster autoscaler keeps powered off is no node: nothing is lost.
    if !w.host_powered(host) {
        return;
    }
    let now = w.now();
    stopped(w, host, live);
    for &p in lost {
        if let Some(pod) = w.cluster().pods.get_mut(&p) {
            pod.pinned = false;
            pod.epoch += 1;
            w.set_phase(p, Phase::Unknown);
        }
    }
    let node = &mut w.cluster().nodes[host.index()];
    node.pull_queue.clear();
    node.pulling.clear();
    let c = w.cluster();
    c.stats.recovering_since = Some(now);
}

/// The host is back: its kubelet (or its node VM, first) starts again. A
/// machine the cluster autoscaler keeps powered off stays out of the
/// cluster until the autoscaler provisions it.
pub fn host_recovered(w: &mut impl KubeWorld, host: HostId) {
    if !w.host_powered(host) {
        return;
    }
    let platform = w.platform().clone();
    w.hold_node_overhead(host, true);
    w.host_changed(host);
    match &platform.nodes {
        NodeSource::Hosts => w.schedule_kube(SimDuration::ZERO, KubeDue::KubeletStarted(host)),
        NodeSource::Vms(vm) => {
            let boot = vm.boot_time.sample(w.startup_rng());
            node_lifecycle::set_node_condition(w, host, NodeCondition::Provisioning);
            w.schedule_kube(boot, KubeDue::NodeBooted(host));
        }
    }
}

/// A blob arrived in or left `host`'s layer cache: the images present there may have changed.
pub fn cache_changed(w: &mut impl KubeWorld, host: HostId, blob: BlobId) {
    let images = w.kref().blob_images[blob.index()].clone();
    for image in images {
        let present = image_present(w, host, image);
        w.cluster().cache.set_image_present(host.index(), image.index(), present);
    }
}

/// The node the kubelet on `host` registers (`initialNode`): the host's
/// labels with its hostname and zone, its taints, or those of the node
/// manifests that name it, and as allocatable its capacity less what the
/// node's own components reserve, and its kubelet's `maxPods` pods (its host
/// group's, or else the platform's).
pub fn register_node(host: HostId, spec: &HostSpec, platform: &KubePlatform, powered: bool) -> Node {
    let (reserved_cpu, _) = platform.reserved();
    let overhead = node_overhead(platform);
    let mut labels = spec.labels.clone();
    labels.insert(LABEL_HOSTNAME.to_string(), spec.name.clone());
    if let Some(zone) = &spec.zone {
        labels.insert(LABEL_ZONE.to_string(), zone.clone());
    }
    let allocatable = Resources {
        milli_cpu: spec.cpu.0.saturating_sub(reserved_cpu.0) as i64,
        memory: spec.memory.0.saturating_sub(overhead.1.0) as i64,
        pods: i64::from(spec.max_pods.unwrap_or(platform.max_pods)),
        scalar: spec.extended.map(|n| n as i64),
    };
    // A host the world does not use is no node at all.
    let condition = if !powered {
        NodeCondition::Absent
    } else {
        match platform.nodes {
            NodeSource::Hosts => NodeCondition::Ready,
            NodeSource::Vms(_) => NodeCondition::Provisioning,
        }
    };
    // A node on a host at the start has a kubelet heartbeating from time zero.
    let kubelet_since = (condition == NodeCondition::Ready).then_some(SimTime::ZERO);
    // Node manifests that name the host or its group, applied in turn:
    // their labels added, their taints (where written) in place of the group's.
    let mut taints = spec.taints.clone();
    let mut unschedulable = false;
    for t in platform.node_templates.iter().filter(|t| t.hosts.contains(&host)) {
        labels.extend(t.labels.iter().map(|(k, v)| (k.clone(), v.clone())));
        if let Some(written) = &t.taints {
            taints = written.clone();
        }
        if let Some(cordoned) = t.unschedulable {
            unschedulable = cordoned;
        }
    }
    if unschedulable {
        // As `kubectl cordon` marks it.
        taints.push(Taint { key: TAINT_UNSCHEDULABLE.into(), value: String::new(), effect: TaintEffect::NoSchedule });
    }
    Node {
        host,
        name: spec.name.clone(),
        labels,
        taints,
        unschedulable,
        condition,
        kubelet_since,
        last_heartbeat: SimTime::ZERO,
        allocatable,
        pods: InstanceSet::new(),
        pull_queue: VecDeque::new(),
        pulling: BTreeSet::new(),
        kubelet_acted: None,
    }
}

/// The kubelets report the images their nodes hold, and node VMs start booting.
pub fn start_nodes(w: &mut impl KubeWorld) {
    for h in 0..w.kref().nodes.len() {
        let host = HostId(h as u32);
        let blobs: Vec<BlobId> = w.layer_cache(host).blobs().map(|(b, _)| b).collect();
        for blob in blobs {
            cache_changed(w, host, blob);
        }
        let condition = w.kref().nodes[h].condition;
        if let (NodeCondition::Provisioning, NodeSource::Vms(vm)) = (condition, &w.platform().nodes) {
            let boot = vm.boot_time.clone();
            let boot = boot.sample(w.startup_rng());
            w.schedule_kube(boot, KubeDue::NodeBooted(host));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restart_backoff_doubles_to_five_minutes() {
        let mut b = SimDuration::ZERO;
        let mut seen = Vec::new();
        for _ in 0..7 {
            b = next_restart_backoff(b);
            seen.push(b.as_secs_f64() as u64);
        }
        assert_eq!(seen, vec![10, 20, 40, 80, 160, 300, 300]);
    }

    #[test]
    fn pull_policy_defaults_follow_the_tag() {
        assert_eq!(default_pull_policy("nginx"), ImagePullPolicy::Always);
        assert_eq!(default_pull_policy("nginx:latest"), ImagePullPolicy::Always);
        assert_eq!(default_pull_policy("nginx:1.27"), ImagePullPolicy::IfNotPresent);
        assert_eq!(default_pull_policy("registry:5000/web"), ImagePullPolicy::Always);
        assert_eq!(default_pull_policy("web@sha256:abc"), ImagePullPolicy::IfNotPresent);
    }
}
