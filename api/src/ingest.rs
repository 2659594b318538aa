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
use crate::state::AppState;

/// Most envelopes one request may carry.
pub const MAX_BATCH_ITEMS: usize = 10_000;
/// The largest ingest body, in bytes.
pub const MAX_BODY_BYTES: usize = crate::limits::MAX_INGEST_BODY_BYTES;

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

/// Seconds a refused body is told to wait before retrying.
pub const BUSY_RETRY_AFTER_SECONDS: u32 = 2;

/// Reads an ingest body within the server's in-flight budget (one semaphore
/// permit per byte, `ServerLimits::ingest_budget`): a declared
/// `Content-Length` is reserved whole before a byte is read; a body without
/// one reserves chunk by chunk as it arrives. When the budget is spent the
/// answer is 503 with `Retry-After`, never an unbounded buffer. A body that
/// pauses longer than the header-read timeout between chunks is a 408.
pub async fn read_body(
    limits: &crate::limits::ServerLimits,
    headers: &HeaderMap,
    body: Body,
) -> Result<(bytes::Bytes, Vec<tokio::sync::OwnedSemaphorePermit>), Problem> {
    use futures::StreamExt;
    let budget = limits.options.ingest_max_inflight_bytes as usize;
    let limit = MAX_BODY_BYTES.min(budget);
    let larger_than = |limit: usize| {
        if limit < MAX_BODY_BYTES {
            too_large(format!(
                "the body is larger than the {limit} bytes this server takes in flight (--ingest-max-inflight-mb)"
            ))
        } else {
            too_large(format!("the body is larger than {MAX_BODY_BYTES} bytes"))
        }
    };
    let busy = || Problem {
        retry_after: Some(BUSY_RETRY_AFTER_SECONDS),
        ..Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "Service Unavailable",
            format!(
                "too many event batches are being received at once (at most {budget} bytes in flight); \
                 retry in {BUSY_RETRY_AFTER_SECONDS} s"
            ),
        )
    };
    let reserve = |n: usize| {
        limits.ingest_budget.clone().try_acquire_many_owned(u32::try_from(n).unwrap_or(u32::MAX)).map_err(|_| busy())
    };
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    let mut permits = Vec::new();
    if let Some(length) = declared {
        if length > limit {
            return Err(larger_than(limit));
        }
        if length > 0 {
            permits.push(reserve(length)?);
        }
    }
    let idle = limits.options.header_read_timeout;
    let mut stream = body.into_data_stream();
    let mut buffer = bytes::BytesMut::with_capacity(declared.unwrap_or(0));
    loop {
        let next = tokio::time::timeout(idle, stream.next()).await.map_err(|_| {
            Problem::new(
                StatusCode::REQUEST_TIMEOUT,
                "Request Timeout",
                format!("the body paused for more than {} s; send it without pauses", idle.as_secs()),
            )
        })?;
        let Some(chunk) = next else { break };
        let chunk = chunk.map_err(|_| Problem::bad_request("the body could not be read to its end"))?;
        if buffer.len() + chunk.len() > limit {
            return Err(larger_than(limit));
        }
        if declared.is_none() && !chunk.is_empty() {
            permits.push(reserve(chunk.len())?);
        }
        buffer.extend_from_slice(&chunk);
    }
    Ok((buffer.freeze(), permits))
}

/// Accepts activity from the CRM. Valid items commit; invalid items write
/// nothing and are reported with their index, event_id and reason.
#[utoipa::path(post, path = "/api/v1/events", tag = "ingest", operation_id = "ingest_events",
    security(("bearer" = [])),
    request_body(description = "Up to 10,000 envelopes: a JSON array (`application/json`) or one per line (`application/x-ndjson`). \
        Any JSON value is a well-formed item: each is checked on its own, and one that is not a valid envelope \
        (not an object, a missing or wrong field) is listed in the answer's `rejected`, with its index and reason, \
        while the valid items commit. Only a body that is not a batch at all is refused (400). \
        A valid item is an `Envelope` (see the schema for every field's limits: ids, text, numbers, the `occurred_at` window).",
        content((Vec<serde_json::Value> = "application/json"), (String = "application/x-ndjson"))),
    responses(
        (status = 200, description = "Valid items committed; invalid ones listed with their index and reason", body = crate::schemas::IngestReport),
        (status = 400, description = "The body is not a batch of envelopes", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid bearer token", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks the `ingest` permission", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 413, description = "More than 10,000 envelopes or 32 MiB", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Content-Type is neither JSON nor NDJSON", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 408, description = "The body paused longer than the body-read timeout", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The store is unavailable, or too many request bodies are in flight (`Retry-After`); nothing was written", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn post_events(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<IngestReport>, Problem> {
    principal.require(INGEST)?;
    let framing = Framing::from_headers(&headers)?;
    // Held until the batch is written: the body and what is parsed from it
    // stay in memory that long.
    let (bytes, _budget) = read_body(&state.limits, &headers, body).await?;
    let items = tokio::task::spawn_blocking(move || parse_batch(framing, &bytes)).await.map_err(|e| {
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal Server Error",
            crate::request_id::internal_failure("parsing the batch failed", &e),
        )
    })??;
    let report = state.ingestor.ingest(&items).await.map_err(|e| {
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "Service Unavailable",
            crate::request_id::internal_failure("the store is unavailable; nothing was written", &e),
        )
    })?;
    crate::ops::count_ingest(&report);
    Ok(Json(report))
}
