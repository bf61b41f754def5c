//! Scenarios that change process-wide state, each run in a process of its
//! own by the integration tests: a caller whose `SIGPIPE` has its default
//! action, a process out of file descriptors, a user without permission.
//!
//! ```text
//! probe sigpipe-copy <root> <shim>   output spliced into a pipe, then a socket, whose reader left
//! probe sigpipe-writer <root>        a FIFO writer whose reader left
//! probe nofile <root> <shim> <k>     the lifecycle with only k descriptors to spare
//! probe new-set <root> <id>          new_fifo_set_in_dir, as whoever runs it
//! ```
//!
//! Each prints what happened, one fact a line, and exits 0; dying of a
//! signal is the failure the `sigpipe-*` scenarios look for.

#![allow(clippy::print_stdout, missing_docs)]

use std::io::Read;
use std::os::fd::OwnedFd;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use cio::{Error, Io, Output, Streams};
use futures::io::AsyncWriteExt;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args[..] {
        ["sigpipe-copy", root, shim] => sigpipe_copy(Path::new(root), shim),
        ["sigpipe-writer", root] => sigpipe_writer(Path::new(root)),
        ["nofile", root, shim, k] => nofile(Path::new(root), shim, k.parse().unwrap()),
        ["new-set", root, id] => match cio::new_fifo_set_in_dir(root, id, false) {
            Ok(set) => println!("ok {}", set.stdout),
            Err(error) => println!("err {error}: {}", source_of(&error)),
        },
        _ => panic!("unknown scenario {args:?}"),
    }
}

/// Gives `SIGPIPE` its default action, which Rust programs replace with
/// "ignore" at start-up: a handler that runs the default action (the
/// process dies of `SIGPIPE`) whenever the signal is delivered.
///
/// Setting `SIG_DFL` itself takes an unsafe call (`sigaction` through nix
/// or rustix); std resets `SIGPIPE` only in a child before its `exec`, and
/// a Rust child ignores it again at start-up. signal-hook's handler, which
/// restores `SIG_DFL` and raises the signal again, is the safe equivalent:
/// the process dies exactly when it would with the default action.
fn default_sigpipe() {
    let always = Arc::new(AtomicBool::new(true));
    signal_hook::flag::register_conditional_default(signal_hook::consts::SIGPIPE, always)
        .expect("a handler for SIGPIPE");
}

/// With `SIGPIPE` at its default action: a task's output is spliced into a
/// pipe, then into a socket, whose reader leaves mid-stream.
fn sigpipe_copy(root: &Path, shim: &str) {
    default_sigpipe();

    for kind in ["pipe", "socket"] {
        // The sink's reader takes a little, then leaves.
        let (sink, mut reader): (Output, Box<dyn Read + Send>) = match kind {
            "pipe" => {
                let (reader, writer) = std::io::pipe().unwrap();
                (Output::from_fd(OwnedFd::from(writer)), Box::new(reader))
            }
            _ => {
                let (ours, theirs) = std::os::unix::net::UnixStream::pair().unwrap();
                (Output::from(ours), Box::new(theirs))
            }
        };
        let leaving = std::thread::spawn(move || {
            let mut first = vec![0; 4096];
            reader.read_exact(&mut first).unwrap();
        });

        let streams = Streams::new().with_stdout(sink).with_fifo_dir(root);
        let io = cio::new_creator(streams).create_copy_io(kind).unwrap();
        let status = Command::new(shim)
            .arg("write")
            .arg(&io.config().stdout)
            .arg((16 << 20).to_string())
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap();
        leaving.join().unwrap();
        println!("{kind}: task exit {:?}", status.code());
        match io.wait_blocking() {
            Err(Error::Copy { stream, source }) => println!("{kind}: {stream}: {source}"),
            other => println!("{kind}: {other:?}"),
        }
        io.close().unwrap();
    }
    println!("survived");
}

/// With `SIGPIPE` at its default action: a FIFO writer whose reader came
/// and left goes on writing.
fn sigpipe_writer(root: &Path) {
    default_sigpipe();

    let path = root.join("w-stdin");
    let mut writer = cio::FifoWriter::open(&path).unwrap();
    let reader = std::fs::File::open(&path).unwrap();
    drop(reader);
    futures::executor::block_on(writer.write_all(b"nobody reads this")).unwrap();
    println!("survived");
}

/// The number of the next descriptor to be opened, once every free number
/// below the highest open one is taken (by `/dev/null`, kept open): with a
/// limit of that number plus `k`, exactly `k` more descriptors can open.
fn fill_fd_table() -> u64 {
    let highest = std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u64>().ok())
        .max()
        .unwrap();
    loop {
        let fd = std::fs::File::open("/dev/null").unwrap();
        let number = std::os::fd::AsRawFd::as_raw_fd(&fd) as u64;
        if number > highest {
            return number;
        }
        std::mem::forget(fd);
    }
}

/// Sets the soft limit on open descriptors.
fn set_nofile(limit: u64) {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut rlimit = getrlimit(Resource::Nofile);
    rlimit.current = Some(limit);
    setrlimit(Resource::Nofile, rlimit).unwrap();
}

/// A task's whole lifecycle, its creation with only `k` descriptors to
/// spare: each step that needs one more fails there. Prints the error of
/// the creation or of the wait, what is left under `root`, and whether
/// every byte arrived.
fn nofile(root: &Path, shim: &str, k: u64) {
    std::fs::create_dir_all(root).unwrap();

    // The sinks, made while descriptors are plenty: pipes, read to the end
    // by threads.
    let drain = |name: &'static str| {
        let (mut reader, writer) = std::io::pipe().unwrap();
        let thread = std::thread::spawn(move || {
            let mut bytes = Vec::new();
            reader.read_to_end(&mut bytes).unwrap();
            (name, bytes)
        });
        (Output::from_fd(OwnedFd::from(writer)), thread)
    };
    let (stdout, stdout_bytes) = drain("stdout");
    let (stderr, stderr_bytes) = drain("stderr");
    let streams = Streams::new()
        .with_stdout(stdout)
        .with_stderr(stderr)
        .with_fifo_dir(root);
    let creator = cio::new_creator(streams);

    // Creation with k descriptors to spare.
    let original = rustix::process::getrlimit(rustix::process::Resource::Nofile);
    set_nofile(fill_fd_table() + k);
    let created = creator.create_copy_io("n");
    set_nofile(original.current.unwrap());

    match created {
        Err(error) => {
            println!("create: err {error}: {}", source_of(&error));
            println!("left: {}", std::fs::read_dir(root).unwrap().count());

            // With descriptors again, the process is not left broken.
            let streams = Streams::new()
                .with_stdout(Output::from_blocking(std::io::sink()))
                .with_fifo_dir(root);
            match cio::new_creator(streams).create_copy_io("again") {
                Ok(io) => {
                    io.close().unwrap();
                    println!("again: ok");
                }
                Err(error) => println!("again: err {error}"),
            }
        }
        Ok(io) => {
            println!("create: ok");
            let len = 300_000;
            let config = io.config();
            let status = Command::new(shim)
                .arg("task")
                .args(["--stdout", &config.stdout, "--stdout-seed", "1"])
                .args(["--stdout-len", &len.to_string()])
                .args(["--stderr", &config.stderr, "--stderr-seed", "2"])
                .args(["--stderr-len", &len.to_string()])
                .stderr(std::process::Stdio::null())
                .status()
                .unwrap();
            println!("task: exit {:?}", status.code());
            match io.wait_blocking() {
                Ok(()) => println!("wait: ok"),
                Err(error) => println!("wait: err {error}: {}", source_of(&error)),
            }
            io.close().unwrap();
            drop(io);
            for (seed, thread) in [(1, stdout_bytes), (2, stderr_bytes)] {
                let (name, bytes) = thread.join().unwrap();
                let whole = bytes == cio_tests::pattern(seed, len);
                println!("{name}: {} bytes, whole {whole}", bytes.len());
            }
        }
    }
    println!("left: {}", std::fs::read_dir(root).unwrap().count());
}

fn source_of(error: &Error) -> String {
    std::error::Error::source(error).map_or_else(String::new, ToString::to_string)
}
