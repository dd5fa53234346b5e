//! Remote approval links (WO-13): an opaque token bound to one work order and one estimate
//! version, expiring, revocable, used once. Only the token's SHA-256 is stored; the token itself
//! is shown once, to the advisor who issues it.

use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::DomainError;
use crate::model::work_order::{LineStatus, WorkOrder, WorkOrderId, WorkOrderStatus};
use crate::value::{StoreCode, uuid_id};

uuid_id!(
    /// Identifies an approval link.
    ApprovalLinkId
);

/// Default lifetime of a link (WO-13: 24 h).
pub const DEFAULT_TTL_HOURS: u32 = 24;
/// The longest lifetime an advisor may give a link.
pub const MAX_TTL_HOURS: u32 = 7 * 24;
/// Where the customer's app opens a link; the token follows.
pub const LINK_PATH: &str = "/v1/approval/";

/// A link as stored: everything but the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalLink {
    /// Id (also recorded on the approval it produced).
    pub id: ApprovalLinkId,
    /// Store of the work order.
    pub store: StoreCode,
    /// The work order it opens.
    pub work_order_id: WorkOrderId,
    /// The estimate version it shows; any other makes it outdated.
    pub estimate_version: u32,
    /// Hex SHA-256 of the token.
    pub token_hash: String,
    /// The advisor who issued it.
    pub created_by: String,
    /// When it was issued.
    pub created_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// When the store revoked it.
    pub revoked_at: Option<DateTime<Utc>>,
    /// When the customer's decision was recorded through it.
    pub used_at: Option<DateTime<Utc>>,
    /// Optimistic-lock version: a link is used once even by two concurrent decisions.
    pub version: i64,
}

/// Why a link no longer opens the order (all answer 410, each with its code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkInvalid {
    /// The store revoked it.
    Revoked,
    /// Past its expiry.
    Expired,
    /// A decision was already recorded through it.
    Used,
    /// The estimate changed since it was issued.
    Outdated,
    /// Nothing on the order waits for the customer any more (decided another way).
    Decided,
}

impl LinkInvalid {
    /// The error the link's routes answer.
    pub fn into_error(self) -> DomainError {
        let (code, message) = match self {
            Self::Revoked => {
                ("approval_link.revoked", "the store withdrew this link; ask them for a new one")
            }
            Self::Expired => ("approval_link.expired", "this link has expired; ask the store for a new one"),
            Self::Used => ("approval_link.used", "your decision was already recorded through this link"),
            Self::Outdated => (
                "approval_link.outdated",
                "the estimate has changed since this link was sent; ask for the new one",
            ),
            Self::Decided => {
                ("approval_link.decided", "nothing on this order waits for your decision any more")
            }
        };
        DomainError::Gone { code, message: message.into() }
    }
}

/// A fresh token: 256 bits from the operating system's CSPRNG (two v4 UUIDs), URL-safe.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    bytes[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    bytes[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// What is stored for `token`.
pub fn token_hash(token: &str) -> String {
    crate::value::hex(&Sha256::digest(token.as_bytes()))
}

/// Whether `token` could be one this service issued (length and alphabet), so a guess is
/// refused without a lookup.
pub fn well_formed(token: &str) -> bool {
    token.len() == 43 && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Whether `order` has lines waiting for the customer (the quote, or lines proposed during work).
pub fn awaits_decision(order: &WorkOrder) -> bool {
    matches!(order.status, WorkOrderStatus::AwaitingApproval | WorkOrderStatus::InProgress)
        && order.lines.iter().any(|l| l.status == LineStatus::Proposed)
}

impl ApprovalLink {
    /// A link to `order`'s current estimate, for `token`, valid `ttl_hours` from `now`.
    pub fn issue(
        order: &WorkOrder,
        token: &str,
        ttl_hours: u32,
        created_by: &str,
        now: DateTime<Utc>,
    ) -> crate::Result<Self> {
        if !(1..=MAX_TTL_HOURS).contains(&ttl_hours) {
            return Err(DomainError::invalid("ttl_hours", format!("must be 1 to {MAX_TTL_HOURS}")));
        }
        if !awaits_decision(order) {
            return Err(DomainError::FailedPrecondition {
                code: "work_order.invalid_transition",
                message: format!(
                    "work order is {}: nothing waits for the customer's decision, so there is nothing to send",
                    order.status.as_str()
                ),
            });
        }
        Ok(Self {
            id: ApprovalLinkId::generate(),
            store: order.store.clone(),
            work_order_id: order.id,
            estimate_version: order.estimate_version,
            token_hash: token_hash(token),
            created_by: created_by.into(),
            created_at: now,
            expires_at: now + Duration::hours(i64::from(ttl_hours)),
            revoked_at: None,
            used_at: None,
            version: 1,
        })
    }

    /// Whether the link still opens `order` at `now`; the first reason it does not otherwise.
    pub fn check(&self, order: &WorkOrder, now: DateTime<Utc>) -> Result<(), LinkInvalid> {
        if self.revoked_at.is_some() {
            Err(LinkInvalid::Revoked)
        } else if self.used_at.is_some() {
            Err(LinkInvalid::Used)
        } else if now >= self.expires_at {
            Err(LinkInvalid::Expired)
        } else if order.estimate_version != self.estimate_version {
            Err(LinkInvalid::Outdated)
        } else if !awaits_decision(order) {
            Err(LinkInvalid::Decided)
        } else {
            Ok(())
        }
    }

    /// Withdraws the link; revoking twice, or a link already used, changes nothing.
    pub fn revoke(&mut self, now: DateTime<Utc>) {
        if self.revoked_at.is_none() && self.used_at.is_none() {
            self.revoked_at = Some(now);
            self.version += 1;
        }
    }

    /// Marks the link used by the decision recorded at `now`.
    pub fn mark_used(&mut self, now: DateTime<Utc>) {
        self.used_at = Some(now);
        self.version += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_distinct_and_only_their_hash_is_kept() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert!(well_formed(&a) && well_formed(&b), "{a}");
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
        assert!(!well_formed("short") && !well_formed(&format!("{}!", &a[..42])));
    }
}
