//! `resource.Quantity` as the API server parses it (`ParseQuantity`): a
//! signed decimal number and a suffix, binary (`Ki` … `Ei`), decimal (`n`,
//! `u`, `m`, none, `k`, `M` … `E`) or an exponent (`e3`, `E-2`). A manifest's
//! quantities follow this grammar, not the friendlier one of the scenario's
//! own files (`MB` and `K` are not Kubernetes suffixes).

/// `ErrFormatWrong`.
const FORMAT: &str = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
/// Each suffix as a power of ten and a power of two.
const SUFFIXES: &[(&str, i64, u32)] = &[
    ("", 0, 0),
    ("n", -9, 0),
    ("u", -6, 0),
    ("m", -3, 0),
    ("k", 3, 0),
    ("M", 6, 0),
    ("G", 9, 0),
    ("T", 12, 0),
    ("P", 15, 0),
    ("E", 18, 0),
    ("Ki", 0, 10),
    ("Mi", 0, 20),
    ("Gi", 0, 30),
    ("Ti", 0, 40),
    ("Pi", 0, 50),
    ("Ei", 0, 60),
];
/// `ErrSuffix`.
const SUFFIX: &str = "unable to parse quantity's suffix";

/// The quantity written as a whole number of units, or of thousandths of
/// them when `milli` (`Value` and `MilliValue`, both rounded up, as the API
/// rounds them), with a `-` before it when negative and `m` after it when
/// `milli`: text that the scenario's own quantity parsers read exactly.
pub fn canonical(text: &str, milli: bool) -> Result<String, String> {
    let (negative, rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
    let (number, suffix) = rest.split_at(end);
    let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && frac.is_empty() || frac.contains('.') || !suffix_shape(suffix) {
        return Err(FORMAT.into());
    }
    let (exp10, exp2): (i64, u32) = match SUFFIXES.iter().find(|(name, ..)| *name == suffix) {
        Some(&(_, exp10, exp2)) => (exp10, exp2),
        None => {
            let exponent = suffix.strip_prefix(['e', 'E']).ok_or(SUFFIX)?;
            let digits = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() > 6 {
                return Err(SUFFIX.into());
            }
            (exponent.parse::<i64>().map_err(|_| SUFFIX)?, 0)
        }
    };
    let too_large = || format!("{text} is too large a quantity");
    let digits = format!("{whole}{frac}");
    let digits = digits.trim_start_matches('0');
    let mut n: u128 = if digits.is_empty() {
        0
    } else if digits.len() > 30 {
        return Err(too_large());
    } else {
        digits.parse().map_err(|_| FORMAT)?
    };
    n = n.checked_mul(1u128 << exp2).ok_or_else(too_large)?;
    let e = exp10 - frac.len() as i64 + if milli { 3 } else { 0 };
    if e >= 0 {
        let scale = u32::try_from(e).ok().and_then(|e| 10u128.checked_pow(e)).ok_or_else(too_large)?;
        if n != 0 {
            n = n.checked_mul(scale).ok_or_else(too_large)?;
        }
    } else if -e > 38 {
        n = u128::from(n != 0);
    } else {
        n = n.div_ceil(10u128.pow((-e) as u32));
    }
    Ok(format!("{}{n}{}", if negative && n != 0 { "-" } else { "" }, if milli { "m" } else { "" }))
}

/// Whether a suffix has the regular expression's shape, `[eEinumkKMGTP]*[-+]?[0-9]*`.
fn suffix_shape(suffix: &str) -> bool {
    let letters = suffix.trim_start_matches(|c: char| "eEinumkKMGTP".contains(c));
    let rest = letters.strip_prefix(['+', '-']).unwrap_or(letters);
    rest.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::canonical;

    #[test]
    fn quantities_read_as_the_api_server_reads_them() {
        let milli = |t: &str| canonical(t, true);
        let units = |t: &str| canonical(t, false);
        assert_eq!(milli("250m").unwrap(), "250m");
        assert_eq!(milli("0.5").unwrap(), "500m");
        assert_eq!(milli(".5").unwrap(), "500m");
        assert_eq!(milli("2").unwrap(), "2000m");
        assert_eq!(milli("1e3").unwrap(), "1000000m");
        assert_eq!(milli("+1").unwrap(), "1000m");
        // MilliValue rounds up.
        assert_eq!(milli("0.0001").unwrap(), "1m");
        assert_eq!(milli("100u").unwrap(), "1m");
        assert_eq!(units("512Mi").unwrap(), "536870912");
        assert_eq!(units("1.5Gi").unwrap(), "1610612736");
        assert_eq!(units("129M").unwrap(), "129000000");
        assert_eq!(units("129e6").unwrap(), "129000000");
        assert_eq!(units("128974848").unwrap(), "128974848");
        assert_eq!(units("1E").unwrap(), "1000000000000000000");
        assert_eq!(units("1E3").unwrap(), "1000");
        assert_eq!(units("1500m").unwrap(), "2");
        assert_eq!(units("-1Gi").unwrap(), "-1073741824");
        assert_eq!(units("0").unwrap(), "0");
        // What the scenario's own files accept but Kubernetes does not.
        assert!(units("512MB").unwrap_err().starts_with("quantities must match the regular expression"));
        assert_eq!(units("1K").unwrap_err(), "unable to parse quantity's suffix");
        assert!(units("1 Gi").unwrap_err().starts_with("quantities must match the regular expression"));
        assert!(units("lots").unwrap_err().starts_with("quantities must match"));
        assert!(units("1.2.3").unwrap_err().starts_with("quantities must match"));
        assert!(units("99999999999999999999999999999999Ei").unwrap_err().ends_with("is too large a quantity"));
    }
}
