//! Seeded random streams, one per (world, component).
//!
//! Each stream is a ChaCha8 generator seeded from a stable 64-bit FNV-1a hash of
//! the scenario seed, the world's name and the component's name. Adding a new
//! component or world never shifts the numbers another one draws, and the
//! generator gives the same sequence on every platform, the browser included.

use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};

/// FNV-1a over a sequence of byte strings, each followed by a 0xff separator
/// so that ("ab", "c") and ("a", "bc") hash apart.
pub fn stable_hash(parts: &[&[u8]]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut h = OFFSET;
    for part in parts {
        for &b in part.iter() {
            h ^= u64::from(b);
            h = h.wrapping_mul(PRIME);
        }
        h ^= 0xff;
        h = h.wrapping_mul(PRIME);
    }
    h
}

/// A deterministic random stream.
#[derive(Clone, Debug)]
pub struct RandomStream {
    rng: ChaCha8Rng,
}

impl RandomStream {
    /// The stream for `component` in `world` under the scenario `seed`.
    pub fn derive(seed: u64, world: &str, component: &str) -> Self {
        let key = stable_hash(&[&seed.to_le_bytes(), world.as_bytes(), component.as_bytes()]);
        Self { rng: ChaCha8Rng::seed_from_u64(key) }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.rng.next_u64()
    }

    /// Uniform in [0, 1) with 53 random bits.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1_u64 << 53) as f64)
    }

    /// Uniform in (0, 1], safe to take the logarithm of.
    pub fn next_open_f64(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 * (1.0 / (1_u64 << 53) as f64)
    }

    /// Uniform integer in [0, n) without modulo bias; `n` must be positive.
    pub fn below(&mut self, n: u64) -> u64 {
        debug_assert!(n > 0);
        let zone = u64::MAX - (u64::MAX % n);
        loop {
            let x = self.next_u64();
            if x < zone {
                return x % n;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_key_gives_same_stream() {
        let mut a = RandomStream::derive(7, "VMs", "boot");
        let mut b = RandomStream::derive(7, "VMs", "boot");
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
    }

    #[test]
    fn streams_differ_by_world_component_and_seed() {
        let first = |seed, w: &str, c: &str| RandomStream::derive(seed, w, c).next_u64();
        let base = first(7, "VMs", "boot");
        assert_ne!(base, first(8, "VMs", "boot"));
        assert_ne!(base, first(7, "Containers", "boot"));
        assert_ne!(base, first(7, "VMs", "start"));
    }

    #[test]
    fn stream_is_stable_across_releases() {
        // Pinned values: a change here changes every scenario's results, so it
        // must be deliberate. The same numbers come out in the browser build.
        assert_eq!(stable_hash(&[b"a", b"bc"]), 11_575_188_015_659_155_627);
        assert_ne!(stable_hash(&[b"ab", b"c"]), stable_hash(&[b"a", b"bc"]));
        assert_eq!(RandomStream::derive(1, "w", "c").next_u64(), 11_990_538_347_125_184_211);
    }

    #[test]
    fn below_stays_in_range() {
        let mut s = RandomStream::derive(3, "w", "c");
        for n in 1..50 {
            assert!(s.below(n) < n);
        }
    }
}
