//! `perfledger serve`: migrate, then serve the API until Ctrl-C or SIGTERM,
//! with the projection worker and the review worker (flagged runs after each
//! weekly close, review jobs) in the same process unless turned off.

use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::Context;
use perfledger_api::auth::{Signer, Verifier};
use perfledger_api::AppState;
use perfledger_scheduler::supervise::supervise;
use perfledger_scheduler::worker::{run_forever, DEFAULT_BATCH};
use perfledger_store::Database;
use std::time::Duration;

use crate::config::{GlobalArgs, ServeArgs};

pub async fn run(global: &GlobalArgs, args: ServeArgs) -> anyhow::Result<ExitCode> {
    let verifier = super::verifier(global)?.context(
        "serving needs a token key: set PERFLEDGER_JWT_SECRET (HS256) or PERFLEDGER_JWT_PUBLIC_KEY_FILE (RS256)",
    )?;
    let signer = match &global.jwt_secret {
        Some(_) => Some(super::signer(global)?),
        None if args.demo => anyhow::bail!(
            "--demo signs people in with tokens it mints, which needs PERFLEDGER_JWT_SECRET (HS256); \
             RS256 tokens are minted by the CRM"
        ),
        None => None,
    };
    let db = super::open_database(global).await?;
    serve(db, verifier, signer, &args, global.occurred_window(), |_| {}).await?;
    Ok(ExitCode::SUCCESS)
}

/// Serves until a shutdown signal, then closes the database (stopping the
/// embedded cluster if this process started it). `on_ready` sees the bound address.
pub async fn serve(
    db: Database,
    verifier: Verifier,
    signer: Option<Signer>,
    args: &ServeArgs,
    window: perfledger_domain::validate::OccurredWindow,
    on_ready: impl FnOnce(SocketAddr),
) -> anyhow::Result<()> {
    let listen = args.listen;
    let listener = match tokio::net::TcpListener::bind(listen).await {
        Ok(listener) => listener,
        Err(err) => {
            db.close().await;
            anyhow::bail!(
                "cannot listen on {listen}: {err}; choose another address with --listen or PERFLEDGER_LISTEN"
            );
        }
    };
    let address = listener.local_addr()?;
    let state = AppState::new(db.pool.clone(), verifier)
        .with_window(window)
        .with_signer(signer, args.demo)
        .with_limits(args.server_options())
        .with_dotmac_webhook_secret(args.dotmac_webhook_secret.as_deref());
    let header_read_timeout = state.limits.options.header_read_timeout;
    let app = perfledger_api::router(state);
    // Handlers first: a Ctrl-C right after the address is printed still stops cleanly.
    let shutdown = crate::shutdown::install().context("cannot install the Ctrl-C and SIGTERM handlers")?;
    // One signal stops both the server and the projection worker.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop.send(true);
    });
    let until_stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    // Supervised: a panic or an error is logged, shown on /healthz, and the
    // worker starts again after a backoff (issue 14); never a silent death.
    let worker = (!args.no_projectors).then(|| {
        let pool = db.pool.clone();
        tokio::spawn(supervise("projections", stopped.clone(), move |rx| {
            run_forever(pool.clone(), DEFAULT_BATCH, Duration::from_secs(2), until_stopped(rx))
        }))
    });
    let reviews = (!args.no_review_worker).then(|| {
        let pool = db.pool.clone();
        tokio::spawn(supervise("reviews", stopped.clone(), move |rx| {
            perfledger_reviews::worker::run_forever(
                pool.clone(),
                perfledger_reviews::worker::ProviderSource::from_env(),
                Duration::from_secs(5),
                until_stopped(rx),
            )
        }))
    });
    let dotmac = args.dotmac_source_url.clone().map(|url| {
        let pool = db.pool.clone();
        let interval = Duration::from_secs(args.dotmac_poll_seconds);
        tokio::spawn(supervise("dotmac", stopped.clone(), move |rx| {
            super::connect::serve_dotmac(url.clone(), pool.clone(), window, interval, until_stopped(rx))
        }))
    });
    println!("perfledger listening on http://{address}");
    if args.demo {
        println!("demo sign-in: http://{address}/auth/demo");
    }
    on_ready(address);
    // hyper's own connection loop rather than axum::serve: it has the
    // header-read timeout (slowloris); the request timeout is in the router.
    let served = perfledger_api::server::serve(listener, app, header_read_timeout, until_stopped(stopped)).await;
    for supervisor in [worker, reviews, dotmac].into_iter().flatten() {
        if let Err(e) = supervisor.await {
            tracing::error!(error = %e, "a worker's supervisor failed");
        }
    }
    db.close().await;
    served.context("the HTTP server failed")
}
