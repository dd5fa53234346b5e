//! Response bodies of approval links (WO-13): the store's view of a link, and what the token
//! shows the customer.

use aftersales_domain::app::{ApprovalView, AwaitingLine, DecisionReceipt, IssuedLink};
use aftersales_domain::model::approval_link::ApprovalLink;
use aftersales_domain::model::work_order::{LineKind, Urgency};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// A link as the store sees it; the token is never shown again.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApprovalLinkDto {
    /// Id (recorded on the approval it produces).
    pub id: Uuid,
    /// The work order.
    pub work_order_id: Uuid,
    /// The estimate version it shows.
    pub estimate_version: u32,
    /// Who issued it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// When the store revoked it.
    pub revoked_at: Option<DateTime<Utc>>,
    /// When the customer decided through it.
    pub used_at: Option<DateTime<Utc>>,
}

impl From<ApprovalLink> for ApprovalLinkDto {
    fn from(l: ApprovalLink) -> Self {
        let ApprovalLink {
            id,
            store: _,
            work_order_id,
            estimate_version,
            token_hash: _,
            created_by,
            created_at,
            expires_at,
            revoked_at,
            used_at,
            version: _,
        } = l;
        Self {
            id: id.0,
            work_order_id: work_order_id.0,
            estimate_version,
            created_by,
            created_at,
            expires_at,
            revoked_at,
            used_at,
        }
    }
}

/// A link just issued, with its token: send `path` to the customer's app.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedLinkDto {
    /// The link.
    #[serde(flatten)]
    pub link: ApprovalLinkDto,
    /// The opaque token (256 random bits); shown only in this answer.
    pub token: String,
    /// `/v1/approval/{token}`.
    pub path: String,
}

impl From<IssuedLink> for IssuedLinkDto {
    fn from(i: IssuedLink) -> Self {
        let IssuedLink { link, token, path } = i;
        Self { link: link.into(), token, path }
    }
}

list_dto!(
    /// A page of a work order's links.
    ApprovalLinkList, links, ApprovalLinkDto
);

/// A line waiting for the customer's decision.
#[derive(Debug, Serialize, ToSchema)]
pub struct AwaitingLineDto {
    /// Decide on this id.
    pub line_id: Uuid,
    /// Labour or part.
    pub kind: LineKind,
    /// What is done, or the part's name.
    pub name: String,
    /// Amount, fen.
    pub amount_fen: i64,
    /// The finding it comes from.
    pub finding: Option<String>,
    /// Red, yellow or green.
    pub urgency: Option<Urgency>,
    /// Photo ids of the finding or part: `GET /v1/approval/{token}/photos/{id}`.
    pub photos: Vec<Uuid>,
}

/// What the link shows the customer: that order's lines awaiting a decision, no more.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApprovalViewDto {
    /// The link's id.
    pub link_id: Uuid,
    /// The store.
    pub store_name: String,
    /// The customer's own name.
    pub customer_name: String,
    /// The car's plate.
    pub plate: Option<String>,
    /// The work order's number.
    pub work_order_number: String,
    /// The estimate version to decide.
    pub estimate_version: u32,
    /// When the link stops working.
    pub expires_at: DateTime<Utc>,
    /// The lines to decide, each once.
    pub lines: Vec<AwaitingLineDto>,
    /// Labour of those lines, fen.
    pub labour_fen: i64,
    /// Parts of those lines, fen.
    pub parts_fen: i64,
}

impl From<ApprovalView> for ApprovalViewDto {
    fn from(v: ApprovalView) -> Self {
        let ApprovalView {
            link_id,
            store_name,
            customer_name,
            plate,
            work_order_number,
            estimate_version,
            expires_at,
            lines,
            labour_fen,
            parts_fen,
        } = v;
        Self {
            link_id: link_id.0,
            store_name,
            customer_name,
            plate,
            work_order_number,
            estimate_version,
            expires_at,
            lines: lines
                .into_iter()
                .map(|AwaitingLine { line_id, kind, name, amount_fen, finding, urgency, photos }| {
                    AwaitingLineDto {
                        line_id: line_id.0,
                        kind,
                        name,
                        amount_fen,
                        finding,
                        urgency,
                        photos: photos.into_iter().map(|p| p.0).collect(),
                    }
                })
                .collect(),
            labour_fen,
            parts_fen,
        }
    }
}

/// The customer's decision, as recorded.
#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionReceiptDto {
    /// The link's id.
    pub link_id: Uuid,
    /// The estimate version decided.
    pub estimate_version: u32,
    /// Lines agreed.
    pub approved: usize,
    /// Lines declined.
    pub declined: usize,
    /// The amount agreed, fen.
    pub approved_fen: i64,
    /// When.
    pub recorded_at: DateTime<Utc>,
}

impl From<DecisionReceipt> for DecisionReceiptDto {
    fn from(r: DecisionReceipt) -> Self {
        let DecisionReceipt { link_id, estimate_version, approved, declined, approved_fen, recorded_at } = r;
        Self { link_id: link_id.0, estimate_version, approved, declined, approved_fen, recorded_at }
    }
}
