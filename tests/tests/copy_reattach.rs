//! Reattaching: a client copies part of a task's output, drops its IO as a
//! restarting client would, and a second client attaches to the same FIFOs
//! and gets the rest. No byte is lost at the handover, and while nobody is
//! attached the task is held back by the FIFO instead of failing.

use std::io::Read;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use cio::{Attach, FifoSet, Io, Output, Streams};
use cio_tests::{Collector, TempRoot, pattern, settle, within};

const SHIM: &str = env!("CARGO_BIN_EXE_shim");
const LIMIT: Duration = Duration::from_secs(60);
const LEN: usize = 8 << 20;
const CHUNK: usize = 16 << 10;

/// The kinds of sink, one per way the engine moves bytes, with the slow
/// ones slowed further so that a chunk is often on its way when the first
/// client goes.
#[derive(Clone, Copy, Debug)]
enum Sink {
    /// An async writer that is not ready at every other call.
    Async,
    /// A blocking writer that takes a millisecond per write.
    Blocking,
    /// A pipe: spliced.
    Pipe,
    /// A regular file: spliced.
    File,
    /// A regular file opened for appending: written from a buffer.
    AppendFile,
}

/// A slow async writer: each write is `Pending` for a millisecond first.
#[derive(Clone, Default)]
struct Hesitant {
    inner: Collector,
    ready: Arc<AtomicUsize>,
}

impl futures::io::AsyncWrite for Hesitant {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        match this.ready.load(Ordering::SeqCst) {
            // Not asked yet: come back in a millisecond.
            0 => {
                this.ready.store(1, Ordering::SeqCst);
                let (ready, waker) = (Arc::clone(&this.ready), cx.waker().clone());
                std::thread::spawn(move || {
                    std::thread::sleep(Duration::from_millis(1));
                    ready.store(2, Ordering::SeqCst);
                    waker.wake();
                });
                Poll::Pending
            }
            1 => Poll::Pending,
            _ => {
                this.ready.store(0, Ordering::SeqCst);
                Poll::Ready(std::io::Write::write(&mut this.inner, buf))
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// A blocking writer that sleeps a millisecond in each write.
struct Sluggish(Collector);

impl std::io::Write for Sluggish {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        std::thread::sleep(Duration::from_millis(1));
        self.0.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A client's sink: what to hand the engine, how much has reached it so
/// far, and everything that reached it.
struct ClientSink {
    output: Option<Output>,
    progress: Box<dyn Fn() -> usize>,
    bytes: Box<dyn Fn() -> Vec<u8>>,
}

fn client_sink(kind: Sink, dir: &Path, name: &str) -> ClientSink {
    match kind {
        Sink::Async | Sink::Blocking => {
            let collector = Collector::new();
            let output = match kind {
                Sink::Async => Output::from_async(Hesitant {
                    inner: collector.clone(),
                    ready: Arc::default(),
                }),
                _ => Output::from_blocking(Sluggish(collector.clone())),
            };
            let (a, b) = (collector.clone(), collector);
            ClientSink {
                output: Some(output),
                progress: Box::new(move || a.bytes().len()),
                bytes: Box::new(move || b.bytes()),
            }
        }
        Sink::Pipe => {
            let (mut reader, writer) = std::io::pipe().unwrap();
            let (seen, all) = (Arc::new(AtomicUsize::new(0)), Collector::new());
            let (counter, store) = (Arc::clone(&seen), all.clone());
            std::thread::spawn(move || {
                let mut buf = vec![0; 64 << 10];
                loop {
                    match reader.read(&mut buf).unwrap() {
                        0 => break,
                        n => {
                            std::io::Write::write_all(&mut store.clone(), &buf[..n]).unwrap();
                            counter.fetch_add(n, Ordering::SeqCst);
                        }
                    }
                }
            });
            ClientSink {
                output: Some(Output::from_fd(OwnedFd::from(writer))),
                progress: Box::new(move || seen.load(Ordering::SeqCst)),
                bytes: Box::new(move || all.bytes()),
            }
        }
        Sink::File | Sink::AppendFile => {
            let path: PathBuf = dir.join(name);
            std::fs::write(&path, b"").unwrap();
            let file = std::fs::OpenOptions::new()
                .write(true)
                .append(matches!(kind, Sink::AppendFile))
                .open(&path)
                .unwrap();
            let (a, b) = (path.clone(), path);
            ClientSink {
                output: Some(Output::from(file)),
                progress: Box::new(move || {
                    usize::try_from(std::fs::metadata(&a).unwrap().len()).unwrap()
                }),
                bytes: Box::new(move || std::fs::read(&b).unwrap()),
            }
        }
    }
}

fn count_in(path: &Path) -> usize {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(0)
}

#[test]
fn a_second_client_gets_the_rest_and_no_byte_is_lost_at_the_handover() {
    for kind in [
        Sink::Async,
        Sink::Blocking,
        Sink::Pipe,
        Sink::File,
        Sink::AppendFile,
    ] {
        let root = TempRoot::created("reattach");
        let count = root.path().join("count");
        let mut fifos = cio::new_fifo_set_in_dir(root.path().join("fifo"), "r", false).unwrap();
        fifos.config.stdin.clear();
        fifos.config.stderr.clear();
        let config = fifos.config.clone();

        // The first client, and the task: it keeps a read end of its own
        // open, as containerd's shim does.
        let mut first = client_sink(kind, root.path(), "first");
        let io = cio::copy_io(
            fifos,
            Streams::new().with_stdout(first.output.take().unwrap()),
        )
        .unwrap();
        let mut task = Command::new(SHIM)
            .arg("write")
            .arg(&config.stdout)
            .arg(LEN.to_string())
            .args(["--seed", "7", "--chunk", &CHUNK.to_string()])
            .args(["--pause-us", "300", "--hold-read", "--count-to"])
            .arg(&count)
            .spawn()
            .unwrap();

        // Part of the output has come: the first client goes away, leaving
        // the FIFOs in place.
        assert!(
            settle(LIMIT, || (first.progress)() >= LEN / 4),
            "{kind:?}: the first client got a quarter"
        );
        drop(io);

        // Nobody attached: the task fills the FIFO and waits there.
        let mut last = count_in(&count);
        assert!(
            settle(LIMIT, || {
                std::thread::sleep(Duration::from_millis(100));
                let now = count_in(&count);
                std::mem::replace(&mut last, now) == now
            }),
            "{kind:?}: the task's writes stopped"
        );
        assert!(
            task.try_wait().unwrap().is_none(),
            "{kind:?}: the task is held back, not failed"
        );
        assert!(count_in(&count) < LEN, "{kind:?}: the task has more to say");

        // The second client attaches to the same set and gets the rest.
        let mut second = client_sink(kind, root.path(), "second");
        let streams = Streams::new().with_stdout(second.output.take().unwrap());
        let io = cio::new_attach(streams)
            .attach(FifoSet::from(config.clone()))
            .unwrap();
        let status = within(LIMIT, move || task.wait().unwrap());
        assert!(status.success(), "{kind:?}: the task wrote everything");
        let io = within(LIMIT, move || {
            io.wait_blocking().unwrap();
            io
        });
        drop(io);

        // What each client got, one after the other, is the whole output.
        let whole = settle(LIMIT, || (first.progress)() + (second.progress)() >= LEN);
        let (a, b) = ((first.bytes)(), (second.bytes)());
        assert!(
            whole,
            "{kind:?}: {} + {} bytes of {LEN} arrived",
            a.len(),
            b.len()
        );
        let mut both = a;
        both.extend_from_slice(&b);
        assert_eq!(both.len(), LEN, "{kind:?}: no byte twice");
        assert!(both == pattern(7, LEN), "{kind:?}: in order, unchanged");
        cio::load_fifo_set(config).close().unwrap();
    }
}
