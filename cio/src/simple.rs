//! The IOs that copy nothing: `null_io` and `load`.

use std::sync::Mutex;

use cio_types::{BoxFuture, Config, Error, FifoSet, Io};

/// The IO of a task whose streams all go nowhere: an empty config, which
/// containerd connects to `/dev/null`. Go's `NullIO`.
///
/// A function with the shape of a creator, so that `&cio::null_io` is a
/// [`Creator`](cio_types::Creator).
///
/// # Errors
///
/// Never; the `Result` is the creator's shape.
///
/// # Examples
///
/// ```
/// use cio::Creator;
///
/// let io = cio::null_io.create("quiet")?;
/// assert_eq!(io.config(), &cio::Config::default());
/// # Ok::<(), cio::Error>(())
/// ```
pub fn null_io(_id: &str) -> Result<Box<dyn Io>, Error> {
    Ok(Box::new(Loaded {
        config: Config::default(),
        fifos: Mutex::new(FifoSet::from(Config::default())),
    }))
}

/// An IO that owns `fifos` and copies nothing: its `close` runs the set's
/// cleanup. Go's `Load`, for a client that reconnects to a task only to
/// delete it and remove its FIFOs.
///
/// A function with the shape of an attacher, so that `&cio::load` is an
/// [`Attach`](cio_types::Attach).
///
/// # Errors
///
/// Never; the `Result` is the attacher's shape.
///
/// # Examples
///
/// ```
/// # #[cfg(feature = "fifo")] {
/// # let root = std::env::temp_dir().join(format!("cio-load-doc-{}", std::process::id()));
/// let fifos = cio::new_fifo_set_in_dir(&root, "old", false)?;
/// let dir = std::path::Path::new(&fifos.stdout).parent().unwrap().to_owned();
///
/// let io = cio::load(fifos)?;
/// io.wait_blocking()?; // nothing to wait for
/// io.close()?;
/// assert!(!dir.exists());
/// # std::fs::remove_dir(&root).unwrap();
/// # }
/// # Ok::<(), cio::Error>(())
/// ```
pub fn load(fifos: FifoSet) -> Result<Box<dyn Io>, Error> {
    Ok(Box::new(Loaded {
        config: fifos.config.clone(),
        fifos: Mutex::new(fifos),
    }))
}

#[derive(Debug)]
struct Loaded {
    config: Config,
    fifos: Mutex<FifoSet>,
}

impl Io for Loaded {
    fn config(&self) -> &Config {
        &self.config
    }

    fn cancel(&self) {}

    fn wait(&self) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(async { Ok(()) })
    }

    fn close(&self) -> Result<(), Error> {
        self.fifos
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .close()
    }
}
