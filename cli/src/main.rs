//! `perfledger`: one binary, one subcommand per job.

use clap::Parser;
use perfledger::commands;
use perfledger::config::{Cli, Command};
use perfledger::demo;

/// mimalloc instead of glibc malloc: the ingest writer and the DotMac
/// connector build and drop many small JSON values per event, and malloc/free
/// were a third of the connector backfill's CPU (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    init_tracing(&cli.global.log);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime starts");
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve(args) => commands::serve::run(&cli.global, args).await,
            Command::Migrate => commands::migrate::run(&cli.global).await,
            Command::Import(args) => commands::import::run(&cli.global, args).await,
            Command::Demo(args) => demo::run(&cli.global, args).await,
            Command::Bench(args) => commands::bench::run(&cli.global, args).await,
            Command::Token(args) => commands::token::run(&cli.global, args),
            Command::Project(args) => commands::project::run(&cli.global, args).await,
            Command::Settings(args) => commands::settings::run(&cli.global, args).await,
            Command::WhatIf(args) => commands::what_if::run(&cli.global, args).await,
            Command::Replay(args) => commands::rescore::replay(&cli.global, args).await,
            Command::Rescore(args) => commands::rescore::rescore(&cli.global, args).await,
            Command::Backfill(args) => commands::rescore::backfill(&cli.global, args).await,
            Command::Verify(args) => commands::rescore::verify(&cli.global, args).await,
            Command::Events(args) => commands::events::run(&cli.global, args).await,
            Command::Connect(args) => commands::connect::run(&cli.global, args).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(err) => {
            // One clear line (plus its causes), never a backtrace.
            eprintln!("perfledger: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn init_tracing(filter: &str) {
    let text = filter;
    let mut filter = tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_else(|_| {
        eprintln!("perfledger: PERFLEDGER_LOG '{filter}' is not a valid filter; using 'info'");
        tracing_subscriber::EnvFilter::new("info")
    });
    // PostgreSQL NOTICEs (the migrator's `CREATE TABLE IF NOT EXISTS` on every
    // start) are not news: shown only when the filter asks for sqlx itself.
    if !text.contains("sqlx") {
        filter = filter.add_directive("sqlx::postgres::notice=warn".parse().expect("a valid directive"));
    }
    // Colours only for a person at a terminal: a log file, a pipe or a
    // service manager's journal gets plain text, no ANSI escape codes.
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}
