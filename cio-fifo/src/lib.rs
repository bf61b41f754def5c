//! FIFO sets for containerd task IO, and FIFO ends whose open never blocks.
//!
//! [`new_fifo_set_in_dir`] makes the private directory and the paths a task's
//! standard streams go through; [`FifoReader`] and [`FifoWriter`] open those
//! FIFOs without waiting for containerd's shim, and read or write them from
//! any async runtime, or from none.
//!
//! # Implementation
//!
//! Go's `containerd/fifo` opens a FIFO with a blocking `open(2)` on a thread
//! of its own, one per pending open. Here nothing blocks and nothing waits on
//! a thread: the read end is opened with `O_NONBLOCK` (which Linux grants at
//! once) and, until a writer has connected, its readiness is taken from
//! `poll(2)`, where a FIFO that never had a writer reports nothing rather
//! than end-of-file; the write end is opened read-write, which Linux also
//! grants at once, and turned into a plain write end when it closes. The
//! [`async_io`] reactor reports readiness; a pending open costs one file
//! descriptor and no thread.
//!
//! Every path is checked without following a symbolic link, and only FIFOs
//! are opened: the object checked is reopened through its own handle, so a
//! file swapped in meanwhile is never opened.

#![forbid(unsafe_code)]

mod blocking;
mod id;
mod open;
mod reader;
mod set;
mod writer;

pub use crate::blocking::Blocking;
pub use crate::id::{MAX_ID_LEN, validate_id};
pub use crate::open::OpenOptions;
pub use crate::reader::FifoReader;
pub use crate::set::{load_fifo_set, new_fifo_set_in_dir};
pub use crate::writer::FifoWriter;
pub use cio_types::{Error, FifoSet};
