//! A stand-in for containerd's shim: opens a task's FIFOs the way the shim
//! does, with a plain blocking `open(2)`, and moves bytes through them.
//!
//! ```text
//! shim [--delay-ms N] write <fifo> <len> [--seed S] [--chunk N] [--pause-us N]
//! shim [--delay-ms N] read <fifo>            (FIFO to this process's stdout)
//! shim [--delay-ms N] copy-stdin <fifo>      (this process's stdin to the FIFO)
//! ```
//!
//! `write` sends `cio_tests::pattern(S, len)`, so the test knows what to
//! expect without being told. Errors go to stderr with exit status 1; a
//! write that fails with `EPIPE` exits with status 32.

#![allow(clippy::print_stderr, missing_docs)]

use std::fs::OpenOptions;
use std::io::{self, Read, Write};
use std::process::ExitCode;
use std::time::Duration;

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
            eprintln!("shim: {e}");
            ExitCode::from(32)
        }
        Err(e) => {
            eprintln!("shim: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Vec<String>) -> io::Result<()> {
    let mut args = Args(args);
    if let Some(ms) = args.option::<u64>("--delay-ms")? {
        std::thread::sleep(Duration::from_millis(ms));
    }
    let command = args.positional()?;
    match command.as_str() {
        "write" => {
            let path = args.positional()?;
            let len: usize = parse(&args.positional()?)?;
            let seed: u64 = args.option("--seed")?.unwrap_or(0);
            let chunk: usize = args.option("--chunk")?.unwrap_or(64 * 1024).max(1);
            let pause: u64 = args.option("--pause-us")?.unwrap_or(0);

            let mut fifo = OpenOptions::new().write(true).open(&path)?;
            for piece in cio_tests::pattern(seed, len).chunks(chunk) {
                fifo.write_all(piece)?;
                if pause > 0 {
                    std::thread::sleep(Duration::from_micros(pause));
                }
            }
            Ok(())
        }
        "read" => {
            let path = args.positional()?;
            let mut fifo = OpenOptions::new().read(true).open(&path)?;
            let mut out = io::stdout().lock();
            io::copy(&mut fifo, &mut out)?;
            out.flush()
        }
        "copy-stdin" => {
            let path = args.positional()?;
            let mut fifo = OpenOptions::new().write(true).open(&path)?;
            let mut input = Vec::new();
            io::stdin().read_to_end(&mut input)?;
            fifo.write_all(&input)
        }
        other => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("unknown command {other}"),
        )),
    }
}

struct Args(Vec<String>);

impl Args {
    fn option<T: std::str::FromStr>(&mut self, name: &str) -> io::Result<Option<T>> {
        let Some(at) = self.0.iter().position(|a| a == name) else {
            return Ok(None);
        };
        let value = self.0.get(at + 1).cloned().ok_or_else(|| invalid(name))?;
        self.0.drain(at..at + 2);
        parse(&value).map(Some)
    }

    fn positional(&mut self) -> io::Result<String> {
        match self.0.is_empty() {
            true => Err(invalid("a missing argument")),
            false => Ok(self.0.remove(0)),
        }
    }
}

fn parse<T: std::str::FromStr>(value: &str) -> io::Result<T> {
    value.parse().map_err(|_| invalid(value))
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, format!("bad argument: {what}"))
}
