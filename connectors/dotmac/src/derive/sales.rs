//! Sales: leads and quotes.

use serde_json::json;

use super::{Emit, Shadow, LEAD, QUOTE};
use crate::rows::{LeadRow, QuoteRow};

pub(super) fn lead(r: LeadRow, shadow: &Shadow, e: &mut Emit<'_>) -> Result<(), String> {
    let mut new = shadow.clone();
    if !shadow.created {
        // Not created until it has an owner: a later owner bumps the row.
        let Some(owner) = r.owner.clone() else { return Ok(()) };
        let created = json!({
            "owner_person_id": owner, "estimated_value": r.estimated_value.clone().unwrap_or_else(|| "0".into()),
        });
        e.fact(&LEAD, "created", "lead.created", r.created_at, created);
        new.created = true;
        new.assignee = Some(owner);
    } else if !shadow.resolved && e.assigned(&LEAD, &r.owner, shadow, r.updated_at) {
        new.assignee = r.owner.clone();
    }
    let at = r.closed_at.unwrap_or(r.updated_at);
    match (r.status.as_str(), shadow.resolved) {
        ("won", false) => {
            e.end(&LEAD, "lead.won", at, json!({}));
            new.resolved = true;
        }
        ("lost", false) => {
            e.end(&LEAD, "lead.lost", at, json!({"reason": r.lost_reason}));
            new.resolved = true;
        }
        ("won" | "lost", true) => {}
        (_, true) => e.skip("left won/lost in DotMac; perfledger keeps the first outcome (docs: reopened leads)"),
        _ => {}
    }
    if !shadow.resolved || matches!(r.status.as_str(), "won" | "lost") {
        new.status = Some(r.status);
    }
    if shadow.resolved {
        new.resolved = true;
    }
    e.shadow("lead", new);
    Ok(())
}

pub(super) fn quote(r: QuoteRow, shadow: &Shadow, e: &mut Emit<'_>) -> Result<(), String> {
    if !["sent", "accepted", "rejected", "expired"].contains(&r.status.as_str()) {
        return Ok(());
    }
    let mut new = shadow.clone();
    if !shadow.created {
        let Some(owner) = r.owner.clone() else { return Err("a sent quote without an owner".into()) };
        let sent = json!({
            "lead_id": r.lead_id, "owner_person_id": owner, "total": r.total.clone().unwrap_or_else(|| "0".into()),
        });
        e.fact(&QUOTE, "sent", "quote.sent", r.sent_at.unwrap_or(r.updated_at), sent);
        new.created = true;
    }
    if r.status != "sent" && !shadow.resolved {
        e.end(&QUOTE, &format!("quote.{}", r.status), r.updated_at, json!({}));
        new.resolved = true;
    }
    new.status = Some(r.status);
    e.shadow("quote", new);
    Ok(())
}
