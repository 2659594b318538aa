//! Rendering pages and error pages: every handler ends in [`respond`], so a
//! use case's [`AppError`] is a page in the same layout (403 carries
//! `[data-testid=forbidden]`), with the status the API would answer.

use askama::Template;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use super::flash::Flash;
use super::session::WebUser;
use super::view::{Layout, Nav};
use crate::error::{AppError, ErrorKind};

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
            render(status, &ErrorPage::new(user.layout("", Nav::None), status, plain_words(&error)))
        }
    };
    if user.flash.is_some() {
        response.headers_mut().append(header::SET_COOKIE, Flash::clear_cookie());
    }
    response
}

/// What a person reads on a page for a refused request (issue 15): the
/// reason as a sentence, and for bad input the field it concerns by its
/// label on the page, never its JSON name (`metric_key`, `person_id`). The
/// JSON problem bodies keep the field for programs.
pub fn plain_words(error: &AppError) -> String {
    let reason = sentence(&error.reason);
    let input = matches!(error.kind, ErrorKind::InvalidParameter | ErrorKind::InvalidBody | ErrorKind::Rejected);
    let bare = error.reason.trim().trim_end_matches('.');
    match (input, error.field.as_deref().map(field_label)) {
        (true, Some(Some(label))) if bare.starts_with("is ") => format!("{label} {bare}."),
        (true, Some(Some(label))) => format!("{label}: {reason}"),
        // A field without a label on the page: not its internal name.
        (true, Some(None)) if bare.starts_with("is ") => format!("This value {bare}."),
        _ => reason,
    }
}

/// The label a person knows a field by (the page's own words).
fn field_label(field: &str) -> Option<&'static str> {
    Some(match field {
        "person_id" => "Person",
        "team_id" => "Team",
        "review_id" | "id" => "Review",
        "goal_id" => "Goal",
        "metric_key" | "metric" => "Metric",
        "domain" => "Domain",
        "label" => "Goal name",
        "target_value" => "Target",
        "comparison" => "Comparison",
        "deadline" => "Deadline",
        "status" => "Status",
        "period" => "Period",
        "from" => "From",
        "to" => "To",
        "week" => "Week",
        "sort" => "Sort",
        "order" => "Order",
        "offset" => "Page",
        "limit" => "Page size",
        "force" => "Force",
        "token" => "Token",
        _ => return None,
    })
}

/// `text` with a capital first letter and a closing full stop.
fn sentence(text: &str) -> String {
    let text = text.trim();
    let mut chars = text.chars();
    let mut out: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => return String::new(),
    };
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_errors_name_fields_in_words() {
        let e = AppError::rejected("metric_key", "'vibes' is not a metric of support");
        assert_eq!(plain_words(&e), "Metric: 'vibes' is not a metric of support.");
        assert_eq!(
            plain_words(&AppError::invalid_parameter("to", "is required for a custom range")),
            "To is required for a custom range."
        );
        let forbidden = AppError::forbidden(Some("person_id"), "you may not see or act for this person");
        assert_eq!(plain_words(&forbidden), "You may not see or act for this person.");
        // An unknown field is left out rather than shown raw.
        assert_eq!(plain_words(&AppError::invalid_body("colour_key", "is not a field")), "This value is not a field.");
        assert_eq!(plain_words(&AppError::not_found("team_id", "no team has id 'x'")), "No team has id 'x'.");
    }
}
