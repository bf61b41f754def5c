//! Stopping a copy without losing the chunk it holds.
//!
//! A copy stops at a chunk boundary: once stopped, it takes no more bytes
//! from its source, and a wait for bytes or for room ends at once; a chunk
//! already taken is still handed to the sink. [`Stoppable`] bounds that last
//! write: a copy still running [`GRACE`] after the stop is dropped, chunk
//! and all.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use async_io::Timer;
use cio_types::Stream;
use futures::task::AtomicWaker;

/// How long a stopped copy may take to hand its last chunk to the sink.
pub(crate) const GRACE: Duration = Duration::from_secs(5);

/// The stop signal of one task's copies, shared by them and their
/// `CopyIo`: one allocation per task, a waker slot per copy.
#[derive(Debug, Default)]
pub(crate) struct Stops {
    stopped: AtomicBool,
    /// The executor tasks that run the copies, one slot per stream.
    wakers: [AtomicWaker; 3],
}

impl Stops {
    /// Stops every copy and wakes them.
    pub(crate) fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        self.wakers.iter().for_each(AtomicWaker::wake);
    }
}

/// What one copy sees of its task's [`Stops`].
#[derive(Clone, Debug)]
pub(crate) struct Stop {
    stops: Arc<Stops>,
    slot: Stream,
}

/// The error a copy returns when it saw the stop; reported as
/// `Error::Cancelled`.
#[derive(Debug)]
struct Stopped;

impl std::fmt::Display for Stopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the copy was stopped")
    }
}

impl std::error::Error for Stopped {}

impl Stop {
    /// The stop of the copy of `stream`.
    pub(crate) fn new(stops: &Arc<Stops>, stream: Stream) -> Self {
        Stop {
            stops: Arc::clone(stops),
            slot: stream,
        }
    }

    pub(crate) fn is_stopped(&self) -> bool {
        self.stops.stopped.load(Ordering::SeqCst)
    }

    fn waker(&self) -> &AtomicWaker {
        &self.stops.wakers[self.slot as usize]
    }

    /// `Err` once stopped: a copy asks before it takes more bytes.
    pub(crate) fn check(&self) -> io::Result<()> {
        match self.is_stopped() {
            true => Err(io::Error::new(io::ErrorKind::Interrupted, Stopped)),
            false => Ok(()),
        }
    }

    /// Polls `wait` until it is ready, unless the copy is stopped first;
    /// for waits that hold no bytes, so that ending them loses nothing.
    ///
    /// A poll function rather than a future: a future passed to an `async`
    /// helper would be kept twice in the copy's state, once as the argument
    /// and once pinned, and every idle copy would carry both.
    pub(crate) fn unless_stopped<T>(
        &self,
        mut wait: impl FnMut(&mut Context<'_>) -> Poll<io::Result<T>>,
    ) -> impl Future<Output = io::Result<T>> {
        std::future::poll_fn(move |cx| {
            self.check()?;
            wait(cx)
        })
    }
}

/// Whether `error` is the one a stopped copy returns.
pub(crate) fn is_stop(error: &io::Error) -> bool {
    error.get_ref().is_some_and(|inner| inner.is::<Stopped>())
}

/// A copy that ends when it sees its stop, or [`GRACE`] after the stop
/// when it does not: `None` then.
pub(crate) struct Stoppable<F> {
    copy: Option<Pin<Box<F>>>,
    stop: Stop,
    /// Boxed: only a stopped copy has one, and every idle one would carry
    /// its size.
    grace: Option<Box<Timer>>,
}

impl<F: Future> Stoppable<F> {
    pub(crate) fn new(copy: F, stop: Stop) -> Self {
        Stoppable {
            copy: Some(Box::pin(copy)),
            stop,
            grace: None,
        }
    }
}

impl<F: Future> Future for Stoppable<F> {
    type Output = Option<F::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // Register first, so that a stop from now on wakes this task.
        self.stop.waker().register(cx.waker());

        // Stopped: the copy gets one grace period to end by itself.
        if self.stop.is_stopped() && self.grace.is_none() {
            self.grace = Some(Box::new(Timer::after(GRACE)));
        }

        let Some(copy) = self.copy.as_mut() else {
            return Poll::Ready(None);
        };
        if let Poll::Ready(output) = copy.as_mut().poll(cx) {
            // Drop the copy, and what it holds, before reporting its end.
            self.copy = None;
            return Poll::Ready(Some(output));
        }

        if let Some(grace) = self.grace.as_mut() {
            ready!(Pin::new(&mut **grace).poll(cx));
            self.copy = None;
            return Poll::Ready(None);
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stopped_wait_ends_with_the_stop_error() {
        let stops = Arc::new(Stops::default());
        let stop = Stop::new(&stops, Stream::Stdout);
        stops.stop();
        let result = async_io::block_on(stop.unless_stopped(|_| Poll::<io::Result<()>>::Pending));
        assert!(is_stop(&result.unwrap_err()));
    }

    #[test]
    fn a_copy_that_ignores_its_stop_is_dropped_after_the_grace() {
        let stops = Arc::new(Stops::default());
        let copy = Stoppable::new(
            std::future::pending::<()>(),
            Stop::new(&stops, Stream::Stderr),
        );
        stops.stop();
        assert!(async_io::block_on(copy).is_none());
    }
}
