//! Valid scenarios of every platform kind drawn from the bytes through
//! `arbitrary`: each must be accepted, keep every invariant after every
//! instant, run the same twice, and stay within its estimate.

#![no_main]

#[path = "../../tests/support/mod.rs"]
mod support;

use arbitrary::Unstructured;

struct Drawn<'a, 'b>(&'b mut Unstructured<'a>);

impl support::Choices for Drawn<'_, '_> {
    fn below(&mut self, n: u64) -> u64 {
        if n <= 1 { 0 } else { self.0.int_in_range(0..=n - 1).unwrap_or(0) }
    }
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    if let Err(e) = support::fuzz_structured(&mut Drawn(&mut u)) {
        panic!("{e}");
    }
});
