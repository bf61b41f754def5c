//! Bad input that the other files do not cover: a FIFO root whose path is
//! not UTF-8 (the set's paths go into a UTF-8 config).

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use cio_fifo::Error;
use cio_tests::TempRoot;

#[test]
fn a_root_that_is_not_utf8_is_refused_and_nothing_is_made() {
    let top = TempRoot::created("non-utf8");
    let root = top.path().join(OsStr::from_bytes(b"fifo-\xff"));
    match cio_fifo::new_fifo_set_in_dir(&root, "t", false) {
        Err(Error::Create { path, source }) => {
            assert_eq!(path, root, "names the root");
            assert_eq!(source.kind(), std::io::ErrorKind::InvalidInput);
            assert!(source.to_string().contains("UTF-8"), "says why: {source}");
        }
        other => panic!("{other:?}"),
    }
    assert!(!Path::new(&root).exists(), "nothing was made");
    assert_eq!(std::fs::read_dir(top.path()).unwrap().count(), 0);
}
