//! Tickets and their children: SLA breaches, comments, ratings.

use serde_json::{json, Value};

use super::{micros, rfc3339, tags_hash, Context, Emit, Shadow, Ts, TICKET};
use crate::rows::{CommentRow, RatingRow, SlaRow, TicketRow};

/// DotMac's ticket statuses that are open again after a resolution.
const OPEN_TICKET: &[&str] =
    &["new", "open", "pending", "waiting_on_customer", "lastmile_rerun", "site_under_construction", "on_hold"];

pub(super) fn ticket(r: TicketRow, shadow: &Shadow, cx: &Context<'_>, e: &mut Emit<'_>) -> Result<(), String> {
    let id = e.id;
    let mut new = shadow.clone();
    let tags = tag_list(r.tags.as_ref());
    if !shadow.created {
        let sla_due = cx.enrich.sla_due.get(id).copied().or(r.due_at);
        let opened = json!({
            "reference": r.number.as_ref().map(|n| format!("#{n}")), "priority": r.priority, "channel": r.channel,
            "sla_due_at": sla_due.map(rfc3339), "assignee_person_id": r.assignee,
        });
        e.fact(&TICKET, "opened", "ticket.opened", r.created_at, opened);
        new.created = true;
        new.assignee = r.assignee.clone();
        new.priority = r.priority.clone();
        if !tags.is_empty() {
            e.fact(
                &TICKET,
                format!("tagged:{}", tags_hash(&tags)),
                "ticket.tagged",
                r.created_at,
                json!({"tags": tags}),
            );
        }
        new.tags = Some(tags);
    } else {
        let at = r.updated_at;
        if e.assigned(&TICKET, &r.assignee, shadow, at) {
            new.assignee = r.assignee.clone();
        }
        if r.priority.as_deref() == Some("urgent") && shadow.priority.as_deref() != Some("urgent") {
            let fact = format!("escalated:urgent:{}", micros(at));
            e.fact(&TICKET, fact, "ticket.escalated", at, json!({"reason": "priority_urgent"}));
        }
        new.priority = r.priority.clone();
        if shadow.tags.as_deref().unwrap_or_default() != tags.as_slice() {
            let fact = format!("tagged:{}:{}", tags_hash(&tags), micros(at));
            e.fact(&TICKET, fact, "ticket.tagged", at, json!({"tags": tags}));
            new.tags = Some(tags);
        }
    }
    let resolved_now = matches!(r.status.as_str(), "pending_confirmation" | "closed");
    if resolved_now && !shadow.resolved {
        let at = r.resolved_at.or(r.closed_at).unwrap_or(r.updated_at);
        // SLA breaches before the resolution land before it (same ids as the sla_clocks pass).
        let mut breaches: Vec<&(String, Ts)> =
            cx.enrich.breaches.get(id).map(|b| b.iter().filter(|(_, t)| *t <= at).collect()).unwrap_or_default();
        breaches.sort_by_key(|(clock, t)| (*t, clock.clone()));
        for (clock, breached_at) in breaches {
            let data = json!({"ticket_id": id, "reason": "sla_breach"});
            e.ahead(format!("dotmac:sla_clock:{clock}:breached"), "ticket.escalated", *breached_at, data);
        }
        new.resolutions = shadow.resolutions + 1;
        e.fact(&TICKET, format!("resolved:{}", new.resolutions), "ticket.resolved", at, json!({}));
        new.resolved = true;
    } else if shadow.resolved && OPEN_TICKET.contains(&r.status.as_str()) {
        e.fact(&TICKET, format!("reopened:{}", shadow.resolutions), "ticket.reopened", r.updated_at, json!({}));
        new.resolved = false;
    }
    new.status = Some(r.status);
    e.shadow("ticket", new);
    Ok(())
}

pub(super) fn breach(r: SlaRow, e: &mut Emit<'_>) -> Result<(), String> {
    let id = e.id;
    let data = json!({"ticket_id": r.ticket_id, "reason": "sla_breach"});
    e.of(("ticket", &r.ticket_id), format!("dotmac:sla_clock:{id}:breached"), "ticket.escalated", r.breached_at, data);
    Ok(())
}

pub(super) fn comment(r: CommentRow, cx: &Context<'_>, e: &mut Emit<'_>) -> Result<(), String> {
    // Customers' comments are not staff activity: not credited, not a skip.
    let Some(author) = r.author.filter(|a| cx.staff.contains(a)) else { return Ok(()) };
    let id = e.id;
    let data = json!({
        "ticket_id": r.ticket_id, "person_id": author, "body_chars": r.body_chars.clamp(0, u32::MAX.into()),
        "internal": r.internal,
    });
    e.of(("ticket", &r.ticket_id), format!("dotmac:ticket_comment:{id}"), "ticket.commented", r.created_at, data);
    Ok(())
}

pub(super) fn rating(r: RatingRow, e: &mut Emit<'_>) -> Result<(), String> {
    let Some(rating) = r.rating else { return Ok(()) };
    let ticket = r.ticket_id.ok_or("the rating names no ticket (neither through its invitation nor itself)")?;
    let id = e.id;
    let data = json!({"ticket_id": ticket, "rating": rating});
    e.of(("ticket", &ticket), format!("dotmac:survey_response:{id}"), "ticket.rated", r.at, data);
    Ok(())
}

/// A DotMac `tags` JSON value as a tag list (strings; anything else is ignored).
fn tag_list(value: Option<&Value>) -> Vec<String> {
    let mut tags: Vec<String> = match value {
        Some(Value::Array(items)) => items.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
        _ => Vec::new(),
    };
    tags.sort();
    tags.dedup();
    tags
}
