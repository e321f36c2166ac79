//! Statistics kept as a run goes, in memory that does not grow with it.
//!
//! [`Durations`] records durations (latencies, waits) in an HdrHistogram with
//! three significant digits: a percentile comes out within 0.1 % of the
//! exact nearest-rank value, the same on every platform, and the histogram
//! takes the same room after a thousand requests as after a billion. The
//! count, the mean and the largest value are exact.

use hdrhistogram::Histogram;

use super::time::SimDuration;

/// Significant decimal digits kept: values within 0.1 % share a bucket.
const SIGNIFICANT_DIGITS: u8 = 3;
/// The longest duration told apart from longer ones: about 1.1 years in µs.
const HIGHEST: u64 = 1 << 45;

/// Durations recorded in microseconds.
#[derive(Clone, Debug)]
pub struct Durations {
    histogram: Histogram<u64>,
    count: u64,
    sum_us: u128,
    max_us: u64,
}

impl Default for Durations {
    // The bounds are constants within what HdrHistogram accepts (1 ≤ low, 2·low ≤ high, 0–5 digits).
    #[allow(clippy::expect_used)]
    fn default() -> Self {
        Durations {
            histogram: Histogram::new_with_bounds(1, HIGHEST, SIGNIFICANT_DIGITS).expect("valid histogram bounds"),
            count: 0,
            sum_us: 0,
            max_us: 0,
        }
    }
}

impl Durations {
    pub fn record(&mut self, d: SimDuration) {
        let us = d.as_micros();
        self.histogram.saturating_record(us.max(1));
        self.count += 1;
        self.sum_us += u128::from(us);
        self.max_us = self.max_us.max(us);
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    /// Mean in seconds, exact.
    pub fn mean_secs(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum_us as f64 / self.count as f64 / 1e6)
    }

    pub fn max_secs(&self) -> Option<f64> {
        (self.count > 0).then(|| self.max_us as f64 / 1e6)
    }

    /// The nearest-rank `q`-quantile (0 < q ≤ 1) in seconds: the smallest
    /// value with at least q·n values at or below it, to within 0.1 %.
    pub fn quantile_secs(&self, q: f64) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        let rank = libm::ceil(q * self.count as f64).max(1.0) as u64;
        let mut seen = 0;
        for v in self.histogram.iter_recorded() {
            seen += v.count_since_last_iteration();
            if seen >= rank {
                // The bucket's values are within 0.1 % of one another; the exact
                // largest recorded value is known, and no bucket reports more.
                let value = self.histogram.highest_equivalent(v.value_iterated_to()).min(self.max_us);
                return Some(value as f64 / 1e6);
            }
        }
        self.max_secs()
    }

    /// Adds every duration of `other`.
    pub fn merge(&mut self, other: &Durations) {
        let _ = self.histogram.add(&other.histogram);
        self.count += other.count;
        self.sum_us += other.sum_us;
        self.max_us = self.max_us.max(other.max_us);
    }
}

/// The nearest-rank `q`-quantile (0 < q ≤ 1) of sorted values: the smallest
/// value with at least q·n values at or below it.
pub fn nearest_rank<T: Copy>(sorted: &[T], q: f64) -> Option<T> {
    if sorted.is_empty() {
        return None;
    }
    let rank = libm::ceil(q * sorted.len() as f64).max(1.0) as usize;
    Some(sorted[rank.min(sorted.len()) - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_within_a_thousandth_of_the_exact_ones() {
        let mut d = Durations::default();
        let mut exact = Vec::new();
        // 1, 4, 9, … µs up to 100 s: a wide spread of magnitudes.
        for i in 1..=10_000u64 {
            let us = i * i;
            d.record(SimDuration(us));
            exact.push(us as f64 / 1e6);
        }
        for q in [0.01, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0] {
            let want = nearest_rank(&exact, q).unwrap();
            let got = d.quantile_secs(q).unwrap();
            assert!((got - want).abs() <= want * 1e-3, "q {q}: {got} vs {want}");
        }
        assert_eq!(d.count(), 10_000);
        let mean = exact.iter().sum::<f64>() / 10_000.0;
        assert!((d.mean_secs().unwrap() - mean).abs() < 1e-9);
        assert_eq!(d.max_secs(), Some(100.0));
        assert_eq!(Durations::default().quantile_secs(0.5), None);
    }

    #[test]
    fn nearest_rank_matches_its_definition() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0];
        // p50 of 10 values: rank ceil(5) = 5 → 5; p95: rank ceil(9.5) = 10 → 10.
        assert_eq!(nearest_rank(&v, 0.5), Some(5.0));
        assert_eq!(nearest_rank(&v, 0.95), Some(10.0));
        assert_eq!(nearest_rank(&[3.0], 0.5), Some(3.0));
        assert_eq!(nearest_rank::<f64>(&[], 0.5), None);
    }
}
