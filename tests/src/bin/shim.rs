//! A stand-in for containerd's shim: opens a task's FIFOs the way the shim
//! does, with a plain blocking `open(2)`, and moves bytes through them.
//!
//! ```text
//! shim [--delay-ms N] write <fifo> <len> [--seed S] [--chunk N] [--pause-us N]
//!      [--count-to FILE] [--die-after N] [--hold-read]
//! shim [--delay-ms N] read <fifo>            (FIFO to this process's stdout)
//! shim [--delay-ms N] copy-stdin <fifo>      (this process's stdin to the FIFO)
//! shim [--delay-ms N] task [--stdin FIFO --stdin-to FILE]
//!      [--stdout FIFO --stdout-len N --stdout-seed S]
//!      [--stderr FIFO --stderr-len N --stderr-seed S]
//!      [--chunk-seed S --max-chunk N --max-pause-us N]
//! ```
//!
//! `task` plays a task under the shim: it opens the FIFOs it is given (stdin
//! for reading, stdout and stderr for writing), writes its payloads to
//! stdout and stderr at once, in chunks of random sizes with random pauses
//! when `--chunk-seed` is given, and copies stdin to `--stdin-to` until
//! end-of-file; it exits only once all of that is done.
//!
//! `write` sends `cio_tests::pattern(S, len)`, so the test knows what to
//! expect without being told. With `--count-to`, it keeps in FILE the number
//! of bytes its writes have returned for so far. With `--die-after N`, it
//! writes the first N bytes, records N, and kills itself with `SIGKILL`, as
//! a task killed mid-stream. With `--hold-read`, it also opens a read end of
//! the FIFO that it never reads, as containerd's shim does for stdout and
//! stderr: with no client attached, the writes then wait for room instead
//! of failing with `EPIPE`.
//!
//! Errors go to stderr with exit status 1; a write that fails with `EPIPE`
//! exits with status 32.

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
            let count_to: Option<String> = args.option("--count-to")?;
            let die_after: Option<usize> = args.option("--die-after")?;
            let hold_read = args.flag("--hold-read");

            let mut fifo = OpenOptions::new().write(true).open(&path)?;
            let _held = match hold_read {
                true => Some(OpenOptions::new().read(true).open(&path)?),
                false => None,
            };
            let end = die_after.map_or(len, |n| n.min(len));
            let (mut pattern, mut piece) = (cio_tests::Pattern::new(seed), vec![0; chunk]);
            let mut written = 0;
            while written < end {
                let piece = &mut piece[..chunk.min(end - written)];
                pattern.fill(piece);
                fifo.write_all(piece)?;
                written += piece.len();
                if let Some(file) = &count_to {
                    std::fs::write(file, written.to_string())?;
                }
                if pause > 0 {
                    std::thread::sleep(Duration::from_micros(pause));
                }
            }
            if die_after.is_some() {
                let me = rustix::process::getpid();
                rustix::process::kill_process(me, rustix::process::Signal::KILL)?;
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
        "task" => task(&mut args),
        other => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("unknown command {other}"),
        )),
    }
}

/// The `task` command: see the module docs.
fn task(args: &mut Args) -> io::Result<()> {
    let stdin: Option<String> = args.option("--stdin")?;
    let stdin_to: Option<String> = args.option("--stdin-to")?;
    let chunking = Chunking {
        seed: args.option("--chunk-seed")?,
        max_chunk: args.option("--max-chunk")?.unwrap_or(64 * 1024),
        max_pause_us: args.option("--max-pause-us")?.unwrap_or(0),
    };
    let mut outputs = Vec::new();
    for name in ["stdout", "stderr"] {
        let Some(path) = args.option::<String>(&format!("--{name}"))? else {
            continue;
        };
        let len: usize = args.option(&format!("--{name}-len"))?.unwrap_or(0);
        let seed: u64 = args.option(&format!("--{name}-seed"))?.unwrap_or(0);
        outputs.push((path, cio_tests::pattern(seed, len), seed));
    }

    // Open in the shim's order: stdin first, then the outputs.
    let stdin = stdin
        .map(|path| OpenOptions::new().read(true).open(path))
        .transpose()?;
    let mut writers = Vec::new();
    for (path, payload, seed) in outputs {
        let fifo = OpenOptions::new().write(true).open(path)?;
        let chunking = chunking.clone();
        writers.push(std::thread::spawn(move || {
            chunking.write(fifo, &payload, seed)
        }));
    }

    if let Some(mut stdin) = stdin {
        let mut received = Vec::new();
        stdin.read_to_end(&mut received)?;
        if let Some(path) = stdin_to {
            std::fs::write(path, received)?;
        }
    }
    // Every writer ends before the first error is reported: a stream whose
    // reader left must not cut the other one short.
    let results: Vec<io::Result<()>> = writers
        .into_iter()
        .map(|writer| {
            writer
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("a writer panicked")))
        })
        .collect();
    results.into_iter().collect()
}

/// How a payload is cut into writes.
#[derive(Clone)]
struct Chunking {
    seed: Option<u64>,
    max_chunk: usize,
    max_pause_us: u64,
}

impl Chunking {
    fn write(&self, mut fifo: std::fs::File, payload: &[u8], stream_seed: u64) -> io::Result<()> {
        let Some(seed) = self.seed else {
            return fifo.write_all(payload);
        };
        let mut state = (seed ^ stream_seed.rotate_left(17)) | 1;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut rest = payload;
        while !rest.is_empty() {
            let len = usize::try_from(next() % self.max_chunk.max(1) as u64).unwrap_or(0) + 1;
            let (now, later) = rest.split_at(len.min(rest.len()));
            fifo.write_all(now)?;
            rest = later;
            if self.max_pause_us > 0 {
                std::thread::sleep(Duration::from_micros(next() % self.max_pause_us));
            }
        }
        Ok(())
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

    fn flag(&mut self, name: &str) -> bool {
        let at = self.0.iter().position(|a| a == name);
        at.map(|at| self.0.remove(at)).is_some()
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
