//! perfledger's HTTP surface (axum): ingest, health, and the auth that guards them.

pub mod auth;
pub mod ingest;
pub mod problem;
pub mod routes;

pub use routes::{router, AppState};
