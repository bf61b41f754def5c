//! [`DirectIo`]: a task's FIFOs opened and handed to the caller, with no
//! copying in between.

use std::future::poll_fn;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::Poll;

use cio_fifo::{FifoReader, FifoWriter, OpenOptions};
use cio_types::{BoxFuture, Config, Error, FifoSet, Io, Stream};

use crate::slot::{Slot, Stop};
use crate::{DirectReader, DirectWriter};

/// A task's IO whose FIFO ends go to the caller, who reads the task's stdout
/// and stderr and writes its stdin itself.
///
/// [`new`](DirectIo::new) opens the FIFOs of a [`FifoSet`] at once (no open
/// waits for the shim); [`take_stdin`](DirectIo::take_stdin),
/// [`take_stdout`](DirectIo::take_stdout) and
/// [`take_stderr`](DirectIo::take_stderr) hand each end out once, as a
/// [`DirectWriter`] or [`DirectReader`] that works from any async runtime,
/// or blocking from a plain thread. Pass [`config`](Io::config) to
/// containerd to create the task.
///
/// This is Go's `DirectIO`. Go exposes the ends as public fields; here they
/// are taken, like the pipes of [`std::process::Child`], and the io keeps a
/// hold on each so that [`cancel`](Io::cancel) and [`close`](Io::close) reach
/// an end the caller is using in another task or thread.
///
/// # What the [`Io`] methods do here
///
/// - [`cancel`](Io::cancel) makes every pending and later operation on
///   every end fail with [`ConnectionAborted`], waking the tasks and threads
///   that wait on them. The descriptors stay open until the handles are
///   dropped or the io is closed.
/// - [`close`](Io::close) does the same, closes every descriptor, even of
///   the ends the caller still holds, and runs the set's cleanup (for a set
///   from `new_fifo_set_in_dir`, that removes the FIFO directory). A second
///   close is `Ok`.
/// - [`wait`](Io::wait) resolves when the caller is done with the output
///   ends it took: each read end-of-file or was dropped. So the usual
///   sequence, wait then close, loses no output. Go's `Wait` returns at
///   once; that would let a close cut off a reader still draining.
///
/// Dropping the io without closing it closes the ends never taken; the ends
/// taken keep working, and the cleanup does not run (the task may outlive
/// this process).
///
/// [`ConnectionAborted`]: std::io::ErrorKind::ConnectionAborted
///
/// # Examples
///
/// A task (here `sh`) writes to its stdout FIFO; the caller reads it:
///
/// ```
/// use std::io::Read;
/// use std::process::Command;
/// use cio_direct::DirectIo;
/// use cio_types::Io;
///
/// # let root = std::env::temp_dir().join(format!("cio-doc-direct-{}", std::process::id()));
/// let fifos = cio_fifo::new_fifo_set_in_dir(&root, "hello", false)?;
/// let io = DirectIo::new(fifos)?;
/// let mut stdout = io.take_stdout().expect("the set has a stdout").into_blocking();
///
/// // The task opens its end whenever it starts; the read waits for it.
/// let mut task = Command::new("sh")
///     .args(["-c", r#"echo hi > "$1""#, "sh", &io.config().stdout])
///     .spawn()?;
/// let mut output = String::new();
/// stdout.read_to_string(&mut output)?;
/// assert_eq!(output, "hi\n");
/// assert!(task.wait()?.success());
///
/// io.wait_blocking()?; // stdout read to the end, stderr never taken
/// io.close()?;
/// assert!(!std::path::Path::new(&io.config().stdout).exists());
/// # std::fs::remove_dir(&root)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct DirectIo {
    config: Config,
    fifos: Mutex<FifoSet>,
    stdin: Option<Arc<Slot<FifoWriter>>>,
    stdout: Option<Arc<Slot<FifoReader>>>,
    stderr: Option<Arc<Slot<FifoReader>>>,
}

/// The ends of a set, each present when the set uses its stream.
type Ends = (Option<FifoWriter>, Option<FifoReader>, Option<FifoReader>);

impl DirectIo {
    /// Opens the FIFOs of `fifos`, creating each FIFO that is missing: the
    /// write end of `stdin` when it is set, the read end of `stdout` when it
    /// is set, and of `stderr` when it is set and the set has no terminal (a
    /// terminal merges stderr into stdout, so its FIFO is neither opened nor
    /// created). No open waits for the task's side.
    ///
    /// This is Go's `NewDirectIO`.
    ///
    /// # Errors
    ///
    /// - [`Error::NotFifoPath`] when a stream to open is not an absolute path
    ///   (a `file://` or `binary://` log URI, say). Every stream is checked
    ///   before anything is created, so no FIFO is made.
    /// - [`Error::NotFifo`], [`Error::Create`] or [`Error::Open`] when a FIFO
    ///   cannot be made or opened; see [`cio_fifo::OpenOptions`].
    ///
    /// On error the ends already opened are closed, and the set, which the
    /// call consumed, is closed too, running its cleanup as Go does; an
    /// error of that cleanup is dropped in favour of the first one.
    ///
    /// # Examples
    ///
    /// ```
    /// use cio_direct::DirectIo;
    /// use cio_types::{Config, Error, FifoSet, Stream};
    ///
    /// // A log URI is for the shim to handle, not a FIFO to open.
    /// let set = FifoSet::from(Config {
    ///     stdout: "file:///var/log/web.log".into(),
    ///     ..Config::default()
    /// });
    /// let error = DirectIo::new(set).unwrap_err();
    /// assert!(matches!(error, Error::NotFifoPath { stream: Stream::Stdout, .. }));
    /// ```
    pub fn new(fifos: FifoSet) -> Result<DirectIo, Error> {
        match open_ends(&fifos) {
            Ok((stdin, stdout, stderr)) => Ok(DirectIo::from_ends(fifos, stdin, stdout, stderr)),
            Err(error) => {
                // The set is consumed and cannot be handed back: clean up
                // what backs it rather than leave it behind.
                let mut fifos = fifos;
                let _ = fifos.close();
                Err(error)
            }
        }
    }

    /// Makes the io of `fifos` from ends already opened, for instance with
    /// [`OpenOptions::create`] off when attaching to a running task.
    ///
    /// The ends are taken as given: nothing checks that they match the set's
    /// paths or its terminal flag. The set's cleanup runs on
    /// [`close`](Io::close).
    ///
    /// This is Go's `NewDirectIOFromFIFOSet`, which takes any reader and
    /// writer; here the ends are FIFO ends, so that a blocked one can be
    /// woken and its descriptor closed.
    ///
    /// # Examples
    ///
    /// ```
    /// use cio_direct::DirectIo;
    /// use cio_fifo::FifoReader;
    /// use cio_types::Io;
    ///
    /// # let root = std::env::temp_dir().join(format!("cio-doc-ends-{}", std::process::id()));
    /// let fifos = cio_fifo::new_fifo_set_in_dir(&root, "web", false)?;
    /// let stdout = FifoReader::open(&fifos.stdout)?;
    /// let io = DirectIo::from_ends(fifos, None, Some(stdout), None);
    ///
    /// assert!(io.take_stdin().is_none());
    /// assert!(io.take_stdout().is_some());
    /// io.close()?;
    /// # std::fs::remove_dir(&root).unwrap();
    /// # Ok::<(), cio_types::Error>(())
    /// ```
    pub fn from_ends(
        fifos: FifoSet,
        stdin: Option<FifoWriter>,
        stdout: Option<FifoReader>,
        stderr: Option<FifoReader>,
    ) -> DirectIo {
        let stdin = stdin.map(|end| slot(Stream::Stdin, end.path().to_owned(), end));
        let stdout = stdout.map(|end| slot(Stream::Stdout, end.path().to_owned(), end));
        let stderr = stderr.map(|end| slot(Stream::Stderr, end.path().to_owned(), end));
        DirectIo {
            config: fifos.config.clone(),
            fifos: Mutex::new(fifos),
            stdin,
            stdout,
            stderr,
        }
    }

    /// The write end of the task's stdin, the first time it is asked for;
    /// `None` afterwards, and when the set has no stdin.
    pub fn take_stdin(&self) -> Option<DirectWriter> {
        let slot = self.stdin.as_ref().filter(|slot| slot.take())?;
        Some(DirectWriter::new(Arc::clone(slot)))
    }

    /// The read end of the task's stdout, the first time it is asked for;
    /// `None` afterwards, and when the set has no stdout.
    ///
    /// Take it before calling [`wait`](Io::wait): an end not taken is not
    /// waited for.
    pub fn take_stdout(&self) -> Option<DirectReader> {
        let slot = self.stdout.as_ref().filter(|slot| slot.take())?;
        Some(DirectReader::new(Arc::clone(slot)))
    }

    /// The read end of the task's stderr, the first time it is asked for;
    /// `None` afterwards, and when the set has no stderr or a terminal.
    ///
    /// Take it before calling [`wait`](Io::wait): an end not taken is not
    /// waited for.
    pub fn take_stderr(&self) -> Option<DirectReader> {
        let slot = self.stderr.as_ref().filter(|slot| slot.take())?;
        Some(DirectReader::new(Arc::clone(slot)))
    }

    /// Stops every end for `stop`.
    fn stop(&self, stop: Stop) {
        if let Some(slot) = &self.stdin {
            slot.stop(stop);
        }
        for slot in [&self.stdout, &self.stderr].into_iter().flatten() {
            slot.stop(stop);
        }
    }
}

impl Io for DirectIo {
    /// The set's configuration, to hand to containerd.
    fn config(&self) -> &Config {
        &self.config
    }

    /// Makes every pending and later operation on every end fail with
    /// [`ConnectionAborted`](std::io::ErrorKind::ConnectionAborted), and
    /// wakes the tasks and threads waiting on them. Bytes still in a FIFO
    /// stay there.
    fn cancel(&self) {
        self.stop(Stop::Cancelled);
    }

    /// Resolves when the caller is done with each output end it took: the
    /// end read end-of-file (a read of zero bytes into a non-empty buffer),
    /// or its handle was closed or dropped. Ends never taken, and stdin, are
    /// not waited for.
    ///
    /// # Errors
    ///
    /// [`Error::Cancelled`], naming the stream, when the io was cancelled or
    /// closed while the caller still used that end.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: the future only watches, and dropping it loses nothing.
    fn wait(&self) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(poll_fn(move |cx| {
            let mut pending = false;
            for slot in [&self.stdout, &self.stderr].into_iter().flatten() {
                match slot.poll_done(cx) {
                    Poll::Ready(Ok(())) => {}
                    Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                    Poll::Pending => pending = true,
                }
            }
            match pending {
                true => Poll::Pending,
                false => Poll::Ready(Ok(())),
            }
        }))
    }

    /// Cancels every end, closes every descriptor (the caller's handles then
    /// only return errors) and runs the set's cleanup. Closing again is
    /// `Ok`.
    ///
    /// # Errors
    ///
    /// [`Error::Cleanup`] when the set's cleanup fails; it is not retried.
    fn close(&self) -> Result<(), Error> {
        self.stop(Stop::Closed);
        let mut fifos = self.fifos.lock().unwrap_or_else(PoisonError::into_inner);
        fifos.close()
    }
}

/// A shared slot for `end`.
fn slot<T>(stream: Stream, path: std::path::PathBuf, end: T) -> Arc<Slot<T>> {
    Arc::new(Slot::new(stream, path, end))
}

/// Opens the ends `config` uses, after checking that each is a FIFO path.
fn open_ends(config: &Config) -> Result<Ends, Error> {
    // Check every stream before anything is created.
    let stdin = fifo_path(Stream::Stdin, &config.stdin)?;
    let stdout = fifo_path(Stream::Stdout, &config.stdout)?;
    let stderr = match config.terminal {
        true => None,
        false => fifo_path(Stream::Stderr, &config.stderr)?,
    };

    // Open each end; on an error, those already open are dropped, and so
    // closed, on the way out.
    let options = OpenOptions::new();
    let stdin = stdin.map(|path| options.open_writer(path)).transpose()?;
    let stdout = stdout.map(|path| options.open_reader(path)).transpose()?;
    let stderr = stderr.map(|path| options.open_reader(path)).transpose()?;
    Ok((stdin, stdout, stderr))
}

/// The FIFO path of `stream`: `None` when the stream is unused.
///
/// # Errors
///
/// [`Error::NotFifoPath`] when `value` is not an absolute path.
fn fifo_path(stream: Stream, value: &str) -> Result<Option<&Path>, Error> {
    if value.is_empty() {
        return Ok(None);
    }
    let path = Path::new(value);
    match path.is_absolute() {
        true => Ok(Some(path)),
        false => Err(Error::NotFifoPath {
            stream,
            value: value.to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_absolute_paths_are_fifo_paths() {
        assert!(matches!(fifo_path(Stream::Stdin, ""), Ok(None)));
        assert!(matches!(
            fifo_path(Stream::Stdout, "/run/f/t-stdout"),
            Ok(Some(_))
        ));
        for value in ["file:///var/log/t.log", "binary:///bin/log?x=1", "t-stderr"] {
            match fifo_path(Stream::Stderr, value) {
                Err(Error::NotFifoPath { stream, value: got }) => {
                    assert_eq!(stream, Stream::Stderr);
                    assert_eq!(got, value);
                }
                other => panic!("{value:?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn a_terminal_stderr_is_not_checked_since_it_is_not_opened() {
        let config = Config {
            terminal: true,
            stderr: "file:///var/log/t.log".into(),
            ..Config::default()
        };
        let (stdin, stdout, stderr) = open_ends(&config).unwrap();
        assert!(stdin.is_none() && stdout.is_none() && stderr.is_none());
    }

    #[test]
    fn an_empty_set_has_no_ends_and_waits_for_nothing() {
        let io = DirectIo::new(FifoSet::from(Config::default())).unwrap();
        assert!(io.take_stdin().is_none());
        assert!(io.take_stdout().is_none());
        assert!(io.take_stderr().is_none());

        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        assert!(matches!(
            io.wait().as_mut().poll(&mut cx),
            Poll::Ready(Ok(()))
        ));
        assert!(io.close().is_ok());
    }

    #[test]
    fn the_io_is_send_and_sync_and_so_are_its_ends() {
        fn check<T: Send + Sync>() {}
        check::<DirectIo>();
        check::<DirectReader>();
        check::<DirectWriter>();
    }
}
