//! The `bookstore` binary: everything lives in the library; this only picks the allocator (ADR 009) and hands
//! over the exit code.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    bookstore_api::runtime::cli::main()
}
