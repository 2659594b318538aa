//! Work: project tasks, work orders and their notes.

use serde_json::json;

use super::{micros, rfc3339, Context, Emit, Shadow, TASK, WORK_ORDER};
use crate::rows::{NoteRow, TaskRow, WorkOrderRow};

pub(super) fn task(r: TaskRow, shadow: &Shadow, e: &mut Emit<'_>) -> Result<(), String> {
    let mut new = shadow.clone();
    if !shadow.created {
        let created = json!({
            "project_id": r.project_id, "reference": r.number.as_ref().map(|n| format!("#{n}")),
            "assignee_person_id": r.assignee, "due_at": r.due_at.map(rfc3339), "estimate_hours": r.effort_hours,
        });
        e.fact(&TASK, "created", "task.created", r.created_at, created);
        new.created = true;
        new.assignee = r.assignee.clone();
    } else if e.assigned(&TASK, &r.assignee, shadow, r.updated_at) {
        new.assignee = r.assignee.clone();
    }
    if !shadow.resolved {
        let (was, at) = (shadow.status.as_deref().unwrap_or(""), r.updated_at);
        if r.status == "blocked" && was != "blocked" {
            e.fact(&TASK, format!("blocked:{}", micros(at)), "task.blocked", at, json!({}));
        } else if r.status != "blocked" && was == "blocked" {
            e.fact(&TASK, format!("unblocked:{}", micros(at)), "task.unblocked", at, json!({}));
        }
        let ends = [("done", "task.completed", r.completed_at.unwrap_or(at)), ("canceled", "task.canceled", at)];
        if let Some((_, type_name, at)) = ends.iter().find(|(status, ..)| *status == r.status) {
            e.end(&TASK, type_name, *at, json!({}));
            new.resolved = true;
        }
    }
    new.status = Some(r.status);
    e.shadow("task", new);
    Ok(())
}

pub(super) fn work_order(r: WorkOrderRow, shadow: &Shadow, cx: &Context<'_>, e: &mut Emit<'_>) -> Result<(), String> {
    let id = e.id;
    let mut new = shadow.clone();
    if !shadow.created {
        let created = json!({
            "assignee_person_id": r.assignee, "scheduled_end": r.scheduled_end.map(rfc3339),
            "estimated_duration_minutes": r.estimated_duration_minutes,
        });
        e.fact(&WORK_ORDER, "created", "work_order.created", r.created_at, created);
        new.created = true;
        new.assignee = r.assignee.clone();
    } else if e.assigned(&WORK_ORDER, &r.assignee, shadow, r.updated_at) {
        new.assignee = r.assignee.clone();
    }
    if !shadow.resolved {
        if let Some(started) = r.started_at.filter(|_| !shadow.started) {
            e.fact(&WORK_ORDER, "started", "work_order.started", started, json!({}));
            new.started = true;
        }
        let completed = r.completed_at.unwrap_or(r.updated_at);
        if matches!(r.status.as_str(), "completed" | "canceled") {
            // Notes land before the terminal event (same ids as the notes pass).
            let mut notes: Vec<_> =
                cx.enrich.notes.get(id).map(|n| n.iter().filter(|n| n.3 <= completed).collect()).unwrap_or_default();
            notes.sort_by_key(|n| (n.3, n.0.clone()));
            for (note, author, chars, at) in notes {
                let Some(author) = author.as_ref().filter(|a| cx.staff.contains(*a)) else { continue };
                let data =
                    json!({"work_order_id": id, "person_id": author, "body_chars": (*chars).clamp(0, u32::MAX.into())});
                e.ahead(format!("dotmac:work_order_note:{note}"), "work_order.note_added", *at, data);
            }
        }
        let ends =
            [("completed", "work_order.completed", completed), ("canceled", "work_order.canceled", r.updated_at)];
        if let Some((_, type_name, at)) = ends.iter().find(|(status, ..)| *status == r.status) {
            e.end(&WORK_ORDER, type_name, *at, json!({}));
            new.resolved = true;
        }
    }
    new.status = Some(r.status);
    e.shadow("work_order", new);
    Ok(())
}

pub(super) fn note(r: NoteRow, cx: &Context<'_>, e: &mut Emit<'_>) -> Result<(), String> {
    let Some(author) = r.author.filter(|a| cx.staff.contains(a)) else { return Ok(()) };
    let id = e.id;
    let data = json!({
        "work_order_id": r.work_order_id, "person_id": author, "body_chars": r.body_chars.clamp(0, u32::MAX.into()),
    });
    e.of(
        ("work_order", &r.work_order_id),
        format!("dotmac:work_order_note:{id}"),
        "work_order.note_added",
        r.created_at,
        data,
    );
    Ok(())
}
