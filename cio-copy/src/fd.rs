//! The caller's file descriptors: what they are, how to wait on them, and
//! how to move bytes to and from them without copying.

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::task::{Context, Poll};

use async_io::Async;
use rustix::fs::{FileType, OFlags};
use rustix::io::Errno;
use rustix::pipe::SpliceFlags;

/// What a caller's descriptor is, as far as copying goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FdKind {
    /// A regular file or block device: never "full", never polled.
    File {
        /// Opened with `O_APPEND`, which `splice(2)` refuses.
        append: bool,
    },
    /// Anything else: a pipe, a socket, a terminal, a character device.
    Stream,
}

/// Classifies `fd`.
pub(crate) fn classify(fd: impl AsFd) -> io::Result<FdKind> {
    let stat = rustix::fs::fstat(&fd)?;
    match FileType::from_raw_mode(stat.st_mode) {
        FileType::RegularFile | FileType::BlockDevice => {
            let append = rustix::fs::fcntl_getfl(&fd)?.contains(OFlags::APPEND);
            Ok(FdKind::File { append })
        }
        _ => Ok(FdKind::Stream),
    }
}

/// A caller's descriptor, registered with the reactor when the kernel can
/// poll it. Its blocking mode is left as the caller set it: the descriptor
/// may be shared with other processes (a terminal, say), and the copies
/// only touch it when it is ready, or with `SPLICE_F_NONBLOCK`.
#[derive(Debug)]
pub(crate) enum PolledFd {
    /// Pollable: pipes, sockets, terminals.
    Polled(Async<OwnedFd>),
    /// Not pollable (`epoll` refuses regular files and some devices): every
    /// operation on it completes without waiting for readiness.
    Always(OwnedFd),
}

impl PolledFd {
    pub(crate) fn new(fd: OwnedFd) -> io::Result<Self> {
        // epoll refuses what is always ready; keep the descriptor then.
        let probe = fd.try_clone()?;
        match Async::new_nonblocking(probe) {
            Ok(polled) => Ok(PolledFd::Polled(polled)),
            Err(e) if e.raw_os_error() == Some(Errno::PERM.raw_os_error()) => {
                Ok(PolledFd::Always(fd))
            }
            Err(e) => Err(e),
        }
    }

    pub(crate) fn poll_readable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self {
            PolledFd::Polled(io) => io.poll_readable(cx),
            PolledFd::Always(_) => Poll::Ready(Ok(())),
        }
    }

    pub(crate) fn poll_writable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self {
            PolledFd::Polled(io) => io.poll_writable(cx),
            PolledFd::Always(_) => Poll::Ready(Ok(())),
        }
    }

    /// Gives the descriptor back, deregistered.
    pub(crate) fn into_inner(self) -> io::Result<OwnedFd> {
        match self {
            PolledFd::Polled(io) => io.into_inner(),
            PolledFd::Always(fd) => Ok(fd),
        }
    }
}

impl AsFd for PolledFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match self {
            PolledFd::Polled(io) => io.get_ref().as_fd(),
            PolledFd::Always(fd) => fd.as_fd(),
        }
    }
}

/// `splice(2)` without waiting on either pipe end, retried on `EINTR`.
pub(crate) fn splice(from: impl AsFd, to: impl AsFd, len: usize) -> Result<usize, Errno> {
    let flags = SpliceFlags::NONBLOCK | SpliceFlags::MOVE;
    loop {
        match rustix::pipe::splice(&from, None, &to, None, len, flags) {
            Err(Errno::INTR) => continue,
            other => return other,
        }
    }
}

/// `read(2)`, retried on `EINTR`.
pub(crate) fn read(from: impl AsFd, buf: &mut [u8]) -> Result<usize, Errno> {
    loop {
        match rustix::io::read(&from, &mut *buf) {
            Err(Errno::INTR) => continue,
            other => return other,
        }
    }
}

/// Whether bytes wait to be read from `fd` (`FIONREAD`); for a descriptor
/// that cannot tell, `false`.
pub(crate) fn has_bytes(fd: impl AsFd) -> bool {
    rustix::io::ioctl_fionread(fd).is_ok_and(|n| n > 0)
}
