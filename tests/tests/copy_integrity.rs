//! Data integrity under random payloads, write sizes and pauses, through
//! every kind of sink the engine has a path for.

use std::process::Command;

use cio::{Creator, Io, Streams};
use cio_tests::{SinkKind, TempRoot, make_sink, pattern};
use proptest::prelude::*;

const SHIM: &str = env!("CARGO_BIN_EXE_shim");

fn sink_strategy() -> impl Strategy<Value = SinkKind> {
    prop_oneof![
        Just(SinkKind::Async),
        Just(SinkKind::Blocking),
        Just(SinkKind::File),
        Just(SinkKind::AppendFile),
        Just(SinkKind::Pipe),
        Just(SinkKind::Socket),
    ]
}

fn len_strategy() -> impl Strategy<Value = usize> {
    prop_oneof![Just(0_usize), 1..4096_usize, 0..(4_usize << 20)]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn what_arrives_is_what_was_sent(
        stdout_len in len_strategy(),
        stderr_len in len_strategy(),
        stdout_sink in sink_strategy(),
        stderr_sink in sink_strategy(),
        chunk_seed in any::<u64>(),
        max_chunk in 4096_usize..262_144,
        max_pause_us in 0_u64..400,
    ) {
        let root = TempRoot::created("integrity");
        let (stdout, stdout_bytes) = make_sink(stdout_sink, root.path(), "stdout.out");
        let (stderr, stderr_bytes) = make_sink(stderr_sink, root.path(), "stderr.out");
        let streams = Streams::new()
            .with_stdout(stdout)
            .with_stderr(stderr)
            .with_fifo_dir(root.path().join("fifo"));
        let io = cio::new_creator(streams).create("p").unwrap();

        let config = io.config();
        let status = Command::new(SHIM)
            .arg("task")
            .args(["--stdout", &config.stdout, "--stdout-seed", "1"])
            .args(["--stdout-len", &stdout_len.to_string()])
            .args(["--stderr", &config.stderr, "--stderr-seed", "2"])
            .args(["--stderr-len", &stderr_len.to_string()])
            .args(["--chunk-seed", &chunk_seed.to_string()])
            .args(["--max-chunk", &max_chunk.to_string()])
            .args(["--max-pause-us", &max_pause_us.to_string()])
            .status()
            .unwrap();
        prop_assert!(status.success(), "the task wrote everything");

        io.wait_blocking().unwrap();
        io.close().unwrap();
        drop(io);

        let (out, err) = (stdout_bytes(), stderr_bytes());
        prop_assert_eq!(out.len(), stdout_len, "stdout length through {:?}", stdout_sink);
        prop_assert!(out == pattern(1, stdout_len), "stdout bytes through {:?}", stdout_sink);
        prop_assert_eq!(err.len(), stderr_len, "stderr length through {:?}", stderr_sink);
        prop_assert!(err == pattern(2, stderr_len), "stderr bytes through {:?}", stderr_sink);
    }
}
