//! Closing `DirectIo`'s stdin before the task's side has opened it still
//! hands the task every byte, then end-of-file.
//!
//! This file holds a single test, so that no other thread of the process
//! forks while stdin is open: the close itself copes with forks (see
//! `fifo_fork.rs`), and this test looks at the close alone.

use std::process::{Command, Stdio};
use std::task::{Context, Waker};
use std::time::Duration;

use cio_direct::DirectIo;
use cio_fifo::new_fifo_set_in_dir;
use cio_tests::{TempRoot, within};
use cio_types::Io;
use futures::executor::block_on;
use futures::io::AsyncWriteExt;

const SHIM: &str = env!("CARGO_BIN_EXE_shim");
const LIMIT: Duration = Duration::from_secs(30);

#[test]
fn closing_stdin_before_the_task_opens_it_delivers_every_byte_then_eof() {
    within(LIMIT, || {
        let root = TempRoot::new("direct-close-early");
        let fifos = new_fifo_set_in_dir(root.path(), "t", false).unwrap();
        let io = DirectIo::new(fifos).unwrap();
        let mut stdin = io.take_stdin().unwrap();
        block_on(stdin.write_all(b"short")).unwrap();

        // No reader has opened the FIFO: the close has to wait for one.
        let mut close = Box::pin(stdin.close());
        let mut cx = Context::from_waker(Waker::noop());
        assert!(
            close.as_mut().poll(&mut cx).is_pending(),
            "close waits for a reader"
        );

        // The task's side opens later, with a blocking open(2).
        let shim = Command::new(SHIM)
            .args(["--delay-ms", "100", "read"])
            .arg(&io.config().stdin)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        block_on(close).unwrap();

        // The shim's `read` ends only at EOF.
        let output = shim.wait_with_output().unwrap();
        assert!(output.status.success());
        assert_eq!(output.stdout, b"short");
        io.close().unwrap();
    });
}
