//! Rendering pages and error pages: every handler ends in [`respond`], so a
//! use case's [`AppError`] is a page in the same layout (403 carries
//! `[data-testid=forbidden]`), with the status the API would answer.

use askama::Template;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use super::flash::Flash;
use super::session::WebUser;
use super::view::{Layout, Nav};
use crate::error::AppError;

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

/// The page (clearing a flash it has shown) or the error page.
pub fn respond(user: &WebUser, result: Result<Response, AppError>) -> Response {
    let mut response = match result {
        Ok(response) => response,
        Err(error) => {
            let status = error.status();
            render(status, &ErrorPage::new(user.layout("", Nav::None), status, error.detail()))
        }
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
pub fn ok(template: &impl Template) -> Result<Response, AppError> {
    Ok(render(StatusCode::OK, template))
}
