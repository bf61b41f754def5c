//! Runs a command with its stdio going through cio, playing both sides of
//! containerd: the client makes the IO with `new_creator(with_stdio)`, and
//! the "shim" opens the FIFOs with plain blocking opens and starts the
//! command on them.
//!
//! ```text
//! cargo run --example run -- sh -c 'echo out; echo err >&2; cat'
//! ```
//!
//! Typing reaches the command; Ctrl-D ends its stdin. The example exits
//! with the command's status. The FIFO sets go under `$CIO_FIFO_DIR`, or a
//! directory in the system's temporary directory.

#![allow(clippy::print_stderr)]

use std::fs::{File, OpenOptions};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, ExitCode};

use cio::{Creator, Io, Streams};

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("run: {e}");
            ExitCode::from(125)
        }
    }
}

fn run() -> Result<ExitCode, Box<dyn std::error::Error>> {
    let mut args = std::env::args_os().skip(1);
    let program = args.next().ok_or("usage: run COMMAND [ARG]...")?;

    // The client: a FIFO set for the task, copied to and from our stdio.
    let dir = std::env::var_os("CIO_FIFO_DIR")
        .map_or_else(|| std::env::temp_dir().join("cio-run"), Into::into);
    let id = format!("run-{}", std::process::id());
    let io = cio::new_creator(Streams::new().with_stdio().with_fifo_dir(dir)).create(&id)?;

    // The shim: open the task's ends as containerd's shim does, and start
    // the command on them.
    let config = io.config();
    let stdin = File::open(&config.stdin)?;
    let stdout = OpenOptions::new().write(true).open(&config.stdout)?;
    let stderr = OpenOptions::new().write(true).open(&config.stderr)?;
    let mut child = Command::new(program)
        .args(args)
        .stdin(stdin)
        .stdout(stdout)
        .stderr(stderr)
        .spawn()?;
    let status = child.wait()?;

    // The client again: every byte of output delivered, then clean up.
    io.wait_blocking()?;
    io.close()?;

    let code = match (status.code(), status.signal()) {
        (Some(code), _) => code,
        (None, Some(signal)) => 128 + signal,
        (None, None) => 1,
    };
    Ok(ExitCode::from(u8::try_from(code).unwrap_or(1)))
}
