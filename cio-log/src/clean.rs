//! Lexical path cleaning, as Go's `path/filepath.Clean` does it on Unix.

/// Returns the shortest path naming the same file as `path`, by lexical
/// processing only: the file system is never asked.
///
/// The rules are Go's, applied until nothing changes:
///
/// 1. runs of `/` become one `/`;
/// 2. `.` segments go;
/// 3. a `..` segment goes together with the segment before it, unless that
///    one is a `..` too;
/// 4. a `..` right after the root goes (nothing is above `/`).
///
/// A trailing `/` goes too, except on the root itself, and a path that
/// cleans away to nothing becomes `.`.
pub(crate) fn clean(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut kept: Vec<&str> = Vec::new();

    // Walk the segments, keeping a stack of the ones that survive. Empty
    // segments come from repeated or trailing slashes.
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => match kept.last() {
                Some(&last) if last != ".." => {
                    kept.pop();
                }
                // A relative path keeps its leading `..`; a rooted one
                // cannot climb above the root.
                _ if !rooted => kept.push(".."),
                _ => {}
            },
            name => kept.push(name),
        }
    }

    // Put the survivors back together.
    let joined = kept.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_owned(),
        (false, false) => joined,
    }
}

#[cfg(test)]
mod tests {
    use super::clean;

    #[test]
    fn follows_go_on_rooted_paths() {
        let cases = [
            ("/", "/"),
            ("//", "/"),
            ("/a/./b/../c", "/a/c"),
            ("//x", "/x"),
            ("/a/b/", "/a/b"),
            ("/../..", "/"),
            ("/../x/..", "/"),
            ("/a/.../..b", "/a/.../..b"),
        ];
        for (input, cleaned) in cases {
            assert_eq!(clean(input), cleaned, "cleaning {input:?}");
        }
    }

    #[test]
    fn follows_go_on_relative_paths() {
        let cases = [
            ("", "."),
            (".", "."),
            ("./", "."),
            ("a/..", "."),
            ("a/../..", ".."),
            ("../../a/./b/", "../../a/b"),
            ("a/../../b", "../b"),
            ("C:\\foo\\bar.log", "C:\\foo\\bar.log"),
        ];
        for (input, cleaned) in cases {
            assert_eq!(clean(input), cleaned, "cleaning {input:?}");
        }
    }
}
