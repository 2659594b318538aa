//! Settings (seed-design.md "Settings", D10): validation of every setting,
//! all-or-nothing changes, secrets, the history of changes in force on a
//! date, and the `settings` aggregate.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use cqrs_es::test::TestFramework;
use perfledger_domain::aggregates::{ChangeSettings, SettingsAggregate};
use perfledger_domain::scoring::Domain;
use perfledger_domain::settings::{
    validate_changes, weights, Settings, SettingsChanged, SettingsHistory, SECRET_MASK, SETTING_KEYS,
};
use perfledger_domain::{EventBody, LogEvent, Rejection};
use rust_decimal_macros::dec;
use serde_json::{json, Value};

const SECRET: &str = "sk-live-9f8e7d6c5b4a";

fn changes(pairs: &[(&str, Value)]) -> BTreeMap<String, Value> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

fn one(key: &str, value: Value) -> BTreeMap<String, Value> {
    changes(&[(key, value)])
}

/// `key = value` applied to the defaults.
fn set(key: &str, value: Value) -> Result<Settings, Rejection> {
    let mut settings = Settings::default();
    settings.apply(&one(key, value)).map(|_| settings)
}

/// The rejection of `key = value`, which must be about `settings.<key>`.
fn refused(key: &str, value: Value) -> Rejection {
    let shown = value.to_string();
    let rejection = set(key, value).expect_err(&format!("{key} = {shown} should be refused"));
    assert_eq!(rejection.field, format!("settings.{key}"), "{rejection}");
    rejection
}

fn assert_mentions(rejection: &Rejection, parts: &[&str]) {
    for part in parts {
        assert!(rejection.reason.contains(part), "expected {part:?} in {:?}", rejection.reason);
    }
}

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

// ------------------------------------------------------------ keys

#[test]
fn the_keys_are_the_seeds_settings() {
    // The seed's 24 keys plus perfledger's own review keys (temperature,
    // prompt budget, concurrency, cost per 1k tokens in/out, the cost's currency).
    assert_eq!(SETTING_KEYS.len(), 30);
    let map = Settings::default().to_json_map(true);
    assert_eq!(map.keys().map(String::as_str).collect::<Vec<_>>().len(), SETTING_KEYS.len());
    for key in SETTING_KEYS {
        assert!(map.contains_key(*key), "{key}");
        assert_eq!(Settings::default().get(key).as_ref(), map.get(*key), "{key}");
    }
}

#[test]
fn review_cost_and_budget_keys_validate() {
    assert_eq!(set("cost_per_1k_tokens_in", json!("0.0015")).unwrap().cost_per_1k_tokens_in.to_string(), "0.0015");
    assert_eq!(set("cost_currency", json!("NGN")).unwrap().cost_currency.as_deref(), Some("NGN"));
    assert_eq!(set("cost_currency", Value::Null).unwrap().cost_currency, None);
    assert_mentions(&refused("cost_per_1k_tokens_out", json!(-1)), &["from 0 to 1000"]);
    assert_mentions(&refused("vllm_temperature", json!(2.5)), &["from 0 to 2"]);
    assert_mentions(&refused("review_concurrency", json!(9)), &["8"]);
    assert_mentions(&refused("review_prompt_token_budget", json!(10)), &["500"]);
    assert_eq!(Settings::default().review_concurrency, 4);
}

#[test]
fn the_defaults_are_the_seeds() {
    let map = Settings::default().to_json_map(false);
    assert_eq!(map["scoring_enabled"], json!(true));
    assert_eq!(map["review_generation_enabled"], json!(false));
    assert_eq!(
        map["domain_weights"],
        json!({"support": 20, "operations": 15, "field_service": 15, "communication": 20, "sales": 20, "data_quality": 10})
    );
    assert_eq!(map["domain_weights_operations"], Value::Null);
    assert_eq!(map["sales_profile_min_ratio"], json!(0.5));
    assert_eq!(map["flagged_threshold"], json!(70));
    assert_eq!(map["review_sample_max_chars"], json!(600));
    assert_eq!(map["vllm_api_key"], Value::Null);
    assert_eq!(map["vllm_max_tokens"], json!(2048));
}

#[test]
fn get_of_an_unknown_key_is_none() {
    assert_eq!(Settings::default().get("colour"), None);
}

#[test]
fn every_setting_read_back_applies_to_the_same_settings() {
    let mut changed = Settings::default();
    changed
        .apply(&changes(&[
            ("domain_weights", json!({"support": 1.25, "sales": "3"})),
            ("domain_weights_support", json!({"support": 50, "communication": 50})),
            ("sales_profile_min_ratio", json!("0.35")),
            ("vllm_base_url", json!("http://vllm:8000/v1")),
            ("vllm_model", json!("qwen2.5-7b")),
            ("vllm_api_key", json!(SECRET)),
            ("flagged_threshold", json!(65)),
            ("cost_currency", json!("USD")),
        ]))
        .unwrap();
    for settings in [Settings::default(), changed] {
        let mut again = Settings::default();
        again.apply(&settings.to_json_map(true)).unwrap();
        assert_eq!(again, settings);
    }
}

#[test]
fn an_unknown_key_is_refused_listing_the_settings() {
    let rejection = set("colour", json!("blue")).unwrap_err();
    assert_eq!(rejection.field, "settings.colour");
    assert!(rejection.reason.starts_with("is not a setting; known settings are scoring_enabled, "), "{rejection}");
    assert_mentions(&rejection, &["vllm_max_tokens", "domain_weights_sales_profile"]);
}

#[test]
fn an_unknown_key_is_refused_before_any_value_is_read() {
    let rejection = validate_changes(&changes(&[("aaa", json!(1)), ("flagged_threshold", json!("bad"))]));
    assert_eq!(rejection.unwrap_err().field, "settings.aaa");
    let rejection = validate_changes(&changes(&[("flagged_threshold", json!("bad")), ("zzz", json!(1))]));
    assert_eq!(rejection.unwrap_err().field, "settings.zzz");
}

#[test]
fn no_changes_validate() {
    assert_eq!(validate_changes(&BTreeMap::new()), Ok(()));
}

// ------------------------------------------------------------ booleans

#[test]
fn booleans_take_true_and_false() {
    assert!(!set("scoring_enabled", json!(false)).unwrap().scoring_enabled);
    assert!(set("review_generation_enabled", json!(true)).unwrap().review_generation_enabled);
}

#[test]
fn booleans_refuse_everything_else() {
    for value in [json!("true"), json!(1), json!(0), Value::Null, json!([true]), json!({})] {
        for key in ["scoring_enabled", "review_generation_enabled"] {
            let rejection = refused(key, value.clone());
            assert_mentions(&rejection, &["expected true or false; got"]);
        }
    }
    assert_eq!(refused("scoring_enabled", json!("yes")).reason, "expected true or false; got the string \"yes\"");
}

// ------------------------------------------------------------ integers

const INTEGERS: &[(&str, i64, i64)] = &[
    ("flagged_threshold", 0, 100),
    ("peer_comparison_min_team_size", 1, 1000),
    ("review_sample_tickets", 0, 20),
    ("review_sample_conversations", 0, 20),
    ("review_sample_work_orders", 0, 20),
    ("review_sample_max_chars", 50, 10_000),
    ("max_reviews_per_run", 0, 10_000),
    ("review_manual_daily_limit_per_manager", 0, 10_000),
    ("review_cooldown_hours", 0, 8_760),
    ("vllm_timeout_seconds", 1, 600),
    ("vllm_max_retries", 0, 10),
    ("vllm_max_tokens", 1, 100_000),
];

#[test]
fn integers_take_their_whole_range() {
    for (key, min, max) in INTEGERS {
        for n in [*min, *max] {
            let settings = set(key, json!(n)).unwrap_or_else(|r| panic!("{key} = {n}: {r}"));
            assert_eq!(settings.get(key), Some(json!(n)), "{key}");
        }
    }
}

#[test]
fn integers_out_of_range_are_refused_with_the_range() {
    for (key, min, max) in INTEGERS {
        for n in [min - 1, max + 1] {
            let rejection = refused(key, json!(n));
            assert_eq!(rejection.reason, format!("expected an integer from {min} to {max}; got the number {n}"));
        }
    }
    refused("flagged_threshold", json!(u64::MAX));
    refused("flagged_threshold", json!(i64::MIN));
}

#[test]
fn integers_must_be_json_integers() {
    for (key, _, _) in INTEGERS {
        for value in [json!(5.5), json!(5.0), json!("5"), json!(true), Value::Null, json!([5])] {
            refused(key, value);
        }
    }
    assert_eq!(
        refused("flagged_threshold", json!("70")).reason,
        "expected an integer from 0 to 100; got the string \"70\""
    );
    assert_eq!(
        refused("flagged_threshold", json!(70.5)).reason,
        "expected an integer from 0 to 100; got the number 70.5"
    );
}

// ------------------------------------------------------------ sales_profile_min_ratio

#[test]
fn the_sales_ratio_takes_numbers_and_decimal_strings_from_0_to_1() {
    for (value, ratio) in [
        (json!(0), dec!(0)),
        (json!(1), dec!(1)),
        (json!(0.75), dec!(0.75)),
        (json!("0.25"), dec!(0.25)),
        (json!("1.000"), dec!(1)),
    ] {
        assert_eq!(set("sales_profile_min_ratio", value).unwrap().sales_profile_min_ratio, ratio);
    }
}

#[test]
fn the_sales_ratio_refuses_out_of_range_and_non_decimals() {
    for value in [
        json!(1.01),
        json!(-0.1),
        json!("2"),
        json!("abc"),
        json!("0.5e0"),
        json!(""),
        json!("."),
        json!(true),
        Value::Null,
    ] {
        let rejection = refused("sales_profile_min_ratio", value);
        assert_mentions(&rejection, &["expected a decimal from 0 to 1", "; got "]);
    }
    assert_eq!(
        refused("sales_profile_min_ratio", json!(1.5)).reason,
        "expected a decimal from 0 to 1 (a number or a decimal string); got the number 1.5"
    );
}

// ------------------------------------------------------------ weight maps

const WEIGHT_MAPS: &[&str] = &[
    "domain_weights",
    "domain_weights_operations",
    "domain_weights_support",
    "domain_weights_field_service",
    "domain_weights_sales_profile",
];

fn weight_map(key: &str, value: Value) -> BTreeMap<Domain, rust_decimal::Decimal> {
    let settings = set(key, value).unwrap_or_else(|r| panic!("{r}"));
    match key {
        "domain_weights" => settings.domain_weights,
        "domain_weights_operations" => settings.domain_weights_operations.unwrap(),
        "domain_weights_support" => settings.domain_weights_support.unwrap(),
        "domain_weights_field_service" => settings.domain_weights_field_service.unwrap(),
        _ => settings.domain_weights_sales_profile.unwrap(),
    }
}

#[test]
fn a_weight_map_takes_every_domain() {
    let all = json!({"support": 30, "operations": 10, "field_service": 5, "communication": 30, "sales": 15, "data_quality": 10});
    for key in WEIGHT_MAPS {
        assert_eq!(weight_map(key, all.clone()), weights([30, 10, 5, 30, 15, 10]));
    }
}

#[test]
fn missing_domains_weigh_nothing() {
    for key in WEIGHT_MAPS {
        let map = weight_map(key, json!({"sales": 1}));
        assert_eq!(map, BTreeMap::from([(Domain::Sales, dec!(1))]), "{key}");
    }
}

#[test]
fn weights_may_be_fractions_or_decimal_strings() {
    let map = weight_map("domain_weights", json!({"support": 0.5, "sales": "2.25", "operations": 0}));
    assert_eq!(map[&Domain::Support], dec!(0.5));
    assert_eq!(map[&Domain::Sales], dec!(2.25));
    assert_eq!(map[&Domain::Operations], dec!(0));
}

#[test]
fn a_weight_for_an_unknown_domain_is_refused() {
    for key in WEIGHT_MAPS {
        let rejection = refused(key, json!({"support": 10, "billing": 5}));
        assert_mentions(&rejection, &["'billing' is not a domain", "support, operations, field_service"]);
    }
}

#[test]
fn a_negative_weight_is_refused() {
    for key in WEIGHT_MAPS {
        let rejection = refused(key, json!({"support": 10, "sales": -5}));
        assert_eq!(
            rejection.reason,
            "expected the weight of sales to be a number from 0 to 1000000 (or a decimal string); got the number -5"
        );
    }
    refused("domain_weights", json!({"support": 10, "sales": "-5"}));
}

#[test]
fn weights_summing_to_zero_are_refused() {
    for key in WEIGHT_MAPS {
        let rejection = refused(key, json!({"support": 0, "sales": 0}));
        assert_mentions(&rejection, &["sum is greater than 0", "weights summing to 0"]);
        let rejection = refused(key, json!({}));
        assert_mentions(&rejection, &["sum is greater than 0", "an empty object"]);
    }
}

#[test]
fn a_weight_that_is_not_a_number_is_refused() {
    for value in [json!(true), json!("ten"), json!([1]), json!({"a": 1}), Value::Null, json!("1e3")] {
        for key in WEIGHT_MAPS {
            let rejection = refused(key, json!({"support": 10, "sales": value.clone()}));
            assert_mentions(&rejection, &["expected the weight of sales to be a number"]);
        }
    }
}

#[test]
fn a_huge_weight_is_refused() {
    refused("domain_weights", json!({"support": 1_000_001}));
    refused("domain_weights", json!({"support": 1e30}));
    refused("domain_weights", json!({"support": "99999999999999999999999999999999"}));
    assert_eq!(weight_map("domain_weights", json!({"support": 1_000_000}))[&Domain::Support], dec!(1000000));
}

#[test]
fn a_weight_map_that_is_not_an_object_is_refused() {
    for key in WEIGHT_MAPS {
        for value in [json!([20, 15]), json!("support=20"), json!(20), json!(true)] {
            let rejection = refused(key, value);
            assert_mentions(&rejection, &["an object of weights by domain"]);
        }
    }
}

#[test]
fn an_override_map_is_cleared_with_null() {
    for key in &WEIGHT_MAPS[1..] {
        let mut settings = Settings::default();
        settings.apply(&one(key, json!({"support": 1}))).unwrap();
        assert_ne!(settings.get(key), Some(Value::Null));
        settings.apply(&one(key, Value::Null)).unwrap();
        assert_eq!(settings.get(key), Some(Value::Null), "{key}");
    }
}

#[test]
fn the_default_weights_may_not_be_null() {
    let rejection = refused("domain_weights", Value::Null);
    assert_eq!(
        rejection.reason,
        "expected an object of weights by domain (support, operations, field_service, communication, sales, \
         data_quality); got null"
    );
}

// ------------------------------------------------------------ integration settings

#[test]
fn the_provider_is_openai_rules_or_vllm() {
    for provider in ["openai", "rules", "vllm"] {
        assert_eq!(set("llm_provider", json!(provider)).unwrap().llm_provider, provider);
    }
    for value in [json!("deepseek"), json!("OpenAI"), json!(""), Value::Null, json!(1)] {
        let rejection = refused("llm_provider", value);
        assert_mentions(&rejection, &["expected one of openai, rules, vllm"]);
    }
    assert_mentions(&refused("llm_provider", json!("deepseek")), &["got the string \"deepseek\""]);
}

#[test]
fn the_base_url_is_null_or_an_http_url() {
    for url in ["http://vllm:8000/v1", "https://api.deepseek.com", "HTTPS://Example.com/v1?x=1", "http://[::1]:8000/v1"]
    {
        assert_eq!(set("vllm_base_url", json!(url)).unwrap().vllm_base_url.as_deref(), Some(url));
    }
    assert_eq!(set("vllm_base_url", Value::Null).unwrap().vllm_base_url, None);
    for value in [
        json!("ftp://vllm/v1"),
        json!("vllm:8000/v1"),
        json!("http://"),
        json!("http:///v1"),
        json!("http://vl lm/v1"),
        json!(""),
        json!(8000),
        json!({"url": "http://x"}),
    ] {
        let rejection = refused("vllm_base_url", value);
        assert_mentions(&rejection, &["expected null or an http:// or https:// URL"]);
    }
}

#[test]
fn a_refused_base_url_is_not_echoed() {
    let url = "ftp://admin:hunter2@vllm/v1";
    let rejection = refused("vllm_base_url", json!(url));
    assert!(!rejection.to_string().contains("hunter2"), "{rejection}");
}

#[test]
fn the_model_is_null_or_1_to_100_characters() {
    assert_eq!(set("vllm_model", json!("m")).unwrap().vllm_model.as_deref(), Some("m"));
    assert!(set("vllm_model", json!("x".repeat(100))).is_ok());
    assert_eq!(set("vllm_model", Value::Null).unwrap().vllm_model, None);
    assert_eq!(
        refused("vllm_model", json!("x".repeat(101))).reason,
        "expected null or a model id of 1 to 100 characters; got a string of 101 characters"
    );
    assert_mentions(&refused("vllm_model", json!("")), &["got a blank string"]);
    assert_mentions(&refused("vllm_model", json!(7)), &["got a number"]);
}

// ------------------------------------------------------------ secrets

#[test]
fn the_api_key_is_null_or_a_string() {
    assert_eq!(set("vllm_api_key", json!(SECRET)).unwrap().vllm_api_key.as_deref(), Some(SECRET));
    assert_eq!(set("vllm_api_key", Value::Null).unwrap().vllm_api_key, None);
    for value in [json!(""), json!(12345), json!([SECRET]), json!({"key": SECRET}), json!("k".repeat(4097))] {
        let rejection = refused("vllm_api_key", value);
        assert_mentions(&rejection, &["expected null (no key) or a non-empty string", "(value not shown)"]);
    }
}

#[test]
fn a_secret_never_appears_in_an_error() {
    for value in [json!([SECRET]), json!({"key": SECRET}), json!(format!("{SECRET}{}", "x".repeat(5000)))] {
        let rejection = refused("vllm_api_key", value);
        assert!(!rejection.to_string().contains("sk-live"), "{rejection}");
    }
    // A valid secret next to an invalid setting.
    let rejection =
        validate_changes(&changes(&[("vllm_api_key", json!(SECRET)), ("vllm_max_retries", json!(99))])).unwrap_err();
    assert!(!rejection.to_string().contains(SECRET), "{rejection}");
    let numeric_secret = refused("vllm_api_key", json!(987654321));
    assert!(!numeric_secret.to_string().contains("987654321"), "{numeric_secret}");
}

#[test]
fn a_set_secret_is_masked_unless_revealed() {
    let settings = set("vllm_api_key", json!(SECRET)).unwrap();
    assert_eq!(settings.to_json_map(false)["vllm_api_key"], json!(SECRET_MASK));
    assert_eq!(SECRET_MASK, "********");
    assert_eq!(settings.to_json_map(true)["vllm_api_key"], json!(SECRET));
    assert_eq!(settings.get("vllm_api_key"), Some(json!(SECRET)));
    assert!(!serde_json::to_string(&settings.to_json_map(false)).unwrap().contains(SECRET));
}

#[test]
fn an_unset_secret_is_null_either_way() {
    let settings = Settings::default();
    assert_eq!(settings.to_json_map(false)["vllm_api_key"], Value::Null);
    assert_eq!(settings.to_json_map(true)["vllm_api_key"], Value::Null);
}

// ------------------------------------------------------------ all or nothing

#[test]
fn a_change_set_with_one_bad_value_changes_nothing() {
    let mut settings = Settings::default();
    settings.apply(&one("flagged_threshold", json!(60))).unwrap();
    let before = settings.clone();
    let rejection = settings
        .apply(&changes(&[
            ("flagged_threshold", json!(50)),
            ("scoring_enabled", json!(false)),
            ("vllm_timeout_seconds", json!(0)),
            ("domain_weights", json!({"sales": 1})),
        ]))
        .unwrap_err();
    assert_eq!(rejection.field, "settings.vllm_timeout_seconds");
    assert_eq!(settings, before);
}

#[test]
fn a_change_set_with_an_unknown_key_changes_nothing() {
    let mut settings = Settings::default();
    assert!(settings.apply(&changes(&[("flagged_threshold", json!(50)), ("nope", json!(1))])).is_err());
    assert_eq!(settings, Settings::default());
}

#[test]
fn a_valid_change_set_applies_every_change() {
    let mut settings = Settings::default();
    settings
        .apply(&changes(&[
            ("flagged_threshold", json!(50)),
            ("scoring_enabled", json!(false)),
            ("llm_provider", json!("vllm")),
        ]))
        .unwrap();
    assert_eq!(settings.flagged_threshold, 50);
    assert!(!settings.scoring_enabled);
    assert_eq!(settings.llm_provider, "vllm");
    assert_eq!(settings.review_cooldown_hours, 24, "untouched settings keep their values");
}

// ------------------------------------------------------------ history (D10)

fn change(effective_from: &str, pairs: &[(&str, Value)]) -> SettingsChanged {
    SettingsChanged {
        actor: "admin".into(),
        changes: changes(pairs),
        effective_from: date(effective_from),
        reason: None,
    }
}

fn threshold(effective_from: &str, value: i64) -> SettingsChanged {
    change(effective_from, &[("flagged_threshold", json!(value))])
}

#[test]
fn with_no_changes_the_defaults_are_in_force() {
    let history = SettingsHistory::new();
    assert!(history.is_empty());
    assert_eq!(history.in_force_at(date("2026-11-02")), Settings::default());
}

#[test]
fn a_change_is_in_force_from_its_effective_date() {
    let history: SettingsHistory = [(10, threshold("2026-11-09", 60))].into_iter().collect();
    assert_eq!(history.in_force_at(date("2026-11-08")).flagged_threshold, 70);
    assert_eq!(history.in_force_at(date("2026-11-09")).flagged_threshold, 60);
    assert_eq!(history.in_force_at(date("2027-01-01")).flagged_threshold, 60);
}

#[test]
fn changes_apply_in_log_order() {
    let history: SettingsHistory =
        [(10, threshold("2026-11-02", 60)), (20, threshold("2026-11-09", 50))].into_iter().collect();
    assert_eq!(history.in_force_at(date("2026-11-01")).flagged_threshold, 70);
    assert_eq!(history.in_force_at(date("2026-11-02")).flagged_threshold, 60);
    assert_eq!(history.in_force_at(date("2026-11-09")).flagged_threshold, 50);
}

#[test]
fn a_change_recorded_later_but_effective_earlier_wins_from_its_date() {
    // Position 10 says 60 from 9 Nov; position 20, recorded later, backdates 50 to 2 Nov.
    let history: SettingsHistory =
        [(10, threshold("2026-11-09", 60)), (20, threshold("2026-11-02", 50))].into_iter().collect();
    assert_eq!(history.in_force_at(date("2026-10-26")).flagged_threshold, 70);
    assert_eq!(history.in_force_at(date("2026-11-02")).flagged_threshold, 50);
    assert_eq!(history.in_force_at(date("2026-11-09")).flagged_threshold, 50, "the later record wins");
}

#[test]
fn changes_pushed_out_of_order_are_kept_in_position_order() {
    let mut history = SettingsHistory::new();
    history.push(20, threshold("2026-11-02", 50));
    history.push(10, threshold("2026-11-02", 60));
    assert_eq!(history.changes().iter().map(|(p, _)| *p).collect::<Vec<_>>(), vec![10, 20]);
    assert_eq!(history.in_force_at(date("2026-11-02")).flagged_threshold, 50);
    history.push(20, threshold("2026-11-02", 40));
    assert_eq!(history.len(), 2, "a position seen again replaces its change");
    assert_eq!(history.in_force_at(date("2026-11-02")).flagged_threshold, 40);
}

#[test]
fn changes_to_different_keys_accumulate() {
    let history: SettingsHistory = [
        (1, threshold("2026-11-02", 60)),
        (2, change("2026-11-02", &[("domain_weights_support", json!({"support": 1}))])),
        (3, change("2026-11-16", &[("domain_weights_support", Value::Null)])),
    ]
    .into_iter()
    .collect();
    let nov9 = history.in_force_at(date("2026-11-09"));
    assert_eq!(nov9.flagged_threshold, 60);
    assert_eq!(nov9.domain_weights_support, Some(BTreeMap::from([(Domain::Support, dec!(1))])));
    let nov16 = history.in_force_at(date("2026-11-16"));
    assert_eq!(nov16.flagged_threshold, 60);
    assert_eq!(nov16.domain_weights_support, None);
}

#[test]
fn an_invalid_stored_change_is_skipped_whole() {
    let history: SettingsHistory = [
        (1, threshold("2026-11-02", 60)),
        (2, change("2026-11-02", &[("flagged_threshold", json!(10)), ("vllm_max_retries", json!(-1))])),
    ]
    .into_iter()
    .collect();
    assert_eq!(history.in_force_at(date("2026-11-02")).flagged_threshold, 60);
}

// ------------------------------------------------------------ the aggregate

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn command(pairs: &[(&str, Value)]) -> ChangeSettings {
    ChangeSettings {
        actor: "admin-1".into(),
        changes: changes(pairs),
        effective_from: date("2026-11-02"),
        reason: None,
        event_id: "settings-1".into(),
        occurred_at: at("2026-11-04T10:00:00Z"),
    }
}

fn aggregate() -> TestFramework<SettingsAggregate> {
    TestFramework::with(())
}

fn changed_event(pairs: &[(&str, Value)]) -> LogEvent {
    LogEvent {
        event_id: "settings-1".into(),
        occurred_at: at("2026-11-04T10:00:00Z"),
        body: EventBody::SettingsChanged(SettingsChanged {
            actor: "admin-1".into(),
            changes: changes(pairs),
            effective_from: date("2026-11-02"),
            reason: None,
        }),
    }
}

#[test]
fn a_valid_change_is_recorded_as_given() {
    let pairs = [("flagged_threshold", json!(60)), ("domain_weights", json!({"sales": "2.5", "support": 1}))];
    aggregate().given_no_previous_events().when(command(&pairs)).then_expect_events(vec![changed_event(&pairs)]);
}

#[test]
fn later_changes_are_accepted_too() {
    let pairs = [("scoring_enabled", json!(false))];
    aggregate()
        .given(vec![changed_event(&[("flagged_threshold", json!(60))])])
        .when(command(&pairs))
        .then_expect_events(vec![changed_event(&pairs)]);
}

#[test]
fn an_empty_change_is_refused() {
    aggregate()
        .given_no_previous_events()
        .when(command(&[]))
        .then_expect_error(Rejection::new("settings", "expected at least one setting to change; got none"));
}

#[test]
fn an_invalid_change_is_refused_naming_the_setting() {
    aggregate()
        .given_no_previous_events()
        .when(command(&[("flagged_threshold", json!(60)), ("review_sample_tickets", json!(21))]))
        .then_expect_error(Rejection::new(
            "settings.review_sample_tickets",
            "expected an integer from 0 to 20; got the number 21",
        ));
}

#[test]
fn an_unknown_setting_is_refused() {
    let result = aggregate().given_no_previous_events().when(command(&[("colour", json!(1))])).inspect_result();
    assert_eq!(result.unwrap_err().field, "settings.colour");
}

#[test]
fn a_change_without_an_actor_is_refused() {
    let mut blank = command(&[("flagged_threshold", json!(60))]);
    blank.actor = "  ".into();
    let result = aggregate().given_no_previous_events().when(blank).inspect_result();
    assert_eq!(result.unwrap_err().field, "actor");
}

#[test]
fn the_event_is_settings_changed() {
    use cqrs_es::{Aggregate, DomainEvent};
    assert_eq!(SettingsAggregate::TYPE, "settings");
    assert_eq!(perfledger_domain::aggregates::SETTINGS_AGGREGATE_ID, "performance");
    assert_eq!(changed_event(&[("flagged_threshold", json!(60))]).event_type(), "settings.changed");
}

#[test]
fn a_cost_currency_is_an_iso_4217_code() {
    for bad in [json!("usd"), json!("US"), json!("DOLLARS"), json!(840), json!("")] {
        let rejection = set("cost_currency", bad.clone()).unwrap_err();
        assert_eq!(rejection.field, "settings.cost_currency", "{bad}");
        assert_mentions(&rejection, &["ISO 4217"]);
    }
}

#[test]
fn cost_currency_is_null_or_an_iso_code_and_says_why_not() {
    assert_eq!(set("cost_currency", json!("NGN")).unwrap().cost_currency.as_deref(), Some("NGN"));
    assert_eq!(set("cost_currency", Value::Null).unwrap().cost_currency, None);
    assert_mentions(&refused("cost_currency", json!("ngn")), &["ISO 4217", "got 'ngn'"]);
    assert_mentions(&refused("cost_currency", json!("N\u{0}N")), &["control characters"]);
    // A long value is not echoed back.
    let long = "E".repeat(10_000);
    let rejection = refused("cost_currency", json!(long));
    assert!(rejection.reason.len() < 200, "{rejection}");
    assert_mentions(&refused("cost_currency", json!(12)), &["ISO 4217"]);
}

// ------------------------------------------------------------ reason and effective date (issue 16)

#[test]
fn the_reason_is_recorded_trimmed_and_redacted() {
    let pairs = [("flagged_threshold", json!(60))];
    let mut with_reason = command(&pairs);
    with_reason.reason = Some("  Q4 calibration, ask ada@example.com  ".into());
    let mut expected = changed_event(&pairs);
    if let EventBody::SettingsChanged(change) = &mut expected.body {
        change.reason = Some(perfledger_domain::redaction::redact("Q4 calibration, ask ada@example.com"));
        assert!(!change.reason.as_deref().unwrap().contains("ada@example.com"));
    }
    aggregate().given_no_previous_events().when(with_reason).then_expect_events(vec![expected]);
}

#[test]
fn a_blank_long_or_multi_line_reason_is_refused() {
    for bad in ["   ".to_string(), "x".repeat(501), "first line\nsecond".to_string(), "bell\u{7}".to_string()] {
        let mut c = command(&[("flagged_threshold", json!(60))]);
        c.reason = Some(bad.clone());
        let result = aggregate().given_no_previous_events().when(c).inspect_result();
        assert_eq!(result.unwrap_err().field, "reason", "{bad:?}");
    }
    let mut longest = command(&[("flagged_threshold", json!(60))]);
    longest.reason = Some("y".repeat(500));
    assert!(aggregate().given_no_previous_events().when(longest).inspect_result().is_ok());
}

#[test]
fn an_event_without_a_reason_keeps_its_bytes_and_old_events_still_decode() {
    let old = r#"{"actor":"admin","changes":{"flagged_threshold":60},"effective_from":"2026-11-02"}"#;
    let change: SettingsChanged = serde_json::from_str(old).unwrap();
    assert_eq!(change.reason, None);
    assert_eq!(serde_json::to_string(&change).unwrap(), old);
    let with = SettingsChanged { reason: Some("why".into()), ..change };
    assert!(serde_json::to_string(&with).unwrap().ends_with(r#","reason":"why"}"#));
}

#[test]
fn the_effective_date_is_bounded_by_the_command_date() {
    // occurred_at is 2026-11-04: 366 days later is 2027-11-05.
    for (day, ok) in [("2027-11-05", true), ("2027-11-06", false), ("2000-01-01", true), ("1999-12-31", false)] {
        let mut c = command(&[("flagged_threshold", json!(60))]);
        c.effective_from = date(day);
        let result = aggregate().given_no_previous_events().when(c).inspect_result();
        match ok {
            true => assert!(result.is_ok(), "{day}: {result:?}"),
            false => assert_eq!(result.unwrap_err().field, "effective_from", "{day}"),
        }
    }
}
