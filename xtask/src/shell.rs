//! Finding the workspace and running cargo in it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The workspace root: the parent of this crate's directory.
pub(crate) fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits in the workspace")
        .to_owned()
}

/// The cargo that runs us, so that `cargo +toolchain xtask` keeps the
/// toolchain.
pub(crate) fn cargo() -> Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command.current_dir(project_root());
    command
}

/// Runs `command`, letting its output through, and reports whether it
/// succeeded and how long it took.
pub(crate) fn run(command: &mut Command) -> (bool, Duration) {
    let started = Instant::now();
    let ok = match command.status() {
        Ok(status) => status.success(),
        Err(e) => {
            eprintln!("xtask: cannot run {command:?}: {e}");
            false
        }
    };
    (ok, started.elapsed())
}

/// The library crates of the workspace: every `cio-*` directory with a
/// manifest, and the facade `cio`.
pub(crate) fn library_crates() -> Vec<String> {
    let root = project_root();
    let mut crates: Vec<String> = std::fs::read_dir(&root)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|entry| entry.file_name().into_string().ok())
                .filter(|name| {
                    name.starts_with("cio-") && root.join(name).join("Cargo.toml").is_file()
                })
                .collect()
        })
        .unwrap_or_default();
    crates.sort();
    crates.push("cio".to_owned());
    crates
}

/// The features of the facade, read from its manifest: every key of its
/// `[features]` table but `default`.
pub(crate) fn facade_features() -> Vec<String> {
    let manifest =
        std::fs::read_to_string(project_root().join("cio/Cargo.toml")).unwrap_or_default();
    let mut in_features = false;
    let mut features = Vec::new();
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_features = line == "[features]";
            continue;
        }
        if !in_features || line.starts_with('#') {
            continue;
        }
        if let Some((name, _)) = line.split_once('=') {
            let name = name.trim();
            if !name.is_empty() && name != "default" {
                features.push(name.to_owned());
            }
        }
    }
    features
}
