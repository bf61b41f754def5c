//! A task's IO configuration together with the cleanup of what backs it.

use std::fmt;
use std::ops::Deref;
use std::path::PathBuf;

use crate::{Config, Error};

/// The cleanup a [`FifoSet`] runs once when it is closed: typically removing
/// the directory that holds the FIFOs.
pub type Cleanup = Box<dyn FnOnce() -> std::io::Result<()> + Send>;

/// A task's IO [`Config`] and the means to clean up what backs it.
///
/// `cio_fifo::new_fifo_set_in_dir` makes one whose cleanup removes the FIFO
/// directory; [`FifoSet::new`] wraps any config, for instance one read back
/// from containerd when attaching to a running task.
///
/// Dropping a `FifoSet` does **not** run its cleanup: the task may outlive
/// this process, and a later client may attach to the same FIFOs. Call
/// [`close`](FifoSet::close) when the task is gone.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use cio_types::{Config, FifoSet};
///
/// let runs = Arc::new(AtomicUsize::new(0));
/// let counter = Arc::clone(&runs);
/// let mut set = FifoSet::new(
///     Config { stdout: "/tmp/dir/t-stdout".into(), ..Config::default() },
///     Some(Box::new(move || {
///         counter.fetch_add(1, Ordering::SeqCst);
///         Ok(())
///     })),
/// );
///
/// assert_eq!(set.stdout, "/tmp/dir/t-stdout");
/// set.close()?;
/// set.close()?;
/// assert_eq!(runs.load(Ordering::SeqCst), 1);
/// # Ok::<(), cio_types::Error>(())
/// ```
pub struct FifoSet {
    /// The configuration handed to containerd.
    pub config: Config,
    cleanup: Option<Cleanup>,
}

impl FifoSet {
    /// Wraps `config`; `cleanup`, if any, runs on the first
    /// [`close`](FifoSet::close).
    pub fn new(config: Config, cleanup: Option<Cleanup>) -> Self {
        FifoSet { config, cleanup }
    }

    /// Runs the cleanup, once. Later calls, and calls on a set without
    /// cleanup, return `Ok(())`.
    ///
    /// # Errors
    ///
    /// [`Error::Cleanup`], naming the set's first path, when the cleanup
    /// fails. The cleanup is not retried.
    pub fn close(&mut self) -> Result<(), Error> {
        let Some(cleanup) = self.cleanup.take() else {
            return Ok(());
        };
        cleanup().map_err(|source| Error::Cleanup {
            path: self.first_path(),
            source,
        })
    }

    /// Whether a cleanup is still to run.
    pub fn has_cleanup(&self) -> bool {
        self.cleanup.is_some()
    }

    /// Splits the set into its config and its pending cleanup, if any.
    pub fn into_parts(mut self) -> (Config, Option<Cleanup>) {
        let cleanup = self.cleanup.take();
        (std::mem::take(&mut self.config), cleanup)
    }

    fn first_path(&self) -> PathBuf {
        let Config {
            stdin,
            stdout,
            stderr,
            ..
        } = &self.config;
        [stdin, stdout, stderr]
            .into_iter()
            .find(|p| !p.is_empty())
            .cloned()
            .unwrap_or_default()
            .into()
    }
}

impl Deref for FifoSet {
    type Target = Config;

    fn deref(&self) -> &Config {
        &self.config
    }
}

impl From<Config> for FifoSet {
    fn from(config: Config) -> Self {
        FifoSet::new(config, None)
    }
}

impl fmt::Debug for FifoSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FifoSet")
            .field("config", &self.config)
            .field("cleanup", &self.cleanup.as_ref().map(|_| ".."))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;

    #[test]
    fn failed_cleanup_names_the_set_and_runs_once() {
        let config = Config {
            stdout: "/x/t-stdout".into(),
            ..Config::default()
        };
        let mut set = FifoSet::new(config, Some(Box::new(|| Err(io::Error::other("busy")))));

        let error = set.close().unwrap_err();
        assert_eq!(
            error.to_string(),
            "cannot clean up the FIFO set of `/x/t-stdout`"
        );
        assert!(set.close().is_ok(), "a failed cleanup is not run again");
    }

    #[test]
    fn into_parts_hands_over_the_cleanup() {
        let set = FifoSet::new(Config::default(), Some(Box::new(|| Ok(()))));
        assert!(set.has_cleanup());
        let (config, cleanup) = set.into_parts();
        assert_eq!(config, Config::default());
        assert!(cleanup.is_some());
    }
}
