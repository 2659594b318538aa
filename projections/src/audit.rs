//! The audit projection (D14): who did what to which target, from
//! perfledger's own commands. The log itself is the full trail; this is the
//! index auditors query. It never holds a prompt.

use async_trait::async_trait;
use perfledger_domain::event::EventBody;
use perfledger_domain::period::iso_week_label;
use serde_json::json;
use sqlx::PgConnection;

use crate::runner::{Decoded, Projector, Result};

pub const NAME: &str = "audit";

pub struct AuditProjector;

struct Entry {
    actor: Option<String>,
    target: String,
    details: serde_json::Value,
}

fn entry(body: &EventBody) -> Option<Entry> {
    let person = |p: &Option<uuid::Uuid>| p.map(|p| p.to_string());
    Some(match body {
        EventBody::SettingsChanged(s) => Entry {
            actor: Some(s.actor.clone()),
            target: "settings".into(),
            details: json!({"keys": s.changes.keys().collect::<Vec<_>>(), "effective_from": s.effective_from}),
        },
        EventBody::PeriodClosed(p) => Entry {
            actor: Some("scheduler".into()),
            target: format!("period:{}", iso_week_label(p.period_start)),
            details: json!({"scored_people": p.scored_people}),
        },
        EventBody::GoalCreated(g) => Entry {
            actor: person(&g.created_by_person_id),
            target: format!("goal:{}", g.goal_id),
            details: json!({"person_id": g.person_id, "metric_key": g.metric_key, "target_value": g.target_value}),
        },
        EventBody::GoalUpdated(g) => {
            Entry { actor: person(&g.actor_person_id), target: format!("goal:{}", g.goal_id), details: json!({}) }
        }
        EventBody::GoalCanceled(g) => {
            Entry { actor: person(&g.actor_person_id), target: format!("goal:{}", g.goal_id), details: json!({}) }
        }
        EventBody::GoalAchieved(g) | EventBody::GoalMissed(g) => Entry {
            actor: Some("scheduler".into()),
            target: format!("goal:{}", g.goal_id),
            details: json!({"current_value": g.current_value}),
        },
        _ => return None,
    })
}

#[async_trait]
impl Projector for AuditProjector {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn apply(&mut self, tx: &mut PgConnection, events: &[Decoded]) -> Result<()> {
        for d in events {
            let Some(e) = entry(&d.event.body) else { continue };
            sqlx::query(
                "INSERT INTO audit_log (global_position, occurred_at, actor, action, target, model, details)
                 VALUES ($1, $2, $3, $4, $5, NULL, $6)",
            )
            .bind(d.position)
            .bind(d.event.occurred_at)
            .bind(e.actor)
            .bind(d.event.body.type_name())
            .bind(e.target)
            .bind(e.details)
            .execute(&mut *tx)
            .await?;
        }
        Ok(())
    }
}
