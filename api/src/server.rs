//! The HTTP server loop with the timeouts `axum::serve` does not offer
//! (issue 14, "the edges"):
//!
//! - **Header-read timeout** (slowloris): hyper's HTTP/1 connection with a
//!   tokio timer closes a connection whose request head has not arrived
//!   within [`crate::limits::ServerOptions::header_read_timeout`].
//! - **Request timeout**: [`request_timeout`], a middleware in the router,
//!   answers 503 problem+json when a handler (reading the body included) has
//!   not produced its answer within [`crate::limits::ServerOptions::request_timeout`].
//! - **Body-read timeout**: the request timeout bounds every body read; the
//!   ingest route, the one that takes big bodies, also closes a body that
//!   pauses longer than the header-read timeout between two chunks
//!   (`crate::ingest`).
//!
//! HTTP/1.1 only (as before: axum's default features have no HTTP/2).

use std::future::Future;
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tower::ServiceExt;

use crate::problem::Problem;

/// The request-timeout middleware (module docs).
pub async fn request_timeout(limit: Duration, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            let id = crate::request_id::current().unwrap_or_else(|| "none".into());
            tracing::warn!(request_id = %id, seconds = limit.as_secs_f64(), "a request timed out");
            let mut response = Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "Service Unavailable",
                format!("the request took longer than {} s and was stopped; request id {id}", limit.as_secs()),
            )
            .into_response();
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from_static("5"));
            response
        }
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then lets open
/// requests finish (module docs).
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    header_read_timeout: Duration,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut connections = tokio::task::JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // EMFILE and the like: wait a moment rather than spin.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let service = TowerToHyperService::new(tower::service_fn(move |request: Request<hyper::body::Incoming>| {
            app.clone().oneshot(request.map(Body::new))
        }));
        let mut stopped = stopped.clone();
        connections.spawn(async move {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder.timer(TokioTimer::new()).header_read_timeout(header_read_timeout);
            let connection = builder.serve_connection(TokioIo::new(stream), service).with_upgrades();
            let mut connection = std::pin::pin!(connection);
            tokio::select! {
                result = connection.as_mut() => {
                    if let Err(e) = result {
                        tracing::debug!(error = %e, "a connection ended with an error");
                    }
                }
                _ = async { stopped.wait_for(|s| *s).await.map(|_| ()) } => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
        });
        while connections.try_join_next().is_some() {}
    }
    let _ = stop.send(true);
    while connections.join_next().await.is_some() {}
    Ok(())
}
