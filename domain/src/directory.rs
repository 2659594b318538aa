//! Who is who at a moment (§3 "Organisation state for P", D8): people's
//! active flags, teams, memberships, and each person's scoring team, folded
//! from the organisation events with `occurred_at` before a cutoff, in
//! (occurred_at, global_position) order.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::catalog::{TeamRole, TeamType};
use crate::event::{EventBody, LogEvent};

#[derive(Debug, Clone, PartialEq)]
pub struct PersonState {
    pub display_name: String,
    pub title: Option<String>,
    pub is_active: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TeamState {
    pub name: String,
    pub team_type: TeamType,
    pub manager_person_id: Option<Uuid>,
    pub is_active: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MembershipState {
    pub role: TeamRole,
    pub is_active: bool,
    /// When the membership last became active (D8 "earliest joined").
    pub joined_at: Option<DateTime<Utc>>,
}

/// The organisation at one moment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OrgState {
    pub people: BTreeMap<Uuid, PersonState>,
    pub teams: BTreeMap<Uuid, TeamState>,
    /// Keyed by (team_id, person_id).
    pub memberships: BTreeMap<(Uuid, Uuid), MembershipState>,
}

impl OrgState {
    /// Folds one organisation event; other events change nothing.
    pub fn apply(&mut self, event: &LogEvent) {
        match &event.body {
            EventBody::PersonUpserted(p) => {
                self.people.insert(
                    p.person_id,
                    PersonState {
                        display_name: p.display_name.clone(),
                        title: p.title.clone(),
                        is_active: p.is_active,
                    },
                );
            }
            EventBody::TeamUpserted(t) => {
                self.teams.insert(
                    t.team_id,
                    TeamState {
                        name: t.name.clone(),
                        team_type: t.team_type,
                        manager_person_id: t.manager_person_id,
                        is_active: t.is_active,
                    },
                );
            }
            EventBody::TeamMemberSet(m) => {
                let entry = self.memberships.entry((m.team_id, m.person_id)).or_insert(MembershipState {
                    role: m.role,
                    is_active: false,
                    joined_at: None,
                });
                if m.is_active && !entry.is_active {
                    entry.joined_at = Some(event.occurred_at);
                }
                entry.role = m.role;
                entry.is_active = m.is_active;
            }
            _ => {}
        }
    }

    /// A person never upserted counts as active (§1).
    pub fn is_active(&self, person_id: Uuid) -> bool {
        self.people.get(&person_id).is_none_or(|p| p.is_active)
    }

    fn team_is_active(&self, team_id: Uuid) -> bool {
        self.teams.get(&team_id).is_some_and(|t| t.is_active)
    }

    /// Active people with an active membership in `team_id`, if the team is active.
    pub fn members(&self, team_id: Uuid) -> BTreeSet<Uuid> {
        if !self.team_is_active(team_id) {
            return BTreeSet::new();
        }
        self.memberships
            .range((team_id, Uuid::nil())..=(team_id, Uuid::max()))
            .filter(|(&(_, person), m)| m.is_active && self.is_active(person))
            .map(|(&(_, person), _)| person)
            .collect()
    }

    /// D8: the active membership in an active team with the highest role,
    /// then the earliest joined, then the smallest team_id.
    pub fn scoring_team(&self, person_id: Uuid) -> Option<Uuid> {
        self.memberships
            .iter()
            .filter(|(&(team, person), m)| person == person_id && m.is_active && self.team_is_active(team))
            .min_by(|(&(team_a, _), a), (&(team_b, _), b)| {
                b.role.cmp(&a.role).then(a.joined_at.cmp(&b.joined_at)).then(team_a.cmp(&team_b))
            })
            .map(|(&(team, _), _)| team)
    }

    /// Every person's scoring team, computed in one pass over the memberships.
    pub fn scoring_teams(&self) -> BTreeMap<Uuid, Uuid> {
        let mut best: BTreeMap<Uuid, (Uuid, &MembershipState)> = BTreeMap::new();
        for (&(team, person), m) in &self.memberships {
            if !m.is_active || !self.team_is_active(team) {
                continue;
            }
            let better = match best.get(&person) {
                None => true,
                Some(&(cur_team, cur)) => {
                    (m.role.cmp(&cur.role).reverse().then(m.joined_at.cmp(&cur.joined_at)).then(team.cmp(&cur_team)))
                        .is_lt()
                }
            };
            if better {
                best.insert(person, (team, m));
            }
        }
        best.into_iter().map(|(person, (team, _))| (person, team)).collect()
    }
}

/// Every organisation event, so the state at any cutoff can be rebuilt.
#[derive(Debug, Clone, Default)]
pub struct OrgHistory {
    /// (occurred_at, global_position, event), kept sorted.
    events: Vec<(DateTime<Utc>, i64, LogEvent)>,
}

impl OrgHistory {
    pub fn is_org_event(event: &LogEvent) -> bool {
        matches!(event.body, EventBody::PersonUpserted(_) | EventBody::TeamUpserted(_) | EventBody::TeamMemberSet(_))
    }

    pub fn push(&mut self, position: i64, event: LogEvent) {
        if Self::is_org_event(&event) {
            self.events.push((event.occurred_at, position, event));
        }
    }

    /// Puts the events in (occurred_at, global_position) order; needed once
    /// before [`OrgHistory::state_at`].
    pub fn sort(&mut self) {
        self.events.sort_by_key(|a| (a.0, a.1));
    }

    /// The state from every event with `occurred_at < cutoff` (§3: "the last
    /// state with occurred_at before the end of P").
    pub fn as_of(&mut self, cutoff: DateTime<Utc>) -> OrgState {
        self.sort();
        self.state_at(cutoff)
    }

    /// [`OrgHistory::as_of`] on a history already sorted with
    /// [`OrgHistory::sort`] (shared between concurrent scoring passes).
    pub fn state_at(&self, cutoff: DateTime<Utc>) -> OrgState {
        debug_assert!(self.events.windows(2).all(|w| (w[0].0, w[0].1) <= (w[1].0, w[1].1)), "sort() first");
        let mut state = OrgState::default();
        for (at, _, event) in &self.events {
            if *at >= cutoff {
                break;
            }
            state.apply(event);
        }
        state
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{PersonUpserted, TeamMemberSet, TeamUpserted};
    use chrono::TimeZone;

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, day, 9, 0, 0).unwrap()
    }

    fn ev(day: u32, body: EventBody) -> LogEvent {
        LogEvent { event_id: format!("e{day}"), occurred_at: at(day), body }
    }

    fn team(id: Uuid, team_type: TeamType, active: bool) -> EventBody {
        EventBody::TeamUpserted(TeamUpserted {
            team_id: id,
            name: "t".into(),
            team_type,
            manager_person_id: None,
            is_active: active,
        })
    }

    fn member(team_id: Uuid, person_id: Uuid, role: TeamRole, is_active: bool) -> EventBody {
        EventBody::TeamMemberSet(TeamMemberSet { team_id, person_id, role, is_active })
    }

    #[test]
    fn scoring_team_prefers_role_then_earliest_join_then_smallest_id() {
        let p = Uuid::from_u128(1);
        let (t1, t2, t3) = (Uuid::from_u128(10), Uuid::from_u128(20), Uuid::from_u128(30));
        let mut h = OrgHistory::default();
        for (i, t) in [t1, t2, t3].into_iter().enumerate() {
            h.push(i as i64, ev(1, team(t, TeamType::Support, true)));
        }
        h.push(10, ev(3, member(t2, p, TeamRole::Member, true)));
        h.push(11, ev(2, member(t3, p, TeamRole::Member, true)));
        let s = h.as_of(at(4));
        assert_eq!(s.scoring_team(p), Some(t3), "earliest joined wins between equal roles");
        assert_eq!(s.scoring_teams().get(&p), Some(&t3));
        h.push(12, ev(5, member(t1, p, TeamRole::Lead, true)));
        let s = h.as_of(at(6));
        assert_eq!(s.scoring_team(p), Some(t1), "the higher role wins");
        assert_eq!(s.scoring_teams().get(&p), Some(&t1));
        h.push(13, ev(7, member(t1, p, TeamRole::Member, true)));
        h.push(14, ev(7, member(t3, p, TeamRole::Member, false)));
        h.push(15, ev(8, member(t3, p, TeamRole::Member, true)));
        let s = h.as_of(at(9));
        // t1 joined day 5 (a role change keeps the join time), t2 day 3, t3 rejoined day 8.
        assert_eq!(s.scoring_team(p), Some(t2));
        assert_eq!(s.scoring_teams().get(&p), Some(&t2));
    }

    #[test]
    fn state_is_taken_before_the_cutoff_in_occurred_at_order() {
        let p = Uuid::from_u128(1);
        let t = Uuid::from_u128(10);
        let mut h = OrgHistory::default();
        h.push(1, ev(1, team(t, TeamType::Sales, true)));
        h.push(2, ev(2, member(t, p, TeamRole::Member, true)));
        // Recorded later but occurred earlier: still applied in occurred_at order.
        h.push(
            3,
            ev(
                3,
                EventBody::PersonUpserted(PersonUpserted {
                    person_id: p,
                    display_name: "P".into(),
                    title: None,
                    is_active: false,
                }),
            ),
        );
        assert!(h.as_of(at(3)).is_active(p), "an event at the cutoff is not yet in force");
        assert!(!h.as_of(at(4)).is_active(p));
        assert!(h.as_of(at(4)).members(t).is_empty(), "inactive people are not members");
        assert_eq!(h.as_of(at(3)).members(t), BTreeSet::from([p]));
        assert!(h.as_of(at(2)).members(t).is_empty());
        h.push(4, ev(1, team(t, TeamType::Sales, false)));
        assert_eq!(h.as_of(at(3)).scoring_team(p), None, "an inactive team scores nobody");
    }

    #[test]
    fn never_upserted_people_are_active_and_teamless() {
        let s = OrgState::default();
        assert!(s.is_active(Uuid::from_u128(5)));
        assert_eq!(s.scoring_team(Uuid::from_u128(5)), None);
    }
}
