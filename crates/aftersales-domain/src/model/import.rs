//! Moving a store in (issue 15): the column mapping of a customer sheet from an old DMS, with the
//! Chinese and English header names stores use, and each row checked by the API's own rules into
//! a customer file and its car, or a row-level report an office worker fixes in Excel. Pure rules:
//! reading CSV or XLSX and writing the records are the adapters' part.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::model::customer::{AddVehicle, CreateCustomer};
use crate::value::{Phone, Plate, Vin};

/// A column the customer sheet may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Column {
    /// 客户姓名.
    Name,
    /// 手机.
    Phone,
    /// 地址.
    Address,
    /// 单位.
    Company,
    /// 车牌.
    Plate,
    /// 车架号.
    Vin,
    /// 品牌.
    Make,
    /// 车型.
    Model,
    /// 初次登记日期.
    RegistrationDate,
    /// 购车日期.
    PurchaseDate,
    /// 行驶里程.
    MileageKm,
}

/// A column kind of one sheet layout: its header names and which columns the sheet must carry.
pub trait SheetColumn: Copy + Eq + std::hash::Hash + 'static {
    /// Every column, in the order the documented template lists them.
    const COLUMNS: &'static [Self];
    /// The columns a sheet must carry.
    const REQUIRED: &'static [Self];

    /// The header names accepted for the column: the English wire name first, then the Chinese
    /// ones DMS exports use.
    fn names(self) -> &'static [&'static str];

    /// Finds the column a header cell names: spaces, a byte-order mark and English case aside.
    fn from_header(cell: &str) -> Option<Self> {
        let wanted: String =
            cell.trim_start_matches('\u{feff}').chars().filter(|c| !c.is_whitespace()).collect::<String>();
        Self::COLUMNS.iter().copied().find(|c| c.names().iter().any(|n| n.eq_ignore_ascii_case(&wanted)))
    }

    /// The English wire name, as the report names the column.
    fn as_str(self) -> &'static str {
        self.names()[0]
    }
}

impl SheetColumn for Column {
    const COLUMNS: &'static [Self] = &Column::ALL;
    const REQUIRED: &'static [Self] = &[Column::Name, Column::Phone];

    fn names(self) -> &'static [&'static str] {
        self.names()
    }
}

impl Column {
    /// Every column, in the order the documented template lists them.
    pub const ALL: [Column; 11] = [
        Column::Name,
        Column::Phone,
        Column::Address,
        Column::Company,
        Column::Plate,
        Column::Vin,
        Column::Make,
        Column::Model,
        Column::RegistrationDate,
        Column::PurchaseDate,
        Column::MileageKm,
    ];

    /// The header names accepted for the column: the English wire name first, then the Chinese
    /// ones DMS exports use.
    pub fn names(self) -> &'static [&'static str] {
        match self {
            Column::Name => &["name", "客户姓名", "姓名", "客户名称"],
            Column::Phone => &["phone", "手机", "手机号", "联系电话", "电话"],
            Column::Address => &["address", "地址", "联系地址"],
            Column::Company => &["company", "单位", "公司", "单位名称"],
            Column::Plate => &["plate", "车牌", "车牌号", "车牌号码"],
            Column::Vin => &["vin", "车架号", "VIN码", "车辆识别代号"],
            Column::Make => &["make", "品牌", "厂牌"],
            Column::Model => &["model", "车型", "型号"],
            Column::RegistrationDate => &["registration_date", "初次登记日期", "注册日期", "上牌日期"],
            Column::PurchaseDate => &["purchase_date", "购车日期", "购车发票日期", "开票日期"],
            Column::MileageKm => &["mileage_km", "行驶里程", "里程", "公里数"],
        }
    }

    /// Finds the column a header cell names: spaces, a byte-order mark and English case aside.
    pub fn from_header(cell: &str) -> Option<Column> {
        <Column as SheetColumn>::from_header(cell)
    }

    /// The English wire name, as the report names the column.
    pub fn as_str(self) -> &'static str {
        self.names()[0]
    }
}

/// One problem of one row, as the report lists it: row number (1 is the header), column, the
/// value as it was, the rule and a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// The sheet's row number, the header being row 1.
    pub row: u64,
    /// The column, by its English name; empty for the whole row.
    pub column: String,
    /// The cell as it was.
    pub value: String,
    /// The rule broken, e.g. `vin.check_digit`, `required`, `duplicate_in_file`.
    pub rule: String,
    /// What is wrong, for a person.
    pub message: String,
}

/// A sheet's header: which column each cell position holds.
#[derive(Debug, Clone)]
pub struct Header<C = Column> {
    positions: HashMap<C, usize>,
}

impl<C: SheetColumn> Header<C> {
    /// The trimmed cell of `column` in a row (empty when the sheet has no such column).
    pub fn cell<'a>(&self, cells: &[&'a str], column: C) -> &'a str {
        self.positions.get(&column).and_then(|i| cells.get(*i)).map_or("", |s| s.trim())
    }

    /// Whether the sheet carries `column`.
    pub fn has(&self, column: C) -> bool {
        self.positions.contains_key(&column)
    }
}

/// Maps a header row; a column named twice, or a required one missing (for customers: name,
/// phone), is a problem of row 1. Cells naming no known column are ignored.
pub fn map_header<C: SheetColumn>(cells: &[&str]) -> Result<Header<C>, Vec<Problem>> {
    let mut positions = HashMap::new();
    let mut problems = Vec::new();
    for (i, cell) in cells.iter().enumerate() {
        let Some(column) = C::from_header(cell) else { continue };
        if positions.insert(column, i).is_some() {
            problems.push(problem(1, Some(column), cell, "header.duplicate", "the column is named twice"));
        }
    }
    for required in C::REQUIRED.iter().copied() {
        if !positions.contains_key(&required) {
            let names = required.names().join(" / ");
            problems.push(problem(1, Some(required), "", "header.missing", &format!("no column {names}")));
        }
    }
    if problems.is_empty() { Ok(Header { positions }) } else { Err(problems) }
}

/// A problem of `row`, at `column` (none: the whole row).
pub fn problem<C: SheetColumn>(
    row: u64,
    column: Option<C>,
    value: &str,
    rule: &str,
    message: &str,
) -> Problem {
    Problem {
        row,
        column: column.map(C::as_str).unwrap_or_default().to_string(),
        value: value.to_string(),
        rule: rule.to_string(),
        message: message.to_string(),
    }
}

/// A customer file and its car, as one checked row makes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerRow {
    /// The sheet's row number.
    pub row: u64,
    /// The file.
    pub customer: CreateCustomer,
    /// The car, when the row names one (a VIN).
    pub vehicle: Option<AddVehicle>,
    /// The earlier row of the same file naming this phone with a car: this row's car is that
    /// customer's second car, which joins the file the phone is on.
    pub second_car_of: Option<u64>,
}

/// Reads a date as DMS exports write it: `2024-03-15`, `2024/3/15` or `2024.03.15`.
pub fn parse_date(raw: &str) -> Option<NaiveDate> {
    let unified = raw.trim().replace(['/', '.'], "-");
    NaiveDate::parse_from_str(&unified, "%Y-%m-%d").ok()
}

/// Checks one data row with the API's own rules; `row` is its sheet row number.
pub fn check_customer_row(header: &Header, row: u64, cells: &[&str]) -> Result<CustomerRow, Vec<Problem>> {
    let cell = |c: Column| header.cell(cells, c);
    let text = |c: Column| Some(cell(c)).filter(|s| !s.is_empty()).map(str::to_string);
    let mut problems = Vec::new();
    let mut bad = |c: Column, rule: &str, message: String| {
        problems.push(problem(row, Some(c), cell(c), rule, &message))
    };
    let name = cell(Column::Name);
    if name.is_empty() {
        bad(Column::Name, "required", "the customer's name is required".into());
    } else if name.chars().count() > crate::error::limits::NAME {
        bad(Column::Name, "too_long", format!("at most {} characters", crate::error::limits::NAME));
    }
    if let Err(e) = Phone::parse(cell(Column::Phone)) {
        bad(Column::Phone, "phone", e);
    }
    let vin = text(Column::Vin);
    if let Some(raw) = &vin
        && let Err(e) = Vin::parse(raw)
    {
        bad(Column::Vin, "vin", e);
    }
    if let Some(raw) = text(Column::Plate)
        && let Err(e) = Plate::parse(&raw)
    {
        bad(Column::Plate, "plate", e);
    }
    let date = |c: Column, bad: &mut dyn FnMut(Column, &str, String)| {
        let raw = text(c)?;
        let parsed = parse_date(&raw);
        if parsed.is_none() {
            bad(c, "date", "must be a date such as 2024-03-15".into());
        }
        parsed
    };
    let registration_date = date(Column::RegistrationDate, &mut bad);
    let purchase_date = date(Column::PurchaseDate, &mut bad);
    let mileage_km = match text(Column::MileageKm) {
        None => None,
        Some(raw) => match raw.replace(',', "").parse::<u32>() {
            Ok(km) if km <= 2_000_000 => Some(km),
            _ => {
                bad(Column::MileageKm, "mileage", "must be whole kilometres from 0 to 2,000,000".into());
                None
            }
        },
    };
    if vin.is_some() && (text(Column::Make).is_none() || text(Column::Model).is_none()) {
        for c in [Column::Make, Column::Model].into_iter().filter(|c| text(*c).is_none()) {
            bad(c, "required", "a car needs its make and model".into());
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let customer = CreateCustomer {
        name: name.to_string(),
        phone: cell(Column::Phone).to_string(),
        address: text(Column::Address),
        company: text(Column::Company),
        preferred_channel: None,
        preferred_contact_time: None,
        wanted_services: None,
        marketing_consent: None,
        consent_method: None,
    };
    let vehicle = vin.map(|vin| AddVehicle {
        vin,
        plate: text(Column::Plate),
        make: text(Column::Make).unwrap_or_default(),
        model: text(Column::Model).unwrap_or_default(),
        vehicle_type: None,
        color: None,
        registration_date,
        purchase_date,
        mileage_km,
        maintenance_cycle_km: None,
        maintenance_cycle_months: None,
        last_service_date: None,
        last_service_km: None,
    });
    Ok(CustomerRow { row, customer, vehicle, second_car_of: None })
}

/// Finds rows of one file that repeat an earlier one: the same VIN, or a file without a car for
/// a phone an earlier row named. A new car for a known phone is the same customer's second car,
/// which the import merges into the first row's file (or reports), as for a file on record.
#[derive(Debug, Default)]
pub struct SeenInFile {
    vins: HashMap<String, u64>,
    phones: HashMap<String, u64>,
}

impl SeenInFile {
    /// The problem of `row` if it repeats an earlier row; remembers its VIN and phone, and marks
    /// a second car of a phone met before.
    pub fn duplicate(&mut self, row: &mut CustomerRow) -> Option<Problem> {
        let phone = Phone::parse(&row.customer.phone).map(|p| p.as_str().to_string()).unwrap_or_default();
        let vin = row.vehicle.as_ref().and_then(|v| Vin::parse(&v.vin).ok()).map(|v| v.to_string());
        let earlier_vin = vin.as_ref().and_then(|v| self.vins.get(v).copied());
        let earlier_phone = self.phones.get(&phone).copied().filter(|_| vin.is_none());
        if let Some(v) = &vin {
            self.vins.entry(v.clone()).or_insert(row.row);
        }
        let first_of_phone = *self.phones.entry(phone.clone()).or_insert(row.row);
        if earlier_vin.is_none() && vin.is_some() && first_of_phone != row.row {
            row.second_car_of = Some(first_of_phone);
        }
        let (column, value, earlier) = match (earlier_vin, earlier_phone) {
            (Some(first), _) => {
                (Column::Vin, row.vehicle.as_ref().map(|v| v.vin.clone()).unwrap_or_default(), first)
            }
            (None, Some(first)) => (Column::Phone, row.customer.phone.clone(), first),
            (None, None) => return None,
        };
        let message = format!("row {earlier} names the same {}", column.as_str());
        Some(problem(row.row, Some(column), &value, "duplicate_in_file", &message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: [&str; 7] = ["\u{feff}客户姓名", "手机", "车牌号", "车架号", "品牌", "车型", "购车日期"];

    fn header() -> Header {
        map_header(&HEADER).expect("a valid header")
    }

    // Issue 15: Chinese and English names, a byte-order mark, spaces and case are one column.
    #[test]
    fn headers_are_found_by_their_chinese_or_english_names() {
        assert_eq!(Column::from_header(" 客户姓名 "), Some(Column::Name));
        assert_eq!(Column::from_header("VIN"), Some(Column::Vin));
        assert_eq!(Column::from_header("\u{feff}phone"), Some(Column::Phone));
        assert_eq!(Column::from_header("备注"), None);
        let missing = map_header::<Column>(&["车牌", "车牌号"]).unwrap_err();
        let rules: Vec<&str> = missing.iter().map(|p| p.rule.as_str()).collect();
        assert_eq!(rules, vec!["header.duplicate", "header.missing", "header.missing"]);
    }

    // Issue 15: a row is checked by the API's rules and each problem names its column and rule.
    #[test]
    fn a_row_is_checked_by_the_apis_own_rules() {
        let h = header();
        let good = check_customer_row(
            &h,
            2,
            &["张伟", "138 1234 5678", "沪A12345", "LSVAU218XN2183294", "大众", "朗逸", "2024/3/15"],
        )
        .expect("a good row");
        let car = good.vehicle.expect("a car");
        assert_eq!((car.vin.as_str(), car.purchase_date), ("LSVAU218XN2183294", parse_date("2024-03-15")));
        let bad =
            check_customer_row(&h, 3, &["", "12", "沪A12345", "LSVAU218XN2183295", "", "朗逸", "15/03/2024"])
                .unwrap_err();
        let named: Vec<(&str, &str)> = bad.iter().map(|p| (p.column.as_str(), p.rule.as_str())).collect();
        assert_eq!(
            named,
            vec![
                ("name", "required"),
                ("phone", "phone"),
                ("vin", "vin"),
                ("purchase_date", "date"),
                ("make", "required")
            ]
        );
        assert!(bad.iter().all(|p| p.row == 3));
        let no_car = check_customer_row(&h, 4, &["李娜", "13912345678"]).expect("a file without a car");
        assert_eq!(no_car.vehicle, None);
    }

    // Issue 15: a VIN or a phone met again in the file is a duplicate naming the first row.
    #[test]
    fn duplicates_inside_the_file_name_the_first_row() {
        let h = header();
        let row = |n, name, phone, vin: &str| {
            check_customer_row(&h, n, &[name, phone, "", vin, "大众", "朗逸", ""]).expect("a good row")
        };
        let mut seen = SeenInFile::default();
        assert_eq!(seen.duplicate(&mut row(2, "张伟", "13812345678", "LSVAU218XN2183294")), None);
        let same_car =
            seen.duplicate(&mut row(3, "张伟", "13900000000", "lsvau218xn2183294")).expect("same VIN");
        assert_eq!(
            (same_car.column.as_str(), same_car.message.as_str()),
            ("vin", "row 2 names the same vin")
        );
        let same_phone = seen.duplicate(&mut row(4, "王芳", "+86 138-1234-5678", "")).expect("same phone");
        assert_eq!((same_phone.column.as_str(), same_phone.rule.as_str()), ("phone", "duplicate_in_file"));
        let mut second_car = row(5, "张伟", "13812345678", "WVWZZZ1J70W000003");
        assert_eq!(seen.duplicate(&mut second_car), None, "a second car of the same customer");
        assert_eq!(second_car.second_car_of, Some(2));
    }
}
