//! Blocking forms of the FIFO ends, for callers without an async runtime.

use std::io;
use std::pin::Pin;

use futures_io::{AsyncRead, AsyncWrite};

/// Wraps an async reader or writer as a [`std::io::Read`] or
/// [`std::io::Write`] whose calls block the current thread.
///
/// The FIFO ends are driven by the [`async_io`] reactor, which runs on its
/// own, so blocking on them needs no runtime.
///
/// # Examples
///
/// ```no_run
/// use std::io::{Read, Write};
/// use cio_fifo::{Blocking, FifoReader, FifoWriter};
///
/// let mut stdin = Blocking::new(FifoWriter::open("/run/containerd/fifo/1/web-stdin")?);
/// stdin.write_all(b"hello\n")?;
/// stdin.close()?; // the task sees end-of-file
///
/// let mut stdout = Blocking::new(FifoReader::open("/run/containerd/fifo/1/web-stdout")?);
/// let mut output = Vec::new();
/// stdout.read_to_end(&mut output)?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct Blocking<T>(T);

impl<T> Blocking<T> {
    /// Wraps `inner`.
    pub fn new(inner: T) -> Self {
        Blocking(inner)
    }

    /// The wrapped value.
    pub fn get_ref(&self) -> &T {
        &self.0
    }

    /// The wrapped value, mutably.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.0
    }

    /// Unwraps the value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: AsyncWrite + Unpin> Blocking<T> {
    /// Closes the writer, blocking until the close completes. For a
    /// [`FifoWriter`](crate::FifoWriter), that is when the reader has every
    /// byte and will see end-of-file.
    ///
    /// # Errors
    ///
    /// The writer's close error.
    pub fn close(&mut self) -> io::Result<()> {
        let mut inner = Pin::new(&mut self.0);
        cio_types::block_on(std::future::poll_fn(|cx| inner.as_mut().poll_close(cx)))
    }
}

impl<T: AsyncRead + Unpin> io::Read for Blocking<T> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut inner = Pin::new(&mut self.0);
        cio_types::block_on(std::future::poll_fn(|cx| inner.as_mut().poll_read(cx, buf)))
    }
}

impl<T: AsyncWrite + Unpin> io::Write for Blocking<T> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut inner = Pin::new(&mut self.0);
        cio_types::block_on(std::future::poll_fn(|cx| {
            inner.as_mut().poll_write(cx, buf)
        }))
    }

    fn flush(&mut self) -> io::Result<()> {
        let mut inner = Pin::new(&mut self.0);
        cio_types::block_on(std::future::poll_fn(|cx| inner.as_mut().poll_flush(cx)))
    }
}
