//! The test kit: one throwaway PostgreSQL cluster per test process (or the
//! server in `DATABASE_URL`), and a fresh, migrated database per test.
//!
//! Tests run on many tokio runtimes (one per `#[tokio::test]`), so nothing
//! runtime-bound lives in a static: only the cluster handle and its options.
//! The cluster is stopped and deleted by an `atexit` hook, because the test
//! harness ends with `std::process::exit` and statics are never dropped.

use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};

use perfledger_store::cluster::{find_bin_dir, ClusterOptions, EmbeddedCluster};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgPool};

/// Where test databases are created: an admin connection and a URL template.
struct Server {
    admin: PgConnectOptions,
    /// `DATABASE_URL` for child processes, with `{db}` for the database name.
    url_template: String,
}

static SERVER: OnceLock<Server> = OnceLock::new();
static CLUSTER: Mutex<Option<(EmbeddedCluster, tempfile::TempDir)>> = Mutex::new(None);
static NEXT_DB: AtomicU32 = AtomicU32::new(0);

extern "C" fn stop_cluster_at_exit() {
    if let Ok(mut guard) = CLUSTER.lock() {
        if let Some((mut cluster, dir)) = guard.take() {
            let _ = cluster.stop_immediately();
            drop(cluster);
            let _ = dir.close();
        }
    }
}

fn server() -> &'static Server {
    SERVER.get_or_init(|| match std::env::var("DATABASE_URL") {
        Ok(url) => {
            let admin = PgConnectOptions::from_str(&url).expect("DATABASE_URL is a valid PostgreSQL URL");
            let (base, query) = match url.split_once('?') {
                Some((base, query)) => (base.to_string(), format!("?{query}")),
                None => (url.clone(), String::new()),
            };
            let base = base.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap_or(base);
            Server { admin, url_template: format!("{base}/{{db}}{query}") }
        }
        Err(_) => {
            // A short path: Unix socket paths are limited to 107 bytes.
            let dir = tempfile::Builder::new().prefix("plt-").tempdir_in("/tmp").expect("a temp dir in /tmp");
            let bin = find_bin_dir().unwrap_or_else(|e| panic!("{e}"));
            let cluster = EmbeddedCluster::start_blocking(dir.path(), ClusterOptions { durable: false }, bin)
                .unwrap_or_else(|e| panic!("the test cluster did not start: {e}"));
            let server =
                Server { admin: cluster.connect_options("postgres"), url_template: cluster.database_url("{db}") };
            *CLUSTER.lock().unwrap() = Some((cluster, dir));
            // SAFETY: registering a plain extern "C" fn with no captured state.
            unsafe { libc::atexit(stop_cluster_at_exit) };
            server
        }
    })
}

/// A database of its own for one test.
pub struct TestDb {
    pub pool: PgPool,
    pub name: String,
    pub connect_options: PgConnectOptions,
}

impl TestDb {
    /// `DATABASE_URL` for a child `perfledger` process using this database.
    pub fn database_url(&self) -> String {
        server().url_template.replace("{db}", &self.name)
    }
}

/// Creates a fresh, uniquely named and migrated database.
pub async fn fresh_database() -> TestDb {
    let server = server();
    let name = format!("t_{}_{}", std::process::id(), NEXT_DB.fetch_add(1, Ordering::SeqCst));
    let mut admin = sqlx::PgConnection::connect_with(&server.admin).await.expect("connect to the test server");
    sqlx::query(&format!("CREATE DATABASE \"{name}\"")).execute(&mut admin).await.expect("create a test database");
    admin.close().await.ok();
    let connect_options = server.admin.clone().database(&name);
    let pool = PgPoolOptions::new().max_connections(10).connect_with(connect_options.clone()).await.expect("connect");
    perfledger_store::migrate::run(&pool).await.expect("migrations apply to a fresh database");
    TestDb { pool, name, connect_options }
}
