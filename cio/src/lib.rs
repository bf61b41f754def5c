//! Task IO for containerd clients: the Rust counterpart of containerd's Go
//! package `cio`.
//!
//! containerd starts a task with three strings for its standard streams and
//! a terminal flag. A client usually makes named pipes (FIFOs), hands their
//! paths to containerd, and moves bytes between them and its own streams;
//! or it hands log URIs (`file://`, `binary://`) so that the shim writes the
//! logs itself. This crate makes those strings, opens the FIFOs, and copies
//! the bytes, from any async runtime or from none.
//!
//! # A tour
//!
//! The usual client: the caller's streams, copied through a FIFO set made
//! for each task (feature `copy`).
//!
//! ```
//! # #[cfg(feature = "copy")] {
//! use cio::{Creator, Io, Output, Streams};
//! # let dir = std::env::temp_dir().join(format!("cio-tour-{}", std::process::id()));
//!
//! let log = std::fs::File::create(dir.with_extension("log"))?;
//! let creator = cio::new_creator(Streams::new().with_stdout(log).with_fifo_dir(&dir));
//! let io = creator.create("web-1")?;
//!
//! // Hand `io.config()` to containerd and start the task; here, a stand-in
//! // writes to the stdout FIFO as the shim would.
//! std::fs::write(&io.config().stdout, b"listening on :80\n")?;
//!
//! // Once the task has exited: every byte delivered, then clean up.
//! io.wait_blocking()?;
//! io.close()?;
//! assert_eq!(std::fs::read(dir.with_extension("log"))?, b"listening on :80\n");
//! # std::fs::remove_file(dir.with_extension("log"))?;
//! # std::fs::remove_dir(&dir)?;
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The copies run on a small executor of the library's own, a fixed number
//! of threads however many tasks there are, or on the caller's executor
//! ([`Streams::with_spawner`]); `wait` is a future for any runtime, and
//! `wait_blocking` serves callers without one.
//!
//! A FIFO set alone is a private directory and three paths in it (feature
//! `fifo`); its ends open without waiting for the shim:
//!
//! ```
//! # #[cfg(feature = "fifo")] {
//! # let root = std::env::temp_dir().join(format!("cio-tour-set-{}", std::process::id()));
//! let mut fifos = cio::new_fifo_set_in_dir(&root, "web-1", false)?;
//! assert!(fifos.stdout.ends_with("/web-1-stdout"));
//!
//! let stdout = cio::FifoReader::open(&fifos.stdout)?; // returns at once
//! # drop(stdout);
//! fifos.close()?; // removes the directory
//! # std::fs::remove_dir(&root).unwrap();
//! # }
//! # Ok::<(), cio::Error>(())
//! ```
//!
//! A log URI lets the shim write the output itself (feature `log`):
//!
//! ```
//! # #[cfg(feature = "log")] {
//! use cio::Creator;
//!
//! let io = cio::log_file("/var/log/web.log").create("web-1")?;
//! assert_eq!(io.config().stdout, "file:///var/log/web.log");
//! # }
//! # Ok::<(), cio::Error>(())
//! ```
//!
//! # From Go to Rust
//!
//! Every name of Go's `github.com/containerd/containerd/cio`, and where it
//! lives here.
//!
//! | Go | Rust | feature |
//! |---|---|---|
//! | `Config` | [`Config`] | always |
//! | `IO` (`Config`, `Cancel`, `Wait`, `Close`) | [`Io`] (`config`, `cancel`, `wait`/`wait_blocking`, `close`) | always |
//! | `Creator` | [`Creator`]; any `Fn(&str) -> Result<Box<dyn Io>>` is one | always |
//! | `Attach` | [`Attach`]; any `Fn(FifoSet) -> Result<Box<dyn Io>>` is one | always |
//! | `FIFOSet` | [`FifoSet`] | always |
//! | `NewFIFOSet` | [`FifoSet::new`] | always |
//! | `NullIO` | [`null_io`] | always |
//! | `Load` | [`load`] | always |
//! | `NewFIFOSetInDir` | `new_fifo_set_in_dir` | `fifo` |
//! | (the client's `loadFifos`, for a task read back from containerd) | `load_fifo_set` | `fifo` |
//! | `Streams` | `Streams` | `copy` |
//! | `Opt`: `WithStdio`, `WithStreams`, `WithTerminal`, `WithFIFODir` | `Streams::with_stdio`, `with_streams`, `with_terminal`, `with_fifo_dir` (also `with_stdin`, `with_stdout`, `with_stderr`, `with_spawner`) | `copy` |
//! | `NewCreator` | `new_creator` | `copy` |
//! | `NewAttach` | `new_attach` | `copy` |
//! | (the copy inside them) | `copy_io`, `attach_io`, returning a `CopyIo` | `copy` |
//! | `DirectIO` | `DirectIo`; its ends through `take_stdin`, `take_stdout`, `take_stderr` (`DirectWriter`, `DirectReader`) | `direct` |
//! | `NewDirectIO` | `DirectIo::new` | `direct` |
//! | `NewDirectIOFromFIFOSet` | `DirectIo::from_ends` | `direct` |
//! | `LogURIGenerator` | `log_uri_generator`, returning a `LogUri` | `log` |
//! | `LogFile` | `log_file` | `log` |
//! | `LogURI` | `log_uri` | `log` |
//! | `TerminalLogURI` | `terminal_log_uri` | `log` |
//! | `BinaryIO` | `binary_io` | `log` |
//! | `TerminalBinaryIO` | `terminal_binary_io` | `log` |
//! | (none) | `binary_v2_io`, for the shim's `binary-v2` scheme | `log` |
//!
//! Where the Rust side differs: `wait` returns the first copy error, naming
//! its stream (Go drops them); ids that would leave the FIFO directory and
//! paths that are not FIFOs are refused; a creator's streams serve one task.
//!
//! # Features
//!
//! Each part is a crate of its own, re-exported here behind a feature; all
//! are on by default. A user who needs one part can depend on its crate
//! alone.
//!
//! - `copy`: the copy engine and the creators built on it
//!   ([`cio-copy`](https://docs.rs/cio-copy)); turns on `fifo`.
//! - `direct`: the task's FIFO ends handed to the caller
//!   ([`cio-direct`](https://docs.rs/cio-direct)); turns on `fifo`.
//! - `fifo`: FIFO sets and FIFO ends ([`cio-fifo`](https://docs.rs/cio-fifo)).
//! - `log`: log URIs and their creators ([`cio-log`](https://docs.rs/cio-log)).

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "copy")]
mod creator;
mod simple;

pub use crate::simple::{load, null_io};

#[cfg(feature = "copy")]
#[cfg_attr(docsrs, doc(cfg(feature = "copy")))]
pub use crate::creator::{
    DEFAULT_FIFO_DIR, StreamsAttach, StreamsCreator, new_attach, new_creator,
};

#[cfg(feature = "copy")]
#[cfg_attr(docsrs, doc(cfg(feature = "copy")))]
#[doc(inline)]
pub use cio_copy::{CopyIo, Input, Output, Streams, attach_io, copy_io};

pub use cio_types::{
    Attach, BoxFuture, Cleanup, Config, Creator, Error, FifoSet, FileKind, Io, Stream, block_on,
};

#[cfg(feature = "direct")]
#[cfg_attr(docsrs, doc(cfg(feature = "direct")))]
#[doc(inline)]
pub use cio_direct::{DirectIo, DirectReader, DirectWriter};

#[cfg(feature = "fifo")]
#[cfg_attr(docsrs, doc(cfg(feature = "fifo")))]
#[doc(inline)]
pub use cio_fifo::{
    Blocking, FifoReader, FifoWriter, MAX_ID_LEN, OpenOptions, load_fifo_set, new_fifo_set_in_dir,
    validate_id,
};

#[cfg(feature = "log")]
#[cfg_attr(docsrs, doc(cfg(feature = "log")))]
#[doc(inline)]
pub use cio_log::{
    LogCreator, LogUri, NO_ARGS, QueryArg, binary_io, binary_v2_io, log_file, log_uri,
    log_uri_generator, terminal_binary_io, terminal_log_uri,
};
