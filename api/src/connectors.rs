//! `POST /api/v1/connectors/dotmac/webhook`: DotMac CRM's webhook delivery
//! (docs/connectors/dotmac.md). A thin adapter over `perfledger_dotmac::webhook`:
//! the raw body's signature (`X-Webhook-Signature-256`, HMAC-SHA256 under
//! `--dotmac-webhook-secret`, constant-time), then the body stored once per
//! DotMac `event_id` in the inbox, which wakes a following `perfledger
//! connect dotmac` (`NOTIFY perfledger_dotmac`) in the same transaction. The
//! answer goes out as soon as the body is stored; the pull runs elsewhere.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use perfledger_dotmac::webhook::{parse_body, signature_is_valid, store, Stored};

use crate::error::AppError;
use crate::problem::Problem;
use crate::state::AppState;

/// The path DotMac is configured to deliver to.
pub const DOTMAC_WEBHOOK_PATH: &str = "/api/v1/connectors/dotmac/webhook";
/// The header carrying `sha256=<hex HMAC-SHA256(secret, raw body)>`.
pub const SIGNATURE_HEADER: &str = "x-webhook-signature-256";
/// DotMac's delivery id (kept with the body, for tracing a redelivery).
const DELIVERY_HEADER: &str = "x-webhook-delivery-id";

pub fn routes() -> Router<AppState> {
    Router::new().route(DOTMAC_WEBHOOK_PATH, post(dotmac_webhook))
}

/// One DotMac webhook delivery. No bearer token: the signature is the credential.
#[utoipa::path(post, path = "/api/v1/connectors/dotmac/webhook", tag = "connectors", operation_id = "dotmac_webhook",
    params(
        ("X-Webhook-Signature-256" = String, Header,
            description = "`sha256=` and the lowercase hex HMAC-SHA256 of the exact body bytes under the secret \
                shared with DotMac (`PERFLEDGER_DOTMAC_WEBHOOK_SECRET`). A signature that does not match the body \
                and the secret is refused with 401 (the schema cannot state it); nothing is stored",
            pattern = "^sha256=[0-9a-fA-F]{64}$"),
        ("X-Webhook-Delivery-Id" = Option<String>, Header, description = "DotMac's delivery id, kept with the body"),
    ),
    request_body(description = "DotMac's event envelope (`Event.to_dict`), signed as sent. Only `event_id` (the \
        deduplication key) and `event_type` are read; the body is a doorbell, the facts are pulled from DotMac's tables.",
        content((crate::schemas::DotmacWebhookBody = "application/json"))),
    responses(
        (status = 202, description = "Stored; a following `perfledger connect dotmac` is woken to pull now", body = crate::schemas::DotmacWebhookAnswer),
        (status = 200, description = "This `event_id` was stored before (a redelivery): nothing changes", body = crate::schemas::DotmacWebhookAnswer),
        (status = 401, description = "Unsigned, tampered or signed with another secret (the field is `X-Webhook-Signature-256`); nothing is stored", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "The receiver is off: no `PERFLEDGER_DOTMAC_WEBHOOK_SECRET` is set", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Correctly signed, but not a DotMac event (no `event_id` or `event_type` of 1–200 characters without control characters)", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable; nothing was stored (DotMac retries)", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn dotmac_webhook(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(secret) = state.dotmac_webhook_secret.as_deref() else {
        return Problem::new(
            StatusCode::NOT_FOUND,
            "Not Found",
            "the DotMac webhook receiver is off: set PERFLEDGER_DOTMAC_WEBHOOK_SECRET (--dotmac-webhook-secret)",
        )
        .into_response();
    };
    let signature = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
    if !signature_is_valid(secret, &body, signature) {
        let reason = match signature {
            None => "is missing: DotMac signs every delivery when its endpoint has a secret",
            Some(_) => "does not match the body under the configured secret",
        };
        return unauthorized(reason);
    }
    let (parsed, value) = match parse_body(&body) {
        Ok(parsed) => parsed,
        Err(reason) => return AppError::invalid_body("event_id", reason).into_response(),
    };
    let delivery_id = headers.get(DELIVERY_HEADER).and_then(|v| v.to_str().ok()).filter(|v| v.len() <= 200);
    match store(&state.pool, &parsed, &value, delivery_id).await {
        Ok(stored) => {
            let status = if stored == Stored::New { StatusCode::ACCEPTED } else { StatusCode::OK };
            let answer = crate::schemas::DotmacWebhookAnswer {
                event_id: parsed.event_id,
                duplicate: stored == Stored::Duplicate,
            };
            (status, Json(answer)).into_response()
        }
        Err(e) => AppError::database(&e).into_response(),
    }
}

/// 401 naming the signature header; no `WWW-Authenticate: Bearer` (a token would not help).
fn unauthorized(reason: &str) -> Response {
    let problem = Problem {
        field: Some("X-Webhook-Signature-256".to_string()),
        reason: Some(reason.to_string()),
        ..Problem::unauthorized(format!("X-Webhook-Signature-256: {reason}"))
    };
    let mut response = problem.into_response();
    response.headers_mut().remove(header::WWW_AUTHENTICATE);
    response
}
