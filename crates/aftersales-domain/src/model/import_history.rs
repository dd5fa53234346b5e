//! Moving a store in (issue 15): a service-history sheet from an old DMS, a row per line of a
//! past delivered order with the order's own columns repeated on each of its rows. Each row is
//! checked by the API's rules for lines (WO-8: money exact to the fen), the rows of one order are
//! gathered, and the order is accepted or refused whole, every refused row named in the report.
//! Pure rules: reading the sheet and writing the orders are the adapters' part.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

mod sanbao;
mod values;

pub(crate) use sanbao::tag_cells;
pub(crate) use values::wire;
pub use values::{parse_category, parse_method, parse_yuan, yuan};

use crate::error::Validator;
use crate::model::import::{Header, Problem, SheetColumn, parse_date, problem};
use crate::model::work_order::{
    LineInput, LineKind, LineOrigin, LineStatus, PaymentMethod, RepairCategory, WorkOrderLine, build_line,
    totals,
};

/// A column the service-history sheet may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HistoryColumn {
    /// 工单号: the old system's order number, kept as the order's number.
    OrderNumber,
    /// 车架号: the car, which must be on file (import the customer sheet first).
    Vin,
    /// 进厂日期 (default: the delivery date).
    IntakeDate,
    /// 交车日期.
    DeliveredDate,
    /// 进厂里程.
    MileageKm,
    /// 维修类别 (WO-2), by its Chinese name or wire name.
    RepairCategory,
    /// 故障描述.
    FaultDescription,
    /// 服务顾问.
    Advisor,
    /// 项目类型: 工时 (labour) or 配件 (part).
    LineKind,
    /// 项目代码 / 配件编号.
    Code,
    /// 项目名称 / 配件名称.
    Description,
    /// 数量: hours for labour, quantity for a part.
    Quantity,
    /// 单价 in yuan: the hourly rate for labour, the unit price for a part.
    UnitPrice,
    /// 金额 in yuan, checked against quantity x unit price.
    Amount,
    /// 优惠 in yuan, for the whole order.
    Discount,
    /// 应收金额 in yuan: the order's lines less its discount, checked.
    Total,
    /// 付款方式 (default: cash; nothing due: waived).
    PaymentMethod,
    /// 合格证号.
    CertificateNumber,
    /// 结算单号 (default: the order number).
    SettlementNumber,
    /// 故障代码: the line's fault code; a line with one counts toward the car's 三包 standing
    /// (its repairs count per problem).
    FaultCode,
    /// 三包系统: the system the line is on (发动机, 变速器, 制动系统...).
    SanbaoSystem,
    /// 严重安全故障: 是 or 否.
    SeriousSafety,
    /// 更换类型: 总成 (assembly) or 主要零部件 (main part), for a part line.
    Replacement,
    /// 早期故障: the early failure the line repaired (转向系统失效...).
    EarlyFailure,
}

impl SheetColumn for HistoryColumn {
    const COLUMNS: &'static [Self] = &HistoryColumn::ALL;
    const REQUIRED: &'static [Self] = &[
        HistoryColumn::OrderNumber,
        HistoryColumn::Vin,
        HistoryColumn::DeliveredDate,
        HistoryColumn::MileageKm,
        HistoryColumn::RepairCategory,
    ];

    fn names(self) -> &'static [&'static str] {
        use HistoryColumn as H;
        match self {
            H::OrderNumber => &["order_number", "工单号", "委托书号", "维修单号", "工单编号"],
            H::Vin => &["vin", "车架号", "VIN码", "车辆识别代号"],
            H::IntakeDate => &["intake_date", "进厂日期", "进站日期", "接车日期"],
            H::DeliveredDate => &["delivered_date", "交车日期", "出厂日期", "结算日期"],
            H::MileageKm => &["mileage_km", "进厂里程", "里程", "行驶里程"],
            H::RepairCategory => &["repair_category", "维修类别", "维修类型"],
            H::FaultDescription => &["fault_description", "故障描述", "客户描述", "报修内容"],
            H::Advisor => &["advisor", "服务顾问", "接待员"],
            H::LineKind => &["line_kind", "项目类型", "类型"],
            H::Code => &["code", "项目代码", "配件编号", "编码"],
            H::Description => &["description", "项目名称", "配件名称", "名称"],
            H::Quantity => &["quantity", "数量", "工时数"],
            H::UnitPrice => &["unit_price", "单价", "工时单价"],
            H::Amount => &["amount", "金额"],
            H::Discount => &["discount", "优惠", "优惠金额", "折扣金额"],
            H::Total => &["total", "应收金额", "合计"],
            H::PaymentMethod => &["payment_method", "付款方式", "支付方式"],
            H::CertificateNumber => &["certificate_number", "合格证号", "出厂合格证号"],
            H::SettlementNumber => &["settlement_number", "结算单号"],
            H::FaultCode => &["fault_code", "故障代码", "故障码"],
            H::SanbaoSystem => &["sanbao_system", "三包系统", "所属系统"],
            H::SeriousSafety => &["serious_safety", "严重安全故障", "严重安全性能故障"],
            H::Replacement => &["replacement", "更换类型", "更换"],
            H::EarlyFailure => &["early_failure", "早期故障"],
        }
    }
}

impl HistoryColumn {
    /// Every column, in the order the documented template lists them.
    pub const ALL: [HistoryColumn; 24] = [
        HistoryColumn::OrderNumber,
        HistoryColumn::Vin,
        HistoryColumn::IntakeDate,
        HistoryColumn::DeliveredDate,
        HistoryColumn::MileageKm,
        HistoryColumn::RepairCategory,
        HistoryColumn::FaultDescription,
        HistoryColumn::Advisor,
        HistoryColumn::LineKind,
        HistoryColumn::Code,
        HistoryColumn::Description,
        HistoryColumn::Quantity,
        HistoryColumn::UnitPrice,
        HistoryColumn::Amount,
        HistoryColumn::Discount,
        HistoryColumn::Total,
        HistoryColumn::PaymentMethod,
        HistoryColumn::CertificateNumber,
        HistoryColumn::SettlementNumber,
        HistoryColumn::FaultCode,
        HistoryColumn::SanbaoSystem,
        HistoryColumn::SeriousSafety,
        HistoryColumn::Replacement,
        HistoryColumn::EarlyFailure,
    ];

    /// Whether the column belongs to the order, the same on each of its rows (else to the line).
    pub fn of_order(self) -> bool {
        use HistoryColumn as H;
        !matches!(
            self,
            H::LineKind
                | H::Code
                | H::Description
                | H::Quantity
                | H::UnitPrice
                | H::Amount
                | H::FaultCode
                | H::SanbaoSystem
                | H::SeriousSafety
                | H::Replacement
                | H::EarlyFailure
        )
    }

    /// The order's columns, in the template's order.
    fn order_columns() -> impl Iterator<Item = HistoryColumn> {
        HistoryColumn::ALL.into_iter().filter(|c| c.of_order())
    }
}

/// An order as its rows name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderHead {
    /// The old system's number.
    pub number: String,
    /// The car's VIN as written.
    pub vin: String,
    /// The intake day, store-local.
    pub intake_date: NaiveDate,
    /// The delivery day, store-local.
    pub delivered_date: NaiveDate,
    /// The odometer at intake.
    pub mileage_km: u32,
    /// The repair category (WO-2).
    pub category: RepairCategory,
    /// The customer's account of the fault.
    pub fault_description: String,
    /// The advisor, as the old system named them.
    pub advisor: Option<String>,
    /// The order's discount, fen.
    pub discount_fen: i64,
    /// The amount due the sheet states, fen, when it states one.
    pub total_fen: Option<i64>,
    /// How it was paid, when the sheet says.
    pub payment_method: Option<PaymentMethod>,
    /// The completion certificate's number.
    pub certificate_number: Option<String>,
    /// The settlement's number.
    pub settlement_number: Option<String>,
}

/// One checked row: its order's columns and its line, if it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryRow {
    /// The sheet's row number.
    pub row: u64,
    /// The order's columns.
    pub head: OrderHead,
    /// The row's line, done.
    pub line: Option<WorkOrderLine>,
    /// The order's cells as written, to find a row of the order that says otherwise.
    order_cells: Vec<String>,
}

/// The column a line's field error belongs to.
fn line_column(field: &str) -> Option<HistoryColumn> {
    match field.rsplit('.').next().unwrap_or_default() {
        "code" => Some(HistoryColumn::Code),
        "description" => Some(HistoryColumn::Description),
        "hours" | "quantity" => Some(HistoryColumn::Quantity),
        "rate_fen" | "unit_price_fen" => Some(HistoryColumn::UnitPrice),
        "fault_code" => Some(HistoryColumn::FaultCode),
        "replacement" => Some(HistoryColumn::Replacement),
        _ => None,
    }
}

/// Checks one data row of a service-history sheet; `row` is its sheet row number.
pub fn check_history_row(
    header: &Header<HistoryColumn>,
    row: u64,
    cells: &[&str],
) -> Result<HistoryRow, Vec<Problem>> {
    use HistoryColumn as H;
    let cell = |c: H| header.cell(cells, c);
    let text = |c: H| Some(cell(c)).filter(|s| !s.is_empty()).map(str::to_string);
    let mut problems = Vec::new();
    let mut bad =
        |c: H, rule: &str, message: &str| problems.push(problem(row, Some(c), cell(c), rule, message));
    let number = cell(H::OrderNumber);
    if number.is_empty() {
        bad(H::OrderNumber, "required", "the order number is required");
    } else if number.chars().count() > 40 || crate::value::has_control_chars(number) {
        bad(H::OrderNumber, "too_long", "at most 40 characters");
    }
    if let Err(e) = crate::value::Vin::parse(cell(H::Vin)) {
        bad(H::Vin, "vin", &e);
    }
    let date = |c: H, bad: &mut dyn FnMut(H, &str, &str)| match parse_date(cell(c)) {
        Some(d) => Some(d),
        None if cell(c).is_empty() && c == H::IntakeDate => None,
        None => {
            bad(c, "date", "must be a date such as 2024-03-15");
            None
        }
    };
    let delivered = date(H::DeliveredDate, &mut bad);
    let intake = date(H::IntakeDate, &mut bad).or(delivered);
    if let (Some(i), Some(d)) = (intake, delivered)
        && i > d
    {
        bad(H::IntakeDate, "date.order", "the car cannot come in after it was delivered");
    }
    let mileage = cell(H::MileageKm).replace(',', "").parse::<u32>().ok().filter(|km| *km <= 2_000_000);
    if mileage.is_none() {
        bad(H::MileageKm, "mileage", "must be whole kilometres from 0 to 2,000,000");
    }
    let category = parse_category(cell(H::RepairCategory));
    if category.is_none() {
        bad(
            H::RepairCategory,
            "repair_category",
            "must be 整车修理, 总成修理, 二级维护, 一级维护, 小修 or 专项修理",
        );
    }
    let fault = cell(H::FaultDescription);
    if fault.chars().count() > crate::error::limits::TEXT {
        bad(H::FaultDescription, "too_long", "at most 2000 characters");
    }
    let advisor = text(H::Advisor);
    if advisor.as_ref().is_some_and(|a| a.chars().count() > 64) {
        bad(H::Advisor, "too_long", "at most 64 characters");
    }
    let money = |c: H, bad: &mut dyn FnMut(H, &str, &str)| {
        let raw = text(c)?;
        let fen = parse_yuan(&raw);
        if fen.is_none() {
            bad(c, "money", "must be yuan with at most 2 decimals, such as 1280.50");
        }
        fen
    };
    let discount_fen = money(H::Discount, &mut bad).unwrap_or(0);
    let total_fen = money(H::Total, &mut bad);
    let amount = money(H::Amount, &mut bad);
    let methods = "must be 现金, 银行卡, 微信支付, 支付宝, 转账, 保险理赔 or 免费";
    let payment_method = listed(&text, &mut bad, (H::PaymentMethod, "payment_method", methods), parse_method);
    for c in [H::CertificateNumber, H::SettlementNumber] {
        if text(c).is_some_and(|t| t.chars().count() > 40) {
            bad(c, "too_long", "at most 40 characters");
        }
    }
    let line = match line_input(&text, &mut bad) {
        None => None,
        Some(input) => {
            let mut v = Validator::new();
            let mut line = build_line(&mut v, "line", &input, LineOrigin::Initial, 1, None);
            if let Err(e) = v.finish() {
                for f in e.field_errors() {
                    let c = line_column(&f.field);
                    problems.push(problem(row, c, c.map_or("", cell), "line", &f.message));
                }
            } else if amount.is_some_and(|a| a != line.amount_fen) {
                let message = format!("quantity x unit price is {}", yuan(line.amount_fen));
                problems.push(problem(row, Some(H::Amount), cell(H::Amount), "amount.mismatch", &message));
            }
            line.status = LineStatus::Done;
            Some(line)
        }
    };
    let (Some(delivered_date), Some(intake_date), Some(mileage_km), Some(category), true) =
        (delivered, intake, mileage, category, problems.is_empty())
    else {
        return Err(problems);
    };
    let head = OrderHead {
        number: number.to_string(),
        vin: cell(H::Vin).to_string(),
        intake_date,
        delivered_date,
        mileage_km,
        category,
        fault_description: fault.to_string(),
        advisor,
        discount_fen,
        total_fen,
        payment_method,
        certificate_number: text(H::CertificateNumber),
        settlement_number: text(H::SettlementNumber),
    };
    let order_cells = HistoryColumn::order_columns().map(|c| cell(c).to_string()).collect();
    Ok(HistoryRow { row, head, line, order_cells })
}

/// A column's value read by `parse`, when the cell is not empty; a value it cannot read is a
/// problem at the column, with `rule` and `message`.
fn listed<T>(
    text: &dyn Fn(HistoryColumn) -> Option<String>,
    bad: &mut dyn FnMut(HistoryColumn, &str, &str),
    (column, rule, message): (HistoryColumn, &str, &str),
    parse: impl Fn(&str) -> Option<T>,
) -> Option<T> {
    let raw = text(column)?;
    let found = parse(&raw);
    if found.is_none() {
        bad(column, rule, message);
    }
    found
}

/// The row's line as a client would describe it, when the row has one (a code or a name).
fn line_input(
    text: &dyn Fn(HistoryColumn) -> Option<String>,
    bad: &mut dyn FnMut(HistoryColumn, &str, &str),
) -> Option<LineInput> {
    use HistoryColumn as H;
    if text(H::Code).is_none() && text(H::Description).is_none() {
        return None;
    }
    let kind = match text(H::LineKind).as_deref() {
        Some("工时" | "人工" | "维修项目" | "labour" | "labor") => LineKind::Labour,
        Some("配件" | "材料" | "part") => LineKind::Part,
        _ => {
            bad(H::LineKind, "line_kind", "must be 工时 (labour) or 配件 (part)");
            LineKind::Labour
        }
    };
    let quantity = text(H::Quantity).and_then(|q| q.parse::<f64>().ok());
    let price = text(H::UnitPrice).and_then(|p| parse_yuan(&p));
    if text(H::UnitPrice).is_some() && price.is_none() {
        bad(H::UnitPrice, "money", "must be yuan with at most 2 decimals, such as 1280.50");
    }
    let labour = kind == LineKind::Labour;
    Some(LineInput {
        kind,
        code: text(H::Code).unwrap_or_else(|| "-".into()),
        description: text(H::Description).unwrap_or_default(),
        hours: quantity.filter(|_| labour),
        rate_fen: price.filter(|_| labour),
        quantity: quantity.filter(|_| !labour),
        unit_price_fen: price.filter(|_| !labour),
        old_part: None,
        technician: None,
        urgency: None,
        payer: None,
        fault_code: text(H::FaultCode),
        sanbao: sanbao::line_tag(text, bad),
    })
}

/// A past order gathered from its rows, every one of them good.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryOrder {
    /// The order's first row.
    pub first_row: u64,
    /// The order's last row.
    pub last_row: u64,
    /// Its rows' numbers, in sheet order.
    pub row_numbers: Vec<u64>,
    /// The order's columns.
    pub head: OrderHead,
    /// Its lines, done.
    pub lines: Vec<WorkOrderLine>,
}

/// What the rows of one order became: the order, or every row refused with its problems.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gathered {
    /// Every row good.
    Order(Box<HistoryOrder>),
    /// The order refused whole.
    Refused {
        /// Its last row.
        last_row: u64,
        /// How many rows it has.
        rows: u64,
        /// A problem or more for each of them.
        problems: Vec<Problem>,
    },
}

impl HistoryOrder {
    /// Refuses the whole order for `rule` at `column` of its first row; each other row is named
    /// as refused with it.
    pub fn refused(&self, column: HistoryColumn, value: &str, rule: &str, message: &str) -> Vec<Problem> {
        let mut out = vec![problem(self.first_row, Some(column), value, rule, message)];
        let rest = format!("row {} of the same order was refused: {message}", self.first_row);
        for row in self.row_numbers.iter().skip(1) {
            out.push(problem::<HistoryColumn>(*row, None, "", "order_refused", &rest));
        }
        out
    }
}

impl Gathered {
    /// The order's last row.
    pub fn last_row(&self) -> u64 {
        match self {
            Gathered::Order(o) => o.last_row,
            Gathered::Refused { last_row, .. } => *last_row,
        }
    }
}

/// Gathers consecutive rows of one order number into orders. An order's rows go together: its
/// number met again after another order is a duplicate inside the file.
#[derive(Debug, Default)]
pub struct HistoryGatherer {
    number: Option<String>,
    rows: Vec<(u64, Result<HistoryRow, Vec<Problem>>)>,
    closed: HashMap<String, u64>,
}

impl HistoryGatherer {
    /// Adds a row with its order number cell as written; answers the order it closes, if any.
    pub fn push(
        &mut self,
        number: &str,
        row: u64,
        checked: Result<HistoryRow, Vec<Problem>>,
    ) -> Option<Gathered> {
        let number = number.trim();
        let same = !number.is_empty() && self.number.as_deref() == Some(number);
        let closed = if same { None } else { self.finish() };
        self.number = Some(number.to_string());
        self.rows.push((row, checked));
        closed
    }

    /// Closes the order being gathered, if any.
    pub fn finish(&mut self) -> Option<Gathered> {
        let number = self.number.take()?;
        let rows = std::mem::take(&mut self.rows);
        let last_row = rows.last().map_or(0, |(r, _)| *r);
        let first_row = rows.first().map_or(0, |(r, _)| *r);
        let count = rows.len() as u64;
        let row_numbers: Vec<u64> = rows.iter().map(|(r, _)| *r).collect();
        let earlier = if number.is_empty() { None } else { self.closed.get(&number).copied() };
        if !number.is_empty() {
            self.closed.entry(number.clone()).or_insert(first_row);
        }
        let mut problems = Vec::new();
        let mut good = Vec::new();
        for (_, checked) in rows {
            match checked {
                Ok(r) => good.push(r),
                Err(found) => problems.extend(found),
            }
        }
        if let Some(first) = earlier {
            let message = format!("row {first} starts an order of this number: an order's rows go together");
            problems.extend(good.iter().map(|r| {
                problem(r.row, Some(HistoryColumn::OrderNumber), &number, "duplicate_in_file", &message)
            }));
            good.clear();
        }
        if let Some(first) = good.first() {
            for r in &good[1..] {
                for (i, c) in HistoryColumn::order_columns().enumerate() {
                    if r.order_cells.get(i) != first.order_cells.get(i) {
                        let message = format!("differs from row {} of the same order", first.row);
                        let value = r.order_cells.get(i).map_or("", String::as_str);
                        problems.push(problem(r.row, Some(c), value, "order.inconsistent", &message));
                    }
                }
            }
        }
        let lines: Vec<WorkOrderLine> = good.iter().filter_map(|r| r.line.clone()).collect();
        if let (true, Some(first)) = (problems.is_empty(), good.first()) {
            let head = &first.head;
            let t = totals(&lines).total_fen;
            if head.discount_fen > t {
                let message = format!("more than the lines' {}", yuan(t));
                problems.push(problem(
                    first.row,
                    Some(HistoryColumn::Discount),
                    &yuan(head.discount_fen),
                    "money",
                    &message,
                ));
            } else if let Some(total) = head.total_fen.filter(|total| *total != t - head.discount_fen) {
                let message = format!("the lines less the discount come to {}", yuan(t - head.discount_fen));
                problems.push(problem(
                    first.row,
                    Some(HistoryColumn::Total),
                    &yuan(total),
                    "total.mismatch",
                    &message,
                ));
            }
        }
        if !problems.is_empty() {
            let named: std::collections::BTreeSet<u64> = problems.iter().map(|p| p.row).collect();
            let bad_row = named.first().copied().unwrap_or(first_row);
            for r in good.iter().filter(|r| !named.contains(&r.row)) {
                let message = format!(
                    "row {bad_row} of the same order was refused: the order is taken whole or not at all"
                );
                problems.push(problem::<HistoryColumn>(r.row, None, "", "order_refused", &message));
            }
            problems.sort_by_key(|p| p.row);
            return Some(Gathered::Refused { last_row, rows: count, problems });
        }
        let Some(first) = good.into_iter().next() else {
            return Some(Gathered::Refused { last_row, rows: count, problems });
        };
        Some(Gathered::Order(Box::new(HistoryOrder {
            first_row,
            last_row,
            row_numbers,
            head: first.head,
            lines,
        })))
    }
}

#[cfg(test)]
mod tests;
