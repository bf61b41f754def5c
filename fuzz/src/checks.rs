//! What each fuzz target checks of one input. A check panics when a
//! promise is broken; any other outcome, error included, is fine.
//!
//! The fuzz targets call these, and so does the workspace's corpus test,
//! which includes this file: it must build with only `arbitrary`,
//! `cio-fifo`, `cio-log` and `cio-types`.

use std::collections::BTreeMap;
use std::path::Path;

use arbitrary::{Arbitrary, Unstructured};
use cio_log::LogUri;
use cio_types::Error;

/// Parsing any string: a `LogUri` or an `InvalidLogUri` naming the string.
/// A URI parsed reads back as itself from its canonical form, and the
/// generator makes that same form from its parts.
pub fn log_uri_parse(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match text.parse::<LogUri>() {
        Ok(uri) => {
            assert!(uri.path().starts_with('/'), "{text:?}: relative {uri:?}");
            let again: LogUri = match uri.as_str().parse() {
                Ok(again) => again,
                Err(error) => panic!("{text:?}: its canonical form {uri} fails: {error}"),
            };
            assert_eq!(again, uri, "{text:?}: the canonical form reads back");
            let made = cio_log::log_uri_generator(uri.scheme(), uri.path(), uri.args());
            match made {
                Ok(made) => assert_eq!(made.as_str(), uri.as_str(), "{text:?}: generated"),
                Err(error) => panic!("{text:?}: the generator refuses {uri:?}: {error}"),
            }
        }
        Err(Error::InvalidLogUri { uri, .. }) => assert_eq!(uri, text, "the error names it"),
        Err(other) => panic!("{text:?}: {other:?}"),
    }
}

/// Whether `byte` may appear in a URI (RFC 3986: unreserved, reserved, and
/// `%` for escapes).
fn is_uri_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=%".contains(&byte)
}

/// Whether Go's `url.Parse` reads `scheme` as a scheme.
fn is_scheme(scheme: &str) -> bool {
    let mut bytes = scheme.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
}

/// Generating from any scheme, path and arguments: a URI of URI bytes
/// only, which parses back to the same path and arguments (the last value
/// of a key winning); or the error that names what is wrong.
pub fn log_uri_generator(data: &[u8]) {
    let mut input = Unstructured::new(data);
    let Ok((scheme, path, args)) = <(String, String, Vec<(String, String)>)>::arbitrary(&mut input)
    else {
        return;
    };
    match cio_log::log_uri_generator(&scheme, &path, &args) {
        Ok(uri) => {
            let text = uri.as_str();
            assert!(
                text.bytes().all(is_uri_byte),
                "{text:?} holds a byte no URI may"
            );
            assert!(!text.contains('#'), "{text:?} has a fragment");
            let parsed: LogUri = match text.parse() {
                Ok(parsed) => parsed,
                Err(error) => panic!("{scheme:?} {path:?} {args:?}: {text:?} fails: {error}"),
            };
            assert_eq!(
                parsed.scheme(),
                scheme.to_ascii_lowercase(),
                "{text:?}: scheme"
            );
            assert_eq!(parsed.path(), uri.path(), "{text:?}: path");
            let expected: BTreeMap<String, String> = args.into_iter().collect();
            assert_eq!(
                uri.args(),
                &expected,
                "{text:?}: the last value of a key wins"
            );
            assert_eq!(parsed.args(), &expected, "{text:?}: arguments");
        }
        Err(Error::RelativeLogPath { path: named }) => {
            assert_eq!(named, path, "the error names the path as given");
            assert!(!path.starts_with('/'), "{path:?} is absolute");
        }
        Err(Error::InvalidLogUri { .. }) => {
            assert!(!is_scheme(&scheme), "{scheme:?} is a scheme");
        }
        Err(other) => panic!("{scheme:?} {path:?}: {other:?}"),
    }
}

/// Validating any id: refused exactly when it is empty, `.` or `..`, holds
/// `/` or NUL, or is too long; an accepted id names one file in the set's
/// directory for each stream.
pub fn validate_id(data: &[u8]) {
    let Ok(id) = std::str::from_utf8(data) else {
        return;
    };
    let bad = id.is_empty()
        || id == "."
        || id == ".."
        || id.contains('/')
        || id.contains('\0')
        || id.len() > cio_fifo::MAX_ID_LEN;
    match cio_fifo::validate_id(id) {
        Ok(()) => {
            assert!(!bad, "{id:?} was accepted");
            let dir = Path::new("/run/containerd/fifo/0123456789ab");
            for stream in ["stdin", "stdout", "stderr"] {
                let path = dir.join(format!("{id}-{stream}"));
                assert_eq!(
                    path.parent(),
                    Some(dir),
                    "{path:?} stays in the set's directory"
                );
                let name = path.file_name().map_or(0, |name| name.len());
                assert!(
                    name <= 255,
                    "{path:?}: a name too long for a directory entry"
                );
            }
        }
        Err(Error::InvalidId { id: named, .. }) => {
            assert_eq!(named, id, "the error names the id");
            assert!(bad, "{id:?} was refused");
        }
        Err(other) => panic!("{id:?}: {other:?}"),
    }
}
