//! Redaction of personal data and secrets from free text (D13), before it is
//! stored in the log and again before any prompt is built.
//!
//! Each class is replaced by a typed placeholder, so a coach still sees that
//! "the customer's [email]" was mentioned. The passes run in a fixed order,
//! most specific first:
//!
//! 1. secrets with a recognisable shape (JWT, `Bearer …`, `password: …`,
//!    vendor keys), before anything else can half-match their digits;
//! 2. emails;
//! 3. IBANs (mod-97) and long opaque tokens;
//! 4. card numbers (Luhn), before phones, which would otherwise take them;
//! 5. invoice, customer and account ids, labelled or by their code prefix;
//! 6. street addresses, before phones, so "12 Adeola Odeku Street" is one thing;
//! 7. phone numbers, last, because their shapes overlap everything above.
//!
//! Placeholders hold no digits and no token characters, and the passes repeat
//! until the text stops changing, so `redact(redact(x)) == redact(x)`.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::{Captures, Regex};

/// Every placeholder this module writes (truncation must not split one).
const PLACEHOLDERS: [&str; 9] = [
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

// --- secrets -------------------------------------------------------------

// JSON Web Tokens: three base64url segments, the first a JSON header (`{"` = `eyJ`).
static JWT: LazyLock<Regex> = LazyLock::new(|| re(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"));

// `Bearer <token>` / `Basic <credentials>`; see `is_credential` for "basic troubleshooting".
static AUTH_SCHEME: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)\b(bearer|basic)(\s+)([A-Za-z0-9._~+/=-]{8,})"));

// `password: hunter2`, `api_key=…`, `refresh_token=…`: keep the key, drop the value.
static KEY_VALUE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)\b((?:[a-z0-9]+[_-])*(?:api[_-]?key|apikey|secret|token|password|passwd|pwd|passcode|pin|otp))(["']?\s*[:=]\s*["']?)([^\s,;&"']+)"#,
    )
});

// Vendor key formats: OpenAI/Stripe sk-/pk-/rk-, AWS access keys, GitHub, Slack and Google keys.
static VENDOR_KEY: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(?:(?:sk|pk|rk)[-_][A-Za-z0-9_-]{16,}|AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{20,}|xox[abpr]-[A-Za-z0-9-]{10,}|AIza[0-9A-Za-z_-]{30,})",
    )
});

// Long opaque strings (hex, base64, base64url) of 24+ characters; see `is_opaque_token`.
static OPAQUE: LazyLock<Regex> = LazyLock::new(|| re(r"[A-Za-z0-9+_-]{24,}={0,2}"));

// --- contact and payment data ---------------------------------------------

static EMAIL: LazyLock<Regex> =
    LazyLock::new(|| re(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"));

// IBAN candidates: country, check digits, then groups; the checksum decides (`redact_ibans`).
static IBAN: LazyLock<Regex> = LazyLock::new(|| re(r"\b[A-Z]{2}\d{2}[A-Z0-9]*(?: [A-Z0-9]{1,4}){0,8}\b"));

// Card candidates: 13–19 plain digits, or grouped 4-4-4-4(-3), 4-4-4-1..4 or Amex 4-6-5;
// the longest grouping is tried first, and Luhn decides (`is_card`).
static CARD: LazyLock<Regex> = LazyLock::new(|| {
    re(r"\b(?:\d{4}(?:[ -]\d{4}){3}[ -]\d{1,3}|\d{4}(?:[ -]\d{4}){2}[ -]\d{1,4}|\d{4}[ -]\d{6}[ -]\d{4,5}|\d{13,19})\b")
});

// --- account, customer and invoice ids -------------------------------------

/// A label, an optional marker (`#`, `no.`, `ID`, `number:`) and an id with a digit in it.
fn labelled_id(labels: &str) -> Regex {
    re(&format!(
        r"(?i)\b({labels})\b(\s*(?:id|no\.?|num(?:ber)?|ref)?\s*(?:is\s+)?[:#]?\s*)([A-Z0-9](?:[A-Z0-9/-]*[A-Z0-9])?)"
    ))
}

/// An id by its conventional code prefix: `INV-2026-00123`, `CUS-0042`, `ACCT-7781`.
fn coded_id(prefixes: &str) -> Regex {
    re(&format!(r"\b(?:{prefixes})[-/#]?[A-Z]*\d[A-Z0-9]*(?:[-/][A-Z0-9]+)*\b"))
}

static INVOICE_LABELLED: LazyLock<Regex> = LazyLock::new(|| labelled_id("invoice|inv"));
static INVOICE_CODE: LazyLock<Regex> = LazyLock::new(|| coded_id("INV"));
static CUSTOMER_LABELLED: LazyLock<Regex> = LazyLock::new(|| labelled_id("customer|client|subscriber|cust"));
static CUSTOMER_CODE: LazyLock<Regex> = LazyLock::new(|| coded_id("CUST|CUS"));
static ACCOUNT_LABELLED: LazyLock<Regex> = LazyLock::new(|| labelled_id("account|acct|acc|a/c"));
static ACCOUNT_CODE: LazyLock<Regex> = LazyLock::new(|| coded_id("ACCT|ACC"));

// --- addresses --------------------------------------------------------------

// A house number, one to four capitalised words and a street type, plus up to two
// ", Locality" parts: "45B Allen Avenue, Ikeja". The street type's full stop stays.
static STREET: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(?:No\.?\s*)?\d{1,5}[A-Za-z]?,?\s+(?:[A-Z][A-Za-z'-]+\s+){1,4}(?:Street|St|Road|Rd|Avenue|Ave|Close|Crescent|Cres|Way|Lane|Ln|Drive|Dr|Boulevard|Blvd|Court|Ct|Place|Pl|Square|Sq|Terrace|Estate|Layout|Highway|Expressway)\b(?:,\s*[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?){0,2}",
    )
});

// Nigerian plot addressing: "Plot 5 Road 3", "plot 12, Block 4".
static PLOT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i:\bplot\s+\d+[A-Z]?(?:,?\s*(?:road|block|street|avenue|close)\s+\d+[A-Z]?)?)(?:,\s*[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?){0,2}",
    )
});

// --- phones -----------------------------------------------------------------

// Phone candidates: an optional `+cc`, an optional `(area)`, then up to seven digit groups
// joined by single spaces, dots or dashes (bounded, so "1 1 1 …" stays linear).
// `redact_phones` picks the longest prefix shaped like a phone. ASCII digits only: `\d` would
// also match other scripts' digits, which the digit-group scan below does not count.
static PHONE: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?:\+[0-9]{1,3}[ .-]?)?(?:\([0-9]{1,4}\)[ .-]?)?[0-9]+(?:[ .-][0-9]+){0,6}"));

/// Redacts personal data and secrets from free text (D13). Pure, deterministic, idempotent:
/// `redact(redact(x)) == redact(x)`.
pub fn redact(text: &str) -> String {
    // A placeholder can hand an earlier pass a new word boundary ("…, Ikeja" + "PIN: 4421"
    // becomes "[address]PIN: 4421"), so the passes repeat until nothing changes. Every change
    // turns text into placeholders, which no pass touches, so this settles in a pass or two.
    let mut current = redact_once(text);
    for _ in 0..MAX_ROUNDS {
        let next = redact_once(&current);
        if next == current {
            break;
        }
        current = next;
    }
    current
}

/// More than enough: real text settles after one extra round.
const MAX_ROUNDS: usize = 8;

/// One round of every pass, in order.
fn redact_once(text: &str) -> String {
    let text = JWT.replace_all(text, "[secret]");
    let text = redact_auth_schemes(&text);
    let text = KEY_VALUE.replace_all(&text, "$1$2[secret]");
    let text = VENDOR_KEY.replace_all(&text, "[secret]");
    let text = EMAIL.replace_all(&text, "[email]");
    let text = redact_ibans(&text);
    let text = replace_if(&OPAQUE, &text, is_opaque_token, "[secret]");
    let text = replace_if(&CARD, &text, is_card, "[card]");
    let text = redact_labelled(&INVOICE_LABELLED, &text, "[invoice-id]");
    let text = INVOICE_CODE.replace_all(&text, "[invoice-id]");
    let text = redact_labelled(&CUSTOMER_LABELLED, &text, "[customer-id]");
    let text = CUSTOMER_CODE.replace_all(&text, "[customer-id]");
    let text = redact_labelled(&ACCOUNT_LABELLED, &text, "[account-id]");
    let text = ACCOUNT_CODE.replace_all(&text, "[account-id]");
    let text = STREET.replace_all(&text, "[address]");
    let text = PLOT.replace_all(&text, "[address]");
    redact_phones(&text)
}

/// Redacts, then truncates to at most `max_chars` characters (chars, not bytes), never splitting a
/// placeholder, appending "…" when it cut something (the ellipsis counts within `max_chars`).
pub fn redact_and_truncate(text: &str, max_chars: usize) -> String {
    let redacted = redact(text);
    if redacted.chars().count() <= max_chars {
        return redacted;
    }
    if max_chars == 0 {
        return String::new();
    }
    // Keep max_chars - 1 characters, leaving room for the ellipsis.
    let cut = redacted.char_indices().nth(max_chars - 1).map_or(redacted.len(), |(i, _)| i);
    let mut head = &redacted[..cut];
    // A placeholder that starts before the cut and ends after it goes entirely.
    if let Some(open) = head.rfind('[') {
        if !head[open..].contains(']') && PLACEHOLDERS.iter().any(|p| redacted[open..].starts_with(p)) {
            head = &head[..open];
        }
    }
    format!("{}…", head.trim_end())
}

// --- helpers ------------------------------------------------------------------

/// Replaces each match of `pattern` for which `keep` says yes; the others stay as they are.
fn replace_if<'t>(pattern: &Regex, text: &'t str, keep: fn(&str) -> bool, placeholder: &str) -> Cow<'t, str> {
    pattern
        .replace_all(text, |caps: &Captures| if keep(&caps[0]) { placeholder.to_string() } else { caps[0].to_string() })
}

/// "Bearer abc.def-123" is a credential; "basic troubleshooting" is not: a real token
/// has a digit or a token punctuation mark somewhere.
fn redact_auth_schemes(text: &str) -> Cow<'_, str> {
    AUTH_SCHEME.replace_all(text, |caps: &Captures| {
        let is_credential = caps[3].chars().any(|c| !c.is_ascii_alphabetic());
        if is_credential {
            format!("{}{}[secret]", &caps[1], &caps[2])
        } else {
            caps[0].to_string()
        }
    })
}

/// Long strings mixing letters and digits, the shape of hex digests, base64 keys and session
/// ids. Hyphen- or underscore-joined short parts (`SKU-ABC123-DEF456-GHI789`, UUIDs,
/// snake_case names) are codes, not secrets.
fn is_opaque_token(candidate: &str) -> bool {
    let letters = candidate.chars().filter(char::is_ascii_alphabetic).count();
    let digits = candidate.chars().filter(char::is_ascii_digit).count();
    let longest_part = candidate.split(['-', '_']).map(str::len).max().unwrap_or(0);
    letters >= 2 && digits >= 2 && longest_part >= 16
}

/// IBANs: the longest run of groups that passes the mod-97 check, so a trailing word
/// ("… 7654 32 FOR refunds") does not hide it.
fn redact_ibans(text: &str) -> Cow<'_, str> {
    IBAN.replace_all(text, |caps: &Captures| {
        let found = &caps[0];
        let ends = found.match_indices(' ').map(|(i, _)| i).chain([found.len()]);
        let mut ends: Vec<usize> = ends.collect();
        ends.reverse();
        match ends.into_iter().find(|&end| is_iban(&found[..end])) {
            Some(end) => format!("[iban]{}", &found[end..]),
            None => found.to_string(),
        }
    })
}

/// ISO 13616: move the first four characters to the end, letters to numbers, mod 97 == 1.
fn is_iban(candidate: &str) -> bool {
    let compact: String = candidate.chars().filter(|c| *c != ' ').collect();
    if !(15..=34).contains(&compact.len()) {
        return false;
    }
    let rearranged = compact[4..].chars().chain(compact[..4].chars());
    let mut remainder: u32 = 0;
    for c in rearranged {
        let Some(value) = c.to_digit(36) else { return false };
        let width = if value >= 10 { 100 } else { 10 };
        remainder = (remainder * width + value) % 97;
    }
    remainder == 1
}

/// Cards pass Luhn; 13-digit card numbers exist only as old Visa (leading 4), which keeps
/// a 13-digit international phone such as 2348031234567 out of this class.
fn is_card(candidate: &str) -> bool {
    let digits: Vec<u32> = candidate.chars().filter_map(|c| c.to_digit(10)).collect();
    if digits.len() == 13 && digits[0] != 4 {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| match (i % 2 == 1, d * 2) {
            (true, doubled) if doubled > 9 => doubled - 9,
            (true, doubled) => doubled,
            (false, _) => d,
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Labelled ids keep their label and marker: "invoice #88123" → "invoice #[invoice-id]".
/// With a marker any id holding a digit counts; a bare "account 10023456" needs four digits,
/// so "account 3 times" stays. An id followed by more digits ("Customer: 0803 123 4567",
/// "account: 25,000") is a phone or an amount, not an id, and is left to later passes.
fn redact_labelled<'t>(pattern: &Regex, text: &'t str, placeholder: &str) -> Cow<'t, str> {
    pattern.replace_all(text, |caps: &Captures| {
        let (label, gap, id) = (&caps[1], &caps[2], &caps[3]);
        let digits = id.chars().filter(char::is_ascii_digit).count();
        let marked = !gap.trim().is_empty();
        let rest = &text[caps.get(0).expect("group 0 always exists").end()..];
        let continues = {
            let mut next = rest.chars();
            matches!((next.next(), next.next()), (Some(' ' | ',' | '.' | ':'), Some(d)) if d.is_ascii_digit())
        };
        if digits >= if marked { 1 } else { 4 } && !continues {
            format!("{label}{gap}{placeholder}")
        } else {
            caps[0].to_string()
        }
    })
}

/// Phones: for each candidate, the longest prefix (ending after a digit group) shaped like a
/// phone becomes "[phone]". When no prefix fits, the scan moves past the first digit group
/// only, so "2026-11-02 0803 123 4567" still finds the phone after the date.
fn redact_phones(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let (mut copied, mut pos) = (0, 0);
    while let Some(m) = PHONE.find_at(text, pos) {
        let found = m.as_str();
        // Where each digit group ends (at most nine: the regex bounds the groups).
        let group_ends = found
            .char_indices()
            .filter(|&(i, c)| c.is_ascii_digit() && !found[i + 1..].starts_with(|n: char| n.is_ascii_digit()));
        let ends: Vec<usize> = group_ends.map(|(i, _)| i + 1).collect();
        let head = &text[..m.start()];
        match ends.iter().rev().find(|&&end| is_phone(&found[..end], head, &text[m.start() + end..])) {
            Some(&end) => {
                out.push_str(&text[copied..m.start()]);
                out.push_str("[phone]");
                copied = m.start() + end;
                pos = copied;
            }
            None => pos = m.start() + ends[0],
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// Whether `found`, between `head` and `rest`, is a phone number: 7–15 digits, not glued to
/// a word, a reference (`#1042`, `T-1042`), an amount, a decimal or a time, and in one of
/// the shapes phones are written in.
fn is_phone(found: &str, head: &str, rest: &str) -> bool {
    let mut back = head.chars().rev();
    let (b1, b2) = (back.next(), back.next());
    let glued_before = match b1 {
        // A leading + or ( starts a number by itself, even right after another one's digits.
        Some(c) if found.starts_with(['+', '(']) => c.is_alphabetic(),
        Some(':') => b2.is_some_and(|c| c.is_ascii_digit()), // the minutes of "10:15 …"
        Some(c) => c.is_alphanumeric() || "#_/@$£€₦.-".contains(c),
        None => false,
    };
    let mut next = rest.chars();
    let (a1, a2) = (next.next(), next.next());
    let glued_after = match a1 {
        Some(c) if ".,:-".contains(c) => a2.is_some_and(|d| d.is_ascii_digit()), // 1,250 or 12.5
        Some(c) => c.is_alphanumeric() || "#_/@$%".contains(c),
        None => false,
    };
    if glued_before || glued_after {
        return false;
    }
    let groups: Vec<&str> = found.split(|c: char| !c.is_ascii_digit()).filter(|g| !g.is_empty()).collect();
    let lens: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    let digits: usize = lens.iter().sum();
    let last = lens.last().copied().unwrap_or(0);
    if !(7..=15).contains(&digits) {
        return false;
    }
    if found.starts_with('+') {
        // International: +234 803 123 4567, +2348031234567, +44 20 7946 0958.
        digits >= 8 && (groups.len() == 1 || last >= 2)
    } else if found.starts_with('(') {
        // Area code in parentheses: (555) 123-4567, (01) 234 5678.
        last >= 3
    } else if found.starts_with('0') {
        // National trunk prefix: 08031234567, 0803-123-4567, 01 234 5678; not 02.11.2026.
        let plain = groups.len() == 1 && digits <= 12;
        let grouped = lens[0] >= 2 && last >= 3 && !looks_like_date(&lens);
        digits >= 9 && (plain || grouped)
    } else {
        // North American local shapes: 555-1234, 555 123 4567, 1-555-123-4567 (exchanges
        // start with 2–9), and Nigerian numbers written without their plus: 2348031234567.
        // Two round numbers (200-1000) are a range, not a phone.
        let exchange_ok = |g: &str| g.starts_with(|c: char| ('2'..='9').contains(&c));
        let round_range = groups.iter().all(|g| g.ends_with('0'));
        match lens.as_slice() {
            [3, 4] => exchange_ok(groups[0]) && !round_range,
            [3, 3, 4] => exchange_ok(groups[0]),
            [1, 3, 3, 4] => groups[0] == "1" && exchange_ok(groups[1]),
            [13] => groups[0].starts_with("234"),
            _ => false,
        }
    }
}

/// 2026-11-02, 02.11.2026 and friends.
fn looks_like_date(lens: &[usize]) -> bool {
    matches!(lens, [4, 1 | 2, 1 | 2] | [1 | 2, 1 | 2, 4])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_accepts_test_cards_and_rejects_a_changed_digit() {
        assert!(is_card("4111111111111111"));
        assert!(!is_card("4111111111111112"));
        assert!(is_card("378282246310005"));
    }

    #[test]
    fn iban_checksum() {
        assert!(is_iban("GB82 WEST 1234 5698 7654 32"));
        assert!(is_iban("DE89370400440532013000"));
        assert!(!is_iban("DE00370400440532013000"));
        assert!(!is_iban("GB82 WEST"));
    }

    #[test]
    fn placeholders_are_inert() {
        let all = PLACEHOLDERS.join(" ");
        assert_eq!(redact(&all), all);
    }
}
