//! The four values containerd takes for a task's standard streams.

/// The standard streams of a task, as containerd receives them.
///
/// Each stream is a string: the path of a FIFO the shim opens, a log URI such
/// as `file:///var/log/task.log` that the shim handles itself, or the empty
/// string when the task has no such stream. This is containerd's wire format,
/// kept as it is so that a `Config` read back from containerd (when attaching
/// to a running task) compares equal to the one that created it.
///
/// # Examples
///
/// ```
/// use cio_types::Config;
///
/// let config = Config {
///     stdout: "/run/containerd/fifo/1/web-stdout".into(),
///     ..Config::default()
/// };
/// assert!(config.stdin.is_empty());
/// assert!(!config.terminal);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Config {
    /// Whether the task runs with a terminal. A terminal merges stderr into
    /// stdout, so no stderr stream is copied even when `stderr` is set.
    pub terminal: bool,
    /// Where the task reads its standard input from.
    pub stdin: String,
    /// Where the task writes its standard output to.
    pub stdout: String,
    /// Where the task writes its standard error to.
    pub stderr: String,
}
