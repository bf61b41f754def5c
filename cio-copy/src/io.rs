//! `CopyIo`: the IO of one task whose streams are copied.

use std::future::{Future, poll_fn};
use std::io;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Poll, Waker};

use cio_fifo::{FifoReader, FifoWriter, OpenOptions};
use cio_types::{BoxFuture, Cleanup, Config, Error, FifoSet, Io, Stream};
use futures::FutureExt;

use crate::copy_in::{Source, copy_in};
use crate::copy_out::{Sink, copy_out};
use crate::spawn::Spawner;
use crate::stop::{Stop, Stoppable, Stops, is_stop};
use crate::streams::Streams;

/// Opens the FIFOs of `fifos`, creating any that are missing, and starts
/// one copy per stream given: stdin into its FIFO, the stdout FIFO to
/// stdout, and the stderr FIFO to stderr unless the set has a terminal.
///
/// A stream given whose path in the set is empty is not used (the task has
/// no such stream); a path whose stream is not given is not opened. Opening
/// never waits for the task: the copies wait, holding no thread.
///
/// This is what Go's `NewCreator` and `NewAttach` do once they have their
/// FIFO set.
///
/// # Errors
///
/// - [`Error::NotFifoPath`] when a stream to copy has a value that is not
///   an absolute path, such as a `file://` log URI. Nothing is opened or
///   created then.
/// - [`Error::NotFifo`], [`Error::Create`] or [`Error::Open`] for a FIFO
///   that cannot be opened; the ends opened before it are closed again.
/// - [`Error::Copy`], naming the stream, when a descriptor the caller gave
///   cannot be made ready (duplicated and registered with the reactor: out
///   of descriptors, say); the FIFOs opened are closed again.
/// - [`Error::Copy`] when the shared executor cannot start its threads.
///
/// # Examples
///
/// ```
/// use cio_copy::{Streams, copy_io};
/// use cio_types::Io;
/// # let root = std::env::temp_dir().join(format!("cio-copy-doc-{}", std::process::id()));
///
/// let fifos = cio_fifo::new_fifo_set_in_dir(&root, "echo", false)?;
/// let log = std::env::temp_dir().join(format!("cio-copy-doc-{}.log", std::process::id()));
/// let io = copy_io(fifos, Streams::new().with_stdout(std::fs::File::create(&log)?))?;
///
/// // The task's side, as containerd's shim would open it.
/// std::fs::write(&io.config().stdout, b"hello\n")?;
///
/// io.wait_blocking()?;
/// io.close()?;
/// assert_eq!(std::fs::read(&log)?, b"hello\n");
/// # std::fs::remove_file(&log)?;
/// # std::fs::remove_dir(&root)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn copy_io(fifos: FifoSet, streams: Streams) -> Result<CopyIo, Error> {
    start(fifos, streams, OpenOptions::new().create(true))
}

/// As [`copy_io`], for a task that already runs: the FIFOs must exist, and
/// none is created.
///
/// # Errors
///
/// As [`copy_io`]; a FIFO that is missing is an [`Error::Open`] of kind
/// [`io::ErrorKind::NotFound`].
pub fn attach_io(fifos: FifoSet, streams: Streams) -> Result<CopyIo, Error> {
    start(fifos, streams, OpenOptions::new().create(false))
}

/// The IO of a task whose streams are copied: Go's `cio.IO` as returned by
/// `NewCreator` and `NewAttach`.
///
/// Dropping it stops the copies and closes the FIFOs, but leaves them in
/// place: the task goes on, and another client may attach to it later.
/// [`close`](Io::close) removes them.
///
/// # Cancelling
///
/// [`cancel`](Io::cancel), [`close`](Io::close) and dropping stop every
/// copy at a chunk boundary: no more bytes are taken from a FIFO (or from
/// the caller's stdin), and a copy waiting for bytes or for room ends at
/// once. A chunk a copy had already taken is still handed to its sink, so
/// that a client that drops its `CopyIo` and a client that attaches after
/// it together get every byte. With a descriptor as the sink, bytes move by
/// `splice(2)` and no chunk is ever held in this process.
///
/// # Caveats
///
/// A sink that does not take that last chunk within five seconds of the
/// cancel (a writer stuck in `Pending`, or a blocking write that has not
/// begun) is dropped with it, and the chunk is lost: a cancel never waits
/// longer than that. Bytes the caller's stdin gives after a cancel are not
/// delivered.
pub struct CopyIo {
    config: Config,
    shared: Arc<Shared>,
    /// The FIFO set's cleanup, until `close` runs it.
    cleanup: Mutex<Option<Cleanup>>,
}

impl std::fmt::Debug for CopyIo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CopyIo")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl CopyIo {
    /// Resolves once the stdin copy has ended: every byte of the caller's
    /// stdin is in the FIFO and the FIFO is closed, so that the task reads
    /// end-of-file after the last byte. Resolves at once when no stdin is
    /// copied.
    ///
    /// With containerd, the shim keeps its own write end of the stdin FIFO,
    /// and the task sees end-of-file only when the client calls `CloseIO`:
    /// that is the moment to do it.
    ///
    /// # Errors
    ///
    /// The stdin copy's error, if it failed, as an [`Error::Copy`] naming
    /// stdin, or [`Error::Cancelled`].
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the future changes nothing.
    pub fn stdin_closed(&self) -> impl Future<Output = Result<(), Error>> + Send + '_ {
        poll_fn(move |cx| {
            let mut state = self.shared.lock();
            match &state.stdin {
                StdinState::Running => {
                    register(&mut state.stdin_waiters, cx.waker());
                    Poll::Pending
                }
                StdinState::Done(None) => Poll::Ready(Ok(())),
                StdinState::Done(Some(error)) => Poll::Ready(Err(duplicate(error))),
            }
        })
    }
}

impl Io for CopyIo {
    fn config(&self) -> &Config {
        &self.config
    }

    fn cancel(&self) {
        self.shared.cancel();
    }

    fn wait(&self) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(poll_fn(move |cx| {
            let mut state = self.shared.lock();
            if state.running_outputs > 0 {
                register(&mut state.waiters, cx.waker());
                return Poll::Pending;
            }
            Poll::Ready(
                state
                    .error
                    .as_ref()
                    .map_or(Ok(()), |error| Err(duplicate(error))),
            )
        }))
    }

    fn close(&self) -> Result<(), Error> {
        self.shared.cancel();
        let cleanup = self
            .cleanup
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        FifoSet::new(self.config.clone(), cleanup).close()
    }
}

impl Drop for CopyIo {
    fn drop(&mut self) {
        self.shared.cancel();
    }
}

/// What the copies of one task share with its `CopyIo`.
#[derive(Debug, Default)]
struct Shared {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Output copies not finished yet.
    running_outputs: usize,
    /// The first error of any copy; boxed, as the state of every idle task
    /// would otherwise carry an error's size.
    error: Option<Box<Error>>,
    /// How to stop the copies.
    stops: Arc<Stops>,
    /// Callers of `wait`.
    waiters: Vec<Waker>,
    stdin: StdinState,
    /// Callers of `stdin_closed`.
    stdin_waiters: Vec<Waker>,
}

#[derive(Debug)]
enum StdinState {
    Running,
    Done(Option<Box<Error>>),
}

impl Default for StdinState {
    fn default() -> Self {
        StdinState::Done(None)
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn cancel(&self) {
        self.lock().stops.stop();
    }

    /// Records the end of a copy and wakes whoever waits for it; `None` is
    /// a copy dropped at the end of its grace after a stop.
    fn finish(&self, stream: Stream, result: Option<io::Result<u64>>) {
        let error = match result {
            Some(Ok(_)) => None,
            Some(Err(source)) if is_stop(&source) => Some(Error::Cancelled { stream }),
            Some(Err(source)) => Some(Error::Copy { stream, source }),
            None => Some(Error::Cancelled { stream }),
        }
        .map(Box::new);

        let mut state = self.lock();
        if state.error.is_none()
            && let Some(error) = &error
        {
            state.error = Some(Box::new(duplicate(error)));
        }
        let wake = match stream {
            Stream::Stdin => {
                state.stdin = StdinState::Done(error);
                std::mem::take(&mut state.stdin_waiters)
            }
            Stream::Stdout | Stream::Stderr => {
                state.running_outputs -= 1;
                match state.running_outputs {
                    0 => std::mem::take(&mut state.waiters),
                    _ => Vec::new(),
                }
            }
        };
        drop(state);
        wake.into_iter().for_each(Waker::wake);
    }
}

/// Adds `waker` to `waiters` unless an equivalent one is there.
fn register(waiters: &mut Vec<Waker>, waker: &Waker) {
    if !waiters.iter().any(|w| w.will_wake(waker)) {
        waiters.push(waker.clone());
    }
}

/// A copy of one of the errors a copy records, for every caller of `wait`.
fn duplicate(error: &Error) -> Error {
    match error {
        Error::Copy { stream, source } => Error::Copy {
            stream: *stream,
            source: io::Error::new(source.kind(), source.to_string()),
        },
        Error::Cancelled { stream } => Error::Cancelled { stream: *stream },
        other => Error::Copy {
            stream: other.stream().unwrap_or(Stream::Stdout),
            source: io::Error::new(other.kind(), other.to_string()),
        },
    }
}

/// The ends this task's copies need, opened.
struct Ends {
    stdin: Option<(Source, FifoWriter)>,
    stdout: Option<(Sink, FifoReader)>,
    stderr: Option<(Sink, FifoReader)>,
}

/// Starts the copies of `fifos`; on failure, closes the set as Go does, so
/// that a set made for this task leaves nothing behind.
fn start(mut fifos: FifoSet, streams: Streams, open: &OpenOptions) -> Result<CopyIo, Error> {
    match start_copies(&fifos.config, streams, open) {
        Ok(shared) => {
            let (config, cleanup) = fifos.into_parts();
            Ok(CopyIo {
                config,
                shared,
                cleanup: Mutex::new(cleanup),
            })
        }
        Err(error) => {
            // The first error is the one worth reporting.
            let _ = fifos.close();
            Err(error)
        }
    }
}

fn start_copies(
    config: &Config,
    streams: Streams,
    open: &OpenOptions,
) -> Result<Arc<Shared>, Error> {
    let Streams {
        stdin,
        stdout,
        stderr,
        spawner,
        ..
    } = streams;

    // Pair each stream with its path; a stream without a path, or a path
    // without a stream, is not used. Terminals carry no stderr.
    let stdin = stdin.zip(path_of(Stream::Stdin, &config.stdin)?);
    let stdout = stdout.zip(path_of(Stream::Stdout, &config.stdout)?);
    let stderr = match config.terminal {
        true => None,
        false => stderr.zip(path_of(Stream::Stderr, &config.stderr)?),
    };

    // Open every end, and ready the caller's streams, before starting any
    // copy: a failure leaves nothing running, and the ends opened so far
    // are closed as they drop.
    let output = |stream, (output, path)| {
        let fifo = open.open_reader(path)?;
        let sink = Sink::new(output).map_err(|source| Error::Copy { stream, source })?;
        Ok((sink, fifo))
    };
    let ends = Ends {
        stdin: stdin
            .map(|(input, path)| {
                let fifo = open.open_writer(path)?;
                let source = Source::new(input).map_err(|source| Error::Copy {
                    stream: Stream::Stdin,
                    source,
                })?;
                Ok((source, fifo))
            })
            .transpose()?,
        stdout: stdout.map(|end| output(Stream::Stdout, end)).transpose()?,
        stderr: stderr.map(|end| output(Stream::Stderr, end)).transpose()?,
    };

    let spawner = match spawner {
        Some(spawner) => spawner,
        None => Spawner::shared().map_err(|source| Error::Copy {
            stream: Stream::Stdout,
            source,
        })?,
    };

    let shared = Arc::new(Shared::default());
    let stops = Arc::clone(&shared.lock().stops);
    if let Some((input, fifo)) = ends.stdin {
        shared.lock().stdin = StdinState::Running;
        let stop = Stop::new(&stops, Stream::Stdin);
        let copy = copy_in(input, fifo, stop.clone());
        spawn(&spawner, &shared, Stream::Stdin, stop, copy);
    }
    for (stream, end) in [(Stream::Stdout, ends.stdout), (Stream::Stderr, ends.stderr)] {
        if let Some((output, fifo)) = end {
            shared.lock().running_outputs += 1;
            let stop = Stop::new(&stops, stream);
            let copy = copy_out(fifo, output, stop.clone());
            spawn(&spawner, &shared, stream, stop, copy);
        }
    }

    Ok(shared)
}

/// The path of `stream`, if it has one; an error if it is not the absolute
/// path a FIFO needs.
fn path_of(stream: Stream, value: &str) -> Result<Option<&Path>, Error> {
    match value {
        "" => Ok(None),
        path if path.starts_with('/') => Ok(Some(Path::new(path))),
        other => Err(Error::NotFifoPath {
            stream,
            value: other.to_owned(),
        }),
    }
}

/// Spawns one copy, stoppable through `stop`, one of the shared state's
/// stops; its end is recorded once the copy, and everything it holds, is
/// dropped.
///
/// Combinators, not an `async` block: a block would keep the copy's future
/// twice in its state, once as a capture and once as the value it awaits.
fn spawn(
    spawner: &Spawner,
    shared: &Arc<Shared>,
    stream: Stream,
    stop: Stop,
    copy: impl Future<Output = io::Result<u64>> + Send + 'static,
) {
    // `Stoppable` drops the copy before it reports the end.
    let shared = Arc::clone(shared);
    let copy = Stoppable::new(copy, stop);
    spawner.spawn(copy.map(move |result| shared.finish(stream, result)));
}
