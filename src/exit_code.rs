//! The process's exit codes, the same from the command line and the app.

/// Everything ran and every expectation held.
pub const OK: u8 = 0;
/// An expectation failed.
pub const EXPECTATION_FAILED: u8 = 1;
/// The input could not be used: a file unreadable, invalid or unwritable, or a wrong argument.
pub const INPUT_ERROR: u8 = 2;
