//! `POST /api/v1/events`: a JSON array or NDJSON of up to 10,000 envelopes.

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use perfledger_domain::{parse_envelope_bytes, Activity, ItemRejection};
use perfledger_store::IngestReport;
use serde_json::value::RawValue;

use crate::auth::{Principal, INGEST};
use crate::problem::Problem;
use crate::routes::AppState;

/// Most envelopes one request may carry.
pub const MAX_BATCH_ITEMS: usize = 10_000;
/// Most bytes one request may carry: 10,000 envelopes with long summaries.
pub const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// How the body is framed, from its Content-Type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    JsonArray,
    Ndjson,
}

impl Framing {
    pub fn from_headers(headers: &HeaderMap) -> Result<Framing, Problem> {
        let value = headers
            .get(header::CONTENT_TYPE)
            .ok_or_else(|| unsupported("missing Content-Type: send application/json or application/x-ndjson"))?;
        let value = value.to_str().unwrap_or_default();
        let essence = value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        match essence.as_str() {
            "application/json" => Ok(Framing::JsonArray),
            "application/x-ndjson" | "application/ndjson" | "application/jsonl" => Ok(Framing::Ndjson),
            _ => Err(unsupported(format!(
                "Content-Type '{value}' is not accepted: send application/json (an array) or application/x-ndjson"
            ))),
        }
    }
}

fn unsupported(detail: impl Into<String>) -> Problem {
    Problem::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "Unsupported Media Type", detail)
}

fn too_large(detail: impl Into<String>) -> Problem {
    Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "Payload Too Large", detail)
}

/// Splits and parses a batch. A body that is not a batch at all is a
/// [`Problem`]; a bad item is an [`ItemRejection`] in its slot.
pub fn parse_batch(framing: Framing, body: &[u8]) -> Result<Vec<Result<Activity, ItemRejection>>, Problem> {
    let items: Vec<&[u8]> = match framing {
        Framing::JsonArray => {
            let raw: Vec<&RawValue> = serde_json::from_slice(body)
                .map_err(|e| Problem::bad_request(format!("the body is not a JSON array of envelopes: {e}")))?;
            check_count(raw.len())?;
            return Ok(raw.into_iter().map(|item| parse_envelope_bytes(item.get().as_bytes())).collect());
        }
        Framing::Ndjson => body.split(|b| *b == b'\n').filter(|line| !is_blank(line)).collect(),
    };
    check_count(items.len())?;
    Ok(items.into_iter().map(parse_envelope_bytes).collect())
}

fn is_blank(line: &[u8]) -> bool {
    line.iter().all(|b| b.is_ascii_whitespace())
}

fn check_count(count: usize) -> Result<(), Problem> {
    if count > MAX_BATCH_ITEMS {
        return Err(too_large(format!("the batch has {count} envelopes; at most {MAX_BATCH_ITEMS} are accepted")));
    }
    Ok(())
}

/// Accepts activity from the CRM. Valid items commit; invalid items write
/// nothing and are reported with their index, event_id and reason.
#[utoipa::path(post, path = "/api/v1/events", tag = "ingest", operation_id = "ingest_events",
    security(("bearer" = [])),
    request_body(description = "Up to 10,000 envelopes: a JSON array (`application/json`) or one per line (`application/x-ndjson`). \
        Any JSON value is a well-formed item: each is checked on its own, and one that is not a valid envelope \
        (not an object, a missing or wrong field) is listed in the answer's `rejected`, with its index and reason, \
        while the valid items commit. Only a body that is not a batch at all is refused (400).",
        content((Vec<serde_json::Value> = "application/json"), (String = "application/x-ndjson"))),
    responses(
        (status = 200, description = "Valid items committed; invalid ones listed with their index and reason", body = crate::openapi::IngestReport),
        (status = 400, description = "The body is not a batch of envelopes", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid bearer token", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks the `ingest` permission", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 413, description = "More than 10,000 envelopes or 32 MiB", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Content-Type is neither JSON nor NDJSON", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The store is unavailable; nothing was written", body = crate::openapi::Problem, content_type = "application/problem+json"),
    ))]
pub async fn post_events(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<IngestReport>, Problem> {
    principal.require(INGEST)?;
    let framing = Framing::from_headers(&headers)?;
    let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| too_large(format!("the body is larger than {MAX_BODY_BYTES} bytes")))?;
    let items = tokio::task::spawn_blocking(move || parse_batch(framing, &bytes))
        .await
        .map_err(|e| Problem::internal(format!("parsing the batch failed: {e}")))??;
    let report = state.ingestor.ingest(&items).await.map_err(|e| {
        tracing::error!(error = %e, "ingest failed");
        Problem::new(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable", format!("{e}; nothing was written"))
    })?;
    crate::ops::count_ingest(&report);
    Ok(Json(report))
}
