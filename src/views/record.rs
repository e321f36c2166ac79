//! What a Kubernetes cluster would have recorded as a world runs: its Event
//! objects (`Scheduled`, `Pulling`, `Killing`, …) in the words and from the
//! components that write them, and the object fields the world does not keep
//! because nothing in the simulation reads them again: when a Deployment or an
//! HPA was created, a pod's IP, when its kubelet admitted it, when its
//! containers last restarted.
//!
//! A [`Recorder`] looks at the world after every instant, with the events of
//! that instant; it never changes the world, so a run with a recorder is the
//! same run. Identical events are counted on one object, as client-go's
//! event correlator does (`count`, first and last seen).

use std::collections::{BTreeMap, BTreeSet};

use crate::behaviours::cluster_autoscaler;
use crate::engine::SimTime;
use crate::model::spec::{Action, Platform};
use crate::model::{BlobId, HostId, ImageId, InstanceId, Phase};
use crate::world::kubernetes::NodeCondition;
use crate::world::{Event, EventKind, World};

/// The kinds of object events are about, as `involvedObject.kind` names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ObjectKind {
    Pod,
    ReplicaSet,
    Deployment,
    Node,
    HorizontalPodAutoscaler,
}

impl ObjectKind {
    pub fn name(self) -> &'static str {
        match self {
            ObjectKind::Pod => "Pod",
            ObjectKind::ReplicaSet => "ReplicaSet",
            ObjectKind::Deployment => "Deployment",
            ObjectKind::Node => "Node",
            ObjectKind::HorizontalPodAutoscaler => "HorizontalPodAutoscaler",
        }
    }
}

/// One Event object, after aggregation.
#[derive(Clone, Debug, PartialEq)]
pub struct KubeEvent {
    pub first: SimTime,
    pub last: SimTime,
    pub count: u32,
    /// `Warning` rather than `Normal`.
    pub warning: bool,
    pub reason: &'static str,
    pub kind: ObjectKind,
    pub object: String,
    /// `spec.containers{web}` for a container's events.
    pub field_path: Option<String>,
    /// `source.component`: `kubelet`, `default-scheduler`, …
    pub source: String,
    pub message: String,
}

/// What the recorder keeps of a pod, for as long as the run lasts.
#[derive(Clone, Debug, PartialEq)]
pub struct PodRecord {
    pub name: String,
    /// Its controller, a ReplicaSet; `None` for a Pod applied on its own.
    pub replica_set: Option<String>,
    /// Its namespace.
    pub namespace: String,
    /// Its node when bound, and the IP the node's IPAM gave it.
    pub node: Option<HostId>,
    pub ip: Option<String>,
    /// `status.startTime`: when the kubelet first admitted it.
    pub started: Option<SimTime>,
    /// When a container of it last terminated and was restarted.
    pub last_restart: Option<SimTime>,
    /// `metadata.deletionTimestamp`: when it was deleted.
    pub deleted: Option<SimTime>,
}

/// A pod's image pulls: since when, the images it lacked, those whose
/// arrival is not reported yet.
#[derive(Clone, Debug, PartialEq)]
struct Fetch {
    since: SimTime,
    wanted: BTreeSet<ImageId>,
    unreported: BTreeSet<ImageId>,
}

/// A node as the recorder last saw it: whether it is in the API, since when.
#[derive(Clone, Copy, Debug, PartialEq)]
struct NodeSeen {
    condition: NodeCondition,
    /// `metadata.creationTimestamp`, while the Node object exists.
    created: Option<SimTime>,
}

/// Builds the Event objects and extra fields of a Kubernetes world as it runs.
#[derive(Clone, Debug, Default)]
pub struct Recorder {
    events: Vec<KubeEvent>,
    /// Aggregation key to the event it counts into.
    index: BTreeMap<(ObjectKind, String, &'static str, String, Option<String>), usize>,
    pods: BTreeMap<InstanceId, PodRecord>,
    /// The phase each instance was last seen in.
    phases: Vec<Phase>,
    /// Addresses handed out per node: host-local IPAM takes the next one.
    allocated: Vec<u32>,
    /// Pods whose images are being pulled.
    fetching: BTreeMap<InstanceId, Fetch>,
    /// Pods whose containers are being created, until they run.
    starting: BTreeSet<InstanceId>,
    /// When each layer being downloaded to a host started.
    layer_pulls: BTreeMap<(HostId, BlobId), SimTime>,
    rs_replicas: Vec<u32>,
    deployments: BTreeMap<String, SimTime>,
    hpas: BTreeMap<String, SimTime>,
    nodes: Vec<NodeSeen>,
    nodes_ready: usize,
    removing: BTreeSet<HostId>,
    /// The scheduler's name, as its events give their source.
    scheduler: String,
}

/// A pod's IP as Flotilla derives it (the simulation has no network): the
/// node with index `i` in the scenario has the pod CIDR `10.244.i.0/24` of
/// the cluster CIDR `10.244.0.0/16`, as kubeadm with flannel allocates them,
/// so 256 nodes at most have one; its bridge is `.1` and host-local IPAM
/// hands out `.2` to `.254` in turn.
pub fn pod_ip(node: HostId, nth: u32) -> Option<String> {
    (node.index() < 256).then(|| format!("10.244.{}.{}", node.index(), 2 + nth % 253))
}

/// The node's InternalIP, derived likewise: hosts in scenario order from
/// `192.168.0.10` on in `192.168.0.0/16`.
pub fn node_ip(node: HostId) -> Option<String> {
    let n = node.index() + 10;
    (n < 65_535).then(|| format!("192.168.{}.{}", n / 256, n % 256))
}

/// A pod's UID, derived from the world and its name (the simulation has none).
pub fn pod_uid(world: &str, pod: &str) -> String {
    let h = super::text::derived_hex(&["pod uid", world, pod]);
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

impl Recorder {
    /// A recorder for `world` as it stands (at its start, usually).
    pub fn new(world: &World) -> Recorder {
        let mut r = Recorder::default();
        if let Some(k) = world.kube() {
            r.nodes = k
                .nodes
                .iter()
                .map(|n| NodeSeen { condition: n.condition, created: registered(n.condition).then_some(world.now()) })
                .collect();
            r.nodes_ready = k.nodes_ready();
            r.allocated = vec![0; k.nodes.len()];
            r.scheduler = k.profile().scheduler_name.clone();
        }
        r
    }

    /// Every Event object so far, in the order first recorded.
    pub fn events(&self) -> &[KubeEvent] {
        &self.events
    }

    pub fn pod(&self, id: InstanceId) -> Option<&PodRecord> {
        self.pods.get(&id)
    }

    /// When a Deployment was created.
    pub fn deployment_created(&self, name: &str) -> Option<SimTime> {
        self.deployments.get(name).copied()
    }

    /// When a HorizontalPodAutoscaler was created.
    pub fn hpa_created(&self, name: &str) -> Option<SimTime> {
        self.hpas.get(name).copied()
    }

    /// When the Node object on `host` was created, while it exists.
    pub fn node_created(&self, host: HostId) -> Option<SimTime> {
        self.nodes.get(host.index()).and_then(|n| n.created)
    }

    #[allow(clippy::too_many_arguments)]
    fn record(
        &mut self,
        now: SimTime,
        warning: bool,
        reason: &'static str,
        kind: ObjectKind,
        object: &str,
        field_path: Option<String>,
        source: &str,
        message: String,
    ) {
        let key = (kind, object.to_string(), reason, message.clone(), field_path.clone());
        match self.index.get(&key) {
            Some(&i) => {
                let e = &mut self.events[i];
                e.count += 1;
                e.last = now;
            }
            None => {
                self.index.insert(key, self.events.len());
                self.events.push(KubeEvent {
                    first: now,
                    last: now,
                    count: 1,
                    warning,
                    reason,
                    kind,
                    object: object.to_string(),
                    field_path,
                    source: source.to_string(),
                    message,
                });
            }
        }
    }

    fn node_event(&mut self, now: SimTime, reason: &'static str, node: &str, source: &str, message: String) {
        self.record(now, false, reason, ObjectKind::Node, node, None, source, message);
    }

    /// Looks at the world after an instant, with that instant's events.
    pub fn observe(&mut self, world: &World, events: &[Event]) {
        let Some(k) = world.kube() else { return };
        let now = world.now();
        let scheduler = std::mem::take(&mut self.scheduler);
        let mut drained: BTreeSet<HostId> = BTreeSet::new();
        let mut nodes_changed = k.nodes_ready() != self.nodes_ready;
        for e in events {
            match &e.kind {
                EventKind::Action { action, .. } => match action {
                    Action::Cordon(h) | Action::Drain(h) => {
                        if matches!(action, Action::Drain(_)) {
                            drained.insert(*h);
                        }
                        let name = &k.nodes[h.index()].name;
                        self.node_event(
                            now,
                            "NodeNotSchedulable",
                            name,
                            "kubelet",
                            format!("Node {name} status is now: NodeNotSchedulable"),
                        );
                    }
                    Action::Uncordon(h) => {
                        let name = &k.nodes[h.index()].name;
                        self.node_event(
                            now,
                            "NodeSchedulable",
                            name,
                            "kubelet",
                            format!("Node {name} status is now: NodeSchedulable"),
                        );
                    }
                    _ => {}
                },
                EventKind::Launched { instance, .. } => self.pod_created(world, *instance, now),
                EventKind::Placed { instance, host } => {
                    let name = world.instance(*instance).name.clone();
                    let namespace = self.pods.get(instance).map_or("default", |p| p.namespace.as_str()).to_string();
                    let node = k.nodes[host.index()].name.clone();
                    let nth = self.allocated.get(host.index()).copied().unwrap_or(0);
                    if let Some(slot) = self.allocated.get_mut(host.index()) {
                        *slot += 1;
                    }
                    if let Some(p) = self.pods.get_mut(instance) {
                        p.node = Some(*host);
                        p.ip = pod_ip(*host, nth);
                    }
                    self.record(
                        now,
                        false,
                        "Scheduled",
                        ObjectKind::Pod,
                        &name,
                        None,
                        &scheduler,
                        format!("Successfully assigned {namespace}/{name} to {node}"),
                    );
                }
                EventKind::Waiting { instance, reason } => self.pod_waiting(world, *instance, reason, &scheduler, now),
                EventKind::PhaseChanged { instance, phase } => {
                    let before = self.phases.get(instance.index()).copied().unwrap_or(Phase::WaitingForPlacement);
                    if self.phases.len() <= instance.index() {
                        self.phases.resize(instance.index() + 1, Phase::WaitingForPlacement);
                    }
                    self.phases[instance.index()] = *phase;
                    self.pod_phase(world, *instance, before, *phase, &drained, now);
                }
                EventKind::PullStarted { host, blob, .. } => {
                    self.layer_pulls.insert((*host, *blob), now);
                }
                EventKind::HostDown { .. } | EventKind::HostUp { .. } => nodes_changed = true,
                // A pod on a node that went silent, evicted: Terminating until its kubelet is back.
                EventKind::MarkedForDeletion { instance } => self.pod_deleted(world, *instance, &drained, now),
                EventKind::Scaled { by, target, from, to, .. } => {
                    nodes_changed |= by == "cluster-autoscaler";
                    self.scaled(world, by, target, *from, *to, now);
                }
                EventKind::Warning { by, reason, message } => {
                    if let Some(hpa) = by.strip_prefix("HPA ") {
                        let reason = known_reason(reason);
                        self.record(
                            now,
                            true,
                            reason,
                            ObjectKind::HorizontalPodAutoscaler,
                            hpa,
                            None,
                            "horizontal-pod-autoscaler",
                            message.clone(),
                        );
                    }
                }
                EventKind::PullFinished { .. } | EventKind::Evicted { .. } => {}
            }
        }
        self.pulls_done(world, now);
        self.containers_started(world, now);
        self.replica_sets(world, now);
        for d in &k.deployments {
            if !self.deployments.contains_key(&d.spec.name) {
                self.deployments.insert(d.spec.name.clone(), now);
            }
        }
        for h in k.hpas() {
            if !self.hpas.contains_key(&h.spec.name) {
                self.hpas.insert(h.spec.name.clone(), now);
            }
        }
        if nodes_changed {
            self.nodes_changed(world, now);
        }
        self.scheduler = scheduler;
    }

    fn pod_created(&mut self, world: &World, id: InstanceId, now: SimTime) {
        let Some(k) = world.kube() else { return };
        let name = world.instance(id).name.clone();
        let (replica_set, namespace) = match k.pods.get(&id) {
            Some(p) => (p.owner.replica_set().map(|r| k.replica_sets[r].name.clone()), k.pod_namespace(p).to_string()),
            // Gone already: a Pod of its own by its name, else a ReplicaSet's pod, named after it.
            None => match k.standalone_pods.iter().find(|p| p.spec.name == name) {
                Some(p) => (None, p.spec.namespace.clone()),
                None => {
                    (Some(name.rsplit_once('-').map_or(name.clone(), |(rs, _)| rs.to_string())), "default".to_string())
                }
            },
        };
        if let Some(rs) = &replica_set {
            self.record(
                now,
                false,
                "SuccessfulCreate",
                ObjectKind::ReplicaSet,
                rs,
                None,
                "replicaset-controller",
                format!("Created pod: {name}"),
            );
        }
        self.pods.insert(
            id,
            PodRecord {
                name,
                replica_set,
                namespace,
                node: None,
                ip: None,
                started: None,
                last_restart: None,
                deleted: None,
            },
        );
    }

    fn pod_waiting(&mut self, world: &World, id: InstanceId, reason: &str, scheduler: &str, now: SimTime) {
        let Some(k) = world.kube() else { return };
        let name = world.instance(id).name.clone();
        let template = k.pods.get(&id).map(|p| p.template.clone());
        if reason.starts_with("CrashLoopBackOff") {
            // The container whose process exits first is the one restarted.
            let container = template
                .as_ref()
                .and_then(|t| t.containers.iter().filter(|c| c.exits_after.is_some()).min_by_key(|c| c.exits_after))
                .map(|c| c.name.clone())
                .unwrap_or_default();
            let uid = pod_uid(world.name(), &name);
            if let Some(p) = self.pods.get_mut(&id) {
                p.last_restart = Some(now);
            }
            self.record(
                now,
                true,
                "BackOff",
                ObjectKind::Pod,
                &name,
                Some(format!("spec.containers{{{container}}}")),
                "kubelet",
                format!("Back-off restarting failed container {container} in pod {name}_default({uid})"),
            );
        } else if reason.starts_with("ErrImageNeverPull") {
            let setup = world.setup();
            let missing = template.as_ref().and_then(|t| {
                let host = world.instance(id).host?;
                let cache = &world.hosts()[host.index()].cache;
                t.containers.iter().chain(&t.init_containers).find(|c| {
                    c.image_pull_policy == crate::model::kube::ImagePullPolicy::Never
                        && !setup.images[c.image.index()].layers.iter().all(|b| cache.contains(*b))
                })
            });
            if let Some(c) = missing {
                let image = &setup.images[c.image.index()].name;
                self.record(
                    now,
                    true,
                    "ErrImageNeverPull",
                    ObjectKind::Pod,
                    &name,
                    Some(container_path(template.as_deref(), &c.name)),
                    "kubelet",
                    format!("Container image \"{image}\" is not present with pull policy of Never"),
                );
            }
        } else {
            self.record(now, true, "FailedScheduling", ObjectKind::Pod, &name, None, scheduler, reason.to_string());
        }
    }

    fn pod_phase(
        &mut self,
        world: &World,
        id: InstanceId,
        before: Phase,
        after: Phase,
        drained: &BTreeSet<HostId>,
        now: SimTime,
    ) {
        let Some(k) = world.kube() else { return };
        let name = world.instance(id).name.clone();
        let pod = k.pods.get(&id);
        if let Some(p) = self.pods.get_mut(&id)
            && before == Phase::WaitingForPlacement
            && matches!(after, Phase::FetchingImage | Phase::Starting)
            && p.started.is_none()
        {
            p.started = Some(now);
        }
        match after {
            Phase::FetchingImage => {
                let Some(pod) = pod else { return };
                let missing = pod.images_missing.clone();
                self.fetching.insert(id, Fetch { since: now, wanted: missing.clone(), unreported: missing });
                let setup = world.setup();
                let mut asked = BTreeSet::new();
                for c in pod.template.init_containers.iter().chain(&pod.template.containers) {
                    if pod.images_missing.contains(&c.image) && asked.insert(c.image) {
                        self.record(
                            now,
                            false,
                            "Pulling",
                            ObjectKind::Pod,
                            &name,
                            Some(container_path(Some(&pod.template), &c.name)),
                            "kubelet",
                            format!("Pulling image \"{}\"", setup.images[c.image.index()].name),
                        );
                    }
                }
            }
            Phase::Starting if matches!(before, Phase::FetchingImage | Phase::WaitingForPlacement) => {
                let Some(pod) = pod else { return };
                // Images that arrived at this very instant have not been reported yet.
                let unreported = self.fetching.get(&id).map(|f| f.unreported.clone()).unwrap_or_default();
                self.report_pulled(world, id, &unreported, now);
                let pulled = self.fetching.remove(&id).map(|f| f.wanted).unwrap_or_default();
                let setup = world.setup();
                let template = pod.template.clone();
                for c in template.init_containers.iter().chain(&template.containers) {
                    let path = Some(container_path(Some(&template), &c.name));
                    let image = &setup.images[c.image.index()].name;
                    if !pulled.contains(&c.image) {
                        self.record(
                            now,
                            false,
                            "Pulled",
                            ObjectKind::Pod,
                            &name,
                            path.clone(),
                            "kubelet",
                            format!("Container image \"{image}\" already present on machine"),
                        );
                    }
                    self.record(
                        now,
                        false,
                        "Created",
                        ObjectKind::Pod,
                        &name,
                        path.clone(),
                        "kubelet",
                        format!("Created container: {}", c.name),
                    );
                    // Plain init containers run to completion before the others start.
                    if template.init_containers.iter().any(|i| i.name == c.name && !i.sidecar) {
                        self.record(
                            now,
                            false,
                            "Started",
                            ObjectKind::Pod,
                            &name,
                            path,
                            "kubelet",
                            format!("Started container {}", c.name),
                        );
                    }
                }
                self.starting.insert(id);
            }
            Phase::Stopping => {
                if let Some(pod) = pod {
                    let template = pod.template.clone();
                    for c in template.running_containers() {
                        self.record(
                            now,
                            false,
                            "Killing",
                            ObjectKind::Pod,
                            &name,
                            Some(container_path(Some(&template), &c.name)),
                            "kubelet",
                            format!("Stopping container {}", c.name),
                        );
                    }
                }
                self.pod_deleted(world, id, drained, now);
            }
            // An unscheduled pod is deleted at once.
            Phase::Stopped if before == Phase::WaitingForPlacement => self.pod_deleted(world, id, drained, now),
            // Its node came back: the kubelet starts its containers again.
            Phase::WaitingForPlacement if before == Phase::Unknown => {
                if let Some(p) = self.pods.get_mut(&id) {
                    p.last_restart = Some(now);
                }
            }
            _ => {}
        }
    }

    /// Who deleted a pod: the taint-eviction controller on a NotReady node,
    /// nobody that records an event when `kubectl drain` or the cluster
    /// autoscaler evicted it, its ReplicaSet otherwise.
    fn pod_deleted(&mut self, world: &World, id: InstanceId, drained: &BTreeSet<HostId>, now: SimTime) {
        let Some(k) = world.kube() else { return };
        let Some(record) = self.pods.get_mut(&id) else { return };
        record.deleted.get_or_insert(now);
        let record = record.clone();
        let removing = k.autoscaler.as_ref().is_some_and(|a| record.node.is_some_and(|n| a.removing.contains(&n)));
        match record.node {
            Some(n) if drained.contains(&n) || removing => {}
            Some(n) if k.nodes[n.index()].condition == NodeCondition::NotReady => self.record(
                now,
                false,
                "TaintManagerEviction",
                ObjectKind::Pod,
                &record.name,
                None,
                "taint-eviction-controller",
                format!("Marking for deletion Pod {}/{}", record.namespace, record.name),
            ),
            _ => {
                if let Some(rs) = &record.replica_set {
                    self.record(
                        now,
                        false,
                        "SuccessfulDelete",
                        ObjectKind::ReplicaSet,
                        rs,
                        None,
                        "replicaset-controller",
                        format!("Deleted pod: {}", record.name),
                    );
                }
            }
        }
    }

    /// Images that reached the pods pulling them since the last instant.
    fn pulls_done(&mut self, world: &World, now: SimTime) {
        let Some(k) = world.kube() else { return };
        let ids: Vec<InstanceId> = self.fetching.keys().copied().collect();
        for id in ids {
            let Some(pod) = k.pods.get(&id) else {
                self.fetching.remove(&id);
                continue;
            };
            if world.instance(id).phase != Phase::FetchingImage {
                continue;
            }
            let arrived: BTreeSet<ImageId> = match self.fetching.get(&id) {
                Some(f) => f.unreported.difference(&pod.images_missing).copied().collect(),
                None => continue,
            };
            if !arrived.is_empty() {
                self.report_pulled(world, id, &arrived, now);
            }
        }
    }

    /// `Pulled` for each image of `images` still awaited by the pod: how long
    /// the pull itself took (from its first layer's download) and how long
    /// the pod waited, as the kubelet reports both.
    fn report_pulled(&mut self, world: &World, id: InstanceId, images: &BTreeSet<ImageId>, now: SimTime) {
        let Some(k) = world.kube() else { return };
        let Some(pod) = k.pods.get(&id) else { return };
        let Some(host) = world.instance(id).host else { return };
        let since = self.fetching.get(&id).map_or(now, |f| f.since);
        let waiting_since = self.pods.get(&id).and_then(|p| p.started).unwrap_or(since).min(since);
        let setup = world.setup();
        let name = world.instance(id).name.clone();
        let template = pod.template.clone();
        for &image in images {
            if let Some(f) = self.fetching.get_mut(&id)
                && !f.unreported.remove(&image)
            {
                continue;
            }
            let spec = &setup.images[image.index()];
            let pull_started = spec
                .layers
                .iter()
                .filter_map(|b| self.layer_pulls.get(&(host, *b)).copied())
                .filter(|t| *t >= waiting_since)
                .min()
                .unwrap_or(waiting_since);
            let size: u64 = spec.layers.iter().map(|b| setup.blobs[b.index()].bytes.0).sum();
            let Some(c) = template.init_containers.iter().chain(&template.containers).find(|c| c.image == image) else {
                continue;
            };
            self.record(
                now,
                false,
                "Pulled",
                ObjectKind::Pod,
                &name,
                Some(container_path(Some(&template), &c.name)),
                "kubelet",
                format!(
                    "Successfully pulled image \"{}\" in {} ({} including waiting). Image size: {size} bytes.",
                    spec.name,
                    super::text::go_duration_ms(now.since(pull_started)),
                    super::text::go_duration_ms(now.since(waiting_since)),
                ),
            );
        }
    }

    /// Pods whose containers started since the last instant.
    fn containers_started(&mut self, world: &World, now: SimTime) {
        let Some(k) = world.kube() else { return };
        let ids: Vec<InstanceId> = self.starting.iter().copied().collect();
        for id in ids {
            let phase = world.instance(id).phase;
            let Some(pod) = k.pods.get(&id).filter(|_| matches!(phase, Phase::Starting | Phase::Running)) else {
                self.starting.remove(&id);
                continue;
            };
            if !pod.running {
                continue;
            }
            self.starting.remove(&id);
            let name = world.instance(id).name.clone();
            let template = pod.template.clone();
            for c in template.running_containers() {
                self.record(
                    now,
                    false,
                    "Started",
                    ObjectKind::Pod,
                    &name,
                    Some(container_path(Some(&template), &c.name)),
                    "kubelet",
                    format!("Started container {}", c.name),
                );
            }
        }
    }

    /// The Deployment controller's `ScalingReplicaSet` for every ReplicaSet
    /// whose replicas changed.
    fn replica_sets(&mut self, world: &World, now: SimTime) {
        let Some(k) = world.kube() else { return };
        for (r, rs) in k.replica_sets.iter().enumerate() {
            let before = self.rs_replicas.get(r).copied().unwrap_or(0);
            if self.rs_replicas.len() <= r {
                self.rs_replicas.push(0);
            }
            if rs.replicas == before {
                continue;
            }
            self.rs_replicas[r] = rs.replicas;
            // The Deployment controller scales its ReplicaSets; one of its own is scaled by kubectl.
            let Some(d) = rs.deployment else { continue };
            let direction = if rs.replicas > before { "up" } else { "down" };
            let deployment = k.deployments[d].spec.name.clone();
            self.record(
                now,
                false,
                "ScalingReplicaSet",
                ObjectKind::Deployment,
                &deployment,
                None,
                "deployment-controller",
                format!("Scaled {direction} replica set {} from {before} to {}", rs.name, rs.replicas),
            );
        }
    }

    fn scaled(&mut self, world: &World, by: &str, target: &str, from: u32, to: u32, now: SimTime) {
        let Some(k) = world.kube() else { return };
        if let Some(hpa) = by.strip_prefix("HPA ") {
            // podautoscaler/horizontal.go: the reason names the metric above target, or none.
            let reason = if to > from {
                "cpu resource utilization (percentage of request) above target"
            } else {
                "All metrics below target"
            };
            self.record(
                now,
                false,
                "SuccessfulRescale",
                ObjectKind::HorizontalPodAutoscaler,
                hpa,
                None,
                "horizontal-pod-autoscaler",
                format!("New size: {to}; reason: {reason}"),
            );
            return;
        }
        if by != "cluster-autoscaler" {
            return;
        }
        if to > from {
            let group = match &world.spec().platform {
                Platform::Kubernetes(p) => {
                    p.cluster_autoscaler.as_ref().and_then(|ca| ca.node_groups.iter().find(|g| g.name == target))
                }
                _ => None,
            };
            let max = group.map_or(to, |g| g.max);
            // The pods a node of the group would take.
            let template = group.map(|g| cluster_autoscaler::template_node(k, g));
            let fits = |p: &InstanceId| {
                let pod = k.pods.get(p).map(|pod| &*pod.pod_info);
                template.as_ref().zip(pod).is_none_or(|(t, pod)| cluster_autoscaler::fits_template(k, t, pod))
            };
            let pods: Vec<String> =
                k.queue.unschedulable.keys().filter(|p| fits(p)).map(|p| world.instance(*p).name.clone()).collect();
            for pod in pods {
                self.record(
                    now,
                    false,
                    "TriggeredScaleUp",
                    ObjectKind::Pod,
                    &pod,
                    None,
                    "cluster-autoscaler",
                    format!("pod triggered scale-up: [{{{target} {from}->{to} (max: {max})}}]"),
                );
            }
        } else if let Some(a) = &k.autoscaler {
            let new: Vec<HostId> = a.removing.iter().copied().filter(|h| !self.removing.contains(h)).collect();
            for h in new {
                self.removing.insert(h);
                let node = k.nodes[h.index()].name.clone();
                self.node_event(
                    now,
                    "ScaleDown",
                    &node,
                    "cluster-autoscaler",
                    "marked the node as toBeDeleted/unschedulable".into(),
                );
            }
        }
    }

    /// Nodes that joined, left, went NotReady or came back.
    fn nodes_changed(&mut self, world: &World, now: SimTime) {
        let Some(k) = world.kube() else { return };
        self.nodes_ready = k.nodes_ready();
        for (i, node) in k.nodes.iter().enumerate() {
            let Some(seen) = self.nodes.get(i).copied() else { continue };
            let (before, after) = (seen.condition, node.condition);
            if before == after {
                continue;
            }
            self.nodes[i].condition = after;
            let name = node.name.clone();
            match (registered(before), registered(after)) {
                (false, true) => {
                    self.nodes[i].created = Some(now);
                    self.removing.remove(&HostId(i as u32));
                    self.node_event(now, "Starting", &name, "kubelet", "Starting kubelet.".into());
                    self.node_event(
                        now,
                        "RegisteredNode",
                        &name,
                        "node-controller",
                        format!("Node {name} event: Registered Node {name} in Controller"),
                    );
                    if after == NodeCondition::Ready {
                        self.node_event(
                            now,
                            "NodeReady",
                            &name,
                            "kubelet",
                            format!("Node {name} status is now: NodeReady"),
                        );
                    }
                }
                (true, false) => {
                    self.nodes[i].created = None;
                    self.node_event(
                        now,
                        "RemovingNode",
                        &name,
                        "node-controller",
                        format!("Node {name} event: Removing Node {name} from Controller"),
                    );
                }
                (true, true) if after == NodeCondition::NotReady => self.node_event(
                    now,
                    "NodeNotReady",
                    &name,
                    "node-controller",
                    format!("Node {name} status is now: NodeNotReady"),
                ),
                (true, true) => {
                    self.node_event(now, "Starting", &name, "kubelet", "Starting kubelet.".into());
                    self.node_event(
                        now,
                        "NodeReady",
                        &name,
                        "kubelet",
                        format!("Node {name} status is now: NodeReady"),
                    );
                }
                (false, false) => {}
            }
        }
    }
}

/// A Node object exists for a node that has registered and not been removed.
pub fn registered(condition: NodeCondition) -> bool {
    matches!(condition, NodeCondition::Ready | NodeCondition::NotReady)
}

/// `spec.containers{web}`, or `spec.initContainers{proxy}` for an init container.
fn container_path(template: Option<&crate::model::kube::PodTemplate>, container: &str) -> String {
    let init = template.is_some_and(|t| t.init_containers.iter().any(|c| c.name == container));
    if init { format!("spec.initContainers{{{container}}}") } else { format!("spec.containers{{{container}}}") }
}

/// The reasons the world's controllers give their warnings, as static names.
fn known_reason(reason: &str) -> &'static str {
    match reason {
        "FailedGetResourceMetric" => "FailedGetResourceMetric",
        _ => "Warning",
    }
}
