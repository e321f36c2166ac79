//! The image registry and the wire between it and the hosts.
//!
//! Every blob download (an image layer or a VM disk image) is a flow. Flows
//! share bandwidth max-min fairly ("progressive filling"): the registry's
//! total bandwidth is split among all flows, each host's NIC among that host's
//! flows, and a flow held back by one limit leaves its unused share to the
//! others. The registry serves at most `max_concurrent_pulls` flows at once;
//! the rest queue in request order. Rates are whole bytes per second and
//! progress is whole bytes, so results are exact on every platform.

use std::collections::{BTreeMap, VecDeque};

use crate::engine::{SimDuration, SimTime};
use crate::model::spec::RegistrySpec;
use crate::model::{BlobId, Bytes, HostId};

/// One blob on its way to one host.
#[derive(Clone, Debug)]
pub struct Flow {
    pub host: HostId,
    pub blob: BlobId,
    pub total: Bytes,
    pub remaining: u64,
    /// Bytes per second at present.
    pub rate: u64,
}

/// The registry, its queue and the flows in progress.
#[derive(Clone, Debug)]
pub struct Registry {
    bandwidth: Option<u64>,
    max_concurrent: Option<u32>,
    nic: Vec<u64>,
    active: Vec<Flow>,
    queued: VecDeque<(HostId, BlobId, Bytes)>,
    last_update: SimTime,
    generation: u64,
    bytes_served: u64,
}

impl Registry {
    /// `nic[h]` is host h's NIC bandwidth in bytes per second.
    pub fn new(spec: &RegistrySpec, nic: Vec<u64>) -> Self {
        Self {
            bandwidth: spec.bandwidth.map(|b| b.0.max(1)),
            max_concurrent: spec.max_concurrent_pulls,
            nic,
            active: Vec::new(),
            queued: VecDeque::new(),
            last_update: SimTime::ZERO,
            generation: 0,
            bytes_served: 0,
        }
    }

    /// Changes whenever rates change; an old completion event carries an old one.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Bytes delivered so far, whole blobs and partial ones.
    pub fn bytes_served(&self) -> Bytes {
        Bytes(self.bytes_served)
    }

    pub fn active(&self) -> &[Flow] {
        &self.active
    }

    pub fn queued_len(&self) -> usize {
        self.queued.len()
    }

    /// Whether `blob` is queued for `host` (requested but not yet served).
    pub fn is_queued(&self, host: HostId, blob: BlobId) -> bool {
        self.queued.iter().any(|&(h, b, _)| h == host && b == blob)
    }

    /// Asks for `blob` to be sent to `host`.
    pub fn request(&mut self, now: SimTime, host: HostId, blob: BlobId, bytes: Bytes) {
        self.advance(now);
        self.queued.push_back((host, blob, bytes));
        self.admit();
        self.reallocate();
    }

    /// Brings every flow's progress up to `now` and returns the flows that
    /// finished, in the order they were admitted.
    pub fn complete_due(&mut self, now: SimTime) -> Vec<(HostId, BlobId, Bytes)> {
        self.advance(now);
        let mut done = Vec::new();
        self.active.retain(|f| {
            if f.remaining == 0 {
                done.push((f.host, f.blob, f.total));
                false
            } else {
                true
            }
        });
        if !done.is_empty() {
            self.admit();
            self.reallocate();
        }
        done
    }

    /// Drops every flow and queued request for `host` (it went down).
    pub fn cancel_host(&mut self, now: SimTime, host: HostId) {
        self.advance(now);
        self.active.retain(|f| f.host != host);
        self.queued.retain(|&(h, _, _)| h != host);
        self.admit();
        self.reallocate();
    }

    /// When the next flow finishes at present rates.
    pub fn next_completion(&self) -> Option<SimTime> {
        self.active
            .iter()
            .map(|f| {
                let micros = (u128::from(f.remaining) * 1_000_000).div_ceil(u128::from(f.rate.max(1)));
                self.last_update + SimDuration(micros.min(u128::from(u64::MAX)) as u64)
            })
            .min()
    }

    /// Bytes of `blob` that have reached `host` by `at`, interpolated at present
    /// rates; `None` when no such flow is active.
    pub fn progress(&self, host: HostId, blob: BlobId, at: SimTime) -> Option<(Bytes, Bytes)> {
        let f = self.active.iter().find(|f| f.host == host && f.blob == blob)?;
        let moved = transferred(f.rate, at.since(self.last_update)).min(f.remaining);
        Some((Bytes(f.total.0 - f.remaining + moved), f.total))
    }

    fn advance(&mut self, now: SimTime) {
        let dt = now.since(self.last_update);
        if dt.0 > 0 {
            for f in &mut self.active {
                let moved = transferred(f.rate, dt).min(f.remaining);
                f.remaining -= moved;
                self.bytes_served += moved;
            }
        }
        self.last_update = self.last_update.max(now);
    }

    fn admit(&mut self) {
        while let Some(&(host, blob, total)) = self.queued.front() {
            if let Some(limit) = self.max_concurrent
                && self.active.len() >= limit as usize
            {
                break;
            }
            self.queued.pop_front();
            self.active.push(Flow { host, blob, total, remaining: total.0, rate: 0 });
        }
    }

    /// Max-min fair rates by progressive filling over two kinds of limit:
    /// the registry's bandwidth (all flows) and each host's NIC (its flows).
    fn reallocate(&mut self) {
        self.generation += 1;
        let n = self.active.len();
        if n == 0 {
            return;
        }
        let mut frozen = vec![false; n];
        let mut registry_left: Option<u64> = self.bandwidth;
        let mut host_left: BTreeMap<HostId, u64> = BTreeMap::new();
        for f in &self.active {
            host_left.entry(f.host).or_insert_with(|| self.nic.get(f.host.index()).copied().unwrap_or(u64::MAX).max(1));
        }
        let mut unfrozen = n;
        while unfrozen > 0 {
            let mut per_host: BTreeMap<HostId, u64> = BTreeMap::new();
            for (i, f) in self.active.iter().enumerate() {
                if !frozen[i] {
                    *per_host.entry(f.host).or_insert(0) += 1;
                }
            }
            // The tightest limit sets the next share.
            let mut share = u64::MAX;
            let mut bottleneck: Option<HostId> = None;
            if let Some(left) = registry_left {
                share = left / unfrozen as u64;
            }
            for (&h, &count) in &per_host {
                let s = host_left[&h] / count;
                if s < share {
                    share = s;
                    bottleneck = Some(h);
                }
            }
            let share = share.max(1);
            for (i, f) in self.active.iter_mut().enumerate() {
                if frozen[i] {
                    continue;
                }
                if bottleneck.is_none() || bottleneck == Some(f.host) {
                    frozen[i] = true;
                    unfrozen -= 1;
                    f.rate = share;
                    if let Some(left) = registry_left.as_mut() {
                        *left = left.saturating_sub(share);
                    }
                    if let Some(left) = host_left.get_mut(&f.host) {
                        *left = left.saturating_sub(share);
                    }
                }
            }
        }
    }
}

fn transferred(rate: u64, dt: SimDuration) -> u64 {
    let bytes = u128::from(rate) * u128::from(dt.0) / 1_000_000;
    bytes.min(u128::from(u64::MAX)) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::BytesPerSecond;

    fn registry(bandwidth: Option<u64>, max: Option<u32>, nics: &[u64]) -> Registry {
        Registry::new(
            &RegistrySpec { bandwidth: bandwidth.map(BytesPerSecond), max_concurrent_pulls: max },
            nics.to_vec(),
        )
    }

    #[test]
    fn registry_bandwidth_is_shared_equally() {
        // 100 B/s shared by two flows of 100 B: each gets 50 B/s, both finish at 2 s.
        let mut r = registry(Some(100), None, &[1_000, 1_000]);
        r.request(SimTime::ZERO, HostId(0), BlobId(0), Bytes(100));
        r.request(SimTime::ZERO, HostId(1), BlobId(0), Bytes(100));
        assert_eq!(r.next_completion(), Some(SimTime(2_000_000)));
        let done = r.complete_due(SimTime(2_000_000));
        assert_eq!(done.len(), 2);
        assert_eq!(r.bytes_served(), Bytes(200));
    }

    #[test]
    fn a_slow_nic_leaves_its_share_to_others() {
        // Registry 100 B/s; host 0's NIC does 10 B/s, so host 1 gets the other 90.
        let mut r = registry(Some(100), None, &[10, 1_000]);
        r.request(SimTime::ZERO, HostId(0), BlobId(0), Bytes(1_000));
        r.request(SimTime::ZERO, HostId(1), BlobId(0), Bytes(90));
        let rates: Vec<u64> = r.active().iter().map(|f| f.rate).collect();
        assert_eq!(rates, vec![10, 90]);
        assert_eq!(r.next_completion(), Some(SimTime(1_000_000)));
    }

    #[test]
    fn concurrency_limit_queues_in_order() {
        let mut r = registry(None, Some(1), &[100]);
        r.request(SimTime::ZERO, HostId(0), BlobId(0), Bytes(100));
        r.request(SimTime::ZERO, HostId(0), BlobId(1), Bytes(100));
        assert_eq!(r.active().len(), 1);
        assert_eq!(r.queued_len(), 1);
        let done = r.complete_due(SimTime(1_000_000));
        assert_eq!(done, vec![(HostId(0), BlobId(0), Bytes(100))]);
        assert_eq!(r.active()[0].blob, BlobId(1));
        assert_eq!(r.next_completion(), Some(SimTime(2_000_000)));
    }

    #[test]
    fn progress_interpolates_between_events() {
        let mut r = registry(None, None, &[100]);
        r.request(SimTime::ZERO, HostId(0), BlobId(0), Bytes(100));
        assert_eq!(r.progress(HostId(0), BlobId(0), SimTime(250_000)), Some((Bytes(25), Bytes(100))));
    }
}
