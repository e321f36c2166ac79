//! Kubernetes objects, with the names and fields Kubernetes gives them, so
//! that what a student learns here transfers: labels and selectors, taints and
//! tolerations, pod templates with resource requests, Deployments and their
//! rolling-update strategy, Services.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::ids::ImageId;
use super::quantity::{Bytes, Millicores};
use crate::engine::SimDuration;

/// Labels on a node or a pod.
pub type Labels = BTreeMap<String, String>;

/// What a taint does to pods that do not tolerate it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum TaintEffect {
    NoSchedule,
    PreferNoSchedule,
    NoExecute,
}

impl TaintEffect {
    pub fn name(self) -> &'static str {
        match self {
            TaintEffect::NoSchedule => "NoSchedule",
            TaintEffect::PreferNoSchedule => "PreferNoSchedule",
            TaintEffect::NoExecute => "NoExecute",
        }
    }
}

/// A node's taint.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Taint {
    pub key: String,
    #[serde(default)]
    pub value: String,
    pub effect: TaintEffect,
}

/// `node.kubernetes.io/unreachable`: the node controller heard nothing from the kubelet.
pub const TAINT_UNREACHABLE: &str = "node.kubernetes.io/unreachable";
/// `node.kubernetes.io/unschedulable`: the node is cordoned.
pub const TAINT_UNSCHEDULABLE: &str = "node.kubernetes.io/unschedulable";

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum TolerationOperator {
    #[default]
    Equal,
    Exists,
}

/// A pod's toleration of taints.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Toleration {
    /// Empty with `Exists` tolerates every taint.
    #[serde(default)]
    pub key: String,
    #[serde(default)]
    pub operator: TolerationOperator,
    #[serde(default)]
    pub value: String,
    /// Empty tolerates every effect.
    #[serde(default)]
    pub effect: Option<TaintEffect>,
    /// For NoExecute: how long the pod stays once the taint appears.
    #[serde(default, rename = "tolerationSeconds")]
    pub toleration_seconds: Option<u64>,
}

impl Toleration {
    /// `ToleratesTaint` from k8s.io/api/core/v1/toleration.go.
    pub fn tolerates(&self, taint: &Taint) -> bool {
        if let Some(effect) = self.effect
            && effect != taint.effect
        {
            return false;
        }
        if !self.key.is_empty() && self.key != taint.key {
            return false;
        }
        match self.operator {
            TolerationOperator::Exists => true,
            TolerationOperator::Equal => self.value == taint.value,
        }
    }
}

/// A label selector requirement: `key In (values)`, `NotIn`, `Exists`, `DoesNotExist`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    pub key: String,
    pub operator: SelectorOperator,
    #[serde(default)]
    pub values: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SelectorOperator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
    Gt,
    Lt,
}

impl Requirement {
    pub fn matches(&self, labels: &Labels) -> bool {
        let value = labels.get(&self.key);
        match self.operator {
            SelectorOperator::In => value.is_some_and(|v| self.values.contains(v)),
            SelectorOperator::NotIn => value.is_none_or(|v| !self.values.contains(v)),
            SelectorOperator::Exists => value.is_some(),
            SelectorOperator::DoesNotExist => value.is_none(),
            SelectorOperator::Gt | SelectorOperator::Lt => {
                let (Some(v), Some(bound)) = (
                    value.and_then(|v| v.parse::<i64>().ok()),
                    self.values.first().and_then(|b| b.parse::<i64>().ok()),
                ) else {
                    return false;
                };
                if self.operator == SelectorOperator::Gt { v > bound } else { v < bound }
            }
        }
    }
}

/// A node selector term: all its requirements must hold.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeSelectorTerm {
    #[serde(default, rename = "matchExpressions")]
    pub match_expressions: Vec<Requirement>,
}

impl NodeSelectorTerm {
    pub fn matches(&self, labels: &Labels) -> bool {
        self.match_expressions.iter().all(|r| r.matches(labels))
    }
}

/// A preferred term with its weight (1–100).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreferredSchedulingTerm {
    pub weight: i64,
    pub preference: NodeSelectorTerm,
}

/// `affinity.nodeAffinity`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeAffinity {
    /// requiredDuringSchedulingIgnoredDuringExecution: any term may match.
    #[serde(default, rename = "requiredDuringSchedulingIgnoredDuringExecution")]
    pub required: Vec<NodeSelectorTerm>,
    /// preferredDuringSchedulingIgnoredDuringExecution.
    #[serde(default, rename = "preferredDuringSchedulingIgnoredDuringExecution")]
    pub preferred: Vec<PreferredSchedulingTerm>,
}

/// What to do when a spread constraint cannot be met.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum UnsatisfiableConstraintAction {
    DoNotSchedule,
    ScheduleAnyway,
}

/// `topologySpreadConstraints[]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopologySpreadConstraint {
    #[serde(rename = "maxSkew")]
    pub max_skew: i64,
    #[serde(rename = "topologyKey")]
    pub topology_key: String,
    #[serde(rename = "whenUnsatisfiable")]
    pub when_unsatisfiable: UnsatisfiableConstraintAction,
    /// The pods counted: those whose labels include all of these.
    #[serde(default, rename = "labelSelector")]
    pub label_selector: Labels,
}

/// `kubernetes.io/hostname`, the node's own name as a topology domain.
pub const LABEL_HOSTNAME: &str = "kubernetes.io/hostname";
/// `topology.kubernetes.io/zone`.
pub const LABEL_ZONE: &str = "topology.kubernetes.io/zone";

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImagePullPolicy {
    Always,
    #[default]
    IfNotPresent,
    Never,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum RestartPolicy {
    #[default]
    Always,
    OnFailure,
    Never,
}

/// A container of a pod template, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct ContainerSpec {
    pub name: String,
    pub image: ImageId,
    pub image_pull_policy: ImagePullPolicy,
    /// The requests as written (or defaulted from the limits); `None` when the
    /// container names none, which the scheduler's scoring counts at 100m and
    /// 200Mi while an explicit 0 stays 0 (`NonMissingContainerRequests`).
    pub cpu_request: Option<Millicores>,
    pub memory_request: Option<Bytes>,
    pub cpu_limit: Option<Millicores>,
    pub memory_limit: Option<Bytes>,
    /// The readiness probe's initialDelaySeconds: Ready this long after start.
    pub readiness_delay: SimDuration,
    /// When set, the process exits this long after each start (to show restart back-off).
    pub exits_after: Option<SimDuration>,
    /// An init container with `restartPolicy: Always`: a sidecar, started in
    /// its turn among the init containers and running beside the app containers.
    pub sidecar: bool,
    /// Extended resources (`nvidia.com/gpu`) it requests, by their index in
    /// the scenario's [`crate::model::spec::Setup::extended_resources`];
    /// request and limit are equal for them.
    pub extended: ExtendedAmounts,
}

/// The most distinct extended resources one scenario may use.
pub const MAX_EXTENDED_RESOURCES: usize = 4;

/// An amount of each of a scenario's extended resources, by index: whole
/// devices, as device plugins advertise them.
pub type ExtendedAmounts = [u64; MAX_EXTENDED_RESOURCES];

/// `PodRequests` for one resource: the app containers summed, then the
/// larger of that and what the init phase needs at its peak. A sidecar adds
/// to the sum and stays running under every init container after it; a
/// plain init container needs its own request plus the sidecars started
/// before it. `app` and `init` give each container's request, `init` with
/// whether it is a sidecar.
pub fn pod_requests(app: impl Iterator<Item = u64>, init: impl Iterator<Item = (u64, bool)>) -> u64 {
    let mut sum: u64 = app.sum();
    let (mut sidecars, mut init_peak) = (0u64, 0u64);
    for (request, sidecar) in init {
        let during = if sidecar {
            sum += request;
            sidecars += request;
            sidecars
        } else {
            request + sidecars
        };
        init_peak = init_peak.max(during);
    }
    sum.max(init_peak)
}

/// A pod template, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct PodTemplate {
    pub labels: Labels,
    pub init_containers: Vec<ContainerSpec>,
    pub containers: Vec<ContainerSpec>,
    pub node_selector: Labels,
    pub node_name: Option<String>,
    pub affinity: NodeAffinity,
    pub tolerations: Vec<Toleration>,
    pub topology_spread_constraints: Vec<TopologySpreadConstraint>,
    pub restart_policy: RestartPolicy,
    pub termination_grace: SimDuration,
    /// Pod-level resources (`spec.resources`, KEP-2837, the
    /// `PodLevelResources` gate on by default since v1.34): a CPU and
    /// memory budget for the whole pod.
    pub resources: PodResources,
}

/// A pod's own requests and limits (`spec.resources`), checked: only CPU and
/// memory, a limit alone defaulting the request as `defaultPodRequests` does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PodResources {
    pub cpu_request: Option<Millicores>,
    pub memory_request: Option<Bytes>,
    pub cpu_limit: Option<Millicores>,
    pub memory_limit: Option<Bytes>,
}

impl PodResources {
    /// `IsPodLevelRequestsSet`: the pod names a request of its own.
    pub fn requests_set(&self) -> bool {
        self.cpu_request.is_some() || self.memory_request.is_some()
    }

    /// `IsPodLevelResourcesSet`: the pod names a request or a limit of its own.
    pub fn is_set(&self) -> bool {
        self.requests_set() || self.cpu_limit.is_some() || self.memory_limit.is_some()
    }
}

/// The resources a pod may set at its own level (`IsSupportedPodLevelResource`,
/// huge pages not modelled).
pub const SUPPORTED_POD_LEVEL_RESOURCES: [&str; 2] = ["cpu", "memory"];

impl PodTemplate {
    /// The pod's effective request per resource, as the scheduler and the
    /// kubelet count it (`PodRequests`): the pod-level request where the
    /// pod sets one, else its containers' ([`pod_requests`]), a missing
    /// request counted as 0.
    pub fn requests(&self) -> (Millicores, Bytes) {
        let (cpu, memory) = self.container_requests();
        (self.resources.cpu_request.unwrap_or(cpu), self.resources.memory_request.unwrap_or(memory))
    }

    /// `AggregateContainerRequests`: what the containers request, without
    /// the pod-level requests.
    pub fn container_requests(&self) -> (Millicores, Bytes) {
        let cpu = |c: &ContainerSpec| c.cpu_request.map_or(0, |m| m.0);
        let mem = |c: &ContainerSpec| c.memory_request.map_or(0, |b| b.0);
        let init = |f: fn(&ContainerSpec) -> u64| self.init_containers.iter().map(move |c| (f(c), c.sidecar));
        (
            Millicores(pod_requests(self.containers.iter().map(cpu), init(cpu))),
            Bytes(pod_requests(self.containers.iter().map(mem), init(mem))),
        )
    }

    /// The containers that run once the pod has started: sidecars, then the app containers.
    pub fn running_containers(&self) -> impl Iterator<Item = &ContainerSpec> {
        self.init_containers.iter().filter(|c| c.sidecar).chain(&self.containers)
    }

    /// Every image the pod runs, init containers first.
    pub fn images(&self) -> impl Iterator<Item = ImageId> + '_ {
        self.init_containers.iter().chain(&self.containers).map(|c| c.image)
    }

    /// A short stable hash of the template, as `pod-template-hash` labels carry.
    pub fn hash(&self) -> String {
        let mut text = format!("{self:?}");
        // Pod-level resources enter the hash only when set, so a template
        // without them hashes by its other fields alone.
        if !self.resources.is_set()
            && let Some(rest) = text.strip_suffix(&format!(", resources: {:?} }}", self.resources))
        {
            text = format!("{rest} }}");
        }
        let h = crate::engine::random::stable_hash(&[text.as_bytes()]);
        const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
        (0..10).map(|i| ALPHABET[((h >> (i * 6)) % ALPHABET.len() as u64) as usize] as char).collect()
    }
}

/// A Deployment's strategy.
#[derive(Clone, Debug, PartialEq)]
pub enum DeploymentStrategy {
    RollingUpdate { max_surge: IntOrPercent, max_unavailable: IntOrPercent },
    Recreate,
}

/// A count written as a number (`1`) or a percentage (`"25%"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntOrPercent {
    Int(u32),
    Percent(u32),
}

impl IntOrPercent {
    /// `intstr.GetScaledValueFromIntOrPercent`: a percentage of `total`,
    /// rounded up or down.
    pub fn scaled(self, total: u32, round_up: bool) -> u32 {
        match self {
            IntOrPercent::Int(n) => n,
            IntOrPercent::Percent(p) => {
                let x = u64::from(p) * u64::from(total);
                let scaled = if round_up { x.div_ceil(100) } else { x / 100 };
                scaled.min(u64::from(u32::MAX)) as u32
            }
        }
    }
}

impl std::fmt::Display for IntOrPercent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IntOrPercent::Int(n) => write!(f, "{n}"),
            IntOrPercent::Percent(p) => write!(f, "{p}%"),
        }
    }
}

/// `deployment_util.ResolveFenceposts`: maxSurge rounds up, maxUnavailable
/// rounds down, and if both come to zero maxUnavailable becomes 1.
pub fn resolve_fenceposts(max_surge: IntOrPercent, max_unavailable: IntOrPercent, desired: u32) -> (u32, u32) {
    let surge = max_surge.scaled(desired, true);
    let mut unavailable = max_unavailable.scaled(desired, false);
    if surge == 0 && unavailable == 0 {
        unavailable = 1;
    }
    (surge, unavailable)
}

/// A Deployment, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct DeploymentSpec {
    pub name: String,
    pub namespace: String,
    pub replicas: u32,
    pub strategy: DeploymentStrategy,
    pub min_ready: SimDuration,
    pub template: PodTemplate,
}

/// A ReplicaSet applied on its own, checked: no Deployment owns it, so a new
/// template is used for the pods it creates from then on and no rollout
/// replaces the pods it already has.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplicaSetSpec {
    pub name: String,
    pub namespace: String,
    pub replicas: u32,
    pub template: PodTemplate,
}

/// A Pod applied on its own, checked: it declares no controller, so nothing
/// creates it again once it is deleted or evicted.
#[derive(Clone, Debug, PartialEq)]
pub struct StandalonePodSpec {
    pub name: String,
    pub namespace: String,
    pub template: PodTemplate,
}

/// A Service, checked: it sends traffic to Ready pods whose labels match.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceSpec {
    pub name: String,
    pub namespace: String,
    pub selector: Labels,
}

/// A PodDisruptionBudget (policy/v1): how many of the pods its selector
/// matches an eviction (`kubectl drain`) must leave Ready.
#[derive(Clone, Debug, PartialEq)]
pub struct PodDisruptionBudgetSpec {
    pub name: String,
    pub namespace: String,
    /// `matchLabels`; empty matches every pod, as in policy/v1.
    pub selector: Labels,
    pub budget: DisruptionBudget,
}

/// `minAvailable` or `maxUnavailable`; a budget with neither allows no disruption.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DisruptionBudget {
    MinAvailable(IntOrPercent),
    MaxUnavailable(IntOrPercent),
    Unset,
}

impl PodDisruptionBudgetSpec {
    pub fn matches(&self, labels: &Labels) -> bool {
        self.selector.is_empty() || selector_matches(&self.selector, labels)
    }

    /// The disruption controller's `getExpectedPodCount` and
    /// `updatePdbStatus`: (expected pods, desired healthy, disruptions
    /// allowed), from the pods it matches (`matched`), those Ready
    /// (`healthy`), and the replicas their controllers ask for (`scale`).
    pub fn status(&self, matched: u32, healthy: u32, scale: u32) -> (u32, u32, u32) {
        let (expected, desired) = match self.budget {
            DisruptionBudget::MaxUnavailable(m) => (scale, scale.saturating_sub(m.scaled(scale, true))),
            DisruptionBudget::MinAvailable(IntOrPercent::Int(n)) => (matched, n),
            DisruptionBudget::MinAvailable(p) => (scale, p.scaled(scale, true)),
            DisruptionBudget::Unset => (0, 0),
        };
        let allowed = if expected == 0 { 0 } else { healthy.saturating_sub(desired) };
        (expected, desired, allowed)
    }
}

/// Whether `labels` include every pair of `selector` (an empty selector matches nothing).
pub fn selector_matches(selector: &Labels, labels: &Labels) -> bool {
    !selector.is_empty() && selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pod_requests_add_sidecars_and_max_the_init_phase() {
        // No init containers: the app containers' sum.
        assert_eq!(pod_requests([1, 2].into_iter(), std::iter::empty()), 3);
        // A plain init container larger than the app containers sets the request.
        assert_eq!(pod_requests([1].into_iter(), [(4, false)].into_iter()), 4);
        // A sidecar adds to the app containers: 1 + 1.
        assert_eq!(pod_requests([1].into_iter(), [(1, true)].into_iter()), 2);
        // Sidecars 1, 2, 3 and an app container of 1: 7.
        assert_eq!(pod_requests([1].into_iter(), [(1, true), (2, true), (3, true)].into_iter()), 7);
        // Init 5, sidecar 1, sidecar 2, init 5, sidecar 3, app 1: the second init container runs
        // beside sidecars of 3, so the init phase peaks at 8, above the 7 that runs afterwards.
        let init = [(5, false), (1, true), (2, true), (5, false), (3, true)];
        assert_eq!(pod_requests([1].into_iter(), init.into_iter()), 8);
        // A sidecar started after a large init container does not add to it.
        assert_eq!(pod_requests([1].into_iter(), [(10, false), (2, true)].into_iter()), 10);
    }

    #[test]
    fn resolve_fenceposts_as_upstream() {
        // deployment_util_test.go TestResolveFenceposts, by number. A nil value is 0 there, as
        // here. Cases 2 ("oops") and 3 ("urg") are strings that are not percentages: a scenario
        // file with one is refused when it is read (tests/malformed/bad-surge.ron).
        let p = IntOrPercent::Percent;
        let zero = IntOrPercent::Int(0);
        for (num, surge, unavailable, desired, expected) in [
            (0, p(0), p(0), 0, (0, 1)),
            (1, p(39), p(39), 10, (4, 3)),
            (4, zero, p(39), 10, (0, 3)),
            (5, p(39), zero, 10, (4, 0)),
            (6, zero, zero, 10, (0, 1)),
        ] {
            assert_eq!(resolve_fenceposts(surge, unavailable, desired), expected, "#{num}");
        }
    }

    #[test]
    fn fenceposts_round_surge_up_and_unavailable_down() {
        // deployment_util.go ResolveFenceposts: 25% of 10 → surge ceil(2.5) = 3, unavailable floor(2.5) = 2.
        assert_eq!(resolve_fenceposts(IntOrPercent::Percent(25), IntOrPercent::Percent(25), 10), (3, 2));
        // 25% of 1: surge ceil(0.25) = 1, unavailable floor(0.25) = 0.
        assert_eq!(resolve_fenceposts(IntOrPercent::Percent(25), IntOrPercent::Percent(25), 1), (1, 0));
        // Both zero: unavailable becomes 1 so that a rollout can progress.
        assert_eq!(resolve_fenceposts(IntOrPercent::Int(0), IntOrPercent::Percent(0), 10), (0, 1));
        assert_eq!(resolve_fenceposts(IntOrPercent::Int(0), IntOrPercent::Percent(5), 10), (0, 1));
        assert_eq!(resolve_fenceposts(IntOrPercent::Int(2), IntOrPercent::Int(0), 10), (2, 0));
        // A surge above 100 %: 150 % of 4 = 6 extra pods, so a rollout starts every new pod at once.
        assert_eq!(resolve_fenceposts(IntOrPercent::Percent(150), IntOrPercent::Int(0), 4), (6, 0));
        assert_eq!(IntOrPercent::Percent(u32::MAX).scaled(u32::MAX, true), u32::MAX);
    }

    #[test]
    fn tolerations_follow_tolerates_taint() {
        let taint = Taint { key: "dedicated".into(), value: "db".into(), effect: TaintEffect::NoSchedule };
        let t = |key: &str, op, value: &str, effect| Toleration {
            key: key.into(),
            operator: op,
            value: value.into(),
            effect,
            toleration_seconds: None,
        };
        assert!(t("dedicated", TolerationOperator::Equal, "db", Some(TaintEffect::NoSchedule)).tolerates(&taint));
        assert!(t("dedicated", TolerationOperator::Exists, "", None).tolerates(&taint));
        assert!(t("", TolerationOperator::Exists, "", None).tolerates(&taint));
        assert!(!t("dedicated", TolerationOperator::Equal, "web", None).tolerates(&taint));
        assert!(!t("dedicated", TolerationOperator::Exists, "", Some(TaintEffect::NoExecute)).tolerates(&taint));
    }
}
