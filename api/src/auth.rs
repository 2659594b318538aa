//! Bearer JWTs (D16): HS256 with a shared secret or RS256 with a public key.
//!
//! A person's token carries `sub` = person_id and maybe `roles` and
//! `permissions`; DotMac's own tokens carry only `sub`, so the grants
//! projected from `person.permissions_set` (`directory_grants`) are merged in
//! on every request. Scope (who may see whom) lives in `crate::app::scope`.

use std::collections::HashSet;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use uuid::Uuid;

use crate::problem::Problem;

/// Stable problem `type` of a refused or missing token.
pub const UNAUTHORIZED_TYPE: &str = "https://perfledger.dev/problems/unauthorized";
/// Stable problem `type` of a token that lacks a permission.
pub const FORBIDDEN_TYPE: &str = "https://perfledger.dev/problems/forbidden";

fn unauthorized(detail: impl Into<String>) -> Problem {
    Problem { type_uri: UNAUTHORIZED_TYPE, ..Problem::unauthorized(detail) }
}

/// Clock skew tolerated on `exp` and `nbf`, in seconds.
pub const LEEWAY_SECONDS: u64 = 30;

/// The permission a CRM service token needs to send activity.
pub const INGEST: &str = "ingest";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The person_id for people; a service name for service tokens.
    pub sub: String,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub permissions: Vec<String>,
    pub exp: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
}

/// Who is calling, after the token checked out.
#[derive(Debug, Clone)]
pub struct Principal {
    pub subject: String,
    /// `sub` when it is a UUID: the person the token speaks for. Service
    /// tokens (`sub` = "crm", …) have none.
    pub person_id: Option<Uuid>,
    pub roles: HashSet<String>,
    pub permissions: HashSet<String>,
}

/// Roles that work the CRM inbox (see [`can_view_inbox`]).
pub const INBOX_ROLES: [&str; 2] = ["agent", "support"];
/// The inbox permission; `crm:inbox` implies every `crm:inbox:*`.
pub const INBOX_PERMISSION: &str = "crm:inbox";

/// The CRM's `can_view_inbox(roles, scopes)` as perfledger reads it (the
/// seed's self-service gate, `/agent/my-performance`): the `admin` role, a
/// role that works the inbox (`agent`, `support`), or the permission
/// `crm:inbox` or any `crm:inbox:*` (e.g. `crm:inbox:read`).
pub fn can_view_inbox<'a>(
    roles: impl IntoIterator<Item = &'a str>,
    permissions: impl IntoIterator<Item = &'a str>,
) -> bool {
    roles.into_iter().any(|r| r == "admin" || INBOX_ROLES.contains(&r))
        || permissions.into_iter().any(|p| {
            p == INBOX_PERMISSION || p.strip_prefix(INBOX_PERMISSION).is_some_and(|rest| rest.starts_with(':'))
        })
}

impl Principal {
    pub fn is_admin(&self) -> bool {
        self.roles.contains("admin")
    }

    /// `admin` implies everything; `reports` implies every `reports:*` (D16).
    pub fn has_permission(&self, permission: &str) -> bool {
        self.is_admin()
            || self.permissions.contains(permission)
            || (permission.starts_with("reports:") && self.permissions.contains("reports"))
    }

    /// See [`can_view_inbox`].
    pub fn can_view_inbox(&self) -> bool {
        can_view_inbox(self.roles.iter().map(String::as_str), self.permissions.iter().map(String::as_str))
    }

    pub fn require(&self, permission: &str) -> Result<(), Problem> {
        if self.has_permission(permission) {
            Ok(())
        } else {
            Err(Problem {
                type_uri: FORBIDDEN_TYPE,
                ..Problem::new(
                    StatusCode::FORBIDDEN,
                    "Forbidden",
                    format!("this token lacks the '{permission}' permission"),
                )
            })
        }
    }

    /// Merges grants projected from `person.permissions_set` (D16): the
    /// union of the token's and the projection's roles and permissions.
    pub fn merge(&mut self, roles: impl IntoIterator<Item = String>, permissions: impl IntoIterator<Item = String>) {
        self.roles.extend(roles);
        self.permissions.extend(permissions);
    }

    /// Loads this person's projected grants, if any, and merges them.
    pub async fn merge_projected_grants(&mut self, pool: &PgPool) -> Result<(), sqlx::Error> {
        let Some(person_id) = self.person_id else { return Ok(()) };
        let grants: Option<(Vec<String>, Vec<String>)> =
            sqlx::query_as("SELECT roles, permissions FROM directory_grants WHERE person_id = $1")
                .bind(person_id)
                .fetch_optional(pool)
                .await?;
        if let Some((roles, permissions)) = grants {
            self.merge(roles, permissions);
        }
        Ok(())
    }
}

/// Where the extractor finds projected grants: the database, or nowhere
/// (a state without one trusts the token's claims alone).
#[derive(Clone)]
pub struct GrantSource(pub Option<PgPool>);

/// Verifies tokens with exactly one configured algorithm: a token signed with
/// another (including `none`) is refused, so keys cannot be confused.
#[derive(Clone)]
pub struct Verifier {
    key: DecodingKey,
    validation: Validation,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("PERFLEDGER_JWT_SECRET must be at least 32 bytes long (it is {0})")]
    ShortSecret(usize),
    #[error("PERFLEDGER_JWT_SECRET cannot be used as an HMAC key: {0}")]
    BadSecret(jsonwebtoken::errors::Error),
    #[error("PERFLEDGER_JWT_PUBLIC_KEY_FILE is not an RSA public key in PEM form: {0}")]
    BadPublicKey(jsonwebtoken::errors::Error),
    #[error("the RSA private key is not valid PEM: {0}")]
    BadPrivateKey(jsonwebtoken::errors::Error),
}

impl Verifier {
    pub fn hs256(secret: &[u8]) -> Result<Self, KeyError> {
        check_secret(secret)?;
        let key = DecodingKey::from_secret(secret).map_err(KeyError::BadSecret)?;
        Ok(Verifier::with(key, Algorithm::HS256))
    }

    pub fn rs256(public_key_pem: &[u8]) -> Result<Self, KeyError> {
        let key = DecodingKey::from_rsa_pem(public_key_pem).map_err(KeyError::BadPublicKey)?;
        Ok(Verifier::with(key, Algorithm::RS256))
    }

    fn with(key: DecodingKey, algorithm: Algorithm) -> Self {
        let mut validation = Validation::new(algorithm);
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_nbf = true;
        validation.required_spec_claims = ["exp", "sub"].into_iter().map(String::from).collect();
        Verifier { key, validation }
    }

    /// Also require `iss` and/or `aud` (`--jwt-issuer`, `--jwt-audience`):
    /// when set, a token without the matching claim is refused.
    pub fn with_issuer_audience(mut self, issuer: Option<&str>, audience: Option<&str>) -> Self {
        if let Some(issuer) = issuer {
            self.validation.set_issuer(&[issuer]);
            self.validation.required_spec_claims.insert("iss".into());
        }
        if let Some(audience) = audience {
            self.validation.set_audience(&[audience]);
            self.validation.required_spec_claims.insert("aud".into());
        }
        self
    }

    pub fn verify(&self, token: &str) -> Result<Principal, Problem> {
        Ok(Principal::from(self.verify_claims(token)?))
    }

    /// The claims of a token that checks out (the dashboards' cookie lives
    /// as long as its `exp`).
    pub fn verify_claims(&self, token: &str) -> Result<Claims, Problem> {
        jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| unauthorized(format!("the bearer token was refused: {}", refusal_reason(e.kind()))))
    }
}

/// Why a token was refused, in plain words: never the library's error
/// names (`InvalidToken`, …) nor its parser's messages.
pub fn refusal_reason(kind: &jsonwebtoken::errors::ErrorKind) -> String {
    use jsonwebtoken::errors::ErrorKind;
    match kind {
        ErrorKind::ExpiredSignature => "it has expired (exp)".into(),
        ErrorKind::ImmatureSignature => "it is not valid yet (nbf)".into(),
        ErrorKind::InvalidSignature => "its signature does not match this server's key".into(),
        ErrorKind::InvalidAlgorithm
        | ErrorKind::MissingAlgorithm
        | ErrorKind::InvalidAlgorithmName
        | ErrorKind::UnsupportedAlgorithm => "it is signed with an algorithm this server does not accept".into(),
        ErrorKind::InvalidIssuer => "its issuer (iss) is not the one this server accepts".into(),
        ErrorKind::InvalidAudience => "its audience (aud) is not the one this server accepts".into(),
        ErrorKind::InvalidSubject => "its subject (sub) is not accepted".into(),
        ErrorKind::MissingRequiredClaim(claim) => match claim.as_str() {
            "exp" | "sub" | "iss" | "aud" | "nbf" => format!("it lacks the required '{claim}' claim"),
            _ => "it lacks a required claim".into(),
        },
        ErrorKind::InvalidClaimFormat(claim) => match claim.as_str() {
            "exp" | "sub" | "iss" | "aud" | "nbf" => format!("its '{claim}' claim has the wrong type"),
            _ => "a claim has the wrong type".into(),
        },
        ErrorKind::Json(_) => "its claims are not the expected JSON (sub, exp, roles, permissions)".into(),
        _ => "it is not a well-formed JWT (three base64url parts: header, claims, signature)".into(),
    }
}

impl From<Claims> for Principal {
    fn from(claims: Claims) -> Principal {
        Principal {
            person_id: Uuid::parse_str(&claims.sub).ok(),
            subject: claims.sub,
            roles: claims.roles.into_iter().collect(),
            permissions: claims.permissions.into_iter().collect(),
        }
    }
}

fn check_secret(secret: &[u8]) -> Result<(), KeyError> {
    if secret.len() < 32 {
        return Err(KeyError::ShortSecret(secret.len()));
    }
    Ok(())
}

/// Mints tokens: for `perfledger token`, the demo, the benchmark and tests.
#[derive(Clone)]
pub struct Signer {
    key: EncodingKey,
    algorithm: Algorithm,
    /// `iss` and `aud` added to every token (`--jwt-issuer`, `--jwt-audience`).
    issuer: Option<String>,
    audience: Option<String>,
}

impl Signer {
    pub fn hs256(secret: &[u8]) -> Result<Self, KeyError> {
        check_secret(secret)?;
        let key = EncodingKey::from_secret(secret).map_err(KeyError::BadSecret)?;
        Ok(Signer { key, algorithm: Algorithm::HS256, issuer: None, audience: None })
    }

    pub fn rs256(private_key_pem: &[u8]) -> Result<Self, KeyError> {
        let key = EncodingKey::from_rsa_pem(private_key_pem).map_err(KeyError::BadPrivateKey)?;
        Ok(Signer { key, algorithm: Algorithm::RS256, issuer: None, audience: None })
    }

    /// Adds `iss` and/or `aud` to every token it mints, so they pass a
    /// [`Verifier::with_issuer_audience`] configured the same way.
    pub fn with_issuer_audience(mut self, issuer: Option<&str>, audience: Option<&str>) -> Self {
        self.issuer = issuer.map(String::from);
        self.audience = audience.map(String::from);
        self
    }

    pub fn sign(&self, claims: &Claims) -> String {
        let mut value = serde_json::to_value(claims).expect("claims always serialize");
        if let Some(issuer) = &self.issuer {
            value["iss"] = issuer.as_str().into();
        }
        if let Some(audience) = &self.audience {
            value["aud"] = audience.as_str().into();
        }
        jsonwebtoken::encode(&Header::new(self.algorithm), &value, &self.key).expect("claims always encode")
    }

    /// A token for `subject` valid for `ttl_seconds` from now.
    pub fn token(&self, subject: &str, roles: &[&str], permissions: &[&str], ttl_seconds: u64) -> String {
        let now = jsonwebtoken::get_current_timestamp();
        self.sign(&Claims {
            sub: subject.to_string(),
            roles: roles.iter().map(|s| s.to_string()).collect(),
            permissions: permissions.iter().map(|s| s.to_string()).collect(),
            exp: now + ttl_seconds,
            nbf: Some(now),
        })
    }
}

/// The answer when the caller's projected grants cannot be read.
pub fn grants_unavailable(e: &sqlx::Error) -> crate::error::AppError {
    crate::error::AppError::new(
        crate::error::ErrorKind::Unavailable,
        None,
        crate::request_id::internal_failure("cannot load the caller's grants: the database is unavailable", e),
    )
}

/// A verified bearer token whose projected grants are **not** merged yet:
/// for handlers that read them from [`crate::app::scope_cache`] in the round trip
/// they make anyway. Such a handler must call [`Principal::merge`] before
/// any scope decision; every other handler takes [`Principal`].
#[derive(Debug, Clone)]
pub struct TokenOnly(pub Principal);

/// The token of an `Authorization: Bearer <token>` value. The scheme is
/// matched without regard to case (RFC 7235 §2.1: `bearer`, `BEARER` too),
/// separated from the token by spaces.
pub fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim_start().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Extracts and verifies `Authorization: Bearer …`.
impl<S> FromRequestParts<S> for TokenOnly
where
    S: Send + Sync,
    Verifier: axum::extract::FromRef<S>,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let verifier = <Verifier as axum::extract::FromRef<S>>::from_ref(state);
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .ok_or_else(|| unauthorized("missing Authorization: Bearer <token> header"))?;
        let value = header.to_str().map_err(|_| unauthorized("the Authorization header is not ASCII"))?;
        let token =
            bearer_token(value).ok_or_else(|| unauthorized("the Authorization header must be 'Bearer <token>'"))?;
        Ok(TokenOnly(verifier.verify(token)?))
    }
}

/// Extracts and verifies `Authorization: Bearer …`, then merges the
/// person's projected grants.
impl<S> FromRequestParts<S> for Principal
where
    S: Send + Sync,
    Verifier: axum::extract::FromRef<S>,
    GrantSource: axum::extract::FromRef<S>,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let TokenOnly(mut principal) = TokenOnly::from_request_parts(parts, state).await?;
        if let GrantSource(Some(pool)) = <GrantSource as axum::extract::FromRef<S>>::from_ref(state) {
            principal.merge_projected_grants(&pool).await.map_err(|e| Problem::from(grants_unavailable(&e)))?;
        }
        Ok(principal)
    }
}

/// The dashboards' session cookie (`crate::web::session::SESSION_COOKIE`;
/// a unit test keeps the two equal: this foundation module cannot import
/// the pages).
const SESSION_COOKIE_NAME: &str = "perfledger_session";

/// The value of the session cookie in the request's `Cookie` headers.
fn session_cookie(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == SESSION_COOKIE_NAME)
        .map(|(_, value)| value.trim_matches('"').to_string())
        .filter(|value| !value.is_empty())
}

/// The caller of a download a page links to (the CSV exports): the bearer
/// token when there is an `Authorization` header (checked exactly as
/// [`Principal`] does, a bad header is never passed over for the cookie),
/// else the dashboards' `perfledger_session` cookie, verified by the same
/// [`Verifier`], grants merged. A browser cannot put a header on a link, so
/// without this a "Download CSV" link would answer 401.
///
/// For GET routes that only read: the cookie is SameSite=Lax, so a link
/// from another site carries it, but what comes back is a download that
/// page cannot read (no CORS), and nothing changes. Never for a POST.
#[derive(Debug, Clone)]
pub struct BearerOrSession(pub Principal);

impl<S> FromRequestParts<S> for BearerOrSession
where
    S: Send + Sync,
    Verifier: axum::extract::FromRef<S>,
    GrantSource: axum::extract::FromRef<S>,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if parts.headers.contains_key(axum::http::header::AUTHORIZATION) {
            return Ok(BearerOrSession(Principal::from_request_parts(parts, state).await?));
        }
        let Some(token) = session_cookie(parts) else {
            return Err(unauthorized(
                "missing Authorization: Bearer <token> header (or the dashboards' perfledger_session cookie)",
            ));
        };
        let verifier = <Verifier as axum::extract::FromRef<S>>::from_ref(state);
        let mut principal = verifier.verify(&token).map_err(|mut p| {
            p.detail = p.detail.replace("the bearer token", "the session cookie's token");
            p
        })?;
        if let GrantSource(Some(pool)) = <GrantSource as axum::extract::FromRef<S>>::from_ref(state) {
            principal.merge_projected_grants(&pool).await.map_err(|e| Problem::from(grants_unavailable(&e)))?;
        }
        Ok(BearerOrSession(principal))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"unit-test-secret-unit-test-secret-0123456789";
    /// A throwaway RSA public key (its private half was discarded).
    const PUBLIC_KEY: &str = "-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAsUAsWAtEp2B6pcv2SdFT
9ca1GBcEBFdJafvPGP+oXF4IYcQDcS7nfi/lrV7cQ9sEro8IKQQsIbDH9Rq1TOAC
dhXl5n8WCVn9ALnCJvAqOkp+vgRpE0nOqfQHQrjL1ES9OR7A2ABNigtM7Tq98pAR
NsMNmwvTQ/FYjr0qTk/Ri4fAnzlvkhH6+HYiuBPw+VxFp0I/VQ5VWo91KcCBAycT
eM/ucX1XmftcpIKPA6rlowM6o0bHWtq9v1PNj/k8JKxA5EtjiRZtheDudAgHO9cd
LbfMlWdVx09C4V5k35SnhDhQuqhvusZdkyJbUjjzZAtDBmusKlhfkz0BFlrcxvyc
3QIDAQAB
-----END PUBLIC KEY-----
";

    fn b64(bytes: &[u8]) -> String {
        const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk.iter().enumerate().fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
            for i in 0..=chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out
    }

    fn claims_json(exp: u64) -> String {
        format!(r#"{{"sub":"7c9e6679-7425-40de-944b-e07fc1f90ae7","roles":["admin"],"permissions":[],"exp":{exp}}}"#)
    }

    fn now() -> u64 {
        jsonwebtoken::get_current_timestamp()
    }

    #[test]
    fn a_good_token_names_its_person() {
        let signer = Signer::hs256(SECRET).unwrap();
        let token = signer.token("7c9e6679-7425-40de-944b-e07fc1f90ae7", &["agent"], &["reports"], 60);
        let principal = Verifier::hs256(SECRET).unwrap().verify(&token).unwrap();
        assert_eq!(principal.person_id, Some(Uuid::parse_str("7c9e6679-7425-40de-944b-e07fc1f90ae7").unwrap()));
        assert!(principal.has_permission("reports:operations"));
        assert!(principal.can_view_inbox());
        let service = Verifier::hs256(SECRET).unwrap().verify(&signer.token("crm", &[], &["ingest"], 60)).unwrap();
        assert_eq!(service.person_id, None);
    }

    #[test]
    fn alg_none_is_refused() {
        let token = format!("{}.{}.", b64(br#"{"alg":"none","typ":"JWT"}"#), b64(claims_json(now() + 600).as_bytes()));
        assert_eq!(Verifier::hs256(SECRET).unwrap().verify(&token).unwrap_err().status, 401);
        assert_eq!(Verifier::rs256(PUBLIC_KEY.as_bytes()).unwrap().verify(&token).unwrap_err().status, 401);
    }

    /// The classic confusion: an HS256 token whose HMAC key is the RSA
    /// public key must not pass an RS256 verifier.
    #[test]
    fn hs256_signed_with_the_public_key_is_refused_by_rs256() {
        let forged = Signer::hs256(PUBLIC_KEY.as_bytes()).unwrap().token("x", &["admin"], &[], 600);
        let refused = Verifier::rs256(PUBLIC_KEY.as_bytes()).unwrap().verify(&forged).unwrap_err();
        assert_eq!(refused.status, 401);
        assert_eq!(refused.type_uri, UNAUTHORIZED_TYPE);
    }

    #[test]
    fn an_rs256_header_is_refused_by_hs256() {
        let header = b64(br#"{"alg":"RS256","typ":"JWT"}"#);
        let payload = b64(claims_json(now() + 600).as_bytes());
        let token = format!("{header}.{payload}.{}", b64(&[7u8; 256]));
        assert_eq!(Verifier::hs256(SECRET).unwrap().verify(&token).unwrap_err().status, 401);
    }

    #[test]
    fn exp_and_nbf_are_checked_with_the_leeway() {
        let signer = Signer::hs256(SECRET).unwrap();
        let verifier = Verifier::hs256(SECRET).unwrap();
        let sign = |exp: u64, nbf: Option<u64>| {
            signer.sign(&Claims { sub: "crm".into(), roles: vec![], permissions: vec![], exp, nbf })
        };
        assert!(verifier.verify(&sign(now() - LEEWAY_SECONDS / 2, None)).is_ok(), "inside the leeway");
        assert!(verifier.verify(&sign(now() - LEEWAY_SECONDS - 60, None)).is_err(), "expired");
        assert!(verifier.verify(&sign(now() + 600, Some(now() + LEEWAY_SECONDS / 2))).is_ok());
        assert!(verifier.verify(&sign(now() + 600, Some(now() + LEEWAY_SECONDS + 60))).is_err(), "not yet valid");
    }

    #[test]
    fn the_bearer_scheme_is_matched_in_any_case() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer abc"), Some("abc"));
        assert_eq!(bearer_token("BEARER   abc "), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer "), None);
        assert_eq!(bearer_token("Bearerabc"), None);
    }

    #[test]
    fn issuer_and_audience_are_required_when_configured() {
        let verifier =
            Verifier::hs256(SECRET).unwrap().with_issuer_audience(Some("https://crm.example"), Some("perfledger"));
        let plain = Signer::hs256(SECRET).unwrap().token("crm", &[], &["ingest"], 60);
        let refused = verifier.verify(&plain).unwrap_err();
        assert_eq!(refused.status, 401);
        assert!(refused.detail.contains("'iss' claim") || refused.detail.contains("'aud' claim"), "{}", refused.detail);
        let wrong =
            Signer::hs256(SECRET).unwrap().with_issuer_audience(Some("https://evil.example"), Some("perfledger"));
        let refused = verifier.verify(&wrong.token("crm", &[], &[], 60)).unwrap_err();
        assert!(refused.detail.contains("issuer (iss)"), "{}", refused.detail);
        let wrong = Signer::hs256(SECRET).unwrap().with_issuer_audience(Some("https://crm.example"), Some("other"));
        let refused = verifier.verify(&wrong.token("crm", &[], &[], 60)).unwrap_err();
        assert!(refused.detail.contains("audience (aud)"), "{}", refused.detail);
        let right =
            Signer::hs256(SECRET).unwrap().with_issuer_audience(Some("https://crm.example"), Some("perfledger"));
        assert!(verifier.verify(&right.token("crm", &[], &[], 60)).is_ok());
    }

    #[test]
    fn refusals_name_no_library_internals() {
        let verifier = Verifier::hs256(SECRET).unwrap();
        for token in ["not-a-jwt", "a.b.c", &Signer::hs256(&[9u8; 40]).unwrap().token("crm", &[], &[], 60)] {
            let detail = verifier.verify(token).unwrap_err().detail;
            for internal in ["InvalidToken", "InvalidSignature", "Base64", "Json", "Error(", "kind"] {
                assert!(!detail.contains(internal), "{detail}");
            }
        }
    }

    #[test]
    fn the_session_cookie_is_the_dashboards_one() {
        assert_eq!(SESSION_COOKIE_NAME, crate::web::session::SESSION_COOKIE);
    }

    #[test]
    fn inbox_access_follows_roles_and_permissions() {
        assert!(can_view_inbox(["admin"], []));
        assert!(can_view_inbox(["agent"], []));
        assert!(can_view_inbox(["support"], []));
        assert!(can_view_inbox([], ["crm:inbox"]));
        assert!(can_view_inbox([], ["crm:inbox:read"]));
        assert!(!can_view_inbox([], ["crm:inboxes"]));
        assert!(!can_view_inbox(["member"], ["reports"]));
    }
}
