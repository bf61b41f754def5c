//! The types every cio crate shares: a task's IO [`Config`], the [`FifoSet`]
//! that owns the FIFOs behind it, the [`Io`], [`Creator`] and [`Attach`]
//! traits, and the workspace [`Error`].
//!
//! Most users reach these through the `cio` facade, which re-exports them.

#![forbid(unsafe_code)]

mod block_on;
mod config;
mod error;
mod fifo_set;
mod io;

pub use crate::block_on::block_on;
pub use crate::config::Config;
pub use crate::error::{Error, FileKind, Stream};
pub use crate::fifo_set::{Cleanup, FifoSet};
pub use crate::io::{Attach, BoxFuture, Creator, Io};
