//! The log URI: its generator, its string form and its parser.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use cio_types::Error;

use crate::clean::clean;
use crate::escape::{Part, escape_into, unescape};

/// A key and a value for the query of a log URI.
///
/// It is implemented for pairs of string-like values and for references to
/// such pairs, so that `&HashMap<String, String>`, `&BTreeMap<&str, &str>`,
/// arrays, vectors and slices of pairs can all be given as arguments.
///
/// # Examples
///
/// ```
/// use std::collections::HashMap;
/// use cio_log::log_uri_generator;
///
/// let map = HashMap::from([("id".to_string(), "1".to_string())]);
/// let slice: &[(&str, &str)] = &[("id", "1")];
///
/// let from_map = log_uri_generator("binary", "/bin/log", &map)?;
/// let from_slice = log_uri_generator("binary", "/bin/log", slice)?;
/// assert_eq!(from_map, from_slice);
/// # Ok::<(), cio_types::Error>(())
/// ```
pub trait QueryArg {
    /// The key, before escaping.
    fn key(&self) -> &str;

    /// The value, before escaping.
    fn value(&self) -> &str;
}

impl<K: AsRef<str>, V: AsRef<str>> QueryArg for (K, V) {
    fn key(&self) -> &str {
        self.0.as_ref()
    }

    fn value(&self) -> &str {
        self.1.as_ref()
    }
}

impl<T: QueryArg + ?Sized> QueryArg for &T {
    fn key(&self) -> &str {
        (**self).key()
    }

    fn value(&self) -> &str {
        (**self).value()
    }
}

/// No query arguments, for the calls that need none.
///
/// # Examples
///
/// ```
/// use cio_log::{NO_ARGS, log_uri_generator};
///
/// let uri = log_uri_generator("fifo", "/run/task.fifo", NO_ARGS)?;
/// assert_eq!(uri.as_str(), "fifo:///run/task.fifo");
/// # Ok::<(), cio_types::Error>(())
/// ```
pub const NO_ARGS: [(&str, &str); 0] = [];

/// A log URI: a scheme, an absolute cleaned path and sorted query
/// arguments, such as `binary:///usr/bin/logger?tag=web`.
///
/// containerd takes it in place of a FIFO path for a task's stdout and
/// stderr, and the shim handles it: `file` appends to a file, `binary` and
/// `binary-v2` start a logging program with the arguments.
///
/// A `LogUri` is made by [`log_uri_generator`] or parsed with
/// [`str::parse`]. Either way it holds its canonical string form, the one Go
/// containerd's `LogURIGenerator(...).String()` makes for the same scheme,
/// path and arguments.
///
/// # Examples
///
/// ```
/// use cio_log::LogUri;
///
/// let uri: LogUri = "binary:///usr/bin/log%20ger?tag=my+app".parse()?;
/// assert_eq!(uri.scheme(), "binary");
/// assert_eq!(uri.path(), "/usr/bin/log ger");
/// assert_eq!(uri.arg("tag"), Some("my app"));
/// # Ok::<(), cio_types::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LogUri {
    text: String,
    scheme: String,
    path: String,
    args: BTreeMap<String, String>,
}

/// Makes the log URI of `path` with `scheme` and the query arguments
/// `args`, as Go containerd's `LogURIGenerator` does.
///
/// The path is cleaned first, as Go's `filepath.Clean` does (`/a/./b/../c`
/// becomes `/a/c`, `//x` becomes `/x`, a trailing `/` goes, and `..` above
/// the root is dropped), and must then be absolute. The arguments are sorted
/// by key, byte by byte. The string form is byte for byte what Go makes:
/// the path escaped as `net/url` escapes paths (a space becomes `%20`, `?`
/// and `#` are escaped, `+`, `:`, `;`, `=` and `@` are not), and the query
/// escaped as `url.Values.Encode` escapes it (a space becomes `+`, every
/// byte but letters, digits and `-_.~` is escaped). Non-ASCII characters are
/// escaped byte by byte, as UTF-8 with uppercase hex digits.
///
/// When a key is given twice, the last value wins, as with Go's
/// `url.Values.Set`.
///
/// # Errors
///
/// - [`Error::RelativeLogPath`], naming `path` as given, when the cleaned
///   path is not absolute.
/// - [`Error::InvalidLogUri`], naming the URI Go would have made, when the
///   scheme is empty or is not an ASCII letter followed by letters, digits,
///   `+`, `-` and `.`. Go makes a string from such a scheme, but Go's own
///   `url.Parse`, and so a shim, cannot read it back as that scheme: an
///   empty scheme, for one, gives a bare path, which a shim takes for a
///   FIFO.
///
/// # Examples
///
/// ```
/// use cio_log::log_uri_generator;
/// use cio_types::Error;
///
/// let args = [("maxSize", "100MB")];
/// let uri = log_uri_generator("file", "/var/log/./my app.log", args)?;
/// assert_eq!(uri.as_str(), "file:///var/log/my%20app.log?maxSize=100MB");
///
/// let error = log_uri_generator("file", "logs/app.log", args).unwrap_err();
/// assert_eq!(error.to_string(), r#"log path "logs/app.log" is not absolute"#);
/// # Ok::<(), Error>(())
/// ```
///
/// # Caveats
///
/// The differences from Go:
///
/// - Paths are `&str`, so a path that is not UTF-8 cannot be carried; Go
///   would escape its bytes.
/// - Paths are Unix paths on every platform. Go on Windows turns
///   `C:\logs\a.log` into `/C:/logs/a.log`; here it is a relative path and
///   refused, as on Unix. (`/C:/logs/a.log` is accepted as it is.)
/// - Go names the cleaned path in its error; [`Error::RelativeLogPath`]
///   names the path as given.
/// - Go refuses no scheme; this refuses those a shim cannot read (see
///   `# Errors`). Uppercase schemes are kept as given, as Go does, and read
///   back lowercase.
pub fn log_uri_generator<A: QueryArg>(
    scheme: &str,
    path: &str,
    args: impl IntoIterator<Item = A>,
) -> Result<LogUri, Error> {
    // Clean before checking, as Go does: `/../x` is absolute, `./x` is not.
    let cleaned = clean(path);
    if !cleaned.starts_with('/') {
        return Err(Error::RelativeLogPath {
            path: path.to_owned(),
        });
    }

    // A later value for a key replaces an earlier one.
    let args = args
        .into_iter()
        .map(|arg| (arg.key().to_owned(), arg.value().to_owned()));
    let uri = LogUri::from_parts(scheme.to_owned(), cleaned, args.collect());

    // A scheme that Go's own parser would not give back makes a string no
    // shim can use; name that string in the error.
    match check_scheme(scheme) {
        Ok(()) => Ok(uri),
        Err(reason) => Err(Error::InvalidLogUri {
            uri: uri.text,
            reason,
        }),
    }
}

impl LogUri {
    /// Renders the canonical string of the parts, the way Go's `url.URL`
    /// with only a scheme, a path and a raw query does.
    fn from_parts(scheme: String, path: String, args: BTreeMap<String, String>) -> LogUri {
        // The empty authority gives the three slashes of `file:///path`.
        // Go writes no authority without a scheme; such a URI only ends up
        // in an error, but it names what Go would have made.
        let mut text = String::with_capacity(scheme.len() + 3 + path.len());
        if !scheme.is_empty() {
            text.push_str(&scheme);
            text.push_str("://");
        }
        escape_into(&mut text, &path, Part::Path);

        // The query is there only when there are arguments; an empty key
        // with an empty value still gives `?=`.
        for (index, (key, value)) in args.iter().enumerate() {
            text.push(if index == 0 { '?' } else { '&' });
            escape_into(&mut text, key, Part::Query);
            text.push('=');
            escape_into(&mut text, value, Part::Query);
        }

        LogUri {
            text,
            scheme,
            path,
            args,
        }
    }

    /// The URI as a string: what goes into a task's
    /// [`Config`](cio_types::Config).
    ///
    /// # Examples
    ///
    /// ```
    /// use cio_log::{NO_ARGS, log_uri_generator};
    ///
    /// let uri = log_uri_generator("binary", "/bin/log?", NO_ARGS)?;
    /// assert_eq!(uri.as_str(), "binary:///bin/log%3F");
    /// # Ok::<(), cio_types::Error>(())
    /// ```
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The scheme: as given to [`log_uri_generator`], or lowercase when
    /// parsed.
    ///
    /// # Examples
    ///
    /// ```
    /// use cio_log::LogUri;
    ///
    /// let uri: LogUri = "Binary-V2:///bin/log".parse()?;
    /// assert_eq!(uri.scheme(), "binary-v2");
    /// # Ok::<(), cio_types::Error>(())
    /// ```
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// The path, cleaned and absolute, with no escapes.
    ///
    /// # Examples
    ///
    /// ```
    /// use cio_log::LogUri;
    ///
    /// let uri: LogUri = "file:///var/log/../log/caf%C3%A9.log".parse()?;
    /// assert_eq!(uri.path(), "/var/log/café.log");
    /// # Ok::<(), cio_types::Error>(())
    /// ```
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The query arguments, sorted by key, with no escapes.
    ///
    /// # Examples
    ///
    /// ```
    /// use cio_log::log_uri_generator;
    ///
    /// let args = [("b", "2"), ("a", "1")];
    /// let uri = log_uri_generator("binary", "/bin/log", args)?;
    /// let keys: Vec<&str> = uri.args().keys().map(String::as_str).collect();
    /// assert_eq!(keys, ["a", "b"]);
    /// assert_eq!(uri.args()["b"], "2");
    /// # Ok::<(), cio_types::Error>(())
    /// ```
    pub fn args(&self) -> &BTreeMap<String, String> {
        &self.args
    }

    /// The value of the argument `key`, if there is one.
    ///
    /// # Examples
    ///
    /// ```
    /// use cio_log::log_uri_generator;
    ///
    /// let uri = log_uri_generator("binary", "/bin/log", [("tag", "")])?;
    /// assert_eq!(uri.arg("tag"), Some(""));
    /// assert_eq!(uri.arg("id"), None);
    /// # Ok::<(), cio_types::Error>(())
    /// ```
    pub fn arg(&self, key: &str) -> Option<&str> {
        self.args.get(key).map(String::as_str)
    }
}

impl fmt::Display for LogUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl From<LogUri> for String {
    fn from(uri: LogUri) -> String {
        uri.text
    }
}

/// Parses a log URI, for shims and logging programs that receive one.
///
/// The forms `scheme:///path?query` (what the generator makes) and
/// `scheme:/path?query` are read. The scheme is lowercased, as Go's
/// `url.Parse` does. Percent-escapes are decoded in the path and the query,
/// and `+` is a space in the query (a literal `+` there is `%2B`). The path
/// is cleaned; a query part without `=` is a key with an empty value, and
/// empty parts (`a=1&&b=2`) are skipped.
///
/// The result holds the canonical string, so
/// `uri.as_str().parse::<LogUri>()` gives `uri` back for any generated `uri`
/// with a lowercase scheme, while a hand-written string may come back
/// rewritten (`?b=1&a=2` becomes `?a=2&b=1`).
///
/// # Errors
///
/// [`Error::InvalidLogUri`], naming the string, when it:
///
/// - does not start with a scheme and `:`, or holds an ASCII control
///   character;
/// - names a host (`file://host/path`), or its path is not absolute
///   (`file:relative`);
/// - has a fragment (an unescaped `#`);
/// - has a `%` not followed by two hex digits, or escapes that decode to
///   bytes that are not UTF-8;
/// - has a `;` in its query (Go refuses it too), or gives a key twice.
///
/// # Examples
///
/// ```
/// use cio_log::LogUri;
/// use cio_types::Error;
///
/// let uri: LogUri = "file:///var/log/app.log?maxSize=100MB".parse()?;
/// assert_eq!((uri.scheme(), uri.path()), ("file", "/var/log/app.log"));
/// assert_eq!(uri.arg("maxSize"), Some("100MB"));
///
/// let error = "file:///var/log/%zz".parse::<LogUri>().unwrap_err();
/// assert!(matches!(error, Error::InvalidLogUri { .. }));
/// # Ok::<(), Error>(())
/// ```
///
/// # Caveats
///
/// It is stricter than Go's `url.Parse`, which would ignore a host, cut off
/// a fragment and keep every value of a repeated key (a Go shim passes the
/// first on): here each of those is an error, since a log URI made by
/// containerd's clients never has them.
impl FromStr for LogUri {
    type Err = Error;

    fn from_str(text: &str) -> Result<LogUri, Error> {
        let invalid = |reason| Error::InvalidLogUri {
            uri: text.to_owned(),
            reason,
        };

        // Go refuses control characters anywhere; a generated URI has them
        // escaped.
        if text.bytes().any(|byte| byte.is_ascii_control()) {
            return Err(invalid("it holds an ASCII control character"));
        }

        // Split off the scheme, then the query; a fragment has no place.
        let Some((scheme, rest)) = text
            .split_once(':')
            .filter(|(s, _)| check_scheme(s).is_ok())
        else {
            return Err(invalid("it does not start with a scheme and `:`"));
        };
        if rest.contains('#') {
            return Err(invalid(
                "it has a fragment; a `#` in a log URI is escaped as `%23`",
            ));
        }
        let (hier, query) = rest.split_once('?').unwrap_or((rest, ""));

        // `scheme:///path` has an empty authority, `scheme:/path` none.
        let raw_path = match hier.strip_prefix("//") {
            Some(after) => {
                let (authority, path) = after.split_at(after.find('/').unwrap_or(after.len()));
                if !authority.is_empty() {
                    return Err(invalid(
                        "it names a host; a log URI has `:///` before its path",
                    ));
                }
                path
            }
            None => hier,
        };
        if !raw_path.starts_with('/') {
            return Err(invalid("its path is not absolute"));
        }

        // Decode, and clean as the generator does.
        let path = clean(&unescape(raw_path, Part::Path).map_err(invalid)?);
        let args = parse_query(query).map_err(invalid)?;

        Ok(LogUri::from_parts(scheme.to_ascii_lowercase(), path, args))
    }
}

/// Decodes the arguments of a raw query, `a=1&b=2`.
fn parse_query(query: &str) -> Result<BTreeMap<String, String>, &'static str> {
    let mut args = BTreeMap::new();

    for part in query.split('&').filter(|part| !part.is_empty()) {
        // Go stopped taking `;` as a separator and refuses it unescaped.
        if part.contains(';') {
            return Err("its query holds a `;`, which is escaped as `%3B` in a log URI");
        }
        let (key, value) = part.split_once('=').unwrap_or((part, ""));
        let key = unescape(key, Part::Query)?;
        let value = unescape(value, Part::Query)?;
        if args.insert(key, value).is_some() {
            return Err("its query gives a key twice");
        }
    }

    Ok(args)
}

/// Checks a scheme against RFC 3986: an ASCII letter, then letters, digits,
/// `+`, `-` and `.`. That is what Go's `url.Parse` reads as a scheme.
fn check_scheme(scheme: &str) -> Result<(), &'static str> {
    let mut bytes = scheme.bytes();
    match bytes.next() {
        None => Err("the scheme is empty, so a shim would take the URI for a FIFO path"),
        Some(first) if !first.is_ascii_alphabetic() => {
            Err("the scheme does not start with an ASCII letter")
        }
        Some(_) if !bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')) => {
            Err("the scheme holds a character other than ASCII letters, digits, `+`, `-` and `.`")
        }
        Some(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse(text: &str) -> Result<LogUri, Error> {
        text.parse()
    }

    /// The reason of an [`Error::InvalidLogUri`], or a failure.
    fn reason(result: Result<LogUri, Error>) -> &'static str {
        match result {
            Err(Error::InvalidLogUri { reason, .. }) => reason,
            other => panic!("expected an invalid log URI, got {other:?}"),
        }
    }

    #[test]
    fn every_kind_of_argument_list_is_accepted() {
        let expected = "binary:///b?a=1&b=2";
        let hash = HashMap::from([("b".to_string(), "2".to_string()), ("a".into(), "1".into())]);
        let tree = BTreeMap::from([("b", "2"), ("a", "1")]);
        let vec = vec![("b".to_string(), "2"), ("a".to_string(), "1")];
        let slice: &[(&str, &str)] = &[("b", "2"), ("a", "1")];

        assert_eq!(
            log_uri_generator("binary", "/b", &hash).unwrap().as_str(),
            expected
        );
        assert_eq!(
            log_uri_generator("binary", "/b", hash).unwrap().as_str(),
            expected
        );
        assert_eq!(
            log_uri_generator("binary", "/b", &tree).unwrap().as_str(),
            expected
        );
        assert_eq!(
            log_uri_generator("binary", "/b", &vec).unwrap().as_str(),
            expected
        );
        assert_eq!(
            log_uri_generator("binary", "/b", vec).unwrap().as_str(),
            expected
        );
        assert_eq!(
            log_uri_generator("binary", "/b", slice).unwrap().as_str(),
            expected
        );
        assert_eq!(
            log_uri_generator("binary", "/b", slice.iter())
                .unwrap()
                .as_str(),
            expected
        );
    }

    #[test]
    fn a_repeated_key_keeps_its_last_value() {
        let uri = log_uri_generator("binary", "/b", [("k", "1"), ("j", "0"), ("k", "2")]).unwrap();
        assert_eq!(uri.as_str(), "binary:///b?j=0&k=2");
    }

    #[test]
    fn invalid_scheme_names_the_uri_go_would_make() {
        let error = log_uri_generator("1x", "/a b", [("k", "v")]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid log URI \"1x:///a%20b?k=v\": the scheme does not start with an ASCII letter"
        );
        let error = log_uri_generator("", "/a", [("k", "v")]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid log URI \"/a?k=v\": \
             the scheme is empty, so a shim would take the URI for a FIFO path"
        );
    }

    #[test]
    fn relative_path_wins_over_a_bad_scheme() {
        let error = log_uri_generator("", "a/../b", NO_ARGS).unwrap_err();
        assert!(
            matches!(error, Error::RelativeLogPath { ref path } if path == "a/../b"),
            "{error}"
        );
    }

    #[test]
    fn parse_reads_both_path_forms_and_lowercases_the_scheme() {
        let long = parse("FILE:///var/log/a.log").unwrap();
        let short = parse("file:/var/log/a.log").unwrap();
        assert_eq!(long, short);
        assert_eq!(long.as_str(), "file:///var/log/a.log");
    }

    #[test]
    fn parse_decodes_and_canonicalises() {
        let uri = parse("binary:////usr/./bin/x%3f?z=%2b+1&a&&q=a=b").unwrap();
        assert_eq!(uri.path(), "/usr/bin/x?");
        assert_eq!(uri.arg("z"), Some("+ 1"));
        assert_eq!(uri.arg("a"), Some(""));
        assert_eq!(uri.arg("q"), Some("a=b"), "only the first `=` splits");
        assert_eq!(uri.as_str(), "binary:///usr/bin/x%3F?a=&q=a%3Db&z=%2B+1");
    }

    #[test]
    fn parse_takes_an_empty_query_as_no_arguments() {
        let uri = parse("file:///a?").unwrap();
        assert!(uri.args().is_empty());
        assert_eq!(uri.as_str(), "file:///a");
    }

    #[test]
    fn parse_refuses_what_is_not_a_log_uri() {
        let refused = [
            ("/var/log/a.log", "scheme"),
            ("1x:///a", "scheme"),
            (":///a", "scheme"),
            ("file:///a\nb", "control"),
            ("file:///a#b", "fragment"),
            ("file://host/a", "host"),
            ("file://", "not absolute"),
            ("file:a/b", "not absolute"),
            ("file:///a%2", "hex"),
            ("file:///a?k=%zz", "hex"),
            ("file:///a%FF", "UTF-8"),
            ("file:///a?k=%C3", "UTF-8"),
            ("file:///a?k=1;j=2", "`;`"),
            ("file:///a?k=1&k=2", "twice"),
        ];
        for (text, word) in refused {
            let why = reason(parse(text));
            assert!(
                why.contains(word),
                "{text:?} is refused for {word:?}, said {why:?}"
            );
        }
    }

    #[test]
    fn parse_error_names_the_string() {
        let error = parse("file:///a%zz").unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid log URI \"file:///a%zz\": a `%` is not followed by two hex digits"
        );
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use proptest::collection::{btree_map, vec};
    use proptest::prelude::*;

    /// Up to six of the characters a log URI treats specially, and some
    /// that need UTF-8 or are control characters.
    const SPECIAL: &str = "[ %?#+&=;:@$,!'()*~/\\\\\\-_.é日😀\t\n\0]{0,6}";

    /// A string of any characters, leaning on the special ones.
    fn text_strategy() -> impl Strategy<Value = String> {
        prop_oneof![any::<String>(), SPECIAL, "[a-zA-Z0-9]{0,6}"]
    }

    /// One path segment, `.` and `..` included (a `/` splits it further).
    fn segment_strategy() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(".".to_string()),
            Just("..".to_string()),
            text_strategy()
        ]
    }

    /// Any path, relative or not, with repeated slashes.
    fn any_path_strategy() -> impl Strategy<Value = String> {
        (any::<bool>(), vec((segment_strategy(), 1..4usize), 0..6)).prop_map(|(rooted, parts)| {
            let mut path = if rooted {
                "/".to_string()
            } else {
                String::new()
            };
            for (segment, slashes) in parts {
                path.push_str(&segment);
                path.push_str(&"/".repeat(slashes));
            }
            path
        })
    }

    /// An absolute path.
    fn absolute_path_strategy() -> impl Strategy<Value = String> {
        any_path_strategy().prop_map(|path| format!("/{path}"))
    }

    /// Query arguments.
    fn args_strategy() -> impl Strategy<Value = BTreeMap<String, String>> {
        btree_map(text_strategy(), text_strategy(), 0..5)
    }

    /// A scheme Go reads back, in any case.
    fn scheme_strategy() -> impl Strategy<Value = String> {
        "[a-zA-Z][a-zA-Z0-9+.-]{0,8}"
    }

    /// Whether `byte` may appear in a URI at all (RFC 3986: unreserved,
    /// reserved, and `%` for escapes).
    fn is_uri_byte(byte: u8) -> bool {
        byte.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=%".contains(&byte)
    }

    proptest! {
        #[test]
        fn parse_gives_back_the_cleaned_path_and_the_arguments(
            scheme in scheme_strategy(),
            path in absolute_path_strategy(),
            args in args_strategy(),
        ) {
            let made = log_uri_generator(&scheme, &path, &args).unwrap();
            let parsed: LogUri = made.as_str().parse().unwrap();

            prop_assert_eq!(made.path(), clean(&path), "the generator keeps the cleaned path");
            prop_assert_eq!(parsed.path(), made.path(), "the path reads back: {}", made);
            prop_assert_eq!(parsed.args(), &args, "the arguments read back: {}", made);
            prop_assert_eq!(
                parsed.scheme(),
                scheme.to_ascii_lowercase(),
                "the scheme reads back lowercase"
            );
        }

        #[test]
        fn a_lowercase_uri_is_its_own_parse(
            scheme in scheme_strategy(),
            path in absolute_path_strategy(),
            args in args_strategy(),
        ) {
            let made = log_uri_generator(&scheme.to_ascii_lowercase(), &path, &args).unwrap();
            let parsed: LogUri = made.as_str().parse().unwrap();
            prop_assert_eq!(&parsed, &made, "parsing the canonical form changes nothing");
        }

        #[test]
        fn the_string_holds_only_uri_bytes(
            scheme in scheme_strategy(),
            path in absolute_path_strategy(),
            args in args_strategy(),
        ) {
            let made = log_uri_generator(&scheme, &path, &args).unwrap();
            let stray = made.as_str().bytes().find(|&byte| !is_uri_byte(byte));
            prop_assert!(stray.is_none(), "byte {:?} is not a URI byte in {}", stray, made);
            prop_assert!(!made.as_str().contains('#'), "a fragment appeared in {}", made);
        }

        #[test]
        fn cleaning_is_idempotent(path in any_path_strategy()) {
            let once = clean(&path);
            prop_assert_eq!(clean(&once), once.clone(), "cleaning {:?} twice changed it", path);
        }

        #[test]
        fn a_cleaned_path_is_in_normal_form(path in any_path_strategy()) {
            let cleaned = clean(&path);
            prop_assert!(!cleaned.is_empty(), "{:?} cleaned to nothing", path);
            prop_assert!(!cleaned.contains("//"), "{:?} kept a double slash", cleaned);
            prop_assert!(
                cleaned == "/" || !cleaned.ends_with('/'),
                "{:?} kept a trailing slash",
                cleaned
            );
            prop_assert_eq!(
                cleaned.starts_with('/'),
                path.starts_with('/'),
                "{:?} changed from rooted to relative or back", path
            );
            let dots = cleaned.split('/').filter(|s| *s == "." ).count();
            prop_assert!(dots == 0 || cleaned == ".", "{:?} kept a `.` segment", cleaned);
            if cleaned.starts_with('/') {
                prop_assert!(
                    !cleaned.split('/').any(|s| s == ".."),
                    "{:?} kept a `..` under the root", cleaned
                );
            }
        }
    }
}
