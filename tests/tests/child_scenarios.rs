//! Scenarios that change process-wide state run in a child process each
//! (the `probe` binary): a caller whose `SIGPIPE` has its default action, a
//! process out of file descriptors, a user without permission on the root.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use cio_tests::{TempRoot, within};

const PROBE: &str = env!("CARGO_BIN_EXE_probe");
const SHIM: &str = env!("CARGO_BIN_EXE_shim");
const LIMIT: Duration = Duration::from_secs(60);

/// Runs the probe with `args`, failing the test if it does not end in time.
fn probe(args: &[&str]) -> (Output, String) {
    let mut command = Command::new(PROBE);
    command.args(args);
    let output = within(LIMIT, move || command.output().unwrap());
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    (output, stdout)
}

/// Out of descriptors at each step of a task's creation in turn: every
/// step fails with an error that names the path or the stream, leaves no
/// directory behind, and does not break the process; with enough, the
/// whole lifecycle runs. Nothing hangs (each run has a time limit).
#[test]
fn running_out_of_descriptors_fails_clearly_and_leaves_nothing() {
    let mut failed_steps = Vec::new();
    let mut succeeded = 0;
    for spare in 0..12 {
        let root = TempRoot::created("nofile");
        let (output, stdout) = probe(&[
            "nofile",
            root.path().to_str().unwrap(),
            SHIM,
            &spare.to_string(),
        ]);
        let case = format!("with {spare} spare descriptors:\n{stdout}");
        assert!(output.status.success(), "{case}the probe ran to its end");
        let lines: Vec<&str> = stdout.lines().collect();

        if let Some(error) = lines[0].strip_prefix("create: err ") {
            let named = error.contains('`') || error.starts_with("copying std");
            assert!(named, "{case}the error names a path or a stream");
            assert!(
                error.contains("Too many open files"),
                "{case}the error says why"
            );
            assert_eq!(lines[1], "left: 0", "{case}nothing left under the root");
            assert_eq!(lines[2], "again: ok", "{case}the process works on");
            failed_steps.push(error.split(':').next().unwrap().to_owned());
        } else {
            assert_eq!(
                lines,
                [
                    "create: ok",
                    "task: exit Some(0)",
                    "wait: ok",
                    "stdout: 300000 bytes, whole true",
                    "stderr: 300000 bytes, whole true",
                    "left: 0"
                ],
                "{case}"
            );
            succeeded += 1;
        }
    }
    assert!(
        failed_steps.len() >= 4 && succeeded > 0,
        "the limits reached several steps, then enough: {failed_steps:?}"
    );
}

/// With `SIGPIPE` at its default action, a copy into a pipe or a socket
/// whose reader left is an error of that stream; the process lives on.
#[test]
fn a_sink_whose_reader_left_does_not_kill_a_caller_with_default_sigpipe() {
    let root = TempRoot::new("sigpipe-copy");
    let (output, stdout) = probe(&["sigpipe-copy", root.path().to_str().unwrap(), SHIM]);
    assert_eq!(
        output.status.signal(),
        None,
        "the probe was not killed by a signal:\n{stdout}"
    );
    assert!(output.status.success(), "{stdout}");
    for kind in ["pipe", "socket"] {
        assert!(
            stdout.contains(&format!("{kind}: task exit Some(32)")),
            "{kind}: the task got EPIPE:\n{stdout}"
        );
        assert!(
            stdout.contains(&format!("{kind}: stdout: Broken pipe")),
            "{kind}: wait named stdout:\n{stdout}"
        );
    }
    assert!(stdout.ends_with("survived\n"), "{stdout}");
}

/// With `SIGPIPE` at its default action, a FIFO writer whose reader came
/// and left writes on: it holds the FIFO's read side itself.
#[test]
fn a_fifo_writer_never_raises_sigpipe() {
    let root = TempRoot::created("sigpipe-writer");
    let (output, stdout) = probe(&["sigpipe-writer", root.path().to_str().unwrap()]);
    assert_eq!(output.status.signal(), None, "not killed by a signal");
    assert_eq!(stdout, "survived\n");
}

/// Runs a binary copied a moment ago. A child that another test of this
/// process forks holds the copy's write descriptor until its `exec`, and
/// running the copy fails with `ETXTBSY` until then: try again.
fn run_copied(command: &mut Command) -> Output {
    for _ in 0..100 {
        match command.output() {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy => {
                std::thread::sleep(Duration::from_millis(20));
            }
            result => return result.unwrap(),
        }
    }
    panic!("the copied probe stayed busy");
}

/// A FIFO root the user may not enter: a clear error naming the path, and
/// nothing made. Root passes every permission check, so as root the probe
/// runs as `nobody`, from a copy it may execute, against a 0700 directory;
/// as anyone else it runs as that user, against a directory of mode 000.
#[test]
fn a_root_without_permission_is_refused_and_nothing_is_made() {
    let as_root = rustix::process::geteuid().is_root();
    let place = TempRoot::created("no-permission");
    std::fs::set_permissions(place.path(), PermissionsExt::from_mode(0o755)).unwrap();
    let probe = place.path().join("probe");
    std::fs::copy(PROBE, &probe).unwrap();
    std::fs::set_permissions(&probe, PermissionsExt::from_mode(0o755)).unwrap();
    let private = place.path().join("private");
    std::fs::create_dir(&private).unwrap();
    let shut = if as_root { 0o700 } else { 0o000 };
    std::fs::set_permissions(&private, PermissionsExt::from_mode(shut)).unwrap();

    for root in [private.clone(), private.join("missing")] {
        let mut command = Command::new(&probe);
        command.args(["new-set", root.to_str().unwrap(), "t"]);
        if as_root {
            command.uid(65534).gid(65534);
        }
        let output = run_copied(&mut command);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{stdout}");
        let expected = format!("err cannot open `{}`", root.display());
        assert!(
            stdout.starts_with(&expected),
            "names {}: {stdout}",
            root.display()
        );
        assert!(stdout.contains("Permission denied"), "says why: {stdout}");
    }

    // Opened again to look inside.
    std::fs::set_permissions(&private, PermissionsExt::from_mode(0o700)).unwrap();
    assert_eq!(
        std::fs::read_dir(&private).unwrap().count(),
        0,
        "nothing was made"
    );
    assert!(!Path::new(&private.join("missing")).exists());
}
