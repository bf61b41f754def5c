//! Task IO that the shim writes to a log: creators whose stdout and stderr
//! are a `file`, `binary` or `binary-v2` URI, and those URIs, made byte for
//! byte as Go containerd makes them.
//!
//! ```
//! use cio_log::binary_io;
//! use cio_types::Creator;
//!
//! let io = binary_io("/usr/bin/logger", [("tag", "web")]).create("web-1")?;
//! assert_eq!(io.config().stdout, "binary:///usr/bin/logger?tag=web");
//! assert_eq!(io.config().stderr, io.config().stdout);
//! # Ok::<(), cio_types::Error>(())
//! ```
//!
//! The other end, a logging binary that the shim starts for a `binary://`
//! URI, is in [`logging`].
//!
//! # Caveats
//!
//! Paths are `&str` and Unix paths: a path that is not UTF-8 cannot be
//! carried, and a Windows path such as `C:\logs\a.log` is refused as
//! relative. [`log_uri_generator`] lists the other differences from Go.

#![forbid(unsafe_code)]

mod clean;
mod creator;
mod escape;
pub mod logging;
mod uri;

pub use crate::creator::{
    LogCreator, binary_io, binary_v2_io, log_file, log_uri, terminal_binary_io, terminal_log_uri,
};
pub use crate::uri::{LogUri, NO_ARGS, QueryArg, log_uri_generator};
