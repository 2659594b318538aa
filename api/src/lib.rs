//! perfledger's HTTP surface (axum): ingest, health, and the auth that guards them.

pub mod admin;
pub mod auth;
pub(crate) mod bounded_cache;
pub mod ingest;
pub mod openapi;
pub mod ops;
pub mod performance;
pub mod period_query;
pub mod problem;
pub mod queries;
pub mod request_id;
pub mod routes;
pub mod scope;
pub mod scope_cache;
pub mod security;
pub mod server;
pub mod web;

pub use routes::{router, AppState};
pub use server::{ServerLimits, ServerOptions};
