//! YAML 1.1 implicit typing of plain scalars, as PyYAML's `Resolver` and `SafeConstructor` do it.
//!
//! Used twice: when reading (a plain `yes` is `True`, `1_000` is `1000`, `2023-01-31` a date) and
//! when writing (a string that would read back as another type must be quoted). The patterns are
//! PyYAML's; they differ from YAML 1.2 (e.g. `1e5` is a string, `0777` is octal).

use std::sync::LazyLock;

use regex::Regex;

use crate::value::Value;

/// The type a plain scalar resolves to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Bool,
    Float,
    Int,
    Merge,
    Null,
    Timestamp,
    /// `=`: PyYAML resolves it to `tag:yaml.org,2002:value`, which its safe loader rejects.
    ValueTag,
    Str,
}

fn re(pattern: &str) -> Regex {
    // The patterns are constants checked by the unit tests below; a failure here is a bug in
    // this file, caught by any test run.
    #[allow(clippy::expect_used)]
    Regex::new(pattern).expect("valid resolver pattern")
}

static BOOL: LazyLock<Regex> = LazyLock::new(|| {
    re("^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$")
});
static FLOAT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
    )
});
static INT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$",
    )
});
static NULL: LazyLock<Regex> = LazyLock::new(|| re("^(?:~|null|Null|NULL|)$"));
static TIMESTAMP: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)$",
    )
});
// PyYAML's constructor pattern, with the groups it reads.
static TIMESTAMP_PARTS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^(?P<year>[0-9]{4})-(?P<month>[0-9]{1,2})-(?P<day>[0-9]{1,2})(?:(?:[Tt]|[ \t]+)(?P<hour>[0-9]{1,2}):(?P<minute>[0-9]{2}):(?P<second>[0-9]{2})(?:\.(?P<fraction>[0-9]*))?(?:[ \t]*(?P<tz>Z|(?P<tz_sign>[-+])(?P<tz_hour>[0-9]{1,2})(?::(?P<tz_minute>[0-9]{2}))?))?)?$",
    )
});

/// The type PyYAML gives the plain scalar `s`.
pub(crate) fn resolve_plain(s: &str) -> Kind {
    // PyYAML tries its resolvers in registration order; the patterns do not overlap except
    // through that order, so testing in the same order gives the same answer.
    if BOOL.is_match(s) {
        Kind::Bool
    } else if FLOAT.is_match(s) {
        Kind::Float
    } else if INT.is_match(s) {
        Kind::Int
    } else if s == "<<" {
        Kind::Merge
    } else if NULL.is_match(s) {
        Kind::Null
    } else if TIMESTAMP.is_match(s) {
        Kind::Timestamp
    } else if s == "=" {
        Kind::ValueTag
    } else {
        Kind::Str
    }
}

/// `construct_yaml_bool`.
pub(crate) fn construct_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "yes" | "true" | "on" => Some(true),
        "no" | "false" | "off" => Some(false),
        _ => None,
    }
}

/// `construct_yaml_int`: underscores dropped, `0b`/`0x`/leading-`0` (octal) prefixes, and
/// base-60 `a:b:c`. `None` when the text is not an integer or does not fit in 64 bits.
pub(crate) fn construct_int(s: &str) -> Option<i64> {
    let cleaned: String = s.chars().filter(|c| *c != '_').collect();
    // i128 so that the magnitude of i64::MIN fits before the sign is applied.
    let (sign, digits) = match cleaned.as_bytes().first() {
        Some(b'-') => (-1i128, &cleaned[1..]),
        Some(b'+') => (1, &cleaned[1..]),
        _ => (1, cleaned.as_str()),
    };
    let magnitude: i128 = if digits == "0" {
        0
    } else if let Some(b) = digits.strip_prefix("0b") {
        i128::from_str_radix(b, 2).ok()?
    } else if let Some(h) = digits.strip_prefix("0x") {
        i128::from_str_radix(h, 16).ok()?
    } else if let Some(o) = digits.strip_prefix('0') {
        i128::from_str_radix(o, 8).ok()?
    } else if digits.contains(':') {
        let mut value: i128 = 0;
        for part in digits.split(':') {
            value = value
                .checked_mul(60)?
                .checked_add(part.parse::<i128>().ok()?)?;
        }
        value
    } else {
        digits.parse::<i128>().ok()?
    };
    i64::try_from(magnitude.checked_mul(sign)?).ok()
}

/// `construct_yaml_float`.
pub(crate) fn construct_float(s: &str) -> Option<f64> {
    let cleaned: String = s
        .chars()
        .filter(|c| *c != '_')
        .collect::<String>()
        .to_ascii_lowercase();
    let (sign, body) = match cleaned.as_bytes().first() {
        Some(b'-') => (-1.0, &cleaned[1..]),
        Some(b'+') => (1.0, &cleaned[1..]),
        _ => (1.0, cleaned.as_str()),
    };
    if body == ".inf" {
        return Some(sign * f64::INFINITY);
    }
    if body == ".nan" {
        return Some(f64::NAN);
    }
    if body.contains(':') {
        let mut value = 0.0;
        for part in body.split(':') {
            value = value * 60.0 + part.parse::<f64>().ok()?;
        }
        return Some(sign * value);
    }
    body.parse::<f64>().ok().map(|v| sign * v)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        _ => 28,
    }
}

/// `construct_yaml_timestamp`, returned as the text Python's `isoformat(' ')` gives the
/// resulting `date`/`datetime` (which is also what PyYAML writes back). `None` for an
/// impossible date or time (Python raises `ValueError` there too).
pub(crate) fn construct_timestamp(s: &str) -> Option<String> {
    let caps = TIMESTAMP_PARTS.captures(s)?;
    let num = |name: &str| -> Option<u32> { caps.name(name)?.as_str().parse().ok() };
    let (year, month, day) = (num("year")?, num("month")?, num("day")?);
    if year == 0 || !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let date = format!("{year:04}-{month:02}-{day:02}");
    let Some(hour) = num("hour") else {
        return Some(date);
    };
    let (minute, second) = (num("minute")?, num("second")?);
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut out = format!("{date} {hour:02}:{minute:02}:{second:02}");
    if let Some(f) = caps.name("fraction") {
        let mut digits: String = f.as_str().chars().take(6).collect();
        while digits.len() < 6 {
            digits.push('0');
        }
        if digits != "000000" {
            out.push('.');
            out.push_str(&digits);
        }
    }
    if let Some(sign) = caps.name("tz_sign") {
        let h = num("tz_hour")?;
        let m = num("tz_minute").unwrap_or(0);
        if h > 23 || m > 59 {
            return None;
        }
        // timedelta(hours=h, minutes=m) negated, then printed by timezone.utcoffset: a zero
        // offset prints as +00:00 whatever its sign.
        let sign = if sign.as_str() == "-" && (h, m) != (0, 0) {
            '-'
        } else {
            '+'
        };
        out.push_str(&format!("{sign}{h:02}:{m:02}"));
    } else if caps.name("tz").is_some() {
        out.push_str("+00:00");
    }
    Some(out)
}

/// Whether a string written as a plain scalar would read back as the same string.
pub(crate) fn plain_is_str(s: &str) -> bool {
    resolve_plain(s) == Kind::Str
}

/// The value a plain scalar stands for, or a description of why PyYAML would reject it.
pub(crate) fn construct_plain(s: &str) -> Result<Value, String> {
    match resolve_plain(s) {
        Kind::Str => Ok(Value::String(s.to_string())),
        Kind::Null => Ok(Value::Null),
        Kind::Bool => construct_bool(s)
            .map(Value::Bool)
            .ok_or_else(|| format!("invalid boolean {s:?}")),
        Kind::Int => construct_int(s)
            .map(Value::Int)
            .ok_or_else(|| format!("integer {s:?} does not fit in 64 bits")),
        Kind::Float => construct_float(s)
            .map(Value::Float)
            .ok_or_else(|| format!("invalid float {s:?}")),
        Kind::Timestamp => construct_timestamp(s)
            .map(Value::Timestamp)
            .ok_or_else(|| format!("invalid date or time {s:?}")),
        Kind::Merge => Err("a plain `<<` is the YAML merge key, not a value; quote it".into()),
        Kind::ValueTag => {
            Err("a plain `=` is the YAML 1.1 value key, which safe loaders reject; quote it".into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml11_types() {
        assert_eq!(construct_plain("yes"), Ok(Value::Bool(true)));
        assert_eq!(construct_plain("Off"), Ok(Value::Bool(false)));
        assert_eq!(construct_plain("1_000"), Ok(Value::Int(1000)));
        assert_eq!(construct_plain("0777"), Ok(Value::Int(511)));
        assert_eq!(construct_plain("0x1F"), Ok(Value::Int(31)));
        assert_eq!(construct_plain("-0b101"), Ok(Value::Int(-5)));
        assert_eq!(construct_plain("1:30"), Ok(Value::Int(90)));
        assert_eq!(
            construct_plain("-9223372036854775808"),
            Ok(Value::Int(i64::MIN))
        );
        assert!(construct_plain("9223372036854775808").is_err());
        assert_eq!(construct_plain("1e5"), Ok(Value::from("1e5")));
        assert_eq!(construct_plain("1.5e+3"), Ok(Value::Float(1500.0)));
        assert_eq!(construct_plain("1."), Ok(Value::Float(1.0)));
        assert_eq!(construct_plain(".5"), Ok(Value::Float(0.5)));
        assert_eq!(
            construct_plain("-.INF"),
            Ok(Value::Float(f64::NEG_INFINITY))
        );
        assert_eq!(construct_plain("~"), Ok(Value::Null));
        assert_eq!(construct_plain(""), Ok(Value::Null));
        assert_eq!(construct_plain("09"), Ok(Value::from("09")));
        assert_eq!(
            construct_plain("2023-01-31"),
            Ok(Value::Timestamp("2023-01-31".into()))
        );
        assert_eq!(
            construct_plain("2001-12-14t21:59:43.10-05:00"),
            Ok(Value::Timestamp("2001-12-14 21:59:43.100000-05:00".into()))
        );
        assert_eq!(
            construct_plain("2001-12-14 21:59:43Z"),
            Ok(Value::Timestamp("2001-12-14 21:59:43+00:00".into()))
        );
        assert!(construct_plain("2023-02-30").is_err());
        assert!(construct_plain("=").is_err());
    }
}
