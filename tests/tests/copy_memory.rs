//! A slow consumer does not make the process hold what the task writes:
//! the FIFO holds the task back. Memory is process-wide, so this file
//! holds a single test and runs as its own process.

use std::io::Read;
use std::os::fd::OwnedFd;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use cio::{Creator, Io, Output, Streams};
use cio_tests::{PatternCheck, TempRoot, settle, within};

const SHIM: &str = env!("CARGO_BIN_EXE_shim");
const MIB: u64 = 1024 * 1024;

/// What each task stream carries: twice the bound below, so that a copy
/// that held what the task writes would cross it on one stream alone.
const LEN: u64 = 128 * MIB;

/// The most the process may grow while both streams run. What it holds by
/// design: per stream one pooled 256 KiB buffer (the pool keeps at most
/// eight), the blocking pool's threads and their stacks, and the FIFOs'
/// and the sink pipe's bytes, which sit in the kernel, not in this
/// process. 64 MiB leaves room for the allocator and the test's own
/// checking, and is half of what one unbounded stream would take.
const BOUND: u64 = 64 * MIB;

/// This process's resident memory, from `/proc/self/status`.
fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

/// A consumer that takes 1 KiB a millisecond while `slow` is set, then as
/// fast as it can; it checks the bytes against the pattern as they come.
struct Consumer {
    slow: Arc<AtomicBool>,
    seen: Arc<AtomicU64>,
    check: PatternCheck,
}

impl Consumer {
    fn take(&mut self, bytes: &[u8]) {
        self.check.feed(bytes);
        self.seen.fetch_add(bytes.len() as u64, Ordering::SeqCst);
        if self.slow.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// How much one call takes.
    fn room(&self, offered: usize) -> usize {
        match self.slow.load(Ordering::SeqCst) {
            true => offered.min(1024),
            false => offered,
        }
    }
}

/// The blocking-writer form of the consumer: the buffered path.
struct SlowWriter(Consumer);

impl std::io::Write for SlowWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.0.room(buf.len());
        self.0.take(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A slow writer that publishes its check after every write, since the
/// engine keeps the writer.
struct Reporting(SlowWriter, Arc<std::sync::Mutex<Option<PatternCheck>>>);

impl std::io::Write for Reporting {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.0.write(buf)?;
        *self.1.lock().unwrap() = Some(self.0.0.check.clone());
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn count_in(path: &std::path::Path) -> u64 {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(0)
}

#[test]
fn a_slow_consumer_holds_the_task_back_and_memory_stays_bounded() {
    let root = TempRoot::created("memory");
    let slow = Arc::new(AtomicBool::new(true));
    let consumer = |seed| Consumer {
        slow: Arc::clone(&slow),
        seen: Arc::new(AtomicU64::new(0)),
        check: PatternCheck::new(seed),
    };

    // stdout goes to a pipe (spliced), read by a slow thread; stderr to a
    // slow blocking writer (through pooled buffers).
    let (mut out, err) = (consumer(1), consumer(2));
    let (out_seen, err_seen) = (Arc::clone(&out.seen), Arc::clone(&err.seen));
    let err_check = Arc::new(std::sync::Mutex::new(None));
    let (mut pipe, pipe_writer) = std::io::pipe().unwrap();
    let reader = std::thread::spawn(move || {
        let mut buf = vec![0; 64 * 1024];
        loop {
            let room = out.room(buf.len());
            match pipe.read(&mut buf[..room]).unwrap() {
                0 => return out.check,
                n => out.take(&buf[..n]),
            }
        }
    });
    let streams = Streams::new()
        .with_stdout(Output::from_fd(OwnedFd::from(pipe_writer)))
        .with_stderr(Output::from_blocking(Reporting(
            SlowWriter(err),
            Arc::clone(&err_check),
        )))
        .with_fifo_dir(root.path().join("fifo"));
    let io = cio::new_creator(streams).create("m").unwrap();

    let before = rss();
    let peak = Arc::new(AtomicU64::new(before));
    let (mut counts, mut tasks) = (Vec::new(), Vec::new());
    for (path, seed, name) in [
        (&io.config().stdout, 1, "out"),
        (&io.config().stderr, 2, "err"),
    ] {
        let count = root.path().join(name);
        tasks.push(
            Command::new(SHIM)
                .arg("write")
                .arg(path)
                .arg(LEN.to_string())
                .args(["--seed", &seed.to_string(), "--count-to"])
                .arg(&count)
                .spawn()
                .unwrap(),
        );
        counts.push(count);
    }

    // The slow phase: two seconds at 1 KiB a millisecond per stream.
    for _ in 0..200 {
        std::thread::sleep(Duration::from_millis(10));
        peak.fetch_max(rss(), Ordering::SeqCst);
    }
    let written: Vec<u64> = counts.iter().map(|c| count_in(c)).collect();
    let taken = [
        out_seen.load(Ordering::SeqCst),
        err_seen.load(Ordering::SeqCst),
    ];
    for ((written, taken), name) in written.iter().zip(taken).zip(["stdout", "stderr"]) {
        // Ahead of the consumer by no more than the FIFO (raised to 1 MiB
        // at most), the sink pipe, a buffer and the shim's last write.
        assert!(
            *written < taken + 8 * MIB,
            "{name}: the task is held back: wrote {written}, consumer took {taken}"
        );
    }

    // Then as fast as it goes, to the end.
    slow.store(false, Ordering::SeqCst);
    let sampler = {
        let peak = Arc::clone(&peak);
        let done = Arc::new(AtomicBool::new(false));
        let stop = Arc::clone(&done);
        let thread = std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                peak.fetch_max(rss(), Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        (done, thread)
    };
    for mut task in tasks {
        let status = within(Duration::from_secs(300), move || task.wait().unwrap());
        assert!(status.success());
    }
    let io = within(Duration::from_secs(300), move || {
        io.wait_blocking().unwrap();
        io
    });
    io.close().unwrap();
    drop(io);
    sampler.0.store(true, Ordering::SeqCst);
    sampler.1.join().unwrap();

    let out = reader.join().unwrap();
    assert!(out.is_exactly(LEN), "stdout: {out:?}");
    assert!(
        settle(Duration::from_secs(10), || err_check
            .lock()
            .unwrap()
            .as_ref()
            .is_some_and(|c| c.is_exactly(LEN))),
        "stderr: {:?}",
        err_check.lock().unwrap()
    );
    let growth = peak.load(Ordering::SeqCst).saturating_sub(before);
    assert!(
        growth < BOUND,
        "grew {} MiB for {} MiB through slow sinks",
        growth / MIB,
        2 * LEN / MIB
    );
}
