//! The gRPC calls a containerd client makes to run a task: import an image,
//! create a container, create, start, exec, wait, close stdin, delete.
//!
//! Every call carries the `containerd-namespace` header ([`NAMESPACE`]);
//! the image and the snapshots are made under a lease, which keeps them
//! from the garbage collector (without it, a snapshot prepared and not yet
//! named by a container record is removed by the next collection).
//!
//! A task's IO goes in as a [`cio::Config`], untouched: the four values a
//! cio `Io` hands to containerd.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use cio::Config;
use containerd_client::services::v1::container::Runtime;
use containerd_client::services::v1::snapshots::snapshots_client::SnapshotsClient;
use containerd_client::services::v1::snapshots::{
    CommitSnapshotRequest, PrepareSnapshotRequest, RemoveSnapshotRequest,
};
use containerd_client::services::v1::{
    ApplyRequest, CloseIoRequest, Container, CreateContainerRequest, CreateImageRequest,
    CreateRequest as CreateLeaseRequest, CreateTaskRequest, DeleteContainerRequest,
    DeleteProcessRequest, DeleteTaskRequest, ExecProcessRequest, GetRequest, Image, KillRequest,
    ListContainersRequest, ListTasksRequest, PluginsRequest, StartRequest, WaitRequest,
    WriteAction, WriteContentRequest, containers_client::ContainersClient,
    content_client::ContentClient, diff_client::DiffClient, images_client::ImagesClient,
    introspection_client::IntrospectionClient, leases_client::LeasesClient,
    tasks_client::TasksClient, version_client::VersionClient,
};
use containerd_client::tonic::codegen::tokio_stream;
use containerd_client::tonic::metadata::{Ascii, MetadataValue};
use containerd_client::tonic::transport::Channel;
use containerd_client::tonic::{Code, Request};
use containerd_client::types::v1::{Process, Status};
use containerd_client::types::{Descriptor, Mount};
use prost::Message;
use prost_types::Any;

use crate::e2e::image::{Blob, OciImage};
use crate::e2e::spec::{PROCESS_TYPE_URL, ProcessSpec, SPEC_TYPE_URL, runtime_spec};
use crate::e2e::{Context, Error, Result, ensure};

/// The containerd namespace every call runs in.
pub const NAMESPACE: &str = "cio-e2e";

/// The runtime of every container: containerd runs it as the binary
/// `containerd-shim-runc-v2` found on its `PATH`.
pub const RUNTIME: &str = "io.containerd.runc.v2";

/// The container IDs a daemon's clients created, for its cleanup.
pub(crate) type ContainerIds = Arc<Mutex<BTreeSet<String>>>;

/// The runc shim's options (`containerd.runc.v1.Options`), reduced to the
/// one field the harness sets. Declared here: containerd-client does not
/// ship that message.
#[derive(Clone, PartialEq, Message)]
struct RuncOptions {
    /// runc's state directory (`runc --root`); the default,
    /// `/run/containerd/runc`, would be shared with a system containerd.
    #[prost(string, tag = "7")]
    root: String,
}

/// The type URL of [`RuncOptions`] inside an `Any`.
const RUNC_OPTIONS_TYPE_URL: &str = "containerd.runc.v1.Options";

/// A gRPC client of one daemon, in [`NAMESPACE`]. Cheap to clone: a case
/// can wait for a task in one tokio task while it feeds it in another.
#[derive(Clone, Debug)]
pub struct Client {
    channel: Channel,
    /// The `containerd-namespace` header.
    namespace: MetadataValue<Ascii>,
    /// The `containerd-lease` header of the image and snapshot calls.
    lease: MetadataValue<Ascii>,
    /// `overlayfs`, or `native` where overlay does not work.
    snapshotter: String,
    /// runc's state directory for this daemon's containers.
    runc_root: PathBuf,
    /// The cgroup parent of this daemon's containers, e.g. `/cio-e2e-12-0`.
    cgroup_parent: String,
    /// Shared with the daemon, which cleans up after them at shutdown.
    ids: ContainerIds,
}

impl Client {
    /// A client on `channel`: picks the snapshotter and creates the lease
    /// named `lease`.
    pub(crate) async fn connect(
        channel: Channel,
        lease: &str,
        runc_root: PathBuf,
        cgroup_parent: String,
        ids: ContainerIds,
    ) -> Result<Self> {
        let mut client = Client {
            channel,
            namespace: MetadataValue::from_static(NAMESPACE),
            lease: lease.parse().context("the lease id")?,
            snapshotter: String::new(),
            runc_root,
            cgroup_parent,
            ids,
        };
        client.snapshotter = client.pick_snapshotter().await?;
        client.create_lease(lease).await?;
        Ok(client)
    }

    /// The same client on another connection.
    pub(crate) fn with_channel(&self, channel: Channel) -> Client {
        Client {
            channel,
            ..self.clone()
        }
    }

    /// The connection, for services this wrapper does not cover.
    pub fn channel(&self) -> Channel {
        self.channel.clone()
    }

    /// The snapshotter in use.
    pub fn snapshotter(&self) -> &str {
        &self.snapshotter
    }

    /// Wraps `message` with the namespace header.
    pub fn request<T>(&self, message: T) -> Request<T> {
        let mut request = Request::new(message);
        request
            .metadata_mut()
            .insert("containerd-namespace", self.namespace.clone());
        request
    }

    /// Wraps `message` with the namespace and lease headers.
    fn leased<T>(&self, message: T) -> Request<T> {
        let mut request = self.request(message);
        request
            .metadata_mut()
            .insert("containerd-lease", self.lease.clone());
        request
    }

    /// The daemon's version, e.g. `1.6.20~ds1`.
    ///
    /// # Errors
    ///
    /// When the call fails.
    pub async fn version(&self) -> Result<String> {
        let reply = VersionClient::new(self.channel())
            .version(())
            .await
            .context("Version.Version")?;
        Ok(reply.into_inner().version)
    }

    /// `overlayfs` when its plugin loaded, else `native`;
    /// `CIO_E2E_SNAPSHOTTER` forces a choice.
    async fn pick_snapshotter(&self) -> Result<String> {
        if let Ok(forced) = std::env::var("CIO_E2E_SNAPSHOTTER") {
            return Ok(forced);
        }
        let filter = "type==io.containerd.snapshotter.v1,id==overlayfs".to_owned();
        let plugins = IntrospectionClient::new(self.channel())
            .plugins(PluginsRequest {
                filters: vec![filter],
            })
            .await
            .context("Introspection.Plugins")?
            .into_inner()
            .plugins;
        let overlay = plugins.iter().any(|p| p.init_err.is_none());
        Ok(if overlay { "overlayfs" } else { "native" }.to_owned())
    }

    /// Creates the lease that holds the content and snapshots. A lease
    /// without a `containerd.io/gc.expire` label never expires.
    async fn create_lease(&self, id: &str) -> Result<()> {
        let request = CreateLeaseRequest {
            id: id.to_owned(),
            labels: HashMap::new(),
        };
        LeasesClient::new(self.channel())
            .create(self.request(request))
            .await
            .context("Leases.Create")?;
        Ok(())
    }

    /// Imports `image`: writes its blobs to the content store, records the
    /// image, and unpacks its layer into a committed snapshot named after
    /// the diff ID, the parent of every container's snapshot.
    ///
    /// # Errors
    ///
    /// The first call that fails, or an unpacked layer whose digest is not
    /// the image's diff ID.
    pub async fn import_image(&self, image: &OciImage) -> Result<()> {
        // The blobs, each in one write-and-commit message.
        for blob in [&image.layer, &image.config, &image.manifest] {
            self.write_blob(blob).await?;
        }

        // The image record, so that `ctr images ls` lists it.
        let record = Image {
            name: image.name.clone(),
            target: Some(descriptor(&image.manifest)?),
            ..Image::default()
        };
        let request = CreateImageRequest {
            image: Some(record),
            source_date_epoch: None,
        };
        match ImagesClient::new(self.channel())
            .create(self.leased(request))
            .await
        {
            Ok(_) => {}
            Err(s) if s.code() == Code::AlreadyExists => {}
            Err(s) => return Err(s).context(format!("Images.Create {}", image.name)),
        }

        // Unpack: an empty active snapshot, the layer applied into it by
        // the diff service, then a commit under the chain ID.
        let key = format!("extract-{}", image.diff_id);
        let mounts = self.prepare_snapshot(&key, "").await?;
        let request = ApplyRequest {
            diff: Some(descriptor(&image.layer)?),
            mounts,
            payloads: HashMap::new(),
            sync_fs: false,
        };
        let applied = DiffClient::new(self.channel())
            .apply(self.leased(request))
            .await
            .context("Diff.Apply of the image layer")?
            .into_inner()
            .applied
            .context("Diff.Apply returned no descriptor")?;
        ensure(applied.digest == image.diff_id, || {
            format!(
                "the unpacked layer has digest {}, expected {}",
                applied.digest, image.diff_id
            )
        })?;
        let request = CommitSnapshotRequest {
            snapshotter: self.snapshotter.clone(),
            name: image.diff_id.clone(),
            key,
            labels: HashMap::new(),
        };
        SnapshotsClient::new(self.channel())
            .commit(self.leased(request))
            .await
            .context("Snapshots.Commit of the layer")?;
        Ok(())
    }

    /// Writes one blob to the content store, which checks its digest.
    async fn write_blob(&self, blob: &Blob) -> Result<()> {
        let total = i64::try_from(blob.data.len()).context("blob size")?;
        let request = WriteContentRequest {
            action: WriteAction::Commit as i32,
            r#ref: format!("cio-e2e-{}", blob.digest),
            total,
            expected: blob.digest.clone(),
            offset: 0,
            data: blob.data.clone(),
            labels: HashMap::new(),
        };
        let stream = tokio_stream::iter(vec![request]);
        let result = ContentClient::new(self.channel())
            .write(self.leased(stream))
            .await;

        // The reply stream confirms the commit; "already exists" is fine.
        let mut replies = match result {
            Ok(r) => r.into_inner(),
            Err(s) if s.code() == Code::AlreadyExists => return Ok(()),
            Err(s) => return Err(s).context(format!("Content.Write {}", blob.digest)),
        };
        match replies.message().await {
            Ok(Some(reply)) => ensure(reply.digest == blob.digest, || {
                format!("Content.Write {} committed {}", blob.digest, reply.digest)
            }),
            Ok(None) => Err(Error::msg(format!(
                "Content.Write {}: no reply",
                blob.digest
            ))),
            Err(s) if s.code() == Code::AlreadyExists => Ok(()),
            Err(s) => Err(s).context(format!("Content.Write {}", blob.digest)),
        }
    }

    /// Prepares an active snapshot under the lease and returns the mounts
    /// of its root file system.
    async fn prepare_snapshot(&self, key: &str, parent: &str) -> Result<Vec<Mount>> {
        let request = PrepareSnapshotRequest {
            snapshotter: self.snapshotter.clone(),
            key: key.to_owned(),
            parent: parent.to_owned(),
            labels: HashMap::new(),
        };
        let reply = SnapshotsClient::new(self.channel())
            .prepare(self.leased(request))
            .await
            .with_context(|| format!("Snapshots.Prepare {key} (parent {parent:?})"))?;
        Ok(reply.into_inner().mounts)
    }

    /// Creates container `id` from `image` running `process`: a snapshot on
    /// top of the image's layer and a container record with a runtime spec
    /// of [`crate::e2e::spec`]. Returns the mounts for
    /// [`create_task`](Client::create_task).
    ///
    /// # Errors
    ///
    /// When a call fails.
    pub async fn create_container(
        &self,
        id: &str,
        image: &OciImage,
        process: &ProcessSpec,
    ) -> Result<Vec<Mount>> {
        // Remember the ID: the daemon's cleanup removes what a shim leaves.
        if let Ok(mut ids) = self.ids.lock() {
            ids.insert(id.to_owned());
        }

        // The container's writable snapshot, named after it.
        let mounts = self.prepare_snapshot(id, &image.diff_id).await?;

        // The record: runtime, spec, snapshot.
        let cgroups_path = format!("{}/{id}", self.cgroup_parent);
        let spec = runtime_spec(id, &cgroups_path, process);
        let container = Container {
            id: id.to_owned(),
            image: image.name.clone(),
            runtime: Some(Runtime {
                name: RUNTIME.to_owned(),
                options: Some(self.runc_options()),
            }),
            spec: Some(Any {
                type_url: SPEC_TYPE_URL.to_owned(),
                value: serde_json::to_vec(&spec)?,
            }),
            snapshotter: self.snapshotter.clone(),
            snapshot_key: id.to_owned(),
            ..Container::default()
        };
        let request = CreateContainerRequest {
            container: Some(container),
        };
        ContainersClient::new(self.channel())
            .create(self.request(request))
            .await
            .with_context(|| format!("Containers.Create {id}"))?;
        Ok(mounts)
    }

    /// Creates the task of container `id` with the IO `io`. The shim opens
    /// the FIFOs, or starts the logging binary, during this call. Returns
    /// the pid of the task's init.
    ///
    /// # Errors
    ///
    /// When the call fails; the shim's reason is in the message.
    pub async fn create_task(&self, id: &str, rootfs: Vec<Mount>, io: &Config) -> Result<u32> {
        let request = CreateTaskRequest {
            container_id: id.to_owned(),
            rootfs,
            stdin: io.stdin.clone(),
            stdout: io.stdout.clone(),
            stderr: io.stderr.clone(),
            terminal: io.terminal,
            options: Some(self.runc_options()),
            ..CreateTaskRequest::default()
        };
        let reply = TasksClient::new(self.channel())
            .create(self.request(request))
            .await
            .with_context(|| format!("Tasks.Create {id} with {io:?}"))?;
        Ok(reply.into_inner().pid)
    }

    /// Starts the task's init (`exec_id` empty) or an exec'd process.
    /// Returns its pid.
    ///
    /// # Errors
    ///
    /// When the call fails.
    pub async fn start(&self, id: &str, exec_id: &str) -> Result<u32> {
        let request = StartRequest {
            container_id: id.to_owned(),
            exec_id: exec_id.to_owned(),
        };
        let reply = TasksClient::new(self.channel())
            .start(self.request(request))
            .await
            .with_context(|| format!("Tasks.Start {id} {exec_id:?}"))?;
        Ok(reply.into_inner().pid)
    }

    /// Waits until the process exits and returns its exit status. The
    /// status stays until the process is deleted, so a late call works too.
    ///
    /// # Errors
    ///
    /// When the call fails.
    pub async fn wait(&self, id: &str, exec_id: &str) -> Result<u32> {
        let request = WaitRequest {
            container_id: id.to_owned(),
            exec_id: exec_id.to_owned(),
        };
        let reply = TasksClient::new(self.channel())
            .wait(self.request(request))
            .await
            .with_context(|| format!("Tasks.Wait {id} {exec_id:?}"))?;
        Ok(reply.into_inner().exit_status)
    }

    /// Sends `signal` to the process, or to every process of the task with
    /// `all`.
    ///
    /// # Errors
    ///
    /// When the call fails.
    pub async fn kill(&self, id: &str, exec_id: &str, signal: u32, all: bool) -> Result<()> {
        let request = KillRequest {
            container_id: id.to_owned(),
            exec_id: exec_id.to_owned(),
            signal,
            all,
        };
        TasksClient::new(self.channel())
            .kill(self.request(request))
            .await
            .with_context(|| format!("Tasks.Kill {id} {exec_id:?} signal {signal}"))?;
        Ok(())
    }

    /// Asks the shim to close its own end of the process's stdin FIFO
    /// (`CloseIO`): the process reads end-of-file once the client's end is
    /// closed too.
    ///
    /// # Errors
    ///
    /// When the call fails.
    pub async fn close_stdin(&self, id: &str, exec_id: &str) -> Result<()> {
        let request = CloseIoRequest {
            container_id: id.to_owned(),
            exec_id: exec_id.to_owned(),
            stdin: true,
        };
        TasksClient::new(self.channel())
            .close_io(self.request(request))
            .await
            .with_context(|| format!("Tasks.CloseIO {id} {exec_id:?}"))?;
        Ok(())
    }

    /// Adds the process `exec_id` running `process` to the running task
    /// `id`, with the IO `io`. Start it with [`start`](Client::start).
    ///
    /// # Errors
    ///
    /// When the call fails.
    pub async fn exec(
        &self,
        id: &str,
        exec_id: &str,
        process: &ProcessSpec,
        io: &Config,
    ) -> Result<()> {
        let request = ExecProcessRequest {
            container_id: id.to_owned(),
            stdin: io.stdin.clone(),
            stdout: io.stdout.clone(),
            stderr: io.stderr.clone(),
            terminal: io.terminal,
            spec: Some(Any {
                type_url: PROCESS_TYPE_URL.to_owned(),
                value: serde_json::to_vec(&process.to_json())?,
            }),
            exec_id: exec_id.to_owned(),
        };
        TasksClient::new(self.channel())
            .exec(self.request(request))
            .await
            .with_context(|| format!("Tasks.Exec {id} {exec_id:?} with {io:?}"))?;
        Ok(())
    }

    /// The process as containerd reports it (`Tasks.Get`).
    ///
    /// # Errors
    ///
    /// When the call fails, or the reply has no process.
    pub async fn process(&self, id: &str, exec_id: &str) -> Result<Process> {
        let request = GetRequest {
            container_id: id.to_owned(),
            exec_id: exec_id.to_owned(),
        };
        let reply = TasksClient::new(self.channel())
            .get(self.request(request))
            .await
            .with_context(|| format!("Tasks.Get {id} {exec_id:?}"))?;
        reply
            .into_inner()
            .process
            .with_context(|| format!("Tasks.Get {id} {exec_id:?}: no process"))
    }

    /// The IO the process was created with, read back from containerd: how
    /// a client that restarts finds the FIFOs to attach to (what Go's
    /// `LoadTask` and `Task.IO` do).
    ///
    /// # Errors
    ///
    /// As [`process`](Client::process).
    pub async fn process_io(&self, id: &str, exec_id: &str) -> Result<Config> {
        let process = self.process(id, exec_id).await?;
        Ok(Config {
            terminal: process.terminal,
            stdin: process.stdin,
            stdout: process.stdout,
            stderr: process.stderr,
        })
    }

    /// Whether the process is running.
    ///
    /// # Errors
    ///
    /// As [`process`](Client::process).
    pub async fn is_running(&self, id: &str, exec_id: &str) -> Result<bool> {
        Ok(self.process(id, exec_id).await?.status == Status::Running as i32)
    }

    /// Deletes an exec'd process that has exited; returns its exit status.
    ///
    /// # Errors
    ///
    /// When the call fails.
    pub async fn delete_process(&self, id: &str, exec_id: &str) -> Result<u32> {
        let request = DeleteProcessRequest {
            container_id: id.to_owned(),
            exec_id: exec_id.to_owned(),
        };
        let reply = TasksClient::new(self.channel())
            .delete_process(self.request(request))
            .await
            .with_context(|| format!("Tasks.DeleteProcess {id} {exec_id:?}"))?;
        Ok(reply.into_inner().exit_status)
    }

    /// Deletes the task, which has stopped; its shim exits. Returns the exit
    /// status.
    ///
    /// # Errors
    ///
    /// When the call fails.
    pub async fn delete_task(&self, id: &str) -> Result<u32> {
        let request = DeleteTaskRequest {
            container_id: id.to_owned(),
        };
        let reply = TasksClient::new(self.channel())
            .delete(self.request(request))
            .await
            .with_context(|| format!("Tasks.Delete {id}"))?;
        Ok(reply.into_inner().exit_status)
    }

    /// Deletes container `id` and its snapshot; its task must be gone.
    ///
    /// # Errors
    ///
    /// When a call fails; a snapshot already gone is fine.
    pub async fn delete_container(&self, id: &str) -> Result<()> {
        // The record first: while it exists, it holds the snapshot.
        let request = DeleteContainerRequest { id: id.to_owned() };
        ContainersClient::new(self.channel())
            .delete(self.request(request))
            .await
            .with_context(|| format!("Containers.Delete {id}"))?;

        // Then the snapshot.
        let request = RemoveSnapshotRequest {
            snapshotter: self.snapshotter.clone(),
            key: id.to_owned(),
        };
        match SnapshotsClient::new(self.channel())
            .remove(self.request(request))
            .await
        {
            Ok(_) => Ok(()),
            Err(s) if s.code() == Code::NotFound => Ok(()),
            Err(s) => Err(s).context(format!("Snapshots.Remove {id}")),
        }
    }

    /// Kills and deletes every task of the namespace, then deletes every
    /// container and its snapshot.
    ///
    /// # Errors
    ///
    /// The first call that fails.
    pub async fn delete_everything(&self) -> Result<()> {
        // Tasks: SIGKILL to all their processes, wait, delete.
        let tasks = TasksClient::new(self.channel())
            .list(self.request(ListTasksRequest::default()))
            .await
            .context("Tasks.List")?
            .into_inner()
            .tasks;
        for task in tasks {
            if task.status != Status::Stopped as i32 {
                self.kill(&task.id, "", 9, true).await?;
                self.wait(&task.id, "").await?;
            }
            self.delete_task(&task.id).await?;
        }

        // Containers and their snapshots.
        let containers = ContainersClient::new(self.channel())
            .list(self.request(ListContainersRequest::default()))
            .await
            .context("Containers.List")?
            .into_inner()
            .containers;
        for container in containers {
            self.delete_container(&container.id).await?;
        }
        Ok(())
    }

    /// The runc options of every container and task of this daemon.
    fn runc_options(&self) -> Any {
        let options = RuncOptions {
            root: self.runc_root.to_string_lossy().into_owned(),
        };
        Any {
            type_url: RUNC_OPTIONS_TYPE_URL.to_owned(),
            value: options.encode_to_vec(),
        }
    }
}

/// The OCI descriptor of `blob`, as containerd's message.
fn descriptor(blob: &Blob) -> Result<Descriptor> {
    Ok(Descriptor {
        media_type: blob.media_type.to_owned(),
        digest: blob.digest.clone(),
        size: i64::try_from(blob.data.len()).context("blob size")?,
        annotations: HashMap::new(),
    })
}
