//! The write end of a FIFO: what a client feeds a task's stdin through.

use std::future::Future;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use async_io::{Async, Timer};
use cio_types::Error;
use futures_io::AsyncWrite;
use rustix::event::{PollFd, PollFlags, Timespec};
use rustix::fs::OFlags;
use rustix::io::Errno;

use crate::OpenOptions;
use crate::open::reopen;

/// The first pause while a closing writer waits for a reader to arrive.
const FIRST_PAUSE: Duration = Duration::from_millis(1);

/// The longest pause between two looks for a reader.
const LONGEST_PAUSE: Duration = Duration::from_millis(100);

/// The write end of a FIFO, opened without waiting for a reader.
///
/// The FIFO is held open for reading and writing, which Linux allows without
/// waiting for a peer. That has three consequences:
///
/// - writes succeed before the task's reader arrives: the bytes wait in the
///   FIFO (up to its capacity, 64 KiB by default) and further writes wait for
///   room;
/// - a shim's blocking `open(2)` of the read end returns at once;
/// - the writer never sees `EPIPE`, so the process never receives `SIGPIPE`
///   from it, whatever its signal dispositions.
///
/// [`close`](futures_io::AsyncWrite::poll_close) ends the stream: it trades
/// the read-write handle for a write-only one, waits until the task's reader
/// is there (it may not have opened yet), and closes, so that the reader gets
/// every byte and then end-of-file.
///
/// The writer implements [`futures_io::AsyncWrite`] for any runtime, and
/// through [`Blocking`](crate::Blocking), [`std::io::Write`] for callers
/// without one (each write blocks the calling thread; end with
/// [`Blocking::close`](crate::Blocking::close)).
///
/// # Caveats
///
/// - Dropping the writer without closing it closes the FIFO at once: bytes
///   still in the FIFO are lost if no reader has opened it yet.
/// - A reader that opened and left before `close` is indistinguishable from
///   one that has not come yet: `close` then waits until it is cancelled
///   (dropped). While waiting it holds no thread, only a timer.
/// - If the task's reader goes away, writes wait for room instead of failing
///   with `EPIPE`.
#[derive(Debug)]
pub struct FifoWriter {
    path: PathBuf,
    state: State,
}

#[derive(Debug)]
enum State {
    /// Open for writing, through a read-write handle.
    Open(Async<OwnedFd>),
    /// Closing: a write-only handle kept until a reader is there.
    Closing {
        write_only: OwnedFd,
        pause: Duration,
        timer: Option<Timer>,
    },
    /// Closed.
    Closed,
}

impl FifoWriter {
    /// Opens the write end of the FIFO at `path`, creating the FIFO when it
    /// is missing. See [`OpenOptions`] for the checks made.
    ///
    /// # Errors
    ///
    /// As [`OpenOptions::open_writer`].
    pub fn open(path: impl AsRef<Path>) -> Result<Self, Error> {
        OpenOptions::new().open_writer(path)
    }

    pub(crate) fn from_fd(fd: OwnedFd, path: PathBuf) -> Result<Self, Error> {
        let io = Async::new(fd).map_err(|source| Error::Open {
            path: path.clone(),
            source,
        })?;
        Ok(FifoWriter {
            path,
            state: State::Open(io),
        })
    }

    /// The path this writer was opened at.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Waits until the FIFO has room for a write.
    ///
    /// # Errors
    ///
    /// An error of the reactor, or [`io::ErrorKind::NotConnected`] once the
    /// writer is closing or closed.
    pub fn poll_writable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.open_io()?.poll_writable(cx)
    }

    /// Writes without waiting: `Err(WouldBlock)` when the FIFO is full.
    ///
    /// # Errors
    ///
    /// `WouldBlock` when the FIFO is full, `NotConnected` once closing.
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        let io = self.open_io()?;
        loop {
            match rustix::io::write(io.get_ref(), buf) {
                Err(Errno::INTR) => continue,
                other => return other.map_err(Into::into),
            }
        }
    }

    /// The descriptor of the write end; `None` once the writer is closed.
    ///
    /// The descriptor goes away when the writer closes, which is why it is
    /// offered here rather than through [`AsFd`](std::os::fd::AsFd).
    pub fn fd(&self) -> Option<BorrowedFd<'_>> {
        match &self.state {
            State::Open(io) => Some(io.get_ref().as_fd()),
            State::Closing { write_only, .. } => Some(write_only.as_fd()),
            State::Closed => None,
        }
    }

    fn open_io(&self) -> io::Result<&Async<OwnedFd>> {
        match &self.state {
            State::Open(io) => Ok(io),
            _ => Err(io::Error::new(
                io::ErrorKind::NotConnected,
                "the FIFO writer is closed",
            )),
        }
    }
}

/// Whether the FIFO behind a write-only handle has a reader: Linux reports
/// `POLLERR` on the write side of a pipe without readers.
fn has_reader(write_only: &OwnedFd) -> io::Result<bool> {
    let mut fds = [PollFd::new(write_only, PollFlags::OUT)];
    loop {
        match rustix::event::poll(
            &mut fds,
            Some(&Timespec {
                tv_sec: 0,
                tv_nsec: 0,
            }),
        ) {
            Ok(_) => return Ok(!fds[0].revents().contains(PollFlags::ERR)),
            Err(Errno::INTR) => continue,
            Err(errno) => return Err(errno.into()),
        }
    }
}

impl AsyncWrite for FifoWriter {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        loop {
            match self.try_write(buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    ready!(self.poll_writable(cx))?;
                }
                result => return Poll::Ready(result),
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Nothing is buffered in this process.
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            match &mut this.state {
                State::Open(io) => {
                    // Take a write-only handle on the same FIFO, then give up
                    // the read side, so that the reader can see end-of-file.
                    let flags = OFlags::WRONLY | OFlags::NONBLOCK | OFlags::CLOEXEC;
                    let write_only = reopen(io.get_ref(), &this.path, flags)?;
                    this.state = State::Closing {
                        write_only,
                        pause: FIRST_PAUSE,
                        timer: None,
                    };
                }
                State::Closing {
                    write_only,
                    pause,
                    timer,
                } => {
                    // Wait out the pause, if one is running.
                    if let Some(running) = timer {
                        ready!(Pin::new(running).poll(cx));
                        *timer = None;
                    }

                    // With a reader there, closing hands it every byte and
                    // then end-of-file.
                    if has_reader(write_only)? {
                        this.state = State::Closed;
                        return Poll::Ready(Ok(()));
                    }

                    // No reader yet: look again after a growing pause.
                    *timer = Some(Timer::after(*pause));
                    *pause = (*pause * 2).min(LONGEST_PAUSE);
                }
                State::Closed => return Poll::Ready(Ok(())),
            }
        }
    }
}
