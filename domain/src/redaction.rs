//! Redaction of personal data and secrets from free text (D13), before it is
//! stored in the log and again before any prompt is built.
//!
//! Each class is replaced by a typed placeholder, so a coach still sees that
//! "the customer's [email]" was mentioned. The order of the passes matters:
//! secrets first (a JWT contains dots and digits that later passes would
//! half-match), then structured ids with checksums (IBAN, card), then labelled
//! ids, phones and addresses. Placeholders contain no digits, so a second pass
//! changes nothing: `redact(redact(x)) == redact(x)`.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::{Captures, Regex};

/// Every placeholder this module writes.
pub const PLACEHOLDERS: [&str; 9] = [
    "[secret]",
    "[email]",
    "[iban]",
    "[card]",
    "[invoice-id]",
    "[customer-id]",
    "[account-id]",
    "[phone]",
    "[address]",
];

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("redaction patterns are valid")
}

// JSON Web Tokens: three base64url segments, the first one a JSON header.
static JWT: LazyLock<Regex> = LazyLock::new(|| re(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"));
// `Authorization: Bearer <token>` and the like.
static BEARER: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"));
// `password: hunter2`, `api_key=…`, `token=…`: keep the key, drop the value.
static KEY_VALUE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(api[_-]?key|apikey|api[_-]?secret|client[_-]?secret|secret|token|access[_-]?token|password|passwd|pwd|passcode|pin)(\s*[:=]\s*)([^\s,;]+)",
    )
});
// Vendor key formats: OpenAI/Stripe-style sk-/pk-, AWS access keys, GitHub and Slack tokens.
static VENDOR_KEY: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(?:(?:sk|pk|rk)[-_](?:live_|test_|proj-)?[A-Za-z0-9_-]{16,}|AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{20,}|xox[abpr]-[A-Za-z0-9-]{10,})",
    )
});
static EMAIL: LazyLock<Regex> =
    LazyLock::new(|| re(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"));
// IBAN candidates (validated with the mod-97 checksum).
static IBAN: LazyLock<Regex> = LazyLock::new(|| re(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b"));
// Card candidates: 13–19 digits, optionally grouped (validated with Luhn).
static CARD: LazyLock<Regex> = LazyLock::new(|| re(r"\b\d(?:[ -]?\d){12,18}\b"));
// Labelled ids keep their label: "invoice #88123" → "invoice #[invoice-id]".
static INVOICE_LABELLED: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)\b(invoice)(\s*(?:no\.?|number|id)?\s*[:#]?\s*)([A-Z0-9][A-Z0-9/-]*\d[A-Z0-9/-]*)"));
static INVOICE_CODE: LazyLock<Regex> = LazyLock::new(|| re(r"\bINV[-/]?[A-Z0-9-]*\d[A-Z0-9-]*\b"));
static CUSTOMER_LABELLED: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(customer|client|subscriber)(\s*(?:id|no\.?|number|#)\s*[:#]?\s*|\s*[:#]\s*)([A-Z0-9][A-Z0-9-]*\d[A-Z0-9-]*)",
    )
});
static CUSTOMER_CODE: LazyLock<Regex> = LazyLock::new(|| re(r"\bCUST?-[A-Z0-9-]*\d[A-Z0-9-]*\b"));
static ACCOUNT_LABELLED: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)\b(account|acct|a/c)(\s*(?:id|no\.?|number|#)?\s*[:#]?\s*)([A-Z0-9][A-Z0-9-]*\d[A-Z0-9-]*)")
});
// Phone candidates; see `is_phone` for what is kept.
static PHONE: LazyLock<Regex> = LazyLock::new(|| re(r"(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d(?:[ .-]?\d){6,14}"));
// Street addresses: a house number, capitalised words and a street type.
static ADDRESS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b\d{1,5}[A-Za-z]?,?\s+(?:[A-Z][A-Za-z'-]+\s+){1,4}(?:Street|St|Road|Rd|Avenue|Ave|Close|Crescent|Cres|Way|Lane|Ln|Drive|Dr|Boulevard|Blvd|Court|Ct|Place|Pl|Estate|Layout|Highway|Expressway)\b\.?",
    )
});
static PLOT: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)\bplot\s+\d+[A-Za-z]?(?:,?\s*(?:road|block|street|avenue)\s+\d+[A-Za-z]?)?"));
// Long opaque tokens: 24+ characters mixing letters and digits.
static OPAQUE: LazyLock<Regex> = LazyLock::new(|| re(r"\b[A-Za-z0-9_-]{24,}\b"));

/// Redacts personal data and secrets. Pure, deterministic and idempotent.
pub fn redact(text: &str) -> String {
    let text = JWT.replace_all(text, "[secret]");
    let text = BEARER.replace_all(&text, "$1 [secret]");
    let text = KEY_VALUE.replace_all(&text, "$1$2[secret]");
    let text = VENDOR_KEY.replace_all(&text, "[secret]");
    let text = EMAIL.replace_all(&text, "[email]");
    let text = replace_checked(&IBAN, &text, is_iban, "[iban]");
    let text = replace_checked(&CARD, &text, passes_luhn, "[card]");
    let text = INVOICE_LABELLED.replace_all(&text, "$1$2[invoice-id]");
    let text = INVOICE_CODE.replace_all(&text, "[invoice-id]");
    let text = CUSTOMER_LABELLED.replace_all(&text, "$1$2[customer-id]");
    let text = CUSTOMER_CODE.replace_all(&text, "[customer-id]");
    let text = ACCOUNT_LABELLED.replace_all(&text, "$1$2[account-id]");
    let text = ADDRESS.replace_all(&text, "[address]");
    let text = PLOT.replace_all(&text, "[address]");
    let text = redact_phones(&text);
    let text = replace_checked(&OPAQUE, &text, is_opaque_token, "[secret]");
    text.into_owned()
}

/// Redacts, then truncates to at most `max_chars` characters, appending "…"
/// (counted within `max_chars`) when it cut, and never splitting a placeholder.
pub fn redact_and_truncate(text: &str, max_chars: usize) -> String {
    let redacted = redact(text);
    if redacted.chars().count() <= max_chars {
        return redacted;
    }
    if max_chars == 0 {
        return String::new();
    }
    let cut = redacted.char_indices().nth(max_chars - 1).map(|(i, _)| i).unwrap_or(redacted.len());
    let mut head = &redacted[..cut];
    // Inside a placeholder? Cut before it.
    if let Some(open) = head.rfind('[') {
        if !head[open..].contains(']') && PLACEHOLDERS.iter().any(|p| redacted[open..].starts_with(p)) {
            head = &head[..open];
        }
    }
    format!("{}…", head.trim_end())
}

fn replace_checked<'t>(pattern: &Regex, text: &'t str, keep: fn(&str) -> bool, placeholder: &str) -> Cow<'t, str> {
    pattern.replace_all(text, |caps: &Captures| {
        let found = &caps[0];
        if keep(found) {
            placeholder.to_string()
        } else {
            found.to_string()
        }
    })
}

/// ISO 13616: move the first four characters to the end, letters to numbers, mod 97 == 1.
fn is_iban(candidate: &str) -> bool {
    let compact: String = candidate.chars().filter(|c| !c.is_whitespace()).collect();
    if !(15..=34).contains(&compact.len()) {
        return false;
    }
    let rearranged = compact[4..].chars().chain(compact[..4].chars());
    let mut remainder: u32 = 0;
    for c in rearranged {
        let value = match c {
            '0'..='9' => c as u32 - '0' as u32,
            'A'..='Z' => c as u32 - 'A' as u32 + 10,
            _ => return false,
        };
        let width = if value >= 10 { 100 } else { 10 };
        remainder = (remainder * width + value) % 97;
    }
    remainder == 1
}

fn passes_luhn(candidate: &str) -> bool {
    let digits: Vec<u32> = candidate.chars().filter_map(|c| c.to_digit(10)).collect();
    if !(13..=19).contains(&digits.len()) {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if !i.is_multiple_of(2) {
                if d * 2 > 9 {
                    d * 2 - 9
                } else {
                    d * 2
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

fn is_opaque_token(candidate: &str) -> bool {
    candidate.chars().any(|c| c.is_ascii_alphabetic()) && candidate.chars().any(|c| c.is_ascii_digit())
}

/// Phone numbers: 7–15 digits that start like a phone (`+`, `(` or a
/// trunk `0`) or are grouped with separators, and are not part of a word,
/// a reference (`#1042`, `T-1042`), a decimal, a date or a time.
fn redact_phones(text: &str) -> Cow<'_, str> {
    PHONE.replace_all(text, |caps: &Captures| {
        let m = caps.get(0).expect("group 0 always exists");
        let found = m.as_str();
        let before = text[..m.start()].chars().next_back();
        let after = text[m.end()..].chars().next();
        if is_phone(found, before, after) {
            "[phone]".to_string()
        } else {
            found.to_string()
        }
    })
}

fn is_phone(found: &str, before: Option<char>, after: Option<char>) -> bool {
    let digits = found.chars().filter(char::is_ascii_digit).count();
    if !(7..=15).contains(&digits) {
        return false;
    }
    let glued =
        |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || matches!(c, '#' | '-' | '_' | '/' | ':' | '$'));
    if glued(before)
        || glued(after)
        || matches!(before, Some('.'))
        || matches!(after, Some('.' | ',')) && !found.starts_with('+') && digits < 10
    {
        return false;
    }
    if looks_like_date(found) {
        return false;
    }
    let separated = found.contains([' ', '-', '.']);
    found.starts_with(['+', '(', '0']) || (separated && digits >= 7 && !found.contains('.'))
}

fn looks_like_date(found: &str) -> bool {
    let parts: Vec<&str> = found.split(['-', '.', ' ']).collect();
    parts.len() == 3 && parts[0].len() == 4 && parts[1].len() <= 2 && parts[2].len() <= 2
}
