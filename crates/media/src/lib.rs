//! The media store: where uploaded photos, their renditions and the demo pictures are kept.
//!
//! One small interface (put, get, head, delete, list by key) over two `object_store` backends:
//! the data directory's `uploads/` (the default, one node) and any S3-compatible object store
//! (AWS S3, MinIO, Garage, R2), which several nodes can share. Keys are the relative names the
//! store's photo rows hold (`2026/ab12.jpg`), so the site's `/uploads/<key>` URLs never change
//! whichever backend holds the bytes.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::TryStreamExt as _;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::prefix::PrefixStore;
use object_store::{
    Attribute, Attributes, ClientOptions, ObjectStore, ObjectStoreExt as _, PutOptions, RetryConfig,
};
use serde::{Deserialize, Serialize};

/// `[media]` in the config. An empty `url` keeps files in the data directory.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MediaConfig {
    /// Empty (the data directory's `uploads/`), `file:///abs/dir`, or `s3://bucket/prefix`
    /// (env `NEWSDESK_MEDIA__URL`).
    pub url: String,
    /// The S3 API's address for a store other than AWS (`http://127.0.0.1:9000` for MinIO,
    /// `https://<account>.r2.cloudflarestorage.com` for R2); empty for AWS itself.
    pub endpoint: String,
    /// Region; `auto` for R2, anything the server accepts for MinIO or Garage (`garage`).
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// Allow a plain-HTTP endpoint (a store on the same host or private network).
    pub allow_http: bool,
}

impl std::fmt::Debug for MediaConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = self.redacted();
        f.debug_struct("MediaConfig")
            .field("url", &shown.url)
            .field("endpoint", &shown.endpoint)
            .field("region", &shown.region)
            .field("access_key_id", &shown.access_key_id)
            .field("secret_access_key", &shown.secret_access_key)
            .field("allow_http", &shown.allow_http)
            .finish()
    }
}

impl MediaConfig {
    /// The same settings with the secret key (and any password in the URLs) hidden, for
    /// `--print-config` and logs.
    pub fn redacted(&self) -> MediaConfig {
        MediaConfig {
            url: redact_url(&self.url),
            endpoint: redact_url(&self.endpoint),
            region: self.region.clone(),
            access_key_id: self.access_key_id.clone(),
            secret_access_key: if self.secret_access_key.is_empty() {
                String::new()
            } else {
                "REDACTED".into()
            },
            allow_http: self.allow_http,
        }
    }

    /// These settings pointed at another store URL (the target of `media migrate --to`).
    pub fn with_url(&self, url: &str) -> MediaConfig {
        MediaConfig {
            url: url.to_owned(),
            ..self.clone()
        }
    }
}

fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("REDACTED"));
            u.to_string()
        }
        _ => raw.to_owned(),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("media.url {url:?}: {message}")]
    Config { url: String, message: String },
    #[error("media store {store} cannot be used: {message}")]
    Unreachable { store: String, message: String },
    #[error("{0:?} is not a media key")]
    InvalidKey(String),
    #[error("media store: {0}")]
    Backend(#[from] object_store::Error),
    #[error("media directory {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// One stored file, read whole (photos are at most a few MB).
#[derive(Debug, Clone)]
pub struct MediaObject {
    pub bytes: Bytes,
    pub content_type: String,
    pub meta: MediaMeta,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaMeta {
    pub key: String,
    pub size: u64,
    pub last_modified: DateTime<Utc>,
    /// The backend's entity tag (S3's ETag; inode, size and time for a local file).
    pub etag: Option<String>,
}

#[derive(Clone, Debug)]
enum Backend {
    /// The canonical directory, kept to refuse symlinks that lead out of it.
    Local(PathBuf),
    S3,
}

/// The media store every writer and reader of photo files goes through. Cheap to clone.
#[derive(Clone)]
pub struct MediaStore {
    inner: Arc<dyn ObjectStore>,
    backend: Backend,
    /// What to call the store in messages: the directory or the URL, no secrets.
    name: String,
}

impl std::fmt::Debug for MediaStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaStore")
            .field("store", &self.name)
            .finish()
    }
}

/// Two handles are the same store when they name the same directory or URL.
impl PartialEq for MediaStore {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

/// Requests to a remote store: a dead endpoint fails within seconds, not after object_store's
/// default three minutes of retries, so a misconfigured node says so at start.
fn client_options() -> (ClientOptions, RetryConfig) {
    let client = ClientOptions::new()
        .with_connect_timeout(Duration::from_secs(5))
        .with_timeout(Duration::from_secs(60));
    let retry = RetryConfig {
        max_retries: 3,
        retry_timeout: Duration::from_secs(20),
        ..RetryConfig::default()
    };
    (client, retry)
}

impl MediaStore {
    /// Files under `dir` (created if missing): the single-node default.
    pub fn local(dir: &Path) -> Result<MediaStore, MediaError> {
        std::fs::create_dir_all(dir).map_err(|source| MediaError::Io {
            path: dir.to_owned(),
            source,
        })?;
        let root = std::fs::canonicalize(dir).map_err(|source| MediaError::Io {
            path: dir.to_owned(),
            source,
        })?;
        let fs = LocalFileSystem::new_with_prefix(&root)?;
        Ok(MediaStore {
            inner: Arc::new(fs),
            name: root.display().to_string(),
            backend: Backend::Local(root),
        })
    }

    /// The store `config` names; an empty `url` is `default_dir`. Builds the client only:
    /// call [`MediaStore::check`] to learn whether the store answers.
    pub fn open(config: &MediaConfig, default_dir: &Path) -> Result<MediaStore, MediaError> {
        let raw = config.url.trim();
        if raw.is_empty() {
            return MediaStore::local(default_dir);
        }
        let bad = |message: String| MediaError::Config {
            url: redact_url(raw),
            message,
        };
        let url = url::Url::parse(raw).map_err(|e| bad(e.to_string()))?;
        match url.scheme() {
            "file" => {
                let dir = url
                    .to_file_path()
                    .map_err(|()| bad("not an absolute file path".into()))?;
                MediaStore::local(&dir)
            }
            "s3" => {
                let bucket = url
                    .host_str()
                    .filter(|b| !b.is_empty())
                    .ok_or_else(|| bad("no bucket: write s3://bucket/prefix".into()))?;
                let prefix = url.path().trim_matches('/');
                let (client, retry) = client_options();
                // Rustls needs a process-wide provider; the rest of newsdesk uses ring too.
                let _ = rustls::crypto::ring::default_provider().install_default();
                let mut b = AmazonS3Builder::from_env()
                    .with_bucket_name(bucket)
                    .with_client_options(client.with_allow_http(config.allow_http))
                    .with_retry(retry);
                if !config.region.trim().is_empty() {
                    b = b.with_region(config.region.trim());
                }
                if !config.endpoint.trim().is_empty() {
                    b = b.with_endpoint(config.endpoint.trim());
                }
                if !config.access_key_id.is_empty() {
                    b = b.with_access_key_id(&config.access_key_id);
                }
                if !config.secret_access_key.is_empty() {
                    b = b.with_secret_access_key(&config.secret_access_key);
                }
                let s3 = b.build().map_err(|e| bad(e.to_string()))?;
                let inner: Arc<dyn ObjectStore> = if prefix.is_empty() {
                    Arc::new(s3)
                } else {
                    let p = ObjectPath::parse(prefix).map_err(|e| bad(e.to_string()))?;
                    Arc::new(PrefixStore::new(s3, p))
                };
                let endpoint = if config.endpoint.trim().is_empty() {
                    String::new()
                } else {
                    format!(" at {}", redact_url(config.endpoint.trim()))
                };
                Ok(MediaStore {
                    inner,
                    backend: Backend::S3,
                    name: format!("{}{endpoint}", redact_url(raw)),
                })
            }
            other => Err(bad(format!(
                "unknown scheme {other:?}: use s3://bucket/prefix or file:///directory"
            ))),
        }
    }

    /// The directory or URL, for messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn is_local(&self) -> bool {
        matches!(self.backend, Backend::Local(_))
    }

    /// Lists (at most a page of) the store: a wrong endpoint, bucket or key fails here, at start,
    /// rather than on the first upload.
    pub async fn check(&self) -> Result<(), MediaError> {
        self.inner
            .list_with_delimiter(None)
            .await
            .map(|_| ())
            .map_err(|e| MediaError::Unreachable {
                store: self.name.clone(),
                message: error_chain(&e),
            })
    }

    pub async fn put(
        &self,
        key: &str,
        bytes: impl Into<Bytes>,
        content_type: &str,
    ) -> Result<(), MediaError> {
        let path = parse_key(key)?;
        let mut opts = PutOptions::default();
        // The local backend keeps no attributes (and refuses them); it types by extension.
        if !self.is_local() {
            let mut attrs = Attributes::new();
            attrs.insert(Attribute::ContentType, content_type.to_owned().into());
            opts.attributes = attrs;
        }
        self.inner
            .put_opts(&path, bytes.into().into(), opts)
            .await?;
        Ok(())
    }

    /// The file, or `None` when there is none under `key`.
    pub async fn get(&self, key: &str) -> Result<Option<MediaObject>, MediaError> {
        let path = parse_key(key)?;
        if !self.inside_root(key).await {
            return Ok(None);
        }
        let res = match self.inner.get(&path).await {
            Ok(r) => r,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let content_type = res
            .attributes
            .get(&Attribute::ContentType)
            .map(|v| v.to_string())
            .filter(|v| !v.is_empty())
            .or_else(|| content_type_for(key).map(str::to_owned))
            .unwrap_or_else(|| "application/octet-stream".into());
        let meta = to_meta(key, &res.meta);
        let bytes = res.bytes().await?;
        Ok(Some(MediaObject {
            bytes,
            content_type,
            meta,
        }))
    }

    /// Size and version of the file, or `None` when there is none.
    pub async fn head(&self, key: &str) -> Result<Option<MediaMeta>, MediaError> {
        let path = parse_key(key)?;
        if !self.inside_root(key).await {
            return Ok(None);
        }
        match self.inner.head(&path).await {
            Ok(m) => Ok(Some(to_meta(key, &m))),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Removes the file; a missing one is not an error.
    pub async fn delete(&self, key: &str) -> Result<(), MediaError> {
        let path = parse_key(key)?;
        match self.inner.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Every file in the store, in no particular order.
    pub async fn list(&self) -> Result<Vec<MediaMeta>, MediaError> {
        let metas: Vec<_> = self.inner.list(None).try_collect().await?;
        Ok(metas
            .iter()
            .map(|m| to_meta(m.location.as_ref(), m))
            .filter(|m| valid_key(&m.key))
            .collect())
    }

    /// A local file must resolve inside the directory: a symlink in `uploads/` must not serve
    /// what lies elsewhere on the machine.
    async fn inside_root(&self, key: &str) -> bool {
        let Backend::Local(root) = &self.backend else {
            return true;
        };
        match tokio::fs::canonicalize(root.join(key)).await {
            Ok(full) => full.starts_with(root),
            // Missing: the backend's own lookup answers "not found".
            Err(_) => true,
        }
    }
}

fn to_meta(key: &str, m: &object_store::ObjectMeta) -> MediaMeta {
    MediaMeta {
        key: key.to_owned(),
        size: m.size,
        last_modified: m.last_modified,
        etag: m.e_tag.clone(),
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        let s_text = s.to_string();
        if !out.contains(&s_text) {
            out.push_str(": ");
            out.push_str(&s_text);
        }
        cur = s.source();
    }
    out
}

/// A key of plain relative segments: no `..`, no hidden files, no backslashes or colons.
pub fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 512
        && !key.contains(['\\', '\0', ':'])
        && key
            .split('/')
            .all(|s| !s.is_empty() && !s.starts_with('.') && !s.chars().any(char::is_control))
}

fn parse_key(key: &str) -> Result<ObjectPath, MediaError> {
    if !valid_key(key) {
        return Err(MediaError::InvalidKey(key.to_owned()));
    }
    ObjectPath::parse(key).map_err(|_| MediaError::InvalidKey(key.to_owned()))
}

/// The image type of a key, by extension; `None` for anything we do not publish.
pub fn content_type_for(key: &str) -> Option<&'static str> {
    let ext = key.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "svg" => "image/svg+xml",
        _ => return None,
    })
}

/// What `newsdesk media migrate` did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct MigrateReport {
    pub copied: u64,
    /// Already in the target with the same size (a re-run copies nothing twice).
    pub skipped: u64,
    pub bytes: u64,
}

/// Copies every file of `from` that `to` lacks (or holds with another size). Safe to re-run;
/// nothing is deleted from either store.
pub async fn migrate(from: &MediaStore, to: &MediaStore) -> Result<MigrateReport, MediaError> {
    let mut report = MigrateReport::default();
    let mut files = from.list().await?;
    files.sort_by(|a, b| a.key.cmp(&b.key));
    for m in files {
        if let Some(there) = to.head(&m.key).await?
            && there.size == m.size
        {
            report.skipped += 1;
            continue;
        }
        let Some(obj) = from.get(&m.key).await? else {
            // Deleted while we ran.
            continue;
        };
        report.bytes += obj.bytes.len() as u64;
        to.put(&m.key, obj.bytes, &obj.content_type).await?;
        report.copied += 1;
        tracing::debug!(key = %m.key, "copied");
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_relative_keys_are_keys() {
        assert!(valid_key("2026/a.jpg"));
        assert!(valid_key("2026/harbour at dawn#1.svg"));
        for bad in [
            "", "../x", "a/../b", "/etc", "a//b", ".env", "a/.h", "c:/x", "a\\b",
        ] {
            assert!(!valid_key(bad), "{bad} accepted");
        }
    }

    #[test]
    fn the_secret_key_is_never_shown() {
        let c = MediaConfig {
            url: "s3://news/media".into(),
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI".into(),
            ..MediaConfig::default()
        };
        assert!(!format!("{c:?}").contains("wJalrXUtnFEMI"));
        assert_eq!(c.redacted().secret_access_key, "REDACTED");
        assert_eq!(c.redacted().url, "s3://news/media");
    }

    #[tokio::test]
    async fn a_local_store_puts_gets_lists_and_deletes() {
        let dir = tempfile::tempdir().expect("dir");
        let m = MediaStore::local(&dir.path().join("uploads")).expect("store");
        m.check().await.expect("check");
        m.put("2026/a.png", b"png".to_vec(), "image/png")
            .await
            .expect("put");
        let got = m.get("2026/a.png").await.expect("get").expect("found");
        assert_eq!(&got.bytes[..], b"png");
        assert_eq!(got.content_type, "image/png");
        assert!(got.meta.etag.is_some());
        assert_eq!(
            std::fs::read(dir.path().join("uploads/2026/a.png")).expect("file on disk"),
            b"png"
        );
        let keys: Vec<_> = m
            .list()
            .await
            .expect("list")
            .into_iter()
            .map(|m| m.key)
            .collect();
        assert_eq!(keys, ["2026/a.png"]);
        m.delete("2026/a.png").await.expect("delete");
        assert!(m.get("2026/a.png").await.expect("get").is_none());
        m.delete("2026/a.png")
            .await
            .expect("deleting twice is fine");
        assert!(matches!(
            m.get("../x.png").await,
            Err(MediaError::InvalidKey(_))
        ));
    }

    #[tokio::test]
    async fn migrating_twice_copies_once() {
        let dir = tempfile::tempdir().expect("dir");
        let a = MediaStore::local(&dir.path().join("a")).expect("a");
        let b = MediaStore::local(&dir.path().join("b")).expect("b");
        a.put("x/1.jpg", b"one".to_vec(), "image/jpeg")
            .await
            .expect("put");
        a.put("2.svg", b"<svg/>".to_vec(), "image/svg+xml")
            .await
            .expect("put");
        let first = migrate(&a, &b).await.expect("migrate");
        assert_eq!((first.copied, first.skipped), (2, 0));
        let again = migrate(&a, &b).await.expect("migrate");
        assert_eq!((again.copied, again.skipped), (0, 2));
        let got = b.get("x/1.jpg").await.expect("get").expect("found");
        assert_eq!(&got.bytes[..], b"one");
    }

    #[test]
    fn an_unknown_scheme_or_a_missing_bucket_is_refused() {
        let dir = tempfile::tempdir().expect("dir");
        for url in ["ftp://x/y", "s3:///prefix", "not a url"] {
            let c = MediaConfig {
                url: url.into(),
                ..MediaConfig::default()
            };
            assert!(
                matches!(
                    MediaStore::open(&c, dir.path()),
                    Err(MediaError::Config { .. })
                ),
                "{url}"
            );
        }
    }
}
