//! RFC 9457 problem details (`application/problem+json`), the wire form of
//! every error the JSON side answers. An [`AppError`] becomes one with a
//! stable `type` URI per [`ErrorKind`], its `field` and `reason`; the few
//! errors raised before any use case runs (no token, a body too large, no
//! such route) are plain problems (`about:blank`).

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{AppError, ErrorKind};

/// Problem `type` URIs: stable, one per kind of failure.
pub mod problem_types {
    pub const FORBIDDEN: &str = "https://perfledger.dev/problems/forbidden";
    pub const NOT_FOUND: &str = "https://perfledger.dev/problems/not-found";
    pub const INVALID_PARAMETER: &str = "https://perfledger.dev/problems/invalid-parameter";
    pub const INVALID_BODY: &str = "https://perfledger.dev/problems/invalid-body";
    pub const REJECTED: &str = "https://perfledger.dev/problems/rejected";
    pub const NOT_CONFIGURED: &str = "https://perfledger.dev/problems/not-configured";
    pub const RATE_LIMITED: &str = "https://perfledger.dev/problems/rate-limited";
    pub const UNAVAILABLE: &str = "https://perfledger.dev/problems/unavailable";
    pub const INTERNAL: &str = "https://perfledger.dev/problems/internal";
}

/// An RFC 9457 problem. Errors of the performance routes add `field` (the
/// query parameter, path segment or body field at fault) and `reason`;
/// `type` is a stable URI per kind of failure (`about:blank` elsewhere).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A stable URI naming the kind of problem, e.g.
    /// `https://perfledger.dev/problems/invalid-parameter`.
    #[serde(rename = "type")]
    #[schema(value_type = String, example = "https://perfledger.dev/problems/invalid-parameter")]
    pub type_uri: &'static str,
    #[schema(value_type = String, example = "Bad Request")]
    pub title: &'static str,
    #[schema(example = 400)]
    pub status: u16,
    #[schema(example = "period: 'next_week' is not a period")]
    pub detail: String,
    /// The field at fault, when one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Why it was refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// For 429 and 503: seconds until a retry may succeed, also sent as the
    /// `Retry-After` header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u32>,
}

impl Problem {
    /// A plain problem (`about:blank`): `detail` alone.
    pub fn new(status: StatusCode, title: &'static str, detail: impl Into<String>) -> Self {
        Problem {
            type_uri: "about:blank",
            title,
            status: status.as_u16(),
            detail: detail.into(),
            field: None,
            reason: None,
            retry_after: None,
        }
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::BAD_REQUEST, "Bad Request", detail)
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::UNAUTHORIZED, "Unauthorized", detail)
    }
}

impl ErrorKind {
    /// The HTTP status of this kind, for the API and the pages alike.
    pub fn status(self) -> StatusCode {
        match self {
            ErrorKind::Forbidden => StatusCode::FORBIDDEN,
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::InvalidParameter => StatusCode::BAD_REQUEST,
            ErrorKind::InvalidBody | ErrorKind::Rejected => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorKind::NotConfigured | ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorKind::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The problem's `title` (RFC 9110's name for 422 is "Unprocessable Content").
    fn title(self) -> &'static str {
        match self {
            ErrorKind::InvalidBody | ErrorKind::Rejected => "Unprocessable Content",
            other => other.status().canonical_reason().unwrap_or("Error"),
        }
    }

    fn type_uri(self) -> &'static str {
        use problem_types::*;
        match self {
            ErrorKind::Forbidden => FORBIDDEN,
            ErrorKind::NotFound => NOT_FOUND,
            ErrorKind::InvalidParameter => INVALID_PARAMETER,
            ErrorKind::InvalidBody => INVALID_BODY,
            ErrorKind::Rejected => REJECTED,
            ErrorKind::NotConfigured => NOT_CONFIGURED,
            ErrorKind::RateLimited => RATE_LIMITED,
            ErrorKind::Unavailable => UNAVAILABLE,
            ErrorKind::Internal => INTERNAL,
        }
    }
}

impl AppError {
    /// The HTTP status this error answers with.
    pub fn status(&self) -> StatusCode {
        self.kind.status()
    }
}

impl From<AppError> for Problem {
    fn from(e: AppError) -> Self {
        let status = e.kind.status();
        Problem {
            type_uri: e.kind.type_uri(),
            title: e.kind.title(),
            status: status.as_u16(),
            detail: e.detail(),
            field: e.field,
            reason: Some(e.reason),
            retry_after: e.retry_after,
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).expect("problems always serialize");
        let mut response = (status, body).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/problem+json"));
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
        }
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// A use case's error answered as problem+json.
impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        Problem::from(self).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_app_error_keeps_its_field_reason_and_retry_in_the_problem() {
        let problem = Problem::from(AppError::rate_limited(Some("person_id"), "one a minute", 30));
        let json = serde_json::to_value(&problem).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "type": problem_types::RATE_LIMITED, "title": "Too Many Requests", "status": 429,
                "detail": "person_id: one a minute", "field": "person_id", "reason": "one a minute", "retry_after": 30,
            })
        );
        let plain = serde_json::to_value(Problem::bad_request("no")).unwrap();
        assert_eq!(
            plain,
            serde_json::json!({"type": "about:blank", "title": "Bad Request", "status": 400, "detail": "no"})
        );
    }
}
