//! Many idle tasks in one process: what each costs, how long it takes to
//! set up, and how fast one line on every stream gets through.
//!
//! The shim side is a separate process (`peer`), as it is under containerd:
//! it opens every FIFO with a blocking open and, on command, writes a line
//! to every stdout and stderr FIFO, or reads a line from every stdin FIFO.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

use cio::{Creator, Input, Io, Output, Streams};
use rustix::event::{PollFd, PollFlags};

use crate::sinks::{Counter, LineReader, LineSlot, Tally};
use crate::sys::{Record, fds, fifo_root, monotonic_ns, rss, threads};

/// How many times every stdout and stderr gets a line.
const LINE_ROUNDS: u64 = 5;

/// The median of `values`; sorts them, so the first is the smallest.
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// One idle task: its IO, and the slot that feeds its stdin.
pub(crate) struct Task {
    pub(crate) io: Box<dyn Io>,
    pub(crate) stdin: Arc<LineSlot>,
}

/// Makes `count` tasks with all three streams, counting into `tally`.
pub(crate) fn make_tasks(root: &Path, prefix: &str, count: usize, tally: &Arc<Tally>) -> Vec<Task> {
    (0..count)
        .map(|n| {
            let stdin = Arc::new(LineSlot::default());
            let streams = Streams::new()
                .with_stdin(Input::from_async(LineReader(Arc::clone(&stdin))))
                .with_stdout(Output::from_async(Counter(Arc::clone(tally))))
                .with_stderr(Output::from_async(Counter(Arc::clone(tally))))
                .with_fifo_dir(root);
            let io = cio::new_creator(streams)
                .create(&format!("{prefix}-{n}"))
                .expect("create");
            Task { io, stdin }
        })
        .collect()
}

/// The shim side of many tasks, in its own process.
pub(crate) struct Peer {
    child: Child,
    commands: ChildStdin,
    replies: BufReader<ChildStdout>,
}

impl Peer {
    /// Starts the peer on the FIFOs of `tasks` and waits until it has
    /// opened them all.
    pub(crate) fn start(tasks: &[Task], list: &Path) -> Peer {
        let mut paths = String::new();
        for task in tasks {
            let config = task.io.config();
            paths.push_str(&format!(
                "{}\t{}\t{}\n",
                config.stdin, config.stdout, config.stderr
            ));
        }
        std::fs::write(list, paths).unwrap();

        let mut child = Command::new(std::env::current_exe().unwrap())
            .arg("peer")
            .arg(list)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let commands = child.stdin.take().unwrap();
        let replies = BufReader::new(child.stdout.take().unwrap());
        let mut peer = Peer {
            child,
            commands,
            replies,
        };
        assert_eq!(peer.reply(), "ready");
        peer
    }

    fn send(&mut self, command: &str) {
        writeln!(self.commands, "{command}").unwrap();
    }

    fn reply(&mut self) -> String {
        let mut line = String::new();
        self.replies.read_line(&mut line).unwrap();
        line.trim().to_owned()
    }

    /// The monotonic time in a reply such as `written 123`.
    fn time_of(&mut self, word: &str) -> u64 {
        let reply = self.reply();
        let time = reply
            .strip_prefix(word)
            .and_then(|rest| rest.trim().parse().ok());
        time.unwrap_or_else(|| panic!("unexpected reply {reply:?}"))
    }

    pub(crate) fn stop(mut self) {
        drop(self.commands);
        let _ = self.child.wait();
    }
}

/// The peer process: see the module docs.
pub(crate) fn peer(list: &Path) -> io::Result<()> {
    let mut stdins = Vec::new();
    let mut outputs = Vec::new();
    for line in std::fs::read_to_string(list)?.lines() {
        let mut paths = line.split('\t');
        let (stdin, stdout, stderr) = (paths.next(), paths.next(), paths.next());
        stdins.push(File::open(stdin.unwrap_or_default())?);
        for path in [stdout, stderr] {
            outputs.push(
                OpenOptions::new()
                    .write(true)
                    .open(path.unwrap_or_default())?,
            );
        }
    }
    let mut out = io::stdout().lock();
    writeln!(out, "ready")?;
    out.flush()?;

    for command in io::stdin().lock().lines() {
        match command?.as_str() {
            "lines" => {
                for output in &mut outputs {
                    output.write_all(b"line\n")?;
                }
                writeln!(out, "written {}", monotonic_ns())?;
            }
            "read-stdin" => {
                read_a_line_from_each(&mut stdins)?;
                writeln!(out, "stdin {}", monotonic_ns())?;
            }
            other => writeln!(out, "unknown {other}")?,
        }
        out.flush()?;
    }
    Ok(())
}

/// Reads until a newline has come from every one of `inputs`.
fn read_a_line_from_each(inputs: &mut [File]) -> io::Result<()> {
    let mut done = vec![false; inputs.len()];
    let mut left = inputs.len();
    let mut byte = [0_u8; 64];
    while left > 0 {
        let pending: Vec<usize> = (0..inputs.len()).filter(|&i| !done[i]).collect();
        let ready: Vec<usize> = {
            let mut fds: Vec<PollFd<'_>> = pending
                .iter()
                .map(|&i| PollFd::new(&inputs[i], PollFlags::IN))
                .collect();
            rustix::event::poll(&mut fds, None)?;
            let ready = pending
                .iter()
                .zip(&fds)
                .filter(|(_, fd)| !fd.revents().is_empty());
            ready.map(|(&i, _)| i).collect()
        };
        for i in ready {
            let n = inputs[i].read(&mut byte)?;
            if n == 0 || byte[..n].contains(&b'\n') {
                done[i] = true;
                left -= 1;
            }
        }
    }
    Ok(())
}

/// What one snapshot of the process looks like.
#[derive(Clone, Copy, Debug)]
struct Snapshot {
    rss: u64,
    fds: u64,
    threads: u64,
}

fn snapshot() -> Snapshot {
    Snapshot {
        rss: rss(),
        fds: fds(),
        threads: threads(),
    }
}

/// Prints what each task costs between two snapshots; `own_fds` are the
/// benchmark's own descriptors opened meanwhile, not the tasks'.
fn per_task(
    name: &str,
    count: usize,
    (before, after): (Snapshot, Snapshot),
    own_fds: u64,
    setup: f64,
) {
    let n = count as f64;
    let fds = after.fds.saturating_sub(before.fds + own_fds);
    Record::new("scale", name)
        .number("tasks", n)
        .number(
            "rss_bytes_per_task",
            (after.rss as f64 - before.rss as f64) / n,
        )
        .number("fds_per_task", fds as f64 / n)
        .number("threads", after.threads as f64)
        .number("threads_before", before.threads as f64)
        .number("setup_us_per_task", setup * 1e6 / n)
        .emit();
}

/// The scale benchmark for `count` tasks.
pub(crate) fn run(count: usize) {
    let root = fifo_root("scale");
    let tally = Arc::new(Tally::default());

    // Warm up: the executor, the reactor and the allocator's arenas.
    let warm = make_tasks(&root, "warm", 1, &tally);
    warm.into_iter().for_each(|task| task.io.close().unwrap());
    std::thread::sleep(std::time::Duration::from_millis(100));
    let before = snapshot();

    // The client's side, the shim not there yet.
    let started = Instant::now();
    let tasks = make_tasks(&root, "idle", count, &tally);
    let setup = started.elapsed().as_secs_f64();
    let name = format!("{count} tasks, shim not opened");
    per_task(&name, count, (before, snapshot()), 0, setup);

    // The shim opens every FIFO; nothing is said.
    let mut peer = Peer::start(&tasks, &root.with_extension("list"));
    std::thread::sleep(std::time::Duration::from_millis(200));
    // The peer's stdin and stdout are two pipes of the benchmark's.
    per_task(
        &format!("{count} tasks, idle"),
        count,
        (before, snapshot()),
        2,
        setup,
    );

    // One line on every stdout and stderr, a few rounds: the machine is
    // shared, so the median says more than any one round.
    let mut arrivals = Vec::new();
    let mut writes = Vec::new();
    for round in 1..=LINE_ROUNDS {
        let started = monotonic_ns();
        peer.send("lines");
        tally.wait_lines(round * 2 * count as u64);
        arrivals.push((monotonic_ns() - started) as f64 / 1e6);
        writes.push(peer.time_of("written").saturating_sub(started) as f64 / 1e6);
    }
    // The first round is also reported alone: it is the first wake-up of
    // every copy.
    let first = arrivals[0];
    Record::new("lines", &format!("{count} tasks, stdout+stderr"))
        .number("lines", 2.0 * count as f64)
        .number("rounds", LINE_ROUNDS as f64)
        .number("ms_until_all_arrived", median(&mut arrivals))
        .number("ms_first_round", first)
        .number("ms_best_round", arrivals[0])
        .number("ms_writer_took", median(&mut writes))
        .emit();

    // One line into every stdin.
    peer.send("read-stdin");
    let started = monotonic_ns();
    for task in &tasks {
        task.stdin.send(b"line\n");
    }
    let arrived = peer.time_of("stdin");
    Record::new("lines", &format!("{count} tasks, stdin"))
        .number("lines", count as f64)
        .number("ms_until_all_arrived", (arrived - started) as f64 / 1e6)
        .emit();

    for task in tasks {
        task.io.close().unwrap();
    }
    peer.stop();
    let _ = std::fs::remove_file(root.with_extension("list"));
    let _ = std::fs::remove_dir_all(&root);
}
