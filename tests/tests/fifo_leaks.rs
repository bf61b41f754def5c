//! Pending opens cancelled before any peer arrives leave nothing behind.
//! Descriptor and thread counts are process-wide, so this file holds a
//! single test and runs as its own process.

use std::pin::pin;
use std::task::Context;
use std::time::Duration;

use cio_fifo::{FifoReader, FifoWriter};
use cio_tests::{TempRoot, open_fds, settle, threads};
use futures::io::{AsyncReadExt, AsyncWriteExt};
use futures::task::noop_waker;

const OPENS: usize = 1000;

#[test]
fn a_thousand_cancelled_opens_leak_no_descriptor_and_no_thread() {
    let root = TempRoot::created("leaks");

    // Warm up: the reactor makes its own descriptors and thread on first
    // use, once for the life of the process.
    drop(FifoReader::open(root.path().join("warm")).unwrap());
    let (fds_before, threads_before) = (open_fds(), threads());

    let waker = noop_waker();
    let mut cx = Context::from_waker(&waker);
    let mut ends = Vec::with_capacity(OPENS);
    for i in 0..OPENS / 2 {
        // A read end waiting for a writer that never comes.
        let mut reader = FifoReader::open(root.path().join(format!("{i}-stdout"))).unwrap();
        let mut byte = [0_u8; 1];
        assert!(pin!(reader.read(&mut byte)).poll(&mut cx).is_pending());

        // A write end whose close waits for a reader that never comes.
        let mut writer = FifoWriter::open(root.path().join(format!("{i}-stdin"))).unwrap();
        assert!(pin!(writer.close()).poll(&mut cx).is_pending());
        ends.push((reader, writer));
    }
    assert!(
        open_fds() >= fds_before + OPENS,
        "each pending end holds its descriptor"
    );
    assert_eq!(threads(), threads_before, "no pending end holds a thread");

    drop(ends);

    let settled = settle(Duration::from_secs(5), || open_fds() == fds_before);
    assert!(
        settled,
        "descriptors: {} before, {} after",
        fds_before,
        open_fds()
    );
    assert_eq!(threads(), threads_before, "threads before and after");
}
