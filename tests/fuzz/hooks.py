"""schemathesis hooks for tests/e2e/schema_fuzz.rs (loaded through SCHEMATHESIS_HOOKS).

The spec states every rule JSON Schema can express (formats, patterns, enums,
ranges, `additionalProperties: false`, `minProperties`). A few rules cannot be
expressed: they span two fields (`period` with `from`/`to`), depend on the
calendar (week 53 of a year without one, a date that is not a Monday), on
today (a goal deadline in the past) or on a secret (the DotMac webhook's
`X-Webhook-Signature-256` must be the HMAC of the body under the configured
secret: a well-formed but wrong signature is a 401). The spec states each one in the
parameter or field description and documents the status it gets, and the API
answers it with a problem naming the field and the reason.

`positive_data_acceptance` cannot read prose: a request that matches the
schema but breaks one of those rules fails it. This hook accepts such a
failure only when the answer is exactly the documented one: the status the
operation documents for the rule, `application/problem+json`, and a `field`
and `reason` matching one of the rules listed below for that operation. Any
other refusal of a schema-valid request still fails the run, and so does any
failure of every other check.

With PERFLEDGER_FUZZ_DISCOVER=1 the hook prints every failure of the two
data checks (ST201, ST202) and drops it, to list them all in one run instead
of one per operation and check.
"""

import json
import os
import re
import sys

import schemathesis

_PERIOD = [
    (400, "period", r"give either period or from/to, not both"),
    (400, "to", r"is required with from"),
    (400, "from", r"is required with to"),
    (400, "from", r"[0-9-]+ is after to \([0-9-]+\)"),
    (400, "to", r"the range \S+ spans [0-9]+ days; at most 366 are allowed"),
    (400, "period", r"'[0-9]{4}-W53' is not an ISO week: -?[0-9]+ has no week 53"),
]

_GOAL_VALUES = [
    (422, "metric_key", r"'.*' is not a metric of \w+; expected .*"),
    (422, "deadline", r"[0-9-]+ is in the past; expected [0-9-]+ or later"),
    (422, "target_value", r"may have at most 2 decimals \(got .*\)"),
    (422, "target_value", r"must be less than 10000000000 \(got .*\)"),
]

# "METHOD path" -> [(status, field, reason regex)], each documented in the spec.
DOCUMENTED = {
    "GET /api/v1/performance/scores": _PERIOD,
    "GET /api/v1/performance/leaderboard": _PERIOD,
    "GET /api/v1/performance/leaderboard.csv": _PERIOD,
    "GET /api/v1/performance/team-summary": _PERIOD,
    "GET /api/v1/performance/peer-comparison": _PERIOD,
    "GET /api/v1/performance/scores/{person_id}/{week}/{domain}/events": [
        (400, "week", r"'[0-9]{4}-W53' is not an ISO week: -?[0-9]+ has no week 53"),
        (400, "week", r"'[0-9]{4}-[0-9]{2}-[0-9]{2}' is not a week; expected .*"),
        (400, "week", r"[0-9-]+ is not a Monday; a week starts on Monday"),
    ],
    # The audit log's date filter: from after to is a rule across two fields.
    "GET /api/v1/performance/audit": [(400, "from", r"[0-9-]+ is after to \([0-9-]+\)")],
    "GET /api/v1/performance/audit.csv": [(400, "from", r"[0-9-]+ is after to \([0-9-]+\)")],
    "POST /api/v1/performance/goals": _GOAL_VALUES,
    # The goal's state: settled or canceled goals take no change, and a
    # change must change something (both documented on the 422).
    "PATCH /api/v1/performance/goals/{id}": _GOAL_VALUES
    + [
        (422, "status", r"cancel alone: give no other field with status"),
        (422, "status", r"goal '[0-9a-f-]+' is (canceled|achieved|missed); only an active goal can be \w+"),
        (422, "goal_id", r"goal '[0-9a-f-]+' would not change: .*"),
    ],
    # Which event: one of two fields (not expressible), and the log's state:
    # a position is voided once and a void cannot be voided.
    "POST /api/v1/admin/events/void": [
        (422, "position", r"give event_id or position, not both"),
        (422, "event_id", r"give event_id or position"),
        (422, "event_id", r"the event at position [0-9]+ is already voided"),
        (422, "event_id", r"is itself a void; a void cannot be voided"),
    ],
    # The signature must be the HMAC-SHA256 of the exact body under the
    # secret shared with DotMac: the schema states its form (`sha256=` and 64
    # hex digits), not its value, so every generated request is refused with
    # 401 naming the header (schemathesis accepts a 401 for valid data too;
    # listed so that the rule is written down with the others). Nothing is
    # stored; the route is off (404) when no secret is configured.
    "POST /api/v1/connectors/dotmac/webhook": [
        (401, "X-Webhook-Signature-256", r"is missing: .*"),
        (401, "X-Webhook-Signature-256", r"does not match the body under the configured secret"),
    ],
    "POST /api/v1/performance/what-if": [
        (422, "period", r"give period or last_weeks, not both"),
        (422, "period", r"give period \(an ISO week\) or last_weeks"),
        (422, "period", r"'[0-9]{4}-W53' is not an ISO week: -?[0-9]+ has no week 53"),
        (422, "weights", r".+"),
    ],
    # The settings rules (values by key, weights), the effective date's
    # bounds (from 2000-01-01 to 366 days after today) and the reason (not
    # blank, no control characters), each documented on the 422.
    "POST /api/v1/performance/settings": [
        (422, "changes", r".+"),
        (422, r"changes\.", r".+"),
        (422, "effective_from", r".+"),
        (422, "reason", r".+"),
    ],
}

DISCOVER = os.environ.get("PERFLEDGER_FUZZ_DISCOVER") == "1"


def _problem(response):
    content_type = (response.headers.get("content-type") or [""])[0]
    if not content_type.startswith("application/problem+json"):
        return None
    try:
        return json.loads(response.content)
    except ValueError:
        return None


@schemathesis.hook
def filter_failure(ctx, failure, case, response):
    code = getattr(failure, "code", None)
    operation = f"{case.operation.method.upper()} {case.operation.path}"
    if DISCOVER and code in ("ST201", "ST202"):
        body = response.content[:300].decode("utf-8", "replace")
        sent = {"path": case.path_parameters, "query": case.query, "body": getattr(case, "body", None)}
        print(f"DISCOVER {code} {operation} [{response.status_code}] {body} SENT {sent!r:.300}", file=sys.stderr)
        return False
    if code != "ST202":
        return True
    problem = _problem(response)
    if not problem:
        return True
    field, reason = problem.get("field"), problem.get("reason")
    for status, rule_field, pattern in DOCUMENTED.get(operation, []):
        field_matches = field == rule_field or (rule_field.endswith("\\.") and re.match(rule_field, field or ""))
        if response.status_code == status and field_matches and re.fullmatch(pattern, reason or ""):
            return False
    return True
