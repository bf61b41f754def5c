//! In-memory streams for the benchmarks: a writer that counts and throws
//! away, and a stdin fed through a channel.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll};

use futures::io::{AsyncRead, AsyncWrite};
use futures::task::AtomicWaker;

/// Counts bytes and newlines across every writer made from it, and lets a
/// thread wait for a number of newlines. The waiting thread is woken once,
/// when its number is reached, so that waiting costs the copies nothing.
#[derive(Debug)]
pub(crate) struct Tally {
    bytes: AtomicU64,
    lines: AtomicU64,
    awaited: AtomicU64,
    reached: Mutex<bool>,
    more: Condvar,
}

impl Default for Tally {
    fn default() -> Self {
        Tally {
            bytes: AtomicU64::new(0),
            lines: AtomicU64::new(0),
            awaited: AtomicU64::new(u64::MAX),
            reached: Mutex::new(false),
            more: Condvar::new(),
        }
    }
}

impl Tally {
    pub(crate) fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Blocks until `lines` newlines in all have been written.
    pub(crate) fn wait_lines(&self, lines: u64) {
        let mut reached = self.reached.lock().unwrap();
        *reached = false;
        self.awaited.store(lines, Ordering::SeqCst);
        while !*reached && self.lines.load(Ordering::SeqCst) < lines {
            reached = self.more.wait(reached).unwrap();
        }
        self.awaited.store(u64::MAX, Ordering::SeqCst);
    }
}

/// An async writer that counts what it is given into a [`Tally`].
#[derive(Debug)]
pub(crate) struct Counter(pub(crate) Arc<Tally>);

impl AsyncWrite for Counter {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.0.bytes.fetch_add(buf.len() as u64, Ordering::Relaxed);
        let newlines = buf.iter().filter(|&&b| b == b'\n').count() as u64;
        if newlines > 0 {
            let seen = self.0.lines.fetch_add(newlines, Ordering::SeqCst) + newlines;
            if seen >= self.0.awaited.load(Ordering::SeqCst) {
                *self.0.reached.lock().unwrap() = true;
                self.0.more.notify_all();
            }
        }
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// A stdin that says nothing until the benchmark hands it a line: a slot
/// for one line and the waker of the copy reading it. Lean on purpose, as a
/// caller's stdin should be: it holds no buffer while quiet.
#[derive(Debug, Default)]
pub(crate) struct LineSlot {
    line: Mutex<Option<&'static [u8]>>,
    waker: AtomicWaker,
}

impl LineSlot {
    /// Hands the reader `line`, to be read once.
    pub(crate) fn send(&self, line: &'static [u8]) {
        *self.line.lock().unwrap() = Some(line);
        self.waker.wake();
    }
}

/// The reading side of a [`LineSlot`].
#[derive(Debug)]
pub(crate) struct LineReader(pub(crate) Arc<LineSlot>);

impl AsyncRead for LineReader {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.0.waker.register(cx.waker());
        let mut line = self.0.line.lock().unwrap();
        match line.take() {
            Some(bytes) => {
                let n = bytes.len().min(buf.len());
                buf[..n].copy_from_slice(&bytes[..n]);
                if n < bytes.len() {
                    *line = Some(&bytes[n..]);
                }
                Poll::Ready(Ok(n))
            }
            None => Poll::Pending,
        }
    }
}
