//! Opening a FIFO without blocking, and without ever opening anything else.

use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::Path;

use async_io::Async;

use cio_types::{Error, FileKind};
use rustix::fs::{self, AtFlags, CWD, FileType, Mode, OFlags};
use rustix::io::Errno;

use crate::reader::FifoReader;
use crate::writer::FifoWriter;

/// The mode of the FIFOs this crate creates: owner-only.
const FIFO_MODE: Mode = Mode::RWXU;

/// How to open a FIFO: whether to create it when it is missing.
///
/// Opening never waits for the other end: a [`FifoReader`] is ready at once
/// and its reads wait for a writer; a [`FifoWriter`] is ready at once and its
/// bytes wait in the FIFO for a reader.
///
/// The path is checked without following a symbolic link, and only a FIFO is
/// ever opened: anything else is refused with [`Error::NotFifo`] before it is
/// opened, so a regular file, a device or a socket at the path is left
/// untouched.
///
/// # Examples
///
/// ```
/// use cio_fifo::OpenOptions;
/// # let dir = std::env::temp_dir().join(format!("cio-doc-open-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("task-stdout");
///
/// // Returns at once, although no process writes yet.
/// let reader = OpenOptions::new().create(true).open_reader(&path)?;
/// assert_eq!(reader.path(), path);
///
/// // An existing file that is not a FIFO is refused.
/// std::fs::write(dir.join("plain"), b"data").unwrap();
/// assert!(OpenOptions::new().open_reader(dir.join("plain")).is_err());
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), cio_types::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct OpenOptions {
    create: bool,
}

impl OpenOptions {
    /// Options that create the FIFO when it is missing, as a FIFO set's
    /// paths need.
    pub fn new() -> Self {
        OpenOptions { create: true }
    }

    /// Whether to create the FIFO (mode 0700) when nothing is at the path.
    /// When `false`, a missing FIFO is an [`Error::Open`] with
    /// [`std::io::ErrorKind::NotFound`], as an attach to a vanished task needs.
    pub fn create(&mut self, create: bool) -> &mut Self {
        self.create = create;
        self
    }

    /// Opens the read end of the FIFO at `path`.
    ///
    /// # Errors
    ///
    /// - [`Error::NotFifo`] when something other than a FIFO is at `path`,
    ///   a symbolic link included.
    /// - [`Error::Create`] when the FIFO could not be made.
    /// - [`Error::Open`] when it could not be opened or registered with the
    ///   reactor (for instance, out of file descriptors).
    pub fn open_reader(&self, path: impl AsRef<Path>) -> Result<FifoReader, Error> {
        let path = path.as_ref();
        let fd = open_fifo(path, OFlags::RDONLY, self.create)?;
        FifoReader::from_fd(fd, path.to_owned())
    }

    /// Opens the write end of the FIFO at `path`.
    ///
    /// # Errors
    ///
    /// As [`open_reader`](OpenOptions::open_reader).
    pub fn open_writer(&self, path: impl AsRef<Path>) -> Result<FifoWriter, Error> {
        let path = path.as_ref();
        let fd = open_fifo(path, OFlags::RDWR, self.create)?;
        FifoWriter::from_fd(fd, path.to_owned())
    }
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions::new()
    }
}

/// Opens the FIFO at `path` with `access`, non-blocking, creating it first
/// when `create` is set and nothing is there.
///
/// The steps keep the object checked and the object opened the same: an
/// `O_PATH` handle is taken without following a link, its type checked, and
/// the FIFO opened through that handle.
fn open_fifo(path: &Path, access: OFlags, create: bool) -> Result<OwnedFd, Error> {
    let open_error = |errno: Errno| Error::Open {
        path: path.to_owned(),
        source: errno.into(),
    };

    // Take a handle on whatever is at the path, without opening it for I/O.
    let mut created = false;
    let handle = loop {
        match path_handle(CWD, path) {
            Ok(handle) => break handle,
            Err(Errno::NOENT) if create && !created => {
                match fs::mkfifoat(CWD, path, FIFO_MODE) {
                    Ok(()) => created = true,
                    // Another opener made it meanwhile; take that one.
                    Err(Errno::EXIST) => {}
                    Err(errno) => {
                        return Err(Error::Create {
                            path: path.to_owned(),
                            source: errno.into(),
                        });
                    }
                }
            }
            Err(errno) => return Err(open_error(errno)),
        }
    };

    // Refuse anything that is not a FIFO before it is opened for real.
    let stat = fs::fstat(&handle).map_err(open_error)?;
    let file_type = FileType::from_raw_mode(stat.st_mode);
    if file_type != FileType::Fifo {
        return Err(Error::NotFifo {
            path: path.to_owned(),
            found: kind_of_type(file_type),
        });
    }

    // mkfifo applied the umask; a FIFO made here is owner-only regardless.
    if created {
        chmod_handle(&handle, path, FIFO_MODE).map_err(open_error)?;
    }

    // Open the very FIFO the handle refers to. O_NONBLOCK keeps the open from
    // waiting for the other end.
    let flags = access | OFlags::NONBLOCK | OFlags::CLOEXEC | OFlags::NOCTTY;
    reopen(&handle, path, flags).map_err(open_error)
}

/// Registers an opened FIFO with the `async-io` reactor.
///
/// The reactor starts on first use, and panics when it cannot make its
/// `epoll` instance (the process is out of descriptors, say). For this open
/// that is an error like any other, so the panic is turned into one. The
/// panic hook still reports it, and with `panic = "abort"` the process
/// aborts, as it would in async-io.
pub(crate) fn register(fd: OwnedFd) -> io::Result<Async<OwnedFd>> {
    match std::panic::catch_unwind(move || Async::new(fd)) {
        Ok(result) => result,
        Err(panic) => {
            let why = panic
                .downcast_ref::<String>()
                .map_or("it panicked", String::as_str);
            Err(io::Error::other(format!(
                "the I/O reactor could not start: {why}"
            )))
        }
    }
}

/// Takes an `O_PATH` handle on what is at `path` under `dir`, without
/// following a symbolic link and without opening it for I/O.
pub(crate) fn path_handle(dir: impl AsFd, path: impl AsRef<Path>) -> Result<OwnedFd, Errno> {
    let flags = OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    fs::openat(dir, path.as_ref(), flags, Mode::empty())
}

/// Sets the mode of the file `handle` refers to. Works on an `O_PATH`
/// handle, and so on a file whose current mode forbids opening it.
pub(crate) fn chmod_handle(handle: &OwnedFd, path: &Path, mode: Mode) -> Result<(), Errno> {
    match fs::chmodat(CWD, proc_path(handle), mode, AtFlags::empty()) {
        // Without /proc, fall back to the path, checked to be the same file.
        Err(Errno::NOENT) => {}
        other => return other,
    }
    let again = path_handle(CWD, path)?;
    match same_file(&again, handle)? {
        true => fs::chmodat(CWD, path, mode, AtFlags::empty()),
        false => Err(Errno::STALE),
    }
}

/// Opens the file that `handle` refers to again, with `flags`.
///
/// Through `/proc/self/fd` this reaches the same inode even if the path was
/// replaced or removed meanwhile. Without `/proc`, it opens `path` without
/// following a link and checks that it found the same inode.
pub(crate) fn reopen(handle: &OwnedFd, path: &Path, flags: OFlags) -> Result<OwnedFd, Errno> {
    match fs::openat(CWD, proc_path(handle), flags, Mode::empty()) {
        Err(Errno::NOENT) => {}
        other => return other,
    }

    reopen_by_path(handle, path, flags)
}

/// [`reopen`] without `/proc`: opens `path` without following a link, and
/// refuses what is not the file `handle` refers to (`ESTALE`).
fn reopen_by_path(handle: &OwnedFd, path: &Path, flags: OFlags) -> Result<OwnedFd, Errno> {
    let fd = fs::openat(CWD, path, flags | OFlags::NOFOLLOW, Mode::empty())?;
    match same_file(&fd, handle)? {
        true => Ok(fd),
        false => Err(Errno::STALE),
    }
}

/// The `/proc/self/fd` path of `handle`: it names the very file the handle
/// refers to, whatever its path names now.
fn proc_path(handle: &OwnedFd) -> String {
    format!("/proc/self/fd/{}", handle.as_raw_fd())
}

/// Whether two descriptors refer to the same file.
fn same_file(a: impl AsFd, b: impl AsFd) -> Result<bool, Errno> {
    let (a, b) = (fs::fstat(a)?, fs::fstat(b)?);
    Ok(a.st_dev == b.st_dev && a.st_ino == b.st_ino)
}

/// What is at `path`, without following a symbolic link; `None` when
/// nothing is there or it cannot be inspected.
pub(crate) fn kind_of(path: &Path) -> Option<FileKind> {
    std::fs::symlink_metadata(path)
        .ok()
        .map(|meta| FileKind::from_file_type(meta.file_type()))
}

fn kind_of_type(file_type: FileType) -> FileKind {
    match file_type {
        FileType::RegularFile => FileKind::Regular,
        FileType::Directory => FileKind::Directory,
        FileType::Symlink => FileKind::Symlink,
        FileType::Fifo => FileKind::Fifo,
        FileType::Socket => FileKind::Socket,
        FileType::CharacterDevice => FileKind::CharDevice,
        FileType::BlockDevice => FileKind::BlockDevice,
        _ => FileKind::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh directory under the system's temporary one.
    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("cio-open-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir(&dir).unwrap();
        dir
    }

    /// A FIFO checked through its handle, then swapped for a symbolic link
    /// to a regular file before the open: the open reaches the FIFO that
    /// was checked, and the file is never opened.
    #[test]
    fn a_path_swapped_after_the_check_is_not_what_gets_opened() {
        let dir = scratch("swap");
        let (path, file, link) = (dir.join("t-stdout"), dir.join("secret"), dir.join("link"));
        fs::mkfifoat(CWD, &path, FIFO_MODE).unwrap();
        std::fs::write(&file, b"secret").unwrap();

        // The check, as open_fifo makes it.
        let handle = path_handle(CWD, &path).unwrap();
        let checked = fs::fstat(&handle).unwrap();
        assert_eq!(FileType::from_raw_mode(checked.st_mode), FileType::Fifo);

        // The swap: the path now names a link to the regular file.
        std::os::unix::fs::symlink(&file, &link).unwrap();
        std::fs::rename(&link, &path).unwrap();

        let flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC;
        let opened = reopen(&handle, &path, flags).unwrap();
        let stat = fs::fstat(&opened).unwrap();
        assert_eq!(
            FileType::from_raw_mode(stat.st_mode),
            FileType::Fifo,
            "the FIFO"
        );
        assert_eq!((stat.st_dev, stat.st_ino), (checked.st_dev, checked.st_ino));

        // Without /proc, the path is opened without following the link.
        assert_eq!(
            reopen_by_path(&handle, &path, flags).unwrap_err(),
            Errno::LOOP
        );

        // A different FIFO swapped in is refused too.
        std::fs::remove_file(&path).unwrap();
        fs::mkfifoat(CWD, &path, FIFO_MODE).unwrap();
        assert_eq!(
            reopen_by_path(&handle, &path, flags).unwrap_err(),
            Errno::STALE
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A symbolic link in place before the check is refused by the check,
    /// whatever it points to.
    #[test]
    fn the_check_sees_a_link_not_its_target() {
        let dir = scratch("link");
        let (fifo, link) = (dir.join("real"), dir.join("t-stdin"));
        fs::mkfifoat(CWD, &fifo, FIFO_MODE).unwrap();
        std::os::unix::fs::symlink(&fifo, &link).unwrap();

        match open_fifo(&link, OFlags::RDWR, true) {
            Err(Error::NotFifo { found, .. }) => assert_eq!(found, FileKind::Symlink),
            other => panic!("{other:?}"),
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
