//! Where the copies run: the caller's executor, or a small one of our own.

use std::fmt;
use std::io;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use futures::executor::ThreadPool;
use futures::future::BoxFuture;

/// The most threads the shared executor starts, whatever the machine.
const MAX_THREADS: usize = 4;

/// Hands a copy to an executor.
#[derive(Clone)]
pub(crate) struct Spawner(Arc<dyn Fn(BoxFuture<'static, ()>) + Send + Sync>);

impl Spawner {
    pub(crate) fn new(spawn: impl Fn(BoxFuture<'static, ()>) + Send + Sync + 'static) -> Self {
        Spawner(Arc::new(spawn))
    }

    /// The shared executor of this crate: started on first use, with as
    /// many threads as the machine has cores, at most four. However many
    /// tasks there are, the number of threads stays the same: a copy waiting
    /// for bytes holds no thread, only a registration with the reactor.
    pub(crate) fn shared() -> io::Result<Self> {
        static POOL: Mutex<Option<ThreadPool>> = Mutex::new(None);

        let mut pool = POOL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let pool = match &mut *pool {
            Some(pool) => pool.clone(),
            slot @ None => {
                let threads = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
                let created = ThreadPool::builder()
                    .pool_size(threads.min(MAX_THREADS))
                    .name_prefix("cio-copy-")
                    .create()?;
                slot.insert(created).clone()
            }
        };
        Ok(Spawner::new(move |copy| pool.spawn_ok(copy)))
    }

    pub(crate) fn spawn(&self, copy: BoxFuture<'static, ()>) {
        (self.0)(copy);
    }
}

impl fmt::Debug for Spawner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Spawner(..)")
    }
}
