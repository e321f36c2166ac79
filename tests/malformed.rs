//! Every file under `tests/malformed/` must be refused with exactly the message
//! in the `.err` file beside it. Run with `FLOTILLA_BLESS=1` to rewrite the
//! `.err` files after a deliberate change of wording, then read the diff.

use std::path::Path;

use flotilla::scenario::Scenario;

#[test]
fn each_malformed_file_gives_its_message() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/malformed");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/malformed exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "ron"))
        .collect();
    files.sort();
    assert!(files.len() >= 12, "expected at least a dozen malformed files, found {}", files.len());
    let bless = std::env::var_os("FLOTILLA_BLESS").is_some();
    let mut failures = Vec::new();
    for file in &files {
        let name = format!("tests/malformed/{}", file.file_name().unwrap().to_string_lossy());
        let text = std::fs::read_to_string(file).unwrap();
        let message = match Scenario::parse(&text, &name) {
            Ok(_) => format!("(no error: {name} was accepted)"),
            Err(e) => e.to_string(),
        };
        let expected_path = file.with_extension("err");
        if bless {
            std::fs::write(&expected_path, format!("{message}\n")).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if expected.trim_end() != message.trim_end() {
            failures.push(format!("{name}\n--- expected\n{}\n--- got\n{message}\n", expected.trim_end()));
        }
    }
    assert!(failures.is_empty(), "{} message(s) differ:\n{}", failures.len(), failures.join("\n"));
}
