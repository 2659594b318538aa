//! The embedded default (D1) against the real PostgreSQL binaries.

use perfledger_store::cluster::{find_bin_dir, ClusterOptions, EmbeddedCluster};
use sqlx::Connection;

fn start(dir: &std::path::Path) -> EmbeddedCluster {
    EmbeddedCluster::start_blocking(dir, ClusterOptions { durable: false }, find_bin_dir().unwrap()).unwrap()
}

async fn query_one(cluster: &EmbeddedCluster, sql: &str) -> i64 {
    let mut conn = sqlx::PgConnection::connect_with(&cluster.connect_options("postgres")).await.unwrap();
    let value: i64 = sqlx::query_scalar(sql).fetch_one(&mut conn).await.unwrap();
    conn.close().await.unwrap();
    value
}

#[tokio::test]
async fn a_cluster_is_created_reused_and_keeps_its_data() {
    let dir = tempfile::Builder::new().prefix("plc-").tempdir_in("/tmp").unwrap();
    let mut cluster = start(dir.path());
    assert!(cluster.is_owned());
    let mut conn = sqlx::PgConnection::connect_with(&cluster.connect_options("postgres")).await.unwrap();
    sqlx::raw_sql("CREATE TABLE kept (n int); INSERT INTO kept VALUES (41), (1)").execute(&mut conn).await.unwrap();
    conn.close().await.unwrap();
    cluster.stop().unwrap();
    assert!(!dir.path().join("pg/postmaster.pid").exists(), "a clean stop removes the pid file");

    let again = start(dir.path());
    assert!(again.is_owned());
    assert_eq!(query_one(&again, "SELECT sum(n)::bigint FROM kept").await, 42);
}

#[tokio::test]
async fn a_second_start_attaches_and_leaves_the_server_running() {
    let dir = tempfile::Builder::new().prefix("plc-").tempdir_in("/tmp").unwrap();
    let owner = start(dir.path());
    {
        let attached = start(dir.path());
        assert!(!attached.is_owned());
        assert_eq!(query_one(&attached, "SELECT 1::bigint").await, 1);
    }
    // The attached handle was dropped; the owner's server still answers.
    assert_eq!(query_one(&owner, "SELECT 2::bigint").await, 2);
}

#[tokio::test]
async fn a_cluster_left_by_a_crash_recovers_on_the_next_start() {
    let dir = tempfile::Builder::new().prefix("plc-").tempdir_in("/tmp").unwrap();
    let crashed = start(dir.path());
    let pid_file = std::fs::read_to_string(dir.path().join("pg/postmaster.pid")).unwrap();
    let pid: i32 = pid_file.lines().next().unwrap().trim().parse().unwrap();
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL).unwrap();
    // Wait until the postmaster is gone; its children exit on their own.
    for _ in 0..100 {
        if nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_err() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(dir.path().join("pg/postmaster.pid").exists(), "the crash left a stale pid file");
    // Dropping the dead server's handle only logs that it could not stop it.
    drop(crashed);

    let recovered = start(dir.path());
    assert!(recovered.is_owned());
    assert_eq!(query_one(&recovered, "SELECT 3::bigint").await, 3);
}

#[test]
fn missing_binaries_are_one_clear_line() {
    let dir = tempfile::Builder::new().prefix("plc-").tempdir_in("/tmp").unwrap();
    let empty = tempfile::tempdir().unwrap();
    let err = EmbeddedCluster::start_blocking(dir.path(), ClusterOptions::default(), empty.path().to_path_buf())
        .unwrap_err()
        .to_string();
    assert!(!err.contains('\n'), "{err}");
    assert!(err.contains("initdb"), "{err}");
}

/// Issue 14: the socket directory is the server user's alone (0700) and a
/// connection without the password is refused (scram-sha-256, no trust).
#[tokio::test]
async fn the_cluster_is_private_to_its_user() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let dir = tempfile::Builder::new().prefix("plc-").tempdir_in("/tmp").unwrap();
    let cluster = start(dir.path());
    let socket_dir = std::fs::metadata(cluster.socket_dir()).unwrap();
    assert_eq!(socket_dir.permissions().mode() & 0o777, 0o700);
    let server_user = if nix::unistd::Uid::effective().is_root() {
        nix::unistd::User::from_name("postgres").unwrap().unwrap().uid.as_raw()
    } else {
        nix::unistd::Uid::effective().as_raw()
    };
    assert_eq!(socket_dir.uid(), server_user, "owned by the user the server runs as");
    let password_file = std::fs::metadata(dir.path().join(perfledger_store::cluster::PASSWORD_FILE)).unwrap();
    assert_eq!(password_file.permissions().mode() & 0o777, 0o600);
    let hba = std::fs::read_to_string(dir.path().join("pg/pg_hba.conf")).unwrap();
    assert!(!hba.lines().any(|l| !l.trim_start().starts_with('#') && l.contains("trust")), "{hba}");

    let without_password = cluster.connect_options("postgres").password("");
    let refused = sqlx::PgConnection::connect_with(&without_password).await;
    assert!(refused.is_err(), "a connection without the password is refused");
    let wrong = sqlx::PgConnection::connect_with(&cluster.connect_options("postgres").password("guess")).await;
    assert!(wrong.is_err(), "a wrong password is refused");
    assert_eq!(query_one(&cluster, "SELECT 5::bigint").await, 5);
    let url = cluster.database_url("postgres");
    let by_url = sqlx::PgConnection::connect(&url).await.expect("the URL carries the password");
    by_url.close().await.unwrap();
    assert!(!format!("{cluster:?}").contains(std::fs::read_to_string(dir.path().join("pg.password")).unwrap().trim()));
}

/// A cluster made by an older build (trust, no password file) gets a
/// password and scram on its next start, and keeps its data.
#[tokio::test]
async fn an_older_trust_cluster_is_made_private_on_start() {
    let dir = tempfile::Builder::new().prefix("plc-").tempdir_in("/tmp").unwrap();
    let mut cluster = start(dir.path());
    let mut conn = sqlx::PgConnection::connect_with(&cluster.connect_options("postgres")).await.unwrap();
    sqlx::raw_sql("CREATE TABLE kept (n int); INSERT INTO kept VALUES (7)").execute(&mut conn).await.unwrap();
    sqlx::raw_sql("ALTER ROLE postgres PASSWORD NULL").execute(&mut conn).await.unwrap();
    conn.close().await.unwrap();
    cluster.stop().unwrap();
    // What an older build left: trust for local connections, no password.
    std::fs::write(dir.path().join("pg/pg_hba.conf"), "local all all trust\n").unwrap();
    std::fs::remove_file(dir.path().join("pg.password")).unwrap();

    let upgraded = start(dir.path());
    assert!(dir.path().join("pg.password").exists());
    assert_eq!(query_one(&upgraded, "SELECT sum(n)::bigint FROM kept").await, 7);
    let refused = sqlx::PgConnection::connect_with(&upgraded.connect_options("postgres").password("")).await;
    assert!(refused.is_err(), "no more trust");
}
