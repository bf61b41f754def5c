//! `cargo xtask bench`: builds the benchmarks in release mode, runs them,
//! prints every figure beside its baseline from the same run, checks the
//! targets, and writes everything to `target/bench.json`.
//!
//! Throughput rows run several times, interleaved, and the median is
//! reported: the machines are shared and noisy, so single runs mislead.
//! When Go and Debian's `golang-github-containerd-containerd-dev` are
//! installed, containerd's own Go package `cio` runs the same throughput
//! rows (`bench/go/main.go`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use crate::shell::{cargo, project_root};

/// Where Debian's containerd sources put Go's `cio`.
const GO_CIO: &str = "/usr/share/gocode/src/github.com/containerd/containerd/cio";

/// One result: the flat JSON object a benchmark printed.
#[derive(Clone, Debug)]
struct Record {
    line: String,
    fields: BTreeMap<String, Value>,
}

#[derive(Clone, Debug)]
enum Value {
    Text(String),
    Number(f64),
}

impl Record {
    fn text(&self, key: &str) -> &str {
        match self.fields.get(key) {
            Some(Value::Text(text)) => text,
            _ => "",
        }
    }

    fn number(&self, key: &str) -> f64 {
        match self.fields.get(key) {
            Some(Value::Number(n)) => *n,
            _ => f64::NAN,
        }
    }
}

/// Parses one line of flat JSON: string and number values only.
fn parse(line: &str) -> Option<Record> {
    let body = line.trim().strip_prefix('{')?.strip_suffix('}')?;
    let mut fields = BTreeMap::new();
    let mut chars = body.chars().peekable();
    loop {
        // A key.
        if chars.next()? != '"' {
            return None;
        }
        let key: String = chars.by_ref().take_while(|&c| c != '"').collect();
        if chars.next()? != ':' {
            return None;
        }

        // A value: a string with escapes, or a number up to the next comma.
        let value = if chars.peek() == Some(&'"') {
            chars.next();
            let mut text = String::new();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => text.push(chars.next()?),
                    '"' => break,
                    c => text.push(c),
                }
            }
            Value::Text(text)
        } else {
            let raw: String = chars.by_ref().take_while(|&c| c != ',').collect();
            fields.insert(key, Value::Number(raw.trim().parse().unwrap_or(f64::NAN)));
            if chars.peek().is_none() {
                break;
            }
            continue;
        };
        fields.insert(key, value);
        match chars.next() {
            Some(',') => continue,
            None => break,
            Some(_) => return None,
        }
    }
    Some(Record {
        line: line.trim().to_owned(),
        fields,
    })
}

/// Runs `command` and returns the records it printed.
fn records_of(command: &mut Command) -> Result<Vec<Record>, String> {
    let output = command
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("{command:?}: {e}"))?;
    if !output.status.success() {
        return Err(format!("{command:?} failed: {}", output.status));
    }
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(parse)
        .collect())
}

/// Builds the Go counterpart if Go and containerd's sources are there.
fn build_go(target: &Path) -> Result<PathBuf, String> {
    if !Path::new(GO_CIO).is_dir() {
        return Err(format!(
            "{GO_CIO} is missing (apt-get install golang-github-containerd-containerd-dev)"
        ));
    }
    let binary = target.join("release/cio-go-bench");
    let status = Command::new("go")
        .args(["build", "-o"])
        .arg(&binary)
        .arg(project_root().join("bench/go/main.go"))
        .env("GO111MODULE", "off")
        .env("GOPATH", "/usr/share/gocode")
        .env("GOCACHE", target.join("go-cache"))
        .status()
        .map_err(|e| format!("go is not installed ({e})"))?;
    match status.success() {
        true => Ok(binary),
        false => Err("go build failed".to_owned()),
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.retain(|v| v.is_finite());
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n => values[n / 2],
    }
}

/// `cargo xtask bench [--quick]`.
pub(crate) fn run(args: &[String]) -> Result<ExitCode, String> {
    let quick = args.iter().any(|a| a == "--quick");
    let (bytes, reps, scales, trips) = match quick {
        true => (256_u64 << 20, 1, vec![1000], 2000),
        false => (2_u64 << 30, 3, vec![1000, 5000], 10_000),
    };

    // Build in release mode, then find the binaries.
    let status = cargo()
        .args(["build", "--release", "--quiet", "-p", "cio-bench"])
        .status()
        .map_err(|e| e.to_string())?;
    if !status.success() {
        return Err("building cio-bench failed".to_owned());
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| project_root().join("target"), PathBuf::from);
    let bench = target.join("release/cio-bench");
    let go = build_go(&target);
    if let Err(reason) = &go {
        println!("Go cio: skipped, {reason}");
    }

    // Scale and latency first: the throughput rows leave gigabytes of a
    // file to write back, which would disturb them.
    let mut all = Vec::new();
    for tasks in scales {
        println!("scale, {tasks} tasks");
        all.extend(records_of(Command::new(&bench).args([
            "scale",
            "--tasks",
            &tasks.to_string(),
        ]))?);
    }
    println!("latency, 1000 idle tasks, {trips} round trips");
    all.extend(records_of(Command::new(&bench).args([
        "latency",
        "--tasks",
        "1000",
        "--trips",
        &trips.to_string(),
    ]))?);

    // Throughput, interleaved repetitions.
    for rep in 1..=reps {
        println!(
            "throughput, run {rep} of {reps}, {} MiB per row",
            bytes >> 20
        );
        all.extend(records_of(Command::new(&bench).args([
            "throughput",
            "--bytes",
            &bytes.to_string(),
        ]))?);
        if let Ok(go) = &go {
            let file = target.join("go-bench.out");
            for sink in ["devnull", "counter", "file"] {
                let mut command = Command::new(go);
                command
                    .args(["throughput", sink, &bytes.to_string()])
                    .arg(&bench)
                    .arg(&file);
                all.extend(records_of(&mut command)?);
            }
        }
    }

    let summary = summarize(&all, go.is_ok());
    let json = format!(
        "{{\"quick\":{quick},\"records\":[\n{}\n],\n\"targets\":[\n{}\n]}}\n",
        all.iter()
            .map(|r| r.line.as_str())
            .collect::<Vec<_>>()
            .join(",\n"),
        summary.join(",\n"),
    );
    let out = target.join("bench.json");
    std::fs::write(&out, json).map_err(|e| format!("{}: {e}", out.display()))?;
    println!("\nwrote {}", out.display());
    Ok(ExitCode::SUCCESS)
}

/// Prints the tables and the targets; returns the targets as JSON objects.
fn summarize(all: &[Record], with_go: bool) -> Vec<String> {
    // Throughput: the median of each row.
    let mut rows: BTreeMap<&str, (Vec<f64>, Vec<f64>)> = BTreeMap::new();
    let mut order = Vec::new();
    for record in all.iter().filter(|r| r.text("bench") == "throughput") {
        let name = record.text("name");
        if !rows.contains_key(name) {
            order.push(name);
        }
        let row = rows.entry(name).or_default();
        row.0.push(record.number("gb_per_s"));
        row.1.push(record.number("cpu_s_per_gib"));
    }
    let medians: BTreeMap<&str, (f64, f64)> = rows
        .iter()
        .map(|(name, (gb, cpu))| (*name, (median(gb.clone()), median(cpu.clone()))))
        .collect();

    println!("\n| throughput (median) | GB/s | CPU s/GiB |");
    println!("|---|---:|---:|");
    for name in &order {
        let (gb, cpu) = medians[name];
        println!("| {name} | {gb:.2} | {cpu:.3} |");
    }

    for (bench, title, keys) in [
        (
            "scale",
            "scale",
            &[
                "rss_bytes_per_task",
                "fds_per_task",
                "threads",
                "setup_us_per_task",
            ][..],
        ),
        (
            "lines",
            "one line per stream (median of rounds)",
            &[
                "lines",
                "ms_until_all_arrived",
                "ms_first_round",
                "ms_writer_took",
            ][..],
        ),
        (
            "latency",
            "latency",
            &["trips", "median_us", "p99_us", "max_us"][..],
        ),
    ] {
        println!("\n| {title} | {} |", keys.join(" | "));
        println!("|---|{}", "---:|".repeat(keys.len()));
        for record in all.iter().filter(|r| r.text("bench") == bench) {
            let values: Vec<String> = keys
                .iter()
                .map(|k| format!("{:.1}", record.number(k)))
                .collect();
            println!("| {} | {} |", record.text("name"), values.join(" | "));
        }
    }

    // The targets.
    let get = |name: &str| medians.get(name).copied().unwrap_or((f64::NAN, f64::NAN));
    let (null_gb, null_cpu) = get("cio -> /dev/null");
    let best_baseline = get("read loop, 1 MiB pipe")
        .0
        .max(get("splice loop, 1 MiB pipe").0);
    let mut targets = Vec::new();
    let mut check = |what: &str, measured: f64, bound: f64, higher_is_better: bool| {
        let met = match higher_is_better {
            true => measured >= bound,
            false => measured <= bound,
        };
        let relation = if higher_is_better { ">=" } else { "<=" };
        targets.push((what.to_owned(), measured, relation, bound, met));
    };

    if with_go {
        // Go's best discarding sink of the run, whichever it was.
        let go_rows = [
            get("Go cio -> /dev/null"),
            get("Go cio -> in-memory writer"),
        ];
        let go_best = go_rows
            .iter()
            .copied()
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .unwrap_or((f64::NAN, f64::NAN));
        check(
            "discarding: cio /dev/null GB/s vs 1.3 x Go's best discarding sink",
            null_gb,
            1.3 * go_best.0,
            true,
        );
        check(
            "discarding: cio /dev/null CPU s/GiB vs that Go row",
            null_cpu,
            go_best.1,
            false,
        );
    }
    check(
        "discarding: cio /dev/null GB/s vs 85% of the best baseline",
        null_gb,
        0.85 * best_baseline,
        true,
    );
    check(
        "file: cio GB/s vs the read+write loop",
        get("cio -> file").0,
        get("read+write loop -> file").0,
        true,
    );
    check(
        "async: cio GB/s vs the 64 KiB read loop",
        get("cio -> async writer").0,
        get("read loop, 64 KiB pipe").0,
        true,
    );

    for record in all.iter().filter(|r| r.text("bench") == "scale") {
        let name = record.text("name");
        check(
            &format!("idle, {name}: process memory per task (bytes)"),
            record.number("rss_bytes_per_task"),
            4096.0,
            false,
        );
        check(
            &format!("idle, {name}: fds per task"),
            record.number("fds_per_task"),
            3.0,
            false,
        );
        check(
            &format!("idle, {name}: threads, vs before the tasks"),
            record.number("threads"),
            record.number("threads_before"),
            false,
        );
    }
    for record in all
        .iter()
        .filter(|r| r.text("bench") == "lines" && r.text("name").starts_with("1000 "))
    {
        check(
            &format!("lines, {}: ms until all arrived", record.text("name")),
            record.number("ms_until_all_arrived"),
            7.0,
            false,
        );
    }
    for record in all.iter().filter(|r| r.text("bench") == "latency") {
        check(
            &format!("latency, {}: p99 (us)", record.text("name")),
            record.number("p99_us"),
            1000.0,
            false,
        );
    }

    println!("\n| target | measured | bound | met |");
    println!("|---|---:|---|---|");
    let mut json = Vec::new();
    for (what, measured, relation, bound, met) in &targets {
        println!(
            "| {what} | {measured:.3} | {relation} {bound:.3} | {} |",
            if *met { "yes" } else { "NO" }
        );
        json.push(format!(
            "{{\"target\":\"{what}\",\"measured\":{},\"bound\":{},\"met\":{met}}}",
            finite(*measured),
            finite(*bound)
        ));
    }
    json
}

fn finite(value: f64) -> String {
    if value.is_finite() {
        format!("{value}")
    } else {
        "null".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_flat_json_with_commas_in_strings() {
        let record =
            parse(r#"{"bench":"scale","name":"1000 tasks, idle","tasks":1000,"x":1.5}"#).unwrap();
        assert_eq!(record.text("name"), "1000 tasks, idle");
        assert_eq!(record.number("tasks"), 1000.0);
        assert_eq!(record.number("x"), 1.5);
        assert!(record.number("missing").is_nan());
    }

    #[test]
    fn median_ignores_missing_values() {
        assert_eq!(median(vec![3.0, f64::NAN, 1.0, 2.0]), 2.0);
        assert!(median(vec![]).is_nan());
    }
}
