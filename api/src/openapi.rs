//! The OpenAPI 3.1 description of every route the router serves, generated
//! with utoipa from the `#[utoipa::path]` attributes on the handlers and
//! served as JSON at `GET /api/v1/openapi.json` (public, no token).
//!
//! The handlers read their query strings and bodies by hand (so that every
//! unknown or repeated parameter is refused with a problem naming the
//! field), and answer `serde_json::Value`s; the schemas below describe those
//! shapes for the spec only. Adding a route: annotate its handler, list it in
//! [`ApiDoc`]'s `paths(...)`, and add it to the route list of
//! `tests/e2e/openapi.rs` (the test fails when the spec and the router part).

use std::sync::OnceLock;

use axum::http::header;
use axum::response::IntoResponse;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The path the spec is served at.
pub const SPEC_PATH: &str = "/api/v1/openapi.json";
/// The media type of every error.
pub const PROBLEM_JSON: &str = "application/problem+json";
/// The name of the bearer security scheme.
pub const BEARER: &str = "bearer";
/// The name of the session-cookie security scheme: GET downloads only
/// (`crate::auth::DownloadPrincipal`).
pub const SESSION: &str = "session";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "perfledger",
        description = "Agent performance scoring over an event log: ingest CRM activity, read scorecards, \
                       goals, reviews and reports. Errors are `application/problem+json` (RFC 9457); the \
                       performance API's problems also name the `field` at fault and the `reason`."
    ),
    paths(
        crate::web::home,
        crate::ops::health,
        crate::ops::ready,
        crate::ops::metrics,
        serve_spec,
        crate::ingest::post_events,
        crate::performance::scores::list,
        crate::performance::goals::list,
        crate::performance::goals::create,
        crate::performance::goals::update,
        crate::performance::reviews::list,
        crate::performance::reviews::generate,
        crate::performance::reviews::detail,
        crate::performance::reviews::acknowledge,
        crate::performance::reports::leaderboard,
        crate::performance::reports::leaderboard_csv,
        crate::performance::reports::team_summary,
        crate::performance::reports::peer_comparison,
        crate::performance::reports::drilldown,
        crate::performance::what_if::what_if,
        crate::performance::audit::settings_history,
        crate::performance::audit::settings_history_csv,
        crate::performance::audit::audit_log,
        crate::performance::audit::audit_csv,
        crate::performance::settings::get,
        crate::performance::settings::post,
        crate::admin::void,
        crate::connectors::dotmac_webhook,
    ),
    components(schemas(
        crate::problem::Problem,
        crate::schemas::IngestReport,
        crate::schemas::RejectedItem,
        crate::schemas::Health,
        crate::schemas::Ready,
        crate::schemas::ProjectorLag,
        crate::schemas::ScoreHistory,
        crate::schemas::ScoreRange,
        crate::schemas::WeeklyScore,
        crate::schemas::DomainScore,
        crate::schemas::MetricRule,
        crate::schemas::GoalList,
        crate::schemas::Goal,
        crate::schemas::CreateGoal,
        crate::schemas::UpdateGoal,
        crate::schemas::CancelStatus,
        crate::schemas::GenerateReview,
        crate::schemas::ReviewList,
        crate::queries::reviews::ReviewRow,
        crate::app::reviews::RequestedReview,
        crate::app::reviews::AcknowledgedReview,
        crate::schemas::WhatIfRequest,
        crate::app::audit::SettingsChange,
        crate::app::audit::KeyChange,
        crate::app::audit::AuditEntry,
        crate::schemas::ChangeSettingsRequest,
        crate::app::settings::SettingsInForce,
        crate::app::settings::SettingInForce,
        crate::app::settings::SetBy,
        crate::app::settings::Published,
        crate::schemas::VoidRequest,
        crate::schemas::Voided,
        crate::schemas::Envelope,
        crate::schemas::DotmacWebhookBody,
        crate::schemas::DotmacWebhookAnswer,
    )),
    modifiers(&BearerAuth, &BodyRules),
    tags(
        (name = "ops", description = "Health, readiness, metrics and this spec: no token needed"),
        (name = "ingest", description = "CRM activity into the event log"),
        (name = "performance", description = "Scorecards, goals and reviews, scoped server-side to what the caller may see"),
        (name = "admin", description = "Operating the log: voiding an event a projector cannot fold (admins only)"),
        (name = "connectors", description = "Sources that are not perfledger's envelope: DotMac CRM's signed webhooks (no bearer token; the signature is the credential)"),
    )
)]
pub struct ApiDoc;

/// Adds the bearer (JWT) security scheme the performance and ingest routes use,
/// and the session cookie GET downloads also accept.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut http = Http::new(HttpAuthScheme::Bearer);
        http.bearer_format = Some("JWT".to_string());
        http.description = Some(
            "A JWT signed with HS256 or RS256 (as configured); `sub` is the person_id, plus `roles` and \
             `permissions`. Mint one with `perfledger token`."
                .to_string(),
        );
        components.add_security_scheme(BEARER, SecurityScheme::Http(http));
        let cookie = ApiKey::Cookie(ApiKeyValue::with_description(
            crate::auth::SESSION_COOKIE,
            "The dashboards' HttpOnly session cookie (the same JWT as the bearer token), set by signing in at \
             /auth/sign-in. Accepted only by GET downloads (the CSV exports the pages link to), and only when \
             no Authorization header is sent; the scope is the same as the bearer token's.",
        ));
        components.add_security_scheme(SESSION, SecurityScheme::ApiKey(cookie));
    }
}

/// What the derived body schemas cannot say by themselves, filled in from
/// the code's own rules so the two cannot part:
/// - `CreateGoal.metric_key`: one of the keys `domain::goals` accepts for
///   some domain (`composite`, a domain name or a domain's metric); whether
///   it belongs to the goal's `domain` is a rule across two fields (422).
/// - `target_value` (both goal bodies): a JSON number or a decimal string
///   (the dashboards post strings), at least 0 and below 10^10.
/// - `WhatIfRequest.weights`: an object with at least one entry.
struct BodyRules;

/// `target_value` as the goal handlers read it (`goals::decimal_field`).
fn target_value_schema(nullable: bool) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
    let mut one_of = OneOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::Number).minimum(Some(0.0)).exclusive_maximum(Some(1e10)))
        .item(ObjectBuilder::new().schema_type(Type::String).pattern(Some(crate::app::fields::DECIMAL_PATTERN)));
    if nullable {
        one_of = one_of.item(ObjectBuilder::new().schema_type(Type::Null));
    }
    one_of
        .description(Some(
            "A JSON number or a decimal string (`\"12.5\"`), at least 0 and below 10000000000, with at most 2 \
             decimals (422 otherwise; the schema cannot state the decimals)",
        ))
        .into()
}

impl Modify for BodyRules {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
        use utoipa::openapi::RefOr;
        let Some(components) = openapi.components.as_mut() else { return };
        fn object<'a>(
            components: &'a mut utoipa::openapi::Components,
            name: &str,
        ) -> &'a mut utoipa::openapi::schema::Object {
            match components.schemas.get_mut(name) {
                Some(RefOr::T(Schema::Object(object))) => object,
                _ => panic!("the spec has a {name} object schema"),
            }
        }
        let create = object(components, "CreateGoal");
        use perfledger_domain::scoring::{formulas::METRIC_KEYS, Domain};
        let mut keys = vec![perfledger_domain::goals::COMPOSITE_METRIC_KEY];
        keys.extend(Domain::ALL.iter().map(|d| d.as_str()));
        for (_, key, _) in METRIC_KEYS {
            if !keys.contains(key) {
                keys.push(key);
            }
        }
        create.properties.insert(
            "metric_key".to_string(),
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(keys))
                .description(Some(
                    "`composite`, the domain's own name (its domain score) or one of the domain's metrics; a key \
                     of another domain is refused (422)",
                ))
                .into(),
        );
        create.properties.insert("target_value".to_string(), target_value_schema(false));
        object(components, "UpdateGoal").properties.insert("target_value".to_string(), target_value_schema(true));
        match object(components, "WhatIfRequest").properties.get_mut("weights") {
            Some(RefOr::T(Schema::Object(weights))) => weights.min_properties = Some(1),
            _ => panic!("WhatIfRequest has a weights object"),
        }
    }
}

/// The spec as a value.
pub fn spec() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The spec as pretty JSON, built once per process.
pub fn spec_json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| spec().to_pretty_json().expect("the OpenAPI spec serializes"))
}

/// This OpenAPI document.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "ops",
    operation_id = "openapi",
    responses((status = 200, description = "The OpenAPI 3.1 document of this API", content_type = "application/json", body = Object))
)]
pub async fn serve_spec() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], spec_json())
}

// ------------------------------------------------------------ schemas
//
#[cfg(test)]
mod tests {
    use super::*;

    use serde_json::Value;

    #[test]
    fn the_spec_is_openapi_3_1_with_bearer_auth_and_problems() {
        let spec: Value = serde_json::from_str(spec_json()).unwrap();
        assert_eq!(spec["openapi"], "3.1.0");
        assert_eq!(spec["components"]["securitySchemes"][BEARER]["type"], "http");
        assert!(spec["components"]["schemas"]["Problem"]["properties"]["type"].is_object());
        assert!(spec["paths"][SPEC_PATH]["get"].is_object());
        let scores = &spec["paths"]["/api/v1/performance/scores"]["get"];
        assert_eq!(scores["security"][0][BEARER], serde_json::json!([]));
        assert!(scores["responses"]["400"]["content"][PROBLEM_JSON].is_object());
    }
}
