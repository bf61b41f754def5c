//! Where the copies run: the caller's executor, or a small one of our own.

use std::fmt;
use std::io;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use async_executor::Executor;
use futures::future::BoxFuture;

/// The most threads the shared executor starts, whatever the machine.
const MAX_THREADS: usize = 4;

/// Cores per worker thread of the shared executor.
///
/// Copies are light: one worker splices a stream at several GB/s. Every
/// worker more costs a cross-thread wake-up whenever events arrive on many
/// FIFOs at once, and takes a core from the tasks, which produce what is
/// copied. Measured on two cores, one line on each stdout and stderr of
/// 1000 tasks arrived in 4.4-6.4 ms with one worker, 7.0-8.4 ms with two,
/// and one stream into /dev/null moved 5.0 GB/s with one, 3.9 with two.
const CORES_PER_WORKER: usize = 2;

/// Hands a copy to an executor.
#[derive(Clone)]
pub(crate) enum Spawner {
    /// The shared executor of this crate; a copy is stored in its task as
    /// it is, without a box of its own.
    Shared(Arc<Executor<'static>>),
    /// The caller's executor.
    Caller(Arc<dyn Fn(BoxFuture<'static, ()>) + Send + Sync>),
}

impl Spawner {
    pub(crate) fn new(spawn: impl Fn(BoxFuture<'static, ()>) + Send + Sync + 'static) -> Self {
        Spawner::Caller(Arc::new(spawn))
    }

    /// The shared executor of this crate: started on first use, with one
    /// worker thread per two cores of the machine, at least one and at most
    /// four. However many tasks there are, the number of threads stays the
    /// same: a copy waiting for bytes holds no thread, only a registration
    /// with the reactor.
    ///
    /// Each worker runs the executor inside [`async_io::block_on`], which
    /// waits on the reactor itself when there is nothing to run: the worker
    /// that sees a FIFO become readable runs its copy, with no hand-over to
    /// another thread.
    pub(crate) fn shared() -> io::Result<Self> {
        static EXECUTOR: Mutex<Option<Arc<Executor<'static>>>> = Mutex::new(None);

        let mut slot = EXECUTOR
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let executor = match &*slot {
            Some(executor) => Arc::clone(executor),
            None => {
                let executor = Arc::new(Executor::new());
                let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
                for n in 0..(cores / CORES_PER_WORKER).clamp(1, MAX_THREADS) {
                    let worker = Arc::clone(&executor);
                    std::thread::Builder::new()
                        .name(format!("cio-copy-{n}"))
                        .spawn(move || {
                            block_sigpipe();
                            async_io::block_on(worker.run(std::future::pending::<()>()))
                        })?;
                }
                Arc::clone(slot.insert(executor))
            }
        };
        Ok(Spawner::Shared(executor))
    }

    pub(crate) fn spawn(&self, copy: impl Future<Output = ()> + Send + 'static) {
        match self {
            Spawner::Shared(executor) => executor.spawn(copy).detach(),
            Spawner::Caller(spawn) => spawn(Box::pin(copy)),
        }
    }
}

/// Blocks `SIGPIPE` on the calling thread, one of the shared executor's.
///
/// A write or a `splice(2)` into a pipe or a socket whose reader left fails
/// with `EPIPE` and raises `SIGPIPE` on the thread that made it. Rust
/// programs ignore that signal, but a caller whose `SIGPIPE` has its default
/// action would be killed for a sink whose reader went away. Blocked on the
/// thread, the signal stays pending there and is never delivered; the copy
/// gets `EPIPE` and reports it. The process's dispositions are untouched.
/// Should the mask fail to change, the copies run as before.
fn block_sigpipe() {
    use nix::sys::signal::{SigSet, Signal};
    let _ = SigSet::from(Signal::SIGPIPE).thread_block();
}

impl fmt::Debug for Spawner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Spawner(..)")
    }
}
