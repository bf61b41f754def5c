//! The workspace error: one enum, every variant naming what it concerns.

use std::fmt;
use std::fs::FileType;
use std::io;
use std::os::unix::fs::FileTypeExt;
use std::path::PathBuf;

/// One of a task's three standard streams.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stream {
    /// Standard input: from the caller to the task.
    Stdin,
    /// Standard output: from the task to the caller.
    Stdout,
    /// Standard error: from the task to the caller.
    Stderr,
}

impl Stream {
    /// The three streams, in file descriptor order.
    pub const ALL: [Stream; 3] = [Stream::Stdin, Stream::Stdout, Stream::Stderr];

    /// The stream's conventional name: `stdin`, `stdout` or `stderr`.
    ///
    /// It is also the suffix of the stream's FIFO in a FIFO set.
    pub fn name(self) -> &'static str {
        match self {
            Stream::Stdin => "stdin",
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }
}

impl fmt::Display for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What was found at a path that should have been something else.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FileKind {
    /// A regular file.
    Regular,
    /// A directory.
    Directory,
    /// A symbolic link (never followed).
    Symlink,
    /// A named pipe.
    Fifo,
    /// A Unix domain socket.
    Socket,
    /// A character device.
    CharDevice,
    /// A block device.
    BlockDevice,
    /// Anything else the platform can report.
    Unknown,
}

impl FileKind {
    /// Classifies a [`FileType`] as read by `symlink_metadata`.
    pub fn from_file_type(file_type: FileType) -> Self {
        if file_type.is_symlink() {
            FileKind::Symlink
        } else if file_type.is_dir() {
            FileKind::Directory
        } else if file_type.is_file() {
            FileKind::Regular
        } else if file_type.is_fifo() {
            FileKind::Fifo
        } else if file_type.is_socket() {
            FileKind::Socket
        } else if file_type.is_char_device() {
            FileKind::CharDevice
        } else if file_type.is_block_device() {
            FileKind::BlockDevice
        } else {
            FileKind::Unknown
        }
    }
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileKind::Regular => "regular file",
            FileKind::Directory => "directory",
            FileKind::Symlink => "symbolic link",
            FileKind::Fifo => "FIFO",
            FileKind::Socket => "socket",
            FileKind::CharDevice => "character device",
            FileKind::BlockDevice => "block device",
            FileKind::Unknown => "file of unknown type",
        })
    }
}

/// Everything that can go wrong in the cio crates.
///
/// Every variant names the path, stream or value it concerns, and keeps the
/// operating system's error as its [`source`](std::error::Error::source) where
/// there is one. Bad input has variants of its own, so a caller can tell a
/// mistake in its arguments from a failure of the system.
///
/// The error converts into [`io::Error`], keeping itself as the inner error:
/// bad input becomes [`io::ErrorKind::InvalidInput`], a system failure keeps
/// the kind of its source.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A task id that cannot name files inside a FIFO directory: empty, `.`
    /// or `..`, or holding a `/` or a NUL byte.
    #[error("invalid task id {id:?}: {reason}")]
    InvalidId {
        /// The id as given.
        id: String,
        /// Why it was refused.
        reason: &'static str,
    },

    /// A path where a FIFO belongs holds something else. Nothing was opened.
    #[error("`{}` is a {found}, not a FIFO", path.display())]
    NotFifo {
        /// The path that was checked.
        path: PathBuf,
        /// What is there instead.
        found: FileKind,
    },

    /// A path where a directory belongs holds something else.
    #[error("`{}` is a {found}, not a directory", path.display())]
    NotDirectory {
        /// The path that was checked.
        path: PathBuf,
        /// What is there instead.
        found: FileKind,
    },

    /// A stream of a task is not an absolute FIFO path (a log URI, say), so
    /// it cannot be opened or attached to.
    #[error("the {stream} of the task is {value:?}, not the absolute path of a FIFO")]
    NotFifoPath {
        /// The stream concerned.
        stream: Stream,
        /// Its configured value.
        value: String,
    },

    /// A log path that is not absolute: the shim runs elsewhere, so a
    /// relative path would name another file.
    #[error("log path {path:?} is not absolute")]
    RelativeLogPath {
        /// The path as given.
        path: String,
    },

    /// A string that is not a log URI cio can read or write.
    #[error("invalid log URI {uri:?}: {reason}")]
    InvalidLogUri {
        /// The URI as given.
        uri: String,
        /// What is wrong with it.
        reason: &'static str,
    },

    /// A file, FIFO or directory could not be created.
    #[error("cannot create `{}`", path.display())]
    Create {
        /// What was being created.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },

    /// A file, FIFO or directory could not be opened or inspected.
    #[error("cannot open `{}`", path.display())]
    Open {
        /// What was being opened.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },

    /// A file or directory could not be removed.
    #[error("cannot remove `{}`", path.display())]
    Remove {
        /// What was being removed.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },

    /// A FIFO set's cleanup failed.
    #[error("cannot clean up the FIFO set of `{}`", path.display())]
    Cleanup {
        /// The first path of the set.
        path: PathBuf,
        /// The cleanup's error.
        source: io::Error,
    },

    /// Copying between a FIFO and the caller's stream failed: the read from
    /// the source or the write to the sink returned an error.
    #[error("copying {stream} failed")]
    Copy {
        /// The stream whose copy failed.
        stream: Stream,
        /// The error of the read or the write.
        source: io::Error,
    },

    /// A copy was cancelled before its stream ended.
    #[error("copying {stream} was cancelled before the stream ended")]
    Cancelled {
        /// The stream whose copy was cut short.
        stream: Stream,
    },

    /// A creator's streams already serve another task: one reader cannot
    /// feed two tasks, nor one writer take two tasks' output unnoticed.
    #[error("the streams of this creator already serve task {id:?}")]
    StreamsTaken {
        /// The task that holds them.
        id: String,
    },
}

impl Error {
    /// The [`io::ErrorKind`] this error converts into.
    pub fn kind(&self) -> io::ErrorKind {
        match self {
            Error::InvalidId { .. }
            | Error::NotFifo { .. }
            | Error::NotDirectory { .. }
            | Error::NotFifoPath { .. }
            | Error::RelativeLogPath { .. }
            | Error::InvalidLogUri { .. } => io::ErrorKind::InvalidInput,
            Error::Create { source, .. }
            | Error::Open { source, .. }
            | Error::Remove { source, .. }
            | Error::Cleanup { source, .. }
            | Error::Copy { source, .. } => source.kind(),
            Error::Cancelled { .. } => io::ErrorKind::Other,
            Error::StreamsTaken { .. } => io::ErrorKind::ResourceBusy,
        }
    }

    /// The stream this error concerns, if it concerns one.
    pub fn stream(&self) -> Option<Stream> {
        match self {
            Error::NotFifoPath { stream, .. }
            | Error::Copy { stream, .. }
            | Error::Cancelled { stream } => Some(*stream),
            _ => None,
        }
    }
}

impl From<Error> for io::Error {
    fn from(error: Error) -> Self {
        io::Error::new(error.kind(), error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_conversion_keeps_kind_and_source() {
        let error = Error::Open {
            path: "/run/x/a-stdout".into(),
            source: io::Error::from(io::ErrorKind::PermissionDenied),
        };
        let io_error = io::Error::from(error);

        assert_eq!(io_error.kind(), io::ErrorKind::PermissionDenied);
        let inner = io_error.get_ref().expect("the cio error is kept inside");
        assert_eq!(inner.to_string(), "cannot open `/run/x/a-stdout`");
        assert!(inner.source().is_some(), "the os error stays reachable");
    }

    #[test]
    fn bad_input_is_invalid_input() {
        let error = Error::InvalidId {
            id: "../x".into(),
            reason: "it contains `/`",
        };
        assert_eq!(io::Error::from(error).kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn messages_name_what_they_concern() {
        let error = Error::Copy {
            stream: Stream::Stderr,
            source: io::Error::other("full"),
        };
        assert_eq!(error.to_string(), "copying stderr failed");
        assert_eq!(error.stream(), Some(Stream::Stderr));

        let error = Error::NotFifo {
            path: "/tmp/f".into(),
            found: FileKind::Regular,
        };
        assert_eq!(error.to_string(), "`/tmp/f` is a regular file, not a FIFO");
    }
}
