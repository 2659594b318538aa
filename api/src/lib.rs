//! perfledger's HTTP surface (axum): ingest, health, and the auth that guards them.

pub mod admin;
pub mod app;
pub mod auth;
pub(crate) mod bounded_cache;
pub mod connectors;
pub mod error;
pub mod ids;
pub mod ingest;
pub mod limits;
pub mod openapi;
pub mod ops;
pub mod performance;
pub mod period_query;
pub mod problem;
pub mod queries;
pub mod request_id;
pub mod routes;
pub mod schemas;
pub mod security;
pub mod server;
pub mod state;
pub mod web;

pub use limits::{ServerLimits, ServerOptions};
pub use routes::router;
pub use state::AppState;
