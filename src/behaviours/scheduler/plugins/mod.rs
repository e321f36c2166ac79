//! The scheduler plugins Flotilla models, one file each, named as in
//! kube-scheduler (`pkg/scheduler/framework/plugins/…`).

pub mod image_locality;
pub mod node_affinity;
pub mod node_name;
pub mod node_resources_balanced_allocation;
pub mod node_resources_fit;
pub mod node_unschedulable;
pub mod pod_topology_spread;
pub mod taint_toleration;

use super::profile::Profile;
use super::{FilterPlugin, ScorePlugin};

pub use image_locality::ImageLocality;
pub use node_affinity::NodeAffinity;
pub use node_name::NodeName;
pub use node_resources_balanced_allocation::BalancedAllocation;
pub use node_resources_fit::Fit;
pub use node_unschedulable::NodeUnschedulable;
pub use pod_topology_spread::PodTopologySpread;
pub use taint_toleration::TaintToleration;

/// The filter plugin of that name, configured from the profile.
pub fn filter_plugin(name: &str, profile: &Profile) -> Option<Box<dyn FilterPlugin + Send + Sync>> {
    Some(match name {
        "NodeUnschedulable" => Box::new(NodeUnschedulable),
        "NodeName" => Box::new(NodeName),
        "TaintToleration" => Box::new(TaintToleration),
        "NodeAffinity" => Box::new(NodeAffinity),
        "NodeResourcesFit" => Box::new(Fit::new(profile.scoring_strategy.clone())),
        "PodTopologySpread" => Box::new(PodTopologySpread::default()),
        _ => return None,
    })
}

/// The score plugin of that name, configured from the profile.
pub fn score_plugin(name: &str, profile: &Profile) -> Option<Box<dyn ScorePlugin + Send + Sync>> {
    Some(match name {
        "TaintToleration" => Box::new(TaintToleration),
        "NodeAffinity" => Box::new(NodeAffinity),
        "NodeResourcesFit" => Box::new(Fit::new(profile.scoring_strategy.clone())),
        "NodeResourcesBalancedAllocation" => Box::new(BalancedAllocation::new(profile.balanced_resources.clone())),
        "ImageLocality" => Box::new(ImageLocality),
        "PodTopologySpread" => Box::new(PodTopologySpread::default()),
        _ => return None,
    })
}
