//! Scenario files: RON read into a raw [`file::ScenarioFile`], then validated
//! into a [`Scenario`] with typed ids, every problem reported at once with its
//! place (line and column for syntax, a field path such as
//! `worlds[1].platform.boot_time` for meaning).

pub mod budget;
pub mod bundled;
pub mod error;
pub mod expect;
pub mod file;
pub mod manifests;
pub mod scheduler_config;
mod source;
mod validate;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::engine::SimDuration;
use crate::model::spec::{Setup, WorldSpec};

pub use budget::{Budget, BudgetFile, Estimate};
pub use error::{Problem, ScenarioError};
pub use expect::Expectation;
pub use file::ScenarioFile;
pub use source::SideFiles;

/// Files larger than this are refused before parsing.
pub const MAX_FILE_BYTES: usize = 16 << 20;

/// A lesson step: a caption at a time, optionally pausing the clock there,
/// asking the class a question and pointing at something on screen.
#[derive(Clone, Debug, PartialEq)]
pub struct LessonStep {
    pub at: SimDuration,
    pub caption: String,
    /// The clock stops here; always so for a step with a question.
    pub pause: bool,
    pub question: Option<Question>,
    pub focus: Option<LessonFocus>,
}

/// A question for the class, asked while the clock stops at its step (the
/// class predicts); its answer shows once the clock goes on (the class observes).
#[derive(Clone, Debug, PartialEq)]
pub struct Question {
    pub text: String,
    pub answer: String,
}

/// What a lesson step points at.
#[derive(Clone, Debug, PartialEq)]
pub enum LessonFocus {
    /// A world, by its index.
    World(usize),
    /// A host of a world.
    Host {
        world: usize,
        host: crate::model::HostId,
    },
    /// The instances or pods of a world whose names start with `name`.
    Pod {
        world: usize,
        name: String,
    },
    Chart(LessonChart),
}

/// The charts a lesson can point at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub enum LessonChart {
    /// Instances running and pending per world.
    Instances,
    /// The start-up Gantt chart (in scenarios without traffic).
    Startup,
    /// The traffic charts (in scenarios with traffic).
    Load,
    Replicas,
    Latency,
    Drops,
    Nodes,
    Energy,
}

impl LessonChart {
    /// Whether the chart shows traffic, which only scenarios with services have.
    pub fn needs_traffic(self) -> bool {
        !matches!(self, LessonChart::Instances | LessonChart::Startup)
    }
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
    /// The work and memory the run may take: the default, the file's own, or the command line's.
    pub budget: Budget,
    /// What the run is estimated to take, within the budget.
    pub estimate: Estimate,
    /// Fields of the manifests and scheduler configurations it reads that
    /// Flotilla does not simulate, each once, by file and place.
    pub ignored: Vec<manifests::Ignored>,
}

/// How to read a scenario.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LoadOptions {
    /// A budget that overrides the file's and the default, part by part
    /// (the command line's `--budget`).
    pub budget: Option<BudgetFile>,
}

impl Scenario {
    /// Reads and validates a scenario file. Files it names are read from its
    /// folder or below it (see [`source`]).
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        Scenario::load_with(path, LoadOptions::default())
    }

    /// [`Scenario::load`] with options.
    pub fn load_with(path: &Path, options: LoadOptions) -> Result<Scenario, ScenarioError> {
        let file = path.display().to_string();
        let bytes = source::read_scenario(path)?;
        let text = source::decode_scenario(&bytes, &file)?;
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Scenario::parse_with_side_files(text, &file, &source::Beside { dir: &dir }, options)
    }

    /// Parses and validates a scenario given as bytes (a file dropped on a
    /// window, say): UTF-8, a byte-order mark allowed. Files it names are
    /// looked up among the bundled ones.
    pub fn parse_bytes(bytes: &[u8], file: &str) -> Result<Scenario, ScenarioError> {
        Scenario::parse_bytes_with(bytes, file, LoadOptions::default())
    }

    /// [`Scenario::parse_bytes`] with options.
    pub fn parse_bytes_with(bytes: &[u8], file: &str, options: LoadOptions) -> Result<Scenario, ScenarioError> {
        if bytes.len() > MAX_FILE_BYTES {
            return Err(ScenarioError::TooLarge { file: file.to_string() });
        }
        let text = source::decode_scenario(bytes, file)?;
        Scenario::parse_with_side_files(text, file, &source::Bundled, options)
    }

    /// Parses and validates scenario text; `file` names it in messages.
    /// Files it names (load traces) are looked up among the bundled ones.
    pub fn parse(text: &str, file: &str) -> Result<Scenario, ScenarioError> {
        Scenario::parse_with_side_files(text, file, &source::Bundled, LoadOptions::default())
    }

    /// Parses and validates scenario text, reading the files it names with `read`.
    pub fn parse_with_files(
        text: &str,
        file: &str,
        read: &dyn Fn(&str) -> Result<String, String>,
    ) -> Result<Scenario, ScenarioError> {
        Scenario::parse_with(text, file, read, LoadOptions::default())
    }

    /// [`Scenario::parse_with_files`] with options.
    pub fn parse_with(
        text: &str,
        file: &str,
        read: &dyn Fn(&str) -> Result<String, String>,
        options: LoadOptions,
    ) -> Result<Scenario, ScenarioError> {
        Scenario::parse_with_side_files(text, file, &source::ReadOnly(read), options)
    }

    /// [`Scenario::parse_with`], reading the files it names (and listing
    /// folders of manifests) with `files`.
    pub fn parse_with_side_files(
        text: &str,
        file: &str,
        files: &dyn SideFiles,
        options: LoadOptions,
    ) -> Result<Scenario, ScenarioError> {
        if text.len() > MAX_FILE_BYTES {
            return Err(ScenarioError::TooLarge { file: file.to_string() });
        }
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let raw = parse_raw(text, file)?;
        validate::validate(raw, file, files, options)
    }

    /// How many checkpoints (copies of each world) a front end may keep for
    /// scrubbing back: at most 200, and no more than half the memory budget
    /// holds at the worlds' estimated size.
    pub fn checkpoints(&self) -> usize {
        let state: f64 = self.estimate.parts.iter().filter(|p| p.world.is_some()).map(|p| p.bytes).sum();
        let room = self.budget.memory.0 as f64 / 2.0;
        if state <= 0.0 { 200 } else { libm::floor(room / state).clamp(2.0, 200.0) as usize }
    }

    /// The names of the worlds, in file order.
    pub fn world_names(&self) -> Vec<&str> {
        self.worlds.iter().map(|w| w.name.as_str()).collect()
    }
}

/// Reads the RON text into the raw file structure.
pub fn parse_raw(text: &str, file: &str) -> Result<ScenarioFile, ScenarioError> {
    let options = ron::Options::default()
        .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
        .with_default_extension(ron::extensions::Extensions::UNWRAP_VARIANT_NEWTYPES)
        .with_recursion_limit(64);
    options.from_str::<ScenarioFile>(text).map_err(|e| {
        let line = e.span.start.line;
        let line_text = text.lines().nth(line.saturating_sub(1)).unwrap_or("");
        let (message, column) = error::describe_ron(&e.code, line_text, e.span.start.col);
        // A window of the line is shown; the rest is never copied.
        let column = column.max(1);
        let start = column.saturating_sub(200);
        let line_text: String = line_text.chars().skip(start).take(400).collect();
        ScenarioError::Syntax { file: file.to_string(), line, column, message, line_text, line_text_from: start + 1 }
    })
}

/// Files beside a scenario in the folder `dir` on disk, as a scenario loaded
/// from there reads them (links out of the folder refused, reads capped).
pub fn source_beside(dir: &Path) -> Box<dyn SideFiles + '_> {
    Box::new(source::Beside { dir })
}

/// The scenario files of `path`: the file itself, or a directory's `*.ron`
/// files (not recursive), sorted by name. A `*.ron` entry that is not a
/// folder is listed whatever it is (a named pipe, say), so that reading it
/// reports why it cannot be read rather than passing over it in silence.
pub fn collect_files(path: &Path) -> Result<Vec<PathBuf>, ScenarioError> {
    if path.is_dir() {
        let entries = std::fs::read_dir(path)
            .map_err(|e| ScenarioError::Io { file: path.display().to_string(), message: e.to_string() })?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| !p.is_dir() && p.extension().is_some_and(|x| x == "ron"))
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
