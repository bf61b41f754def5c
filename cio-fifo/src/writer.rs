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
const LONGEST_PAUSE: Duration = Duration::from_millis(50);

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
/// has taken every byte (it may not even have opened yet), and closes, so
/// that the reader gets every byte and then end-of-file.
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
/// - A reader that left without reading every byte, or that opened and left
///   before anything was written, is indistinguishable from one that has
///   not come yet: `close` then waits until it is cancelled (dropped). While
///   waiting it holds no thread, only a timer; it looks again after a pause
///   that grows from 1 ms to 50 ms, so end-of-file reaches the task up to
///   that long after its last read.
/// - When nothing at all was written, the reader is taken to be there once
///   it is seen at two looks a pause apart: a child forked by this process
///   holds a copy of the writer's read side until it runs `exec`, and that
///   copy counts as a reader for as long.
/// - If the task's reader goes away, writes wait for room instead of failing
///   with `EPIPE`.
#[derive(Debug)]
pub struct FifoWriter {
    path: PathBuf,
    state: State,
    /// Whether any byte was ever written.
    wrote: bool,
}

#[derive(Debug)]
enum State {
    /// Open for writing, through a read-write handle.
    Open(Async<OwnedFd>),
    /// Closing: a write-only handle kept until the task's reader has every
    /// byte. Boxed: a writer spends most of its life open, and the timer
    /// would otherwise double its size.
    Closing(Box<Closing>),
    /// Closed.
    Closed,
}

#[derive(Debug)]
struct Closing {
    write_only: OwnedFd,
    pause: Duration,
    timer: Option<Timer>,
    /// A reader was there at the last look.
    reader_seen: bool,
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
        let io = crate::open::register(fd).map_err(|source| Error::Open {
            path: path.clone(),
            source,
        })?;
        Ok(FifoWriter {
            path,
            state: State::Open(io),
            wrote: false,
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
    pub fn try_write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let io = self.open_io()?;
        let written = loop {
            match rustix::io::write(io.get_ref(), buf) {
                Err(Errno::INTR) => continue,
                other => break other?,
            }
        };
        self.wrote |= written > 0;
        Ok(written)
    }

    /// Moves up to `len` bytes from `source` into the FIFO with `splice(2)`,
    /// without waiting: the bytes never pass through this process. `source`
    /// must be a pipe, or `splice(2)` must accept it (a file, a socket).
    ///
    /// # Errors
    ///
    /// `WouldBlock` when the FIFO is full or `source` has nothing to give
    /// (ask `source` which: `FIONREAD`); `InvalidInput` when the kernel
    /// cannot splice from `source` (a terminal); `NotConnected` once
    /// closing; any other error of `splice(2)`.
    pub fn try_splice_from(&mut self, source: impl AsFd, len: usize) -> io::Result<usize> {
        let io = self.open_io()?;
        let flags = rustix::pipe::SpliceFlags::NONBLOCK | rustix::pipe::SpliceFlags::MOVE;
        let moved = loop {
            match rustix::pipe::splice(&source, None, io.get_ref(), None, len, flags) {
                Err(Errno::INTR) => continue,
                other => break other?,
            }
        };
        self.wrote |= moved > 0;
        Ok(moved)
    }

    /// The descriptor of the write end; `None` once the writer is closed.
    ///
    /// The descriptor goes away when the writer closes, which is why it is
    /// offered here rather than through [`AsFd`](std::os::fd::AsFd).
    pub fn fd(&self) -> Option<BorrowedFd<'_>> {
        match &self.state {
            State::Open(io) => Some(io.get_ref().as_fd()),
            State::Closing(closing) => Some(closing.write_only.as_fd()),
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

/// Whether closing now hands the task every byte and then end-of-file.
///
/// A reader in the FIFO's count is not proof enough: a child this process
/// forks holds a copy of the read-write handle until it runs `exec`, and
/// that copy counts as a reader although nothing will read through it. So:
///
/// - bytes still in the FIFO: not yet, the task has not taken them;
/// - none left and some were written: a real reader took them all;
/// - nothing was ever written: a reader must be there at two looks a pause
///   apart, which a forked child's copy does not outlive.
fn task_has_everything(
    write_only: &OwnedFd,
    wrote: bool,
    reader_seen: &mut bool,
) -> io::Result<bool> {
    if rustix::io::ioctl_fionread(write_only)? > 0 {
        return Ok(false);
    }
    if wrote {
        return Ok(true);
    }
    let seen_before = std::mem::replace(reader_seen, has_reader(write_only)?);
    Ok(seen_before && *reader_seen)
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
        let this = self.get_mut();
        loop {
            match this.try_write(buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    ready!(this.poll_writable(cx))?;
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
                    this.state = State::Closing(Box::new(Closing {
                        write_only,
                        pause: FIRST_PAUSE,
                        timer: None,
                        reader_seen: false,
                    }));
                }
                State::Closing(closing) => {
                    let Closing {
                        write_only,
                        pause,
                        timer,
                        reader_seen,
                    } = &mut **closing;
                    // Wait out the pause, if one is running.
                    if let Some(running) = timer {
                        ready!(Pin::new(running).poll(cx));
                        *timer = None;
                    }

                    if task_has_everything(write_only, this.wrote, reader_seen)? {
                        this.state = State::Closed;
                        return Poll::Ready(Ok(()));
                    }

                    // Not yet: look again after a growing pause.
                    *timer = Some(Timer::after(*pause));
                    *pause = (*pause * 2).min(LONGEST_PAUSE);
                }
                State::Closed => return Poll::Ready(Ok(())),
            }
        }
    }
}
