//! Goals (seed `AgentPerformanceGoal`, D14) with cqrs-es's `TestFramework`:
//! one test per rule and rejection of the goal aggregate, plus `settle`.

use chrono::{DateTime, NaiveDate, Utc};
use cqrs_es::test::TestFramework;
use cqrs_es::{Aggregate, DomainEvent};
use perfledger_domain::aggregates::{Goal, GoalCommand, GoalCommandEnvelope};
use perfledger_domain::goals::{settle, Comparison, GoalCanceled, GoalCreated, GoalSettled, GoalUpdated};
use perfledger_domain::scoring::formulas::METRIC_KEYS;
use perfledger_domain::scoring::Domain;
use perfledger_domain::{EventBody, LogEvent, Rejection};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use uuid::Uuid;

const GOAL: Uuid = Uuid::from_u128(0x60a1);
const ALICE: Uuid = Uuid::from_u128(0xa11ce);
const MANAGER: Uuid = Uuid::from_u128(0xb055);

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn at(s: &str) -> DateTime<Utc> {
    format!("{s}T06:00:00Z").parse().unwrap()
}

/// The day the goal is created on.
const TODAY: &str = "2026-11-02";
const DEADLINE: &str = "2026-12-31";

fn goal() -> TestFramework<Goal> {
    TestFramework::with(())
}

fn command(id: &str, day: &str, command: GoalCommand) -> GoalCommandEnvelope {
    GoalCommandEnvelope { goal_id: GOAL, event_id: id.into(), occurred_at: at(day), command }
}

fn event(id: &str, day: &str, body: EventBody) -> LogEvent {
    LogEvent { event_id: id.into(), occurred_at: at(day), body }
}

/// A metric key of `domain` from the formulas' table.
fn metric_of(domain: Domain) -> &'static str {
    METRIC_KEYS.iter().find(|(d, _, _)| *d == domain).map(|(_, k, _)| *k).expect("a metric")
}

// ------------------------------------------------------------ builders

struct Create {
    domain: Domain,
    metric_key: String,
    label: String,
    target_value: Decimal,
    comparison: Comparison,
    deadline: NaiveDate,
}

impl Default for Create {
    fn default() -> Self {
        Create {
            domain: Domain::Communication,
            metric_key: "avg_first_response_minutes".into(),
            label: "Reduce FRT to under 10 minutes".into(),
            target_value: dec!(10),
            comparison: Comparison::Lte,
            deadline: date(DEADLINE),
        }
    }
}

impl Create {
    fn command(self) -> GoalCommandEnvelope {
        command(
            "create",
            TODAY,
            GoalCommand::Create {
                person_id: ALICE,
                domain: self.domain,
                metric_key: self.metric_key,
                label: self.label,
                target_value: self.target_value,
                comparison: self.comparison,
                deadline: self.deadline,
                created_by_person_id: Some(MANAGER),
                today: date(TODAY),
            },
        )
    }

    fn event(self) -> LogEvent {
        event(
            "create",
            TODAY,
            EventBody::GoalCreated(GoalCreated {
                goal_id: GOAL,
                person_id: ALICE,
                domain: self.domain,
                metric_key: self.metric_key,
                label: self.label,
                target_value: self.target_value,
                comparison: self.comparison,
                deadline: self.deadline,
                created_by_person_id: Some(MANAGER),
            }),
        )
    }
}

/// FRT ≤ 10 minutes by 31 December.
fn created() -> LogEvent {
    Create::default().event()
}

#[derive(Default)]
struct Update {
    label: Option<&'static str>,
    target_value: Option<Decimal>,
    comparison: Option<Comparison>,
    deadline: Option<&'static str>,
}

impl Update {
    fn command(self) -> GoalCommandEnvelope {
        command(
            "update",
            "2026-11-10",
            GoalCommand::Update {
                actor_person_id: Some(MANAGER),
                label: self.label.map(Into::into),
                target_value: self.target_value,
                comparison: self.comparison,
                deadline: self.deadline.map(date),
                today: date("2026-11-10"),
            },
        )
    }
}

fn updated(
    label: Option<&str>,
    target_value: Option<Decimal>,
    comparison: Option<Comparison>,
    deadline: Option<&str>,
) -> LogEvent {
    event(
        "update",
        "2026-11-10",
        EventBody::GoalUpdated(GoalUpdated {
            goal_id: GOAL,
            actor_person_id: Some(MANAGER),
            label: label.map(Into::into),
            target_value,
            comparison,
            deadline: deadline.map(date),
        }),
    )
}

fn cancel() -> GoalCommandEnvelope {
    command("cancel", "2026-11-10", GoalCommand::Cancel { actor_person_id: Some(MANAGER) })
}

fn canceled() -> LogEvent {
    event(
        "cancel",
        "2026-11-10",
        EventBody::GoalCanceled(GoalCanceled { goal_id: GOAL, actor_person_id: Some(MANAGER) }),
    )
}

fn achieve(day: &str, current_value: Option<Decimal>) -> GoalCommandEnvelope {
    command("achieve", day, GoalCommand::Achieve { current_value })
}

fn achieved(day: &str, current_value: Option<Decimal>) -> LogEvent {
    event("achieve", day, EventBody::GoalAchieved(GoalSettled { goal_id: GOAL, current_value }))
}

fn miss(day: &str, current_value: Option<Decimal>) -> GoalCommandEnvelope {
    command("miss", day, GoalCommand::Miss { current_value })
}

fn missed(day: &str, current_value: Option<Decimal>) -> LogEvent {
    event("miss", day, EventBody::GoalMissed(GoalSettled { goal_id: GOAL, current_value }))
}

/// Asserts a rejection about `field` whose reason contains `part`.
fn refused(result: Result<Vec<LogEvent>, Rejection>, field: &str, part: &str) {
    let rejection = result.expect_err("expected a rejection");
    assert_eq!(rejection.field, field, "{rejection}");
    assert!(rejection.reason.contains(part), "expected {part:?} in {rejection}");
}

fn create_refused(create: Create, field: &str, part: &str) {
    refused(goal().given_no_previous_events().when(create.command()).inspect_result(), field, part);
}

fn create_accepted(create: Create) {
    let command = create.command();
    let GoalCommand::Create { domain, metric_key, label, target_value, comparison, deadline, .. } =
        command.command.clone()
    else {
        unreachable!()
    };
    let expected = Create { domain, metric_key, label, target_value, comparison, deadline }.event();
    goal().given_no_previous_events().when(command).then_expect_events(vec![expected]);
}

// ------------------------------------------------------------ create

#[test]
fn creating_a_goal_is_accepted() {
    goal().given_no_previous_events().when(Create::default().command()).then_expect_events(vec![created()]);
}

#[test]
fn the_aggregate_is_goal_and_its_events_are_goal_events() {
    assert_eq!(Goal::TYPE, "goal");
    assert_eq!(created().event_type(), "goal.created");
    assert_eq!(canceled().event_type(), "goal.canceled");
    assert_eq!(achieved(TODAY, None).event_type(), "goal.achieved");
    assert_eq!(missed(TODAY, None).event_type(), "goal.missed");
    assert_eq!(updated(Some("x"), None, None, None).event_type(), "goal.updated");
}

#[test]
fn a_second_creation_is_rejected() {
    goal()
        .given(vec![created()])
        .when(Create::default().command())
        .then_expect_error(Rejection::new("goal_id", format!("goal '{GOAL}' was already created")));
}

#[test]
fn a_label_of_1_to_200_characters_is_accepted() {
    create_accepted(Create { label: "x".into(), ..Create::default() });
    create_accepted(Create { label: "é".repeat(200), ..Create::default() });
}

#[test]
fn an_empty_or_blank_label_is_rejected() {
    create_refused(Create { label: "".into(), ..Create::default() }, "label", "must not be blank");
    create_refused(Create { label: "   ".into(), ..Create::default() }, "label", "must not be blank");
}

#[test]
fn a_label_over_200_characters_is_rejected() {
    create_refused(
        Create { label: "x".repeat(201), ..Create::default() },
        "label",
        "is 201 characters long; at most 200 are allowed",
    );
}

#[test]
fn the_composite_is_a_metric_of_every_domain() {
    for domain in Domain::ALL {
        create_accepted(Create { domain, metric_key: "composite".into(), ..Create::default() });
    }
}

#[test]
fn a_domains_own_score_is_a_metric_of_it() {
    for domain in Domain::ALL {
        create_accepted(Create { domain, metric_key: domain.as_str().into(), ..Create::default() });
    }
}

#[test]
fn every_metric_of_a_domain_is_accepted() {
    for (domain, key, _) in METRIC_KEYS {
        create_accepted(Create { domain: *domain, metric_key: key.to_string(), ..Create::default() });
    }
}

#[test]
fn another_domains_score_or_metric_is_rejected() {
    create_refused(
        Create { domain: Domain::Support, metric_key: "sales".into(), ..Create::default() },
        "metric_key",
        "'sales' is not a metric of support; expected composite, support (the domain score) or one of",
    );
    let sales_only = METRIC_KEYS
        .iter()
        .find(|(d, k, _)| *d == Domain::Sales && !METRIC_KEYS.iter().any(|(o, ok, _)| *o == Domain::Support && ok == k))
        .map(|(_, k, _)| *k)
        .unwrap();
    create_refused(
        Create { domain: Domain::Support, metric_key: sales_only.into(), ..Create::default() },
        "metric_key",
        "is not a metric of support",
    );
}

#[test]
fn an_unknown_metric_is_rejected_listing_the_domains_metrics() {
    let support_metric = metric_of(Domain::Support);
    create_refused(
        Create { domain: Domain::Support, metric_key: "happiness".into(), ..Create::default() },
        "metric_key",
        support_metric,
    );
}

#[test]
fn an_empty_or_too_long_metric_key_is_rejected() {
    create_refused(Create { metric_key: "".into(), ..Create::default() }, "metric_key", "must not be empty");
    create_refused(
        Create { metric_key: "k".repeat(81), ..Create::default() },
        "metric_key",
        "is 81 characters long; at most 80 are allowed",
    );
}

#[test]
fn a_target_of_0_to_just_below_10_to_the_10_with_2_decimals_is_accepted() {
    for target_value in [dec!(0), dec!(9999999999.99), dec!(12.5), dec!(12.50), dec!(12.500)] {
        create_accepted(Create { target_value, ..Create::default() });
    }
}

#[test]
fn a_negative_target_is_rejected() {
    create_refused(Create { target_value: dec!(-1), ..Create::default() }, "target_value", "must not be negative");
}

#[test]
fn a_target_with_more_than_2_decimals_is_rejected() {
    create_refused(
        Create { target_value: dec!(12.345), ..Create::default() },
        "target_value",
        "may have at most 2 decimals (got 12.345)",
    );
}

#[test]
fn a_target_of_10_to_the_10_or_more_is_rejected() {
    create_refused(
        Create { target_value: dec!(10000000000), ..Create::default() },
        "target_value",
        "must be less than 10000000000",
    );
}

#[test]
fn a_deadline_today_is_accepted() {
    create_accepted(Create { deadline: date(TODAY), ..Create::default() });
}

#[test]
fn a_deadline_before_today_is_rejected() {
    goal()
        .given_no_previous_events()
        .when(Create { deadline: date("2026-11-01"), ..Create::default() }.command())
        .then_expect_error(Rejection::new("deadline", "2026-11-01 is in the past; expected 2026-11-02 or later"));
}

// ------------------------------------------------------------ update

#[test]
fn an_update_records_only_what_changes() {
    goal()
        .given(vec![created()])
        .when(
            Update {
                label: Some("FRT under 8 minutes"),
                target_value: Some(dec!(8)),
                comparison: Some(Comparison::Lte),
                deadline: Some(DEADLINE),
            }
            .command(),
        )
        .then_expect_events(vec![updated(Some("FRT under 8 minutes"), Some(dec!(8)), None, None)]);
}

#[test]
fn each_field_can_be_updated() {
    let cases = [
        (Update { label: Some("new"), ..Update::default() }, updated(Some("new"), None, None, None)),
        (Update { target_value: Some(dec!(5)), ..Update::default() }, updated(None, Some(dec!(5)), None, None)),
        (
            Update { comparison: Some(Comparison::Gte), ..Update::default() },
            updated(None, None, Some(Comparison::Gte), None),
        ),
        (Update { deadline: Some("2027-01-31"), ..Update::default() }, updated(None, None, None, Some("2027-01-31"))),
    ];
    for (update, expected) in cases {
        goal().given(vec![created()]).when(update.command()).then_expect_events(vec![expected]);
    }
}

#[test]
fn an_update_applies_to_later_commands() {
    // Target raised to 20 (lte): 15 now meets it.
    goal()
        .given(vec![created(), updated(None, Some(dec!(20)), None, None)])
        .when(achieve("2026-11-20", Some(dec!(15))))
        .then_expect_events(vec![achieved("2026-11-20", Some(dec!(15)))]);
}

#[test]
fn an_update_that_changes_nothing_is_rejected() {
    for update in [
        Update::default(),
        Update {
            label: Some("Reduce FRT to under 10 minutes"),
            target_value: Some(dec!(10.00)),
            comparison: Some(Comparison::Lte),
            deadline: Some(DEADLINE),
        },
    ] {
        refused(goal().given(vec![created()]).when(update.command()).inspect_result(), "goal_id", "would not change");
    }
}

#[test]
fn an_update_to_an_invalid_label_is_rejected() {
    refused(
        goal().given(vec![created()]).when(Update { label: Some(""), ..Update::default() }.command()).inspect_result(),
        "label",
        "must not be blank",
    );
}

#[test]
fn an_update_to_an_invalid_target_is_rejected() {
    for target in [dec!(-0.01), dec!(1.001), dec!(10000000000)] {
        let update = Update { target_value: Some(target), ..Update::default() };
        refused(goal().given(vec![created()]).when(update.command()).inspect_result(), "target_value", "");
    }
}

#[test]
fn an_update_to_a_past_deadline_is_rejected() {
    goal()
        .given(vec![created()])
        .when(Update { deadline: Some("2026-11-09"), ..Update::default() }.command())
        .then_expect_error(Rejection::new("deadline", "2026-11-09 is in the past; expected 2026-11-10 or later"));
}

#[test]
fn an_unchanged_past_deadline_does_not_block_an_update() {
    // Created with today's deadline; a week later only the label changes.
    let today = Create { deadline: date(TODAY), ..Create::default() };
    goal()
        .given(vec![today.event()])
        .when(Update { label: Some("new"), deadline: Some(TODAY), ..Update::default() }.command())
        .then_expect_events(vec![updated(Some("new"), None, None, None)]);
}

// ------------------------------------------------------------ a goal that does not exist or is not active

fn every_later_command() -> Vec<GoalCommandEnvelope> {
    vec![
        Update { label: Some("new"), ..Update::default() }.command(),
        cancel(),
        achieve("2026-11-20", Some(dec!(5))),
        miss("2027-01-01", Some(dec!(50))),
    ]
}

#[test]
fn every_command_on_a_goal_that_does_not_exist_is_rejected_naming_it() {
    for command in every_later_command() {
        goal()
            .given_no_previous_events()
            .when(command)
            .then_expect_error(Rejection::new("goal_id", format!("goal '{GOAL}' does not exist")));
    }
}

#[test]
fn every_command_on_a_settled_or_canceled_goal_is_rejected_naming_its_status() {
    let ends = [
        ("canceled", canceled()),
        ("achieved", achieved("2026-11-20", Some(dec!(5)))),
        ("missed", missed("2027-01-01", Some(dec!(50)))),
    ];
    let verbs = ["updated", "canceled", "achieved", "missed"];
    for (status, end) in ends {
        for (command, verb) in every_later_command().into_iter().zip(verbs) {
            goal().given(vec![created(), end.clone()]).when(command).then_expect_error(Rejection::new(
                "status",
                format!("goal '{GOAL}' is {status}; only an active goal can be {verb}"),
            ));
        }
    }
}

#[test]
fn a_command_for_another_goal_is_rejected() {
    let mut other = cancel();
    other.goal_id = Uuid::from_u128(0x07e4);
    refused(goal().given(vec![created()]).when(other).inspect_result(), "goal_id", &format!("is not goal '{GOAL}'"));
}

// ------------------------------------------------------------ cancel

#[test]
fn an_active_goal_can_be_canceled() {
    goal().given(vec![created()]).when(cancel()).then_expect_events(vec![canceled()]);
}

#[test]
fn an_updated_goal_can_be_canceled() {
    goal()
        .given(vec![created(), updated(Some("new"), None, None, None)])
        .when(cancel())
        .then_expect_events(vec![canceled()]);
}

// ------------------------------------------------------------ achieve

#[test]
fn a_met_lte_goal_is_achieved() {
    for value in [dec!(10), dec!(7.25)] {
        goal()
            .given(vec![created()])
            .when(achieve("2026-11-20", Some(value)))
            .then_expect_events(vec![achieved("2026-11-20", Some(value))]);
    }
}

#[test]
fn a_met_gte_goal_is_achieved() {
    let gte = Create {
        domain: Domain::Support,
        metric_key: "support".into(),
        target_value: dec!(85),
        comparison: Comparison::Gte,
        ..Create::default()
    };
    goal()
        .given(vec![gte.event()])
        .when(achieve("2026-11-20", Some(dec!(85))))
        .then_expect_events(vec![achieved("2026-11-20", Some(dec!(85)))]);
}

#[test]
fn the_value_it_is_settled_on_is_rounded_to_2_decimals() {
    goal()
        .given(vec![created()])
        .when(achieve("2026-11-20", Some(dec!(7.125))))
        .then_expect_events(vec![achieved("2026-11-20", Some(dec!(7.13)))]);
}

#[test]
fn an_unmet_goal_cannot_be_achieved() {
    goal().given(vec![created()]).when(achieve("2026-11-20", Some(dec!(10.01)))).then_expect_error(Rejection::new(
        "current_value",
        format!("goal '{GOAL}' is not met: current value 10.01 is not <= target 10"),
    ));
}

#[test]
fn a_goal_without_a_value_cannot_be_achieved() {
    refused(
        goal().given(vec![created()]).when(achieve("2026-11-20", None)).inspect_result(),
        "current_value",
        "there is no current value",
    );
}

#[test]
fn a_value_beyond_numeric_12_2_is_rejected() {
    refused(
        goal().given(vec![created()]).when(achieve("2026-11-20", Some(dec!(-10000000000)))).inspect_result(),
        "current_value",
        "must be less than 10000000000 in magnitude",
    );
}

// ------------------------------------------------------------ miss

#[test]
fn an_unmet_goal_is_missed_after_its_deadline() {
    goal()
        .given(vec![created()])
        .when(miss("2027-01-01", Some(dec!(12.5))))
        .then_expect_events(vec![missed("2027-01-01", Some(dec!(12.5)))]);
}

#[test]
fn a_goal_that_never_got_a_value_is_missed_after_its_deadline() {
    goal().given(vec![created()]).when(miss("2027-01-01", None)).then_expect_events(vec![missed("2027-01-01", None)]);
}

#[test]
fn a_goal_cannot_be_missed_until_its_deadline_has_passed() {
    for day in ["2026-11-20", DEADLINE] {
        goal().given(vec![created()]).when(miss(day, Some(dec!(50)))).then_expect_error(Rejection::new(
            "deadline",
            format!("goal '{GOAL}' cannot be missed on {day}: its deadline {DEADLINE} has not passed"),
        ));
    }
}

#[test]
fn a_goal_moved_to_a_later_deadline_is_not_missed_at_the_old_one() {
    refused(
        goal()
            .given(vec![created(), updated(None, None, None, Some("2027-03-31"))])
            .when(miss("2027-01-01", Some(dec!(50))))
            .inspect_result(),
        "deadline",
        "2027-03-31 has not passed",
    );
}

#[test]
fn a_met_goal_cannot_be_missed() {
    goal().given(vec![created()]).when(miss("2027-01-01", Some(dec!(9)))).then_expect_error(Rejection::new(
        "current_value",
        format!("goal '{GOAL}' is met, so it cannot be missed: current value 9 <= target 10"),
    ));
}

// ------------------------------------------------------------ settle

#[test]
fn settle_lte_is_met_at_or_below_the_target() {
    assert!(settle(Comparison::Lte, dec!(10), Some(dec!(10))));
    assert!(settle(Comparison::Lte, dec!(10), Some(dec!(0))));
    assert!(!settle(Comparison::Lte, dec!(10), Some(dec!(10.01))));
}

#[test]
fn settle_gte_is_met_at_or_above_the_target() {
    assert!(settle(Comparison::Gte, dec!(85), Some(dec!(85))));
    assert!(settle(Comparison::Gte, dec!(85), Some(dec!(100))));
    assert!(!settle(Comparison::Gte, dec!(85), Some(dec!(84.99))));
}

#[test]
fn settle_without_a_value_is_never_met() {
    assert!(!settle(Comparison::Lte, dec!(10), None));
    assert!(!settle(Comparison::Gte, dec!(0), None));
}
