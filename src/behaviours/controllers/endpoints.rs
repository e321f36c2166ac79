//! The endpoints controller (`pkg/controller/endpointslice`): every Service
//! lists its pods that are Ready and not terminating, in its own namespace.
//! Only pods whose state changed since the last sync are looked at again; a
//! Service whose selector is new lists its pods afresh.

use crate::model::InstanceId;
use std::collections::BTreeSet;
use std::sync::Arc;

/// What the endpoints controller keeps between its syncs.
#[derive(Clone, Debug, Default)]
pub struct EndpointsController {
    /// Pods it last listed as serving: Ready and not terminating.
    pub serving: BTreeSet<InstanceId>,
    /// Pods whose Ready or terminating state changed since it last looked.
    pub(crate) changed: BTreeSet<InstanceId>,
    /// A sync is due.
    pub(crate) pending: bool,
}

use crate::behaviours::cluster::{Component, KubeDue, KubeWorld};
use crate::model::kube::selector_matches;

/// A pod's serving state or a Service changed: the controller syncs after the watch delay.
pub fn sync_soon(w: &mut impl KubeWorld) {
    let delay = w.watch_delay();
    if !w.cluster().endpoints_controller.pending {
        w.cluster().endpoints_controller.pending = true;
        w.schedule_kube(delay, KubeDue::SyncEndpoints);
    }
}

/// The endpoints controller: every Service lists its Ready pods that are
/// not terminating. Only pods whose state changed since the last sync
/// are looked at again.
pub fn sync(w: &mut impl KubeWorld) {
    w.cluster().endpoints_controller.pending = false;
    w.touch(Component::ControllerManager);
    let c = w.cluster();
    let changed = std::mem::take(&mut c.endpoints_controller.changed);
    let mut now_changed = Vec::new();
    for id in changed {
        let serving = c
            .pods
            .get(&id)
            .filter(|p| p.ready && !p.deleting)
            .map(|p| (Arc::clone(&p.template), c.pod_namespace(p).to_string()));
        let was = c.endpoints_controller.serving.contains(&id);
        if let Some((template, namespace)) = &serving {
            // A Service selects pods of its own namespace.
            for s in &mut c.services {
                if s.spec.namespace == *namespace
                    && selector_matches(&s.spec.selector, &template.labels)
                    && let Err(at) = s.endpoints.binary_search(&id)
                {
                    s.endpoints.insert(at, id);
                }
            }
        } else {
            for s in &mut c.services {
                if let Ok(at) = s.endpoints.binary_search(&id) {
                    s.endpoints.remove(at);
                }
            }
        }
        if serving.is_some() != was {
            if was {
                c.endpoints_controller.serving.remove(&id);
            } else {
                c.endpoints_controller.serving.insert(id);
            }
            now_changed.push(id);
        }
    }
    let mut services = std::mem::take(&mut c.services);
    for s in services.iter_mut().filter(|s| s.relist) {
        s.relist = false;
        s.endpoints = c
            .endpoints_controller
            .serving
            .iter()
            .copied()
            .filter(|id| {
                c.pods.get(id).is_some_and(|p| {
                    c.pod_namespace(p) == s.spec.namespace && selector_matches(&s.spec.selector, &p.template.labels)
                })
            })
            .collect();
    }
    c.services = services;
    w.endpoints_changed(&now_changed);
}
