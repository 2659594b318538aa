//! One-shot messages across a POST → 303 → GET: a short-lived cookie that
//! the next page shows and clears. The text is hex-encoded so any message
//! survives cookie syntax; it is rendered escaped like all page text.

use axum::http::{header, HeaderMap, HeaderValue};

use super::session::cookie;
use super::view::hex;

pub const FLASH_COOKIE: &str = "perfledger_flash";
/// The longest message kept (a flash is one sentence).
const MAX_CHARS: usize = 600;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    /// `ok` or `error`: the CSS class and the ARIA role it gets.
    pub kind: &'static str,
    pub message: String,
}

impl Flash {
    pub fn ok(message: impl Into<String>) -> Self {
        Flash { kind: "ok", message: message.into() }
    }

    pub fn error(message: impl Into<String>) -> Self {
        Flash { kind: "error", message: message.into() }
    }

    /// `Set-Cookie` that carries this flash to the next page.
    pub fn set_cookie(&self) -> HeaderValue {
        let message: String = self.message.chars().take(MAX_CHARS).collect();
        let value = hex(format!("{}\n{message}", self.kind).as_bytes());
        HeaderValue::from_str(&format!("{FLASH_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=120"))
            .expect("hex is a valid cookie value")
    }

    pub fn clear_cookie() -> HeaderValue {
        HeaderValue::from_static("perfledger_flash=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
    }

    /// The flash of a request, if it carries a readable one.
    pub fn from_headers(headers: &HeaderMap) -> Option<Flash> {
        let value = cookie(headers, FLASH_COOKIE)?;
        let bytes = unhex(&value)?;
        let text = String::from_utf8(bytes).ok()?;
        let (kind, message) = text.split_once('\n')?;
        let kind = match kind {
            "ok" => "ok",
            "error" => "error",
            _ => return None,
        };
        Some(Flash { kind, message: message.to_string() })
    }
}

/// A 303 to `location` that leaves `flash` for the next page.
pub fn redirect_with(location: &str, flash: Flash) -> axum::response::Response {
    use axum::response::IntoResponse;
    let mut response = axum::response::Redirect::to(location).into_response();
    response.headers_mut().append(header::SET_COOKIE, flash.set_cookie());
    response
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || text.len() > 4 * MAX_CHARS + 32 {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flash_survives_the_cookie_round_trip() {
        let flash = Flash::error("target_value: 'abc' is not a decimal number; <b>ü</b>");
        let set = flash.set_cookie();
        let pair = set.to_str().unwrap().split(';').next().unwrap().to_string();
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_str(&pair).unwrap());
        assert_eq!(Flash::from_headers(&headers), Some(flash));
    }

    #[test]
    fn forged_or_broken_flashes_are_ignored() {
        for value in ["zz", "6", &hex(b"warning\nhi"), &hex(b"no newline")] {
            let mut headers = HeaderMap::new();
            headers.insert(header::COOKIE, HeaderValue::from_str(&format!("{FLASH_COOKIE}={value}")).unwrap());
            assert_eq!(Flash::from_headers(&headers), None, "{value}");
        }
    }
}
