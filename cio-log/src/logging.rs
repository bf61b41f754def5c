//! The other end of `binary://`: what a logging binary gets from the shim,
//! and how it tells the shim it is ready.
//!
//! For a task whose stdout is a `binary:///path/to/bin?key=value` URI, the
//! shim starts `/path/to/bin key value` with
//!
//! - the task's stdout as the read end of a pipe on fd 3,
//! - the task's stderr likewise on fd 4,
//! - the write end of a readiness pipe on fd 5,
//! - `CONTAINER_ID` and `CONTAINER_NAMESPACE` as its whole environment (no
//!   `PATH`), and `/dev/null` as fds 0, 1 and 2,
//!
//! and waits, inside `Tasks.Create`, until the binary reports on fd 5 that
//! it is ready. The task starts only then. [`LoggerIo`] holds all of that
//! for a Rust binary; [`LoggerIo::copy_to`] is the usual whole body of one.
//!
//! ```no_run
//! use std::fs::File;
//! use cio_log::logging::LoggerIo;
//!
//! fn main() -> std::io::Result<()> {
//!     let logger = LoggerIo::inherited()?;
//!     let path = format!("/var/log/tasks/{}-{}.log", logger.namespace(), logger.id());
//!     let log = File::options().create(true).append(true).open(path)?;
//!
//!     // Ready, then both streams into the file until the task's end.
//!     logger.copy_to(log.try_clone()?, log)?;
//!     Ok(())
//! }
//! ```
//!
//! This module speaks `std::io`: a logging binary is a plain program around
//! three descriptors, and its errors name the descriptor they concern.
//!
//! # Caveats
//!
//! **Adopting fds 3, 4 and 5.** Taking an inherited descriptor as an
//! [`OwnedFd`] needs `unsafe` (`OwnedFd::from_raw_fd`), which no cio crate
//! contains. So there are two ways in:
//!
//! - [`LoggerIo::from_fds`]: the binary's own `main` adopts the three
//!   descriptors (its own `unsafe` block, where it knows the shim started it)
//!   and hands them over. Everything then behaves as the shim expects.
//! - [`LoggerIo::inherited`], which needs no `unsafe`: it opens
//!   `/proc/self/fd/3`, `/4` and `/5` again. A pipe opened through `/proc`
//!   is the same pipe, so the new descriptors read the task's output and
//!   reach the shim's readiness pipe. The original descriptors stay open
//!   until the process exits, since safe code cannot close them. For fds 3
//!   and 4 that is harmless: an extra read end changes nothing. For fd 5 it
//!   means the shim never sees end-of-file on its readiness pipe while the
//!   binary runs, so readiness must be a byte: [`LoggerIo::ready`] writes
//!   one.
//!
//! **What the shim waits for on fd 5.** containerd 1.6's runc shim (1.6.20
//! was run) reads one byte from the readiness pipe and takes either a byte
//! or end-of-file as ready; it knows the schemes `fifo`, `file` and
//! `binary` and refuses `binary-v2` ("unknown STDIO scheme"). The suite in
//! `tests/tests/e2e.rs` starts a task whose logging binary is built on
//! [`LoggerIo::inherited`]: `Tasks.Create` returns while the binary still
//! holds the original fd 5, so the byte alone did it. Newer shims that know
//! `binary-v2` require a byte for it and still take end-of-file as ready for
//! `binary`. Writing one byte, then closing, satisfies both.
//!
//! **Descriptors and children.** The inherited fds 3, 4 and 5 are not
//! close-on-exec: a child the binary starts inherits them, and a child that
//! holds fd 5 or a write end keeps the pipe open. The descriptors this
//! module opens are close-on-exec.
//!
//! **SIGTERM.** containerd's runc shim ends a logging binary when the task
//! is deleted: as its source reads, it closes its own ends of the stdout
//! and stderr pipes (so fds 3 and 4 reach end-of-file, the task being gone
//! already), sends SIGTERM right after, waits up to 12 seconds, then sends
//! SIGKILL. This module installs no signal handler: that takes `unsafe`
//! code, and a library should not change the signal dispositions of the
//! process it is linked into. So SIGTERM's default action ends the binary,
//! often before [`copy_to`](LoggerIo::copy_to) has seen end-of-file: with
//! containerd 1.6.20, in 7 of 8 runs of the suite's logging case. What is
//! lost then is what is still in the pipes; by the time a task is deleted
//! its output has normally been read long before (those runs lost nothing),
//! and `copy_to` writes each chunk to its sink as soon as it is read,
//! holding nothing back. A binary that must finish work on SIGTERM installs
//! its own handler in `main` (for instance with the `signal-hook` crate)
//! and keeps copying: the pipes reach end-of-file as the shim closes them,
//! and `copy_to` returns.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::OwnedFd;
use std::path::Path;

/// The descriptor on which the shim hands over the task's stdout.
pub const STDOUT_FD: i32 = 3;

/// The descriptor on which the shim hands over the task's stderr.
pub const STDERR_FD: i32 = 4;

/// The descriptor on which the binary reports that it is ready.
pub const READY_FD: i32 = 5;

/// The environment variable holding the task's container ID.
pub const ID_VAR: &str = "CONTAINER_ID";

/// The environment variable holding the task's containerd namespace.
pub const NAMESPACE_VAR: &str = "CONTAINER_NAMESPACE";

/// How much [`LoggerIo::copy_to`] reads at a time: what a pipe holds by
/// default.
const CHUNK: usize = 64 * 1024;

/// What the shim hands a logging binary: the task's identity, its stdout
/// and stderr, and the readiness pipe.
///
/// Go's `logging.Config` together with the `ready` function its
/// `LoggerFunc` gets.
///
/// # Examples
///
/// Reading the streams by hand instead of [`copy_to`](LoggerIo::copy_to):
///
/// ```no_run
/// use std::io::{BufRead, BufReader};
/// use cio_log::logging::LoggerIo;
///
/// let mut logger = LoggerIo::inherited()?;
/// logger.ready()?;
/// let (stdout, _stderr) = logger.into_streams();
/// for line in BufReader::new(stdout).lines() {
///     let _ = line?; // ... ship it somewhere ...
/// }
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct LoggerIo {
    id: String,
    namespace: String,
    stdout: File,
    stderr: File,
    /// The write end of the readiness pipe, until readiness is reported.
    ready: Option<File>,
}

impl LoggerIo {
    /// What this process got from the shim, without `unsafe`: the
    /// descriptors 3, 4 and 5 opened again through `/proc/self/fd`, and the
    /// task's identity from the environment (an empty string for a
    /// variable that is not set, as in Go).
    ///
    /// # Errors
    ///
    /// When one of the three descriptors cannot be opened again: typically
    /// [`io::ErrorKind::NotFound`], the process not having been started by
    /// a shim. The message names the descriptor.
    ///
    /// # Caveats
    ///
    /// The original descriptors stay open until the process exits; see the
    /// [module docs](self) for what that means for readiness.
    pub fn inherited() -> io::Result<LoggerIo> {
        let stdout = reopen(STDOUT_FD, OpenOptions::new().read(true))?;
        let stderr = reopen(STDERR_FD, OpenOptions::new().read(true))?;
        let ready = reopen(READY_FD, OpenOptions::new().write(true))?;
        Ok(LoggerIo::new(
            env_var(ID_VAR),
            env_var(NAMESPACE_VAR),
            stdout,
            stderr,
            ready,
        ))
    }

    /// What this process got from the shim, given the three descriptors
    /// the caller adopted (fds 3, 4 and 5), and the task's identity from
    /// the environment.
    ///
    /// Adopting them takes `unsafe` in the caller's `main`, once, where it
    /// is known that the shim started the process:
    ///
    /// ```ignore
    /// use std::os::fd::{FromRawFd, OwnedFd};
    /// // SAFETY: the shim starts this binary with pipes on fds 3, 4 and 5,
    /// // and nothing else in this process owns them.
    /// let [stdout, stderr, ready] = [3, 4, 5].map(|fd| unsafe { OwnedFd::from_raw_fd(fd) });
    /// let logger = LoggerIo::from_fds(stdout, stderr, ready);
    /// ```
    ///
    /// With the original fd 5 owned here, closing it is a true end-of-file
    /// on the readiness pipe, as with Go's `logging.Run`.
    pub fn from_fds(stdout: OwnedFd, stderr: OwnedFd, ready: OwnedFd) -> LoggerIo {
        LoggerIo::new(
            env_var(ID_VAR),
            env_var(NAMESPACE_VAR),
            stdout,
            stderr,
            ready,
        )
    }

    /// A `LoggerIo` from parts: for tests, and for binaries that learn the
    /// task's identity some other way.
    pub fn new(
        id: impl Into<String>,
        namespace: impl Into<String>,
        stdout: impl Into<OwnedFd>,
        stderr: impl Into<OwnedFd>,
        ready: impl Into<OwnedFd>,
    ) -> LoggerIo {
        LoggerIo {
            id: id.into(),
            namespace: namespace.into(),
            stdout: File::from(stdout.into()),
            stderr: File::from(stderr.into()),
            ready: Some(File::from(ready.into())),
        }
    }

    /// The task's container ID (`CONTAINER_ID`).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The task's containerd namespace (`CONTAINER_NAMESPACE`).
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The task's stdout, to read from.
    pub fn stdout(&mut self) -> &mut File {
        &mut self.stdout
    }

    /// The task's stderr, to read from.
    pub fn stderr(&mut self) -> &mut File {
        &mut self.stderr
    }

    /// Reports readiness: writes one byte to the readiness pipe and closes
    /// this end of it. The shim then lets `Tasks.Create` return and the
    /// task start. Later calls do nothing.
    ///
    /// Call it once the binary is set up to take the output; what the task
    /// writes before the binary reads waits in the pipes (64 KiB each), then
    /// holds the task back.
    ///
    /// # Errors
    ///
    /// When the byte cannot be written: [`io::ErrorKind::BrokenPipe`] when
    /// the shim is gone. The end is closed anyway, and the next call does
    /// nothing.
    pub fn ready(&mut self) -> io::Result<()> {
        let Some(mut end) = self.ready.take() else {
            return Ok(());
        };
        end.write_all(&[1])
            .map_err(|e| named(e, "reporting readiness on fd 5"))
    }

    /// Whether [`ready`](LoggerIo::ready) has run.
    pub fn is_ready(&self) -> bool {
        self.ready.is_none()
    }

    /// The task's stdout and stderr. The readiness end, if not used yet, is
    /// closed: that counts as ready only where no other write end of the
    /// readiness pipe is open (see the [module docs](self)).
    pub fn into_streams(self) -> (File, File) {
        (self.stdout, self.stderr)
    }

    /// The usual whole body of a logging binary: reports readiness unless
    /// done already, then copies the task's stdout to `stdout` and its
    /// stderr to `stderr`, each on a thread of its own, until both reach
    /// end-of-file. Returns how many bytes each carried.
    ///
    /// Every chunk is written and flushed as soon as it is read, so nothing
    /// waits in this process.
    ///
    /// # Errors
    ///
    /// The first failure: reporting readiness, or reading or writing a
    /// stream (the message names it). The other stream's copy is still
    /// waited for.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use cio_log::logging::LoggerIo;
    ///
    /// // Three pipes stand in for the ones the shim makes.
    /// let (out_r, mut out_w) = std::io::pipe()?;
    /// let (err_r, err_w) = std::io::pipe()?;
    /// let (mut ready_r, ready_w) = std::io::pipe()?;
    /// let logger = LoggerIo::new("web", "default", out_r, err_r, ready_w);
    ///
    /// out_w.write_all(b"hello\n")?;
    /// drop((out_w, err_w)); // the task has exited
    ///
    /// let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    /// assert_eq!(logger.copy_to(&mut stdout, &mut stderr)?, (6, 0));
    /// assert_eq!(stdout, b"hello\n");
    ///
    /// let mut signal = Vec::new();
    /// ready_r.read_to_end(&mut signal)?;
    /// assert_eq!(signal.len(), 1, "one byte, then end-of-file");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn copy_to(
        mut self,
        stdout: impl Write + Send,
        stderr: impl Write + Send,
    ) -> io::Result<(u64, u64)> {
        self.ready()?;
        let LoggerIo {
            stdout: out_source,
            stderr: err_source,
            ..
        } = self;

        // One thread per stream: either may fill while the other is quiet.
        let (out, err) = std::thread::scope(|scope| {
            let err = scope.spawn(|| copy(err_source, stderr, "the task's stderr (fd 4)"));
            let out = copy(out_source, stdout, "the task's stdout (fd 3)");
            let err = err
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("the stderr copy panicked")));
            (out, err)
        });
        Ok((out?, err?))
    }
}

/// Copies `source` to `sink` until end-of-file, flushing after each chunk.
fn copy(mut source: File, mut sink: impl Write, what: &str) -> io::Result<u64> {
    let mut buffer = vec![0; CHUNK];
    let mut copied = 0;
    loop {
        // Whatever the pipe holds, up to a chunk.
        let n = match source.read(&mut buffer) {
            Ok(0) => return Ok(copied),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(named(e, &format!("reading {what}"))),
        };

        // Out at once: nothing waits in this process.
        sink.write_all(&buffer[..n])
            .and_then(|()| sink.flush())
            .map_err(|e| named(e, &format!("writing {what}")))?;
        copied += n as u64;
    }
}

/// Opens the descriptor `fd` of this process again, through `/proc`.
fn reopen(fd: i32, options: &OpenOptions) -> io::Result<File> {
    let path = format!("/proc/self/fd/{fd}");
    options
        .open(Path::new(&path))
        .map_err(|e| named(e, &format!("opening {path} again")))
}

/// The value of `name`, or the empty string.
fn env_var(name: &str) -> String {
    std::env::var(name).unwrap_or_default()
}

/// `error`, with what was being done in front.
fn named(error: io::Error, what: &str) -> io::Error {
    io::Error::new(error.kind(), format!("{what}: {error}"))
}

#[cfg(test)]
mod tests {
    use std::io::{PipeReader, PipeWriter, pipe};
    use std::os::fd::AsRawFd;

    use super::*;

    /// A `LoggerIo` on three fresh pipes, and the shim's ends of them.
    fn shim_pipes() -> (LoggerIo, PipeWriter, PipeWriter, PipeReader) {
        let (out_r, out_w) = pipe().unwrap();
        let (err_r, err_w) = pipe().unwrap();
        let (ready_r, ready_w) = pipe().unwrap();
        let logger = LoggerIo::new("web-1", "prod", out_r, err_r, ready_w);
        (logger, out_w, err_w, ready_r)
    }

    #[test]
    fn ready_is_one_byte_then_end_of_file() {
        let (mut logger, _out, _err, mut ready_r) = shim_pipes();
        assert!(!logger.is_ready());

        logger.ready().unwrap();
        logger.ready().unwrap();
        assert!(logger.is_ready());

        // One byte, however often it was called, then the end.
        let mut got = Vec::new();
        ready_r.read_to_end(&mut got).unwrap();
        assert_eq!(got.len(), 1);
    }

    #[test]
    fn ready_to_a_shim_gone_is_broken_pipe() {
        let (mut logger, _out, _err, ready_r) = shim_pipes();
        drop(ready_r);

        let error = logger.ready().unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::BrokenPipe);
        assert!(error.to_string().contains("fd 5"), "{error}");
        assert!(
            logger.ready().is_ok(),
            "the end was closed: nothing more to do"
        );
    }

    #[test]
    fn copy_to_carries_both_streams_whole() {
        let (logger, mut out_w, mut err_w, mut ready_r) = shim_pipes();
        assert_eq!((logger.id(), logger.namespace()), ("web-1", "prod"));

        // More than a pipe holds, on both streams at once.
        let out: Vec<u8> = (0..300_000_u32)
            .map(|i| (i % 251).to_le_bytes()[0])
            .collect();
        let err: Vec<u8> = (0..200_000_u32)
            .map(|i| (i % 241).to_le_bytes()[0])
            .collect();
        let (out_sent, err_sent) = (out.clone(), err.clone());
        let task = std::thread::spawn(move || {
            // The task starts only once the logger is ready.
            let mut signal = [0];
            ready_r.read_exact(&mut signal).unwrap();
            out_w.write_all(&out_sent).unwrap();
            err_w.write_all(&err_sent).unwrap();
        });

        let (mut got_out, mut got_err) = (Vec::new(), Vec::new());
        let counts = logger.copy_to(&mut got_out, &mut got_err).unwrap();
        task.join().unwrap();
        assert_eq!(counts, (out.len() as u64, err.len() as u64));
        assert!(got_out == out, "stdout arrived whole and in order");
        assert!(got_err == err, "stderr arrived whole and in order");
    }

    /// A sink that refuses every write.
    struct Full;

    impl Write for Full {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::new(io::ErrorKind::StorageFull, "disk full"))
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_failing_sink_is_named() {
        let (logger, out_w, mut err_w, _ready_r) = shim_pipes();
        err_w.write_all(b"oops\n").unwrap();
        drop((out_w, err_w));

        let error = logger.copy_to(io::sink(), Full).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::StorageFull);
        assert!(error.to_string().contains("stderr (fd 4)"), "{error}");
    }

    #[test]
    fn a_pipe_opened_through_proc_is_the_same_pipe() {
        // What `inherited` relies on, for a read end and a write end.
        let (reader, mut writer) = pipe().unwrap();
        let mut again = reopen(reader.as_raw_fd(), OpenOptions::new().read(true)).unwrap();
        writer.write_all(b"x").unwrap();
        let mut byte = [0];
        again.read_exact(&mut byte).unwrap();
        assert_eq!(&byte, b"x");

        let (mut reader, writer) = pipe().unwrap();
        let mut again = reopen(writer.as_raw_fd(), OpenOptions::new().write(true)).unwrap();
        again.write_all(b"y").unwrap();
        drop((again, writer));
        let mut got = Vec::new();
        reader.read_to_end(&mut got).unwrap();
        assert_eq!(got, b"y");
    }

    #[test]
    fn inherited_names_a_missing_descriptor() {
        let error = reopen(999_999, OpenOptions::new().read(true)).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::NotFound);
        assert!(
            error.to_string().contains("/proc/self/fd/999999"),
            "{error}"
        );
    }
}
