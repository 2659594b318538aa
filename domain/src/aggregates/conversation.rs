//! Inbox conversations (§2 Communication).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{entity_rejection, foreign, redacted, refuse_recreate, require_created, Entity};
use crate::catalog::{ActivityData, ConversationChannel, EntityKind};
use crate::event::{self, Activity, EventBody, LogEvent};
use crate::time::minutes_between;
use crate::validate::Rejection;

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    opened_at: Option<DateTime<Utc>>,
    reference: Option<String>,
    channel: Option<ConversationChannel>,
    assignee: Option<Uuid>,
    /// The earliest customer message not yet answered by an agent.
    waiting_since: Option<DateTime<Utc>>,
    first_customer_message_at: Option<DateTime<Utc>>,
    resolved: bool,
    tags: BTreeSet<String>,
}

impl Entity for Conversation {
    const KIND: EntityKind = EntityKind::Conversation;

    fn decide(&self, activity: &Activity) -> Result<EventBody, Rejection> {
        if let ActivityData::ConversationOpened(data) = &activity.data {
            refuse_recreate(self.opened_at, activity, "opened")?;
            return Ok(EventBody::ConversationOpened(data.clone()));
        }
        let opened_at = require_created(self.opened_at, activity, "opened")?;
        // Set by conversation.opened, which every later event follows.
        let channel = self.channel.unwrap_or(ConversationChannel::Email);
        if self.resolved && !matches!(activity.data, ActivityData::ConversationTagged(_)) {
            return Err(entity_rejection(activity, "is resolved; only conversation.tagged is accepted"));
        }
        match &activity.data {
            ActivityData::ConversationAssigned(data) => {
                Ok(EventBody::ConversationAssigned(event::ConversationAssigned {
                    conversation_id: data.conversation_id.clone(),
                    person_id: data.person_id,
                    channel,
                }))
            }
            ActivityData::ConversationMessageReceived(data) => Ok(EventBody::ConversationMessageReceived(data.clone())),
            ActivityData::ConversationMessageSent(data) => {
                Ok(EventBody::ConversationMessageSent(event::ConversationMessageSent {
                    conversation_id: data.conversation_id.clone(),
                    person_id: data.person_id,
                    channel,
                    first_response_minutes: self
                        .waiting_since
                        .map(|since| minutes_between(since, activity.occurred_at)),
                }))
            }
            ActivityData::ConversationTagged(data) => Ok(EventBody::ConversationTagged(data.clone())),
            ActivityData::ConversationResolved(data) => {
                let from = self.first_customer_message_at.unwrap_or(opened_at);
                Ok(EventBody::ConversationResolved(event::ConversationResolved {
                    conversation_id: data.conversation_id.clone(),
                    summary: redacted(&data.summary),
                    resolver_person_id: self.assignee,
                    resolution_minutes: minutes_between(from, activity.occurred_at),
                    tag_count: self.tags.len() as u32,
                    channel,
                    reference: self.reference.clone(),
                }))
            }
            _ => Err(foreign(activity, Self::KIND)),
        }
    }

    fn evolve(&mut self, event: &LogEvent) {
        match &event.body {
            EventBody::ConversationOpened(d) => {
                self.opened_at = Some(event.occurred_at);
                self.reference = d.reference.clone();
                self.channel = Some(d.channel);
            }
            EventBody::ConversationAssigned(d) => self.assignee = Some(d.person_id),
            EventBody::ConversationMessageReceived(_) => {
                self.waiting_since.get_or_insert(event.occurred_at);
                self.first_customer_message_at.get_or_insert(event.occurred_at);
            }
            EventBody::ConversationMessageSent(_) => self.waiting_since = None,
            EventBody::ConversationTagged(d) => self.tags = d.tags.iter().cloned().collect(),
            EventBody::ConversationResolved(_) => self.resolved = true,
            _ => {}
        }
    }
}
