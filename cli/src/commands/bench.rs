//! `perfledger bench ingest`: ingest throughput, measured in scratch
//! databases that are created and dropped on the configured server (the
//! embedded cluster by default). Prints one JSON object on stdout.
//!
//! - `import_events_per_s`: `perfledger import` of generated demo data;
//! - `raw_copy_events_per_s`: a plain `COPY` of the very rows that import
//!   wrote, into the same (freshly migrated) table: the ceiling to compare with;
//! - `http_events_per_s`: `POST /api/v1/events` in batches of 1,000 from 4
//!   concurrent clients, each owning a hash partition of the entities so that
//!   causal order holds within every client's stream.

use std::collections::hash_map::DefaultHasher;
use std::fs::File;
use std::hash::{Hash, Hasher};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use perfledger_api::auth::{Signer, Verifier, INGEST};
use perfledger_api::AppState;
use perfledger_domain::{parse_envelope_bytes, EntityKind};
use perfledger_store::{Database, Ingestor};
use serde::Serialize;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgPool};

use crate::commands::import::import_file;
use crate::config::{BenchArgs, BenchCommand, GlobalArgs};
use crate::demo::generate::DemoSpec;

const HTTP_CLIENTS: usize = 4;
const HTTP_BATCH: usize = 1_000;
const BENCH_WEEKS: u32 = 4;

#[derive(Debug, Serialize)]
struct IngestBench {
    events: u64,
    http_events_per_s: f64,
    import_events_per_s: f64,
    raw_copy_events_per_s: f64,
    import_vs_raw_copy: f64,
    peak_rss_mb: f64,
}

pub async fn run(global: &GlobalArgs, args: BenchArgs) -> anyhow::Result<ExitCode> {
    if let BenchCommand::Api(api) = &args.command {
        // The routes query the last full week before the current one.
        anyhow::ensure!(
            api.log.weeks >= 2,
            "--weeks: bench api needs at least 2 weeks of activity; got {}",
            api.log.weeks
        );
    }
    let server = Database::open(&super::database_config(global)).await?;
    let result = measure(&server, global, args.command).await;
    server.close().await;
    println!("{}", result?);
    Ok(ExitCode::SUCCESS)
}

/// Runs one benchmark against `server`; its report as one line of JSON.
async fn measure(server: &Database, global: &GlobalArgs, command: BenchCommand) -> anyhow::Result<String> {
    let data_dir = &global.data_dir;
    let report = match command {
        BenchCommand::Ingest { events } => serde_json::to_string(&bench_ingest(server, data_dir, events).await?)?,
        BenchCommand::Project(log) => {
            serde_json::to_string(&super::bench_project::bench_project(server, data_dir, &log).await?)?
        }
        BenchCommand::Connect(log) => serde_json::to_string(&super::bench_connect::bench_connect(server, &log).await?)?,
        BenchCommand::Replay(log) => {
            serde_json::to_string(&super::bench_project::bench_replay(server, data_dir, &log).await?)?
        }
        BenchCommand::Reviews { reviews, concurrency } => serde_json::to_string(
            &super::bench_reviews::bench_reviews(server, reviews as usize, concurrency as usize).await?,
        )?,
        BenchCommand::Api(api) => {
            let args = super::bench_api::ApiBenchArgs {
                people: api.log.people,
                weeks: api.log.weeks,
                seed: api.log.seed,
                seconds: api.seconds,
                connections: api.connections as usize,
                pool_size: global.max_connections,
            };
            serde_json::to_string(&super::bench_api::bench_api(server, data_dir, &args).await?)?
        }
        BenchCommand::WhatIf(what_if) => {
            serde_json::to_string(&super::bench_what_if::bench_what_if(server, data_dir, &what_if).await?)?
        }
    };
    Ok(report)
}

/// A database created for one measurement and dropped afterwards.
pub(crate) struct Scratch {
    admin: PgConnectOptions,
    name: String,
    pub(crate) pool: PgPool,
}

impl Scratch {
    pub(crate) async fn create(server: &Database, label: &str) -> anyhow::Result<Scratch> {
        let admin = server.connect_options.clone();
        let name = format!("perfledger_bench_{}_{label}", std::process::id());
        let mut conn = sqlx::PgConnection::connect_with(&admin).await?;
        sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\"")).execute(&mut conn).await?;
        sqlx::query(&format!("CREATE DATABASE \"{name}\"")).execute(&mut conn).await?;
        conn.close().await?;
        let pool = PgPoolOptions::new()
            .max_connections(HTTP_CLIENTS as u32 * 2 + 2)
            .connect_with(admin.clone().database(&name))
            .await?;
        perfledger_store::migrate::run(&pool).await?;
        Ok(Scratch { admin, name, pool })
    }

    pub(crate) async fn drop(self) -> anyhow::Result<()> {
        self.pool.close().await;
        let mut conn = sqlx::PgConnection::connect_with(&self.admin).await?;
        sqlx::query(&format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name)).execute(&mut conn).await?;
        conn.close().await?;
        Ok(())
    }
}

async fn bench_ingest(server: &Database, data_dir: &Path, events: u64) -> anyhow::Result<IngestBench> {
    let work = tempfile::Builder::new().prefix("perfledger-bench-").tempdir_in(ensure_dir(data_dir)?)?;
    let data = work.path().join("events.ndjson");
    let people = (events / (200 * u64::from(BENCH_WEEKS))).max(5) as usize;
    let spec = DemoSpec { people, weeks: BENCH_WEEKS, seed: 1, end_week_monday: crate::demo::this_monday() };
    eprintln!("bench: generating about {events} events ({people} people, {BENCH_WEEKS} weeks)…");
    let path = data.clone();
    let generated = tokio::task::spawn_blocking(move || crate::demo::write_ndjson(&spec, &path)).await??;

    // (1) bulk import
    let import_db = Scratch::create(server, "import").await?;
    eprintln!("bench: importing {} events…", generated.events);
    let summary = import_file(&Ingestor::new(import_db.pool.clone(), "bench"), &data, 10_000, false).await?;
    anyhow::ensure!(summary.rejected == 0, "the generated data had {} rejected lines", summary.rejected);

    // (2) raw COPY of the same rows into the same table
    let rows = work.path().join("rows.copy");
    copy_out(&import_db.pool, &rows).await?;
    import_db.drop().await?;
    let copy_db = Scratch::create(server, "copy").await?;
    eprintln!("bench: raw COPY of the same rows…");
    let copy_seconds = copy_in(&copy_db.pool, &rows).await?;
    copy_db.drop().await?;

    // (3) HTTP batches from concurrent clients
    let http_db = Scratch::create(server, "http").await?;
    eprintln!("bench: HTTP, {HTTP_CLIENTS} clients × batches of {HTTP_BATCH}…");
    let http_seconds = bench_http(&http_db.pool, &data, work.path()).await?;
    let http_count: i64 = sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(&http_db.pool).await?;
    http_db.drop().await?;
    anyhow::ensure!(
        http_count as usize == summary.accepted,
        "HTTP ingest accepted {http_count} of {}",
        summary.accepted
    );

    let accepted = summary.accepted as f64;
    let raw_copy = accepted / copy_seconds;
    Ok(IngestBench {
        events: summary.accepted as u64,
        http_events_per_s: round(accepted / http_seconds),
        import_events_per_s: round(summary.events_per_s),
        raw_copy_events_per_s: round(raw_copy),
        import_vs_raw_copy: (summary.events_per_s / raw_copy * 100.0).round() / 100.0,
        peak_rss_mb: peak_rss_mb(),
    })
}

pub(crate) fn ensure_dir(dir: &Path) -> anyhow::Result<&Path> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir)
}

const COPY_COLUMNS: &str =
    "aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata, global_position";

async fn copy_out(pool: &PgPool, path: &Path) -> anyhow::Result<()> {
    use futures::StreamExt;
    let mut conn = pool.acquire().await?;
    let mut out = BufWriter::new(File::create(path)?);
    let mut stream = conn
        .copy_out_raw(&format!("COPY (SELECT {COPY_COLUMNS} FROM events ORDER BY global_position) TO STDOUT"))
        .await?;
    while let Some(chunk) = stream.next().await {
        out.write_all(&chunk?)?;
    }
    out.flush()?;
    Ok(())
}

/// Seconds taken by one `COPY … FROM STDIN` of the file, committed.
async fn copy_in(pool: &PgPool, path: &Path) -> anyhow::Result<f64> {
    let bytes = std::fs::read(path)?;
    let started = Instant::now();
    let mut tx = pool.begin().await?;
    let mut copy = tx.copy_in_raw(&format!("COPY events ({COPY_COLUMNS}) FROM STDIN")).await?;
    for chunk in bytes.chunks(1 << 20) {
        copy.send(chunk).await?;
    }
    copy.finish().await?;
    tx.commit().await?;
    Ok(started.elapsed().as_secs_f64())
}

/// Splits the data into the organisation prefix (sent first, in order) and
/// one file per client by entity hash, then times the concurrent posting.
async fn bench_http(pool: &PgPool, data: &Path, work: &Path) -> anyhow::Result<f64> {
    let org = work.join("org.ndjson");
    let parts: Vec<PathBuf> = (0..HTTP_CLIENTS).map(|i| work.join(format!("part-{i}.ndjson"))).collect();
    partition(data, &org, &parts)?;

    let secret = "bench-secret-bench-secret-bench-secret-0123";
    let state = AppState::new(pool.clone(), Verifier::hs256(secret.as_bytes())?);
    let token = Signer::hs256(secret.as_bytes())?.token("bench", &[], &[INGEST], 3_600);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/api/v1/events", listener.local_addr()?);
    let server = tokio::spawn(async move {
        let timeout = state.limits.options.header_read_timeout;
        perfledger_api::server::serve(listener, perfledger_api::router(state), timeout, std::future::pending()).await
    });

    let client = reqwest::Client::new();
    let started = Instant::now();
    post_file(&client, &url, &token, &org).await?;
    let mut clients = Vec::new();
    for part in parts {
        let (client, url, token) = (client.clone(), url.clone(), token.clone());
        clients.push(tokio::spawn(async move { post_file(&client, &url, &token, &part).await }));
    }
    for client in clients {
        client.await??;
    }
    let seconds = started.elapsed().as_secs_f64();
    server.abort();
    Ok(seconds)
}

fn partition(data: &Path, org: &Path, parts: &[PathBuf]) -> anyhow::Result<()> {
    let mut org_out = BufWriter::new(File::create(org)?);
    let mut outs: Vec<BufWriter<File>> =
        parts.iter().map(|p| File::create(p).map(BufWriter::new)).collect::<Result<_, _>>()?;
    for line in BufReader::new(File::open(data)?).split(b'\n') {
        let line = line?;
        let activity = parse_envelope_bytes(&line).map_err(|e| anyhow::anyhow!("generated data: {}", e.rejection))?;
        let entity = activity.data.entity();
        let out = match entity.kind {
            EntityKind::Person | EntityKind::Team => &mut org_out,
            _ => {
                let mut hasher = DefaultHasher::new();
                entity.hash(&mut hasher);
                &mut outs[hasher.finish() as usize % parts.len()]
            }
        };
        out.write_all(&line)?;
        out.write_all(b"\n")?;
    }
    org_out.flush()?;
    for out in &mut outs {
        out.flush()?;
    }
    Ok(())
}

async fn post_file(client: &reqwest::Client, url: &str, token: &str, path: &Path) -> anyhow::Result<()> {
    let reader = BufReader::new(File::open(path)?);
    let mut body = Vec::with_capacity(HTTP_BATCH * 400);
    let mut lines = 0;
    for line in reader.split(b'\n') {
        body.extend_from_slice(&line?);
        body.push(b'\n');
        lines += 1;
        if lines == HTTP_BATCH {
            post_batch(client, url, token, std::mem::take(&mut body), lines).await?;
            lines = 0;
        }
    }
    if lines > 0 {
        post_batch(client, url, token, body, lines).await?;
    }
    Ok(())
}

async fn post_batch(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    body: Vec<u8>,
    lines: usize,
) -> anyhow::Result<()> {
    let response =
        client.post(url).bearer_auth(token).header("content-type", "application/x-ndjson").body(body).send().await?;
    let status = response.status();
    let report: serde_json::Value = response.json().await?;
    anyhow::ensure!(status.is_success(), "HTTP {status}: {report}");
    anyhow::ensure!(report["accepted"] == lines, "a batch was not fully accepted: {report}");
    Ok(())
}

pub(crate) fn round(value: f64) -> f64 {
    value.round()
}

/// Peak resident set size of this process (VmHWM), in MiB.
pub fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .unwrap_or(0.0);
    (kb / 1024.0 * 10.0).round() / 10.0
}
