//! The binary's failures are one clear line that says what to do.

use std::process::Command;

fn perfledger(args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let mut command = Command::new(crate::support::perfledger_bin());
    command.args(args).env_remove("DATABASE_URL").env_remove("PERFLEDGER_JWT_SECRET").env("PERFLEDGER_LOG", "error");
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().expect("the perfledger binary runs");
    (output.status.success(), String::from_utf8_lossy(&output.stderr).trim().to_string())
}

#[test]
fn an_unwritable_data_dir_is_named() {
    let (ok, stderr) = perfledger(&["migrate", "--data-dir", "/proc/perfledger-cannot-live-here"], &[]);
    assert!(!ok);
    assert!(stderr.contains("/proc/perfledger-cannot-live-here") && stderr.contains("not writable"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn missing_postgres_binaries_say_what_to_install() {
    let empty = tempfile::tempdir().unwrap();
    let data = tempfile::Builder::new().prefix("plb-").tempdir_in("/tmp").unwrap();
    let (ok, stderr) = perfledger(
        &["migrate", "--data-dir", data.path().to_str().unwrap()],
        &[("PERFLEDGER_PG_BIN", empty.path().to_str().unwrap())],
    );
    assert!(!ok);
    assert!(stderr.contains("PERFLEDGER_PG_BIN") && stderr.contains("initdb"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn serving_without_a_token_key_says_which_variable_to_set() {
    let (ok, stderr) = perfledger(&["serve"], &[]);
    assert!(!ok);
    assert!(stderr.contains("PERFLEDGER_JWT_SECRET"), "{stderr}");
}

#[test]
fn a_short_jwt_secret_is_refused() {
    let (ok, stderr) =
        perfledger(&["token", "--subject", "crm", "--permissions", "ingest"], &[("PERFLEDGER_JWT_SECRET", "short")]);
    assert!(!ok);
    assert!(stderr.contains("at least 32 bytes"), "{stderr}");
}

#[test]
fn a_bad_database_url_does_not_echo_it() {
    let (ok, stderr) = perfledger(&["migrate"], &[("DATABASE_URL", "mysql://user:hunter2@db.invalid/db")]);
    assert!(!ok);
    assert!(stderr.contains("DATABASE_URL"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "the password leaked: {stderr}");
}

#[test]
fn help_names_every_environment_variable() {
    let output = Command::new(crate::support::perfledger_bin()).args(["serve", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    for var in [
        "DATABASE_URL",
        "PERFLEDGER_DATA_DIR",
        "PERFLEDGER_LISTEN",
        "PERFLEDGER_JWT_SECRET",
        "PERFLEDGER_JWT_PUBLIC_KEY_FILE",
        "PERFLEDGER_LOG",
    ] {
        assert!(help.contains(var), "--help does not name {var}");
    }
}

#[test]
fn a_minted_token_verifies() {
    let secret = "a-secret-that-is-long-enough-0123456789";
    let (ok, _) =
        perfledger(&["token", "--subject", "crm", "--permissions", "ingest"], &[("PERFLEDGER_JWT_SECRET", secret)]);
    assert!(ok);
    let output = Command::new(crate::support::perfledger_bin())
        .args(["token", "--subject", "crm", "--permissions", "ingest", "--ttl", "60"])
        .env("PERFLEDGER_JWT_SECRET", secret)
        .output()
        .unwrap();
    let token = String::from_utf8_lossy(&output.stdout).trim().to_string();
    let principal = perfledger_api::auth::Verifier::hs256(secret.as_bytes()).unwrap().verify(&token).unwrap();
    assert_eq!(principal.subject, "crm");
    assert!(principal.has_permission("ingest"));
    assert!(!principal.has_permission("reports:operations"));
}

#[test]
fn serve_stops_its_embedded_cluster_cleanly_on_ctrl_c() {
    use std::io::{BufRead, BufReader};
    let data = tempfile::Builder::new().prefix("pls-").tempdir_in("/tmp").unwrap();
    let mut child = Command::new(crate::support::perfledger_bin())
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir", data.path().to_str().unwrap()])
        .env_remove("DATABASE_URL")
        .env("PERFLEDGER_JWT_SECRET", "a-secret-that-is-long-enough-0123456789")
        .env("PERFLEDGER_LOG", "error")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first_line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first_line).unwrap();
    assert!(first_line.starts_with("perfledger listening on http://127.0.0.1:"), "{first_line}");
    assert!(data.path().join("pg/postmaster.pid").exists(), "the embedded cluster runs while serving");

    nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), nix::sys::signal::Signal::SIGINT).unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
    assert!(!data.path().join("pg/postmaster.pid").exists(), "Ctrl-C stops the cluster cleanly");
}

#[tokio::test]
async fn a_busy_listen_address_says_how_to_choose_another() {
    let db = perfledger_tests::fresh_database().await;
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = busy.local_addr().unwrap().to_string();
    let (ok, stderr) = perfledger(
        &["serve", "--listen", &address],
        &[("DATABASE_URL", &db.database_url()), ("PERFLEDGER_JWT_SECRET", "a-secret-that-is-long-enough-0123456789")],
    );
    assert!(!ok);
    assert!(
        stderr.contains(&format!("cannot listen on {address}")) && stderr.contains("PERFLEDGER_LISTEN"),
        "{stderr}"
    );
}

/// Issue 15: logs written to a pipe or a file carry no ANSI colour codes
/// (they are for a terminal); the binary runs with stderr captured.
#[tokio::test]
async fn logs_to_a_pipe_have_no_colour_codes() {
    use std::io::{BufRead, BufReader, Read};
    let db = perfledger_tests::fresh_database().await;
    let mut child = Command::new(crate::support::perfledger_bin())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("DATABASE_URL", db.database_url())
        .env("PERFLEDGER_JWT_SECRET", "a-secret-that-is-long-enough-0123456789")
        .env("PERFLEDGER_LOG", "info")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first_line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first_line).unwrap();
    assert!(first_line.starts_with("perfledger listening on"), "{first_line}");
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), nix::sys::signal::Signal::SIGINT).unwrap();
    let mut stderr = Vec::new();
    child.stderr.take().unwrap().read_to_end(&mut stderr).unwrap();
    assert!(child.wait().unwrap().success());
    let text = String::from_utf8_lossy(&stderr);
    assert!(text.contains("shutting down"), "the info log was written: {text}");
    assert!(!stderr.contains(&0x1b), "no ESC byte in a captured log: {text:?}");
}
