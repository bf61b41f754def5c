//! Tidiness of the tree, checked by a plain `cargo test`: every Rust file
//! opens with a `//!` line, and no line ends in white space or holds a tab.

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
