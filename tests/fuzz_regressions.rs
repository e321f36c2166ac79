//! Every input the fuzz targets (`fuzz/`) ever failed on, replayed: the text
//! target's in `tests/fuzz-regressions/text/`, the structure-aware target's in
//! `tests/fuzz-regressions/structured/`, with the shipped scenarios and the
//! malformed catalogue, which seed the text target, as well.

mod support;

use std::path::{Path, PathBuf};

struct Drawn<'a, 'b>(&'b mut arbitrary::Unstructured<'a>);

impl support::Choices for Drawn<'_, '_> {
    fn below(&mut self, n: u64) -> u64 {
        if n <= 1 { 0 } else { self.0.int_in_range(0..=n - 1).unwrap_or(0) }
    }
}

fn files(dir: &str, extension: Option<&str>) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(&dir).map(|d| d.map(|e| e.expect("readable entry").path()).collect()).unwrap_or_default();
    files.retain(|p| p.is_file() && extension.is_none_or(|x| p.extension().is_some_and(|e| e == x)));
    files.sort();
    files
}

#[test]
fn the_text_target_holds_on_every_regression_and_seed() {
    let mut inputs = files("tests/fuzz-regressions/text", None);
    let regressions = inputs.len();
    inputs.extend(files("scenarios", Some("ron")));
    inputs.extend(files("tests/malformed", Some("ron")));
    assert!(inputs.len() > regressions + 40, "the seeds are missing");
    let failures: Vec<String> = inputs
        .iter()
        .filter_map(|p| support::fuzz_text(&std::fs::read(p).unwrap()).err().map(|e| format!("{}: {e}", p.display())))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_structured_target_holds_on_every_regression() {
    let failures: Vec<String> = files("tests/fuzz-regressions/structured", None)
        .iter()
        .filter_map(|p| {
            let bytes = std::fs::read(p).unwrap();
            let mut u = arbitrary::Unstructured::new(&bytes);
            support::fuzz_structured(&mut Drawn(&mut u)).err().map(|e| format!("{}: {e}", p.display()))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
