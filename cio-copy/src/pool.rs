//! Copy buffers, lent only while bytes are moving.

use std::ops::{Deref, DerefMut};
use std::sync::Mutex;

/// The size of one buffer: a FIFO raised to its usual maximum holds 1 MiB,
/// and a read this large drains most of a busy one at once.
pub(crate) const BUFFER_SIZE: usize = 256 * 1024;

/// How many idle buffers the pool keeps; beyond that, returned buffers are
/// freed, so an idle process holds at most this many.
const KEEP: usize = 8;

static FREE: Mutex<Vec<Box<[u8]>>> = Mutex::new(Vec::new());

/// A buffer borrowed from the pool; it goes back when dropped.
pub(crate) struct Buffer(Option<Box<[u8]>>);

impl Buffer {
    /// Borrows a buffer, allocating one if none is free.
    pub(crate) fn take() -> Self {
        let reused = FREE
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .pop();
        Buffer(Some(
            reused.unwrap_or_else(|| vec![0; BUFFER_SIZE].into_boxed_slice()),
        ))
    }
}

impl Deref for Buffer {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.0.as_deref().unwrap_or_default()
    }
}

impl DerefMut for Buffer {
    fn deref_mut(&mut self) -> &mut [u8] {
        self.0.as_deref_mut().unwrap_or_default()
    }
}

impl Drop for Buffer {
    fn drop(&mut self) {
        let Some(buffer) = self.0.take() else { return };
        let mut free = FREE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if free.len() < KEEP {
            free.push(buffer);
        }
    }
}

/// How many buffers the pool holds now, for tests.
#[cfg(test)]
pub(crate) fn idle() -> usize {
    FREE.lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_return_to_the_pool_up_to_its_limit() {
        let taken: Vec<Buffer> = (0..KEEP + 3).map(|_| Buffer::take()).collect();
        assert!(taken.iter().all(|b| b.len() == BUFFER_SIZE));
        drop(taken);
        assert_eq!(idle(), KEEP, "the pool keeps at most {KEEP} idle buffers");
    }
}
