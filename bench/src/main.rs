//! The benchmarks behind `cargo xtask bench`. Each prints its results as
//! lines of JSON; `cargo xtask bench` runs them, prints the table and
//! writes `target/bench.json`.
//!
//! ```text
//! cio-bench throughput [--bytes N]
//! cio-bench scale --tasks K
//! cio-bench latency --tasks K --trips N
//! cio-bench writer FIFO BYTES CHUNK      (the task side of throughput)
//! cio-bench peer LIST                    (the shim side of scale)
//! ```

#![allow(clippy::print_stderr, clippy::cast_possible_truncation, missing_docs)]

mod latency;
mod scale;
mod sinks;
mod sys;
mod throughput;

use std::path::Path;
use std::process::ExitCode;

use throughput::Sink;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let option = |name: &str| {
        let at = args.iter().position(|a| a == name)?;
        args.get(at + 1)?.parse::<u64>().ok()
    };
    match args.first().map(String::as_str) {
        Some("throughput") => {
            let total = option("--bytes").unwrap_or(2 << 30);
            let only = args
                .iter()
                .position(|a| a == "--only")
                .and_then(|at| args.get(at + 1));
            throughputs(total, only.map(String::as_str));
        }
        Some("scale") => scale::run(option("--tasks").unwrap_or(1000) as usize),
        Some("latency") => {
            let tasks = option("--tasks").unwrap_or(1000) as usize;
            latency::run(tasks, option("--trips").unwrap_or(10_000) as usize);
        }
        Some("writer") => {
            let (Some(fifo), Some(total), Some(chunk)) = (args.get(1), args.get(2), args.get(3))
            else {
                return usage();
            };
            let (Ok(total), Ok(chunk)) = (total.parse(), chunk.parse()) else {
                return usage();
            };
            if let Err(e) = throughput::writer(Path::new(fifo), total, chunk) {
                eprintln!("writer: {e}");
                return ExitCode::FAILURE;
            }
        }
        Some("peer") => {
            let Some(list) = args.get(1) else {
                return usage();
            };
            if let Err(e) = scale::peer(Path::new(list)) {
                eprintln!("peer: {e}");
                return ExitCode::FAILURE;
            }
        }
        _ => return usage(),
    }
    ExitCode::SUCCESS
}

fn usage() -> ExitCode {
    eprintln!("usage: cio-bench throughput|scale|latency|writer|peer ...; see the source");
    ExitCode::FAILURE
}

/// Every throughput row: cio into three sinks, and the plain loops.
fn throughputs(total: u64, only: Option<&str>) {
    use throughput::{WRITE_SIZE, cio, read_loop, splice_loop};

    const MIB: usize = 1024 * 1024;
    let file = std::env::temp_dir().join(format!("cio-bench-{}.out", std::process::id()));
    let run = |name: &str, total: u64, work: Box<dyn FnOnce(&Path) -> u64 + '_>| {
        if only.is_none_or(|only| name.contains(only)) {
            throughput::run(name, total, work);
        }
    };

    run(
        "read loop, 64 KiB pipe",
        total,
        Box::new(read_loop(total, WRITE_SIZE, None, None)),
    );
    run(
        "read loop, 1 MiB pipe",
        total,
        Box::new(read_loop(total, MIB, Some(MIB), None)),
    );
    run(
        "splice loop, 1 MiB pipe",
        total,
        Box::new(splice_loop(total)),
    );
    run(
        "cio -> /dev/null",
        total,
        Box::new(cio(Sink::DevNull, total, &file)),
    );
    run(
        "cio -> async writer",
        total,
        Box::new(cio(Sink::Async, total, &file)),
    );
    run(
        "read+write loop -> file",
        total,
        Box::new(read_loop(total, WRITE_SIZE, None, Some(file.clone()))),
    );
    run(
        "cio -> file",
        total,
        Box::new(cio(Sink::File, total, &file)),
    );
    let _ = std::fs::remove_file(&file);
}
