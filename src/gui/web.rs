//! The browser entry point: the same app, drawn into the page's
//! `<canvas id="flotilla">`, opening on the default bundled scenario.

/// Starts the app in the browser.
pub fn start() {
    super::windowed_app(super::default_sim(), (1280, 800), false).run();
}
