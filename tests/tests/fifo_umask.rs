//! Modes are owner-only whatever the umask. The umask is process-wide, so
//! this file holds a single test and runs as its own process.

use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::Path;

use cio_fifo::{FifoReader, FifoWriter, new_fifo_set_in_dir};
use cio_tests::TempRoot;
use rustix::fs::Mode;

fn mode_of(path: impl AsRef<Path>) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

#[test]
fn dirs_and_fifos_are_0700_under_any_umask() {
    for umask in [0o000, 0o022, 0o077, 0o777] {
        let previous = rustix::process::umask(Mode::from_raw_mode(umask));

        let root = TempRoot::new("umask");
        let mut set = new_fifo_set_in_dir(root.path(), "m", false).unwrap();
        let reader = FifoReader::open(&set.stdout).unwrap();
        let writer = FifoWriter::open(&set.stdin).unwrap();

        rustix::process::umask(previous);

        let dir = Path::new(&set.stdout).parent().unwrap();
        assert_eq!(mode_of(root.path()), 0o700, "root under umask {umask:o}");
        assert_eq!(mode_of(dir), 0o700, "set dir under umask {umask:o}");
        for fifo in [&set.stdout, &set.stdin] {
            let meta = std::fs::metadata(fifo).unwrap();
            assert!(meta.file_type().is_fifo());
            assert_eq!(mode_of(fifo), 0o700, "{fifo} under umask {umask:o}");
        }

        drop((reader, writer));
        set.close().unwrap();
    }
}
