//! Task ids that can safely name files inside a FIFO directory.

use cio_types::Error;

/// The longest suffix a FIFO name gets: `-stdout` and `-stderr`.
const LONGEST_SUFFIX: usize = "-stdout".len();

/// The longest file name Linux accepts (`NAME_MAX`).
const NAME_MAX: usize = 255;

/// The longest id whose FIFO names still fit in a directory entry.
pub const MAX_ID_LEN: usize = NAME_MAX - LONGEST_SUFFIX;

/// Checks that `id` can name the FIFOs of a task inside a FIFO directory:
/// the names `<id>-stdin`, `<id>-stdout` and `<id>-stderr` must stay inside
/// the directory and be valid file names.
///
/// containerd's Go client joins the id into a path unchecked, so an id such
/// as `../../etc/x` makes FIFOs outside the directory. Here it is refused.
///
/// # Errors
///
/// [`Error::InvalidId`] when `id` is empty, is `.` or `..`, contains `/` or a
/// NUL byte, or is longer than [`MAX_ID_LEN`] bytes.
///
/// # Examples
///
/// ```
/// use cio_fifo::validate_id;
///
/// assert!(validate_id("redis-7f3a").is_ok());
/// assert!(validate_id("../escape").is_err());
/// assert!(validate_id("").is_err());
/// ```
pub fn validate_id(id: &str) -> Result<(), Error> {
    let reason = if id.is_empty() {
        "it is empty"
    } else if id == "." || id == ".." {
        "it names a directory"
    } else if id.contains('/') {
        "it contains `/`"
    } else if id.contains('\0') {
        "it contains a NUL byte"
    } else if id.len() > MAX_ID_LEN {
        "it is too long to name a file"
    } else {
        return Ok(());
    };
    Err(Error::InvalidId {
        id: id.to_owned(),
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_each_kind_of_bad_id() {
        let long = "x".repeat(MAX_ID_LEN + 1);
        let cases = [
            ("", "it is empty"),
            (".", "it names a directory"),
            ("..", "it names a directory"),
            ("a/b", "it contains `/`"),
            ("/abs", "it contains `/`"),
            ("a\0b", "it contains a NUL byte"),
            (long.as_str(), "it is too long to name a file"),
        ];
        for (id, expected) in cases {
            match validate_id(id) {
                Err(Error::InvalidId { id: got, reason }) => {
                    assert_eq!(got, id);
                    assert_eq!(reason, expected, "reason for {id:?}");
                }
                other => panic!("{id:?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn accepts_ordinary_ids() {
        let longest = "y".repeat(MAX_ID_LEN);
        for id in ["a", "...", ".hidden", "task-1", "über", longest.as_str()] {
            assert!(validate_id(id).is_ok(), "{id:?} is a fine id");
        }
    }
}
