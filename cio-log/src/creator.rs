//! The creators whose tasks log through the shim: their stdout and stderr
//! are a log URI, not FIFOs.

use std::collections::BTreeMap;

use cio_types::{BoxFuture, Config, Creator, Error, Io};

use crate::uri::{LogUri, QueryArg, log_uri_generator};

/// A [`Creator`] whose tasks write stdout and stderr to one log URI, which
/// the shim handles: it appends to a file or starts a logging program.
///
/// It is made by [`log_file`], [`log_uri`], [`terminal_log_uri`],
/// [`binary_io`], [`terminal_binary_io`] and [`binary_v2_io`]. Each
/// [`create`](Creator::create) gives an [`Io`] whose config has the URI as
/// stdout and stderr, no stdin, and `terminal` set for the terminal forms.
/// That `Io` copies nothing, so its `cancel`, `wait` and `close` do nothing
/// and succeed, however often they are called.
///
/// # Examples
///
/// ```
/// use cio_log::log_file;
/// use cio_types::Creator;
///
/// let creator = log_file("/var/log/web.log");
/// let io = creator.create("web-1")?;
/// assert_eq!(io.config().stdout, "file:///var/log/web.log");
/// io.wait_blocking()?;
/// io.close()?;
/// # Ok::<(), cio_types::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogCreator {
    target: Target,
    terminal: bool,
}

/// Where a [`LogCreator`]'s tasks log.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Target {
    /// A URI made already.
    Uri(LogUri),
    /// A URI made at each `create`, as Go does it, so that a relative path
    /// is reported there.
    Later {
        scheme: &'static str,
        path: String,
        args: BTreeMap<String, String>,
    },
}

impl LogCreator {
    /// A creator for URIs made at `create` time.
    fn later<A: QueryArg>(
        scheme: &'static str,
        path: String,
        args: impl IntoIterator<Item = A>,
        terminal: bool,
    ) -> LogCreator {
        let args = args
            .into_iter()
            .map(|arg| (arg.key().to_owned(), arg.value().to_owned()));
        let target = Target::Later {
            scheme,
            path,
            args: args.collect(),
        };
        LogCreator { target, terminal }
    }

    /// The same creator, with `terminal` set in the configs it makes.
    ///
    /// Go has only the terminal forms [`terminal_log_uri`] and
    /// [`terminal_binary_io`]; this gives the others, such as a terminal
    /// task logging to `binary-v2`.
    ///
    /// # Examples
    ///
    /// ```
    /// use cio_log::{NO_ARGS, binary_v2_io};
    /// use cio_types::Creator;
    ///
    /// let creator = binary_v2_io("/usr/bin/logger", NO_ARGS).with_terminal();
    /// let io = creator.create("tty-1")?;
    /// assert!(io.config().terminal);
    /// assert_eq!(io.config().stdout, "binary-v2:///usr/bin/logger");
    /// # Ok::<(), cio_types::Error>(())
    /// ```
    pub fn with_terminal(mut self) -> LogCreator {
        self.terminal = true;
        self
    }
}

impl Creator for LogCreator {
    /// Makes the task's IO: the URI as stdout and stderr. The id plays no
    /// part; the shim tells a logging program which task it serves.
    ///
    /// # Errors
    ///
    /// [`Error::RelativeLogPath`], naming the path as given, when the path
    /// of [`log_file`] or of a binary is not absolute.
    fn create(&self, _id: &str) -> Result<Box<dyn Io>, Error> {
        let uri = match &self.target {
            Target::Uri(uri) => uri.as_str().to_owned(),
            Target::Later { scheme, path, args } => {
                String::from(log_uri_generator(scheme, path, args)?)
            }
        };
        let config = Config {
            terminal: self.terminal,
            stdin: String::new(),
            stdout: uri.clone(),
            stderr: uri,
        };
        Ok(Box::new(LogIo { config }))
    }
}

/// The IO of a task that logs through the shim: there is nothing to copy
/// and nothing to close.
#[derive(Debug)]
struct LogIo {
    config: Config,
}

impl Io for LogIo {
    fn config(&self) -> &Config {
        &self.config
    }

    fn cancel(&self) {}

    fn wait(&self) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(std::future::ready(Ok(())))
    }

    fn close(&self) -> Result<(), Error> {
        Ok(())
    }
}

/// Logs a task's stdout and stderr to the file at `path`, through the URI
/// `file://<path>`. The shim creates the file, and its directory, if
/// missing, and appends to it.
///
/// # Errors
///
/// None here. [`create`](Creator::create) returns
/// [`Error::RelativeLogPath`] when `path` is not absolute, as Go does.
///
/// # Examples
///
/// ```
/// use cio_log::log_file;
/// use cio_types::{Creator, Error};
///
/// let io = log_file("/var/log/my app.log").create("web-1")?;
/// assert_eq!(io.config().stdout, "file:///var/log/my%20app.log");
/// assert_eq!(io.config().stderr, io.config().stdout);
///
/// match log_file("app.log").create("web-1") {
///     Err(Error::RelativeLogPath { path }) => assert_eq!(path, "app.log"),
///     _ => panic!("a relative path is refused at create"),
/// }
/// # Ok::<(), Error>(())
/// ```
pub fn log_file(path: impl Into<String>) -> LogCreator {
    LogCreator::later("file", path.into(), crate::NO_ARGS, false)
}

/// Logs a task's stdout and stderr to `uri`, which the shim handles.
///
/// # Errors
///
/// None: the URI is checked when it is made or parsed.
///
/// # Examples
///
/// ```
/// use cio_log::{LogUri, log_uri};
/// use cio_types::Creator;
///
/// let uri: LogUri = "binary:///usr/bin/logger?tag=web".parse()?;
/// let io = log_uri(uri).create("web-1")?;
/// assert_eq!(io.config().stdout, "binary:///usr/bin/logger?tag=web");
/// assert!(!io.config().terminal);
/// # Ok::<(), cio_types::Error>(())
/// ```
///
/// # Caveats
///
/// Go's `LogURI` takes any `*url.URL`; this takes a [`LogUri`], so a URI
/// with a host, a fragment or a relative path cannot be passed.
pub fn log_uri(uri: LogUri) -> LogCreator {
    LogCreator {
        target: Target::Uri(uri),
        terminal: false,
    }
}

/// As [`log_uri`], for a task with a terminal.
///
/// # Errors
///
/// None: the URI is checked when it is made or parsed.
///
/// # Examples
///
/// ```
/// use cio_log::{LogUri, terminal_log_uri};
/// use cio_types::Creator;
///
/// let uri: LogUri = "file:///var/log/tty.log".parse()?;
/// let io = terminal_log_uri(uri).create("tty-1")?;
/// assert!(io.config().terminal);
/// assert_eq!(io.config().stdout, "file:///var/log/tty.log");
/// # Ok::<(), cio_types::Error>(())
/// ```
pub fn terminal_log_uri(uri: LogUri) -> LogCreator {
    log_uri(uri).with_terminal()
}

/// Sends a task's stdout and stderr to the logging program `bin`, through
/// the URI `binary://<bin>?<args>`. The shim starts `bin` with each key and
/// value as arguments and hands it the task's output.
///
/// # Errors
///
/// None here. [`create`](Creator::create) returns
/// [`Error::RelativeLogPath`] when `bin` is not absolute, as Go does.
///
/// # Examples
///
/// ```
/// use cio_log::binary_io;
/// use cio_types::Creator;
///
/// let creator = binary_io("/usr/bin/logger", [("tag", "web app")]);
/// let io = creator.create("web-1")?;
/// assert_eq!(io.config().stdout, "binary:///usr/bin/logger?tag=web+app");
/// assert!(io.config().stdin.is_empty());
/// # Ok::<(), cio_types::Error>(())
/// ```
pub fn binary_io<A: QueryArg>(
    bin: impl Into<String>,
    args: impl IntoIterator<Item = A>,
) -> LogCreator {
    LogCreator::later("binary", bin.into(), args, false)
}

/// As [`binary_io`], for a task with a terminal.
///
/// # Errors
///
/// As [`binary_io`].
///
/// # Examples
///
/// ```
/// use cio_log::terminal_binary_io;
/// use cio_types::Creator;
///
/// let creator = terminal_binary_io("/usr/bin/logger", [("id", "1")]);
/// let io = creator.create("tty-1")?;
/// assert!(io.config().terminal);
/// assert_eq!(io.config().stderr, "binary:///usr/bin/logger?id=1");
/// # Ok::<(), cio_types::Error>(())
/// ```
pub fn terminal_binary_io<A: QueryArg>(
    bin: impl Into<String>,
    args: impl IntoIterator<Item = A>,
) -> LogCreator {
    binary_io(bin, args).with_terminal()
}

/// As [`binary_io`], with the scheme `binary-v2`: the shim then waits for
/// the logging program to report it is ready by writing a byte before it
/// closes its readiness pipe, where `binary` takes a bare close as ready.
/// Go's `cio` has no helper for it.
///
/// # Errors
///
/// As [`binary_io`].
///
/// # Examples
///
/// ```
/// use cio_log::binary_v2_io;
/// use cio_types::Creator;
///
/// let io = binary_v2_io("/usr/bin/logger", [("id", "1")]).create("web-1")?;
/// assert_eq!(io.config().stdout, "binary-v2:///usr/bin/logger?id=1");
/// # Ok::<(), cio_types::Error>(())
/// ```
pub fn binary_v2_io<A: QueryArg>(
    bin: impl Into<String>,
    args: impl IntoIterator<Item = A>,
) -> LogCreator {
    LogCreator::later("binary-v2", bin.into(), args, false)
}
