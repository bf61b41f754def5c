//! The caller's handle on a task's stdout or stderr FIFO.

use std::io;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use cio_fifo::{Blocking, FifoReader};
use cio_types::Stream;
use futures_io::AsyncRead;

use crate::slot::Slot;

/// The read end of a task's stdout or stderr FIFO, handed out by
/// [`DirectIo::take_stdout`](crate::DirectIo::take_stdout) and
/// [`take_stderr`](crate::DirectIo::take_stderr).
///
/// It reads as a [`cio_fifo::FifoReader`] does, from any runtime through
/// [`futures_io::AsyncRead`]: reads wait until the task's side has opened,
/// and end-of-file comes only after it opened and closed. For callers
/// without a runtime, [`into_blocking`](DirectReader::into_blocking) gives a
/// [`std::io::Read`].
///
/// The [`DirectIo`](crate::DirectIo) it came from keeps a hold on it:
/// [`cancel`](cio_types::Io::cancel) makes pending and later reads fail, and
/// [`close`](cio_types::Io::close) also closes the descriptor, both from any
/// thread while this handle waits in another.
///
/// Dropping the handle closes the FIFO; a task still writing to it then gets
/// `EPIPE`.
///
/// # Errors
///
/// Reads fail with [`io::ErrorKind::ConnectionAborted`] once the io was
/// cancelled or closed, and otherwise as the FIFO's reads do.
#[derive(Debug)]
pub struct DirectReader {
    slot: Arc<Slot<FifoReader>>,
}

impl DirectReader {
    pub(crate) fn new(slot: Arc<Slot<FifoReader>>) -> Self {
        DirectReader { slot }
    }

    /// The stream this end carries: stdout or stderr.
    pub fn stream(&self) -> Stream {
        self.slot.stream()
    }

    /// The path of the FIFO.
    pub fn path(&self) -> &Path {
        self.slot.path()
    }

    /// This reader as a [`std::io::Read`] whose reads block the calling
    /// thread; no runtime is needed. A cancel or close from another thread
    /// still ends a blocked read.
    pub fn into_blocking(self) -> Blocking<Self> {
        Blocking::new(self)
    }
}

impl AsyncRead for DirectReader {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let slot = &self.slot;
        let poll = slot.poll_end(cx, |end, cx| match end {
            Some(reader) => Pin::new(reader).poll_read(cx, buf),
            None => Poll::Ready(Err(slot.closed_error())),
        });

        // Zero bytes into a buffer with room is the end of the stream: the
        // caller is done with this end, as far as `wait` is concerned.
        if let Poll::Ready(Ok(0)) = poll
            && !buf.is_empty()
        {
            slot.finish(false);
        }
        poll
    }
}

impl Drop for DirectReader {
    fn drop(&mut self) {
        self.slot.finish(true);
    }
}
