//! Helpers shared by the integration tests: deterministic payloads, fresh
//! directories, and counts of this process's descriptors and threads.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// A payload of `len` bytes that depends on `seed`, the same in the test and
/// in the shim emulator, so that neither has to send it to the other.
pub fn pattern(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        // xorshift64*: fast, and every byte value shows up.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        out.extend_from_slice(&state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out.truncate(len);
    out
}

/// A directory path that does not exist yet, unique to this process and
/// call, under the system's temporary directory. It is removed on drop.
#[derive(Debug)]
pub struct TempRoot(PathBuf);

impl TempRoot {
    /// A fresh path; nothing is created.
    pub fn new(label: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let name = format!("cio-test-{label}-{}-{n}", std::process::id());
        TempRoot(std::env::temp_dir().join(name))
    }

    /// A fresh path, created as a directory.
    pub fn created(label: &str) -> Self {
        let root = TempRoot::new(label);
        std::fs::create_dir_all(&root.0).expect("create a temporary directory");
        root
    }

    /// The path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempRoot {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// How many file descriptors this process has open.
pub fn open_fds() -> usize {
    count_entries("/proc/self/fd")
}

/// How many threads this process runs.
pub fn threads() -> usize {
    count_entries("/proc/self/task")
}

fn count_entries(dir: &str) -> usize {
    std::fs::read_dir(dir).expect("/proc is mounted").count()
}

/// Polls `probe` until it returns true, for at most `limit`; returns the last
/// answer. For counts that settle after a background thread finishes.
pub fn settle(limit: Duration, mut probe: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + limit;
    loop {
        if probe() {
            return true;
        }
        if std::time::Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Runs `f` on a thread and fails the test if it has not returned within
/// `limit`: for calls that must not block.
pub fn within<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(limit).expect("the call returned in time")
}
