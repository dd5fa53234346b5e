//! `AttachmentService` (WO-14): the upload streamed in, the content streamed out.

use std::pin::Pin;

use aftersales_domain::DomainError;
use aftersales_domain::app::Upload;
use aftersales_domain::auth::Action;
use aftersales_domain::model::attachment::{AttachedTo, Attachment, AttachmentId};
use aftersales_domain::model::work_order::WorkOrderId;
use aftersales_domain::value::StoreCode;
use tokio_stream::{Stream, StreamExt};
use tonic::{Request, Response, Status, Streaming};

use super::{Adapter, Answer};
use crate::convert::{self, ts};
use crate::pb;
use crate::status::{invalid, to_status};

/// Pieces of the content sent back.
const CHUNK: usize = 1024 * 1024;

/// An attachment as its message; `created` is false for an upload that found it already there.
pub(crate) fn message(a: Attachment, created: bool) -> pb::Attachment {
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
    pb::Attachment {
        id: id.to_string(),
        work_order_id: work_order_id.to_string(),
        attached_to: attached_to.key(),
        content_type: content_type.mime().into(),
        size,
        sha256,
        file_name,
        created_by,
        created_at: ts(created_at),
        created,
    }
}

fn order(store: &str, id: &str) -> Result<(StoreCode, WorkOrderId), Status> {
    Ok((convert::store_code(store)?, WorkOrderId::parse("work_order_id", id).map_err(to_status)?))
}

type Chunks = Pin<Box<dyn Stream<Item = Result<pb::AttachmentChunk, Status>> + Send>>;

#[tonic::async_trait]
impl pb::attachment_service_server::AttachmentService for Adapter {
    async fn upload_attachment(
        &self,
        req: Request<Streaming<pb::UploadAttachmentRequest>>,
    ) -> Answer<pb::Attachment> {
        let who = self.caller(&req)?;
        let mut stream = req.into_inner();
        let first = stream.message().await?.ok_or_else(|| invalid("store", "the upload sent no message"))?;
        let pb::UploadAttachmentRequest { store, work_order_id, attached_to, file_name, data } = first;
        let (store, id) = order(&store, &work_order_id)?;
        // The role first: a caller that may not upload learns nothing of the rest.
        who.authorize(Action::AttachFiles, &store, "work_order").map_err(to_status)?;
        let attached_to = AttachedTo::parse(&attached_to).map_err(to_status)?;
        let limit = self.services.attachments.max_bytes();
        let mut bytes = data;
        while let Some(next) = stream.message().await? {
            if bytes.len() + next.data.len() > limit {
                return Err(to_status(DomainError::TooLarge { limit }));
            }
            bytes.extend_from_slice(&next.data);
        }
        // The service checks the whole again (size, type); the loop only keeps memory bounded.
        let upload = Upload { attached_to, file_name, bytes };
        let (attachment, created) =
            self.services.attachments.upload(&who, &store, id, upload).await.map_err(to_status)?;
        Ok(Response::new(message(attachment, created)))
    }

    async fn list_attachments(
        &self,
        req: Request<pb::ListAttachmentsRequest>,
    ) -> Answer<pb::ListAttachmentsResponse> {
        let who = self.caller(&req)?;
        let pb::ListAttachmentsRequest { store, work_order_id, attached_to, page_size, page_token } =
            req.into_inner();
        let (store, id) = order(&store, &work_order_id)?;
        let to = convert::non_empty(&attached_to)
            .as_deref()
            .map(AttachedTo::parse)
            .transpose()
            .map_err(to_status)?;
        let page = convert::page(page_size, &page_token)?;
        let list = self.services.attachments.list(&who, &store, id, to, &page).await.map_err(to_status)?;
        Ok(Response::new(pb::ListAttachmentsResponse {
            attachments: list.items.into_iter().map(|a| message(a, true)).collect(),
            next_page_token: list.next_page_token.unwrap_or_default(),
        }))
    }

    type GetAttachmentContentStream = Chunks;

    async fn get_attachment_content(
        &self,
        req: Request<pb::GetAttachmentContentRequest>,
    ) -> Answer<Self::GetAttachmentContentStream> {
        let who = self.caller(&req)?;
        let pb::GetAttachmentContentRequest { store, work_order_id, attachment_id } = req.into_inner();
        let (store, id) = order(&store, &work_order_id)?;
        let attachment = AttachmentId::parse("attachment_id", &attachment_id).map_err(to_status)?;
        let (found, bytes) =
            self.services.attachments.content(&who, &store, id, attachment).await.map_err(to_status)?;
        let mime = found.content_type.mime().to_string();
        let pieces: Vec<Vec<u8>> = bytes.chunks(CHUNK).map(<[u8]>::to_vec).collect();
        let stream = tokio_stream::iter(pieces.into_iter().enumerate()).map(move |(i, data)| {
            Ok(pb::AttachmentChunk { content_type: if i == 0 { mime.clone() } else { String::new() }, data })
        });
        Ok(Response::new(Box::pin(stream)))
    }
}
