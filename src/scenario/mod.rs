//! Scenario files: RON read into a raw [`file::ScenarioFile`], then validated
//! into a [`Scenario`] with typed ids, every problem reported at once with its
//! place (line and column for syntax, a field path such as
//! `worlds[1].platform.boot_time` for meaning).

pub mod bundled;
pub mod error;
pub mod expect;
pub mod file;
mod validate;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::engine::SimDuration;
use crate::model::spec::{Setup, WorldSpec};

pub use error::{Problem, ScenarioError};
pub use expect::Expectation;
pub use file::ScenarioFile;

/// Files larger than this are refused before parsing.
pub const MAX_FILE_BYTES: usize = 16 << 20;

/// A lesson caption at a time, optionally pausing the clock there.
#[derive(Clone, Debug, PartialEq)]
pub struct LessonStep {
    pub at: SimDuration,
    pub caption: String,
    pub pause: bool,
}

/// A checked scenario, ready to run.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: String,
    pub description: Option<String>,
    /// Where it was read from; `<memory>` when parsed from text.
    pub file: String,
    pub setup: Arc<Setup>,
    pub worlds: Vec<Arc<WorldSpec>>,
    pub lesson: Vec<LessonStep>,
    pub expectations: Vec<Expectation>,
}

impl Scenario {
    /// Reads and validates a scenario file.
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        let file = path.display().to_string();
        let meta =
            std::fs::metadata(path).map_err(|e| ScenarioError::Io { file: file.clone(), message: e.to_string() })?;
        if meta.len() > MAX_FILE_BYTES as u64 {
            return Err(ScenarioError::TooLarge { file, bytes: meta.len() });
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| ScenarioError::Io { file: file.clone(), message: e.to_string() })?;
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Scenario::parse_with_files(&text, &file, &|name| read_beside(&dir, name))
    }

    /// Parses and validates scenario text; `file` names it in messages.
    /// Files it names (load traces) are looked up among the bundled ones.
    pub fn parse(text: &str, file: &str) -> Result<Scenario, ScenarioError> {
        Scenario::parse_with_files(text, file, &|name| {
            bundled::side_file(name)
                .map(str::to_string)
                .ok_or_else(|| "the scenario was not read from a folder, and no bundled file has this name".to_string())
        })
    }

    /// Parses and validates scenario text, reading the files it names with `read`.
    pub fn parse_with_files(
        text: &str,
        file: &str,
        read: &dyn Fn(&str) -> Result<String, String>,
    ) -> Result<Scenario, ScenarioError> {
        if text.len() > MAX_FILE_BYTES {
            return Err(ScenarioError::TooLarge { file: file.to_string(), bytes: text.len() as u64 });
        }
        let raw = parse_raw(text, file)?;
        validate::validate(raw, file, read)
    }

    /// The names of the worlds, in file order.
    pub fn world_names(&self) -> Vec<&str> {
        self.worlds.iter().map(|w| w.name.as_str()).collect()
    }
}

/// A file named by a scenario, read from the scenario's folder. Only plain
/// relative names inside that folder are accepted.
fn read_beside(dir: &Path, name: &str) -> Result<String, String> {
    let relative = Path::new(name);
    if name.is_empty()
        || relative.is_absolute()
        || relative.components().any(|c| !matches!(c, std::path::Component::Normal(_)))
    {
        return Err("a file beside the scenario is named by a relative path inside its folder".to_string());
    }
    let path = dir.join(relative);
    let meta = std::fs::metadata(&path).map_err(|e| e.to_string())?;
    if meta.len() > MAX_FILE_BYTES as u64 {
        return Err(format!("{} bytes; at most {MAX_FILE_BYTES} are read", meta.len()));
    }
    std::fs::read_to_string(&path).map_err(|e| e.to_string())
}

/// Reads the RON text into the raw file structure.
pub fn parse_raw(text: &str, file: &str) -> Result<ScenarioFile, ScenarioError> {
    let options = ron::Options::default()
        .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
        .with_default_extension(ron::extensions::Extensions::UNWRAP_VARIANT_NEWTYPES)
        .with_recursion_limit(64);
    options.from_str::<ScenarioFile>(text).map_err(|e| {
        let line = e.span.start.line;
        let column = e.span.start.col;
        let line_text = text.lines().nth(line.saturating_sub(1)).unwrap_or("").to_string();
        ScenarioError::Syntax { file: file.to_string(), line, column, message: error::describe_ron(&e.code), line_text }
    })
}

/// The scenario files of `path`: the file itself, or a directory's `*.ron`
/// files (not recursive), sorted by name.
pub fn collect_files(path: &Path) -> Result<Vec<PathBuf>, ScenarioError> {
    if path.is_dir() {
        let entries = std::fs::read_dir(path)
            .map_err(|e| ScenarioError::Io { file: path.display().to_string(), message: e.to_string() })?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "ron"))
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(ScenarioError::Io {
                file: path.display().to_string(),
                message: "the directory has no .ron scenario files".to_string(),
            });
        }
        Ok(files)
    } else if path.exists() {
        Ok(vec![path.to_path_buf()])
    } else {
        Err(ScenarioError::Io { file: path.display().to_string(), message: "no such file or directory".to_string() })
    }
}
