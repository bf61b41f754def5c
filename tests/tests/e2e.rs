//! End to end: a private containerd runs busybox tasks whose IO cio makes,
//! and each case checks what reached the client, the log file or the
//! logging binary, and that nothing is left behind.
//!
//! Built with the feature `e2e`; needs root, `containerd`, `runc` and
//! `busybox-static` (`cargo xtask test` runs it as a cell of its own when
//! they are there). Each case starts its own daemon (about 50 ms), so the
//! cases run in parallel; the FIFO root of each is a directory of that
//! daemon, checked empty when the case ends.

use std::fs::File;
use std::io::{PipeReader, Read};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use cio::{Attach, Creator, FifoSet, Input, Io, Output, Streams};
use cio_tests::Collector;
use cio_tests::e2e::image::hex;
use cio_tests::e2e::{
    Containerd, Context, Error, OciImage, ProcessSpec, Result, ensure, shim_pids,
};
use futures::io::{AsyncReadExt, AsyncWriteExt};
use sha2::{Digest, Sha256};

/// The longest any one step may take before the case fails.
const LIMIT: Duration = Duration::from_secs(30);

/// SIGKILL, as containerd's API takes it.
const SIGKILL: u32 = 9;

/// A daemon with the image in it, a FIFO root and a scratch directory.
struct Fixture {
    ctrd: Containerd,
    image: OciImage,
    /// Where this case's FIFO sets go; empty again when the case ends.
    fifo_root: PathBuf,
    work: PathBuf,
}

impl Fixture {
    async fn new() -> Result<Self> {
        // The image is the same for every case: build it once.
        static IMAGE: OnceLock<OciImage> = OnceLock::new();
        let build = || match OciImage::busybox("cio-e2e.local/busybox:latest") {
            Ok(image) => image,
            Err(e) => panic!("{e}"),
        };
        let image = IMAGE.get_or_init(build).clone();

        // The daemon with the image in it, and directories that go with it.
        let ctrd = Containerd::start().await?;
        ctrd.import_image(&image).await?;
        let fifo_root = ctrd.dir().join("fifo");
        let work = ctrd.dir().join("work");
        std::fs::create_dir(&work)?;
        Ok(Fixture {
            ctrd,
            image,
            fifo_root,
            work,
        })
    }

    /// Streams whose FIFO sets go under this case's FIFO root.
    fn streams(&self) -> Streams {
        Streams::new().with_fifo_dir(&self.fifo_root)
    }

    /// Stops the daemon and checks that nothing of the case is left: no
    /// FIFO directory, no daemon directory, no shim.
    async fn stop(self) -> Result<()> {
        let left: Vec<PathBuf> = std::fs::read_dir(&self.fifo_root)
            .map(|entries| entries.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        let (dir, socket) = (self.ctrd.dir().to_owned(), self.ctrd.socket());
        self.ctrd.stop().await?;
        ensure(left.is_empty(), || {
            format!("left under the FIFO root: {left:?}")
        })?;
        ensure(!dir.exists(), || format!("{} still exists", dir.display()))?;
        let shims = shim_pids(&socket);
        ensure(shims.is_empty(), || {
            format!("shims still running: {shims:?}")
        })
    }
}

/// `future`, or an error naming `what` if it takes longer than [`LIMIT`].
async fn within<T>(what: &str, future: impl Future<Output = T>) -> Result<T> {
    tokio::time::timeout(LIMIT, future)
        .await
        .map_err(|_| Error::msg(format!("{what}: not done within {LIMIT:?}")))
}

/// Runs a blocking call off the runtime's thread, within [`LIMIT`].
async fn blocking<T: Send + 'static>(
    what: &str,
    call: impl FnOnce() -> T + Send + 'static,
) -> Result<T> {
    within(what, tokio::task::spawn_blocking(call))
        .await?
        .context(what)
}

/// The directory holding a FIFO set's FIFOs.
fn fifo_dir(config: &cio::Config) -> PathBuf {
    Path::new(&config.stdout)
        .parent()
        .map(Path::to_owned)
        .unwrap_or_default()
}

/// What a collector got, as text.
fn text(collector: &Collector) -> String {
    String::from_utf8_lossy(&collector.bytes()).into_owned()
}

/// stdout and stderr each through a FIFO of their own to the caller's
/// writers, an async one and a blocking one, and the exit status back.
#[tokio::test]
async fn stdout_and_stderr_apart_with_the_exit_code() -> Result<()> {
    let fx = Fixture::new().await?;
    let (out, err) = (Collector::new(), Collector::new());
    let streams = fx
        .streams()
        .with_stdout(Output::from_async(out.clone()))
        .with_stderr(Output::from_blocking(err.clone()));
    let io = cio::new_creator(streams).create("split")?;
    let dir = fifo_dir(io.config());

    // The task writes to both, then fails with status 3.
    let process = ProcessSpec::shell("echo to-out; echo to-err >&2; exit 3");
    let rootfs = fx
        .ctrd
        .create_container("split", &fx.image, &process)
        .await?;
    fx.ctrd.create_task("split", rootfs, io.config()).await?;
    fx.ctrd.start("split", "").await?;
    assert_eq!(within("the exit", fx.ctrd.wait("split", "")).await??, 3);

    // Every byte delivered, each to its own writer.
    within("the output", io.wait()).await??;
    assert_eq!(text(&out), "to-out\n");
    assert_eq!(text(&err), "to-err\n");

    // Delete, then close: the FIFO directory goes.
    assert_eq!(fx.ctrd.delete_task("split").await?, 3);
    io.close()?;
    ensure(!dir.exists(), || format!("{} still exists", dir.display()))?;
    fx.ctrd.delete_container("split").await?;
    fx.stop().await
}

/// The caller's stdin reaches the task; when it ends, the hook
/// (`stdin_closed`) says so and CloseIO lets the task read end-of-file:
/// `cat` exits on its own, having echoed every byte.
#[tokio::test]
async fn stdin_ends_through_the_hook_and_close_io() -> Result<()> {
    let fx = Fixture::new().await?;
    let input = cio_tests::pattern(7, 1 << 20);
    let out = Collector::new();
    let streams = fx
        .streams()
        .with_stdin(Input::from_blocking(std::io::Cursor::new(input.clone())))
        .with_stdout(Output::from_async(out.clone()))
        .with_stderr(Output::from_blocking(std::io::sink()));
    let io = cio::new_creator(streams).create_copy_io("cat")?;

    let rootfs = fx
        .ctrd
        .create_container("cat", &fx.image, &ProcessSpec::new(&["cat"]))
        .await?;
    fx.ctrd.create_task("cat", rootfs, io.config()).await?;
    fx.ctrd.start("cat", "").await?;

    // All of stdin is in the FIFO and the client's end is closed: now the
    // shim may close its own.
    within("stdin's end", io.stdin_closed()).await??;
    fx.ctrd.close_stdin("cat", "").await?;

    // `cat` saw end-of-file and exited by itself.
    assert_eq!(within("the exit", fx.ctrd.wait("cat", "")).await??, 0);
    within("the output", io.wait()).await??;
    ensure(out.bytes() == input, || {
        format!("cat echoed {} bytes of {}", out.bytes().len(), input.len())
    })?;

    fx.ctrd.delete_task("cat").await?;
    io.close()?;
    fx.stop().await
}

/// A terminal merges stderr into stdout: the FIFO set has no stderr, and
/// the task's output comes through stdout, with the terminal's `\r\n`.
#[tokio::test]
async fn terminal_has_stdout_only() -> Result<()> {
    let fx = Fixture::new().await?;
    let out = Collector::new();
    let streams = fx
        .streams()
        .with_stdout(Output::from_blocking(out.clone()))
        .with_terminal();
    let io = cio::new_creator(streams).create("tty")?;
    assert!(io.config().terminal);
    assert_eq!(io.config().stderr, "", "no stderr FIFO with a terminal");

    let process = ProcessSpec::shell("tty; echo to-out; echo to-err >&2").with_terminal(true);
    let rootfs = fx.ctrd.create_container("tty", &fx.image, &process).await?;
    fx.ctrd.create_task("tty", rootfs, io.config()).await?;
    fx.ctrd.start("tty", "").await?;
    assert_eq!(within("the exit", fx.ctrd.wait("tty", "")).await??, 0);

    within("the output", io.wait()).await??;
    assert_eq!(text(&out), "/dev/pts/0\r\nto-out\r\nto-err\r\n");

    fx.ctrd.delete_task("tty").await?;
    io.close()?;
    fx.stop().await
}

/// A process exec'd in a running task has a FIFO set of its own, which
/// containerd reports for it; its stdin, output and exit status are its own.
#[tokio::test]
async fn exec_has_its_own_fifo_set() -> Result<()> {
    let fx = Fixture::new().await?;

    // A long-running init with no IO at all.
    let init = cio::null_io("svc")?;
    let rootfs = fx
        .ctrd
        .create_container("svc", &fx.image, &ProcessSpec::new(&["sleep", "1000"]))
        .await?;
    fx.ctrd.create_task("svc", rootfs, init.config()).await?;
    fx.ctrd.start("svc", "").await?;

    // The exec'd process, with stdin, stdout and stderr.
    let (out, err) = (Collector::new(), Collector::new());
    let streams = fx
        .streams()
        .with_stdin(Input::from_blocking(&b"abc\n"[..]))
        .with_stdout(Output::from_async(out.clone()))
        .with_stderr(Output::from_async(err.clone()));
    let io = cio::new_creator(streams).create_copy_io("svc-ex1")?;
    let process = ProcessSpec::shell("x=$(cat); echo \"out $x\"; echo \"err $x\" >&2; exit 7");
    fx.ctrd.exec("svc", "ex1", &process, io.config()).await?;
    fx.ctrd.start("svc", "ex1").await?;
    assert_eq!(&fx.ctrd.process_io("svc", "ex1").await?, io.config());
    ensure(
        fx.ctrd.process_io("svc", "").await?.stdout.is_empty(),
        || "the init has an IO of its own".to_owned(),
    )?;

    // Feed it, close its stdin, collect.
    within("stdin's end", io.stdin_closed()).await??;
    fx.ctrd.close_stdin("svc", "ex1").await?;
    assert_eq!(within("the exit", fx.ctrd.wait("svc", "ex1")).await??, 7);
    within("the output", io.wait()).await??;
    assert_eq!(text(&out), "out abc\n");
    assert_eq!(text(&err), "err abc\n");
    assert_eq!(fx.ctrd.delete_process("svc", "ex1").await?, 7);
    io.close()?;

    // The init is unaffected, until killed.
    ensure(fx.ctrd.is_running("svc", "").await?, || {
        "the init stopped".to_owned()
    })?;
    fx.ctrd.kill("svc", "", SIGKILL, false).await?;
    assert_eq!(
        within("the init's exit", fx.ctrd.wait("svc", "")).await??,
        137
    );
    fx.ctrd.delete_task("svc").await?;
    fx.stop().await
}

/// The process-wide count of bytes that went through `read(2)` and
/// `write(2)` (`rchar` plus `wchar`); `splice(2)` does not count.
fn bytes_read_and_written() -> Result<u64> {
    let io = std::fs::read_to_string("/proc/self/io")?;
    let mut total = 0;
    for line in io.lines() {
        if let Some(n) = line
            .strip_prefix("rchar: ")
            .or_else(|| line.strip_prefix("wchar: "))
        {
            total += n.parse::<u64>().context("/proc/self/io")?;
        }
    }
    Ok(total)
}

/// An async writer that only hashes and counts what it is given.
#[derive(Clone, Default)]
struct Hasher(Arc<Mutex<(Sha256, u64)>>);

impl Hasher {
    fn hex_and_len(&self) -> (String, u64) {
        let state = self.0.lock().unwrap();
        (hex(&state.0.clone().finalize()), state.1)
    }
}

impl futures::io::AsyncWrite for Hasher {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut TaskContext<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let mut state = self.0.lock().unwrap();
        state.0.update(buf);
        state.1 += buf.len() as u64;
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut TaskContext<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut TaskContext<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// How many bytes the big task sends.
const BIG: u64 = 64 << 20;

/// Runs a task that sends [`BIG`] random bytes on stdout and their SHA-256
/// on stderr, its stdout going to `stdout`. Returns the checksum it sent.
async fn send_big(fx: &Fixture, id: &str, stdout: Output) -> Result<String> {
    let checksum = Collector::new();
    let streams = fx
        .streams()
        .with_stdout(stdout)
        .with_stderr(Output::from_async(checksum.clone()));
    let io = cio::new_creator(streams).create(id)?;
    let script = format!(
        "dd if=/dev/urandom of=/tmp/big bs=1048576 count={} 2>/dev/null \
         && sha256sum /tmp/big >&2 && cat /tmp/big",
        BIG >> 20
    );
    let rootfs = fx
        .ctrd
        .create_container(id, &fx.image, &ProcessSpec::shell(&script))
        .await?;
    fx.ctrd.create_task(id, rootfs, io.config()).await?;
    fx.ctrd.start(id, "").await?;
    assert_eq!(within("the exit", fx.ctrd.wait(id, "")).await??, 0);
    within("the output", io.wait()).await??;
    fx.ctrd.delete_task(id).await?;
    io.close()?;

    // `sha256sum` prints the checksum, then the file name.
    let line = text(&checksum);
    let sent = line
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned();
    ensure(sent.len() == 64, || {
        format!("no checksum from the task: {line:?}")
    })?;
    Ok(sent)
}

/// 64 MiB from a task, byte-exact (SHA-256 computed in the container),
/// first into a file, where the bytes move by `splice(2)` and never pass
/// through this process, then through an async writer, where they do.
#[tokio::test]
async fn sixty_four_mib_byte_exact_to_a_file_and_an_async_writer() -> Result<()> {
    let fx = Fixture::new().await?;

    // Into a file: spliced, so what this process reads and writes in the
    // meantime comes from the cases running alongside (about 16 MB was
    // seen), far below the 128 MiB a buffered copy reads and writes.
    let path = fx.work.join("big");
    let file = File::create(&path)?;
    let before = bytes_read_and_written()?;
    let sent = send_big(&fx, "big-file", Output::from_fd(file)).await?;
    let moved = bytes_read_and_written()? - before;
    let got = blocking("hashing the file", move || {
        std::fs::read(path).map(|data| (hex(&Sha256::digest(&data)), data.len() as u64))
    })
    .await??;
    assert_eq!(got, (sent, BIG), "the file holds what the task sent");
    ensure(moved < BIG, || {
        format!("{moved} bytes went through read/write while splicing {BIG}")
    })?;

    // Through an async writer: every byte is read into this process.
    let hasher = Hasher::default();
    let before = bytes_read_and_written()?;
    let sent = send_big(&fx, "big-async", Output::from_async(hasher.clone())).await?;
    let moved = bytes_read_and_written()? - before;
    assert_eq!(
        hasher.hex_and_len(),
        (sent, BIG),
        "the writer got what the task sent"
    );
    ensure(moved >= BIG, || {
        format!("only {moved} bytes read through a buffer")
    })?;

    fx.ctrd.delete_container("big-file").await?;
    fx.ctrd.delete_container("big-async").await?;
    fx.stop().await
}

/// Reads `pipe` until `lines` more newlines came, or to its end with
/// `lines` 0; returns the pipe and the bytes.
async fn read_lines(mut pipe: PipeReader, lines: usize) -> Result<(PipeReader, Vec<u8>)> {
    blocking("reading the task's output", move || {
        let mut bytes = Vec::new();
        if lines == 0 {
            pipe.read_to_end(&mut bytes)?;
            return Ok((pipe, bytes));
        }
        let mut buffer = [0; 4096];
        while newlines(&bytes) < lines {
            let n = pipe.read(&mut buffer)?;
            if n == 0 {
                break;
            }
            bytes.extend_from_slice(&buffer[..n]);
        }
        Ok::<_, std::io::Error>((pipe, bytes))
    })
    .await?
    .context("reading the task's output")
}

fn newlines(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'\n').count()
}

/// Whether the process `pid` sleeps in a write to a full pipe.
fn blocked_in_pipe_write(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/wchan")).is_ok_and(|w| w.contains("pipe_write"))
}

/// A detached task prints a counter. A first client reads part of it, then
/// drops its IO as a client that restarts would; the task is held back
/// meanwhile, not losing a byte. A second client finds the FIFOs through
/// `Tasks.Get`, attaches with `new_attach`, and the counter goes on with no
/// number missing or repeated. At delete time, `load` removes the FIFOs.
#[tokio::test]
async fn reattach_continues_the_counter() -> Result<()> {
    const LINES: usize = 20_000;
    let fx = Fixture::new().await?;

    // The first client: stdout spliced into a pipe it reads.
    let (first_r, first_w) = std::io::pipe()?;
    let streams = fx
        .streams()
        .with_stdout(OwnedFd::from(first_w))
        .with_stderr(Output::from_blocking(std::io::sink()));
    let io = cio::new_creator(streams).create("count")?;
    let config = io.config().clone();
    let script = "i=0; while true; do echo $i; i=$((i+1)); done";
    let rootfs = fx
        .ctrd
        .create_container("count", &fx.image, &ProcessSpec::shell(script))
        .await?;
    fx.ctrd.create_task("count", rootfs, &config).await?;
    let pid = fx.ctrd.start("count", "").await?;
    let (first_r, mut first) = read_lines(first_r, LINES).await?;

    // It goes away without closing. What its copy moved into the pipe is
    // still there: read it to the end, which comes as the copy stops.
    drop(io);
    let (_, rest) = read_lines(first_r, 0).await?;
    first.extend_from_slice(&rest);

    // With nobody reading, the task is held back in a write.
    let held = within("the task to block", async {
        while !blocked_in_pipe_write(pid) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    held.context("the task kept running with no reader")?;

    // A second client, from scratch: the FIFOs as containerd knows them.
    let client = fx.ctrd.connect_again().await?;
    let found = client.process_io("count", "").await?;
    assert_eq!(found, config, "containerd reports the FIFOs it was given");
    let (second_r, second_w) = std::io::pipe()?;
    let streams = fx
        .streams()
        .with_stdout(OwnedFd::from(second_w))
        .with_stderr(Output::from_blocking(std::io::sink()));
    let io = cio::new_attach(streams).attach(FifoSet::from(found))?;
    let (second_r, mut second) = read_lines(second_r, LINES).await?;

    // Stop the task; its output ends, and so does the copy, once what it
    // moved into the pipe is read.
    client.kill("count", "", SIGKILL, false).await?;
    assert_eq!(within("the exit", client.wait("count", "")).await??, 137);
    let (_, rest) = read_lines(second_r, 0).await?;
    within("the output", io.wait()).await??;
    second.extend_from_slice(&rest);

    // Every number once, in order, across both clients.
    let mut all = first;
    all.extend_from_slice(&second);
    let text = String::from_utf8_lossy(&all).into_owned();
    let whole = &text[..text.rfind('\n').map_or(0, |end| end + 1)];
    let mut count = 0;
    for (expected, line) in whole.lines().enumerate() {
        ensure(line == expected.to_string(), || {
            format!("line {expected} reads {line:?}: a number lost or repeated")
        })?;
        count += 1;
    }
    ensure(count >= 2 * LINES, || {
        format!("only {count} numbers in all")
    })?;

    // At delete time, a client that kept nothing loads the set and closes
    // it: the FIFO directory goes.
    let io = cio::load(cio::load_fifo_set(client.process_io("count", "").await?))?;
    client.delete_task("count").await?;
    io.close()?;
    let dir = fifo_dir(&config);
    ensure(!dir.exists(), || format!("{} still exists", dir.display()))?;
    fx.stop().await
}

/// `DirectIo` hands the FIFO ends to the caller, who writes the task's
/// stdin and reads its stdout and stderr itself.
#[tokio::test]
async fn direct_io_reads_a_task() -> Result<()> {
    let fx = Fixture::new().await?;
    let fifos = cio::new_fifo_set_in_dir(&fx.fifo_root, "direct", false)?;
    let io = cio_direct::DirectIo::new(fifos)?;
    let (mut stdin, mut stdout, mut stderr) = (
        io.take_stdin().context("a stdin end")?,
        io.take_stdout().context("a stdout end")?,
        io.take_stderr().context("a stderr end")?,
    );

    let process = ProcessSpec::shell("x=$(cat); echo \"out $x\"; echo \"err $x\" >&2; exit 4");
    let rootfs = fx
        .ctrd
        .create_container("direct", &fx.image, &process)
        .await?;
    fx.ctrd.create_task("direct", rootfs, io.config()).await?;
    fx.ctrd.start("direct", "").await?;

    // Write and close stdin, then CloseIO; read both outputs to the end.
    stdin.write_all(b"abc\n").await?;
    within("closing stdin", stdin.close()).await??;
    fx.ctrd.close_stdin("direct", "").await?;
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let (read_out, read_err) = within(
        "the output",
        futures::future::join(stdout.read_to_end(&mut out), stderr.read_to_end(&mut err)),
    )
    .await?;
    read_out?;
    read_err?;
    assert_eq!(
        (out.as_slice(), err.as_slice()),
        (&b"out abc\n"[..], &b"err abc\n"[..])
    );
    assert_eq!(within("the exit", fx.ctrd.wait("direct", "")).await??, 4);

    within("the io", io.wait()).await??;
    fx.ctrd.delete_task("direct").await?;
    io.close()?;
    fx.stop().await
}

/// `log_file`: the shim appends both streams to the file itself.
#[tokio::test]
async fn log_file_gets_both_streams() -> Result<()> {
    let fx = Fixture::new().await?;
    let log = fx.work.join("logs/task.log");
    let io = cio::log_file(log.to_string_lossy()).create("file")?;
    assert_eq!(io.config().stdout, format!("file://{}", log.display()));

    // FIXME(containerd 1.6.20): with stdout and stderr on one file, the
    // shim's stdout copy closes the file at its end-of-file, so stderr
    // written just before the exit can be lost (seen about once in 30
    // runs). The pause before the exit keeps this case about cio.
    let process = ProcessSpec::shell("echo to-out; echo to-err >&2; sleep 0.2");
    let rootfs = fx
        .ctrd
        .create_container("file", &fx.image, &process)
        .await?;
    fx.ctrd.create_task("file", rootfs, io.config()).await?;
    fx.ctrd.start("file", "").await?;
    assert_eq!(within("the exit", fx.ctrd.wait("file", "")).await??, 0);
    fx.ctrd.delete_task("file").await?;

    // After the delete the shim is gone: the file is final.
    let text = std::fs::read_to_string(&log).context("the log file")?;
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort_unstable();
    assert_eq!(lines, ["to-err", "to-out"]);
    io.close()?;
    fx.stop().await
}

/// The logging binary of this package (`src/bin/logger.rs`), built on
/// `cio_log::logging`.
const LOGGER: &str = env!("CARGO_BIN_EXE_logger");

/// Waits until `path` exists, and returns what it holds.
async fn wait_for_file(path: &Path) -> Result<String> {
    let what = format!("{} to appear", path.display());
    within(&what, async {
        loop {
            if let Ok(text) = std::fs::read_to_string(path) {
                return text;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
}

/// `binary_io` with a logging binary built on `cio_log::logging`: the shim
/// starts it with the task's identity, `Tasks.Create` returns once it has
/// written its readiness byte (its original fd 5 still open, so no
/// end-of-file told the shim), and the task's output arrives at it.
#[tokio::test]
async fn binary_logger_gets_the_output_and_lets_the_task_start() -> Result<()> {
    let fx = Fixture::new().await?;
    let out = fx.work.join("binlog");
    std::fs::create_dir(&out)?;
    let dir = out.to_string_lossy().into_owned();
    let io = cio::binary_io(LOGGER, [("dir", dir.as_str())]).create("bin")?;

    // Create returns only once the logger said it was ready.
    let process = ProcessSpec::shell("echo to-out; echo to-err >&2");
    let rootfs = fx.ctrd.create_container("bin", &fx.image, &process).await?;
    within(
        "Tasks.Create",
        fx.ctrd.create_task("bin", rootfs, io.config()),
    )
    .await??;
    let ready = wait_for_file(&out.join("ready")).await?;
    assert_eq!(ready, "fd5-still-open=true\n");
    let meta = std::fs::read_to_string(out.join("meta"))?;
    assert_eq!(
        meta,
        format!("id=bin\nnamespace={}\n", cio_tests::e2e::NAMESPACE)
    );

    // The task runs; its output reaches the logger.
    fx.ctrd.start("bin", "").await?;
    assert_eq!(within("the exit", fx.ctrd.wait("bin", "")).await??, 0);
    let error = std::fs::read_to_string(out.join("error")).unwrap_or_default();
    ensure(error.is_empty(), || format!("the logger failed: {error}"))?;

    // Delete ends the logger: the shim closes the pipes, sends SIGTERM and
    // waits for it, so what it wrote is final.
    fx.ctrd.delete_task("bin").await?;
    let read = |name: &str| std::fs::read_to_string(out.join(name)).unwrap_or_default();
    assert_eq!(
        (read("stdout"), read("stderr")),
        ("to-out\n".into(), "to-err\n".into())
    );
    io.close()?;
    fx.stop().await
}

/// `binary_v2_io`: containerd 1.6's shim knows the schemes `fifo`, `file`
/// and `binary` only, and refuses `binary-v2` at `Tasks.Create`. Newer
/// shims take it (and want the readiness byte the logger writes).
#[tokio::test]
async fn binary_v2_needs_a_newer_shim_than_1_6() -> Result<()> {
    let fx = Fixture::new().await?;
    let out = fx.work.join("binlog-v2");
    std::fs::create_dir(&out)?;
    let dir = out.to_string_lossy().into_owned();
    let io = cio::binary_v2_io(LOGGER, [("dir", dir.as_str())]).create("bin2")?;
    assert!(io.config().stdout.starts_with("binary-v2:///"));

    let process = ProcessSpec::shell("echo to-out; echo to-err >&2");
    let rootfs = fx
        .ctrd
        .create_container("bin2", &fx.image, &process)
        .await?;
    let created = within(
        "Tasks.Create",
        fx.ctrd.create_task("bin2", rootfs, io.config()),
    )
    .await?;
    let version = fx.ctrd.version().await?;
    if version.starts_with("1.") {
        // Refused before the logger is even started.
        let error = created
            .err()
            .context("a 1.x shim took binary-v2")?
            .to_string();
        ensure(error.contains("unknown STDIO scheme binary-v2"), || {
            error.clone()
        })?;
        ensure(!out.join("meta").exists(), || {
            "the logger was started".to_owned()
        })?;
    } else {
        // FIXME: only containerd 1.6.20 was run; this branch is unproven.
        created?;
        fx.ctrd.start("bin2", "").await?;
        within("the exit", fx.ctrd.wait("bin2", "")).await??;
        fx.ctrd.delete_task("bin2").await?;
        assert_eq!(std::fs::read_to_string(out.join("stdout"))?, "to-out\n");
    }
    io.close()?;
    fx.stop().await
}

/// FIXME(containerd 1.6.20): `new_creator` leaves the path of a stream not
/// given empty, as Go's `NewCreator` does, and the 1.6 shim takes an empty
/// stdout or stderr for a file named "" unless the task has a terminal (or
/// all three are empty): a client that gives stdout alone cannot create its
/// task. This asserts today's behaviour; give both outputs, or a terminal.
#[tokio::test]
async fn stdout_alone_is_refused_by_the_1_6_shim() -> Result<()> {
    let fx = Fixture::new().await?;
    let streams = fx
        .streams()
        .with_stdout(Output::from_blocking(std::io::sink()));
    let io = cio::new_creator(streams).create("lone")?;
    assert_eq!(io.config().stderr, "");

    let process = ProcessSpec::new(&["true"]);
    let rootfs = fx
        .ctrd
        .create_container("lone", &fx.image, &process)
        .await?;
    let created = within(
        "Tasks.Create",
        fx.ctrd.create_task("lone", rootfs, io.config()),
    )
    .await?;
    if fx.ctrd.version().await?.starts_with("1.6.") {
        let error = created
            .err()
            .context("the 1.6 shim took an empty stderr")?
            .to_string();
        ensure(
            error.contains("opening file") && error.contains("open : no such file"),
            || format!("not the refusal of an empty path: {error}"),
        )?;
    }
    io.close()?;
    fx.stop().await
}

/// The harness's own cleanup: dropping a daemon that was not stopped,
/// with a task running, leaves no daemon directory, shim or task behind.
#[tokio::test]
async fn dropping_the_daemon_cleans_up() -> Result<()> {
    let fx = Fixture::new().await?;
    let rootfs = fx
        .ctrd
        .create_container("left", &fx.image, &ProcessSpec::new(&["sleep", "1000"]))
        .await?;
    fx.ctrd
        .create_task("left", rootfs, &cio::Config::default())
        .await?;
    let pid = fx.ctrd.start("left", "").await?;
    let (dir, socket) = (fx.ctrd.dir().to_owned(), fx.ctrd.socket());
    ensure(!shim_pids(&socket).is_empty(), || {
        "no shim for a running task".to_owned()
    })?;

    drop(fx);
    ensure(!dir.exists(), || format!("{} still exists", dir.display()))?;
    ensure(shim_pids(&socket).is_empty(), || {
        "shims left after the drop".to_owned()
    })?;
    let state = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    ensure(state.is_empty() || state.contains("State:\tZ"), || {
        format!("the task's process {pid} still runs")
    })
}
