//! End-to-end tests: one test binary, so one throwaway PostgreSQL cluster per
//! run, and a fresh database per test (see perfledger_tests).

mod api_access;
mod api_queries;
mod api_reports;
mod audit;
mod browser;
mod cli_errors;
mod cluster;
mod crate_rules;
mod dotmac;
mod edges;
mod global_order;
mod import;
mod ingest_http;
mod openapi;
mod ops;
mod poison;
mod projection;
mod reviews;
mod reviews_concurrency;
mod reviews_limits;
mod reviews_support;
mod schema_fuzz;
mod scoring_settings;
mod settings_api;
mod support;
mod totality;
mod web_access;
mod web_context;
mod web_explain;
mod web_manage;
mod web_settings;
