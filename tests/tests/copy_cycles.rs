//! Ten thousand tasks, one after the other, each created, copied and
//! closed: nothing is left under the FIFO root, and the process holds the
//! descriptors it held before. Descriptor counts are process-wide, so this
//! file holds a single test and runs as its own process.

use std::os::fd::OwnedFd;

use cio::{Input, Io, Output, Streams};
use cio_tests::{Collector, TempRoot, open_fds};

const CYCLES: usize = 10_000;

/// One task: created, fed and drained (the task's side is played here,
/// with the blocking opens a shim makes), waited for and closed.
fn cycle(root: &TempRoot, n: usize) {
    let out = Collector::new();
    let (stdin_source, stdin_writer) = std::io::pipe().unwrap();
    drop(stdin_writer);
    let streams = Streams::new()
        .with_stdin(Input::from_fd(OwnedFd::from(stdin_source)))
        .with_stdout(Output::from_async(out.clone()))
        .with_fifo_dir(root.path());
    let io = cio::new_creator(streams)
        .create_copy_io(&format!("t{n}"))
        .unwrap();

    let message = format!("task {n}\n");
    std::fs::write(&io.config().stdout, message.as_bytes()).unwrap();
    let stdin = std::fs::read(&io.config().stdin).unwrap();
    assert!(stdin.is_empty(), "cycle {n}: stdin was empty");

    io.wait_blocking().unwrap();
    io.close().unwrap();
    assert_eq!(out.bytes(), message.as_bytes(), "cycle {n}");
}

#[test]
fn ten_thousand_cycles_leave_no_file_and_no_descriptor() {
    let root = TempRoot::created("cycles");

    // Warm up: the reactor and the executor start on first use, once for
    // the life of the process.
    cycle(&root, 0);
    let before = open_fds();

    for n in 1..=CYCLES {
        cycle(&root, n);
    }

    let left: Vec<_> = std::fs::read_dir(root.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    let first: Vec<_> = left.iter().take(3).collect();
    assert!(
        left.is_empty(),
        "{} left under the root: {first:?}...",
        left.len()
    );
    assert_eq!(open_fds(), before, "descriptors before and after");
}
