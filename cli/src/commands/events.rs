//! `perfledger events void`: the operator's way past an event a projector
//! cannot fold (issue 14). Appends `log.event_voided`; prints the void as
//! JSON. The running workers pick it up on their next round.

use std::process::ExitCode;

use perfledger_store::voids::{void_event, VoidError, VoidTarget};

use crate::config::{EventsArgs, EventsCommand, GlobalArgs};

pub async fn run(global: &GlobalArgs, args: EventsArgs) -> anyhow::Result<ExitCode> {
    let EventsCommand::Void(void) = args.command;
    let target = match (void.event_id, void.position) {
        (Some(id), _) => VoidTarget::EventId(id),
        (None, Some(position)) => VoidTarget::Position(position),
        (None, None) => anyhow::bail!("--event-id or --position: say which event to void"),
    };
    let actor = void.actor.unwrap_or_else(|| {
        let user = std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).unwrap_or_else(|_| "operator".into());
        format!("cli:{user}")
    });
    let db = super::open_database(global).await?;
    let result = void_event(&db.pool, &target, &void.reason, &actor).await;
    db.close().await;
    match result {
        Ok(voided) => {
            println!("{}", serde_json::to_string_pretty(&voided)?);
            if !voided.applied_before_void_by.is_empty() {
                eprintln!(
                    "note: {} had folded the event before it was voided; they fold the log again without it on their next round (reviews: run `perfledger replay`)",
                    voided.applied_before_void_by.join(", ")
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(VoidError::Rejected(rejection) | VoidError::NotFound(rejection)) => {
            eprintln!("perfledger: --{}: {}", rejection.field.replace('_', "-"), rejection.reason);
            Ok(ExitCode::from(2))
        }
        Err(e) => Err(e.into()),
    }
}
