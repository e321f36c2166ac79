//! kube-controller-manager's controllers that Flotilla models: ReplicaSet,
//! Deployment and node lifecycle. The decisions are pure functions here; the
//! world applies them to its objects.

pub mod deployment;
pub mod node_lifecycle;
pub mod replica_set;
