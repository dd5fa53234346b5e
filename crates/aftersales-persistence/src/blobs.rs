//! Attachment bytes through the `object_store` crate (WO-14): a local directory by default (so
//! `make run` needs nothing), or an S3-compatible bucket for `s3://bucket/prefix`, configured
//! from the usual `AWS_*` variables (`AWS_ENDPOINT`, `AWS_ACCESS_KEY_ID`, `AWS_REGION`, ...).

use std::sync::Arc;

use aftersales_domain::ports::{BlobStore, Chunks};
use aftersales_domain::{DomainError, Result};
use async_trait::async_trait;
use futures_util::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};

/// Why the object store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum BlobConfigError {
    /// The local directory could not be created.
    #[error("attachment directory {dir}: {source}")]
    Directory {
        /// The directory.
        dir: String,
        /// Why.
        source: std::io::Error,
    },
    /// The store's settings were refused.
    #[error("object store {url}: {source}")]
    Store {
        /// The URL.
        url: String,
        /// Why.
        source: object_store::Error,
    },
}

/// Attachment bytes in an object store.
#[derive(Debug, Clone)]
pub struct ObjectBlobStore {
    store: Arc<dyn ObjectStore>,
}

impl ObjectBlobStore {
    /// Opens `url`: `s3://bucket[/prefix]`, or a local directory path (created if missing).
    pub fn open(url: &str) -> std::result::Result<Self, BlobConfigError> {
        let store: Arc<dyn ObjectStore> = if let Some(rest) = url.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            let s3 = object_store::aws::AmazonS3Builder::from_env()
                .with_bucket_name(bucket)
                .build()
                .map_err(|source| BlobConfigError::Store { url: url.into(), source })?;
            match prefix.trim_matches('/') {
                "" => Arc::new(s3),
                prefix => Arc::new(PrefixStore::new(s3, prefix)),
            }
        } else {
            let dir = url.strip_prefix("file://").unwrap_or(url);
            let io = |source| BlobConfigError::Directory { dir: dir.into(), source };
            std::fs::create_dir_all(dir).map_err(io)?;
            let absolute = std::fs::canonicalize(dir).map_err(io)?;
            let local = object_store::local::LocalFileSystem::new_with_prefix(absolute)
                .map_err(|source| BlobConfigError::Store { url: url.into(), source })?;
            Arc::new(local)
        };
        Ok(Self { store })
    }
}

/// Removes the object under `key`; nothing there is not an error.
async fn remove(store: &dyn ObjectStore, key: &str) -> Result<()> {
    match store.delete(&Path::from(key)).await {
        Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
        Err(e) => Err(unavailable(e)),
    }
}

fn unavailable(e: object_store::Error) -> DomainError {
    DomainError::Unavailable(format!("object store: {e}"))
}

#[async_trait]
impl BlobStore for ObjectBlobStore {
    #[tracing::instrument(name = "blob", level = "debug", skip_all, fields(otel.name = "blob_put", otel.kind = "client"))]
    async fn put_if_absent(&self, key: &str, bytes: Vec<u8>) -> Result<bool> {
        let path = Path::from(key);
        match self.store.head(&path).await {
            Ok(_) => return Ok(false),
            Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(unavailable(e)),
        }
        // Two uploads of the same bytes may both get here: they write the same object.
        self.store.put(&path, PutPayload::from(bytes)).await.map_err(unavailable)?;
        Ok(true)
    }

    #[tracing::instrument(name = "blob", level = "debug", skip_all, fields(otel.name = "blob_put", otel.kind = "client"))]
    async fn put_chunks(&self, key: &str, mut chunks: Chunks<'_>, limit: usize) -> Result<u64> {
        let upload = self.store.put_multipart(&Path::from(key)).await.map_err(unavailable)?;
        // Parts of 5 MiB (S3's smallest), one in flight while the next fills: memory stays
        // bounded whatever the size.
        let mut out = WriteMultipart::new(upload);
        let mut size = 0u64;
        let failed = loop {
            let chunk = match chunks.next().await {
                None => break None,
                Some(Err(e)) => break Some(e),
                Some(Ok(chunk)) => chunk,
            };
            size += chunk.len() as u64;
            if size > limit as u64 {
                break Some(DomainError::TooLarge { limit });
            }
            if let Err(e) = out.wait_for_capacity(1).await {
                break Some(unavailable(e));
            }
            out.write(&chunk);
        };
        match failed {
            None => {
                out.finish().await.map_err(unavailable)?;
                Ok(size)
            }
            Some(e) => {
                if let Err(abort) = out.abort().await {
                    tracing::warn!(error = %abort, "an upload cut short could not be discarded");
                }
                Err(e)
            }
        }
    }

    #[tracing::instrument(name = "blob", level = "debug", skip_all, fields(otel.name = "blob_get", otel.kind = "client"))]
    async fn get_chunks(&self, key: &str) -> Result<Option<Chunks<'static>>> {
        match self.store.get(&Path::from(key)).await {
            Ok(found) => Ok(Some(found.into_stream().map_ok(|b| b.to_vec()).map_err(unavailable).boxed())),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }

    #[tracing::instrument(name = "blob", level = "debug", skip_all, fields(otel.name = "blob_get", otel.kind = "client"))]
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        match self.store.get(&Path::from(key)).await {
            Ok(found) => Ok(Some(found.bytes().await.map_err(unavailable)?.to_vec())),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }

    fn delete_soon(&self, key: String) {
        // Outside a runtime (a test's teardown) there is nothing to run it on.
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        let store = self.store.clone();
        runtime.spawn(async move {
            if let Err(e) = remove(&*store, &key).await {
                tracing::warn!(error = %e, "an object left behind could not be removed");
            }
        });
    }

    #[tracing::instrument(name = "blob", level = "debug", skip_all, fields(otel.name = "blob_delete", otel.kind = "client"))]
    async fn delete(&self, key: &str) -> Result<()> {
        remove(&*self.store, key).await
    }
}
