//! D13: the redaction corpus. Every case states the exact output.

use perfledger_domain::redaction::{redact, redact_and_truncate};

/// (input, expected output)
const CORPUS: &[(&str, &str)] = &[
    // emails
    ("Customer jane.doe@example.com could not log in", "Customer [email] could not log in"),
    ("cc: ops+alerts@dotmac.ng, billing@isp.co.uk", "cc: [email], [email]"),
    ("Reply to A.Okafor@mail.example.org.", "Reply to [email]."),
    ("<support@dotmac.io>", "<[email]>"),
    // phones
    ("Call me on +234 803 123 4567 after 5pm", "Call me on [phone] after 5pm"),
    ("Customer's number is 08031234567.", "Customer's number is [phone]."),
    ("Reach him at 0803-123-4567", "Reach him at [phone]"),
    ("US office: (555) 123-4567", "US office: [phone]"),
    ("WhatsApp +2348031234567 confirmed", "WhatsApp [phone] confirmed"),
    ("landline 01 234 5678", "landline [phone]"),
    ("call 555-123-4567 tomorrow", "call [phone] tomorrow"),
    ("+44 20 7946 0958 is the UK desk", "[phone] is the UK desk"),
    // secrets
    ("token=abc123def456ghi789", "token=[secret]"),
    ("password: hunter2 was shared in chat", "password: [secret] was shared in chat"),
    ("api_key=sk_live_51HxYzAbCdEfGhIjKlMn", "api_key=[secret]"),
    ("Use key sk-proj-AbCdEfGhIjKlMnOpQrStUv123", "Use key [secret]"),
    ("Authorization: Bearer abcdef0123456789abcdef", "Authorization: Bearer [secret]"),
    (
        "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.sflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c here",
        "jwt [secret] here",
    ),
    ("AWS key AKIAIOSFODNN7EXAMPLE leaked", "AWS key [secret] leaked"),
    ("github ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ012345", "github [secret]"),
    ("session 9f8e7d6c5b4a39281706f5e4d3c2b1a0 expired", "session [secret] expired"),
    ("PIN: 4421 given over the phone", "PIN: [secret] given over the phone"),
    // account, customer and invoice ids
    ("Suspended account 10023456 for non-payment", "Suspended account [account-id] for non-payment"),
    ("acct #A-99812 migrated", "acct #[account-id] migrated"),
    ("Account No: 0123456789 credited", "Account No: [account-id] credited"),
    ("customer ID CUS-0042 called", "customer ID [customer-id] called"),
    ("Customer #77812 reported an outage", "Customer #[customer-id] reported an outage"),
    ("Linked to CUST-00981", "Linked to [customer-id]"),
    ("Refund INV-2026-00123 today", "Refund [invoice-id] today"),
    ("invoice #88123 was paid twice", "invoice #[invoice-id] was paid twice"),
    ("Invoice number: 2026/0042 disputed", "Invoice number: [invoice-id] disputed"),
    // addresses
    ("Installed at 12 Adeola Odeku Street today", "Installed at [address] today"),
    ("Visit 45B Allen Avenue, Ikeja", "Visit [address], Ikeja"),
    ("Lives at 221B Baker St.", "Lives at [address]"),
    ("Plot 5 Road 3, Lekki", "[address], Lekki"),
    ("Moved to 7 Admiralty Way", "Moved to [address]"),
    // cards and IBANs
    ("Card 4111 1111 1111 1111 was declined", "Card [card] was declined"),
    ("paid with 5500-0000-0000-0004", "paid with [card]"),
    ("card 4012888888881881 on file", "card [card] on file"),
    ("IBAN GB82 WEST 1234 5698 7654 32 for refunds", "IBAN [iban] for refunds"),
    ("transfer to DE89370400440532013000", "transfer to [iban]"),
    // several at once
    ("Email jane@x.io or call 08031234567", "Email [email] or call [phone]"),
    (
        "Customer #1200 at 3 Marina Road paid invoice #991 by card 4111111111111111",
        "Customer #[customer-id] at [address] paid invoice #[invoice-id] by card [card]",
    ),
    // negatives: these stay exactly as they are
    ("Resolved ticket #1042 within SLA", "Resolved ticket #1042 within SLA"),
    ("Follow-up on T-100042 and WO-100077", "Follow-up on T-100042 and WO-100077"),
    ("Visit scheduled 2026-11-02 between 10:15 and 11:30", "Visit scheduled 2026-11-02 between 10:15 and 11:30"),
    ("Took 45 minutes to restore service", "Took 45 minutes to restore service"),
    ("Quoted NGN 25,000 for the upgrade", "Quoted NGN 25,000 for the upgrade"),
    ("Refunded $1,250.50 to the customer", "Refunded $1,250.50 to the customer"),
    ("Firmware v2.3.1 fixed the drops", "Firmware v2.3.1 fixed the drops"),
    ("Packet loss fell to 0.5% after the fix", "Packet loss fell to 0.5% after the fix"),
    ("Upgraded from 50 Mbps to 100 Mbps", "Upgraded from 50 Mbps to 100 Mbps"),
    ("Signal improved from -72 to -58 dBm", "Signal improved from -72 to -58 dBm"),
    ("Replaced ONT model HG8245H5", "Replaced ONT model HG8245H5"),
    ("The customer account was suspended by mistake", "The customer account was suspended by mistake"),
    ("Invoice was sent late; apologised", "Invoice was sent late; apologised"),
    ("Serial 48575443 registered", "Serial 48575443 registered"),
    ("Three visits over 2 weeks", "Three visits over 2 weeks"),
    ("Used 120 m of fiber and 4 connectors", "Used 120 m of fiber and 4 connectors"),
    ("Project PRJ-12 milestone 3 done", "Project PRJ-12 milestone 3 done"),
    ("Rebooted the router; all good.", "Rebooted the router; all good."),
    ("Customer wants a callback tomorrow morning", "Customer wants a callback tomorrow morning"),
    ("SLA due at 14:00 UTC", "SLA due at 14:00 UTC"),
    ("Order 1234567890123 is not a card", "Order 1234567890123 is not a card"),
    (
        "Reference DE00370400440532013000 fails the IBAN checksum",
        "Reference DE00370400440532013000 fails the IBAN checksum",
    ),
    ("Speed test: 94.6 down / 48.2 up", "Speed test: 94.6 down / 48.2 up"),
    ("Token bucket reset", "Token bucket reset"),
    ("", ""),
    ("Ñandú café résumé 🚀", "Ñandú café résumé 🚀"),
];

#[test]
fn the_corpus_holds_at_least_sixty_cases() {
    assert!(CORPUS.len() >= 60, "{} cases", CORPUS.len());
}

#[test]
fn every_case_redacts_exactly_as_stated() {
    let failures: Vec<String> = CORPUS
        .iter()
        .filter_map(|(input, expected)| {
            let got = redact(input);
            (got != *expected).then(|| format!("\n  input:    {input}\n  expected: {expected}\n  got:      {got}"))
        })
        .collect();
    assert!(failures.is_empty(), "{} of {} cases differ:{}", failures.len(), CORPUS.len(), failures.concat());
}

#[test]
fn redaction_is_idempotent() {
    for (input, _) in CORPUS {
        let once = redact(input);
        assert_eq!(redact(&once), once, "second pass changed {input:?}");
    }
}

#[test]
fn truncation_counts_characters_and_marks_the_cut() {
    assert_eq!(redact_and_truncate("short", 10), "short");
    assert_eq!(redact_and_truncate("abcdefghij", 10), "abcdefghij");
    assert_eq!(redact_and_truncate("abcdefghijk", 10), "abcdefghi…");
    assert_eq!(redact_and_truncate("ñññññññññññ", 5), "ññññ…");
    assert_eq!(redact_and_truncate("🚀🚀🚀🚀", 3), "🚀🚀…");
    assert_eq!(redact_and_truncate("anything", 0), "");
}

#[test]
fn truncation_never_splits_a_placeholder() {
    // "Mail [email] now": the cut at 9 characters falls inside "[email]".
    let out = redact_and_truncate("Mail jane@x.io now", 9);
    assert_eq!(out, "Mail…");
    assert!(redact_and_truncate("Mail jane@x.io now", 13).ends_with("[email]…"));
}

#[test]
fn truncation_applies_after_redaction() {
    let long = format!("{} {}", "x".repeat(10), "call +234 803 123 4567");
    assert_eq!(redact_and_truncate(&long, 600), "xxxxxxxxxx call [phone]");
}
