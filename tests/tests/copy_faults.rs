//! Faults the copy engine must survive: a task killed mid-stream, a sink
//! that fails, a stdin source that fails. The task is the shim emulator, a
//! separate process that opens the FIFOs as containerd's shim does.

use std::os::fd::OwnedFd;
use std::os::unix::process::ExitStatusExt;
use std::pin::Pin;
use std::process::{Command, Stdio};
use std::task::{Context, Poll};
use std::time::Duration;

use cio::{Config, Error, Input, Io, Output, Stream, Streams};
use cio_tests::{Collector, FailAfter, SinkKind, TempRoot, make_fifos, make_sink, pattern, within};

const SHIM: &str = env!("CARGO_BIN_EXE_shim");
const LIMIT: Duration = Duration::from_secs(60);
const MIB: usize = 1024 * 1024;

/// The number the shim left in its count file.
fn count_in(path: &std::path::Path) -> usize {
    std::fs::read_to_string(path).unwrap().parse().unwrap()
}

/// A shim that writes `die_after` bytes of `pattern(seed, ..)` to `fifo`,
/// records how many, and kills itself with SIGKILL.
fn dying_writer(fifo: &str, die_after: usize, seed: u64, count: &std::path::Path) -> Command {
    let mut command = Command::new(SHIM);
    command
        .arg("write")
        .arg(fifo)
        .arg((8 * die_after + 1).to_string())
        .args(["--seed", &seed.to_string(), "--chunk", "4096"])
        .args(["--die-after", &die_after.to_string()])
        .arg("--count-to")
        .arg(count);
    command
}

/// A task killed mid-stream: every byte its writes returned for reaches the
/// sink, then the copy ends and `wait` is `Ok`. Once while the copy runs,
/// and once when the task died before the copy had read anything (its
/// bytes wait in the FIFO).
#[test]
fn a_killed_writer_s_bytes_are_all_delivered_then_the_copy_ends() {
    for sink in [
        SinkKind::Async,
        SinkKind::Blocking,
        SinkKind::Pipe,
        SinkKind::File,
    ] {
        for (die_after, before_copy) in [(3 * MIB + 12_345, false), (40_000, true)] {
            let case =
                format!("{sink:?}, killed after {die_after} bytes, before copy {before_copy}");
            let root = TempRoot::created("killed");
            let count = root.path().join("count");
            let mut fifos = cio::new_fifo_set_in_dir(root.path().join("fifo"), "k", false).unwrap();
            fifos.config.stdin.clear();
            fifos.config.stderr.clear();
            let config = fifos.config.clone();
            let (output, received) = make_sink(sink, root.path(), "sink");

            let io = if before_copy {
                // The task writes and dies while only a bare reader holds
                // the FIFO; the copy attaches after its death.
                make_fifos(&config);
                let holder = cio::FifoReader::open(&config.stdout).unwrap();
                let status = dying_writer(&config.stdout, die_after, 5, &count)
                    .status()
                    .unwrap();
                assert_eq!(status.signal(), Some(9), "{case}: the task died of SIGKILL");
                let io = cio::attach_io(fifos, Streams::new().with_stdout(output)).unwrap();
                drop(holder);
                io
            } else {
                let io = cio::copy_io(fifos, Streams::new().with_stdout(output)).unwrap();
                let status = dying_writer(&config.stdout, die_after, 5, &count)
                    .status()
                    .unwrap();
                assert_eq!(status.signal(), Some(9), "{case}: the task died of SIGKILL");
                io
            };

            let io = within(LIMIT, move || {
                io.wait_blocking().unwrap();
                io
            });
            io.close().unwrap();
            drop(io);
            let received = received();
            assert_eq!(count_in(&count), die_after, "{case}: the task's own count");
            assert_eq!(
                received.len(),
                die_after,
                "{case}: every byte written arrived"
            );
            assert!(
                received == pattern(5, die_after),
                "{case}: in order, unchanged"
            );
        }
    }
}

/// An async writer that fails every write.
struct Broken;

impl futures::io::AsyncWrite for Broken {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        _: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Poll::Ready(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "peer went away",
        )))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// Starts the shim as a task writing `len` bytes to stdout and to stderr.
fn task(config: &Config, len: usize) -> std::process::Child {
    Command::new(SHIM)
        .arg("task")
        .args(["--stdout", &config.stdout, "--stdout-seed", "1"])
        .args(["--stdout-len", &len.to_string()])
        .args(["--stderr", &config.stderr, "--stderr-seed", "2"])
        .args(["--stderr-len", &len.to_string()])
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Makes a sink that fails.
type MakeSink = Box<dyn Fn() -> Output>;

/// A sink that fails mid-copy: `wait` names the stream, the task's writes
/// to that FIFO fail with `EPIPE` rather than hang, and the other stream of
/// the task gets every byte.
#[test]
fn a_failing_sink_fails_its_stream_alone() {
    let full = || {
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap()
    };
    let closed_pipe = || {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        Output::from_fd(OwnedFd::from(writer))
    };
    let sinks: [(&str, MakeSink, std::io::ErrorKind); 4] = [
        (
            "/dev/full",
            Box::new(move || Output::from(full())),
            std::io::ErrorKind::StorageFull,
        ),
        (
            "a pipe whose reader left",
            Box::new(closed_pipe),
            std::io::ErrorKind::BrokenPipe,
        ),
        (
            "a failing blocking writer",
            Box::new(|| Output::from_blocking(FailAfter { limit: 100_000 })),
            std::io::ErrorKind::StorageFull,
        ),
        (
            "a failing async writer",
            Box::new(|| Output::from_async(Broken)),
            std::io::ErrorKind::ConnectionReset,
        ),
    ];
    for (name, sink, kind) in sinks {
        let root = TempRoot::new("failing-sink");
        let stderr = Collector::new();
        let streams = Streams::new()
            .with_stdout(sink())
            .with_stderr(Output::from_async(stderr.clone()))
            .with_fifo_dir(root.path());
        let io = cio::new_creator(streams).create_copy_io("f").unwrap();

        // More than the FIFO and the sink's pipe hold together.
        let len = 16 * MIB;
        let mut child = task(io.config(), len);
        let status = within(LIMIT, move || child.wait().unwrap());
        assert_eq!(
            status.code(),
            Some(32),
            "{name}: the task's stdout got EPIPE"
        );

        let error = within(LIMIT, move || {
            let error = io.wait_blocking().unwrap_err();
            io.close().unwrap();
            error
        });
        match &error {
            Error::Copy {
                stream: Stream::Stdout,
                source,
            } => {
                assert_eq!(source.kind(), kind, "{name}: {error}: {source}");
            }
            other => panic!("{name}: expected a stdout copy error, got {other:?}"),
        }
        assert!(
            error.to_string().contains("stdout"),
            "{name}: names the stream"
        );
        assert!(
            stderr.bytes() == pattern(2, len),
            "{name}: stderr arrived whole"
        );
    }
}

/// A blocking reader that gives `len` bytes of `pattern(3, ..)`, then fails.
struct FailingInput {
    data: std::io::Cursor<Vec<u8>>,
}

impl std::io::Read for FailingInput {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self.data.read(buf)? {
            0 => Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "terminal hung up",
            )),
            n => Ok(n),
        }
    }
}

/// The caller's stdin fails: the error is reported, naming stdin; the task
/// gets every byte read before it, then end-of-file; stdout and stderr go
/// on to their end.
#[test]
fn a_failing_stdin_source_ends_stdin_alone() {
    for blocking in [true, false] {
        let root = TempRoot::created("failing-stdin");
        let sent = 100_000;
        let input = match blocking {
            true => Input::from_blocking(FailingInput {
                data: std::io::Cursor::new(pattern(3, sent)),
            }),
            false => Input::from_async(futures::io::AllowStdIo::new(FailingInput {
                data: std::io::Cursor::new(pattern(3, sent)),
            })),
        };
        let (out, err) = (Collector::new(), Collector::new());
        let streams = Streams::new()
            .with_stdin(input)
            .with_stdout(Output::from_async(out.clone()))
            .with_stderr(Output::from_blocking(err.clone()))
            .with_fifo_dir(root.path().join("fifo"));
        let io = cio::new_creator(streams).create_copy_io("s").unwrap();

        let len = 4 * MIB;
        let received = root.path().join("received");
        let config = io.config();
        let mut child = Command::new(SHIM)
            .arg("task")
            .args(["--stdin", &config.stdin])
            .arg("--stdin-to")
            .arg(&received)
            .args(["--stdout", &config.stdout, "--stdout-seed", "1"])
            .args(["--stdout-len", &len.to_string()])
            .args(["--stderr", &config.stderr, "--stderr-seed", "2"])
            .args(["--stderr-len", &len.to_string()])
            .spawn()
            .unwrap();

        let io = within(LIMIT, move || {
            match futures::executor::block_on(io.stdin_closed()) {
                Err(Error::Copy {
                    stream: Stream::Stdin,
                    source,
                }) => {
                    assert_eq!(source.kind(), std::io::ErrorKind::TimedOut, "{source}");
                }
                other => panic!("blocking {blocking}: expected a stdin copy error, got {other:?}"),
            }
            io
        });
        let status = within(LIMIT, move || child.wait().unwrap());
        assert!(
            status.success(),
            "blocking {blocking}: the task read stdin to its end"
        );
        let got = std::fs::read(&received).unwrap();
        assert_eq!(
            got.len(),
            sent,
            "blocking {blocking}: every byte before the error"
        );
        assert!(
            got == pattern(3, sent),
            "blocking {blocking}: in order, unchanged"
        );

        let result = within(LIMIT, move || {
            let result = io.wait_blocking();
            io.close().unwrap();
            result
        });
        assert!(
            matches!(
                result,
                Err(Error::Copy {
                    stream: Stream::Stdin,
                    ..
                })
            ),
            "wait reports the stdin error: {result:?}"
        );
        assert!(
            out.bytes() == pattern(1, len),
            "blocking {blocking}: stdout went on"
        );
        assert!(
            err.bytes() == pattern(2, len),
            "blocking {blocking}: stderr went on"
        );
    }
}

/// An async reader that fails every third read with `Interrupted`, as a
/// reader whose system call a signal cut short may.
struct Interrupting {
    data: futures::io::Cursor<Vec<u8>>,
    calls: usize,
}

impl futures::io::AsyncRead for Interrupting {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        this.calls += 1;
        if this.calls.is_multiple_of(3) {
            return Poll::Ready(Err(std::io::ErrorKind::Interrupted.into()));
        }
        let len = buf.len().min(1000);
        Pin::new(&mut this.data).poll_read(cx, &mut buf[..len])
    }
}

/// An interrupted read of the caller's stdin is retried: the task gets
/// every byte.
#[test]
fn an_interrupted_stdin_read_is_retried() {
    let root = TempRoot::created("interrupted");
    let sent = 200_000;
    let input = Input::from_async(Interrupting {
        data: futures::io::Cursor::new(pattern(3, sent)),
        calls: 0,
    });
    let streams = Streams::new()
        .with_stdin(input)
        .with_fifo_dir(root.path().join("fifo"));
    let io = cio::new_creator(streams).create_copy_io("i").unwrap();
    let received = root.path().join("received");
    let status = Command::new(SHIM)
        .args(["task", "--stdin", &io.config().stdin, "--stdin-to"])
        .arg(&received)
        .status()
        .unwrap();
    assert!(status.success());
    futures::executor::block_on(io.stdin_closed()).unwrap();
    io.close().unwrap();
    assert!(
        std::fs::read(&received).unwrap() == pattern(3, sent),
        "every byte"
    );
}
