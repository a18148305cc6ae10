// Parsing and walking syntax trees allocates millions of small nodes; mimalloc serves them in
// about half the instructions of the system allocator (see the benchmark figures in the README).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cargo_fitness::run(std::env::args_os())
}
