//! Photos and files on a work order's records (WO-14): what they are attached to, the types
//! accepted (sniffed from the bytes, never taken from the client's word), and the content hash
//! that stores each distinct file once.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::DomainError;
use crate::model::work_order::{LineId, LineKind, SignedDocument, WorkOrder, WorkOrderId, WorkOrderStatus};
use crate::value::{StoreCode, uuid_id};

uuid_id!(
    /// Identifies an attachment.
    AttachmentId
);

/// The largest attachment accepted by default, bytes (10 MiB: a phone photo at full size).
pub const DEFAULT_MAX_BYTES: usize = 10 * 1024 * 1024;

/// The types accepted, as sniffed from the first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ContentType {
    /// `image/jpeg`.
    Jpeg,
    /// `image/png`.
    Png,
    /// `image/heic` (iPhone photos).
    Heic,
    /// `application/pdf`.
    Pdf,
}

impl ContentType {
    /// The MIME type served.
    pub fn mime(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Heic => "image/heic",
            Self::Pdf => "application/pdf",
        }
    }

    /// Whether a browser shows it inline as an image (so a document can show a thumbnail).
    pub fn is_web_image(self) -> bool {
        matches!(self, Self::Jpeg | Self::Png)
    }

    /// Sniffs the type from the bytes' signature; `None` for anything not accepted.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else if bytes.starts_with(b"%PDF-") {
            Some(Self::Pdf)
        } else if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" && is_heif_brand(&bytes[8..12]) {
            Some(Self::Heic)
        } else {
            None
        }
    }
}

/// The ISO-BMFF major brands of HEIC/HEIF stills.
fn is_heif_brand(brand: &[u8]) -> bool {
    [b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1"].iter().any(|b| brand == *b)
}

/// What an attachment belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum AttachedTo {
    /// The entry inspection: the car's condition on arrival (IN-1).
    EntryInspection,
    /// A finding and its line (WO-5).
    Line {
        /// The line.
        line_id: LineId,
    },
    /// A replaced part (WO-6), a part line.
    Part {
        /// The part line.
        line_id: LineId,
    },
    /// A signed document (WO-10).
    Signature {
        /// Which document was signed.
        document: SignedDocument,
    },
}

impl AttachedTo {
    /// Parses the form field `attached_to`: `entry_inspection`, `line:<id>`, `part:<id>` or
    /// `signature:<document>`.
    pub fn parse(raw: &str) -> crate::Result<Self> {
        let field = "attached_to";
        let bad = || {
            DomainError::invalid(
                field,
                "must be entry_inspection, line:<line id>, part:<line id> or signature:<work_order|accessory_list|settlement>",
            )
        };
        let (kind, rest) = raw.trim().split_once(':').unwrap_or((raw.trim(), ""));
        match (kind, rest) {
            ("entry_inspection", "") => Ok(Self::EntryInspection),
            ("line", id) => Ok(Self::Line { line_id: LineId::parse(field, id)? }),
            ("part", id) => Ok(Self::Part { line_id: LineId::parse(field, id)? }),
            ("signature", doc) => {
                let document =
                    serde_json::from_value(serde_json::Value::String(doc.to_string())).map_err(|_| bad())?;
                Ok(Self::Signature { document })
            }
            _ => Err(bad()),
        }
    }

    /// The form [`AttachedTo::parse`] reads: `entry_inspection`, `line:<id>`, `part:<id>`,
    /// `signature:<document>`.
    pub fn key(self) -> String {
        match self {
            Self::EntryInspection => "entry_inspection".into(),
            Self::Line { line_id } => format!("line:{line_id}"),
            Self::Part { line_id } => format!("part:{line_id}"),
            Self::Signature { document } => {
                let name = serde_json::to_value(document).ok().and_then(|v| v.as_str().map(str::to_string));
                format!("signature:{}", name.unwrap_or_default())
            }
        }
    }

    /// Checks that `order` has the record this names.
    pub fn check(self, order: &WorkOrder) -> crate::Result<()> {
        let field = "attached_to";
        match self {
            Self::EntryInspection => Ok(()),
            Self::Line { line_id } => match order.lines.iter().any(|l| l.id == line_id) {
                true => Ok(()),
                false => {
                    Err(DomainError::invalid(field, format!("line {line_id} is not on this work order")))
                }
            },
            Self::Part { line_id } => match order.lines.iter().find(|l| l.id == line_id) {
                Some(l) if l.kind == LineKind::Part => Ok(()),
                Some(_) => Err(DomainError::invalid(field, format!("line {line_id} is labour, not a part"))),
                None => Err(DomainError::invalid(field, format!("line {line_id} is not on this work order"))),
            },
            Self::Signature { document } => match order.signatures.iter().any(|s| s.document == document) {
                true => Ok(()),
                false => Err(DomainError::FailedPrecondition {
                    code: "attachment.not_signed",
                    message: "that document has not been signed yet".into(),
                }),
            },
        }
    }
}

/// One file attached to one record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// Id.
    pub id: AttachmentId,
    /// Store.
    pub store: StoreCode,
    /// The work order whose record it belongs to.
    pub work_order_id: WorkOrderId,
    /// The record.
    pub attached_to: AttachedTo,
    /// The sniffed type.
    pub content_type: ContentType,
    /// Bytes.
    pub size: u64,
    /// Hex SHA-256 of the bytes: the stored object's name.
    pub sha256: String,
    /// The client's file name, for display only.
    pub file_name: Option<String>,
    /// Who uploaded it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// Hex SHA-256 of `bytes`.
pub fn content_hash(bytes: &[u8]) -> String {
    crate::value::hex(&Sha256::digest(bytes))
}

/// The object key of content `sha256` (the same bytes are one object, whoever sent them).
pub fn object_key(sha256: &str) -> String {
    format!("sha256/{}/{sha256}", &sha256[..2.min(sha256.len())])
}

/// Checks an upload: not empty, within `max`, of an accepted type; answers the type.
pub fn check_upload(bytes: &[u8], max: usize) -> crate::Result<ContentType> {
    if bytes.is_empty() {
        return Err(DomainError::invalid("file", "is empty"));
    }
    if bytes.len() > max {
        return Err(DomainError::TooLarge { limit: max });
    }
    ContentType::sniff(bytes).ok_or(DomainError::UnsupportedType {
        accepted: "JPEG, PNG, HEIC or PDF (sniffed from the file, not its name)",
    })
}

/// Whether files may still be attached to `order` (a closed order's records are final).
pub fn accepts_attachments(order: &WorkOrder) -> crate::Result<()> {
    match order.status {
        WorkOrderStatus::Cancelled => Err(DomainError::FailedPrecondition {
            code: "work_order.invalid_transition",
            message: "work order is cancelled: nothing more is attached to it".into(),
        }),
        WorkOrderStatus::Open
        | WorkOrderStatus::AwaitingApproval
        | WorkOrderStatus::Approved
        | WorkOrderStatus::InProgress
        | WorkOrderStatus::WorkCompleted
        | WorkOrderStatus::ReadyForPickup
        | WorkOrderStatus::Delivered => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wo_14_types_are_sniffed_from_the_bytes_not_the_name() {
        assert_eq!(ContentType::sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]), Some(ContentType::Jpeg));
        assert_eq!(ContentType::sniff(b"\x89PNG\r\n\x1a\n...."), Some(ContentType::Png));
        assert_eq!(ContentType::sniff(b"%PDF-1.7\n"), Some(ContentType::Pdf));
        assert_eq!(ContentType::sniff(b"\0\0\0\x18ftypheic\0\0\0\0"), Some(ContentType::Heic));
        assert_eq!(ContentType::sniff(b"\0\0\0\x18ftypisom\0\0\0\0"), None, "an MP4 is not a photo");
        assert_eq!(ContentType::sniff(b"GIF89a"), None);
        assert_eq!(check_upload(b"", 10).unwrap_err().field_errors()[0].field, "file");
        assert_eq!(check_upload(&[0xFF; 11], 10).unwrap_err().wire().http, 413);
        assert_eq!(check_upload(b"hello", 10).unwrap_err().wire().http, 415);
    }

    #[test]
    fn wo_14_the_target_field_names_its_record() {
        assert_eq!(AttachedTo::parse("entry_inspection").unwrap(), AttachedTo::EntryInspection);
        let id = LineId::generate();
        assert_eq!(AttachedTo::parse(&format!("part:{id}")).unwrap(), AttachedTo::Part { line_id: id });
        assert_eq!(
            AttachedTo::parse("signature:settlement").unwrap(),
            AttachedTo::Signature { document: SignedDocument::Settlement }
        );
        for bad in ["", "line:", "line:xyz", "signature:nope", "photo"] {
            assert_eq!(AttachedTo::parse(bad).unwrap_err().field_errors()[0].field, "attached_to", "{bad}");
        }
        for to in [
            AttachedTo::EntryInspection,
            AttachedTo::Line { line_id: id },
            AttachedTo::Signature { document: SignedDocument::AccessoryList },
        ] {
            assert_eq!(AttachedTo::parse(&to.key()).unwrap(), to);
        }
        let key = object_key(&content_hash(b"x"));
        assert!(key.starts_with("sha256/2d/2d711642"), "{key}");
    }
}
