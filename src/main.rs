//! The `flotilla` binary: the command line, and the app when built with `gui`.

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(flotilla::cli::main())
}

#[cfg(target_arch = "wasm32")]
fn main() {
    flotilla::gui::web::start();
}
