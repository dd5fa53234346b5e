//! The port of approval links (WO-13). Links are written as [`super::Op::PutApprovalLink`].

use async_trait::async_trait;

use crate::Result;
use crate::model::approval_link::ApprovalLink;
use crate::model::work_order::WorkOrderId;
use crate::paging::{Page, PageRequest};
use crate::value::StoreCode;

/// Approval links, found by their token's hash or listed per work order.
#[async_trait]
pub trait ApprovalLinkStore: Send + Sync {
    /// The link whose token hashes to `token_hash`, in whichever store it is.
    async fn link_by_token_hash(&self, token_hash: &str) -> Result<Option<ApprovalLink>>;

    /// One link of a store's work order.
    async fn get_link(
        &self,
        store: &StoreCode,
        order: WorkOrderId,
        id: crate::model::approval_link::ApprovalLinkId,
    ) -> Result<Option<ApprovalLink>>;

    /// A work order's links, oldest first, paged by id.
    async fn links_of(
        &self,
        store: &StoreCode,
        order: WorkOrderId,
        page: &PageRequest,
    ) -> Result<Page<ApprovalLink>>;
}
