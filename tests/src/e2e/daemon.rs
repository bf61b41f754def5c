//! A private containerd: started in a directory of its own, stopped with
//! everything it started.
//!
//! [`Containerd::start`] runs the machine's `containerd` with a config whose
//! root, state, temp dir and sockets all sit in one fresh directory
//! (`$TMPDIR/cio-e2e-<pid>-<n>`), so that it never meets a system
//! containerd; CRI is off. It derefs to the [`Client`] bound to it.
//!
//! # Stopping
//!
//! [`Containerd::stop`] kills and deletes the tasks left in the namespace
//! through the API, deletes their containers and snapshots, then stops the
//! daemon with SIGTERM. Dropping a `Containerd` that was not stopped does
//! what can be done without the API: it stops the daemon, has runc remove
//! the containers still in this daemon's runc root, kills this daemon's
//! shims (found by its socket on their command line), unmounts what is
//! mounted under the directory and removes it. Nothing else on the machine
//! is touched. `CIO_E2E_KEEP=1` keeps the directory for a post-mortem.
//!
//! # Caveats
//!
//! containerd 1.6 puts each shim's socket in `/run/containerd/s/<hash>`, and
//! no option moves it. The hash covers this daemon's socket path, so names
//! never collide with a system containerd's. A shim that exits removes its
//! socket; a killed one does not, so shutdown removes the sockets of every
//! container ID the harness created ([`shim_socket`]). The directory
//! `/run/containerd/s` itself stays.
//!
//! A test process killed with SIGKILL runs no destructor: its daemon and
//! directory stay until removed by hand.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use containerd_client::services::v1::version_client::VersionClient;
use containerd_client::tonic::transport::Channel;
use rustix::process::{Pid, Signal, kill_process};

use crate::e2e::client::{Client, ContainerIds, NAMESPACE};
use crate::e2e::image::sha256_digest;
use crate::e2e::{Context, Error, Result, ensure};

/// The shim binary that the runtime `io.containerd.runc.v2` resolves to.
pub const SHIM_BINARY: &str = "containerd-shim-runc-v2";

/// Where containerd 1.6 shims put their sockets, whatever the config says.
pub(crate) const SHIM_SOCKET_DIR: &str = "/run/containerd/s";

/// How long [`Containerd::start`] waits for the daemon to answer.
const READY_TIMEOUT: Duration = Duration::from_secs(20);

/// How long the daemon has to exit after SIGTERM before it gets SIGKILL.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// Plugins the private daemon goes without. CRI is not needed and would set
/// up CNI; the four snapshotters cannot work on a plain ext4 host and only
/// log errors. (`io.containerd.runtime.v1.linux` must stay: containerd
/// 1.6's tasks service is missing without it.)
const DISABLED_PLUGINS: &[&str] = &[
    "io.containerd.grpc.v1.cri",
    "io.containerd.snapshotter.v1.aufs",
    "io.containerd.snapshotter.v1.btrfs",
    "io.containerd.snapshotter.v1.devmapper",
    "io.containerd.snapshotter.v1.zfs",
];

/// Directories a shim needs on the daemon's `PATH` (it looks `runc` up
/// there, and Debian installs it in `/usr/sbin`).
const SYSTEM_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// A running private containerd. Derefs to its [`Client`].
#[derive(Debug)]
pub struct Containerd {
    client: Client,
    daemon: Daemon,
}

/// The daemon process and its directory; dropping it cleans both up.
#[derive(Debug)]
struct Daemon {
    /// The directory that holds everything of this daemon.
    dir: PathBuf,
    /// The process; `None` before the spawn and once stopped.
    child: Option<Child>,
    /// Whether [`Daemon::shutdown`] ran already.
    shut_down: bool,
    /// Every container ID created through a client of this daemon.
    ids: ContainerIds,
}

impl Containerd {
    /// Starts a private daemon in a fresh directory under the temporary
    /// directory and waits until it answers.
    ///
    /// # Errors
    ///
    /// When the directory or config cannot be written, `containerd` cannot
    /// be started, or it does not answer within 20 s (its log is in the
    /// message).
    pub async fn start() -> Result<Self> {
        // One fresh directory for the config, the sockets, root and state.
        let dir = fresh_dir().context("creating the daemon's directory")?;
        let mut daemon = Daemon {
            dir,
            child: None,
            shut_down: false,
            ids: ContainerIds::default(),
        };
        let socket = daemon.socket();
        ensure(socket.as_os_str().len() + ".ttrpc".len() < 100, || {
            format!(
                "the socket path {} is too long for a unix socket; \
                     set TMPDIR to a shorter directory",
                socket.display()
            )
        })?;

        // The config, then the daemon with its output in a log file.
        let config = daemon.dir.join("config.toml");
        fs::write(&config, config_toml(&daemon.dir))
            .with_context(|| format!("writing {}", config.display()))?;
        let log =
            fs::File::create(daemon.dir.join("containerd.log")).context("creating the log")?;
        let path = match std::env::var("PATH") {
            Ok(path) if !path.is_empty() => format!("{path}:{SYSTEM_PATH}"),
            _ => SYSTEM_PATH.to_owned(),
        };
        let child = Command::new("containerd")
            .arg("--config")
            .arg(&config)
            .env("PATH", path)
            .stdin(std::process::Stdio::null())
            .stdout(log.try_clone().context("sharing the log")?)
            .stderr(log)
            .spawn()
            .context("starting containerd (apt-get install containerd runc)")?;
        daemon.child = Some(child);

        // Wait until it answers; on error, dropping `daemon` cleans up.
        let channel = daemon.wait_ready(&socket).await?;
        let name = daemon.name();
        let client = Client::connect(
            channel,
            &name,
            daemon.runc_root(),
            format!("/{name}"),
            Arc::clone(&daemon.ids),
        )
        .await?;
        Ok(Containerd { client, daemon })
    }

    /// The directory that holds everything of this daemon.
    pub fn dir(&self) -> &Path {
        &self.daemon.dir
    }

    /// The gRPC socket, for `ctr --address`.
    pub fn socket(&self) -> PathBuf {
        self.daemon.socket()
    }

    /// The daemon's output so far.
    pub fn log(&self) -> String {
        self.daemon.log()
    }

    /// A second client of this daemon, as a restarted program would make:
    /// a fresh connection that shares nothing with the first.
    ///
    /// # Errors
    ///
    /// When the socket does not answer.
    pub async fn connect_again(&self) -> Result<Client> {
        let channel = containerd_client::connect(self.socket())
            .await
            .context("connecting to containerd")?;
        Ok(self.client.with_channel(channel))
    }

    /// Deletes every task, container and container snapshot left in the
    /// namespace, stops the daemon and removes its directory.
    ///
    /// # Errors
    ///
    /// The first step that failed; the later ones run all the same.
    pub async fn stop(mut self) -> Result<()> {
        // Through the API first, so that the shims exit on their own.
        let api = self.client.delete_everything().await;

        // Then the daemon, and whatever is left on disk.
        let rest = self.daemon.shutdown();
        api.context("deleting the tasks and containers left")?;
        rest
    }
}

impl std::ops::Deref for Containerd {
    type Target = Client;

    fn deref(&self) -> &Client {
        &self.client
    }
}

impl Daemon {
    /// The directory's name, e.g. `cio-e2e-12-0`: also the lease ID and the
    /// cgroup parent of this daemon's containers.
    fn name(&self) -> String {
        self.dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    fn socket(&self) -> PathBuf {
        self.dir.join("containerd.sock")
    }

    fn runc_root(&self) -> PathBuf {
        self.dir.join("runc")
    }

    fn log(&self) -> String {
        fs::read_to_string(self.dir.join("containerd.log")).unwrap_or_default()
    }

    /// Polls the socket until the version service answers.
    async fn wait_ready(&mut self, socket: &Path) -> Result<Channel> {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            // A daemon that exited will never answer: show why it exited.
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                return Err(Error::msg(format!(
                    "containerd exited with {status} before it answered:\n{}",
                    self.log()
                )));
            }

            // Once the socket exists, a version call tells that gRPC serves.
            if socket.exists()
                && let Ok(channel) = containerd_client::connect(socket).await
                && VersionClient::new(channel.clone())
                    .version(())
                    .await
                    .is_ok()
            {
                return Ok(channel);
            }

            if Instant::now() > deadline {
                return Err(Error::msg(format!(
                    "containerd did not answer within {READY_TIMEOUT:?}:\n{}",
                    self.log()
                )));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops the daemon and what it started, without the API, and removes
    /// the directory. Runs once; later calls do nothing.
    fn shutdown(&mut self) -> Result<()> {
        if std::mem::replace(&mut self.shut_down, true) {
            return Ok(());
        }
        let mut errors = Vec::new();

        // SIGTERM, then SIGKILL if the daemon takes too long.
        if let Some(mut child) = self.child.take()
            && let Err(e) = terminate(&mut child)
        {
            errors.push(e);
        }

        // Containers the API did not delete: runc kills and removes them.
        if let Err(e) = runc_delete_all(&self.runc_root()) {
            errors.push(e);
        }

        // This daemon's shims, and the sockets a killed shim leaves.
        kill_shims(&self.socket());
        let ids = self.ids.lock().map(|ids| ids.clone()).unwrap_or_default();
        for id in ids {
            let _ = fs::remove_file(shim_socket(&self.socket(), &id));
        }

        // Root file systems, deepest first, then the containers' cgroups.
        if let Err(e) = unmount_under(&self.dir) {
            errors.push(e);
        }
        remove_cgroups(&self.name());

        // The directory itself, unless kept for a post-mortem.
        if std::env::var_os("CIO_E2E_KEEP").is_none()
            && let Err(e) = fs::remove_dir_all(&self.dir)
        {
            errors.push(Error::from(e).context_of(&self.dir));
        }

        errors.into_iter().next().map_or(Ok(()), Err)
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        // A destructor cannot return the error; a test sees it here.
        if let Err(e) = self.shutdown() {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("cio-e2e: cleaning up {}: {e}", self.dir.display());
            }
        }
    }
}

impl Error {
    /// This error, as one met while removing `path`.
    fn context_of(self, path: &Path) -> Error {
        Error::msg(format!("removing {}: {self}", path.display()))
    }
}

/// `runc delete --force` for every container left in this daemon's runc
/// root: runc kills the container's processes and removes its state.
fn runc_delete_all(runc_root: &Path) -> Result<()> {
    let root = runc_root.join(NAMESPACE);
    let Ok(entries) = fs::read_dir(&root) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let status = Command::new("runc")
            .arg("--root")
            .arg(&root)
            .args(["delete", "--force"])
            .arg(entry.file_name())
            .status()
            .context("running runc delete --force")?;
        ensure(status.success(), || {
            format!("runc delete --force {:?}: {status}", entry.file_name())
        })?;
    }
    Ok(())
}

/// The daemon's config: everything under `dir`, CRI and the snapshotters
/// that cannot work here disabled, no TCP or metrics listener.
fn config_toml(dir: &Path) -> String {
    let d = dir.display();
    let disabled: Vec<String> = DISABLED_PLUGINS
        .iter()
        .map(|p| format!("\"{p}\""))
        .collect();
    let level = match std::env::var_os("CIO_E2E_DEBUG") {
        Some(_) => "debug",
        None => "info",
    };
    format!(
        r#"version = 2
root = "{d}/root"
state = "{d}/state"
temp = "{d}/tmp"
disabled_plugins = [{disabled}]

[grpc]
  address = "{d}/containerd.sock"

[ttrpc]
  address = "{d}/containerd.sock.ttrpc"

[debug]
  address = "{d}/debug.sock"
  level = "{level}"

[plugins."io.containerd.internal.v1.opt"]
  path = "{d}/opt"
"#,
        disabled = disabled.join(", "),
    )
}

/// Creates `$TMPDIR/cio-e2e-<pid>-<n>`, mode 0700.
fn fresh_dir() -> Result<PathBuf> {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let base = std::env::temp_dir();
    loop {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = base.join(format!("cio-e2e-{}-{n}", std::process::id()));
        match fs::create_dir(&dir) {
            Ok(()) => {
                fs::set_permissions(&dir, fs::Permissions::from_mode(0o700))?;
                return Ok(dir);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e).with_context(|| format!("creating {}", dir.display())),
        }
    }
}

/// SIGTERM, a grace period, then SIGKILL; the child is reaped either way.
fn terminate(child: &mut Child) -> Result<()> {
    if child.try_wait()?.is_some() {
        return Ok(());
    }
    let pid = i32::try_from(child.id())
        .ok()
        .and_then(Pid::from_raw)
        .context("the daemon's pid")?;
    kill_process(pid, Signal::TERM).context("sending SIGTERM to containerd")?;
    let deadline = Instant::now() + STOP_TIMEOUT;
    while Instant::now() < deadline {
        if child.try_wait()?.is_some() {
            return Ok(());
        }
        thread::sleep(Duration::from_millis(20));
    }
    child.kill().context("sending SIGKILL to containerd")?;
    child.wait().context("reaping containerd")?;
    Ok(())
}

/// The pids of the shims serving the daemon on `socket`. A runc v2 shim
/// runs as `containerd-shim-runc-v2 -namespace NS -id ID -address SOCKET`.
pub fn shim_pids(socket: &Path) -> Vec<u32> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    let socket = socket.as_os_str().as_encoded_bytes();
    let mut pids = Vec::new();
    for entry in entries.flatten() {
        // Only the numeric entries are processes.
        let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse().ok()) else {
            continue;
        };
        let Ok(cmdline) = fs::read(entry.path().join("cmdline")) else {
            continue;
        };

        // The shim binary in argv[0], and this daemon's socket as an argument.
        let mut args = cmdline.split(|&b| b == 0);
        let is_shim = args
            .next()
            .is_some_and(|a| a.ends_with(SHIM_BINARY.as_bytes()));
        if is_shim && args.any(|a| a == socket) {
            pids.push(pid);
        }
    }
    pids
}

/// Where a containerd 1.6 shim of container `id` in [`NAMESPACE`] listens:
/// `/run/containerd/s/<sha256 of "<daemon socket>/<namespace>/<id>">`.
pub fn shim_socket(daemon_socket: &Path, id: &str) -> PathBuf {
    let key = daemon_socket.join(NAMESPACE).join(id);
    let digest = sha256_digest(key.as_os_str().as_encoded_bytes());
    Path::new(SHIM_SOCKET_DIR).join(digest.trim_start_matches("sha256:"))
}

/// SIGKILLs the shims of the daemon on `socket`.
fn kill_shims(socket: &Path) {
    for pid in shim_pids(socket) {
        // A shim that exited meanwhile is fine.
        if let Some(pid) = i32::try_from(pid).ok().and_then(Pid::from_raw) {
            let _ = kill_process(pid, Signal::KILL);
        }
    }
}

/// Lazily unmounts every mount point under `dir`, deepest first.
fn unmount_under(dir: &Path) -> Result<()> {
    let info = fs::read_to_string("/proc/self/mountinfo").context("reading mountinfo")?;
    let mut points: Vec<PathBuf> = info
        .lines()
        .filter_map(|line| line.split(' ').nth(4))
        .map(PathBuf::from)
        .filter(|p| p.starts_with(dir))
        .collect();
    points.sort_by_key(|p| std::cmp::Reverse(p.as_os_str().len()));
    for point in points {
        rustix::mount::unmount(&point, rustix::mount::UnmountFlags::DETACH)
            .with_context(|| format!("unmounting {}", point.display()))?;
    }
    Ok(())
}

/// Removes the cgroup directory `name` (and its empty children) in every
/// cgroup hierarchy, v1 and v2. Best effort: a busy cgroup stays.
fn remove_cgroups(name: &str) {
    if name.is_empty() {
        return;
    }
    let mut roots = vec![PathBuf::from("/sys/fs/cgroup")];
    if let Ok(entries) = fs::read_dir("/sys/fs/cgroup") {
        roots.extend(entries.flatten().map(|e| e.path()));
    }
    for root in roots {
        let dir = root.join(name);
        if let Ok(children) = fs::read_dir(&dir) {
            for child in children.flatten().filter(|c| c.path().is_dir()) {
                let _ = fs::remove_dir(child.path());
            }
            let _ = fs::remove_dir(&dir);
        }
    }
}
