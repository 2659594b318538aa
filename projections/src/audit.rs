//! The audit projection (D14): who did what to which target, from
//! perfledger's own commands. The log itself is the full trail; this is the
//! index auditors query. It never holds a prompt, a reply or review content:
//! reviews add only actor, target person, model and token counts.

use async_trait::async_trait;
use perfledger_domain::event::EventBody;
use perfledger_domain::period::iso_week_label;
use serde_json::json;
use sqlx::PgConnection;

use crate::runner::{Decoded, Projector, Result};

pub const NAME: &str = "audit";

/// Every action the audit log holds (the `type_name` of the events
/// [`entry`] keeps), in the order the audit page offers them as a filter.
pub const ACTIONS: &[&str] = &[
    "settings.changed",
    "review.requested",
    "review.generated",
    "review.failed",
    "review.acknowledged",
    "goal.created",
    "goal.updated",
    "goal.canceled",
    "goal.achieved",
    "goal.missed",
    "log.event_voided",
    "period.closed",
];

pub struct AuditProjector;

struct Entry {
    actor: Option<String>,
    target: String,
    /// The model of a review (D14: model metadata, never a prompt or reply).
    model: Option<String>,
    details: serde_json::Value,
}

/// What a `goal.updated` changed: only the fields it gave.
#[derive(serde::Serialize)]
struct GoalChanges<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    label: Option<&'a String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    target_value: Option<&'a rust_decimal::Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    comparison: Option<&'a perfledger_domain::goals::Comparison>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deadline: Option<&'a chrono::NaiveDate>,
}

fn entry(body: &EventBody) -> Option<Entry> {
    let person = |p: &Option<uuid::Uuid>| p.map(|p| p.to_string());
    Some(match body {
        // The values stay out (a secret among them); the settings history
        // (`api::app::audit`) shows them, secrets masked. The reason is kept
        // when the change gave one (migration 0010's reset refolds older rows).
        EventBody::SettingsChanged(s) => {
            let mut details = json!({"keys": s.changes.keys().collect::<Vec<_>>(), "effective_from": s.effective_from});
            if let Some(reason) = &s.reason {
                details["reason"] = json!(reason);
            }
            Entry { actor: Some(s.actor.clone()), target: "settings".into(), model: None, details }
        }
        EventBody::PeriodClosed(p) => Entry {
            actor: Some("scheduler".into()),
            target: format!("period:{}", iso_week_label(p.period_start)),
            model: None,
            details: json!({"scored_people": p.scored_people}),
        },
        EventBody::GoalCreated(g) => Entry {
            actor: person(&g.created_by_person_id),
            target: format!("goal:{}", g.goal_id),
            model: None,
            details: json!({"person_id": g.person_id, "metric_key": g.metric_key, "target_value": g.target_value}),
        },
        // The fields the update gave, with their new values (migration 0010
        // refolds older rows, which had none).
        EventBody::GoalUpdated(g) => Entry {
            actor: person(&g.actor_person_id),
            target: format!("goal:{}", g.goal_id),
            model: None,
            details: serde_json::to_value(GoalChanges {
                label: g.label.as_ref(),
                target_value: g.target_value.as_ref(),
                comparison: g.comparison.as_ref(),
                deadline: g.deadline.as_ref(),
            })
            .unwrap_or_else(|_| json!({})),
        },
        EventBody::GoalCanceled(g) => Entry {
            actor: person(&g.actor_person_id),
            target: format!("goal:{}", g.goal_id),
            model: None,
            details: json!({}),
        },
        EventBody::GoalAchieved(g) | EventBody::GoalMissed(g) => Entry {
            actor: Some("scheduler".into()),
            target: format!("goal:{}", g.goal_id),
            model: None,
            details: json!({"current_value": g.current_value}),
        },
        // Reviews: who asked, for whom, which model and what it cost. The
        // content, the prompt and any reply text stay out (D12, D14).
        EventBody::ReviewRequested(r) => Entry {
            actor: Some(person(&r.requested_by).unwrap_or_else(|| "scheduler".into())),
            target: format!("person:{}", r.person_id),
            model: None,
            details: json!({
                "review_id": r.review_id,
                "trigger": r.trigger,
                "force": r.force,
                "supersedes": r.supersedes,
                "period_start": r.period_start,
                "period_end": r.period_end,
            }),
        },
        EventBody::ReviewGenerated(g) => Entry {
            actor: Some("review-worker".into()),
            target: format!("person:{}", g.person_id),
            model: Some(g.model.clone()),
            details: json!({
                "review_id": g.review_id,
                "provider": g.provider,
                "prompt_version": g.prompt_version,
                "tokens_in": g.tokens_in,
                "tokens_out": g.tokens_out,
                "latency_ms": g.latency_ms,
                "attempts": g.attempts,
            }),
        },
        EventBody::ReviewFailed(f) => Entry {
            actor: Some("review-worker".into()),
            target: format!("person:{}", f.person_id),
            model: Some(f.model.clone()),
            details: json!({
                "review_id": f.review_id,
                "provider": f.provider,
                "reason": f.reason,
                "attempts": f.attempts,
                "tokens_in": f.tokens_in,
                "tokens_out": f.tokens_out,
            }),
        },
        EventBody::ReviewAcknowledged(a) => Entry {
            actor: Some(a.person_id.to_string()),
            target: format!("person:{}", a.person_id),
            model: None,
            details: json!({"review_id": a.review_id, "acknowledged_at": a.acknowledged_at}),
        },
        // Voids (issue 14): who took which event out of the read models, and why.
        EventBody::EventVoided(v) => Entry {
            actor: Some(v.actor.clone()),
            target: format!("event:{}", v.position),
            model: None,
            details: json!({"event_id": v.event_id, "event_type": v.event_type, "reason": v.reason}),
        },
        _ => return None,
    })
}

#[async_trait]
impl Projector for AuditProjector {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn reset(&mut self, tx: &mut PgConnection) -> Result<bool> {
        sqlx::query("DELETE FROM audit_log").execute(&mut *tx).await?;
        Ok(true)
    }

    async fn apply(&mut self, tx: &mut PgConnection, events: &[Decoded]) -> Result<()> {
        for d in events {
            let Some(e) = entry(&d.event.body) else { continue };
            sqlx::query(
                "INSERT INTO audit_log (global_position, occurred_at, actor, action, target, model, details)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(d.position)
            .bind(d.event.occurred_at)
            .bind(e.actor)
            .bind(d.event.body.type_name())
            .bind(e.target)
            .bind(e.model)
            .bind(e.details)
            .execute(&mut *tx)
            .await?;
        }
        Ok(())
    }
}
