//! The caller's handle on a task's stdin FIFO.

use std::io;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use cio_fifo::{Blocking, FifoWriter};
use cio_types::Stream;
use futures_io::AsyncWrite;

use crate::slot::Slot;

/// The write end of a task's stdin FIFO, handed out by
/// [`DirectIo::take_stdin`](crate::DirectIo::take_stdin).
///
/// It writes as a [`cio_fifo::FifoWriter`] does, from any runtime through
/// [`futures_io::AsyncWrite`]: bytes written before the task's side opens
/// wait in the FIFO. For callers without a runtime,
/// [`into_blocking`](DirectWriter::into_blocking) gives a
/// [`std::io::Write`]; end it with [`Blocking::close`].
///
/// Closing the writer ([`poll_close`](AsyncWrite::poll_close), or
/// `close().await` through `futures::io::AsyncWriteExt`) ends the task's
/// stdin: it waits until the task's side has opened, so that the task reads
/// every byte and then end-of-file. Later writes fail with
/// [`io::ErrorKind::NotConnected`]; a second close is `Ok`.
///
/// The [`DirectIo`](crate::DirectIo) it came from keeps a hold on it:
/// [`cancel`](cio_types::Io::cancel) makes pending and later writes and
/// closes fail, and [`close`](cio_types::Io::close) also closes the
/// descriptor, both from any thread while this handle waits in another.
///
/// # Errors
///
/// Writes and closes fail with [`io::ErrorKind::ConnectionAborted`] once the
/// io was cancelled or closed, and otherwise as the FIFO's do.
///
/// # Caveats
///
/// - Dropping the writer instead of closing it also ends the task's stdin,
///   and at once: the task reads what is in the FIFO and then end-of-file.
///   But if the task's side has not opened the FIFO yet, the FIFO is
///   discarded with the bytes in it, and the task, when it opens, waits for
///   a writer that never comes. Closing has no such gap: it is
///   [`FifoWriter`]'s close, which waits until the task's side has taken
///   every byte.
#[derive(Debug)]
pub struct DirectWriter {
    slot: Arc<Slot<FifoWriter>>,
}

impl DirectWriter {
    pub(crate) fn new(slot: Arc<Slot<FifoWriter>>) -> Self {
        DirectWriter { slot }
    }

    /// The stream this end carries: stdin.
    pub fn stream(&self) -> Stream {
        self.slot.stream()
    }

    /// The path of the FIFO.
    pub fn path(&self) -> &Path {
        self.slot.path()
    }

    /// This writer as a [`std::io::Write`] whose writes block the calling
    /// thread; no runtime is needed. [`Blocking::close`] ends the stream. A
    /// cancel or close from another thread still ends a blocked write.
    pub fn into_blocking(self) -> Blocking<Self> {
        Blocking::new(self)
    }
}

impl AsyncWrite for DirectWriter {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let slot = &self.slot;
        slot.poll_end(cx, |end, cx| match end {
            Some(writer) => Pin::new(writer).poll_write(cx, buf),
            None => Poll::Ready(Err(slot.closed_error())),
        })
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let slot = &self.slot;
        slot.poll_end(cx, |end, cx| match end {
            Some(writer) => Pin::new(writer).poll_flush(cx),
            None => Poll::Ready(Err(slot.closed_error())),
        })
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let slot = &self.slot;
        let poll = slot.poll_end(cx, |end, cx| match end {
            Some(writer) => Pin::new(writer).poll_close(cx),
            // Closed before: closing again is fine.
            None => Poll::Ready(Ok(())),
        });

        // Closed: let the descriptor go now rather than at drop.
        if let Poll::Ready(Ok(())) = poll {
            slot.finish(true);
        }
        poll
    }
}

impl Drop for DirectWriter {
    fn drop(&mut self) {
        self.slot.finish(true);
    }
}
