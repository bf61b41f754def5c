//! The OCI runtime specs of the test containers, written as JSON.
//!
//! containerd keeps a container's spec as an opaque `Any` and hands it to
//! runc as it is, so no defaults are added on the way: what is here is what
//! runs. The values are the usual container defaults: new pid, ipc, uts,
//! mount and network namespaces (the network one holds only a loopback that
//! is down, so nothing reaches out), a small capability set, the standard
//! pseudo-filesystems, masked kernel paths, and no seccomp profile, as in
//! containerd's own default spec.

use serde_json::{Value, json};

use crate::e2e::image::IMAGE_PATH;

/// Type URL of a container's spec inside a `google.protobuf.Any`.
pub const SPEC_TYPE_URL: &str = "types.containerd.io/opencontainers/runtime-spec/1/Spec";

/// Type URL of an exec'd process's spec inside a `google.protobuf.Any`.
pub const PROCESS_TYPE_URL: &str = "types.containerd.io/opencontainers/runtime-spec/1/Process";

/// The capabilities of every process: the common container default.
const CAPABILITIES: &[&str] = &[
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
];

/// What a container's init, or an exec'd process, runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessSpec {
    /// The command line; runc looks `args[0]` up in `PATH`.
    pub args: Vec<String>,
    /// `KEY=value` pairs; [`IMAGE_PATH`] comes first.
    pub env: Vec<String>,
    /// The working directory inside the container.
    pub cwd: String,
    /// Whether runc gives the process a pseudo-terminal. It must match the
    /// `terminal` flag of the task's IO config.
    pub terminal: bool,
}

impl ProcessSpec {
    /// `args`, in `/`, without a terminal.
    pub fn new<S: AsRef<str>>(args: &[S]) -> Self {
        ProcessSpec {
            args: args.iter().map(|a| a.as_ref().to_owned()).collect(),
            env: vec![IMAGE_PATH.to_owned()],
            cwd: "/".to_owned(),
            terminal: false,
        }
    }

    /// The shell running `script` (`sh -c script`).
    pub fn shell(script: &str) -> Self {
        Self::new(&["sh", "-c", script])
    }

    /// With a terminal, or without.
    pub fn with_terminal(mut self, terminal: bool) -> Self {
        self.terminal = terminal;
        self
    }

    /// The `process` object of a runtime spec.
    pub fn to_json(&self) -> Value {
        let caps = CAPABILITIES;
        json!({
            "terminal": self.terminal,
            "user": { "uid": 0, "gid": 0 },
            "args": self.args,
            "env": self.env,
            "cwd": self.cwd,
            "capabilities": { "bounding": caps, "effective": caps, "permitted": caps },
            "rlimits": [{ "type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024 }],
            "noNewPrivileges": true,
        })
    }
}

/// The runtime spec of container `id` running `process`.
///
/// `cgroups_path` is where runc puts the container in every cgroup
/// hierarchy; the harness makes it unique per daemon, so that two daemons
/// running containers of the same name share no cgroup.
pub fn runtime_spec(id: &str, cgroups_path: &str, process: &ProcessSpec) -> Value {
    json!({
        "ociVersion": "1.0.2",
        "process": process.to_json(),
        "root": { "path": "rootfs", "readonly": false },
        "hostname": id,
        "mounts": [
            mount("/proc", "proc", "proc", &["nosuid", "noexec", "nodev"]),
            mount("/dev", "tmpfs", "tmpfs", &["nosuid", "strictatime", "mode=755", "size=65536k"]),
            mount(
                "/dev/pts",
                "devpts",
                "devpts",
                &["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"],
            ),
            mount(
                "/dev/shm",
                "tmpfs",
                "shm",
                &["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"],
            ),
            mount("/dev/mqueue", "mqueue", "mqueue", &["nosuid", "noexec", "nodev"]),
            mount("/sys", "sysfs", "sysfs", &["nosuid", "noexec", "nodev", "ro"]),
            mount("/run", "tmpfs", "tmpfs", &["nosuid", "strictatime", "mode=755", "size=65536k"]),
        ],
        "linux": {
            "namespaces": [
                { "type": "pid" },
                { "type": "ipc" },
                { "type": "uts" },
                { "type": "mount" },
                { "type": "network" },
            ],
            "cgroupsPath": cgroups_path,
            "resources": { "devices": [{ "allow": false, "access": "rwm" }] },
            "maskedPaths": [
                "/proc/acpi",
                "/proc/asound",
                "/proc/kcore",
                "/proc/keys",
                "/proc/latency_stats",
                "/proc/timer_list",
                "/proc/timer_stats",
                "/proc/sched_debug",
                "/proc/scsi",
                "/sys/firmware",
            ],
            "readonlyPaths": [
                "/proc/bus",
                "/proc/fs",
                "/proc/irq",
                "/proc/sys",
                "/proc/sysrq-trigger",
            ],
        },
    })
}

/// One entry of the spec's `mounts`. `kind` is the file system type.
fn mount(destination: &str, kind: &str, source: &str, options: &[&str]) -> Value {
    json!({ "destination": destination, "type": kind, "source": source, "options": options })
}
