//! Serialised leaderboard pages (`GET /api/v1/performance/leaderboard` for
//! one ISO week), so a repeated request filters, sorts and writes no JSON.
//!
//! The key is everything the page is built from:
//! - the [`Versions`] the request read before building it: the database,
//!   the generation of the week and of every sparkline week, and the
//!   directory state the names come from. They only move forward (a new
//!   generation, a later checkpoint, a new relation after a `replay` swap),
//!   so a rescore or a directory change makes every older key unreachable;
//! - the scope resolved server-side ([`LeaderboardQuery::visible`]: everyone,
//!   or the very set of people the caller may see), never the ids a request
//!   names, so an entry can only be served to a caller who may see all of it;
//! - the normalised query: the resolved period, `team_id`, sort, order,
//!   limit and offset.
//!
//! A page built from a newer state than its key (a rescore committed while it
//! was built) is only reachable by requests that read the older key, i.e.
//! ran concurrently with that commit. Entries are bounded in count and bytes;
//! the oldest filled go first.

use std::sync::{Mutex, OnceLock};

use axum::body::Bytes;

use crate::bounded_cache::BoundedCache;
use crate::queries::score_cache::Versions;
use crate::queries::LeaderboardQuery;

/// Pages kept at most.
const MAX_PAGES: usize = 2_048;
/// Bytes of pages kept at most (a 50-row page is about 20 KB).
const MAX_BYTES: usize = 64 << 20;

/// What a cached page was built from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageKey {
    versions: Versions,
    query: LeaderboardQuery,
}

impl PageKey {
    pub fn new(versions: &Versions, query: &LeaderboardQuery) -> PageKey {
        PageKey { versions: versions.clone(), query: query.clone() }
    }
}

fn lock() -> std::sync::MutexGuard<'static, BoundedCache<PageKey, Bytes>> {
    static CACHE: OnceLock<Mutex<BoundedCache<PageKey, Bytes>>> = OnceLock::new();
    // Entries are replaced whole, so a poisoned lock holds nothing half-written.
    CACHE
        .get_or_init(|| Mutex::new(BoundedCache::weighed(MAX_PAGES, MAX_BYTES, Bytes::len)))
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The page cached under `key`.
pub fn get(key: &PageKey) -> Option<Bytes> {
    lock().get(key).cloned()
}

/// Keeps `body` under `key`, dropping the oldest pages past the bounds.
pub fn put(key: PageKey, body: Bytes) {
    if body.len() > MAX_BYTES / 8 {
        return;
    }
    lock().insert(key, body);
}
