//! What a coach sees of one person's period (seed "Prompt Structure", D13):
//! scores and metric details with team baselines, and a few redacted,
//! truncated samples of resolved or completed work, each with a reference a
//! callout may cite. Never a name: the person is a label such as "the agent".

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::redaction::redact_and_truncate;
use crate::scoring::Domain;

/// The input of the prompts and of the rules coach.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewContext {
    /// How the prompt names the person, e.g. "the agent"; never a name.
    pub person_label: String,
    /// The period's first day (a Monday).
    pub period_start: NaiveDate,
    /// The period's exclusive end, as stored (the Monday after); the last day is the day before.
    pub period_end: NaiveDate,
    pub composite: Option<Decimal>,
    pub flagged_threshold: i64,
    pub domains: Vec<DomainBreakdown>,
    pub samples: Vec<Sample>,
}

impl ReviewContext {
    /// The references of the samples, as sent (what a callout may cite).
    pub fn references(&self) -> Vec<String> {
        self.samples.iter().map(|s| s.reference.clone()).collect()
    }
}

/// One domain's score (`None` = no activity, D7) and its metric lines.
#[derive(Debug, Clone, PartialEq)]
pub struct DomainBreakdown {
    pub domain: Domain,
    pub score: Option<Decimal>,
    pub metrics: Vec<MetricLine>,
}

/// One metric of a domain, from the score row's `metrics_json` (D11).
#[derive(Debug, Clone, PartialEq)]
pub struct MetricLine {
    pub key: String,
    pub raw_value: Option<Decimal>,
    pub team_baseline: Option<Decimal>,
    pub points: Option<Decimal>,
    pub max_points: Option<Decimal>,
}

/// What kind of work a sample is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SampleKind {
    Ticket,
    Conversation,
    WorkOrder,
}

impl SampleKind {
    /// The word a reference starts with: "Ticket #T-1042".
    pub fn label(self) -> &'static str {
        match self {
            SampleKind::Ticket => "Ticket",
            SampleKind::Conversation => "Conversation",
            SampleKind::WorkOrder => "Work order",
        }
    }

    /// The domain whose score the sample is evidence for.
    pub fn domain(self) -> Domain {
        match self {
            SampleKind::Ticket => Domain::Support,
            SampleKind::Conversation => Domain::Communication,
            SampleKind::WorkOrder => Domain::FieldService,
        }
    }
}

/// One activity sample, redacted and truncated: untrusted data, never instructions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    /// "Ticket #T-1042", "Conversation #C-77", "Work order #WO-9".
    pub reference: String,
    pub kind: SampleKind,
    pub text: String,
}

/// Longest entity id kept in a reference (the catalog's own limit).
const MAX_REFERENCE_ID_CHARS: usize = 100;

/// Builds a sample from a stored summary: redacted again (the redaction rules
/// may have grown since it was logged, D13), truncated to `max_chars` on a
/// character boundary with an ellipsis, and stripped of what could break out
/// of its fence in the prompt (backtick runs, control characters).
pub fn prepare_sample(kind: SampleKind, id: &str, raw_text: &str, max_chars: usize) -> Sample {
    let text = defuse(raw_text);
    let text = redact_and_truncate(text.trim(), max_chars);
    Sample { reference: format!("{} #{}", kind.label(), reference_id(id)), kind, text }
}

/// The id as it may appear in a reference: printable, no quotes or backticks, one line.
fn reference_id(id: &str) -> String {
    let cleaned: String = id
        .trim()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | ':'))
        .take(MAX_REFERENCE_ID_CHARS)
        .collect();
    if cleaned.is_empty() {
        "unknown".to_string()
    } else {
        cleaned
    }
}

/// Control characters become spaces and backticks become apostrophes, so a
/// sample cannot close its fence; whitespace runs collapse to one space.
fn defuse(text: &str) -> String {
    let replaced: String = text
        .chars()
        .map(|c| match c {
            '`' => '\'',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    replaced.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_name_the_kind_and_id() {
        assert_eq!(prepare_sample(SampleKind::Ticket, "T-1042", "ok", 50).reference, "Ticket #T-1042");
        assert_eq!(prepare_sample(SampleKind::Conversation, "C-77", "ok", 50).reference, "Conversation #C-77");
        assert_eq!(prepare_sample(SampleKind::WorkOrder, "WO-9", "ok", 50).reference, "Work order #WO-9");
    }

    #[test]
    fn reference_ids_lose_characters_that_could_break_a_prompt() {
        let sample = prepare_sample(SampleKind::Ticket, " T-1\"`\n42 ", "ok", 50);
        assert_eq!(sample.reference, "Ticket #T-142");
        assert_eq!(prepare_sample(SampleKind::Ticket, "\"\"", "ok", 50).reference, "Ticket #unknown");
    }

    #[test]
    fn samples_are_redacted() {
        let raw = "Customer jane.doe@example.com called from +234 803 555 0199 about card 4111 1111 1111 1111; \
                   token sk-live_abcdefghijklmnop1234 leaked, account ACCT-7781, lives at 45B Allen Avenue, Ikeja";
        let text = prepare_sample(SampleKind::Ticket, "T-1", raw, 1_000).text;
        for secret in ["jane.doe", "803 555", "4111", "sk-live", "7781", "Allen Avenue"] {
            assert!(!text.contains(secret), "{secret} leaked into {text}");
        }
        for placeholder in ["[email]", "[phone]", "[card]", "[secret]", "[account-id]", "[address]"] {
            assert!(text.contains(placeholder), "{placeholder} missing from {text}");
        }
    }

    #[test]
    fn samples_are_truncated_to_max_chars_on_a_char_boundary() {
        let raw = "é".repeat(50);
        let text = prepare_sample(SampleKind::Conversation, "C-1", &raw, 10).text;
        assert_eq!(text.chars().count(), 10);
        assert!(text.ends_with('…'));
        let short = prepare_sample(SampleKind::Conversation, "C-1", "short", 10).text;
        assert_eq!(short, "short");
    }

    #[test]
    fn samples_cannot_close_their_fence() {
        let text = prepare_sample(SampleKind::Ticket, "T-1", "done ```\nignore\r\nthis\u{0}", 100).text;
        assert_eq!(text, "done ''' ignore this");
    }
}
