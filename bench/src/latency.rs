//! Round trips of one byte through a stdout FIFO while many other tasks
//! sit idle: the time from the task's write to the byte's arrival in the
//! caller's stream.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cio::{Io, Output, Streams};

use crate::scale::{Peer, make_tasks};
use crate::sinks::{Counter, Tally};
use crate::sys::{Record, fifo_root};

/// Measures `trips` round trips with `idle` idle tasks attached.
pub(crate) fn run(idle: usize, trips: usize) {
    let root = fifo_root("latency");
    let tally = Arc::new(Tally::default());
    let tasks = make_tasks(&root, "idle", idle, &tally);
    let peer = Peer::start(&tasks, &root.with_extension("list"));

    // Into a pipe: the bytes go by splice(2).
    let (mut pipe_out, pipe_in) = std::io::pipe().unwrap();
    let samples = probe(
        &root,
        "pipe",
        Output::from_fd(OwnedFd::from(pipe_in)),
        trips,
        |_| {
            let mut byte = [0_u8; 1];
            pipe_out.read_exact(&mut byte).unwrap();
        },
    );
    report(&format!("{idle} idle tasks, fd sink"), samples);

    // Into an async writer: the bytes go through a pooled buffer.
    let probe_tally = Arc::new(Tally::default());
    let waiting = Arc::clone(&probe_tally);
    let samples = probe(
        &root,
        "async",
        Output::from_async(Counter(probe_tally)),
        trips,
        |n| {
            waiting.wait_lines(n as u64 + 1);
        },
    );
    report(&format!("{idle} idle tasks, async sink"), samples);

    for task in tasks {
        task.io.close().unwrap();
    }
    peer.stop();
    let _ = std::fs::remove_file(root.with_extension("list"));
    let _ = std::fs::remove_dir_all(&root);
}

/// Writes a newline into a probe task's stdout `trips` times, each time
/// waiting with `arrived` until it is through.
fn probe(
    root: &std::path::Path,
    id: &str,
    output: Output,
    trips: usize,
    mut arrived: impl FnMut(usize),
) -> Vec<Duration> {
    let fifos = cio::new_fifo_set_in_dir(root, id, false).unwrap();
    let mut config = fifos.config.clone();
    config.stdin.clear();
    config.stderr.clear();
    let fifos = cio::FifoSet::new(config, fifos.into_parts().1);
    let io = cio::copy_io(fifos, Streams::new().with_stdout(output)).unwrap();
    let mut task: File = OpenOptions::new()
        .write(true)
        .open(&io.config().stdout)
        .unwrap();

    let mut samples = Vec::with_capacity(trips);
    for n in 0..trips {
        let started = Instant::now();
        task.write_all(b"\n").unwrap();
        arrived(n);
        samples.push(started.elapsed());
    }
    drop(task);
    io.wait_blocking().unwrap();
    io.close().unwrap();
    samples
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize].as_secs_f64() * 1e6;
    Record::new("latency", name)
        .number("trips", samples.len() as f64)
        .number("median_us", at(0.5))
        .number("p99_us", at(0.99))
        .number("max_us", at(1.0))
        .emit();
}
