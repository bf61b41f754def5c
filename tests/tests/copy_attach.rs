//! The copy engine against a task: Go's attach matrix and the behaviours
//! around it. The task is the shim emulator, a separate process that opens
//! the FIFOs as containerd's shim does.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;

use cio::{Attach, Config, Creator, Error, Input, Io, Output, Stream, Streams};
use cio_tests::{Collector, FailAfter, TempRoot, make_fifos, pattern, within};

const SHIM: &str = env!("CARGO_BIN_EXE_shim");
const LIMIT: Duration = Duration::from_secs(30);

/// What the task writes and where its stdin goes.
struct Task {
    stdout_len: usize,
    stderr_len: usize,
    stdin_to: PathBuf,
    extra: Vec<String>,
}

impl Task {
    fn new(root: &TempRoot) -> Self {
        Task {
            stdout_len: 0,
            stderr_len: 0,
            stdin_to: root.path().join("received"),
            extra: vec![],
        }
    }

    /// Starts the task on the FIFOs of `config`: stdout carries
    /// `pattern(1, ..)`, stderr `pattern(2, ..)`.
    fn spawn(&self, config: &Config) -> Child {
        let mut command = Command::new(SHIM);
        command.args(&self.extra).arg("task");
        if !config.stdin.is_empty() {
            command
                .args(["--stdin", &config.stdin])
                .arg("--stdin-to")
                .arg(&self.stdin_to);
        }
        if !config.stdout.is_empty() {
            command.args(["--stdout", &config.stdout, "--stdout-seed", "1"]);
            command.args(["--stdout-len", &self.stdout_len.to_string()]);
        }
        if !config.stderr.is_empty() && !config.terminal {
            command.args(["--stderr", &config.stderr, "--stderr-seed", "2"]);
            command.args(["--stderr-len", &self.stderr_len.to_string()]);
        }
        command.spawn().expect("start the shim emulator")
    }
}

fn fifo_dir(config: &Config) -> PathBuf {
    let any = [&config.stdin, &config.stdout, &config.stderr]
        .into_iter()
        .find(|p| !p.is_empty());
    Path::new(any.expect("a stream"))
        .parent()
        .unwrap()
        .to_owned()
}

/// Go's attach matrix: every combination that leaves one stream out, plus
/// all three. Each stream's bytes arrive exactly, and stdin's end reaches
/// the task (it exits only after reading end-of-file).
#[test]
fn attach_matrix() {
    for (stdin, stdout, stderr) in [
        (true, true, true),
        (false, true, true),
        (true, false, true),
        (true, true, false),
    ] {
        for attach in [false, true] {
            let case = format!("stdin {stdin}, stdout {stdout}, stderr {stderr}, attach {attach}");
            let root = TempRoot::new("matrix");
            let input = pattern(3, 200_000);
            let (out, err) = (Collector::new(), Collector::new());

            let mut streams = Streams::new();
            if stdin {
                streams =
                    streams.with_stdin(Input::from_async(futures::io::Cursor::new(input.clone())));
            }
            if stdout {
                streams = streams.with_stdout(Output::from_async(out.clone()));
            }
            if stderr {
                streams = streams.with_stderr(Output::from_blocking(err.clone()));
            }

            // Either a creator makes the set, or the task's FIFOs exist and
            // the client attaches to them.
            let io: Box<dyn Io> = if attach {
                let mut fifos = cio::new_fifo_set_in_dir(root.path(), "m", false).unwrap();
                for (given, path) in [
                    (stdin, &mut fifos.config.stdin),
                    (stdout, &mut fifos.config.stdout),
                    (stderr, &mut fifos.config.stderr),
                ] {
                    if !given {
                        path.clear();
                    }
                }
                make_fifos(&fifos.config);
                cio::new_attach(streams).attach(fifos).unwrap()
            } else {
                cio::new_creator(streams.with_fifo_dir(root.path()))
                    .create("m")
                    .unwrap()
            };
            assert_eq!(io.config().stdin.is_empty(), !stdin, "{case}: stdin path");
            assert_eq!(
                io.config().stdout.is_empty(),
                !stdout,
                "{case}: stdout path"
            );
            assert_eq!(
                io.config().stderr.is_empty(),
                !stderr,
                "{case}: stderr path"
            );

            let mut task = Task::new(&root);
            task.stdout_len = 300_000;
            task.stderr_len = 100_000;
            let mut child = task.spawn(io.config());
            let status = within(LIMIT, move || child.wait().unwrap());
            assert!(
                status.success(),
                "{case}: the task got stdin's end and exited"
            );

            io.wait_blocking().unwrap();
            if stdin {
                assert!(
                    std::fs::read(&task.stdin_to).unwrap() == input,
                    "{case}: stdin"
                );
            }
            if stdout {
                assert!(out.bytes() == pattern(1, 300_000), "{case}: stdout");
            }
            if stderr {
                assert!(err.bytes() == pattern(2, 100_000), "{case}: stderr");
            }
            let dir = fifo_dir(io.config());
            io.close().unwrap();
            if !attach {
                assert!(!dir.exists(), "{case}: close removed the FIFO dir");
            }
        }
    }
}

#[test]
fn a_terminal_task_has_no_stderr_copy_but_keeps_its_path() {
    let root = TempRoot::new("terminal");
    let (out, err) = (Collector::new(), Collector::new());
    let streams = Streams::new()
        .with_stdout(Output::from_async(out.clone()))
        .with_stderr(Output::from_async(err.clone()))
        .with_terminal()
        .with_fifo_dir(root.path());
    let io = cio::new_creator(streams).create("tty").unwrap();

    assert!(io.config().terminal);
    assert!(
        io.config().stderr.ends_with("/tty-stderr"),
        "stderr path stays in the config"
    );
    assert!(
        !Path::new(&io.config().stderr).exists(),
        "the stderr FIFO was never opened"
    );

    let mut task = Task::new(&root);
    task.stdout_len = 5000;
    assert!(task.spawn(io.config()).wait().unwrap().success());
    io.wait_blocking().unwrap();
    assert!(out.bytes() == pattern(1, 5000));
    assert!(err.bytes().is_empty());
    io.close().unwrap();
}

#[test]
fn a_copy_does_not_end_before_a_late_task_connects() {
    let root = TempRoot::new("late");
    let out = Collector::new();
    let streams = Streams::new()
        .with_stdout(Output::from_async(out.clone()))
        .with_fifo_dir(root.path());
    let io = cio::new_creator(streams).create("late").unwrap();

    let mut task = Task::new(&root);
    task.stdout_len = 1 << 20;
    task.extra = vec!["--delay-ms".into(), "300".into()];
    let mut child = task.spawn(io.config());

    io.wait_blocking().unwrap();
    assert!(child.wait().unwrap().success());
    assert!(
        out.bytes() == pattern(1, 1 << 20),
        "every byte of the late writer"
    );
    io.close().unwrap();
}

#[test]
fn cancel_ends_wait_when_the_task_never_connects_and_close_cleans_up() {
    let root = TempRoot::new("cancel");
    let streams = Streams::new()
        .with_stdout(Output::from_async(Collector::new()))
        .with_stderr(Output::from_async(Collector::new()))
        .with_fifo_dir(root.path());
    let io = cio::new_creator(streams).create("never").unwrap();
    let dir = fifo_dir(io.config());

    io.cancel();
    let io = within(LIMIT, move || {
        let result = io.wait_blocking();
        assert!(matches!(result, Err(Error::Cancelled { .. })), "{result:?}");
        io
    });

    io.close().unwrap();
    assert!(!dir.exists(), "close removed the FIFO dir");
    io.close().unwrap();
}

#[test]
fn a_failing_writer_is_reported_and_the_task_gets_epipe() {
    let root = TempRoot::new("failing");
    let limit = 100_000;
    let streams = Streams::new()
        .with_stdout(Output::from_blocking(FailAfter { limit }))
        .with_fifo_dir(root.path());
    let io = cio::new_creator(streams).create("full").unwrap();

    // The task writes far more than the sink takes and than a FIFO holds.
    let mut task = Task::new(&root);
    task.stdout_len = 64 << 20;
    let mut child = task.spawn(io.config());

    let error = io.wait_blocking().unwrap_err();
    match &error {
        Error::Copy {
            stream: Stream::Stdout,
            source,
        } => {
            assert_eq!(source.kind(), std::io::ErrorKind::StorageFull, "{error}");
        }
        other => panic!("expected a stdout copy error, got {other:?}"),
    }
    let status = within(LIMIT, move || child.wait().unwrap());
    assert_eq!(
        status.code(),
        Some(32),
        "the task's write failed with EPIPE"
    );
    io.close().unwrap();
}

#[test]
fn stdin_closed_resolves_once_every_byte_is_in_the_fifo() {
    let root = TempRoot::created("stdin-hook");
    let mut fifos = cio::new_fifo_set_in_dir(root.path(), "in", false).unwrap();
    fifos.config.stdout.clear();
    fifos.config.stderr.clear();
    let input = pattern(9, 300_000);
    let streams =
        Streams::new().with_stdin(Input::from_blocking(std::io::Cursor::new(input.clone())));
    let io = cio::copy_io(fifos, streams).unwrap();

    // Nobody reads yet: more than the FIFO holds is waiting.
    let waker = futures::task::noop_waker();
    let mut cx = std::task::Context::from_waker(&waker);
    assert!(std::pin::pin!(io.stdin_closed()).poll(&mut cx).is_pending());

    let task = Task::new(&root);
    let mut child = task.spawn(io.config());
    futures::executor::block_on(io.stdin_closed()).unwrap();
    assert!(child.wait().unwrap().success());
    assert!(std::fs::read(&task.stdin_to).unwrap() == input);
    io.close().unwrap();
}

#[test]
fn a_creator_serves_one_task() {
    let root = TempRoot::new("once");
    let creator = cio::new_creator(
        Streams::new()
            .with_stdout(Output::from_async(Collector::new()))
            .with_fifo_dir(root.path()),
    );

    // A bad id does not use the streams up.
    assert!(matches!(
        creator.create("../x"),
        Err(Error::InvalidId { .. })
    ));
    let io = creator.create("first").unwrap();
    match creator.create("second") {
        Err(Error::StreamsTaken { id }) => assert_eq!(id, "first"),
        other => panic!("{other:?}"),
    }
    io.close().unwrap();
}

#[test]
fn attaching_to_log_uris_is_refused_and_makes_no_fifo() {
    let root = TempRoot::created("uris");
    let log = root.path().join("task.log");
    let config = Config {
        stdout: format!("file://{}", log.display()),
        stderr: format!("binary://{}/logger", root.path().display()),
        ..Config::default()
    };
    let streams = Streams::new()
        .with_stdout(Output::from_async(Collector::new()))
        .with_stderr(Output::from_async(Collector::new()));
    match cio::new_attach(streams).attach(config.into()) {
        Err(Error::NotFifoPath {
            stream: Stream::Stdout,
            value,
        }) => assert!(value.starts_with("file://")),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        std::fs::read_dir(root.path()).unwrap().count(),
        0,
        "nothing was created"
    );
}

#[test]
fn attaching_to_missing_fifos_fails_and_creates_none() {
    let root = TempRoot::created("missing");
    let stdout = root.path().join("gone-stdout");
    let config = Config {
        stdout: stdout.to_str().unwrap().into(),
        ..Config::default()
    };
    let streams = Streams::new().with_stdout(Output::from_async(Collector::new()));
    match cio::new_attach(streams).attach(config.into()) {
        Err(Error::Open { path, source }) => {
            assert_eq!(path, stdout);
            assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
        }
        other => panic!("{other:?}"),
    }
    assert!(!stdout.exists());
}

#[test]
fn load_copies_nothing_and_its_close_cleans_up() {
    let root = TempRoot::new("load");
    let fifos = cio::new_fifo_set_in_dir(root.path(), "old", false).unwrap();
    make_fifos(&fifos.config);
    let (stdout, dir) = (fifos.stdout.clone(), fifo_dir(&fifos.config));

    let io = cio::load(fifos).unwrap();
    assert_eq!(io.config().stdout, stdout);

    // No reader was opened: a writer that does not wait finds none.
    let error = std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
        .open(&stdout)
        .unwrap_err();
    assert_eq!(
        error.raw_os_error(),
        Some(rustix::io::Errno::NXIO.raw_os_error())
    );

    io.wait_blocking().unwrap();
    io.close().unwrap();
    assert!(!dir.exists());
    io.close().unwrap();
}

use std::os::unix::fs::OpenOptionsExt as _;
