//! The `aftersales` command: serve, migrate, mint a token, print the OpenAPI document.

use std::path::PathBuf;
use std::process::ExitCode;

use aftersales_domain::app::OnDuplicate;
use aftersales_domain::model::import_job::ImportKind;
use aftersales_server::config::Config;
use aftersales_server::jwt::{TokenRequest, mint};
use aftersales_server::{demo, import, seed, start, telemetry};
use clap::{Parser, Subcommand};

// Requests allocate many small, short-lived buffers (JSON, SQL, rows); mimalloc serves them
// with less contention between the runtime's threads than glibc's malloc (see `make bench`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "aftersales", version, about = "After-sales backend for 4S dealerships (REST + gRPC)")]
struct Cli {
    /// A TOML configuration file (also AFTERSALES_CONFIG).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the REST and gRPC servers (the default).
    Serve,
    /// Applies pending database migrations and exits.
    Migrate,
    /// Mints a token with the configured HS256 secret, for development and scripts.
    Token {
        /// Staff id (`sub`).
        #[arg(long)]
        sub: String,
        /// Display name.
        #[arg(long, default_value = "")]
        name: String,
        /// A role; repeat for several (advisor, technician, inspector, followup_agent, supervisor,
        /// hq_analyst, integration, admin).
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// A store code, or `*` for admin and hq_analyst; repeat for several.
        #[arg(long = "store")]
        stores: Vec<String>,
        /// Lifetime, e.g. 8h, 30m, 2d.
        #[arg(long, default_value = "8h", value_parser = humantime::parse_duration)]
        ttl: std::time::Duration,
    },
    /// Prints the OpenAPI document.
    Openapi,
    /// Exits 0 when a probe URL answers 2xx within 3 s (the container's HEALTHCHECK: the
    /// runtime image has no shell or curl).
    Probe {
        /// The probe to ask.
        #[arg(long, default_value = "http://127.0.0.1:8080/healthz")]
        url: String,
    },
    /// Generates group-scale follow-up volume (stores G0001...) for the HQ-2 benchmark.
    Seed {
        /// Stores to create.
        #[arg(long, default_value_t = 100)]
        stores: u32,
        /// Follow-up tasks per store (a contact record comes with each one done).
        #[arg(long, default_value_t = 10_000)]
        tasks_per_store: u32,
        /// Spread deadlines over this many days up to today.
        #[arg(long, default_value_t = 365)]
        days: u32,
        /// Customer files per store (default: a quarter of the tasks).
        #[arg(long)]
        customers_per_store: Option<u32>,
        /// Every task open, due from today on: an agent's backlog (the worklist benchmark).
        #[arg(long)]
        all_open: bool,
    },
    /// Imports a store's customer files and cars, or its service history, from its old DMS: an
    /// XLSX workbook (its first sheet) or a CSV sheet in UTF-8 or GB18030, with Chinese or
    /// English headers (客户姓名/name, 手机/phone, 车架号/vin...; for history a row per line:
    /// 工单号/order_number, 交车日期/delivered_date, 进厂里程/mileage_km, 维修类别/repair_category,
    /// 项目名称/description, 数量/quantity, 单价/unit_price...), in batches of 250 rows; writes a
    /// row-level report. Run again after a crash or a kill, it resumes after the last committed
    /// batch and writes no row twice.
    Import {
        /// What the sheet holds: `customers`, or `history` (past delivered orders of cars on file).
        #[arg(value_parser = ["customers", "history", "service_history"])]
        kind: String,
        /// The sheet.
        file: std::path::PathBuf,
        /// The store it moves into.
        #[arg(long)]
        store: String,
        /// Check every row, write nothing.
        #[arg(long)]
        dry_run: bool,
        /// A car (by VIN) or customer (by phone) already on file: merge (fill what the car lacks,
        /// or add the row's car to the customer's file), skip, or report.
        #[arg(long, default_value = "report", value_parser = ["merge", "skip", "report"])]
        on_duplicate: String,
        /// Where the report goes (default: FILE with `.report.csv`).
        #[arg(long)]
        report: Option<std::path::PathBuf>,
    },
    /// Times headquarters' figures for every store against a scan of the raw records (HQ-2).
    BenchHq {
        /// The month (YYYY-MM) or year (YYYY).
        #[arg(long)]
        period: String,
        /// Timed reads from the counters; their median and p95 are reported.
        #[arg(long, default_value_t = 20)]
        runs: u32,
        /// Timed scans of the raw records; their median is reported.
        #[arg(long, default_value_t = 3)]
        scan_runs: u32,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    // One TLS crypto provider for every client (the e-health upload).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cli = Cli::parse();
    if let Some(Command::Openapi) = cli.command {
        return match aftersales_rest::openapi().to_pretty_json() {
            Ok(doc) => {
                println!("{doc}");
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        };
    }
    if let Some(Command::Probe { url }) = &cli.command {
        return probe(url).await;
    }
    let config = match Config::load(cli.config) {
        Ok(config) => config,
        Err(e) => return fail(e),
    };
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config).await,
        Command::Migrate => migrate(config).await,
        Command::Token { sub, name, roles, stores, ttl } => {
            match mint(&config, &TokenRequest { sub, name, roles, stores, ttl }) {
                Ok(token) => {
                    println!("{token}");
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e),
            }
        }
        Command::Openapi | Command::Probe { .. } => ExitCode::SUCCESS,
        Command::Seed { stores, tasks_per_store, days, customers_per_store, all_open } => {
            telemetry::init(&config);
            let plan = seed::SeedPlan { stores, tasks_per_store, days, customers_per_store, all_open };
            let started = std::time::Instant::now();
            let result = async {
                let (services, repo) = seed::open(&config).await.map_err(|e| e.to_string())?;
                seed::seed(&services, &repo, plan).await.map_err(|e| e.to_string())
            };
            match result.await {
                Ok(written) => {
                    let took = started.elapsed();
                    let rate = written as f64 / took.as_secs_f64().max(1e-9);
                    println!("seeded {stores} stores, {written} records in {took:.1?} ({rate:.0} records/s)");
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e),
            }
        }
        Command::Import { kind, file, store, dry_run, on_duplicate, report } => {
            telemetry::init(&config);
            let on_duplicate = match OnDuplicate::parse(&on_duplicate) {
                Ok(choice) => choice,
                Err(e) => return fail(e),
            };
            let kind = if kind == "customers" { ImportKind::Customers } else { ImportKind::ServiceHistory };
            let plan = import::ImportPlan { file, store, kind, dry_run, on_duplicate, report };
            let started = std::time::Instant::now();
            let result = async {
                let (services, _) = seed::open(&config).await.map_err(|e| e.to_string())?;
                import::import_sheet(&services, plan).await.map_err(|e| e.to_string())
            };
            match result.await {
                Ok(s) => {
                    let took = started.elapsed();
                    let c = s.counts;
                    let rate = c.rows.saturating_sub(s.resumed_after) as f64 / took.as_secs_f64().max(1e-9);
                    let how = if s.already_done {
                        ", already imported: nothing written".to_string()
                    } else if s.resumed_after > 0 {
                        format!(", resumed after row {}", s.resumed_after)
                    } else {
                        String::new()
                    };
                    println!(
                        "{} rows in {took:.1?} ({rate:.0} rows/s){}{how}: {} created, {} merged, {} skipped, {} refused; {} problems in {}",
                        c.rows,
                        if dry_run { ", dry run" } else { "" },
                        c.created,
                        c.merged,
                        c.skipped,
                        c.refused,
                        c.problems,
                        s.report.display()
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e),
            }
        }
        Command::BenchHq { period, runs, scan_runs } => {
            telemetry::init(&config);
            let result = async {
                let (services, repo) = seed::open(&config).await.map_err(|e| e.to_string())?;
                seed::bench_hq(&services, &repo, &period, runs, scan_runs).await.map_err(|e| e.to_string())
            };
            match result.await {
                Ok(r) => {
                    let ratio = r.scan.as_secs_f64() / r.counters.as_secs_f64().max(1e-9);
                    println!(
                        "{} stores, period {period}: counters median {:.1?} p95 {:.1?} ({runs} runs), \
                         raw scan median {:.1?} ({scan_runs} runs), scan/counters = {ratio:.1}x, \
                         same figures: {}",
                        r.stores, r.counters, r.counters_p95, r.scan, r.equal
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e),
            }
        }
    }
}

async fn probe(url: &str) -> ExitCode {
    let client = match reqwest::Client::builder().timeout(std::time::Duration::from_secs(3)).build() {
        Ok(client) => client,
        Err(e) => return fail(e),
    };
    match client.get(url).send().await {
        Ok(res) if res.status().is_success() => ExitCode::SUCCESS,
        Ok(res) => fail(format!("{url} answered {}", res.status())),
        Err(e) => fail(e),
    }
}

fn fail(e: impl std::fmt::Display) -> ExitCode {
    eprintln!("aftersales: {e}");
    ExitCode::FAILURE
}

async fn migrate(config: Config) -> ExitCode {
    telemetry::init(&config);
    let result = async {
        let db = aftersales_persistence::connect(&config.database_url, 1).await?;
        aftersales_persistence::migrate(&db).await
    };
    match result.await {
        Ok(()) => {
            println!("migrations applied");
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

async fn serve(config: Config) -> ExitCode {
    let telemetry = telemetry::init(&config);
    let server = match start(&config).await {
        Ok(server) => server,
        Err(e) => return fail(e),
    };
    if config.demo {
        print_first_steps(&config, server.http_addr, server.grpc_addr);
    }
    let stop = server.stopper();
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutting down; finishing requests in flight");
        let _ = stop.send(true);
    });
    let stopped = server.wait().await;
    // After the drain, so the spans of the last requests reach the collector.
    telemetry.shutdown();
    match stopped {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

fn print_first_steps(config: &Config, http: std::net::SocketAddr, grpc: std::net::SocketAddr) {
    let request = TokenRequest {
        sub: "sup-001".into(),
        name: "王主管".into(),
        roles: vec!["supervisor".into()],
        stores: vec![demo::DEMO_STORE.into()],
        ttl: std::time::Duration::from_secs(8 * 3600),
    };
    let Ok(token) = mint(config, &request) else {
        return;
    };
    let store = demo::DEMO_STORE;
    println!(
        r#"
Aftersales is running.
  REST  http://{http}   (docs: http://{http}/docs, OpenAPI: http://{http}/openapi.json)
  gRPC  {grpc}          (reflection on: grpcurl -plaintext {grpc} list)

A supervisor token for demo store {store}, valid 8 hours:
  export TOKEN={token}

Open a customer file and list it:
  curl -s -X POST http://{http}/v1/stores/{store}/customers \
    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -H "Idempotency-Key: $(date +%s)" \
    -d '{{"name":"张伟","phone":"13812345678"}}'
  curl -s http://{http}/v1/stores/{store}/customers -H "Authorization: Bearer $TOKEN"

Free appointment starts for maintenance over the next week (the demo store's capacity):
  curl -s "http://{http}/v1/stores/{store}/availability?from=$(date +%F)&to=$(date -d +6days +%F)&service_types=maintenance" \
    -H "Authorization: Bearer $TOKEN"

Messages to customers (SMS and WeChat go to the log provider until one is configured):
  curl -s http://{http}/v1/stores/{store}/messages -H "Authorization: Bearer $TOKEN"

The same over gRPC:
  grpcurl -plaintext -H "authorization: Bearer $TOKEN" -d '{{"store":"{store}"}}' \
    {grpc} aftersales.v1.CustomerService/ListCustomers

More tokens (same development secret):
  make token ARGS="--sub adv-001 --name 李顾问 --role advisor --store {store}"
"#
    );
}
