//! A host's cache of image layers and VM disk images, with least-recently-used
//! eviction of whatever no instance on the host is using.
//!
//! Layers are content-addressed in real registries, so two images built on the
//! same base share its layers, and a host pulls each layer once.

use std::collections::BTreeMap;

use super::ids::BlobId;
use super::quantity::Bytes;

#[derive(Clone, Debug)]
struct Entry {
    bytes: Bytes,
    /// Larger is more recent.
    last_used: u64,
    /// Instances on the host that need this blob.
    pins: u32,
}

/// The blobs on one host's disk.
#[derive(Clone, Debug)]
pub struct BlobCache {
    capacity: Bytes,
    used: Bytes,
    pinned: Bytes,
    clock: u64,
    entries: BTreeMap<BlobId, Entry>,
}

impl BlobCache {
    pub fn new(capacity: Bytes) -> Self {
        Self { capacity, used: Bytes(0), pinned: Bytes(0), clock: 0, entries: BTreeMap::new() }
    }

    pub fn capacity(&self) -> Bytes {
        self.capacity
    }

    /// Bytes held.
    pub fn used(&self) -> Bytes {
        self.used
    }

    /// Bytes held that some instance needs, and so cannot be evicted.
    pub fn pinned(&self) -> Bytes {
        self.pinned
    }

    pub fn contains(&self, blob: BlobId) -> bool {
        self.entries.contains_key(&blob)
    }

    /// Present and needed by some instance on the host.
    pub fn is_pinned(&self, blob: BlobId) -> bool {
        self.entries.get(&blob).is_some_and(|e| e.pins > 0)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn blobs(&self) -> impl Iterator<Item = (BlobId, Bytes)> + '_ {
        self.entries.iter().map(|(&b, e)| (b, e.bytes))
    }

    /// Marks a blob as just used.
    pub fn touch(&mut self, blob: BlobId) {
        self.clock += 1;
        if let Some(e) = self.entries.get_mut(&blob) {
            e.last_used = self.clock;
        }
    }

    /// An instance on the host starts needing `blob` (which must be present).
    pub fn pin(&mut self, blob: BlobId) {
        if let Some(e) = self.entries.get_mut(&blob) {
            if e.pins == 0 {
                self.pinned.0 += e.bytes.0;
            }
            e.pins += 1;
        }
    }

    /// An instance on the host no longer needs `blob`.
    pub fn unpin(&mut self, blob: BlobId) {
        if let Some(e) = self.entries.get_mut(&blob)
            && e.pins > 0
        {
            e.pins -= 1;
            if e.pins == 0 {
                self.pinned.0 -= e.bytes.0;
            }
        }
    }

    /// Drops every pin (the host went down and its instances with it).
    pub fn unpin_all(&mut self) {
        for e in self.entries.values_mut() {
            e.pins = 0;
        }
        self.pinned = Bytes(0);
    }

    /// Adds a blob and evicts least-recently-used unpinned blobs until the
    /// cache is within `limit` (its capacity, or less when instance disks need
    /// room). Returns what was evicted, oldest first.
    pub fn insert(&mut self, blob: BlobId, bytes: Bytes, limit: Bytes) -> Vec<(BlobId, Bytes)> {
        self.clock += 1;
        if !self.entries.contains_key(&blob) {
            self.entries.insert(blob, Entry { bytes, last_used: self.clock, pins: 0 });
            self.used.0 += bytes.0;
        } else {
            self.touch(blob);
        }
        self.evict_to(limit.min(self.capacity), Some(blob))
    }

    /// Evicts unpinned blobs, least recently used first, until `used <= limit`
    /// or nothing more can go. `keep` is never evicted.
    pub fn evict_to(&mut self, limit: Bytes, keep: Option<BlobId>) -> Vec<(BlobId, Bytes)> {
        let mut evicted = Vec::new();
        if self.used <= limit {
            return evicted;
        }
        let mut candidates: Vec<(u64, BlobId)> = self
            .entries
            .iter()
            .filter(|(b, e)| e.pins == 0 && Some(**b) != keep)
            .map(|(b, e)| (e.last_used, *b))
            .collect();
        candidates.sort_unstable();
        for (_, blob) in candidates {
            if self.used <= limit {
                break;
            }
            if let Some(e) = self.entries.remove(&blob) {
                self.used.0 -= e.bytes.0;
                evicted.push((blob, e.bytes));
            }
        }
        evicted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_least_recently_used_unpinned_first() {
        let mut c = BlobCache::new(Bytes(300));
        c.insert(BlobId(1), Bytes(100), Bytes(300));
        c.insert(BlobId(2), Bytes(100), Bytes(300));
        c.insert(BlobId(3), Bytes(100), Bytes(300));
        c.touch(BlobId(1));
        c.pin(BlobId(2));
        // Full: adding 4 must evict 3 (oldest unpinned; 1 was touched, 2 is pinned).
        let gone = c.insert(BlobId(4), Bytes(100), Bytes(300));
        assert_eq!(gone, vec![(BlobId(3), Bytes(100))]);
        assert!(c.contains(BlobId(1)) && c.contains(BlobId(2)) && c.contains(BlobId(4)));
        assert_eq!(c.used(), Bytes(300));
        assert_eq!(c.pinned(), Bytes(100));
    }

    #[test]
    fn pinned_blobs_stay_even_over_capacity() {
        let mut c = BlobCache::new(Bytes(100));
        c.insert(BlobId(1), Bytes(100), Bytes(100));
        c.pin(BlobId(1));
        let gone = c.insert(BlobId(2), Bytes(100), Bytes(100));
        assert!(gone.is_empty());
        assert_eq!(c.used(), Bytes(200));
    }
}
