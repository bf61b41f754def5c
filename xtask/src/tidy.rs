//! Tidiness of the tree, checked by a plain `cargo test`: every Rust file
//! opens with a `//!` line, and no line ends in white space or holds a tab;
//! and every system call of the library crates that a signal can interrupt
//! is retried on `EINTR`.

use std::path::{Path, PathBuf};

use crate::shell::project_root;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        let name = entry.file_name();
        if name == "target" || name.to_string_lossy().starts_with('.') {
            continue;
        }
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_rust_file_is_tidy() {
    let mut files = Vec::new();
    rust_files(&project_root(), &mut files);
    assert!(files.len() > 10, "found the workspace's Rust files");

    let mut problems = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let shown = file.strip_prefix(project_root()).unwrap().display();
        if !text.starts_with("//!") {
            problems.push(format!("{shown}: does not open with a `//!` line"));
        }
        for (n, line) in text.lines().enumerate() {
            if line.ends_with(' ') || line.contains('\t') {
                problems.push(format!("{shown}:{}: trailing white space or a tab", n + 1));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "untidy files:\n{}",
        problems.join("\n")
    );
}

/// The calls of the library crates that can fail with `EINTR` when a signal
/// arrives: `read`, `write`, `splice` and `poll`. (Their opens, `fstat`,
/// `mkdirat`, `fcntl` and `ioctl` cannot: every FIFO is opened
/// non-blocking or `O_PATH`, and none of the others waits.)
const INTERRUPTIBLE: [&str; 4] = [
    "rustix::io::read(",
    "rustix::io::write(",
    "rustix::pipe::splice(",
    "rustix::event::poll(",
];

#[test]
fn every_interruptible_call_retries_on_eintr() {
    let mut files = Vec::new();
    for dir in [
        "cio-types",
        "cio-fifo",
        "cio-copy",
        "cio-direct",
        "cio-log",
        "cio",
    ] {
        rust_files(&project_root().join(dir).join("src"), &mut files);
    }
    assert!(files.len() > 10, "found the library crates' files");

    // Each such call sits in a loop whose match retries `Errno::INTR`,
    // within the few lines that follow it.
    let mut calls = 0;
    let mut problems = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (n, line) in lines.iter().enumerate() {
            if !INTERRUPTIBLE.iter().any(|call| line.contains(call)) {
                continue;
            }
            calls += 1;
            let after = &lines[n..lines.len().min(n + 9)];
            let retried = after.iter().any(|l| l.contains("Errno::INTR) => continue"));
            if !retried {
                let shown = file.strip_prefix(project_root()).unwrap().display();
                problems.push(format!("{shown}:{}: {}", n + 1, line.trim()));
            }
        }
    }
    assert!(calls >= 6, "found the calls ({calls})");
    assert!(
        problems.is_empty(),
        "calls that do not retry on EINTR:\n{}",
        problems.join("\n")
    );
}
