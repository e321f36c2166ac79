//! A HorizontalPodAutoscaler's `behavior` as applied (autoscaling/v2
//! `HPAScalingRules`), its missing parts filled with the API's defaults. The
//! controller that follows it is `behaviours::hpa`.

use crate::engine::SimDuration;

/// A non-negative decimal quantity as the API carries it (`"0.05"`, `"50m"`):
/// `mantissa × 10^exponent`, kept exact.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecimalQuantity {
    pub mantissa: u64,
    pub exponent: i32,
}

impl DecimalQuantity {
    /// `Quantity.AsApproximateFloat64`: the mantissa times the power of ten.
    pub fn as_approximate_f64(self) -> f64 {
        let base = self.mantissa as f64;
        match self.exponent {
            0 => base,
            e if e > 0 => base * 10f64.powi(e),
            e => base * (1.0 / 10f64.powi(-e)),
        }
    }
}

impl std::fmt::Display for DecimalQuantity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.exponent >= 0 {
            return write!(f, "{}{}", self.mantissa, "0".repeat(self.exponent as usize));
        }
        let digits = format!("{:0>width$}", self.mantissa, width = (-self.exponent) as usize + 1);
        let (whole, frac) = digits.split_at(digits.len() - (-self.exponent) as usize);
        write!(f, "{whole}.{frac}")
    }
}

/// A scaling policy: at most `value` pods, or `value` percent, per `period`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScalingPolicy {
    Pods { value: u32, period: SimDuration },
    Percent { value: u32, period: SimDuration },
}

impl ScalingPolicy {
    pub fn period(&self) -> SimDuration {
        match *self {
            ScalingPolicy::Pods { period, .. } | ScalingPolicy::Percent { period, .. } => period,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SelectPolicy {
    Max,
    Min,
    Disabled,
}

/// `behavior.scaleUp` or `behavior.scaleDown`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScalingRules {
    pub stabilization_window: SimDuration,
    pub policies: Vec<ScalingPolicy>,
    pub select: SelectPolicy,
    /// This direction's side of the tolerance band, when the HPA sets it.
    pub tolerance: Option<DecimalQuantity>,
}

impl ScalingRules {
    /// `autoscaling/v2` defaults: scale up by 4 pods or 100 % per 15 s, no stabilisation.
    pub fn default_scale_up() -> Self {
        ScalingRules {
            stabilization_window: SimDuration::ZERO,
            policies: vec![
                ScalingPolicy::Pods { value: 4, period: SimDuration::from_secs(15) },
                ScalingPolicy::Percent { value: 100, period: SimDuration::from_secs(15) },
            ],
            select: SelectPolicy::Max,
            tolerance: None,
        }
    }

    /// Scale down by 100 % per 15 s, after the 300 s stabilisation window.
    pub fn default_scale_down() -> Self {
        ScalingRules {
            stabilization_window: SimDuration::from_secs(300),
            policies: vec![ScalingPolicy::Percent { value: 100, period: SimDuration::from_secs(15) }],
            select: SelectPolicy::Max,
            tolerance: None,
        }
    }
}

/// An HPA's `behavior`: the rules for scaling up and for scaling down.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Behavior {
    pub scale_up: ScalingRules,
    pub scale_down: ScalingRules,
}
