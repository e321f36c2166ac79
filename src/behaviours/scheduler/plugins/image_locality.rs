//! ImageLocality (`image_locality.go`): prefers nodes that already have the
//! pod's images. For each container (init containers too) whose image is on
//! the node, add its size × (nodes with the image / all nodes) — an image on
//! every node is no reason to prefer one. Clamp the sum to [23 MiB,
//! 1000 MiB × containers] and scale to 0–100.

use crate::behaviours::scheduler::{MAX_NODE_SCORE, PodInfo, SchedulerCache};

const MB: i64 = 1024 * 1024;
/// "The score range covers the 90%ile of images on dockerhub."
pub const MIN_THRESHOLD: i64 = 23 * MB;
pub const MAX_CONTAINER_THRESHOLD: i64 = 1000 * MB;

/// `normalizedImageName`: a name with no tag after its last `/` means its
/// `:latest` tag, as the container runtime reports it in the node's images.
/// A digest (`name@sha256:…`) has a `:` after its last `/` and stays as it is.
pub fn normalized_image_name(name: &str) -> std::borrow::Cow<'_, str> {
    let tag = name.rfind(':').map_or(-1, |i| i as isize);
    let slash = name.rfind('/').map_or(-1, |i| i as isize);
    if tag <= slash { format!("{name}:latest").into() } else { name.into() }
}

/// `calculatePriority`.
pub fn calculate_priority(sum_scores: i64, num_containers: i64) -> i64 {
    let max_threshold = MAX_CONTAINER_THRESHOLD * num_containers.max(1);
    let s = sum_scores.clamp(MIN_THRESHOLD, max_threshold);
    MAX_NODE_SCORE * (s - MIN_THRESHOLD) / (max_threshold - MIN_THRESHOLD)
}

/// `scaledImageScore` for each container's image, which does not depend on
/// the node: (image, what it adds on a node that has it).
pub fn contributions(pod: &PodInfo, cache: &SchedulerCache, out: &mut Vec<(usize, i64)>) {
    let total_nodes = cache.registered().len().max(1) as f64;
    out.clear();
    out.extend(pod.images.iter().map(|image| {
        let (size, num_nodes) = cache.image_state(image.index());
        (image.index(), (size as f64 * (num_nodes as f64 / total_nodes)) as i64)
    }));
}

/// The score of node `h` from the pod's [`contributions`].
pub fn score(contributions: &[(usize, i64)], cache: &SchedulerCache, h: usize) -> i64 {
    let sum: i64 = contributions.iter().filter(|(image, _)| cache.image_present(h, *image)).map(|(_, v)| v).sum();
    calculate_priority(sum, contributions.len() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::behaviours::scheduler::NodeInfo;
    use crate::model::ImageId;

    #[test]
    fn scores_follow_image_size_and_spread() {
        // image_locality_test.go: node1 has images of 40, 300 and 2000 MiB, node2 of 250 and 10 MiB,
        // each image on one of the two nodes.
        let sizes = [40, 300, 2000, 250, 10];
        let mut cache = SchedulerCache::new(sizes.iter().map(|m| m * MB).collect());
        for (h, images) in [vec![0, 1, 2], vec![3, 4]].into_iter().enumerate() {
            cache.add_node(NodeInfo { name: format!("node{}", h + 1), ..NodeInfo::default() });
            cache.set_registered(h, true);
            for i in images {
                cache.set_image_present(h, i, true);
            }
        }
        let pod =
            |images: &[u32]| PodInfo { images: images.iter().map(|&i| ImageId(i)).collect(), ..PodInfo::default() };
        let node_scores = |pod: &PodInfo| {
            let mut c = Vec::new();
            contributions(pod, &cache, &mut c);
            [score(&c, &cache, 0), score(&c, &cache, 1)]
        };
        // "two images spread on two nodes, prefer the larger image one": pod [40, 250].
        // node1: 40·½ = 20 MiB, below 23 → 0. node2: 250·½ = 125 → 100·(125 − 23)/(2000 − 23) = 5.
        assert_eq!(node_scores(&pod(&[0, 3])), [0, 5]);
        // "two images on one node, prefer this node": pod [40, 300]: node1 20 + 150 = 170 → 7; node2 0.
        assert_eq!(node_scores(&pod(&[0, 1])), [7, 0]);
    }

    #[test]
    fn normalized_image_name_as_upstream() {
        // image_locality_test.go TestNormalizedImageName, every case; the digest is
        // getImageFakeDigest("root"), the SHA-256 of "root".
        let digest = "root@sha256:4813494d137e1631bba301d5acab6e7bb7aa74ce1185d456565ef51d737677b2";
        for (name, input, output) in [
            ("add :latest postfix 1", "root", "root:latest"),
            ("add :latest postfix 2", "gcr.io:5000/root", "gcr.io:5000/root:latest"),
            ("keep it as is 1", "root:tag", "root:tag"),
            ("keep it as is 2", digest, digest),
        ] {
            assert_eq!(normalized_image_name(input), output, "{name}");
        }
    }

    #[test]
    fn the_sum_is_clamped() {
        assert_eq!(calculate_priority(0, 1), 0);
        assert_eq!(calculate_priority(5_000 * MB, 1), 100);
        // 511.5 MiB for one container: 100 · (511.5 − 23) / 977 = 50.
        assert_eq!(calculate_priority(511 * MB + MB / 2, 1), 50);
    }
}
