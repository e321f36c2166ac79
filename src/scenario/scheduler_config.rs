//! `KubeSchedulerConfiguration` as a scenario writes it
//! (`kubescheduler.config.k8s.io/v1`): plugins enabled and disabled per
//! extension point, weights, and `pluginConfig` args such as the
//! NodeResourcesFit `scoringStrategy`. A profile starts from kube-scheduler's
//! default plugins (`pkg/scheduler/apis/config/v1/default_plugins.go`) and
//! defaults (`v1/defaults.go`), and the file changes only what it names.

use serde::{Deserialize, Serialize};

use crate::engine::SimDuration;
use crate::model::scheduler_profile::{
    FILTER_PLUGINS, Profile, SCORE_PLUGINS, ScoringStrategy, ScoringStrategyType, UNMODELLED_PLUGINS,
    UtilizationShapePoint,
};

/// A resource and its weight in a scoring strategy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceSpec {
    pub name: String,
    #[serde(default = "one")]
    pub weight: i64,
}

fn one() -> i64 {
    1
}

/// `KubeSchedulerConfiguration`, as written in a scenario.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename = "KubeSchedulerConfiguration", deny_unknown_fields)]
pub struct KubeSchedulerConfiguration {
    #[serde(default, rename = "percentageOfNodesToScore")]
    pub percentage_of_nodes_to_score: Option<u32>,
    #[serde(default, rename = "podInitialBackoffSeconds")]
    pub pod_initial_backoff_seconds: Option<u64>,
    #[serde(default, rename = "podMaxBackoffSeconds")]
    pub pod_max_backoff_seconds: Option<u64>,
    /// One profile is used: the first.
    #[serde(default)]
    pub profiles: Vec<ProfileConfig>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename = "Profile", deny_unknown_fields)]
pub struct ProfileConfig {
    #[serde(default, rename = "schedulerName")]
    pub scheduler_name: Option<String>,
    #[serde(default)]
    pub plugins: Option<Plugins>,
    #[serde(default, rename = "pluginConfig")]
    pub plugin_config: Vec<PluginConfig>,
    /// Overrides the configuration's own when set, 0 (adaptive) included.
    #[serde(default, rename = "percentageOfNodesToScore")]
    pub percentage_of_nodes_to_score: Option<u32>,
}

/// Plugins per extension point; Flotilla reads `multiPoint`, `filter` and `score`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename = "Plugins", deny_unknown_fields)]
pub struct Plugins {
    #[serde(default, rename = "multiPoint")]
    pub multi_point: Option<PluginSet>,
    #[serde(default)]
    pub filter: Option<PluginSet>,
    #[serde(default)]
    pub score: Option<PluginSet>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename = "PluginSet", deny_unknown_fields)]
pub struct PluginSet {
    #[serde(default)]
    pub enabled: Vec<Plugin>,
    #[serde(default)]
    pub disabled: Vec<Plugin>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename = "Plugin", deny_unknown_fields)]
pub struct Plugin {
    pub name: String,
    #[serde(default)]
    pub weight: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename = "PluginConfig", deny_unknown_fields)]
pub struct PluginConfig {
    pub name: String,
    pub args: PluginArgs,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum PluginArgs {
    NodeResourcesFitArgs {
        #[serde(rename = "scoringStrategy")]
        scoring_strategy: ScoringStrategyConfig,
    },
    NodeResourcesBalancedAllocationArgs {
        resources: Vec<ResourceSpec>,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename = "ScoringStrategy", deny_unknown_fields)]
pub struct ScoringStrategyConfig {
    #[serde(rename = "type")]
    pub kind: ScoringStrategyType,
    #[serde(default)]
    pub resources: Vec<ResourceSpec>,
    #[serde(default, rename = "requestedToCapacityRatio")]
    pub requested_to_capacity_ratio: Option<RequestedToCapacityRatioParam>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename = "RequestedToCapacityRatioParam", deny_unknown_fields)]
pub struct RequestedToCapacityRatioParam {
    pub shape: Vec<UtilizationShapePoint>,
}

/// Problems with their field paths.
type Problems = Vec<(String, String)>;

fn known_plugin(name: &str) -> bool {
    FILTER_PLUGINS.contains(&name)
        || SCORE_PLUGINS.iter().any(|(n, _)| *n == name)
        || UNMODELLED_PLUGINS.contains(&name)
}

impl KubeSchedulerConfiguration {
    /// The checked profile, or every problem with its path under `path`.
    pub fn resolve(&self, path: &str) -> Result<Profile, Vec<(String, String)>> {
        let mut problems = Vec::new();
        let mut profile = Profile::default();
        let percentage = |p: u32, at: String, problems: &mut Problems| {
            if p > 100 {
                problems.push((at, format!("Invalid value: {p}: not in valid range [0-100]")));
            }
            p.min(100)
        };
        if let Some(p) = self.percentage_of_nodes_to_score {
            profile.percentage_of_nodes_to_score =
                percentage(p, format!("{path}.percentageOfNodesToScore"), &mut problems);
        }
        if let Some(s) = self.pod_initial_backoff_seconds {
            if s == 0 {
                problems.push((
                    format!("{path}.podInitialBackoffSeconds"),
                    "Invalid value: 0: must be greater than 0".into(),
                ));
            }
            profile.pod_initial_backoff = SimDuration::from_secs(s.min(86_400));
        }
        if let Some(s) = self.pod_max_backoff_seconds {
            profile.pod_max_backoff = SimDuration::from_secs(s.min(86_400));
        }
        if profile.pod_max_backoff < profile.pod_initial_backoff {
            problems.push((
                format!("{path}.podMaxBackoffSeconds"),
                "must be at least podInitialBackoffSeconds".to_string(),
            ));
        }
        if self.profiles.len() > 1 {
            problems.push((
                format!("{path}.profiles"),
                "one profile per world; make another world for another profile".into(),
            ));
        }
        if let Some(p) = self.profiles.first() {
            let ppath = format!("{path}.profiles[0]");
            if let Some(name) = &p.scheduler_name {
                profile.scheduler_name = name.clone();
            }
            // numFeasibleNodesToFind: the profile's value, when set, instead of the global one.
            if let Some(pp) = p.percentage_of_nodes_to_score {
                profile.percentage_of_nodes_to_score =
                    percentage(pp, format!("{ppath}.percentageOfNodesToScore"), &mut problems);
            }
            if let Some(plugins) = &p.plugins {
                let sets =
                    [("multiPoint", &plugins.multi_point), ("filter", &plugins.filter), ("score", &plugins.score)];
                for (point, set) in sets {
                    let Some(set) = set else { continue };
                    apply_set(&mut profile, point, set, &format!("{ppath}.plugins.{point}"), &mut problems);
                }
            }
            for (i, cfg) in p.plugin_config.iter().enumerate() {
                let cpath = format!("{ppath}.pluginConfig[{i}]");
                match &cfg.args {
                    PluginArgs::NodeResourcesFitArgs { scoring_strategy } => {
                        if cfg.name != "NodeResourcesFit" {
                            problems.push((
                                format!("{cpath}.name"),
                                "NodeResourcesFitArgs belong to NodeResourcesFit".into(),
                            ));
                        }
                        match scoring(scoring_strategy, &format!("{cpath}.args.scoringStrategy")) {
                            Ok(s) => profile.scoring_strategy = s,
                            Err(mut e) => problems.append(&mut e),
                        }
                    }
                    PluginArgs::NodeResourcesBalancedAllocationArgs { resources } => {
                        if cfg.name != "NodeResourcesBalancedAllocation" {
                            problems.push((
                                format!("{cpath}.name"),
                                "NodeResourcesBalancedAllocationArgs belong to NodeResourcesBalancedAllocation".into(),
                            ));
                        }
                        match check_resources(resources, &format!("{cpath}.args.resources")) {
                            Ok(r) => profile.balanced_resources = r,
                            Err(mut e) => problems.append(&mut e),
                        }
                    }
                }
            }
        }
        if problems.is_empty() { Ok(profile) } else { Err(problems) }
    }
}

fn apply_set(profile: &mut Profile, point: &str, set: &PluginSet, path: &str, problems: &mut Vec<(String, String)>) {
    let (filters, scores) = match point {
        "filter" => (true, false),
        "score" => (false, true),
        _ => (true, true),
    };
    for (i, p) in set.disabled.iter().enumerate() {
        if p.name == "*" {
            if filters {
                profile.filters.clear();
            }
            if scores {
                profile.scores.clear();
            }
        } else if known_plugin(&p.name) {
            if p.name == "DefaultPreemption" && point == "multiPoint" {
                profile.preemption = false;
            }
            if filters {
                profile.filters.retain(|n| *n != p.name);
            }
            if scores {
                profile.scores.retain(|(n, _)| *n != p.name);
            }
        } else {
            problems.push((format!("{path}.disabled[{i}].name"), unknown(&p.name)));
        }
    }
    for (i, p) in set.enabled.iter().enumerate() {
        let epath = format!("{path}.enabled[{i}]");
        if UNMODELLED_PLUGINS.contains(&p.name.as_str()) {
            problems.push((
                format!("{epath}.name"),
                format!("{} is a kube-scheduler plugin Flotilla does not model", p.name),
            ));
            continue;
        }
        if !known_plugin(&p.name) {
            problems.push((format!("{epath}.name"), unknown(&p.name)));
            continue;
        }
        if let Some(w) = p.weight
            && !(1..=100).contains(&w)
        {
            problems.push((format!("{epath}.weight"), "a score plugin's weight is between 1 and 100".into()));
        }
        if filters
            && let Some(&name) = FILTER_PLUGINS.iter().find(|n| **n == p.name)
            && !profile.filters.contains(&name)
        {
            profile.filters.push(name);
        }
        if scores {
            if let Some(&(name, default_weight)) = SCORE_PLUGINS.iter().find(|(n, _)| *n == p.name) {
                let weight = p.weight.unwrap_or(default_weight).clamp(1, 100);
                match profile.scores.iter_mut().find(|(n, _)| *n == name) {
                    Some(entry) => entry.1 = weight,
                    None => profile.scores.push((name, weight)),
                }
            } else if point == "score" {
                problems.push((format!("{epath}.name"), format!("{} has no score extension point", p.name)));
            }
        }
    }
    // Keep the filters in kube-scheduler's order.
    profile.filters.sort_by_key(|n| FILTER_PLUGINS.iter().position(|f| f == n));
}

fn unknown(name: &str) -> String {
    let mut names: Vec<&str> = FILTER_PLUGINS.to_vec();
    names.extend(SCORE_PLUGINS.iter().map(|(n, _)| *n).filter(|n| !FILTER_PLUGINS.contains(n)));
    let distance = super::expect::edit_distance;
    match names.iter().min_by_key(|n| distance(n, name)).filter(|n| distance(n, name) <= 3) {
        Some(n) => format!("unknown plugin \"{name}\"; did you mean \"{n}\"?"),
        None => format!("unknown plugin \"{name}\"; Flotilla models {}", names.join(", ")),
    }
}

fn check_resources(resources: &[ResourceSpec], path: &str) -> Result<Vec<(String, i64)>, Problems> {
    let mut problems = Vec::new();
    for (i, r) in resources.iter().enumerate() {
        if r.name != "cpu" && r.name != "memory" {
            problems.push((
                format!("{path}[{i}].name"),
                format!("\"{}\": the resources modelled are cpu and memory", r.name),
            ));
        }
        if !(1..=100).contains(&r.weight) {
            problems.push((format!("{path}[{i}].weight"), "a resource weight is between 1 and 100".into()));
        }
    }
    if resources.is_empty() {
        problems.push((path.to_string(), "at least one resource".into()));
    }
    if problems.is_empty() { Ok(resources.iter().map(|r| (r.name.clone(), r.weight)).collect()) } else { Err(problems) }
}

fn scoring(cfg: &ScoringStrategyConfig, path: &str) -> Result<ScoringStrategy, Vec<(String, String)>> {
    let mut problems = Vec::new();
    let resources = if cfg.resources.is_empty() {
        ScoringStrategy::default().resources
    } else {
        match check_resources(&cfg.resources, &format!("{path}.resources")) {
            Ok(r) => r,
            Err(mut e) => {
                problems.append(&mut e);
                Vec::new()
            }
        }
    };
    let mut shape = Vec::new();
    match (cfg.kind, &cfg.requested_to_capacity_ratio) {
        (ScoringStrategyType::RequestedToCapacityRatio, Some(p)) => {
            for (i, pt) in p.shape.iter().enumerate() {
                if !(0..=100).contains(&pt.utilization) {
                    problems.push((
                        format!("{path}.requestedToCapacityRatio.shape[{i}].utilization"),
                        "between 0 and 100".into(),
                    ));
                }
                if !(0..=10).contains(&pt.score) {
                    problems
                        .push((format!("{path}.requestedToCapacityRatio.shape[{i}].score"), "between 0 and 10".into()));
                }
                if i > 0 && pt.utilization <= p.shape[i - 1].utilization {
                    problems.push((
                        format!("{path}.requestedToCapacityRatio.shape[{i}].utilization"),
                        "utilization must increase along the shape".into(),
                    ));
                }
            }
            if p.shape.is_empty() {
                problems.push((format!("{path}.requestedToCapacityRatio.shape"), "at least one point".into()));
            }
            shape = p.shape.clone();
        }
        (ScoringStrategyType::RequestedToCapacityRatio, None) => {
            problems
                .push((format!("{path}.requestedToCapacityRatio"), "RequestedToCapacityRatio needs a shape".into()));
        }
        (_, Some(_)) => {
            problems
                .push((format!("{path}.requestedToCapacityRatio"), "only for type RequestedToCapacityRatio".into()));
        }
        _ => {}
    }
    if problems.is_empty() { Ok(ScoringStrategy { kind: cfg.kind, resources, shape }) } else { Err(problems) }
}

/// The `KubeSchedulerConfiguration` fields kube-scheduler knows but Flotilla
/// does not simulate (`kubescheduler.config.k8s.io/v1`, `types.go`).
const NOT_SIMULATED: &[&str] = &[
    "parallelism",
    "leaderElection",
    "clientConnection",
    "enableProfiling",
    "enableContentionProfiling",
    "extenders",
    "delayCacheUntilActive",
    "percentageOfPlacementsToScore",
];
/// The fields Flotilla reads.
const READ: &[&str] =
    &["apiVersion", "kind", "percentageOfNodesToScore", "podInitialBackoffSeconds", "podMaxBackoffSeconds", "profiles"];
/// A profile's extension points that Flotilla does not run separately.
const OTHER_POINTS: &[&str] = &[
    "preEnqueue",
    "queueSort",
    "preFilter",
    "postFilter",
    "preScore",
    "reserve",
    "permit",
    "preBind",
    "bind",
    "postBind",
    "placementGenerate",
    "placementScore",
    "placementFeasible",
    "podGroupPostFilter",
];

/// Reads a `KubeSchedulerConfiguration` YAML file (`kube-scheduler --config`)
/// into the checked profile, the same checks as a scenario's own
/// `scheduler` takes; with the fields it sets that Flotilla does not
/// simulate, and every problem placed by line and column.
pub fn resolve_yaml(
    text: &str,
    file: &str,
) -> (Option<Profile>, Vec<super::manifests::Ignored>, Vec<super::error::Problem>) {
    use super::error::Problem;
    use super::manifests::yaml::{self, Node, Value};
    use super::manifests::{Ignored, fields::Unread};
    const OBJECT: &str = "KubeSchedulerConfiguration";
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let place = |root: &Node, path: &str| {
        let at = root.mark_of(path);
        let field = if path.is_empty() { String::new() } else { format!(", {path}") };
        format!("{file}:{}:{}: {OBJECT}{field}", at.line, at.column)
    };
    let documents = match yaml::documents(text, &mut yaml::Allowance::default()) {
        Ok(d) => d,
        Err(e) => {
            let p = Problem {
                path: format!("{file}:{}:{}", e.at.line, e.at.column),
                message: format!("the YAML does not parse: {}", e.message),
            };
            return (None, Vec::new(), vec![p]);
        }
    };
    let [document] = documents.as_slice() else {
        let p = Problem { path: file.to_string(), message: format!("one {OBJECT} document, not {}", documents.len()) };
        return (None, Vec::new(), vec![p]);
    };
    let root = &document.root;
    let mut problems = Vec::new();
    let api_version = root.get("apiVersion").and_then(Node::as_str).unwrap_or("");
    let kind = root.get("kind").and_then(Node::as_str).unwrap_or("");
    if kind != OBJECT || api_version != "kubescheduler.config.k8s.io/v1" {
        problems.push(Problem {
            path: place(root, "apiVersion"),
            message: format!(
                "no kind {} is registered for version {}: kube-scheduler reads {OBJECT} in kubescheduler.config.k8s.io/v1",
                super::error::quoted(kind),
                super::error::quoted(api_version)
            ),
        });
        return (None, Vec::new(), problems);
    }
    // Every key of a mapping: read, known and not simulated, or unknown (an
    // error, as kube-scheduler decodes its configuration strictly).
    struct Keys<'a> {
        root: &'a Node,
        place: &'a dyn Fn(&Node, &str) -> String,
        unread: Vec<Unread>,
        problems: Vec<Problem>,
    }
    impl Keys<'_> {
        fn of(&mut self, node: &Node, path: &str, read: &[&str], known: &[&str], reason: &str) -> Vec<(String, Node)> {
            let mut kept = Vec::new();
            let Value::Map(entries) = &node.value else { return kept };
            for (k, v) in entries {
                let child = yaml::join(path, &k.name);
                if read.contains(&k.name.as_str()) {
                    kept.push((k.name.clone(), v.clone()));
                } else if known.contains(&k.name.as_str()) {
                    self.unread.push(Unread { path: child, reason: reason.to_string() });
                } else {
                    let message = format!("strict decoding error: unknown field {}", super::error::quoted(&child));
                    self.problems.push(Problem { path: (self.place)(self.root, &child), message });
                }
            }
            kept
        }
    }
    let mut k = Keys { root, place: &place, unread: Vec::new(), problems };
    // Per profile, the file's index of each pluginConfig entry decoded: the
    // entries of other plugins are not, so a problem's index is mapped back.
    let mut config_indices: Vec<Vec<usize>> = Vec::new();
    let mut json = serde_json::Map::new();
    for (key, value) in k.of(root, "", READ, NOT_SIMULATED, "not simulated") {
        if key == "apiVersion" || key == "kind" {
            continue;
        }
        if key != "profiles" {
            json.insert(key, value.to_json());
            continue;
        }
        let Value::Seq(profiles) = &value.value else {
            json.insert(key, value.to_json());
            continue;
        };
        let mut out = Vec::new();
        for (i, profile) in profiles.iter().enumerate() {
            let ppath = format!("profiles[{i}]");
            // The index in the file of each pluginConfig entry decoded.
            let mut written_at = Vec::new();
            let read = ["schedulerName", "percentageOfNodesToScore", "plugins", "pluginConfig"];
            let mut p = serde_json::Map::new();
            for (key, value) in k.of(profile, &ppath, &read, &["percentageOfPlacementsToScore"], "not simulated") {
                match (key.as_str(), &value.value) {
                    ("plugins", Value::Map(_)) => {
                        let points = ["multiPoint", "filter", "score"];
                        let reason =
                            "not simulated: Flotilla's scheduler runs the multiPoint, filter and score plugins";
                        let kept = k.of(&value, &format!("{ppath}.plugins"), &points, OTHER_POINTS, reason);
                        p.insert(
                            key,
                            serde_json::Value::Object(kept.into_iter().map(|(k, v)| (k, v.to_json())).collect()),
                        );
                    }
                    ("pluginConfig", Value::Seq(configs)) => {
                        let mut list = Vec::new();
                        for (j, cfg) in configs.iter().enumerate() {
                            let cpath = format!("{ppath}.pluginConfig[{j}]");
                            let name = cfg.get("name").and_then(Node::as_str).unwrap_or("");
                            let (tag, read): (&str, &[&str]) = match name {
                                "NodeResourcesFit" => ("NodeResourcesFitArgs", &["scoringStrategy"]),
                                "NodeResourcesBalancedAllocation" => {
                                    ("NodeResourcesBalancedAllocationArgs", &["resources"])
                                }
                                _ => {
                                    k.unread.push(Unread {
                                        path: cpath,
                                        reason: format!("not simulated: Flotilla reads the args of NodeResourcesFit and NodeResourcesBalancedAllocation, not {name}'s"),
                                    });
                                    continue;
                                }
                            };
                            let mut args = serde_json::Map::new();
                            if let Some(a) = cfg.get("args") {
                                let known = ["apiVersion", "kind", "ignoredResources", "ignoredResourceGroups"];
                                for (key, v) in k.of(a, &format!("{cpath}.args"), read, &known, "not simulated") {
                                    args.insert(key, v.to_json());
                                }
                            }
                            let kept = k.of(cfg, &cpath, &["name", "args"], &[], "");
                            let mut c = serde_json::Map::new();
                            for (key, v) in kept {
                                if key == "args" {
                                    let mut tagged = serde_json::Map::new();
                                    tagged.insert(tag.to_string(), serde_json::Value::Object(args.clone()));
                                    c.insert(key, serde_json::Value::Object(tagged));
                                } else {
                                    c.insert(key, v.to_json());
                                }
                            }
                            if !c.contains_key("args") {
                                let mut tagged = serde_json::Map::new();
                                tagged.insert(tag.to_string(), serde_json::Value::Object(args));
                                c.insert("args".into(), serde_json::Value::Object(tagged));
                            }
                            list.push(serde_json::Value::Object(c));
                            written_at.push(j);
                        }
                        p.insert(key, serde_json::Value::Array(list));
                    }
                    _ => {
                        p.insert(key, value.to_json());
                    }
                }
            }
            out.push(serde_json::Value::Object(p));
            config_indices.push(written_at);
        }
        json.insert(key, serde_json::Value::Array(out));
    }
    let Keys { unread, mut problems, .. } = k;
    let ignored: Vec<Ignored> = unread
        .into_iter()
        .map(|u| Ignored {
            file: file.to_string(),
            at: root.mark_of(&u.path),
            object: format!("document {}, {OBJECT}", document.index),
            path: u.path,
            reason: u.reason,
        })
        .collect();
    let as_written = |path: &str| -> String {
        let mapped = (|| {
            let (i, rest) = path.strip_prefix("profiles[")?.split_once(']')?;
            let (n, tail) = rest.strip_prefix(".pluginConfig[")?.split_once(']')?;
            let i: usize = i.parse().ok()?;
            let j = config_indices.get(i)?.get(n.parse::<usize>().ok()?)?;
            Some(format!("profiles[{i}].pluginConfig[{j}]{tail}"))
        })();
        mapped.unwrap_or_else(|| path.to_string())
    };
    // Unknown fields were left out of what is decoded, so the rest is still checked.
    let json = serde_json::Value::Object(json);
    let cfg: KubeSchedulerConfiguration = match serde_path_to_error::deserialize(&json) {
        Ok(c) => c,
        Err(e) => {
            // The args' tag is this reading's, not the file's.
            let path = e.path().to_string();
            let path = path.replace(".NodeResourcesFitArgs", "").replace(".NodeResourcesBalancedAllocationArgs", "");
            let path = if path == "." { String::new() } else { as_written(&path) };
            problems.push(Problem { path: place(root, &path), message: e.into_inner().to_string() });
            return (None, ignored, problems);
        }
    };
    match cfg.resolve("") {
        Ok(profile) if problems.is_empty() => (Some(profile), ignored, problems),
        Ok(_) => (None, ignored, problems),
        Err(list) => {
            for (path, message) in list {
                let path = as_written(path.strip_prefix('.').unwrap_or(&path));
                problems.push(Problem { path: place(root, &path), message });
            }
            (None, ignored, problems)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_configuration_is_the_default_profile() {
        let p = KubeSchedulerConfiguration::default().resolve("s").unwrap();
        assert_eq!(p, Profile::default());
        assert_eq!(p.scores.iter().find(|(n, _)| *n == "TaintToleration").unwrap().1, 3);
    }

    #[test]
    fn disabling_and_reweighting_score_plugins() {
        let text = r#"KubeSchedulerConfiguration(profiles: [Profile(
            plugins: Plugins(score: PluginSet(
                disabled: [Plugin(name: "ImageLocality")],
                enabled: [Plugin(name: "NodeResourcesFit", weight: 5)])),
            pluginConfig: [PluginConfig(name: "NodeResourcesFit", args: NodeResourcesFitArgs(
                scoringStrategy: ScoringStrategy(type: MostAllocated, resources: [ResourceSpec(name: "cpu", weight: 2)])))],
        )])"#;
        let options = ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME);
        let cfg: KubeSchedulerConfiguration = options.from_str(text).unwrap();
        let p = cfg.resolve("s").unwrap();
        assert!(!p.scores.iter().any(|(n, _)| *n == "ImageLocality"));
        assert_eq!(p.scores.iter().find(|(n, _)| *n == "NodeResourcesFit").unwrap().1, 5);
        assert_eq!(p.scoring_strategy.kind, ScoringStrategyType::MostAllocated);
        assert_eq!(p.scoring_strategy.resources, vec![("cpu".to_string(), 2)]);
    }

    #[test]
    fn a_profiles_percentage_of_nodes_to_score_overrides_the_global_one() {
        let with = |global, own| {
            let profiles = vec![ProfileConfig { percentage_of_nodes_to_score: own, ..ProfileConfig::default() }];
            KubeSchedulerConfiguration { percentage_of_nodes_to_score: global, profiles, ..Default::default() }
                .resolve("s")
        };
        assert_eq!(with(Some(30), None).unwrap().percentage_of_nodes_to_score, 30);
        assert_eq!(with(Some(30), Some(70)).unwrap().percentage_of_nodes_to_score, 70);
        // numFeasibleNodesToFind: a profile's 0 is set, so it means adaptive whatever the global value.
        assert_eq!(with(Some(30), Some(0)).unwrap().percentage_of_nodes_to_score, 0);
        assert_eq!(
            with(None, Some(150)).unwrap_err(),
            vec![(
                "s.profiles[0].percentageOfNodesToScore".to_string(),
                "Invalid value: 150: not in valid range [0-100]".to_string()
            )]
        );
    }

    /// The weight cases of `TestLeastAllocatedScoringStrategy` and
    /// `TestMostAllocatedScoringStrategy`: each is refused at the field
    /// upstream names (`scoringStrategy.resources[i].weight`).
    #[test]
    fn scoring_strategy_weights_are_validated_as_upstream() {
        /// Name, resources and weights, the field refused.
        type Case = (&'static str, &'static [(&'static str, i64)], &'static str);
        let cases: [Case; 4] = [
            ("resource with negative weight", &[("memory", -1), ("cpu", 1)], "scoringStrategy.resources[0].weight"),
            ("resource with zero weight", &[("memory", 1), ("cpu", 0)], "scoringStrategy.resources[1].weight"),
            (
                "resource weight larger than MaxNodeScore",
                &[("memory", 1), ("cpu", 101)],
                "scoringStrategy.resources[1].weight",
            ),
            // most_allocated_test.go's version of the last case.
            ("resource weight larger than MaxNodeScore", &[("memory", 101)], "scoringStrategy.resources[0].weight"),
        ];
        for kind in [ScoringStrategyType::LeastAllocated, ScoringStrategyType::MostAllocated] {
            for (name, resources, field) in cases {
                let cfg = ScoringStrategyConfig {
                    kind,
                    resources: resources.iter().map(|&(n, w)| ResourceSpec { name: n.into(), weight: w }).collect(),
                    requested_to_capacity_ratio: None,
                };
                let problems = scoring(&cfg, "args.scoringStrategy").expect_err(name);
                assert_eq!(problems.len(), 1, "{name}: {problems:?}");
                assert_eq!(problems[0].0, format!("args.{field}"), "{name}");
            }
        }
    }

    #[test]
    fn backoffs_are_validated_as_kube_scheduler_validates_them() {
        let (profile, _, problems) = resolve_yaml(
            "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\npodInitialBackoffSeconds: 0\n",
            "s.yaml",
        );
        assert!(profile.is_none());
        let [p] = problems.as_slice() else { panic!("one problem: {problems:?}") };
        assert!(p.path.ends_with("podInitialBackoffSeconds"), "{}", p.path);
        assert_eq!(p.message, "Invalid value: 0: must be greater than 0");
    }

    #[test]
    fn unknown_plugins_are_reported_with_their_path() {
        let cfg = KubeSchedulerConfiguration {
            profiles: vec![ProfileConfig {
                plugins: Some(Plugins {
                    score: Some(PluginSet {
                        enabled: vec![Plugin { name: "ImageLocalty".into(), weight: None }],
                        disabled: vec![],
                    }),
                    ..Plugins::default()
                }),
                ..ProfileConfig::default()
            }],
            ..KubeSchedulerConfiguration::default()
        };
        let err = cfg.resolve("worlds[0].platform.scheduler").unwrap_err();
        assert_eq!(err[0].0, "worlds[0].platform.scheduler.profiles[0].plugins.score.enabled[0].name");
        assert!(err[0].1.contains("unknown plugin \"ImageLocalty\""));
    }
}
