//! The application layer: perfledger's use cases as functions over the
//! database pool and the caller ([`crate::auth::Principal`]), each returning
//! the one [`crate::error::AppError`]. The JSON handlers
//! ([`crate::performance`], [`crate::admin`]) and the dashboards
//! ([`crate::web`]) are thin adapters over these: they read their input
//! (query string, JSON body, form), call a use case, and render the answer
//! or the error (problem+json, or an error page). Nothing here knows HTTP.
//!
//! - [`scope`], [`scope_cache`]: who may see or act for whom (D17, D19).
//! - [`goals`]: list, create, update and cancel goals through the Goal aggregate.
//! - [`reviews`]: request, read and acknowledge reviews through the Review aggregate.
//! - [`reports`]: leaderboard visibility, team summary, peer comparison, drilldown.
//! - [`audit`]: the settings history (before and after per key) and the audit log, admins only.
//! - [`settings`]: the settings in force, drafts, preview, publish, the rescore's progress (admins).
//! - [`fields`]: reading a command's fields, naming the one at fault.
//!
//! The reads themselves (SQL over the read models) are in [`crate::queries`].

pub mod audit;
pub mod fields;
pub mod goals;
pub mod reports;
pub mod reviews;
pub mod scope;
pub mod scope_cache;
pub mod settings;
