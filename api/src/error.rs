//! The one error type of the application layer ([`crate::app`]): what went
//! wrong ([`ErrorKind`]), the field at fault when there is one, and the reason
//! in plain words. It knows nothing of HTTP: the JSON side turns it into
//! problem+json ([`crate::problem`]), the pages into an error page
//! (`crate::web::pages`), each with the status [`ErrorKind::status`] gives.

use std::fmt;

/// The kinds of failure a use case can end in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The caller may not see or change this.
    Forbidden,
    /// No such thing (told only to callers who may see everything).
    NotFound,
    /// A query parameter or path segment is not acceptable.
    InvalidParameter,
    /// The body is not an acceptable command.
    InvalidBody,
    /// The aggregate refused the command (a goal or review rule).
    Rejected,
    /// A feature the request needs is not configured.
    NotConfigured,
    /// A limit was hit; retry after `retry_after` seconds.
    RateLimited,
    /// The database (or another dependency) is unavailable; retry.
    Unavailable,
    /// Something failed that the caller cannot fix.
    Internal,
}

/// A failed use case: [`ErrorKind`], the field at fault, the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppError {
    pub kind: ErrorKind,
    pub field: Option<String>,
    pub reason: String,
    /// For [`ErrorKind::RateLimited`] and [`ErrorKind::Unavailable`]: seconds
    /// until a retry may succeed.
    pub retry_after: Option<u32>,
}

impl AppError {
    pub fn new(kind: ErrorKind, field: Option<&str>, reason: impl Into<String>) -> Self {
        AppError { kind, field: field.map(String::from), reason: reason.into(), retry_after: None }
    }

    /// `field: reason`, or the reason alone: what a person reads.
    pub fn detail(&self) -> String {
        match &self.field {
            Some(field) => format!("{field}: {}", self.reason),
            None => self.reason.clone(),
        }
    }

    pub fn forbidden(field: Option<&str>, reason: impl Into<String>) -> Self {
        AppError::new(ErrorKind::Forbidden, field, reason)
    }

    pub fn not_found(field: &str, reason: impl Into<String>) -> Self {
        AppError::new(ErrorKind::NotFound, Some(field), reason)
    }

    pub fn invalid_parameter(field: &str, reason: impl Into<String>) -> Self {
        AppError::new(ErrorKind::InvalidParameter, Some(field), reason)
    }

    pub fn invalid_body(field: &str, reason: impl Into<String>) -> Self {
        AppError::new(ErrorKind::InvalidBody, Some(field), reason)
    }

    pub fn rejected(field: &str, reason: impl Into<String>) -> Self {
        AppError::new(ErrorKind::Rejected, Some(field), reason)
    }

    pub fn not_configured(reason: impl Into<String>) -> Self {
        AppError::new(ErrorKind::NotConfigured, None, reason)
    }

    /// A limit was hit; `retry_after` seconds (at least 1) until it lifts.
    pub fn rate_limited(field: Option<&str>, reason: impl Into<String>, retry_after: u32) -> Self {
        AppError { retry_after: Some(retry_after.max(1)), ..AppError::new(ErrorKind::RateLimited, field, reason) }
    }

    pub fn internal(reason: impl Into<String>) -> Self {
        AppError::new(ErrorKind::Internal, None, reason)
    }

    /// The database failed: the error goes to the log with the request id,
    /// the reason names only the id (`crate::request_id`).
    pub fn database(error: &dyn fmt::Display) -> Self {
        AppError::new(
            ErrorKind::Unavailable,
            None,
            crate::request_id::internal_failure("the database is unavailable", error),
        )
    }

    /// An internal failure: `reason` in plain words and the request id; the
    /// error itself only in the log.
    pub fn internal_error(reason: &str, error: &dyn fmt::Display) -> Self {
        AppError::internal(crate::request_id::internal_failure(reason, error))
    }
}

impl AppError {
    /// A stored row could not be read back: a 500 naming nothing internal.
    pub fn unreadable(what: impl fmt::Display) -> Self {
        AppError::internal_error("the query failed", &format!("stored data is unreadable: {what}"))
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.detail())
    }
}

impl std::error::Error for AppError {}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        AppError::database(&e)
    }
}

impl From<perfledger_projections::runner::ProjectionError> for AppError {
    fn from(e: perfledger_projections::runner::ProjectionError) -> Self {
        AppError::internal_error("the query failed", &e)
    }
}

/// An entity's history could not be read: the database (503) or a stored
/// event that does not decode (500, logged with the event's place).
pub fn history_error(e: perfledger_store::log::HistoryError) -> AppError {
    match e {
        perfledger_store::log::HistoryError::Database(e) => AppError::database(&e),
        unreadable => AppError::internal_error("a stored event cannot be read", &unreadable),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_detail_names_the_field_before_the_reason() {
        assert_eq!(AppError::invalid_parameter("period", "is not a period").detail(), "period: is not a period");
        assert_eq!(AppError::forbidden(None, "no").detail(), "no");
        assert_eq!(AppError::rate_limited(None, "slow down", 0).retry_after, Some(1));
    }
}
