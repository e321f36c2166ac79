//! The pods the API server holds, by the id of the instance each one is.
//! Ids are dense and never reused, so a pod is found by indexing; a pod that
//! is gone leaves an empty slot of one pointer.

use super::Pod;
use crate::model::InstanceId;

#[derive(Clone, Debug, Default)]
pub struct Pods {
    slots: Vec<Option<Box<Pod>>>,
    len: usize,
}

impl Pods {
    pub fn get(&self, id: &InstanceId) -> Option<&Pod> {
        self.slots.get(id.index()).and_then(|p| p.as_deref())
    }

    pub fn get_mut(&mut self, id: &InstanceId) -> Option<&mut Pod> {
        self.slots.get_mut(id.index()).and_then(|p| p.as_deref_mut())
    }

    pub fn contains_key(&self, id: &InstanceId) -> bool {
        self.get(id).is_some()
    }

    pub fn insert(&mut self, id: InstanceId, pod: Pod) {
        if self.slots.len() <= id.index() {
            self.slots.resize_with(id.index() + 1, || None);
        }
        if self.slots[id.index()].replace(Box::new(pod)).is_none() {
            self.len += 1;
        }
    }

    pub fn remove(&mut self, id: &InstanceId) -> Option<Pod> {
        let pod = self.slots.get_mut(id.index())?.take()?;
        self.len -= 1;
        Some(*pod)
    }

    /// Pods that exist now.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Every pod in id order. This visits every id ever given: not for a hot path.
    pub fn iter(&self) -> impl Iterator<Item = (InstanceId, &Pod)> {
        self.slots.iter().enumerate().filter_map(|(i, p)| p.as_deref().map(|p| (InstanceId(i as u32), p)))
    }

    pub fn values(&self) -> impl Iterator<Item = &Pod> {
        self.iter().map(|(_, p)| p)
    }
}

impl std::ops::Index<&InstanceId> for Pods {
    type Output = Pod;

    fn index(&self, id: &InstanceId) -> &Pod {
        self.get(id).expect("the pod exists")
    }
}
