//! `aftersales seed` generates group-scale follow-up volume; `aftersales bench-hq` times
//! headquarters' figures over it against a scan of the raw records (HQ-2).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aftersales_domain::app::Services;
use aftersales_domain::auth::{Principal, Role, StoreAccess};
use aftersales_domain::model::customer::Customer;
use aftersales_domain::model::follow_up::{
    ContactId, ContactOutcome, ContactRecord, Direction, FollowUpChannel, FollowUpTask, TaskId, TaskKind,
    TaskStatus,
};
use aftersales_domain::model::store::{CreateStore, Store};
use aftersales_domain::model::summary::{FollowUpFigures, Period, figures};
use aftersales_domain::paging::all_pages;
use aftersales_domain::ports::{
    AnalyticsReads, Clock, ContactFilter, FollowUpReads, SystemClock, TaskFilter,
};
use aftersales_domain::value::{CustomerId, Phone, StoreCode};
use aftersales_domain::{DomainError, Result};
use aftersales_persistence::SeaRepository;
use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};

/// How much to generate.
#[derive(Debug, Clone, Copy)]
pub struct SeedPlan {
    /// Stores, coded G0001, G0002, ...
    pub stores: u32,
    /// Follow-up tasks per store; each one done also has its contact record.
    pub tasks_per_store: u32,
    /// Customer files per store (default: a quarter of the tasks).
    pub customers_per_store: Option<u32>,
    /// Every task open and due today, as an agent's backlog (the worklist benchmark).
    pub all_open: bool,
    /// Deadlines spread over this many days up to today.
    pub days: u32,
}

/// What a benchmark run measured.
#[derive(Debug, Clone)]
pub struct BenchReport {
    /// Stores read.
    pub stores: usize,
    /// Median time of headquarters' figures for every store, from the month counters.
    pub counters: Duration,
    /// 95th percentile of the same.
    pub counters_p95: Duration,
    /// Median time of the same figures by loading every record of the period.
    pub scan: Duration,
    /// Whether both ways gave the same figures for every store.
    pub equal: bool,
}

fn principal(role: Role) -> Principal {
    Principal {
        sub: "seed".into(),
        name: "seed".into(),
        roles: BTreeSet::from([role]),
        stores: StoreAccess::All,
    }
}

/// A small deterministic generator: the same plan always yields the same volume.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

fn at(day: NaiveDate, hour_utc: u32) -> DateTime<Utc> {
    day.and_hms_opt(hour_utc, 0, 0).map_or_else(Utc::now, |t| Utc.from_utc_datetime(&t))
}

/// Generates the plan's stores and records; answers how many records it wrote.
/// A plausible Chinese name, so that searching a fragment finds a few files, not all of them.
fn generated_name(n: u32) -> String {
    const SURNAMES: [char; 20] = [
        '王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', '徐', '孙', '马', '朱', '胡', '郭', '何',
        '林', '罗', '高',
    ];
    const GIVEN: [char; 40] = [
        '伟', '芳', '娜', '敏', '静', '丽', '强', '磊', '军', '洋', '勇', '艳', '杰', '娟', '涛', '明', '超',
        '秀', '霞', '平', '刚', '桂', '英', '华', '玉', '兰', '辉', '建', '国', '红', '文', '斌', '浩', '宇',
        '鹏', '飞', '波', '宁', '欣', '琳',
    ];
    let n = n as usize;
    [SURNAMES[n % 20], GIVEN[(n / 20) % 40], GIVEN[(n / 800) % 40]].iter().collect()
}

pub async fn seed(services: &Services, repo: &SeaRepository, plan: SeedPlan) -> Result<u64> {
    let admin = principal(Role::Admin);
    let now = SystemClock.now();
    let today = now.date_naive();
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let mut written = 0u64;
    // Drawn on stderr only when it is a terminal; logs and CI output stay clean.
    let progress = indicatif::ProgressBar::new(u64::from(plan.stores)).with_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} stores, {msg} [{elapsed_precise}, eta {eta}]",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let started = Instant::now();
    for s in 1..=plan.stores {
        let code = format!("G{s:04}");
        let cmd = CreateStore {
            code: code.clone(),
            name: format!("集团门店{s:04}"),
            timezone: None,
            call_hours: None,
            sla: None,
        };
        let store = services.stores.create(&admin, cmd, None).await?;
        let count = plan.customers_per_store.unwrap_or(plan.tasks_per_store / 4).max(1);
        let customers: Vec<Customer> = (0..count)
            .map(|n| {
                let phone = Phone::parse(&format!("139{:08}", u64::from(s) * 100_000 + u64::from(n)))
                    .map_err(|e| DomainError::Internal(format!("generated phone: {e}")))?;
                Ok(Customer {
                    id: CustomerId(uuid::Uuid::now_v7()),
                    store: store.code.clone(),
                    name: generated_name(n),
                    phone,
                    address: None,
                    company: None,
                    preferred_channel: None,
                    preferred_contact_time: None,
                    wanted_services: None,
                    marketing_consent: false,
                    marketing_consent_changed_at: None,
                    merged_into: None,
                    credit_account: false,
                    version: 1,
                    created_at: now,
                    updated_at: now,
                })
            })
            .collect::<Result<_>>()?;
        let mut tasks = Vec::with_capacity(plan.tasks_per_store as usize);
        let mut contacts = Vec::new();
        for n in 0..plan.tasks_per_store {
            let customer = &customers[n as usize % customers.len()];
            let due_to = if plan.all_open {
                today.checked_add_days(Days::new(rng.below(u64::from(plan.days)))).unwrap_or(today)
            } else {
                today.checked_sub_days(Days::new(rng.below(u64::from(plan.days)))).unwrap_or(today)
            };
            let kind = match rng.below(10) {
                0..=4 => TaskKind::FirstFollowUp,
                5..=7 => TaskKind::SecondFollowUp,
                8 => TaskKind::ReturnVisit,
                _ => TaskKind::CampaignCall,
            };
            // Mostly on time (the day before the deadline, 10:00 in Shanghai), some late or not reached.
            let day_before = due_to.pred_opt().unwrap_or(due_to);
            let (status, closed_at) = match rng.below(100) {
                _ if plan.all_open => (TaskStatus::Open, None),
                0..=79 => (TaskStatus::Done, Some(at(day_before, 2))),
                80..=87 => {
                    (TaskStatus::Done, Some(at(due_to.checked_add_days(Days::new(2)).unwrap_or(due_to), 2)))
                }
                88..=92 => (TaskStatus::Unreachable, Some(at(due_to, 2))),
                93..=97 => (TaskStatus::Open, None),
                _ => (TaskStatus::Cancelled, Some(at(day_before, 2))),
            };
            let task = FollowUpTask {
                id: TaskId::generate(),
                store: store.code.clone(),
                kind,
                customer_id: customer.id,
                work_order_id: None,
                previous_task: None,
                campaign_id: None,
                assignee: Some("fu-1".into()),
                not_by: vec![],
                due_from: due_to.checked_sub_days(Days::new(4)).unwrap_or(due_to),
                due_to,
                status,
                topics_covered: vec![],
                subjects: vec![],
                closed_at,
                version: 1,
                created_at: now,
                updated_at: now,
            };
            if let (TaskStatus::Done, Some(contacted_at)) = (status, closed_at) {
                contacts.push(ContactRecord {
                    id: ContactId::generate(),
                    store: store.code.clone(),
                    customer_id: customer.id,
                    task_id: Some(task.id),
                    channel: FollowUpChannel::Phone,
                    direction: Direction::Outbound,
                    outcome: ContactOutcome::Reached,
                    topics: vec![],
                    notes: None,
                    satisfaction: u8::try_from(1 + rng.below(5)).ok(),
                    agent: "fu-1".into(),
                    contacted_at,
                });
            }
            tasks.push(task);
        }
        repo.bulk_load(&customers, &tasks, &contacts).await?;
        written += (customers.len() + tasks.len() + contacts.len()) as u64;
        tracing::debug!(store = %code, records = written, "seeded");
        let rate = written as f64 / started.elapsed().as_secs_f64().max(1e-9);
        progress.set_message(format!("{written} records, {rate:.0}/s"));
        progress.inc(1);
    }
    progress.finish();
    repo.analyze().await?;
    Ok(written)
}

async fn all_stores(services: &Services) -> Result<Vec<Store>> {
    let admin = principal(Role::Admin);
    let admin = &admin;
    all_pages(|page| async move { services.stores.list(admin, &page).await }).await
}

/// The `q`-quantile (0..=1) of the runs, nearest rank.
fn quantile(runs: &[Duration], q: f64) -> Duration {
    let mut sorted = runs.to_vec();
    sorted.sort();
    let rank = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len().max(1));
    sorted.get(rank - 1).copied().unwrap_or_default()
}

/// Times headquarters' figures for `period` over every store: `runs` times from the counters in a
/// row after one warm-up, then `scan_runs` times by scanning the raw records (the scans evict the
/// caches the counters' reads would otherwise find, so they are not interleaved).
pub async fn bench_hq(
    services: &Services,
    repo: &SeaRepository,
    period: &str,
    runs: u32,
    scan_runs: u32,
) -> Result<BenchReport> {
    let hq = principal(Role::HqAnalyst);
    let stores = all_stores(services).await?;
    let parsed = Period::parse(period)?;
    let figures = services.summaries.headquarters(&hq, None, period).await?;
    let mut counted = Vec::new();
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        services.summaries.headquarters(&hq, None, period).await?;
        counted.push(started.elapsed());
    }
    let (mut scanned, mut equal) = (Vec::new(), true);
    for _ in 0..scan_runs.max(1) {
        let started = Instant::now();
        let mut scans = Vec::with_capacity(stores.len());
        for store in &stores {
            scans.push((store.code.clone(), figures_by_scanning(repo, store, parsed).await?));
        }
        scanned.push(started.elapsed());
        for (code, scan) in &scans {
            let same =
                figures.iter().any(|f| StoreCode::parse(&f.store).as_ref() == Ok(code) && f.figures == *scan);
            equal &= same;
        }
    }
    Ok(BenchReport {
        stores: stores.len(),
        counters: quantile(&counted, 0.5),
        counters_p95: quantile(&counted, 0.95),
        scan: quantile(&scanned, 0.5),
        equal,
    })
}

/// The FU-9 figures of one store read the way they were before the counters: every task,
/// contact and complaint of the period loaded through the repository's lists and counted
/// (registered letters left out). The baseline of the HQ-2 benchmark.
async fn figures_by_scanning(repo: &SeaRepository, store: &Store, period: Period) -> Result<FollowUpFigures> {
    let tz = store.timezone;
    // The period's days and instants as the summaries reckon them.
    let (code, window) = (&store.code, period.instants(tz));
    let tasks = &TaskFilter { due_within: Some(period.days()), ..TaskFilter::default() };
    let contacts = &ContactFilter { contacted_within: Some(window), ..ContactFilter::default() };
    let tasks = all_pages(|page| async move { repo.list_tasks(code, tasks, &page).await }).await?;
    let contacts = all_pages(|page| async move { repo.list_contacts(code, contacts, &page).await }).await?;
    let complaints = repo.complaints_opened_within(&[(code.clone(), window.0, window.1)]).await?;
    Ok(figures(&tasks, &complaints, &contacts, &[], tz))
}

/// Opens the configured database, migrated, with the application services over it.
pub async fn open(
    config: &crate::config::Config,
) -> std::result::Result<(Services, Arc<SeaRepository>), crate::StartError> {
    let db = aftersales_persistence::connect(&config.database_url, config.database_max_connections).await?;
    aftersales_persistence::migrate(&db).await?;
    let repo = Arc::new(SeaRepository::new(db));
    let blobs = Arc::new(aftersales_persistence::blobs::ObjectBlobStore::open(&config.object_store_url)?);
    let services = Services::with_settings(repo.clone(), blobs, Arc::new(SystemClock), Default::default());
    Ok((services, repo))
}
