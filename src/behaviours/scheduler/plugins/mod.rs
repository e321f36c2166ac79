//! The scheduler plugins Flotilla models, one file each, named as in
//! kube-scheduler (`pkg/scheduler/framework/plugins/…`). Each exposes its
//! filter and score as plain functions over the pod and the cache's node
//! info, and its formulas on their own, each with the table tests of the
//! Kubernetes source it was ported from.

pub mod image_locality;
pub mod node_affinity;
pub mod node_name;
pub mod node_resources_balanced_allocation;
pub mod node_resources_fit;
pub mod node_unschedulable;
pub mod pod_topology_spread;
pub mod taint_toleration;
