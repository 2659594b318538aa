//! Field rules of events-and-metrics.md §1 that serde's types cannot say:
//! lengths, ranges, non-negative amounts. Every failure names its field.

use std::fmt;

use rust_decimal::Decimal;

use crate::catalog::*;

/// Why one activity was refused: the field (a path such as `data.rating`)
/// and the reason, shown to the sender as `field: reason`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Rejection {
    pub field: String,
    pub reason: String,
}

impl Rejection {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Rejection { field: field.into(), reason: reason.into() }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

impl std::error::Error for Rejection {}

/// Limits of the catalog (§1) and the ones perfledger adds where it is silent
/// (docs/scoring.md "Input limits").
pub const MAX_EVENT_ID_CHARS: usize = 200;
pub const MAX_ENTITY_ID_CHARS: usize = 100;
pub const MAX_SUMMARY_CHARS: usize = 2_000;
pub const MAX_TEXT_CHARS: usize = 200;
pub const MAX_LIST_ITEMS: usize = 100;

/// The characters an id may hold: visible ones and the plain space. Ids are
/// keys in the log, in URLs and in COPY rows; a control character, another
/// kind of space (tab, no-break space, line separator) or an invisible
/// formatting character there is never what a CRM meant. The plain space
/// stays: CRMs build ids from names ("team-Back office").
pub const ID_CHARSET: &str =
    "visible characters and the plain space (no control characters, other spaces or invisible formatting characters)";

/// Whether `c` may stand in an id (see [`ID_CHARSET`]).
pub fn is_id_char(c: char) -> bool {
    c == ' ' || !(c.is_control() || c.is_whitespace() || is_invisible_format(c))
}

/// Unicode's invisible formatting characters (category Cf, the common
/// ones): zero-width spaces and joiners, direction marks and overrides,
/// the byte-order mark, the soft hyphen.
fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

/// The largest duration in hours (`estimate_hours`, `actual_hours`): about
/// 11 years. With [`MAX_DURATION_DP`] places, every ratio the projections
/// take of two durations (|actual − estimate| / estimate ≤ 10^11) and every
/// sum of them over a log of any realistic length stays far inside
/// `rust_decimal` (±7.9 × 10^28).
pub const MAX_HOURS: Decimal = Decimal::from_parts(100_000, 0, 0, false, 0);
/// The largest duration in minutes (`estimated_duration_minutes`): the same 11 years.
pub const MAX_MINUTES: Decimal = Decimal::from_parts(6_000_000, 0, 0, false, 0);
/// Decimal places a duration may carry (10^-6 h is 3.6 ms).
pub const MAX_DURATION_DP: u32 = 6;
/// The largest amount of money (`estimated_value`, `total`): 10^15 in the
/// CRM's currency. A sum over 10^13 such leads still fits.
pub const MAX_AMOUNT: Decimal = Decimal::from_parts(2_764_472_320, 232_830, 0, false, 0);
/// Decimal places an amount may carry.
pub const MAX_AMOUNT_DP: u32 = 4;
/// The largest `body_chars` of one comment or note.
pub const MAX_BODY_CHARS: u32 = 10_000_000;

pub trait Validate {
    fn validate(&self) -> Result<(), Rejection>;
}

fn chars(field: &str, value: &str, min: usize, max: usize) -> Result<(), Rejection> {
    let n = value.chars().count();
    if n < min || n > max {
        let reason = if n < min {
            format!("must not be empty (1–{max} characters)")
        } else {
            format!("is {n} characters long; at most {max} are allowed")
        };
        return Err(Rejection::new(format!("data.{field}"), reason));
    }
    Ok(())
}

/// The first control character of `value` that `allowed` does not let
/// through, as a reason naming it and where it is.
pub(crate) fn control_character(value: &str, allowed: &[char]) -> Option<String> {
    let (at, c) = value.chars().enumerate().find(|(_, c)| c.is_control() && !allowed.contains(c))?;
    Some(format!("must not contain control characters (found U+{:04X} at character {})", c as u32, at + 1))
}

/// One line of text: a name, a title, a tag, a reference. No control
/// characters at all (NUL among them, which PostgreSQL's jsonb refuses).
fn line(field: &str, value: &str, min: usize, max: usize) -> Result<(), Rejection> {
    chars(field, value, min, max)?;
    match control_character(value, &[]) {
        Some(reason) => Err(Rejection::new(format!("data.{field}"), reason)),
        None => Ok(()),
    }
}

/// The control characters free text keeps: tab, line feed, carriage return.
pub(crate) const FREE_TEXT_CONTROLS: &[char] = &['\t', '\n', '\r'];

/// Free text (a summary, a reason): tab, line feed and carriage return are
/// kept, any other control character is refused.
fn free_text(field: &str, value: &str, max: usize) -> Result<(), Rejection> {
    chars(field, value, 1, max)?;
    match control_character(value, FREE_TEXT_CONTROLS) {
        Some(reason) => Err(Rejection::new(format!("data.{field}"), reason)),
        None => Ok(()),
    }
}

/// Why `value` is not an id of at most `max` characters, if it is not.
pub fn id_problem(value: &str, max: usize) -> Option<String> {
    let n = value.chars().count();
    if n == 0 || n > max {
        return Some(format!("must be 1–{max} characters (got {n})"));
    }
    charset_problem(value)
}

fn charset_problem(value: &str) -> Option<String> {
    let (at, c) = value.chars().enumerate().find(|(_, c)| !is_id_char(*c))?;
    Some(format!("may hold {ID_CHARSET}; found U+{:04X} at character {}", c as u32, at + 1))
}

fn entity_id(field: &str, value: &str) -> Result<(), Rejection> {
    chars(field, value, 1, MAX_ENTITY_ID_CHARS)?;
    match charset_problem(value) {
        Some(reason) => Err(Rejection::new(format!("data.{field}"), reason)),
        None => Ok(()),
    }
}

fn opt_line(field: &str, value: &Option<String>, max: usize) -> Result<(), Rejection> {
    match value {
        Some(v) => line(field, v, 1, max),
        None => Ok(()),
    }
}

fn opt_free_text(field: &str, value: &Option<String>, max: usize) -> Result<(), Rejection> {
    match value {
        Some(v) => free_text(field, v, max),
        None => Ok(()),
    }
}

fn non_negative(field: &str, value: Option<Decimal>, what: &str) -> Result<(), Rejection> {
    match value {
        Some(v) if v.is_sign_negative() && !v.is_zero() => {
            Err(Rejection::new(format!("data.{field}"), format!("{what} must not be negative (got {v})")))
        }
        _ => Ok(()),
    }
}

/// A non-negative decimal of at most `max` with at most `dp` decimal places.
fn bounded(field: &str, value: Option<Decimal>, what: &str, max: Decimal, dp: u32) -> Result<(), Rejection> {
    non_negative(field, value, what)?;
    let Some(v) = value else { return Ok(()) };
    if v > max {
        return Err(Rejection::new(format!("data.{field}"), format!("{what} must be at most {max} (got {v})")));
    }
    if v.normalize().scale() > dp {
        return Err(Rejection::new(
            format!("data.{field}"),
            format!("{what} may have at most {dp} decimal places (got {v})"),
        ));
    }
    Ok(())
}

fn duration_hours(field: &str, value: Option<Decimal>) -> Result<(), Rejection> {
    bounded(field, value, "a duration", MAX_HOURS, MAX_DURATION_DP)
}

fn amount(field: &str, value: Decimal) -> Result<(), Rejection> {
    bounded(field, Some(value), "an amount", MAX_AMOUNT, MAX_AMOUNT_DP)
}

fn body_chars(value: u32) -> Result<(), Rejection> {
    if value > MAX_BODY_CHARS {
        return Err(Rejection::new("data.body_chars", format!("must be at most {MAX_BODY_CHARS} (got {value})")));
    }
    Ok(())
}

fn string_list(field: &str, values: &[String]) -> Result<(), Rejection> {
    if values.len() > MAX_LIST_ITEMS {
        return Err(Rejection::new(
            format!("data.{field}"),
            format!("has {} items; at most {MAX_LIST_ITEMS} are allowed", values.len()),
        ));
    }
    for (i, v) in values.iter().enumerate() {
        line(&format!("{field}[{i}]"), v, 1, MAX_ENTITY_ID_CHARS)?;
    }
    Ok(())
}

impl Validate for PersonUpserted {
    fn validate(&self) -> Result<(), Rejection> {
        line("display_name", &self.display_name, 1, MAX_TEXT_CHARS)?;
        opt_line("title", &self.title, MAX_TEXT_CHARS)
    }
}

impl Validate for PersonPermissionsSet {
    fn validate(&self) -> Result<(), Rejection> {
        string_list("roles", &self.roles)?;
        string_list("permissions", &self.permissions)
    }
}

impl Validate for TeamUpserted {
    fn validate(&self) -> Result<(), Rejection> {
        line("name", &self.name, 1, MAX_TEXT_CHARS)
    }
}

impl Validate for TeamMemberSet {
    fn validate(&self) -> Result<(), Rejection> {
        Ok(())
    }
}

impl Validate for TicketOpened {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("ticket_id", &self.ticket_id)?;
        opt_line("reference", &self.reference, MAX_ENTITY_ID_CHARS)?;
        opt_line("priority", &self.priority, MAX_ENTITY_ID_CHARS)?;
        opt_line("channel", &self.channel, MAX_ENTITY_ID_CHARS)
    }
}

impl Validate for TicketAssigned {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("ticket_id", &self.ticket_id)
    }
}

impl Validate for TicketEscalated {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("ticket_id", &self.ticket_id)?;
        opt_free_text("reason", &self.reason, MAX_SUMMARY_CHARS)
    }
}

impl Validate for TicketTagged {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("ticket_id", &self.ticket_id)?;
        string_list("tags", &self.tags)
    }
}

impl Validate for TicketCommented {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("ticket_id", &self.ticket_id)?;
        body_chars(self.body_chars)
    }
}

impl Validate for TicketResolved {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("ticket_id", &self.ticket_id)?;
        opt_free_text("summary", &self.summary, MAX_SUMMARY_CHARS)
    }
}

impl Validate for TicketReopened {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("ticket_id", &self.ticket_id)
    }
}

impl Validate for TicketRated {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("ticket_id", &self.ticket_id)?;
        if !(1..=5).contains(&self.rating) {
            return Err(Rejection::new("data.rating", format!("must be between 1 and 5 (got {})", self.rating)));
        }
        Ok(())
    }
}

impl Validate for TaskCreated {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("task_id", &self.task_id)?;
        entity_id("project_id", &self.project_id)?;
        opt_line("reference", &self.reference, MAX_ENTITY_ID_CHARS)?;
        duration_hours("estimate_hours", self.estimate_hours)
    }
}

impl Validate for TaskAssigned {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("task_id", &self.task_id)
    }
}

impl Validate for TaskRef {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("task_id", &self.task_id)
    }
}

impl Validate for TaskCompleted {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("task_id", &self.task_id)?;
        duration_hours("actual_hours", self.actual_hours)
    }
}

impl Validate for WorkOrderCreated {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("work_order_id", &self.work_order_id)?;
        opt_line("reference", &self.reference, MAX_ENTITY_ID_CHARS)?;
        bounded(
            "estimated_duration_minutes",
            self.estimated_duration_minutes,
            "a duration",
            MAX_MINUTES,
            MAX_DURATION_DP,
        )
    }
}

impl Validate for WorkOrderAssigned {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("work_order_id", &self.work_order_id)
    }
}

impl Validate for WorkOrderRef {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("work_order_id", &self.work_order_id)
    }
}

impl Validate for WorkOrderNoteAdded {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("work_order_id", &self.work_order_id)?;
        body_chars(self.body_chars)
    }
}

impl Validate for WorkOrderCompleted {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("work_order_id", &self.work_order_id)?;
        opt_free_text("summary", &self.summary, MAX_SUMMARY_CHARS)
    }
}

impl Validate for ConversationOpened {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("conversation_id", &self.conversation_id)?;
        opt_line("reference", &self.reference, MAX_ENTITY_ID_CHARS)
    }
}

impl Validate for ConversationAssigned {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("conversation_id", &self.conversation_id)
    }
}

impl Validate for ConversationRef {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("conversation_id", &self.conversation_id)
    }
}

impl Validate for ConversationMessageSent {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("conversation_id", &self.conversation_id)
    }
}

impl Validate for ConversationTagged {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("conversation_id", &self.conversation_id)?;
        string_list("tags", &self.tags)
    }
}

impl Validate for ConversationResolved {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("conversation_id", &self.conversation_id)?;
        opt_free_text("summary", &self.summary, MAX_SUMMARY_CHARS)
    }
}

impl Validate for LeadCreated {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("lead_id", &self.lead_id)?;
        opt_line("reference", &self.reference, MAX_ENTITY_ID_CHARS)?;
        amount("estimated_value", self.estimated_value)
    }
}

impl Validate for LeadAssigned {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("lead_id", &self.lead_id)
    }
}

impl Validate for LeadContacted {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("lead_id", &self.lead_id)?;
        line("channel", &self.channel, 1, MAX_ENTITY_ID_CHARS)
    }
}

impl Validate for LeadWon {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("lead_id", &self.lead_id)
    }
}

impl Validate for LeadLost {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("lead_id", &self.lead_id)?;
        opt_free_text("reason", &self.reason, MAX_SUMMARY_CHARS)
    }
}

impl Validate for QuoteSent {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("quote_id", &self.quote_id)?;
        if let Some(lead_id) = &self.lead_id {
            entity_id("lead_id", lead_id)?;
        }
        amount("total", self.total)
    }
}

impl Validate for QuoteRef {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("quote_id", &self.quote_id)
    }
}

impl Validate for ContactSaved {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("contact_id", &self.contact_id)?;
        string_list("filled", &self.filled)
    }
}

impl Validate for OrganizationSaved {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("organization_id", &self.organization_id)?;
        string_list("filled", &self.filled)
    }
}

/// When an activity may have happened (issue 14): from `earliest` to the time
/// of receipt plus `ahead`. A zero or far-off date from a careless CRM would
/// otherwise mark thousands of weeks for scoring; one from the far future
/// would sit in a week nobody reads. Timestamps inside `data` (due dates,
/// SLA deadlines, scheduled ends) may lie further ahead, up to
/// [`DATA_TIMESTAMP_AHEAD_DAYS`] after receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OccurredWindow {
    pub earliest: chrono::DateTime<chrono::Utc>,
    pub ahead: chrono::Duration,
}

/// How far after receipt a due date or deadline inside `data` may lie.
pub const DATA_TIMESTAMP_AHEAD_DAYS: i64 = 3_660;

impl Default for OccurredWindow {
    fn default() -> Self {
        OccurredWindow { earliest: Self::DEFAULT_EARLIEST, ahead: chrono::Duration::hours(24) }
    }
}

/// The first day of the default window, 2000-01-01: also the earliest day an
/// organisation or settings change marks weeks from (`projections::dirty`).
pub const DEFAULT_EARLIEST_DAY: chrono::NaiveDate = match chrono::NaiveDate::from_ymd_opt(2000, 1, 1) {
    Some(day) => day,
    None => panic!("2000-01-01 is a date"),
};

impl OccurredWindow {
    /// 2000-01-01T00:00:00Z: midnight of [`DEFAULT_EARLIEST_DAY`].
    pub const DEFAULT_EARLIEST: chrono::DateTime<chrono::Utc> = match chrono::DateTime::from_timestamp(946_684_800, 0) {
        Some(t) => t,
        None => panic!("2000-01-01 is a valid timestamp"),
    };

    /// Refuses an activity whose `occurred_at`, or a timestamp in its `data`,
    /// lies outside the window for an item received at `received_at`.
    pub fn check(
        &self,
        activity: &crate::event::Activity,
        received_at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), Rejection> {
        let latest = received_at.checked_add_signed(self.ahead).unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC);
        let at = activity.occurred_at;
        if at < self.earliest || at > latest {
            return Err(Rejection::new(
                "occurred_at",
                format!(
                    "must lie between {} and {} (the time of receipt plus {} h); got {}",
                    self.earliest.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    latest.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    self.ahead.num_hours(),
                    at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
                ),
            ));
        }
        let data_latest = received_at
            .checked_add_signed(chrono::Duration::days(DATA_TIMESTAMP_AHEAD_DAYS))
            .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC);
        if let Some((field, value)) = activity.data.timestamp() {
            if value < self.earliest || value > data_latest {
                return Err(Rejection::new(
                    format!("data.{field}"),
                    format!(
                        "must lie between {} and {} ({DATA_TIMESTAMP_AHEAD_DAYS} days after receipt); got {}",
                        self.earliest.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                        data_latest.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                        value.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
                    ),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod window_tests {
    #[test]
    fn the_default_window_starts_at_midnight_of_its_first_day() {
        let midnight = super::DEFAULT_EARLIEST_DAY.and_hms_opt(0, 0, 0).unwrap().and_utc();
        assert_eq!(super::OccurredWindow::DEFAULT_EARLIEST, midnight);
    }
}
