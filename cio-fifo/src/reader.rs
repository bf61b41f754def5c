//! The read end of a FIFO: what a client reads a task's stdout and stderr
//! from.

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use async_io::Async;
use cio_types::Error;
use futures_io::AsyncRead;
use rustix::event::{PollFd, PollFlags, Timespec};
use rustix::io::Errno;

use crate::OpenOptions;

/// The read end of a FIFO, opened without waiting for a writer.
///
/// Reads wait until a writer has connected: a FIFO with no writer yet reads
/// as end-of-file to the kernel, but a `FifoReader` reports end-of-file only
/// once a writer has connected and every writer has closed. This is what a
/// client needs, since it opens the FIFO before containerd's shim does.
///
/// The reader implements [`futures_io::AsyncRead`], usable from any runtime;
/// the readiness comes from the [`async_io`] reactor, which needs no runtime.
/// For callers without a runtime, [`Blocking`](crate::Blocking) turns it into
/// a [`std::io::Read`] whose reads block the calling thread.
///
/// Dropping the reader closes the FIFO at once, whether or not a writer ever
/// came; a task writing to it then gets `EPIPE`.
///
/// # Examples
///
/// ```no_run
/// use futures::io::AsyncReadExt;
///
/// # futures::executor::block_on(async {
/// let mut stdout = cio_fifo::FifoReader::open("/run/containerd/fifo/1/web-stdout")?;
/// let mut output = String::new();
/// stdout.read_to_string(&mut output).await?;
/// # Ok::<(), std::io::Error>(())
/// # });
/// ```
#[derive(Debug)]
pub struct FifoReader {
    io: Async<OwnedFd>,
    path: PathBuf,
    connected: bool,
}

impl FifoReader {
    /// Opens the read end of the FIFO at `path`, creating the FIFO when it
    /// is missing. See [`OpenOptions`] for the checks made.
    ///
    /// # Errors
    ///
    /// As [`OpenOptions::open_reader`].
    pub fn open(path: impl AsRef<Path>) -> Result<Self, Error> {
        OpenOptions::new().open_reader(path)
    }

    pub(crate) fn from_fd(fd: OwnedFd, path: PathBuf) -> Result<Self, Error> {
        let io = crate::open::register(fd).map_err(|source| Error::Open {
            path: path.clone(),
            source,
        })?;
        Ok(FifoReader {
            io,
            path,
            connected: false,
        })
    }

    /// The path this reader was opened at.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether a writer has connected since the FIFO was opened, as far as
    /// this reader has seen.
    pub fn is_connected(&self) -> bool {
        self.connected
    }

    /// Waits until a read will not block and will not give a false
    /// end-of-file: bytes are waiting, or a writer connected and every
    /// writer has closed.
    ///
    /// A read, or a `splice(2)` out of the FIFO, that returns 0 after this
    /// resolves is the true end of the stream.
    ///
    /// # Errors
    ///
    /// An error of `poll(2)` or of the reactor.
    pub fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            // Ask the kernel directly: epoll reports the same states, but a
            // trip through the reactor costs a wake-up.
            let mut fds = [PollFd::new(self.io.get_ref(), PollFlags::IN)];
            match rustix::event::poll(
                &mut fds,
                Some(&Timespec {
                    tv_sec: 0,
                    tv_nsec: 0,
                }),
            ) {
                Ok(_) => {}
                Err(Errno::INTR) => continue,
                Err(errno) => return Poll::Ready(Err(errno.into())),
            }

            // POLLHUP on a FIFO means that a writer came and left since the
            // open; before any writer, the kernel reports nothing at all.
            let ready = PollFlags::IN | PollFlags::HUP | PollFlags::ERR;
            if fds[0].revents().intersects(ready) {
                self.connected = true;
                return Poll::Ready(Ok(()));
            }

            // Nothing yet: let the reactor wake us on the next change.
            ready!(self.io.poll_readable(cx))?;
        }
    }

    /// Waits until a read will not block; see
    /// [`poll_ready`](FifoReader::poll_ready).
    ///
    /// # Errors
    ///
    /// As [`poll_ready`](FifoReader::poll_ready).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the future loses nothing.
    pub async fn ready(&mut self) -> io::Result<()> {
        std::future::poll_fn(|cx| self.poll_ready(cx)).await
    }

    /// Waits for the reactor to report the FIFO readable again, after an
    /// operation on it returned `EAGAIN`.
    ///
    /// # Errors
    ///
    /// An error of the reactor.
    pub fn poll_readable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_readable(cx)
    }

    /// Reads without waiting: `Err(WouldBlock)` when nothing is there yet.
    fn try_read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match rustix::io::read(self.io.get_ref(), &mut *buf) {
                Err(Errno::INTR) => continue,
                // EAGAIN, not end-of-file, proves a writer is connected.
                Err(Errno::AGAIN) => {
                    self.connected = true;
                    return Err(io::ErrorKind::WouldBlock.into());
                }
                other => return other.map_err(Into::into),
            }
        }
    }
}

impl AsyncRead for FifoReader {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        loop {
            // Until a writer has shown up, a zero-byte read means nothing.
            if !this.connected {
                ready!(this.poll_ready(cx))?;
            }

            match this.try_read(buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    ready!(this.io.poll_readable(cx))?;
                }
                result => return Poll::Ready(result),
            }
        }
    }
}

impl AsFd for FifoReader {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.get_ref().as_fd()
    }
}
