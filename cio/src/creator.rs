//! `new_creator` and `new_attach`: the caller's streams, copied to and from
//! a task's FIFOs.

use std::path::Path;
use std::sync::Mutex;

use cio_copy::{CopyIo, Streams, attach_io, copy_io};
use cio_types::{Attach, Creator, Error, FifoSet, Io};

/// Where `new_creator` puts FIFO sets unless told otherwise: the directory
/// containerd's Go client uses.
pub const DEFAULT_FIFO_DIR: &str = "/run/containerd/fifo";

/// A [`Creator`] that makes a FIFO set for the task and copies `streams`
/// through it. Go's `NewCreator`.
///
/// The set goes in the FIFO directory of `streams` ([`DEFAULT_FIFO_DIR`]
/// unless [`Streams::with_fifo_dir`] says otherwise); a stream not given
/// gets an empty path, so that containerd connects it to `/dev/null`.
///
/// The streams serve one task: a second `create` gets
/// [`Error::StreamsTaken`] rather than two tasks sharing one reader.
///
/// # Caveats
///
/// containerd 1.6's runc shim refuses a task whose stdout is set and
/// stderr empty, or the reverse, unless it has a terminal ("opening file
/// \"\" failed"): give both output streams, or neither, to run there
/// (`Output::from_fd` of `/dev/null` discards one at no cost). Go's
/// `NewCreator` has the same limit.
///
/// # Examples
///
/// ```
/// use cio::{Creator, Streams};
/// # let dir = std::env::temp_dir().join(format!("cio-creator-doc-{}", std::process::id()));
///
/// let creator = cio::new_creator(
///     Streams::new().with_stdout(cio::Output::from_blocking(std::io::sink())).with_fifo_dir(&dir),
/// );
/// let io = creator.create("web")?;
/// assert!(io.config().stdout.ends_with("/web-stdout"));
/// assert_eq!(io.config().stdin, "", "no stdin given, no stdin FIFO");
/// assert!(creator.create("web-2").is_err(), "the streams serve one task");
/// io.close()?;
/// # std::fs::remove_dir(&dir).unwrap();
/// # Ok::<(), cio::Error>(())
/// ```
pub fn new_creator(streams: Streams) -> StreamsCreator {
    StreamsCreator {
        streams: Mutex::new(Slot::Free(streams)),
    }
}

/// An [`Attach`] that copies `streams` through the FIFOs of a task that
/// already runs. Go's `NewAttach`.
///
/// The FIFOs must exist: none is created, and a stream whose value is a log
/// URI is refused. The streams serve one task, as with [`new_creator`].
pub fn new_attach(streams: Streams) -> StreamsAttach {
    StreamsAttach {
        streams: Mutex::new(Slot::Free(streams)),
    }
}

/// The [`Creator`] returned by [`new_creator`].
#[derive(Debug)]
pub struct StreamsCreator {
    streams: Mutex<Slot>,
}

/// The [`Attach`] returned by [`new_attach`].
#[derive(Debug)]
pub struct StreamsAttach {
    streams: Mutex<Slot>,
}

/// A caller's streams, until a task takes them.
#[derive(Debug)]
enum Slot {
    Free(Streams),
    /// Taken by the task named.
    Taken(String),
}

impl Slot {
    /// Takes the streams for `task`, once.
    fn take(slot: &Mutex<Slot>, task: &str) -> Result<Streams, Error> {
        let mut slot = slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match std::mem::replace(&mut *slot, Slot::Taken(task.to_owned())) {
            Slot::Free(streams) => Ok(streams),
            Slot::Taken(first) => {
                *slot = Slot::Taken(first.clone());
                Err(Error::StreamsTaken { id: first })
            }
        }
    }

    fn peek<T>(slot: &Mutex<Slot>, f: impl FnOnce(Option<&Streams>) -> T) -> T {
        let slot = slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match &*slot {
            Slot::Free(streams) => f(Some(streams)),
            Slot::Taken(_) => f(None),
        }
    }
}

impl StreamsCreator {
    /// As [`Creator::create`], returning the [`CopyIo`] itself rather than a
    /// `Box<dyn Io>`, for what the trait object hides: above all
    /// [`CopyIo::stdin_closed`], which tells when the caller's stdin has
    /// been delivered whole and its FIFO closed. containerd's shim keeps a
    /// write end of the stdin FIFO open until the client calls `CloseIO`,
    /// so that moment is when to call it: the task then reads end-of-file.
    ///
    /// # Errors
    ///
    /// As [`Creator::create`].
    ///
    /// # Examples
    ///
    /// ```
    /// use cio::{Input, Io, Output, Streams};
    /// # let dir = std::env::temp_dir().join(format!("cio-stdin-doc-{}", std::process::id()));
    ///
    /// let creator = cio::new_creator(
    ///     Streams::new()
    ///         .with_stdin(Input::from_blocking(&b"input\n"[..]))
    ///         .with_stdout(Output::from_blocking(std::io::sink()))
    ///         .with_fifo_dir(&dir),
    /// );
    /// let io = creator.create_copy_io("cat")?;
    ///
    /// // The task's side, as the shim would open it.
    /// let stdin = io.config().stdin.clone();
    /// let task = std::thread::spawn(move || std::fs::read(stdin));
    ///
    /// cio::block_on(io.stdin_closed())?;
    /// // ... here a containerd client calls Tasks.CloseIO(stdin) ...
    /// assert_eq!(task.join().unwrap()?, b"input\n");
    /// io.close()?;
    /// # std::fs::remove_dir(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn create_copy_io(&self, id: &str) -> Result<CopyIo, Error> {
        // Make the FIFO set first: a bad id or directory leaves the streams
        // free for another try.
        let (dir, terminal) = Slot::peek(&self.streams, |streams| {
            let dir = streams
                .and_then(Streams::fifo_dir)
                .unwrap_or(Path::new(DEFAULT_FIFO_DIR));
            (dir.to_owned(), streams.is_some_and(Streams::terminal))
        });
        cio_fifo::validate_id(id)?;
        let streams = Slot::take(&self.streams, id)?;
        let mut fifos = cio_fifo::new_fifo_set_in_dir(&dir, id, terminal)?;

        // A stream not given has no FIFO: containerd uses /dev/null.
        let [stdin, stdout, stderr] = streams.has_streams();
        for (given, path) in [
            (stdin, &mut fifos.config.stdin),
            (stdout, &mut fifos.config.stdout),
            (stderr, &mut fifos.config.stderr),
        ] {
            if !given {
                path.clear();
            }
        }

        copy_io(fifos, streams)
    }
}

impl Creator for StreamsCreator {
    fn create(&self, id: &str) -> Result<Box<dyn Io>, Error> {
        Ok(Box::new(self.create_copy_io(id)?))
    }
}

impl StreamsAttach {
    /// As [`Attach::attach`], returning the [`CopyIo`] itself rather than a
    /// `Box<dyn Io>`; see [`StreamsCreator::create_copy_io`].
    ///
    /// # Errors
    ///
    /// As [`Attach::attach`].
    pub fn attach_copy_io(&self, fifos: FifoSet) -> Result<CopyIo, Error> {
        let first_path = [&fifos.stdout, &fifos.stderr, &fifos.stdin]
            .into_iter()
            .find(|path| !path.is_empty())
            .cloned()
            .unwrap_or_default();
        let streams = Slot::take(&self.streams, &first_path)?;
        attach_io(fifos, streams)
    }
}

impl Attach for StreamsAttach {
    fn attach(&self, fifos: FifoSet) -> Result<Box<dyn Io>, Error> {
        Ok(Box::new(self.attach_copy_io(fifos)?))
    }
}
