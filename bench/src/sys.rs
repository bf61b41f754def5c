//! What the benchmarks read off the system: CPU time, memory, descriptors,
//! threads, and a clock shared with other processes.

use std::time::Duration;

/// CPU time (user and system, every thread, exited ones included) this
/// process has used so far: `CLOCK_PROCESS_CPUTIME_ID`, the sum that
/// `getrusage(RUSAGE_SELF)` reports, at nanosecond resolution.
pub(crate) fn cpu_time() -> Duration {
    let now = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    Duration::new(
        u64::try_from(now.tv_sec).unwrap_or(0),
        u32::try_from(now.tv_nsec).unwrap_or(0),
    )
}

/// Resident memory of this process, in bytes.
pub(crate) fn rss() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

/// Open file descriptors of this process.
pub(crate) fn fds() -> u64 {
    std::fs::read_dir("/proc/self/fd").map_or(0, |dir| dir.count() as u64)
}

/// Threads of this process.
pub(crate) fn threads() -> u64 {
    std::fs::read_dir("/proc/self/task").map_or(0, |dir| dir.count() as u64)
}

/// `CLOCK_MONOTONIC` in nanoseconds: the same clock in every process of the
/// machine, so that two processes can time one event.
pub(crate) fn monotonic_ns() -> u64 {
    let now = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    u64::try_from(now.tv_sec).unwrap_or(0) * 1_000_000_000 + u64::try_from(now.tv_nsec).unwrap_or(0)
}

/// One result line: a JSON object with string and number fields.
#[derive(Debug, Default)]
pub(crate) struct Record(Vec<(String, String)>);

impl Record {
    pub(crate) fn new(bench: &str, name: &str) -> Self {
        Record::default().text("bench", bench).text("name", name)
    }

    pub(crate) fn text(mut self, key: &str, value: &str) -> Self {
        let escaped = value.replace('\\', "\\\\").replace('"', "\\\"");
        self.0.push((key.to_owned(), format!("\"{escaped}\"")));
        self
    }

    pub(crate) fn number(mut self, key: &str, value: f64) -> Self {
        let value = if value.is_finite() {
            format!("{value}")
        } else {
            "null".to_owned()
        };
        self.0.push((key.to_owned(), value));
        self
    }

    /// Prints the record as one line of JSON on stdout.
    #[allow(clippy::print_stdout)]
    pub(crate) fn emit(self) {
        let fields: Vec<String> = self.0.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
        println!("{{{}}}", fields.join(","));
    }
}

/// Where the benchmarks make their FIFOs: a tmpfs, as containerd's
/// `/run/containerd/fifo` is on a real host (`/dev/shm` when there is one),
/// so that the file system's own costs stay out of the figures.
pub(crate) fn fifo_root(name: &str) -> std::path::PathBuf {
    let shm = std::path::Path::new("/dev/shm");
    let base = if shm.is_dir() {
        shm.to_owned()
    } else {
        std::env::temp_dir()
    };
    base.join(format!("cio-bench-{name}-{}", std::process::id()))
}
