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
use futures::task::AtomicWaker;

/// How long a stopped copy may take to hand its last chunk to the sink.
pub(crate) const GRACE: Duration = Duration::from_secs(5);

/// The stop signal of one copy, shared by the copy and its `CopyIo`.
#[derive(Clone, Debug, Default)]
pub(crate) struct Stop(Arc<Inner>);

#[derive(Debug, Default)]
struct Inner {
    stopped: AtomicBool,
    /// The task that runs the copy.
    waker: AtomicWaker,
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
    /// Stops the copy and wakes it.
    pub(crate) fn stop(&self) {
        self.0.stopped.store(true, Ordering::SeqCst);
        self.0.waker.wake();
    }

    pub(crate) fn is_stopped(&self) -> bool {
        self.0.stopped.load(Ordering::SeqCst)
    }

    /// `Err` once stopped: a copy asks before it takes more bytes.
    pub(crate) fn check(&self) -> io::Result<()> {
        match self.is_stopped() {
            true => Err(io::Error::new(io::ErrorKind::Interrupted, Stopped)),
            false => Ok(()),
        }
    }

    /// Runs `wait` unless the copy is stopped first; for waits that hold
    /// no bytes, so that ending them loses nothing.
    pub(crate) async fn unless_stopped<T>(
        &self,
        wait: impl Future<Output = io::Result<T>>,
    ) -> io::Result<T> {
        let mut wait = std::pin::pin!(wait);
        std::future::poll_fn(|cx| {
            self.check()?;
            wait.as_mut().poll(cx)
        })
        .await
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
    grace: Option<Timer>,
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
        self.stop.0.waker.register(cx.waker());

        // Stopped: the copy gets one grace period to end by itself.
        if self.stop.is_stopped() && self.grace.is_none() {
            self.grace = Some(Timer::after(GRACE));
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
            ready!(Pin::new(grace).poll(cx));
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
        let stop = Stop::default();
        stop.stop();
        let result =
            async_io::block_on(stop.unless_stopped(std::future::pending::<io::Result<()>>()));
        assert!(is_stop(&result.unwrap_err()));
    }

    #[test]
    fn a_copy_that_ignores_its_stop_is_dropped_after_the_grace() {
        let stop = Stop::default();
        let copy = Stoppable::new(std::future::pending::<()>(), stop.clone());
        stop.stop();
        assert!(async_io::block_on(copy).is_none());
    }
}
