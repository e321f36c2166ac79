//! Simulated time: an integer count of microseconds since the start of a run.
//!
//! Integer time makes every run exact and repeatable: two events scheduled for
//! the same instant compare equal, and no rounding drifts between platforms.
//! Files write durations the way people do (`250ms`, `30s`, `5m`, `2h`, `1d`).

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Microseconds in one second.
pub const MICROS_PER_SECOND: u64 = 1_000_000;

/// An instant on the simulated clock, in microseconds since the run began.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub u64);

/// A span of simulated time in microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration(pub u64);

impl SimTime {
    pub const ZERO: SimTime = SimTime(0);
    pub const MAX: SimTime = SimTime(u64::MAX);

    pub fn as_micros(self) -> u64 {
        self.0
    }

    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / MICROS_PER_SECOND as f64
    }

    /// Time elapsed since `earlier`, or zero when `earlier` is later.
    pub fn since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
}

impl SimDuration {
    pub const ZERO: SimDuration = SimDuration(0);

    pub const fn from_micros(us: u64) -> Self {
        SimDuration(us)
    }

    /// Saturates at the longest representable span rather than wrapping.
    pub const fn from_millis(ms: u64) -> Self {
        SimDuration(ms.saturating_mul(1_000))
    }

    /// Saturates at the longest representable span rather than wrapping.
    pub const fn from_secs(s: u64) -> Self {
        SimDuration(s.saturating_mul(MICROS_PER_SECOND))
    }

    /// Rounds a non-negative number of seconds to the nearest microsecond;
    /// negative and non-finite inputs give zero, huge ones saturate.
    pub fn from_secs_f64(s: f64) -> Self {
        if s.is_nan() || s <= 0.0 {
            return SimDuration::ZERO;
        }
        let us = super::numbers::round(s * MICROS_PER_SECOND as f64);
        if us >= u64::MAX as f64 { SimDuration(u64::MAX) } else { SimDuration(us as u64) }
    }

    pub fn as_micros(self) -> u64 {
        self.0
    }

    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / MICROS_PER_SECOND as f64
    }

    pub fn saturating_mul(self, k: u64) -> SimDuration {
        SimDuration(self.0.saturating_mul(k))
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    fn add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
}

impl AddAssign<SimDuration> for SimTime {
    fn add_assign(&mut self, d: SimDuration) {
        self.0 = self.0.saturating_add(d.0);
    }
}

impl Add for SimDuration {
    type Output = SimDuration;
    fn add(self, d: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(d.0))
    }
}

impl Sub for SimDuration {
    type Output = SimDuration;
    fn sub(self, d: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_sub(d.0))
    }
}

/// The units a duration may carry, longest name first so that `ms` wins over `m`.
const UNITS: &[(&str, u64)] = &[
    ("us", 1),
    ("µs", 1),
    ("ms", 1_000),
    ("s", MICROS_PER_SECOND),
    ("m", 60 * MICROS_PER_SECOND),
    ("h", 3_600 * MICROS_PER_SECOND),
    ("d", 86_400 * MICROS_PER_SECOND),
];

/// Why a duration string could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DurationError {
    #[error("empty duration; write a number and a unit, such as \"30s\"")]
    Empty,
    #[error("\"{0}\" has no unit; write one of us, ms, s, m, h, d (such as \"{0}s\")")]
    MissingUnit(String),
    #[error("\"{text}\" has an unknown unit \"{unit}\"; use one of us, ms, s, m, h, d")]
    UnknownUnit { text: String, unit: String },
    #[error("\"{0}\" is not a number followed by a unit, such as \"250ms\" or \"1.5h\"")]
    Malformed(String),
    #[error("\"{0}\" is negative; durations are zero or more")]
    Negative(String),
    #[error("\"{0}\" is too long to represent")]
    TooLong(String),
}

impl SimDuration {
    /// Reads a human duration such as `250ms`, `30s`, `1.5m`, `2h` or `1d`.
    /// Several parts may be joined (`1m30s`). Fractions are exact to the microsecond.
    pub fn parse(text: &str) -> Result<SimDuration, DurationError> {
        let s = text.trim();
        if s.is_empty() {
            return Err(DurationError::Empty);
        }
        if s.starts_with('-') {
            return Err(DurationError::Negative(shown_value(s)));
        }
        let mut rest = s;
        let mut total: u64 = 0;
        while !rest.is_empty() {
            let num_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_')).unwrap_or(rest.len());
            if num_len == 0 {
                return Err(DurationError::Malformed(shown_value(s)));
            }
            let number = &rest[..num_len];
            rest = &rest[num_len..];
            let unit_len = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
            let unit = rest[..unit_len].trim();
            rest = &rest[unit_len..];
            if unit.is_empty() {
                if number == "0" && total == 0 && rest.is_empty() {
                    return Ok(SimDuration::ZERO);
                }
                return Err(DurationError::MissingUnit(shown_value(s)));
            }
            let Some(&(_, scale)) = UNITS.iter().find(|(name, _)| *name == unit) else {
                return Err(DurationError::UnknownUnit { text: shown_value(s), unit: shown_value(unit) });
            };
            let micros = scaled_decimal(number, scale)
                .ok_or_else(|| DurationError::Malformed(shown_value(s)))?
                .ok_or_else(|| DurationError::TooLong(shown_value(s)))?;
            total = total.checked_add(micros).ok_or_else(|| DurationError::TooLong(shown_value(s)))?;
        }
        Ok(SimDuration(total))
    }
}

/// Multiplies a decimal string by an integer scale exactly, rounding to the
/// nearest unit. `None` when the text is not a decimal; `Some(None)` on overflow.
pub(crate) fn scaled_decimal(number: &str, scale: u64) -> Option<Option<u64>> {
    let number: String = number.chars().filter(|&c| c != '_').collect();
    let (int_part, frac_part) = number.split_once('.').unwrap_or((number.as_str(), ""));
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    if !int_part.bytes().all(|c| c.is_ascii_digit()) || !frac_part.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let mut whole: u128 = 0;
    for c in int_part.bytes() {
        whole = whole * 10 + u128::from(c - b'0');
        if whole > u128::from(u64::MAX) {
            return Some(None);
        }
    }
    let mut result = whole * u128::from(scale);
    // Nineteen fraction digits keep digits × scale below 2^128 and are far finer
    // than any unit here.
    let frac = &frac_part[..frac_part.len().min(19)];
    if !frac.is_empty() {
        let digits = frac.bytes().fold(0_u128, |a, c| a * 10 + u128::from(c - b'0'));
        let pow = 10_u128.pow(frac.len() as u32);
        result += (digits * u128::from(scale) + pow / 2) / pow;
    }
    if result > u128::from(u64::MAX) {
        return Some(None);
    }
    Some(Some(result as u64))
}

impl fmt::Display for SimDuration {
    /// Shortest exact form: `250ms`, `30s`, `1m30s`, `1.5s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let us = self.0;
        if us == 0 {
            return write!(f, "0s");
        }
        if !us.is_multiple_of(MICROS_PER_SECOND) {
            if us < 1_000 {
                return write!(f, "{us}us");
            }
            if us < MICROS_PER_SECOND && us.is_multiple_of(1_000) {
                return write!(f, "{}ms", us / 1_000);
            }
            let s = us as f64 / MICROS_PER_SECOND as f64;
            return write!(f, "{}s", trim_float(s));
        }
        let mut secs = us / MICROS_PER_SECOND;
        let days = secs / 86_400;
        secs %= 86_400;
        let hours = secs / 3_600;
        secs %= 3_600;
        let minutes = secs / 60;
        secs %= 60;
        if days > 0 {
            write!(f, "{days}d")?;
        }
        if hours > 0 {
            write!(f, "{hours}h")?;
        }
        if minutes > 0 {
            write!(f, "{minutes}m")?;
        }
        if secs > 0 {
            write!(f, "{secs}s")?;
        }
        Ok(())
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", SimDuration(self.0))
    }
}

/// The most characters of a value from a file that a message repeats.
pub const MAX_VALUE_SHOWN: usize = 60;

/// A value from a file as a message shows it: escaped, and cut to
/// [`MAX_VALUE_SHOWN`] characters with an ellipsis.
pub fn shown_value(text: &str) -> String {
    let escaped: String = text.chars().take(MAX_VALUE_SHOWN + 1).flat_map(char::escape_debug).collect();
    let mut out: String = escaped.chars().take(MAX_VALUE_SHOWN).collect();
    if escaped.chars().nth(MAX_VALUE_SHOWN).is_some() {
        out.push('…');
    }
    out
}

/// A value from a file in quotes, escaped and cut to [`MAX_VALUE_SHOWN`] characters.
pub fn quoted(text: &str) -> String {
    format!("\"{}\"", shown_value(text))
}

/// Formats a float with at most six decimals and no trailing zeros.
pub fn trim_float(x: f64) -> String {
    let s = format!("{x:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() || s == "-0" { "0".to_string() } else { s.to_string() }
}

impl Serialize for SimDuration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for SimDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        SimDuration::parse(&text).map_err(serde::de::Error::custom)
    }
}
