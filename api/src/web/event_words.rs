//! One stored event read for a manager (issue 15, item 12): what happened in
//! words, the CRM reference it is about, the metrics of the domain it feeds
//! (per the metric contract, `docs/scoring.md`) and whether it is a miss.
//! The fold does not keep a per-event contribution, so no points are
//! claimed here: an event names the metrics it feeds and the fact it
//! carries (a resolution time, a rating), never a number of points.

use perfledger_domain::format;
use perfledger_domain::scoring::Domain;
use serde_json::Value;

/// What the events page shows for one event.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EventWords {
    /// "Resolved ticket #1042 in 95 min, within its SLA".
    pub what: String,
    /// "Ticket #1042"; empty when the event names no entity.
    pub reference: String,
    /// The metric keys of the domain this event feeds.
    pub metrics: Vec<&'static str>,
    /// Why this event counts against the score ("SLA missed", …); empty when it does not.
    pub misses: Vec<String>,
}

/// A CSAT rating at or below this is a miss ("low CSAT").
pub const LOW_RATING: u64 = 2;

fn text<'a>(data: &'a Value, key: &str) -> Option<&'a str> {
    data.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

fn number(data: &Value, key: &str) -> Option<f64> {
    match data.get(key)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn flag(data: &Value, key: &str) -> Option<bool> {
    data.get(key).and_then(Value::as_bool)
}

/// "43 min", "6 h 38 min": the one duration format ([`format::minutes`]).
fn minutes(value: f64) -> String {
    format::minutes(format::decimal_of(value))
}

/// The key of the entity id in an event's data (`ticket_id`, …) and its noun.
fn entity(event_type: &str) -> (&'static str, &'static str) {
    match event_type.split('.').next().unwrap_or_default() {
        "ticket" => ("ticket_id", "Ticket"),
        "task" => ("task_id", "Task"),
        "work_order" => ("work_order_id", "Work order"),
        "conversation" => ("conversation_id", "Conversation"),
        "lead" => ("lead_id", "Lead"),
        "quote" => ("quote_id", "Quote"),
        "contact" => ("contact_id", "Contact"),
        "organization" => ("organization_id", "Organisation"),
        _ => ("", ""),
    }
}

/// The entity an event is about (`ticket_id`'s value, …) and the reference
/// people read ("#1042") when the event carries one: only some events do,
/// so the page lends it to the others about the same entity.
pub fn entity_reference<'a>(event_type: &str, data: &'a Value) -> (Option<&'a str>, Option<&'a str>) {
    (text(data, entity(event_type).0), text(data, "reference"))
}

/// "Ticket #1042" from the event's reference (or one known for its entity), or its entity id.
fn reference(noun: &str, data: &Value, id_key: &str, known: Option<&str>) -> String {
    match text(data, "reference").or(known).or_else(|| text(data, id_key)) {
        Some(r) => format!("{noun} {r}"),
        None => String::new(),
    }
}

/// Reads one event credited to a person in `domain`. `team_first_response`
/// is the team's mean first response in the period (a slower reply is a
/// late response); `known_reference` the reference of its entity, when
/// another event told it.
pub fn describe(
    domain: Domain,
    event_type: &str,
    data: &Value,
    team_first_response: Option<f64>,
    known_reference: Option<&str>,
) -> EventWords {
    use Domain::*;
    let mut w = EventWords::default();
    let (id_key, noun) = entity(event_type);
    w.reference = reference(noun, data, id_key, known_reference);
    let feeds = |keys: &[&'static str], w: &mut EventWords| w.metrics.extend_from_slice(keys);
    match (domain, event_type) {
        (Support, "ticket.opened") => w.what = "Ticket opened with them as assignee".into(),
        (Support, "ticket.assigned") => w.what = "Ticket assigned to them".into(),
        (Support, "ticket.escalated") => {
            w.what = match text(data, "reason") {
                Some(reason) => format!("Ticket escalated: {reason}"),
                None => "Ticket escalated".into(),
            };
            w.misses.push("escalation".into());
            feeds(&["escalation_rate"], &mut w); // counted when the ticket is resolved
        }
        (Support, "ticket.resolved") => {
            let mut what = "Resolved the ticket".to_string();
            if let Some(m) = number(data, "resolution_minutes") {
                what.push_str(&format!(" in {}", minutes(m)));
            }
            match flag(data, "sla_met") {
                Some(true) => what.push_str(", within its SLA"),
                Some(false) => {
                    what.push_str(", after its SLA deadline");
                    w.misses.push("SLA breach".into());
                }
                None => what.push_str(" (no SLA set)"),
            }
            if flag(data, "ever_escalated") == Some(true) {
                what.push_str("; it had been escalated");
                w.misses.push("escalated".into());
            }
            w.what = what;
            if flag(data, "sla_met").is_some() {
                feeds(&["sla_compliance_rate"], &mut w);
            }
            feeds(&["avg_resolution_minutes", "escalation_rate"], &mut w);
        }
        (Support, "ticket.rated") => {
            let rating = number(data, "rating").unwrap_or(0.0) as u64;
            w.what = format!("Customer rated the resolution {rating} of 5");
            if rating <= LOW_RATING {
                w.misses.push("low CSAT".into());
            }
            feeds(&["csat_avg_rating"], &mut w);
        }
        (Operations, "task.created") | (Operations, "task.assigned") => {
            w.what = if event_type == "task.created" {
                "Task created with them as assignee".into()
            } else {
                "Task assigned to them".into()
            };
            feeds(&["completion_rate", "blocked_rate"], &mut w);
        }
        (Operations, "task.blocked") => {
            w.what = "Task blocked".into();
            w.misses.push("blocked".into());
            feeds(&["blocked_rate"], &mut w);
        }
        (Operations, "task.unblocked") => {
            w.what = "Task unblocked".into();
            feeds(&["blocked_rate"], &mut w);
        }
        (Operations, "task.canceled") => {
            w.what = "Task canceled".into();
            feeds(&["blocked_rate"], &mut w);
        }
        (Operations, "task.completed") => {
            let mut what = "Completed the task".to_string();
            feeds(&["completion_rate"], &mut w);
            match flag(data, "on_time") {
                Some(true) => what.push_str(" on time"),
                Some(false) => {
                    what.push_str(" after its due date");
                    w.misses.push("late".into());
                }
                None => {}
            }
            if flag(data, "on_time").is_some() {
                feeds(&["on_time_rate"], &mut w);
            }
            if let Some(a) = number(data, "effort_accuracy") {
                what.push_str(&format!("; effort estimate {:.0} % accurate", a * 100.0));
                feeds(&["effort_accuracy"], &mut w);
            }
            feeds(&["blocked_rate"], &mut w);
            w.what = what;
        }
        (FieldService, "work_order.created") | (FieldService, "work_order.assigned") => {
            w.what = if event_type == "work_order.created" {
                "Work order created with them as assignee".into()
            } else {
                "Work order assigned to them".into()
            };
            feeds(&["completion_rate"], &mut w);
        }
        (FieldService, "work_order.started") => w.what = "Work order started".into(),
        (FieldService, "work_order.canceled") => w.what = "Work order canceled".into(),
        (FieldService, "work_order.note_added") => w.what = "Added a note to the work order".into(),
        (FieldService, "work_order.completed") => {
            let mut what = "Completed the work order".to_string();
            feeds(&["completion_rate"], &mut w);
            if let Some(delay) = number(data, "delay_minutes") {
                if delay > 0.0 {
                    what.push_str(&format!(" {} after the scheduled end", minutes(delay)));
                    w.misses.push("late".into());
                } else {
                    what.push_str(" by the scheduled end");
                }
                feeds(&["avg_delay_minutes"], &mut w);
            }
            if let Some(a) = number(data, "duration_accuracy") {
                what.push_str(&format!("; duration estimate {:.0} % accurate", a * 100.0));
                feeds(&["duration_accuracy"], &mut w);
            }
            if flag(data, "has_notes") == Some(false) {
                what.push_str("; no notes");
                w.misses.push("no notes".into());
            }
            feeds(&["documentation_rate"], &mut w);
            w.what = what;
        }
        (Communication, "conversation.assigned") => {
            w.what = "Conversation assigned to them".into();
            feeds(&["channel_coverage"], &mut w);
        }
        (Communication, "conversation.message_sent") => {
            match number(data, "first_response_minutes") {
                Some(m) => {
                    w.what = format!("Replied to the customer after {}", minutes(m));
                    if team_first_response.is_some_and(|team| m > team) {
                        w.misses.push("late response".into());
                        w.what.push_str(&format!(
                            ", slower than the team's average of {}",
                            minutes(team_first_response.unwrap_or_default())
                        ));
                    }
                    feeds(&["avg_first_response_minutes"], &mut w);
                }
                None => w.what = "Sent a message".into(),
            }
            feeds(&["channel_coverage"], &mut w);
        }
        (Communication, "conversation.resolved") => {
            w.what = match number(data, "resolution_minutes") {
                Some(m) => format!("Resolved the conversation in {}", minutes(m)),
                None => "Resolved the conversation".into(),
            };
            feeds(&["avg_resolution_minutes", "conversations_resolved"], &mut w);
        }
        (Sales, "lead.created") | (Sales, "lead.assigned") => {
            w.what = match text(data, "estimated_value")
                .map(String::from)
                .or_else(|| number(data, "estimated_value").map(|v| format!("{v:.2}")))
            {
                Some(v) => format!("Lead in their pipeline, estimated at {v}"),
                None => "Lead in their pipeline".into(),
            };
            feeds(&["pipeline_value"], &mut w);
        }
        (Sales, "lead.contacted") => {
            w.what = match text(data, "channel") {
                Some(c) => format!("Contacted the lead by {c}"),
                None => "Contacted the lead".into(),
            };
            feeds(&["lead_contacts"], &mut w);
        }
        (Sales, "lead.won") => {
            w.what = "Lead won".into();
            feeds(&["win_rate"], &mut w);
        }
        (Sales, "lead.lost") => {
            w.what = match text(data, "reason") {
                Some(r) => format!("Lead lost: {r}"),
                None => "Lead lost".into(),
            };
            w.misses.push("lost".into());
            feeds(&["win_rate"], &mut w);
        }
        (Sales, "quote.sent") => {
            w.what = "Sent a quote".into();
            feeds(&["quote_acceptance_rate"], &mut w);
        }
        (Sales, "quote.accepted") => {
            w.what = "Quote accepted".into();
            feeds(&["quote_acceptance_rate"], &mut w);
        }
        (Sales, "quote.rejected") | (Sales, "quote.expired") => {
            w.what = if event_type == "quote.rejected" { "Quote rejected".into() } else { "Quote expired".into() };
            w.misses.push("not accepted".into());
        }
        (DataQuality, "contact.saved") | (DataQuality, "organization.saved") => {
            let filled = data.get("filled").and_then(Value::as_array).map_or(0, Vec::len);
            let what = if event_type == "contact.saved" { "Saved a contact" } else { "Saved an organisation" };
            w.what = format!("{what} with {filled} field{} filled", if filled == 1 { "" } else { "s" });
            feeds(
                &[if event_type == "contact.saved" { "contact_completeness" } else { "organization_completeness" }],
                &mut w,
            );
        }
        (DataQuality, "ticket.commented") | (DataQuality, "work_order.note_added") => {
            let chars = number(data, "body_chars").unwrap_or(0.0);
            w.what = format!(
                "Wrote a {chars:.0}-character {}",
                if event_type == "ticket.commented" { "comment" } else { "note" }
            );
            feeds(&["note_thoroughness"], &mut w);
        }
        (DataQuality, "ticket.resolved") | (DataQuality, "conversation.resolved") => {
            let tags = number(data, "tag_count").unwrap_or(0.0);
            let what = if event_type == "ticket.resolved" { "Resolved a ticket" } else { "Resolved a conversation" };
            if tags > 0.0 {
                w.what = format!("{what} with {tags:.0} tag{}", if tags == 1.0 { "" } else { "s" });
            } else {
                w.what = format!("{what} without tags");
                w.misses.push("untagged".into());
            }
            feeds(&["tagging_rate"], &mut w);
        }
        (_, other) => w.what = other.replace(['.', '_'], " "),
    }
    w
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_resolution_past_its_sla_is_a_miss_and_feeds_three_metrics() {
        let data = json!({"ticket_id": "T-1", "reference": "#1042", "resolution_minutes": 398, "sla_met": false,
                          "ever_escalated": true, "tag_count": 0});
        let w = describe(Domain::Support, "ticket.resolved", &data, None, None);
        assert_eq!(w.what, "Resolved the ticket in 6 h 38 min, after its SLA deadline; it had been escalated");
        assert_eq!(w.reference, "Ticket #1042");
        assert_eq!(w.metrics, ["sla_compliance_rate", "avg_resolution_minutes", "escalation_rate"]);
        assert_eq!(w.misses, ["SLA breach", "escalated"]);
        // The same event read for data quality: tagging only.
        let dq = describe(Domain::DataQuality, "ticket.resolved", &data, None, None);
        assert_eq!(
            (dq.metrics.as_slice(), dq.misses.as_slice()),
            (&["tagging_rate"][..], &["untagged".to_string()][..])
        );
    }

    #[test]
    fn low_ratings_and_late_replies_are_misses() {
        let low = describe(Domain::Support, "ticket.rated", &json!({"ticket_id": "T-1", "rating": 2}), None, None);
        assert_eq!(low.misses, ["low CSAT"]);
        let fine = describe(Domain::Support, "ticket.rated", &json!({"ticket_id": "T-1", "rating": 4}), None, None);
        assert!(fine.misses.is_empty());
        let data = json!({"conversation_id": "C-9", "first_response_minutes": "42.5", "channel": "email"});
        let late = describe(Domain::Communication, "conversation.message_sent", &data, Some(30.0), None);
        assert_eq!(late.misses, ["late response"]);
        assert!(
            late.what.contains("after 42.5 min") && late.what.contains("team's average of 30 min"),
            "{}",
            late.what
        );
        assert_eq!(late.reference, "Conversation C-9");
        let quick = describe(Domain::Communication, "conversation.message_sent", &data, Some(60.0), None);
        assert!(quick.misses.is_empty());
        assert_eq!(quick.metrics, ["avg_first_response_minutes", "channel_coverage"]);
    }

    #[test]
    fn every_fed_metric_is_a_metric_of_its_domain() {
        let cases = [
            (Domain::Operations, "task.completed", json!({"task_id": "K", "on_time": false, "effort_accuracy": 0.5})),
            (
                Domain::FieldService,
                "work_order.completed",
                json!({"work_order_id": "W", "delay_minutes": 12, "duration_accuracy": 0.9, "has_notes": false}),
            ),
            (Domain::Sales, "lead.lost", json!({"lead_id": "L"})),
            (Domain::DataQuality, "contact.saved", json!({"contact_id": "P", "filled": ["email"]})),
        ];
        for (domain, kind, data) in cases {
            let w = describe(domain, kind, &data, None, None);
            assert_eq!(w.misses.is_empty(), kind == "contact.saved", "{kind}: {w:?}");
            for key in &w.metrics {
                assert!(
                    perfledger_domain::scoring::formulas::metric_max(domain, key).is_some(),
                    "{kind} feeds {key}, not a metric of {domain:?}"
                );
            }
        }
    }
}
