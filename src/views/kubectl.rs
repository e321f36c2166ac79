//! `kubectl` against a Kubernetes world: `get` (pods, nodes, deployments,
//! replicasets, hpa, events), `describe pod`, `top nodes` and `top pods`,
//! with the columns, widths and words of kubectl and the API server's table
//! printers (`pkg/printers/internalversion/printers.go`,
//! `kubectl/pkg/describe/describe.go`, `kubectl/pkg/metricsutil`).
//!
//! Objects live in the namespace their manifest gives (`default` otherwise):
//! `-n NAMESPACE` lists one, `-A` every one with a NAMESPACE column. Events
//! older than an hour are gone, as with the API server's default `--event-ttl`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::record::{ObjectKind, registered};
use super::text::{TabWriter, cpu_quantity, derived_hex, human_duration, memory_quantity, rfc1123z};
use super::{Output, Snapshot, ViewError};
use crate::engine::{SimDuration, SimTime};
use crate::model::kube::{ContainerSpec, PodTemplate, TaintEffect, TolerationOperator};
use crate::model::spec::Platform;
use crate::model::{HostId, InstanceId, Phase};
use crate::world::kubernetes::{Cluster, NodeCondition, Pod};

/// The kubelet version the nodes report: the latest release whose
/// behaviour every ported part of Flotilla matches (node-monitor-grace-period
/// 50 s since v1.32, BalancedAllocation's score up to v1.35).
pub const KUBELET_VERSION: &str = "v1.35.0";

/// The API server's `--event-ttl`: events are deleted an hour after their last occurrence.
pub const EVENT_TTL: SimDuration = SimDuration::from_secs(3600);

/// The kinds of object `kubectl get` lists here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resource {
    Pods,
    Nodes,
    Deployments,
    ReplicaSets,
    HorizontalPodAutoscalers,
    PodDisruptionBudgets,
    Events,
}

impl Resource {
    /// The names and short names kubectl accepts for it.
    fn parse(text: &str) -> Option<Resource> {
        Some(match text.to_ascii_lowercase().as_str() {
            "pods" | "pod" | "po" => Resource::Pods,
            "nodes" | "node" | "no" => Resource::Nodes,
            "deployments" | "deployment" | "deploy" | "deployments.apps" | "deployment.apps" => Resource::Deployments,
            "replicasets" | "replicaset" | "rs" | "replicasets.apps" | "replicaset.apps" => Resource::ReplicaSets,
            "horizontalpodautoscalers" | "horizontalpodautoscaler" | "hpa" | "horizontalpodautoscalers.autoscaling" => {
                Resource::HorizontalPodAutoscalers
            }
            "poddisruptionbudgets" | "poddisruptionbudget" | "pdb" | "poddisruptionbudgets.policy" => {
                Resource::PodDisruptionBudgets
            }
            "events" | "event" | "ev" => Resource::Events,
            _ => return None,
        })
    }

    /// `deployment.apps/` and the like, as kubectl prefixes names when
    /// several kinds are listed together.
    fn prefix(self) -> &'static str {
        match self {
            Resource::Pods => "pod/",
            Resource::Nodes => "node/",
            Resource::Deployments => "deployment.apps/",
            Resource::ReplicaSets => "replicaset.apps/",
            Resource::HorizontalPodAutoscalers => "horizontalpodautoscaler.autoscaling/",
            Resource::PodDisruptionBudgets => "poddisruptionbudget.policy/",
            Resource::Events => "event/",
        }
    }

    /// The plural the API server names it by in errors.
    fn plural(self) -> &'static str {
        match self {
            Resource::Pods => "pods",
            Resource::Nodes => "nodes",
            Resource::Deployments => "deployments.apps",
            Resource::ReplicaSets => "replicasets.apps",
            Resource::HorizontalPodAutoscalers => "horizontalpodautoscalers.autoscaling",
            Resource::PodDisruptionBudgets => "poddisruptionbudgets.policy",
            Resource::Events => "events",
        }
    }

    fn namespaced(self) -> bool {
        self != Resource::Nodes
    }
}

/// A kubectl command line, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// `namespace` `None`: every namespace (`-A`).
    Get {
        resources: Vec<Resource>,
        names: Vec<String>,
        wide: bool,
        /// `--show-labels`: a last column of each object's labels.
        show_labels: bool,
        namespace: Option<String>,
    },
    /// `describe pod [NAME…]`: every pod when no name is given.
    DescribePods {
        names: Vec<String>,
        namespace: Option<String>,
    },
    TopNodes,
    TopPods {
        namespace: Option<String>,
    },
    /// `get RESOURCE [NAME] -o yaml`: the objects as the API would return them ([`super::yaml`]).
    GetYaml {
        resource: String,
        name: Option<String>,
        namespace: Option<String>,
    },
}

const USAGE: &str = "flotilla's kubectl knows: get pods|nodes|deployments|replicasets|hpa|pdb|events [NAME…] [-o wide] [--show-labels] \
                     (and get pods|nodes|deployments|hpa [NAME] -o yaml) \
                     (kinds may be joined: get deploy,rs), describe pod [NAME…], top nodes, top pods";

/// Reads kubectl's arguments: the command, its resource and names, and the
/// flags `-o wide`, `-n default` and `-A` in their usual spellings.
pub fn parse(args: &[String]) -> Result<Command, ViewError> {
    let mut words = Vec::new();
    let mut output: Option<String> = None;
    let mut namespace: Option<String> = None;
    let mut all_namespaces = false;
    let mut show_labels = false;
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        let mut value = |flag: &str| -> Result<String, ViewError> {
            i += 1;
            args.get(i).cloned().ok_or_else(|| ViewError::Tool(format!("error: flag needs an argument: {flag}")))
        };
        if a == "-o" || a == "--output" {
            output = Some(value(a)?);
        } else if let Some(v) = a.strip_prefix("--output=").or_else(|| a.strip_prefix("-o=")) {
            output = Some(v.to_string());
        } else if let Some(v) = a.strip_prefix("-o").filter(|v| !v.is_empty()) {
            output = Some(v.to_string());
        } else if a == "-A" || a == "--all-namespaces" {
            all_namespaces = true;
        } else if a == "--show-labels" {
            show_labels = true;
        } else if a == "-n" || a == "--namespace" {
            namespace = Some(value(a)?);
        } else if let Some(v) = a.strip_prefix("--namespace=").or_else(|| a.strip_prefix("-n=")) {
            namespace = Some(v.to_string());
        } else if let Some(v) = a.strip_prefix("-n").filter(|v| !v.is_empty() && !a.starts_with("--")) {
            namespace = Some(v.to_string());
        } else if a.starts_with('-') {
            return Err(ViewError::Tool(format!("error: unknown flag: {a}\n{USAGE}")));
        } else {
            words.push(a.to_string());
        }
        i += 1;
    }
    // As kubectl: `-A` wins wherever `-n` is, and an empty `-n` is not
    // given (clientcmd's Namespace(): the context's namespace, `default`).
    let namespace = match all_namespaces {
        true => None,
        false => Some(namespace.filter(|n| !n.is_empty()).unwrap_or_else(|| "default".to_string())),
    };
    let (wide, yaml) = match output.as_deref() {
        None => (false, false),
        Some("wide") => (true, false),
        Some("yaml") => (false, true),
        Some(other) => {
            return Err(ViewError::Tool(format!(
                "error: unable to match a printer suitable for the output format \"{other}\", allowed formats are: wide,yaml"
            )));
        }
    };
    let Some((verb, rest)) = words.split_first() else {
        return Err(ViewError::Tool(format!("error: no command given\n{USAGE}")));
    };
    if yaml {
        // `get deploy web -o yaml` or `get deploy/web -o yaml`.
        let (resource, name) = match rest {
            [r] => match r.split_once('/') {
                Some((r, n)) => (r.to_string(), Some(n.to_string())),
                None => (r.clone(), None),
            },
            [r, n] => (r.clone(), Some(n.clone())),
            _ => return Err(ViewError::Tool(format!("error: -o yaml prints one kind: get RESOURCE [NAME]\n{USAGE}"))),
        };
        if verb != "get" || super::yaml::kind_of(&resource).is_none() {
            return Err(ViewError::Tool(format!(
                "error: -o yaml prints pods, nodes, deployments and hpa: get RESOURCE [NAME] -o yaml\n{USAGE}"
            )));
        }
        return Ok(Command::GetYaml { resource, name, namespace });
    }
    match verb.as_str() {
        "get" => {
            let (resources, names) = resources_and_names(rest)?;
            Ok(Command::Get { resources, names, wide, show_labels, namespace })
        }
        "describe" => {
            let (resources, names) = resources_and_names(rest)?;
            if resources != [Resource::Pods] {
                return Err(ViewError::Tool(format!(
                    "error: flotilla's kubectl describes pods only (kubectl describe pod NAME)\n{USAGE}"
                )));
            }
            Ok(Command::DescribePods { names, namespace })
        }
        "top" => match rest.first().map(|r| Resource::parse(r)) {
            Some(Some(Resource::Nodes)) => Ok(Command::TopNodes),
            Some(Some(Resource::Pods)) => Ok(Command::TopPods { namespace }),
            _ => Err(ViewError::Tool(format!("error: kubectl top takes nodes or pods\n{USAGE}"))),
        },
        other => Err(ViewError::Tool(format!("error: unknown command \"{other}\" for \"kubectl\"\n{USAGE}"))),
    }
}

/// `pods`, `deploy,rs`, `pod/web-1 pod/web-2`, `pods web-1`.
fn resources_and_names(words: &[String]) -> Result<(Vec<Resource>, Vec<String>), ViewError> {
    let Some(first) = words.first() else {
        return Err(ViewError::Tool(format!("error: You must specify the type of resource to get. {USAGE}")));
    };
    let unknown = |t: &str| ViewError::Tool(format!("error: the server doesn't have a resource type \"{t}\""));
    if first.contains('/') {
        let mut resources = Vec::new();
        let mut names = Vec::new();
        for w in words {
            let (kind, name) = w.split_once('/').ok_or_else(|| {
                ViewError::Tool("error: there is no need to specify a resource type as a separate argument when passing arguments in resource/name form".into())
            })?;
            let r = Resource::parse(kind).ok_or_else(|| unknown(kind))?;
            if !resources.contains(&r) {
                resources.push(r);
            }
            names.push(name.to_string());
        }
        if resources.len() > 1 {
            return Err(ViewError::Tool("error: flotilla's kubectl takes names of one kind at a time".into()));
        }
        return Ok((resources, names));
    }
    let mut resources = Vec::new();
    for kind in first.split(',') {
        let r = Resource::parse(kind).ok_or_else(|| unknown(kind))?;
        if !resources.contains(&r) {
            resources.push(r);
        }
    }
    let names: Vec<String> = words[1..].to_vec();
    if !names.is_empty() && resources.len() > 1 {
        return Err(ViewError::Tool(
            "error: you must specify only one resource type when naming objects (kubectl get TYPE NAME…)".into(),
        ));
    }
    Ok((resources, names))
}

/// Runs a parsed command against the snapshot.
pub fn run(s: &Snapshot, command: &Command) -> Result<Output, ViewError> {
    let Some(k) = s.world.kube() else {
        let hint = match &s.world.spec().platform {
            Platform::Vms(_) => "; its hypervisors answer `flotilla virsh … list`",
            Platform::Containers(_) => "; its hosts answer `flotilla docker … ps`",
            _ => "",
        };
        return Err(ViewError::NotKubernetes {
            world: s.world.name().to_string(),
            platform: super::platform_words(&s.world),
            hint: hint.to_string(),
        });
    };
    match command {
        Command::Get { resources, names, wide, show_labels, namespace } => {
            get(s, k, resources, names, (*wide, *show_labels), namespace.as_deref())
        }
        Command::DescribePods { names, namespace } => describe_pods(s, k, names, namespace.as_deref()),
        Command::TopNodes => top_nodes(s, k),
        Command::TopPods { namespace } => top_pods(s, k, namespace.as_deref()),
        #[cfg(not(target_arch = "wasm32"))]
        Command::GetYaml { resource, name, namespace } => {
            super::yaml::get(&s.world, resource, name.as_deref(), namespace.as_deref())
                .map(|stdout| Output { stdout, stderr: String::new() })
                .map_err(ViewError::Tool)
        }
        // The browser's module stays within its size budget without the
        // YAML serializer; the desktop app and the command line print it.
        #[cfg(target_arch = "wasm32")]
        Command::GetYaml { .. } => Err(ViewError::Tool(
            "error: -o yaml is printed by the desktop app and by `flotilla kubectl`, not in the browser".into(),
        )),
    }
}

/// A table through kubectl's tab writer: cells apart by tabs, lines ended by newlines.
fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut text = header.join("\t");
    text.push('\n');
    for row in rows {
        text.push_str(&row.join("\t"));
        text.push('\n');
    }
    TabWriter::KUBECTL.format(&text)
}

/// An object's age as kubectl prints it: from its creationTimestamp, which
/// the API server keeps to the whole second.
fn age(s: &Snapshot, since: SimTime) -> String {
    let created = SimTime(since.0 - since.0 % 1_000_000);
    human_duration(s.now().since(created))
}

/// Where each object lives: Deployments, ReplicaSets, Pods, HPAs and
/// PodDisruptionBudgets as applied, a Deployment's ReplicaSets and the pods
/// of a ReplicaSet in their owner's namespace.
/// Nodes are cluster-scoped; their events are in `default`, as kubectl
/// shows them.
pub struct Namespaces<'a> {
    by_kind: BTreeMap<(ObjectKind, &'a str), &'a str>,
    budgets: BTreeMap<&'a str, &'a str>,
}

impl<'a> Namespaces<'a> {
    pub fn new(k: &'a Cluster) -> Self {
        let mut by_kind = BTreeMap::new();
        for d in &k.deployments {
            by_kind.insert((ObjectKind::Deployment, d.spec.name.as_str()), d.spec.namespace.as_str());
        }
        for rs in &k.replica_sets {
            by_kind.insert((ObjectKind::ReplicaSet, rs.name.as_str()), rs.namespace.as_str());
        }
        for p in &k.standalone_pods {
            by_kind.insert((ObjectKind::Pod, p.spec.name.as_str()), p.spec.namespace.as_str());
        }
        for h in k.hpas() {
            by_kind.insert((ObjectKind::HorizontalPodAutoscaler, h.spec.name.as_str()), h.spec.namespace.as_str());
        }
        let budgets = k.disruption_budgets.iter().map(|(b, _)| (b.name.as_str(), b.namespace.as_str())).collect();
        Namespaces { by_kind, budgets }
    }

    /// The namespace of an object of `kind` named `name`. A pod's name is
    /// its own when it was applied as a Pod, or else its ReplicaSet's and a
    /// suffix, which keeps it findable after the pod is gone (for its events).
    pub fn of(&self, kind: ObjectKind, name: &str) -> &'a str {
        let key = match kind {
            ObjectKind::Pod if self.by_kind.contains_key(&(ObjectKind::Pod, name)) => (kind, name),
            ObjectKind::Pod => (ObjectKind::ReplicaSet, name.rsplit_once('-').map_or(name, |(rs, _)| rs)),
            ObjectKind::Node => return "default",
            _ => (kind, name),
        };
        self.by_kind.get(&key).copied().unwrap_or("default")
    }

    fn of_budget(&self, name: &str) -> &'a str {
        self.budgets.get(name).copied().unwrap_or("default")
    }
}

fn get(
    s: &Snapshot,
    k: &Cluster,
    resources: &[Resource],
    names: &[String],
    (wide, show_labels): (bool, bool),
    namespace: Option<&str>,
) -> Result<Output, ViewError> {
    let with_kind = resources.len() > 1;
    let namespaces = Namespaces::new(k);
    let mut tables = Vec::new();
    for &r in resources {
        let (mut header, rows) = match r {
            Resource::Pods => pods_table(s, k, wide),
            Resource::Nodes => nodes_table(s, k, wide),
            Resource::Deployments => deployments_table(s, k, wide),
            Resource::ReplicaSets => replica_sets_table(s, k, wide),
            Resource::HorizontalPodAutoscalers => hpas_table(s, k),
            Resource::PodDisruptionBudgets => pdbs_table(s, k),
            Resource::Events => events_table(s, k, wide),
        };
        // Names are the first column; an event's is its own (a column of -o wide only).
        let events = if r == Resource::Events { live_events(s) } else { Vec::new() };
        let keys: Vec<String> = match r {
            Resource::Events => events.iter().map(|e| event_name(e)).collect(),
            _ => rows.iter().map(|row| row[0].clone()).collect(),
        };
        let row_namespaces: Vec<&str> = match r {
            Resource::Nodes => vec![""; rows.len()],
            Resource::Events => events.iter().map(|e| namespaces.of(e.kind, &e.object)).collect(),
            Resource::Pods => keys.iter().map(|n| namespaces.of(ObjectKind::Pod, n)).collect(),
            Resource::Deployments => keys.iter().map(|n| namespaces.of(ObjectKind::Deployment, n)).collect(),
            Resource::ReplicaSets => keys.iter().map(|n| namespaces.of(ObjectKind::ReplicaSet, n)).collect(),
            Resource::HorizontalPodAutoscalers => {
                keys.iter().map(|n| namespaces.of(ObjectKind::HorizontalPodAutoscaler, n)).collect()
            }
            Resource::PodDisruptionBudgets => keys.iter().map(|n| namespaces.of_budget(n)).collect(),
        };
        // The rows of the namespace asked for (of every one with -A), with their keys.
        let mut kept: Vec<(String, &str, Vec<String>)> = keys
            .into_iter()
            .zip(row_namespaces)
            .zip(rows)
            .filter(|((_, ns), _)| !r.namespaced() || namespace.is_none_or(|n| n == *ns))
            .map(|((key, ns), row)| (key, ns, row))
            .collect();
        if !names.is_empty() {
            let mut picked = Vec::new();
            for name in names {
                match kept.iter().position(|(key, ..)| key == name) {
                    Some(i) => picked.push(kept[i].clone()),
                    None => {
                        return Err(ViewError::Tool(format!(
                            "Error from server (NotFound): {} \"{name}\" not found",
                            r.plural()
                        )));
                    }
                }
            }
            kept = picked;
        }
        if kept.is_empty() {
            continue;
        }
        let all = namespace.is_none() && r.namespaced();
        let name_column = if all { 1 } else { 0 };
        let mut rows: Vec<Vec<String>> = kept
            .into_iter()
            .map(|(key, ns, mut row)| {
                if all {
                    row.insert(0, ns.to_string());
                }
                if show_labels && r != Resource::Events {
                    row.push(labels_of(s, k, r, &key));
                }
                row
            })
            .collect();
        if all {
            header.insert(0, "NAMESPACE");
        }
        if show_labels && r != Resource::Events {
            header.push("LABELS");
        }
        if with_kind && r != Resource::Events {
            for row in &mut rows {
                row[name_column] = format!("{}{}", r.prefix(), row[name_column]);
            }
        }
        tables.push(table(&header, &rows));
    }
    if tables.is_empty() {
        let stderr = match namespace {
            Some(n) if resources.iter().all(|r| r.namespaced()) => format!("No resources found in {n} namespace.\n"),
            _ => "No resources found\n".to_string(),
        };
        return Ok(Output { stdout: String::new(), stderr });
    }
    // kubectl get.go: an empty line between the tables of different kinds.
    Ok(Output::out(tables.join("\n")))
}

/// An object's labels as `--show-labels` prints them: `key=value` in key
/// order, joined by commas, or `<none>`; the same labels `-o yaml` gives.
fn labels_of(s: &Snapshot, k: &Cluster, r: Resource, name: &str) -> String {
    let labels: Option<std::collections::BTreeMap<String, String>> = match r {
        Resource::Pods => super::yaml::pod(&s.world, k, name).and_then(|p| p.metadata.labels),
        Resource::Nodes => super::yaml::node(&s.world, k, name).and_then(|n| n.metadata.labels),
        Resource::Deployments => super::yaml::deployment(&s.world, k, name).and_then(|d| d.metadata.labels),
        Resource::ReplicaSets => k.replica_sets.iter().position(|rs| rs.name == name).map(|i| {
            let mut labels = k.replica_sets[i].template.labels.clone();
            if let Some(hash) = template_hash(k, i) {
                labels.insert("pod-template-hash".into(), hash.to_string());
            }
            labels.into_iter().collect()
        }),
        _ => None,
    };
    match labels {
        Some(l) if !l.is_empty() => l.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(","),
        _ => "<none>".to_string(),
    }
}

/// Pods in name order, as the API server lists them.
fn pods_sorted(s: &Snapshot, k: &Cluster) -> Vec<(InstanceId, String)> {
    let mut pods: Vec<(InstanceId, String)> =
        k.pods.iter().map(|(id, _)| (id, s.world.instance(id).name.clone())).collect();
    pods.sort_by(|a, b| a.1.cmp(&b.1));
    pods
}

/// How `printPod` sums a pod up: ready containers, STATUS, RESTARTS.
struct PodLine {
    ready: String,
    status: String,
    restarts: String,
}

fn containers_total(t: &PodTemplate) -> usize {
    t.containers.len() + t.init_containers.iter().filter(|c| c.sidecar).count()
}

fn plain_inits(t: &PodTemplate) -> usize {
    t.init_containers.len()
}

fn pod_line(s: &Snapshot, id: InstanceId, pod: &Pod) -> PodLine {
    let inst = s.world.instance(id);
    let total = containers_total(&pod.template);
    let ready = if pod.ready { total } else { 0 };
    let waiting = inst.wait_reason.as_deref().unwrap_or("");
    let inits = plain_inits(&pod.template);
    let creating = || if inits > 0 { format!("Init:0/{inits}") } else { "ContainerCreating".to_string() };
    let status = if pod.deleting {
        "Terminating".to_string()
    } else {
        match inst.phase {
            Phase::WaitingForPlacement => "Pending".to_string(),
            Phase::FetchingImage if waiting.starts_with("ErrImageNeverPull") => "ErrImageNeverPull".to_string(),
            Phase::FetchingImage => creating(),
            Phase::Starting if waiting.starts_with("CrashLoopBackOff") => "CrashLoopBackOff".to_string(),
            Phase::Starting if !pod.running => creating(),
            // A silent node's pods keep the phase it last reported.
            Phase::Starting | Phase::Running | Phase::Unknown => "Running".to_string(),
            Phase::Stopping => "Terminating".to_string(),
            Phase::Booting | Phase::Stopped | Phase::Failed => inst.phase.name().to_string(),
        }
    };
    let last = s.recorder.pod(id).and_then(|p| p.last_restart);
    let restarts = match last {
        Some(t) if pod.restarts > 0 => format!("{} ({} ago)", pod.restarts, age(s, t)),
        _ => pod.restarts.to_string(),
    };
    PodLine { ready: format!("{ready}/{total}"), status, restarts }
}

/// The pod's IP once its kubelet has set up its sandbox.
fn pod_ip(s: &Snapshot, id: InstanceId) -> Option<String> {
    let admitted = s.world.instance(id).phase != Phase::WaitingForPlacement;
    s.recorder.pod(id).and_then(|p| p.ip.clone()).filter(|_| admitted)
}

fn node_name(k: &Cluster, h: Option<HostId>) -> String {
    h.map_or_else(|| "<none>".to_string(), |h| k.nodes[h.index()].name.clone())
}

fn pods_table(s: &Snapshot, k: &Cluster, wide: bool) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let mut header = vec!["NAME", "READY", "STATUS", "RESTARTS", "AGE"];
    if wide {
        header.extend(["IP", "NODE", "NOMINATED NODE", "READINESS GATES"]);
    }
    let rows = pods_sorted(s, k)
        .into_iter()
        .map(|(id, name)| {
            let pod = &k.pods[&id];
            let line = pod_line(s, id, pod);
            let mut row = vec![name, line.ready, line.status, line.restarts, age(s, pod.created)];
            if wide {
                row.push(pod_ip(s, id).unwrap_or_else(|| "<none>".into()));
                row.push(node_name(k, pod.node));
                row.push("<none>".into());
                row.push("<none>".into());
            }
            row
        })
        .collect();
    (header, rows)
}

/// Roles from `node-role.kubernetes.io/ROLE` and `kubernetes.io/role` labels.
fn roles(labels: &crate::model::kube::Labels) -> String {
    let mut roles: Vec<&str> = labels
        .iter()
        .filter_map(|(k, v)| match k.strip_prefix("node-role.kubernetes.io/") {
            Some(role) if !role.is_empty() => Some(role),
            _ if k == "kubernetes.io/role" && !v.is_empty() => Some(v.as_str()),
            _ => None,
        })
        .collect();
    roles.sort_unstable();
    roles.dedup();
    if roles.is_empty() { "<none>".into() } else { roles.join(",") }
}

/// Nodes that exist in the API (registered, not removed), in name order.
fn nodes_sorted(k: &Cluster) -> Vec<usize> {
    let mut nodes: Vec<usize> = (0..k.nodes.len()).filter(|&i| registered(k.nodes[i].condition)).collect();
    nodes.sort_by(|&a, &b| k.nodes[a].name.cmp(&k.nodes[b].name));
    nodes
}

fn nodes_table(s: &Snapshot, k: &Cluster, wide: bool) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let mut header = vec!["NAME", "STATUS", "ROLES", "AGE", "VERSION"];
    if wide {
        header.extend(["INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME"]);
    }
    let rows = nodes_sorted(k)
        .into_iter()
        .map(|i| {
            let node = &k.nodes[i];
            let mut status = if node.condition == NodeCondition::Ready { "Ready" } else { "NotReady" }.to_string();
            if node.unschedulable {
                status.push_str(",SchedulingDisabled");
            }
            let created = s.recorder.node_created(node.host).unwrap_or(SimTime::ZERO);
            let mut row = vec![node.name.clone(), status, roles(&node.labels), age(s, created), KUBELET_VERSION.into()];
            if wide {
                // The simulation knows nothing of the nodes' OS, kernel or runtime version:
                // kubectl shows <unknown> for what a kubelet did not report.
                row.push(super::record::node_ip(node.host).unwrap_or_else(|| "<none>".into()));
                row.extend(["<none>", "<unknown>", "<unknown>", "<unknown>"].map(String::from));
            }
            row
        })
        .collect();
    (header, rows)
}

/// Labels as a selector: `app=web,tier=front`.
fn selector(labels: &crate::model::kube::Labels) -> String {
    labels.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")
}

fn container_cells(s: &Snapshot, t: &PodTemplate) -> (String, String) {
    let names: Vec<&str> = t.containers.iter().map(|c| c.name.as_str()).collect();
    let images: Vec<&str> =
        t.containers.iter().map(|c| s.world.setup().images[c.image.index()].name.as_str()).collect();
    (names.join(","), images.join(","))
}

/// A ReplicaSet's pods that count: not being deleted.
fn active<'a>(k: &'a Cluster, r: usize) -> impl Iterator<Item = &'a Pod> + 'a {
    k.replica_sets[r].pods.iter().filter_map(|p| k.pods.get(p)).filter(|p| !p.deleting)
}

fn deployments_table(s: &Snapshot, k: &Cluster, wide: bool) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let mut header = vec!["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"];
    if wide {
        header.extend(["CONTAINERS", "IMAGES", "SELECTOR"]);
    }
    let now = s.now();
    let mut deployments: Vec<&crate::world::kubernetes::Deployment> = k.deployments.iter().collect();
    deployments.sort_by(|a, b| a.spec.name.cmp(&b.spec.name));
    let rows = deployments
        .into_iter()
        .map(|d| {
            let ready: usize = d.replica_sets.iter().map(|&r| active(k, r).filter(|p| p.ready).count()).sum();
            let min_ready = d.spec.min_ready;
            let available: usize = d
                .replica_sets
                .iter()
                .map(|&r| {
                    active(k, r).filter(|p| p.ready && p.ready_since.is_some_and(|t| now.since(t) >= min_ready)).count()
                })
                .sum();
            let updated: usize = d
                .replica_sets
                .iter()
                .filter(|&&r| *k.replica_sets[r].template == d.spec.template)
                .map(|&r| active(k, r).count())
                .sum();
            let created = s.recorder.deployment_created(&d.spec.name).unwrap_or(SimTime::ZERO);
            let mut row = vec![
                d.spec.name.clone(),
                format!("{ready}/{}", d.spec.replicas),
                updated.to_string(),
                available.to_string(),
                age(s, created),
            ];
            if wide {
                let (names, images) = container_cells(s, &d.spec.template);
                row.extend([names, images, selector(&d.spec.template.labels)]);
            }
            row
        })
        .collect();
    (header, rows)
}

/// The `pod-template-hash` of a Deployment's ReplicaSet: its name after
/// the Deployment's. A ReplicaSet of its own has none.
pub fn template_hash(k: &Cluster, r: usize) -> Option<&str> {
    let rs = &k.replica_sets[r];
    let deployment = &k.deployments[rs.deployment?].spec.name;
    Some(rs.name.strip_prefix(deployment.as_str()).and_then(|h| h.strip_prefix('-')).unwrap_or(&rs.name))
}

fn replica_sets_table(s: &Snapshot, k: &Cluster, wide: bool) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let mut header = vec!["NAME", "DESIRED", "CURRENT", "READY", "AGE"];
    if wide {
        header.extend(["CONTAINERS", "IMAGES", "SELECTOR"]);
    }
    let mut order: Vec<usize> = (0..k.replica_sets.len()).collect();
    order.sort_by(|&a, &b| k.replica_sets[a].name.cmp(&k.replica_sets[b].name));
    let rows = order
        .into_iter()
        .map(|r| {
            let rs = &k.replica_sets[r];
            let mut row = vec![
                rs.name.clone(),
                rs.replicas.to_string(),
                active(k, r).count().to_string(),
                active(k, r).filter(|p| p.ready).count().to_string(),
                age(s, rs.created),
            ];
            if wide {
                let (names, images) = container_cells(s, &rs.template);
                let mut labels = rs.template.labels.clone();
                if let Some(hash) = template_hash(k, r) {
                    labels.insert("pod-template-hash".into(), hash.to_string());
                }
                row.extend([names, images, selector(&labels)]);
            }
            row
        })
        .collect();
    (header, rows)
}

fn hpas_table(s: &Snapshot, k: &Cluster) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let header = vec!["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"];
    let mut hpas: Vec<&crate::world::kubernetes::HpaState> = k.hpas().iter().collect();
    hpas.sort_by(|a, b| a.spec.name.cmp(&b.spec.name));
    let rows = hpas
        .into_iter()
        .map(|h| {
            let spec = &h.spec;
            let targets = format_hpa_metrics(h);
            // status.currentReplicas: the pods of the target, as its scale subresource counts them.
            let replicas: usize = k
                .deployment(&spec.target)
                .map_or(0, |d| k.deployments[d].replica_sets.iter().map(|&r| active(k, r).count()).sum());
            let created = s.recorder.hpa_created(&spec.name).unwrap_or(SimTime::ZERO);
            vec![
                spec.name.clone(),
                format!("Deployment/{}", spec.target),
                targets,
                spec.min_replicas.to_string(),
                spec.max_replicas.to_string(),
                replicas.to_string(),
                age(s, created),
            ]
        })
        .collect();
    (header, rows)
}

/// `formatHPAMetrics`: each metric's current value against its target, the
/// first two of them, then how many more.
pub fn format_hpa_metrics(h: &crate::world::kubernetes::HpaState) -> String {
    use crate::model::hpa::{MetricSource, MetricTarget, decimal_si_milli};
    const SHOWN: usize = 2;
    let list: Vec<String> = h
        .spec
        .metrics
        .iter()
        .enumerate()
        .map(|(i, m)| {
            // The metrics that could be computed at the last sync; the others are unknown.
            let current = h.current_metrics.get(i).copied().flatten();
            let unknown = || "<unknown>".to_string();
            match (&m.source, &m.target) {
                (MetricSource::Pods { .. }, target) => format!(
                    "{}/{}",
                    current.map_or_else(unknown, |c| decimal_si_milli(c.average_milli)),
                    target.quantity_string()
                ),
                (MetricSource::Resource { resource, .. }, target @ MetricTarget::AverageValue { .. }) => format!(
                    "{}: {}/{}",
                    resource.name(),
                    current.map_or_else(unknown, |c| decimal_si_milli(c.average_milli)),
                    target.quantity_string()
                ),
                (MetricSource::Resource { resource, .. }, MetricTarget::Utilization(target)) => format!(
                    "{}: {}/{target}%",
                    resource.name(),
                    current.and_then(|c| c.utilization).map_or_else(unknown, |u| format!("{u}%"))
                ),
            }
        })
        .collect();
    let more = list.len().saturating_sub(SHOWN);
    let shown = list[..list.len().min(SHOWN)].join(", ");
    if more > 0 { format!("{shown} + {more} more...") } else { shown }
}

/// PodDisruptionBudgets by name, as `printPodDisruptionBudget` prints them.
fn pdbs_table(s: &Snapshot, k: &Cluster) -> (Vec<&'static str>, Vec<Vec<String>>) {
    use crate::model::kube::DisruptionBudget;
    let header = vec!["NAME", "MIN AVAILABLE", "MAX UNAVAILABLE", "ALLOWED DISRUPTIONS", "AGE"];
    let mut budgets: Vec<&(crate::model::kube::PodDisruptionBudgetSpec, SimTime)> =
        k.disruption_budgets.iter().collect();
    budgets.sort_by(|a, b| a.0.name.cmp(&b.0.name));
    let rows = budgets
        .into_iter()
        .map(|(b, created)| {
            let (_, _, allowed) = k.disruption_status(b);
            let (min, max) = match b.budget {
                DisruptionBudget::MinAvailable(m) => (m.to_string(), "N/A".to_string()),
                DisruptionBudget::MaxUnavailable(m) => ("N/A".to_string(), m.to_string()),
                DisruptionBudget::Unset => ("N/A".to_string(), "N/A".to_string()),
            };
            vec![b.name.clone(), min, max, allowed.to_string(), age(s, *created)]
        })
        .collect();
    (header, rows)
}

/// The events still kept, in the order the API server lists them: by
/// name, which is the object's name and the hex of the first time.
fn live_events(s: &Snapshot) -> Vec<&super::record::KubeEvent> {
    let now = s.now();
    let mut events: Vec<&super::record::KubeEvent> =
        s.recorder.events().iter().filter(|e| now.since(e.last) < EVENT_TTL).collect();
    events.sort_by(|a, b| (a.object.as_str(), a.first).cmp(&(b.object.as_str(), b.first)));
    events
}

/// `involvedObject.name.<hex nanoseconds>`, as client-go names an event.
fn event_name(e: &super::record::KubeEvent) -> String {
    format!("{}.{:x}", e.object, u128::from(e.first.as_micros()) * 1_000)
}

/// `source`: the component and, for a kubelet, its node (`nodes` gives each pod's).
fn event_source(e: &super::record::KubeEvent, nodes: &BTreeMap<&str, &str>) -> String {
    if e.source != "kubelet" {
        return e.source.clone();
    }
    let host = match e.kind {
        ObjectKind::Node => Some(e.object.as_str()),
        ObjectKind::Pod => nodes.get(e.object.as_str()).copied(),
        _ => None,
    };
    match host {
        Some(h) => format!("kubelet, {h}"),
        None => "kubelet".into(),
    }
}

fn events_table(s: &Snapshot, k: &Cluster, wide: bool) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let mut header = vec!["LAST SEEN", "TYPE", "REASON", "OBJECT"];
    if wide {
        header.extend(["SUBOBJECT", "SOURCE"]);
    }
    header.push("MESSAGE");
    if wide {
        header.extend(["FIRST SEEN", "COUNT", "NAME"]);
    }
    // Each pod's node, for the kubelet's events.
    let nodes: BTreeMap<&str, &str> = if wide {
        k.pods
            .iter()
            .filter_map(|(id, p)| Some((s.world.instance(id).name.as_str(), k.nodes[p.node?.index()].name.as_str())))
            .collect()
    } else {
        BTreeMap::new()
    };
    let rows = live_events(s)
        .into_iter()
        .map(|e| {
            let mut row = vec![
                age(s, e.last),
                if e.warning { "Warning" } else { "Normal" }.to_string(),
                e.reason.to_string(),
                format!("{}/{}", e.kind.name().to_ascii_lowercase(), e.object),
            ];
            if wide {
                row.push(e.field_path.clone().unwrap_or_default());
                row.push(event_source(e, &nodes));
            }
            row.push(e.message.clone());
            if wide {
                row.extend([age(s, e.first), e.count.to_string(), event_name(e)]);
            }
            row
        })
        .collect();
    (header, rows)
}

// ----- describe -----

/// kubectl's describe writer: `Key:\tvalue` lines two spaces an indent level.
struct Describe {
    text: String,
}

impl Describe {
    fn line(&mut self, level: usize, text: &str) {
        for _ in 0..level {
            self.text.push_str("  ");
        }
        self.text.push_str(text);
        self.text.push('\n');
    }

    /// `printLabelsMultiline`: the first pair beside the title, the others under it.
    fn multiline(&mut self, title: &str, values: &[String]) {
        match values.split_first() {
            None => self.line(0, &format!("{title}:\t<none>")),
            Some((first, rest)) => {
                self.line(0, &format!("{title}:\t{first}"));
                for v in rest {
                    self.line(0, &format!("\t{v}"));
                }
            }
        }
    }
}

fn describe_pods(s: &Snapshot, k: &Cluster, names: &[String], namespace: Option<&str>) -> Result<Output, ViewError> {
    let namespaces = Namespaces::new(k);
    let mut pods = pods_sorted(s, k);
    pods.retain(|(_, name)| namespace.is_none_or(|n| n == namespaces.of(ObjectKind::Pod, name)));
    let chosen: Vec<(InstanceId, String)> = if names.is_empty() {
        pods
    } else {
        names
            .iter()
            .map(|n| {
                pods.iter()
                    .find(|(_, name)| name == n)
                    .cloned()
                    .ok_or_else(|| ViewError::Tool(format!("Error from server (NotFound): pods \"{n}\" not found")))
            })
            .collect::<Result<_, _>>()?
    };
    if chosen.is_empty() {
        let stderr = match namespace {
            Some(n) => format!("No resources found in {n} namespace.\n"),
            None => "No resources found\n".to_string(),
        };
        return Ok(Output { stdout: String::new(), stderr });
    }
    // kubectl describe: descriptions apart by an empty line.
    let texts: Vec<String> = chosen.iter().map(|(id, _)| describe_pod(s, k, *id)).collect();
    Ok(Output::out(texts.join("\n\n")))
}

/// `GetPodQOS`: Guaranteed when every container's requests equal limits for
/// both CPU and memory, BestEffort when none asks for anything. A pod that
/// sets resources of its own is judged by them alone (`ComputePodQOS` with
/// `PodLevelResources`): Guaranteed when it limits both CPU and memory and
/// requests what it limits.
fn qos_class(t: &PodTemplate) -> &'static str {
    let own = &t.resources;
    if own.is_set() {
        // Zero quantities do not count (`processResourceList`).
        let requests = [own.cpu_request.map(|m| m.0), own.memory_request.map(|b| b.0)].map(|q| q.filter(|&q| q > 0));
        let limits = [own.cpu_limit.map(|m| m.0), own.memory_limit.map(|b| b.0)].map(|q| q.filter(|&q| q > 0));
        if requests.iter().chain(&limits).all(Option::is_none) {
            return "BestEffort";
        }
        let guaranteed = limits.iter().all(Option::is_some) && requests == limits;
        return if guaranteed { "Guaranteed" } else { "Burstable" };
    }
    let all: Vec<&ContainerSpec> = t.init_containers.iter().chain(&t.containers).collect();
    let any = all.iter().any(|c| {
        c.cpu_request.is_some() || c.memory_request.is_some() || c.cpu_limit.is_some() || c.memory_limit.is_some()
    });
    if !any {
        return "BestEffort";
    }
    let guaranteed = all.iter().all(|c| {
        c.cpu_limit.is_some()
            && c.memory_limit.is_some()
            && c.cpu_request.is_none_or(|r| Some(r) == c.cpu_limit)
            && c.memory_request.is_none_or(|r| Some(r) == c.memory_limit)
    });
    if guaranteed { "Guaranteed" } else { "Burstable" }
}

/// `containerd://` and a container ID, derived from the world, pod and
/// container (the simulation has no container runtime IDs).
fn container_id(world: &str, pod: &str, container: &str, restarts: u32) -> String {
    format!("containerd://{}", derived_hex(&["container", world, pod, container, &restarts.to_string()]))
}

/// The repository an image is pulled from, as containerd names it
/// (`web:1.0` is `docker.io/library/web`), and a digest derived from the
/// image's name and layers.
pub fn image_id(s: &Snapshot, image: crate::model::ImageId) -> String {
    let setup = s.world.setup();
    let spec = &setup.images[image.index()];
    let repo = spec.name.rsplit_once(':').filter(|(_, tag)| !tag.contains('/')).map_or(spec.name.as_str(), |(r, _)| r);
    let first = repo.split('/').next().unwrap_or("");
    let domain = repo.contains('/') && (first.contains('.') || first.contains(':') || first == "localhost");
    let repo = match (domain, repo.contains('/')) {
        (true, _) => repo.to_string(),
        (false, true) => format!("docker.io/{repo}"),
        (false, false) => format!("docker.io/library/{repo}"),
    };
    let mut parts: Vec<String> = vec!["image".into(), spec.name.clone()];
    parts.extend(
        spec.layers.iter().map(|b| format!("{}:{}", setup.blobs[b.index()].name, setup.blobs[b.index()].bytes.0)),
    );
    let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
    format!("{repo}@sha256:{}", derived_hex(&refs))
}

fn describe_pod(s: &Snapshot, k: &Cluster, id: InstanceId) -> String {
    let pod = &k.pods[&id];
    let inst = s.world.instance(id);
    let record = s.recorder.pod(id);
    let t = &pod.template;
    let mut d = Describe { text: String::new() };
    d.line(0, &format!("Name:\t{}", inst.name));
    let namespace = k.pod_namespace(pod);
    d.line(0, &format!("Namespace:\t{namespace}"));
    // No PriorityClass exists here: every pod has the default priority.
    d.line(0, "Priority:\t0");
    match pod.node {
        None => d.line(0, "Node:\t<none>"),
        Some(h) => {
            d.line(0, &format!("Node:\t{}/{}", k.nodes[h.index()].name, super::record::node_ip(h).unwrap_or_default()))
        }
    }
    if let Some(t) = record.and_then(|r| r.started) {
        d.line(0, &format!("Start Time:\t{}", rfc1123z(t)));
    }
    let mut labels: Vec<String> = t.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    if let Some(hash) = pod.owner.replica_set().and_then(|r| template_hash(k, r)) {
        labels.push(format!("pod-template-hash={hash}"));
    }
    labels.sort();
    d.multiline("Labels", &labels);
    d.line(0, "Annotations:\t<none>");
    let phase = if pod.running { "Running" } else { "Pending" };
    if pod.deleting {
        // Its deletion timestamp; a pod deleted before the recording began, when the kubelet began stopping it.
        let since = s.recorder.pod(id).and_then(|p| p.deleted).or(inst.entered(Phase::Stopping)).unwrap_or(s.now());
        d.line(0, &format!("Status:\tTerminating (lasts {})", age(s, since)));
        d.line(0, &format!("Termination Grace Period:\t{}s", t.termination_grace.as_micros() / 1_000_000));
    } else {
        d.line(0, &format!("Status:\t{phase}"));
    }
    let ip = pod_ip(s, id);
    d.line(0, &format!("IP:\t{}", ip.clone().unwrap_or_default()));
    match &ip {
        Some(ip) => {
            d.line(0, "IPs:");
            d.line(1, &format!("IP:\t{ip}"));
        }
        None => d.line(0, "IPs:\t<none>"),
    }
    if let Some(r) = pod.owner.replica_set() {
        d.line(0, &format!("Controlled By:\tReplicaSet/{}", k.replica_sets[r].name));
    }
    let admitted = pod.node.is_some() && inst.phase != Phase::WaitingForPlacement;
    if !t.init_containers.is_empty() {
        d.line(0, "Init Containers:");
        for c in &t.init_containers {
            describe_container(&mut d, s, id, pod, c, admitted, true);
        }
    }
    d.line(0, "Containers:");
    for c in &t.containers {
        describe_container(&mut d, s, id, pod, c, admitted, false);
    }
    // Conditions, in the order the kubelet sets them.
    let scheduled_failed = pod.node.is_none() && inst.wait_reason.is_some();
    if pod.node.is_some() || scheduled_failed {
        d.line(0, "Conditions:");
        d.line(1, "Type\tStatus");
        let b = |x: bool| if x { "True" } else { "False" };
        let mut conditions: Vec<(&str, &str)> = Vec::new();
        if admitted {
            let initialized = t.init_containers.iter().all(|c| c.sidecar) || pod.running;
            // On a node gone silent the node lifecycle controller marks only the
            // Ready condition False (MarkPodsNotReady); the rest is as the kubelet last wrote it.
            let containers_ready = if inst.phase == Phase::Unknown { pod.running } else { pod.ready };
            conditions.push(("PodReadyToStartContainers", "True"));
            conditions.push(("Initialized", b(initialized)));
            conditions.push(("Ready", b(pod.ready)));
            conditions.push(("ContainersReady", b(containers_ready)));
        }
        conditions.push(("PodScheduled", b(pod.node.is_some())));
        for (name, status) in conditions {
            // describePod writes each condition as "%v \t%v \n".
            d.line(1, &format!("{name} \t{status} "));
        }
    }
    d.line(0, "Volumes:\t<none>");
    d.line(0, &format!("QoS Class:\t{}", qos_class(t)));
    let selectors: Vec<String> = t.node_selector.iter().map(|(k, v)| format!("{k}={v}")).collect();
    d.multiline("Node-Selectors", &selectors);
    d.multiline("Tolerations", &tolerations(s, t));
    if !t.topology_spread_constraints.is_empty() {
        let mut tscs: Vec<&crate::model::kube::TopologySpreadConstraint> =
            t.topology_spread_constraints.iter().collect();
        tscs.sort_by(|a, b| a.topology_key.cmp(&b.topology_key));
        let lines: Vec<String> = tscs
            .iter()
            .map(|c| {
                let when = match c.when_unsatisfiable {
                    crate::model::kube::UnsatisfiableConstraintAction::DoNotSchedule => "DoNotSchedule",
                    crate::model::kube::UnsatisfiableConstraintAction::ScheduleAnyway => "ScheduleAnyway",
                };
                format!(
                    "{}:{when} when max skew {} is exceeded for selector {}",
                    c.topology_key,
                    c.max_skew,
                    selector(&c.label_selector)
                )
            })
            .collect();
        d.multiline("Topology Spread Constraints", &lines);
    }
    let mut text = TabWriter::KUBECTL_DESCRIBE.format(&d.text);
    // DescribeEvents flushes the writer first: the events table aligns on its own.
    text.push_str(&TabWriter::KUBECTL_DESCRIBE.format(&pod_events(s, &inst.name)));
    text
}

fn describe_container(
    d: &mut Describe,
    s: &Snapshot,
    id: InstanceId,
    pod: &Pod,
    c: &ContainerSpec,
    admitted: bool,
    init: bool,
) {
    let inst = s.world.instance(id);
    let setup = s.world.setup();
    d.line(1, &format!("{}:", c.name));
    // A container has a status once its pod's kubelet has synced it; an ID and
    // an image ID once it has been created.
    let created =
        if init && !c.sidecar { pod.running || inst.phase == Phase::Starting } else { pod.running || pod.restarts > 0 };
    if admitted {
        let cid = if created { container_id(s.world.name(), &inst.name, &c.name, pod.restarts) } else { String::new() };
        d.line(2, &format!("Container ID:\t{cid}"));
    }
    d.line(2, &format!("Image:\t{}", setup.images[c.image.index()].name));
    if admitted {
        let iid = if created { image_id(s, c.image) } else { String::new() };
        d.line(2, &format!("Image ID:\t{iid}"));
    }
    d.line(2, "Port:\t<none>");
    d.line(2, "Host Port:\t<none>");
    if admitted {
        let waiting = inst.wait_reason.as_deref().unwrap_or("");
        let started_at = pod.started_at.unwrap_or(s.now());
        let starting_since = inst.entered(Phase::Starting).unwrap_or(s.now());
        if init && !c.sidecar {
            if pod.running {
                d.line(2, "State:\tTerminated");
                d.line(3, "Reason:\tCompleted");
                d.line(3, "Exit Code:\t0");
                d.line(3, &format!("Started:\t{}", rfc1123z(starting_since)));
                d.line(3, &format!("Finished:\t{}", rfc1123z(started_at)));
            } else {
                d.line(2, "State:\tWaiting");
                d.line(3, "Reason:\tPodInitializing");
            }
        } else if pod.running && !waiting.starts_with("CrashLoopBackOff") {
            d.line(2, "State:\tRunning");
            d.line(3, &format!("Started:\t{}", rfc1123z(started_at)));
        } else {
            d.line(2, "State:\tWaiting");
            let reason = if waiting.starts_with("CrashLoopBackOff") {
                "CrashLoopBackOff"
            } else if waiting.starts_with("ErrImageNeverPull") {
                "ErrImageNeverPull"
            } else if plain_inits(&pod.template) > 0 && !init {
                "PodInitializing"
            } else {
                "ContainerCreating"
            };
            d.line(3, &format!("Reason:\t{reason}"));
        }
        // A plain init container has finished by the time its pod is Ready.
        let ready = pod.ready && (!init || c.sidecar);
        d.line(2, &format!("Ready:\t{}", if ready { "True" } else { "False" }));
        let restarts = if init { 0 } else { pod.restarts };
        d.line(2, &format!("Restart Count:\t{restarts}"));
    }
    // Extended resources, a request equal to its limit; kubectl lists resources by name.
    let extended: Vec<(&String, u64)> =
        setup.extended_resources.iter().zip(c.extended).filter(|(_, n)| *n > 0).collect();
    if c.cpu_limit.is_some() || c.memory_limit.is_some() || !extended.is_empty() {
        d.line(2, "Limits:");
        if let Some(cpu) = c.cpu_limit {
            d.line(3, &format!("cpu:\t{}", cpu_quantity(cpu)));
        }
        if let Some(m) = c.memory_limit {
            d.line(3, &format!("memory:\t{}", memory_quantity(m)));
        }
        for (name, n) in &extended {
            d.line(3, &format!("{name}:\t{n}"));
        }
    }
    // Requests default to limits, as the API server fills them in.
    let cpu = c.cpu_request.or(c.cpu_limit);
    let memory = c.memory_request.or(c.memory_limit);
    if cpu.is_some() || memory.is_some() || !extended.is_empty() {
        d.line(2, "Requests:");
        if let Some(cpu) = cpu {
            d.line(3, &format!("cpu:\t{}", cpu_quantity(cpu)));
        }
        if let Some(m) = memory {
            d.line(3, &format!("memory:\t{}", memory_quantity(m)));
        }
        for (name, n) in &extended {
            d.line(3, &format!("{name}:\t{n}"));
        }
    }
    if c.readiness_delay > SimDuration::ZERO {
        // DescribeProbe of a probe the scenario gives no handler: "unknown", with the API's defaults.
        d.line(
            2,
            &format!(
                "Readiness:\tunknown delay={}s timeout=1s period=10s successThreshold=1 failureThreshold=3",
                c.readiness_delay.as_micros() / 1_000_000
            ),
        );
    }
    d.line(2, "Environment:\t<none>");
    d.line(2, "Mounts:\t<none>");
}

/// The pod's tolerations and the DefaultTolerationSeconds admission
/// plugin's two, sorted by key as describe prints them.
fn tolerations(s: &Snapshot, t: &PodTemplate) -> Vec<String> {
    let seconds = match &s.world.spec().platform {
        Platform::Kubernetes(p) => p.default_toleration_seconds,
        _ => crate::model::spec::KubePlatform::DEFAULT_TOLERATION_SECONDS,
    };
    let mut list: Vec<(String, String)> = t
        .tolerations
        .iter()
        .map(|tol| {
            let mut text = tol.key.clone();
            if !tol.value.is_empty() {
                let _ = write!(text, "={}", tol.value);
            }
            if let Some(e) = tol.effect {
                let _ = write!(text, ":{}", e.name());
            }
            if tol.operator == TolerationOperator::Exists && tol.value.is_empty() {
                text.push_str(if tol.key.is_empty() && tol.effect.is_none() { "op=Exists" } else { " op=Exists" });
            }
            if let Some(secs) = tol.toleration_seconds {
                let _ = write!(text, " for {secs}s");
            }
            (tol.key.clone(), text)
        })
        .collect();
    for key in ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"] {
        let has = t.tolerations.iter().any(|tol| {
            (tol.key == key || (tol.key.is_empty() && tol.operator == TolerationOperator::Exists))
                && tol.effect.is_none_or(|e| e == TaintEffect::NoExecute)
        });
        if !has {
            list.push((key.to_string(), format!("{key}:NoExecute op=Exists for {seconds}s")));
        }
    }
    list.sort_by(|a, b| a.0.cmp(&b.0));
    list.into_iter().map(|(_, text)| text).collect()
}

/// `DescribeEvents`: the pod's events by last time seen, with how many
/// there were over how long.
fn pod_events(s: &Snapshot, pod: &str) -> String {
    let now = s.now();
    let mut events: Vec<&super::record::KubeEvent> = s
        .recorder
        .events()
        .iter()
        .filter(|e| e.kind == ObjectKind::Pod && e.object == pod && now.since(e.last) < EVENT_TTL)
        .collect();
    if events.is_empty() {
        return "Events:\t<none>\n".into();
    }
    events.sort_by_key(|e| e.last);
    let mut text = String::from("Events:\n  Type\tReason\tAge\tFrom\tMessage\n  ----\t------\t----\t----\t-------\n");
    for e in events {
        let interval = if e.count > 1 {
            format!("{} (x{} over {})", age(s, e.last), e.count, age(s, e.first))
        } else {
            age(s, e.first)
        };
        let message = match &e.field_path {
            Some(path) => format!("{path}: {}", e.message),
            None => e.message.clone(),
        };
        let _ = writeln!(
            text,
            "  {}\t{}\t{interval}\t{}\t{message}",
            if e.warning { "Warning" } else { "Normal" },
            e.reason,
            e.source
        );
    }
    text
}

// ----- top -----

/// metrics-server runs where the simulation measures CPU use: in scenarios with traffic.
fn metrics_api(s: &Snapshot) -> Result<&crate::world::traffic::Traffic, ViewError> {
    s.world.traffic().ok_or_else(|| {
        ViewError::Tool(
            "error: Metrics API not available (this world runs no metrics-server: the simulation measures \
             CPU use only in scenarios with traffic)"
                .into(),
        )
    })
}

/// A pod's usage as metrics-server last sampled it: CPU in millicores, and
/// the memory it holds on its node (its request: the simulation has no
/// working-set figure).
fn pod_usage(s: &Snapshot, t: &crate::world::traffic::Traffic, id: InstanceId, pod: &Pod) -> Option<(u64, u64)> {
    let phase = s.world.instance(id).phase;
    if !matches!(phase, Phase::Starting | Phase::Running) || pod.deleting {
        return None;
    }
    let (millicores, _, _) = t.sample(id)?;
    Some((millicores, pod.template.requests().1.0))
}

/// `printMetricsLine`: every value ends with a tab, so the last column is padded too.
fn metrics_table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut text = String::new();
    for line in std::iter::once(header.iter().map(|h| h.to_string()).collect::<Vec<_>>()).chain(rows.iter().cloned()) {
        for cell in line {
            text.push_str(&cell);
            text.push('\t');
        }
        text.push('\n');
    }
    TabWriter::KUBECTL.format(&text)
}

fn top_nodes(s: &Snapshot, k: &Cluster) -> Result<Output, ViewError> {
    let t = metrics_api(s)?;
    let mut usage: Vec<(u64, u64, bool)> = vec![(0, 0, false); k.nodes.len()];
    for (id, pod) in k.pods.iter() {
        if let (Some(h), Some((cpu, mem))) = (pod.node, pod_usage(s, t, id, pod)) {
            usage[h.index()].0 += cpu;
            usage[h.index()].1 += mem;
            usage[h.index()].2 = true;
        }
    }
    let mut rows = Vec::new();
    let mut missing = Vec::new();
    for i in nodes_sorted(k) {
        let node = &k.nodes[i];
        if node.condition != NodeCondition::Ready {
            // A node whose kubelet does not answer has no metrics: printMissingMetricsNodeLine.
            missing.push(vec![
                node.name.clone(),
                "<unknown>".into(),
                "<unknown>".into(),
                "<unknown>".into(),
                "<unknown>".into(),
            ]);
            continue;
        }
        let (cpu, mem, _) = usage[i];
        let a = node.allocatable;
        let pct = |x: u64, of: i64| if of > 0 { (x as f64 / of as f64 * 100.0) as i64 } else { 0 };
        rows.push(vec![
            node.name.clone(),
            format!("{cpu}m"),
            format!("{}%", pct(cpu, a.milli_cpu)),
            format!("{}Mi", mem / (1 << 20)),
            format!("{}%", pct(mem, a.memory)),
        ]);
    }
    // kubectl top node: no NodeMetrics at all before metrics-server's first scrape.
    if !usage.iter().any(|u| u.2) && !k.pods.iter().any(|(id, _)| t.sample(id).is_some()) {
        return Err(ViewError::Tool("error: metrics not available yet".into()));
    }
    rows.extend(missing);
    Ok(Output::out(metrics_table(&["NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)"], &rows)))
}

fn top_pods(s: &Snapshot, k: &Cluster, namespace: Option<&str>) -> Result<Output, ViewError> {
    let t = metrics_api(s)?;
    let namespaces = Namespaces::new(k);
    let none_found = || {
        let stderr = match namespace {
            Some(n) => format!("No resources found in {n} namespace.\n"),
            None => "No resources found\n".to_string(),
        };
        Ok(Output { stdout: String::new(), stderr })
    };
    let mut any_pods = false;
    let rows: Vec<Vec<String>> = pods_sorted(s, k)
        .into_iter()
        .filter_map(|(id, name)| {
            let ns = namespaces.of(ObjectKind::Pod, &name);
            if namespace.is_some_and(|n| n != ns) {
                return None;
            }
            any_pods = true;
            let (cpu, mem) = pod_usage(s, t, id, &k.pods[&id])?;
            let mut row = vec![name, format!("{cpu}m"), format!("{}Mi", mem / (1 << 20))];
            if namespace.is_none() {
                row.insert(0, ns.to_string());
            }
            Some(row)
        })
        .collect();
    if rows.is_empty() {
        return if any_pods { Err(ViewError::Tool("error: metrics not available yet".into())) } else { none_found() };
    }
    let header: &[&str] = if namespace.is_none() {
        &["NAMESPACE", "NAME", "CPU(cores)", "MEMORY(bytes)"]
    } else {
        &["NAME", "CPU(cores)", "MEMORY(bytes)"]
    };
    Ok(Output::out(metrics_table(header, &rows)))
}
