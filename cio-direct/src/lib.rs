//! Direct task IO for containerd clients: the task's FIFO ends handed to the
//! caller, who reads and writes them itself, with no copy in between.
//!
//! ```
//! use std::io::Read;
//! use cio_types::Io;
//!
//! # let root = std::env::temp_dir().join(format!("cio-doc-root-{}", std::process::id()));
//! let io = cio_direct::DirectIo::new(cio_fifo::new_fifo_set_in_dir(&root, "t", false)?)?;
//! let mut stdout = io.take_stdout().unwrap().into_blocking();
//!
//! // The task's side: a process that writes to the stdout FIFO.
//! let mut task = std::process::Command::new("sh")
//!     .args(["-c", r#"echo hi > "$1""#, "sh", &io.config().stdout])
//!     .spawn()?;
//!
//! let mut output = String::new();
//! stdout.read_to_string(&mut output)?;
//! assert_eq!(output, "hi\n");
//! task.wait()?;
//! io.close()?;
//! # std::fs::remove_dir(&root)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]

mod direct;
mod reader;
mod slot;
mod writer;

pub use crate::direct::DirectIo;
pub use crate::reader::DirectReader;
pub use crate::writer::DirectWriter;
pub use cio_fifo::{Blocking, FifoReader, FifoWriter};
