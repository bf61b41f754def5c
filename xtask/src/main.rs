//! The project's automation, run as `cargo xtask <task>`.
//!
//! - `cargo xtask test`: the whole test matrix, ending with a table of its
//!   cells; exits non-zero if any cell failed.
//! - `cargo xtask bench [--quick]`: the benchmarks, in release mode, with
//!   every figure beside its baseline; writes `target/bench.json`.
//! - `cargo xtask fuzz [--time SECONDS] [--target NAME]...`: the fuzz
//!   targets of `fuzz/`, with cargo-fuzz (`cargo install cargo-fuzz`); not
//!   part of the test matrix, which runs their corpus as a plain test.

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod bench;
mod fuzz;
mod matrix;
mod shell;
#[cfg(test)]
mod tidy;

use std::process::ExitCode;

fn main() -> ExitCode {
    match try_main() {
        Ok(code) => code,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

fn try_main() -> Result<ExitCode, String> {
    let mut args = std::env::args().skip(1);
    let task = args.next().unwrap_or_default();
    let rest: Vec<String> = args.collect();
    match task.as_str() {
        "test" => matrix::run(&rest),
        "bench" => bench::run(&rest),
        "fuzz" => fuzz::run(&rest),
        "" | "help" | "--help" | "-h" => {
            println!(
                "usage: cargo xtask test [--only NAME]... | cargo xtask bench [--quick] \
                 | cargo xtask fuzz [--time SECONDS] [--target NAME]..."
            );
            Ok(ExitCode::SUCCESS)
        }
        other => Err(format!("unknown task `{other}`; try `cargo xtask help`")),
    }
}
