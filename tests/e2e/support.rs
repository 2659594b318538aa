//! Shared helpers for the end-to-end tests: a served app on a real port, tokens, envelopes.

pub mod access;

use std::net::SocketAddr;

use perfledger_api::auth::{Signer, Verifier};
use perfledger_api::AppState;
use perfledger_tests::TestDb;
use serde_json::{json, Value};

/// The `perfledger` binary cargo built for these tests.
pub fn perfledger_bin() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_BIN_EXE_perfledger"))
}

/// The binary against `db`, logging warnings only; add the arguments.
pub fn perfledger_command(db: &TestDb) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(perfledger_bin());
    command.env("DATABASE_URL", db.database_url()).env("PERFLEDGER_LOG", "warn");
    command
}

/// Runs the binary against `db` to completion with the default log level
/// and no settings defaults (`PERFLEDGER_SETTINGS_*`) from the environment.
pub fn run_perfledger(db: &TestDb, args: &[&str]) -> std::process::Output {
    std::process::Command::new(perfledger_bin())
        .args(args)
        .env("DATABASE_URL", db.database_url())
        .env_remove("PERFLEDGER_LOG")
        .env_remove("PERFLEDGER_SETTINGS_ACTOR")
        .env_remove("PERFLEDGER_SETTINGS_EFFECTIVE_FROM")
        .env_remove("PERFLEDGER_SETTINGS_REASON")
        .output()
        .expect("the perfledger binary runs")
}

pub const SECRET: &str = "test-secret-test-secret-test-secret-0123456789";

/// The DotMac webhook secret every [`TestApp`] is configured with.
pub const DOTMAC_WEBHOOK_SECRET: &str = "dotmac-webhook-secret-0123456789abcdef";

/// Starts `perfledger serve --listen 127.0.0.1:0 ARGS` against `db` with
/// `env` on top of the test's JWT secret, and returns it with the address it
/// announced; its stdout is drained, its stderr dropped.
pub async fn serve_binary(db: &TestDb, args: &[&str], env: &[(&str, &str)]) -> (tokio::process::Child, String) {
    use tokio::io::AsyncBufReadExt;
    let mut child = tokio::process::Command::new(perfledger_bin())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(args)
        .env("DATABASE_URL", db.database_url())
        .env("PERFLEDGER_JWT_SECRET", SECRET)
        .env("PERFLEDGER_LOG", "warn")
        .env_remove("PERFLEDGER_READY_MAX_LAG")
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("perfledger serve starts");
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let address = tokio::time::timeout(std::time::Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(url) = line.strip_prefix("perfledger listening on http://") {
                return url.trim().to_string();
            }
        }
        panic!("perfledger serve exited before listening");
    })
    .await
    .expect("perfledger serve announces its address");
    // Keep draining stdout so a later line never meets a closed pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, address)
}

pub struct TestApp {
    pub db: TestDb,
    pub address: SocketAddr,
    pub client: reqwest::Client,
    pub signer: Signer,
}

impl TestApp {
    /// A fresh database and the real router served on 127.0.0.1:0.
    pub async fn spawn() -> TestApp {
        Self::spawn_with(false).await
    }

    /// The same with demo mode on (`/auth/demo` lists and signs in people).
    pub async fn spawn_demo() -> TestApp {
        Self::spawn_with(true).await
    }

    async fn spawn_with(demo: bool) -> TestApp {
        Self::spawn_with_options(demo, perfledger_api::ServerOptions::default()).await
    }

    /// The real router and server loop with the given limits (timeouts,
    /// Secure cookies, the ingest budget).
    pub async fn spawn_with_options(demo: bool, options: perfledger_api::ServerOptions) -> TestApp {
        let db = perfledger_tests::fresh_database().await;
        let state = AppState::new(db.pool.clone(), Verifier::hs256(SECRET.as_bytes()).unwrap())
            .with_signer(Some(Signer::hs256(SECRET.as_bytes()).unwrap()), demo)
            .with_limits(options)
            .with_dotmac_webhook_secret(Some(DOTMAC_WEBHOOK_SECRET));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let header_read_timeout = state.limits.options.header_read_timeout;
        let app = perfledger_api::router(state);
        tokio::spawn(async move {
            perfledger_api::server::serve(listener, app, header_read_timeout, std::future::pending()).await.unwrap()
        });
        TestApp { db, address, client: reqwest::Client::new(), signer: Signer::hs256(SECRET.as_bytes()).unwrap() }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.address, path)
    }

    pub fn ingest_token(&self) -> String {
        self.signer.token("crm", &[], &["ingest"], 600)
    }

    /// Posts a JSON array with a valid ingest token.
    pub async fn post_array(&self, items: &[Value]) -> reqwest::Response {
        self.client.post(self.url("/api/v1/events")).bearer_auth(self.ingest_token()).json(&items).send().await.unwrap()
    }

    /// Posts NDJSON with a valid ingest token.
    pub async fn post_ndjson(&self, body: impl Into<reqwest::Body>) -> reqwest::Response {
        self.client
            .post(self.url("/api/v1/events"))
            .bearer_auth(self.ingest_token())
            .header("content-type", "application/x-ndjson")
            .body(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn event_count(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(&self.db.pool).await.unwrap()
    }
}

/// An envelope with the given id, type, time and data.
pub fn envelope(event_id: &str, type_name: &str, occurred_at: &str, data: Value) -> Value {
    json!({"event_id": event_id, "type": type_name, "occurred_at": occurred_at, "data": data})
}

pub const AGENT: &str = "7c9e6679-7425-40de-944b-e07fc1f90ae7";

/// Opens, assigns and resolves ticket `id` (three envelopes).
pub fn ticket_lifecycle(id: &str) -> Vec<Value> {
    vec![
        envelope(
            &format!("{id}-o"),
            "ticket.opened",
            "2026-11-02T09:00:00Z",
            json!({"ticket_id": id, "reference": format!("#{id}"), "sla_due_at": "2026-11-02T12:00:00Z"}),
        ),
        envelope(
            &format!("{id}-a"),
            "ticket.assigned",
            "2026-11-02T09:05:00Z",
            json!({"ticket_id": id, "person_id": AGENT}),
        ),
        envelope(
            &format!("{id}-r"),
            "ticket.resolved",
            "2026-11-02T10:30:00Z",
            json!({"ticket_id": id, "summary": "Customer jane.doe@example.com could not log in; reset the router."}),
        ),
    ]
}

pub fn problem_content_type(response: &reqwest::Response) -> String {
    response.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default()
}
