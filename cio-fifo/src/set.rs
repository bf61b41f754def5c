//! FIFO sets: a private directory per task and the paths of its FIFOs.

use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};

use cio_types::{Config, Error, FifoSet, FileKind, Stream};
use rustix::fs::{self, CWD, FileType, Mode, OFlags};
use rustix::io::Errno;

use crate::id::validate_id;
use crate::open::{chmod_handle, kind_of, path_handle};

/// Owner-only: read, write and search for the owner, nothing for anyone else.
const PRIVATE: Mode = Mode::RWXU;

/// How many random names to try before giving up on a crowded root.
const TEMP_ATTEMPTS: usize = 64;

/// Makes a FIFO set for task `id` in a new private directory under `root`.
///
/// `root` is created when missing; then a directory with a fresh random name
/// is made inside it, and the set's paths are `<dir>/<id>-stdin`,
/// `<dir>/<id>-stdout` and `<dir>/<id>-stderr`. Every directory this function
/// creates has mode 0700 whatever the process's umask. The FIFOs themselves
/// are made when they are first opened. Closing the set removes the
/// directory and everything in it.
///
/// With `terminal`, the task's stderr is merged into stdout by the terminal;
/// the stderr path is still set (containerd expects it) but nothing opens it.
///
/// An empty `root` means the system's temporary directory, as in Go.
///
/// This is Go's `NewFIFOSetInDir`.
///
/// # Errors
///
/// - [`Error::InvalidId`] when `id` cannot name a file inside the directory
///   (see [`validate_id`](crate::validate_id)); nothing is created.
/// - [`Error::NotDirectory`] when `root` exists and is not a directory (a
///   symbolic link to one is refused too: it is not followed).
/// - [`Error::Create`] naming the directory that could not be made.
///
/// # Examples
///
/// ```
/// # let root = std::env::temp_dir().join(format!("cio-doc-{}", std::process::id()));
/// let mut set = cio_fifo::new_fifo_set_in_dir(&root, "web", false)?;
/// assert!(set.stdout.ends_with("/web-stdout"));
///
/// let dir = std::path::Path::new(&set.stdout).parent().unwrap().to_owned();
/// assert!(dir.is_dir());
/// set.close()?;
/// assert!(!dir.exists());
/// # std::fs::remove_dir(&root).unwrap();
/// # Ok::<(), cio_types::Error>(())
/// ```
pub fn new_fifo_set_in_dir(
    root: impl AsRef<Path>,
    id: &str,
    terminal: bool,
) -> Result<FifoSet, Error> {
    // Refuse a bad id before anything touches the file system.
    validate_id(id)?;

    // The shim runs with another working directory: the paths handed to it
    // must be absolute.
    let root = root.as_ref();
    let root = match root.as_os_str().is_empty() {
        true => std::env::temp_dir(),
        false => std::path::absolute(root).map_err(|source| Error::Open {
            path: root.to_owned(),
            source,
        })?,
    };

    let root_fd = open_or_create_root(&root)?;
    let dir = create_private_temp_dir(&root_fd, &root)?;

    let path_of = |stream: Stream| {
        let path = dir.join(format!("{id}-{stream}"));
        path.into_os_string()
            .into_string()
            .expect("the root was UTF-8 and so is the id")
    };
    let config = Config {
        terminal,
        stdin: path_of(Stream::Stdin),
        stdout: path_of(Stream::Stdout),
        stderr: path_of(Stream::Stderr),
    };
    Ok(FifoSet::new(
        config,
        Some(Box::new(move || remove_dir(&dir))),
    ))
}

/// Opens the FIFO root, creating it and its missing ancestors (each 0700)
/// first when it does not exist.
fn open_or_create_root(root: &Path) -> Result<OwnedFd, Error> {
    // The paths go into a UTF-8 config; a root that is not UTF-8 cannot.
    if root.to_str().is_none() {
        let source = io::Error::new(io::ErrorKind::InvalidInput, "path is not UTF-8");
        return Err(Error::Create {
            path: root.to_owned(),
            source,
        });
    }

    // Walk up to the nearest ancestor that exists, then create downwards.
    let mut missing = Vec::new();
    let mut cursor = root;
    loop {
        match fs::statat(CWD, cursor, fs::AtFlags::SYMLINK_NOFOLLOW) {
            Ok(_) => break,
            Err(Errno::NOENT) => missing.push(cursor),
            Err(errno) => {
                return Err(Error::Open {
                    path: cursor.to_owned(),
                    source: errno.into(),
                });
            }
        }
        match cursor.parent() {
            Some(parent) => cursor = parent,
            None => break,
        }
    }
    for path in missing.into_iter().rev() {
        match fs::mkdirat(CWD, path, PRIVATE) {
            Ok(()) => set_private(CWD, path, path)?,
            // Another process made it meanwhile: use theirs.
            Err(Errno::EXIST) => {}
            Err(errno) => {
                return Err(Error::Create {
                    path: path.to_owned(),
                    source: errno.into(),
                });
            }
        }
    }

    // Open the root itself without following a symbolic link.
    let flags = OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::RDONLY;
    fs::openat(CWD, root, flags, Mode::empty()).map_err(|errno| match errno {
        Errno::NOTDIR | Errno::LOOP => {
            let found = kind_of(root).unwrap_or(FileKind::Unknown);
            Error::NotDirectory {
                path: root.to_owned(),
                found,
            }
        }
        errno => Error::Open {
            path: root.to_owned(),
            source: errno.into(),
        },
    })
}

/// Sets mode 0700 on a directory this process just made (mkdir applied the
/// umask), through a handle that refuses a symbolic link swapped in since.
fn set_private(dir: impl AsFd, name: &Path, path: &Path) -> Result<(), Error> {
    let create_error = |errno: Errno| Error::Create {
        path: path.to_owned(),
        source: errno.into(),
    };
    let handle = path_handle(dir, name).map_err(create_error)?;
    if !fs::fstat(&handle).is_ok_and(|stat| FileType::from_raw_mode(stat.st_mode).is_dir()) {
        return Err(create_error(Errno::NOTDIR));
    }
    chmod_handle(&handle, path, PRIVATE).map_err(create_error)
}

/// Creates a directory with a fresh random name inside `root` and returns
/// its path.
fn create_private_temp_dir(root_fd: &OwnedFd, root: &Path) -> Result<PathBuf, Error> {
    for _ in 0..TEMP_ATTEMPTS {
        let name = random_name().map_err(|source| Error::Create {
            path: root.into(),
            source,
        })?;
        let path = root.join(&name);
        let create_error = |errno: Errno| Error::Create {
            path: path.clone(),
            source: errno.into(),
        };

        match fs::mkdirat(root_fd, &name, PRIVATE) {
            Ok(()) => {}
            Err(Errno::EXIST) => continue,
            Err(errno) => return Err(create_error(errno)),
        }

        // A directory that cannot be made private is not used: remove it,
        // so that a failed call leaves nothing behind.
        if let Err(error) = set_private(root_fd, Path::new(&name), &path) {
            let _ = fs::unlinkat(root_fd, name.as_str(), fs::AtFlags::REMOVEDIR);
            return Err(error);
        }
        return Ok(path);
    }
    let source = io::Error::new(io::ErrorKind::AlreadyExists, "no free random name");
    Err(Error::Create {
        path: root.to_owned(),
        source,
    })
}

/// Twelve random hex digits: 48 bits, enough that two sets never meet.
fn random_name() -> io::Result<String> {
    let mut bytes = [0_u8; 6];
    rustix::rand::getrandom(&mut bytes, rustix::rand::GetRandomFlags::empty())?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Removes a FIFO directory and everything in it; a directory already gone
/// is fine, so that closing twice succeeds.
fn remove_dir(dir: &Path) -> io::Result<()> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

/// A FIFO set for a task that already runs, from its [`Config`] as read
/// back from containerd: closing it removes the FIFOs among the paths, then
/// each directory that held one if nothing else is left in it.
///
/// A client that restarts has lost the set its creator made, and the
/// cleanup with it; this gives `load` or an attach a set whose `close`
/// removes what the first client made, as Go's client does when it loads a
/// task. Only FIFOs are removed, never followed through a symbolic link:
/// log URIs, regular files and links are left alone, and so is a directory
/// that still holds anything.
///
/// # Examples
///
/// ```
/// use cio_fifo::{FifoReader, load_fifo_set, new_fifo_set_in_dir};
/// # let root = std::env::temp_dir().join(format!("cio-load-set-doc-{}", std::process::id()));
///
/// // A set made earlier, by a client that is gone.
/// let first = new_fifo_set_in_dir(&root, "old", false)?;
/// drop(FifoReader::open(&first.stdout)?);
/// let dir = std::path::Path::new(&first.stdout).parent().unwrap().to_owned();
///
/// let mut set = load_fifo_set(first.config.clone());
/// set.close()?;
/// assert!(!dir.exists());
/// # std::fs::remove_dir(&root).unwrap();
/// # Ok::<(), cio_types::Error>(())
/// ```
pub fn load_fifo_set(config: Config) -> FifoSet {
    let paths: Vec<PathBuf> = [&config.stdin, &config.stdout, &config.stderr]
        .into_iter()
        .filter(|path| path.starts_with('/'))
        .map(PathBuf::from)
        .collect();
    FifoSet::new(config, Some(Box::new(move || remove_fifos(&paths))))
}

/// Removes the FIFOs among `paths`, then each directory that held one if it
/// is now empty. Reports the first failure; a FIFO already gone is fine.
fn remove_fifos(paths: &[PathBuf]) -> io::Result<()> {
    let mut result = Ok(());
    let mut dirs: Vec<&Path> = Vec::new();

    // The FIFOs, and only FIFOs: a path may name a file or a link.
    for path in paths {
        if kind_of(path) != Some(FileKind::Fifo) {
            continue;
        }
        match std::fs::remove_file(path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound && result.is_ok() => result = Err(e),
            _ => {}
        }
        if let Some(dir) = path.parent()
            && !dirs.contains(&dir)
        {
            dirs.push(dir);
        }
    }

    // Their directories, if now empty: a shared directory stays.
    for dir in dirs {
        let _ = std::fs::remove_dir(dir);
    }
    result
}
