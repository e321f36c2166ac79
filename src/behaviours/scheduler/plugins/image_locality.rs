//! ImageLocality (`image_locality.go`): prefers nodes that already have the
//! pod's images. For each container (init containers too) whose image is on
//! the node, add its size × (nodes with the image / all nodes) — an image on
//! every node is no reason to prefer one. Clamp the sum to [23 MiB,
//! 1000 MiB × containers] and scale to 0–100.

use crate::behaviours::scheduler::{MAX_NODE_SCORE, NodeInfo, PodInfo, ScorePlugin, Snapshot};

pub struct ImageLocality;

const MB: i64 = 1024 * 1024;
/// "The score range covers the 90%ile of images on dockerhub."
pub const MIN_THRESHOLD: i64 = 23 * MB;
pub const MAX_CONTAINER_THRESHOLD: i64 = 1000 * MB;

/// `calculatePriority`.
pub fn calculate_priority(sum_scores: i64, num_containers: i64) -> i64 {
    let max_threshold = MAX_CONTAINER_THRESHOLD * num_containers.max(1);
    let s = sum_scores.clamp(MIN_THRESHOLD, max_threshold);
    MAX_NODE_SCORE * (s - MIN_THRESHOLD) / (max_threshold - MIN_THRESHOLD)
}

impl ScorePlugin for ImageLocality {
    fn name(&self) -> &'static str {
        "ImageLocality"
    }

    fn score(&self, pod: &PodInfo, node: &NodeInfo, snapshot: &Snapshot) -> i64 {
        let total_nodes = snapshot.nodes.len().max(1) as f64;
        let sum: i64 = pod
            .containers
            .iter()
            .filter_map(|c| node.images.get(&c.image))
            .map(|state| (state.size as f64 * (state.num_nodes as f64 / total_nodes)) as i64)
            .sum();
        calculate_priority(sum, pod.containers.len() as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::behaviours::scheduler::{ContainerImage, ImageStateSummary};

    fn image_node(images: &[i64]) -> NodeInfo {
        NodeInfo {
            images: images
                .iter()
                .map(|&mib| (format!("gcr.io/{mib}"), ImageStateSummary { size: mib * MB, num_nodes: 1 }))
                .collect(),
            ..NodeInfo::default()
        }
    }

    fn pod_of(images: &[i64]) -> PodInfo {
        PodInfo {
            containers: images.iter().map(|m| ContainerImage { image: format!("gcr.io/{m}"), init: false }).collect(),
            ..PodInfo::default()
        }
    }

    #[test]
    fn scores_follow_image_size_and_spread() {
        // image_locality_test.go: node1 has images of 40, 300 and 2000 MiB, node2 of 250 and 10 MiB,
        // each image on one of the two nodes.
        let snapshot = Snapshot { nodes: vec![image_node(&[40, 300, 2000]), image_node(&[250, 10])] };
        // "two images spread on two nodes, prefer the larger image one": pod [40, 250].
        // node1: 40·½ = 20 MiB, below 23 → 0. node2: 250·½ = 125 → 100·(125 − 23)/(2000 − 23) = 5.
        let pod = pod_of(&[40, 250]);
        assert_eq!(ImageLocality.score(&pod, &snapshot.nodes[0], &snapshot), 0);
        assert_eq!(ImageLocality.score(&pod, &snapshot.nodes[1], &snapshot), 5);
        // "two images on one node, prefer this node": pod [40, 300]: node1 20 + 150 = 170 → 7; node2 0.
        let pod = pod_of(&[40, 300]);
        assert_eq!(ImageLocality.score(&pod, &snapshot.nodes[0], &snapshot), 7);
        assert_eq!(ImageLocality.score(&pod, &snapshot.nodes[1], &snapshot), 0);
    }

    #[test]
    fn the_sum_is_clamped() {
        assert_eq!(calculate_priority(0, 1), 0);
        assert_eq!(calculate_priority(5_000 * MB, 1), 100);
        // 511.5 MiB for one container: 100 · (511.5 − 23) / 977 = 50.
        assert_eq!(calculate_priority(511 * MB + MB / 2, 1), 50);
    }
}
