//! Photos and files on a work order's records (WO-14): checked on upload (size, sniffed type, the
//! record it names), stored once by content hash, listed with their record, served only within
//! the store. Kept as long as the record: there is no delete (IN-3).

use std::sync::Arc;

use super::Core;
use crate::auth::{Action, Principal};
use crate::model::attachment::{
    AttachedTo, Attachment, AttachmentId, accepts_attachments, check_upload, content_hash, object_key,
};
use crate::model::work_order::{WorkOrder, WorkOrderId};
use crate::paging::{Page, PageRequest};
use crate::ports::{ChangeSet, Op};
use crate::value::StoreCode;
use crate::{DomainError, Result};

const NOT_FOUND: DomainError = DomainError::NotFound { resource: "attachment" };

/// How many of the entry inspection's attachments the inspections list carries.
pub const ENTRY_LISTED: u64 = 100;

/// A file as uploaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    /// The record it belongs to.
    pub attached_to: AttachedTo,
    /// The client's file name, for display.
    pub file_name: Option<String>,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// Attachments.
#[derive(Clone)]
pub struct AttachmentService {
    core: Arc<Core>,
}

impl AttachmentService {
    pub(crate) fn new(core: Arc<Core>) -> Self {
        Self { core }
    }

    async fn order(&self, who: &Principal, store: &StoreCode, id: WorkOrderId) -> Result<WorkOrder> {
        self.core.store(who, store).await?;
        self.core
            .repo
            .get_work_order(store, id)
            .await?
            .ok_or(DomainError::NotFound { resource: "work_order" })
    }

    /// The largest attachment accepted, bytes.
    pub fn max_bytes(&self) -> usize {
        self.core.settings.attachment_max_bytes
    }

    /// Attaches a file to a record of the order. The same bytes on the same record answer the
    /// attachment already there (`false`); the same bytes anywhere are one stored object.
    pub async fn upload(
        &self,
        who: &Principal,
        store: &StoreCode,
        order_id: WorkOrderId,
        upload: Upload,
    ) -> Result<(Attachment, bool)> {
        let Upload { attached_to, file_name, bytes } = upload;
        who.authorize(Action::AttachFiles, store, "work_order")?;
        let content_type = check_upload(&bytes, self.core.settings.attachment_max_bytes)?;
        let mut v = crate::error::Validator::new();
        v.optional_text("file_name", file_name.as_deref(), 200);
        v.finish()?;
        let order = self.order(who, store, order_id).await?;
        accepts_attachments(&order)?;
        attached_to.check(&order)?;
        let sha256 = content_hash(&bytes);
        if let Some(existing) = self.same(store, order_id, attached_to, &sha256).await? {
            return Ok((existing, false));
        }
        let size = bytes.len() as u64;
        self.core.blobs.put_if_absent(&object_key(&sha256), bytes).await?;
        let attachment = Attachment {
            id: AttachmentId::generate(),
            store: store.clone(),
            work_order_id: order_id,
            attached_to,
            content_type,
            size,
            sha256,
            file_name: crate::value::non_empty(file_name),
            created_by: who.sub.clone(),
            created_at: self.core.now(),
        };
        let audit = self.core.audit(who, store, "attachment.upload", "attachment", attachment.id, vec![]);
        let insert = ChangeSet::of(Op::InsertAttachment(Box::new(attachment.clone())), audit);
        match self.core.repo.apply(insert).await {
            Ok(_) => Ok((attachment, true)),
            // A concurrent upload of the same bytes to the same record won: answer its attachment.
            Err(DomainError::AlreadyExists { resource: "attachment", .. }) => self
                .same(store, order_id, attached_to, &attachment.sha256)
                .await?
                .map(|a| (a, false))
                .ok_or_else(|| DomainError::Internal("attachment clash without an attachment".into())),
            Err(other) => Err(other),
        }
    }

    /// The attachment of these bytes on this record, if there is one.
    async fn same(
        &self,
        store: &StoreCode,
        order_id: WorkOrderId,
        to: AttachedTo,
        sha256: &str,
    ) -> Result<Option<Attachment>> {
        let all = crate::paging::all_pages(|page| async move {
            self.core.repo.attachments_of(store, order_id, Some(to), &page).await
        })
        .await?;
        Ok(all.into_iter().find(|a| a.sha256 == sha256))
    }

    /// The order's attachments, oldest first; only those of one record if given.
    pub async fn list(
        &self,
        who: &Principal,
        store: &StoreCode,
        order_id: WorkOrderId,
        to: Option<AttachedTo>,
        page: &PageRequest,
    ) -> Result<Page<Attachment>> {
        who.authorize(Action::ReadWorkOrder, store, "work_order")?;
        self.order(who, store, order_id).await?;
        self.core.repo.attachments_of(store, order_id, to, page).await
    }

    /// The entry inspection's attachments, listed with the inspections: the first
    /// [`ENTRY_LISTED`] (all of them through [`AttachmentService::list`]).
    pub async fn of_entry_inspection(
        &self,
        who: &Principal,
        store: &StoreCode,
        order_id: WorkOrderId,
    ) -> Result<Vec<Attachment>> {
        let first = PageRequest { size: ENTRY_LISTED, ..PageRequest::default() };
        Ok(self.list(who, store, order_id, Some(AttachedTo::EntryInspection), &first).await?.items)
    }

    /// One attachment and its bytes.
    pub async fn content(
        &self,
        who: &Principal,
        store: &StoreCode,
        order_id: WorkOrderId,
        id: AttachmentId,
    ) -> Result<(Attachment, Vec<u8>)> {
        who.authorize(Action::ReadWorkOrder, store, "work_order")?;
        self.core.store(who, store).await?;
        let attachment = self.core.repo.get_attachment(store, order_id, id).await?.ok_or(NOT_FOUND)?;
        let bytes = self.core.bytes_of(&attachment).await?;
        Ok((attachment, bytes))
    }
}

impl Core {
    /// The stored bytes of `attachment`.
    pub(crate) async fn bytes_of(&self, attachment: &Attachment) -> Result<Vec<u8>> {
        self.blobs.get(&object_key(&attachment.sha256)).await?.ok_or_else(|| {
            DomainError::Internal(format!("attachment {} has no stored object", attachment.id))
        })
    }
}
