//! Settlement: the frozen bill, who paid and how (WO-8).

use super::*;

/// How the customer paid (WO-10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    /// 现金.
    Cash,
    /// 银行卡.
    BankCard,
    /// 微信支付.
    WechatPay,
    /// 支付宝.
    Alipay,
    /// 转账.
    BankTransfer,
    /// 保险理赔.
    Insurance,
    /// Nothing to pay (e.g. a warranty comeback).
    Waived,
    /// Left on the fleet account's credit (挂账), to be paid later (issue 14).
    OnAccount,
}

impl PaymentMethod {
    /// Returns the Chinese name printed on the settlement.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Cash => "现金",
            Self::BankCard => "银行卡",
            Self::WechatPay => "微信支付",
            Self::Alipay => "支付宝",
            Self::BankTransfer => "转账",
            Self::Insurance => "保险理赔",
            Self::Waived => "免费",
            Self::OnAccount => "挂账",
        }
    }
}

/// A payment the front desk took before handover (issue 14): a deposit at reception, or part of
/// the bill; what is still due is paid at delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PaymentRecord {
    /// A deposit (定金) rather than a payment toward the bill.
    pub deposit: bool,
    /// Amount, fen.
    pub amount_fen: i64,
    /// How.
    pub method: PaymentMethod,
    /// Who took it.
    pub recorded_by: String,
    /// When.
    pub recorded_at: DateTime<Utc>,
}

/// Takes a payment before handover (issue 14).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TakePayment {
    /// Amount, fen.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1_000_000_000))]
    pub amount_fen: i64,
    /// How (not `waived`).
    pub method: PaymentMethod,
    /// A deposit taken at reception (定金); default false.
    pub deposit: Option<bool>,
}

/// A labour line as settled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SettledLabour {
    /// Operation code.
    pub code: String,
    /// What was done.
    pub description: String,
    /// Hours in hundredths.
    pub hours_hundredths: u32,
    /// Rate per hour, fen.
    pub rate_fen: i64,
    /// Amount, fen.
    pub amount_fen: i64,
}

/// A part as settled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SettledPart {
    /// Part code.
    pub code: String,
    /// Part name.
    pub name: String,
    /// Quantity in thousandths.
    pub quantity_milli: u32,
    /// Unit price, fen.
    pub unit_price_fen: i64,
    /// Amount, fen.
    pub amount_fen: i64,
    /// What happened to the old part (WO-6).
    pub old_part: Option<OldPartDisposition>,
}

/// The settlement (结算清单, JT/T 1133), frozen at delivery and never changed (WO-10).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Settlement {
    /// Settlement number, unique per store.
    pub number: String,
    /// When it was settled.
    pub settled_at: DateTime<Utc>,
    /// Store code.
    pub store_code: String,
    /// Store name.
    pub store_name: String,
    /// Customer name.
    pub customer_name: String,
    /// Customer phone, masked.
    pub customer_phone: String,
    /// Company, for fleet customers.
    pub customer_company: Option<String>,
    /// Plate.
    pub plate: Option<String>,
    /// VIN.
    pub vin: String,
    /// Make and model.
    pub vehicle_model: String,
    /// Repair category.
    pub repair_category: RepairCategory,
    /// When the car came in.
    pub intake_at: DateTime<Utc>,
    /// Odometer at intake.
    pub intake_mileage_km: u32,
    /// Completion certificate number.
    pub certificate_number: String,
    /// Labour, line by line.
    pub labour: Vec<SettledLabour>,
    /// Parts, line by line.
    pub parts: Vec<SettledPart>,
    /// Labour total, fen.
    pub labour_fen: i64,
    /// Parts total, fen.
    pub parts_fen: i64,
    /// Labour plus parts, fen.
    pub total_fen: i64,
    /// Discount, fen.
    pub discount_fen: i64,
    /// Amount due from the customer: their share less the discount, fen.
    pub amount_due_fen: i64,
    /// What others owe the store for this order: insurer, manufacturer, the store's own accounts
    /// (issue 14); none on settlements from before payers were kept, all the customer's.
    #[serde(default)]
    pub receivables: Vec<PayerShare>,
    /// Amount paid, fen: every payment, deposits included.
    pub amount_paid_fen: i64,
    /// Left on the fleet account's credit (挂账), fen: due and not paid (issue 14).
    #[serde(default)]
    pub on_account_fen: i64,
    /// How the last of it was paid.
    pub payment_method: PaymentMethod,
    /// Every payment, deposits included, the one at delivery last (issue 14).
    #[serde(default)]
    pub payments: Vec<PaymentRecord>,
    /// Warranty end (WO-9).
    pub warranty_until_date: NaiveDate,
    /// Warranty end odometer (WO-9).
    pub warranty_until_km: u32,
}

/// Who is named on a settlement, as they were at delivery (WO-10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettlementParties {
    /// Store name.
    pub store_name: String,
    /// Customer name.
    pub customer_name: String,
    /// Customer phone, masked.
    pub customer_phone: String,
    /// Customer company.
    pub customer_company: Option<String>,
    /// Make and model.
    pub vehicle_model: String,
}

/// What the front desk records about the payment at delivery (WO-10).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    /// Discount, fen.
    pub discount_fen: i64,
    /// Amount paid, fen.
    pub amount_paid_fen: i64,
    /// How.
    pub method: PaymentMethod,
    /// Whether the customer is a fleet account with credit (挂账), who may leave the rest on
    /// account (issue 14).
    pub credit: bool,
}

/// Checks the payment at delivery against the customer's agreed share and what they paid before
/// (deposits, part payments); returns the amount due (WO-8, WO-10). The customer's share is paid
/// in full before handover, except by a fleet account with credit, which may leave the rest on
/// account (挂账, issue 14). The other payers' shares are receivables, not paid at the counter.
pub fn check_payment(total_fen: i64, paid_before_fen: i64, payment: &Payment) -> Result<i64> {
    let mut v = Validator::new();
    if !(0..=total_fen).contains(&payment.discount_fen) {
        v.push("discount_fen", format!("must be between 0 and the customer's share of {total_fen} fen"));
    }
    let due = total_fen - payment.discount_fen.clamp(0, total_fen);
    let rest = due - paid_before_fen;
    let paid = payment.amount_paid_fen;
    let before =
        if paid_before_fen > 0 { format!(" ({paid_before_fen} fen paid before)") } else { String::new() };
    if rest < 0 {
        v.push("amount_paid_fen", format!("{paid_before_fen} fen were paid before, more than the {due} fen due: refund the difference first"));
    } else if payment.credit && !(0..=rest).contains(&paid) {
        v.push(
            "amount_paid_fen",
            format!("must be at most the amount due, {rest} fen{before}; the rest stays on account"),
        );
    } else if !payment.credit && paid != rest {
        v.push("amount_paid_fen", format!("must equal the amount due, {rest} fen{before}"));
    }
    let method = payment.method;
    let nothing_due = rest <= 0;
    let left = rest > 0 && paid < rest;
    let complaint = match method {
        PaymentMethod::Waived if !nothing_due => Some("waived is only for nothing due"),
        PaymentMethod::OnAccount if !payment.credit => {
            Some("on_account is for a fleet account with credit (挂账); this customer pays in full")
        }
        PaymentMethod::OnAccount if paid > 0 || !left => {
            Some("on_account leaves the whole rest on account: nothing is paid now")
        }
        PaymentMethod::Waived | PaymentMethod::OnAccount => None,
        PaymentMethod::Cash
        | PaymentMethod::BankCard
        | PaymentMethod::WechatPay
        | PaymentMethod::Alipay
        | PaymentMethod::BankTransfer
        | PaymentMethod::Insurance => {
            if nothing_due {
                Some("must be waived when nothing is due")
            } else if paid == 0 {
                Some("nothing is paid now: on_account leaves the rest on the fleet account")
            } else {
                None
            }
        }
    };
    if let Some(why) = complaint {
        v.push("payment_method", why);
    }
    v.finish()?;
    Ok(due)
}

impl WorkOrder {
    /// Takes a deposit or a part payment before handover (issue 14).
    pub fn take_payment(&mut self, cmd: &TakePayment, actor: &str, at: DateTime<Utc>) -> Result<()> {
        let mut v = Validator::new();
        if !(1..=MAX_PRICE_FEN).contains(&cmd.amount_fen) {
            v.push("amount_fen", format!("must be 1 to {MAX_PRICE_FEN} fen"));
        }
        if matches!(cmd.method, PaymentMethod::Waived | PaymentMethod::OnAccount) {
            v.push("method", "a payment is money taken: neither waived nor on account");
        }
        v.finish()?;
        if matches!(self.status, WorkOrderStatus::Delivered | WorkOrderStatus::Cancelled) {
            return Err(refuse("take a payment for", self.status, "it is closed"));
        }
        self.payments.push(PaymentRecord {
            deposit: cmd.deposit.unwrap_or(false),
            amount_fen: cmd.amount_fen,
            method: cmd.method,
            recorded_by: actor.to_string(),
            recorded_at: at,
        });
        Ok(())
    }
}

/// A settlement voided by the finance desk (红冲): the document as it was, the reversal's number,
/// why, and the settlement that replaced it; kept for good (issue 14).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VoidedSettlement {
    /// The settlement as it was issued.
    pub settlement: Settlement,
    /// The reversal document's number: the voided number with `-R`.
    pub reversal_number: String,
    /// Why it was voided.
    pub reason: String,
    /// Who voided it (a supervisor).
    pub voided_by: String,
    /// When.
    pub voided_at: DateTime<Utc>,
    /// The number of the settlement issued in its place.
    pub replaced_by: String,
}

/// A line's payer corrected when a settlement is voided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PayerChange {
    /// The line.
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub line_id: LineId,
    /// Its payer from now on.
    pub payer: Payer,
}

/// Voids a delivered order's settlement (红冲) and issues a new one with the corrections.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VoidSettlement {
    /// Why.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 500))]
    pub reason: String,
    /// The corrected discount, fen; the voided settlement's when absent.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1_000_000_000))]
    pub discount_fen: Option<i64>,
    /// Lines whose payer was wrong.
    #[serde(default)]
    pub payers: Vec<PayerChange>,
    /// How the difference is paid or refunded, when the customer's amount due changes.
    pub payment_method: Option<PaymentMethod>,
}

/// What a settlement records of the money, beside the lines.
struct Billing {
    number: String,
    settled_at: DateTime<Utc>,
    discount_fen: i64,
    amount_due_fen: i64,
    payment_method: PaymentMethod,
    payments: Vec<PaymentRecord>,
}

impl WorkOrder {
    /// Draws the settlement of the order's agreed lines as they stand.
    fn bill(&self, parties: SettlementParties, billing: Billing) -> Result<Settlement> {
        let (Some(warranty), Some(certificate)) = (self.warranty, self.certificate_number.clone()) else {
            return Err(refuse("settle", self.status, "the order is not delivered"));
        };
        let totals = self.totals();
        let agreed = |l: &&WorkOrderLine| matches!(l.status, LineStatus::Done | LineStatus::Approved);
        let Billing { number, settled_at, discount_fen, amount_due_fen, payment_method, payments } = billing;
        let amount_paid_fen: i64 = payments.iter().map(|p| p.amount_fen).sum();
        Ok(Settlement {
            number,
            settled_at,
            store_code: self.store.to_string(),
            store_name: parties.store_name,
            customer_name: parties.customer_name,
            customer_phone: parties.customer_phone,
            customer_company: parties.customer_company,
            plate: self.plate.as_ref().map(Plate::to_string),
            vin: self.vin.to_string(),
            vehicle_model: parties.vehicle_model,
            repair_category: self.repair_category,
            intake_at: self.created_at,
            intake_mileage_km: self.intake_mileage_km,
            certificate_number: certificate,
            labour: self
                .lines
                .iter()
                .filter(agreed)
                .filter(|l| l.kind == LineKind::Labour)
                .map(|l| SettledLabour {
                    code: l.code.clone(),
                    description: l.description.clone(),
                    hours_hundredths: l.hours_hundredths,
                    rate_fen: l.rate_fen,
                    amount_fen: l.amount_fen,
                })
                .collect(),
            parts: self
                .lines
                .iter()
                .filter(agreed)
                .filter(|l| l.kind == LineKind::Part)
                .map(|l| SettledPart {
                    code: l.code.clone(),
                    name: l.description.clone(),
                    quantity_milli: l.quantity_milli,
                    unit_price_fen: l.unit_price_fen,
                    amount_fen: l.amount_fen,
                    old_part: l.old_part,
                })
                .collect(),
            labour_fen: totals.labour_fen,
            parts_fen: totals.parts_fen,
            total_fen: totals.total_fen,
            discount_fen,
            amount_due_fen,
            receivables: totals.by_payer.iter().filter(|s| s.payer != Payer::Customer).copied().collect(),
            amount_paid_fen,
            on_account_fen: (amount_due_fen - amount_paid_fen).max(0),
            payment_method,
            payments,
            warranty_until_date: warranty.until_date,
            warranty_until_km: warranty.until_km,
        })
    }

    /// Freezes the settlement of a just-delivered order (WO-10) and builds the manufacturer's
    /// claim for its warranty lines; after this only a void (红冲) replaces it.
    pub fn settle(&mut self, parties: SettlementParties, number: String, payment: &Payment) -> Result<()> {
        let Some(settled_at) = self.delivered_at else {
            return Err(refuse("settle", self.status, "the order is not delivered"));
        };
        self.check_insurance_settles()?;
        let totals = self.totals();
        let paid_before: i64 = self.payments.iter().map(|p| p.amount_fen).sum();
        let due = check_payment(totals.share_of(Payer::Customer), paid_before, payment)?;
        let mut payments = self.payments.clone();
        if payment.amount_paid_fen > 0 {
            payments.push(PaymentRecord {
                deposit: false,
                amount_fen: payment.amount_paid_fen,
                method: payment.method,
                recorded_by: self.events.last().map(|e| e.actor.clone()).unwrap_or_default(),
                recorded_at: settled_at,
            });
        }
        self.warranty_claim = self.build_warranty_claim(settled_at)?;
        let billing = Billing {
            number,
            settled_at,
            discount_fen: payment.discount_fen,
            amount_due_fen: due,
            payment_method: payment.method,
            payments,
        };
        self.settlement = Some(self.bill(parties, billing)?);
        Ok(())
    }

    /// Voids the settlement of a delivered order (红冲) and issues `number` in its place, with the
    /// corrected payers and discount; a changed amount due is paid or refunded by
    /// `payment_method`. Both stay on record (issue 14).
    pub fn void_settlement(
        &mut self,
        cmd: &VoidSettlement,
        number: String,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.require(
            "void the settlement of",
            &[WorkOrderStatus::Delivered],
            "only a delivered order is settled",
        )?;
        let Some(old) = self.settlement.clone() else {
            return Err(refuse("void the settlement of", self.status, "it has no settlement"));
        };
        let mut v = Validator::new();
        let reason = v.text("reason", &cmd.reason, crate::error::limits::LINE);
        let claimed = self.warranty_claim.as_ref().is_some_and(|c| c.status != WarrantyClaimStatus::Open);
        for (i, change) in cmd.payers.iter().enumerate() {
            let field = format!("payers[{i}]");
            let Some(line) = self.lines.iter_mut().find(|l| l.id == change.line_id) else {
                v.push(format!("{field}.line_id"), "is not a line of this order");
                continue;
            };
            if !matches!(line.status, LineStatus::Done | LineStatus::Approved) {
                v.push(format!("{field}.line_id"), "was not settled: the customer declined it");
            }
            let warranty = [line.payer, change.payer].contains(&Payer::ManufacturerWarranty);
            if warranty && claimed {
                v.push(
                    format!("{field}.payer"),
                    "the manufacturer's claim was submitted; its lines stay as claimed",
                );
            }
            if change.payer == Payer::ManufacturerWarranty && line.fault_code.is_none() {
                v.push(format!("{field}.payer"), "a warranty line needs a fault code");
            }
            line.payer = change.payer;
        }
        let share = self.totals().share_of(Payer::Customer);
        let discount = cmd.discount_fen.unwrap_or(old.discount_fen);
        if !(0..=share).contains(&discount) {
            v.push("discount_fen", format!("must be between 0 and the customer's share of {share} fen"));
        }
        let due = share - discount.clamp(0, share);
        // A fleet account's changed amount moves its credit (挂账); only a refund changes hands.
        let credit = old.on_account_fen > 0 || old.payment_method == PaymentMethod::OnAccount;
        let owed = due - old.amount_paid_fen;
        let difference = if credit { owed.min(0) } else { owed };
        let method =
            cmd.payment_method.filter(|m| !matches!(m, PaymentMethod::Waived | PaymentMethod::OnAccount));
        match (difference, cmd.payment_method, method) {
            (0, None, _) => {}
            (0, Some(_), _) => {
                v.push("payment_method", "nothing changes hands: the amount due is what was paid")
            }
            (_, _, None) => v.push(
                "payment_method",
                format!(
                    "the customer's amount due changes by {difference} fen: say how it is paid or refunded"
                ),
            ),
            _ => {}
        }
        v.finish()?;
        self.check_insurance_settles()?;
        if !claimed {
            self.warranty_claim = self.build_warranty_claim(at)?;
        }
        let mut payments = old.payments.clone();
        if let Some(method) = method.filter(|_| difference != 0) {
            payments.push(PaymentRecord {
                deposit: false,
                amount_fen: difference,
                method,
                recorded_by: actor.to_string(),
                recorded_at: at,
            });
        }
        let parties = SettlementParties {
            store_name: old.store_name.clone(),
            customer_name: old.customer_name.clone(),
            customer_phone: old.customer_phone.clone(),
            customer_company: old.customer_company.clone(),
            vehicle_model: old.vehicle_model.clone(),
        };
        let billing = Billing {
            number: number.clone(),
            settled_at: at,
            discount_fen: discount,
            amount_due_fen: due,
            payment_method: method.filter(|_| difference != 0).unwrap_or(old.payment_method),
            payments,
        };
        self.settlement = Some(self.bill(parties, billing)?);
        self.voided_settlements.push(VoidedSettlement {
            reversal_number: format!("{}-R", old.number),
            settlement: old,
            reason: reason.clone(),
            voided_by: actor.to_string(),
            voided_at: at,
            replaced_by: number,
        });
        let status = self.status;
        self.record("void_settlement", status, actor, at, Some(reason));
        Ok(())
    }
}
