//! One stdout stream carrying a large payload: cio's copy into three kinds
//! of sink, beside plain loops a program would write by hand.
//!
//! A separate process writes the payload into the FIFO in 64 KiB writes, as
//! a task under containerd's shim does. Time runs from the moment the
//! writer starts to the moment the last byte has reached the sink; CPU time
//! is this process's alone (the writer's is the same in every row).

use std::fs::{File, OpenOptions};
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::Arc;
use std::time::Instant;

use cio::{Io, Output, Streams};
use rustix::pipe::SpliceFlags;

use crate::sinks::{Counter, Tally};
use crate::sys::{Record, cpu_time};

/// The size of each write of the task.
pub(crate) const WRITE_SIZE: usize = 64 * 1024;

const MIB: usize = 1024 * 1024;

/// The writer: opens `fifo` with a blocking open, as the shim does, and
/// writes `total` bytes in writes of `chunk`.
pub(crate) fn writer(fifo: &Path, total: u64, chunk: usize) -> std::io::Result<()> {
    use std::io::Write;

    let mut out = OpenOptions::new().write(true).open(fifo)?;
    let buffer = vec![b'x'; chunk];
    let mut left = total;
    while left > 0 {
        let n = usize::try_from(left).unwrap_or(chunk).min(chunk);
        out.write_all(&buffer[..n])?;
        left -= n as u64;
    }
    Ok(())
}

fn start_writer(fifo: &Path, total: u64) -> Child {
    Command::new(std::env::current_exe().expect("the benchmark knows its path"))
        .arg("writer")
        .arg(fifo)
        .arg(total.to_string())
        .arg(WRITE_SIZE.to_string())
        .spawn()
        .expect("start the writer")
}

/// Where a run's bytes go.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Sink {
    DevNull,
    File,
    Async,
}

/// Runs one measurement and prints its record.
pub(crate) fn run(name: &str, total: u64, work: Box<dyn FnOnce(&Path) -> u64 + '_>) {
    let dir = scratch_dir(name);
    let fifo = dir.join("t-stdout");

    let started_cpu = cpu_time();
    let started = Instant::now();
    let moved = work(&fifo);
    let secs = started.elapsed().as_secs_f64();
    let cpu = (cpu_time() - started_cpu).as_secs_f64();
    let _ = std::fs::remove_dir_all(&dir);

    assert_eq!(moved, total, "{name}: every byte arrived");
    let gib = total as f64 / (1u64 << 30) as f64;
    Record::new("throughput", name)
        .number("bytes", total as f64)
        .number("secs", secs)
        .number("gb_per_s", total as f64 / secs / 1e9)
        .number("cpu_s_per_gib", cpu / gib)
        .emit();
}

fn scratch_dir(name: &str) -> PathBuf {
    let slug: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let dir = std::env::temp_dir().join(format!("cio-bench-{}-{slug}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// cio copying the stdout FIFO into `sink`.
pub(crate) fn cio(sink: Sink, total: u64, file: &Path) -> impl FnOnce(&Path) -> u64 + '_ {
    move |fifo| {
        let tally = Arc::new(Tally::default());
        let output = match sink {
            Sink::DevNull => {
                Output::from(OpenOptions::new().write(true).open("/dev/null").unwrap())
            }
            Sink::File => Output::from(File::create(file).unwrap()),
            Sink::Async => Output::from_async(Counter(Arc::clone(&tally))),
        };
        let config = cio::Config {
            stdout: fifo.to_str().unwrap().into(),
            ..Default::default()
        };
        let io = cio::copy_io(config.into(), Streams::new().with_stdout(output)).unwrap();
        let mut writer = start_writer(fifo, total);
        io.wait_blocking().unwrap();
        assert!(writer.wait().unwrap().success());
        io.close().unwrap();

        match sink {
            Sink::DevNull => total,
            Sink::File => std::fs::metadata(file).map(|m| m.len()).unwrap_or(0),
            Sink::Async => tally.bytes(),
        }
    }
}

/// A plain loop: a blocking open, then `read(2)` into a buffer of `chunk`
/// bytes; with `pipe_size`, the FIFO is first raised to that capacity. With
/// `file`, each chunk is written there.
pub(crate) fn read_loop(
    total: u64,
    chunk: usize,
    pipe_size: Option<usize>,
    file: Option<PathBuf>,
) -> impl FnOnce(&Path) -> u64 {
    move |fifo| {
        use std::io::{Read, Write};

        rustix::fs::mkfifoat(rustix::fs::CWD, fifo, rustix::fs::Mode::RWXU).unwrap();
        let mut writer = start_writer(fifo, total);
        let mut input = File::open(fifo).unwrap();
        if let Some(size) = pipe_size {
            rustix::pipe::fcntl_setpipe_size(&input, size).unwrap();
        }
        let mut output = file.map(|path| File::create(path).unwrap());

        let mut buffer = vec![0_u8; chunk];
        let mut moved = 0;
        loop {
            let n = input.read(&mut buffer).unwrap();
            if n == 0 {
                break;
            }
            if let Some(output) = &mut output {
                output.write_all(&buffer[..n]).unwrap();
            }
            moved += n as u64;
        }
        assert!(writer.wait().unwrap().success());
        moved
    }
}

/// A plain `splice(2)` loop from the FIFO, raised to 1 MiB, to `/dev/null`.
pub(crate) fn splice_loop(total: u64) -> impl FnOnce(&Path) -> u64 {
    move |fifo| {
        rustix::fs::mkfifoat(rustix::fs::CWD, fifo, rustix::fs::Mode::RWXU).unwrap();
        let mut writer = start_writer(fifo, total);
        let input = File::open(fifo).unwrap();
        rustix::pipe::fcntl_setpipe_size(&input, MIB).unwrap();
        let null = OpenOptions::new().write(true).open("/dev/null").unwrap();

        let mut moved = 0;
        loop {
            let n = rustix::pipe::splice(input.as_fd(), None, &null, None, MIB, SpliceFlags::MOVE)
                .unwrap();
            if n == 0 {
                break;
            }
            moved += n as u64;
        }
        assert!(writer.wait().unwrap().success());
        moved
    }
}
