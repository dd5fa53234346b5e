//! The values of a service-history sheet as DMS exports write them: repair categories and
//! payment methods by their Chinese or wire names, money in yuan read exactly into fen (WO-8).

use serde::Serialize;

use crate::model::work_order::{MAX_PRICE_FEN, PaymentMethod, RepairCategory};

const CATEGORIES: [RepairCategory; 6] = [
    RepairCategory::Overhaul,
    RepairCategory::AssemblyRepair,
    RepairCategory::Level2Maintenance,
    RepairCategory::Level1Maintenance,
    RepairCategory::MinorRepair,
    RepairCategory::SpecialRepair,
];

const METHODS: [PaymentMethod; 8] = [
    PaymentMethod::Cash,
    PaymentMethod::BankCard,
    PaymentMethod::WechatPay,
    PaymentMethod::Alipay,
    PaymentMethod::BankTransfer,
    PaymentMethod::Insurance,
    PaymentMethod::Waived,
    PaymentMethod::OnAccount,
];

/// A value's wire name (a snake_case enum as JSON writes it).
pub(crate) fn wire<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

/// Reads a repair category by its Chinese name (二级维护) or wire name (level2_maintenance).
pub fn parse_category(raw: &str) -> Option<RepairCategory> {
    CATEGORIES.into_iter().find(|c| c.label_zh() == raw || wire(c).eq_ignore_ascii_case(raw))
}

/// Reads a payment method by its Chinese name (微信支付) or wire name (wechat_pay).
pub fn parse_method(raw: &str) -> Option<PaymentMethod> {
    METHODS.into_iter().find(|m| m.label_zh() == raw || wire(m).eq_ignore_ascii_case(raw))
}

/// Reads an amount in yuan as DMS exports write it (`1,280.50`, `¥80`) exactly into fen (WO-8):
/// more than two decimals, a sign or more than [`MAX_PRICE_FEN`] is no amount.
pub fn parse_yuan(raw: &str) -> Option<i64> {
    let cleaned: String = raw.chars().filter(|c| !matches!(c, ',' | '¥' | '￥' | ' ')).collect();
    let (whole, fraction) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(fraction) || fraction.len() > 2 || whole.len() > 10 {
        return None;
    }
    let fen = whole.parse::<i64>().ok()? * 100 + format!("{fraction:0<2}").parse::<i64>().ok()?;
    (fen <= MAX_PRICE_FEN).then_some(fen)
}

/// Writes fen as yuan with two decimals, the form [`parse_yuan`] reads.
pub fn yuan(fen: i64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}
