//! The copy engine of containerd task IO: moves bytes between a task's
//! FIFOs and the caller's streams, from any async runtime or from none.
//!
//! [`copy_io`] takes a [`FifoSet`](cio_types::FifoSet) and the caller's
//! [`Streams`], opens the FIFOs and starts the copies; the [`CopyIo`] it
//! returns is the task's [`Io`](cio_types::Io).
//!
//! # Implementation
//!
//! Each copy is a future. By default the futures run on a small executor of
//! this crate's, started on first use, with a fixed number of threads (one
//! per two cores, at least one, at most four) however many tasks there are;
//! each runs inside [`async_io::block_on`], so the thread that sees a FIFO
//! become readable is the one that runs its copy. With
//! [`Streams::with_spawner`] the copies run on the caller's executor instead.
//! A copy waiting for bytes is parked on the [`async_io`] reactor and holds
//! no thread and no buffer.
//!
//! The way bytes move is chosen per stream, at run time:
//!
//! - **Descriptor to descriptor.** When the caller's stream is a file
//!   descriptor, bytes go from the FIFO to it (or from it into the stdin
//!   FIFO) with `splice(2)`, never passing through this process. Pipes,
//!   files, sockets and `/dev/null` take this path.
//! - **Buffered.** When the kernel refuses to splice (`EINVAL`: a terminal,
//!   a file opened for appending, which keeps its append semantics), and for
//!   writers and readers, a buffer is borrowed from a pool once the FIFO has
//!   bytes, filled with what is there, written out, and returned before the
//!   copy waits again: an idle stream holds no buffer.
//! - **Blocking.** A `std::io` reader or writer runs each call on the
//!   [`blocking`] pool, taking the buffer with it and bringing it back.
//!
//! A copy ends when the task side closes its end (end-of-file), when the
//! caller's stream fails (the error is kept and reported by `wait`, and the
//! FIFO is closed so that the task's writes fail with `EPIPE` instead of
//! hanging), or when it is cancelled.

#![forbid(unsafe_code)]

mod copy_in;
mod copy_out;
mod fd;
mod io;
mod pool;
mod spawn;
mod stop;
mod streams;

pub use crate::io::{CopyIo, attach_io, copy_io};
pub use crate::streams::{Input, Output, Streams};
