//! Handing the car back: the customer told, accessories listed, signatures, delivery
//! (WO-7, WO-10).

use super::*;

/// An item left with the store for a long repair (附件交接清单, WO-7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Accessory {
    /// What it is.
    pub name: String,
    /// How many.
    pub quantity: u32,
    /// Where the store keeps it.
    pub stored_at: String,
    /// When it was handed back.
    pub returned_at: Option<DateTime<Utc>>,
}

/// An item as the advisor lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AccessoryInput {
    /// What it is.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100))]
    pub name: String,
    /// How many; default 1.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1000))]
    pub quantity: Option<u32>,
    /// Where the store keeps it.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100))]
    pub stored_at: String,
}

/// A document the customer signs (WO-7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SignedDocument {
    /// The work order (任务委托书).
    WorkOrder,
    /// The accessory handover list (附件交接清单).
    AccessoryList,
    /// The settlement (结算清单).
    Settlement,
}

/// How a signature was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SignatureMethod {
    /// On a signature pad at the counter.
    SignaturePad,
    /// On paper, scanned.
    Paper,
    /// Through a signed link.
    SignedLink,
}

/// A customer's signature on a document (WO-7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Signature {
    /// What was signed.
    pub document: SignedDocument,
    /// Who signed.
    pub signer: String,
    /// How.
    pub method: SignatureMethod,
    /// When.
    pub signed_at: DateTime<Utc>,
    /// Who recorded it.
    pub recorded_by: String,
}

impl WorkOrder {
    /// Tells the customer the car is ready; needs the passed exit inspection (WO-3).
    pub fn notify_customer(&mut self, actor: &str, at: DateTime<Utc>) -> Result<()> {
        self.require("notify-customer", &[WorkOrderStatus::WorkCompleted], "the work is not completed")?;
        if !self.exit_passed || self.certificate_number.is_none() {
            return Err(refuse("notify-customer", self.status, "the exit inspection has not passed (IN-2)"));
        }
        self.record("notify_customer", WorkOrderStatus::ReadyForPickup, actor, at, None);
        Ok(())
    }

    /// Hands the car back; refused without a passed exit inspection and certificate (WO-10).
    /// The warranty starts on the store-local `delivered_on` day (WO-9).
    pub fn deliver(
        &mut self,
        walkaround_notes: &str,
        accessories_returned: bool,
        delivered_on: NaiveDate,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.require("deliver", &[WorkOrderStatus::ReadyForPickup], "the car is not ready for pickup")?;
        if !self.exit_passed || self.certificate_number.is_none() {
            return Err(refuse("deliver", self.status, "no passed exit inspection and certificate (WO-10)"));
        }
        if !self.accessories.is_empty() && !accessories_returned {
            return Err(DomainError::invalid(
                "accessories_returned",
                "the customer confirms the listed accessories were handed back (WO-7)",
            ));
        }
        let notes = walkaround_notes.trim();
        if notes.is_empty() {
            return Err(DomainError::invalid(
                "walkaround_notes",
                "the walk-around with the customer is recorded (IN-4)",
            ));
        }
        self.walkaround_notes = Some(notes.to_string());
        self.delivered_at = Some(at);
        for item in &mut self.accessories {
            item.returned_at = Some(at);
        }
        self.warranty =
            Some(WarrantyEnd::from_delivery(self.repair_category, delivered_on, self.intake_mileage_km));
        self.record("deliver", WorkOrderStatus::Delivered, actor, at, None);
        Ok(())
    }

    /// Lists items the customer leaves with the store (WO-7); before the car is handed back.
    pub fn add_accessories(
        &mut self,
        items: &[AccessoryInput],
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        use WorkOrderStatus::{Cancelled, Delivered};
        if matches!(self.status, Delivered | Cancelled) {
            return Err(refuse("record-accessories", self.status, "the car is no longer with the store"));
        }
        let mut v = Validator::new();
        if items.is_empty() {
            v.push("items", "needs at least one item");
        }
        let added: Vec<Accessory> = items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let name = v.text(&format!("items[{i}].name"), &item.name, crate::error::limits::NAME);
                let stored_at =
                    v.text(&format!("items[{i}].stored_at"), &item.stored_at, crate::error::limits::NAME);
                let quantity = item.quantity.unwrap_or(1);
                if !(1..=1000).contains(&quantity) {
                    v.push(format!("items[{i}].quantity"), "must be between 1 and 1000");
                }
                Accessory { name, quantity, stored_at, returned_at: None }
            })
            .collect();
        v.finish()?;
        self.accessories.extend(added);
        let status = self.status;
        self.record("record_accessories", status, actor, at, None);
        Ok(())
    }

    /// Records the customer's signature on a document (WO-7).
    pub fn sign(&mut self, signature: Signature) -> Result<()> {
        let needs = match signature.document {
            SignedDocument::WorkOrder => None,
            SignedDocument::AccessoryList => {
                self.accessories.is_empty().then_some("there is no accessory list")
            }
            SignedDocument::Settlement => self.settlement.is_none().then_some("there is no settlement yet"),
        };
        if self.status == WorkOrderStatus::Cancelled {
            return Err(refuse("record-signature", self.status, "the order was cancelled"));
        }
        if let Some(why) = needs {
            return Err(refuse("record-signature", self.status, why));
        }
        let signer = signature.signer.trim();
        if signer.is_empty() || signer.chars().count() > 100 || crate::value::has_control_chars(signer) {
            return Err(DomainError::invalid("signer", "must be the signer's name, 1 to 100 characters"));
        }
        self.signatures.push(Signature { signer: signer.to_string(), ..signature });
        Ok(())
    }
}
