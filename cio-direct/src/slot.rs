//! The state one FIFO end shares between the caller's handle and the
//! [`DirectIo`](crate::DirectIo) that can cancel or close it.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use cio_types::{Error, Stream};

/// Why an end no longer does I/O.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stop {
    /// [`Io::cancel`](cio_types::Io::cancel): the descriptor stays open
    /// until the handle is dropped or the io closed.
    Cancelled,
    /// [`Io::close`](cio_types::Io::close): the descriptor is closed.
    Closed,
}

/// One FIFO end and what is known about its use.
///
/// The end sits behind a mutex that is held only while the end is polled,
/// which never blocks, so that [`stop`](Slot::stop) can reach it from any
/// thread while the caller's task waits on it.
#[derive(Debug)]
pub(crate) struct Slot<T> {
    stream: Stream,
    path: PathBuf,
    state: Mutex<State<T>>,
}

#[derive(Debug)]
struct State<T> {
    /// The end; `None` once closed, by its handle or by the io.
    end: Option<T>,
    /// Set by the io; every later operation fails.
    stop: Option<Stop>,
    /// Whether the caller was handed the end.
    taken: bool,
    /// Whether the caller is done with it: it read end-of-file, closed it or
    /// dropped it.
    done: bool,
    /// Whether the io stopped the end while the caller still used it.
    cut: bool,
    /// The task that last found the end not ready.
    user: Option<Waker>,
    /// The tasks waiting for the caller to be done with the end.
    waiters: Vec<Waker>,
}

impl<T> Slot<T> {
    /// A slot holding `end`, opened at `path` for `stream`.
    pub(crate) fn new(stream: Stream, path: PathBuf, end: T) -> Self {
        let state = State {
            end: Some(end),
            stop: None,
            taken: false,
            done: false,
            cut: false,
            user: None,
            waiters: Vec::new(),
        };
        Slot {
            stream,
            path,
            state: Mutex::new(state),
        }
    }

    /// The stream this end serves.
    pub(crate) fn stream(&self) -> Stream {
        self.stream
    }

    /// The path the end was opened at.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Marks the end as handed to the caller; `false` if it already was.
    pub(crate) fn take(&self) -> bool {
        !std::mem::replace(&mut self.lock().taken, true)
    }

    /// Polls `op` on the end unless the io stopped it. `op` gets `None` once
    /// the end was closed through its handle. When `op` is pending, the
    /// task is remembered so that a stop wakes it.
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::ConnectionAborted`] once the io cancelled or closed
    /// the end; otherwise whatever `op` returns.
    pub(crate) fn poll_end<R>(
        &self,
        cx: &mut Context<'_>,
        op: impl FnOnce(&mut Option<T>, &mut Context<'_>) -> Poll<io::Result<R>>,
    ) -> Poll<io::Result<R>> {
        let mut state = self.lock();

        // A stopped end refuses everything, whatever the end could still do.
        if let Some(stop) = state.stop {
            return Poll::Ready(Err(self.stopped_error(stop)));
        }

        // Poll the end; remember who waits, so that a stop can wake it.
        let poll = op(&mut state.end, cx);
        if poll.is_pending() {
            match &state.user {
                Some(user) if user.will_wake(cx.waker()) => {}
                _ => state.user = Some(cx.waker().clone()),
            }
        }
        poll
    }

    /// Records that the caller is done with the end: it read end-of-file,
    /// closed the end or dropped it. The end is closed when `close` is set.
    pub(crate) fn finish(&self, close: bool) {
        let mut state = self.lock();
        state.done = true;
        let end = match close {
            true => state.end.take(),
            false => None,
        };
        let waiters = std::mem::take(&mut state.waiters);
        drop(state);

        // Close and wake outside the lock: a waker may run code of its own.
        drop(end);
        waiters.into_iter().for_each(Waker::wake);
    }

    /// Stops the end for the io: every pending and later operation fails.
    /// [`Stop::Closed`] also closes the end's descriptor.
    pub(crate) fn stop(&self, stop: Stop) {
        let mut state = self.lock();

        // A close outranks a cancel: it is the stronger statement.
        if state.stop != Some(Stop::Closed) {
            state.stop = Some(stop);
        }
        state.cut |= state.taken && !state.done;
        let end = match stop {
            Stop::Closed => state.end.take(),
            Stop::Cancelled => None,
        };
        let user = state.user.take();
        let waiters = std::mem::take(&mut state.waiters);
        drop(state);

        // Close and wake outside the lock: a waker may run code of its own.
        drop(end);
        user.into_iter().chain(waiters).for_each(Waker::wake);
    }

    /// Whether the caller is done with the end, for [`Io::wait`]: ready when
    /// the end was never handed out or the caller is done with it.
    ///
    /// [`Io::wait`]: cio_types::Io::wait
    ///
    /// # Errors
    ///
    /// [`Error::Cancelled`] when the io stopped the end while the caller
    /// still used it.
    pub(crate) fn poll_done(&self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let mut state = self.lock();
        if state.cut {
            return Poll::Ready(Err(Error::Cancelled {
                stream: self.stream,
            }));
        }
        if !state.taken || state.done {
            return Poll::Ready(Ok(()));
        }
        if !state.waiters.iter().any(|w| w.will_wake(cx.waker())) {
            state.waiters.push(cx.waker().clone());
        }
        Poll::Pending
    }

    /// The error of an operation on an end the caller closed itself.
    pub(crate) fn closed_error(&self) -> io::Error {
        let message = format!("the {} end is closed", self.stream);
        io::Error::new(io::ErrorKind::NotConnected, message)
    }

    fn stopped_error(&self, stop: Stop) -> io::Error {
        let message = match stop {
            Stop::Cancelled => format!("the {} end was cancelled", self.stream),
            Stop::Closed => format!("the {} end was closed by its io", self.stream),
        };
        io::Error::new(io::ErrorKind::ConnectionAborted, message)
    }

    /// Locks the state. A panic while it was held leaves it consistent (each
    /// change is a single assignment), so a poisoned lock is taken as is.
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Wake;

    /// Counts its wakes.
    struct Counter(AtomicUsize);

    impl Wake for Counter {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn counter() -> (Arc<Counter>, Waker) {
        let counter = Arc::new(Counter(AtomicUsize::new(0)));
        (Arc::clone(&counter), Waker::from(counter))
    }

    fn slot() -> Slot<Vec<u8>> {
        Slot::new(Stream::Stdout, "/f/t-stdout".into(), Vec::new())
    }

    #[test]
    fn an_end_is_handed_out_once() {
        let slot = slot();
        assert!(slot.take());
        assert!(!slot.take());
    }

    #[test]
    fn a_stop_wakes_the_user_and_fails_later_polls() {
        let slot = slot();
        let (wakes, waker) = counter();
        let mut cx = Context::from_waker(&waker);

        let poll = slot.poll_end(&mut cx, |_, _| Poll::<io::Result<()>>::Pending);
        assert!(poll.is_pending());
        slot.stop(Stop::Cancelled);
        assert_eq!(
            wakes.0.load(Ordering::SeqCst),
            1,
            "the pending user is woken"
        );

        let Poll::Ready(Err(error)) = slot.poll_end(&mut cx, |_, _| Poll::Ready(Ok(()))) else {
            panic!("a cancelled end refuses to work");
        };
        assert_eq!(error.kind(), io::ErrorKind::ConnectionAborted);
        assert_eq!(error.to_string(), "the stdout end was cancelled");
    }

    #[test]
    fn a_close_drops_the_end_and_outranks_a_cancel() {
        let slot = slot();
        slot.stop(Stop::Closed);
        slot.stop(Stop::Cancelled);

        let waker = Waker::noop();
        let mut cx = Context::from_waker(waker);
        let Poll::Ready(Err(error)) = slot.poll_end(&mut cx, |_, _| Poll::Ready(Ok(()))) else {
            panic!("a closed end refuses to work");
        };
        assert_eq!(error.to_string(), "the stdout end was closed by its io");
        assert!(slot.lock().end.is_none(), "the end itself is gone");
    }

    #[test]
    fn done_is_ready_for_ends_not_taken_or_finished_and_cut_is_an_error() {
        let waker = Waker::noop();
        let mut cx = Context::from_waker(waker);

        // Never handed out: nobody will read it, nothing to wait for.
        let idle = slot();
        assert!(matches!(idle.poll_done(&mut cx), Poll::Ready(Ok(()))));
        idle.stop(Stop::Cancelled);
        assert!(matches!(idle.poll_done(&mut cx), Poll::Ready(Ok(()))));

        // Handed out: pending until the caller finishes with it.
        let used = slot();
        used.take();
        let (wakes, counting) = counter();
        assert!(
            used.poll_done(&mut Context::from_waker(&counting))
                .is_pending()
        );
        used.finish(false);
        assert_eq!(wakes.0.load(Ordering::SeqCst), 1, "the waiter is woken");
        assert!(matches!(used.poll_done(&mut cx), Poll::Ready(Ok(()))));

        // Stopped while in use: cut short, whatever happens next.
        let cut = slot();
        cut.take();
        cut.stop(Stop::Cancelled);
        cut.finish(true);
        assert!(matches!(
            cut.poll_done(&mut cx),
            Poll::Ready(Err(Error::Cancelled {
                stream: Stream::Stdout
            }))
        ));
    }
}
