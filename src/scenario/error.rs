//! What can be wrong with a scenario, said so that a student can fix it:
//! where (file, line and column, or the field path), what, and what would be right.
//!
//! Messages stay short whatever the file holds: at most [`MAX_PROBLEMS_SHOWN`]
//! problems are listed, then how many more there are, and a value from the
//! file is shown escaped and cut to an excerpt, never whole.

use std::fmt;

/// One problem found by validation, at a field path such as `worlds[1].platform.boot_time`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub path: String,
    pub message: String,
}

/// Problems listed in a message; the rest are counted.
pub const MAX_PROBLEMS_SHOWN: usize = 50;

pub use crate::engine::time::MAX_VALUE_SHOWN;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("{file}: {message}")]
    Io { file: String, message: String },
    /// The file is larger than any scenario needs to be.
    #[error("{file}: the file is larger than {} MiB, the most a scenario file may have", super::MAX_FILE_BYTES >> 20)]
    TooLarge { file: String },
    /// The RON text does not parse into a scenario. `line_text` is the part
    /// of the line around the column, from column `line_text_from` on.
    #[error("{file}:{line}:{column}: {message}\n{}", caret(*line, column.saturating_sub(*line_text_from) + 1, line_text))]
    Syntax { file: String, line: usize, column: usize, message: String, line_text: String, line_text_from: usize },
    /// The scenario parses but does not make sense: the first problems, and
    /// how many more there are.
    #[error("{file}: {} problem{}:\n{}", problems.len() + more, if problems.len() + more == 1 { "" } else { "s" }, list(problems, *more))]
    Invalid { file: String, problems: Vec<Problem>, more: usize },
}

impl ScenarioError {
    pub fn file(&self) -> &str {
        match self {
            ScenarioError::Io { file, .. }
            | ScenarioError::TooLarge { file, .. }
            | ScenarioError::Syntax { file, .. }
            | ScenarioError::Invalid { file, .. } => file,
        }
    }
}

/// Control characters as the replacement character, so that a line keeps its
/// width under a caret and a terminal is never driven by a file's bytes.
fn printable(c: char) -> char {
    if c.is_control() && c != '\t' { '\u{fffd}' } else { c }
}

/// At most `max` characters of `text`, control characters replaced, with an
/// ellipsis where it was cut.
pub fn excerpt(text: &str, max: usize) -> String {
    let mut out: String = text.chars().take(max).map(printable).collect();
    if text.chars().nth(max).is_some() {
        out.push('…');
    }
    out
}

pub use crate::engine::time::quoted;

/// The line with a caret under `column`; a long line is shown as a window around it.
fn caret(line: usize, column: usize, text: &str) -> String {
    const WINDOW: usize = 100;
    let number = line.to_string();
    let pad = " ".repeat(number.len());
    let column = column.max(1);
    let length = text.chars().count();
    // The whole line when it fits; else a window with the column in its middle.
    let start = if length <= WINDOW { 0 } else { column.saturating_sub(WINDOW / 2 + 1).min(length - WINDOW) };
    let mut shown = String::new();
    if start > 0 {
        shown.push('…');
    }
    shown.extend(text.chars().skip(start).take(WINDOW).map(printable));
    if text.chars().nth(start + WINDOW).is_some() {
        shown.push('…');
    }
    let lead = usize::from(start > 0);
    let offset: String =
        shown.chars().take(column - 1 - start + lead).map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
    format!("{pad} |\n{number} | {shown}\n{pad} | {offset}^")
}

fn list(problems: &[Problem], more: usize) -> String {
    let mut lines: Vec<String> =
        problems.iter().take(MAX_PROBLEMS_SHOWN).map(|p| format!("  {}: {}", p.path, p.message)).collect();
    let hidden = problems.len().saturating_sub(MAX_PROBLEMS_SHOWN) + more;
    if hidden > 0 {
        lines.push(format!("  … and {hidden} more"));
    }
    lines.join("\n")
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// A whole number where the text at `column` of `line_text` has a fraction or
/// an exponent: RON reads the integer part and then stumbles on the rest.
fn fraction_at(line_text: &str, column: usize) -> Option<(usize, String)> {
    let chars: Vec<char> = line_text.chars().collect();
    let at = column.checked_sub(1)?.min(chars.len());
    let is_number_char = |c: char| c.is_ascii_digit() || matches!(c, '.' | '_' | 'e' | 'E' | '+' | '-');
    let mut start = at;
    while start > 0 && chars.get(start - 1).is_some_and(|&c| is_number_char(c)) {
        start -= 1;
    }
    let mut end = at;
    while chars.get(end).is_some_and(|&c| is_number_char(c)) {
        end += 1;
    }
    let token: String = chars.get(start..end)?.iter().collect();
    let starts_with_digit = token.chars().next().is_some_and(|c| c.is_ascii_digit());
    (starts_with_digit && token.contains(['.', 'e', 'E'])).then(|| (start + 1, token))
}

/// RON's error, in words for people who did not write the parser; `line_text`
/// and `column` place it. Returns the message and the column to point at.
pub(crate) fn describe_ron(code: &ron::Error, line_text: &str, column: usize) -> (String, usize) {
    const WHOLE: &str = "expected an integer (a whole number such as 3)";
    let message = match code {
        ron::Error::ExceededRecursionLimit => "the file is nested too deeply".to_string(),
        ron::Error::MissingStructField { field, outer } => match outer {
            Some(o) => format!("{} is missing the field `{field}`", excerpt(o, MAX_VALUE_SHOWN)),
            None => format!("missing the field `{field}`"),
        },
        ron::Error::Eof => "the file ends too early; a bracket or parenthesis is not closed".to_string(),
        ron::Error::ExpectedComma => match fraction_at(line_text, column) {
            Some((start, token)) => return (format!("{WHOLE}, found {}", excerpt(&token, MAX_VALUE_SHOWN)), start),
            None => "expected a comma (or a closing bracket) before this".to_string(),
        },
        ron::Error::ExpectedInteger => WHOLE.to_string(),
        ron::Error::InvalidIntegerDigit { .. } => match fraction_at(line_text, column) {
            Some((start, token)) => return (format!("{WHOLE}, found {}", excerpt(&token, MAX_VALUE_SHOWN)), start),
            None => WHOLE.to_string(),
        },
        ron::Error::IntegerOutOfBounds => {
            "the whole number is out of range here: it is negative, or too large for the field".to_string()
        }
        // RON's own wording, with what it found cut to an excerpt.
        ron::Error::NoSuchStructField { expected, found, outer } => ron::Error::NoSuchStructField {
            expected,
            found: excerpt(found, MAX_VALUE_SHOWN),
            outer: outer.as_deref().map(|o| excerpt(o, MAX_VALUE_SHOWN)),
        }
        .to_string(),
        ron::Error::NoSuchEnumVariant { expected, found, outer } => ron::Error::NoSuchEnumVariant {
            expected,
            found: excerpt(found, MAX_VALUE_SHOWN),
            outer: outer.as_deref().map(|o| excerpt(o, MAX_VALUE_SHOWN)),
        }
        .to_string(),
        ron::Error::ExpectedDifferentStructName { expected, found } => {
            ron::Error::ExpectedDifferentStructName { expected, found: excerpt(found, MAX_VALUE_SHOWN) }.to_string()
        }
        ron::Error::InvalidValueForType { expected, found } => ron::Error::InvalidValueForType {
            expected: excerpt(expected, MAX_VALUE_SHOWN),
            found: excerpt(found, MAX_VALUE_SHOWN),
        }
        .to_string(),
        other => excerpt(&other.to_string(), 300),
    };
    (message, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_value_is_cut_and_escaped() {
        let shown = quoted(&format!("a\u{1b}[31m{}", "x".repeat(10_000)));
        assert!(shown.starts_with("\"a\\u{1b}[31m"), "{shown}");
        assert!(shown.ends_with("…\""), "{shown}");
        assert!(shown.chars().count() <= MAX_VALUE_SHOWN + 3);
    }

    #[test]
    fn a_caret_in_a_long_line_shows_a_window_around_it() {
        let line = format!("{}X{}", "a".repeat(5000), "b".repeat(5000));
        let shown = caret(1, 5001, &line);
        assert!(shown.contains('…'));
        let rows: Vec<&str> = shown.lines().collect();
        let x = rows[1].chars().position(|c| c == 'X').unwrap();
        let caret = rows[2].chars().position(|c| c == '^').unwrap();
        assert_eq!(x, caret, "{shown}");
        assert!(rows[1].chars().count() < 120);
    }

    #[test]
    fn a_fraction_where_an_integer_belongs_is_named() {
        assert_eq!(fraction_at("count: 1.5)", 10), Some((8, "1.5".to_string())));
        assert_eq!(fraction_at("count: 1e3)", 9), Some((8, "1e3".to_string())));
        assert_eq!(fraction_at("count: 15 x", 11), None);
    }

    #[test]
    fn fifty_problems_are_listed_and_the_rest_counted() {
        let problems: Vec<Problem> =
            (0..60).map(|i| Problem { path: format!("apps[{i}]"), message: "bad".to_string() }).collect();
        let text = ScenarioError::Invalid { file: "f.ron".to_string(), problems, more: 40 }.to_string();
        assert!(text.starts_with("f.ron: 100 problems:"), "{text}");
        assert!(text.ends_with("  … and 50 more"), "{text}");
        assert_eq!(text.lines().count(), 1 + 50 + 1);
    }
}
