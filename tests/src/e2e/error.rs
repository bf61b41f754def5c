//! The harness's error: a message that reads as a chain of what was being
//! done, from the outermost step to the operating system's or the daemon's
//! own words.

use std::fmt;

/// A failure of the harness or of a case, with the steps that led to it.
///
/// Any [`std::error::Error`] converts into it, keeping its sources in the
/// message; [`Context`] adds the step that was under way.
pub struct Error(String);

/// The harness's `Result`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error with `message` alone.
    pub fn msg(message: impl fmt::Display) -> Self {
        Error(message.to_string())
    }
}

impl<E: std::error::Error> From<E> for Error {
    fn from(error: E) -> Self {
        // Spell out the whole chain: a test failure shows only this string.
        let mut message = error.to_string();
        let mut source = error.source();
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        Error(message)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

// A test that returns `Err` prints the error's `Debug` form: make it the
// message itself, not a struct dump.
impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Adds the step that was under way to an error.
pub trait Context<T> {
    /// Prefixes the error with `what`.
    ///
    /// # Errors
    ///
    /// The error of `self`, with `what` in front.
    fn context(self, what: impl fmt::Display) -> Result<T>;

    /// Prefixes the error with what `what` returns, computed only on error.
    ///
    /// # Errors
    ///
    /// The error of `self`, with the step in front.
    fn with_context<D: fmt::Display>(self, what: impl FnOnce() -> D) -> Result<T>;
}

impl<T, E: Into<Error>> Context<T> for std::result::Result<T, E> {
    fn context(self, what: impl fmt::Display) -> Result<T> {
        self.map_err(|e| Error(format!("{what}: {}", e.into())))
    }

    fn with_context<D: fmt::Display>(self, what: impl FnOnce() -> D) -> Result<T> {
        self.map_err(|e| Error(format!("{}: {}", what(), e.into())))
    }
}

impl<T> Context<T> for Option<T> {
    fn context(self, what: impl fmt::Display) -> Result<T> {
        self.ok_or_else(|| Error::msg(what))
    }

    fn with_context<D: fmt::Display>(self, what: impl FnOnce() -> D) -> Result<T> {
        self.ok_or_else(|| Error::msg(what()))
    }
}

/// Fails with `message` unless `condition` holds: an assertion that
/// returns an error, so that the daemon is stopped through the normal path.
///
/// # Errors
///
/// The message, when the condition does not hold.
pub fn ensure(condition: bool, message: impl FnOnce() -> String) -> Result<()> {
    match condition {
        true => Ok(()),
        false => Err(Error(message())),
    }
}
