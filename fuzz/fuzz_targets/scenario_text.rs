//! Arbitrary bytes as a scenario file: parsed, validated, weighed against a
//! small budget and, when accepted, run to its end. Seeded with the shipped
//! scenarios and the malformed catalogue (`fuzz/seed`).

#![no_main]

#[path = "../../tests/support/mod.rs"]
mod support;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(e) = support::fuzz_text(data) {
        panic!("{e}");
    }
});
