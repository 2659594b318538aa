//! What the pull reads from DotMac: one query per source table, each
//! returning `(id, ts, row)` with `row` a JSON object of the columns the
//! mapping needs (docs/connectors/dotmac.md). `$1` is the lower bound of the
//! watermark column (the watermark minus the overlap).

use chrono::{DateTime, Utc};
use serde::Deserialize;

/// One source table's read.
pub struct Pass {
    /// The source table (and the watermark's key).
    pub table: &'static str,
    pub sql: &'static str,
    /// Read whole every poll (no usable timestamp): no watermark.
    pub snapshot: bool,
    /// The shadow kind of the entities its rows are (None: rows are facts about another entity).
    pub kind: Option<&'static str>,
    /// The kind of the entity its events need created first (causal hold-back).
    pub parent: Option<&'static str>,
}

/// In the order a poll reads them: parents before children.
pub const PASSES: &[Pass] = &[
    Pass {
        table: "service_teams",
        snapshot: false,
        kind: Some("team"),
        parent: None,
        sql: "SELECT id::text, updated_at, json_build_object('name', name, 'team_type', team_type,
                 'manager', manager_person_id, 'is_active', is_active, 'updated_at', updated_at)::text
              FROM public.service_teams WHERE updated_at >= $1 ORDER BY updated_at, id",
    },
    Pass {
        table: "people",
        snapshot: false,
        kind: Some("person"),
        parent: None,
        // Staff only (docs: "Staff only"); $2: staff never upserted yet, whatever their updated_at.
        sql: "SELECT p.id::text, p.updated_at, json_build_object('display_name', p.display_name,
                 'first_name', p.first_name, 'last_name', p.last_name, 'email', p.email, 'title', p.job_title,
                 'is_active', p.is_active AND p.status = 'active', 'updated_at', p.updated_at)::text
              FROM public.people p
              WHERE (p.updated_at >= $1 OR p.id = ANY($2::uuid[]))
                AND (EXISTS (SELECT 1 FROM public.service_team_members m WHERE m.person_id = p.id)
                  OR EXISTS (SELECT 1 FROM public.crm_agents a WHERE a.person_id = p.id)
                  OR EXISTS (SELECT 1 FROM public.person_roles r WHERE r.person_id = p.id))
              ORDER BY p.updated_at, p.id",
    },
    Pass {
        table: "service_team_members",
        snapshot: true,
        kind: Some("member"),
        parent: None,
        sql: "SELECT DISTINCT ON (team_id, person_id) team_id::text || ':' || person_id::text, created_at,
                 json_build_object('team_id', team_id, 'person_id', person_id, 'role', role,
                 'is_active', is_active, 'created_at', created_at)::text
              FROM public.service_team_members ORDER BY team_id, person_id, created_at DESC, id DESC",
    },
    Pass {
        table: "person_roles",
        snapshot: true,
        kind: Some("grants"),
        parent: None,
        sql: "WITH grants AS (
                SELECT pr.person_id, r.name AS role, NULL::text AS permission, pr.assigned_at AS at
                  FROM public.person_roles pr JOIN public.roles r ON r.id = pr.role_id AND r.is_active
                UNION ALL
                SELECT pr.person_id, NULL, p.key, pr.assigned_at
                  FROM public.person_roles pr JOIN public.roles r ON r.id = pr.role_id AND r.is_active
                  JOIN public.role_permissions rp ON rp.role_id = r.id
                  JOIN public.permissions p ON p.id = rp.permission_id AND p.is_active
                UNION ALL
                SELECT pp.person_id, NULL, p.key, pp.granted_at
                  FROM public.person_permissions pp JOIN public.permissions p ON p.id = pp.permission_id AND p.is_active)
              SELECT person_id::text, max(at), json_build_object(
                 'roles', COALESCE(array_agg(DISTINCT role ORDER BY role) FILTER (WHERE role IS NOT NULL), '{}'),
                 'permissions', COALESCE(array_agg(DISTINCT permission ORDER BY permission) FILTER (WHERE permission IS NOT NULL), '{}'),
                 'at', max(at))::text
              FROM grants GROUP BY person_id ORDER BY person_id",
    },
    Pass {
        table: "tickets",
        snapshot: false,
        kind: Some("ticket"),
        parent: None,
        sql: "SELECT t.id::text, t.updated_at, json_build_object('number', t.number, 'status', t.status,
                 'priority', t.priority, 'channel', t.channel,
                 'assignee', COALESCE(t.assigned_to_person_id, (SELECT a.person_id FROM public.ticket_assignees a
                     WHERE a.ticket_id = t.id ORDER BY a.created_at, a.person_id LIMIT 1)),
                 'tags', t.tags, 'due_at', t.due_at, 'resolved_at', t.resolved_at, 'closed_at', t.closed_at,
                 'created_at', t.created_at, 'updated_at', t.updated_at)::text
              FROM public.tickets t WHERE t.updated_at >= $1 ORDER BY t.updated_at, t.id",
    },
    Pass {
        table: "sla_clocks",
        snapshot: false,
        kind: None,
        parent: Some("ticket"),
        sql: "SELECT id::text, updated_at, json_build_object('ticket_id', entity_id, 'breached_at', breached_at)::text
              FROM public.sla_clocks WHERE updated_at >= $1 AND entity_type = 'ticket' AND breached_at IS NOT NULL
              ORDER BY updated_at, id",
    },
    Pass {
        table: "ticket_comments",
        snapshot: false,
        kind: None,
        parent: Some("ticket"),
        sql: "SELECT id::text, created_at, json_build_object('ticket_id', ticket_id, 'author', author_person_id,
                 'body_chars', char_length(body), 'internal', is_internal, 'created_at', created_at)::text
              FROM public.ticket_comments WHERE created_at >= $1 ORDER BY created_at, id",
    },
    Pass {
        table: "survey_responses",
        snapshot: false,
        kind: None,
        parent: Some("ticket"),
        sql: "SELECT r.id::text, r.created_at, json_build_object('ticket_id', COALESCE(i.ticket_id, r.ticket_id),
                 'rating', r.rating, 'at', COALESCE(r.completed_at, r.created_at))::text
              FROM public.survey_responses r LEFT JOIN public.survey_invitations i ON i.id = r.invitation_id
              WHERE r.created_at >= $1 ORDER BY r.created_at, r.id",
    },
    Pass {
        table: "project_tasks",
        snapshot: false,
        kind: Some("task"),
        parent: None,
        sql: "SELECT t.id::text, t.updated_at, json_build_object('project_id', t.project_id, 'number', t.number,
                 'status', t.status,
                 'assignee', COALESCE(t.assigned_to_person_id, (SELECT a.person_id FROM public.project_task_assignees a
                     WHERE a.task_id = t.id ORDER BY a.created_at, a.person_id LIMIT 1)),
                 'due_at', t.due_at, 'effort_hours', t.effort_hours, 'completed_at', t.completed_at,
                 'created_at', t.created_at, 'updated_at', t.updated_at)::text
              FROM public.project_tasks t WHERE t.updated_at >= $1 ORDER BY t.updated_at, t.id",
    },
    Pass {
        table: "work_orders",
        snapshot: false,
        kind: Some("work_order"),
        parent: None,
        sql: "SELECT id::text, updated_at, json_build_object('status', status, 'assignee', assigned_to_person_id,
                 'scheduled_end', scheduled_end, 'estimated_duration_minutes', estimated_duration_minutes,
                 'started_at', started_at, 'completed_at', completed_at,
                 'created_at', created_at, 'updated_at', updated_at)::text
              FROM public.work_orders WHERE updated_at >= $1 ORDER BY updated_at, id",
    },
    Pass {
        table: "work_order_notes",
        snapshot: false,
        kind: None,
        parent: Some("work_order"),
        sql: "SELECT id::text, created_at, json_build_object('work_order_id', work_order_id, 'author', author_person_id,
                 'body_chars', char_length(body), 'created_at', created_at)::text
              FROM public.work_order_notes WHERE created_at >= $1 ORDER BY created_at, id",
    },
    Pass {
        table: "crm_conversations",
        snapshot: false,
        kind: Some("conversation"),
        parent: None,
        sql: "SELECT id::text, updated_at, json_build_object('status', status, 'resolved_at', resolved_at,
                 'created_at', created_at, 'updated_at', updated_at)::text
              FROM public.crm_conversations WHERE updated_at >= $1 ORDER BY updated_at, id",
    },
    Pass {
        table: "crm_conversation_assignments",
        snapshot: false,
        kind: None,
        parent: Some("conversation"),
        sql: "SELECT s.id::text, s.updated_at, json_build_object('conversation_id', s.conversation_id,
                 'person', a.person_id, 'at', COALESCE(s.assigned_at, s.created_at))::text
              FROM public.crm_conversation_assignments s LEFT JOIN public.crm_agents a ON a.id = s.agent_id
              WHERE s.updated_at >= $1 AND s.agent_id IS NOT NULL ORDER BY s.updated_at, s.id",
    },
    Pass {
        table: "crm_messages",
        snapshot: false,
        kind: None,
        parent: Some("conversation"),
        sql: "SELECT id::text, created_at, json_build_object('conversation_id', conversation_id,
                 'direction', direction, 'author', author_id,
                 'at', CASE WHEN direction = 'inbound' THEN COALESCE(received_at, created_at)
                            ELSE COALESCE(sent_at, created_at) END)::text
              FROM public.crm_messages WHERE created_at >= $1 ORDER BY created_at, id",
    },
    Pass {
        table: "crm_conversation_tags",
        snapshot: false,
        kind: Some("conversation"),
        parent: Some("conversation"),
        // A new tag row re-reads its conversation's whole set.
        sql: "SELECT t.conversation_id::text, max(t.created_at), json_build_object(
                 'tags', (SELECT array_agg(DISTINCT a.tag ORDER BY a.tag) FROM public.crm_conversation_tags a
                          WHERE a.conversation_id = t.conversation_id),
                 'at', (SELECT max(a.created_at) FROM public.crm_conversation_tags a
                          WHERE a.conversation_id = t.conversation_id))::text
              FROM public.crm_conversation_tags t WHERE t.created_at >= $1
              GROUP BY t.conversation_id ORDER BY 2, 1",
    },
    Pass {
        table: "crm_leads",
        snapshot: false,
        kind: Some("lead"),
        parent: None,
        sql: "SELECT l.id::text, l.updated_at, json_build_object('status', l.status, 'owner', a.person_id,
                 'estimated_value', l.estimated_value::text, 'lost_reason', l.lost_reason, 'closed_at', l.closed_at,
                 'created_at', l.created_at, 'updated_at', l.updated_at)::text
              FROM public.crm_leads l LEFT JOIN public.crm_agents a ON a.id = l.owner_agent_id
              WHERE l.updated_at >= $1 ORDER BY l.updated_at, l.id",
    },
    Pass {
        table: "crm_quotes",
        snapshot: false,
        kind: Some("quote"),
        parent: None,
        sql: "SELECT id::text, updated_at, json_build_object('status', status, 'owner', owner_person_id,
                 'lead_id', lead_id, 'total', total::text, 'sent_at', sent_at, 'updated_at', updated_at)::text
              FROM public.crm_quotes WHERE updated_at >= $1 ORDER BY updated_at, id",
    },
];

/// Earliest SLA due time per ticket (for `ticket.opened`), for the tickets given.
pub const TICKET_SLA_DUE: &str = "SELECT entity_id::text, min(due_at) FROM public.sla_clocks
     WHERE entity_type = 'ticket' AND entity_id = ANY($1::uuid[]) GROUP BY entity_id";

/// The channel of each conversation's earliest non-note message, for the conversations given.
pub const CONVERSATION_CHANNEL: &str = "SELECT DISTINCT ON (conversation_id) conversation_id::text, channel_type::text
     FROM public.crm_messages WHERE conversation_id = ANY($1::uuid[]) AND channel_type <> 'note'
     ORDER BY conversation_id, created_at, id";

/// Everyone DotMac treats as staff (docs: "Staff only").
pub const STAFF: &str = "SELECT person_id FROM public.service_team_members
     UNION SELECT person_id FROM public.crm_agents UNION SELECT person_id FROM public.person_roles";

type Ts = DateTime<Utc>;

#[derive(Deserialize)]
pub struct TeamRow {
    pub name: String,
    pub team_type: String,
    pub manager: Option<String>,
    pub is_active: bool,
    pub updated_at: Ts,
}

#[derive(Deserialize)]
pub struct PersonRow {
    pub display_name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub title: Option<String>,
    pub is_active: bool,
    pub updated_at: Ts,
}

#[derive(Deserialize)]
pub struct MemberRow {
    pub team_id: String,
    pub person_id: String,
    pub role: String,
    pub is_active: bool,
    pub created_at: Ts,
}

#[derive(Deserialize)]
pub struct GrantsRow {
    pub roles: Vec<String>,
    pub permissions: Vec<String>,
    pub at: Ts,
}

#[derive(Deserialize)]
pub struct TicketRow {
    pub number: Option<String>,
    pub status: String,
    pub priority: Option<String>,
    pub channel: Option<String>,
    pub assignee: Option<String>,
    pub tags: Option<serde_json::Value>,
    pub due_at: Option<Ts>,
    pub resolved_at: Option<Ts>,
    pub closed_at: Option<Ts>,
    pub created_at: Ts,
    pub updated_at: Ts,
}

#[derive(Deserialize)]
pub struct SlaRow {
    pub ticket_id: String,
    pub breached_at: Ts,
}

#[derive(Deserialize)]
pub struct CommentRow {
    pub ticket_id: String,
    pub author: Option<String>,
    pub body_chars: i64,
    pub internal: bool,
    pub created_at: Ts,
}

#[derive(Deserialize)]
pub struct RatingRow {
    pub ticket_id: Option<String>,
    pub rating: Option<i64>,
    pub at: Ts,
}

#[derive(Deserialize)]
pub struct TaskRow {
    pub project_id: String,
    pub number: Option<String>,
    pub status: String,
    pub assignee: Option<String>,
    pub due_at: Option<Ts>,
    pub effort_hours: Option<i64>,
    pub completed_at: Option<Ts>,
    pub created_at: Ts,
    pub updated_at: Ts,
}

#[derive(Deserialize)]
pub struct WorkOrderRow {
    pub status: String,
    pub assignee: Option<String>,
    pub scheduled_end: Option<Ts>,
    pub estimated_duration_minutes: Option<i64>,
    pub started_at: Option<Ts>,
    pub completed_at: Option<Ts>,
    pub created_at: Ts,
    pub updated_at: Ts,
}

#[derive(Deserialize)]
pub struct NoteRow {
    pub work_order_id: String,
    pub author: Option<String>,
    pub body_chars: i64,
    pub created_at: Ts,
}

#[derive(Deserialize)]
pub struct ConversationRow {
    pub status: String,
    pub resolved_at: Option<Ts>,
    pub created_at: Ts,
    pub updated_at: Ts,
}

#[derive(Deserialize)]
pub struct AssignmentRow {
    pub conversation_id: String,
    pub person: Option<String>,
    pub at: Ts,
}

#[derive(Deserialize)]
pub struct MessageRow {
    pub conversation_id: String,
    pub direction: String,
    pub author: Option<String>,
    pub at: Ts,
}

#[derive(Deserialize)]
pub struct TagsRow {
    pub tags: Option<Vec<String>>,
    pub at: Ts,
}

#[derive(Deserialize)]
pub struct LeadRow {
    pub status: String,
    pub owner: Option<String>,
    pub estimated_value: Option<String>,
    pub lost_reason: Option<String>,
    pub closed_at: Option<Ts>,
    pub created_at: Ts,
    pub updated_at: Ts,
}

#[derive(Deserialize)]
pub struct QuoteRow {
    pub status: String,
    pub owner: Option<String>,
    pub lead_id: Option<String>,
    pub total: Option<String>,
    pub sent_at: Option<Ts>,
    pub updated_at: Ts,
}

/// Children pulled in with a parent that is resolved or completed in this
/// read, so they land before the terminal event (the contract refuses most
/// events after it): SLA breaches of tickets.
pub const TICKET_BREACHES: &str = "SELECT entity_id::text, id::text, breached_at FROM public.sla_clocks
     WHERE entity_type = 'ticket' AND entity_id = ANY($1::uuid[]) AND breached_at IS NOT NULL";

/// Notes of work orders (as above).
pub const WORK_ORDER_NOTES: &str =
    "SELECT work_order_id::text, id::text, author_person_id::text, char_length(body)::bigint, created_at
     FROM public.work_order_notes WHERE work_order_id = ANY($1::uuid[])";

/// Messages of conversations (as above): (conversation, id, direction, author, at).
pub const CONVERSATION_MESSAGES: &str = "SELECT conversation_id::text, id::text, direction::text, author_id::text,
     CASE WHEN direction = 'inbound' THEN COALESCE(received_at, created_at) ELSE COALESCE(sent_at, created_at) END
     FROM public.crm_messages WHERE conversation_id = ANY($1::uuid[])";

/// Agent assignments of conversations (as above).
pub const CONVERSATION_ASSIGNMENTS: &str = "SELECT s.conversation_id::text, s.id::text, a.person_id::text,
     COALESCE(s.assigned_at, s.created_at)
     FROM public.crm_conversation_assignments s LEFT JOIN public.crm_agents a ON a.id = s.agent_id
     WHERE s.conversation_id = ANY($1::uuid[]) AND s.agent_id IS NOT NULL";

/// Tag sets of conversations (as above).
pub const CONVERSATION_TAGS: &str =
    "SELECT conversation_id::text, array_agg(DISTINCT tag ORDER BY tag), max(created_at)
     FROM public.crm_conversation_tags WHERE conversation_id = ANY($1::uuid[]) GROUP BY conversation_id";

/// One source row, parsed for its table.
pub enum SourceRow {
    Team(TeamRow),
    Person(PersonRow),
    Member(MemberRow),
    Grants(GrantsRow),
    Ticket(TicketRow),
    Sla(SlaRow),
    Comment(CommentRow),
    Rating(RatingRow),
    Task(TaskRow),
    WorkOrder(WorkOrderRow),
    Note(NoteRow),
    Conversation(ConversationRow),
    Assignment(AssignmentRow),
    Message(MessageRow),
    Tags(TagsRow),
    Lead(LeadRow),
    Quote(QuoteRow),
}

impl SourceRow {
    /// Parses a pass's `row` JSON; the error is the reason the row is skipped.
    pub fn parse(table: &str, raw: &str) -> Result<SourceRow, String> {
        fn p<'a, T: Deserialize<'a>>(raw: &'a str) -> Result<T, String> {
            serde_json::from_str(raw).map_err(|e| format!("unreadable row: {e}"))
        }
        Ok(match table {
            "service_teams" => SourceRow::Team(p(raw)?),
            "people" => SourceRow::Person(p(raw)?),
            "service_team_members" => SourceRow::Member(p(raw)?),
            "person_roles" => SourceRow::Grants(p(raw)?),
            "tickets" => SourceRow::Ticket(p(raw)?),
            "sla_clocks" => SourceRow::Sla(p(raw)?),
            "ticket_comments" => SourceRow::Comment(p(raw)?),
            "survey_responses" => SourceRow::Rating(p(raw)?),
            "project_tasks" => SourceRow::Task(p(raw)?),
            "work_orders" => SourceRow::WorkOrder(p(raw)?),
            "work_order_notes" => SourceRow::Note(p(raw)?),
            "crm_conversations" => SourceRow::Conversation(p(raw)?),
            "crm_conversation_assignments" => SourceRow::Assignment(p(raw)?),
            "crm_messages" => SourceRow::Message(p(raw)?),
            "crm_conversation_tags" => SourceRow::Tags(p(raw)?),
            "crm_leads" => SourceRow::Lead(p(raw)?),
            "crm_quotes" => SourceRow::Quote(p(raw)?),
            other => return Err(format!("no mapping for table {other}")),
        })
    }

    /// The status of a row that can reach a terminal state (ticket, work order, conversation).
    pub fn status(&self) -> Option<&str> {
        match self {
            SourceRow::Ticket(r) => Some(&r.status),
            SourceRow::WorkOrder(r) => Some(&r.status),
            SourceRow::Conversation(r) => Some(&r.status),
            _ => None,
        }
    }
}
