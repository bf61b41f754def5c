//! Data integrity under random payloads, write sizes and pauses, through
//! every kind of sink the engine has a path for.

use std::io::Read;
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::process::Command;

use cio::{Creator, Io, Output, Streams};
use cio_tests::{Collector, TempRoot, pattern};
use proptest::prelude::*;

const SHIM: &str = env!("CARGO_BIN_EXE_shim");

/// The kinds of sink, one per way the engine moves bytes.
#[derive(Clone, Copy, Debug)]
enum Sink {
    /// An async writer: the buffered path.
    Async,
    /// A blocking writer: the `blocking` pool path.
    Blocking,
    /// A regular file: spliced.
    File,
    /// A regular file opened for appending: written, never spliced.
    AppendFile,
    /// A pipe: spliced.
    Pipe,
    /// A Unix socket: spliced.
    Socket,
}

/// A sink handed to the engine, and how to get back what reached it.
fn make_sink(kind: Sink, root: &TempRoot, name: &str) -> (Output, Box<dyn FnOnce() -> Vec<u8>>) {
    match kind {
        Sink::Async => {
            let collector = Collector::new();
            (
                Output::from_async(collector.clone()),
                Box::new(move || collector.bytes()),
            )
        }
        Sink::Blocking => {
            let collector = Collector::new();
            (
                Output::from_blocking(collector.clone()),
                Box::new(move || collector.bytes()),
            )
        }
        Sink::File | Sink::AppendFile => {
            let path = root.path().join(name);
            std::fs::write(&path, b"").unwrap();
            let append = matches!(kind, Sink::AppendFile);
            let file = std::fs::OpenOptions::new()
                .write(true)
                .append(append)
                .open(&path)
                .unwrap();
            (
                Output::from(file),
                Box::new(move || std::fs::read(path).unwrap()),
            )
        }
        Sink::Pipe => {
            let (mut reader, writer) = std::io::pipe().unwrap();
            let drain = std::thread::spawn(move || {
                let mut bytes = Vec::new();
                reader.read_to_end(&mut bytes).unwrap();
                bytes
            });
            (
                Output::from_fd(OwnedFd::from(writer)),
                Box::new(move || drain.join().unwrap()),
            )
        }
        Sink::Socket => {
            let (ours, mut theirs) = UnixStream::pair().unwrap();
            let drain = std::thread::spawn(move || {
                let mut bytes = Vec::new();
                theirs.read_to_end(&mut bytes).unwrap();
                bytes
            });
            (Output::from(ours), Box::new(move || drain.join().unwrap()))
        }
    }
}

fn sink_strategy() -> impl Strategy<Value = Sink> {
    prop_oneof![
        Just(Sink::Async),
        Just(Sink::Blocking),
        Just(Sink::File),
        Just(Sink::AppendFile),
        Just(Sink::Pipe),
        Just(Sink::Socket),
    ]
}

fn len_strategy() -> impl Strategy<Value = usize> {
    prop_oneof![Just(0_usize), 1..4096_usize, 0..(4_usize << 20)]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn what_arrives_is_what_was_sent(
        stdout_len in len_strategy(),
        stderr_len in len_strategy(),
        stdout_sink in sink_strategy(),
        stderr_sink in sink_strategy(),
        chunk_seed in any::<u64>(),
        max_chunk in 4096_usize..262_144,
        max_pause_us in 0_u64..400,
    ) {
        let root = TempRoot::created("integrity");
        let (stdout, stdout_bytes) = make_sink(stdout_sink, &root, "stdout.out");
        let (stderr, stderr_bytes) = make_sink(stderr_sink, &root, "stderr.out");
        let streams = Streams::new()
            .with_stdout(stdout)
            .with_stderr(stderr)
            .with_fifo_dir(root.path().join("fifo"));
        let io = cio::new_creator(streams).create("p").unwrap();

        let config = io.config();
        let status = Command::new(SHIM)
            .arg("task")
            .args(["--stdout", &config.stdout, "--stdout-seed", "1"])
            .args(["--stdout-len", &stdout_len.to_string()])
            .args(["--stderr", &config.stderr, "--stderr-seed", "2"])
            .args(["--stderr-len", &stderr_len.to_string()])
            .args(["--chunk-seed", &chunk_seed.to_string()])
            .args(["--max-chunk", &max_chunk.to_string()])
            .args(["--max-pause-us", &max_pause_us.to_string()])
            .status()
            .unwrap();
        prop_assert!(status.success(), "the task wrote everything");

        io.wait_blocking().unwrap();
        io.close().unwrap();
        drop(io);

        let (out, err) = (stdout_bytes(), stderr_bytes());
        prop_assert_eq!(out.len(), stdout_len, "stdout length through {:?}", stdout_sink);
        prop_assert!(out == pattern(1, stdout_len), "stdout bytes through {:?}", stdout_sink);
        prop_assert_eq!(err.len(), stderr_len, "stderr length through {:?}", stderr_sink);
        prop_assert!(err == pattern(2, stderr_len), "stderr bytes through {:?}", stderr_sink);
    }
}
