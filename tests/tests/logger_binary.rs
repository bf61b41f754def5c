//! The `logger` binary, built on `cio_log::logging::LoggerIo::inherited`,
//! started the way containerd's shim starts a logging binary: pipes on fds
//! 3, 4 and 5, `CONTAINER_ID` and `CONTAINER_NAMESPACE` as its whole
//! environment. The end-to-end suite runs it under the real shim.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use cio_tests::{TempRoot, within};

const LOGGER: &str = env!("CARGO_BIN_EXE_logger");
const LIMIT: Duration = Duration::from_secs(30);

/// Moves the logger's stdin, stdout and stderr (three pipe ends) to fds 3,
/// 4 and 5, and puts `/dev/null` on 0, 1 and 2, as the shim does.
const AS_THE_SHIM_DOES: &str =
    r#"exec "$0" dir "$1" 3<&0 4<&1 5>&2 0</dev/null 1>/dev/null 2>/dev/null"#;

#[test]
fn logger_reports_ready_and_copies_until_both_streams_end() {
    let root = TempRoot::created("logger");
    let (out_r, mut out_w) = std::io::pipe().unwrap();
    let (err_r, mut err_w) = std::io::pipe().unwrap();
    let (mut ready_r, ready_w) = std::io::pipe().unwrap();

    // The shim's side: the logger gets the read ends and the ready end.
    let mut logger = Command::new("/bin/sh")
        .args(["-c", AS_THE_SHIM_DOES, LOGGER])
        .arg(root.path())
        .env_clear()
        .env("CONTAINER_ID", "web-1")
        .env("CONTAINER_NAMESPACE", "prod")
        .stdin(Stdio::from(out_r))
        .stdout(Stdio::from(err_r))
        .stderr(Stdio::from(ready_w))
        .spawn()
        .expect("start the logger");

    // Ready comes as one byte.
    let mut ready_r = within(LIMIT, move || {
        let mut byte = [0];
        ready_r.read_exact(&mut byte).expect("a readiness byte");
        ready_r
    });
    let meta = std::fs::read_to_string(root.path().join("meta")).unwrap();
    assert_eq!(meta, "id=web-1\nnamespace=prod\n");

    // The task writes, then exits: its ends close.
    out_w.write_all(b"to-out\n").unwrap();
    err_w.write_all(b"to-err\n").unwrap();
    drop((out_w, err_w));
    let status = logger.wait().unwrap();
    let error = std::fs::read_to_string(root.path().join("error")).unwrap_or_default();
    assert!(status.success(), "{status}: {error}");

    // Everything arrived, and the copy ended at end-of-file.
    let read = |name: &str| std::fs::read_to_string(root.path().join(name)).unwrap();
    assert_eq!(read("stdout"), "to-out\n");
    assert_eq!(read("stderr"), "to-err\n");
    assert_eq!(read("eof"), "stdout=7\nstderr=7\n");

    // The original fd 5 stayed open after the byte: nothing but the byte
    // told the shim, and the pipe ended only with the process.
    assert_eq!(read("ready"), "fd5-still-open=true\n");
    let mut rest = Vec::new();
    ready_r.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty(), "one byte in all: {rest:?}");
}
