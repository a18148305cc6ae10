fn main() -> std::process::ExitCode {
    cargo_fitness::run(std::env::args_os())
}
