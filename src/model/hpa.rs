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

/// A resource metrics-server measures: CPU, or memory (a pod's working set
/// is taken to be what it requests; Flotilla models no memory growth).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetricResource {
    Cpu,
    Memory,
}

impl MetricResource {
    /// Its `ResourceName`.
    pub fn name(self) -> &'static str {
        match self {
            MetricResource::Cpu => "cpu",
            MetricResource::Memory => "memory",
        }
    }
}

/// The per-pod metrics Flotilla's custom metrics API serves for `Pods`
/// metrics: requests served per second, over the metrics window.
pub const PODS_METRICS: &[&str] = &["http_requests_per_second"];

/// Where a metric comes from (an autoscaling/v2 `MetricSpec`'s source).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MetricSource {
    /// `Resource` (every container of the pod) or, with a container,
    /// `ContainerResource` (that one container), from metrics-server.
    Resource { resource: MetricResource, container: Option<String> },
    /// `Pods`: one of [`PODS_METRICS`], from the custom metrics API.
    Pods { metric: String },
}

/// `MetricTarget`: a utilisation of the requests, or an average value per
/// pod in thousandths of the metric's unit (`MilliValue`), with the text it
/// was written as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MetricTarget {
    Utilization(u32),
    AverageValue { milli: u64, text: String },
}

impl MetricTarget {
    /// The target as `Quantity.String()` prints it: a binary quantity as
    /// written (`256Mi`), any other in its canonical decimal form (`500m`,
    /// `10`); a utilisation as a percentage.
    pub fn quantity_string(&self) -> String {
        match self {
            MetricTarget::Utilization(u) => format!("{u}%"),
            MetricTarget::AverageValue { text, .. } if text.ends_with('i') => text.clone(),
            MetricTarget::AverageValue { milli, .. } => decimal_si_milli(*milli),
        }
    }
}

/// One entry of an HPA's `spec.metrics`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetricSpec {
    pub source: MetricSource,
    pub target: MetricTarget,
}

impl MetricSpec {
    /// autoscaling/v2's default when an HPA names no metric: 80 % CPU utilisation.
    pub fn default_cpu() -> Self {
        MetricSpec::cpu_utilization(80)
    }

    pub fn cpu_utilization(percent: u32) -> Self {
        MetricSpec {
            source: MetricSource::Resource { resource: MetricResource::Cpu, container: None },
            target: MetricTarget::Utilization(percent),
        }
    }

    /// The `MetricSourceType`.
    pub fn kind(&self) -> &'static str {
        match &self.source {
            MetricSource::Resource { container: None, .. } => "Resource",
            MetricSource::Resource { container: Some(_), .. } => "ContainerResource",
            MetricSource::Pods { .. } => "Pods",
        }
    }

    /// The metric as the controller names it in a rescale reason
    /// (`computeStatusFor…Metric`): `cpu resource utilization (percentage of
    /// request)`, `memory container resource`, `pods metric http_requests_per_second`.
    pub fn describe(&self) -> String {
        match (&self.source, &self.target) {
            (MetricSource::Resource { resource, container }, target) => {
                let scope = if container.is_some() { "container resource" } else { "resource" };
                match target {
                    MetricTarget::Utilization(_) => {
                        format!("{} {scope} utilization (percentage of request)", resource.name())
                    }
                    MetricTarget::AverageValue { .. } => format!("{} {scope}", resource.name()),
                }
            }
            (MetricSource::Pods { metric }, _) => format!("pods metric {metric}"),
        }
    }
}

/// A metric's current value as the HPA's status reports it
/// (`MetricStatus.current`): the average per pod in thousandths of its unit,
/// and for a utilisation target the utilisation, percent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MetricCurrent {
    pub average_milli: u64,
    pub utilization: Option<u32>,
}

/// A value in thousandths of a unit as `resource.NewMilliQuantity(v,
/// DecimalSI).String()` writes it: the largest decimal suffix that keeps it
/// whole (`500m`, `2`, `12k`, `1500m`).
pub fn decimal_si_milli(milli: u64) -> String {
    if milli == 0 {
        return "0".into();
    }
    if !milli.is_multiple_of(1000) {
        return format!("{milli}m");
    }
    let mut value = milli / 1000;
    for suffix in ["", "k", "M", "G", "T", "P"] {
        if !value.is_multiple_of(1000) {
            return format!("{value}{suffix}");
        }
        value /= 1000;
    }
    format!("{value}E")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_si_milli_as_quantity_string() {
        for (milli, text) in [
            (0, "0"),
            (500, "500m"),
            (1500, "1500m"),
            (2000, "2"),
            (12_000_000, "12k"),
            (268_435_456_000, "268435456"),
            (3_000_000_000, "3M"),
        ] {
            assert_eq!(decimal_si_milli(milli), text, "{milli}");
        }
    }

    #[test]
    fn metrics_describe_themselves_as_the_controller_does() {
        assert_eq!(MetricSpec::cpu_utilization(50).describe(), "cpu resource utilization (percentage of request)");
        let m = MetricSpec {
            source: MetricSource::Resource { resource: MetricResource::Memory, container: Some("app".into()) },
            target: MetricTarget::AverageValue { milli: 1000, text: "1".into() },
        };
        assert_eq!((m.kind(), m.describe().as_str()), ("ContainerResource", "memory container resource"));
    }
}
