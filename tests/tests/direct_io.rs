//! `DirectIo`: the caller reads and writes a task's FIFOs itself. The task's
//! side is a separate process that opens its ends with a blocking `open(2)`,
//! as containerd's shim does.

use std::io::{self, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::pin::pin;
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::JoinHandle;
use std::time::Duration;

use cio_direct::DirectIo;
use cio_fifo::{FifoReader, FifoWriter, new_fifo_set_in_dir};
use cio_tests::{TempRoot, pattern, settle, within};
use cio_types::{Config, Error, FifoSet, Io, Stream};
use futures::executor::block_on;
use futures::io::{AsyncReadExt, AsyncWriteExt};

const SHIM: &str = env!("CARGO_BIN_EXE_shim");
const MIB: usize = 1024 * 1024;
const LIMIT: Duration = Duration::from_secs(30);

/// How much the tests that close stdin write first: less than a FIFO holds,
/// so that the close may come before the shim has opened its end, while
/// the other tests of this file spawn shims from parallel threads.
const STDIN_LEN: usize = 20 * 1024;

/// Starts the shim writing `len` bytes of `pattern(seed, len)` to `fifo`.
fn shim_write(fifo: &str, len: usize, seed: u64) -> Child {
    Command::new(SHIM)
        .arg("write")
        .arg(fifo)
        .args([len.to_string(), "--seed".into(), seed.to_string()])
        .spawn()
        .expect("start the shim")
}

/// Starts the shim reading `fifo` to its end; joining gives what it read.
fn shim_read(fifo: &str) -> JoinHandle<Output> {
    let shim = Command::new(SHIM)
        .arg("read")
        .arg(fifo)
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the shim");
    // Collect on a thread, so that the shim's pipe to us never fills.
    std::thread::spawn(move || shim.wait_with_output().expect("the shim ran"))
}

/// The directory of a FIFO set.
fn dir_of(config: &Config) -> &Path {
    Path::new(&config.stdout)
        .parent()
        .expect("a FIFO has a directory")
}

/// Counts its wakes.
struct Wakes(AtomicUsize);

impl Wake for Wakes {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn counting_waker() -> (Arc<Wakes>, Waker) {
    let wakes = Arc::new(Wakes(AtomicUsize::new(0)));
    (Arc::clone(&wakes), Waker::from(wakes))
}

/// The `/proc` directory of the calling thread.
fn this_thread() -> PathBuf {
    let link = std::fs::read_link("/proc/thread-self").expect("/proc is mounted");
    Path::new("/proc").join(link)
}

/// Whether the thread whose `/proc` directory is `thread` sleeps.
fn is_sleeping(thread: &Path) -> bool {
    let stat = std::fs::read_to_string(thread.join("stat")).unwrap_or_default();
    // The state follows the command name, which ends at the last `)`.
    let state = stat.rsplit_once(')').map(|(_, rest)| rest.trim_start());
    state.is_some_and(|rest| rest.starts_with('S'))
}

#[test]
fn the_caller_reads_stdout_and_stderr_and_feeds_stdin() {
    within(LIMIT, || {
        let root = TempRoot::new("direct-flow");
        let fifos = new_fifo_set_in_dir(root.path(), "t", false).unwrap();
        let config = fifos.config.clone();
        let io = DirectIo::new(fifos).unwrap();
        let mut stdin = io.take_stdin().unwrap();
        let mut stdout = io.take_stdout().unwrap();
        let mut stderr = io.take_stderr().unwrap();
        assert_eq!(
            (stdin.stream(), stdout.stream(), stderr.stream()),
            (Stream::Stdin, Stream::Stdout, Stream::Stderr)
        );
        assert!(io.take_stdout().is_none(), "each end is handed out once");

        // The task's side: two writers and a reader, each its own process.
        let mut out_shim = shim_write(&config.stdout, MIB, 1);
        let mut err_shim = shim_write(&config.stderr, MIB, 2);
        let in_shim = shim_read(&config.stdin);

        // The caller drives the three ends at once on one executor.
        let input = pattern(3, MIB);
        let (mut out, mut err) = (Vec::new(), Vec::new());
        block_on(futures::future::try_join3(
            async {
                stdin.write_all(&input).await?;
                stdin.close().await
            },
            stdout.read_to_end(&mut out),
            stderr.read_to_end(&mut err),
        ))
        .unwrap();

        assert!(out_shim.wait().unwrap().success());
        assert!(err_shim.wait().unwrap().success());
        assert!(out == pattern(1, MIB), "stdout arrives whole and in order");
        assert!(err == pattern(2, MIB), "stderr arrives whole and in order");

        // The shim's `read` ends only at EOF: it saw every byte, then EOF.
        let output = in_shim.join().unwrap();
        assert!(output.status.success());
        assert!(output.stdout == input, "the task read all of stdin");

        // Both outputs read to their end: nothing left to wait for.
        io.wait_blocking().unwrap();
        io.close().unwrap();
        assert!(!dir_of(&config).exists(), "close removed the FIFO dir");
    });
}

#[test]
fn dropping_stdin_after_the_task_opened_it_ends_the_stream() {
    within(LIMIT, || {
        let root = TempRoot::new("direct-drop-stdin");
        let fifos = new_fifo_set_in_dir(root.path(), "t", false).unwrap();
        let io = DirectIo::new(fifos).unwrap();
        let mut stdin = io.take_stdin().unwrap();
        let in_shim = shim_read(&io.config().stdin);

        // More than a FIFO holds: the writes finish only once the shim has
        // opened its end and drained most of it.
        let input = pattern(4, MIB);
        block_on(stdin.write_all(&input)).unwrap();
        drop(stdin);

        let output = in_shim.join().unwrap();
        assert!(output.status.success());
        assert!(
            output.stdout == input,
            "every byte, then EOF, with no close"
        );
        io.close().unwrap();
    });
}

#[test]
fn a_terminal_set_has_no_stderr_and_makes_no_stderr_fifo() {
    let root = TempRoot::new("direct-terminal");
    let fifos = new_fifo_set_in_dir(root.path(), "t", true).unwrap();
    let config = fifos.config.clone();
    let io = DirectIo::new(fifos).unwrap();

    assert!(io.take_stderr().is_none(), "a terminal has no stderr");
    assert!(io.take_stdout().is_some());
    assert!(io.take_stdin().is_some());
    assert_eq!(io.config(), &config, "the config is handed on unchanged");
    assert!(!config.stderr.is_empty(), "containerd still gets a path");
    assert!(
        !Path::new(&config.stderr).exists(),
        "the stderr FIFO is not created"
    );
    assert!(Path::new(&config.stdout).exists());
    io.close().unwrap();
}

#[test]
fn close_closes_held_ends_removes_the_dir_and_a_second_close_is_ok() {
    let root = TempRoot::new("direct-close");
    let fifos = new_fifo_set_in_dir(root.path(), "t", false).unwrap();
    let config = fifos.config.clone();
    let io = DirectIo::new(fifos).unwrap();
    let mut stdout = io.take_stdout().unwrap();
    let mut stdin = io.take_stdin().unwrap();
    assert!(dir_of(&config).is_dir());

    io.close().unwrap();
    assert!(!dir_of(&config).exists(), "close removed the FIFO dir");
    io.close().expect("a second close is fine");

    // The caller's handles outlive the close, but only to report it.
    let mut byte = [0_u8; 1];
    let error = block_on(stdout.read(&mut byte)).unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::ConnectionAborted);
    assert_eq!(error.to_string(), "the stdout end was closed by its io");
    let error = block_on(stdin.write(b"x")).unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::ConnectionAborted);

    // Stdout was taken and not read to its end: the close cut it short.
    match io.wait_blocking() {
        Err(Error::Cancelled { stream }) => assert_eq!(stream, Stream::Stdout),
        other => panic!("wait after close gave {other:?}"),
    }
}

#[test]
fn cancel_wakes_a_read_pending_on_a_fifo_without_writer() {
    let root = TempRoot::new("direct-cancel");
    let fifos = new_fifo_set_in_dir(root.path(), "t", false).unwrap();
    let io = DirectIo::new(fifos).unwrap();
    let mut stdout = io.take_stdout().unwrap();
    let mut stdin = io.take_stdin().unwrap();
    let (read_wakes, read_waker) = counting_waker();
    let (write_wakes, write_waker) = counting_waker();
    let mut read_cx = Context::from_waker(&read_waker);
    let mut write_cx = Context::from_waker(&write_waker);

    // No task ever opens the FIFOs: the read waits for a writer.
    let mut byte = [0_u8; 1];
    let mut read = pin!(stdout.read(&mut byte));
    assert!(read.as_mut().poll(&mut read_cx).is_pending());

    // And a write, once the FIFO is full, waits for a reader to drain it.
    let chunk = [7_u8; 4096];
    let mut filled = 0;
    let mut write = loop {
        let mut write = Box::pin(stdin.write(&chunk));
        match write.as_mut().poll(&mut write_cx) {
            Poll::Ready(Ok(n)) => filled += n,
            Poll::Ready(Err(e)) => panic!("a write to a FIFO with room failed: {e}"),
            Poll::Pending => break write,
        }
        assert!(filled <= 64 * MIB, "the FIFO never filled");
    };

    // The cancel wakes both, and both fail.
    io.cancel();
    assert!(read_wakes.0.load(Ordering::SeqCst) > 0, "the read is woken");
    assert!(
        write_wakes.0.load(Ordering::SeqCst) > 0,
        "the write is woken"
    );
    match read.as_mut().poll(&mut read_cx) {
        Poll::Ready(Err(e)) => {
            assert_eq!(e.kind(), io::ErrorKind::ConnectionAborted);
            assert_eq!(e.to_string(), "the stdout end was cancelled");
        }
        other => panic!("the woken read gave {other:?}"),
    }
    match write.as_mut().poll(&mut write_cx) {
        Poll::Ready(Err(e)) => {
            assert_eq!(e.kind(), io::ErrorKind::ConnectionAborted);
            assert_eq!(e.to_string(), "the stdin end was cancelled");
        }
        other => panic!("the woken write gave {other:?}"),
    }
    drop(write);
    let error = block_on(stdin.close()).unwrap_err();
    assert_eq!(
        error.kind(),
        io::ErrorKind::ConnectionAborted,
        "a close too"
    );

    // Stdout was in use when cancelled: the wait reports it cut short.
    assert!(matches!(
        io.wait_blocking(),
        Err(Error::Cancelled {
            stream: Stream::Stdout
        })
    ));
    io.close().unwrap();
}

#[test]
fn cancel_ends_a_blocking_read_in_another_thread() {
    let root = TempRoot::new("direct-cancel-thread");
    let fifos = new_fifo_set_in_dir(root.path(), "t", false).unwrap();
    let io = Arc::new(DirectIo::new(fifos).unwrap());
    let mut stderr = io.take_stderr().unwrap().into_blocking();

    // The reader blocks its thread: no writer is coming.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(Err(this_thread()));
        let mut buf = [0_u8; 64];
        let _ = tx.send(Ok(stderr.read(&mut buf)));
    });

    // Cancel once the reader sleeps in its read, not before it starts.
    let Ok(Err(thread)) = rx.recv_timeout(LIMIT) else {
        panic!("the reader started");
    };
    assert!(
        settle(LIMIT, || is_sleeping(&thread)),
        "the read blocks its thread"
    );
    io.cancel();

    let Ok(Ok(result)) = rx.recv_timeout(LIMIT) else {
        panic!("the blocked read returned");
    };
    let error = result.expect_err("a cancelled read fails");
    assert_eq!(error.kind(), io::ErrorKind::ConnectionAborted);
    io.close().unwrap();
}

#[test]
fn a_log_uri_is_refused_and_no_fifo_is_created() {
    let root = TempRoot::created("direct-uri");
    let cleanups = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&cleanups);
    let uri = "binary:///usr/bin/logger?id=t";
    let config = Config {
        terminal: false,
        stdin: root.path().join("t-stdin").to_str().unwrap().into(),
        stdout: root.path().join("t-stdout").to_str().unwrap().into(),
        stderr: uri.into(),
    };
    let fifos = FifoSet::new(
        config,
        Some(Box::new(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            Ok(())
        })),
    );

    match DirectIo::new(fifos) {
        Err(Error::NotFifoPath { stream, value }) => {
            assert_eq!(stream, Stream::Stderr);
            assert_eq!(value, uri);
        }
        other => panic!("a log URI gave {other:?}"),
    }
    let made: Vec<_> = std::fs::read_dir(root.path()).unwrap().collect();
    assert!(made.is_empty(), "no FIFO was made: {made:?}");
    assert!(
        !Path::new("binary:").exists(),
        "nor at the URI read as a path"
    );
    assert_eq!(
        cleanups.load(Ordering::SeqCst),
        1,
        "the consumed set was cleaned up"
    );
}

#[test]
fn a_failed_open_closes_what_was_opened_and_cleans_up_the_set() {
    let root = TempRoot::new("direct-fail");
    let fifos = new_fifo_set_in_dir(root.path(), "t", false).unwrap();
    let config = fifos.config.clone();

    // Stdin and stdout open; stderr is a regular file, refused.
    std::fs::write(&config.stderr, b"not a fifo").unwrap();
    match DirectIo::new(fifos) {
        Err(Error::NotFifo { path, .. }) => assert_eq!(path, Path::new(&config.stderr)),
        other => panic!("a regular file gave {other:?}"),
    }
    assert!(!dir_of(&config).exists(), "the set's dir is gone");
}

#[test]
fn the_blocking_forms_work_from_a_plain_thread() {
    // `within` runs the body on a plain thread, with no executor around.
    within(LIMIT, || {
        let root = TempRoot::new("direct-blocking");
        let fifos = new_fifo_set_in_dir(root.path(), "t", false).unwrap();
        let io = DirectIo::new(fifos).unwrap();
        let mut stdin = io.take_stdin().unwrap().into_blocking();
        let mut stdout = io.take_stdout().unwrap().into_blocking();
        let mut out_shim = shim_write(&io.config().stdout, 100_000, 5);
        let in_shim = shim_read(&io.config().stdin);

        // Less than a FIFO holds: the close may come before the shim opens.
        let input = pattern(9, STDIN_LEN);
        stdin.write_all(&input).unwrap();
        stdin.close().unwrap();
        let mut received = Vec::new();
        stdout.read_to_end(&mut received).unwrap();

        assert!(out_shim.wait().unwrap().success());
        assert!(received == pattern(5, 100_000));
        let output = in_shim.join().unwrap();
        assert!(output.stdout == input, "every byte, then EOF");
        io.close().unwrap();
    });
}

#[test]
fn from_ends_hands_out_the_given_ends_and_closes_the_set() {
    within(LIMIT, || {
        let root = TempRoot::new("direct-from-ends");
        let fifos = new_fifo_set_in_dir(root.path(), "t", false).unwrap();
        let config = fifos.config.clone();
        let stdin = FifoWriter::open(&config.stdin).unwrap();
        let stdout = FifoReader::open(&config.stdout).unwrap();
        let io = DirectIo::from_ends(fifos, Some(stdin), Some(stdout), None);
        assert!(io.take_stderr().is_none(), "no stderr was given");

        let mut stdin = io.take_stdin().unwrap();
        let mut stdout = io.take_stdout().unwrap();
        assert_eq!(stdout.path(), Path::new(&config.stdout));
        let mut out_shim = shim_write(&config.stdout, 5000, 6);
        let in_shim = shim_read(&config.stdin);

        // Less than a FIFO holds: the close may come before the shim opens.
        let input = pattern(10, STDIN_LEN);
        let mut received = Vec::new();
        block_on(async {
            stdin.write_all(&input).await?;
            stdin.close().await?;
            stdout.read_to_end(&mut received).await
        })
        .unwrap();
        assert!(out_shim.wait().unwrap().success());
        assert!(received == pattern(6, 5000));
        assert!(
            in_shim.join().unwrap().stdout == input,
            "every byte, then EOF"
        );

        io.close().unwrap();
        assert!(!dir_of(&config).exists(), "the set's cleanup ran");
    });
}

#[test]
fn wait_resolves_once_the_taken_output_ends_are_done() {
    let root = TempRoot::new("direct-wait");
    let fifos = new_fifo_set_in_dir(root.path(), "t", false).unwrap();
    let io = DirectIo::new(fifos).unwrap();
    let mut stdout = io.take_stdout().unwrap();
    let stderr = io.take_stderr().unwrap();
    let waker = Waker::noop();
    let mut cx = Context::from_waker(waker);

    // Both outputs are in the caller's hands, neither at its end.
    let mut wait = io.wait();
    assert!(wait.as_mut().poll(&mut cx).is_pending());

    // A dropped end is done; the other still holds the wait.
    drop(stderr);
    assert!(wait.as_mut().poll(&mut cx).is_pending());

    // Reading stdout to its end releases it; the handle is kept, so that
    // its drop does not.
    let mut shim = shim_write(&io.config().stdout, 10, 8);
    let (stdout, received) = within(LIMIT, move || {
        let mut received = Vec::new();
        block_on(stdout.read_to_end(&mut received)).unwrap();
        (stdout, received)
    });
    assert!(shim.wait().unwrap().success());
    assert!(received == pattern(8, 10));
    assert!(matches!(wait.as_mut().poll(&mut cx), Poll::Ready(Ok(()))));
    drop(stdout);
    io.close().unwrap();
}
