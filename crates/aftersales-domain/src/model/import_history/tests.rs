use super::*;
use crate::model::import::map_header;

const HEADER: [&str; 12] = [
    "工单号",
    "车架号",
    "进厂日期",
    "交车日期",
    "进厂里程",
    "维修类别",
    "项目类型",
    "项目名称",
    "数量",
    "单价",
    "金额",
    "应收金额",
];

fn header() -> Header<HistoryColumn> {
    map_header(&HEADER).expect("a valid header")
}

const VIN: &str = "LSVAU218XN2183294";

fn row(n: u64, cells: [&str; 12]) -> (String, u64, Result<HistoryRow, Vec<Problem>>) {
    let h = header();
    (h.cell(&cells, HistoryColumn::OrderNumber).to_string(), n, check_history_row(&h, n, &cells))
}

fn gather(rows: Vec<(String, u64, Result<HistoryRow, Vec<Problem>>)>) -> Vec<Gathered> {
    let mut g = HistoryGatherer::default();
    let mut out: Vec<Gathered> = rows.into_iter().filter_map(|(n, r, c)| g.push(&n, r, c)).collect();
    out.extend(g.finish());
    out
}

// Issue 15: money in yuan is read exactly into fen, never through floating point (WO-8).
#[test]
fn yuan_is_read_exactly_into_fen() {
    assert_eq!(parse_yuan("1,280.50"), Some(128_050));
    assert_eq!(parse_yuan("¥80"), Some(8_000));
    assert_eq!(parse_yuan("0.1"), Some(10));
    assert_eq!(parse_yuan("0.29"), Some(29));
    assert_eq!(parse_yuan("1.234"), None);
    assert_eq!(parse_yuan("-5"), None);
    assert_eq!(parse_yuan(""), None);
    assert_eq!(parse_yuan("十元"), None);
    assert_eq!(yuan(128_050), "1280.50");
    assert_eq!(parse_yuan(&yuan(7)), Some(7));
}

// Issue 15: the history sheet's headers, Chinese or English; the required ones are named.
#[test]
fn the_history_header_names_what_it_misses() {
    let missing = map_header::<HistoryColumn>(&["工单号", "车架号", "项目名称"]).unwrap_err();
    let named: Vec<&str> = missing.iter().map(|p| p.column.as_str()).collect();
    assert_eq!(named, vec!["delivered_date", "mileage_km", "repair_category"]);
    assert_eq!(parse_category("二级维护"), Some(RepairCategory::Level2Maintenance));
    assert_eq!(parse_category("minor_repair"), Some(RepairCategory::MinorRepair));
    assert_eq!(parse_method("微信支付"), Some(PaymentMethod::WechatPay));
}

// Issue 15, WO-1/WO-8: an order's rows make one order with its lines done and exact amounts.
#[test]
fn rows_of_one_order_make_one_order() {
    let out = gather(vec![
        row(
            2,
            [
                "WO-1",
                VIN,
                "2024/3/1",
                "2024/3/2",
                "12,000",
                "一级维护",
                "工时",
                "更换机油",
                "1.5",
                "120",
                "180",
                "",
            ],
        ),
        row(
            3,
            [
                "WO-1",
                VIN,
                "2024/3/1",
                "2024/3/2",
                "12,000",
                "一级维护",
                "配件",
                "机油",
                "4.5",
                "68.80",
                "309.60",
                "",
            ],
        ),
        row(4, ["WO-2", VIN, "", "2024-09-01", "17000", "小修", "", "", "", "", "", "0"]),
    ]);
    let [Gathered::Order(first), Gathered::Order(second)] = out.as_slice() else {
        panic!("two orders, got {out:?}");
    };
    assert_eq!((first.first_row, first.last_row, first.row_numbers.clone()), (2, 3, vec![2, 3]));
    assert_eq!(first.lines.iter().map(|l| l.amount_fen).collect::<Vec<_>>(), vec![18_000, 30_960]);
    assert!(first.lines.iter().all(|l| l.status == LineStatus::Done));
    assert_eq!(first.head.category, RepairCategory::Level1Maintenance);
    assert_eq!(second.head.intake_date, second.head.delivered_date, "intake defaults to delivery");
    assert!(second.lines.is_empty());
}

// Issue 15: an order is taken whole or not at all; every one of its rows is named.
#[test]
fn a_bad_row_refuses_its_whole_order_and_names_every_row() {
    let out = gather(vec![
        row(
            2,
            ["WO-1", VIN, "", "2024/3/2", "12000", "一级维护", "工时", "更换机油", "1.5", "120", "190", ""],
        ),
        row(3, ["WO-1", VIN, "", "2024/3/2", "12000", "一级维护", "配件", "机油", "4", "68.8", "", ""]),
        row(4, ["WO-1", VIN, "", "2024/3/3", "12000", "一级维护", "配件", "滤芯", "1", "30", "", ""]),
    ]);
    let [Gathered::Refused { last_row: 4, rows: 3, problems }] = out.as_slice() else {
        panic!("one refused order, got {out:?}");
    };
    let named: Vec<(u64, &str, &str)> =
        problems.iter().map(|p| (p.row, p.column.as_str(), p.rule.as_str())).collect();
    assert_eq!(
        named,
        vec![
            (2, "amount", "amount.mismatch"),
            (3, "", "order_refused"),
            (4, "delivered_date", "order.inconsistent")
        ]
    );
}

// Issue 15: a stated total that is not the lines less the discount refuses the order.
#[test]
fn a_stated_total_is_checked() {
    let out = gather(vec![row(
        2,
        ["WO-1", VIN, "", "2024/3/2", "12000", "小修", "配件", "灯泡", "2", "15", "30", "31"],
    )]);
    let [Gathered::Refused { problems, .. }] = out.as_slice() else { panic!("refused, got {out:?}") };
    assert_eq!((problems[0].column.as_str(), problems[0].rule.as_str()), ("total", "total.mismatch"));
}

// Issue 15: an order's number met again after another order is a duplicate inside the file.
#[test]
fn an_order_number_met_again_later_is_a_duplicate() {
    let line = |n, number| {
        row(n, [number, VIN, "", "2024/3/2", "12000", "小修", "工时", "检查", "1", "100", "", ""])
    };
    let out = gather(vec![line(2, "WO-1"), line(3, "WO-2"), line(4, "WO-1")]);
    assert!(matches!(out[0], Gathered::Order(_)) && matches!(out[1], Gathered::Order(_)));
    let Gathered::Refused { problems, .. } = &out[2] else { panic!("a duplicate, got {out:?}") };
    assert_eq!((problems[0].row, problems[0].rule.as_str()), (4, "duplicate_in_file"));
    assert_eq!(problems[0].message, "row 2 starts an order of this number: an order's rows go together");
}

// Issue 15: a row's own problems name their columns and rules.
#[test]
fn a_history_row_is_checked_by_the_apis_rules() {
    let h = header();
    let bad = check_history_row(
        &h,
        5,
        &[
            "",
            "LSVAU218XN2183295",
            "2024/3/9",
            "2024/3/2",
            "-1",
            "大修",
            "零件",
            "x",
            "1.2345",
            "1.999",
            "",
            "",
        ],
    )
    .unwrap_err();
    let named: Vec<(&str, &str)> = bad.iter().map(|p| (p.column.as_str(), p.rule.as_str())).collect();
    assert_eq!(
        named,
        vec![
            ("order_number", "required"),
            ("vin", "vin"),
            ("intake_date", "date.order"),
            ("mileage_km", "mileage"),
            ("repair_category", "repair_category"),
            ("line_kind", "line_kind"),
            ("unit_price", "money"),
            ("quantity", "line"),
            ("unit_price", "line"),
        ]
    );
}

// Issue 15 with issue 14: a past line's fault code and 三包 tag are read, by Chinese or wire
// names, so its repair counts toward the car's standing; a tag without its system, a value not
// in its list, or an assembly replaced by a labour line is refused at its column.
#[test]
fn a_past_line_carries_its_fault_code_and_sanbao_tag() {
    let header: Header<HistoryColumn> = map_header(&[
        "工单号",
        "车架号",
        "交车日期",
        "进厂里程",
        "维修类别",
        "项目类型",
        "项目名称",
        "数量",
        "单价",
        "故障代码",
        "三包系统",
        "严重安全故障",
        "更换类型",
        "早期故障",
    ])
    .expect("a valid header");
    let check = |line: [&str; 9]| {
        let mut cells = vec!["H1", VIN, "2025-09-10", "15000", "小修"];
        cells.extend(line);
        check_history_row(&header, 2, &cells)
    };
    let row =
        check(["配件", "制动总泵", "1", "800", "BRK-01", "制动系统", "是", "主要零部件", "制动系统失效"])
            .expect("a good row");
    let line = row.line.expect("a line");
    assert_eq!(line.fault_code.as_deref(), Some("BRK-01"));
    let tag = line.sanbao.expect("a 三包 tag");
    assert_eq!(
        (tag.system, tag.serious_safety, tag.replacement, tag.early_failure),
        (
            crate::model::sanbao::System::Brakes,
            true,
            Some(crate::model::work_order::Replacement::MainPart),
            Some(crate::model::sanbao::EarlyFailure::BrakeFailure)
        )
    );
    assert!(line.counts_for_sanbao());
    let wired =
        check(["part", "制动总泵", "1", "800", "BRK-01", "brakes", "false", "main_part", ""]).unwrap();
    assert_eq!(wired.line.unwrap().sanbao.map(|t| t.serious_safety), Some(false));

    let refused = |line: [&str; 9]| {
        let problems = check(line).expect_err("refused");
        problems.iter().map(|p| (p.column.clone(), p.rule.clone())).collect::<Vec<_>>()
    };
    let col = |c: &str, r: &str| (c.to_string(), r.to_string());
    assert_eq!(
        refused(["配件", "制动总泵", "1", "800", "BRK-01", "", "是", "", ""]),
        vec![col("sanbao_system", "required")]
    );
    assert_eq!(
        refused(["配件", "雨刮", "1", "80", "W-1", "雨刮系统", "", "", ""]),
        vec![col("sanbao_system", "sanbao_system")]
    );
    assert_eq!(
        refused(["工时", "更换发动机", "8", "120", "ENG-1", "发动机", "", "总成", ""]),
        vec![col("replacement", "line")]
    );
    assert_eq!(
        refused(["配件", "制动总泵", "1", "800", "", "制动系统", "", "", ""]),
        vec![col("fault_code", "line")]
    );
}
