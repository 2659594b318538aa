//! DotMac's schema (a copy of `../shared/dotmac/schema.sql`, origin noted in
//! the file) and a generated organisation, for the connector's tests and
//! `perfledger bench connect`.

use chrono::{DateTime, Utc};

/// DotMac's tables as its models build them (load once per database, with `sqlx::raw_sql`).
pub const SCHEMA_SQL: &str = include_str!("../fixtures/dotmac_schema.sql");

/// SQL seeding DotMac's tables with `people` staff in teams of 10 (plus as
/// many customers) and `weeks` weeks of activity from `start` (a Monday):
/// per staff member and week 5 closed tickets (a staff comment each, a
/// rating on every other one), 3 resolved conversations (an inbound and an
/// outbound message each), 2 done tasks, 1 completed work order with a note,
/// 1 lead (won or lost) and 1 accepted quote. Ids are md5-derived, so the
/// same arguments give the same rows.
pub fn bulk_seed_sql(people: u64, weeks: u32, start: DateTime<Utc>) -> String {
    let start = start.to_rfc3339();
    format!(
        r#"
INSERT INTO public.service_teams (id, name, team_type, is_active, created_at, updated_at)
SELECT md5('team' || t)::uuid, 'Team ' || t, 'support', true, '{start}'::timestamptz, '{start}'::timestamptz
FROM generate_series(0, ({people} - 1) / 10) t;
INSERT INTO public.people (id, first_name, last_name, email, email_verified, gender, party_status, status, is_active, marketing_opt_in, created_at, updated_at)
SELECT md5('p' || i)::uuid, 'Staff', 'No ' || i, 'staff' || i || '@example.com', true, 'unknown'::public.gender, 'contact'::public.partystatus, 'active'::public.personstatus, true, false, '{start}'::timestamptz, '{start}'::timestamptz
FROM generate_series(1, {people}) i
UNION ALL
SELECT md5('c' || i)::uuid, 'Customer', 'No ' || i, 'customer' || i || '@example.com', true, 'unknown'::public.gender, 'customer'::public.partystatus, 'active'::public.personstatus, true, false, '{start}'::timestamptz, '{start}'::timestamptz
FROM generate_series(1, {people}) i;
INSERT INTO public.service_team_members (id, team_id, person_id, role, is_active, created_at)
SELECT md5('m' || i)::uuid, md5('team' || ((i - 1) / 10))::uuid, md5('p' || i)::uuid,
       CASE WHEN i % 10 = 1 THEN 'lead' ELSE 'member' END::public.serviceteammemberrole, true, '{start}'::timestamptz
FROM generate_series(1, {people}) i;
INSERT INTO public.crm_agents (id, person_id, is_active, created_at, updated_at)
SELECT md5('a' || i)::uuid, md5('p' || i)::uuid, true, '{start}'::timestamptz, '{start}'::timestamptz FROM generate_series(1, {people}) i;

CREATE TEMP TABLE seed_slots AS
SELECT i, w, k, '{start}'::timestamptz + make_interval(days => w * 7 + (k % 5), hours => 8 + (i + k) % 8) AS at
FROM generate_series(1, {people}) i, generate_series(0, {weeks} - 1) w, generate_series(0, 4) k;

INSERT INTO public.tickets (id, title, status, priority, channel, number, assigned_to_person_id, customer_person_id, due_at, resolved_at, closed_at, is_active, created_at, updated_at)
SELECT md5('t' || i || '-' || w || '-' || k)::uuid, 'Ticket', 'closed', 'normal', 'email', i || '-' || w || '-' || k, md5('p' || i)::uuid, md5('c' || i)::uuid,
       at + interval '4 hours', at + make_interval(mins => 30 + (i * 7 + k * 13) % 300), at + interval '1 day', true, at, at + interval '1 day'
FROM seed_slots;
INSERT INTO public.ticket_comments (id, ticket_id, author_person_id, body, is_internal, created_at)
SELECT md5('tc' || i || '-' || w || '-' || k)::uuid, md5('t' || i || '-' || w || '-' || k)::uuid, md5('p' || i)::uuid, repeat('x', 40 + (i + k) % 100), false, at + interval '10 minutes'
FROM seed_slots;
INSERT INTO public.survey_responses (id, survey_id, ticket_id, person_id, rating, completed_at, created_at)
SELECT md5('r' || i || '-' || w || '-' || k)::uuid, md5('survey')::uuid, md5('t' || i || '-' || w || '-' || k)::uuid, md5('c' || i)::uuid, 1 + (i + k) % 5,
       at + interval '2 days', at + interval '2 days'
FROM seed_slots WHERE k % 2 = 0;
INSERT INTO public.crm_conversations (id, person_id, status, is_active, is_muted, resolved_at, created_at, updated_at)
SELECT md5('cv' || i || '-' || w || '-' || k)::uuid, md5('c' || i)::uuid, 'resolved', true, false, at + interval '3 hours', at, at + interval '3 hours'
FROM seed_slots WHERE k < 3;
INSERT INTO public.crm_conversation_assignments (id, conversation_id, agent_id, assigned_at, is_active, created_at, updated_at)
SELECT md5('ca' || i || '-' || w || '-' || k)::uuid, md5('cv' || i || '-' || w || '-' || k)::uuid, md5('a' || i)::uuid, at + interval '1 minute', false, at, at + interval '3 hours'
FROM seed_slots WHERE k < 3;
INSERT INTO public.crm_messages (id, conversation_id, channel_type, direction, status, author_id, received_at, sent_at, created_at, updated_at)
SELECT md5('mi' || i || '-' || w || '-' || k)::uuid, md5('cv' || i || '-' || w || '-' || k)::uuid, 'email'::public.channeltype, 'inbound'::public.messagedirection, 'received'::public.messagestatus, NULL::uuid, at, NULL, at, at
FROM seed_slots WHERE k < 3
UNION ALL
SELECT md5('mo' || i || '-' || w || '-' || k)::uuid, md5('cv' || i || '-' || w || '-' || k)::uuid, 'email'::public.channeltype, 'outbound'::public.messagedirection, 'sent'::public.messagestatus, md5('p' || i)::uuid, NULL::timestamptz,
       at + make_interval(mins => 5 + (i + k) % 60), at + make_interval(mins => 5 + (i + k) % 60), at + make_interval(mins => 5 + (i + k) % 60)
FROM seed_slots WHERE k < 3;
INSERT INTO public.projects (id, name, status, priority, is_active, created_at, updated_at)
VALUES (md5('project')::uuid, 'Project', 'active', 'normal', true, '{start}'::timestamptz, '{start}'::timestamptz);
INSERT INTO public.project_tasks (id, project_id, title, status, priority, assigned_to_person_id, due_at, completed_at, effort_hours, is_active, created_at, updated_at)
SELECT md5('pt' || i || '-' || w || '-' || k)::uuid, md5('project')::uuid, 'Task', 'done', 'normal', md5('p' || i)::uuid, at + interval '2 days',
       at + make_interval(hours => 20 + (i + k) % 40), 4, true, at, at + make_interval(hours => 20 + (i + k) % 40)
FROM seed_slots WHERE k < 2;
INSERT INTO public.work_orders (id, title, status, priority, work_type, assigned_to_person_id, scheduled_start, scheduled_end, estimated_duration_minutes, started_at, completed_at, is_active, created_at, updated_at)
SELECT md5('wo' || i || '-' || w)::uuid, 'Work order', 'completed', 'normal', 'repair', md5('p' || i)::uuid, at + interval '1 hour', at + interval '3 hours', 120,
       at + interval '1 hour', at + make_interval(mins => 150 + i % 60), true, at, at + make_interval(mins => 150 + i % 60)
FROM seed_slots WHERE k = 0;
INSERT INTO public.work_order_notes (id, work_order_id, author_person_id, body, is_internal, created_at)
SELECT md5('wn' || i || '-' || w)::uuid, md5('wo' || i || '-' || w)::uuid, md5('p' || i)::uuid, repeat('n', 80), false, at + interval '2 hours'
FROM seed_slots WHERE k = 0;
INSERT INTO public.crm_leads (id, person_id, owner_agent_id, title, status, estimated_value, closed_at, is_active, created_at, updated_at)
SELECT md5('l' || i || '-' || w)::uuid, md5('c' || i)::uuid, md5('a' || i)::uuid, 'Lead', CASE WHEN (i + w) % 3 = 0 THEN 'lost' ELSE 'won' END::public.leadstatus,
       1000 + i, at + interval '3 days', true, at, at + interval '3 days'
FROM seed_slots WHERE k = 1;
INSERT INTO public.crm_quotes (id, person_id, lead_id, owner_person_id, status, currency, subtotal, tax_total, total, sent_at, is_active, created_at, updated_at)
SELECT md5('q' || i || '-' || w)::uuid, md5('c' || i)::uuid, md5('l' || i || '-' || w)::uuid, md5('p' || i)::uuid, 'accepted', 'NGN', 500, 0, 500,
       at + interval '1 day', true, at, at + interval '2 days'
FROM seed_slots WHERE k = 1;
DROP TABLE seed_slots;
"#
    )
}
