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
//! - [`fifo_set_of`]: the FIFO set of a task found again, with a cleanup
//!   that removes its FIFOs.
//!
//! Running it needs root, `containerd`, `runc` and `busybox-static`.

mod client;
mod daemon;
mod error;
pub mod image;
pub mod spec;

use std::fs;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

pub use crate::e2e::client::{Client, NAMESPACE, RUNTIME};
pub use crate::e2e::daemon::{Containerd, SHIM_BINARY, shim_pids, shim_socket};
pub use crate::e2e::error::{Context, Error, Result, ensure};
pub use crate::e2e::image::OciImage;
pub use crate::e2e::spec::ProcessSpec;

/// The FIFO set of a task whose IO was read back from containerd, with a
/// cleanup that removes its FIFOs and then their directory if it is empty.
///
/// A client that restarts has lost the set its creator made, and the
/// cleanup with it; this gives [`cio::load`] or [`cio::new_attach`] a set
/// whose `close` removes what the first client made, as Go's client does
/// when it loads a task. Paths that are not FIFOs (log URIs, files) are
/// left alone.
pub fn fifo_set_of(config: cio::Config) -> cio::FifoSet {
    let paths: Vec<PathBuf> = [&config.stdin, &config.stdout, &config.stderr]
        .into_iter()
        .filter(|p| p.starts_with('/'))
        .map(PathBuf::from)
        .collect();
    cio::FifoSet::new(config, Some(Box::new(move || remove_fifos(&paths))))
}

/// Removes the FIFOs among `paths`, then each directory that held one, if
/// nothing else is left in it. Reports the first failure.
fn remove_fifos(paths: &[PathBuf]) -> std::io::Result<()> {
    let mut result = Ok(());
    let mut dirs: Vec<&Path> = Vec::new();

    // The FIFOs, and only FIFOs: a path may name a regular file.
    for path in paths {
        let is_fifo = fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_fifo());
        if !is_fifo {
            continue;
        }
        if let Err(e) = fs::remove_file(path)
            && result.is_ok()
        {
            result = Err(e);
        }
        if let Some(dir) = path.parent()
            && !dirs.contains(&dir)
        {
            dirs.push(dir);
        }
    }

    // Their directories, if now empty: a shared directory stays.
    for dir in dirs {
        let _ = fs::remove_dir(dir);
    }
    result
}
