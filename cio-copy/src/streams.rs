//! The caller's side of a task's IO: where stdin comes from, where stdout
//! and stderr go, and on what the copies run.

use std::fmt;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{ChildStderr, ChildStdin, ChildStdout};

use futures::io::{AsyncRead, AsyncWrite};

use crate::spawn::Spawner;

/// Where a task's stdin comes from.
///
/// Three kinds, chosen by the constructor:
///
/// - a file descriptor ([`Input::from_fd`], or `From` a [`File`],
///   [`OwnedFd`], [`ChildStdout`], [`ChildStderr`] or [`UnixStream`]): moved
///   into the FIFO with `splice(2)` where the kernel allows, and waited on
///   through the reactor, so a stdin with nothing to say holds no thread;
/// - an async reader ([`Input::from_async`]);
/// - a blocking reader ([`Input::from_blocking`]), read on the [`blocking`]
///   thread pool.
pub struct Input(pub(crate) InputKind);

pub(crate) enum InputKind {
    Fd(OwnedFd),
    Async(Box<dyn AsyncRead + Send + Unpin>),
    Blocking(Box<dyn Read + Send>),
}

impl Input {
    /// A file descriptor: a pipe, a terminal, a socket or a file.
    pub fn from_fd(fd: impl Into<OwnedFd>) -> Self {
        Input(InputKind::Fd(fd.into()))
    }

    /// An async reader, from any runtime (a tokio reader goes through
    /// `tokio_util::compat`).
    pub fn from_async(reader: impl AsyncRead + Send + Unpin + 'static) -> Self {
        Input(InputKind::Async(Box::new(reader)))
    }

    /// A blocking reader. Each read runs on the `blocking` thread pool.
    ///
    /// # Caveats
    ///
    /// - A pending read holds one of the pool's threads: a thousand tasks
    ///   whose blocking stdin waits hold a thousand threads. A descriptor or
    ///   an async reader holds none while it waits.
    /// - A read that blocks cannot be interrupted: after a cancel, the thread
    ///   stays in the read until it returns, then drops the reader.
    /// - The pool keeps the threads it started, for later calls.
    pub fn from_blocking(reader: impl Read + Send + 'static) -> Self {
        Input(InputKind::Blocking(Box::new(reader)))
    }
}

/// Where a task's stdout or stderr goes.
///
/// Three kinds, chosen by the constructor:
///
/// - a file descriptor ([`Output::from_fd`], or `From` a [`File`],
///   [`OwnedFd`], [`ChildStdin`] or [`UnixStream`]): the bytes go from the
///   FIFO to it with `splice(2)`, never passing through this process, where
///   the kernel allows (a pipe, a file, a socket, `/dev/null`); otherwise
///   through a pooled buffer;
/// - an async writer ([`Output::from_async`]);
/// - a blocking writer ([`Output::from_blocking`]), written on the
///   [`blocking`] thread pool.
///
/// Every chunk written to a writer is followed by a flush, so that output
/// shows as it comes.
pub struct Output(pub(crate) OutputKind);

pub(crate) enum OutputKind {
    Fd(OwnedFd),
    Async(Box<dyn AsyncWrite + Send + Unpin>),
    Blocking(Box<dyn Write + Send>),
}

impl Output {
    /// A file descriptor: a pipe, a file, a socket, a terminal or a device.
    ///
    /// A file opened for appending keeps appending.
    pub fn from_fd(fd: impl Into<OwnedFd>) -> Self {
        Output(OutputKind::Fd(fd.into()))
    }

    /// An async writer, from any runtime (a tokio writer goes through
    /// `tokio_util::compat`).
    pub fn from_async(writer: impl AsyncWrite + Send + Unpin + 'static) -> Self {
        Output(OutputKind::Async(Box::new(writer)))
    }

    /// A blocking writer. Each write runs on the `blocking` thread pool,
    /// which holds a thread only while a write runs, and keeps the threads
    /// it started for later calls.
    pub fn from_blocking(writer: impl Write + Send + 'static) -> Self {
        Output(OutputKind::Blocking(Box::new(writer)))
    }
}

macro_rules! from_fd {
    ($target:ident: $($source:ty),*) => {
        $(impl From<$source> for $target {
            fn from(source: $source) -> Self {
                $target::from_fd(source)
            }
        })*
    };
}

from_fd!(Input: OwnedFd, File, ChildStdout, ChildStderr, UnixStream);
from_fd!(Output: OwnedFd, File, ChildStdin, UnixStream);

impl fmt::Debug for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            InputKind::Fd(fd) => f.debug_tuple("Input::Fd").field(fd).finish(),
            InputKind::Async(_) => f.write_str("Input::Async(..)"),
            InputKind::Blocking(_) => f.write_str("Input::Blocking(..)"),
        }
    }
}

impl fmt::Debug for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            OutputKind::Fd(fd) => f.debug_tuple("Output::Fd").field(fd).finish(),
            OutputKind::Async(_) => f.write_str("Output::Async(..)"),
            OutputKind::Blocking(_) => f.write_str("Output::Blocking(..)"),
        }
    }
}

/// The caller's streams for one task, and how to copy them: Go's
/// `cio.Streams` with its options as builder methods.
///
/// A stream left out is not used: the task gets no FIFO for it.
///
/// # Examples
///
/// ```
/// use cio_copy::{Output, Streams};
///
/// let log = std::fs::File::create(std::env::temp_dir().join("cio-streams-doc.log"))?;
/// let streams = Streams::new()
///     .with_stdout(log)
///     .with_stderr(Output::from_blocking(std::io::sink()))
///     .with_fifo_dir("/run/containerd/fifo");
/// assert!(!streams.terminal());
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct Streams {
    pub(crate) stdin: Option<Input>,
    pub(crate) stdout: Option<Output>,
    pub(crate) stderr: Option<Output>,
    pub(crate) terminal: bool,
    pub(crate) fifo_dir: Option<PathBuf>,
    pub(crate) spawner: Option<Spawner>,
}

impl Streams {
    /// No streams, no terminal, the default FIFO directory and executor.
    pub fn new() -> Self {
        Streams::default()
    }

    /// Feeds the task's stdin from `stdin`. At its end-of-file the task sees
    /// end-of-file too. Go's `WithStreams` stdin.
    pub fn with_stdin(mut self, stdin: impl Into<Input>) -> Self {
        self.stdin = Some(stdin.into());
        self
    }

    /// Sends the task's stdout to `stdout`.
    pub fn with_stdout(mut self, stdout: impl Into<Output>) -> Self {
        self.stdout = Some(stdout.into());
        self
    }

    /// Sends the task's stderr to `stderr`. Ignored with a terminal, which
    /// merges stderr into stdout.
    pub fn with_stderr(mut self, stderr: impl Into<Output>) -> Self {
        self.stderr = Some(stderr.into());
        self
    }

    /// All three at once: Go's `WithStreams`.
    pub fn with_streams(
        self,
        stdin: impl Into<Input>,
        stdout: impl Into<Output>,
        stderr: impl Into<Output>,
    ) -> Self {
        self.with_stdin(stdin)
            .with_stdout(stdout)
            .with_stderr(stderr)
    }

    /// This process's own stdin, stdout and stderr: Go's `WithStdio`.
    ///
    /// The descriptors are duplicated, so the streams stay usable by the
    /// rest of the process; their flags (blocking mode included) are left
    /// alone.
    ///
    /// # Panics
    ///
    /// Panics if the process has run out of file descriptors; use
    /// [`try_with_stdio`](Streams::try_with_stdio) to handle that.
    pub fn with_stdio(self) -> Self {
        self.try_with_stdio()
            .expect("duplicating this process's stdio")
    }

    /// As [`with_stdio`](Streams::with_stdio), reporting a failure to
    /// duplicate the descriptors instead of panicking.
    ///
    /// # Errors
    ///
    /// The error of `dup(2)`, typically `EMFILE`.
    pub fn try_with_stdio(self) -> std::io::Result<Self> {
        let stdin = std::io::stdin().as_fd().try_clone_to_owned()?;
        let stdout = std::io::stdout().as_fd().try_clone_to_owned()?;
        let stderr = std::io::stderr().as_fd().try_clone_to_owned()?;
        Ok(self.with_streams(stdin, stdout, stderr))
    }

    /// Runs the task with a terminal: stderr is merged into stdout, so no
    /// stderr copy is made. Go's `WithTerminal`.
    pub fn with_terminal(mut self) -> Self {
        self.terminal = true;
        self
    }

    /// Where new FIFO sets go (Go's `WithFIFODir`); `/run/containerd/fifo`
    /// when not set.
    pub fn with_fifo_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.fifo_dir = Some(dir.into());
        self
    }

    /// Runs the copies on the caller's executor instead of the small one
    /// this crate keeps. `spawn` is called once per copy, with a future
    /// that must be polled to completion.
    ///
    /// ```
    /// # use cio_copy::Streams;
    /// let pool = futures::executor::ThreadPool::new()?;
    /// let streams = Streams::new().with_spawner(move |copy| pool.spawn_ok(copy));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// With tokio: `let handle = Handle::current();` then
    /// `.with_spawner(move |copy| drop(handle.spawn(copy)))`; with smol,
    /// `.with_spawner(|copy| smol::spawn(copy).detach())`.
    ///
    /// # Caveats
    ///
    /// The copies then run on the caller's threads, which this crate does
    /// not touch: a splice into a pipe or socket whose reader left raises
    /// `SIGPIPE` there. Rust programs ignore it; a caller that restored its
    /// default action must block it on those threads, as this crate does
    /// on its own workers.
    pub fn with_spawner(
        mut self,
        spawn: impl Fn(futures::future::BoxFuture<'static, ()>) + Send + Sync + 'static,
    ) -> Self {
        self.spawner = Some(Spawner::new(spawn));
        self
    }

    /// Whether the task runs with a terminal.
    pub fn terminal(&self) -> bool {
        self.terminal
    }

    /// The FIFO directory, if one was set.
    pub fn fifo_dir(&self) -> Option<&Path> {
        self.fifo_dir.as_deref()
    }

    /// Whether a stdin, stdout and stderr were given, in that order.
    pub fn has_streams(&self) -> [bool; 3] {
        [
            self.stdin.is_some(),
            self.stdout.is_some(),
            self.stderr.is_some(),
        ]
    }
}
