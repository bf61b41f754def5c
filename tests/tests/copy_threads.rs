//! However many tasks are attached and idle, the process runs the same
//! threads. Thread counts are process-wide, so this file holds one test and
//! runs as its own process.

use std::fs::{File, OpenOptions};
use std::io::PipeWriter;
use std::time::Duration;

use cio::{Creator, Io, Streams};
use cio_tests::{TempRoot, threads};

/// An idle task: its IO, the shim's ends once opened, and the writer of
/// its stdin, which says nothing.
struct Idle {
    io: Box<dyn Io>,
    _stdin: PipeWriter,
    shim_ends: Vec<File>,
}

fn idle_task(root: &TempRoot, n: usize) -> Idle {
    let (stdin, stdin_writer) = std::io::pipe().unwrap();
    let null = || OpenOptions::new().write(true).open("/dev/null").unwrap();
    let streams = Streams::new()
        .with_stdin(std::os::fd::OwnedFd::from(stdin))
        .with_stdout(null())
        .with_stderr(null())
        .with_fifo_dir(root.path());
    let io = cio::new_creator(streams)
        .create(&format!("idle-{n}"))
        .unwrap();
    Idle {
        io,
        _stdin: stdin_writer,
        shim_ends: Vec::new(),
    }
}

/// Opens the task's ends as the shim does; the opens return at once since
/// the client's ends are open.
fn connect(task: &mut Idle) {
    let config = task.io.config();
    task.shim_ends.push(File::open(&config.stdin).unwrap());
    task.shim_ends
        .push(OpenOptions::new().write(true).open(&config.stdout).unwrap());
    task.shim_ends
        .push(OpenOptions::new().write(true).open(&config.stderr).unwrap());
}

#[test]
fn five_hundred_idle_tasks_run_on_the_threads_of_five() {
    let root = TempRoot::new("threads");
    let settle = || std::thread::sleep(Duration::from_millis(200));

    // Five tasks, connected: the executor and the reactor are running.
    let mut tasks: Vec<Idle> = (0..5).map(|n| idle_task(&root, n)).collect();
    tasks.iter_mut().for_each(connect);
    settle();
    let with_five = threads();

    // Five hundred, the shim side not opened yet.
    tasks.extend((5..500).map(|n| idle_task(&root, n)));
    settle();
    assert_eq!(
        threads(),
        with_five,
        "500 tasks waiting for their shims, same threads as 5"
    );

    // The shim side opened, nothing said.
    tasks.iter_mut().skip(5).for_each(connect);
    settle();
    assert_eq!(
        threads(),
        with_five,
        "500 idle connected tasks, same threads as 5"
    );

    for task in tasks {
        task.io.close().unwrap();
    }
}
