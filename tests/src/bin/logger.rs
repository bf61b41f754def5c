//! A logging binary for `binary://` URIs, built on `cio_log::logging`, for
//! the end-to-end suite and the test of `LoggerIo::inherited`.
//!
//! ```text
//! logger dir DIR
//! ```
//!
//! The shim passes each query pair of the URI as two arguments, so the URI
//! is `binary:///path/to/logger?dir=DIR`. The binary writes, in DIR:
//!
//! - `meta`: the task's ID and namespace, before it reports readiness;
//! - `ready`: once readiness is reported, whether the original fd 5 is
//!   still open then (it is: safe code cannot close it);
//! - `stdout`, `stderr`: the task's output, as it comes;
//! - `eof`: the byte counts, once both streams reached end-of-file;
//! - `error`: what went wrong, if anything (its own stderr is `/dev/null`
//!   under a shim).
//!
//! Each of `meta`, `ready`, `eof` and `error` appears whole (written aside,
//! then renamed), so a reader that sees the file sees all of it.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use cio_log::logging::LoggerIo;

fn main() -> ExitCode {
    // Without a directory there is nowhere to report to.
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(dir) = args
        .chunks(2)
        .find(|pair| pair[0] == "dir")
        .and_then(|pair| pair.get(1))
        .map(PathBuf::from)
    else {
        return ExitCode::from(2);
    };

    match run(&dir) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = publish(&dir, "error", &format!("{e}\n"));
            ExitCode::FAILURE
        }
    }
}

fn run(dir: &Path) -> std::io::Result<()> {
    // What the shim handed over, recorded before the task may start.
    let mut logger = LoggerIo::inherited()?;
    let meta = format!("id={}\nnamespace={}\n", logger.id(), logger.namespace());
    publish(dir, "meta", &meta)?;

    // Ready: one byte through fd 5 opened again; the original stays open.
    logger.ready()?;
    let original_open = Path::new("/proc/self/fd/5").exists();
    publish(dir, "ready", &format!("fd5-still-open={original_open}\n"))?;

    // The output, until the shim closes its ends of the pipes.
    let stdout = File::create(dir.join("stdout"))?;
    let stderr = File::create(dir.join("stderr"))?;
    let (out, err) = logger.copy_to(stdout, stderr)?;
    publish(dir, "eof", &format!("stdout={out}\nstderr={err}\n"))
}

/// Writes `text` to `DIR/name`, whole: aside first, then renamed.
fn publish(dir: &Path, name: &str, text: &str) -> std::io::Result<()> {
    let aside = dir.join(format!(".{name}.tmp"));
    std::fs::write(&aside, text)?;
    std::fs::rename(&aside, dir.join(name))
}
