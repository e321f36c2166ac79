//! NodeResourcesBalancedAllocation (`balanced_allocation.go`): prefers nodes
//! whose resources would be used evenly. With the incoming pod's actual
//! requests added, each resource's fraction f = requested / allocatable
//! (at most 1); the score is (1 − σ) · 100, where σ is |f₁ − f₂| / 2 for two
//! resources and the population standard deviation otherwise. A pod that
//! requests nothing (best effort) gets 0 from it. This is the formula of
//! Kubernetes up to v1.35; later releases score the change in balance instead.

use super::node_resources_fit::{ResourceName, allocatable_request};
use crate::behaviours::scheduler::{MAX_NODE_SCORE, NodeInfo, PodInfo};

#[derive(Clone, Debug)]
pub struct BalancedAllocation {
    resources: Vec<ResourceName>,
}

impl BalancedAllocation {
    /// The plugin over `resources`; `extended` names the scenario's extended resources.
    pub fn new(resources: &[(String, i64)], extended: &[String]) -> Self {
        BalancedAllocation { resources: resources.iter().map(|(n, _)| ResourceName::from_name(n, extended)).collect() }
    }

    /// PreScore's Skip: a pod that requests none of the plugin's resources is
    /// not scored (0 everywhere).
    pub fn skips(&self, pod: &PodInfo) -> bool {
        self.resources.iter().all(|&name| {
            let empty = crate::behaviours::scheduler::Resources::default();
            allocatable_request(name, &pod.requests, &empty, &empty).0 == 0
        })
    }

    pub fn score(&self, pod: &PodInfo, node: &NodeInfo) -> i64 {
        if self.skips(pod) {
            return 0;
        }
        let fraction = |name: &ResourceName| {
            let (requested, allocatable) =
                allocatable_request(*name, &pod.requests, &node.requested, &node.allocatable);
            (allocatable != 0).then(|| (requested as f64 / allocatable as f64).min(1.0))
        };
        // Without allocating for the usual two or three resources.
        let mut fractions = [0.0; 4];
        if self.resources.len() > fractions.len() {
            return balanced_score(&self.resources.iter().filter_map(fraction).collect::<Vec<_>>());
        }
        let mut n = 0;
        for f in self.resources.iter().filter_map(fraction) {
            fractions[n] = f;
            n += 1;
        }
        balanced_score(&fractions[..n])
    }
}

/// The score from per-resource fractions.
pub fn balanced_score(fractions: &[f64]) -> i64 {
    let std = match fractions.len() {
        0 | 1 => 0.0,
        2 => (fractions[0] - fractions[1]).abs() / 2.0,
        n => {
            let mean = fractions.iter().sum::<f64>() / n as f64;
            let var = fractions.iter().map(|f| (f - mean) * (f - mean)).sum::<f64>() / n as f64;
            libm::sqrt(var)
        }
    };
    ((1.0 - std) * MAX_NODE_SCORE as f64) as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::behaviours::scheduler::Resources;

    #[test]
    fn balanced_nodes_score_higher() {
        // balanced_allocation_test.go "nothing scheduled, resources requested, differently sized nodes":
        // pod 3000m / 5000 on node1 4000m / 10000: f = 0.75 and 0.5, σ = 0.125 → 87;
        // on node2 6000m / 10000: f = 0.5 and 0.5, σ = 0 → 100.
        let b = BalancedAllocation::new(&[("cpu".into(), 1), ("memory".into(), 1)], &[]);
        let pod = PodInfo::default().with_container_requests(&[(Some(3000), Some(5000))], &[]);
        let node = |cpu, mem| NodeInfo {
            allocatable: Resources { milli_cpu: cpu, memory: mem, pods: 110, ..Resources::default() },
            ..NodeInfo::default()
        };
        assert_eq!(b.score(&pod, &node(4000, 10000)), 87);
        assert_eq!(b.score(&pod, &node(6000, 10000)), 100);
        assert_eq!(b.score(&PodInfo::default(), &node(6000, 10000)), 0);
        // "resources requested, pods scheduled with resources": nodes 10000/20000; node1 holds 3000/0:
        // f = 0.6 and 0.25, σ = 0.175 → 82; node2 holds 3000/5000: 0.6 and 0.5 → 95.
        let busy = |cpu, mem| NodeInfo {
            allocatable: Resources { milli_cpu: 10000, memory: 20000, pods: 110, ..Resources::default() },
            requested: Resources { milli_cpu: cpu, memory: mem, pods: 1, ..Resources::default() },
            ..NodeInfo::default()
        };
        assert_eq!(b.score(&pod, &busy(3000, 0)), 82);
        assert_eq!(b.score(&pod, &busy(3000, 5000)), 95);
    }

    #[test]
    fn three_resources_use_the_population_deviation() {
        // f = 0.2, 0.4, 0.6: mean 0.4, variance (0.04 + 0 + 0.04)/3, σ ≈ 0.1633 → 83.
        assert_eq!(balanced_score(&[0.2, 0.4, 0.6]), 83);
    }

    /// Containers' requests in an upstream test: millicores, bytes.
    type Pod = &'static [(Option<i64>, Option<i64>)];

    /// A case of `TestNodeResourcesBalancedAllocation`, on two nodes.
    #[derive(Default)]
    struct Case {
        name: &'static str,
        pod: Pod,
        /// The nvidia.com/gpu the pod asks for.
        pod_gpus: i64,
        /// Allocatable millicores and bytes of node1 and node2.
        nodes: [(i64, i64); 2],
        /// Their nvidia.com/gpu.
        node_gpus: [i64; 2],
        /// The pod bound to node1 and the one bound to node2.
        existing: [Pod; 2],
        /// The nvidia.com/gpu those ask for.
        existing_gpus: [i64; 2],
        /// The plugin's resources: cpu and memory, and nvidia.com/gpu when set.
        with_gpu: bool,
        /// `None`: PreScore skips.
        expected: Option<[i64; 2]>,
    }

    /// `TestNodeResourcesBalancedAllocation` (balanced_allocation_test.go, the
    /// 1 − σ formula): 10 cases upstream, 8 here. Not here: "include DRA
    /// resource on a node for balanced resource allocation" and "… if
    /// PreScore not called" (dynamic resource allocation, device classes and
    /// resource slices, is not modelled). Flotilla's Score does not depend on
    /// PreScore having run, so the "… if PreScore not called" case is the
    /// same computation as its sibling.
    #[test]
    fn test_node_resources_balanced_allocation() {
        const CPU_AND_MEMORY: Pod = &[(Some(1000), Some(2000)), (Some(2000), Some(3000))];
        const CPU_ONLY: Pod = &[(Some(1000), Some(0)), (Some(2000), Some(0))];
        let cases = [
            Case {
                name: "nothing scheduled, nothing requested, skip in PreScore",
                nodes: [(4000, 10000), (4000, 10000)],
                ..Case::default()
            },
            Case {
                name: "nothing scheduled, resources requested, differently sized nodes",
                pod: CPU_AND_MEMORY,
                nodes: [(4000, 10000), (6000, 10000)],
                expected: Some([87, 100]),
                ..Case::default()
            },
            Case {
                name: "resources requested, pods scheduled with resources",
                pod: CPU_AND_MEMORY,
                nodes: [(10000, 20000), (10000, 20000)],
                existing: [CPU_ONLY, CPU_AND_MEMORY],
                expected: Some([82, 95]),
                ..Case::default()
            },
            Case {
                name: "resources requested, pods scheduled with resources, differently sized nodes",
                pod: CPU_AND_MEMORY,
                nodes: [(10000, 20000), (10000, 50000)],
                existing: [CPU_ONLY, CPU_AND_MEMORY],
                expected: Some([82, 80]),
                ..Case::default()
            },
            Case {
                name: "requested resources at node capacity",
                pod: CPU_ONLY,
                nodes: [(6000, 10000), (6000, 10000)],
                existing: [CPU_ONLY, CPU_AND_MEMORY],
                expected: Some([50, 75]),
                ..Case::default()
            },
            Case {
                // node1 holds cpuAndMemoryAndGPU (CPU_AND_MEMORY with 3 GPUs), node2 cpuAndMemory;
                // the pod asks for memory 0 and 1 GPU, no CPU.
                name: "include scalar resource on a node for balanced resource allocation",
                pod: &[(None, Some(0))],
                pod_gpus: 1,
                nodes: [(3500, 40000), (3500, 40000)],
                node_gpus: [8, 8],
                existing: [CPU_AND_MEMORY, CPU_AND_MEMORY],
                existing_gpus: [3, 0],
                with_gpu: true,
                expected: Some([70, 65]),
            },
            Case {
                name: "node without the scalar resource should skip the scalar resource",
                pod: CPU_AND_MEMORY,
                nodes: [(3500, 40000), (3500, 40000)],
                node_gpus: [8, 0],
                with_gpu: true,
                expected: Some([63, 63]),
                ..Case::default()
            },
            Case {
                name: "resources requested, pods scheduled with resources if PreScore not called",
                pod: CPU_AND_MEMORY,
                nodes: [(10000, 20000), (10000, 20000)],
                existing: [CPU_ONLY, CPU_AND_MEMORY],
                expected: Some([82, 95]),
                ..Case::default()
            },
        ];
        let extended = ["nvidia.com/gpu".to_string()];
        for case in &cases {
            let mut resources = vec![("cpu".to_string(), 1), ("memory".to_string(), 1)];
            if case.with_gpu {
                resources.push(("nvidia.com/gpu".to_string(), 1));
            }
            let b = BalancedAllocation::new(&resources, &extended);
            let mut pod = PodInfo::default().with_container_requests(case.pod, &[]);
            pod.requests.scalar[0] = case.pod_gpus;
            pod.non_zero_requests.scalar[0] = case.pod_gpus;
            pod.score_requests.scalar[0] = case.pod_gpus;
            assert_eq!(b.skips(&pod), case.expected.is_none(), "{}", case.name);
            let Some(expected) = case.expected else { continue };
            let scores = [0, 1].map(|i| {
                let mut held = PodInfo::default().with_container_requests(case.existing[i], &[]);
                held.requests.scalar[0] = case.existing_gpus[i];
                held.non_zero_requests.scalar[0] = case.existing_gpus[i];
                let (cpu, memory) = case.nodes[i];
                let mut allocatable = Resources { milli_cpu: cpu, memory, pods: 110, ..Resources::default() };
                allocatable.scalar[0] = case.node_gpus[i];
                let node = NodeInfo {
                    allocatable,
                    requested: held.requests,
                    non_zero_requested: held.non_zero_requests,
                    ..NodeInfo::default()
                };
                b.score(&pod, &node)
            });
            assert_eq!(scores, expected, "{}", case.name);
        }
    }
}
