//! Kubernetes manifests as a world's workload: YAML files (several documents
//! each, `List` kinds too) read into the API's own types (`k8s-openapi`, one
//! Kubernetes version) and turned into the objects a Kubernetes world applies.
//!
//! ```text
//!  file.yaml ─▶ documents (line, column) ─▶ apiVersion + kind ─▶ k8s-openapi type (strict:
//!                                                                 unknown fields refused)
//!      fields Flotilla reads ─▶ Deployment, Service, HPA, Node …   (checked as the RON ones are)
//!      every other field set ─▶ listed as not simulated
//! ```
//!
//! A problem is placed by file, document, line and column, and named by the
//! field's path in the manifest's own words
//! (`spec.template.spec.containers[0].image`).

mod decode;
pub mod fields;
pub(crate) mod quantity;
pub mod yaml;

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::{apps, autoscaling, core, policy};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::de::DeserializeOwned;

use super::error::{Problem, quoted};
use super::file::{
    AffinityFile, BehaviorFile, ContainerFile, DecimalQuantityFile, DeploymentFile, HpaFile, IntOrPercentFile,
    MetricFile, MetricTargetFile, PodDisruptionBudgetFile, PodFile, PodTemplateFile, ProbeFile, ReplicaSetFile,
    ResourceListFile, ResourcesFile, ScalingPolicyFile, ScalingPolicyType, ScalingRulesFile, SelectPolicyFile,
    ServiceFile, StrategyFile,
};
use super::source::SideFiles;
use crate::model::hpa::PODS_METRICS;
use crate::model::kube::{
    ImagePullPolicy, IntOrPercent, Labels, NodeAffinity, NodeSelectorTerm, PreferredSchedulingTerm, Requirement,
    RestartPolicy, SelectorOperator, Taint, TaintEffect, Toleration, TolerationOperator, TopologySpreadConstraint,
    UnsatisfiableConstraintAction,
};
use crate::model::quantity::{Bytes, Millicores};
use fields::Unread;
use yaml::{Mark, Node};

/// The Kubernetes version whose API types manifests are read into.
pub const KUBERNETES_VERSION: &str = "1.37";

/// The kinds read, with their API group versions.
pub const KINDS: &[(&str, &str)] = &[
    ("apps/v1", "Deployment"),
    ("apps/v1", "ReplicaSet"),
    ("v1", "Pod"),
    ("v1", "Service"),
    ("autoscaling/v2", "HorizontalPodAutoscaler"),
    ("autoscaling/v1", "HorizontalPodAutoscaler"),
    ("policy/v1", "PodDisruptionBudget"),
    ("v1", "Node"),
    ("v1", "Namespace"),
    ("v1", "ConfigMap"),
    ("v1", "Secret"),
    ("v1", "List"),
];

/// Where an object was read: its file, document, place in a `List`, kind and name.
#[derive(Clone, Debug)]
pub struct Origin {
    pub file: String,
    pub document: usize,
    /// Its index in a `List`'s items.
    pub item: Option<usize>,
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
    /// The object's tree, to place its fields.
    pub root: Arc<Node>,
}

impl Origin {
    /// `document 2, Deployment "web"`.
    pub fn label(&self) -> String {
        let item = self.item.map(|i| format!(", items[{i}]")).unwrap_or_default();
        let name = if self.name.is_empty() { String::new() } else { format!(" {}", quoted(&self.name)) };
        if self.kind.is_empty() {
            return format!("document {}{item},{name}", self.document);
        }
        format!("document {}{item}, {}{name}", self.document, self.kind)
    }

    /// Where the field at `path` is written.
    pub fn mark(&self, path: &str) -> Mark {
        self.root.mark_of(path)
    }

    /// A problem with the field at `path`, placed by file, line and column.
    pub fn problem(&self, path: &str, message: impl Into<String>) -> Problem {
        let at = self.mark(path);
        let field = if path.is_empty() { String::new() } else { format!(", {path}") };
        Problem {
            path: format!("{}:{}:{}: {}{field}", self.file, at.line, at.column, self.label()),
            message: message.into(),
        }
    }
}

/// A manifest field that is not simulated, with where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ignored {
    pub file: String,
    pub at: Mark,
    /// `document 2, Deployment "web"`.
    pub object: String,
    /// The field's path in the object; empty for a whole object.
    pub path: String,
    pub reason: String,
}

impl std::fmt::Display for Ignored {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = if self.path.is_empty() { String::new() } else { format!(" {}", self.path) };
        write!(f, "{}:{}:{}: {}:{path}: {}", self.file, self.at.line, self.at.column, self.object, self.reason)
    }
}

/// A Node manifest: labels, taints and cordon for the nodes it names.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeFile {
    pub name: String,
    pub labels: Labels,
    /// `spec.taints` where written: they replace the nodes' own; where not,
    /// the nodes keep theirs, as `kubectl apply` leaves a field it does not set.
    pub taints: Option<Vec<Taint>>,
    /// `spec.unschedulable` where written.
    pub unschedulable: Option<bool>,
    /// `status.capacity` (cpu, memory, pods), which only an import reads.
    pub capacity: (Option<Millicores>, Option<Bytes>, Option<u32>),
    /// The extended resources of `status.capacity` (`nvidia.com/gpu`), which only an import reads.
    pub extended: BTreeMap<String, u64>,
}

/// Where an HPA metric was read: its source's key (`resource`,
/// `containerResource`, `pods`) and its target's (`averageUtilization`,
/// `averageValue`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MetricKeys {
    pub source: &'static str,
    pub target: &'static str,
}

/// An object read from a manifest, in the shape the scenario's checks take.
#[derive(Clone, Debug)]
pub enum Object {
    Deployment(Box<DeploymentFile>),
    ReplicaSet(Box<ReplicaSetFile>),
    Pod(Box<PodFile>),
    Service(ServiceFile),
    /// With the path its CPU target was read from, and for each of its
    /// metrics the index and keys it was read under, to place problems.
    HorizontalPodAutoscaler {
        hpa: Box<HpaFile>,
        target: String,
        metrics: Vec<(usize, MetricKeys)>,
    },
    Node(Box<NodeFile>),
    PodDisruptionBudget(PodDisruptionBudgetFile),
    Namespace,
    /// Read and kept, with nothing to simulate (a ConfigMap, a Secret, or a
    /// kind Flotilla does not run): it is in the ignored list whole.
    NotSimulated,
}

/// One object and where it came from.
#[derive(Clone, Debug)]
pub struct Manifest {
    pub origin: Origin,
    pub object: Object,
}

/// What a set of manifest files holds.
#[derive(Clone, Debug, Default)]
pub struct Read {
    pub manifests: Vec<Manifest>,
    pub ignored: Vec<Ignored>,
    pub problems: Vec<Problem>,
}

/// What the manifests of one scenario may still hold, shared by all of them:
/// bytes of text, and what their YAML expands to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    pub text: usize,
    pub yaml: yaml::Allowance,
}

impl Default for Budget {
    fn default() -> Self {
        Budget { text: super::MAX_FILE_BYTES, yaml: yaml::Allowance::default() }
    }
}

/// Reads the manifests `names` stand for (files or folders, named relative
/// to the scenario); `at` is the field that names them, for problems reading
/// them. What they hold is taken from `budget`.
pub fn read(files: &dyn SideFiles, at: &str, name: &str, budget: &mut Budget) -> Read {
    let mut out = Read::default();
    let names = match files.manifest_files(name) {
        Ok(n) => n,
        Err(e) => {
            out.problems.push(Problem { path: at.to_string(), message: format!("{}: {e}", quoted(name)) });
            return out;
        }
    };
    for file in names {
        let text = match files.read(&file) {
            Ok(t) => t,
            Err(e) => {
                out.problems.push(Problem { path: at.to_string(), message: format!("{}: {e}", quoted(&file)) });
                continue;
            }
        };
        if text.len() > budget.text {
            out.problems.push(Problem {
                path: at.to_string(),
                message: format!(
                    "{}: the manifests of a scenario hold at most {} MiB of text",
                    quoted(&file),
                    super::MAX_FILE_BYTES >> 20
                ),
            });
            return out;
        }
        budget.text -= text.len();
        read_text(&text, &file, &mut budget.yaml, &mut out);
    }
    out
}

/// Reads the documents of one file's text, named `file` in messages; what
/// its YAML expands to is taken from `allowance`.
pub fn read_text(text: &str, file: &str, allowance: &mut yaml::Allowance, out: &mut Read) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let documents = match yaml::documents(text, allowance) {
        Ok(d) => d,
        Err(e) => {
            out.problems.push(Problem {
                path: format!("{file}:{}:{}", e.at.line, e.at.column),
                message: format!("the YAML does not parse: {}", e.message),
            });
            return;
        }
    };
    if documents.is_empty() {
        out.problems.push(Problem { path: file.to_string(), message: "the file has no Kubernetes object".into() });
    }
    for d in documents {
        read_object(Arc::new(d.root), file, d.index, None, out);
    }
}

fn str_field<'a>(node: &'a Node, key: &str) -> Option<&'a str> {
    node.get(key).and_then(Node::as_str)
}

fn read_object(root: Arc<Node>, file: &str, document: usize, item: Option<usize>, out: &mut Read) {
    let api_version = str_field(&root, "apiVersion").unwrap_or("").to_string();
    let kind = str_field(&root, "kind").unwrap_or("").to_string();
    let metadata = root.get("metadata");
    let name = metadata.and_then(|m| str_field(m, "name")).unwrap_or("").to_string();
    let namespace = metadata.and_then(|m| str_field(m, "namespace")).map(str::to_string);
    let origin = Origin { file: file.to_string(), document, item, kind: kind.clone(), name, namespace, root };
    if !matches!(origin.root.value, yaml::Value::Map(_)) {
        out.problems.push(origin.problem("", "a Kubernetes object is a mapping with apiVersion, kind and metadata"));
        return;
    }
    // kubectl's own words: `error validating data: [apiVersion not set, kind not set]`.
    let mut missing = Vec::new();
    if api_version.is_empty() {
        missing.push("apiVersion not set");
    }
    if kind.is_empty() {
        missing.push("kind not set");
    }
    if !missing.is_empty() {
        out.problems.push(origin.problem("", format!("error validating data: [{}]", missing.join(", "))));
        return;
    }
    if !KINDS.contains(&(api_version.as_str(), kind.as_str())) {
        let versions: Vec<&str> = KINDS.iter().filter(|(_, k)| *k == kind).map(|(v, _)| *v).collect();
        let message = if versions.is_empty() {
            let read: Vec<&str> = KINDS.iter().map(|(_, k)| *k).filter(|k| *k != "List").collect();
            let mut read = read;
            read.dedup();
            format!(
                "no matches for kind {} in version {}: Flotilla reads {}",
                quoted(&kind),
                quoted(&api_version),
                read.join(", ")
            )
        } else {
            format!(
                "no matches for kind {} in version {}: {kind} is {}",
                quoted(&kind),
                quoted(&api_version),
                versions.join(" or ")
            )
        };
        out.problems.push(origin.problem("kind", message));
        return;
    }
    if kind == "List" {
        if item.is_some() {
            out.problems.push(origin.problem("kind", "a List inside a List is not read"));
            return;
        }
        // A List is apiVersion, kind, metadata and items; anything else is unknown.
        if let yaml::Value::Map(entries) = &origin.root.value
            && let Some((k, _)) =
                entries.iter().find(|(k, _)| !["apiVersion", "kind", "metadata", "items"].contains(&k.name.as_str()))
        {
            out.problems
                .push(origin.problem(&k.name, format!("strict decoding error: unknown field {}", quoted(&k.name))));
            return;
        }
        let items = match origin.root.get("items").map(|n| &n.value) {
            Some(yaml::Value::Seq(items)) => items.clone(),
            None | Some(yaml::Value::Null) => Vec::new(),
            Some(_) => {
                out.problems.push(origin.problem("items", "invalid type: expected a sequence of objects"));
                return;
            }
        };
        for (i, node) in items.into_iter().enumerate() {
            read_object(Arc::new(node), file, document, Some(i), out);
        }
        return;
    }
    if origin.name.is_empty() {
        out.problems
            .push(origin.problem("metadata", "metadata.name: Required value: name or generateName is required"));
        return;
    }
    let mut c = Converter { origin: &origin, problems: Vec::new(), unread: Vec::new() };
    let object = match (api_version.as_str(), kind.as_str()) {
        ("apps/v1", "Deployment") => decode_then(&mut c, Converter::deployment),
        ("v1", "Service") => decode_then(&mut c, Converter::service),
        ("autoscaling/v2", _) => decode_then(&mut c, Converter::hpa_v2),
        ("autoscaling/v1", _) => decode_then(&mut c, Converter::hpa_v1),
        ("v1", "Node") => decode_then(&mut c, Converter::node),
        ("v1", "Namespace") => decode_then(&mut c, |_, _: core::v1::Namespace| Some(Object::Namespace)),
        ("v1", "ConfigMap") => decode_then(&mut c, |c, _: core::v1::ConfigMap| {
            c.whole("not simulated: a ConfigMap holds a container's settings, which run as its service's cost");
            Some(Object::NotSimulated)
        }),
        ("v1", "Secret") => decode_then(&mut c, |c, _: core::v1::Secret| {
            c.whole("not simulated: a Secret holds a container's credentials, which run as its service's cost");
            Some(Object::NotSimulated)
        }),
        ("apps/v1", "ReplicaSet") => decode_then(&mut c, Converter::replica_set),
        ("v1", "Pod") => decode_then(&mut c, Converter::pod),
        ("policy/v1", "PodDisruptionBudget") => decode_then(&mut c, Converter::pod_disruption_budget),
        _ => None,
    };
    let Converter { problems, unread, .. } = c;
    let failed = !problems.is_empty();
    out.problems.extend(problems);
    if failed {
        return;
    }
    let mut unread = unread;
    if !unread.iter().any(|u| u.path.is_empty()) {
        let mut walked = fields::unread(&kind, &origin.root, &unread);
        unread.append(&mut walked);
    }
    let object_label = origin.label();
    let mut listed: Vec<Ignored> = unread
        .into_iter()
        .map(|u| Ignored {
            file: file.to_string(),
            at: origin.mark(&u.path),
            object: object_label.clone(),
            path: u.path,
            reason: u.reason,
        })
        .collect();
    listed.sort_by_key(|i| i.at);
    out.ignored.extend(listed);
    if let Some(object) = object {
        out.manifests.push(Manifest { origin, object });
    }
}

/// Decodes the object into its API type and converts it, or records why not.
fn decode_then<'a, T: DeserializeOwned>(
    c: &mut Converter<'a>,
    convert: impl FnOnce(&mut Converter<'a>, T) -> Option<Object>,
) -> Option<Object> {
    match decode::<T>(c.origin) {
        Ok(t) => convert(c, t),
        Err(p) => {
            c.problems.push(p);
            None
        }
    }
}

/// The object as its API type, decoded strictly: a field the type does not
/// have is refused, as `kubectl apply` (strict field validation) refuses it.
fn decode<T: DeserializeOwned>(origin: &Origin) -> Result<T, Problem> {
    let (value, unknown) = match decode::decode::<T>(&origin.root) {
        Ok(decoded) => decoded,
        Err(e) => {
            let (path, message) = e.into_parts();
            return Err(origin.problem(&path, message));
        }
    };
    if let Some(first) = unknown.first() {
        let more = if unknown.len() > 1 { format!(" (and {} more)", unknown.len() - 1) } else { String::new() };
        return Err(origin.problem(first, format!("strict decoding error: unknown field {}{more}", quoted(first))));
    }
    Ok(value)
}

/// Turns API objects into the scenario's own, noting what it cannot read.
struct Converter<'a> {
    origin: &'a Origin,
    problems: Vec<Problem>,
    /// Fields not simulated, with a reason of their own.
    unread: Vec<Unread>,
}

/// `Unsupported value: "X": supported values: "A", "B"`, as the API server says it.
fn unsupported(value: &str, supported: &[&str]) -> String {
    let list: Vec<String> = supported.iter().map(|s| format!("\"{s}\"")).collect();
    format!("Unsupported value: {}: supported values: {}", quoted(value), list.join(", "))
}

impl Converter<'_> {
    fn problem(&mut self, path: &str, message: impl Into<String>) {
        self.problems.push(self.origin.problem(path, message));
    }

    /// The object's namespace, left out when it is `default`.
    fn namespace(&self) -> Option<String> {
        self.origin.namespace.clone().filter(|n| n != "default")
    }

    fn not_simulated(&mut self, path: &str, reason: impl Into<String>) {
        self.unread.push(Unread { path: path.to_string(), reason: reason.into() });
    }

    /// The whole object is not simulated.
    fn whole(&mut self, reason: &str) {
        self.not_simulated("", reason);
    }

    fn non_negative(&mut self, path: &str, v: Option<i64>) -> Option<u64> {
        match v {
            Some(n) if n < 0 => {
                self.problem(path, format!("Invalid value: {n}: must be greater than or equal to 0"));
                None
            }
            Some(n) => Some(n as u64),
            None => None,
        }
    }

    fn labels(&mut self, path: &str, selector: &LabelSelector, labels: &Labels) -> Labels {
        let mut out = selector.match_labels.clone().unwrap_or_default();
        for (i, r) in selector.match_expressions.iter().flatten().enumerate() {
            let rpath = format!("{path}.matchExpressions[{i}]");
            let values = r.values.clone().unwrap_or_default();
            let ok = match r.operator.as_str() {
                "In" => labels.get(&r.key).is_some_and(|v| values.contains(v)),
                "NotIn" => labels.get(&r.key).is_none_or(|v| !values.contains(v)),
                "Exists" => labels.contains_key(&r.key),
                "DoesNotExist" => !labels.contains_key(&r.key),
                other => {
                    self.problem(
                        &format!("{rpath}.operator"),
                        unsupported(other, &["In", "NotIn", "Exists", "DoesNotExist"]),
                    );
                    true
                }
            };
            if !ok {
                self.problem(&rpath, "the template's labels do not match this requirement");
            }
            // The pods are the template's, so a requirement they meet selects them all.
            if r.operator == "In"
                && let Some(v) = labels.get(&r.key)
            {
                out.insert(r.key.clone(), v.clone());
            }
        }
        out
    }

    fn quantity<T>(
        &mut self,
        path: &str,
        map: Option<&BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>>,
        key: &str,
        milli: bool,
        parse: fn(&str) -> Result<T, String>,
    ) -> Option<T> {
        let q = map?.get(key)?;
        // Read as the API server reads it; a value it refuses is told in the manifest's words.
        let read = match quantity::canonical(&q.0, milli) {
            Ok(exact) => parse(&exact).map_err(|e| e.replacen(&format!("\"{exact}\""), &quoted(&q.0), 1)),
            Err(e) => Err(format!("{}: {e}", quoted(&q.0))),
        };
        match read {
            Ok(v) => Some(v),
            Err(e) => {
                self.problem(&yaml::join(path, key), e);
                None
            }
        }
    }

    /// A container's or a pod's `resources`: CPU, memory and extended
    /// resources (a name with a domain), whole devices.
    fn resources(&mut self, path: &str, res: Option<&core::v1::ResourceRequirements>) -> ResourcesFile {
        let list =
            |s: &mut Self,
             which: &str,
             map: Option<&BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>>| {
                let p = format!("{path}.{which}");
                let cpu = s.quantity(&p, map, "cpu", true, Millicores::parse);
                let memory = s.quantity(&p, map, "memory", false, Bytes::parse);
                let mut extended = BTreeMap::new();
                for name in map.into_iter().flat_map(|m| m.keys()).filter(|k| k.contains('/')) {
                    if let Some(n) = s.quantity(&p, map, name, true, whole_devices) {
                        extended.insert(name.clone(), n);
                    }
                }
                map.map(|_| ResourceListFile { cpu, memory, extended })
            };
        let requests = list(self, "requests", res.and_then(|r| r.requests.as_ref()));
        let limits = list(self, "limits", res.and_then(|r| r.limits.as_ref()));
        ResourcesFile { requests, limits }
    }

    fn container(&mut self, path: &str, c: &core::v1::Container, init: bool) -> Option<ContainerFile> {
        let image = match &c.image {
            Some(i) if !i.is_empty() => i.clone(),
            _ => {
                self.problem(&format!("{path}.image"), "Required value");
                return None;
            }
        };
        let pull = match c.image_pull_policy.as_deref() {
            None => None,
            Some("Always") => Some(ImagePullPolicy::Always),
            Some("IfNotPresent") => Some(ImagePullPolicy::IfNotPresent),
            Some("Never") => Some(ImagePullPolicy::Never),
            Some(other) => {
                self.problem(
                    &format!("{path}.imagePullPolicy"),
                    unsupported(other, &["Always", "IfNotPresent", "Never"]),
                );
                None
            }
        };
        let resources = self.resources(&format!("{path}.resources"), c.resources.as_ref());
        let delay = c.readiness_probe.as_ref().map(|p| {
            let d = self.non_negative(
                &format!("{path}.readinessProbe.initialDelaySeconds"),
                p.initial_delay_seconds.map(i64::from),
            );
            ProbeFile { initial_delay_seconds: d.unwrap_or(0) }
        });
        // validateInitContainers: restartPolicy only on an init container, and only Always.
        let restart_policy = match c.restart_policy.as_deref() {
            None => None,
            Some("Always") if init => Some(RestartPolicy::Always),
            Some(_) if !init => {
                self.problem(&format!("{path}.restartPolicy"), "Forbidden: may not be set for non-init containers");
                None
            }
            Some(other) => {
                self.problem(&format!("{path}.restartPolicy"), unsupported(other, &["Always"]));
                None
            }
        };
        Some(ContainerFile {
            name: c.name.clone(),
            image,
            image_pull_policy: pull,
            resources,
            readiness_probe: delay,
            restart_policy,
            exits_after: None,
        })
    }

    fn requirement(
        &mut self,
        path: &str,
        key: &str,
        operator: &str,
        values: &Option<Vec<String>>,
    ) -> Option<Requirement> {
        let operator = match operator {
            "In" => SelectorOperator::In,
            "NotIn" => SelectorOperator::NotIn,
            "Exists" => SelectorOperator::Exists,
            "DoesNotExist" => SelectorOperator::DoesNotExist,
            "Gt" => SelectorOperator::Gt,
            "Lt" => SelectorOperator::Lt,
            other => {
                self.problem(
                    &format!("{path}.operator"),
                    unsupported(other, &["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"]),
                );
                return None;
            }
        };
        Some(Requirement { key: key.to_string(), operator, values: values.clone().unwrap_or_default() })
    }

    fn term(&mut self, path: &str, t: &core::v1::NodeSelectorTerm) -> NodeSelectorTerm {
        if t.match_fields.as_ref().is_some_and(|f| !f.is_empty()) {
            self.not_simulated(
                &format!("{path}.matchFields"),
                "not simulated: node fields are not modelled, only labels",
            );
        }
        let match_expressions = t
            .match_expressions
            .iter()
            .flatten()
            .enumerate()
            .filter_map(|(i, r)| {
                self.requirement(&format!("{path}.matchExpressions[{i}]"), &r.key, &r.operator, &r.values)
            })
            .collect();
        NodeSelectorTerm { match_expressions }
    }

    fn pod_spec(&mut self, path: &str, labels: Labels, spec: Option<&core::v1::PodSpec>) -> Option<PodTemplateFile> {
        let Some(spec) = spec else {
            self.problem(path, "Required value: a pod template needs a spec with containers");
            return None;
        };
        let before = self.problems.len();
        if spec.containers.is_empty() {
            // validatePodSpec: `spec.containers: Required value`.
            self.problem(&format!("{path}.containers"), "Required value");
        }
        let containers: Vec<ContainerFile> = spec
            .containers
            .iter()
            .enumerate()
            .filter_map(|(i, c)| self.container(&format!("{path}.containers[{i}]"), c, false))
            .collect();
        let init_containers: Vec<ContainerFile> = spec
            .init_containers
            .iter()
            .flatten()
            .enumerate()
            .filter_map(|(i, c)| self.container(&format!("{path}.initContainers[{i}]"), c, true))
            .collect();
        let affinity = spec.affinity.as_ref().and_then(|a| a.node_affinity.as_ref()).map(|na| {
            let apath = format!("{path}.affinity.nodeAffinity");
            if na
                .required_during_scheduling_ignored_during_execution
                .as_ref()
                .is_some_and(|s| s.node_selector_terms.is_empty())
            {
                self.problem(
                    &format!("{apath}.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms"),
                    "Required value: must have at least one node selector term",
                );
            }
            let required = na
                .required_during_scheduling_ignored_during_execution
                .iter()
                .flat_map(|s| s.node_selector_terms.iter().enumerate())
                .map(|(i, t)| {
                    self.term(
                        &format!("{apath}.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[{i}]"),
                        t,
                    )
                })
                .collect();
            let preferred = na
                .preferred_during_scheduling_ignored_during_execution
                .iter()
                .flatten()
                .enumerate()
                .map(|(i, p)| {
                    let ppath = format!("{apath}.preferredDuringSchedulingIgnoredDuringExecution[{i}]");
                    PreferredSchedulingTerm {
                        weight: i64::from(p.weight),
                        preference: self.term(&format!("{ppath}.preference"), &p.preference),
                    }
                })
                .collect();
            AffinityFile { node_affinity: NodeAffinity { required, preferred } }
        });
        let tolerations = spec
            .tolerations
            .iter()
            .flatten()
            .enumerate()
            .filter_map(|(i, t)| {
                let tpath = format!("{path}.tolerations[{i}]");
                let operator = match t.operator.as_deref() {
                    None | Some("" | "Equal") => TolerationOperator::Equal,
                    Some("Exists") => TolerationOperator::Exists,
                    Some(other) => {
                        self.problem(&format!("{tpath}.operator"), unsupported(other, &["Equal", "Exists"]));
                        return None;
                    }
                };
                let effect = match t.effect.as_deref() {
                    None | Some("") => None,
                    Some(e) => Some(self.effect(&format!("{tpath}.effect"), e)?),
                };
                let seconds = self.non_negative(&format!("{tpath}.tolerationSeconds"), t.toleration_seconds);
                Some(Toleration {
                    key: t.key.clone().unwrap_or_default(),
                    operator,
                    value: t.value.clone().unwrap_or_default(),
                    effect,
                    toleration_seconds: seconds,
                })
            })
            .collect();
        let topology_spread_constraints = spec
            .topology_spread_constraints
            .iter()
            .flatten()
            .enumerate()
            .filter_map(|(i, t)| {
                let tpath = format!("{path}.topologySpreadConstraints[{i}]");
                let when = match t.when_unsatisfiable.as_str() {
                    "DoNotSchedule" => UnsatisfiableConstraintAction::DoNotSchedule,
                    "ScheduleAnyway" => UnsatisfiableConstraintAction::ScheduleAnyway,
                    other => {
                        self.problem(
                            &format!("{tpath}.whenUnsatisfiable"),
                            unsupported(other, &["DoNotSchedule", "ScheduleAnyway"]),
                        );
                        return None;
                    }
                };
                let selector = t.label_selector.as_ref();
                if selector.and_then(|s| s.match_expressions.as_ref()).is_some_and(|e| !e.is_empty()) {
                    self.not_simulated(
                        &format!("{tpath}.labelSelector.matchExpressions"),
                        "not simulated: spreading counts pods by matchLabels",
                    );
                }
                Some(TopologySpreadConstraint {
                    max_skew: i64::from(t.max_skew),
                    topology_key: t.topology_key.clone(),
                    when_unsatisfiable: when,
                    label_selector: selector.and_then(|s| s.match_labels.clone()).unwrap_or_default(),
                })
            })
            .collect();
        let restart_policy = match spec.restart_policy.as_deref() {
            None | Some("Always") => RestartPolicy::Always,
            Some("OnFailure") => RestartPolicy::OnFailure,
            Some("Never") => RestartPolicy::Never,
            Some(other) => {
                self.problem(&format!("{path}.restartPolicy"), unsupported(other, &["Always", "OnFailure", "Never"]));
                RestartPolicy::Always
            }
        };
        let grace =
            self.non_negative(&format!("{path}.terminationGracePeriodSeconds"), spec.termination_grace_period_seconds);
        let resources = spec.resources.as_ref().map(|r| self.resources(&format!("{path}.resources"), Some(r)));
        if self.problems.len() > before {
            return None;
        }
        Some(PodTemplateFile {
            labels,
            containers,
            init_containers,
            node_selector: spec.node_selector.clone().unwrap_or_default(),
            node_name: spec.node_name.clone(),
            affinity,
            tolerations,
            topology_spread_constraints,
            restart_policy,
            termination_grace_period_seconds: grace,
            resources,
        })
    }

    fn effect(&mut self, path: &str, e: &str) -> Option<TaintEffect> {
        match e {
            "NoSchedule" => Some(TaintEffect::NoSchedule),
            "PreferNoSchedule" => Some(TaintEffect::PreferNoSchedule),
            "NoExecute" => Some(TaintEffect::NoExecute),
            other => {
                self.problem(path, unsupported(other, &["NoSchedule", "PreferNoSchedule", "NoExecute"]));
                None
            }
        }
    }

    fn int_or_percent(&mut self, path: &str, v: &Option<IntOrString>) -> Option<IntOrPercentFile> {
        match v.as_ref()? {
            IntOrString::Int(n) if *n >= 0 => Some(IntOrPercentFile(IntOrPercent::Int(*n as u32))),
            IntOrString::Int(n) => {
                self.problem(path, format!("Invalid value: {n}: must be greater than or equal to 0"));
                None
            }
            IntOrString::String(s) => {
                let digits = s.strip_suffix('%').filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()));
                match digits.and_then(|d| d.parse::<u32>().ok()) {
                    Some(p) => Some(IntOrPercentFile(IntOrPercent::Percent(p))),
                    None => {
                        self.problem(
                            path,
                            format!(
                                "Invalid value: {}: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
                                quoted(s)
                            ),
                        );
                        None
                    }
                }
            }
        }
    }

    /// What a Deployment's and a ReplicaSet's specs share
    /// (`ValidateDeploymentSpec`, `ValidateReplicaSetSpec`): the template's
    /// labels, which the selector must select, and the replicas (1 when left out).
    fn controller(
        &mut self,
        selector: &LabelSelector,
        meta: Option<&ObjectMeta>,
        replicas: Option<i32>,
    ) -> (Labels, u32) {
        let labels = pod_labels(meta);
        if labels.is_empty() {
            self.problem(
                "spec.template.metadata.labels",
                "Required value: the pods need labels for the selector to match",
            );
        }
        if selector.match_labels.is_none() && selector.match_expressions.is_none() {
            self.problem("spec.selector", "Required value");
        } else if selector.match_labels.as_ref().is_none_or(BTreeMap::is_empty)
            && selector.match_expressions.as_ref().is_none_or(Vec::is_empty)
        {
            // ValidateDeploymentSpec and ValidateReplicaSetSpec: a selector
            // that selects every pod in the namespace is refused (both say
            // "deployment"). The value is shown as JSON, as the API server does.
            let value = serde_json::to_string(selector).unwrap_or_default();
            self.problem("spec.selector", format!("Invalid value: {value}: empty selector is invalid for deployment"));
        }
        let selected = self.labels("spec.selector", selector, &labels);
        if selected.iter().any(|(k, v)| labels.get(k) != Some(v)) {
            self.problem("spec.template.metadata.labels", "Invalid value: `selector` does not match template `labels`");
        }
        let replicas = self
            .non_negative("spec.replicas", replicas.map(i64::from))
            .map_or(1, |r| r.min(u64::from(u32::MAX)) as u32);
        (labels, replicas)
    }

    fn deployment(&mut self, d: apps::v1::Deployment) -> Option<Object> {
        let spec = d.spec;
        let (labels, replicas) = self.controller(&spec.selector, spec.template.metadata.as_ref(), spec.replicas);
        let min_ready = self.non_negative("spec.minReadySeconds", spec.min_ready_seconds.map(i64::from)).unwrap_or(0);
        let strategy = match spec.strategy.as_ref() {
            None => None,
            Some(s) => match s.type_.as_deref() {
                Some("Recreate") => {
                    if s.rolling_update.is_some() {
                        self.problem(
                            "spec.strategy.rollingUpdate",
                            "Forbidden: may not be specified when strategy `type` is 'Recreate'",
                        );
                    }
                    Some(StrategyFile::Recreate)
                }
                None | Some("RollingUpdate") => {
                    let ru = s.rolling_update.clone().unwrap_or_default();
                    Some(StrategyFile::RollingUpdate {
                        max_surge: self.int_or_percent("spec.strategy.rollingUpdate.maxSurge", &ru.max_surge),
                        max_unavailable: self
                            .int_or_percent("spec.strategy.rollingUpdate.maxUnavailable", &ru.max_unavailable),
                    })
                }
                Some(other) => {
                    self.problem("spec.strategy.type", unsupported(other, &["Recreate", "RollingUpdate"]));
                    None
                }
            },
        };
        let template = self.pod_spec("spec.template.spec", labels, spec.template.spec.as_ref())?;
        Some(Object::Deployment(Box::new(DeploymentFile {
            namespace: self.namespace(),
            name: self.origin.name.clone(),
            replicas,
            strategy,
            min_ready_seconds: min_ready,
            template,
        })))
    }

    /// A ReplicaSet of its own. One that a Deployment owns (written out by
    /// `kubectl get rs -o yaml` from a cluster) is read the same way: here
    /// nothing owns it.
    fn replica_set(&mut self, r: apps::v1::ReplicaSet) -> Option<Object> {
        let spec = r.spec;
        let meta = spec.template.as_ref().and_then(|t| t.metadata.as_ref());
        let (labels, replicas) = self.controller(&spec.selector, meta, spec.replicas);
        let template =
            self.pod_spec("spec.template.spec", labels, spec.template.as_ref().and_then(|t| t.spec.as_ref()))?;
        Some(Object::ReplicaSet(Box::new(ReplicaSetFile {
            namespace: self.namespace(),
            name: self.origin.name.clone(),
            replicas,
            template,
        })))
    }

    /// A Pod of its own: its labels and spec.
    fn pod(&mut self, p: core::v1::Pod) -> Option<Object> {
        let labels = pod_labels(Some(&p.metadata));
        let template = self.pod_spec("spec", labels, p.spec.as_ref())?;
        Some(Object::Pod(Box::new(PodFile { namespace: self.namespace(), name: self.origin.name.clone(), template })))
    }

    fn service(&mut self, s: core::v1::Service) -> Option<Object> {
        let selector = s.spec.and_then(|spec| spec.selector).unwrap_or_default();
        if selector.is_empty() {
            self.whole("not simulated: a Service without a selector has endpoints kept by hand");
            return Some(Object::NotSimulated);
        }
        Some(Object::Service(ServiceFile { name: self.origin.name.clone(), namespace: self.namespace(), selector }))
    }

    fn target_ref(&mut self, kind: &str, name: &str) -> bool {
        if kind != "Deployment" {
            self.whole(&format!(
                "not simulated: it scales a {kind}, and Flotilla's HorizontalPodAutoscaler scales Deployments"
            ));
            return false;
        }
        if name.is_empty() {
            self.problem("spec.scaleTargetRef.name", "Required value");
            return false;
        }
        true
    }

    fn replicas_bounds(&mut self, min: Option<i32>, max: i32) -> (Option<u32>, u32) {
        let min = self.non_negative("spec.minReplicas", min.map(i64::from)).map(|m| m.min(u64::from(u32::MAX)) as u32);
        let max = self.non_negative("spec.maxReplicas", Some(i64::from(max))).unwrap_or(0) as u32;
        (min, max)
    }

    fn hpa_v1(&mut self, h: autoscaling::v1::HorizontalPodAutoscaler) -> Option<Object> {
        let spec = h.spec;
        if !self.target_ref(&spec.scale_target_ref.kind, &spec.scale_target_ref.name) {
            return Some(Object::NotSimulated);
        }
        let (min, max) = self.replicas_bounds(spec.min_replicas, spec.max_replicas);
        // autoscaling/v1 defaults the target to 80 % (SetDefaults_HorizontalPodAutoscaler).
        let target = self
            .non_negative("spec.targetCPUUtilizationPercentage", spec.target_cpu_utilization_percentage.map(i64::from))
            .unwrap_or(80);
        Some(Object::HorizontalPodAutoscaler {
            hpa: Box::new(HpaFile {
                namespace: self.namespace(),
                name: self.origin.name.clone(),
                scale_target_ref: spec.scale_target_ref.name,
                min_replicas: min,
                max_replicas: max,
                target_cpu_utilization_percentage: Some(target.min(u64::from(u32::MAX)) as u32),
                metrics: None,
                behavior: None,
            }),
            target: "spec.targetCPUUtilizationPercentage".into(),
            metrics: Vec::new(),
        })
    }

    fn hpa_v2(&mut self, h: autoscaling::v2::HorizontalPodAutoscaler) -> Option<Object> {
        let spec = h.spec;
        if !self.target_ref(&spec.scale_target_ref.kind, &spec.scale_target_ref.name) {
            return Some(Object::NotSimulated);
        }
        let (min, max) = self.replicas_bounds(spec.min_replicas, spec.max_replicas);
        let specs = spec.metrics.unwrap_or_default();
        let mut metrics = Vec::new();
        let mut indices = Vec::new();
        for (i, m) in specs.iter().enumerate() {
            if let Some((metric, keys)) = self.hpa_metric(&format!("spec.metrics[{i}]"), m) {
                metrics.push(metric);
                indices.push((i, keys));
            }
        }
        // autoscaling/v2 defaults: no metrics means 80 % average CPU utilization.
        if metrics.is_empty() && !specs.is_empty() {
            self.unread.retain(|u| !u.path.starts_with("spec.metrics"));
            self.whole("not simulated: none of its metrics is one Flotilla measures");
            return Some(Object::NotSimulated);
        }
        let behavior = spec.behavior.map(|b| BehaviorFile {
            scale_up: b.scale_up.map(|r| self.rules("spec.behavior.scaleUp", r)),
            scale_down: b.scale_down.map(|r| self.rules("spec.behavior.scaleDown", r)),
        });
        Some(Object::HorizontalPodAutoscaler {
            hpa: Box::new(HpaFile {
                namespace: self.namespace(),
                name: self.origin.name.clone(),
                scale_target_ref: spec.scale_target_ref.name,
                min_replicas: min,
                max_replicas: max,
                target_cpu_utilization_percentage: None,
                metrics: (!metrics.is_empty()).then_some(metrics),
                behavior,
            }),
            target: "spec".into(),
            metrics: indices,
        })
    }

    /// One of an autoscaling/v2 HPA's metrics, in the scenario's shape, with
    /// its index and the keys its source and target were read under; `None`
    /// (listed as not simulated) for a metric Flotilla does not measure.
    fn hpa_metric(&mut self, path: &str, m: &autoscaling::v2::MetricSpec) -> Option<(MetricFile, MetricKeys)> {
        use autoscaling::v2::MetricTarget;
        let target =
            |this: &mut Self, tpath: &str, t: &MetricTarget, pods: bool| -> Option<(MetricTargetFile, &'static str)> {
                match (t.type_.as_str(), t.average_utilization, &t.average_value) {
                    ("Utilization", Some(u), _) if !pods => {
                        let u = this.non_negative(&format!("{tpath}.averageUtilization"), Some(i64::from(u)));
                        Some((
                            MetricTargetFile::Utilization(u.unwrap_or(0).min(u64::from(u32::MAX)) as u32),
                            "averageUtilization",
                        ))
                    }
                    ("AverageValue", _, Some(v)) => Some((MetricTargetFile::AverageValue(v.0.clone()), "averageValue")),
                    ("Utilization" | "AverageValue" | "Value", ..) => {
                        let message = if pods {
                            "Required value: must specify a positive target averageValue"
                        } else {
                            "Required value: must set either a target raw value or a target utilization"
                        };
                        let field = if pods { "averageValue" } else { "averageUtilization" };
                        this.problem(&format!("{tpath}.{field}"), message);
                        None
                    }
                    (other, ..) => {
                        this.problem(
                            &format!("{tpath}.type"),
                            unsupported(other, &["AverageValue", "Utilization", "Value"]),
                        );
                        None
                    }
                }
            };
        // validateMetricSpec: the source the type names must be given.
        let missing = |this: &mut Self, key: &str| {
            this.problem(
                &format!("{path}.{key}"),
                "Required value: must populate information for the given metric source",
            );
            None
        };
        match m.type_.as_str() {
            kind @ ("Resource" | "ContainerResource") => {
                // The resource, the container (ContainerResource only), the target, and the key they sit under.
                let (name, container, t, source) = match kind {
                    "Resource" => {
                        let Some(r) = m.resource.as_ref() else { return missing(self, "resource") };
                        (&r.name, None, &r.target, "resource")
                    }
                    _ => {
                        let Some(r) = m.container_resource.as_ref() else {
                            return missing(self, "containerResource");
                        };
                        (&r.name, Some(&r.container), &r.target, "containerResource")
                    }
                };
                if !matches!(name.as_str(), "cpu" | "memory") {
                    self.not_simulated(
                        path,
                        format!(
                            "not simulated: a {} metric; metrics-server here measures cpu and memory",
                            quoted(name)
                        ),
                    );
                    return None;
                }
                let (target, key) = target(self, &format!("{path}.{source}.target"), t, false)?;
                let name = name.clone();
                let metric = match container {
                    None => MetricFile::Resource { name, target },
                    Some(c) => MetricFile::ContainerResource { name, container: c.clone(), target },
                };
                Some((metric, MetricKeys { source, target: key }))
            }
            "Pods" => {
                let Some(p) = m.pods.as_ref() else { return missing(self, "pods") };
                if !PODS_METRICS.contains(&p.metric.name.as_str()) {
                    let served = PODS_METRICS.join(", ");
                    self.not_simulated(
                        path,
                        format!(
                            "not simulated: the Pods metric {}; Flotilla's custom metrics API serves {served}",
                            quoted(&p.metric.name)
                        ),
                    );
                    return None;
                }
                let (target, key) = target(self, &format!("{path}.pods.target"), &p.target, true)?;
                Some((
                    MetricFile::Pods { metric: p.metric.name.clone(), target },
                    MetricKeys { source: "pods", target: key },
                ))
            }
            other => {
                self.not_simulated(path, format!("not simulated: a {other} metric; Flotilla's HPA reads Resource, ContainerResource and Pods metrics"));
                None
            }
        }
    }

    fn rules(&mut self, path: &str, r: autoscaling::v2::HPAScalingRules) -> ScalingRulesFile {
        let select_policy = match r.select_policy.as_deref() {
            None => None,
            Some("Max") => Some(SelectPolicyFile::Max),
            Some("Min") => Some(SelectPolicyFile::Min),
            Some("Disabled") => Some(SelectPolicyFile::Disabled),
            Some(other) => {
                self.problem(&format!("{path}.selectPolicy"), unsupported(other, &["Disabled", "Max", "Min"]));
                None
            }
        };
        let policies = r.policies.map(|list| {
            list.iter()
                .enumerate()
                .filter_map(|(i, p)| {
                    let ppath = format!("{path}.policies[{i}]");
                    let kind = match p.type_.as_str() {
                        "Pods" => ScalingPolicyType::Pods,
                        "Percent" => ScalingPolicyType::Percent,
                        other => {
                            self.problem(&format!("{ppath}.type"), unsupported(other, &["Percent", "Pods"]));
                            return None;
                        }
                    };
                    let value = self.non_negative(&format!("{ppath}.value"), Some(i64::from(p.value)))?;
                    let period =
                        self.non_negative(&format!("{ppath}.periodSeconds"), Some(i64::from(p.period_seconds)))?;
                    Some(ScalingPolicyFile {
                        kind,
                        value: value.min(u64::from(u32::MAX)) as u32,
                        period_seconds: period,
                    })
                })
                .collect()
        });
        let tolerance = r.tolerance.and_then(|q| match DecimalQuantityFile::parse(&q.0) {
            Some(t) => Some(t),
            None => {
                self.problem(
                    &format!("{path}.tolerance"),
                    format!("{} is not a quantity such as \"0.05\" or \"50m\"", quoted(&q.0)),
                );
                None
            }
        });
        let window = self
            .non_negative(&format!("{path}.stabilizationWindowSeconds"), r.stabilization_window_seconds.map(i64::from));
        ScalingRulesFile { stabilization_window_seconds: window, select_policy, policies, tolerance }
    }

    fn pod_disruption_budget(&mut self, b: policy::v1::PodDisruptionBudget) -> Option<Object> {
        let spec = b.spec.unwrap_or_default();
        let selector = spec.selector.unwrap_or_default();
        if selector.match_expressions.as_ref().is_some_and(|e| !e.is_empty()) {
            self.problem(
                "spec.selector.matchExpressions",
                "not simulated: a budget here selects its pods by matchLabels; write them as matchLabels",
            );
            return None;
        }
        if let Some(policy) = spec.unhealthy_pod_eviction_policy.as_deref()
            && policy != "IfHealthyBudget"
        {
            self.not_simulated(
                "spec.unhealthyPodEvictionPolicy",
                "not simulated: an unready pod is evicted as IfHealthyBudget, the default, allows",
            );
        }
        let min_available = self.int_or_percent("spec.minAvailable", &spec.min_available);
        let max_unavailable = self.int_or_percent("spec.maxUnavailable", &spec.max_unavailable);
        Some(Object::PodDisruptionBudget(PodDisruptionBudgetFile {
            namespace: self.namespace(),
            name: self.origin.name.clone(),
            selector: selector.match_labels.unwrap_or_default(),
            min_available,
            max_unavailable,
        }))
    }

    fn node(&mut self, n: core::v1::Node) -> Option<Object> {
        let spec = n.spec.unwrap_or_default();
        let taints = spec.taints.as_ref().map(|taints| {
            taints
                .iter()
                .enumerate()
                .filter_map(|(i, t)| {
                    let effect = self.effect(&format!("spec.taints[{i}].effect"), &t.effect)?;
                    Some(Taint { key: t.key.clone(), value: t.value.clone().unwrap_or_default(), effect })
                })
                .collect()
        });
        let capacity = n.status.as_ref().and_then(|s| s.capacity.as_ref());
        let cpu = self.quantity("status.capacity", capacity, "cpu", true, Millicores::parse);
        let memory = self.quantity("status.capacity", capacity, "memory", false, Bytes::parse);
        let pods = self.quantity("status.capacity", capacity, "pods", false, |t| {
            t.parse::<u32>().map_err(|_| format!("{} is not a number of pods", quoted(t)))
        });
        let mut extended = BTreeMap::new();
        for name in capacity.into_iter().flat_map(|m| m.keys()).filter(|k| k.contains('/')) {
            if let Some(n) = self.quantity("status.capacity", capacity, name, true, whole_devices) {
                extended.insert(name.clone(), n);
            }
        }
        if n.status.is_some() {
            self.not_simulated(
                "status",
                "not simulated: a node's capacity is its host group's; `flotilla import` reads it",
            );
        }
        Some(Object::Node(Box::new(NodeFile {
            name: self.origin.name.clone(),
            labels: n.metadata.labels.unwrap_or_default(),
            taints,
            unschedulable: spec.unschedulable,
            capacity: (cpu, memory, pods),
            extended,
        })))
    }
}

fn pod_labels(meta: Option<&ObjectMeta>) -> Labels {
    meta.and_then(|m| m.labels.clone()).unwrap_or_default()
}

/// A problem path under a manifest object, written as the scenario's own
/// checks name it (`template.containers[0].image`, `targetCPUUtilizationPercentage`),
/// in the manifest's words (`spec.template.spec.containers[0].image`).
pub fn manifest_path(object: &Object, suffix: &str) -> String {
    let suffix = suffix.strip_prefix('.').unwrap_or(suffix);
    let (head, rest) = match suffix.find(['.', '[']) {
        Some(i) => (&suffix[..i], &suffix[i..]),
        None => (suffix, ""),
    };
    // A field of a pod template: its labels are under `meta`, the rest under `spec`.
    let template = |meta: &str, spec: &str| {
        let inner = rest.strip_prefix('.').unwrap_or(rest);
        if inner.starts_with("labels") {
            format!("{meta}.{inner}")
        } else if inner.is_empty() {
            spec.to_string()
        } else {
            // A scenario writes the required terms as a list; a manifest under nodeSelectorTerms.
            let inner = inner.replace(
                "requiredDuringSchedulingIgnoredDuringExecution[",
                "requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[",
            );
            format!("{spec}.{inner}")
        }
    };
    match object {
        Object::Deployment(_) | Object::ReplicaSet(_) => match head {
            "" => String::new(),
            "name" | "namespace" => format!("metadata.{head}"),
            "replicas" | "minReadySeconds" => format!("spec.{head}"),
            "strategy" => format!("spec.strategy.rollingUpdate{rest}"),
            "template" => template("spec.template.metadata", "spec.template.spec"),
            _ => format!("spec.{suffix}"),
        },
        Object::Pod(_) => match head {
            "" => String::new(),
            "name" | "namespace" => format!("metadata.{head}"),
            "template" => template("metadata", "spec"),
            _ => format!("spec.{suffix}"),
        },
        Object::Service(_) => match head {
            "name" => "metadata.name".into(),
            "selector" => format!("spec.selector{rest}"),
            _ => suffix.to_string(),
        },
        Object::HorizontalPodAutoscaler { target, metrics, .. } => match head {
            "name" => "metadata.name".into(),
            "scaleTargetRef" => "spec.scaleTargetRef.name".into(),
            "targetCPUUtilizationPercentage" => target.clone(),
            "metrics" => {
                // `metrics[k].field` of the scenario's shape is `spec.metrics[i].<source>.…` here.
                let parsed = rest.strip_prefix('[').and_then(|r| r.split_once(']'));
                let Some((k, field)) = parsed.and_then(|(k, f)| Some((k.parse::<usize>().ok()?, f))) else {
                    return format!("spec.{suffix}");
                };
                let Some(&(i, keys)) = metrics.get(k) else { return format!("spec.{suffix}") };
                let at = format!("spec.metrics[{i}].{}", keys.source);
                match field.strip_prefix('.').unwrap_or(field) {
                    "" => format!("spec.metrics[{i}]"),
                    "target" => format!("{at}.target.{}", keys.target),
                    "metric" => format!("{at}.metric.name"),
                    other => format!("{at}.{other}"),
                }
            }
            "" => String::new(),
            _ => format!("spec.{suffix}"),
        },
        Object::Node(_) => match head {
            "name" => "metadata.name".into(),
            "labels" => format!("metadata.labels{rest}"),
            "" => String::new(),
            _ => format!("spec.{suffix}"),
        },
        Object::PodDisruptionBudget(_) => match head {
            "name" => "metadata.name".into(),
            "selector" => format!("spec.selector.matchLabels{rest}"),
            "" => "spec".into(),
            _ => format!("spec.{suffix}"),
        },
        Object::Namespace | Object::NotSimulated => suffix.to_string(),
    }
}

/// An extended resource's amount in millis (`MilliValue`): whole devices,
/// as the API server requires of a resource that cannot be overcommitted.
fn whole_devices(text: &str) -> Result<u64, String> {
    let milli: u64 = text.trim_end_matches('m').parse().map_err(|_| "must be a non-negative integer")?;
    if text.starts_with('-') || !milli.is_multiple_of(1000) {
        return Err("must be an integer".into());
    }
    Ok(milli / 1000)
}

#[cfg(test)]
mod tests;
