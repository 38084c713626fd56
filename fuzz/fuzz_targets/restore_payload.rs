#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| redust::fuzz_harness::restore_payload(data));
