//! Conversations and their children: agent assignments, messages, tag sets.

use serde_json::{json, Value};

use super::{tags_hash, Context, Emit, Shadow, Ts, CONVERSATION};
use crate::rows::{AssignmentRow, ConversationRow, MessageRow, TagsRow};

pub(super) fn conversation(
    r: ConversationRow,
    shadow: &Shadow,
    cx: &Context<'_>,
    e: &mut Emit<'_>,
) -> Result<(), String> {
    let id = e.id;
    let mut new = shadow.clone();
    if !shadow.created {
        // Not created until it has a message with a channel; a later
        // message bumps the row and it is read again.
        let Some(channel) = cx.enrich.channel.get(id) else { return Ok(()) };
        e.fact(&CONVERSATION, "opened", "conversation.opened", r.created_at, json!({"channel": channel}));
        new.created = true;
    }
    let resolved_now = matches!(r.status.as_str(), "resolved" | "resolved_to_ticket");
    if resolved_now && !shadow.resolved && new.created {
        // Assignments, messages and tags up to the resolution land before it
        // (same ids as their own passes), in time order.
        let end = r.resolved_at.unwrap_or(r.updated_at);
        let mut children = children(id, end, cx);
        if let Some((tags, at)) = cx.enrich.tags.get(id) {
            if shadow.tags.as_deref().unwrap_or_default() != tags.as_slice() {
                let tagged = format!("dotmac:conversation:{id}:tagged:{}", tags_hash(tags));
                children.push((
                    (*at).min(end),
                    tagged,
                    "conversation.tagged",
                    json!({"conversation_id": id, "tags": tags}),
                ));
                new.tags = Some(tags.clone());
            }
        }
        children.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        for (at, event_id, type_name, data) in children {
            e.ahead(event_id, type_name, at, data);
        }
        e.fact(&CONVERSATION, "resolved", "conversation.resolved", end, json!({}));
        new.resolved = true;
    } else if !resolved_now && shadow.resolved && shadow.status.as_deref() != Some(r.status.as_str()) {
        e.skip("reopened in DotMac; perfledger keeps its first resolution (docs: reopened conversations)");
    }
    new.status = Some(r.status);
    e.shadow("conversation", new);
    Ok(())
}

/// The assignments and messages of conversation `id` up to `end`, as their own passes derive them.
fn children(id: &str, end: Ts, cx: &Context<'_>) -> Vec<(Ts, String, &'static str, Value)> {
    let mut children = Vec::new();
    for (assignment, person, at) in cx.enrich.assignments.get(id).into_iter().flatten() {
        if let (Some(person), true) = (person, *at <= end) {
            let data = json!({"conversation_id": id, "person_id": person});
            children.push((*at, format!("dotmac:conv_assignment:{assignment}"), "conversation.assigned", data));
        }
    }
    for (msg, direction, author, at) in cx.enrich.messages.get(id).into_iter().flatten() {
        if *at > end {
            continue;
        }
        let (type_name, data) = match (direction.as_str(), author) {
            ("inbound", _) => ("conversation.message_received", json!({"conversation_id": id})),
            ("outbound", Some(author)) if cx.staff.contains(author) => {
                ("conversation.message_sent", json!({"conversation_id": id, "person_id": author}))
            }
            _ => continue,
        };
        children.push((*at, format!("dotmac:msg:{msg}"), type_name, data));
    }
    children
}

pub(super) fn assignment(r: AssignmentRow, e: &mut Emit<'_>) -> Result<(), String> {
    let person = r.person.ok_or("the assignment's agent has no person")?;
    let id = e.id;
    let data = json!({"conversation_id": r.conversation_id, "person_id": person});
    e.of(
        ("conversation", &r.conversation_id),
        format!("dotmac:conv_assignment:{id}"),
        "conversation.assigned",
        r.at,
        data,
    );
    Ok(())
}

pub(super) fn message(r: MessageRow, cx: &Context<'_>, e: &mut Emit<'_>) -> Result<(), String> {
    let (type_name, data) = match r.direction.as_str() {
        "inbound" => ("conversation.message_received", json!({"conversation_id": r.conversation_id})),
        "outbound" => {
            let author = r.author.ok_or("an outbound message without an author: nobody to credit")?;
            if !cx.staff.contains(&author) {
                return Err(format!("an outbound message whose author {author} is not staff"));
            }
            ("conversation.message_sent", json!({"conversation_id": r.conversation_id, "person_id": author}))
        }
        _ => return Ok(()), // internal notes are not replies
    };
    let id = e.id;
    e.of(("conversation", &r.conversation_id), format!("dotmac:msg:{id}"), type_name, r.at, data);
    Ok(())
}

pub(super) fn tags(r: TagsRow, shadow: &Shadow, e: &mut Emit<'_>) -> Result<(), String> {
    let tags = r.tags.unwrap_or_default();
    if shadow.tags.as_deref().unwrap_or_default() != tags.as_slice() {
        let id = e.id;
        let event_id = format!("dotmac:conversation:{id}:tagged:{}", tags_hash(&tags));
        let data = json!({"conversation_id": id, "tags": tags});
        e.of(("conversation", id), event_id, "conversation.tagged", r.at, data);
        let mut new = shadow.clone();
        new.tags = Some(tags);
        e.shadow("conversation", new);
    }
    Ok(())
}
