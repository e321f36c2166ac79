//! The kubelet: it admits pods bound to its node, pulls their images (one
//! image at a time when `serializeImagePulls` is on, the default) through the
//! registry and the node's layer cache, starts the containers, reports them
//! Ready after their readiness delay, restarts them with a back-off of 10 s
//! doubling to 5 min when they exit, and sends heartbeats.

use crate::engine::SimDuration;
use crate::model::kube::{ImagePullPolicy, PodTemplate};
use crate::model::spec::{KubePlatform, Setup};
use crate::model::{Bytes, Demand};

/// parameters.md B6, "Restart backoff": 10 s, doubling, capped at 300 s.
pub const INITIAL_RESTART_BACKOFF: SimDuration = SimDuration::from_secs(10);
pub const MAX_RESTART_BACKOFF: SimDuration = SimDuration::from_secs(300);

/// The next back-off after one of `current` (zero for the first restart).
pub fn next_restart_backoff(current: SimDuration) -> SimDuration {
    if current == SimDuration::ZERO {
        INITIAL_RESTART_BACKOFF
    } else {
        SimDuration(current.0.saturating_mul(2)).min(MAX_RESTART_BACKOFF)
    }
}

/// `SetDefaults_Container` (parameters.md B6, "imagePullPolicy"): Always when
/// the tag is `latest` or missing, IfNotPresent otherwise.
pub fn default_pull_policy(image: &str) -> ImagePullPolicy {
    let name = image.rsplit('/').next().unwrap_or(image);
    if image.contains('@') {
        return ImagePullPolicy::IfNotPresent;
    }
    match name.split_once(':') {
        None => ImagePullPolicy::Always,
        Some((_, "latest")) => ImagePullPolicy::Always,
        Some(_) => ImagePullPolicy::IfNotPresent,
    }
}

/// What a pod of `template` holds on its node: its requests, plus the
/// runtime's shim, and the layers of every image it runs.
pub fn pod_demand(template: &PodTemplate, platform: &KubePlatform, setup: &Setup) -> Demand {
    let (cpu, memory) = template.requests();
    let mut blobs = Vec::new();
    for image in template.images() {
        for &b in &setup.images[image.index()].layers {
            if !blobs.contains(&b) {
                blobs.push(b);
            }
        }
    }
    Demand {
        cpu,
        memory: Bytes(memory.0 + platform.runtime_overhead.0),
        overhead_memory: platform.runtime_overhead,
        disk: Bytes(0),
        blobs,
        exclusive: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restart_backoff_doubles_to_five_minutes() {
        let mut b = SimDuration::ZERO;
        let mut seen = Vec::new();
        for _ in 0..7 {
            b = next_restart_backoff(b);
            seen.push(b.as_secs_f64() as u64);
        }
        assert_eq!(seen, vec![10, 20, 40, 80, 160, 300, 300]);
    }

    #[test]
    fn pull_policy_defaults_follow_the_tag() {
        assert_eq!(default_pull_policy("nginx"), ImagePullPolicy::Always);
        assert_eq!(default_pull_policy("nginx:latest"), ImagePullPolicy::Always);
        assert_eq!(default_pull_policy("nginx:1.27"), ImagePullPolicy::IfNotPresent);
        assert_eq!(default_pull_policy("registry:5000/web"), ImagePullPolicy::Always);
        assert_eq!(default_pull_policy("web@sha256:abc"), ImagePullPolicy::IfNotPresent);
    }
}
