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

    /// A node's images in an upstream test, by name.
    type Images = &'static [&'static str];

    /// A case of `TestImageLocalityPriority`.
    struct Case {
        name: &'static str,
        /// The pod's containers' and init containers' images, as the pod names them.
        containers: &'static [&'static str],
        init_containers: &'static [&'static str],
        nodes: &'static [Images],
        expected: &'static [i64],
    }

    /// `TestImageLocalityPriority` (image_locality_test.go), all 7 cases.
    /// Upstream's node images carry extra names besides `…:latest`
    /// (`gcr.io/40:v1`); a Flotilla image has one name, and no pod here asks
    /// for the others, so they are left out without changing a score.
    #[test]
    fn test_image_locality_priority() {
        /// Every image of the table: its name on the nodes and its size in MiB.
        const CATALOGUE: &[(&str, i64)] = &[
            ("gcr.io/10:latest", 10),
            ("gcr.io/20:latest", 20),
            ("gcr.io/30:latest", 30),
            ("gcr.io/40:latest", 40),
            ("gcr.io/250:latest", 250),
            ("gcr.io/300:latest", 300),
            ("gcr.io/600:latest", 600),
            ("gcr.io/900:latest", 900),
            ("gcr.io/2000:latest", 2000),
            ("gcr.io/4000:latest", 4000),
        ];
        const NODE_403002000: Images = &["gcr.io/40:latest", "gcr.io/300:latest", "gcr.io/2000:latest"];
        const NODE_25010: Images = &["gcr.io/250:latest", "gcr.io/10:latest"];
        const NODE_60040900: Images = &["gcr.io/600:latest", "gcr.io/40:latest", "gcr.io/900:latest"];
        const NODE_300600900: Images = &["gcr.io/300:latest", "gcr.io/600:latest", "gcr.io/900:latest"];
        const NODE_400030: Images = &["gcr.io/4000:latest", "gcr.io/30:latest"];
        const NODE_203040: Images = &["gcr.io/20:latest", "gcr.io/30:latest", "gcr.io/40:latest"];
        const NODE_WITH_NO_IMAGES: Images = &[];
        const TEST_40250: &[&str] = &["gcr.io/40", "gcr.io/250"];
        const TEST_40300: &[&str] = &["gcr.io/40", "gcr.io/300"];
        const TEST_MIN_MAX: &[&str] = &["gcr.io/10", "gcr.io/4000"];
        const TEST_300600900: &[&str] = &["gcr.io/300", "gcr.io/600", "gcr.io/900"];
        const TEST_3040: &[&str] = &["gcr.io/30", "gcr.io/40"];
        let cases = [
            Case {
                name: "two images spread on two nodes, prefer the larger image one",
                containers: TEST_40250,
                init_containers: &[],
                nodes: &[NODE_403002000, NODE_25010],
                expected: &[0, 5],
            },
            Case {
                name: "two images on one node, prefer this node",
                containers: TEST_40300,
                init_containers: &[],
                nodes: &[NODE_403002000, NODE_25010],
                expected: &[7, 0],
            },
            Case {
                name: "if exceed limit, use limit",
                containers: TEST_MIN_MAX,
                init_containers: &[],
                nodes: &[NODE_400030, NODE_25010],
                expected: &[MAX_NODE_SCORE, 0],
            },
            Case {
                name: "if exceed limit, use limit (with node which has no images present)",
                containers: TEST_MIN_MAX,
                init_containers: &[],
                nodes: &[NODE_400030, NODE_25010, NODE_WITH_NO_IMAGES],
                expected: &[66, 0, 0],
            },
            Case {
                name: "pod with multiple large images, node2 is preferred",
                containers: TEST_300600900,
                init_containers: &[],
                nodes: &[NODE_60040900, NODE_300600900, NODE_WITH_NO_IMAGES],
                expected: &[32, 36, 0],
            },
            Case {
                name: "pod with multiple small images",
                containers: TEST_3040,
                init_containers: &[],
                nodes: &[NODE_203040, NODE_400030],
                expected: &[1, 0],
            },
            Case {
                name: "include InitContainers: two images spread on two nodes, prefer the larger image one",
                containers: &["gcr.io/30"],
                init_containers: &["gcr.io/300"],
                nodes: &[NODE_403002000, NODE_203040],
                expected: &[6, 0],
            },
        ];
        let index = |name: &str| CATALOGUE.iter().position(|&(n, _)| n == name).expect("in the catalogue");
        for case in &cases {
            let mut cache = SchedulerCache::new(CATALOGUE.iter().map(|&(_, mib)| mib * MB).collect());
            for (h, images) in case.nodes.iter().enumerate() {
                cache.add_node(NodeInfo { name: format!("node{}", h + 1), ..NodeInfo::default() });
                cache.set_registered(h, true);
                for image in *images {
                    cache.set_image_present(h, index(image), true);
                }
            }
            // Init containers first, as `PodInfo::images` lists them.
            let named = case.init_containers.iter().chain(case.containers);
            let images = named.map(|name| ImageId(index(&normalized_image_name(name)) as u32)).collect();
            let pod = PodInfo { images, ..PodInfo::default() };
            let mut c = Vec::new();
            contributions(&pod, &cache, &mut c);
            let scores: Vec<i64> = (0..case.nodes.len()).map(|h| score(&c, &cache, h)).collect();
            assert_eq!(scores, case.expected, "{}", case.name);
        }
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
