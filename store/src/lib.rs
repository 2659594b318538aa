//! perfledger's PostgreSQL layer: the embedded cluster (D1), migrations, the
//! append-only log with its global order (D2), and the ingest writer.

pub mod cluster;
pub mod commands;
pub mod copy_text;
pub mod db;
pub mod ingest;
pub mod log;
pub mod migrate;
pub mod voids;

pub use db::{Database, DatabaseConfig};
pub use ingest::{is_conflict, is_duplicate_event_id, IngestReport, Ingestor, Plan, PlanCache, RejectedItem};
