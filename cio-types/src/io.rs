//! The traits a containerd client programs against.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::{Config, Error, FifoSet};

/// A boxed, sendable future, as returned by [`Io::wait`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The IO of one task: the [`Config`] handed to containerd, and the copies
/// (if any) that move bytes between the task and the caller.
///
/// A client creates it before the task, passes [`config`](Io::config) to
/// containerd, and once the task has exited waits for the output to drain and
/// closes it:
///
/// ```
/// # use cio_types::{Config, Error, Io, BoxFuture};
/// # struct Fake(Config);
/// # impl Io for Fake {
/// #     fn config(&self) -> &Config { &self.0 }
/// #     fn cancel(&self) {}
/// #     fn wait(&self) -> BoxFuture<'_, Result<(), Error>> { Box::pin(async { Ok(()) }) }
/// #     fn close(&self) -> Result<(), Error> { Ok(()) }
/// # }
/// # let io = Fake(Config::default());
/// // ... the task has exited ...
/// io.wait_blocking()?; // every byte of stdout and stderr is delivered
/// io.close()?;         // FIFOs closed and removed
/// # Ok::<(), Error>(())
/// ```
pub trait Io: Send + Sync {
    /// The streams to hand to containerd for this task.
    fn config(&self) -> &Config;

    /// Stops every copy now: no more bytes are taken from the task or the
    /// caller, and a pending [`wait`](Io::wait) resolves promptly. Whether
    /// a chunk a copy already holds still reaches its sink is the
    /// implementation's to say (cio-copy's `CopyIo` hands it over, within a
    /// bound).
    fn cancel(&self);

    /// Resolves when every output copy has ended, that is when the task side
    /// of stdout and stderr closed and every byte reached the caller's
    /// streams. Stdin is not waited for.
    ///
    /// # Errors
    ///
    /// The first copy error, naming its stream. A copy cut short by
    /// [`cancel`](Io::cancel) reports [`Error::Cancelled`].
    fn wait(&self) -> BoxFuture<'_, Result<(), Error>>;

    /// [`wait`](Io::wait) for callers without an async runtime: blocks the
    /// current thread until the copies have ended.
    ///
    /// # Errors
    ///
    /// As [`wait`](Io::wait).
    fn wait_blocking(&self) -> Result<(), Error> {
        crate::block_on(self.wait())
    }

    /// Stops the copies, closes every FIFO end and runs the FIFO set's
    /// cleanup. Closing twice is not an error.
    ///
    /// # Errors
    ///
    /// The cleanup's error, if it fails.
    fn close(&self) -> Result<(), Error>;
}

impl std::fmt::Debug for dyn Io + '_ {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Io")
            .field("config", self.config())
            .finish_non_exhaustive()
    }
}

/// Forwards every method of [`Io`] through a pointer type.
macro_rules! forward_io {
    ($($pointer:ident),*) => {
        $(impl<T: Io + ?Sized> Io for $pointer<T> {
            fn config(&self) -> &Config {
                (**self).config()
            }

            fn cancel(&self) {
                (**self).cancel();
            }

            fn wait(&self) -> BoxFuture<'_, Result<(), Error>> {
                (**self).wait()
            }

            fn wait_blocking(&self) -> Result<(), Error> {
                (**self).wait_blocking()
            }

            fn close(&self) -> Result<(), Error> {
                (**self).close()
            }
        })*
    };
}

forward_io!(Box, Arc);

/// Makes the IO of a new task, given the task's id.
///
/// Any `Fn(&str) -> Result<Box<dyn Io>, Error>` is a `Creator`:
///
/// ```
/// use cio_types::{Creator, Error, Io};
///
/// fn use_creator(creator: &dyn Creator) -> Result<(), Error> {
///     let _io = creator.create("task-1")?;
///     Ok(())
/// }
///
/// let refuse = |id: &str| -> Result<Box<dyn Io>, Error> {
///     Err(Error::InvalidId { id: id.into(), reason: "no tasks today" })
/// };
/// assert!(use_creator(&refuse).is_err());
/// ```
pub trait Creator: Send + Sync {
    /// Creates the IO of task `id`.
    ///
    /// # Errors
    ///
    /// Whatever stops the IO from being made: a bad id, a directory that
    /// cannot be created, a FIFO that cannot be opened.
    fn create(&self, id: &str) -> Result<Box<dyn Io>, Error>;
}

impl<F> Creator for F
where
    F: Fn(&str) -> Result<Box<dyn Io>, Error> + Send + Sync,
{
    fn create(&self, id: &str) -> Result<Box<dyn Io>, Error> {
        self(id)
    }
}

/// Attaches to the FIFOs of a task that already runs, typically after
/// reading its [`Config`] back from containerd.
///
/// Any `Fn(FifoSet) -> Result<Box<dyn Io>, Error>` is an `Attach`.
pub trait Attach: Send + Sync {
    /// Opens the FIFOs of `fifos` and starts copying.
    ///
    /// # Errors
    ///
    /// Whatever stops the attach: a path that is not a FIFO, a FIFO that
    /// cannot be opened.
    fn attach(&self, fifos: FifoSet) -> Result<Box<dyn Io>, Error>;
}

impl<F> Attach for F
where
    F: Fn(FifoSet) -> Result<Box<dyn Io>, Error> + Send + Sync,
{
    fn attach(&self, fifos: FifoSet) -> Result<Box<dyn Io>, Error> {
        self(fifos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};

    struct Recorder {
        config: Config,
        cancelled: AtomicBool,
    }

    impl Io for Recorder {
        fn config(&self) -> &Config {
            &self.config
        }

        fn cancel(&self) {
            self.cancelled.store(true, Ordering::SeqCst);
        }

        fn wait(&self) -> BoxFuture<'_, Result<(), Error>> {
            Box::pin(async move {
                match self.cancelled.load(Ordering::SeqCst) {
                    true => Err(Error::Cancelled {
                        stream: crate::Stream::Stdout,
                    }),
                    false => Ok(()),
                }
            })
        }

        fn close(&self) -> Result<(), Error> {
            Ok(())
        }
    }

    fn recorder(stdout: &str) -> Box<dyn Io> {
        let config = Config {
            stdout: stdout.into(),
            ..Config::default()
        };
        Box::new(Recorder {
            config,
            cancelled: AtomicBool::new(false),
        })
    }

    #[test]
    fn closures_are_creators_and_attachers() {
        let creator = |id: &str| Ok(recorder(&format!("/f/{id}-stdout")));
        let io = Creator::create(&creator, "t1").unwrap();
        assert_eq!(io.config().stdout, "/f/t1-stdout");

        let attach = |fifos: FifoSet| Ok(recorder(&fifos.stdout));
        let set = FifoSet::from(Config {
            stdout: "/g/t2-stdout".into(),
            ..Config::default()
        });
        let io = Attach::attach(&attach, set).unwrap();
        assert_eq!(io.config().stdout, "/g/t2-stdout");
    }

    #[test]
    fn wait_blocking_drives_wait() {
        let io = recorder("/f/x");
        assert!(io.wait_blocking().is_ok());
        io.cancel();
        assert!(matches!(io.wait_blocking(), Err(Error::Cancelled { .. })));
    }
}
