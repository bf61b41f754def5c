//! A one-layer OCI image made from the host's static busybox.
//!
//! The suite needs an image and no registry, so this module makes one in
//! memory: a gzipped layer holding `/bin/busybox` and a link per applet the
//! cases call, an image config and a manifest. Every tar header has time 0
//! and owner 0:0, so the digests depend on the busybox binary alone.

use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::e2e::{Context, Result};

/// Where Debian's `busybox-static` installs its binary.
pub const HOST_BUSYBOX: &str = "/bin/busybox";

/// The applets linked into the image's `/bin`.
pub const APPLETS: &[&str] = &[
    "cat",
    "dd",
    "echo",
    "env",
    "false",
    "head",
    "hostname",
    "id",
    "ls",
    "printf",
    "seq",
    "sh",
    "sha256sum",
    "sleep",
    "stty",
    "true",
    "tty",
    "wc",
    "yes",
];

/// The `PATH` of every process in the image.
pub const IMAGE_PATH: &str = "PATH=/bin";

/// The media type of the gzipped layer.
pub const MEDIA_LAYER: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
/// The media type of the image config.
pub const MEDIA_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
/// The media type of the manifest.
pub const MEDIA_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

/// One content-addressed blob.
#[derive(Clone, Debug)]
pub struct Blob {
    /// `application/vnd.oci...`
    pub media_type: &'static str,
    /// `sha256:<hex>`
    pub digest: String,
    /// The bytes.
    pub data: Vec<u8>,
}

impl Blob {
    /// Wraps `data` with its digest.
    pub fn new(media_type: &'static str, data: Vec<u8>) -> Self {
        Blob {
            media_type,
            digest: sha256_digest(&data),
            data,
        }
    }

    /// The blob's OCI descriptor, as JSON.
    pub fn descriptor(&self) -> serde_json::Value {
        json!({ "mediaType": self.media_type, "digest": self.digest, "size": self.data.len() })
    }
}

/// The blobs of a one-layer image, and the digest of its unpacked layer.
#[derive(Clone, Debug)]
pub struct OciImage {
    /// The image name, e.g. `cio-e2e.local/busybox:latest`.
    pub name: String,
    /// The gzipped layer.
    pub layer: Blob,
    /// The digest of the uncompressed layer (its diff ID). With one layer it
    /// is also the chain ID: the name of the unpacked snapshot.
    pub diff_id: String,
    /// The image config.
    pub config: Blob,
    /// The manifest.
    pub manifest: Blob,
}

impl OciImage {
    /// The image around the host's busybox ([`HOST_BUSYBOX`]).
    ///
    /// # Errors
    ///
    /// When the binary cannot be read (is `busybox-static` installed?).
    pub fn busybox(name: &str) -> Result<Self> {
        let busybox = std::fs::read(HOST_BUSYBOX)
            .with_context(|| format!("reading {HOST_BUSYBOX} (apt-get install busybox-static)"))?;
        Self::from_busybox(name, &busybox)
    }

    /// The image around the given busybox binary.
    ///
    /// # Errors
    ///
    /// When the layer cannot be built; in memory, that does not happen.
    pub fn from_busybox(name: &str, busybox: &[u8]) -> Result<Self> {
        // The root file system as a tar, then gzipped.
        let tar = layer_tar(busybox).context("building the layer")?;
        let diff_id = sha256_digest(&tar);
        let mut gz = GzEncoder::new(Vec::new(), Compression::default());
        gz.write_all(&tar).context("compressing the layer")?;
        let layer = Blob::new(MEDIA_LAYER, gz.finish().context("compressing the layer")?);

        // The config names the uncompressed layer.
        let config = json!({
            "architecture": host_architecture(),
            "os": "linux",
            "config": { "Env": [IMAGE_PATH], "Cmd": ["sh"], "WorkingDir": "/" },
            "rootfs": { "type": "layers", "diff_ids": [diff_id] },
        });
        let config = Blob::new(MEDIA_CONFIG, serde_json::to_vec(&config)?);

        // The manifest names the config and the compressed layer.
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": MEDIA_MANIFEST,
            "config": config.descriptor(),
            "layers": [layer.descriptor()],
        });
        let manifest = Blob::new(MEDIA_MANIFEST, serde_json::to_vec(&manifest)?);

        Ok(OciImage {
            name: name.to_owned(),
            layer,
            diff_id,
            config,
            manifest,
        })
    }
}

/// The layer: a few empty directories, `/bin/busybox` and its links.
fn layer_tar(busybox: &[u8]) -> Result<Vec<u8>> {
    let mut tar = tar::Builder::new(Vec::new());

    // Mount points and scratch directories that runc and the cases use.
    for dir in [
        "bin/", "dev/", "etc/", "proc/", "root/", "run/", "sys/", "tmp/",
    ] {
        append_dir(&mut tar, dir)?;
    }

    // The binary, then a relative link per applet.
    append_file(&mut tar, "bin/busybox", 0o755, busybox)?;
    for applet in APPLETS {
        let mut header = tar_header(tar::EntryType::Symlink, 0o777, 0);
        tar.append_link(&mut header, format!("bin/{applet}"), "busybox")
            .with_context(|| format!("adding the link bin/{applet}"))?;
    }

    // Enough of a user database for `id` to name root.
    append_file(
        &mut tar,
        "etc/passwd",
        0o644,
        b"root:x:0:0:root:/root:/bin/sh\n",
    )?;
    append_file(&mut tar, "etc/group", 0o644, b"root:x:0:\n")?;

    tar.into_inner().context("finishing the layer")
}

/// A header with a fixed owner and time, so that digests are reproducible.
fn tar_header(kind: tar::EntryType, mode: u32, size: u64) -> tar::Header {
    let mut header = tar::Header::new_ustar();
    header.set_entry_type(kind);
    header.set_mode(mode);
    header.set_size(size);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(0);
    header
}

fn append_dir<W: Write>(tar: &mut tar::Builder<W>, path: &str) -> Result<()> {
    let mut header = tar_header(tar::EntryType::Directory, 0o755, 0);
    tar.append_data(&mut header, path, std::io::empty())
        .with_context(|| format!("adding the directory {path}"))
}

fn append_file<W: Write>(
    tar: &mut tar::Builder<W>,
    path: &str,
    mode: u32,
    data: &[u8],
) -> Result<()> {
    let size = u64::try_from(data.len()).context("file size")?;
    let mut header = tar_header(tar::EntryType::Regular, mode, size);
    tar.append_data(&mut header, path, data)
        .with_context(|| format!("adding the file {path}"))
}

/// `sha256:<hex>` of `data`.
pub fn sha256_digest(data: &[u8]) -> String {
    format!("sha256:{}", hex(&Sha256::digest(data)))
}

/// Lowercase hexadecimal, as `sha256sum` prints it.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The OCI name of this machine's architecture (`amd64`, `arm64`...).
pub fn host_architecture() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn digests_depend_only_on_the_binary() {
        let a = OciImage::from_busybox("x/y:latest", b"not really busybox").unwrap();
        let b = OciImage::from_busybox("x/y:latest", b"not really busybox").unwrap();
        let c = OciImage::from_busybox("x/y:latest", b"another binary").unwrap();
        assert_eq!(a.manifest.digest, b.manifest.digest);
        assert_ne!(a.diff_id, c.diff_id);
    }

    #[test]
    fn layer_holds_the_binary_and_its_links() {
        // Unzip the layer and list its links.
        let image = OciImage::from_busybox("x/y:latest", b"bb").unwrap();
        let mut tar = Vec::new();
        flate2::read::GzDecoder::new(&image.layer.data[..])
            .read_to_end(&mut tar)
            .unwrap();
        assert_eq!(sha256_digest(&tar), image.diff_id);
        let mut archive = tar::Archive::new(&tar[..]);
        let mut links = Vec::new();
        for entry in archive.entries().unwrap() {
            let entry = entry.unwrap();
            let path = entry.path().unwrap().to_string_lossy().into_owned();
            if let Some(target) = entry.link_name().unwrap() {
                assert_eq!(target.to_str(), Some("busybox"), "{path}");
                links.push(path);
            }
        }
        assert!(links.contains(&"bin/sh".to_owned()), "{links:?}");
        assert_eq!(links.len(), APPLETS.len());
    }
}
