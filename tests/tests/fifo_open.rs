//! Opening FIFO ends: never blocking, reads that wait for a writer, writes
//! that wait for a reader, and refusal of anything that is not a FIFO. The
//! peer is a separate process that opens its end with a blocking `open(2)`,
//! as containerd's shim does.

use std::io::Read as _;
use std::os::unix::fs::FileTypeExt;
use std::path::Path;
use std::pin::pin;
use std::process::{Command, Stdio};
use std::task::Context;
use std::time::Duration;

use cio_fifo::{Blocking, Error, FifoReader, FifoWriter, OpenOptions};
use cio_tests::{TempRoot, pattern, within};
use futures::io::{AsyncReadExt, AsyncWriteExt};
use futures::task::noop_waker;

const SHIM: &str = env!("CARGO_BIN_EXE_shim");
const MIB: usize = 1024 * 1024;
const LIMIT: Duration = Duration::from_secs(20);

/// Polls `future` once and reports whether it is still pending.
fn pending<F: Future>(future: F) -> bool {
    let waker = noop_waker();
    pin!(future)
        .poll(&mut Context::from_waker(&waker))
        .is_pending()
}

#[test]
fn a_read_end_opens_at_once_and_waits_for_a_late_writer() {
    let root = TempRoot::created("late-writer");
    let path = root.path().join("t-stdout");

    // No writer exists, and none is coming yet: the open must not wait.
    let opened = path.clone();
    let mut reader = within(LIMIT, move || FifoReader::open(&opened)).unwrap();
    assert!(
        path.metadata().unwrap().file_type().is_fifo(),
        "the open made the FIFO"
    );

    // With no writer, a read is pending: not an end-of-file.
    let mut byte = [0_u8; 1];
    assert!(
        pending(reader.read(&mut byte)),
        "no EOF before a writer connected"
    );
    assert!(!reader.is_connected());

    // A writer connects 200 ms later, sends 1 MiB and closes.
    let mut shim = Command::new(SHIM)
        .args(["--delay-ms", "200", "write"])
        .arg(&path)
        .args([&MIB.to_string(), "--seed", "7", "--chunk", "4096"])
        .spawn()
        .unwrap();

    let mut received = Vec::new();
    futures::executor::block_on(reader.read_to_end(&mut received)).unwrap();
    assert!(shim.wait().unwrap().success());
    assert_eq!(received.len(), MIB, "every byte, then EOF");
    assert!(
        received == pattern(7, MIB),
        "the bytes arrive unchanged and in order"
    );
}

#[test]
fn a_writer_that_connects_and_leaves_without_writing_gives_eof() {
    let root = TempRoot::created("empty-writer");
    let path = root.path().join("t-stdout");
    let mut reader = FifoReader::open(&path).unwrap();

    let status = Command::new(SHIM)
        .arg("write")
        .arg(&path)
        .arg("0")
        .status()
        .unwrap();
    assert!(status.success());

    let mut received = Vec::new();
    let n = futures::executor::block_on(reader.read_to_end(&mut received)).unwrap();
    assert_eq!(n, 0);
    assert!(reader.is_connected());
}

#[test]
fn the_blocking_read_form_waits_too() {
    let root = TempRoot::created("blocking-read");
    let path = root.path().join("t-stderr");
    let mut reader = Blocking::new(FifoReader::open(&path).unwrap());

    let mut shim = Command::new(SHIM)
        .args(["--delay-ms", "100", "write"])
        .arg(&path)
        .args(["70000", "--seed", "3"])
        .spawn()
        .unwrap();
    let mut received = Vec::new();
    reader.read_to_end(&mut received).unwrap();
    assert!(shim.wait().unwrap().success());
    assert!(received == pattern(3, 70000));
}

#[test]
fn a_write_end_opens_at_once_and_its_bytes_reach_a_later_reader() {
    let root = TempRoot::created("late-reader");
    let path = root.path().join("t-stdin");

    let opened = path.clone();
    let mut writer = within(LIMIT, move || FifoWriter::open(&opened)).unwrap();

    // Bytes written before any reader exists wait in the FIFO.
    let early = b"written before the reader\n";
    futures::executor::block_on(writer.write_all(early)).unwrap();

    // The reader opens with a blocking open(2), later. Its output is
    // collected on a thread, so that its pipe to us never fills.
    let shim = Command::new(SHIM)
        .args(["--delay-ms", "100", "read"])
        .arg(&path)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let shim = std::thread::spawn(move || shim.wait_with_output().unwrap());

    // More than the FIFO holds: these writes wait for the reader to drain.
    let late = pattern(11, MIB);
    futures::executor::block_on(async {
        writer.write_all(&late).await?;
        writer.close().await
    })
    .unwrap();

    let output = shim.join().unwrap();
    assert!(output.status.success());
    assert_eq!(output.stdout.len(), early.len() + MIB);
    assert!(output.stdout[..early.len()] == early[..]);
    assert!(
        output.stdout[early.len()..] == late[..],
        "the reader got every byte, then EOF"
    );
}

#[test]
fn closing_before_the_reader_opens_still_delivers_eof() {
    let root = TempRoot::created("close-early");
    let path = root.path().join("t-stdin");
    let mut writer = FifoWriter::open(&path).unwrap();
    futures::executor::block_on(writer.write_all(b"short")).unwrap();

    // The close has to wait: no reader has the FIFO yet.
    assert!(pending(writer.close()), "close waits for a reader");

    let shim = Command::new(SHIM)
        .args(["--delay-ms", "150", "read"])
        .arg(&path)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    Blocking::new(writer).close().unwrap();

    let output = shim.wait_with_output().unwrap();
    assert!(output.status.success());
    assert_eq!(output.stdout, b"short");
}

#[test]
fn a_dropped_reader_makes_the_writer_see_epipe() {
    let root = TempRoot::created("epipe");
    let path = root.path().join("t-stdout");
    let mut reader = FifoReader::open(&path).unwrap();

    let mut shim = Command::new(SHIM)
        .arg("write")
        .arg(&path)
        .args([&(64 * MIB).to_string(), "--seed", "1"])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();

    // Take a little, then walk away.
    let mut first = [0_u8; 1024];
    futures::executor::block_on(reader.read_exact(&mut first)).unwrap();
    drop(reader);

    let status = within(LIMIT, move || shim.wait().unwrap());
    assert_eq!(
        status.code(),
        Some(32),
        "the shim's write failed with EPIPE"
    );
}

#[test]
fn what_is_not_a_fifo_is_refused_and_left_untouched() {
    let root = TempRoot::created("not-fifo");
    let dir = root.path();

    let file = dir.join("regular");
    std::fs::write(&file, b"precious").unwrap();
    let subdir = dir.join("dir");
    std::fs::create_dir(&subdir).unwrap();
    let fifo = dir.join("real-fifo");
    drop(FifoReader::open(&fifo).unwrap());
    let link_to_fifo = dir.join("link-to-fifo");
    std::os::unix::fs::symlink(&fifo, &link_to_fifo).unwrap();
    let link_to_file = dir.join("link-to-file");
    std::os::unix::fs::symlink(&file, &link_to_file).unwrap();
    let socket = dir.join("socket");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let device = Path::new("/dev/null");

    let cases: [(&Path, &str); 6] = [
        (&file, "regular file"),
        (&subdir, "directory"),
        (&link_to_fifo, "symbolic link"),
        (&link_to_file, "symbolic link"),
        (&socket, "socket"),
        (device, "character device"),
    ];
    for (path, found) in cases {
        for (end, result) in [
            ("reader", FifoReader::open(path).map(drop)),
            ("writer", FifoWriter::open(path).map(drop)),
        ] {
            let error = result.expect_err("refused");
            assert!(
                matches!(error, Error::NotFifo { .. }),
                "{end} on {path:?}: {error:?}"
            );
            let message = error.to_string();
            assert!(
                message.contains(path.to_str().unwrap()),
                "names the path: {message}"
            );
            assert!(message.contains(found), "says it is a {found}: {message}");
        }
    }

    // Nothing was changed or replaced.
    assert_eq!(std::fs::read(&file).unwrap(), b"precious");
    assert!(
        link_to_fifo
            .symlink_metadata()
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(
        link_to_file
            .symlink_metadata()
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(std::fs::read(&link_to_file).unwrap(), b"precious");
}

#[test]
fn without_create_a_missing_fifo_is_not_found() {
    let root = TempRoot::created("no-create");
    let path = root.path().join("gone");
    let error = OpenOptions::new()
        .create(false)
        .open_reader(&path)
        .unwrap_err();
    match &error {
        Error::Open {
            path: named,
            source,
        } => {
            assert_eq!(named, &path);
            assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
        }
        other => panic!("{other:?}"),
    }
    assert!(!path.exists(), "nothing was created");
}

#[test]
fn pending_reads_wake_when_data_arrives() {
    let root = TempRoot::created("wake");
    let path = root.path().join("t-stdout");
    let mut reader = FifoReader::open(&path).unwrap();

    let mut shim = Command::new(SHIM)
        .args(["--delay-ms", "50", "write"])
        .arg(&path)
        .args(["100", "--chunk", "10", "--pause-us", "20000"])
        .spawn()
        .unwrap();
    let mut received = Vec::new();
    let mut chunk = [0_u8; 64];
    futures::executor::block_on(async {
        loop {
            match reader.read(&mut chunk).await.unwrap() {
                0 => break,
                n => received.extend_from_slice(&chunk[..n]),
            }
        }
    });
    assert!(shim.wait().unwrap().success());
    assert!(received == pattern(0, 100));
}
