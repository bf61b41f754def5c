//! Helpers shared by the integration tests: deterministic payloads, fresh
//! directories, and counts of this process's descriptors and threads; with
//! the feature `e2e`, the harness of the end-to-end suite (module `e2e`).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

#[cfg(feature = "e2e")]
pub mod e2e;

/// A payload of `len` bytes that depends on `seed`, the same in the test and
/// in the shim emulator, so that neither has to send it to the other.
pub fn pattern(seed: u64, len: usize) -> Vec<u8> {
    let mut out = vec![0; len];
    Pattern::new(seed).fill(&mut out);
    out
}

/// The bytes of [`pattern`] one piece at a time, for payloads too large to
/// hold: `Pattern::new(s)` filling `a` then `b` gives `pattern(s, a + b)`.
#[derive(Clone, Debug)]
pub struct Pattern {
    state: u64,
    /// The word being handed out, and how many of its bytes are left.
    word: [u8; 8],
    left: usize,
}

impl Pattern {
    /// The pattern of `seed`, from its first byte.
    pub fn new(seed: u64) -> Self {
        Pattern {
            state: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
            word: [0; 8],
            left: 0,
        }
    }

    /// Fills `out` with the next bytes.
    pub fn fill(&mut self, out: &mut [u8]) {
        for byte in out {
            if self.left == 0 {
                // xorshift64*: fast, and every byte value shows up.
                self.state ^= self.state >> 12;
                self.state ^= self.state << 25;
                self.state ^= self.state >> 27;
                self.word = self.state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes();
                self.left = 8;
            }
            *byte = self.word[8 - self.left];
            self.left -= 1;
        }
    }
}

/// Checks a stream against [`pattern`] as it arrives, holding none of it.
#[derive(Clone, Debug)]
pub struct PatternCheck {
    expected: Pattern,
    scratch: Vec<u8>,
    /// Bytes checked so far.
    pub seen: u64,
    /// The offset of the first byte that differed, if one did.
    pub first_difference: Option<u64>,
}

impl PatternCheck {
    /// A check of `pattern(seed, ..)` from its first byte.
    pub fn new(seed: u64) -> Self {
        PatternCheck {
            expected: Pattern::new(seed),
            scratch: Vec::new(),
            seen: 0,
            first_difference: None,
        }
    }

    /// Checks the next bytes of the stream.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.scratch.resize(bytes.len(), 0);
        self.expected.fill(&mut self.scratch);
        if self.first_difference.is_none()
            && let Some(at) = bytes.iter().zip(&self.scratch).position(|(a, b)| a != b)
        {
            self.first_difference = Some(self.seen + at as u64);
        }
        self.seen += bytes.len() as u64;
    }

    /// Whether exactly `len` bytes came, each the pattern's.
    pub fn is_exactly(&self, len: u64) -> bool {
        self.seen == len && self.first_difference.is_none()
    }
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

/// The names of this process's threads, sorted: for messages that say
/// which thread is left over.
pub fn thread_names() -> Vec<String> {
    let tasks = std::fs::read_dir("/proc/self/task").expect("/proc is mounted");
    let mut names: Vec<String> = tasks
        .filter_map(Result::ok)
        .map(|task| std::fs::read_to_string(task.path().join("comm")).unwrap_or_default())
        .map(|name| name.trim().to_owned())
        .collect();
    names.sort();
    names
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

/// An in-memory sink, shared: the test keeps a clone and reads what the
/// copies wrote. Usable as an async and as a blocking writer.
#[derive(Clone, Debug, Default)]
pub struct Collector(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Collector {
    /// An empty collector.
    pub fn new() -> Self {
        Collector::default()
    }

    /// Everything written so far.
    pub fn bytes(&self) -> Vec<u8> {
        self.0.lock().unwrap().clone()
    }
}

impl std::io::Write for Collector {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl futures::io::AsyncWrite for Collector {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::task::Poll::Ready(std::io::Write::write(&mut self.get_mut(), buf))
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn poll_close(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}

/// A blocking writer that accepts `limit` bytes, then fails every write
/// with `ErrorKind::StorageFull`, as a full disk would.
#[derive(Debug)]
pub struct FailAfter {
    /// Bytes still accepted.
    pub limit: usize,
}

impl std::io::Write for FailAfter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.limit == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::StorageFull,
                "sink is full",
            ));
        }
        let n = buf.len().min(self.limit);
        self.limit -= n;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Makes the FIFOs of a set, as a shim would have, for attach tests.
pub fn make_fifos(config: &cio_types::Config) {
    for path in [&config.stdin, &config.stdout, &config.stderr] {
        if !path.is_empty() {
            rustix::fs::mkfifoat(rustix::fs::CWD, path.as_str(), rustix::fs::Mode::RWXU)
                .expect("mkfifo");
        }
    }
}

/// The kinds of output sink, one per way the copy engine moves bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SinkKind {
    /// An async writer: the buffered path.
    Async,
    /// A blocking writer: the `blocking` pool path.
    Blocking,
    /// A regular file: spliced.
    File,
    /// A regular file opened for appending: written, never spliced.
    AppendFile,
    /// A pipe: spliced.
    Pipe,
    /// A Unix socket: spliced.
    Socket,
}

/// What reached a sink, read back once the copy has ended and dropped it.
pub type Received = Box<dyn FnOnce() -> Vec<u8>>;

/// A sink of `kind` for a copy; files are made in `dir` under `name`.
pub fn make_sink(kind: SinkKind, dir: &Path, name: &str) -> (cio::Output, Received) {
    use std::io::Read;

    // Reads a descriptor's other end to its end, on a thread.
    fn drain(mut reader: impl Read + Send + 'static) -> Received {
        let drain = std::thread::spawn(move || {
            let mut bytes = Vec::new();
            reader.read_to_end(&mut bytes).expect("drain the sink");
            bytes
        });
        Box::new(move || drain.join().expect("the drain thread"))
    }

    match kind {
        SinkKind::Async | SinkKind::Blocking => {
            let collector = Collector::new();
            let output = match kind {
                SinkKind::Async => cio::Output::from_async(collector.clone()),
                _ => cio::Output::from_blocking(collector.clone()),
            };
            (output, Box::new(move || collector.bytes()))
        }
        SinkKind::File | SinkKind::AppendFile => {
            let path = dir.join(name);
            std::fs::write(&path, b"").expect("create the sink file");
            let file = std::fs::OpenOptions::new()
                .write(true)
                .append(kind == SinkKind::AppendFile)
                .open(&path)
                .expect("open the sink file");
            (
                cio::Output::from(file),
                Box::new(move || std::fs::read(path).expect("read the sink")),
            )
        }
        SinkKind::Pipe => {
            let (reader, writer) = std::io::pipe().expect("a pipe");
            (
                cio::Output::from_fd(std::os::fd::OwnedFd::from(writer)),
                drain(reader),
            )
        }
        SinkKind::Socket => {
            let (ours, theirs) = std::os::unix::net::UnixStream::pair().expect("a socket pair");
            (cio::Output::from(ours), drain(theirs))
        }
    }
}
