//! FIFO sets: where the paths go, what closing removes, which ids are refused.

use std::collections::HashSet;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use cio_fifo::{Error, new_fifo_set_in_dir};
use cio_tests::TempRoot;

fn parent(path: &str) -> &Path {
    Path::new(path)
        .parent()
        .expect("a FIFO path has a directory")
}

#[test]
fn paths_are_named_after_the_id_in_a_new_dir_under_root() {
    let root = TempRoot::new("paths");
    let set = new_fifo_set_in_dir(root.path(), "redis", false).unwrap();

    let dir = parent(&set.stdin);
    assert_eq!(
        dir.parent(),
        Some(root.path()),
        "the set's dir sits directly in root"
    );
    assert_eq!(set.stdin, dir.join("redis-stdin").to_str().unwrap());
    assert_eq!(set.stdout, dir.join("redis-stdout").to_str().unwrap());
    assert_eq!(set.stderr, dir.join("redis-stderr").to_str().unwrap());
    assert!(!set.terminal);
    assert!(dir.is_dir());

    // The FIFOs themselves appear only when opened.
    assert!(!Path::new(&set.stdout).exists());
}

#[test]
fn terminal_keeps_the_stderr_path() {
    let root = TempRoot::new("terminal");
    let set = new_fifo_set_in_dir(root.path(), "t", true).unwrap();
    assert!(set.terminal);
    assert!(
        set.stderr.ends_with("/t-stderr"),
        "stderr path stays: {}",
        set.stderr
    );
}

#[test]
fn close_removes_the_dir_and_a_second_close_is_ok() {
    let root = TempRoot::new("close");
    let mut set = new_fifo_set_in_dir(root.path(), "job", false).unwrap();
    let dir = parent(&set.stdout).to_owned();

    // Put the FIFOs in place, as opening them does.
    drop(cio_fifo::FifoReader::open(&set.stdout).unwrap());
    drop(cio_fifo::FifoWriter::open(&set.stdin).unwrap());
    assert!(Path::new(&set.stdout).exists());

    set.close().unwrap();
    assert!(!dir.exists(), "the set's dir is removed");
    assert!(root.path().is_dir(), "the root stays");
    set.close().unwrap();
}

#[test]
fn root_and_missing_ancestors_are_created_owner_only() {
    let top = TempRoot::new("ancestors");
    let root = top.path().join("a/b/fifo");
    let set = new_fifo_set_in_dir(&root, "x", false).unwrap();

    for dir in [top.path().to_owned(), top.path().join("a/b"), root.clone()] {
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode, 0o700, "mode of {}", dir.display());
    }
    assert!(set.stdout.starts_with(root.to_str().unwrap()));
}

#[test]
fn sets_in_one_root_never_collide() {
    let root = TempRoot::new("collide");
    let mut dirs = HashSet::new();
    for _ in 0..500 {
        let set = new_fifo_set_in_dir(root.path(), "same-id", false).unwrap();
        assert!(
            dirs.insert(parent(&set.stdout).to_owned()),
            "a fresh dir for every set"
        );
    }
    assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 500);
}

#[test]
fn a_relative_root_gives_absolute_paths() {
    let root = TempRoot::new("relative");
    std::fs::create_dir_all(root.path()).unwrap();
    let relative =
        Path::new("../../../../../../../../..").join(root.path().strip_prefix("/").unwrap());
    let set = new_fifo_set_in_dir(&relative, "r", false).unwrap();
    assert!(set.stdout.starts_with('/'), "{} is absolute", set.stdout);
}

#[test]
fn bad_ids_are_refused_and_nothing_is_created() {
    let long = "n".repeat(cio_fifo::MAX_ID_LEN + 1);
    for id in [
        "",
        ".",
        "..",
        "a/b",
        "../escape",
        "/abs",
        "nul\0byte",
        long.as_str(),
    ] {
        let root = TempRoot::new("bad-id");
        match new_fifo_set_in_dir(root.path(), id, false) {
            Err(Error::InvalidId { id: named, .. }) => assert_eq!(named, id),
            other => panic!("id {id:?} gave {other:?}"),
        }
        assert!(!root.path().exists(), "nothing created for {id:?}");
    }
}

#[test]
fn a_root_that_is_not_a_directory_is_refused() {
    let top = TempRoot::created("root-file");
    let file = top.path().join("file");
    std::fs::write(&file, b"keep").unwrap();
    let link = top.path().join("link");
    std::os::unix::fs::symlink(top.path(), &link).unwrap();

    for (root, found) in [(&file, "regular file"), (&link, "symbolic link")] {
        let error = new_fifo_set_in_dir(root, "x", false).unwrap_err();
        assert!(matches!(error, Error::NotDirectory { .. }), "{error:?}");
        let message = error.to_string();
        assert!(
            message.contains(root.to_str().unwrap()),
            "names the path: {message}"
        );
        assert!(message.contains(found), "says what is there: {message}");
    }
    assert_eq!(std::fs::read(&file).unwrap(), b"keep");
}

#[test]
fn a_loaded_set_removes_only_fifos_and_empty_dirs() {
    let root = TempRoot::new("load");

    // A set whose stdout and stderr FIFOs exist, and whose dir is empty
    // but for them.
    let first = new_fifo_set_in_dir(root.path(), "gone", false).unwrap();
    drop(cio_fifo::FifoReader::open(&first.stdout).unwrap());
    drop(cio_fifo::FifoReader::open(&first.stderr).unwrap());
    let dir = parent(&first.stdout).to_owned();
    cio_fifo::load_fifo_set(first.config.clone())
        .close()
        .unwrap();
    assert!(!dir.exists(), "the FIFOs and their dir are gone");

    // A set whose stdin path is a regular file and whose stdout is a log
    // URI: neither is touched, and the dir keeps the file.
    let second = new_fifo_set_in_dir(root.path(), "mixed", false).unwrap();
    std::fs::write(&second.stdin, b"not a fifo").unwrap();
    drop(cio_fifo::FifoReader::open(&second.stderr).unwrap());
    let mut config = second.config.clone();
    config.stdout = "file:///var/log/x.log".into();
    let mut loaded = cio_fifo::load_fifo_set(config);
    loaded.close().unwrap();
    assert_eq!(std::fs::read(&second.stdin).unwrap(), b"not a fifo");
    assert!(!Path::new(&second.stderr).exists(), "the FIFO went");
    assert!(
        parent(&second.stdin).is_dir(),
        "a dir that still holds a file stays"
    );
    loaded.close().unwrap();
}
