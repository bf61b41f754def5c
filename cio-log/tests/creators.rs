//! The creators: the config each one makes, its errors, and its no-op IO.

use cio_log::{
    LogCreator, LogUri, NO_ARGS, binary_io, binary_v2_io, log_file, log_uri, terminal_binary_io,
    terminal_log_uri,
};
use cio_types::{Config, Creator, Error, Io};

/// Makes the IO of task `id`, failing the test on an error.
fn create(creator: &LogCreator, id: &str) -> Box<dyn Io> {
    creator
        .create(id)
        .unwrap_or_else(|error| panic!("{creator:?} failed: {error}"))
}

/// The config a log creator should give: the URI as stdout and stderr.
fn log_config(uri: &str, terminal: bool) -> Config {
    Config {
        terminal,
        stdin: String::new(),
        stdout: uri.into(),
        stderr: uri.into(),
    }
}

#[test]
fn each_creator_makes_its_config() {
    let parsed: LogUri = "file:///var/log/from%20uri.log?k=v".parse().unwrap();
    let args = [("tag", "web app"), ("id", "7")];
    let cases = [
        (
            log_file("/var/log/./app.log"),
            "file:///var/log/app.log",
            false,
        ),
        (
            log_uri(parsed.clone()),
            "file:///var/log/from%20uri.log?k=v",
            false,
        ),
        (
            terminal_log_uri(parsed),
            "file:///var/log/from%20uri.log?k=v",
            true,
        ),
        (
            binary_io("/usr/bin/logger", args),
            "binary:///usr/bin/logger?id=7&tag=web+app",
            false,
        ),
        (
            terminal_binary_io("/usr/bin/logger", args),
            "binary:///usr/bin/logger?id=7&tag=web+app",
            true,
        ),
        (
            binary_v2_io("/usr/bin/logger", args),
            "binary-v2:///usr/bin/logger?id=7&tag=web+app",
            false,
        ),
        (
            log_file("/var/log/tty.log").with_terminal(),
            "file:///var/log/tty.log",
            true,
        ),
    ];

    for (creator, uri, terminal) in cases {
        let io = create(&creator, "task-1");
        assert_eq!(
            *io.config(),
            log_config(uri, terminal),
            "config of {creator:?}"
        );
    }
}

#[test]
fn the_id_does_not_change_the_config() {
    let creator = binary_io("/usr/bin/logger", [("id", "1")]);
    let first = create(&creator, "a");
    let second = create(&creator, "another-task");
    assert_eq!(first.config(), second.config());
}

#[test]
fn a_relative_path_fails_at_create_naming_the_path() {
    let creators = [
        log_file("logs/app.log"),
        binary_io("logs/app.log", NO_ARGS),
        terminal_binary_io("logs/app.log", [("k", "v")]),
        binary_v2_io("logs/app.log", NO_ARGS),
    ];

    for creator in creators {
        match creator.create("task-1") {
            Err(Error::RelativeLogPath { path }) => assert_eq!(path, "logs/app.log"),
            Err(other) => panic!("{creator:?} gave another error: {other}"),
            Ok(io) => panic!("{creator:?} accepted a relative path: {:?}", io.config()),
        }
    }
}

#[test]
fn the_io_does_nothing_and_succeeds_every_time() {
    let io = create(&log_file("/var/log/app.log"), "task-1");

    io.cancel();
    assert!(io.wait_blocking().is_ok(), "wait after cancel");
    assert!(cio_types::block_on(io.wait()).is_ok(), "wait as a future");
    assert!(io.close().is_ok(), "first close");
    assert!(io.close().is_ok(), "second close");
    assert_eq!(
        io.config().stdout,
        "file:///var/log/app.log",
        "the config outlives close"
    );
}

#[test]
fn creators_are_shareable_trait_objects() {
    fn assert_send_sync<T: Send + Sync>(_: &T) {}

    let creator = binary_v2_io("/usr/bin/logger", NO_ARGS);
    assert_send_sync(&creator);
    let shared: &dyn Creator = &creator;
    let io = shared
        .create("task-1")
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(io.config().stdout, "binary-v2:///usr/bin/logger");
}
