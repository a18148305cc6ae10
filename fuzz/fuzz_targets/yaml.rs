#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cargo_fitness::fuzzing::yaml_loader(data));
