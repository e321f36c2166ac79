//! NodeResourcesFit (`plugins/noderesources`). Filter (`fit.go`): the pod's
//! requests must fit in what the node has left of its allocatable CPU,
//! memory, pod slots and extended resources; a request larger than the
//! node's whole allocatable is unresolvable, no preemption could help.
//! Score, by the profile's scoring strategy (`least_allocated.go`,
//! `most_allocated.go`, `requested_to_capacity_ratio.go`,
//! `resource_allocation.go`): per resource, from the node's requests *including the incoming pod*, with
//! zero CPU and memory requests counted at 100m / 200 MB; an extended
//! resource the pod does not request, and a resource the node has none of,
//! are left out; then a weighted mean, in integer maths.

use std::borrow::Cow;

use crate::behaviours::scheduler::{MAX_NODE_SCORE, NodeInfo, PodInfo, Rejection, Resources};
use crate::model::scheduler_profile::{ScoringStrategy, ScoringStrategyType, UtilizationShapePoint};

/// A resource the scoring strategies weigh: CPU, memory, one of the
/// scenario's extended resources (by index), or a resource no node here has
/// (ephemeral-storage, an extended resource nobody names), which every node
/// has none of and so is left out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResourceName {
    Cpu,
    Memory,
    Scalar(usize),
    Absent,
}

impl ResourceName {
    /// The resource named `name`, `extended` being the scenario's extended resources.
    pub fn from_name(name: &str, extended: &[String]) -> Self {
        match name {
            "cpu" => ResourceName::Cpu,
            "memory" => ResourceName::Memory,
            _ => extended.iter().position(|e| e == name).map_or(ResourceName::Absent, ResourceName::Scalar),
        }
    }

    /// (requested, allocatable) on `node` of this resource, for `calculateResourceAllocatableRequest`.
    fn of(self, requested: &Resources, allocatable: &Resources) -> (i64, i64) {
        match self {
            ResourceName::Cpu => (requested.milli_cpu, allocatable.milli_cpu),
            ResourceName::Memory => (requested.memory, allocatable.memory),
            ResourceName::Scalar(i) => (requested.scalar[i], allocatable.scalar[i]),
            ResourceName::Absent => (0, 0),
        }
    }
}

/// `calculateResourceAllocatableRequest`: (node's requests with the pod's,
/// allocatable) of a resource; (0, 0), which leaves it out, for an
/// extended resource the pod does not request.
pub fn allocatable_request(
    name: ResourceName,
    pod: &Resources,
    node: &Resources,
    allocatable: &Resources,
) -> (i64, i64) {
    let (pod_request, _) = name.of(pod, allocatable);
    if pod_request == 0 && matches!(name, ResourceName::Scalar(_)) {
        return (0, 0);
    }
    let (requested, allocatable) = name.of(node, allocatable);
    (requested + pod_request, allocatable)
}

/// Filter reasons, as bits of [`Rejection::Fit`]: pods, CPU, memory, then
/// one bit per extended resource.
pub const TOO_MANY_PODS: u8 = 1;
pub const INSUFFICIENT_CPU: u8 = 2;
pub const INSUFFICIENT_MEMORY: u8 = 4;
const INSUFFICIENT_SCALAR: u8 = 8;
/// And one more, no reason of its own: the pod asks for more of some
/// resource than the node's whole allocatable, so no preemption could make
/// room (`InsufficientResource.Unresolvable`, UnschedulableAndUnresolvable
/// since kube-scheduler v1.34). A full node's pod slots stay resolvable.
pub const UNRESOLVABLE: u8 = 128;
const _: () = assert!((INSUFFICIENT_SCALAR as usize) << (crate::model::kube::MAX_EXTENDED_RESOURCES - 1) < 128);

/// The reasons a [`Rejection::Fit`] stands for, in kube-scheduler's words
/// and order; `extended` names the scenario's extended resources.
pub fn reasons(bits: u8, extended: &[String]) -> impl Iterator<Item = Cow<'static, str>> + '_ {
    [
        (TOO_MANY_PODS, "Too many pods"),
        (INSUFFICIENT_CPU, "Insufficient cpu"),
        (INSUFFICIENT_MEMORY, "Insufficient memory"),
    ]
    .into_iter()
    .filter(move |(bit, _)| bits & bit != 0)
    .map(|(_, r)| Cow::Borrowed(r))
    .chain(
        extended
            .iter()
            .enumerate()
            .filter(move |(i, _)| bits & (INSUFFICIENT_SCALAR << i) != 0)
            .map(|(_, name)| Cow::Owned(format!("Insufficient {name}"))),
    )
}

/// `fitsRequest`: what the pod asks for against what the node has left;
/// [`UNRESOLVABLE`] set when some request exceeds the node's allocatable.
pub fn filter(pod: &PodInfo, node: &NodeInfo) -> Option<Rejection> {
    fits_request(pod, &node.allocatable, &node.requested)
}

/// [`filter`] on a node of `allocatable` whose pods request `requested`.
#[inline]
pub fn fits_request(pod: &PodInfo, allocatable: &Resources, requested: &Resources) -> Option<Rejection> {
    let mut bits = 0;
    if requested.pods + 1 > allocatable.pods {
        bits |= TOO_MANY_PODS;
    }
    // Whether `want` does not fit in what is left of `allocatable`, and whether it exceeds all of it.
    let mut check = |want: i64, allocatable: i64, requested: i64, bit: u8| {
        if want > 0 && want > allocatable - requested {
            bits |= bit;
            if want > allocatable {
                bits |= UNRESOLVABLE;
            }
        }
    };
    check(pod.requests.milli_cpu, allocatable.milli_cpu, requested.milli_cpu, INSUFFICIENT_CPU);
    check(pod.requests.memory, allocatable.memory, requested.memory, INSUFFICIENT_MEMORY);
    for (i, &want) in pod.requests.scalar.iter().enumerate() {
        check(want, allocatable.scalar[i], requested.scalar[i], INSUFFICIENT_SCALAR << i);
    }
    (bits != 0).then_some(Rejection::Fit(bits))
}

/// The score side, with its scoring strategy.
#[derive(Clone, Debug)]
pub struct Fit {
    kind: ScoringStrategyType,
    resources: Vec<(ResourceName, i64)>,
    /// RequestedToCapacityRatio's shape, scores scaled to 0–100.
    shape: Vec<UtilizationShapePoint>,
}

/// `maxUtilization` and `MaxCustomPriorityScore` of requested_to_capacity_ratio.go.
const MAX_UTILIZATION: i64 = 100;
const MAX_CUSTOM_PRIORITY_SCORE: i64 = 10;

impl Fit {
    /// The strategy's scorer; `extended` names the scenario's extended resources.
    pub fn new(strategy: &ScoringStrategy, extended: &[String]) -> Self {
        Fit {
            kind: strategy.kind,
            resources: strategy.resources.iter().map(|(n, w)| (ResourceName::from_name(n, extended), *w)).collect(),
            shape: strategy
                .shape
                .iter()
                .map(|p| UtilizationShapePoint {
                    utilization: p.utilization,
                    score: p.score * (MAX_NODE_SCORE / MAX_CUSTOM_PRIORITY_SCORE),
                })
                .collect(),
        }
    }

    /// (requested including the pod, allocatable) for a resource, CPU and
    /// memory with missing requests at the defaults.
    fn resource(name: ResourceName, pod: &PodInfo, node: &NodeInfo) -> (i64, i64) {
        allocatable_request(name, &pod.score_requests, &node.non_zero_requested, &node.allocatable)
    }

    pub fn score(&self, pod: &PodInfo, node: &NodeInfo) -> i64 {
        let (mut node_score, mut weight_sum) = (0i64, 0i64);
        match self.kind {
            ScoringStrategyType::LeastAllocated | ScoringStrategyType::MostAllocated => {
                for &(name, weight) in &self.resources {
                    let (requested, allocatable) = Fit::resource(name, pod, node);
                    if allocatable == 0 {
                        continue;
                    }
                    let s = if self.kind == ScoringStrategyType::LeastAllocated {
                        least_requested_score(requested, allocatable)
                    } else {
                        most_requested_score(requested, allocatable)
                    };
                    node_score += s * weight;
                    weight_sum += weight;
                }
                if weight_sum == 0 { 0 } else { node_score / weight_sum }
            }
            ScoringStrategyType::RequestedToCapacityRatio => {
                for &(name, weight) in &self.resources {
                    let (requested, capacity) = Fit::resource(name, pod, node);
                    if capacity == 0 {
                        continue;
                    }
                    let s = if requested > capacity {
                        broken_linear(&self.shape, MAX_UTILIZATION)
                    } else {
                        broken_linear(&self.shape, requested * MAX_UTILIZATION / capacity)
                    };
                    if s > 0 {
                        node_score += s * weight;
                        weight_sum += weight;
                    }
                }
                if weight_sum == 0 { 0 } else { libm::round(node_score as f64 / weight_sum as f64) as i64 }
            }
        }
    }
}

/// `leastRequestedScore`: the share left free, 0–100.
pub fn least_requested_score(requested: i64, capacity: i64) -> i64 {
    if capacity == 0 || requested > capacity {
        return 0;
    }
    (capacity - requested) * MAX_NODE_SCORE / capacity
}

/// `mostRequestedScore`: the share used, 0–100.
pub fn most_requested_score(requested: i64, capacity: i64) -> i64 {
    if capacity == 0 {
        return 0;
    }
    requested.min(capacity) * MAX_NODE_SCORE / capacity
}

/// `helper.BuildBrokenLinearFunction` over the shape with scores already scaled to 0–100.
pub fn broken_linear(shape: &[UtilizationShapePoint], p: i64) -> i64 {
    for (i, point) in shape.iter().enumerate() {
        if p <= point.utilization {
            if i == 0 {
                return point.score;
            }
            let prev = shape[i - 1];
            return prev.score
                + (point.score - prev.score) * (p - prev.utilization) / (point.utilization - prev.utilization);
        }
    }
    shape.last().map(|p| p.score).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::behaviours::scheduler::{Resources, Verdict};

    const MI: i64 = 1024 * 1024;

    fn node(cpu: i64, mem: i64, used_cpu: i64, used_mem: i64) -> NodeInfo {
        let used = Resources { milli_cpu: used_cpu, memory: used_mem, pods: 0, ..Resources::default() };
        NodeInfo {
            allocatable: Resources { milli_cpu: cpu, memory: mem, pods: 110, ..Resources::default() },
            requested: used,
            non_zero_requested: used,
            ..NodeInfo::default()
        }
    }

    fn pod(cpu: i64, mem: i64) -> PodInfo {
        PodInfo::default().with_container_requests(&[(Some(cpu), Some(mem))], &[])
    }

    fn strategy(kind: ScoringStrategyType) -> ScoringStrategy {
        ScoringStrategy { kind, resources: vec![("cpu".into(), 1), ("memory".into(), 1)], shape: Vec::new() }
    }

    #[test]
    fn least_allocated_matches_the_kubernetes_test_case() {
        // least_allocated_test.go "nothing scheduled, resources requested, differently sized nodes":
        // pod 3000m / 5000, node1 4000m / 10000, node2 6000m / 10000.
        // node1: cpu (4000−3000)·100/4000 = 25, memory (10000−5000)·100/10000 = 50 → (25+50)/2 = 37.
        // node2: cpu (6000−3000)·100/6000 = 50, memory 50 → 50.
        let f = Fit::new(&strategy(ScoringStrategyType::LeastAllocated), &[]);
        let p = pod(3000, 5000);
        assert_eq!(f.score(&p, &node(4000, 10000, 0, 0)), 37);
        assert_eq!(f.score(&p, &node(6000, 10000, 0, 0)), 50);
    }

    #[test]
    fn least_allocated_with_pods_already_scheduled_and_weights() {
        // least_allocated_test.go "resources requested, pods scheduled with resources": pod 3000/5000,
        // nodes 10000/20000; node1 has 3000/0: cpu (10000−6000)·100/10000 = 40, memory 75 → 57;
        // node2 has 3000/5000: 40 and 50 → 45.
        let f = Fit::new(&strategy(ScoringStrategyType::LeastAllocated), &[]);
        let p = pod(3000, 5000);
        assert_eq!(f.score(&p, &node(10000, 20000, 3000, 0)), 57);
        assert_eq!(f.score(&p, &node(10000, 20000, 3000, 5000)), 45);
        // "… different weight on CPU and memory": memory weight 2: node1 (25 + 2·50)/3 = 41.
        let weighted = Fit::new(
            &ScoringStrategy {
                kind: ScoringStrategyType::LeastAllocated,
                resources: vec![("cpu".into(), 1), ("memory".into(), 2)],
                shape: Vec::new(),
            },
            &[],
        );
        assert_eq!(weighted.score(&p, &node(4000, 10000, 0, 0)), 41);
    }

    #[test]
    fn most_allocated_matches_the_kubernetes_test_cases() {
        // most_allocated_test.go "nothing scheduled, resources requested, differently sized nodes":
        // pod 3000/5000; node1 4000/10000: cpu 3000·100/4000 = 75, memory 50 → 62; node2 6000/10000: 50, 50 → 50.
        let f = Fit::new(&strategy(ScoringStrategyType::MostAllocated), &[]);
        let p = pod(3000, 5000);
        assert_eq!(f.score(&p, &node(4000, 10000, 0, 0)), 62);
        assert_eq!(f.score(&p, &node(6000, 10000, 0, 0)), 50);
        // "resources requested equal node capacity": pod 5000/9000; node1 5000/10000 → 100 and 90 → 95;
        // node2 10000/9000 → 50 and 100 → 75.
        let p = pod(5000, 9000);
        assert_eq!(f.score(&p, &node(5000, 10000, 0, 0)), 95);
        assert_eq!(f.score(&p, &node(10000, 9000, 0, 0)), 75);
    }

    #[test]
    fn missing_requests_count_at_the_defaults_when_scoring() {
        // A pod that names no request counts as 100m and 200 MiB: on 1000m / 1000 MiB,
        // cpu (1000−100)·100/1000 = 90, memory (1000−200)·100/1000 = 80 → 85.
        let f = Fit::new(&strategy(ScoringStrategyType::LeastAllocated), &[]);
        let unset = PodInfo::default().with_container_requests(&[(None, None)], &[]);
        assert_eq!(f.score(&unset, &node(1000, 1000 * MI, 0, 0)), 85);
        // An explicit 0 stays 0 (NonMissingContainerRequests): the whole node is free → 100.
        assert_eq!(f.score(&pod(0, 0), &node(1000, 1000 * MI, 0, 0)), 100);
        // One resource missing, the other explicit: cpu 0 → 100, memory 200 MiB → 80 → 90.
        let cpu_only = PodInfo::default().with_container_requests(&[(Some(0), None)], &[]);
        assert_eq!(f.score(&cpu_only, &node(1000, 1000 * MI, 0, 0)), 90);
    }

    #[test]
    fn pod_level_requests_replace_the_containers_and_their_defaults() {
        // calculateResource and calculatePodResourceRequest with pod-level
        // requests of 1500m CPU and none of memory, over a container naming
        // 64 MiB and one naming nothing.
        let pod =
            PodInfo::default().with_pod_requests(&[(Some(100), Some(64 * MI)), (None, None)], &[], (Some(1500), None));
        assert_eq!((pod.requests.milli_cpu, pod.requests.memory), (1500, 64 * MI));
        // The cache: a container names memory, so no default is added for the other.
        assert_eq!((pod.non_zero_requests.milli_cpu, pod.non_zero_requests.memory), (1500, 64 * MI));
        // Score for the pod being placed: every missing container key at its default.
        assert_eq!((pod.score_requests.milli_cpu, pod.score_requests.memory), (1500, 264 * MI));
        // No container names memory: the cache counts the default for each container.
        let unnamed = PodInfo::default().with_pod_requests(&[(None, None), (None, None)], &[], (Some(1500), None));
        assert_eq!(unnamed.requests.memory, 0);
        assert_eq!(unnamed.non_zero_requests.memory, 400 * MI);
        assert_eq!(unnamed.score_requests.memory, 400 * MI);
        // Without pod-level requests the three agree with the plain defaults.
        let plain = PodInfo::default().with_container_requests(&[(Some(100), Some(64 * MI)), (None, None)], &[]);
        assert_eq!(plain.non_zero_requests, plain.score_requests);
        assert_eq!((plain.non_zero_requests.milli_cpu, plain.non_zero_requests.memory), (200, 264 * MI));
    }

    /// A node of `cpu` / `mem` with `gpus` extended resource 0, `used` of them requested.
    fn gpu_node(cpu: i64, mem: i64, gpus: i64, used: i64) -> NodeInfo {
        let mut n = node(cpu, mem, 0, 0);
        n.allocatable.scalar[0] = gpus;
        n.requested.scalar[0] = used;
        n.non_zero_requested.scalar[0] = used;
        n
    }

    fn gpu_pod(cpu: i64, mem: i64, gpus: i64) -> PodInfo {
        let mut p = pod(cpu, mem);
        p.requests.scalar[0] = gpus;
        p.non_zero_requests.scalar[0] = gpus;
        p.score_requests.scalar[0] = gpus;
        p
    }

    #[test]
    fn an_extended_resource_must_fit_what_the_node_has_left() {
        // fit_test.go "extended resource fits" / "extended resource capacity enforced".
        let extended = ["nvidia.com/gpu".to_string()];
        let n = gpu_node(4000, 4000, 4, 3);
        assert_eq!(filter(&gpu_pod(100, 100, 1), &n), None);
        let Some(Rejection::Fit(bits)) = filter(&gpu_pod(100, 100, 2), &n) else { panic!("2 GPUs on 1 left") };
        assert_eq!(reasons(bits, &extended).collect::<Vec<_>>(), ["Insufficient nvidia.com/gpu"]);
        // A pod that asks for none fits a node without any.
        assert_eq!(filter(&pod(100, 100), &node(4000, 4000, 0, 0)), None);
        // And one that asks for one does not.
        let Some(Rejection::Fit(bits)) = filter(&gpu_pod(5000, 100, 1), &node(4000, 4000, 0, 0)) else { panic!() };
        assert_eq!(reasons(bits, &extended).collect::<Vec<_>>(), ["Insufficient cpu", "Insufficient nvidia.com/gpu"]);
    }

    #[test]
    fn an_extended_resource_is_scored_only_for_pods_that_request_it() {
        // LeastAllocated over cpu, memory and nvidia.com/gpu (weight 2), as resource_allocation.go
        // calculateResourceAllocatableRequest: a pod that requests no GPU leaves the GPU out.
        let extended = ["nvidia.com/gpu".to_string()];
        let f = Fit::new(
            &ScoringStrategy {
                kind: ScoringStrategyType::LeastAllocated,
                resources: vec![("cpu".into(), 1), ("memory".into(), 1), ("nvidia.com/gpu".into(), 2)],
                shape: Vec::new(),
            },
            &extended,
        );
        let n = gpu_node(4000, 10000, 4, 1);
        // cpu (4000 − 2000)·100/4000 = 50, memory (10000 − 5000)·100/10000 = 50 → 50; the GPU is not counted.
        assert_eq!(f.score(&pod(2000, 5000), &n), 50);
        // With 1 GPU: gpu (4 − 2)·100/4 = 50 → (50 + 50 + 2·50)/4 = 50; with 3: gpu 0 → (50 + 50)/4 = 25.
        assert_eq!(f.score(&gpu_pod(2000, 5000, 1), &n), 50);
        assert_eq!(f.score(&gpu_pod(2000, 5000, 3), &n), 25);
        // A node without the resource leaves it out (allocatable 0): cpu and memory only.
        assert_eq!(f.score(&gpu_pod(2000, 5000, 1), &node(4000, 10000, 0, 0)), 50);
        // A resource no node has (ephemeral-storage here) is left out everywhere.
        let g = Fit::new(
            &ScoringStrategy {
                kind: ScoringStrategyType::MostAllocated,
                resources: vec![("cpu".into(), 1), ("ephemeral-storage".into(), 5)],
                shape: Vec::new(),
            },
            &extended,
        );
        assert_eq!(g.score(&pod(1000, 0), &node(4000, 10000, 0, 0)), 25);
    }

    #[test]
    fn filter_names_every_insufficient_resource() {
        let n = node(1000, 1000, 800, 900);
        let reasons = |r: Option<Rejection>| match r {
            Some(Rejection::Fit(bits)) => reasons(bits, &[]).collect::<Vec<_>>(),
            _ => Vec::new(),
        };
        assert_eq!(reasons(filter(&pod(500, 200), &n)), ["Insufficient cpu", "Insufficient memory"]);
        assert_eq!(filter(&pod(200, 100), &n), None);
        let full = NodeInfo { requested: Resources { pods: 110, ..Resources::default() }, ..node(1000, 1000, 0, 0) };
        assert_eq!(reasons(filter(&pod(1, 1), &full)), ["Too many pods"]);
    }

    /// One container's requests in an upstream test: cpu in millicores, memory in bytes.
    type Req = (Option<i64>, Option<i64>);

    /// A case of `TestLeastAllocatedScoringStrategy`,
    /// `TestMostAllocatedScoringStrategy` or one of requested_to_capacity_ratio_test.go's.
    #[derive(Default)]
    struct ScoringCase {
        name: &'static str,
        /// The requested pod's containers (`st.MakePod().Req(…).Req(…)`).
        pod: &'static [Req],
        /// Node capacities: millicores, bytes.
        nodes: &'static [(i64, i64)],
        /// Pods already bound: the node's position, the pod's containers.
        existing: &'static [(usize, &'static [Req])],
        resources: &'static [(&'static str, i64)],
        expected: &'static [i64],
        /// The extended resources the requested pod asks for: (name, amount).
        pod_extended: &'static [(&'static str, i64)],
        /// The nodes' extended resources: (the node's position, name, amount).
        node_extended: &'static [(usize, &'static str, i64)],
        /// The extended resources the bound pods ask for: (the node's position, name, amount).
        existing_extended: &'static [(usize, &'static str, i64)],
        /// RequestedToCapacityRatio's shape: (utilization, score).
        shape: &'static [(i64, i64)],
    }

    /// Upstream writes `"cpu": "4000"`: 4000 cores.
    const fn cores(n: i64) -> Option<i64> {
        Some(n * 1000)
    }

    const DEFAULT_RESOURCES: &[(&str, i64)] = &[("cpu", 1), ("memory", 1)];
    /// Upstream's `extendedRes` and `extendedResourceSet` (test_util.go).
    const EXTENDED_RES: &str = "abc.com/xyz";
    const EXTENDED_RESOURCE_SET: &[(&str, i64)] = &[("cpu", 1), ("memory", 1), (EXTENDED_RES, 1)];

    /// The scores of `kind` over a case's nodes, the existing pods added to
    /// each node as the cache's `AddPod` does. The scenario's extended
    /// resources are those the case's nodes and pods name.
    fn scores_of(kind: ScoringStrategyType, case: &ScoringCase) -> Vec<i64> {
        let mut extended: Vec<String> = Vec::new();
        let named = case.pod_extended.iter().map(|&(name, _)| name);
        let named = named.chain(case.node_extended.iter().chain(case.existing_extended).map(|&(_, name, _)| name));
        for name in named {
            if !extended.iter().any(|e| e == name) {
                extended.push(name.to_string());
            }
        }
        let index = |name: &str| extended.iter().position(|e| e == name).expect("named");
        let fit = Fit::new(
            &ScoringStrategy {
                kind,
                resources: case.resources.iter().map(|&(n, w)| (n.to_string(), w)).collect(),
                shape: case
                    .shape
                    .iter()
                    .map(|&(utilization, score)| UtilizationShapePoint { utilization, score })
                    .collect(),
            },
            &extended,
        );
        let mut pod = PodInfo::default().with_container_requests(case.pod, &[]);
        for &(name, amount) in case.pod_extended {
            pod.requests.scalar[index(name)] += amount;
            pod.non_zero_requests.scalar[index(name)] += amount;
            pod.score_requests.scalar[index(name)] += amount;
        }
        case.nodes
            .iter()
            .enumerate()
            .map(|(i, &(cpu, memory))| {
                let mut node = node(cpu, memory, 0, 0);
                for (_, containers) in case.existing.iter().filter(|(at, _)| *at == i) {
                    let p = PodInfo::default().with_container_requests(containers, &[]);
                    node.requested.milli_cpu += p.requests.milli_cpu;
                    node.requested.memory += p.requests.memory;
                    node.non_zero_requested.milli_cpu += p.non_zero_requests.milli_cpu;
                    node.non_zero_requested.memory += p.non_zero_requests.memory;
                }
                for &(_, name, amount) in case.node_extended.iter().filter(|(at, _, _)| *at == i) {
                    node.allocatable.scalar[index(name)] = amount;
                }
                for &(_, name, amount) in case.existing_extended.iter().filter(|(at, _, _)| *at == i) {
                    node.requested.scalar[index(name)] += amount;
                    node.non_zero_requested.scalar[index(name)] += amount;
                }
                fit.score(&pod, &node)
            })
            .collect()
    }

    /// The two containers most upstream cases request: 1000/2000 and 2000/3000.
    const TWO_CONTAINERS: &[Req] = &[(cores(1000), Some(2000)), (cores(2000), Some(3000))];
    const CPU_3000_MEMORY_0: &[Req] = &[(cores(3000), Some(0))];
    const CPU_3000_MEMORY_5000: &[Req] = &[(cores(3000), Some(5000))];
    const CPU_3000_MEMORY_4000: &[Req] = &[(cores(3000), Some(4000))];
    const CAPACITY_REQUEST: &[Req] = &[(cores(2000), Some(4000)), (cores(3000), Some(5000))];

    /// `TestLeastAllocatedScoringStrategy` (least_allocated_test.go): 16
    /// cases upstream, 12 here. Not here: "Resources not set, pods scheduled
    /// with error" (a scenario's scoring strategy without resources takes cpu
    /// and memory at weight 1, as the v1 API's defaulting does, so Score
    /// never sees none); "resource with negative weight", "resource with
    /// zero weight" and "resource weight larger than MaxNodeScore", which
    /// test NewFit's validation: they are
    /// `scoring_strategy_weights_are_validated_as_upstream` in
    /// `scenario::scheduler_config`.
    #[test]
    fn test_least_allocated_scoring_strategy() {
        let cases = [
            ScoringCase {
                name: "nothing scheduled, nothing requested",
                pod: &[],
                nodes: &[(4_000_000, 10000), (4_000_000, 10000)],
                existing: &[],
                resources: DEFAULT_RESOURCES,
                expected: &[100, 100],
                ..ScoringCase::default()
            },
            ScoringCase {
                name: "nothing scheduled, resources requested, differently sized nodes",
                pod: TWO_CONTAINERS,
                nodes: &[(4_000_000, 10000), (6_000_000, 10000)],
                existing: &[],
                resources: DEFAULT_RESOURCES,
                expected: &[37, 50],
                ..ScoringCase::default()
            },
            ScoringCase {
                name: "no resources requested, pods scheduled",
                pod: &[],
                nodes: &[(4_000_000, 10000), (4_000_000, 10000)],
                existing: &[(0, &[]), (0, &[]), (1, &[]), (1, &[])],
                resources: DEFAULT_RESOURCES,
                expected: &[100, 100],
                ..ScoringCase::default()
            },
            ScoringCase {
                name: "no resources requested, pods scheduled with resources",
                pod: &[],
                nodes: &[(10_000_000, 20000), (10_000_000, 20000)],
                existing: &[
                    (0, CPU_3000_MEMORY_0),
                    (0, CPU_3000_MEMORY_0),
                    (1, CPU_3000_MEMORY_0),
                    (1, CPU_3000_MEMORY_5000),
                ],
                resources: DEFAULT_RESOURCES,
                expected: &[70, 57],
                ..ScoringCase::default()
            },
            ScoringCase {
                name: "resources requested, pods scheduled with resources",
                pod: TWO_CONTAINERS,
                nodes: &[(10_000_000, 20000), (10_000_000, 20000)],
                existing: &[(0, CPU_3000_MEMORY_0), (1, CPU_3000_MEMORY_5000)],
                resources: DEFAULT_RESOURCES,
                expected: &[57, 45],
                ..ScoringCase::default()
            },
            ScoringCase {
                name: "resources requested, pods scheduled with resources, differently sized nodes",
                pod: TWO_CONTAINERS,
                nodes: &[(10_000_000, 20000), (10_000_000, 50000)],
                existing: &[(0, CPU_3000_MEMORY_0), (1, CPU_3000_MEMORY_5000)],
                resources: DEFAULT_RESOURCES,
                expected: &[57, 60],
                ..ScoringCase::default()
            },
            ScoringCase {
                name: "requested resources exceed node capacity",
                pod: CPU_3000_MEMORY_0,
                nodes: &[(4_000_000, 10000), (4_000_000, 10000)],
                existing: &[(0, CPU_3000_MEMORY_0), (1, CPU_3000_MEMORY_5000)],
                resources: DEFAULT_RESOURCES,
                expected: &[50, 25],
                ..ScoringCase::default()
            },
            ScoringCase {
                name: "zero node resources, pods scheduled with resources",
                pod: &[],
                nodes: &[(0, 0), (0, 0)],
                existing: &[(0, CPU_3000_MEMORY_0), (1, CPU_3000_MEMORY_5000)],
                resources: DEFAULT_RESOURCES,
                expected: &[0, 0],
                ..ScoringCase::default()
            },
            ScoringCase {
                name: "nothing scheduled, resources requested with different weight on CPU and memory, differently sized nodes",
                pod: TWO_CONTAINERS,
                nodes: &[(4_000_000, 10000), (6_000_000, 10000)],
                existing: &[],
                resources: &[("memory", 2), ("cpu", 1)],
                expected: &[41, 50],
                ..ScoringCase::default()
            },
            ScoringCase {
                name: "bypass extended resource if the pod does not request",
                pod: TWO_CONTAINERS,
                nodes: &[(6_000_000, 10000), (6_000_000, 10000)],
                node_extended: &[(1, EXTENDED_RES, 4)],
                resources: EXTENDED_RESOURCE_SET,
                expected: &[50, 50],
                ..ScoringCase::default()
            },
            ScoringCase {
                name: "honor extended resource if the pod requests",
                pod: CPU_3000_MEMORY_5000,
                pod_extended: &[(EXTENDED_RES, 2)],
                nodes: &[(6_000_000, 10000), (6_000_000, 10000)],
                node_extended: &[(0, EXTENDED_RES, 4), (1, EXTENDED_RES, 10)],
                resources: EXTENDED_RESOURCE_SET,
                expected: &[50, 60],
                ..ScoringCase::default()
            },
            ScoringCase {
                name: "if the node doesn't have a resource",
                pod: CPU_3000_MEMORY_4000,
                nodes: &[(6_000_000, 10000), (6_000_000, 10000)],
                node_extended: &[(1, EXTENDED_RES, 4)],
                resources: &[(EXTENDED_RES, 2), ("cpu", 1), ("memory", 1)],
                expected: &[55, 55],
                ..ScoringCase::default()
            },
        ];
        for case in &cases {
            assert_eq!(scores_of(ScoringStrategyType::LeastAllocated, case), case.expected, "{}", case.name);
        }
    }

    /// `TestMostAllocatedScoringStrategy` (most_allocated_test.go): 14 cases
    /// upstream, 10 here; left out as for the LeastAllocated table: "Resources
    /// not set, pods scheduled with error" and the three weight cases
    /// (validation, in `scoring_strategy_weights_are_validated_as_upstream`).
    #[test]
    fn test_most_allocated_scoring_strategy() {
        const MI: i64 = 1024 * 1024;
        let cases = [
            ScoringCase {
                name: "nothing scheduled, nothing requested",
                pod: &[],
                nodes: &[(4_000_000, 10000), (4_000_000, 10000)],
                existing: &[],
                resources: DEFAULT_RESOURCES,
                expected: &[0, 0],
                ..ScoringCase::default()
            },
            ScoringCase {
                name: "nothing scheduled, resources requested, differently sized nodes",
                pod: TWO_CONTAINERS,
                nodes: &[(4_000_000, 10000), (6_000_000, 10000)],
                existing: &[],
                resources: DEFAULT_RESOURCES,
                expected: &[62, 50],
                ..ScoringCase::default()
            },
            ScoringCase {
                name: "no resources requested, pods scheduled with resources",
                pod: &[],
                nodes: &[(10_000_000, 20000), (10_000_000, 20000)],
                existing: &[
                    (0, CPU_3000_MEMORY_0),
                    (0, CPU_3000_MEMORY_0),
                    (1, CPU_3000_MEMORY_0),
                    (1, CPU_3000_MEMORY_5000),
                ],
                resources: DEFAULT_RESOURCES,
                expected: &[30, 42],
                ..ScoringCase::default()
            },
            ScoringCase {
                name: "resources requested, pods scheduled with resources",
                pod: TWO_CONTAINERS,
                nodes: &[(10_000_000, 20000), (10_000_000, 20000)],
                existing: &[(0, CPU_3000_MEMORY_0), (1, CPU_3000_MEMORY_5000)],
                resources: DEFAULT_RESOURCES,
                expected: &[42, 55],
                ..ScoringCase::default()
            },
            ScoringCase {
                name: "resources requested equal node capacity",
                pod: CAPACITY_REQUEST,
                nodes: &[(5_000_000, 10000), (10_000_000, 9000)],
                existing: &[],
                resources: DEFAULT_RESOURCES,
                expected: &[95, 75],
                ..ScoringCase::default()
            },
            ScoringCase {
                // Upstream gives this name twice; this is the weighted one.
                name: "nothing scheduled, resources requested, differently sized nodes",
                pod: TWO_CONTAINERS,
                nodes: &[(4_000_000, 10000), (6_000_000, 10000)],
                existing: &[],
                resources: &[("memory", 2), ("cpu", 1)],
                expected: &[58, 50],
                ..ScoringCase::default()
            },
            ScoringCase {
                name: "no resources requested, pods scheduled, nonzero request for resource",
                pod: &[(None, None)],
                nodes: &[(250, 1000 * MI), (250, 1000 * MI)],
                existing: &[(0, &[(None, None)]), (0, &[(None, None)])],
                resources: DEFAULT_RESOURCES,
                expected: &[80, 30],
                ..ScoringCase::default()
            },
            ScoringCase {
                name: "bypass extended resource if the pod does not request",
                pod: TWO_CONTAINERS,
                nodes: &[(6_000_000, 10000), (6_000_000, 10000)],
                node_extended: &[(1, EXTENDED_RES, 4)],
                resources: EXTENDED_RESOURCE_SET,
                expected: &[50, 50],
                ..ScoringCase::default()
            },
            ScoringCase {
                name: "honor extended resource if the pod request",
                pod: CPU_3000_MEMORY_5000,
                pod_extended: &[(EXTENDED_RES, 2)],
                nodes: &[(6_000_000, 10000), (6_000_000, 10000)],
                node_extended: &[(0, EXTENDED_RES, 4), (1, EXTENDED_RES, 10)],
                resources: EXTENDED_RESOURCE_SET,
                expected: &[50, 40],
                ..ScoringCase::default()
            },
            ScoringCase {
                name: "if the node doesn't have a resource",
                pod: CPU_3000_MEMORY_4000,
                nodes: &[(6_000_000, 10000), (6_000_000, 10000)],
                node_extended: &[(1, EXTENDED_RES, 4)],
                resources: &[(EXTENDED_RES, 2), ("cpu", 1), ("memory", 1)],
                expected: &[45, 45],
                ..ScoringCase::default()
            },
        ];
        for case in &cases {
            assert_eq!(scores_of(ScoringStrategyType::MostAllocated, case), case.expected, "{}", case.name);
        }
    }

    /// requested_to_capacity_ratio_test.go's shape for its first table: 0 % → 10, 100 % → 0.
    const LEAST_REQUESTED_SHAPE: &[(i64, i64)] = &[(0, 10), (100, 0)];
    /// And for its bin-packing tables: 0 % → 0, 100 % → 1.
    const BIN_PACKING_SHAPE: &[(i64, i64)] = &[(0, 0), (100, 1)];
    const NO_CONTAINER: &[Req] = &[];
    /// `Req` of extended resources only: one container with no cpu or memory.
    const ONE_CONTAINER: &[Req] = &[(None, None)];

    /// `TestRequestedToCapacityRatioScoringStrategy`
    /// (requested_to_capacity_ratio_test.go), all 3 cases. Upstream's bound
    /// pods made with `st.MakePod().Obj()` have no containers, so request nothing.
    #[test]
    fn test_requested_to_capacity_ratio_scoring_strategy() {
        let cases = [
            ScoringCase {
                name: "nothing scheduled, nothing requested (default - least requested nodes have priority)",
                pod: NO_CONTAINER,
                nodes: &[(4_000_000, 10000), (4_000_000, 10000)],
                existing: &[(0, NO_CONTAINER), (0, NO_CONTAINER)],
                resources: DEFAULT_RESOURCES,
                shape: LEAST_REQUESTED_SHAPE,
                expected: &[100, 100],
                ..ScoringCase::default()
            },
            ScoringCase {
                name: "nothing scheduled, resources requested, differently sized nodes (default - least requested nodes have priority)",
                pod: TWO_CONTAINERS,
                nodes: &[(4_000_000, 10000), (6_000_000, 10000)],
                existing: &[(0, NO_CONTAINER), (0, NO_CONTAINER)],
                resources: DEFAULT_RESOURCES,
                shape: LEAST_REQUESTED_SHAPE,
                expected: &[38, 50],
                ..ScoringCase::default()
            },
            ScoringCase {
                name: "no resources requested, pods scheduled with resources (default - least requested nodes have priority)",
                pod: NO_CONTAINER,
                nodes: &[(4_000_000, 10000), (6_000_000, 10000)],
                existing: &[(0, CPU_3000_MEMORY_5000), (1, CPU_3000_MEMORY_5000)],
                resources: DEFAULT_RESOURCES,
                shape: LEAST_REQUESTED_SHAPE,
                expected: &[38, 50],
                ..ScoringCase::default()
            },
        ];
        for case in &cases {
            assert_eq!(scores_of(ScoringStrategyType::RequestedToCapacityRatio, case), case.expected, "{}", case.name);
        }
    }

    /// `TestBrokenLinearFunction` (requested_to_capacity_ratio_test.go), every
    /// point of its three shapes (upstream names them case_0 … case_2).
    #[test]
    fn test_broken_linear_function() {
        type Test = (&'static [(i64, i64)], &'static [(i64, i64)]);
        let tests: [Test; 3] = [
            (
                &[(10, 1), (90, 9)],
                &[
                    (-10, 1),
                    (0, 1),
                    (9, 1),
                    (10, 1),
                    (15, 1),
                    (19, 1),
                    (20, 2),
                    (89, 8),
                    (90, 9),
                    (99, 9),
                    (100, 9),
                    (110, 9),
                ],
            ),
            (
                &[(0, 2), (40, 10), (100, 0)],
                &[(-10, 2), (0, 2), (20, 6), (30, 8), (40, 10), (70, 5), (100, 0), (110, 0)],
            ),
            (&[(0, 2), (40, 2), (100, 2)], &[(-10, 2), (0, 2), (20, 2), (30, 2), (40, 2), (70, 2), (100, 2), (110, 2)]),
        ];
        for (i, (points, assertions)) in tests.iter().enumerate() {
            let shape: Vec<_> =
                points.iter().map(|&(utilization, score)| UtilizationShapePoint { utilization, score }).collect();
            for &(p, expected) in *assertions {
                assert_eq!(broken_linear(&shape, p), expected, "case_{i}, p={p}");
            }
        }
    }

    /// `TestResourceBinPackingSingleExtended` (requested_to_capacity_ratio_test.go),
    /// all 4 cases: RequestedToCapacityRatio over intel.com/foo alone, nodes of
    /// 4000m, 10000 MiB and 8 or 4 intel.com/foo. Upstream's pods without a node
    /// (`st.MakePod().Obj()`) are in no node's sums and are left out.
    #[test]
    fn test_resource_bin_packing_single_extended() {
        const FOO: &str = "intel.com/foo";
        const NODES: &[(i64, i64)] = &[(4000, 10000 * MI), (4000, 10000 * MI)];
        const NODE_EXTENDED: &[(usize, &str, i64)] = &[(0, FOO, 8), (1, FOO, 4)];
        const RESOURCES: &[(&str, i64)] = &[(FOO, 1)];
        let cases = [
            ScoringCase {
                name: "nothing scheduled, nothing requested",
                pod: NO_CONTAINER,
                expected: &[0, 0],
                ..ScoringCase::default()
            },
            ScoringCase {
                name: "resources requested, pods scheduled with less resources",
                pod: ONE_CONTAINER,
                pod_extended: &[(FOO, 2)],
                expected: &[2, 5],
                ..ScoringCase::default()
            },
            ScoringCase {
                name: "resources requested, pods scheduled with resources, on node with existing pod running ",
                pod: ONE_CONTAINER,
                pod_extended: &[(FOO, 2)],
                existing: &[(1, ONE_CONTAINER)],
                existing_extended: &[(1, FOO, 2)],
                expected: &[2, 10],
                ..ScoringCase::default()
            },
            ScoringCase {
                name: "resources requested, pods scheduled with more resources",
                pod: ONE_CONTAINER,
                pod_extended: &[(FOO, 4)],
                expected: &[5, 10],
                ..ScoringCase::default()
            },
        ];
        for case in cases {
            let case = ScoringCase {
                nodes: NODES,
                node_extended: NODE_EXTENDED,
                resources: RESOURCES,
                shape: BIN_PACKING_SHAPE,
                ..case
            };
            assert_eq!(scores_of(ScoringStrategyType::RequestedToCapacityRatio, &case), case.expected, "{}", case.name);
        }
    }

    /// `TestResourceBinPackingMultipleExtended` (requested_to_capacity_ratio_test.go),
    /// all 4 cases: intel.com/foo at weight 3 and intel.com/bar at weight 5;
    /// node1 has 8 foo and 4 bar, node2 4 foo and 8 bar.
    #[test]
    fn test_resource_bin_packing_multiple_extended() {
        const FOO: &str = "intel.com/foo";
        const BAR: &str = "intel.com/bar";
        const NODES: &[(i64, i64)] = &[(4000, 10000 * MI), (4000, 10000 * MI)];
        const NODE_EXTENDED: &[(usize, &str, i64)] = &[(0, FOO, 8), (0, BAR, 4), (1, FOO, 4), (1, BAR, 8)];
        const RESOURCES: &[(&str, i64)] = &[(FOO, 3), (BAR, 5)];
        let cases = [
            ScoringCase {
                name: "nothing scheduled, nothing requested",
                pod: NO_CONTAINER,
                expected: &[0, 0],
                ..ScoringCase::default()
            },
            ScoringCase {
                name: "resources requested, pods scheduled with less resources",
                pod: ONE_CONTAINER,
                pod_extended: &[(FOO, 2), (BAR, 2)],
                expected: &[4, 3],
                ..ScoringCase::default()
            },
            ScoringCase {
                name: "resources requested, pods scheduled with resources, on node with existing pod running ",
                pod: ONE_CONTAINER,
                pod_extended: &[(FOO, 2), (BAR, 2)],
                existing: &[(1, ONE_CONTAINER)],
                existing_extended: &[(1, FOO, 4), (1, BAR, 2)],
                expected: &[4, 7],
                ..ScoringCase::default()
            },
            ScoringCase {
                name: "resources requested, pods scheduled with more resources",
                pod: ONE_CONTAINER,
                pod_extended: &[(FOO, 4), (BAR, 2)],
                expected: &[5, 5],
                ..ScoringCase::default()
            },
        ];
        for case in cases {
            let case = ScoringCase {
                nodes: NODES,
                node_extended: NODE_EXTENDED,
                resources: RESOURCES,
                shape: BIN_PACKING_SHAPE,
                ..case
            };
            assert_eq!(scores_of(ScoringStrategyType::RequestedToCapacityRatio, &case), case.expected, "{}", case.name);
        }
    }

    /// fit_test.go's extended resources: `extendedResourceA`, `extendedResourceB`, `extendedResourceDRA`.
    const AAA: &str = "example.com/aaa";
    const BBB: &str = "example.com/bbb";
    const DRA: &str = "extended.resource.dra.io/something";
    /// One container of `newResourcePod`: millicores, bytes and extended resources.
    type Container = (i64, i64, &'static [(&'static str, i64)]);

    /// What Filter answers: the status code and its reasons.
    #[derive(Debug)]
    enum Want {
        Fits,
        Unschedulable(&'static [&'static str]),
        UnschedulableAndUnresolvable(&'static [&'static str]),
    }

    /// A case of `TestEnoughRequests` or `TestNotEnoughRequests`.
    struct FitCase {
        name: &'static str,
        containers: &'static [Container],
        init_containers: &'static [Container],
        /// The one pod the node holds (`framework.NewNodeInfo(newResourcePod(…))`).
        used: Container,
        want: Want,
    }

    /// Filter's verdict on a node of `allocatable` (millicores, bytes, pods,
    /// example.com/aaa) holding the case's one pod.
    fn fit_verdict(case: &FitCase, allocatable: (i64, i64, i64, i64)) -> Verdict {
        pod_level_fit_verdict(case, allocatable, (None, None))
    }

    /// The same for a pod that sets pod-level requests (millicores, bytes).
    fn pod_level_fit_verdict(
        case: &FitCase,
        allocatable: (i64, i64, i64, i64),
        pod_level: (Option<i64>, Option<i64>),
    ) -> Verdict {
        let extended = [AAA, BBB, DRA].map(String::from);
        let index = |name: &str| extended.iter().position(|e| e == name).expect("named");
        let requests = |containers: &[Container], init: &[Container], pod_level| {
            let cpu_memory = |c: &Container| (Some(c.0), Some(c.1));
            let regular: Vec<_> = containers.iter().map(cpu_memory).collect();
            let init_requests: Vec<_> = init.iter().map(|c| (cpu_memory(c), false)).collect();
            let mut pod = PodInfo::default().with_pod_requests(&regular, &init_requests, pod_level);
            for name in &extended {
                let amount = |c: &Container| c.2.iter().filter(|(n, _)| n == name).map(|&(_, a)| a as u64).sum();
                let total = crate::model::kube::pod_requests(
                    containers.iter().map(amount),
                    init.iter().map(|c| (amount(c), false)),
                ) as i64;
                pod.requests.scalar[index(name)] = total;
                pod.non_zero_requests.scalar[index(name)] = total;
                pod.score_requests.scalar[index(name)] = total;
            }
            pod
        };
        let held = requests(std::slice::from_ref(&case.used), &[], (None, None));
        let (cpu, memory, pods, aaa) = allocatable;
        let mut node = NodeInfo {
            allocatable: Resources { milli_cpu: cpu, memory, pods, ..Resources::default() },
            requested: held.requests,
            non_zero_requested: held.non_zero_requests,
            ..NodeInfo::default()
        };
        node.allocatable.scalar[index(AAA)] = aaa;
        let pod = requests(case.containers, case.init_containers, pod_level);
        filter(&pod, &node).map_or(Verdict::Fits, |r| Verdict::of(r, &extended))
    }

    fn wanted(want: &Want) -> Verdict {
        let owned = |r: &[&str]| r.iter().map(|s| s.to_string()).collect();
        match want {
            Want::Fits => Verdict::Fits,
            Want::Unschedulable(r) => Verdict::Unschedulable(owned(r)),
            Want::UnschedulableAndUnresolvable(r) => Verdict::UnschedulableAndUnresolvable(owned(r)),
        }
    }

    /// `TestEnoughRequests` (fit_test.go): 49 cases upstream, 34 here, on
    /// upstream's node of 10m CPU, 20 bytes, 32 pods and 5 example.com/aaa
    /// holding one pod. Status codes as since v1.34: a request larger than the
    /// node's whole allocatable is UnschedulableAndUnresolvable.
    ///
    /// Not here, needing what Flotilla does not model:
    /// - "kubernetes.io resource capacity enforced" and "… for init container":
    ///   resources in the kubernetes.io domain (a scenario refuses the names);
    /// - "hugepages resource capacity enforced", "… for init container",
    ///   "hugepages resource allocatable enforced for multiple containers":
    ///   huge pages;
    /// - "skip checking ignored extended resource" and "skip checking ignored
    ///   extended resource via resource groups": NodeResourcesFitArgs'
    ///   ignoredResources and ignoredResourceGroups (read, not simulated);
    /// - "resources + pod overhead fits", "requests + overhead does not fit
    ///   for memory": pod overhead (RuntimeClass);
    /// - "pod-level hugepages resource fit", "both pod-level and
    ///   container-level hugepages resource fit", "pod-level hugepages
    ///   resource not fit": huge pages at the pod level;
    /// - "extended resource backed by DRA", "extended resource backed by DRA,
    ///   nil draManager", "extended resource was backed by Device Plugin
    ///   (Allocatable: 0)": an extended resource handed to dynamic resource
    ///   allocation (device classes).
    ///
    /// Here though they name a feature: "skip checking extended resource
    /// request with quantity zero via resource groups" sets no resource group,
    /// "skip checking resource request with quantity zero" no pod-level
    /// requests though it turns the gate on; in "extended resource backed by device plugin", "extended
    /// resource backed by DRA not enabled", "extended resource NOT backed by
    /// DRA" and "… (Allocatable: 0), global cache" the resource is the node's
    /// own or no device class names it, so Filter checks it as any extended resource.
    #[test]
    fn test_enough_requests() {
        use Want::*;
        let cases = [
            FitCase {
                name: "no resources requested always fits",
                containers: &[],
                init_containers: &[],
                used: (10, 20, &[]),
                want: Fits,
            },
            FitCase {
                name: "too many resources fails",
                containers: &[(1, 1, &[])],
                init_containers: &[],
                used: (10, 20, &[]),
                want: Unschedulable(&["Insufficient cpu", "Insufficient memory"]),
            },
            FitCase {
                name: "too many resources fails due to init container cpu",
                containers: &[(1, 1, &[])],
                init_containers: &[(3, 1, &[])],
                used: (8, 19, &[]),
                want: Unschedulable(&["Insufficient cpu"]),
            },
            FitCase {
                name: "too many resources fails due to highest init container cpu",
                containers: &[(1, 1, &[])],
                init_containers: &[(3, 1, &[]), (2, 1, &[])],
                used: (8, 19, &[]),
                want: Unschedulable(&["Insufficient cpu"]),
            },
            FitCase {
                name: "too many resources fails due to init container memory",
                containers: &[(1, 1, &[])],
                init_containers: &[(1, 3, &[])],
                used: (9, 19, &[]),
                want: Unschedulable(&["Insufficient memory"]),
            },
            FitCase {
                name: "too many resources fails due to highest init container memory",
                containers: &[(1, 1, &[])],
                init_containers: &[(1, 3, &[]), (1, 2, &[])],
                used: (9, 19, &[]),
                want: Unschedulable(&["Insufficient memory"]),
            },
            FitCase {
                name: "init container fits because it's the max, not sum, of containers and init containers",
                containers: &[(1, 1, &[])],
                init_containers: &[(1, 1, &[])],
                used: (9, 19, &[]),
                want: Fits,
            },
            FitCase {
                name: "multiple init containers fit because it's the max, not sum, of containers and init containers",
                containers: &[(1, 1, &[])],
                init_containers: &[(1, 1, &[]), (1, 1, &[])],
                used: (9, 19, &[]),
                want: Fits,
            },
            FitCase {
                name: "both resources fit",
                containers: &[(1, 1, &[])],
                init_containers: &[],
                used: (5, 5, &[]),
                want: Fits,
            },
            FitCase {
                name: "one resource memory fits",
                containers: &[(2, 1, &[])],
                init_containers: &[],
                used: (9, 5, &[]),
                want: Unschedulable(&["Insufficient cpu"]),
            },
            FitCase {
                name: "one resource cpu fits",
                containers: &[(1, 2, &[])],
                init_containers: &[],
                used: (5, 19, &[]),
                want: Unschedulable(&["Insufficient memory"]),
            },
            FitCase {
                name: "equal edge case",
                containers: &[(5, 1, &[])],
                init_containers: &[],
                used: (5, 19, &[]),
                want: Fits,
            },
            FitCase {
                name: "equal edge case for init container",
                containers: &[(4, 1, &[])],
                init_containers: &[(5, 1, &[])],
                used: (5, 19, &[]),
                want: Fits,
            },
            FitCase {
                name: "extended resource fits",
                containers: &[(0, 0, &[(AAA, 1)])],
                init_containers: &[],
                used: (0, 0, &[]),
                want: Fits,
            },
            FitCase {
                name: "extended resource fits for init container",
                containers: &[(0, 0, &[])],
                init_containers: &[(0, 0, &[(AAA, 1)])],
                used: (0, 0, &[]),
                want: Fits,
            },
            FitCase {
                name: "extended resource capacity enforced",
                containers: &[(1, 1, &[(AAA, 10)])],
                init_containers: &[],
                used: (0, 0, &[(AAA, 0)]),
                want: UnschedulableAndUnresolvable(&["Insufficient example.com/aaa"]),
            },
            FitCase {
                name: "extended resource capacity enforced for init container",
                containers: &[(0, 0, &[])],
                init_containers: &[(1, 1, &[(AAA, 10)])],
                used: (0, 0, &[(AAA, 0)]),
                want: UnschedulableAndUnresolvable(&["Insufficient example.com/aaa"]),
            },
            FitCase {
                name: "extended resource allocatable enforced",
                containers: &[(1, 1, &[(AAA, 1)])],
                init_containers: &[],
                used: (0, 0, &[(AAA, 5)]),
                want: Unschedulable(&["Insufficient example.com/aaa"]),
            },
            FitCase {
                name: "extended resource allocatable enforced for init container",
                containers: &[(0, 0, &[])],
                init_containers: &[(1, 1, &[(AAA, 1)])],
                used: (0, 0, &[(AAA, 5)]),
                want: Unschedulable(&["Insufficient example.com/aaa"]),
            },
            FitCase {
                name: "extended resource allocatable enforced for multiple containers",
                containers: &[(1, 1, &[(AAA, 3)]), (1, 1, &[(AAA, 3)])],
                init_containers: &[],
                used: (0, 0, &[(AAA, 2)]),
                want: UnschedulableAndUnresolvable(&["Insufficient example.com/aaa"]),
            },
            FitCase {
                name: "extended resource allocatable admits multiple init containers",
                containers: &[(0, 0, &[])],
                init_containers: &[(1, 1, &[(AAA, 3)]), (1, 1, &[(AAA, 3)])],
                used: (0, 0, &[(AAA, 2)]),
                want: Fits,
            },
            FitCase {
                name: "extended resource allocatable enforced for multiple init containers",
                containers: &[(0, 0, &[])],
                init_containers: &[(1, 1, &[(AAA, 6)]), (1, 1, &[(AAA, 3)])],
                used: (0, 0, &[(AAA, 2)]),
                want: UnschedulableAndUnresolvable(&["Insufficient example.com/aaa"]),
            },
            FitCase {
                name: "extended resource allocatable enforced for unknown resource",
                containers: &[(1, 1, &[(BBB, 1)])],
                init_containers: &[],
                used: (0, 0, &[]),
                want: UnschedulableAndUnresolvable(&["Insufficient example.com/bbb"]),
            },
            FitCase {
                name: "extended resource allocatable enforced for unknown resource for init container",
                containers: &[(0, 0, &[])],
                init_containers: &[(1, 1, &[(BBB, 1)])],
                used: (0, 0, &[]),
                want: UnschedulableAndUnresolvable(&["Insufficient example.com/bbb"]),
            },
            FitCase {
                name: "skip checking extended resource request with quantity zero via resource groups",
                containers: &[(1, 1, &[(AAA, 0)])],
                init_containers: &[],
                used: (0, 0, &[(AAA, 6)]),
                want: Fits,
            },
            FitCase {
                name: "skip checking resource request with quantity zero",
                containers: &[(0, 0, &[(AAA, 1)])],
                init_containers: &[],
                used: (20, 30, &[(AAA, 1)]),
                want: Fits,
            },
            FitCase {
                name: "extended resource backed by device plugin",
                containers: &[(0, 0, &[(AAA, 1)])],
                init_containers: &[],
                used: (0, 0, &[]),
                want: Fits,
            },
            FitCase {
                name: "extended resource backed by DRA not enabled",
                containers: &[(1, 1, &[(DRA, 1)])],
                init_containers: &[],
                used: (0, 0, &[]),
                want: UnschedulableAndUnresolvable(&["Insufficient extended.resource.dra.io/something"]),
            },
            FitCase {
                name: "extended resource NOT backed by DRA",
                containers: &[(1, 1, &[(BBB, 1)])],
                init_containers: &[],
                used: (0, 0, &[]),
                want: UnschedulableAndUnresolvable(&["Insufficient example.com/bbb"]),
            },
            FitCase {
                name: "extended resource was backed by Device Plugin (Allocatable: 0), global cache",
                containers: &[(0, 0, &[(AAA, 1)])],
                init_containers: &[],
                used: (0, 0, &[(AAA, 0)]),
                want: Fits,
            },
        ];
        assert_eq!(cases.len(), 30);
        for case in &cases {
            assert_eq!(fit_verdict(case, (10, 20, 32, 5)), wanted(&case.want), "{}", case.name);
        }
        // The pod-level cases (`newPodLevelResourcesPod`): pod-level requests
        // of (millicores, bytes) over the containers'.
        let pod_level = [
            (
                FitCase {
                    name: "both pod-level and container-level resources fit",
                    containers: &[(1, 1, &[])],
                    init_containers: &[],
                    used: (5, 5, &[]),
                    want: Fits,
                },
                (1, 2),
            ),
            (
                FitCase {
                    name: "pod-level cpu resource not fit",
                    containers: &[(1, 1, &[])],
                    init_containers: &[],
                    used: (5, 5, &[]),
                    want: Unschedulable(&["Insufficient cpu"]),
                },
                (7, 2),
            ),
            (
                FitCase {
                    name: "pod-level memory resource not fit",
                    containers: &[(1, 1, &[])],
                    init_containers: &[],
                    used: (5, 19, &[]),
                    want: Unschedulable(&["Insufficient memory"]),
                },
                (3, 2),
            ),
            (
                FitCase {
                    name: "one pod-level cpu resource fits and all init and non-init containers resources fit",
                    containers: &[(1, 1, &[])],
                    init_containers: &[(1, 1, &[])],
                    used: (5, 19, &[]),
                    want: Unschedulable(&["Insufficient memory"]),
                },
                (3, 2),
            ),
        ];
        for (case, (cpu, memory)) in &pod_level {
            let verdict = pod_level_fit_verdict(case, (10, 20, 32, 5), (Some(*cpu), Some(*memory)));
            assert_eq!(verdict, wanted(&case.want), "{}", case.name);
        }
    }

    /// `TestNotEnoughRequests` (fit_test.go), all 4 cases: a node of 10m, 20
    /// bytes and one pod slot, already holding a pod.
    #[test]
    fn test_not_enough_requests() {
        const TOO_MANY: Want = Want::Unschedulable(&["Too many pods"]);
        let cases = [
            FitCase {
                name: "even without specified resources, predicate fails when there's no space for additional pod",
                containers: &[],
                init_containers: &[],
                used: (10, 20, &[]),
                want: TOO_MANY,
            },
            FitCase {
                name: "even if both resources fit, predicate fails when there's no space for additional pod",
                containers: &[(1, 1, &[])],
                init_containers: &[],
                used: (5, 5, &[]),
                want: TOO_MANY,
            },
            FitCase {
                name: "even for equal edge case, predicate fails when there's no space for additional pod",
                containers: &[(5, 1, &[])],
                init_containers: &[],
                used: (5, 19, &[]),
                want: TOO_MANY,
            },
            FitCase {
                name: "even for equal edge case, predicate fails when there's no space for additional pod due to init container",
                containers: &[(5, 1, &[])],
                init_containers: &[(5, 1, &[])],
                used: (5, 19, &[]),
                want: TOO_MANY,
            },
        ];
        for case in &cases {
            assert_eq!(fit_verdict(case, (10, 20, 1, 0)), wanted(&case.want), "{}", case.name);
        }
    }
}
