//! Sign-in for the dashboards (D16): the same JWT as the API's bearer token,
//! carried in the HttpOnly, SameSite=Lax cookie [`SESSION_COOKIE`] and
//! verified by the same [`crate::auth::Verifier`], with the person's projected
//! grants merged in. Every POST form carries a CSRF token bound to the session
//! ([`csrf_token`]).
//!
//! Decisions:
//! - A page request without a valid session (none, expired, bad signature)
//!   is a 303 to [`SIGN_IN_PATH`]; the stale cookie is cleared.
//! - The CSRF token is SHA-256 over a fixed label and the session token. The
//!   session token is the secret: it never appears in a page (HttpOnly), so a
//!   cross-site form cannot know the hash, and the hash does not reveal the
//!   token. No server-side state, and it works with HS256 and RS256 alike.
//! - Signing in by form refuses cross-site posts (`Sec-Fetch-Site:
//!   cross-site`, or an `Origin` other than the request's host), so another
//!   site cannot sign a browser into a session of its choosing.
//! - The sign-in link `GET /auth/session?token=` stays a link (the CRM and
//!   the README hand it out, typed or pasted into the address bar), but only
//!   a navigation the browser calls `Sec-Fetch-Site: none` (typed, pasted,
//!   a bookmark) or `same-origin` signs in. `cross-site` and `same-site`
//!   (a link or redirect from another site, an `<img>`) are refused with a
//!   403 page, so another site cannot sign a browser in as its own account
//!   (login CSRF). Without `Sec-Fetch-Site` (an old browser, curl), an
//!   `Origin` or `Referer` naming another host is refused likewise.
//! - After signing in, the person returns to the page they asked for: a page
//!   request without a session is a 303 to `/auth/sign-in?next=<that page>`,
//!   and every sign-in path (form, link, demo) carries `next` on. Only a
//!   safe relative path is followed ([`return_path`]: one leading `/`, no
//!   scheme, host, backslash, space or control character, not under
//!   `/auth/`); anything else goes to `/`, so `next` is no open redirect.
//! - The cookie is `Secure` when the server knows its public URL is https
//!   (`--public-url`); the demo on http://127.0.0.1 keeps a plain cookie.
//! - Demo mode (`AppState::demo`, off unless `--demo`): `/auth/demo` lists the
//!   seeded people; signing in as one mints a one-hour token whose `sub` is
//!   the person (roles and permissions come from their projected grants).

use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::flash::Flash;
use super::pages::{render, ErrorPage};
use super::view::{Layout, Nav};
use crate::auth::Principal;
use crate::state::AppState;

/// The session cookie and its reader live in the foundation (`crate::auth`),
/// where the GET-download extractor [`crate::auth::DownloadPrincipal`] reads them too.
pub use crate::auth::{cookie, SESSION_COOKIE};
pub const SIGN_IN_PATH: &str = "/auth/sign-in";
/// How long a demo sign-in lasts.
pub const DEMO_TOKEN_TTL_SECONDS: u64 = 3_600;
/// The form field every POST carries.
pub const CSRF_FIELD: &str = "csrf_token";

/// The CSRF token of a session (module docs).
pub fn csrf_token(session_token: &str) -> String {
    let mut hash = Sha256::new();
    hash.update(b"perfledger-csrf-v1\0");
    hash.update(session_token.as_bytes());
    super::view::hex(&hash.finalize())
}

/// Compares in time independent of where the strings differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `Set-Cookie` for the session: HttpOnly, SameSite=Lax, the whole site,
/// for as long as the token lives; `Secure` behind an https public URL.
fn session_cookie(token: &str, max_age: u64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .expect("a JWT is a valid cookie value")
}

fn clear_session_cookie() -> HeaderValue {
    HeaderValue::from_static("perfledger_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
}

/// A signed-in person, as every page handler receives it.
pub struct WebUser {
    pub principal: Principal,
    pub person_id: Uuid,
    pub display_name: String,
    /// The CSRF token forms of this session carry.
    pub csrf: String,
    /// A message left by the previous POST, shown once.
    pub flash: Option<Flash>,
    /// Team Performance has a team to show: an admin, or a report holder who
    /// manages an active team. The sidebar links to it only then, so nobody
    /// is offered a page that answers 403 (an inactive lead keeps the
    /// permission but manages no team).
    pub manages_a_team: bool,
}

impl WebUser {
    /// May open Team Performance (seed "Sidebar Navigation"): admin, or
    /// `reports:operations`/`reports`.
    pub fn can_see_team(&self) -> bool {
        self.principal.has_permission(crate::app::scope::MANAGE_PERMISSION)
    }

    pub fn layout(&self, title: impl Into<String>, active: Nav) -> Layout {
        Layout::signed_in(title.into(), active, self)
    }

    /// The 403 page for a POST whose `csrf_token` is missing or wrong.
    pub fn csrf_refusal(&self, submitted: Option<&str>) -> Option<Response> {
        match submitted {
            Some(token) if same(token, &self.csrf) => None,
            _ => Some(render(
                StatusCode::FORBIDDEN,
                &ErrorPage::new(
                    self.layout("Forbidden", Nav::None),
                    StatusCode::FORBIDDEN,
                    "This form was refused: its security token (csrf_token) is missing or does not match your \
                     session. Reload the page and try again.",
                ),
            )),
        }
    }
}

fn to_sign_in() -> Response {
    let mut response = Redirect::to(SIGN_IN_PATH).into_response();
    response.headers_mut().append(header::SET_COOKIE, clear_session_cookie());
    response
}

/// The longest `next` path followed.
const MAX_RETURN_PATH: usize = 2_048;

/// `next` when it is a safe path on this site to return to after signing in
/// (module docs), else `None`. Browsers read `//host`, `/\host` and paths
/// with tabs or newlines stripped as other sites, so all of those are out.
pub fn return_path(next: &str) -> Option<&str> {
    let safe = next.len() <= MAX_RETURN_PATH
        && next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/auth/")
        && next.bytes().all(|b| b.is_ascii_graphic() && b != b'\\');
    safe.then_some(next)
}

/// The sign-in page's address for a request to `parts`: with `next` for a
/// page (GET) worth returning to.
fn sign_in_for(parts: &Parts) -> String {
    let next = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    match return_path(next) {
        Some(next) if parts.method == axum::http::Method::GET && next != "/" => {
            format!("{SIGN_IN_PATH}?next={}", super::params::encode(next))
        }
        _ => SIGN_IN_PATH.to_string(),
    }
}

/// `next` of a sign-in form or link, as a query parameter.
#[derive(Debug, Default, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

impl NextQuery {
    fn path(&self) -> Option<String> {
        self.next.as_deref().and_then(return_path).map(String::from)
    }
}

impl FromRequestParts<AppState> for WebUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE).filter(|t| !t.is_empty()) else {
            return Err(Redirect::to(&sign_in_for(parts)).into_response());
        };
        let Ok(mut principal) = state.verifier.verify(&token) else {
            let mut response = Redirect::to(&sign_in_for(parts)).into_response();
            response.headers_mut().append(header::SET_COOKIE, clear_session_cookie());
            return Err(response);
        };
        if let Err(e) = principal.merge_projected_grants(&state.pool).await {
            return Err(unavailable(&e));
        }
        let Some(person_id) = principal.person_id else {
            return Err(render(
                StatusCode::FORBIDDEN,
                &ErrorPage::new(
                    Layout::anonymous("Forbidden"),
                    StatusCode::FORBIDDEN,
                    "This sign-in belongs to a service, not a person: the dashboards are for people.",
                ),
            ));
        };
        let display_name: Option<String> = match crate::queries::people::display_name(&state.pool, person_id).await {
            Ok(name) => name,
            Err(e) => return Err(unavailable(&e)),
        };
        let manages_a_team = match principal.is_admin() {
            true => true,
            false if principal.has_permission(crate::app::scope::MANAGE_PERMISSION) => {
                match crate::app::scope::managed_team_ids(&state.pool, crate::ids::PersonId(person_id)).await {
                    Ok(teams) => !teams.is_empty(),
                    Err(e) => return Err(unavailable(&e)),
                }
            }
            false => false,
        };
        Ok(WebUser {
            principal,
            person_id,
            display_name: display_name.unwrap_or_else(|| person_id.to_string()),
            csrf: csrf_token(&token),
            flash: Flash::from_headers(&parts.headers),
            manages_a_team,
        })
    }
}

fn unavailable(e: &sqlx::Error) -> Response {
    render(
        StatusCode::SERVICE_UNAVAILABLE,
        &ErrorPage::new(
            Layout::anonymous("Service Unavailable"),
            StatusCode::SERVICE_UNAVAILABLE,
            crate::request_id::internal_failure("The database is unavailable", e),
        ),
    )
}

// ------------------------------------------------------------ routes

#[derive(askama::Template)]
#[template(path = "sign_in.html")]
pub struct SignInPage {
    pub layout: Layout,
    pub error: Option<String>,
    pub demo: bool,
    /// Where to go after signing in (a safe path), carried by the form.
    pub next: Option<String>,
}

impl SignInPage {
    /// `?next=…` for the demo link, or nothing.
    pub fn next_query(&self) -> String {
        self.next.as_deref().map(|n| format!("?next={}", super::params::encode(n))).unwrap_or_default()
    }
}

/// `GET /auth/sign-in?next=`: the token form (and the demo list's link in demo mode).
pub async fn sign_in_page(State(state): State<AppState>, Query(next): Query<NextQuery>) -> Response {
    render(
        StatusCode::OK,
        &SignInPage { layout: Layout::anonymous("Sign in"), error: None, demo: state.demo, next: next.path() },
    )
}

#[derive(Debug, Deserialize)]
pub struct TokenForm {
    token: Option<String>,
    next: Option<String>,
}

/// `GET /auth/session?token=JWT`: sets the session cookie, 303 to `/`;
/// refused when another site sent the browser here (module docs).
pub async fn session_from_query(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(form): Query<TokenForm>,
) -> Response {
    if !link_opened_here(&headers) {
        return render(
            StatusCode::FORBIDDEN,
            &ErrorPage::new(
                Layout::anonymous("Forbidden"),
                StatusCode::FORBIDDEN,
                "A sign-in link opened from another site was refused. Paste the link into the address bar, \
                 or paste the token at /auth/sign-in.",
            ),
        );
    }
    start_session(&state, form.token.as_deref(), form.next.as_deref())
}

/// Whether a sign-in link was opened by the person rather than sent by
/// another site: `Sec-Fetch-Site` is `none` or `same-origin`; without that
/// header, no `Origin` or `Referer` names another host.
pub fn link_opened_here(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return matches!(site.to_str().unwrap_or_default().to_ascii_lowercase().as_str(), "none" | "same-origin");
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).map(str::to_ascii_lowercase);
    let foreign = |value: Option<&HeaderValue>| {
        value.and_then(|v| v.to_str().ok()).filter(|v| !v.is_empty() && *v != "null").is_some_and(|url| {
            let rest = url.split_once("://").map(|(_, rest)| rest).unwrap_or(url);
            let authority = rest.split(['/', '?', '#']).next().unwrap_or_default().to_ascii_lowercase();
            Some(authority) != host
        })
    };
    !foreign(headers.get(header::ORIGIN)) && !foreign(headers.get(header::REFERER))
}

/// `POST /auth/session` (form field `token`): the same, for the sign-in form.
pub async fn session_from_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<TokenForm>,
) -> Response {
    if let Some(refused) = cross_site_refusal(&headers) {
        return refused;
    }
    start_session(&state, form.token.as_deref(), form.next.as_deref())
}

/// The 403 page for a sign-in posted from another site (module docs).
fn cross_site_refusal(headers: &HeaderMap) -> Option<Response> {
    let cross_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) == Some("cross-site");
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let foreign_origin =
        headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()).filter(|origin| *origin != "null").is_some_and(
            |origin| {
                let authority = origin.split_once("://").map(|(_, rest)| rest).unwrap_or(origin);
                Some(authority) != host
            },
        );
    if cross_site || foreign_origin {
        return Some(render(
            StatusCode::FORBIDDEN,
            &ErrorPage::new(
                Layout::anonymous("Forbidden"),
                StatusCode::FORBIDDEN,
                "A sign-in posted from another site was refused.",
            ),
        ));
    }
    None
}

/// Signs in with `token` and goes to `next` when it is a safe path (module
/// docs), else to `/`.
fn start_session(state: &AppState, token: Option<&str>, next: Option<&str>) -> Response {
    let token = token.map(str::trim).unwrap_or_default();
    let next = next.and_then(return_path);
    let refused = |reason: String| {
        render(
            StatusCode::UNAUTHORIZED,
            &SignInPage {
                layout: Layout::anonymous("Sign in"),
                error: Some(reason),
                demo: state.demo,
                next: next.map(String::from),
            },
        )
    };
    if token.is_empty() {
        return refused("Paste the access token the CRM issued you.".into());
    }
    let exp = match state.verifier.verify_claims(token) {
        Ok(claims) if Uuid::parse_str(&claims.sub).is_err() => {
            return refused("This token belongs to a service, not a person: the dashboards are for people.".into())
        }
        Ok(claims) => claims.exp,
        Err(_) => {
            return refused(
                "This token was not accepted: it may have expired, or it was not issued for this server. \
                 Ask the CRM for a new one."
                    .into(),
            )
        }
    };
    let max_age = exp.saturating_sub(jsonwebtoken::get_current_timestamp()).max(60);
    let mut response = Redirect::to(next.unwrap_or("/")).into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, session_cookie(token, max_age, state.limits.options.secure_cookies));
    response
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    csrf_token: Option<String>,
}

/// `POST /auth/logout`: clears the session, 303 to the sign-in page.
pub async fn logout(user: WebUser, Form(form): Form<CsrfForm>) -> Response {
    if let Some(refused) = user.csrf_refusal(form.csrf_token.as_deref()) {
        return refused;
    }
    to_sign_in()
}

/// One person on the demo list.
pub struct DemoPerson {
    pub person_id: Uuid,
    pub name: String,
    pub title: String,
    pub roles: String,
    pub teams: String,
}

#[derive(askama::Template)]
#[template(path = "demo.html")]
pub struct DemoPage {
    pub layout: Layout,
    pub people: Vec<DemoPerson>,
    /// `?next=…` for the sign-in buttons, or nothing.
    pub next_query: String,
}

fn demo_off() -> Response {
    render(
        StatusCode::NOT_FOUND,
        &ErrorPage::new(
            Layout::anonymous("Not Found"),
            StatusCode::NOT_FOUND,
            "The demo sign-in is off: start perfledger with --demo to use it.",
        ),
    )
}

/// `GET /auth/demo`: the seeded people, their roles and teams, each with a
/// sign-in button. 404 unless demo mode is on.
pub async fn demo_page(State(state): State<AppState>, Query(next): Query<NextQuery>) -> Response {
    if !state.demo {
        return demo_off();
    }
    let rows = crate::queries::people::demo_people(&state.pool).await;
    match rows {
        Ok(rows) => {
            let people = rows
                .into_iter()
                .map(|(person_id, name, title, roles, permissions, teams)| {
                    let mut grants = roles.unwrap_or_default();
                    grants.extend(permissions.unwrap_or_default());
                    DemoPerson {
                        person_id,
                        name,
                        title: title.unwrap_or_default(),
                        roles: if grants.is_empty() { "—".into() } else { grants.join(", ") },
                        teams: teams.unwrap_or_else(|| "—".into()),
                    }
                })
                .collect();
            let next_query = next.path().map(|n| format!("?next={}", super::params::encode(&n))).unwrap_or_default();
            render(StatusCode::OK, &DemoPage { layout: Layout::anonymous("Demo sign-in"), people, next_query })
        }
        Err(e) => unavailable(&e),
    }
}

/// `POST /auth/demo/{person_id}`: mints a short-lived token for a seeded
/// person and signs in with it. 404 unless demo mode is on.
pub async fn demo_sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(person): Path<String>,
    Query(next): Query<NextQuery>,
) -> Response {
    let Some(signer) = state.signer.as_ref().filter(|_| state.demo) else { return demo_off() };
    if let Some(refused) = cross_site_refusal(&headers) {
        return refused;
    }
    let Ok(person_id) = Uuid::parse_str(person.trim()) else {
        return render(
            StatusCode::BAD_REQUEST,
            &ErrorPage::new(
                Layout::anonymous("Bad Request"),
                StatusCode::BAD_REQUEST,
                "This is not a person's id: pick someone from the demo list.",
            ),
        );
    };
    match crate::app::scope::person_exists(&state.pool, crate::ids::PersonId(person_id)).await {
        Ok(true) => {}
        Ok(false) => {
            return render(
                StatusCode::NOT_FOUND,
                &ErrorPage::new(
                    Layout::anonymous("Not Found"),
                    StatusCode::NOT_FOUND,
                    "There is nobody with this id in the demo organisation.",
                ),
            )
        }
        Err(e) => return unavailable(&e),
    }
    let token = signer.token(&person_id.to_string(), &[], &[], DEMO_TOKEN_TTL_SECONDS);
    start_session(&state, Some(&token), next.path().as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_tokens_are_per_session_and_stable() {
        let a = csrf_token("token-a");
        assert_eq!(a, csrf_token("token-a"));
        assert_ne!(a, csrf_token("token-b"));
        assert_eq!(a.len(), 64);
        assert!(!a.contains("token"));
        assert!(same(&a, &a.clone()));
        assert!(!same(&a, &csrf_token("token-b")));
        assert!(!same(&a, &a[..63]));
    }

    #[test]
    fn sign_in_links_from_other_sites_are_refused() {
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut map = HeaderMap::new();
            map.insert(header::HOST, HeaderValue::from_static("perf.example:8080"));
            for (name, value) in pairs {
                map.insert(*name, HeaderValue::from_static(value));
            }
            map
        };
        assert!(link_opened_here(&headers(&[("sec-fetch-site", "none")])));
        assert!(link_opened_here(&headers(&[("sec-fetch-site", "same-origin")])));
        assert!(!link_opened_here(&headers(&[("sec-fetch-site", "cross-site")])));
        assert!(!link_opened_here(&headers(&[("sec-fetch-site", "same-site")])));
        assert!(link_opened_here(&headers(&[])), "curl, an old browser");
        assert!(link_opened_here(&headers(&[("referer", "http://perf.example:8080/auth/sign-in")])));
        assert!(!link_opened_here(&headers(&[("referer", "https://evil.example/page")])));
        assert!(!link_opened_here(&headers(&[("origin", "https://evil.example")])));
    }

    #[test]
    fn only_safe_relative_paths_are_returned_to() {
        for safe in ["/agent/my-performance", "/admin/performance/team?team_id=x&period=last_week", "/"] {
            assert_eq!(return_path(safe), Some(safe));
        }
        for unsafe_ in [
            "//evil.example/",
            "/\\evil.example",
            "https://evil.example/",
            "evil.example",
            "/\t/evil.example",
            "/a b",
            "/auth/sign-in",
            "",
        ] {
            assert_eq!(return_path(unsafe_), None, "{unsafe_:?}");
        }
        assert_eq!(return_path(&format!("/{}", "a".repeat(MAX_RETURN_PATH))), None);
    }

    #[test]
    fn the_cookie_is_secure_only_behind_https() {
        assert!(session_cookie("t", 60, true).to_str().unwrap().ends_with("; Secure"));
        assert!(!session_cookie("t", 60, false).to_str().unwrap().contains("Secure"));
    }

    #[test]
    fn cookies_are_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, HeaderValue::from_static("a=1; perfledger_session=abc.def; b=2"));
        headers.append(header::COOKIE, HeaderValue::from_static("perfledger_flash=7a"));
        assert_eq!(cookie(&headers, SESSION_COOKIE).as_deref(), Some("abc.def"));
        assert_eq!(cookie(&headers, "perfledger_flash").as_deref(), Some("7a"));
        assert_eq!(cookie(&headers, "perfledger"), None);
    }
}
