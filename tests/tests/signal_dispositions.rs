//! The library never changes what the process does with a signal: the
//! ignored and caught sets read from `/proc/self/status` are the same
//! before and after a full lifecycle of every kind of IO. Signal
//! dispositions are process-wide, so this file holds a single test and
//! runs as its own process.

use std::process::Command;

use cio::{DirectIo, Input, Io, Output, Streams};
use cio_tests::{Collector, TempRoot, pattern};
use futures::io::{AsyncReadExt, AsyncWriteExt};

const SHIM: &str = env!("CARGO_BIN_EXE_shim");

/// The process's ignored and caught signal sets, and the calling thread's
/// blocked set, as `/proc/self/status` shows them.
fn dispositions() -> Vec<String> {
    let status = std::fs::read_to_string("/proc/thread-self/status").unwrap();
    status
        .lines()
        .filter(|line| {
            ["SigIgn:", "SigCgt:", "SigBlk:"]
                .iter()
                .any(|k| line.starts_with(k))
        })
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_full_lifecycle_changes_no_signal_disposition() {
    let before = dispositions();
    assert_eq!(before.len(), 3, "read {before:?}");
    let root = TempRoot::new("signals");

    // Copies of every stream, through descriptors and writers, with the
    // task a separate process.
    let (stdin, stdin_writer) = std::io::pipe().unwrap();
    drop(stdin_writer);
    let (out, err) = (Collector::new(), Collector::new());
    let streams = Streams::new()
        .with_stdin(Input::from(std::os::fd::OwnedFd::from(stdin)))
        .with_stdout(Output::from_async(out.clone()))
        .with_stderr(Output::from_blocking(err.clone()))
        .with_fifo_dir(root.path());
    let io = cio::new_creator(streams).create_copy_io("copied").unwrap();
    let config = io.config();
    let status = Command::new(SHIM)
        .arg("task")
        .args(["--stdin", &config.stdin])
        .args([
            "--stdout",
            &config.stdout,
            "--stdout-len",
            "300000",
            "--stdout-seed",
            "1",
        ])
        .args([
            "--stderr",
            &config.stderr,
            "--stderr-len",
            "300000",
            "--stderr-seed",
            "2",
        ])
        .status()
        .unwrap();
    assert!(status.success());
    io.wait_blocking().unwrap();
    futures::executor::block_on(io.stdin_closed()).unwrap();
    io.close().unwrap();
    assert!(out.bytes() == pattern(1, 300_000) && err.bytes() == pattern(2, 300_000));

    // The ends handed to the caller, cancelled and closed.
    let fifos = cio::new_fifo_set_in_dir(root.path(), "direct", false).unwrap();
    let direct = DirectIo::new(fifos).unwrap();
    let mut stdin = direct.take_stdin().unwrap();
    let mut stdout = direct.take_stdout().unwrap();
    let writer = Command::new(SHIM)
        .args(["write", &direct.config().stdout, "1000"])
        .spawn()
        .unwrap();
    let reader = Command::new(SHIM)
        .args(["read", &direct.config().stdin])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut received = Vec::new();
    futures::executor::block_on(async {
        stdin.write_all(b"hello").await?;
        stdin.close().await?;
        stdout.read_to_end(&mut received).await
    })
    .unwrap();
    for mut child in [writer, reader] {
        assert!(child.wait().unwrap().success());
    }
    direct.cancel();
    direct.close().unwrap();

    // A copy cancelled before its task came.
    let streams = Streams::new()
        .with_stdout(Output::from_async(Collector::new()))
        .with_fifo_dir(root.path());
    let io = cio::new_creator(streams)
        .create_copy_io("cancelled")
        .unwrap();
    io.cancel();
    assert!(io.wait_blocking().is_err());
    io.close().unwrap();

    assert_eq!(
        dispositions(),
        before,
        "signal dispositions before and after"
    );
}
