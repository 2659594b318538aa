//! DotMac's webhook delivery, perfledger's side: the signature check
//! (`X-Webhook-Signature-256: sha256=<hex HMAC-SHA256(secret, raw body)>`,
//! compared in constant time) and the inbox that stores a body once per
//! DotMac `event_id` and wakes the pull.

use hmac::{Hmac, Mac};
use serde::Deserialize;
use sqlx::PgPool;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<sha2::Sha256>;

/// True when `header` is `sha256=<hex>` of the HMAC-SHA256 of `body` under `secret`.
/// The comparison of the digests is constant-time; a malformed header is false.
pub fn signature_is_valid(secret: &[u8], body: &[u8], header: Option<&str>) -> bool {
    let Some(header) = header else { return false };
    let Some(hex_digest) = header.trim().strip_prefix("sha256=") else { return false };
    let Ok(given) = hex::decode(hex_digest) else { return false };
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(body);
    let expected = mac.finalize().into_bytes();
    given.len() == expected.len() && bool::from(expected.as_slice().ct_eq(&given))
}

/// `sha256=<hex>` for a body: what DotMac sends (for tests and tools).
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The parts of DotMac's envelope (`Event.to_dict`) the receiver reads.
#[derive(Debug, Deserialize)]
pub struct WebhookBody {
    pub event_id: String,
    pub event_type: String,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Stored {
    New,
    Duplicate,
}

/// Parses a verified body: its event id and type (1–200 characters, no control characters).
pub fn parse_body(body: &[u8]) -> Result<(WebhookBody, serde_json::Value), String> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    let parsed = WebhookBody::deserialize(&value).map_err(|e| format!("the body is not a DotMac event: {e}"))?;
    for (name, text) in [("event_id", &parsed.event_id), ("event_type", &parsed.event_type)] {
        if text.is_empty() || text.chars().count() > 200 || text.chars().any(char::is_control) {
            return Err(format!("{name} must be 1–200 characters without control characters"));
        }
    }
    Ok((parsed, value))
}

/// Stores a verified body once per event id and wakes the pull (in the same
/// transaction, so a listener never wakes for a body that was not stored).
/// A `\u0000` anywhere in the body is stored as U+FFFD (`jsonb` refuses NUL,
/// and a refused body would be retried by DotMac for hours).
pub async fn store(
    pool: &PgPool,
    body: &WebhookBody,
    value: &serde_json::Value,
    delivery_id: Option<&str>,
) -> Result<Stored, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let inserted = sqlx::query(
        "INSERT INTO dotmac_webhook_inbox (event_id, event_type, delivery_id, body) VALUES ($1, $2, $3, $4::jsonb)
         ON CONFLICT (event_id) DO NOTHING",
    )
    .bind(&body.event_id)
    .bind(&body.event_type)
    .bind(delivery_id)
    .bind(perfledger_domain::event::scrub_nul_escapes(&value.to_string()).as_ref())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if inserted == 0 {
        tx.commit().await?;
        return Ok(Stored::Duplicate);
    }
    sqlx::query("SELECT pg_notify($1, $2)").bind(crate::WAKE_CHANNEL).bind(&body.event_type).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(Stored::New)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_is_checked_against_the_exact_body() {
        let body = br#"{"event_id": "e-1", "event_type": "ticket.created"}"#;
        let header = sign(b"s3cret", body);
        assert!(signature_is_valid(b"s3cret", body, Some(&header)));
        assert!(!signature_is_valid(b"other", body, Some(&header)), "wrong secret");
        assert!(!signature_is_valid(b"s3cret", b"{}", Some(&header)), "tampered body");
        assert!(!signature_is_valid(b"s3cret", body, None), "unsigned");
        assert!(!signature_is_valid(b"s3cret", body, Some("sha256=zz")), "not hex");
        assert!(!signature_is_valid(b"s3cret", body, Some(&header[..20])), "truncated");
        assert!(!signature_is_valid(b"s3cret", body, Some(header.trim_start_matches("sha256="))), "no prefix");
    }

    #[test]
    fn a_body_needs_an_event_id_and_type() {
        assert!(parse_body(br#"{"event_id": "e-1", "event_type": "ticket.created", "payload": {}}"#).is_ok());
        assert!(parse_body(br#"{"event_type": "ticket.created"}"#).is_err());
        assert!(parse_body(br#"{"event_id": "", "event_type": "x"}"#).is_err());
        assert!(parse_body(b"not json").is_err());
    }
}
