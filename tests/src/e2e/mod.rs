//! The end-to-end harness (feature `e2e`): a private containerd, a busybox
//! image made here, and the gRPC calls a client makes to run tasks whose IO
//! cio makes.
//!
//! - [`Containerd`]: the daemon, started in a directory of its own and
//!   stopped with everything it started; derefs to its [`Client`].
//! - [`Client`]: import the image, create containers, tasks and exec'd
//!   processes with a [`cio::Config`] as their IO, wait, close stdin, read
//!   a process's IO back, delete.
//! - [`OciImage`]: the one-layer image around the host's `/bin/busybox`.
//! - [`ProcessSpec`]: what a container or an exec'd process runs.
//!
//! Running it needs root, `containerd`, `runc` and `busybox-static`.

mod client;
mod daemon;
mod error;
pub mod image;
pub mod spec;

pub use crate::e2e::client::{Client, NAMESPACE, RUNTIME};
pub use crate::e2e::daemon::{Containerd, SHIM_BINARY, shim_pids, shim_socket};
pub use crate::e2e::error::{Context, Error, Result, ensure};
pub use crate::e2e::image::OciImage;
pub use crate::e2e::spec::ProcessSpec;
