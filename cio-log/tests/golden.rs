//! Compares the generator and the parser with Go's own `net/url`, case by
//! case, on `testdata/log_uri.golden`, which `testdata/gen/main.go` prints.

use std::collections::BTreeMap;

use cio_log::{LogUri, log_uri_generator};
use cio_types::Error;

/// The golden data, read at build time so that the tests need no Go.
const GOLDEN: &str = include_str!("../testdata/log_uri.golden");

/// One case of the golden data.
#[derive(Debug, Default)]
struct Case {
    name: String,
    scheme: String,
    path: String,
    args: Vec<(String, String)>,
    clean: String,
    result: Expected,
}

/// What Go made of a case.
#[derive(Debug, Default, PartialEq)]
enum Expected {
    /// Go made this string, and reads it back as the same log URI.
    Ok(String),
    /// Go made this string, but cannot read it back as a log URI.
    Unreadable(String),
    /// Go refused the path as not absolute.
    Relative,
    /// No `result` line was read (a broken record).
    #[default]
    Missing,
}

/// Reads one string quoted by Go's `strconv.Quote` from the start of
/// `text`; returns it and what follows.
fn unquote(text: &str) -> (String, &str) {
    let body = text
        .strip_prefix('"')
        .unwrap_or_else(|| panic!("no quoted string at {text:?}"));
    let mut out = String::new();
    let mut chars = body.char_indices();

    while let Some((at, c)) = chars.next() {
        match c {
            // The closing quote: the rest starts after it.
            '"' => return (out, &body[at + 1..]),
            '\\' => {
                let (_, kind) = chars.next().expect("an escape after `\\`");
                let digits = match kind {
                    'x' => 2,
                    'u' => 4,
                    'U' => 8,
                    _ => 0,
                };
                if digits == 0 {
                    out.push(match kind {
                        'a' => '\x07',
                        'b' => '\x08',
                        'f' => '\x0c',
                        'n' => '\n',
                        'r' => '\r',
                        't' => '\t',
                        'v' => '\x0b',
                        '\\' | '"' | '\'' => kind,
                        other => panic!("unknown escape `\\{other}` in {text:?}"),
                    });
                    continue;
                }

                // A code point in hex. `\x` above 0x7f would be a raw byte,
                // which no Rust string can hold.
                let hex: String = (0..digits)
                    .filter_map(|_| chars.next())
                    .map(|(_, d)| d)
                    .collect();
                let value = u32::from_str_radix(&hex, 16).expect("hex digits");
                assert!(
                    kind != 'x' || value < 0x80,
                    "raw byte {value:#x} in {text:?}"
                );
                out.push(char::from_u32(value).expect("a code point"));
            }
            other => out.push(other),
        }
    }
    panic!("unterminated string {text:?}")
}

/// Reads every quoted string of `text`, separated by single spaces.
fn unquote_all(mut text: &str) -> Vec<String> {
    let mut strings = Vec::new();
    while !text.is_empty() {
        let (string, rest) = unquote(text);
        strings.push(string);
        text = rest.strip_prefix(' ').unwrap_or(rest);
    }
    strings
}

/// Parses the golden data into its cases.
fn cases() -> Vec<Case> {
    let mut cases = Vec::new();

    for line in GOLDEN
        .lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
    {
        let (keyword, rest) = line
            .split_once(' ')
            .unwrap_or_else(|| panic!("bad line {line:?}"));

        // `case` opens a record; every other line fills the last one.
        if keyword == "case" {
            cases.push(Case {
                name: rest.to_owned(),
                ..Case::default()
            });
            continue;
        }
        let case = cases.last_mut().expect("a `case` line first");
        match keyword {
            "scheme" => case.scheme = unquote(rest).0,
            "path" => case.path = unquote(rest).0,
            "clean" => case.clean = unquote(rest).0,
            "arg" => {
                let [key, value] = <[String; 2]>::try_from(unquote_all(rest)).expect("a pair");
                case.args.push((key, value));
            }
            "result" => {
                let (kind, rest) = rest.split_once(' ').expect("a result kind");
                let mut strings = unquote_all(rest).into_iter();
                let first = strings.next().expect("a string after the result kind");
                case.result = match kind {
                    "ok" => Expected::Ok(first),
                    "unreadable" => Expected::Unreadable(first),
                    "relative" => Expected::Relative,
                    other => panic!("unknown result {other:?}"),
                };
            }
            other => panic!("unknown keyword {other:?}"),
        }
    }
    cases
}

/// Fails with every message in `failures`, one a line.
fn assert_none(failures: Vec<String>) {
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_data_holds_enough_cases_of_each_kind() {
    let cases = cases();
    let count = |wanted: fn(&Expected) -> bool| cases.iter().filter(|c| wanted(&c.result)).count();

    assert!(cases.len() >= 60, "only {} cases", cases.len());
    assert!(
        count(|e| matches!(e, Expected::Ok(_))) >= 60,
        "too few accepted cases"
    );
    assert!(
        count(|e| matches!(e, Expected::Unreadable(_))) >= 5,
        "too few refused schemes"
    );
    assert!(
        count(|e| matches!(e, Expected::Relative)) >= 5,
        "too few relative paths"
    );
    assert_eq!(
        count(|e| *e == Expected::Missing),
        0,
        "a case has no result"
    );
    assert!(
        cases.iter().any(|c| c.args.len() > 3),
        "no case with many arguments"
    );
}

#[test]
fn generated_uris_match_go_byte_for_byte() {
    let mut failures = Vec::new();

    for case in cases() {
        let Expected::Ok(expected) = &case.result else {
            continue;
        };
        match log_uri_generator(&case.scheme, &case.path, &case.args) {
            Ok(uri) if uri.as_str() == expected && uri.path() == case.clean => {}
            Ok(uri) => failures.push(format!(
                "{}: made {:?} with path {:?}, Go made {expected:?} with path {:?}",
                case.name,
                uri.as_str(),
                uri.path(),
                case.clean
            )),
            Err(error) => failures.push(format!("{}: refused: {error}", case.name)),
        }
    }
    assert_none(failures);
}

#[test]
fn parsing_go_uris_gives_back_the_cleaned_path_and_arguments() {
    let mut failures = Vec::new();

    for case in cases() {
        let Expected::Ok(text) = &case.result else {
            continue;
        };
        let args: BTreeMap<String, String> = case.args.iter().cloned().collect();
        match text.parse::<LogUri>() {
            Ok(uri)
                if uri.scheme() == case.scheme.to_ascii_lowercase()
                    && uri.path() == case.clean
                    && *uri.args() == args => {}
            Ok(uri) => failures.push(format!("{}: {text:?} parsed as {uri:?}", case.name)),
            Err(error) => failures.push(format!("{}: {error}", case.name)),
        }
    }
    assert_none(failures);
}

#[test]
fn schemes_go_cannot_read_back_are_refused_naming_gos_string() {
    let mut failures = Vec::new();

    for case in cases() {
        let Expected::Unreadable(go_string) = &case.result else {
            continue;
        };
        match log_uri_generator(&case.scheme, &case.path, &case.args) {
            Err(Error::InvalidLogUri { uri, .. }) if uri == *go_string => {}
            other => failures.push(format!("{}: {other:?}", case.name)),
        }
        if let Ok(uri) = go_string.parse::<LogUri>() {
            failures.push(format!("{}: {go_string:?} parsed as {uri:?}", case.name));
        }
    }
    assert_none(failures);
}

#[test]
fn relative_paths_are_refused_naming_the_path_given() {
    let mut failures = Vec::new();

    for case in cases() {
        if case.result != Expected::Relative {
            continue;
        }
        match log_uri_generator(&case.scheme, &case.path, &case.args) {
            Err(Error::RelativeLogPath { path }) if path == case.path => {}
            other => failures.push(format!("{}: {other:?}", case.name)),
        }
    }
    assert_none(failures);
}
