//! The fields of each kind that Flotilla reads, and the walk that lists every
//! other field a manifest sets as not simulated. A pattern names a field by
//! its path; `[*]` is any item of a list, `*` any key of a map, `+` any key
//! with a domain (`nvidia.com/gpu`, an extended resource), and a field named
//! is read whole, with everything below it.

use std::collections::BTreeMap;

use super::yaml::{Node, Value, join};

/// Fields of a container that Flotilla reads, besides its [`RESOURCES`].
const CONTAINER: &[&str] = &["name", "image", "imagePullPolicy", "readinessProbe.initialDelaySeconds"];

/// The resources Flotilla reads, of a container and of a pod alike.
const RESOURCES: &[&str] = &[
    "resources.requests.cpu",
    "resources.requests.memory",
    "resources.limits.cpu",
    "resources.limits.memory",
    "resources.requests.+",
    "resources.limits.+",
];

/// Fields of a pod's spec that Flotilla reads besides its [`RESOURCES`]
/// (containers' own come from [`CONTAINER`]).
const POD_SPEC: &[&str] = &[
    "nodeSelector",
    "nodeName",
    "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[*].matchExpressions",
    "affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[*].weight",
    "affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[*].preference.matchExpressions",
    "tolerations",
    "topologySpreadConstraints[*].maxSkew",
    "topologySpreadConstraints[*].topologyKey",
    "topologySpreadConstraints[*].whenUnsatisfiable",
    "topologySpreadConstraints[*].labelSelector.matchLabels",
    "restartPolicy",
    "terminationGracePeriodSeconds",
];

/// What every object has.
const OBJECT: &[&str] = &["apiVersion", "kind", "metadata.name", "metadata.namespace"];

/// The patterns a kind reads, relative to the object.
pub fn patterns(kind: &str) -> Vec<String> {
    let mut out: Vec<String> = OBJECT.iter().map(|s| s.to_string()).collect();
    let pod = |prefix: &str, out: &mut Vec<String>| {
        for list in ["containers", "initContainers"] {
            out.extend(CONTAINER.iter().chain(RESOURCES).map(|f| format!("{prefix}{list}[*].{f}")));
        }
        out.push(format!("{prefix}initContainers[*].restartPolicy"));
        out.extend(POD_SPEC.iter().chain(RESOURCES).map(|f| format!("{prefix}{f}")));
    };
    match kind {
        "Deployment" | "ReplicaSet" => {
            out.extend(["spec.replicas", "spec.selector", "spec.template.metadata.labels"].map(String::from));
            if kind == "Deployment" {
                out.extend(
                    [
                        "spec.minReadySeconds",
                        "spec.strategy.type",
                        "spec.strategy.rollingUpdate.maxSurge",
                        "spec.strategy.rollingUpdate.maxUnavailable",
                    ]
                    .map(String::from),
                );
            }
            pod("spec.template.spec.", &mut out);
        }
        "Pod" => {
            out.push("metadata.labels".into());
            pod("spec.", &mut out);
        }
        "Service" => out.push("spec.selector".into()),
        "HorizontalPodAutoscaler" => out.extend(
            [
                "spec.scaleTargetRef",
                "spec.minReplicas",
                "spec.maxReplicas",
                "spec.targetCPUUtilizationPercentage",
                "spec.metrics[*].type",
                "spec.metrics[*].resource.name",
                "spec.metrics[*].resource.target.type",
                "spec.metrics[*].resource.target.averageUtilization",
                "spec.metrics[*].resource.target.averageValue",
                "spec.metrics[*].containerResource.name",
                "spec.metrics[*].containerResource.container",
                "spec.metrics[*].containerResource.target.type",
                "spec.metrics[*].containerResource.target.averageUtilization",
                "spec.metrics[*].containerResource.target.averageValue",
                "spec.metrics[*].pods.metric.name",
                "spec.metrics[*].pods.target.type",
                "spec.metrics[*].pods.target.averageValue",
                "spec.behavior.scaleUp",
                "spec.behavior.scaleDown",
            ]
            .map(String::from),
        ),
        "PodDisruptionBudget" => out.extend(
            ["spec.minAvailable", "spec.maxUnavailable", "spec.selector", "spec.unhealthyPodEvictionPolicy"]
                .map(String::from),
        ),
        "Node" => out.extend(
            [
                "metadata.labels",
                "spec.taints[*].key",
                "spec.taints[*].value",
                "spec.taints[*].effect",
                "spec.unschedulable",
            ]
            .map(String::from),
        ),
        _ => {}
    }
    out
}

/// A tree of patterns.
#[derive(Default)]
struct Trie {
    /// Read whole.
    whole: bool,
    keys: BTreeMap<String, Trie>,
    any_key: Option<Box<Trie>>,
    /// Keys with a domain (`vendor.example/name`).
    qualified_key: Option<Box<Trie>>,
    any_item: Option<Box<Trie>>,
}

impl Trie {
    fn new(patterns: &[String]) -> Trie {
        let mut root = Trie::default();
        for p in patterns {
            let mut t = &mut root;
            for part in p.split('.') {
                let (name, items) = match part.strip_suffix("[*]") {
                    Some(name) => (name, true),
                    None => (part, false),
                };
                t = if name == "*" {
                    t.any_key.get_or_insert_with(Box::default)
                } else if name == "+" {
                    t.qualified_key.get_or_insert_with(Box::default)
                } else {
                    t.keys.entry(name.to_string()).or_default()
                };
                if items {
                    t = t.any_item.get_or_insert_with(Box::default);
                }
            }
            t.whole = true;
        }
        root
    }
}

/// A field a manifest sets that Flotilla does not simulate: its path, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unread {
    pub path: String,
    pub reason: String,
}

/// Every field under `node` that the patterns of `kind` do not read, each
/// once at the highest level where the patterns stop, except the paths in
/// `reported` (already listed with a reason of their own) and below them.
pub fn unread(kind: &str, node: &Node, reported: &[Unread]) -> Vec<Unread> {
    let trie = Trie::new(&patterns(kind));
    let mut out = Vec::new();
    walk(&trie, node, "", reported, &mut out);
    out
}

fn walk(trie: &Trie, node: &Node, path: &str, reported: &[Unread], out: &mut Vec<Unread>) {
    if trie.whole || reported.iter().any(|r| r.path == path) {
        return;
    }
    match &node.value {
        Value::Map(entries) => {
            for (key, value) in entries {
                let child = join(path, &key.name);
                let qualified = trie.qualified_key.as_deref().filter(|_| key.name.contains('/'));
                match trie.keys.get(&key.name).or(qualified).or(trie.any_key.as_deref()) {
                    Some(t) => walk(t, value, &child, reported, out),
                    None if matches!(value.value, Value::Null) => {}
                    None if !reported.iter().any(|r| r.path == child) => {
                        out.push(Unread { path: child, reason: reason(&key.name).to_string() })
                    }
                    None => {}
                }
            }
        }
        Value::Seq(items) => match trie.any_item.as_deref() {
            Some(t) => {
                for (i, item) in items.iter().enumerate() {
                    walk(t, item, &format!("{path}[{i}]"), reported, out);
                }
            }
            None if items.is_empty() => {}
            None => out.push(Unread { path: path.to_string(), reason: "not simulated".into() }),
        },
        // A scalar where the patterns expect more: the field is set, and not read.
        _ if path.is_empty() => {}
        _ => {}
    }
}

/// Why a field is not simulated, where a few words help.
fn reason(key: &str) -> &'static str {
    match key {
        "livenessProbe" | "startupProbe" => "not simulated: containers here never fail a probe",
        "status" => "not simulated: status is what the simulation writes, not what a manifest sets",
        "ports" => "not simulated: requests reach a pod without ports",
        "env" | "envFrom" | "volumeMounts" | "volumes" | "command" | "args" => {
            "not simulated: what runs inside a container is its service's cost"
        }
        "podAffinity" | "podAntiAffinity" => "not simulated: the InterPodAffinity plugin is not modelled",
        "annotations" | "labels" => "not simulated on this object",
        "minReadySeconds" => "not simulated: a ReplicaSet's sets only availableReplicas in its status",
        "ownerReferences" => "not simulated: the object is applied on its own, and nothing owns it",
        _ => "not simulated",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::manifests::yaml::documents;

    #[test]
    fn unread_fields_are_listed_where_the_patterns_stop() {
        let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels: {a: b}\n\
                    spec:\n  replicas: 2\n  revisionHistoryLimit: 3\n  template:\n    spec:\n      containers:\n\
                    \x20     - name: web\n        image: web:1\n        ports: [{containerPort: 80}]\n\
                    \x20       readinessProbe: {initialDelaySeconds: 5, httpGet: {path: /}}\n\
                    \x20       resources: {requests: {cpu: 1, nvidia.com/gpu: 1, ephemeral-storage: 1Gi}}\n";
        let root = &documents(text, &mut super::super::yaml::Allowance::default()).unwrap()[0].root;
        let paths: Vec<String> = unread("Deployment", root, &[]).into_iter().map(|u| u.path).collect();
        assert_eq!(
            paths,
            vec![
                "metadata.labels",
                "spec.revisionHistoryLimit",
                "spec.template.spec.containers[0].ports",
                "spec.template.spec.containers[0].readinessProbe.httpGet",
                // An extended resource (a name with a domain) is read; ephemeral storage is not.
                "spec.template.spec.containers[0].resources.requests.ephemeral-storage",
            ]
        );
        // A path listed already, with its own reason, is not listed again.
        let already = [Unread { path: "spec.revisionHistoryLimit".into(), reason: "x".into() }];
        assert_eq!(unread("Deployment", root, &already).len(), 4);
    }
}
