//! Security headers on every response, API and pages alike (a middleware
//! around the whole router, so 404s and errors carry them too).
//!
//! - `X-Content-Type-Options: nosniff`, `Referrer-Policy: same-origin`,
//!   `X-Frame-Options: DENY` on everything.
//! - On HTML: [`CONTENT_SECURITY_POLICY`]. The pages load only their own
//!   content-hashed stylesheet and script (`/assets/…`), draw charts as
//!   inline SVG elements (attributes, no `style`) and have no inline
//!   `<script>` or `style=` attribute, so no `'unsafe-inline'` is needed.
//!   A handler that sets its own `Content-Security-Policy` keeps it.

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// The pages' policy: only this origin, never framed, no `<base>`, forms
/// post only here, no plugins.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

pub async fn headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    let html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("text/html"));
    if html && !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    }
    response
}
