//! `cancel` and `close` at any point of a task's life, from any thread, any
//! number of times: no panic, `wait` resolves, and no descriptor or thread
//! is left behind. Descriptor and thread counts are process-wide, so this
//! file holds a single test and runs as its own process.

use std::io::Read;
use std::os::fd::OwnedFd;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use cio::{CopyIo, Error, Input, Io, Output, Streams};
use cio_tests::{Collector, TempRoot, open_fds, settle, thread_names, within};
use proptest::prelude::*;

const SHIM: &str = env!("CARGO_BIN_EXE_shim");
const LIMIT: Duration = Duration::from_secs(30);

/// Where in the task's life the calls come.
#[derive(Clone, Copy, Debug)]
enum Point {
    /// The shim has not opened the FIFOs.
    BeforePeer,
    /// Bytes are moving.
    MidCopy,
    /// The task ended and `wait` resolved.
    AfterEof,
}

/// One call on the io.
#[derive(Clone, Copy, Debug)]
enum Call {
    Cancel,
    Close,
    CancelFromAnotherThread,
    CloseFromAnotherThread,
}

/// The kind of output sink.
#[derive(Clone, Copy, Debug)]
enum Sink {
    Async,
    Blocking,
    Pipe,
}

fn point_strategy() -> impl Strategy<Value = Point> {
    prop_oneof![
        Just(Point::BeforePeer),
        Just(Point::MidCopy),
        Just(Point::AfterEof)
    ]
}

fn call_strategy() -> impl Strategy<Value = Call> {
    prop_oneof![
        Just(Call::Cancel),
        Just(Call::Close),
        Just(Call::CancelFromAnotherThread),
        Just(Call::CloseFromAnotherThread),
    ]
}

fn sink_strategy() -> impl Strategy<Value = Sink> {
    prop_oneof![Just(Sink::Async), Just(Sink::Blocking), Just(Sink::Pipe)]
}

/// A sink of `kind`, and how many bytes have reached it; a pipe's reader
/// drains on a thread that ends with it.
fn sink(kind: Sink) -> (Output, Box<dyn Fn() -> usize>) {
    match kind {
        Sink::Async | Sink::Blocking => {
            let collector = Collector::new();
            let output = match kind {
                Sink::Async => Output::from_async(collector.clone()),
                _ => Output::from_blocking(collector.clone()),
            };
            (output, Box::new(move || collector.bytes().len()))
        }
        Sink::Pipe => {
            let (mut reader, writer) = std::io::pipe().unwrap();
            let seen = Arc::new(AtomicUsize::new(0));
            let counter = Arc::clone(&seen);
            std::thread::spawn(move || {
                let mut buf = vec![0; 64 * 1024];
                while let Ok(n @ 1..) = reader.read(&mut buf) {
                    counter.fetch_add(n, Ordering::SeqCst);
                }
            });
            let output = Output::from_fd(OwnedFd::from(writer));
            (output, Box::new(move || seen.load(Ordering::SeqCst)))
        }
    }
}

/// Makes `call` on `io`.
fn make(call: Call, io: &Arc<CopyIo>) {
    let on_thread = |f: fn(&CopyIo)| {
        let io = Arc::clone(io);
        std::thread::spawn(move || f(&io)).join().unwrap();
    };
    match call {
        Call::Cancel => io.cancel(),
        Call::Close => io.close().unwrap(),
        Call::CancelFromAnotherThread => on_thread(|io| io.cancel()),
        Call::CloseFromAnotherThread => on_thread(|io| io.close().unwrap()),
    }
}

/// One task's life with `calls` made at `point`.
fn run_case(
    root: &TempRoot,
    point: Point,
    calls: &[Call],
    kind: Sink,
) -> Result<(), TestCaseError> {
    let ((stdout, stdout_seen), (stderr, stderr_seen)) = (sink(kind), sink(kind));
    let streams = Streams::new()
        .with_stdin(Input::from_async(futures::io::Cursor::new(vec![
            7;
            100_000
        ])))
        .with_stdout(stdout)
        .with_stderr(stderr)
        .with_fifo_dir(root.path());
    let io = Arc::new(cio::new_creator(streams).create_copy_io("c").unwrap());
    let config = io.config().clone();

    let task = |len: usize, pause: &str| {
        Command::new(SHIM)
            .arg("task")
            .args(["--stdin", &config.stdin, "--stdin-to", "/dev/null"])
            .args(["--stdout", &config.stdout, "--stdout-len", &len.to_string()])
            .args(["--stderr", &config.stderr, "--stderr-len", &len.to_string()])
            .args([
                "--chunk-seed",
                "1",
                "--max-chunk",
                "8192",
                "--max-pause-us",
                pause,
            ])
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let child = match point {
        Point::BeforePeer => None,
        Point::MidCopy => {
            // Once bytes flow on both streams, the task has opened every
            // FIFO: a cancel then cannot leave it waiting in its open.
            let mut child = task(4 << 20, "2000");
            if !settle(LIMIT, || stdout_seen() > 0 && stderr_seen() > 0) {
                let _ = child.kill();
                let _ = child.wait();
                return Err(TestCaseError::fail("no bytes flowed"));
            }
            Some(child)
        }
        Point::AfterEof => {
            let mut child = task(100_000, "0");
            prop_assert!(child.wait().unwrap().success(), "the task ran");
            let waited = Arc::clone(&io);
            within(LIMIT, move || waited.wait_blocking()).unwrap();
            None
        }
    };

    for call in calls {
        make(*call, &io);
    }

    // `wait` resolves: with the copies' end, or their cancellation.
    let waited = Arc::clone(&io);
    let result = within(LIMIT, move || waited.wait_blocking());
    prop_assert!(
        matches!(result, Ok(()) | Err(Error::Cancelled { .. })),
        "wait gave {:?}",
        result
    );

    // A task cut off gets EPIPE or end-of-file, and ends.
    if let Some(mut child) = child {
        within(LIMIT, move || child.wait().unwrap());
    }
    io.close().unwrap();
    Ok(())
}

/// The threads of this process but those of the `blocking` crate's pool
/// (`blocking-N`): the pool keeps every thread it started, for reuse, so
/// its size tells how many blocking calls once ran at the same time, not
/// whether a copy left something behind.
fn threads_of_our_own() -> usize {
    thread_names()
        .iter()
        .filter(|name| !name.starts_with("blocking-"))
        .count()
}

#[test]
fn cancel_and_close_at_any_point_leave_nothing_behind() {
    let root = TempRoot::created("cancel");

    // Warm up: the reactor, the executor and the blocking pool start on
    // first use, once for the life of the process.
    for kind in [Sink::Async, Sink::Blocking, Sink::Pipe] {
        run_case(&root, Point::AfterEof, &[Call::Close], kind).unwrap();
    }
    let (fds, threads_before) = (open_fds(), threads_of_our_own());

    let config = ProptestConfig {
        cases: 24,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let strategy = (
        point_strategy(),
        proptest::collection::vec(call_strategy(), 1..4),
        sink_strategy(),
    );
    proptest::test_runner::TestRunner::new(config)
        .run(&strategy, |(point, calls, kind)| {
            run_case(&root, point, &calls, kind)?;

            // Every descriptor closed, every thread ended but the blocking
            // pool's, which keeps the threads it started for the next calls.
            let settled = settle(Duration::from_secs(10), || open_fds() == fds);
            prop_assert!(settled, "descriptors: {} before, {} after", fds, open_fds());
            let settled = settle(Duration::from_secs(10), || {
                threads_of_our_own() <= threads_before
            });
            prop_assert!(
                settled,
                "threads: {} before, {} after: {:?}",
                threads_before,
                threads_of_our_own(),
                thread_names()
            );
            prop_assert_eq!(
                std::fs::read_dir(root.path()).unwrap().count(),
                0,
                "close removed the set"
            );
            Ok(())
        })
        .unwrap();
}
