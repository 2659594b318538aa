//! D13: the redaction corpus. Every case states the exact output; negatives are
//! cases whose output equals their input.

use perfledger_domain::redaction::{redact, redact_and_truncate};

/// (input, expected output)
const CORPUS: &[(&str, &str)] = &[
    // --- emails ------------------------------------------------------------
    ("Customer jane.doe@example.com could not log in", "Customer [email] could not log in"),
    ("cc: ops+alerts@dotmac.ng, billing@isp.co.uk", "cc: [email], [email]"),
    ("Reply to A.Okafor@mail.example.org.", "Reply to [email]."),
    ("<support@dotmac.io>", "<[email]>"),
    ("EMAIL: TUNDE_99@YAHOO.COM", "EMAIL: [email]"),
    // --- phones ------------------------------------------------------------
    ("Call me on +234 803 123 4567 after 5pm", "Call me on [phone] after 5pm"),
    ("WhatsApp +2348031234567 confirmed", "WhatsApp [phone] confirmed"),
    ("+44 20 7946 0958 is the UK desk", "[phone] is the UK desk"),
    ("US office: +1 (555) 123-4567", "US office: [phone]"),
    ("Swiss line +41 44 668 18 00.", "Swiss line [phone]."),
    ("Alt: +234 (0) 803 123 4567", "Alt: [phone]"),
    ("Customer's number is 08031234567.", "Customer's number is [phone]."),
    ("Reach him at 0803-123-4567", "Reach him at [phone]"),
    ("Tel:08031234567", "Tel:[phone]"),
    ("landline 01 234 5678", "landline [phone]"),
    ("(01) 234 5678 is the office", "[phone] is the office"),
    ("US office: (555) 123-4567", "US office: [phone]"),
    ("call 555-123-4567 tomorrow", "call [phone] tomorrow"),
    ("call 1-555-123-4567 tomorrow", "call [phone] tomorrow"),
    ("call 555-1234 5 times", "call [phone] 5 times"),
    ("exported contact 2348031234567", "exported contact [phone]"),
    ("On 2026-11-02 0803 123 4567 called twice", "On 2026-11-02 [phone] called twice"),
    ("At 10:15 08031234567 answered", "At 10:15 [phone] answered"),
    ("Customer: 0803 123 4567", "Customer: [phone]"),
    // --- secrets -----------------------------------------------------------
    ("token=abc123def456ghi789", "token=[secret]"),
    ("password: hunter2 was shared in chat", "password: [secret] was shared in chat"),
    ("api_key=sk_live_51HxYzAbCdEfGhIjKlMn", "api_key=[secret]"),
    ("X-API-Key: 12345abcde", "X-API-Key: [secret]"),
    ("refresh_token=abcdef123 expired", "refresh_token=[secret] expired"),
    (r#"{"password": "s3cr3t!"}"#, r#"{"password": "[secret]"}"#),
    ("https://x.io/reset?token=abc123&user=9", "https://x.io/reset?token=[secret]&user=9"),
    ("PIN: 4421 given over the phone", "PIN: [secret] given over the phone"),
    ("OTP=889201", "OTP=[secret]"),
    ("Use key sk-proj-AbCdEfGhIjKlMnOpQrStUv123", "Use key [secret]"),
    ("Authorization: Bearer abcdef0123456789abcdef", "Authorization: Bearer [secret]"),
    ("header Basic dXNlcjpwYXNzd29yZA==", "header Basic [secret]"),
    (
        "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.sflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c here",
        "jwt [secret] here",
    ),
    ("AWS key AKIAIOSFODNN7EXAMPLE leaked", "AWS key [secret] leaked"),
    ("github ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ012345", "github [secret]"),
    ("session 9f8e7d6c5b4a39281706f5e4d3c2b1a0 expired", "session [secret] expired"),
    ("session_id=9f8e7d6c5b4a39281706f5e4d3c2b1a0", "session_id=[secret]"),
    ("key Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA== rotated", "key [secret] rotated"),
    // --- account, customer and invoice ids ---------------------------------
    ("Suspended account 10023456 for non-payment", "Suspended account [account-id] for non-payment"),
    ("acct #A-99812 migrated", "acct #[account-id] migrated"),
    ("Account No: 0123456789 credited", "Account No: [account-id] credited"),
    ("Moved to ACCT-7781 yesterday", "Moved to [account-id] yesterday"),
    ("customer ID CUS-0042 called", "customer ID [customer-id] called"),
    ("Customer #77812 reported an outage", "Customer #[customer-id] reported an outage"),
    ("Linked to CUST-00981", "Linked to [customer-id]"),
    ("subscriber no. 55120 upgraded", "subscriber no. [customer-id] upgraded"),
    ("Refund INV-2026-00123 today", "Refund [invoice-id] today"),
    ("invoice #88123 was paid twice", "invoice #[invoice-id] was paid twice"),
    ("Invoice number: 2026/0042 disputed", "Invoice number: [invoice-id] disputed"),
    ("resent invoice INV-77 by mail", "resent invoice [invoice-id] by mail"),
    // --- addresses ---------------------------------------------------------
    ("Installed at 12 Adeola Odeku Street today", "Installed at [address] today"),
    ("Visit 45B Allen Avenue, Ikeja", "Visit [address]"),
    ("Lives at 221B Baker St. Then left", "Lives at [address]. Then left"),
    ("Plot 5 Road 3, Lekki", "[address]"),
    ("Moved to 7 Admiralty Way", "Moved to [address]"),
    ("Site: No. 14, Bode Thomas Street, Surulere, Lagos (gate 2)", "Site: [address] (gate 2)"),
    ("fibre cut near plot 12, block 4", "fibre cut near [address]"),
    // --- cards -------------------------------------------------------------
    ("Card 4111 1111 1111 1111 was declined", "Card [card] was declined"),
    ("paid with 5500-0000-0000-0004", "paid with [card]"),
    ("card 4012888888881881 on file", "card [card] on file"),
    ("Amex 3782 822463 10005 charged", "Amex [card] charged"),
    ("card 4111 1111 1111 1111 2026 expiry", "card [card] 2026 expiry"),
    ("old visa 4222222222222", "old visa [card]"),
    // --- IBANs -------------------------------------------------------------
    ("IBAN GB82 WEST 1234 5698 7654 32 for refunds", "IBAN [iban] for refunds"),
    ("IBAN GB82 WEST 1234 5698 7654 32 FOR refunds", "IBAN [iban] FOR refunds"),
    ("transfer to DE89370400440532013000", "transfer to [iban]"),
    ("Malta MT84MALT011000012345MTLCAST001S", "Malta [iban]"),
    // --- several at once ---------------------------------------------------
    ("Email jane@x.io or call 08031234567", "Email [email] or call [phone]"),
    (
        "Customer #1200 at 3 Marina Road paid invoice #991 by card 4111111111111111",
        "Customer #[customer-id] at [address] paid invoice #[invoice-id] by card [card]",
    ),
    (
        "Ada (ada@x.ng, +234 803 123 4567) shared password=letmein1 and acct 10023456",
        "Ada ([email], [phone]) shared password=[secret] and acct [account-id]",
    ),
    // --- negatives: these stay exactly as they are -------------------------
    ("Resolved ticket #1042 within SLA", "Resolved ticket #1042 within SLA"),
    ("Follow-up on T-1042, T-100042 and WO-100077", "Follow-up on T-1042, T-100042 and WO-100077"),
    ("Escalated TCK-2026-000123 to L2", "Escalated TCK-2026-000123 to L2"),
    ("Visit scheduled 2026-11-02 between 10:15 and 11:30", "Visit scheduled 2026-11-02 between 10:15 and 11:30"),
    ("Due 02.11.2026, moved to 03/11/2026", "Due 02.11.2026, moved to 03/11/2026"),
    ("Resolved at 2026-11-02T10:15:00Z", "Resolved at 2026-11-02T10:15:00Z"),
    ("Took 45 minutes to restore service", "Took 45 minutes to restore service"),
    ("Open for 3 days 4 hours", "Open for 3 days 4 hours"),
    ("Quoted NGN 25,000 for the upgrade", "Quoted NGN 25,000 for the upgrade"),
    ("Refunded $1,250.50 to the customer", "Refunded $1,250.50 to the customer"),
    ("Deal worth NGN 1,250,000.00 closed", "Deal worth NGN 1,250,000.00 closed"),
    ("Paid ₦2500000 in cash", "Paid ₦2500000 in cash"),
    ("Firmware v2.3.1 fixed the drops", "Firmware v2.3.1 fixed the drops"),
    ("Windows 10.0.19045.3693 on the laptop", "Windows 10.0.19045.3693 on the laptop"),
    ("Packet loss fell to 0.5% after the fix", "Packet loss fell to 0.5% after the fix"),
    ("CSAT 98.75% this week, up 12%", "CSAT 98.75% this week, up 12%"),
    ("Upgraded from 50 Mbps to 100 Mbps", "Upgraded from 50 Mbps to 100 Mbps"),
    ("Plans between 200-1000 Mbps", "Plans between 200-1000 Mbps"),
    ("Signal improved from -72 to -58 dBm", "Signal improved from -72 to -58 dBm"),
    ("Replaced ONT model HG8245H5", "Replaced ONT model HG8245H5"),
    ("Ordered SKU-ABC123-DEF456-GHI789", "Ordered SKU-ABC123-DEF456-GHI789"),
    ("Record 3f2b8c1e-9d4a-4e6b-8f7a-1c2d3e4f5a6b updated", "Record 3f2b8c1e-9d4a-4e6b-8f7a-1c2d3e4f5a6b updated"),
    ("Router at 192.168.1.10 rebooted", "Router at 192.168.1.10 rebooted"),
    ("The customer account was suspended by mistake", "The customer account was suspended by mistake"),
    ("Checked the account 3 times", "Checked the account 3 times"),
    ("Invoice was sent late; apologised", "Invoice was sent late; apologised"),
    ("INVALID-2 state cleared", "INVALID-2 state cleared"),
    ("Ran basic troubleshooting steps", "Ran basic troubleshooting steps"),
    ("The token bucket was reset", "The token bucket was reset"),
    ("Password reset link sent", "Password reset link sent"),
    ("Serial 48575443 registered", "Serial 48575443 registered"),
    ("Scores 85 90 78 88 this month", "Scores 85 90 78 88 this month"),
    ("Merged tickets 1042 1043", "Merged tickets 1042 1043"),
    ("Three visits over 2 weeks", "Three visits over 2 weeks"),
    ("Used 120 m of fiber and 4 connectors", "Used 120 m of fiber and 4 connectors"),
    ("Handled 3 Escalated Tickets today", "Handled 3 Escalated Tickets today"),
    ("Project PRJ-12 milestone 3 done", "Project PRJ-12 milestone 3 done"),
    ("Rebooted the router; all good.", "Rebooted the router; all good."),
    ("Customer wants a callback tomorrow morning", "Customer wants a callback tomorrow morning"),
    ("SLA due at 14:00 UTC", "SLA due at 14:00 UTC"),
    ("Order 1234567890123 is not a card", "Order 1234567890123 is not a card"),
    ("Random 4111111111111112 fails Luhn", "Random 4111111111111112 fails Luhn"),
    (
        "Reference DE00370400440532013000 fails the IBAN checksum",
        "Reference DE00370400440532013000 fails the IBAN checksum",
    ),
    ("Speed test: 94.6 down / 48.2 up", "Speed test: 94.6 down / 48.2 up"),
    ("ProductionDeploymentV2Release went out", "ProductionDeploymentV2Release went out"),
    ("", ""),
    ("Ñandú café résumé 🚀", "Ñandú café résumé 🚀"),
];

#[test]
fn the_corpus_holds_at_least_seventy_cases() {
    assert!(CORPUS.len() >= 70, "{} cases", CORPUS.len());
    let negatives = CORPUS.iter().filter(|(input, expected)| input == expected).count();
    assert!(negatives >= 30, "{negatives} negative cases");
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
fn every_class_has_a_positive_case() {
    for placeholder in [
        "[email]",
        "[phone]",
        "[secret]",
        "[account-id]",
        "[customer-id]",
        "[invoice-id]",
        "[address]",
        "[card]",
        "[iban]",
    ] {
        assert!(CORPUS.iter().any(|(_, expected)| expected.contains(placeholder)), "no case for {placeholder}");
    }
}

#[test]
fn redaction_is_idempotent() {
    for (input, _) in CORPUS {
        let once = redact(input);
        assert_eq!(redact(&once), once, "second pass changed {input:?}");
    }
}

#[test]
fn redaction_is_idempotent_over_joined_cases() {
    // Joining two cases puts new neighbours next to each placeholder.
    for (a, _) in CORPUS {
        for (b, _) in CORPUS {
            for joined in [format!("{a} {b}"), format!("{a}{b}"), format!("{a}-{b}"), format!("{a}.{b}")] {
                let once = redact(&joined);
                assert_eq!(redact(&once), once, "second pass changed {joined:?}");
            }
        }
    }
}

#[test]
fn redaction_is_deterministic() {
    for (input, _) in CORPUS {
        assert_eq!(redact(input), redact(input));
    }
}

#[test]
fn empty_input_stays_empty() {
    assert_eq!(redact(""), "");
    assert_eq!(redact_and_truncate("", 10), "");
    assert_eq!(redact_and_truncate("", 0), "");
}

#[test]
fn truncation_counts_characters_and_marks_the_cut() {
    assert_eq!(redact_and_truncate("short", 10), "short");
    assert_eq!(redact_and_truncate("abcdefghij", 10), "abcdefghij");
    assert_eq!(redact_and_truncate("abcdefghijk", 10), "abcdefghi…");
    assert_eq!(redact_and_truncate("abcdefghijk", 1), "…");
    assert_eq!(redact_and_truncate("anything", 0), "");
}

#[test]
fn truncation_is_safe_on_multibyte_text() {
    assert_eq!(redact_and_truncate("ñññññññññññ", 5), "ññññ…");
    assert_eq!(redact_and_truncate("🚀🚀🚀🚀", 3), "🚀🚀…");
    assert_eq!(redact_and_truncate("🚀🚀🚀", 3), "🚀🚀🚀");
    assert_eq!(redact_and_truncate("Ñandú café résumé 🚀", 12), "Ñandú café…");
    for max in 0..30 {
        let out = redact_and_truncate("señor 👍🏽 llamó a jane@x.io ✅ mañana", max);
        assert!(out.chars().count() <= max, "{max}: {out:?}");
    }
}

#[test]
fn truncation_never_splits_a_placeholder() {
    // "Mail [email] now": a cut after 8 characters falls inside "[email]".
    assert_eq!(redact_and_truncate("Mail jane@x.io now", 9), "Mail…");
    assert_eq!(redact_and_truncate("Mail jane@x.io now", 13), "Mail [email]…");
    assert_eq!(redact_and_truncate("Mail jane@x.io now", 12), "Mail…");
    let text = "Ada: ada@x.ng, 08031234567, card 4111111111111111, acct 10023456";
    for max in 0..80 {
        let out = redact_and_truncate(text, max);
        assert!(out.chars().count() <= max, "{max}: {out:?}");
        let opened = out.matches('[').count();
        assert_eq!(opened, out.matches(']').count(), "{max}: split placeholder in {out:?}");
    }
}

#[test]
fn truncation_applies_after_redaction() {
    let long = format!("{} {}", "x".repeat(10), "call +234 803 123 4567");
    assert_eq!(redact_and_truncate(&long, 600), "xxxxxxxxxx call [phone]");
    // Counted on the redacted text: 23 characters fit although the raw text has 33.
    assert_eq!(long.chars().count(), 33);
    assert_eq!(redact_and_truncate(&long, 23), "xxxxxxxxxx call [phone]");
    assert_eq!(redact_and_truncate(&long, 22), "xxxxxxxxxx call…");
}

#[test]
fn truncation_never_leaks_what_redaction_removes() {
    let text = "Call +234 803 123 4567 or write to jane.doe@example.com";
    for max in 0..60 {
        let out = redact_and_truncate(text, max);
        assert!(!out.contains("803") && !out.contains("jane"), "{max}: {out:?}");
    }
}

#[test]
fn digits_of_other_scripts_never_break_redaction() {
    // Found by the rules-coach property test: `\d` matches any script's digits, and the phone
    // scan counted ASCII digits only. Arabic-Indic, Devanagari and fullwidth digits, alone and
    // mixed with ASCII ones, in the shapes of phones, cards, ids and addresses.
    for text in [
        "٣",
        "call ٠٨٠٣ ١٢٣ ٤٥٦٧ now",
        "+٢٣٤ 803 123 4567",
        "card ४१११ ११११ ११११ ११११",
        "acct ０１２３４５６７",
        "12٣ Adeola Odeku Street",
        "1٢3-4٥6",
    ] {
        let once = redact(text);
        assert_eq!(redact(&once), once, "{text}");
        assert!(redact_and_truncate(text, 8).chars().count() <= 8, "{text}");
    }
    assert_eq!(redact("call +234 ٣ 803 123 4567"), "call +234 ٣ [phone]");
}
