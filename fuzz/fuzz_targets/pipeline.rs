#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cargo_fitness::fuzzing::single_file_pipeline(data));
