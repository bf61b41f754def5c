//! What containerd's `pkg/cio` tests check about log URIs on Unix,
//! checked again here.

use cio_log::{LogUri, NO_ARGS, binary_io, log_file, log_uri_generator};
use cio_types::{Creator, Error};

/// The stdout and stderr of the IO that `creator` makes for task `id`.
fn streams(creator: &dyn Creator, id: &str) -> (String, String) {
    let io = creator
        .create(id)
        .unwrap_or_else(|error| panic!("create failed: {error}"));
    (io.config().stdout.clone(), io.config().stderr.clone())
}

/// The error `creator` reports for task `id`.
fn create_error(creator: &dyn Creator, id: &str) -> Error {
    match creator.create(id) {
        Ok(io) => panic!("create succeeded with {:?}", io.config()),
        Err(error) => error,
    }
}

#[test]
fn binary_io_carries_its_arguments() {
    let (stdout, stderr) = streams(&binary_io("/file.bin", [("id", "1")]), "");
    assert_eq!(stdout, "binary:///file.bin?id=1");
    assert_eq!(stderr, "binary:///file.bin?id=1");
}

#[test]
fn binary_io_with_an_absolute_path_parses_back() {
    let (stdout, _) = streams(&binary_io("/full/path/bin", NO_ARGS), "!");
    let parsed: LogUri = stdout.parse().unwrap();
    assert_eq!(parsed.scheme(), "binary");
    assert_eq!(parsed.path(), "/full/path/bin");
}

#[test]
fn binary_io_refuses_a_relative_path() {
    let error = create_error(&binary_io("./bin", NO_ARGS), "!");
    assert!(
        matches!(error, Error::RelativeLogPath { ref path } if path == "./bin"),
        "{error}"
    );
}

#[test]
fn log_file_with_an_absolute_path_parses_back() {
    let (stdout, stderr) = streams(&log_file("/full/path/file.txt"), "!");
    assert_eq!(stdout, "file:///full/path/file.txt");
    assert_eq!(stderr, stdout);

    let parsed: LogUri = stdout.parse().unwrap();
    assert_eq!(parsed.scheme(), "file");
    assert_eq!(parsed.path(), "/full/path/file.txt");
}

#[test]
fn log_file_refuses_a_relative_path() {
    let error = create_error(&log_file("./file.txt"), "!");
    assert!(
        matches!(error, Error::RelativeLogPath { ref path } if path == "./file.txt"),
        "{error}"
    );
    assert_eq!(error.to_string(), "log path \"./file.txt\" is not absolute");
}

#[test]
fn the_generator_cases_of_containerd() {
    let made = |scheme, path, args: &[(&str, &str)]| {
        log_uri_generator(scheme, path, args).map(|uri| uri.to_string())
    };

    assert_eq!(
        made("fifo", "/full/path/pipe.fifo", &[]).unwrap(),
        "fifo:///full/path/pipe.fifo"
    );
    assert_eq!(
        made("file", "/full/path/file.txt", &[("maxSize", "100MB")]).unwrap(),
        "file:///full/path/file.txt?maxSize=100MB"
    );
    assert_eq!(
        made("binary", "/full/path/bin", &[("id", "testing")]).unwrap(),
        "binary:///full/path/bin?id=testing"
    );
    assert!(matches!(
        made("unknown", "nowhere", &[]),
        Err(Error::RelativeLogPath { path }) if path == "nowhere"
    ));
}

#[test]
fn windows_paths_are_relative_on_unix() {
    for path in ["C:\\path\\to\\binary", "C:\\foo\\bar.log", "C:/foo/bar.log"] {
        let result = log_uri_generator("binary", path, NO_ARGS);
        assert!(
            matches!(&result, Err(Error::RelativeLogPath { path: named }) if named == path),
            "{path:?} gave {result:?}"
        );
    }
}
