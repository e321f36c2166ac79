//! What can be wrong with a scenario, said so that a student can fix it:
//! where (file, line and column, or the field path), what, and what would be right.

use std::fmt;

/// One problem found by validation, at a field path such as `worlds[1].platform.boot_time`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub path: String,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("{file}: {message}")]
    Io { file: String, message: String },
    /// The file is larger than any scenario needs to be.
    #[error("{file}: the file has {bytes} bytes; scenario files are limited to {} bytes", super::MAX_FILE_BYTES)]
    TooLarge { file: String, bytes: u64 },
    /// The RON text does not parse into a scenario.
    #[error("{file}:{line}:{column}: {message}\n{}", caret(*line, *column, line_text))]
    Syntax { file: String, line: usize, column: usize, message: String, line_text: String },
    /// The scenario parses but does not make sense; every problem at once.
    #[error("{file}: {} problem{}:\n{}", problems.len(), if problems.len() == 1 { "" } else { "s" }, list(problems))]
    Invalid { file: String, problems: Vec<Problem> },
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

fn caret(line: usize, column: usize, text: &str) -> String {
    let number = line.to_string();
    let pad = " ".repeat(number.len());
    let shown: String = text.chars().take(200).collect();
    let offset: String =
        shown.chars().take(column.saturating_sub(1)).map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
    format!("{pad} |\n{number} | {shown}\n{pad} | {offset}^")
}

fn list(problems: &[Problem]) -> String {
    problems.iter().map(|p| format!("  {}: {}", p.path, p.message)).collect::<Vec<_>>().join("\n")
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// RON's error, in words for people who did not write the parser.
pub(crate) fn describe_ron(code: &ron::Error) -> String {
    match code {
        ron::Error::ExceededRecursionLimit => "the file is nested too deeply".to_string(),
        ron::Error::MissingStructField { field, outer } => match outer {
            Some(o) => format!("{o} is missing the field `{field}`"),
            None => format!("missing the field `{field}`"),
        },
        ron::Error::Eof => "the file ends too early; a bracket or parenthesis is not closed".to_string(),
        ron::Error::ExpectedComma => "expected a comma (or a closing bracket) before this".to_string(),
        other => other.to_string(),
    }
}
