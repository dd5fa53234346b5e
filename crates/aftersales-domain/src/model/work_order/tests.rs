//! Unit tests of the work-order rules.

use super::*;
use crate::value::{CustomerId, Plate, StoreCode, VehicleId, Vin};

fn labour(hours: f64, rate: i64) -> LineInput {
    LineInput {
        kind: LineKind::Labour,
        code: "OP-1".into(),
        description: "更换机油".into(),
        hours: Some(hours),
        rate_fen: Some(rate),
        quantity: None,
        unit_price_fen: None,
        old_part: None,
        technician: None,
        urgency: None,
        payer: None,
        fault_code: None,
        sanbao: None,
    }
}

fn part(quantity: f64, price: i64) -> LineInput {
    LineInput {
        kind: LineKind::Part,
        code: "P-1".into(),
        description: "机油".into(),
        hours: None,
        rate_fen: None,
        quantity: Some(quantity),
        unit_price_fen: Some(price),
        old_part: None,
        technician: None,
        urgency: None,
        payer: None,
        fault_code: None,
        sanbao: None,
    }
}

fn line(input: &LineInput) -> Result<WorkOrderLine> {
    let mut v = Validator::new();
    let l = build_line(&mut v, "lines[0]", input, LineOrigin::Initial, 0, None);
    v.finish().map(|()| l)
}

// WO-8
#[test]
fn amounts_are_exact_fen_rounded_half_up() {
    assert_eq!(line(&labour(1.5, 12_000)).unwrap().amount_fen, 18_000);
    assert_eq!(line(&labour(0.33, 10_001)).unwrap().amount_fen, 3_300); // 3300.33
    assert_eq!(line(&part(4.5, 6_999)).unwrap().amount_fen, 31_496); // 31495.5
    assert_eq!(line(&part(0.001, 1)).unwrap().amount_fen, 0);
}

// WO-8
#[test]
fn finer_fractions_and_misplaced_fields_are_refused_by_name() {
    let err = line(&labour(1.005, 100)).unwrap_err();
    assert_eq!(err.field_errors()[0].field, "lines[0].hours");
    let mut wrong = labour(1.0, 100);
    wrong.quantity = Some(2.0);
    assert_eq!(line(&wrong).unwrap_err().field_errors()[0].field, "lines[0].quantity");
    assert_eq!(line(&part(1.0, -5)).unwrap_err().field_errors()[0].field, "lines[0].unit_price_fen");
}

// WO-8, WO-10
#[test]
fn a_payment_must_settle_the_amount_due_exactly() {
    let pay = |discount, paid, method| Payment {
        discount_fen: discount,
        amount_paid_fen: paid,
        method,
        credit: false,
    };
    assert_eq!(check_payment(56_000, 0, &pay(1_000, 55_000, PaymentMethod::WechatPay)), Ok(55_000));
    let short = check_payment(56_000, 0, &pay(0, 55_999, PaymentMethod::Cash)).unwrap_err();
    assert_eq!(short.field_errors()[0].field, "amount_paid_fen");
    let too_much_off = check_payment(56_000, 0, &pay(56_001, 0, PaymentMethod::Waived)).unwrap_err();
    assert_eq!(too_much_off.field_errors()[0].field, "discount_fen");
    assert_eq!(check_payment(0, 0, &pay(0, 0, PaymentMethod::Waived)), Ok(0));
    assert!(check_payment(0, 0, &pay(0, 0, PaymentMethod::Cash)).is_err());
    // Issue 14: what was paid before (a deposit) counts; the rest is paid at delivery, nothing
    // when it was all paid, and more paid before than due is refused.
    assert_eq!(check_payment(56_000, 20_000, &pay(0, 36_000, PaymentMethod::Cash)), Ok(56_000));
    let twice = check_payment(56_000, 20_000, &pay(0, 56_000, PaymentMethod::Cash)).unwrap_err();
    assert!(twice.field_errors()[0].message.contains("36000 fen"), "{twice:?}");
    assert_eq!(check_payment(56_000, 56_000, &pay(0, 0, PaymentMethod::Waived)), Ok(56_000));
    let over = check_payment(56_000, 60_000, &pay(0, 0, PaymentMethod::Waived)).unwrap_err();
    assert_eq!(over.field_errors()[0].field, "amount_paid_fen");
    // Issue 14: a fleet account with credit pays part or nothing and leaves the rest on account;
    // anyone else pays in full, and on_account is theirs alone.
    let fleet = |paid, method| Payment { credit: true, ..pay(0, paid, method) };
    assert_eq!(check_payment(56_000, 0, &fleet(0, PaymentMethod::OnAccount)), Ok(56_000));
    assert_eq!(check_payment(56_000, 0, &fleet(20_000, PaymentMethod::Cash)), Ok(56_000));
    assert_eq!(check_payment(56_000, 0, &fleet(56_000, PaymentMethod::Cash)), Ok(56_000));
    let more = check_payment(56_000, 0, &fleet(56_001, PaymentMethod::Cash)).unwrap_err();
    assert_eq!(more.field_errors()[0].field, "amount_paid_fen");
    let mixed = check_payment(56_000, 0, &fleet(1_000, PaymentMethod::OnAccount)).unwrap_err();
    assert_eq!(mixed.field_errors()[0].field, "payment_method");
    let nothing_said = check_payment(56_000, 0, &fleet(0, PaymentMethod::Cash)).unwrap_err();
    assert_eq!(nothing_said.field_errors()[0].field, "payment_method");
    let walk_in = check_payment(56_000, 0, &pay(0, 0, PaymentMethod::OnAccount)).unwrap_err();
    assert_eq!(
        walk_in.field_errors().iter().map(|e| e.field.as_str()).collect::<Vec<_>>(),
        vec!["amount_paid_fen", "payment_method"]
    );
}

// WO-9
#[test]
fn warranty_follows_the_category() {
    let day: NaiveDate = "2026-11-27".parse().unwrap();
    let overhaul = WarrantyEnd::from_delivery(RepairCategory::Overhaul, day, 50_000);
    assert_eq!(overhaul, WarrantyEnd { until_date: "2027-03-07".parse().unwrap(), until_km: 70_000 });
    let l2 = WarrantyEnd::from_delivery(RepairCategory::Level2Maintenance, day, 50_000);
    assert_eq!((l2.until_date.to_string(), l2.until_km), ("2026-12-27".into(), 55_000));
    let minor = WarrantyEnd::from_delivery(RepairCategory::MinorRepair, day, 50_000);
    assert_eq!((minor.until_date.to_string(), minor.until_km), ("2026-12-07".into(), 52_000));
}

// WO-9: whichever comes first.
#[test]
fn a_comeback_is_covered_only_while_both_date_and_distance_hold() {
    let end = WarrantyEnd { until_date: "2026-12-07".parse().unwrap(), until_km: 52_000 };
    assert!(end.covers("2026-12-07".parse().unwrap(), 52_000));
    assert!(!end.covers("2026-12-08".parse().unwrap(), 50_001));
    assert!(!end.covers("2026-12-01".parse().unwrap(), 52_001));
}

fn at() -> DateTime<Utc> {
    "2026-11-27T02:00:00Z".parse().unwrap()
}

fn order() -> WorkOrder {
    let mut v = Validator::new();
    let lines = vec![
        build_line(&mut v, "lines[0]", &labour(1.0, 10_000), LineOrigin::Initial, 0, None),
        build_line(&mut v, "lines[1]", &part(1.0, 5_000), LineOrigin::Initial, 0, None),
    ];
    WorkOrder {
        id: WorkOrderId::generate(),
        store: StoreCode::parse("SH001").unwrap(),
        number: "SH001-2026-000001".into(),
        customer_id: CustomerId(uuid::Uuid::now_v7()),
        vehicle_id: VehicleId(uuid::Uuid::now_v7()),
        plate: Plate::parse("沪A12345").ok(),
        vin: Vin::parse("LSVAU218XN2183294").expect("a valid VIN"),
        advisor: "adv-1".into(),
        status: WorkOrderStatus::Open,
        fault_description: "刹车异响".into(),
        intake_mileage_km: 20_000,
        fuel_level: None,
        repair_category: RepairCategory::MinorRepair,
        promised_at: at(),
        lines,
        estimate_version: 0,
        approvals: vec![],
        entry_inspected: false,
        rework_count: 0,
        exit_passed: false,
        certificate_number: None,
        self_check_notes: None,
        cancel_reason: None,
        comeback_of: None,
        delivered_at: None,
        warranty: None,
        walkaround_notes: None,
        settlement: None,
        accessories: vec![],
        signatures: vec![],
        events: vec![],
        appointment_id: None,
        payments: vec![],
        insurance_claim: None,
        warranty_claim: None,
        voided_settlements: vec![],
        sanbao: None,
        comeback_suggestion: None,
        version: 1,
        created_at: at(),
        updated_at: at(),
    }
}

fn approval(o: &WorkOrder, approve: &[bool]) -> Approval {
    Approval {
        estimate_version: o.estimate_version,
        method: ApprovalMethod::InPerson,
        decisions: o
            .lines
            .iter()
            .zip(approve)
            .map(|(l, ok)| LineDecision {
                line_id: l.id,
                approved: *ok,
                reason: (!ok).then(|| "太贵".into()),
            })
            .collect(),
        recorded_by: "adv-1".into(),
        recorded_at: at(),
        link_id: None,
        client_address: None,
    }
}

type Step = Box<dyn Fn(&mut WorkOrder) -> Result<()>>;

/// Tries every step on a copy; returns the names of the steps that succeeded.
fn allowed_steps(o: &WorkOrder) -> Vec<&'static str> {
    let first = o.lines[0].id;
    let steps: Vec<(&'static str, Step)> = vec![
        ("submit_quote", Box::new(|w| w.submit_quote("a", at()))),
        ("approve", Box::new(|w| w.approve(approval(w, &[true, true])))),
        ("cancel", Box::new(|w| w.cancel("客户改约", "a", at()))),
        ("start", Box::new(|w| w.start("沪A12345", "t", at()))),
        ("complete_line", Box::new(move |w| w.complete_line(first, None, "t", at()))),
        ("complete_work", Box::new(|w| w.complete_work("自检合格", "t", at()))),
        ("notify_customer", Box::new(|w| w.notify_customer("a", at()))),
        ("deliver", Box::new(|w| w.deliver("陪同环车检查", false, at().date_naive(), "a", at()))),
    ];
    steps
        .into_iter()
        .filter(|(name, step)| {
            let mut copy = o.clone();
            match step(&mut copy) {
                Ok(()) => true,
                Err(e) => {
                    assert_eq!(&copy, o, "refused {name} must change nothing");
                    if e.code() == "work_order.invalid_transition" {
                        assert!(e.to_string().contains(o.status.as_str()), "{e} names the state");
                    }
                    false
                }
            }
        })
        .map(|(name, _)| name)
        .collect()
}

// WO-3, WO-4, WO-5, WO-10, WO-11, IN-1, IN-2
#[test]
fn the_state_machine_allows_exactly_the_regulated_moves() {
    let mut o = order();
    assert_eq!(allowed_steps(&o), vec!["submit_quote", "cancel"]);
    o.submit_quote("a", at()).unwrap();
    assert_eq!(o.estimate_version, 1);
    assert_eq!(allowed_steps(&o), vec!["cancel"], "approval needs the entry inspection (IN-1)");
    o.entry_inspected = true;
    assert_eq!(allowed_steps(&o), vec!["approve", "cancel"]);
    o.approve(approval(&o, &[true, false])).unwrap();
    assert_eq!(o.lines[1].status, LineStatus::Declined);
    assert_eq!(allowed_steps(&o), vec!["cancel", "start"]);
    assert!(o.clone().start("沪B99999", "t", at()).is_err(), "WO-4: another plate is refused");
    o.start("沪A 12345", "t", at()).unwrap();
    assert_eq!(allowed_steps(&o), vec!["complete_line"]);
    o.complete_line(o.lines[0].id, None, "t", at()).unwrap();
    assert!(
        o.clone().complete_line(o.lines[1].id, None, "t", at()).is_err(),
        "WO-5: a declined line is not worked"
    );
    assert_eq!(allowed_steps(&o), vec!["complete_line", "complete_work"]);
    o.complete_work("自检合格", "t", at()).unwrap();
    assert_eq!(allowed_steps(&o), Vec::<&str>::new(), "notify needs the passed exit inspection");
    o.apply_exit_inspection(true, &[], Some("SH001-HG-2026-000001".into()), "i", at()).unwrap();
    assert_eq!(allowed_steps(&o), vec!["notify_customer"]);
    o.notify_customer("a", at()).unwrap();
    assert_eq!(allowed_steps(&o), vec!["deliver"]);
    o.deliver("陪同环车检查", false, at().date_naive(), "a", at()).unwrap();
    assert_eq!(o.warranty.unwrap().until_km, 22_000, "minor repair: 2,000 km (WO-9)");
    assert_eq!(allowed_steps(&o), Vec::<&str>::new());
    let path: Vec<_> = o.events.iter().map(|e| e.to.as_str()).collect();
    assert_eq!(path.first(), Some(&"awaiting_approval"));
    assert_eq!(path.last(), Some(&"delivered"));
}

// IN-2, WO-3
#[test]
fn a_failed_exit_inspection_sends_the_order_back_to_rework_and_counts_it() {
    let mut o = order();
    o.entry_inspected = true;
    o.submit_quote("a", at()).unwrap();
    o.approve(approval(&o, &[true, true])).unwrap();
    o.start("沪A12345", "t", at()).unwrap();
    let ids: Vec<_> = o.lines.iter().map(|l| l.id).collect();
    for id in &ids {
        o.complete_line(*id, None, "t", at()).unwrap();
    }
    o.complete_work("ok", "t", at()).unwrap();
    o.apply_exit_inspection(false, &[ids[1]], None, "i", at()).unwrap();
    assert_eq!((o.status, o.rework_count), (WorkOrderStatus::InProgress, 1));
    assert_eq!(o.lines[1].status, LineStatus::Approved, "the failed line is to be worked again");
    assert!(o.clone().complete_work("ok", "t", at()).is_err());
}

// WO-11
#[test]
fn a_decision_on_an_outdated_estimate_is_refused_and_every_line_needs_one() {
    let mut o = order();
    o.entry_inspected = true;
    o.submit_quote("a", at()).unwrap();
    let mut stale = approval(&o, &[true, true]);
    stale.estimate_version = 0;
    assert_eq!(o.clone().approve(stale).unwrap_err().code(), "work_order.estimate_outdated");
    let mut partial = approval(&o, &[true, true]);
    partial.decisions.pop();
    assert_eq!(o.clone().approve(partial).unwrap_err().field_errors()[0].field, "decisions");
    let none = approval(&o, &[false, false]);
    assert_eq!(o.clone().approve(none).unwrap_err().code(), "work_order.invalid_transition");
    let mut no_reason = approval(&o, &[true, false]);
    no_reason.decisions[1].reason = None;
    assert_eq!(o.approve(no_reason).unwrap_err().field_errors()[0].field, "decisions[1].reason");
}

// WO-5, WO-11
#[test]
fn lines_found_during_work_wait_for_the_customer() {
    let mut o = order();
    o.entry_inspected = true;
    o.submit_quote("a", at()).unwrap();
    o.approve(approval(&o, &[true, true])).unwrap();
    o.start("沪A12345", "t", at()).unwrap();
    let mut v = Validator::new();
    let extra = build_line(
        &mut v,
        "lines[0]",
        &part(2.0, 3_000),
        LineOrigin::Additional,
        0,
        Some("刹车片磨损".into()),
    );
    let extra_id = extra.id;
    o.propose_lines(vec![extra], "t", at()).unwrap();
    assert_eq!(o.estimate_version, 2);
    assert_eq!(o.totals().pending_fen, 6_000);
    assert_eq!(
        o.clone().complete_line(extra_id, None, "t", at()).unwrap_err().code(),
        "work_order.line_not_approved"
    );
    let decision = Approval {
        estimate_version: 2,
        method: ApprovalMethod::Phone,
        decisions: vec![LineDecision { line_id: extra_id, approved: true, reason: None }],
        recorded_by: "adv-1".into(),
        recorded_at: at(),
        link_id: None,
        client_address: None,
    };
    o.record_approval(decision).unwrap();
    o.complete_line(extra_id, None, "t", at()).unwrap();
    let t = o.totals();
    assert_eq!((t.labour_fen, t.parts_fen, t.total_fen, t.pending_fen), (10_000, 11_000, 21_000, 0));
    assert_eq!(
        t.by_payer,
        vec![PayerShare { payer: Payer::Customer, labour_fen: 10_000, parts_fen: 11_000, total_fen: 21_000 }]
    );
}

proptest::proptest! {
    // WO-8: totals are the exact sum of the agreed lines, whatever their order.
    #[test]
    fn totals_are_the_sum_of_agreed_lines(amounts in proptest::collection::vec((0i64..10_000_000, 0u8..4, proptest::bool::ANY, 0usize..5), 0..40)) {
        let lines: Vec<WorkOrderLine> = amounts.iter().map(|(amount, status, is_part, payer)| {
            let mut l = line(&labour(1.0, 1)).unwrap();
            l.amount_fen = *amount;
            l.kind = if *is_part { LineKind::Part } else { LineKind::Labour };
            l.status = [LineStatus::Proposed, LineStatus::Approved, LineStatus::Declined, LineStatus::Done][*status as usize];
            l.payer = Payer::ALL[*payer];
            l
        }).collect();
        let t = totals(&lines);
        let agreed: i64 = lines.iter().filter(|l| matches!(l.status, LineStatus::Approved | LineStatus::Done)).map(|l| l.amount_fen).sum();
        let pending: i64 = lines.iter().filter(|l| l.status == LineStatus::Proposed).map(|l| l.amount_fen).sum();
        proptest::prop_assert_eq!(t.total_fen, agreed);
        proptest::prop_assert_eq!(t.labour_fen + t.parts_fen, agreed);
        proptest::prop_assert_eq!(t.pending_fen, pending);
        // Issue 14: the payers' shares add up to the agreed and the quoted totals, each payer's
        // to its own lines, listed once each in payer order.
        proptest::prop_assert_eq!(t.by_payer.iter().map(|s| s.total_fen).sum::<i64>(), agreed);
        proptest::prop_assert_eq!(t.quoted_by_payer.iter().map(|s| s.total_fen).sum::<i64>(), agreed + pending);
        proptest::prop_assert_eq!(t.quoted_labour_fen + t.quoted_parts_fen, agreed + pending);
        for payer in Payer::ALL {
            let own: i64 = lines.iter().filter(|l| l.payer == payer && matches!(l.status, LineStatus::Approved | LineStatus::Done)).map(|l| l.amount_fen).sum();
            proptest::prop_assert_eq!(t.share_of(payer), own);
        }
        proptest::prop_assert!(t.by_payer.windows(2).all(|w| w[0].payer < w[1].payer));
        let mut reversed = lines.clone();
        reversed.reverse();
        proptest::prop_assert_eq!(totals(&reversed), t);
    }

    // WO-8: rounding never drifts more than half a fen from the exact product.
    #[test]
    fn line_amounts_are_within_half_a_fen(hundredths in 1u32..100_000, rate in 0i64..MAX_PRICE_FEN) {
        let amount = labour_amount(hundredths, rate);
        let exact = i128::from(hundredths) * i128::from(rate);
        proptest::prop_assert!((i128::from(amount) * 100 - exact).abs() <= 50);
    }
}

// WO-13: a link opens its estimate version only, until used, revoked or expired, and only while
// something waits for the customer; the first reason wins.
#[test]
fn wo_13_a_link_opens_its_version_only_while_something_waits() {
    use crate::model::approval_link::{ApprovalLink, LinkInvalid};
    let mut o = order();
    assert!(ApprovalLink::issue(&o, "t", 24, "adv-1", at()).is_err(), "nothing quoted yet");
    o.entry_inspected = true;
    o.submit_quote("adv-1", at()).unwrap();
    assert!(ApprovalLink::issue(&o, "t", 0, "adv-1", at()).is_err());
    let link = ApprovalLink::issue(&o, "t", 24, "adv-1", at()).unwrap();
    assert_eq!(link.check(&o, at()), Ok(()));
    assert_eq!(link.check(&o, at() + chrono::Duration::hours(24)), Err(LinkInvalid::Expired));
    let mut used = link.clone();
    used.mark_used(at());
    assert_eq!(used.check(&o, at()), Err(LinkInvalid::Used));
    used.revoke(at());
    assert_eq!(
        (used.check(&o, at()), used.revoked_at),
        (Err(LinkInvalid::Used), None),
        "a used link stays used"
    );
    let mut revoked = link.clone();
    revoked.revoke(at());
    revoked.revoke(at());
    assert_eq!((revoked.check(&o, at()), revoked.version), (Err(LinkInvalid::Revoked), 2));
    let mut decided = o.clone();
    decided.approve(approval(&o, &[true, false])).unwrap();
    assert_eq!(link.check(&decided, at()), Err(LinkInvalid::Decided));
    let mut revised = o.clone();
    revised.revise_estimate(vec![], vec![], &[o.lines[0].id], "adv-1", at()).unwrap();
    assert_eq!(link.check(&revised, at()), Err(LinkInvalid::Outdated));
    assert_eq!(LinkInvalid::Outdated.into_error().wire().http, 410);
}
