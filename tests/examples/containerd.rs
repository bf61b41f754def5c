//! A real container whose IO goes through cio: this example starts a
//! private containerd (everything in a temporary directory, nothing shared
//! with a system one), imports a busybox image made from the host's
//! `/bin/busybox`, runs COMMAND in it, and exits with its status.
//!
//! ```text
//! cargo run -p cio-tests --features e2e --example containerd -- [--stdin] [--tty] [--log-file PATH] [--] [COMMAND...]
//! ```
//!
//! - By default the task's stdout and stderr come here, through FIFOs that
//!   `cio::new_creator` makes and copies from.
//! - `--stdin`: this process's stdin goes to the task too; at its end
//!   (Ctrl-D), `CopyIo::stdin_closed` resolves and the example calls
//!   `Tasks.CloseIO`, so that the task reads end-of-file.
//! - `--tty`: the task gets a terminal, which merges its stderr into stdout.
//!   This terminal is not put in raw mode: lines are sent as typed.
//! - `--log-file PATH`: `cio::log_file`; the shim appends both streams to
//!   PATH itself, and nothing is copied here.
//!
//! The default COMMAND prints a line to each stream. Needs root and
//! Debian's `containerd`, `runc` and `busybox-static` (and `protoc` to
//! build).

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::os::fd::{AsFd, OwnedFd};
use std::process::ExitCode;

use cio::{BoxFuture, Creator, Io, Streams};
use cio_tests::e2e::{Containerd, Context, Error, OciImage, ProcessSpec, Result};

/// What the command line asked for.
#[derive(Debug, Default)]
struct Options {
    stdin: bool,
    tty: bool,
    log_file: Option<String>,
    command: Vec<String>,
}

const USAGE: &str = "usage: containerd [--stdin] [--tty] [--log-file PATH] [--] [COMMAND...]";

/// The container's name, and its task's.
const ID: &str = "cio-example";

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let options = match parse(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(e) => {
            eprintln!("{e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(options).await {
        Ok(status) => ExitCode::from(u8::try_from(status).unwrap_or(1)),
        Err(e) => {
            eprintln!("containerd example: {e}");
            ExitCode::FAILURE
        }
    }
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Options> {
    let mut options = Options::default();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--stdin" => options.stdin = true,
            "--tty" => options.tty = true,
            "--log-file" => {
                options.log_file = Some(args.next().context("--log-file needs a path")?)
            }
            "--" => break,
            flag if flag.starts_with("--") => {
                return Err(Error::msg(format!("unknown flag {flag}")));
            }
            _ => {
                options.command.push(arg);
                break;
            }
        }
    }
    options.command.extend(args);
    if options.command.is_empty() {
        let script = r#"echo "hello from $(hostname), on stdout"; echo "and on stderr" >&2"#;
        options.command = ["sh", "-c", script].map(String::from).to_vec();
    }
    Ok(options)
}

/// Runs the container and returns its exit status.
async fn run(options: Options) -> Result<u32> {
    // A private containerd with the busybox image in it.
    let image = OciImage::busybox("cio-example.local/busybox:latest")?;
    let ctrd = Containerd::start().await?;
    ctrd.import_image(&image).await?;

    // The task's IO, made by cio.
    let process = ProcessSpec::new(&options.command).with_terminal(options.tty);
    let status = match &options.log_file {
        Some(path) => {
            let io = cio::log_file(absolute(path)?).create(ID)?;
            let status = run_task(&ctrd, &image, &process, &*io, None).await?;
            eprintln!("(the shim wrote the output to {})", io.config().stdout);
            status
        }
        None => {
            let streams = streams(&options, ctrd.dir().join("fifo"))?;
            let io = cio::new_creator(streams).create_copy_io(ID)?;
            let stdin_closed: Option<BoxFuture<'_, _>> = match options.stdin {
                true => Some(Box::pin(io.stdin_closed())),
                false => None,
            };
            let status = run_task(&ctrd, &image, &process, &io, stdin_closed).await?;
            io.close()?;
            status
        }
    };

    ctrd.delete_container(ID).await?;
    ctrd.stop().await?;
    Ok(status)
}

/// This process's streams, as the options want them, for FIFOs under
/// `fifo_dir`.
fn streams(options: &Options, fifo_dir: std::path::PathBuf) -> Result<Streams> {
    let dup = |fd: std::os::fd::BorrowedFd<'_>| -> Result<OwnedFd> {
        fd.try_clone_to_owned()
            .context("duplicating this process's stdio")
    };
    let mut streams = Streams::new()
        .with_fifo_dir(fifo_dir)
        .with_stdout(dup(std::io::stdout().as_fd())?);
    if options.stdin {
        streams = streams.with_stdin(dup(std::io::stdin().as_fd())?);
    }
    if options.tty {
        streams = streams.with_terminal();
    } else {
        streams = streams.with_stderr(dup(std::io::stderr().as_fd())?);
    }
    Ok(streams)
}

/// Creates, starts and waits for the task with `io`, then deletes it.
/// Once `stdin_closed` resolves, if given, the caller's stdin is in the
/// FIFO and the FIFO closed: `CloseIO` then lets the task read end-of-file.
async fn run_task(
    ctrd: &Containerd,
    image: &OciImage,
    process: &ProcessSpec,
    io: &dyn Io,
    stdin_closed: Option<BoxFuture<'_, std::result::Result<(), cio::Error>>>,
) -> Result<u32> {
    let rootfs = ctrd.create_container(ID, image, process).await?;
    ctrd.create_task(ID, rootfs, io.config()).await?;
    ctrd.start(ID, "").await?;

    // The task may well exit before the caller's stdin ends.
    let mut exit = std::pin::pin!(ctrd.wait(ID, ""));
    if let Some(stdin_closed) = stdin_closed {
        tokio::select! {
            status = &mut exit => return finish(ctrd, io, status?).await,
            closed = stdin_closed => {
                closed?;
                ctrd.close_stdin(ID, "").await?;
            }
        }
    }
    let status = exit.await?;
    finish(ctrd, io, status).await
}

/// Once the task exited: its output delivered, then the task deleted.
async fn finish(ctrd: &Containerd, io: &dyn Io, status: u32) -> Result<u32> {
    io.wait().await?;
    ctrd.delete_task(ID).await?;
    Ok(status)
}

/// `path`, made absolute against the current directory.
fn absolute(path: &str) -> Result<String> {
    let path = std::path::absolute(path).with_context(|| format!("the path {path}"))?;
    path.into_os_string()
        .into_string()
        .map_err(|_| Error::msg("the log path is not UTF-8"))
}
