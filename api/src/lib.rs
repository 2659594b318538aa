//! perfledger's HTTP surface (axum): ingest, health, and the auth that guards them.

pub mod admin;
pub mod auth;
pub mod ingest;
pub mod openapi;
pub mod ops;
pub mod performance;
pub mod period_query;
pub mod problem;
pub mod queries;
pub mod routes;
pub mod scope;
pub mod scope_cache;
pub mod web;

pub use routes::{router, AppState};
