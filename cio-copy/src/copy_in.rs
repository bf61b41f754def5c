//! From the caller's stdin to the task's stdin FIFO.
//!
//! A descriptor is waited on through the reactor and spliced into the FIFO
//! when the kernel allows it (a pipe, a file), or read once it is ready (a
//! terminal), so a stdin that says nothing holds no thread. At the end of
//! the input the FIFO is closed so that the task sees end-of-file after the
//! last byte.

use std::future::poll_fn;
use std::io::{self, Read};
use std::pin::Pin;
use std::task::Poll;

use cio_fifo::FifoWriter;
use futures::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use rustix::io::Errno;

use crate::fd::{self, PolledFd};
use crate::pool::Buffer;
use crate::stop::{Stop, is_stop};
use crate::streams::{Input, InputKind};

/// The most one `splice(2)` call asks for.
const SPLICE_CHUNK: usize = 1024 * 1024;

/// The caller's stdin, ready to be copied from: a descriptor is registered
/// with the reactor before any copy starts, so that a failure there is an
/// error of `copy_io` rather than of a running copy.
pub(crate) enum Source {
    Fd(PolledFd),
    Async(Box<dyn AsyncRead + Send + Unpin>),
    Blocking(Box<dyn Read + Send>),
}

impl Source {
    pub(crate) fn new(input: Input) -> io::Result<Source> {
        Ok(match input.0 {
            InputKind::Fd(fd) => Source::Fd(PolledFd::new(fd)?),
            InputKind::Async(reader) => Source::Async(reader),
            InputKind::Blocking(reader) => Source::Blocking(reader),
        })
    }
}

/// Copies `source` into the stdin FIFO until its end, then closes the FIFO.
/// Returns the number of bytes copied.
///
/// The paths a copy rarely takes are boxed, so that the future every idle
/// stream keeps is only as large as the common paths need.
///
/// On an error of the input the FIFO is closed too, so that the task is not
/// left waiting for bytes that will not come. A stopped copy does not wait
/// for the task to take its bytes: the FIFO is just dropped.
pub(crate) async fn copy_in(source: Source, mut fifo: FifoWriter, stop: Stop) -> io::Result<u64> {
    let copied = match source {
        Source::Fd(fd) => from_fd(fd, &mut fifo, &stop).await,
        Source::Async(mut reader) => from_async(&mut reader, &mut fifo, &stop).await,
        Source::Blocking(reader) => Box::pin(from_blocking(reader, &mut fifo, &stop)).await,
    };
    if let Err(error) = &copied
        && is_stop(error)
    {
        return copied;
    }
    let closed = stop
        .unless_stopped(|cx| Pin::new(&mut fifo).poll_close(cx))
        .await;
    let copied = copied?;
    closed?;
    Ok(copied)
}

/// From a descriptor: splice while the kernel allows it, then read.
async fn from_fd(source: PolledFd, fifo: &mut FifoWriter, stop: &Stop) -> io::Result<u64> {
    let mut copied = 0;
    stop.unless_stopped(|cx| source.poll_readable(cx)).await?;
    loop {
        stop.check()?;
        match fifo.try_splice_from(&source, SPLICE_CHUNK) {
            Ok(0) => return Ok(copied),
            Ok(n) => copied += n as u64,

            // Either side would block: wait on the one that does.
            Err(e) if e.kind() == io::ErrorKind::WouldBlock && fd::has_bytes(&source) => {
                let fifo = &*fifo;
                stop.unless_stopped(|cx| fifo.poll_writable(cx)).await?;
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                stop.unless_stopped(|cx| source.poll_readable(cx)).await?;
            }

            // A terminal cannot be spliced from: read it instead.
            Err(e) if e.kind() == io::ErrorKind::InvalidInput => {
                return Ok(copied + Box::pin(from_ready_fd(&source, fifo, stop)).await?);
            }
            Err(e) => return Err(e),
        }
    }
}

/// From a descriptor that cannot be spliced: wait until it is readable,
/// read once (which then does not block), and write what came.
async fn from_ready_fd(source: &PolledFd, fifo: &mut FifoWriter, stop: &Stop) -> io::Result<u64> {
    let mut copied = 0;
    loop {
        stop.unless_stopped(|cx| source.poll_readable(cx)).await?;

        let mut buffer = Buffer::take();
        let n = match fd::read(source, &mut buffer) {
            Ok(0) => return Ok(copied),
            Ok(n) => n,
            Err(Errno::AGAIN) => continue,
            Err(errno) => return Err(errno.into()),
        };
        fifo.write_all(&buffer[..n]).await?;
        copied += n as u64;
    }
}

/// From an async reader.
///
/// A reader cannot say it is ready without being handed a buffer, so the
/// wait is a one-byte read into the stack; once a byte has come, a pooled
/// buffer takes whatever else is ready without waiting.
async fn from_async(
    reader: &mut (dyn AsyncRead + Send + Unpin),
    fifo: &mut FifoWriter,
    stop: &Stop,
) -> io::Result<u64> {
    let mut copied = 0;
    loop {
        let mut first = [0_u8; 1];
        let reading = stop.unless_stopped(|cx| Pin::new(&mut *reader).poll_read(cx, &mut first));
        match reading.await {
            Ok(0) => return Ok(copied),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted && !is_stop(&e) => continue,
            Err(e) => return Err(e),
        }

        let mut buffer = Buffer::take();
        buffer[0] = first[0];
        let mut len = 1;
        let mut failure = None;
        while len < buffer.len() {
            let more =
                poll_fn(
                    |cx| match Pin::new(&mut *reader).poll_read(cx, &mut buffer[len..]) {
                        Poll::Pending => Poll::Ready(None),
                        Poll::Ready(result) => Poll::Ready(Some(result)),
                    },
                );
            match more.await {
                Some(Ok(n)) if n > 0 => len += n,
                Some(Err(error)) if error.kind() == io::ErrorKind::Interrupted => {}
                // The bytes read before the error still go to the task.
                Some(Err(error)) => {
                    failure = Some(error);
                    break;
                }
                _ => break,
            }
        }

        fifo.write_all(&buffer[..len]).await?;
        copied += len as u64;
        if let Some(error) = failure {
            return Err(error);
        }
    }
}

/// From a blocking reader, each read on the `blocking` pool.
async fn from_blocking(
    reader: Box<dyn Read + Send>,
    fifo: &mut FifoWriter,
    stop: &Stop,
) -> io::Result<u64> {
    let mut copied = 0;
    let mut reader = Some(reader);
    loop {
        let Some(mut moving) = reader.take() else {
            return Ok(copied);
        };
        // A read may block for ever (a terminal): a stop does not wait for
        // it, and what it reads after the stop is not delivered.
        stop.check()?;
        let mut read = blocking::unblock(move || {
            let mut buffer = Buffer::take();
            let result = loop {
                match moving.read(&mut buffer) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    other => break other,
                }
            };
            Ok((moving, buffer, result))
        });
        let (back, buffer, result) = stop
            .unless_stopped(|cx| Pin::new(&mut read).poll(cx))
            .await?;

        let n = result?;
        if n == 0 {
            return Ok(copied);
        }
        fifo.write_all(&buffer[..n]).await?;
        copied += n as u64;
        reader = Some(back);
    }
}
