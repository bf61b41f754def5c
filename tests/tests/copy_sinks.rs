//! How the engine treats the kinds of descriptor a caller hands it: a file
//! opened for appending keeps appending, a terminal (which the kernel will
//! not splice into) still gets every byte.

use std::io::{Read, Seek, SeekFrom};
use std::process::Command;

use cio::{Creator, Io, Output, Streams};
use cio_tests::{TempRoot, pattern};
use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};

const SHIM: &str = env!("CARGO_BIN_EXE_shim");

/// Runs a task writing `len` bytes of `pattern(1, ..)` to stdout, copied
/// into `stdout`; waits until it is all through.
fn copy_stdout(root: &TempRoot, stdout: Output, len: usize) {
    let streams = Streams::new()
        .with_stdout(stdout)
        .with_fifo_dir(root.path().join("fifo"));
    let io = cio::new_creator(streams).create("sink").unwrap();
    let status = Command::new(SHIM)
        .arg("write")
        .arg(&io.config().stdout)
        .args([&len.to_string(), "--seed", "1"])
        .status()
        .unwrap();
    assert!(status.success());
    io.wait_blocking().unwrap();
    io.close().unwrap();
}

#[test]
fn a_file_opened_for_appending_keeps_appending() {
    let root = TempRoot::created("append");
    let path = root.path().join("log");
    std::fs::write(&path, b"earlier lines\n").unwrap();

    // The descriptor's offset is at 0: only append semantics put the
    // copy's bytes after what is there.
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    file.seek(SeekFrom::Start(0)).unwrap();
    let len = 300_000;
    copy_stdout(&root, Output::from(file), len);

    let written = std::fs::read(&path).unwrap();
    assert!(
        written.starts_with(b"earlier lines\n"),
        "what was there is kept"
    );
    assert!(
        written[14..] == pattern(1, len)[..],
        "the copy is appended whole"
    );
}

#[test]
fn a_terminal_gets_every_byte_through_the_fallback() {
    // A pseudo-terminal: its replica end is the sink, which splice(2)
    // refuses; this side reads what arrives.
    let controller = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).unwrap();
    grantpt(&controller).unwrap();
    unlockpt(&controller).unwrap();
    let name = ptsname(&controller, Vec::new()).unwrap();
    let replica = std::fs::OpenOptions::new()
        .write(true)
        .open(name.to_str().unwrap())
        .unwrap();

    // Raw mode, so that the terminal passes bytes through unchanged.
    let mut termios = rustix::termios::tcgetattr(&replica).unwrap();
    termios.make_raw();
    rustix::termios::tcsetattr(&replica, rustix::termios::OptionalActions::Now, &termios).unwrap();

    let len = 200_000;
    let mut reader = std::fs::File::from(controller);
    let drain = std::thread::spawn(move || {
        let mut received = vec![0_u8; len];
        reader.read_exact(&mut received).map(|()| received)
    });

    let root = TempRoot::created("terminal");
    copy_stdout(&root, Output::from(replica), len);
    let received = drain.join().unwrap().unwrap();
    assert!(
        received == pattern(1, len),
        "every byte, in order, through the terminal"
    );
}

#[test]
fn dev_null_takes_everything() {
    let root = TempRoot::created("devnull");
    let null = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/null")
        .unwrap();
    copy_stdout(&root, Output::from(null), 3 << 20);
}
