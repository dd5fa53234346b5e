//! The ports of attachments (WO-14): their records, written as [`super::Op::InsertAttachment`],
//! and the content-addressed store of their bytes.

use std::pin::Pin;

use async_trait::async_trait;
use futures_util::Stream;

use crate::Result;
use crate::model::attachment::{AttachedTo, Attachment, AttachmentId};
use crate::model::work_order::WorkOrderId;
use crate::paging::{Page, PageRequest};
use crate::value::StoreCode;

/// Attachment records, always read within a store and a work order.
#[async_trait]
pub trait AttachmentReads: Send + Sync {
    /// One attachment of a store's work order.
    async fn get_attachment(
        &self,
        store: &StoreCode,
        order: WorkOrderId,
        id: AttachmentId,
    ) -> Result<Option<Attachment>>;

    /// A work order's attachments, oldest first, paged by id; only those of `to` if given.
    async fn attachments_of(
        &self,
        store: &StoreCode,
        order: WorkOrderId,
        to: Option<AttachedTo>,
        page: &PageRequest,
    ) -> Result<Page<Attachment>>;
}

/// Bytes arriving piece by piece: an upload as it is received, an object as it is read, so a
/// large one is never held whole in memory.
pub type Chunks<'a> = Pin<Box<dyn Stream<Item = Result<Vec<u8>>> + Send + 'a>>;

/// Where attachment bytes and uploaded sheets live: a local directory or an S3-compatible bucket.
#[async_trait]
pub trait BlobStore: Send + Sync {
    /// Stores `bytes` under `key` unless an object is there already (the key is the bytes'
    /// hash, so it would be the same); answers whether it wrote.
    async fn put_if_absent(&self, key: &str, bytes: Vec<u8>) -> Result<bool>;

    /// Stores `chunks` under `key` as they arrive, at most `limit` bytes: beyond it, or when a
    /// chunk is an error, nothing is kept and the error is answered. Answers the size.
    async fn put_chunks(&self, key: &str, chunks: Chunks<'_>, limit: usize) -> Result<u64>;

    /// The bytes under `key`, if any.
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>>;

    /// The bytes under `key` piece by piece, if any.
    async fn get_chunks(&self, key: &str) -> Result<Option<Chunks<'static>>>;

    /// Removes the object under `key`; nothing there is not an error.
    async fn delete(&self, key: &str) -> Result<()>;

    /// Removes the object under `key` in the background, where nothing can wait for it (a value
    /// dropped); a failure is only logged.
    fn delete_soon(&self, key: String);
}
