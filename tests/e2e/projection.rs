//! The projection worker against a real database: a crashed or killed
//! projector resumes to exactly the read models of a clean run, two workers
//! on one database never double-count, rescoring is a no-op, missed weeks
//! are closed oldest first and late events become corrections, and
//! `project --lag` reports how far each projector is behind.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use perfledger_domain::parse_envelope;
use perfledger_projections::report::Step;
use perfledger_projections::runner::{checkpoint, Runner};
use perfledger_projections::{projectors, PROJECTORS};
use perfledger_replay::rebuild::Start;
use perfledger_scheduler::worker::{run_once, run_once_reported, RoundReport};
use perfledger_scoring::pass::{score_week, ScoringContext};
use perfledger_store::{IngestReport, Ingestor};
use perfledger_tests::TestDb;
use serde_json::{json, Value};
use sqlx::PgPool;
use tokio::process::{Child, Command};

use crate::support::{envelope, perfledger_bin, perfledger_command, ticket_lifecycle, AGENT};

/// Every wait in this module gives up after this long.
const TIMEOUT: Duration = Duration::from_secs(60);

// ------------------------------------------------------------------ the binary

fn perfledger(db: &TestDb, args: &[&str]) -> Command {
    let mut command = perfledger_command(db);
    command
        .args(args)
        .env_remove("PERFLEDGER_TEST_CRASH_AT")
        .env_remove("PERFLEDGER_PROJECT_BATCH")
        .env_remove("PERFLEDGER_PROJECT_POLL_SECONDS")
        .kill_on_drop(true);
    command
}

async fn output(mut command: Command) -> Output {
    tokio::time::timeout(TIMEOUT, command.output())
        .await
        .expect("perfledger finished within the timeout")
        .expect("the perfledger binary runs")
}

fn describe(output: &Output) -> String {
    format!(
        "status {}\nstdout: {}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Runs `perfledger ARGS` to completion, asserts success and returns stdout.
async fn run_ok(db: &TestDb, args: &[&str]) -> String {
    let out = output(perfledger(db, args)).await;
    assert!(out.status.success(), "perfledger {args:?} failed: {}", describe(&out));
    String::from_utf8(out.stdout).unwrap()
}

/// `project --once`, returning its one-line JSON report.
async fn project_once(db: &TestDb, batch_size: &str) -> Value {
    let stdout = run_ok(db, &["project", "--once", "--batch-size", batch_size]).await;
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("project --once printed {stdout:?}: {e}"))
}

/// A long-running `perfledger project`, its stderr kept in a file.
fn spawn_project(db: &TestDb, batch_size: &str, stderr: &Path) -> Child {
    perfledger(db, &["project", "--batch-size", batch_size, "--poll-seconds", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::from(std::fs::File::create(stderr).unwrap()))
        .spawn()
        .expect("perfledger project starts")
}

fn pid(child: &Child) -> Pid {
    Pid::from_raw(child.id().expect("the child is still running") as i32)
}

/// Panics (with its stderr) if a worker that should run forever has exited.
fn assert_running(child: &mut Child, stderr: &Path) {
    if let Some(status) = child.try_wait().unwrap() {
        panic!("perfledger project exited early ({status}): {}", std::fs::read_to_string(stderr).unwrap_or_default());
    }
}

/// Writes the deterministic demo organisation as NDJSON (no database needed).
async fn demo_file(dir: &Path, people: u32, weeks: u32) -> PathBuf {
    let file = dir.join(format!("demo-{people}x{weeks}.ndjson"));
    let mut command = Command::new(perfledger_bin());
    command.args(["demo", "seed", "--people", &people.to_string(), "--weeks", &weeks.to_string()]);
    command.args(["--seed", "11", "--last-week", "2026-11-23", "--out", file.to_str().unwrap()]);
    command.env_remove("DATABASE_URL").env("PERFLEDGER_LOG", "warn");
    let out = output(command).await;
    assert!(out.status.success(), "demo seed failed: {}", describe(&out));
    file
}

/// A fresh database holding the events of `file`, imported by the binary,
/// and the log's fingerprint right after the import.
async fn imported(file: &Path) -> (TestDb, String) {
    let db = perfledger_tests::fresh_database().await;
    run_ok(&db, &["import", file.to_str().unwrap()]).await;
    assert!(head(&db.pool).await > 0);
    let fingerprint = log_fingerprint(&db.pool).await;
    (db, fingerprint)
}

async fn head(pool: &PgPool) -> i64 {
    perfledger_store::log::head(pool).await.unwrap()
}

async fn checkpoints(pool: &PgPool) -> BTreeMap<&'static str, i64> {
    let mut out = BTreeMap::new();
    for name in PROJECTORS {
        out.insert(name, checkpoint(pool, name).await.unwrap());
    }
    out
}

/// The log's events in order (position, type, CRM event_id): two databases
/// with the same fingerprint hold the same events at the same positions.
async fn log_fingerprint(pool: &PgPool) -> String {
    sqlx::query_scalar(
        "SELECT count(*)::text || ':' || coalesce(md5(string_agg(global_position || '/' || event_type || '/'
                || coalesce(event_id, payload::jsonb ->> 'event_id', ''), ',' ORDER BY global_position)), '')
         FROM events",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

// ------------------------------------------------------------------ read-model dumps

type Dump = BTreeMap<String, Vec<String>>;

/// Read-model tables and the columns left out of a comparison: wall-clock
/// times of the projection run (or of the import, for `recorded_at`), and
/// counters of how often a week was marked or scored (`generation` is drawn
/// from a sequence). `directory_*` tables are added as found.
const DUMPED: &[(&str, &[&str])] = &[
    ("metric_accumulators", &[]),
    ("agent_performance_scores", &["created_at", "updated_at"]),
    ("agent_performance_snapshots", &["created_at", "updated_at"]),
    ("agent_performance_goals", &["created_at", "updated_at"]),
    ("settings_history", &[]),
    ("scoring_periods", &["last_scored_at", "closed_at", "generation"]),
    ("scoring_dirty", &["version", "marked_at"]),
    ("period_corrections", &["recorded_at"]),
    ("scheduler_checkpoints", &["updated_at"]),
    ("projector_checkpoints", &["updated_at"]),
    ("audit_log", &["occurred_at"]),
];

/// Every read-model row as JSON text (column → value), sorted, without the
/// excluded columns.
async fn dump(pool: &PgPool) -> Dump {
    let mut tables: Vec<(String, &[&str])> = DUMPED.iter().map(|(t, x)| (t.to_string(), *x)).collect();
    let directory: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables
         WHERE table_schema = current_schema() AND table_name LIKE 'directory\\_%' ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(directory.len() >= 5, "the directory tables are missing: {directory:?}");
    tables.extend(directory.into_iter().map(|t| (t, &[][..])));

    let mut out = Dump::new();
    for (table, excluded) in tables {
        let columns: Vec<String> = sqlx::query_scalar(
            "SELECT column_name::text FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
        )
        .bind(&table)
        .fetch_all(pool)
        .await
        .unwrap();
        assert!(!columns.is_empty(), "table {table} does not exist");
        for column in excluded {
            assert!(columns.iter().any(|c| c == column), "{table} has no column {column} (update DUMPED)");
        }
        let pairs: Vec<String> =
            columns.iter().filter(|c| !excluded.contains(&c.as_str())).map(|c| format!("'{c}', \"{c}\"")).collect();
        let sql = format!(
            "SELECT r FROM (SELECT jsonb_build_object({})::text AS r FROM \"{table}\") t ORDER BY r COLLATE \"C\"",
            pairs.join(", ")
        );
        let rows: Vec<String> = sqlx::query_scalar(&sql).fetch_all(pool).await.unwrap();
        out.insert(table, rows);
    }
    out
}

/// The dump of a complete projection has something in every core table.
fn assert_substantial(dump: &Dump) {
    for table in [
        "metric_accumulators",
        "agent_performance_scores",
        "agent_performance_snapshots",
        "scoring_periods",
        "directory_people",
        "directory_memberships",
        "projector_checkpoints",
    ] {
        assert!(!dump[table].is_empty(), "{table} is empty after projecting the demo data");
    }
    assert!(dump["scoring_periods"].iter().any(|r| r.contains("\"closed\"")), "no week was closed");
}

/// Asserts two dumps are equal, naming the rows that differ table by table.
fn assert_same_read_models(clean: &Dump, other: &Dump, label: &str) {
    if clean == other {
        return;
    }
    let mut report = String::new();
    let tables: BTreeSet<&String> = clean.keys().chain(other.keys()).collect();
    let empty = Vec::new();
    for table in tables {
        let (a, b) = (clean.get(table).unwrap_or(&empty), other.get(table).unwrap_or(&empty));
        if a == b {
            continue;
        }
        let (sa, sb): (BTreeSet<&String>, BTreeSet<&String>) = (a.iter().collect(), b.iter().collect());
        let only_clean: Vec<_> = sa.difference(&sb).collect();
        let only_other: Vec<_> = sb.difference(&sa).collect();
        writeln!(
            report,
            "{table}: {} rows in the clean run, {} in {label}; {} only in the clean run, {} only in {label}",
            a.len(),
            b.len(),
            only_clean.len(),
            only_other.len()
        )
        .unwrap();
        for row in only_clean.iter().take(5) {
            writeln!(report, "  - {row}").unwrap();
        }
        for row in only_other.iter().take(5) {
            writeln!(report, "  + {row}").unwrap();
        }
        if only_clean.is_empty() && only_other.is_empty() {
            writeln!(report, "  (the same rows, different multiplicities)").unwrap();
        }
    }
    panic!("the read models after {label} differ from a clean run:\n{report}");
}

// ------------------------------------------------------------------ 1. crash and resume

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_projector_resumes_to_the_same_read_models() {
    let dir = tempfile::tempdir().unwrap();
    let file = demo_file(dir.path(), 30, 6).await;

    let (clean, imported_log) = imported(&file).await;
    let report = project_once(&clean, "2000").await;
    assert!(report["weeks_closed"].as_u64().unwrap() >= 5, "{report}");
    let clean_dump = dump(&clean.pool).await;
    assert_substantial(&clean_dump);

    // A: the process aborts inside the 3rd accumulators transaction, after
    // its rows are written and before the commit.
    let (crashed, log) = imported(&file).await;
    assert_eq!(log, imported_log, "the two databases do not hold the same log");
    let log_head = head(&crashed.pool).await;
    assert!(log_head > 6_000, "the demo log is long enough for three batches of 2000: {log_head}");
    let mut command = perfledger(&crashed, &["project", "--once", "--batch-size", "2000"]);
    command.env("PERFLEDGER_TEST_CRASH_AT", "accumulators:3");
    let out = output(command).await;
    assert!(!out.status.success(), "the crash hook did not fire: {}", describe(&out));
    assert_eq!(out.status.signal(), Some(Signal::SIGABRT as i32), "expected an abort: {}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("aborting inside accumulators transaction 3"),
        "{}",
        describe(&out)
    );
    let positions = checkpoints(&crashed.pool).await;
    let accumulators = positions["accumulators"];
    assert!(0 < accumulators && accumulators < log_head, "accumulators checkpoint {accumulators} of {log_head}");
    assert_eq!(accumulators, 4_000, "two batches committed, the third rolled back: {positions:?}");
    // The other projectors apply the same batch concurrently, each in its own
    // transaction: when the process aborts, each has committed the third
    // batch or not, never a part of it.
    for (projector, position) in &positions {
        if *projector != "accumulators" {
            assert!([4_000, 6_000].contains(position), "{projector} stopped between batches: {positions:?}");
        }
    }
    let written: Option<i64> = sqlx::query_scalar("SELECT max(last_position) FROM metric_accumulators")
        .fetch_one(&crashed.pool)
        .await
        .unwrap();
    assert!(written.unwrap() <= 4_000, "rows of the aborted transaction survived: {written:?}");
    let scored: i64 =
        sqlx::query_scalar("SELECT count(*) FROM agent_performance_scores").fetch_one(&crashed.pool).await.unwrap();
    assert_eq!(scored, 0, "nothing is scored before the catch-up finishes");

    let resumed = project_once(&crashed, "2000").await;
    assert_eq!(resumed["head"], report["head"], "{resumed} vs {report}");
    assert_eq!(log_fingerprint(&crashed.pool).await, log_fingerprint(&clean.pool).await, "the weeks closed differ");
    assert_same_read_models(&clean_dump, &dump(&crashed.pool).await, "an abort and a resume");

    // B: a real kill -9 of a running worker once it has made progress. Its
    // batches are 500 events, so it is compared with a clean run in batches
    // of 500: the accumulators' decimal sums depend on the batch boundaries
    // (see projecting_in_other_batch_sizes_gives_the_same_read_models).
    let (clean_500, log) = imported(&file).await;
    assert_eq!(log, imported_log, "the two databases do not hold the same log");
    project_once(&clean_500, "500").await;
    let clean_500_dump = dump(&clean_500.pool).await;
    assert_substantial(&clean_500_dump);
    let (killed, log) = imported(&file).await;
    assert_eq!(log, imported_log, "the two databases do not hold the same log");
    let stderr = dir.path().join("killed.stderr");
    let mut child = spawn_project(&killed, "500", &stderr);
    let started = Instant::now();
    let at_kill = loop {
        let position = checkpoint(&killed.pool, "accumulators").await.unwrap();
        if position > 0 {
            kill(pid(&child), Signal::SIGKILL).unwrap();
            break position;
        }
        assert_running(&mut child, &stderr);
        assert!(started.elapsed() < TIMEOUT, "the worker made no progress in {TIMEOUT:?}");
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    let status = tokio::time::timeout(TIMEOUT, child.wait()).await.unwrap().unwrap();
    assert_eq!(status.signal(), Some(Signal::SIGKILL as i32), "{status}");
    let after_kill = checkpoint(&killed.pool, "accumulators").await.unwrap();
    assert!(
        after_kill >= at_kill && after_kill < log_head,
        "killed at {after_kill} of {log_head}: too late to test a resume"
    );
    assert_eq!(after_kill % 500, 0, "checkpoints move by whole batches: {after_kill}");
    eprintln!("killed with the accumulators at {after_kill} of {log_head}");

    project_once(&killed, "500").await;
    assert_eq!(log_fingerprint(&killed.pool).await, log_fingerprint(&clean_500.pool).await, "the weeks closed differ");
    assert_same_read_models(&clean_500_dump, &dump(&killed.pool).await, "a kill -9 and a resume");
}

/// Projections are folds over the log (D4): how the log was cut into
/// batches must not show in the read models. Durations such as
/// `resolution_minutes` carry 28 significant digits (e.g.
/// 1677.0166666666666666666666667), so the accumulators fold them at a fixed
/// scale (`accumulate::FOLD_DP`), where addition is exact and the batch
/// boundaries cannot change a sum's last digit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn projecting_in_other_batch_sizes_gives_the_same_read_models() {
    let dir = tempfile::tempdir().unwrap();
    let file = demo_file(dir.path(), 30, 6).await;
    let (big, log) = imported(&file).await;
    let (small, small_log) = imported(&file).await;
    assert_eq!(log, small_log, "the two databases do not hold the same log");
    project_once(&big, "20000").await;
    project_once(&small, "500").await;
    let big_dump = dump(&big.pool).await;
    assert_substantial(&big_dump);
    assert_same_read_models(&big_dump, &dump(&small.pool).await, "projecting in batches of 500");
}

// ------------------------------------------------------------------ 2. two workers

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_projector_processes_never_double_count() {
    let dir = tempfile::tempdir().unwrap();
    let file = demo_file(dir.path(), 30, 6).await;

    let (clean, imported_log) = imported(&file).await;
    project_once(&clean, "1000").await;
    let clean_dump = dump(&clean.pool).await;
    assert_substantial(&clean_dump);

    let (shared, log) = imported(&file).await;
    assert_eq!(log, imported_log, "the two databases do not hold the same log");
    let imported_head = head(&shared.pool).await;
    let logs = [dir.path().join("worker-1.stderr"), dir.path().join("worker-2.stderr")];
    let mut workers = [spawn_project(&shared, "1000", &logs[0]), spawn_project(&shared, "1000", &logs[1])];

    // Caught up: every projector at the head, the ended weeks closed (their
    // period.closed events are past the imported head) and nothing dirty;
    // then the same state again a moment later.
    let started = Instant::now();
    let mut stable_since: Option<(Instant, i64)> = None;
    loop {
        for (worker, log) in workers.iter_mut().zip(&logs) {
            assert_running(worker, log);
        }
        assert!(started.elapsed() < TIMEOUT, "the workers did not catch up: {:?}", checkpoints(&shared.pool).await);
        let log_head = head(&shared.pool).await;
        let at = checkpoints(&shared.pool).await;
        let dirty: i64 = sqlx::query_scalar("SELECT count(*) FROM scoring_dirty WHERE period_start <= now()")
            .fetch_one(&shared.pool)
            .await
            .unwrap();
        let caught_up = log_head > imported_head && at.values().all(|p| *p == log_head) && dirty == 0;
        match (caught_up, stable_since) {
            (false, _) => stable_since = None,
            (true, Some((since, h))) if h == log_head => {
                if since.elapsed() >= Duration::from_millis(1500) {
                    break;
                }
            }
            (true, _) => stable_since = Some((Instant::now(), log_head)),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    for worker in &workers {
        kill(pid(worker), Signal::SIGTERM).unwrap();
    }
    for (worker, log) in workers.iter_mut().zip(&logs) {
        let status = tokio::time::timeout(TIMEOUT, worker.wait()).await.expect("SIGTERM stops a worker").unwrap();
        let stderr = std::fs::read_to_string(log).unwrap();
        assert!(status.success(), "a worker did not stop cleanly ({status}): {stderr}");
        assert!(!stderr.contains("failed"), "a worker reported a failure: {stderr}");
    }

    let last = project_once(&shared, "1000").await;
    assert_eq!(last["events"], 0, "the workers left events unprojected: {last}");
    assert_eq!(last["weeks_closed"], 0, "the workers left a week open: {last}");
    assert_eq!(log_fingerprint(&shared.pool).await, log_fingerprint(&clean.pool).await, "the weeks closed differ");
    assert_same_read_models(&clean_dump, &dump(&shared.pool).await, "two concurrent workers");
}

// ------------------------------------------------------------------ 3. idempotent scoring

/// Every score and snapshot row in full: ids, timestamps and values.
async fn score_rows(pool: &PgPool) -> Vec<String> {
    let mut rows: Vec<String> =
        sqlx::query_scalar("SELECT to_jsonb(s)::text FROM agent_performance_scores s ORDER BY id")
            .fetch_all(pool)
            .await
            .unwrap();
    rows.extend(
        sqlx::query_scalar::<_, String>("SELECT to_jsonb(s)::text FROM agent_performance_snapshots s ORDER BY id")
            .fetch_all(pool)
            .await
            .unwrap(),
    );
    rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scoring_twice_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = demo_file(dir.path(), 12, 3).await;
    let (db, _) = imported(&file).await;
    let first = project_once(&db, "20000").await;
    assert!(first["weeks_scored"].as_u64().unwrap() >= 3, "{first}");
    let before = score_rows(&db.pool).await;
    assert!(before.len() > 12 * 3, "too few score rows: {}", before.len());
    let periods_before: Vec<(DateTime<Utc>, i32)> =
        sqlx::query_as("SELECT period_start, scored_people FROM scoring_periods ORDER BY 1")
            .fetch_all(&db.pool)
            .await
            .unwrap();

    let again = project_once(&db, "20000").await;
    assert_eq!((&again["events"], &again["weeks_scored"], &again["weeks_closed"]), (&json!(0), &json!(0), &json!(0)));

    // Rescore every week directly, as the scoring pass would.
    let context = ScoringContext::load(&db.pool).await.unwrap();
    for (start, people) in &periods_before {
        let scored = score_week(&db.pool, &context, start.date_naive(), None).await.unwrap();
        assert_eq!(scored.people, *people as usize, "week {start}");
    }
    // And once more through the dirty marks.
    sqlx::query("INSERT INTO scoring_dirty (period_start) SELECT period_start FROM scoring_periods")
        .execute(&db.pool)
        .await
        .unwrap();
    let rescored = perfledger_scoring::pass::score_dirty(&db.pool, Utc::now()).await.unwrap();
    assert_eq!(rescored.len(), periods_before.len());

    let after = score_rows(&db.pool).await;
    assert_eq!(before.len(), after.len());
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(b, a, "a rescore that changes nothing must write nothing");
    }
    let periods_after: Vec<(DateTime<Utc>, i32)> =
        sqlx::query_as("SELECT period_start, scored_people FROM scoring_periods ORDER BY 1")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    assert_eq!(periods_before, periods_after);
}

// ------------------------------------------------------------------ 4. close, backfill, corrections

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn agent() -> uuid::Uuid {
    AGENT.parse().unwrap()
}

fn midnight(d: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).unwrap())
}

async fn ingest(pool: &PgPool, items: &[Value]) -> IngestReport {
    let parsed: Vec<_> = items.iter().map(|item| parse_envelope(&item.to_string())).collect();
    let report = Ingestor::new(pool.clone(), "test").ingest(&parsed).await.unwrap();
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    assert_eq!(report.accepted, items.len());
    report
}

/// A ticket opened and assigned to AGENT at `opened`, due `sla_minutes` later.
fn ticket_opened(id: &str, opened: &str, sla_minutes: i64) -> Vec<Value> {
    let opened_at = at(opened);
    let due = opened_at + chrono::Duration::minutes(sla_minutes);
    let assigned = opened_at + chrono::Duration::minutes(5);
    vec![
        envelope(
            &format!("{id}-o"),
            "ticket.opened",
            &rfc3339(opened_at),
            json!({"ticket_id": id, "sla_due_at": rfc3339(due)}),
        ),
        envelope(
            &format!("{id}-a"),
            "ticket.assigned",
            &rfc3339(assigned),
            json!({"ticket_id": id, "person_id": AGENT}),
        ),
    ]
}

fn ticket_resolved(id: &str, resolved: &str) -> Value {
    envelope(&format!("{id}-r"), "ticket.resolved", resolved, json!({"ticket_id": id}))
}

/// A ticket opened, assigned and resolved 90 minutes later, within its SLA.
fn ticket(id: &str, opened: &str) -> Vec<Value> {
    let mut items = ticket_opened(id, opened, 180);
    items.push(ticket_resolved(id, &rfc3339(at(opened) + chrono::Duration::minutes(90))));
    items
}

async fn run(pool: &PgPool, now: DateTime<Utc>) -> RoundReport {
    run_once(pool, 1000, now, &mut |_, _| {}).await.unwrap()
}

/// The weeks with a `period.closed` event, in log order, with their scored_people.
async fn closed_in_log(pool: &PgPool) -> Vec<(NaiveDate, i64)> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT payload -> 'body' -> 'data' ->> 'period_start', (payload -> 'body' -> 'data' ->> 'scored_people')::int8
         FROM events WHERE event_type = 'period.closed' ORDER BY global_position",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    rows.into_iter().map(|(d, n)| (day(&d), n)).collect()
}

async fn periods(pool: &PgPool) -> Vec<(NaiveDate, String, i32)> {
    let rows: Vec<(DateTime<Utc>, String, i32)> =
        sqlx::query_as("SELECT period_start, status, corrections FROM scoring_periods ORDER BY 1")
            .fetch_all(pool)
            .await
            .unwrap();
    rows.into_iter().map(|(s, status, c)| (s.date_naive(), status, c)).collect()
}

async fn scheduler_checkpoint(pool: &PgPool) -> Option<DateTime<Utc>> {
    sqlx::query_scalar("SELECT value FROM scheduler_checkpoints WHERE name = 'last_scored_period_end'")
        .fetch_optional(pool)
        .await
        .unwrap()
}

#[derive(Debug, Clone, PartialEq)]
struct SupportRow {
    id: uuid::Uuid,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    raw_score: String,
    metrics: Value,
    last_position: i64,
}

async fn support_row(pool: &PgPool, week: NaiveDate) -> SupportRow {
    let (id, created_at, updated_at, raw_score, metrics, last_position): (
        uuid::Uuid,
        DateTime<Utc>,
        DateTime<Utc>,
        String,
        sqlx::types::Json<Value>,
        i64,
    ) = sqlx::query_as(
        "SELECT id, created_at, updated_at, raw_score::text, metrics_json, last_position FROM agent_performance_scores
         WHERE person_id = $1 AND domain = 'support' AND score_period_start = $2",
    )
    .bind(agent())
    .bind(midnight(week))
    .fetch_one(pool)
    .await
    .unwrap_or_else(|e| panic!("no support score for {AGENT} in the week of {week}: {e}"));
    SupportRow { id, created_at, updated_at, raw_score, metrics: metrics.0, last_position }
}

fn fraction(row: &SupportRow, metric: &str) -> (f64, f64) {
    let m = &row.metrics[metric];
    (m["numerator"].as_f64().unwrap(), m["denominator"].as_f64().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missed_weeks_are_backfilled_and_late_events_are_corrections() {
    let db = perfledger_tests::fresh_database().await;
    let pool = &db.pool;
    let (w1, w2, w3, w4, w5) =
        (day("2026-10-05"), day("2026-10-12"), day("2026-10-19"), day("2026-10-26"), day("2026-11-02"));

    // W1: one ticket resolved within its SLA, one opened (resolved later,
    // late). W2, W3 and W5: a ticket each. W4: nothing.
    let mut items = ticket("C-1", "2026-10-06T09:00:00Z");
    items.extend(ticket_opened("C-2", "2026-10-07T09:00:00Z", 60));
    items.extend(ticket("C-3", "2026-10-13T09:00:00Z"));
    items.extend(ticket("C-4", "2026-10-20T09:00:00Z"));
    items.extend(ticket("C-5", "2026-11-03T09:00:00Z"));
    ingest(pool, &items).await;

    // Wednesday of W3: W1 and W2 have ended and close, oldest first.
    let now = at("2026-10-21T12:00:00Z");
    let report = run(pool, now).await;
    assert_eq!(report.weeks_closed, 2, "{report:?}");
    assert_eq!(closed_in_log(pool).await, vec![(w1, 1), (w2, 1)]);
    assert_eq!(
        periods(pool).await,
        vec![(w1, "closed".into(), 0), (w2, "closed".into(), 0), (w3, "open".into(), 0)],
        "W3 is scored but open; W5 has not started"
    );
    assert_eq!(scheduler_checkpoint(pool).await, Some(midnight(w3)));
    let not_due: Vec<DateTime<Utc>> =
        sqlx::query_scalar("SELECT period_start FROM scoring_dirty ORDER BY 1").fetch_all(pool).await.unwrap();
    assert_eq!(not_due, vec![midnight(w5)], "the future week waits");
    let before = support_row(pool, w1).await;
    assert_eq!(fraction(&before, "sla_compliance_rate"), (1.0, 1.0));
    assert_eq!(fraction(&before, "avg_resolution_minutes"), (90.0, 1.0));
    assert_eq!(run(pool, now).await.weeks_closed, 0, "a second run the same day closes nothing");

    // A late resolution in closed W1 (4 h, past its 1 h SLA), and an on-time
    // ticket in open W3.
    let late = ingest(pool, &[ticket_resolved("C-2", "2026-10-07T13:00:00Z")]).await;
    let late_position = late.first_position.unwrap();
    ingest(pool, &ticket("C-6", "2026-10-21T08:00:00Z")).await;
    let report = run(pool, now).await;
    assert_eq!(report.weeks_closed, 0, "{report:?}");
    assert!(report.weeks_scored >= 2, "W1 and W3 are rescored: {report:?}");

    let corrections: Vec<(i64, DateTime<Utc>, String)> =
        sqlx::query_as("SELECT global_position, period_start, event_type FROM period_corrections ORDER BY 1")
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!(corrections, vec![(late_position, midnight(w1), "ticket.resolved".to_string())]);
    assert_eq!(periods(pool).await, vec![(w1, "closed".into(), 1), (w2, "closed".into(), 0), (w3, "open".into(), 0)],);
    let after = support_row(pool, w1).await;
    assert_eq!((after.id, after.created_at), (before.id, before.created_at), "a rescore keeps id and created_at");
    assert!(after.updated_at > before.updated_at, "the corrected row was not rewritten");
    assert_eq!(fraction(&after, "sla_compliance_rate"), (1.0, 2.0), "{}", after.metrics);
    assert_eq!(fraction(&after, "avg_resolution_minutes"), (90.0 + 240.0, 2.0), "{}", after.metrics);
    assert_ne!(after.raw_score, before.raw_score);
    assert_eq!(after.last_position, late_position);
    let snapshot_last: i64 = sqlx::query_scalar(
        "SELECT last_position FROM agent_performance_snapshots WHERE person_id = $1 AND score_period_start = $2",
    )
    .bind(agent())
    .bind(midnight(w1))
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(snapshot_last, late_position);
    assert_eq!(fraction(&support_row(pool, w3).await, "sla_compliance_rate"), (2.0, 2.0));

    // Two Mondays missed: the next run, on Wednesday of W5, closes W3 and
    // the empty W4, oldest first.
    let later = at("2026-11-04T12:00:00Z");
    let report = run(pool, later).await;
    assert_eq!(report.weeks_closed, 2, "{report:?}");
    assert_eq!(closed_in_log(pool).await, vec![(w1, 1), (w2, 1), (w3, 1), (w4, 0)]);
    assert_eq!(
        periods(pool).await,
        vec![
            (w1, "closed".into(), 1),
            (w2, "closed".into(), 0),
            (w3, "closed".into(), 0),
            (w4, "closed".into(), 0),
            (w5, "open".into(), 0)
        ],
    );
    let closed_at: Vec<DateTime<Utc>> = sqlx::query_scalar(
        "SELECT closed_at FROM scoring_periods WHERE period_start >= $1 AND status = 'closed' ORDER BY 1",
    )
    .bind(midnight(w3))
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(closed_at, vec![later, later]);
    assert_eq!(scheduler_checkpoint(pool).await, Some(midnight(w5)));
    assert_eq!(fraction(&support_row(pool, w5).await, "sla_compliance_rate"), (1.0, 1.0), "W5 is scored");
    let corrections: i64 = sqlx::query_scalar("SELECT count(*) FROM period_corrections").fetch_one(pool).await.unwrap();
    assert_eq!(corrections, 1, "closing weeks is not a correction");
    let at_head = checkpoints(pool).await;
    let log_head = head(pool).await;
    assert!(at_head.values().all(|p| *p == log_head), "{at_head:?} vs head {log_head}");
}

// ------------------------------------------------------------------ 5. lag

async fn lag(db: &TestDb) -> Vec<Value> {
    let stdout = run_ok(db, &["project", "--lag"]).await;
    let lag: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("--lag printed {stdout:?}: {e}"));
    let lag = lag.as_array().unwrap().clone();
    let names: Vec<&str> = lag.iter().map(|l| l["projector"].as_str().unwrap()).collect();
    assert_eq!(names, PROJECTORS.to_vec());
    lag
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lag_is_reported() {
    let db = perfledger_tests::fresh_database().await;
    let mut items = ticket_lifecycle("L-1");
    items.extend(ticket_lifecycle("L-2"));
    ingest(&db.pool, &items).await;
    let before_head = head(&db.pool).await;
    assert_eq!(before_head, 6);

    for l in lag(&db).await {
        assert_eq!(l["head"], before_head, "{l}");
        assert_eq!(l["position"], 0, "{l}");
        assert_eq!(l["behind"], before_head, "{l}");
        let age = l["oldest_unprojected_age_s"].as_f64().unwrap();
        assert!((0.0..TIMEOUT.as_secs_f64()).contains(&age), "{l}");
    }

    project_once(&db, "4").await;
    let after_head = head(&db.pool).await;
    assert!(after_head > before_head, "the ended week's period.closed is in the log");
    for l in lag(&db).await {
        assert_eq!(l["head"], after_head, "{l}");
        assert_eq!(l["position"], after_head, "{l}");
        assert_eq!(l["behind"], 0, "{l}");
        assert_eq!(l["oldest_unprojected_age_s"], 0.0, "{l}");
    }
}

// ------------------------------------------------------------------ blue-green replay (issue 4)

/// `perfledger replay` killed with -9 mid-build resumes from its own
/// checkpoints with `--resume`, switches, and `verify` then finds the
/// serving version identical to a rebuild from the log; the serving tables
/// kept answering throughout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_replay_resumes_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let file = demo_file(dir.path(), 30, 6).await;
    let (db, _) = imported(&file).await;
    project_once(&db, "20000").await;
    let serving_rows: i64 =
        sqlx::query_scalar("SELECT count(*) FROM agent_performance_scores").fetch_one(&db.pool).await.unwrap();
    assert!(serving_rows > 0);

    let stderr = dir.path().join("replay.stderr");
    let mut child = perfledger(&db, &["replay", "--batch-size", "200"])
        .stdout(Stdio::null())
        .stderr(Stdio::from(std::fs::File::create(&stderr).unwrap()))
        .spawn()
        .expect("perfledger replay starts");
    let started = Instant::now();
    loop {
        let position: Option<i64> = sqlx::query_scalar(
            "SELECT position FROM perfledger_build.projector_checkpoints WHERE projector = 'accumulators'",
        )
        .fetch_optional(&db.pool)
        .await
        .unwrap_or(None);
        if position.unwrap_or(0) > 0 {
            kill(pid(&child), Signal::SIGKILL).unwrap();
            break;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("replay exited before it could be killed ({status}): {}", std::fs::read_to_string(&stderr).unwrap());
        }
        assert!(started.elapsed() < TIMEOUT, "the replay made no progress in {TIMEOUT:?}");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let status = tokio::time::timeout(TIMEOUT, child.wait()).await.unwrap().unwrap();
    assert_eq!(status.signal(), Some(Signal::SIGKILL as i32), "{status}");
    // The serving version is untouched by the half-built one.
    let still: i64 =
        sqlx::query_scalar("SELECT count(*) FROM agent_performance_scores").fetch_one(&db.pool).await.unwrap();
    assert_eq!(still, serving_rows);

    // A plain replay refuses to throw the interrupted build away silently.
    let out = output(perfledger(&db, &["replay"])).await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("perfledger replay --resume"), "{}", describe(&out));

    let report: Value =
        serde_json::from_str(&run_ok(&db, &["replay", "--resume", "--batch-size", "200"]).await).unwrap();
    assert_eq!(report["switched"], json!(true), "{report}");
    assert_eq!(report["resumed"], json!(true), "{report}");
    // In batches of 200 the fold runs long enough for the first weeks to be
    // scored while it goes on; the dry run (one batch, every week scored
    // after the fold) and verify below then prove both ways agree.
    assert!(report["weeks_scored_early"].as_u64().unwrap() > 0, "{report}");
    let dry: Value = serde_json::from_str(&run_ok(&db, &["replay", "--dry-run"]).await).unwrap();
    assert_eq!(dry["switched"], json!(false), "{dry}");
    assert_eq!(dry["identical_to_serving"], json!(true), "{dry}");
    let verified: Value = serde_json::from_str(&run_ok(&db, &["verify"]).await).unwrap();
    assert_eq!(verified["identical"], json!(true), "{verified}");
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_namespace WHERE nspname = 'perfledger_build'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(left, 0, "the build schema is gone after the switch");
}

/// Migration 0006 turned the jsonb row per (person, day, kind) into one text
/// row per (person, day). Put a projected database back into the old shape,
/// run the migration's own SQL, and the rebuilt version (written by serde,
/// not reprinted by jsonb) verifies identical: same days, same accumulators,
/// same scores.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accumulator_rows_of_the_old_shape_migrate_to_the_same_days() {
    let dir = tempfile::tempdir().unwrap();
    let file = demo_file(dir.path(), 20, 3).await;
    let (db, _) = imported(&file).await;
    project_once(&db, "5000").await;
    let days: i64 = sqlx::query_scalar("SELECT count(*) FROM metric_accumulators").fetch_one(&db.pool).await.unwrap();
    sqlx::raw_sql(
        "CREATE TABLE old_shape (person_id uuid NOT NULL, day date NOT NULL, kind text NOT NULL, data jsonb NOT NULL,
             first_position bigint NOT NULL, last_position bigint NOT NULL, PRIMARY KEY (day, person_id, kind));
         INSERT INTO old_shape SELECT a.person_id, a.day, m.key, m.value, a.first_position, a.last_position
             FROM metric_accumulators a, jsonb_each(a.data::jsonb) m;
         DROP TABLE metric_accumulators;
         ALTER TABLE old_shape RENAME TO metric_accumulators;
         ALTER INDEX old_shape_pkey RENAME TO metric_accumulators_pkey;",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    let kinds: i64 = sqlx::query_scalar("SELECT count(*) FROM metric_accumulators").fetch_one(&db.pool).await.unwrap();
    assert!(kinds > days, "{kinds} kind rows for {days} days");

    sqlx::raw_sql(include_str!("../../migrations/0006_accumulators_by_day.sql")).execute(&db.pool).await.unwrap();
    let (migrated, reprinted): (i64, i64) =
        sqlx::query_as("SELECT count(*), count(*) FILTER (WHERE data LIKE '{\"%\": {%') FROM metric_accumulators")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(migrated, days);
    assert_eq!(reprinted, days, "every migrated day is printed by jsonb, unlike the rebuilt ones");
    let verified: Value = serde_json::from_str(&run_ok(&db, &["verify"]).await).unwrap();
    assert_eq!(verified["identical"], json!(true), "{verified}");
}

// ------------------------------------------------------------------ progress reporting (issue 4)

/// Every projector's reported advances, in order, from a list of steps.
fn advances(steps: &[Step], projector: &str) -> Vec<(i64, usize)> {
    steps
        .iter()
        .filter_map(|s| match *s {
            Step::Advanced { projector: p, position, applied } if p == projector => Some((position, applied)),
            _ => None,
        })
        .collect()
}

/// What the progress bars of `project --once`, `replay` and `verify` draw:
/// the runner reports where every projector starts and each of its
/// checkpoint advances up to the head (the events applied add up to the
/// log), the scoring pass counts its weeks up to the total, and the replay
/// reports its switch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_runner_reports_every_projectors_advances_up_to_the_head() {
    let dir = tempfile::tempdir().unwrap();
    let file = demo_file(dir.path(), 10, 3).await;
    let (db, _) = imported(&file).await;
    let imported_head = head(&db.pool).await;
    let names: Vec<&'static str> = projectors().iter().map(|p| p.name()).collect();
    assert_eq!(names, PROJECTORS.to_vec());

    let mut steps = Vec::new();
    let round =
        run_once_reported(&db.pool, 500, at("2026-12-01T00:00:00Z"), &mut |step| steps.push(step)).await.unwrap();
    assert!(round.head > imported_head, "the round appended period.closed events: {round:?}");
    for name in &names {
        let started: Vec<_> = steps
            .iter()
            .filter_map(|s| match *s {
                Step::CatchUpStarted { projector, checkpoint, head } if projector == *name => Some((checkpoint, head)),
                _ => None,
            })
            .collect();
        // Two catch-ups: the log as imported, then the events the round appended.
        assert_eq!(started.len(), 2, "{name}: {started:?}");
        assert_eq!(started[0], (0, imported_head), "{name}");
        assert_eq!(started[1], (imported_head, round.head), "{name}");
        let advanced = advances(&steps, name);
        assert!(advanced.len() as i64 >= round.head / 500, "{name}: one report per batch: {}", advanced.len());
        assert!(advanced.windows(2).all(|w| w[0].0 < w[1].0), "{name}: checkpoints only move forward");
        assert_eq!(advanced.last().map(|a| a.0), Some(round.head), "{name} reaches the head");
        let applied: usize = advanced.iter().map(|a| a.1).sum();
        assert_eq!(applied as i64, round.head, "{name}: every event applied once, none skipped");
        assert_eq!(checkpoint(&db.pool, name).await.unwrap(), round.head, "{name}");
    }
    let batches: usize =
        steps.iter().filter_map(|s| if let Step::BatchDone { events, .. } = s { Some(*events) } else { None }).sum();
    assert_eq!(batches as i64, round.head, "every event read once");
    let scored: Vec<(usize, usize)> = steps
        .iter()
        .filter_map(|s| if let Step::WeeksScored { done, total } = s { Some((*done, *total)) } else { None })
        .collect();
    assert!(!scored.is_empty() && round.weeks_scored > 0, "{round:?}");
    let passes: Vec<usize> = scored.iter().filter(|(done, _)| *done == 0).map(|(_, total)| *total).collect();
    assert_eq!(passes.iter().sum::<usize>(), round.weeks_scored, "each pass announces its weeks: {scored:?}");
    assert_eq!(scored.last().map(|(d, t)| d == t), Some(true), "the last pass finishes: {scored:?}");

    // Nothing new: every projector starts at the head and nothing advances.
    let mut again = Vec::new();
    Runner::new(db.pool.clone(), projectors(), 500).catch_up_reported(&mut |step| again.push(step)).await.unwrap();
    let expected: Vec<Step> = names
        .iter()
        .map(|&projector| Step::CatchUpStarted { projector, checkpoint: round.head, head: round.head })
        .collect();
    assert_eq!(again, expected);

    // The blue-green replay reports its build from position 0 and its switch.
    let mut replayed = Vec::new();
    let report =
        perfledger_replay::rebuild::replay(&db.pool, 700, Start::Fresh, false, &mut |step| replayed.push(step))
            .await
            .unwrap();
    assert!(report.switched);
    for name in &names {
        let advanced = advances(&replayed, name);
        assert_eq!(advanced.last().map(|a| a.0), Some(report.head), "{name} is rebuilt up to the head");
        assert_eq!(advanced.iter().map(|a| a.1).sum::<usize>() as i64, report.head, "{name}");
    }
    let switch: Vec<&Step> =
        replayed.iter().filter(|s| matches!(s, Step::PhaseStarted { .. } | Step::PhaseDone { .. })).collect();
    assert_eq!(switch, [&Step::PhaseStarted { phase: "switch" }, &Step::PhaseDone { phase: "switch" }]);
}
