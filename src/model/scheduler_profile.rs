//! kube-scheduler's profile, checked: the plugins that run at each
//! extension point with their weights, the NodeResourcesFit scoring
//! strategy, percentageOfNodesToScore and the back-off, starting from
//! kube-scheduler's default plugins (`pkg/scheduler/apis/config/v1/default_plugins.go`)
//! and defaults (`v1/defaults.go`). `scenario::scheduler_config` reads it from a
//! `KubeSchedulerConfiguration`; `behaviours::scheduler` runs it.

use serde::{Deserialize, Serialize};

use crate::engine::SimDuration;

/// A point of the RequestedToCapacityRatio shape: utilization 0–100 → score 0–10.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UtilizationShapePoint {
    pub utilization: i64,
    pub score: i64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ScoringStrategyType {
    #[default]
    LeastAllocated,
    MostAllocated,
    RequestedToCapacityRatio,
}

/// NodeResourcesFit's `scoringStrategy`, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScoringStrategy {
    pub kind: ScoringStrategyType,
    /// (resource name, weight): `cpu`, `memory` and the scenario's extended
    /// resources are modelled; any other is a resource no node has, left out.
    pub resources: Vec<(String, i64)>,
    /// For RequestedToCapacityRatio.
    pub shape: Vec<UtilizationShapePoint>,
}

impl Default for ScoringStrategy {
    /// `v1/defaults.go`: LeastAllocated with cpu and memory weighted 1 each.
    fn default() -> Self {
        ScoringStrategy {
            kind: ScoringStrategyType::LeastAllocated,
            resources: vec![("cpu".into(), 1), ("memory".into(), 1)],
            shape: Vec::new(),
        }
    }
}

/// A checked profile: the plugins that run, in order, with their weights.
#[derive(Clone, Debug, PartialEq)]
pub struct Profile {
    pub scheduler_name: String,
    pub filters: Vec<&'static str>,
    pub scores: Vec<(&'static str, i64)>,
    pub scoring_strategy: ScoringStrategy,
    /// NodeResourcesBalancedAllocation's resources.
    pub balanced_resources: Vec<(String, i64)>,
    /// 0 means adaptive.
    pub percentage_of_nodes_to_score: u32,
    pub pod_initial_backoff: SimDuration,
    pub pod_max_backoff: SimDuration,
    /// DefaultPreemption runs after a failed cycle. Pods here all have the
    /// same priority, so it never finds victims, but it adds its clause to the message.
    pub preemption: bool,
}

/// Filter plugins Flotilla models, in the default profile's order.
pub const FILTER_PLUGINS: &[&str] =
    &["NodeUnschedulable", "NodeName", "TaintToleration", "NodeAffinity", "NodeResourcesFit", "PodTopologySpread"];

/// Score plugins Flotilla models, with the default profile's weights.
pub const SCORE_PLUGINS: &[(&str, i64)] = &[
    ("TaintToleration", 3),
    ("NodeAffinity", 2),
    ("NodeResourcesFit", 1),
    ("PodTopologySpread", 2),
    ("NodeResourcesBalancedAllocation", 1),
    ("ImageLocality", 1),
];

/// Plugins of the default profile that Flotilla does not model (no volumes,
/// ports, inter-pod affinity or preemption): a file may disable them, not enable them.
pub const UNMODELLED_PLUGINS: &[&str] = &[
    "SchedulingGates",
    "PrioritySort",
    "NodePorts",
    "VolumeRestrictions",
    "EBSLimits",
    "GCEPDLimits",
    "NodeVolumeLimits",
    "AzureDiskLimits",
    "VolumeBinding",
    "VolumeZone",
    "InterPodAffinity",
    "DefaultPreemption",
    "DefaultBinder",
    "DynamicResources",
];

impl Default for Profile {
    /// kube-scheduler's default profile.
    fn default() -> Self {
        Profile {
            scheduler_name: "default-scheduler".into(),
            filters: FILTER_PLUGINS.to_vec(),
            scores: SCORE_PLUGINS.to_vec(),
            scoring_strategy: ScoringStrategy::default(),
            balanced_resources: vec![("cpu".into(), 1), ("memory".into(), 1)],
            percentage_of_nodes_to_score: 0,
            // v1/defaults.go: podInitialBackoffSeconds 1, podMaxBackoffSeconds 10.
            pod_initial_backoff: SimDuration::from_secs(1),
            pod_max_backoff: SimDuration::from_secs(10),
            preemption: true,
        }
    }
}
