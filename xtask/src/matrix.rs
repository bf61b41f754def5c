//! `cargo xtask test`: every check the project makes, one cell each.

use std::process::{Command, ExitCode};
use std::time::Duration;

use crate::shell::{self, cargo, facade_features, library_crates};

/// One cell of the matrix: a name and the commands it runs, in order.
struct Cell {
    name: String,
    commands: Vec<Command>,
    /// Why the cell cannot run on this machine, if it cannot.
    skip: Option<String>,
    /// Shown in the table beside the result.
    note: String,
}

/// How a cell ended.
enum Outcome {
    Pass,
    Fail,
    Skip(String),
}

impl Cell {
    fn new(name: impl Into<String>) -> Self {
        Cell {
            name: name.into(),
            commands: Vec::new(),
            skip: None,
            note: String::new(),
        }
    }

    fn skip_if(mut self, reason: Option<String>) -> Self {
        self.skip = reason;
        self
    }

    fn note(mut self, note: &str) -> Self {
        self.note = note.to_owned();
        self
    }

    fn cargo(mut self, args: &[&str]) -> Self {
        let mut command = cargo();
        command.args(args);
        self.commands.push(command);
        self
    }

    fn cargo_env(mut self, args: &[&str], key: &str, value: &str) -> Self {
        let mut command = cargo();
        command.args(args).env(key, value);
        self.commands.push(command);
        self
    }
}

/// The cells, in the order they run: cheap and broad first.
fn cells() -> Vec<Cell> {
    // The feature `e2e` of the tests builds containerd's gRPC client, which
    // needs `protoc` (on `PATH`, or named by `PROTOC`); without it, that
    // package goes without the feature.
    let protoc = std::env::var_os("PROTOC").is_some() || find_program("protoc").is_some();
    let everything: &[&str] = match protoc {
        true => &["--workspace", "--all-features"],
        false => &["--workspace", "--exclude", "cio-tests", "--all-features"],
    };
    let lint = ["--all-targets", "--", "-D", "warnings"];
    let mut clippy = Cell::new("clippy").cargo(&[&["clippy"], everything, &lint].concat());
    if !protoc {
        clippy = clippy
            .cargo(&[&["clippy", "-p", "cio-tests"][..], &lint].concat())
            .note("cio-tests without feature e2e: protoc not found");
    }
    let mut cells = vec![
        Cell::new("fmt").cargo(&["fmt", "--all", "--", "--check"]),
        clippy,
        Cell::new("test --workspace").cargo(&["test", "--workspace"]),
    ];

    // Each library crate on its own, so that none leans on a feature another
    // member turns on.
    for name in library_crates() {
        cells.push(Cell::new(format!("test -p {name}")).cargo(&["test", "-p", &name]));
    }

    // The facade with no feature, each feature alone, and all of them.
    let mut feature_sets = vec![("no features".to_owned(), vec!["--no-default-features"])];
    let features = facade_features();
    for feature in &features {
        feature_sets.push((
            format!("feature {feature}"),
            vec!["--no-default-features", "--features", feature.as_str()],
        ));
    }
    feature_sets.push(("all features".to_owned(), vec!["--all-features"]));
    for (label, flags) in feature_sets {
        let mut clippy = vec!["clippy", "-p", "cio", "--all-targets"];
        clippy.extend(&flags);
        clippy.extend(["--", "-D", "warnings"]);
        let mut test = vec!["test", "-p", "cio"];
        test.extend(&flags);
        cells.push(
            Cell::new(format!("cio, {label}"))
                .cargo(&clippy)
                .cargo(&test),
        );
    }

    cells.push(Cell::new("doc tests").cargo(&["test", "--workspace", "--doc"]));
    let mut doc = Cell::new("doc").cargo_env(
        &[&["doc", "--no-deps"], everything].concat(),
        "RUSTDOCFLAGS",
        "-D warnings",
    );
    if !protoc {
        doc = doc.note("without cio-tests: protoc not found");
    }
    cells.push(doc);

    // Against a real containerd: the suite, then the example once.
    cells.push(
        Cell::new("e2e (containerd)")
            .cargo(&[
                "test",
                "-p",
                "cio-tests",
                "--features",
                "e2e",
                "--test",
                "e2e",
            ])
            .cargo(&[
                "run",
                "-p",
                "cio-tests",
                "--features",
                "e2e",
                "--example",
                "containerd",
            ])
            .skip_if(e2e_missing()),
    );
    cells
}

/// Why the end-to-end suite cannot run here, if it cannot: it starts a
/// containerd of its own, which takes root, `containerd` and `runc`.
fn e2e_missing() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let root = status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1))
        == Some("0");
    let missing: Vec<&str> = ["containerd", "runc"]
        .into_iter()
        .filter(|program| find_program(program).is_none())
        .collect();
    match (root, missing.is_empty()) {
        (true, true) => None,
        (false, _) => Some("not root".to_owned()),
        (true, false) => Some(format!("{} not installed", missing.join(" and "))),
    }
}

/// Where `program` is, on `PATH` or in the system directories (Debian puts
/// `runc` in `/usr/sbin`, which a user's `PATH` may lack).
fn find_program(program: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(
            [
                "/usr/local/sbin",
                "/usr/local/bin",
                "/usr/sbin",
                "/usr/bin",
                "/sbin",
                "/bin",
            ]
            .map(Into::into),
        )
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// Runs the matrix (or the cells named with `--only`) and prints the table.
pub(crate) fn run(args: &[String]) -> Result<ExitCode, String> {
    let only: Vec<&str> = args
        .chunks(2)
        .map(|pair| match pair {
            [flag, name] if flag == "--only" => Ok(name.as_str()),
            _ => Err(format!("unexpected arguments {pair:?}; usage: --only NAME")),
        })
        .collect::<Result<_, _>>()?;

    let mut results: Vec<(String, Outcome, Duration, String)> = Vec::new();
    for cell in cells() {
        if !only.is_empty() && !only.iter().any(|name| cell.name.contains(name)) {
            continue;
        }
        if let Some(reason) = cell.skip {
            println!("\n==> {}: skipped, {reason}", cell.name);
            results.push((cell.name, Outcome::Skip(reason), Duration::ZERO, cell.note));
            continue;
        }
        println!("\n==> {}", cell.name);
        let mut outcome = Outcome::Pass;
        let mut elapsed = Duration::ZERO;
        for mut command in cell.commands {
            let (passed, took) = shell::run(&mut command);
            elapsed += took;
            if !passed {
                outcome = Outcome::Fail;
                break;
            }
        }
        results.push((cell.name, outcome, elapsed, cell.note));
    }

    print_table(&results);
    let failed = results
        .iter()
        .filter(|(_, outcome, ..)| matches!(outcome, Outcome::Fail))
        .count();
    match failed {
        0 => Ok(ExitCode::SUCCESS),
        n => {
            println!("{n} of {} cells failed", results.len());
            Ok(ExitCode::FAILURE)
        }
    }
}

fn print_table(results: &[(String, Outcome, Duration, String)]) {
    let width = results
        .iter()
        .map(|(name, ..)| name.len())
        .max()
        .unwrap_or(4)
        .max(4);
    println!("\n| {:width$} | result |   time | note |", "cell");
    println!("|{}|--------|--------|------|", "-".repeat(width + 2));
    for (name, outcome, elapsed, note) in results {
        let (result, note) = match outcome {
            Outcome::Pass => ("pass", note.as_str()),
            Outcome::Fail => ("FAIL", note.as_str()),
            Outcome::Skip(reason) => ("skip", reason.as_str()),
        };
        println!(
            "| {name:width$} | {result:6} | {:>5.1}s | {note} |",
            elapsed.as_secs_f64()
        );
    }
}
