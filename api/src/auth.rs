//! Bearer JWTs (D16): HS256 with a shared secret or RS256 with a public key.
//! Kept small on purpose: the API issue grows it (projected grants, scope).

use std::collections::HashSet;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::problem::Problem;

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
    pub roles: HashSet<String>,
    pub permissions: HashSet<String>,
}

impl Principal {
    /// `admin` implies everything; `reports` implies every `reports:*` (D16).
    pub fn has_permission(&self, permission: &str) -> bool {
        self.roles.contains("admin")
            || self.permissions.contains(permission)
            || (permission.starts_with("reports:") && self.permissions.contains("reports"))
    }

    pub fn require(&self, permission: &str) -> Result<(), Problem> {
        if self.has_permission(permission) {
            Ok(())
        } else {
            Err(Problem::forbidden(format!("this token lacks the '{permission}' permission")))
        }
    }
}

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

    pub fn verify(&self, token: &str) -> Result<Principal, Problem> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation)
            .map_err(|e| Problem::unauthorized(format!("the bearer token was refused: {e}")))?;
        let claims = data.claims;
        Ok(Principal {
            subject: claims.sub,
            roles: claims.roles.into_iter().collect(),
            permissions: claims.permissions.into_iter().collect(),
        })
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
}

impl Signer {
    pub fn hs256(secret: &[u8]) -> Result<Self, KeyError> {
        check_secret(secret)?;
        let key = EncodingKey::from_secret(secret).map_err(KeyError::BadSecret)?;
        Ok(Signer { key, algorithm: Algorithm::HS256 })
    }

    pub fn rs256(private_key_pem: &[u8]) -> Result<Self, KeyError> {
        let key = EncodingKey::from_rsa_pem(private_key_pem).map_err(KeyError::BadPrivateKey)?;
        Ok(Signer { key, algorithm: Algorithm::RS256 })
    }

    pub fn sign(&self, claims: &Claims) -> String {
        jsonwebtoken::encode(&Header::new(self.algorithm), claims, &self.key).expect("claims always encode")
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

/// Extracts and verifies `Authorization: Bearer …`.
impl<S> FromRequestParts<S> for Principal
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
            .ok_or_else(|| Problem::unauthorized("missing Authorization: Bearer <token> header"))?;
        let value = header.to_str().map_err(|_| Problem::unauthorized("the Authorization header is not ASCII"))?;
        let token = value
            .strip_prefix("Bearer ")
            .ok_or_else(|| Problem::unauthorized("the Authorization header must be 'Bearer <token>'"))?;
        verifier.verify(token.trim())
    }
}
