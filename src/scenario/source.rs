//! Reading a scenario file and the files it names, without trusting either.
//!
//! A scenario may come from anyone, so the files it names (load traces) are
//! opened only when they are regular files inside the scenario's folder or
//! below it — never a link that leads elsewhere, a named pipe that would block,
//! or a device that never ends — and every read stops at a hard cap while it
//! reads, whatever size the file claims. Text must be UTF-8; a byte-order mark
//! (Notepad's default) is accepted, and invalid bytes are reported with their
//! line and column.

use std::io::Read;
use std::path::{Component, Path};

use super::MAX_FILE_BYTES;
use super::error::{ScenarioError, excerpt};

/// Why a file could not be read.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// More than the cap; reading stopped there.
    TooLarge,
    Other(String),
}

impl ReadError {
    fn message(&self) -> String {
        match self {
            ReadError::TooLarge => format!("it is larger than {} MiB, the most that is read", MAX_FILE_BYTES >> 20),
            ReadError::Other(m) => m.clone(),
        }
    }
}

/// Reads at most `cap` bytes from `file`; more is an error.
fn read_to_cap(mut file: impl Read, cap: usize) -> Result<Vec<u8>, ReadError> {
    let mut bytes = Vec::new();
    let limit = u64::try_from(cap).unwrap_or(u64::MAX).saturating_add(1);
    (&mut file).take(limit).read_to_end(&mut bytes).map_err(|e| ReadError::Other(e.to_string()))?;
    if bytes.len() > cap {
        return Err(ReadError::TooLarge);
    }
    Ok(bytes)
}

/// Reads the scenario file a person named: a regular file, as for the files
/// it names (a named pipe nothing writes to would keep the command waiting
/// for ever), and at most [`MAX_FILE_BYTES`] of it.
pub(crate) fn read_scenario(path: &Path) -> Result<Vec<u8>, ScenarioError> {
    let file = path.display().to_string();
    let io = |message: String| ScenarioError::Io { file: file.clone(), message };
    let handle = open_without_blocking(path).map_err(|e| io(e.to_string()))?;
    // What was opened is checked, not the path, which may have changed since.
    let meta = handle.metadata().map_err(|e| io(e.to_string()))?;
    if meta.is_dir() {
        return Err(io("this is a directory, not a scenario file".to_string()));
    }
    if let Some(kind) = not_regular(&meta) {
        return Err(io(format!("it is {kind}; only regular files are read")));
    }
    read_to_cap(handle, MAX_FILE_BYTES).map_err(|e| match e {
        ReadError::TooLarge => ScenarioError::TooLarge { file: file.clone() },
        ReadError::Other(message) => io(message),
    })
}

/// What kind of thing a path is, in words, when it is not a regular file.
fn not_regular(meta: &std::fs::Metadata) -> Option<&'static str> {
    let t = meta.file_type();
    if t.is_file() {
        return None;
    }
    if t.is_dir() {
        return Some("a directory");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return Some("a named pipe");
        }
        if t.is_socket() {
            return Some("a socket");
        }
        if t.is_char_device() || t.is_block_device() {
            return Some("a device");
        }
    }
    Some("not a regular file")
}

/// Reads a file a scenario names, relative to the scenario's folder `dir`:
/// a regular file there or below, at most [`MAX_FILE_BYTES`], as UTF-8 text.
pub(crate) fn read_beside(dir: &Path, name: &str) -> Result<String, String> {
    let relative = Path::new(name);
    if name.is_empty()
        || name.contains('\0')
        || relative.is_absolute()
        || relative.components().any(|c| !matches!(c, Component::Normal(_)))
    {
        return Err("a file beside the scenario is named by a relative path inside its folder".to_string());
    }
    let path = dir.join(relative);
    let folder = std::fs::canonicalize(if dir.as_os_str().is_empty() { Path::new(".") } else { dir })
        .map_err(|e| format!("the scenario's folder cannot be read: {e}"))?;
    let real = std::fs::canonicalize(&path).map_err(|e| e.to_string())?;
    if !real.starts_with(&folder) {
        return Err("it is a link that leads outside the scenario's folder".to_string());
    }
    let meta = std::fs::metadata(&real).map_err(|e| e.to_string())?;
    if let Some(kind) = not_regular(&meta) {
        return Err(format!("it is {kind}; only regular files are read"));
    }
    let handle = open_without_blocking(&real).map_err(|e| e.to_string())?;
    // The path was checked before opening; what was opened is checked again.
    let meta = handle.metadata().map_err(|e| e.to_string())?;
    if let Some(kind) = not_regular(&meta) {
        return Err(format!("it is {kind}; only regular files are read"));
    }
    let bytes = read_to_cap(handle, MAX_FILE_BYTES).map_err(|e| e.message())?;
    match decode(&bytes) {
        Ok(text) => Ok(text.to_string()),
        Err(bad) => Err(format!("line {}, column {}: {}", bad.line, bad.column, bad.message)),
    }
}

/// The files a scenario names: read one, or list a folder's manifests.
pub trait SideFiles {
    /// The text of a file named relative to the scenario.
    fn read(&self, name: &str) -> Result<String, String>;
    /// The files `name` stands for: itself when it is a file; when it is a
    /// folder, its `.yaml`, `.yml` and `.json` files (not those in folders
    /// below), sorted by name, as `kubectl apply -f FOLDER` takes them.
    fn manifest_files(&self, name: &str) -> Result<Vec<String>, String>;
}

/// The most files one folder of manifests may hold.
pub const MAX_MANIFEST_FILES: usize = 1000;

/// Whether a file name is a manifest's, as kubectl's `-f FOLDER` takes them.
pub fn is_manifest_name(name: &str) -> bool {
    [".yaml", ".yml", ".json"].iter().any(|x| name.ends_with(x))
}

/// Files beside a scenario on disk.
pub(crate) struct Beside<'a> {
    pub dir: &'a Path,
}

impl SideFiles for Beside<'_> {
    fn read(&self, name: &str) -> Result<String, String> {
        read_beside(self.dir, name)
    }

    fn manifest_files(&self, name: &str) -> Result<Vec<String>, String> {
        // The same checks as a read: a relative path inside the folder, no link out of it.
        let relative = Path::new(name);
        if name.is_empty()
            || name.contains('\0')
            || relative.is_absolute()
            || relative.components().any(|c| !matches!(c, Component::Normal(_)))
        {
            return Err("a file beside the scenario is named by a relative path inside its folder".to_string());
        }
        let path = self.dir.join(relative);
        let meta = std::fs::metadata(&path).map_err(|e| e.to_string())?;
        if !meta.is_dir() {
            return Ok(vec![name.to_string()]);
        }
        let folder = std::fs::canonicalize(if self.dir.as_os_str().is_empty() { Path::new(".") } else { self.dir })
            .map_err(|e| format!("the scenario's folder cannot be read: {e}"))?;
        let real = std::fs::canonicalize(&path).map_err(|e| e.to_string())?;
        if !real.starts_with(&folder) {
            return Err("it is a link that leads outside the scenario's folder".to_string());
        }
        let mut names = Vec::new();
        for entry in std::fs::read_dir(&real).map_err(|e| e.to_string())? {
            let entry = entry.map_err(|e| e.to_string())?;
            let file = entry.file_name().to_string_lossy().into_owned();
            if is_manifest_name(&file) && entry.file_type().is_ok_and(|t| !t.is_dir()) {
                names.push(format!("{}/{file}", name.trim_end_matches('/')));
                if names.len() > MAX_MANIFEST_FILES {
                    return Err(format!("the folder has more than {MAX_MANIFEST_FILES} manifest files"));
                }
            }
        }
        names.sort();
        if names.is_empty() {
            return Err("the folder has no .yaml, .yml or .json files".to_string());
        }
        Ok(names)
    }
}

/// Files that can be read one by one but not listed (those given to the
/// browser with a scenario, say).
pub(crate) struct ReadOnly<'a>(pub &'a dyn Fn(&str) -> Result<String, String>);

impl SideFiles for ReadOnly<'_> {
    fn read(&self, name: &str) -> Result<String, String> {
        (self.0)(name)
    }

    fn manifest_files(&self, name: &str) -> Result<Vec<String>, String> {
        if is_manifest_name(name) {
            Ok(vec![name.to_string()])
        } else {
            Err("a folder is read only beside a scenario on disk; name its files one by one".to_string())
        }
    }
}

/// The files bundled beside the shipped scenarios.
pub(crate) struct Bundled;

impl SideFiles for Bundled {
    fn read(&self, name: &str) -> Result<String, String> {
        super::bundled::side_file(name)
            .map(str::to_string)
            .ok_or_else(|| "the scenario was not read from a folder, and no bundled file has this name".to_string())
    }

    fn manifest_files(&self, name: &str) -> Result<Vec<String>, String> {
        let prefix = format!("{}/", name.trim_end_matches('/'));
        let names: Vec<String> = super::bundled::side_files()
            .filter(|n| n.strip_prefix(&prefix).is_some_and(|rest| !rest.contains('/') && is_manifest_name(rest)))
            .map(str::to_string)
            .collect();
        if !names.is_empty() {
            return Ok(names);
        }
        if super::bundled::side_file(name).is_some() {
            return Ok(vec![name.to_string()]);
        }
        Err("the scenario was not read from a folder, and no bundled file or folder has this name".to_string())
    }
}

/// Opens for reading without waiting for a writer, should the path be (or
/// have become since it was checked) a named pipe.
fn open_without_blocking(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
}

/// Where text stops being UTF-8.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct BadText {
    pub line: usize,
    pub column: usize,
    pub message: String,
    /// The line up to the bad byte, as far as it is text.
    pub line_text: String,
}

/// The last `max` characters of `text`, control characters replaced.
fn excerpt_end(text: &str, max: usize) -> String {
    let skip = text.chars().count().saturating_sub(max);
    excerpt(&text.chars().skip(skip).collect::<String>(), max)
}

/// The bytes as text: UTF-8, with a leading byte-order mark dropped.
pub(crate) fn decode(bytes: &[u8]) -> Result<&str, BadText> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(e) => {
            let valid = bytes.get(..e.valid_up_to()).unwrap_or_default();
            // The prefix is valid UTF-8 by construction.
            let before = std::str::from_utf8(valid).unwrap_or_default();
            let line = before.matches('\n').count() + 1;
            let line_start = before.rfind('\n').map_or(0, |i| i + 1);
            let line_text = before.get(line_start..).unwrap_or_default();
            let column = line_text.chars().count() + 1;
            let byte = bytes.get(e.valid_up_to()).copied().unwrap_or(0);
            Err(BadText {
                line,
                column,
                message: format!(
                    "the file is not UTF-8 text: byte 0x{byte:02X} cannot be read here; save the file as UTF-8"
                ),
                line_text: excerpt_end(line_text, 200),
            })
        }
    }
}

/// The bytes of a scenario file as text, or a syntax error at the first bad byte.
pub(crate) fn decode_scenario<'a>(bytes: &'a [u8], file: &str) -> Result<&'a str, ScenarioError> {
    decode(bytes).map_err(|bad| ScenarioError::Syntax {
        file: file.to_string(),
        line: bad.line,
        column: bad.column,
        message: bad.message,
        line_text_from: bad.column.saturating_sub(bad.line_text.chars().count()).max(1),
        line_text: bad.line_text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_byte_order_mark_is_dropped() {
        assert_eq!(decode("\u{feff}Scenario(".as_bytes()), Ok("Scenario("));
    }

    #[test]
    fn invalid_utf8_is_placed_by_line_and_column() {
        let bad = decode(b"ab\ncd\xffe").unwrap_err();
        assert_eq!((bad.line, bad.column), (2, 3));
        assert!(bad.message.contains("0xFF"), "{}", bad.message);
        assert_eq!(bad.line_text, "cd");
    }

    #[cfg(unix)]
    #[test]
    fn a_scenario_file_that_is_a_named_pipe_is_refused_without_waiting_for_a_writer() {
        let dir = std::env::temp_dir().join(format!("flotilla-fifo-scenario-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let fifo = dir.join("s.ron");
        let _ = std::fs::remove_file(&fifo);
        let status = std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo runs");
        assert!(status.success());
        // Nothing ever writes to the pipe: a read that waited would never return.
        let (send, receive) = std::sync::mpsc::channel();
        let path = fifo.clone();
        std::thread::spawn(move || send.send(read_scenario(&path).map_err(|e| e.to_string())));
        let result = receive.recv_timeout(std::time::Duration::from_secs(10)).expect("the read returns");
        let _ = std::fs::remove_dir_all(&dir);
        let message = result.expect_err("a named pipe is refused");
        assert!(message.ends_with("it is a named pipe; only regular files are read"), "{message}");
    }

    #[test]
    fn reading_stops_at_the_cap() {
        assert!(matches!(read_to_cap(std::io::repeat(b'x'), 10), Err(ReadError::TooLarge)));
        assert_eq!(read_to_cap(&b"0123456789"[..], 10).unwrap().len(), 10);
    }
}
