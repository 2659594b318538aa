//! `perfledger connect dotmac`: the DotMac CRM pull connector
//! (docs/connectors/dotmac.md). Backfills with a progress bar, then follows
//! (polls, woken early by the webhook receiver); `--once` catches up, prints
//! the poll's report as JSON and exits.

use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::Context;
use perfledger_dotmac::{Connector, ConnectorOptions};
use perfledger_store::Ingestor;
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;

use crate::config::{ConnectArgs, ConnectCommand, DotmacArgs, GlobalArgs};
use crate::progress::Progress;

pub async fn run(global: &GlobalArgs, args: ConnectArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        ConnectCommand::Dotmac(dotmac) => run_dotmac(global, dotmac).await,
    }
}

async fn run_dotmac(global: &GlobalArgs, args: DotmacArgs) -> anyhow::Result<ExitCode> {
    let source = source_pool(&args.source_url, "--source-url / PERFLEDGER_DOTMAC_SOURCE_URL").await?;
    let db = super::open_database(global).await?;
    let options = ConnectorOptions {
        overlap: chrono::Duration::seconds(args.overlap_seconds as i64),
        chunk_rows: args.chunk_rows as usize,
    };
    let connector = connector(source.clone(), db.pool.clone(), global.occurred_window(), options);

    let progress = Mutex::new(None::<Progress>);
    let on_progress = |done: u64, total: u64| {
        let mut guard = progress.lock().expect("the progress lock");
        let bar = guard.get_or_insert_with(|| Progress::new("dotmac backfill", total));
        bar.update(done, || format!("{done} of {total} rows"));
    };
    let first = connector.poll(Some(&on_progress)).await;
    if let Some(bar) = progress.lock().expect("the progress lock").as_ref() {
        bar.finish();
    }
    let first = first?;
    let result = if args.once {
        println!("{}", serde_json::to_string(&first)?);
        Ok(())
    } else {
        eprintln!(
            "dotmac: {} rows read, {} events appended, {} held, {} skipped in {:.1}s; following",
            first.rows_read, first.events_appended, first.held, first.skipped, first.seconds
        );
        follow(&connector, Duration::from_secs(args.poll_seconds), crate::shutdown::install()?)
            .await
            .map_err(anyhow::Error::from)
    };
    source.close().await;
    db.close().await;
    result?;
    Ok(ExitCode::SUCCESS)
}

/// A small pool on DotMac's database. The URL holds a password: the error
/// names the flag and variable it came from (`setting`), never the value.
async fn source_pool(url: &str, setting: &str) -> anyhow::Result<PgPool> {
    PgPoolOptions::new()
        .max_connections(2)
        .connect(url)
        .await
        .with_context(|| format!("cannot connect to DotMac's database ({setting})"))
}

/// The connector over `source`, appending to `target` through the same
/// validating writer as the ingest API.
fn connector(
    source: PgPool,
    target: PgPool,
    window: perfledger_domain::validate::OccurredWindow,
    options: ConnectorOptions,
) -> Connector {
    let ingestor = Ingestor::new(target.clone(), "dotmac").with_window(window);
    Connector::new(source, target, ingestor, options)
}

/// Polls every `interval` (or when the webhook wakes it) until `stop`,
/// logging each poll that appended or skipped something.
async fn follow(
    connector: &Connector,
    interval: Duration,
    stop: impl std::future::Future<Output = ()>,
) -> Result<(), perfledger_dotmac::ConnectorError> {
    let log_poll = |report: &perfledger_dotmac::PollReport| {
        if report.events_appended > 0 || report.skipped > 0 {
            tracing::info!(
                appended = report.events_appended,
                held = report.held,
                skipped = report.skipped,
                "dotmac poll"
            );
        }
    };
    connector.follow(interval, log_poll, stop).await
}

/// `serve --dotmac-source-url`: the connector as one of the server's
/// supervised tasks (restarted after a backoff when the source is
/// unreachable; shown on /healthz as `dotmac`). Its first poll is the
/// backfill, without a progress bar.
pub async fn serve_dotmac(
    source_url: String,
    target: PgPool,
    window: perfledger_domain::validate::OccurredWindow,
    interval: Duration,
    stop: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    let source = source_pool(&source_url, "--dotmac-source-url / PERFLEDGER_SERVE_DOTMAC_SOURCE_URL").await?;
    let connector = connector(source.clone(), target, window, ConnectorOptions::default());
    let followed = follow(&connector, interval, stop).await;
    source.close().await;
    followed.map_err(anyhow::Error::from)
}
