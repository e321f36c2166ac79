//! Quantities as people write them: memory and sizes (`256Mi`, `28.2MB`, `1Ti`),
//! CPU (`500m`, `32`, `0.5`) and bandwidth (`10Gbps`, `125MB/s`).
//!
//! Sizes follow both conventions in use: decimal (`kB`, `MB`, `GB`, `TB`, and
//! Kubernetes' `k`, `M`, `G`, `T`) as registries report image sizes, and binary
//! (`Ki`, `Mi`, `Gi`, `Ti`, `KiB`, `MiB`, …) as Kubernetes requests memory.
//!
//! Every quantity has a range, checked where it is read: sizes up to
//! [`MAX_BYTES`] (1 PiB), CPU up to [`MAX_MILLICORES`] (a million cores),
//! bandwidths from 1 B/s up to [`MAX_BYTES_PER_SECOND`] (100 Tbit/s). A value
//! that is not zero but rounds to zero in its unit is refused with its unit
//! named. With these ranges, the sums a world keeps (what a host reserves, an
//! image's layers, a cache's contents) stay far below 2^64: a host would need
//! more than 16,000 items of 1 PiB each to wrap.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::engine::time::{scaled_decimal, shown_value, trim_float};

pub const KIB: u64 = 1 << 10;
pub const MIB: u64 = 1 << 20;
pub const GIB: u64 = 1 << 30;
pub const MB: u64 = 1_000_000;

/// The largest size a scenario may give: 1 PiB (`1024Ti`).
pub const MAX_BYTES: Bytes = Bytes(1 << 50);
/// The most CPU a scenario may give: a million cores.
pub const MAX_MILLICORES: Millicores = Millicores(1_000_000_000);
/// The fastest bandwidth a scenario may give: 100 Tbit/s.
pub const MAX_BYTES_PER_SECOND: BytesPerSecond = BytesPerSecond(12_500_000_000_000);

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
        let shown = shown_value(text);
        let (number, unit) = split_number(text);
        if text.trim().starts_with('-') {
            return Err(format!("\"{shown}\" is negative; sizes are zero or more"));
        }
        if number.is_empty() {
            return Err(format!(
                "\"{shown}\" is not a size; write a number and a unit such as \"256Mi\" or \"28.2MB\""
            ));
        }
        let Some(&(_, scale)) = SIZE_UNITS.iter().find(|(u, _)| *u == unit) else {
            return Err(format!(
                "\"{shown}\" has an unknown unit \"{}\"; use B, kB, MB, GB, TB (powers of 1000) or Ki, Mi, Gi, Ti (powers of 1024)",
                shown_value(unit)
            ));
        };
        match scaled_decimal(number, scale) {
            None => Err(format!("\"{shown}\" is not a size; write a number and a unit such as \"256Mi\"")),
            Some(Some(b)) if b <= MAX_BYTES.0 => {
                if b == 0 && !is_zero(number) {
                    return Err(format!("\"{shown}\" is less than one byte and rounds to zero"));
                }
                Ok(Bytes(b))
            }
            Some(_) => {
                Err(format!("\"{shown}\" is more than {MAX_BYTES} (1 PiB), the largest size a scenario may give"))
            }
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

/// Whether a decimal number as written is zero (`0`, `0.0`, `0_000`).
fn is_zero(number: &str) -> bool {
    number.chars().all(|c| matches!(c, '0' | '.' | '_'))
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
        let shown = shown_value(text);
        let (number, unit) = split_number(text);
        if text.trim().starts_with('-') {
            return Err(format!("\"{shown}\" is negative; CPU is zero or more"));
        }
        let scale = match unit {
            "" => 1_000,
            "m" => 1,
            _ => {
                return Err(format!(
                    "\"{shown}\" is not a CPU amount; write cores (\"2\", \"0.5\") or millicores (\"500m\")"
                ));
            }
        };
        match scaled_decimal(number, scale) {
            None => Err(format!("\"{shown}\" is not a CPU amount; write cores (\"2\") or millicores (\"500m\")")),
            Some(Some(m)) if m <= MAX_MILLICORES.0 => {
                if m == 0 && !is_zero(number) {
                    return Err(format!("\"{shown}\" is less than 1m (a thousandth of a core) and rounds to zero"));
                }
                Ok(Millicores(m))
            }
            Some(_) => Err(format!("\"{shown}\" is more than a million cores, the most a scenario may give")),
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
        let shown = shown_value(text);
        let (number, unit) = split_number(text);
        if text.trim().starts_with('-') {
            return Err(format!("\"{shown}\" is negative; a bandwidth is above zero"));
        }
        let Some(&(_, num, den)) = RATE_UNITS.iter().find(|(u, _, _)| *u == unit) else {
            return Err(format!(
                "\"{shown}\" is not a bandwidth; write bits (\"10Gbps\", \"100Mbps\") or bytes per second (\"125MB/s\")"
            ));
        };
        match scaled_decimal(number, num) {
            None => Err(format!("\"{shown}\" is not a bandwidth such as \"10Gbps\"")),
            Some(Some(x)) if x / den <= MAX_BYTES_PER_SECOND.0 => {
                if x / den == 0 && !is_zero(number) {
                    return Err(format!(
                        "\"{shown}\" is less than one byte per second and rounds to zero; the least is 8bps (1 B/s)"
                    ));
                }
                Ok(BytesPerSecond(x / den))
            }
            Some(_) => Err(format!("\"{shown}\" is more than 100 Tbit/s, the fastest a scenario may give")),
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
                        if v < 0.0 {
                            return $ty::parse(&format!("-{}", -v)).map_err(E::custom);
                        }
                        // `{v}` writes plain digits (1e19 as 10000000000000000000), which the range check refuses.
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
    fn quantities_have_ranges() {
        assert_eq!(Bytes::parse("1024Ti"), Ok(MAX_BYTES));
        assert!(Bytes::parse("1025Ti").unwrap_err().contains("more than 1024Ti (1 PiB)"));
        assert!(Bytes::parse("18446744073709551615").is_err());
        assert_eq!(Millicores::parse("1000000"), Ok(MAX_MILLICORES));
        assert!(Millicores::parse("18446744073709551615m").unwrap_err().contains("a million cores"));
        assert!(BytesPerSecond::parse("200000Gbps").unwrap_err().contains("100 Tbit/s"));
    }

    #[test]
    fn a_quantity_that_rounds_to_zero_says_so_in_its_unit() {
        assert_eq!(
            BytesPerSecond::parse("1bps"),
            Err("\"1bps\" is less than one byte per second and rounds to zero; the least is 8bps (1 B/s)".to_string())
        );
        assert!(Millicores::parse("0.0001").unwrap_err().contains("less than 1m"));
        assert!(Bytes::parse("0.4B").unwrap_err().contains("less than one byte"));
        assert_eq!(Bytes::parse("0"), Ok(Bytes(0)));
        assert_eq!(Millicores::parse("0m"), Ok(Millicores(0)));
    }

    #[test]
    fn a_long_value_is_not_repeated_whole() {
        let message = Bytes::parse(&"9".repeat(100_000)).unwrap_err();
        assert!(message.len() < 200, "{message}");
    }

    #[test]
    fn sizes_print_readably() {
        assert_eq!(Bytes(256 * MIB).to_string(), "256Mi");
        assert_eq!(Bytes(28_200_000).to_string(), "28.2MB");
    }
}
