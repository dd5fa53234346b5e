//! Response bodies of attachments (WO-14).

use aftersales_domain::model::attachment::{AttachedTo, Attachment, ContentType};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// A file on a work order's record; its bytes are at `.../attachments/{id}/content`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentDto {
    /// Id.
    pub id: Uuid,
    /// The work order.
    pub work_order_id: Uuid,
    /// The record it belongs to.
    pub attached_to: AttachedTo,
    /// Sniffed from the bytes.
    pub content_type: ContentType,
    /// MIME type the content is served as.
    pub mime: String,
    /// Bytes.
    pub size: u64,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    /// The client's file name.
    pub file_name: Option<String>,
    /// Who uploaded it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl From<Attachment> for AttachmentDto {
    fn from(a: Attachment) -> Self {
        let Attachment {
            id,
            store: _,
            work_order_id,
            attached_to,
            content_type,
            size,
            sha256,
            file_name,
            created_by,
            created_at,
        } = a;
        Self {
            id: id.0,
            work_order_id: work_order_id.0,
            attached_to,
            content_type,
            mime: content_type.mime().into(),
            size,
            sha256,
            file_name,
            created_by,
            created_at,
        }
    }
}

list_dto!(
    /// A page of a work order's attachments.
    AttachmentList, attachments, AttachmentDto
);
