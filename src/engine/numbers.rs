//! Rounding as the maths library does it, without a call into it on the hot
//! paths: the same result for every finite input, on every platform.

/// `x` rounded to the nearest integer, halves away from zero (`libm::round`).
#[inline]
pub fn round(x: f64) -> f64 {
    // Beyond 2⁵² every f64 is an integer already; NaN and infinities pass through.
    if x.is_nan() || x.abs() >= 4_503_599_627_370_496.0 {
        return x;
    }
    // Below 2⁵² the cast truncates as `trunc` does (its sign kept for a
    // zero), without a call into the maths library on machines whose
    // baseline has no rounding instruction.
    let whole = ((x as i64) as f64).copysign(x);
    let rest = (x - whole).abs();
    if rest >= 0.5 { whole + x.signum() } else { whole }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_as_libm_does() {
        let edges = [
            0.0,
            -0.0,
            0.5,
            -0.5,
            1.5,
            2.5,
            -2.5,
            0.49999999999999994,
            -0.49999999999999994,
            4_503_599_627_370_495.5,
            9_007_199_254_740_993.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1e300,
        ];
        let mut x = 0.123_456_789_f64;
        let mut values: Vec<f64> = edges.to_vec();
        for _ in 0..10_000 {
            x = (x * 7.77 + 0.31) % 1_000.0;
            values.extend([x, -x, x.floor() + 0.5, -(x.floor() + 0.5)]);
        }
        for v in values {
            assert_eq!(round(v).to_bits(), libm::round(v).to_bits(), "{v}");
        }
        assert!(round(f64::NAN).is_nan());
    }
}
