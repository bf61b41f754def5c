//! The same attach case under four drivers: no runtime at all,
//! `futures::executor`, `async_io`, and tokio with tokio's own streams and
//! executor. Nothing in cio needs any of them.

use std::process::{Command, ExitStatus};

use cio::{Creator, Input, Io, Output, Streams};
use cio_tests::{Collector, TempRoot, pattern};
use tokio::io::AsyncReadExt;
use tokio_util::compat::{TokioAsyncReadCompatExt, TokioAsyncWriteCompatExt};

const SHIM: &str = env!("CARGO_BIN_EXE_shim");
const STDIN_LEN: usize = 150_000;
const STDOUT_LEN: usize = 400_000;
const STDERR_LEN: usize = 90_000;

/// Starts the task on every stream of `io`.
fn start_task(io: &dyn Io, root: &TempRoot) -> std::process::Child {
    let config = io.config();
    Command::new(SHIM)
        .arg("task")
        .args(["--stdin", &config.stdin])
        .arg("--stdin-to")
        .arg(root.path().join("received"))
        .args(["--stdout", &config.stdout, "--stdout-seed", "1"])
        .args(["--stdout-len", &STDOUT_LEN.to_string()])
        .args(["--stderr", &config.stderr, "--stderr-seed", "2"])
        .args(["--stderr-len", &STDERR_LEN.to_string()])
        .spawn()
        .unwrap()
}

/// Checks what the task received and what the sinks got.
fn check(root: &TempRoot, status: ExitStatus, stdout: &[u8], stderr: &[u8]) {
    assert!(
        status.success(),
        "the task read stdin to its end and exited"
    );
    let received = std::fs::read(root.path().join("received")).unwrap();
    assert!(
        received == pattern(3, STDIN_LEN),
        "stdin arrived exactly: {} of {} bytes, first difference at {:?}",
        received.len(),
        STDIN_LEN,
        received
            .iter()
            .zip(pattern(3, STDIN_LEN))
            .position(|(a, b)| *a != b)
    );
    assert!(stdout == pattern(1, STDOUT_LEN), "stdout arrived exactly");
    assert!(stderr == pattern(2, STDERR_LEN), "stderr arrived exactly");
}

/// A creator with in-memory streams; the sinks are returned for checking.
fn memory_streams(root: &TempRoot) -> (Streams, Collector, Collector) {
    let (out, err) = (Collector::new(), Collector::new());
    let streams = Streams::new()
        .with_stdin(Input::from_async(futures::io::Cursor::new(pattern(
            3, STDIN_LEN,
        ))))
        .with_stdout(Output::from_async(out.clone()))
        .with_stderr(Output::from_blocking(err.clone()))
        .with_fifo_dir(root.path());
    (streams, out, err)
}

#[test]
fn no_runtime_with_wait_blocking_from_a_plain_thread() {
    std::thread::spawn(|| {
        let root = TempRoot::new("driver-none");
        let (streams, out, err) = memory_streams(&root);
        let io = cio::new_creator(streams).create("none").unwrap();
        let status = start_task(&*io, &root).wait().unwrap();
        io.wait_blocking().unwrap();
        io.close().unwrap();
        check(&root, status, &out.bytes(), &err.bytes());
    })
    .join()
    .unwrap();
}

#[test]
fn futures_executor() {
    let root = TempRoot::new("driver-futures");
    let (streams, out, err) = memory_streams(&root);
    let pool = futures::executor::ThreadPool::new().unwrap();
    let streams = streams.with_spawner(move |copy| pool.spawn_ok(copy));
    let io = cio::new_creator(streams).create("futures").unwrap();
    let mut child = start_task(&*io, &root);

    // As a client does: the task exits, its output drains, then close.
    let status = child.wait().unwrap();
    futures::executor::block_on(io.wait()).unwrap();
    io.close().unwrap();
    check(&root, status, &out.bytes(), &err.bytes());
}

#[test]
fn async_io_block_on() {
    let root = TempRoot::new("driver-async-io");
    let (streams, out, err) = memory_streams(&root);
    let io = cio::new_creator(streams).create("async-io").unwrap();
    let mut child = start_task(&*io, &root);

    let status = child.wait().unwrap();
    async_io::block_on(io.wait()).unwrap();
    io.close().unwrap();
    check(&root, status, &out.bytes(), &err.bytes());
}

#[test]
fn tokio_runtime_with_tokio_streams() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    runtime.block_on(async {
        let root = TempRoot::new("driver-tokio");

        // tokio's in-memory pipes, adapted to futures::io.
        let (stdin_ours, mut stdin_theirs) = tokio::io::duplex(4096);
        let (stdout_ours, mut stdout_theirs) = tokio::io::duplex(4096);
        let (stderr_ours, mut stderr_theirs) = tokio::io::duplex(4096);
        let feed = tokio::spawn(async move {
            tokio::io::AsyncWriteExt::write_all(&mut stdin_theirs, &pattern(3, STDIN_LEN)).await
        });
        let drain_out = tokio::spawn(async move {
            let mut bytes = Vec::new();
            stdout_theirs.read_to_end(&mut bytes).await.map(|_| bytes)
        });
        let drain_err = tokio::spawn(async move {
            let mut bytes = Vec::new();
            stderr_theirs.read_to_end(&mut bytes).await.map(|_| bytes)
        });

        let handle = tokio::runtime::Handle::current();
        let streams = Streams::new()
            .with_stdin(Input::from_async(stdin_ours.compat()))
            .with_stdout(Output::from_async(stdout_ours.compat_write()))
            .with_stderr(Output::from_async(stderr_ours.compat_write()))
            .with_fifo_dir(root.path())
            .with_spawner(move |copy| drop(handle.spawn(copy)));
        let io = cio::new_creator(streams).create("tokio").unwrap();
        let mut child = start_task(&*io, &root);

        feed.await.unwrap().unwrap();
        io.wait().await.unwrap();
        io.close().unwrap();
        let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
            .await
            .unwrap();

        // The copies ended and dropped their writers: the readers see EOF.
        let stdout = drain_out.await.unwrap().unwrap();
        let stderr = drain_err.await.unwrap().unwrap();
        check(&root, status, &stdout, &stderr);
    });
}
