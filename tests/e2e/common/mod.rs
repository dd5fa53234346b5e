//! `TestApp`: the real server on random ports against a fresh database, with clients.

use std::path::PathBuf;
use std::sync::Once;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aftersales_domain::ports::Clock;
use aftersales_grpc::{CustomerServiceClient, StoreServiceClient};
use aftersales_server::config::Config;
use aftersales_server::jwt::{TokenRequest, mint};
use aftersales_server::{RunningServer, start_with_clock};
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use tonic::transport::Channel;

/// A clock the test sets, for day-counting rules.
pub struct TestClock(Mutex<chrono::DateTime<chrono::Utc>>);

impl TestClock {
    /// Starts at an RFC 3339 instant.
    pub fn at(rfc3339: &str) -> Arc<Self> {
        Arc::new(Self(Mutex::new(rfc3339.parse().expect("an RFC 3339 instant"))))
    }

    /// Moves to another instant.
    pub fn set(&self, rfc3339: &str) {
        *self.0.lock().unwrap() = rfc3339.parse().expect("an RFC 3339 instant");
    }
}

impl Clock for TestClock {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        *self.0.lock().unwrap()
    }
}

/// The HS256 secret every test token is signed with.
pub const SECRET: &str = "test-secret-for-the-e2e-suite-0123456789";

static CRYPTO: Once = Once::new();

enum Db {
    /// Another app's database: left for that app to remove.
    Borrowed,
    Sqlite(PathBuf),
    Postgres {
        admin_url: String,
        name: String,
    },
}

/// A running server with clients, and the database it owns.
pub struct TestApp {
    pub http: reqwest::Client,
    pub base: String,
    pub grpc_channel: Channel,
    /// Where gRPC listens.
    pub grpc_addr: std::net::SocketAddr,
    pub config: Config,
    server: Option<RunningServer>,
    db: Db,
}

/// A JSON answer: status, headers, body.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    /// The problem+json `code`, for error answers.
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or_default()
    }

    /// The fields named in a 400 answer.
    pub fn fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|errors| errors.iter().filter_map(|e| e["field"].as_str().map(String::from)).collect())
            .unwrap_or_default()
    }
}

fn postgres_url_with_db(admin_url: &str, name: &str) -> String {
    // Replace the path (database name) of the URL, keeping any query string.
    let (base, query) = admin_url.split_once('?').map_or((admin_url, None), |(b, q)| (b, Some(q)));
    let without_db = match base.rfind('/') {
        Some(i) if i > "postgres://".len() => &base[..i],
        _ => base,
    };
    match query {
        Some(q) => format!("{without_db}/{name}?{q}"),
        None => format!("{without_db}/{name}"),
    }
}

impl TestApp {
    /// Starts a server on a fresh database: PostgreSQL if `AFTERSALES_TEST_DATABASE_URL` is set,
    /// else a SQLite temp file.
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    /// Like [`TestApp::spawn`], with the configuration adjusted first.
    pub async fn spawn_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
        Self::spawn_full(adjust, Arc::new(aftersales_domain::ports::SystemClock)).await
    }

    /// Like [`TestApp::spawn`], on a clock the test sets.
    pub async fn spawn_at(clock: Arc<TestClock>) -> TestApp {
        Self::spawn_full(|_| {}, clock).await
    }

    /// On a clock the test sets, with the configuration adjusted first.
    pub async fn spawn_at_with(clock: Arc<TestClock>, adjust: impl FnOnce(&mut Config)) -> TestApp {
        Self::spawn_full(adjust, clock).await
    }

    async fn spawn_full(adjust: impl FnOnce(&mut Config), clock: Arc<dyn Clock>) -> TestApp {
        CRYPTO.call_once(|| {
            let _ = rustls::crypto::ring::default_provider().install_default();
        });
        let unique = uuid::Uuid::now_v7().simple().to_string();
        let (db, database_url) =
            match std::env::var("AFTERSALES_TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) {
                Some(admin_url) => {
                    let name = format!("aftersales_test_{unique}");
                    let admin =
                        Database::connect(admin_url.as_str()).await.expect("connect to the test PostgreSQL");
                    admin
                        .execute_unprepared(&format!("CREATE DATABASE {name}"))
                        .await
                        .expect("create test database");
                    admin.close().await.ok();
                    let url = postgres_url_with_db(&admin_url, &name);
                    (Db::Postgres { admin_url, name }, url)
                }
                None => {
                    let path = std::env::temp_dir().join(format!("aftersales-test-{unique}.db"));
                    let url = format!("sqlite://{}", path.display());
                    (Db::Sqlite(path), url)
                }
            };
        let mut config = Config {
            http_addr: "127.0.0.1:0".parse().unwrap(),
            grpc_addr: "127.0.0.1:0".parse().unwrap(),
            database_url,
            database_max_connections: 5,
            jwt_secret: Some(SECRET.into()),
            log: "warn".into(),
            object_store_url: std::env::temp_dir()
                .join(format!("aftersales-files-{unique}"))
                .display()
                .to_string(),
            ..Config::default()
        };
        adjust(&mut config);
        let server = start_with_clock(&config, clock).await.expect("server starts");
        let base = format!("http://{}", server.http_addr);
        let grpc_channel = Channel::from_shared(format!("http://{}", server.grpc_addr))
            .unwrap()
            .connect_timeout(Duration::from_secs(5))
            .connect()
            .await
            .expect("grpc connects");
        let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
        let grpc_addr = server.grpc_addr;
        TestApp { http, base, grpc_channel, grpc_addr, config, server: Some(server), db }
    }

    /// Starts a second server process on this app's database, as a second replica would run.
    pub async fn replica(&self, clock: Arc<dyn Clock>) -> TestApp {
        let mut config = self.config.clone();
        config.http_addr = "127.0.0.1:0".parse().unwrap();
        config.grpc_addr = "127.0.0.1:0".parse().unwrap();
        let server = start_with_clock(&config, clock).await.expect("replica starts");
        let base = format!("http://{}", server.http_addr);
        let grpc_channel =
            Channel::from_shared(format!("http://{}", server.grpc_addr)).unwrap().connect().await.unwrap();
        let grpc_addr = server.grpc_addr;
        TestApp {
            http: self.http.clone(),
            base,
            grpc_channel,
            grpc_addr,
            config,
            server: Some(server),
            db: Db::Borrowed,
        }
    }

    /// The running server's application services, for driving background work directly.
    pub fn services(&self) -> &aftersales_domain::app::Services {
        &self.server.as_ref().expect("server running").services
    }

    /// Stops the server gracefully and waits for both listeners to close.
    pub async fn shutdown(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await.expect("clean shutdown");
        }
    }

    /// Mints a token.
    pub fn token(&self, sub: &str, roles: &[&str], stores: &[&str]) -> String {
        mint(
            &self.config,
            &TokenRequest {
                sub: sub.into(),
                name: sub.into(),
                roles: roles.iter().map(|s| s.to_string()).collect(),
                stores: stores.iter().map(|s| s.to_string()).collect(),
                ttl: Duration::from_secs(3600),
            },
        )
        .expect("mint token")
    }

    /// An admin token reaching every store.
    pub fn admin(&self) -> String {
        self.token("admin-1", &["admin"], &["*"])
    }

    /// A supervisor token for one store.
    pub fn supervisor(&self, store: &str) -> String {
        self.token("sup-1", &["supervisor"], &[store])
    }

    /// An advisor token for one store.
    pub fn advisor(&self, store: &str) -> String {
        self.token("adv-1", &["advisor"], &[store])
    }

    /// Sends a request with optional JSON body and extra headers.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut req = self.http.request(method, format!("{}{}", self.base, path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.expect("request sent");
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Answer { status, headers, body }
    }

    pub async fn get(&self, path: &str, token: &str) -> Answer {
        self.send(Method::GET, path, Some(token), None, &[]).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Answer {
        self.send(Method::POST, path, Some(token), Some(body), &[]).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Answer {
        self.send(Method::PATCH, path, Some(token), Some(body), &[]).await
    }

    /// gRPC client for `StoreService`.
    pub fn stores_grpc(&self) -> StoreServiceClient<Channel> {
        StoreServiceClient::new(self.grpc_channel.clone())
    }

    /// gRPC client for `CustomerService`.
    pub fn customers_grpc(&self) -> CustomerServiceClient<Channel> {
        CustomerServiceClient::new(self.grpc_channel.clone())
    }

    /// Creates a store (as admin) and returns its code.
    pub async fn seed_store(&self, code: &str) -> String {
        let res = self
            .post("/v1/stores", &self.admin(), json!({"code": code, "name": format!("{code} 4S店")}))
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{:?}", res.body);
        code.to_string()
    }

    /// Opens a customer file in `store` and returns its JSON.
    pub async fn seed_customer(&self, store: &str, name: &str, phone: &str) -> Value {
        let res = self
            .post(
                &format!("/v1/stores/{store}/customers"),
                &self.advisor(store),
                json!({"name": name, "phone": phone}),
            )
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{:?}", res.body);
        res.body
    }

    /// Adds a vehicle and returns its JSON.
    pub async fn seed_vehicle(&self, store: &str, customer: &str, vin: &str, plate: &str) -> Value {
        let res = self
            .post(
                &format!("/v1/stores/{store}/customers/{customer}/vehicles"),
                &self.advisor(store),
                json!({"vin": vin, "plate": plate, "make": "大众", "model": "朗逸", "mileage_km": 12000}),
            )
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{:?}", res.body);
        res.body
    }
}

/// Adds a bearer token to a gRPC request.
pub fn authed<T>(token: &str, message: T) -> tonic::Request<T> {
    let mut req = tonic::Request::new(message);
    req.metadata_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    req
}

/// Returns the `ErrorInfo.reason` and field violations of a status.
pub fn status_details(status: &tonic::Status) -> (String, Vec<String>) {
    use tonic_types::StatusExt;
    let details = status.get_error_details();
    let reason = details.error_info().map(|i| i.reason.clone()).unwrap_or_default();
    let fields = details
        .bad_request()
        .map(|b| b.field_violations.iter().map(|v| v.field.clone()).collect())
        .unwrap_or_default();
    (reason, fields)
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            let _ = server.stopper().send(true);
        }
        if self.config.object_store_url.contains("aftersales-files-") {
            let _ = std::fs::remove_dir_all(&self.config.object_store_url);
        }
        match &self.db {
            Db::Borrowed => {}
            Db::Sqlite(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Db::Postgres { admin_url, name } => {
                let (admin_url, name) = (admin_url.clone(), name.clone());
                // Drop runs inside the test's runtime; a separate thread with its own runtime can block.
                let _ = std::thread::spawn(move || {
                    let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                        return;
                    };
                    rt.block_on(async {
                        if let Ok(admin) = Database::connect(admin_url.as_str()).await {
                            let _ = admin
                                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                                .await;
                            let _ = admin.close().await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

/// Valid VINs (check digits computed) for fixtures.
pub const VINS: [&str; 4] =
    ["LSVAU218XN2183294", "LFV2A21K7G3000001", "LSGPC52U5AF000002", "WVWZZZ1J70W000003"];

/// The `aftersales` binary `make test` builds before the suite (`AFTERSALES_BIN` overrides).
pub fn server_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("AFTERSALES_BIN") {
        return PathBuf::from(path);
    }
    // target/<profile>/deps/e2e-<hash> -> target/<profile>/aftersales
    let exe = std::env::current_exe().expect("test binary path");
    let bin =
        exe.parent().and_then(|deps| deps.parent()).map(|dir| dir.join("aftersales")).expect("target dir");
    assert!(
        bin.exists(),
        "{} is missing: run `make test` (it builds the server first) or set AFTERSALES_BIN",
        bin.display()
    );
    bin
}

/// The server binary, ready to `serve` on `app`'s database on random ports with this suite's
/// secret; callers add their own settings and decide where its output goes.
pub fn server_command(app: &TestApp) -> std::process::Command {
    let mut command = std::process::Command::new(server_binary());
    command
        .arg("serve")
        .env("AFTERSALES_DATABASE_URL", &app.config.database_url)
        .env("AFTERSALES_HTTP_ADDR", "127.0.0.1:0")
        .env("AFTERSALES_GRPC_ADDR", "127.0.0.1:0")
        .env("AFTERSALES_JWT_SECRET", SECRET)
        .env("AFTERSALES_DEMO", "false")
        .env_remove("RUST_LOG")
        .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT");
    command
}

/// A port nobody listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Waits until `url` answers with anything but a server error.
pub async fn wait_until_up(http: &reqwest::Client, url: &str) {
    for _ in 0..200 {
        if http.get(url).send().await.is_ok_and(|r| r.status().as_u16() < 500) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{url} did not come up");
}

/// A child process killed when dropped, so a failed assertion leaves no process behind.
pub struct Killed(pub std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill(); // SIGKILL on Unix
        let _ = self.0.wait();
    }
}
