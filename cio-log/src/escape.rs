//! Percent-encoding as Go's `net/url` writes a URL's path and its query
//! components, and the decoding that undoes it.

/// The digits of an escape, uppercase as Go writes them.
const HEX_DIGITS: &[u8; 16] = b"0123456789ABCDEF";

/// The part of a URI a string is written into: each part leaves a different
/// set of bytes unescaped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Part {
    /// The path. Unreserved characters and every reserved character but `?`
    /// stay as they are; the sub-delimiters `!'()*` are escaped.
    Path,
    /// A query key or value. Only unreserved characters stay; a space
    /// becomes `+`.
    Query,
}

/// Whether `byte` is an RFC 3986 unreserved character.
fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~')
}

/// Whether `byte` is written into `part` as it is.
fn is_kept(byte: u8, part: Part) -> bool {
    match part {
        Part::Path => {
            is_unreserved(byte)
                || matches!(
                    byte,
                    b'$' | b'&' | b'+' | b',' | b'/' | b':' | b';' | b'=' | b'@'
                )
        }
        Part::Query => is_unreserved(byte),
    }
}

/// Appends `text` to `out`, escaped for `part`. Every byte of a multi-byte
/// UTF-8 character is escaped on its own.
pub(crate) fn escape_into(out: &mut String, text: &str, part: Part) {
    for byte in text.bytes() {
        if is_kept(byte, part) {
            out.push(char::from(byte));
        } else if byte == b' ' && part == Part::Query {
            out.push('+');
        } else {
            out.push('%');
            out.push(char::from(HEX_DIGITS[usize::from(byte >> 4)]));
            out.push(char::from(HEX_DIGITS[usize::from(byte & 0x0f)]));
        }
    }
}

/// Decodes `text`, read from `part`: each `%XX` becomes the byte `XX` (hex
/// digits of either case), and in a query each `+` becomes a space.
///
/// # Errors
///
/// The reason, when a `%` is not followed by two hex digits or the decoded
/// bytes are not UTF-8.
pub(crate) fn unescape(text: &str, part: Part) -> Result<String, &'static str> {
    let mut decoded = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();

    while let Some((&byte, after)) = rest.split_first() {
        rest = after;
        match byte {
            b'%' => {
                // Both digits must be there; a lone `%` is not taken as itself.
                let digits = rest
                    .get(..2)
                    .and_then(|d| Some((hex_value(d[0])?, hex_value(d[1])?)));
                let Some((high, low)) = digits else {
                    return Err("a `%` is not followed by two hex digits");
                };
                decoded.push(high << 4 | low);
                rest = &rest[2..];
            }
            b'+' if part == Part::Query => decoded.push(b' '),
            other => decoded.push(other),
        }
    }

    // Escapes can spell any byte; only UTF-8 fits in a `String`.
    String::from_utf8(decoded).map_err(|_| "its escapes decode to bytes that are not UTF-8")
}

/// The value of one hex digit.
fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escaped(text: &str, part: Part) -> String {
        let mut out = String::new();
        escape_into(&mut out, text, part);
        out
    }

    #[test]
    fn path_keeps_reserved_characters_but_the_question_mark() {
        assert_eq!(escaped("/a b?c#d", Part::Path), "/a%20b%3Fc%23d");
        assert_eq!(escaped("$&+,/:;=@", Part::Path), "$&+,/:;=@");
        assert_eq!(escaped("!'()*", Part::Path), "%21%27%28%29%2A");
        assert_eq!(escaped("é", Part::Path), "%C3%A9");
    }

    #[test]
    fn query_keeps_only_unreserved_characters() {
        assert_eq!(escaped("a b+c", Part::Query), "a+b%2Bc");
        assert_eq!(escaped("-_.~", Part::Query), "-_.~");
        assert_eq!(escaped("/=&", Part::Query), "%2F%3D%26");
    }

    #[test]
    fn unescape_reads_both_cases_and_plus_only_in_queries() {
        assert_eq!(unescape("a%2fb%2F+", Part::Path).unwrap(), "a/b/+");
        assert_eq!(unescape("a%2fb%2F+", Part::Query).unwrap(), "a/b/ ");
        assert_eq!(unescape("caf%C3%A9", Part::Query).unwrap(), "café");
    }

    #[test]
    fn unescape_refuses_malformed_escapes_and_bad_utf8() {
        for bad in ["%", "%4", "%G0", "a%", "%%41"] {
            assert!(
                unescape(bad, Part::Path).is_err(),
                "{bad:?} has a malformed escape"
            );
        }
        let error = unescape("%C3", Part::Query).unwrap_err();
        assert!(
            error.contains("UTF-8"),
            "a lone lead byte is not UTF-8: {error}"
        );
    }
}
