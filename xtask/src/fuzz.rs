//! `cargo xtask fuzz [--time SECONDS] [--target NAME]...`: runs the fuzz
//! targets of `fuzz/` with cargo-fuzz, each for the time given (60 seconds
//! unless told), one after the other.
//!
//! cargo-fuzz asks rustc for `-Zsanitizer=address`, which only a nightly
//! compiler accepts; `RUSTC_BOOTSTRAP=1` lets the stable one take it, so the
//! targets run under AddressSanitizer with libFuzzer's coverage on any
//! toolchain. New inputs go to `fuzz/corpus-new/<target>/` (not kept);
//! the committed seeds of `fuzz/corpus/<target>/` are read too, and a
//! crashing input lands in `fuzz/artifacts/<target>/`. Copy what is worth
//! keeping into `fuzz/corpus/`, where the workspace's corpus test runs it.

use std::process::ExitCode;

use crate::shell::{self, project_root};

/// Every fuzz target, as `fuzz/Cargo.toml` declares them.
const TARGETS: [&str; 3] = ["log_uri_parse", "log_uri_generator", "validate_id"];

pub(crate) fn run(args: &[String]) -> Result<ExitCode, String> {
    let mut seconds = 60_u64;
    let mut targets = Vec::new();
    for pair in args.chunks(2) {
        match pair {
            [flag, value] if flag == "--time" => {
                seconds = value.parse().map_err(|_| format!("bad --time {value:?}"))?;
            }
            [flag, value] if flag == "--target" && TARGETS.contains(&value.as_str()) => {
                targets.push(value.clone());
            }
            _ => {
                return Err(format!(
                    "unexpected arguments {pair:?}; try `cargo xtask help`"
                ));
            }
        }
    }
    if targets.is_empty() {
        targets = TARGETS.map(String::from).to_vec();
    }

    let fuzz = project_root().join("fuzz");
    let mut failed = Vec::new();
    for target in &targets {
        let new = fuzz.join("corpus-new").join(target);
        std::fs::create_dir_all(&new).map_err(|e| format!("cannot create {new:?}: {e}"))?;
        println!("\n==> fuzz {target} for {seconds} s");
        let mut command = shell::cargo();
        command
            .current_dir(&fuzz)
            .env("RUSTC_BOOTSTRAP", "1")
            .args(["fuzz", "run", "-O", target])
            .arg(&new)
            .arg(fuzz.join("corpus").join(target))
            .arg("--")
            .arg(format!("-max_total_time={seconds}"));
        let (passed, _) = shell::run(&mut command);
        if !passed {
            failed.push(target.as_str());
        }
    }

    match failed.as_slice() {
        [] => Ok(ExitCode::SUCCESS),
        failed => {
            println!("failed: {}; see fuzz/artifacts/", failed.join(", "));
            Ok(ExitCode::FAILURE)
        }
    }
}
