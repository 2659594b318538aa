//! The embedded default (D1): without `DATABASE_URL`, perfledger initialises
//! and runs a private PostgreSQL cluster under its data directory, from the
//! server binaries installed on the machine, listening on a Unix socket only.
//!
//! Layout under the data dir: `pg/` (the cluster), `run/` (the socket),
//! `pg.log` (the server log), `pg.password` (the superuser's password). As
//! root, the cluster runs as the `postgres` system user, since `initdb`
//! refuses root.
//!
//! The cluster is private to the user perfledger runs as (issue 14):
//! - the socket directory `run/` is mode 0700, owned by the server's user,
//!   so no other local user can even reach the socket;
//! - `pg_hba.conf` takes only Unix-socket connections, with `scram-sha-256`
//!   password authentication; the password is 32 random bytes (hex) from
//!   the OS, created with the cluster, kept in `pg.password` (mode 0600) and
//!   put in the connection options and URL perfledger builds (never logged:
//!   [`Secret`] hides it from `Debug`).
//! - A cluster created by an older build (trust, no `pg.password`) is
//!   upgraded on the next start by this process: a password is generated
//!   and set in single-user mode (`postgres --single`, the server being
//!   stopped), then `pg_hba.conf` is rewritten. `pg_hba.conf` is rewritten to
//!   the private form on every start, so a hand edit back to `trust` does not
//!   survive. A cluster another process already runs is attached to as it is.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use nix::unistd::{Gid, Uid, User};
use sqlx::postgres::PgConnectOptions;

/// The superuser's password, under the data dir (mode 0600).
pub const PASSWORD_FILE: &str = "pg.password";
/// What perfledger writes to `pg_hba.conf` on every start.
const PG_HBA: &str = "# Written by perfledger on every start: only Unix-socket connections, with the password in\n\
                      # ../pg.password (the socket directory is mode 0700).\n\
                      local all all scram-sha-256\n";

/// A password that `Debug` does not print.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(********)")
    }
}

/// 32 random bytes from the OS, as hex (safe in a URL and a SQL literal).
fn generate_password() -> std::io::Result<Secret> {
    use std::io::Read;
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(Secret(bytes.iter().map(|b| format!("{b:02x}")).collect()))
}

/// PostgreSQL's socket file name for the default port.
const SOCKET_FILE: &str = ".s.PGSQL.5432";
/// sun_path holds 108 bytes including the terminating NUL.
const MAX_SOCKET_PATH: usize = 107;

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error(
        "PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or under /usr/lib/postgresql/*/bin: \
         install PostgreSQL 14+ (e.g. apt-get install postgresql) or set DATABASE_URL"
    )]
    NoBinaries,
    #[error("PERFLEDGER_PG_BIN={0} does not contain initdb and pg_ctl: point it at PostgreSQL's bin directory")]
    BadBinDir(PathBuf),
    #[error("data dir {path} is not writable ({reason}): choose another with --data-dir or PERFLEDGER_DATA_DIR")]
    NotWritable { path: PathBuf, reason: String },
    #[error("running as root needs a 'postgres' system user to own the cluster (initdb refuses root): install PostgreSQL's server package or set DATABASE_URL")]
    NoPostgresUser,
    #[error("the postgres user cannot reach {0} (a parent directory is not searchable by others): use a --data-dir outside it, e.g. /var/lib/perfledger")]
    Unreachable(PathBuf),
    #[error("the socket path {0} is longer than the 107 bytes Unix sockets allow: use a shorter --data-dir")]
    SocketPathTooLong(PathBuf),
    #[error("{0} exists but is not a PostgreSQL cluster: move it away or choose another --data-dir")]
    NotACluster(PathBuf),
    #[error("initdb failed: {0}")]
    Initdb(String),
    #[error("PostgreSQL did not start (see {log}): {tail}")]
    Start { log: PathBuf, tail: String },
    #[error("stopping PostgreSQL failed: {0}")]
    Stop(String),
    #[error("cannot run {program}: {reason}")]
    Spawn { program: String, reason: String },
    #[error("the cluster's password file {path}: {reason}")]
    Password { path: PathBuf, reason: String },
}

/// Server settings that trade durability for speed, for throwaway test clusters.
#[derive(Debug, Clone, Copy)]
pub struct ClusterOptions {
    /// `false` turns fsync, synchronous_commit and full_page_writes off.
    pub durable: bool,
}

impl Default for ClusterOptions {
    fn default() -> Self {
        ClusterOptions { durable: true }
    }
}

/// A running private cluster. Dropping it stops the server if this process
/// started it; a cluster that was already running (another perfledger
/// process on the same data dir) is attached to and left running.
#[derive(Debug)]
pub struct EmbeddedCluster {
    data_dir: PathBuf,
    pgdata: PathBuf,
    socket_dir: PathBuf,
    bin_dir: PathBuf,
    run_as: Option<(Uid, Gid)>,
    owned: bool,
    /// The superuser's password (`pg.password`); `None` only while starting.
    password: Option<Secret>,
}

impl EmbeddedCluster {
    /// Initialises (if needed) and starts the durable cluster under `data_dir`.
    pub async fn start(data_dir: &Path) -> Result<Self, ClusterError> {
        let data_dir = data_dir.to_path_buf();
        tokio::task::spawn_blocking(move || {
            EmbeddedCluster::start_blocking(&data_dir, ClusterOptions::default(), find_bin_dir()?)
        })
        .await
        .map_err(|e| ClusterError::Spawn { program: "cluster start".into(), reason: e.to_string() })?
    }

    /// The synchronous core of [`EmbeddedCluster::start`], with explicit options and binaries.
    pub fn start_blocking(data_dir: &Path, options: ClusterOptions, bin_dir: PathBuf) -> Result<Self, ClusterError> {
        let not_writable = |reason: String| ClusterError::NotWritable { path: data_dir.to_path_buf(), reason };
        std::fs::create_dir_all(data_dir).map_err(|e| not_writable(e.to_string()))?;
        let data_dir = data_dir.canonicalize().map_err(|e| not_writable(e.to_string()))?;
        let pgdata = data_dir.join("pg");
        let socket_dir = data_dir.join("run");
        let socket_path = socket_dir.join(SOCKET_FILE);
        if socket_path.as_os_str().len() > MAX_SOCKET_PATH {
            return Err(ClusterError::SocketPathTooLong(socket_path));
        }
        let run_as = if Uid::effective().is_root() {
            let user = User::from_name("postgres").ok().flatten().ok_or(ClusterError::NoPostgresUser)?;
            check_reachable(&data_dir)?;
            Some((user.uid, user.gid))
        } else {
            None
        };
        for dir in [&data_dir, &socket_dir] {
            std::fs::create_dir_all(dir).map_err(|e| not_writable(e.to_string()))?;
            if let Some((uid, gid)) = run_as {
                nix::unistd::chown(dir.as_path(), Some(uid), Some(gid)).map_err(|e| not_writable(e.to_string()))?;
            }
        }
        // The socket's directory is the server user's alone (module docs).
        std::fs::set_permissions(&socket_dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| not_writable(e.to_string()))?;
        let mut cluster =
            EmbeddedCluster { data_dir, pgdata, socket_dir, bin_dir, run_as, owned: false, password: None };
        cluster.init_if_needed()?;
        cluster.start_server(options)
    }

    fn password_path(&self) -> PathBuf {
        self.data_dir.join(PASSWORD_FILE)
    }

    /// The password in `pg.password`, or `None` when there is no such file.
    fn read_password(&self) -> Result<Option<Secret>, ClusterError> {
        let path = self.password_path();
        match std::fs::read_to_string(&path) {
            Ok(text) if !text.trim().is_empty() => Ok(Some(Secret(text.trim().to_string()))),
            Ok(_) => {
                Err(ClusterError::Password { path, reason: "it is empty; delete it to generate a new one".into() })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(ClusterError::Password { path, reason: e.to_string() }),
        }
    }

    /// Writes `pg.password` (0600, owned by the server's user).
    fn write_password(&self, password: &Secret) -> Result<(), ClusterError> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let path = self.password_path();
        let failed = |e: &dyn std::fmt::Display| ClusterError::Password { path: path.clone(), reason: e.to_string() };
        let _ = std::fs::remove_file(&path);
        let mut file =
            std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path).map_err(|e| failed(&e))?;
        file.write_all(format!("{}\n", password.expose()).as_bytes()).map_err(|e| failed(&e))?;
        file.sync_all().map_err(|e| failed(&e))?;
        if let Some((uid, gid)) = self.run_as {
            nix::unistd::chown(path.as_path(), Some(uid), Some(gid)).map_err(|e| failed(&e))?;
        }
        Ok(())
    }

    fn init_if_needed(&mut self) -> Result<(), ClusterError> {
        if self.pgdata.join("PG_VERSION").exists() {
            self.password = self.read_password()?;
            return Ok(());
        }
        if self.pgdata.exists() && std::fs::read_dir(&self.pgdata).map(|mut d| d.next().is_some()).unwrap_or(true) {
            return Err(ClusterError::NotACluster(self.pgdata.clone()));
        }
        tracing::info!(pgdata = %self.pgdata.display(), "initialising the embedded PostgreSQL cluster");
        let password = generate_password()
            .map_err(|e| ClusterError::Password { path: self.password_path(), reason: e.to_string() })?;
        self.write_password(&password)?;
        let pwfile = format!("--pwfile={}", self.password_path().display());
        let output = self.run(
            "initdb",
            &[
                "-D".as_ref(),
                self.pgdata.as_os_str(),
                "-U".as_ref(),
                "postgres".as_ref(),
                "--auth-local=scram-sha-256".as_ref(),
                "--auth-host=reject".as_ref(),
                pwfile.as_ref(),
                "-E".as_ref(),
                "UTF8".as_ref(),
                "--locale=C".as_ref(),
                "--no-instructions".as_ref(),
            ],
        )?;
        if !output.status.success() {
            return Err(ClusterError::Initdb(tail(&output)));
        }
        self.password = Some(password);
        Ok(())
    }

    /// A cluster from an older build has no password: set one in
    /// single-user mode (the server is stopped), then keep it.
    fn set_password_if_missing(&mut self) -> Result<(), ClusterError> {
        if self.password.is_some() {
            return Ok(());
        }
        tracing::info!("the embedded cluster has no password yet (an older build made it): setting one");
        let password = generate_password()
            .map_err(|e| ClusterError::Password { path: self.password_path(), reason: e.to_string() })?;
        let sql = format!("ALTER ROLE postgres PASSWORD '{}';\n", password.expose());
        let output = self.run_with_input(
            "postgres",
            &[
                "--single".as_ref(),
                "-D".as_ref(),
                self.pgdata.as_os_str(),
                "-c".as_ref(),
                "exit_on_error=true".as_ref(),
                "postgres".as_ref(),
            ],
            sql.as_bytes(),
        )?;
        if !output.status.success() {
            return Err(ClusterError::Start { log: self.pgdata.clone(), tail: tail(&output) });
        }
        self.write_password(&password)?;
        self.password = Some(password);
        Ok(())
    }

    /// `pg_hba.conf` in its private form (module docs).
    fn write_pg_hba(&self) -> Result<(), ClusterError> {
        let path = self.pgdata.join("pg_hba.conf");
        std::fs::write(&path, PG_HBA).map_err(|e| ClusterError::NotWritable { path, reason: e.to_string() })
    }

    fn start_server(mut self, options: ClusterOptions) -> Result<Self, ClusterError> {
        let status = self.run("pg_ctl", &["status".as_ref(), "-D".as_ref(), self.pgdata.as_os_str()])?;
        if status.status.success() {
            tracing::info!(pgdata = %self.pgdata.display(), "attaching to the PostgreSQL cluster already running there");
            return Ok(self);
        }
        self.set_password_if_missing()?;
        self.write_pg_hba()?;
        let mut settings = format!(
            "-c listen_addresses='' -c unix_socket_directories='{}' -c unix_socket_permissions=0700 \
             -c shared_buffers=256MB -c max_connections=200 -c max_wal_size=4GB -c checkpoint_timeout=15min",
            self.socket_dir.display()
        );
        if !options.durable {
            settings.push_str(" -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
        }
        let log = self.data_dir.join("pg.log");
        let output = self.run(
            "pg_ctl",
            &[
                "start".as_ref(),
                "-D".as_ref(),
                self.pgdata.as_os_str(),
                "-l".as_ref(),
                log.as_os_str(),
                "-w".as_ref(),
                "-t".as_ref(),
                "120".as_ref(),
                "-o".as_ref(),
                settings.as_ref(),
            ],
        )?;
        if !output.status.success() {
            let log_tail = std::fs::read_to_string(&log)
                .map(|text| {
                    text.lines().rev().take(3).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join(" | ")
                })
                .unwrap_or_default();
            let tail = if log_tail.is_empty() { tail(&output) } else { log_tail };
            return Err(ClusterError::Start { log, tail });
        }
        tracing::info!(socket = %self.socket_dir.display(), "embedded PostgreSQL started");
        self.owned = true;
        Ok(self)
    }

    /// Connect options for database `db` over the Unix socket, as superuser
    /// `postgres` with the cluster's password.
    pub fn connect_options(&self, db: &str) -> PgConnectOptions {
        let options = PgConnectOptions::new().socket(&self.socket_dir).username("postgres").database(db);
        match &self.password {
            Some(password) => options.password(password.expose()),
            None => options,
        }
    }

    /// A URL for the same connection, for child processes (`DATABASE_URL`).
    /// It carries the password: never log it.
    pub fn database_url(&self, db: &str) -> String {
        let password = self.password.as_ref().map(|p| format!(":{}", p.expose())).unwrap_or_default();
        format!("postgres://postgres{password}@localhost/{db}?host={}", self.socket_dir.display())
    }

    /// The socket directory (mode 0700).
    pub fn socket_dir(&self) -> &Path {
        &self.socket_dir
    }

    /// Whether this process started the server (and so stops it).
    pub fn is_owned(&self) -> bool {
        self.owned
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Stops the server if this process owns it. Idempotent.
    pub fn stop(&mut self) -> Result<(), ClusterError> {
        self.stop_with_mode("fast")
    }

    /// Stops with `-m immediate`: for throwaway clusters at process exit.
    pub fn stop_immediately(&mut self) -> Result<(), ClusterError> {
        self.stop_with_mode("immediate")
    }

    fn stop_with_mode(&mut self, mode: &str) -> Result<(), ClusterError> {
        if !self.owned {
            return Ok(());
        }
        self.owned = false;
        let output = self.run(
            "pg_ctl",
            &["stop".as_ref(), "-D".as_ref(), self.pgdata.as_os_str(), "-m".as_ref(), mode.as_ref(), "-w".as_ref()],
        )?;
        if !output.status.success() {
            return Err(ClusterError::Stop(tail(&output)));
        }
        tracing::info!("embedded PostgreSQL stopped");
        Ok(())
    }

    /// Runs a server binary with `input` on its standard input.
    fn run_with_input(&self, program: &str, args: &[&std::ffi::OsStr], input: &[u8]) -> Result<Output, ClusterError> {
        use std::io::Write;
        let path = self.bin_dir.join(program);
        let spawn_failed =
            |e: std::io::Error| ClusterError::Spawn { program: path.display().to_string(), reason: e.to_string() };
        let mut command = Command::new(&path);
        command
            .args(args)
            .current_dir(&self.data_dir)
            .env_remove("PGDATA")
            .env("LC_ALL", "C")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        if let Some((uid, gid)) = self.run_as {
            command.uid(uid.as_raw()).gid(gid.as_raw()).env("HOME", &self.data_dir);
        }
        let mut child = command.spawn().map_err(spawn_failed)?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(input).map_err(spawn_failed)?;
        }
        child.wait_with_output().map_err(spawn_failed)
    }

    /// Runs a server binary, as the `postgres` user when we are root.
    fn run(&self, program: &str, args: &[&std::ffi::OsStr]) -> Result<Output, ClusterError> {
        let path = self.bin_dir.join(program);
        let mut command = Command::new(&path);
        command.args(args).current_dir(&self.data_dir).env_remove("PGDATA").env("LC_ALL", "C");
        if let Some((uid, gid)) = self.run_as {
            command.uid(uid.as_raw()).gid(gid.as_raw()).env("HOME", &self.data_dir);
        }
        command.output().map_err(|e| ClusterError::Spawn { program: path.display().to_string(), reason: e.to_string() })
    }
}

impl Drop for EmbeddedCluster {
    fn drop(&mut self) {
        if let Err(err) = self.stop() {
            tracing::warn!(%err, "stopping the embedded PostgreSQL cluster failed");
        }
    }
}

/// `PERFLEDGER_PG_BIN`, else `pg_ctl` on PATH, else the newest /usr/lib/postgresql/*/bin.
pub fn find_bin_dir() -> Result<PathBuf, ClusterError> {
    if let Some(dir) = std::env::var_os("PERFLEDGER_PG_BIN") {
        let dir = PathBuf::from(dir);
        return if has_server_binaries(&dir) { Ok(dir) } else { Err(ClusterError::BadBinDir(dir)) };
    }
    if let Some(path) = std::env::var_os("PATH") {
        if let Some(dir) = std::env::split_paths(&path).find(|dir| has_server_binaries(dir)) {
            return Ok(dir);
        }
    }
    newest_versioned_bin_dir(Path::new("/usr/lib/postgresql")).ok_or(ClusterError::NoBinaries)
}

/// The bin dir of the highest major version under `root` (e.g. /usr/lib/postgresql/15/bin).
pub fn newest_versioned_bin_dir(root: &Path) -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir(root)
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version: u32 = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            has_server_binaries(&bin).then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

pub fn has_server_binaries(dir: &Path) -> bool {
    ["initdb", "pg_ctl", "postgres"].iter().all(|b| is_executable(&dir.join(b)))
}

fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path).map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0).unwrap_or(false)
}

/// As root, every parent of the data dir must be searchable by others, or
/// the `postgres` user cannot reach its cluster.
fn check_reachable(data_dir: &Path) -> Result<(), ClusterError> {
    for dir in data_dir.ancestors().skip(1) {
        if let Ok(meta) = std::fs::metadata(dir) {
            if meta.permissions().mode() & 0o001 == 0 {
                return Err(ClusterError::Unreachable(dir.to_path_buf()));
            }
        }
    }
    Ok(())
}

fn tail(output: &Output) -> String {
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(3)..].join(" | ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_newest_versioned_bin_dir() {
        let root = tempfile_dir();
        for version in ["13", "15", "not-a-version"] {
            let bin = root.join(version).join("bin");
            std::fs::create_dir_all(&bin).unwrap();
            for program in ["initdb", "pg_ctl", "postgres"] {
                let path = bin.join(program);
                std::fs::write(&path, "#!/bin/sh\n").unwrap();
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
            }
        }
        assert_eq!(newest_versioned_bin_dir(&root), Some(root.join("15").join("bin")));
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn a_dir_without_binaries_is_refused_with_advice() {
        let root = tempfile_dir();
        let err = EmbeddedCluster::start_blocking(&root.join("data"), ClusterOptions::default(), root.clone())
            .expect_err("an empty bin dir cannot start a cluster");
        let message = err.to_string();
        assert!(message.contains("cannot run") || message.contains("initdb"), "{message}");
        assert!(!has_server_binaries(&root));
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn an_overlong_data_dir_is_refused_before_anything_runs() {
        let long = PathBuf::from("/tmp").join("x".repeat(120));
        let err = EmbeddedCluster::start_blocking(&long, ClusterOptions::default(), PathBuf::from("/nonexistent"));
        assert!(matches!(err, Err(ClusterError::SocketPathTooLong(_))), "{err:?}");
        let _ = std::fs::remove_dir_all(&long);
    }

    fn tempfile_dir() -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("perfledger-cluster-unit-{}-{}", std::process::id(), rand_suffix()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn rand_suffix() -> u128 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
    }
}
