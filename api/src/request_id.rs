//! One id per request, so an error answer can point at the server log
//! without showing what is in it.
//!
//! [`assign`] (a middleware around the whole router) takes the caller's
//! `X-Request-Id` when it is a plausible id (1–64 characters of `[A-Za-z0-9._-]`,
//! e.g. a UUID from a proxy), else generates a UUID v4; it runs the request in
//! a tracing span carrying the id, keeps the id in a task-local for the
//! handlers, and echoes it in the `X-Request-Id` response header.
//!
//! Error answers never carry database or library text: a handler that hits an
//! internal failure calls [`internal_failure`], which logs the error with the
//! request id (`tracing::error!`) and returns the plain reason and the id for
//! the body ("the database is unavailable; request id 4f…").

use std::fmt::Display;

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

pub const HEADER: &str = "x-request-id";

tokio::task_local! {
    static REQUEST_ID: String;
}

/// Whether an incoming `X-Request-Id` may be reused (and so logged and echoed).
pub fn is_acceptable(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// The middleware: see the module docs.
pub async fn assign(request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|id| is_acceptable(id))
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let span =
        tracing::info_span!("request", request_id = %id, method = %request.method(), path = %request.uri().path());
    let mut response = REQUEST_ID.scope(id.clone(), next.run(request).instrument(span)).await;
    response.headers_mut().insert(HEADER, HeaderValue::from_str(&id).expect("an id is a valid header value"));
    response
}

/// The id of the request being served, or `None` outside one (a background task).
pub fn current() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// Logs an internal error with the request id and returns what the caller
/// may read: `reason` (plain words, no internals) and the request id.
pub fn internal_failure(reason: &str, error: &dyn Display) -> String {
    let id = current();
    let shown = id.as_deref().unwrap_or("none");
    tracing::error!(request_id = shown, error = %error, "{reason}");
    match id {
        Some(id) => format!("{reason}; request id {id}"),
        None => reason.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_ids_are_reused() {
        assert!(is_acceptable("4f1c2a9e-1111-4222-8333-444455556666"));
        assert!(is_acceptable("req_42.a"));
        assert!(!is_acceptable(""));
        assert!(!is_acceptable(&"a".repeat(65)));
        assert!(!is_acceptable("a b"));
        assert!(!is_acceptable("<script>"));
    }

    #[tokio::test]
    async fn the_reason_names_the_id_and_not_the_error() {
        let text = REQUEST_ID
            .scope("rid-1".into(), async {
                internal_failure("the database is unavailable", &"relation \"x\" does not exist")
            })
            .await;
        assert_eq!(text, "the database is unavailable; request id rid-1");
        assert_eq!(internal_failure("the database is unavailable", &"pool closed"), "the database is unavailable");
    }
}
