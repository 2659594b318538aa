//! Rendering pages and error pages: every handler ends in [`respond`], so a
//! refusal is a page in the same layout (403 carries
//! `[data-testid=forbidden]`), with the status the API would answer.

use askama::Template;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use super::flash::Flash;
use super::session::WebUser;
use super::view::{Layout, Nav};
use crate::queries::QueryError;
use crate::scope::ApiProblem;

/// Renders `template` with `status`; a template failure is a plain 500.
pub fn render(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => {
            let mut response = (status, Html(html)).into_response();
            response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(e) => {
            tracing::error!(error = %e, "a page template failed to render");
            (StatusCode::INTERNAL_SERVER_ERROR, "the page failed to render; the server log has the details")
                .into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub layout: Layout,
    pub status: u16,
    pub reason: String,
    pub message: String,
    pub forbidden: bool,
}

impl ErrorPage {
    pub fn new(mut layout: Layout, status: StatusCode, message: impl Into<String>) -> Self {
        let reason = status.canonical_reason().unwrap_or("Error").to_string();
        layout.title = reason.clone();
        ErrorPage { layout, status: status.as_u16(), reason, message: message.into(), forbidden: status == 403 }
    }
}

/// Why a page could not be shown.
#[derive(Debug)]
pub struct PageError {
    pub status: StatusCode,
    pub message: String,
}

impl PageError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        PageError { status, message: message.into() }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        PageError::new(StatusCode::FORBIDDEN, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        PageError::new(StatusCode::NOT_FOUND, message)
    }

    /// 500: `reason` in plain words and the request id; the error itself
    /// only in the log (`crate::request_id`).
    pub fn internal(reason: &str, error: &dyn std::fmt::Display) -> Self {
        PageError::new(StatusCode::INTERNAL_SERVER_ERROR, crate::request_id::internal_failure(reason, error))
    }
}

impl From<ApiProblem> for PageError {
    fn from(p: ApiProblem) -> Self {
        PageError {
            status: StatusCode::from_u16(p.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            message: p.detail,
        }
    }
}

impl From<QueryError> for PageError {
    fn from(e: QueryError) -> Self {
        crate::performance::reports::query_problem(e).into()
    }
}

impl From<sqlx::Error> for PageError {
    fn from(e: sqlx::Error) -> Self {
        ApiProblem::database(&e).into()
    }
}

impl From<crate::period_query::FieldError> for PageError {
    fn from(e: crate::period_query::FieldError) -> Self {
        PageError::new(StatusCode::BAD_REQUEST, e.to_string())
    }
}

/// The page (clearing a flash it has shown) or the error page.
pub fn respond(user: &WebUser, result: Result<Response, PageError>) -> Response {
    let mut response = match result {
        Ok(response) => response,
        Err(error) => render(error.status, &ErrorPage::new(user.layout("", Nav::None), error.status, error.message)),
    };
    if user.flash.is_some() {
        response.headers_mut().append(header::SET_COOKIE, Flash::clear_cookie());
    }
    response
}

/// The 404 page for a path no route answers.
pub fn not_found_page() -> Response {
    render(
        StatusCode::NOT_FOUND,
        &ErrorPage::new(Layout::anonymous("Not Found"), StatusCode::NOT_FOUND, "There is no page at this address."),
    )
}

/// A page rendered with 200.
pub fn ok(template: &impl Template) -> Result<Response, PageError> {
    Ok(render(StatusCode::OK, template))
}
