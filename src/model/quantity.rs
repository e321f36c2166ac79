//! Quantities as people write them: memory and sizes (`256Mi`, `28.2MB`, `1Ti`),
//! CPU (`500m`, `32`, `0.5`) and bandwidth (`10Gbps`, `125MB/s`).
//!
//! Sizes follow both conventions in use: decimal (`kB`, `MB`, `GB`, `TB`, and
//! Kubernetes' `k`, `M`, `G`, `T`) as registries report image sizes, and binary
//! (`Ki`, `Mi`, `Gi`, `Ti`, `KiB`, `MiB`, …) as Kubernetes requests memory.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::engine::time::{scaled_decimal, trim_float};

pub const KIB: u64 = 1 << 10;
pub const MIB: u64 = 1 << 20;
pub const GIB: u64 = 1 << 30;
pub const MB: u64 = 1_000_000;

/// A number of bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Bytes(pub u64);

/// CPU in thousandths of a core, as Kubernetes counts it (`500m` is half a core).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Millicores(pub u64);

/// A transfer rate in bytes per second.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BytesPerSecond(pub u64);

const SIZE_UNITS: &[(&str, u64)] = &[
    ("", 1),
    ("B", 1),
    ("k", 1_000),
    ("kB", 1_000),
    ("K", 1_000),
    ("KB", 1_000),
    ("M", MB),
    ("MB", MB),
    ("G", 1_000 * MB),
    ("GB", 1_000 * MB),
    ("T", 1_000_000 * MB),
    ("TB", 1_000_000 * MB),
    ("Ki", KIB),
    ("KiB", KIB),
    ("Mi", MIB),
    ("MiB", MIB),
    ("Gi", GIB),
    ("GiB", GIB),
    ("Ti", GIB * 1024),
    ("TiB", GIB * 1024),
];

const RATE_UNITS: &[(&str, u64, u64)] = &[
    // (unit, numerator, denominator) in bytes per second.
    ("bps", 1, 8),
    ("bit/s", 1, 8),
    ("Kbps", 1_000, 8),
    ("kbps", 1_000, 8),
    ("Mbps", MB, 8),
    ("Mbit/s", MB, 8),
    ("Gbps", 1_000 * MB, 8),
    ("Gbit/s", 1_000 * MB, 8),
    ("B/s", 1, 1),
    ("kB/s", 1_000, 1),
    ("KB/s", 1_000, 1),
    ("MB/s", MB, 1),
    ("GB/s", 1_000 * MB, 1),
    ("KiB/s", KIB, 1),
    ("MiB/s", MIB, 1),
    ("GiB/s", GIB, 1),
];

fn split_number(text: &str) -> (&str, &str) {
    let t = text.trim();
    let end = t.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_')).unwrap_or(t.len());
    (&t[..end], t[end..].trim())
}

impl Bytes {
    pub fn parse(text: &str) -> Result<Bytes, String> {
        let (number, unit) = split_number(text);
        if text.trim().starts_with('-') {
            return Err(format!("\"{text}\" is negative; sizes are zero or more"));
        }
        if number.is_empty() {
            return Err(format!("\"{text}\" is not a size; write a number and a unit such as \"256Mi\" or \"28.2MB\""));
        }
        let Some(&(_, scale)) = SIZE_UNITS.iter().find(|(u, _)| *u == unit) else {
            return Err(format!(
                "\"{text}\" has an unknown unit \"{unit}\"; use B, kB, MB, GB, TB (powers of 1000) or Ki, Mi, Gi, Ti (powers of 1024)"
            ));
        };
        match scaled_decimal(number, scale) {
            None => Err(format!("\"{text}\" is not a size; write a number and a unit such as \"256Mi\"")),
            Some(None) => Err(format!("\"{text}\" is too large")),
            Some(Some(b)) => Ok(Bytes(b)),
        }
    }

    pub fn as_gib(self) -> f64 {
        self.0 as f64 / GIB as f64
    }

    pub fn as_mib(self) -> f64 {
        self.0 as f64 / MIB as f64
    }

    pub fn as_mb(self) -> f64 {
        self.0 as f64 / MB as f64
    }
}

impl Bytes {
    /// Binary units always (memory is counted in powers of 1024): `40Gi`,
    /// or two decimals in the largest unit that fits, `40.01Gi`.
    pub fn binary(self) -> String {
        let b = self.0;
        for (unit, scale) in [("Ti", GIB * 1024), ("Gi", GIB), ("Mi", MIB), ("Ki", KIB)] {
            if b >= scale {
                return if b.is_multiple_of(scale) {
                    format!("{}{unit}", b / scale)
                } else {
                    format!("{:.2}{unit}", b as f64 / scale as f64)
                };
            }
        }
        format!("{b}B")
    }
}

impl fmt::Display for Bytes {
    /// Binary units for round binary amounts (memory), decimal otherwise (image sizes).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0;
        if b == 0 {
            return write!(f, "0");
        }
        for (unit, scale) in [("Ti", GIB * 1024), ("Gi", GIB), ("Mi", MIB), ("Ki", KIB)] {
            if b >= scale && b.is_multiple_of(scale) {
                return write!(f, "{}{unit}", b / scale);
            }
        }
        for (unit, scale) in [("TB", 1_000_000 * MB), ("GB", 1_000 * MB), ("MB", MB), ("kB", 1_000)] {
            if b >= scale {
                return write!(f, "{}{unit}", trim_float(libm::round(b as f64 / scale as f64 * 100.0) / 100.0));
            }
        }
        write!(f, "{b}B")
    }
}

impl Millicores {
    pub fn parse(text: &str) -> Result<Millicores, String> {
        let (number, unit) = split_number(text);
        if text.trim().starts_with('-') {
            return Err(format!("\"{text}\" is negative; CPU is zero or more"));
        }
        let scale = match unit {
            "" => 1_000,
            "m" => 1,
            _ => {
                return Err(format!(
                    "\"{text}\" is not a CPU amount; write cores (\"2\", \"0.5\") or millicores (\"500m\")"
                ));
            }
        };
        match scaled_decimal(number, scale) {
            None => Err(format!("\"{text}\" is not a CPU amount; write cores (\"2\") or millicores (\"500m\")")),
            Some(None) => Err(format!("\"{text}\" is too large")),
            Some(Some(m)) => Ok(Millicores(m)),
        }
    }

    pub fn as_cores(self) -> f64 {
        self.0 as f64 / 1000.0
    }
}

impl fmt::Display for Millicores {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_multiple_of(1000) { write!(f, "{}", self.0 / 1000) } else { write!(f, "{}m", self.0) }
    }
}

impl BytesPerSecond {
    pub fn parse(text: &str) -> Result<BytesPerSecond, String> {
        let (number, unit) = split_number(text);
        if text.trim().starts_with('-') {
            return Err(format!("\"{text}\" is negative; a bandwidth is above zero"));
        }
        let Some(&(_, num, den)) = RATE_UNITS.iter().find(|(u, _, _)| *u == unit) else {
            return Err(format!(
                "\"{text}\" is not a bandwidth; write bits (\"10Gbps\", \"100Mbps\") or bytes per second (\"125MB/s\")"
            ));
        };
        match scaled_decimal(number, num) {
            None => Err(format!("\"{text}\" is not a bandwidth such as \"10Gbps\"")),
            Some(None) => Err(format!("\"{text}\" is too large")),
            Some(Some(x)) => Ok(BytesPerSecond(x / den)),
        }
    }
}

impl fmt::Display for BytesPerSecond {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bits = self.0 as f64 * 8.0;
        if bits >= 1e9 {
            write!(f, "{}Gbps", trim_float(bits / 1e9))
        } else if bits >= 1e6 {
            write!(f, "{}Mbps", trim_float(bits / 1e6))
        } else {
            write!(f, "{}bps", trim_float(bits))
        }
    }
}

/// Serde support: each quantity reads from a string (or a plain number) and
/// writes back as a string.
macro_rules! quantity_serde {
    ($ty:ident, $what:literal) => {
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.to_string())
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl Visitor<'_> for V {
                    type Value = $ty;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($what)
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<$ty, E> {
                        $ty::parse(v).map_err(E::custom)
                    }
                    fn visit_u64<E: de::Error>(self, v: u64) -> Result<$ty, E> {
                        $ty::parse(&v.to_string()).map_err(E::custom)
                    }
                    fn visit_i64<E: de::Error>(self, v: i64) -> Result<$ty, E> {
                        $ty::parse(&v.to_string()).map_err(E::custom)
                    }
                    fn visit_f64<E: de::Error>(self, v: f64) -> Result<$ty, E> {
                        if !v.is_finite() {
                            return Err(E::custom(format!("{v} is not a finite number")));
                        }
                        $ty::parse(&format!("{v}")).map_err(E::custom)
                    }
                }
                d.deserialize_any(V)
            }
        }
    };
}

quantity_serde!(Bytes, "a size such as \"256Mi\" or \"28.2MB\"");
quantity_serde!(Millicores, "a CPU amount such as \"2\" or \"500m\"");
quantity_serde!(BytesPerSecond, "a bandwidth such as \"10Gbps\" or \"125MB/s\"");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_both_conventions() {
        assert_eq!(Bytes::parse("28.2MB"), Ok(Bytes(28_200_000)));
        assert_eq!(Bytes::parse("256Mi"), Ok(Bytes(256 * MIB)));
        assert_eq!(Bytes::parse("128Gi"), Ok(Bytes(128 * GIB)));
        assert_eq!(Bytes::parse("3.5GiB"), Ok(Bytes(3 * GIB + GIB / 2)));
        assert_eq!(Bytes::parse("1G"), Ok(Bytes(1_000_000_000)));
        assert!(Bytes::parse("12 parsecs").is_err());
        assert!(Bytes::parse("-1Mi").is_err());
    }

    #[test]
    fn cpu_reads_cores_and_millicores() {
        assert_eq!(Millicores::parse("500m"), Ok(Millicores(500)));
        assert_eq!(Millicores::parse("32"), Ok(Millicores(32_000)));
        assert_eq!(Millicores::parse("0.25"), Ok(Millicores(250)));
        assert!(Millicores::parse("2 cores").is_err());
    }

    #[test]
    fn bandwidth_reads_bits_and_bytes() {
        assert_eq!(BytesPerSecond::parse("10Gbps"), Ok(BytesPerSecond(1_250_000_000)));
        assert_eq!(BytesPerSecond::parse("125MB/s"), Ok(BytesPerSecond(125_000_000)));
        assert_eq!(BytesPerSecond::parse("100Mbps"), Ok(BytesPerSecond(12_500_000)));
    }

    #[test]
    fn sizes_print_readably() {
        assert_eq!(Bytes(256 * MIB).to_string(), "256Mi");
        assert_eq!(Bytes(28_200_000).to_string(), "28.2MB");
    }
}
