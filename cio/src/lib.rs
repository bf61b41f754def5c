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
//! A FIFO set is a private directory and the three paths in it
//! (feature `fifo`):
//!
//! ```
//! # #[cfg(feature = "fifo")] {
//! # let root = std::env::temp_dir().join(format!("cio-tour-{}", std::process::id()));
//! let mut fifos = cio::new_fifo_set_in_dir(&root, "web-1", false)?;
//! assert!(fifos.stdout.ends_with("/web-1-stdout"));
//!
//! // Opening never waits for the shim: the read end is ready at once.
//! let stdout = cio::FifoReader::open(&fifos.stdout)?;
//! # drop(stdout);
//!
//! // ... hand `fifos.config` to containerd, run the task ...
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
//! | `NewFIFOSetInDir` | `new_fifo_set_in_dir` | `fifo` |
//! | `LogURIGenerator` | `log_uri_generator`, returning a `LogUri` | `log` |
//! | `LogFile` | `log_file` | `log` |
//! | `LogURI` | `log_uri` | `log` |
//! | `TerminalLogURI` | `terminal_log_uri` | `log` |
//! | `BinaryIO` | `binary_io` | `log` |
//! | `TerminalBinaryIO` | `terminal_binary_io` | `log` |
//! | (none) | `binary_v2_io`, for the shim's `binary-v2` scheme | `log` |
//!
//! # Features
//!
//! Each part is a crate of its own, re-exported here behind a feature; all
//! are on by default. A user who needs one part can depend on its crate
//! alone.
//!
//! - `fifo`: FIFO sets and FIFO ends ([`cio-fifo`](https://docs.rs/cio-fifo)).
//! - `log`: log URIs and their creators ([`cio-log`](https://docs.rs/cio-log)).

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use cio_types::{
    Attach, BoxFuture, Cleanup, Config, Creator, Error, FifoSet, FileKind, Io, Stream, block_on,
};

#[cfg(feature = "fifo")]
#[cfg_attr(docsrs, doc(cfg(feature = "fifo")))]
#[doc(inline)]
pub use cio_fifo::{
    Blocking, FifoReader, FifoWriter, MAX_ID_LEN, OpenOptions, new_fifo_set_in_dir, validate_id,
};

#[cfg(feature = "log")]
#[cfg_attr(docsrs, doc(cfg(feature = "log")))]
#[doc(inline)]
pub use cio_log::{
    LogCreator, LogUri, NO_ARGS, QueryArg, binary_io, binary_v2_io, log_file, log_uri,
    log_uri_generator, terminal_binary_io, terminal_log_uri,
};
