//! `perfledger migrate`: apply pending migrations and exit.

use std::process::ExitCode;

use crate::config::GlobalArgs;

pub async fn run(global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let db = super::open_database(global).await?;
    let head = perfledger_store::log::head(&db.pool).await?;
    println!("migrations applied; the log holds {head} events");
    db.close().await;
    Ok(ExitCode::SUCCESS)
}
