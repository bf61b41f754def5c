//! `DirectIo::close` closes every descriptor, even of ends the caller still
//! holds, and a failed `DirectIo::new` closes what it opened. Descriptor
//! and thread counts are process-wide, so this file holds a single test and
//! runs as its own process.

use std::pin::pin;
use std::task::{Context, Waker};
use std::time::Duration;

use cio_direct::DirectIo;
use cio_fifo::new_fifo_set_in_dir;
use cio_tests::{TempRoot, open_fds, settle, threads};
use cio_types::{Error, Io};
use futures::io::{AsyncReadExt, AsyncWriteExt};

const SETS: usize = 200;

#[test]
fn close_and_failed_opens_leak_no_descriptor_and_no_thread() {
    let root = TempRoot::new("direct-leaks");

    // Warm up: the reactor makes its own descriptors and thread on first
    // use, once for the life of the process.
    let warm = DirectIo::new(new_fifo_set_in_dir(root.path(), "warm", false).unwrap()).unwrap();
    warm.close().unwrap();
    let (fds_before, threads_before) = (open_fds(), threads());

    // Ends in use: a read waiting for a writer, a close waiting for a reader.
    let waker = Waker::noop();
    let mut cx = Context::from_waker(waker);
    let mut held = Vec::with_capacity(SETS);
    for i in 0..SETS {
        let set = new_fifo_set_in_dir(root.path(), &format!("t{i}"), false).unwrap();
        let io = DirectIo::new(set).unwrap();
        let mut stdout = io.take_stdout().unwrap();
        let mut stdin = io.take_stdin().unwrap();
        let mut byte = [0_u8; 1];
        assert!(pin!(stdout.read(&mut byte)).poll(&mut cx).is_pending());
        assert!(pin!(stdin.close()).poll(&mut cx).is_pending());
        held.push((io, stdout, stdin));
    }
    assert!(
        open_fds() >= fds_before + 3 * SETS,
        "each set holds three descriptors"
    );

    // Close every io while the caller still holds its ends.
    for (io, _, _) in &held {
        io.close().unwrap();
    }
    let settled = settle(Duration::from_secs(5), || open_fds() == fds_before);
    assert!(
        settled,
        "with the ends still held: {fds_before} descriptors before, {} after close",
        open_fds()
    );
    drop(held);

    // Opens that fail half way close what they opened.
    for i in 0..SETS {
        let set = new_fifo_set_in_dir(root.path(), &format!("f{i}"), false).unwrap();
        std::fs::write(&set.stderr, b"not a fifo").unwrap();
        let error = DirectIo::new(set).unwrap_err();
        assert!(matches!(error, Error::NotFifo { .. }), "{error:?}");
    }
    assert_eq!(open_fds(), fds_before, "after failed opens");
    assert_eq!(threads(), threads_before, "threads before and after");
}
