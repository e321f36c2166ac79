//! kube-controller-manager's controllers that Flotilla models: Deployment,
//! ReplicaSet, endpoints, node lifecycle and disruption. Each module holds
//! the controller's formulas, as pure functions with upstream's names, and
//! its sync, which applies them to the cluster's objects.

pub mod deployment;
pub mod disruption;
pub mod endpoints;
pub mod node_lifecycle;
pub mod replica_set;
