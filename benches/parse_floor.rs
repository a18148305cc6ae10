//! The parse floor: how long syn alone needs to read and parse every Rust file under a path,
//! in parallel like cargo-fitness does. `bench/run.sh` prints it next to the tool's own time.
//!
//!     cargo bench --bench parse_floor -- <path>

use std::path::PathBuf;
use std::time::Instant;

use rayon::prelude::*;

// The same allocator as the tool, so that the floor is what syn alone costs inside it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let root = std::env::args()
        .skip(1)
        .find(|arg| !arg.starts_with('-'))
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    let files: Vec<PathBuf> = ignore::WalkBuilder::new(&root)
        .build()
        .filter_map(Result::ok)
        .filter(|entry| entry.path().extension().is_some_and(|e| e == "rs"))
        .map(|entry| entry.into_path())
        .collect();
    let start = Instant::now();
    let (lines, bytes): (usize, usize) = files
        .par_iter()
        .map(|path| {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            let parsed = syn::parse_file(&text).is_ok();
            proc_macro2::extra::invalidate_current_thread_spans();
            std::hint::black_box(parsed);
            (text.lines().count(), text.len())
        })
        .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "parse floor: {} files, {lines} lines, {:.1} MB in {seconds:.3} s",
        files.len(),
        bytes as f64 / 1e6
    );
}
