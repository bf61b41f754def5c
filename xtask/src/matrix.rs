//! `cargo xtask test`: every check the project makes, one cell each.

use std::process::{Command, ExitCode};
use std::time::Duration;

use crate::shell::{self, cargo, facade_features, library_crates};

/// One cell of the matrix: a name and the commands it runs, in order.
struct Cell {
    name: String,
    commands: Vec<Command>,
}

impl Cell {
    fn new(name: impl Into<String>) -> Self {
        Cell {
            name: name.into(),
            commands: Vec::new(),
        }
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
    let mut cells = vec![
        Cell::new("fmt").cargo(&["fmt", "--all", "--", "--check"]),
        Cell::new("clippy").cargo(&[
            "clippy",
            "--workspace",
            "--all-targets",
            "--all-features",
            "--",
            "-D",
            "warnings",
        ]),
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
    cells.push(Cell::new("doc").cargo_env(
        &["doc", "--workspace", "--no-deps", "--all-features"],
        "RUSTDOCFLAGS",
        "-D warnings",
    ));
    cells
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

    let mut results: Vec<(String, bool, Duration)> = Vec::new();
    for cell in cells() {
        if !only.is_empty() && !only.iter().any(|name| cell.name.contains(name)) {
            continue;
        }
        println!("\n==> {}", cell.name);
        let mut ok = true;
        let mut elapsed = Duration::ZERO;
        for mut command in cell.commands {
            let (passed, took) = shell::run(&mut command);
            elapsed += took;
            if !passed {
                ok = false;
                break;
            }
        }
        results.push((cell.name, ok, elapsed));
    }

    print_table(&results);
    let failed = results.iter().filter(|(_, ok, _)| !ok).count();
    match failed {
        0 => Ok(ExitCode::SUCCESS),
        n => {
            println!("{n} of {} cells failed", results.len());
            Ok(ExitCode::FAILURE)
        }
    }
}

fn print_table(results: &[(String, bool, Duration)]) {
    let width = results
        .iter()
        .map(|(name, ..)| name.len())
        .max()
        .unwrap_or(4)
        .max(4);
    println!("\n| {:width$} | result |   time |", "cell");
    println!("|{}|--------|--------|", "-".repeat(width + 2));
    for (name, ok, elapsed) in results {
        let result = if *ok { "pass" } else { "FAIL" };
        println!(
            "| {name:width$} | {result:6} | {:>5.1}s |",
            elapsed.as_secs_f64()
        );
    }
}
