//! The scenarios shipped in `scenarios/`, compiled into the binary so that
//! the app can offer them with no files around it, in the browser too.

include!(concat!(env!("OUT_DIR"), "/bundled_scenarios.rs"));

/// The scenario the app opens on.
pub const DEFAULT: &str = "cold-start.ron";

/// The text of a bundled scenario by file name.
pub fn get(name: &str) -> Option<&'static str> {
    BUNDLED.iter().find(|(n, _)| *n == name).map(|(_, text)| *text)
}

/// The text of a file bundled beside the scenarios (a load trace, or a
/// manifest in a folder beside them, `small-shop/web.yaml`) by its name.
pub fn side_file(name: &str) -> Option<&'static str> {
    BUNDLED_FILES.iter().chain(BUNDLED_FOLDERS).find(|(n, _)| *n == name).map(|(_, text)| *text)
}

/// The names of the files bundled beside the scenarios, sorted.
pub fn side_files() -> impl Iterator<Item = &'static str> {
    BUNDLED_FILES.iter().chain(BUNDLED_FOLDERS).map(|(n, _)| *n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_in_scenarios_is_bundled_and_parses() {
        let on_disk = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios"))
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "ron"))
            .count();
        assert_eq!(BUNDLED.len(), on_disk);
        for (name, text) in BUNDLED {
            crate::scenario::Scenario::parse(text, name).unwrap_or_else(|e| panic!("{e}"));
        }
        assert!(get(DEFAULT).is_some());
    }
}
