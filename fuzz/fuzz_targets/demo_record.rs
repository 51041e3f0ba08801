#![no_main]
//! See fuzz/harness.rs: `demo_record`.

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::demo_record(data));
