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

use crate::config::{ConnectArgs, ConnectCommand, DotmacArgs, GlobalArgs};
use crate::progress::Progress;

pub async fn run(global: &GlobalArgs, args: ConnectArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        ConnectCommand::Dotmac(dotmac) => run_dotmac(global, dotmac).await,
    }
}

async fn run_dotmac(global: &GlobalArgs, args: DotmacArgs) -> anyhow::Result<ExitCode> {
    let source = PgPoolOptions::new()
        .max_connections(2)
        .connect(&args.source_url)
        .await
        // The URL holds a password: the error names the variable, never the value.
        .context("cannot connect to DotMac's database (--source-url / PERFLEDGER_DOTMAC_SOURCE_URL)")?;
    let db = super::open_database(global).await?;
    let ingestor = Ingestor::new(db.pool.clone(), "dotmac").with_window(global.occurred_window());
    let options = ConnectorOptions {
        overlap: chrono::Duration::seconds(args.overlap_seconds as i64),
        chunk_rows: args.chunk_rows as usize,
    };
    let connector = Connector::new(source.clone(), db.pool.clone(), ingestor, options);

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
        connector
            .follow(
                Duration::from_secs(args.poll_seconds),
                |report| {
                    if report.events_appended > 0 || report.skipped > 0 {
                        tracing::info!(
                            appended = report.events_appended,
                            held = report.held,
                            skipped = report.skipped,
                            "dotmac poll"
                        );
                    }
                },
                crate::shutdown::install()?,
            )
            .await
            .map_err(anyhow::Error::from)
    };
    source.close().await;
    db.close().await;
    result?;
    Ok(ExitCode::SUCCESS)
}
