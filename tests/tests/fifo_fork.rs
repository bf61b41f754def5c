//! Closing a FIFO writer while this process forks: a child holds a copy of
//! the writer's read side until its `exec`, which must not pass for the
//! task's reader. Forking is process-wide, so this file runs on its own.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use cio_fifo::{Blocking, FifoWriter};
use cio_tests::{TempRoot, within};
use futures::io::AsyncWriteExt;

const SHIM: &str = env!("CARGO_BIN_EXE_shim");

#[test]
fn a_close_during_forks_waits_for_the_real_reader() {
    // Fork continuously in the background for the whole test.
    let stop = Arc::new(AtomicBool::new(false));
    let forking = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let _ = Command::new("true").status();
            }
        })
    };

    let root = TempRoot::created("fork");
    for round in 0..40 {
        let path = root.path().join(format!("{round}-stdin"));
        let mut writer = FifoWriter::open(&path).unwrap();
        let message = format!("round {round}\n");
        futures::executor::block_on(writer.write_all(message.as_bytes())).unwrap();

        // Close before the reader exists; the reader comes a little later.
        let closing = std::thread::spawn(move || Blocking::new(writer).close());
        std::thread::sleep(Duration::from_millis(20));
        let reader = Command::new(SHIM)
            .arg("read")
            .arg(&path)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();

        // A close that took a forked child for the reader would have lost
        // the bytes, and the reader would wait in its open for ever.
        let output = within(Duration::from_secs(20), move || {
            reader.wait_with_output().unwrap()
        });
        assert_eq!(
            String::from_utf8_lossy(&output.stdout),
            message,
            "round {round}"
        );
        closing.join().unwrap().unwrap();
    }

    stop.store(true, Ordering::Relaxed);
    forking.join().unwrap();
}
