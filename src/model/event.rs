//! The typed events a world emits as it runs. The same stream feeds metrics,
//! reports and the animation, so whatever the front end shows can be checked
//! headless.

use crate::engine::SimTime;
use crate::model::spec::Action;
use crate::model::{BlobId, Bytes, HostId, InstanceId, Phase, WorkloadId};

/// Something that happened in a world at a time.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub time: SimTime,
    pub kind: EventKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum EventKind {
    /// A timeline entry, or a person at the controls, acted.
    Action {
        action: Action,
        live: bool,
    },
    Launched {
        instance: InstanceId,
        workload: WorkloadId,
    },
    /// It waits for placement; emitted when the reason changes.
    Waiting {
        instance: InstanceId,
        reason: String,
    },
    Placed {
        instance: InstanceId,
        host: HostId,
    },
    PhaseChanged {
        instance: InstanceId,
        phase: Phase,
    },
    PullStarted {
        host: HostId,
        blob: BlobId,
        bytes: Bytes,
    },
    PullFinished {
        host: HostId,
        blob: BlobId,
        bytes: Bytes,
    },
    Evicted {
        host: HostId,
        blob: BlobId,
        bytes: Bytes,
    },
    HostDown {
        host: HostId,
    },
    /// The API server marked a pod for deletion while its node was silent:
    /// it stays Terminating until the node's kubelet is back.
    MarkedForDeletion {
        instance: InstanceId,
    },
    HostUp {
        host: HostId,
    },
    /// An autoscaler changed a size: a HorizontalPodAutoscaler, the cluster
    /// autoscaler or an autoscaling group.
    Scaled {
        by: String,
        target: String,
        from: u32,
        to: u32,
        reason: String,
    },
    /// A Kubernetes Warning event: a controller could not do its work, in
    /// its own reason and message (`FailedGetResourceMetric`, …). Emitted
    /// when the warning starts, not again while it lasts.
    Warning {
        by: String,
        reason: String,
        message: String,
    },
}
