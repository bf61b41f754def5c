//! From a task's stdout or stderr FIFO to the caller's stream.
//!
//! A descriptor sink gets the bytes by `splice(2)`: they move from the FIFO
//! to the pipe, file or socket inside the kernel. When the kernel cannot
//! splice there (a terminal, a file opened for appending), or when the sink
//! is a writer, the bytes go through a pooled buffer, borrowed only once the
//! FIFO has something to give and returned before waiting again.

use std::fs::File;
use std::io::{self, Write};
use std::os::fd::AsFd;

use cio_fifo::FifoReader;
use futures::io::{AsyncWrite, AsyncWriteExt};
use rustix::io::Errno;

use crate::fd::{self, FdKind, PolledFd};
use crate::pool::{BUFFER_SIZE, Buffer};
use crate::stop::Stop;
use crate::streams::{Output, OutputKind};

/// The most one `splice(2)` call asks for: more than any FIFO holds.
const SPLICE_CHUNK: usize = 16 * 1024 * 1024;

/// A FIFO's capacity until it proves busy: Linux's default.
const IDLE_CAPACITY: usize = 64 * 1024;

/// The capacity a busy FIFO is raised to: the largest an unprivileged
/// process gets by default (`/proc/sys/fs/pipe-max-size`).
const BUSY_CAPACITY: usize = 1024 * 1024;

/// Below this, a transfer out of a raised FIFO says the stream has gone
/// quiet again.
const QUIET: usize = 4 * 1024;

/// Sizes a FIFO to its stream: raised to [`BUSY_CAPACITY`] once a single
/// transfer finds it full, back to [`IDLE_CAPACITY`] once transfers are
/// small again.
///
/// At the default 64 KiB a fast writer fills the FIFO between two wake-ups
/// of the copy, and the wake-ups cost more than the bytes; a FIFO sixteen
/// times larger lets each wake-up move sixteen times as much. But a raised
/// FIFO costs kernel memory even when empty: its table of slots grows from
/// 16 to 256 entries, measured at 15 KiB of unreclaimable slab per FIFO
/// (1.6 KiB at the default), plus up to 1 MiB of pages while it is full.
/// Thousands of quiet tasks must not pay that, so only a busy stream keeps
/// it. Each change is one `fcntl(F_SETPIPE_SZ)`.
#[derive(Debug, Default)]
struct Capacity {
    raised: bool,
}

impl Capacity {
    /// Notes a transfer of `moved` bytes out of `fifo`.
    fn note(&mut self, fifo: &FifoReader, moved: usize) {
        // A refusal (above the per-user limit, or bytes in the way of
        // shrinking) leaves the FIFO as it is; the copy goes on.
        if !self.raised && moved >= IDLE_CAPACITY {
            self.raised = rustix::pipe::fcntl_setpipe_size(fifo, BUSY_CAPACITY).is_ok();
        } else if self.raised && moved < QUIET {
            self.raised = rustix::pipe::fcntl_setpipe_size(fifo, IDLE_CAPACITY).is_err();
        }
    }
}

/// The caller's stream for a task's output, ready to be copied to: a
/// descriptor is classified and registered with the reactor before any
/// copy starts, so that a failure there (out of descriptors, say) is an
/// error of `copy_io` rather than of a running copy.
pub(crate) enum Sink {
    /// A descriptor `splice(2)` may move bytes into.
    Fd(PolledFd, FdKind),
    /// A file opened for appending, which must keep appending: `splice(2)`
    /// refuses to, so it is written.
    Append(File),
    Async(Box<dyn AsyncWrite + Send + Unpin>),
    Blocking(Box<dyn Write + Send>),
}

impl Sink {
    pub(crate) fn new(output: Output) -> io::Result<Sink> {
        Ok(match output.0 {
            OutputKind::Fd(fd) => match fd::classify(&fd)? {
                FdKind::File { append: true } => Sink::Append(File::from(fd)),
                kind => Sink::Fd(PolledFd::new(fd)?, kind),
            },
            OutputKind::Async(writer) => Sink::Async(writer),
            OutputKind::Blocking(writer) => Sink::Blocking(writer),
        })
    }
}

/// Copies everything the task writes into `fifo` to `sink`, until the task
/// side closes or `stop` is given. Returns the number of bytes copied.
///
/// The paths a copy rarely takes are boxed, so that the future every idle
/// stream keeps is only as large as the common paths need.
pub(crate) async fn copy_out(mut fifo: FifoReader, sink: Sink, stop: Stop) -> io::Result<u64> {
    let drain = |fifo| Drain::new(fifo, stop.clone());
    match sink {
        Sink::Fd(fd, kind) => to_fd(&mut fifo, fd, kind, &stop).await,
        Sink::Append(file) => Box::pin(to_file(drain(&mut fifo), file, 0)).await,
        Sink::Async(mut writer) => to_async(drain(&mut fifo), &mut writer).await,
        Sink::Blocking(writer) => Box::pin(to_blocking(drain(&mut fifo), writer)).await,
    }
}

/// To a descriptor: splice while the kernel allows it, then fall back.
async fn to_fd(
    fifo: &mut FifoReader,
    sink: PolledFd,
    kind: FdKind,
    stop: &Stop,
) -> io::Result<u64> {
    // Spliced bytes never wait in this process: a stop can end any wait.
    let mut capacity = Capacity::default();
    let mut copied = 0;
    stop.unless_stopped(|cx| fifo.poll_ready(cx)).await?;
    loop {
        stop.check()?;
        match fd::splice(&*fifo, &sink, SPLICE_CHUNK) {
            // After `ready`, zero is the true end of the stream.
            Ok(0) => return Ok(copied),
            Ok(n) => {
                capacity.note(fifo, n);
                copied += n as u64;
            }

            // Either side would block: wait on the one that does.
            Err(Errno::AGAIN) if fd::has_bytes(&*fifo) => {
                stop.unless_stopped(|cx| sink.poll_writable(cx)).await?;
            }
            Err(Errno::AGAIN) => {
                stop.unless_stopped(|cx| fifo.poll_readable(cx)).await?;
            }

            // The kernel cannot splice into this sink (a terminal, say):
            // nothing moved, so carry on through a buffer.
            Err(Errno::INVAL) => {
                let fd = sink.into_inner()?;
                let drain = Drain::new(fifo, stop.clone());
                let rest = match kind {
                    FdKind::File { .. } => Box::pin(to_file(drain, File::from(fd), 0)).await?,
                    FdKind::Stream => {
                        let writer: Box<dyn Write + Send> = Box::new(File::from(fd));
                        Box::pin(to_blocking(drain, writer)).await?
                    }
                };
                return Ok(copied + rest);
            }
            Err(errno) => return Err(errno.into()),
        }
    }
}

/// To a file, with `write(2)` from a pooled buffer. A file never makes a
/// writer wait for room, so the writes happen here, on the copy's thread.
async fn to_file(mut drain: Drain<'_>, mut file: File, mut copied: u64) -> io::Result<u64> {
    while let Some(chunk) = drain.next_chunk().await? {
        file.write_all(&chunk.buffer[..chunk.len])?;
        copied += chunk.len as u64;
    }
    Ok(copied)
}

/// To an async writer.
async fn to_async(
    mut drain: Drain<'_>,
    writer: &mut (dyn AsyncWrite + Send + Unpin),
) -> io::Result<u64> {
    let mut copied = 0;
    while let Some(chunk) = drain.next_chunk().await? {
        writer.write_all(&chunk.buffer[..chunk.len]).await?;
        writer.flush().await?;
        copied += chunk.len as u64;
    }
    writer.flush().await?;
    Ok(copied)
}

/// To a blocking writer: each chunk is written on the `blocking` pool, the
/// writer and the buffer travelling there and back.
async fn to_blocking(mut drain: Drain<'_>, writer: Box<dyn Write + Send>) -> io::Result<u64> {
    let mut copied = 0;
    let mut writer = Some(writer);
    while let Some(chunk) = drain.next_chunk().await? {
        let Some(mut moving) = writer.take() else {
            break;
        };
        let (back, result) = blocking::unblock(move || {
            let result = moving
                .write_all(&chunk.buffer[..chunk.len])
                .and_then(|()| moving.flush());
            (moving, result.map(|()| chunk.len))
        })
        .await;
        copied += result? as u64;
        writer = Some(back);
    }
    Ok(copied)
}

/// Bytes read from the FIFO into a borrowed buffer.
struct Chunk {
    buffer: Buffer,
    len: usize,
}

/// Reads a FIFO chunk by chunk, through pooled buffers, until its end or
/// until the copy is stopped. A chunk it hands out is the copy's to write,
/// stop or not.
struct Drain<'a> {
    fifo: &'a mut FifoReader,
    stop: Stop,
    capacity: Capacity,
    /// The last read found the FIFO empty: wait before reading again.
    empty: bool,
    /// A read has found the FIFO empty with a writer there (`EAGAIN`).
    /// Until then the kernel may never report the writers' leaving: a
    /// reader opened when no writer was there gets no `POLLHUP` until a
    /// new writer opens, so a short read is not taken as "empty" (the wait
    /// that follows could last for ever) and the next read tells instead:
    /// `EAGAIN`, or 0 at the end.
    hangup_reported: bool,
}

impl<'a> Drain<'a> {
    fn new(fifo: &'a mut FifoReader, stop: Stop) -> Self {
        Drain {
            fifo,
            stop,
            capacity: Capacity::default(),
            empty: false,
            hangup_reported: false,
        }
    }

    /// Waits until the FIFO has bytes, then reads as many as one buffer
    /// holds. `None` at the end of the stream. The buffer is borrowed only
    /// once bytes are there.
    async fn next_chunk(&mut self) -> io::Result<Option<Chunk>> {
        loop {
            // Once stopped, no more bytes are taken.
            self.stop.check()?;

            // Until a writer has connected, only `ready` can tell an empty
            // FIFO from an ended one; after, a read that found it empty
            // means waiting for the reactor, and otherwise reading at once.
            if !self.fifo.is_connected() {
                let fifo = &mut *self.fifo;
                self.stop.unless_stopped(|cx| fifo.poll_ready(cx)).await?;
            } else if self.empty {
                let fifo = &*self.fifo;
                self.stop
                    .unless_stopped(|cx| fifo.poll_readable(cx))
                    .await?;
            }

            let mut buffer = Buffer::take();
            let mut len = 0;
            self.empty = false;
            while len < BUFFER_SIZE {
                match fd::read(self.fifo.as_fd(), &mut buffer[len..]) {
                    Ok(0) if len == 0 => return Ok(None),
                    Ok(0) => break,
                    // A FIFO gives all it holds, up to the room offered: a
                    // short read emptied it, and another would only say so.
                    Ok(n) if len + n < BUFFER_SIZE && self.hangup_reported => {
                        len += n;
                        self.empty = true;
                        break;
                    }
                    Ok(n) => len += n,
                    Err(Errno::AGAIN) => {
                        self.hangup_reported = true;
                        self.empty = true;
                        break;
                    }
                    Err(errno) => return Err(errno.into()),
                }
            }
            if len > 0 {
                self.capacity.note(self.fifo, len);
                return Ok(Some(Chunk { buffer, len }));
            }
            // Woken with nothing to read after all: give the buffer back
            // before waiting.
        }
    }
}
