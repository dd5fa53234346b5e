//! Printable HTML documents the customer keeps (Chinese labels, A4): the work order, the
//! accessory handover list, the completion certificate and the settlement.
//!
//! Templates are askama (compiled, HTML-escaped); values are formatted here, once.

use aftersales_domain::app::{DocumentData, DocumentKind};
use aftersales_domain::model::work_order::{
    FuelLevel, LineKind, LineStatus, OldPartDisposition, SignedDocument, WorkOrderStatus,
};
use askama::Template;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// A document could not be rendered.
#[derive(Debug, thiserror::Error)]
#[error("document rendering failed: {0}")]
pub struct RenderError(#[from] askama::Error);

/// Formats fen as yuan with two decimals.
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", fen.abs() / 100, fen.abs() % 100)
}

fn decimal(value: u32, scale: u32, places: usize) -> String {
    format!("{}.{:0places$}", value / scale, value % scale)
}

struct Ctx {
    tz: Tz,
}

impl Ctx {
    fn minute(&self, at: DateTime<Utc>) -> String {
        at.with_timezone(&self.tz).format("%Y-%m-%d %H:%M").to_string()
    }
    fn day(&self, at: DateTime<Utc>) -> String {
        at.with_timezone(&self.tz).format("%Y-%m-%d").to_string()
    }
}

fn status_zh(s: WorkOrderStatus) -> &'static str {
    match s {
        WorkOrderStatus::Open => "已接车",
        WorkOrderStatus::AwaitingApproval => "待客户确认",
        WorkOrderStatus::Approved => "客户已确认",
        WorkOrderStatus::InProgress => "维修中",
        WorkOrderStatus::WorkCompleted => "已完工",
        WorkOrderStatus::ReadyForPickup => "待交车",
        WorkOrderStatus::Delivered => "已交车",
        WorkOrderStatus::Cancelled => "已取消",
    }
}

fn line_status_zh(s: LineStatus) -> &'static str {
    match s {
        LineStatus::Proposed => "待确认",
        LineStatus::Approved => "已确认",
        LineStatus::Declined => "客户拒绝",
        LineStatus::Done => "已完成",
    }
}

fn fuel_zh(f: Option<FuelLevel>) -> &'static str {
    match f {
        None => "",
        Some(FuelLevel::Empty) => "空",
        Some(FuelLevel::Quarter) => "1/4",
        Some(FuelLevel::Half) => "1/2",
        Some(FuelLevel::ThreeQuarters) => "3/4",
        Some(FuelLevel::Full) => "满",
    }
}

fn old_part_zh(d: Option<OldPartDisposition>) -> &'static str {
    match d {
        None | Some(OldPartDisposition::NotApplicable) => "无",
        Some(OldPartDisposition::ReturnedToStores) => "以旧换新，交回仓库",
        Some(OldPartDisposition::GivenToCustomer) => "交客户带走",
        Some(OldPartDisposition::Recycled) => "回收处理",
        Some(OldPartDisposition::RetainedForClaim) => "索赔旧件，留存待厂家返还",
    }
}

fn signature(data: &DocumentData, document: SignedDocument, ctx: &Ctx) -> String {
    data.order
        .signatures
        .iter()
        .rev()
        .find(|s| s.document == document)
        .map(|s| format!("{}（{}）", s.signer, ctx.minute(s.signed_at)))
        .unwrap_or_default()
}

/// One printed line.
struct Row {
    kind: &'static str,
    code: String,
    description: String,
    amount_basis: String,
    unit: String,
    amount: String,
    status: &'static str,
}

#[derive(Template)]
#[template(path = "work_order.html")]
struct WorkOrderDoc {
    store_name: String,
    store_code: String,
    number: String,
    printed_on: String,
    customer: String,
    phone: String,
    plate: String,
    vin: String,
    model: String,
    category: &'static str,
    intake_at: String,
    mileage: u32,
    fuel: &'static str,
    promised_at: String,
    advisor: String,
    status: &'static str,
    fault: String,
    lines: Vec<Row>,
    labour_total: String,
    parts_total: String,
    total: String,
    pending: String,
    customer_signature: String,
    /// Entry-inspection thumbnails as `data:` URIs (WO-14).
    photos: Vec<String>,
}

struct Item {
    name: String,
    quantity: u32,
    stored_at: String,
    returned_at: String,
}

#[derive(Template)]
#[template(path = "accessory_list.html")]
struct AccessoryDoc {
    store_name: String,
    store_code: String,
    number: String,
    printed_on: String,
    plate: String,
    customer: String,
    intake_at: String,
    items: Vec<Item>,
    customer_signature: String,
    advisor: String,
}

#[derive(Template)]
#[template(path = "certificate.html")]
struct CertificateDoc {
    store_name: String,
    store_code: String,
    number: String,
    printed_on: String,
    certificate: String,
    customer: String,
    plate: String,
    vin: String,
    model: String,
    category: &'static str,
    intake_on: String,
    inspected_on: String,
    inspector: String,
    warranty_km: u32,
    warranty_days: u32,
}

struct Settled {
    code: String,
    description: String,
    basis: String,
    unit: String,
    amount: String,
    old_part: &'static str,
}

#[derive(Template)]
#[template(path = "settlement.html")]
struct SettlementDoc {
    store_name: String,
    store_code: String,
    number: String,
    printed_on: String,
    customer: String,
    company: String,
    phone: String,
    plate: String,
    vin: String,
    model: String,
    category: &'static str,
    intake_on: String,
    settled_on: String,
    mileage: u32,
    certificate: String,
    labour: Vec<Settled>,
    parts: Vec<Settled>,
    labour_total: String,
    parts_total: String,
    total: String,
    discount: String,
    due: String,
    /// Each other payer's share, Chinese name and yuan (issue 14).
    receivables: Vec<(&'static str, String)>,
    paid: String,
    payment: &'static str,
    warranty_until: String,
    warranty_km: u32,
    customer_signature: String,
    advisor: String,
}

/// Renders a document as a complete HTML page.
pub fn render(kind: DocumentKind, data: &DocumentData, now: DateTime<Utc>) -> Result<String, RenderError> {
    let ctx = Ctx { tz: data.store.timezone };
    let o = &data.order;
    let store_name = data.store.name.clone();
    let store_code = data.store.code.to_string();
    let printed_on = ctx.day(now);
    let plate = o.plate.as_ref().map(ToString::to_string).unwrap_or_default();
    let model = format!("{} {}", data.vehicle.make, data.vehicle.model);
    let customer = data.customer.customer.name.clone();
    let html = match kind {
        DocumentKind::WorkOrder => {
            let totals = o.totals();
            WorkOrderDoc {
                store_name,
                store_code,
                number: o.number.clone(),
                printed_on,
                customer,
                phone: data.customer.customer.phone.as_str().to_string(),
                plate,
                vin: o.vin.to_string(),
                model,
                category: o.repair_category.label_zh(),
                intake_at: ctx.minute(o.created_at),
                mileage: o.intake_mileage_km,
                fuel: fuel_zh(o.fuel_level),
                promised_at: ctx.minute(o.promised_at),
                advisor: data.advisor_name.clone(),
                status: status_zh(o.status),
                fault: o.fault_description.clone(),
                lines: o
                    .lines
                    .iter()
                    .map(|l| {
                        let labour = l.kind == LineKind::Labour;
                        Row {
                            kind: if labour { "工时" } else { "配件" },
                            code: l.code.clone(),
                            description: l.description.clone(),
                            amount_basis: if labour {
                                format!("{} 小时", decimal(l.hours_hundredths, 100, 2))
                            } else {
                                decimal(l.quantity_milli, 1000, 3)
                            },
                            unit: yuan(if labour { l.rate_fen } else { l.unit_price_fen }),
                            amount: yuan(l.amount_fen),
                            status: line_status_zh(l.status),
                        }
                    })
                    .collect(),
                labour_total: yuan(totals.labour_fen),
                parts_total: yuan(totals.parts_fen),
                total: yuan(totals.total_fen),
                pending: yuan(totals.pending_fen),
                customer_signature: signature(data, SignedDocument::WorkOrder, &ctx),
                photos: data.entry_photos.iter().filter_map(|(_, bytes)| thumbnail(bytes)).collect(),
            }
            .render()?
        }
        DocumentKind::AccessoryList => AccessoryDoc {
            store_name,
            store_code,
            number: o.number.clone(),
            printed_on,
            plate,
            customer,
            intake_at: ctx.minute(o.created_at),
            items: o
                .accessories
                .iter()
                .map(|a| Item {
                    name: a.name.clone(),
                    quantity: a.quantity,
                    stored_at: a.stored_at.clone(),
                    returned_at: a.returned_at.map(|t| ctx.minute(t)).unwrap_or_else(|| "未归还".into()),
                })
                .collect(),
            customer_signature: signature(data, SignedDocument::AccessoryList, &ctx),
            advisor: data.advisor_name.clone(),
        }
        .render()?,
        DocumentKind::Certificate => {
            let inspection = data.exit_inspection.as_ref();
            let terms = o.repair_category.warranty();
            CertificateDoc {
                store_name,
                store_code,
                number: o.number.clone(),
                printed_on,
                certificate: o.certificate_number.clone().unwrap_or_default(),
                customer,
                plate,
                vin: o.vin.to_string(),
                model,
                category: o.repair_category.label_zh(),
                intake_on: ctx.day(o.created_at),
                inspected_on: inspection.map(|i| ctx.day(i.submitted_at)).unwrap_or_default(),
                inspector: data.inspector_name.clone().unwrap_or_default(),
                warranty_km: inspection.and_then(|i| i.warranty).unwrap_or(terms).km,
                warranty_days: inspection.and_then(|i| i.warranty).unwrap_or(terms).days,
            }
            .render()?
        }
        DocumentKind::Settlement => {
            let Some(s) = o.settlement.as_ref() else {
                return Ok(String::new());
            };
            SettlementDoc {
                store_name: s.store_name.clone(),
                store_code,
                number: s.number.clone(),
                printed_on,
                customer: s.customer_name.clone(),
                company: s.customer_company.clone().unwrap_or_default(),
                phone: s.customer_phone.clone(),
                plate: s.plate.clone().unwrap_or_default(),
                vin: s.vin.clone(),
                model: s.vehicle_model.clone(),
                category: s.repair_category.label_zh(),
                intake_on: ctx.day(s.intake_at),
                settled_on: ctx.day(s.settled_at),
                mileage: s.intake_mileage_km,
                certificate: s.certificate_number.clone(),
                labour: s
                    .labour
                    .iter()
                    .map(|l| Settled {
                        code: l.code.clone(),
                        description: l.description.clone(),
                        basis: decimal(l.hours_hundredths, 100, 2),
                        unit: yuan(l.rate_fen),
                        amount: yuan(l.amount_fen),
                        old_part: "",
                    })
                    .collect(),
                parts: s
                    .parts
                    .iter()
                    .map(|p| Settled {
                        code: p.code.clone(),
                        description: p.name.clone(),
                        basis: decimal(p.quantity_milli, 1000, 3),
                        unit: yuan(p.unit_price_fen),
                        amount: yuan(p.amount_fen),
                        old_part: old_part_zh(p.old_part),
                    })
                    .collect(),
                labour_total: yuan(s.labour_fen),
                parts_total: yuan(s.parts_fen),
                total: yuan(s.total_fen),
                discount: yuan(s.discount_fen),
                due: yuan(s.amount_due_fen),
                receivables: s
                    .receivables
                    .iter()
                    .map(|r| (r.payer.label_zh(), yuan(r.total_fen)))
                    .chain((s.on_account_fen > 0).then(|| ("客户挂账", yuan(s.on_account_fen))))
                    .collect(),
                paid: yuan(s.amount_paid_fen),
                payment: s.payment_method.label_zh(),
                warranty_until: s.warranty_until_date.to_string(),
                warranty_km: s.warranty_until_km,
                customer_signature: signature(data, SignedDocument::Settlement, &ctx),
                advisor: data.advisor_name.clone(),
            }
            .render()?
        }
    };
    Ok(html)
}

/// The longest side of a thumbnail, pixels.
const THUMB_PX: u32 = 240;

/// A JPEG thumbnail of a JPEG or PNG photo as a `data:` URI; `None` for bytes that do not decode
/// (the page then shows the other photos).
fn thumbnail(bytes: &[u8]) -> Option<String> {
    use base64::Engine;
    let image = image::load_from_memory(bytes).ok()?;
    let small = image.thumbnail(THUMB_PX, THUMB_PX).to_rgb8();
    let mut out = std::io::Cursor::new(Vec::new());
    small.write_to(&mut out, image::ImageFormat::Jpeg).ok()?;
    Some(format!(
        "data:image/jpeg;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(out.into_inner())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    // WO-8: money prints exactly.
    #[test]
    fn fen_print_as_yuan_with_two_decimals() {
        assert_eq!(yuan(0), "0.00");
        assert_eq!(yuan(5), "0.05");
        assert_eq!(yuan(123_456), "1234.56");
        assert_eq!(yuan(-150), "-1.50");
        assert_eq!(decimal(150, 100, 2), "1.50");
        assert_eq!(decimal(1500, 1000, 3), "1.500");
    }
}
