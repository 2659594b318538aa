//! An in-process cache of each stored week's scores and of the directory's
//! display names, so the report queries (leaderboard, peer comparison, team
//! summary) do not read and decode every snapshot of a week on every request.
//!
//! Never stale, by construction:
//! - A week's snapshot rows are written only by the scoring pass
//!   (`scoring::rows::write_week`, from `scoring::pass::store_week`), whose
//!   transaction also draws a new `scoring_periods.generation` from a
//!   sequence (migration 0004). A
//!   generation value is never drawn twice, also not by a rebuilt table
//!   (`replay` creates its tables LIKE these, with the same default), so
//!   `(week, generation)` names exactly one state of the week's rows.
//! - `directory_people` is a fold of the log up to the directory
//!   projector's checkpoint, written in the same transaction as it; a
//!   `replay` swap puts a new table (a new relation oid) in its place. So
//!   `(relation oid, checkpoint)` names one state of the names.
//! - Every request first reads the current generations and names key in one
//!   round trip ([`versions`]) and uses an entry only when its key is equal;
//!   an entry is filled by one statement reading the key and the rows
//!   together (one snapshot), so it can be newer than the key a request
//!   read, never older.
//! - Keys include the database (server, postmaster start time, database
//!   oid): one process may talk to several databases (the tests do).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{DateTime, Days, NaiveDate, Utc};
use perfledger_domain::period::midnight;
use sqlx::PgPool;
use uuid::Uuid;

use perfledger_scoring::rows::ReadError;

use super::{Decimal, ScoredPerson};
use crate::bounded_cache::BoundedCache;
use crate::error::AppError;

/// Weeks kept (over every database of the process); the oldest filled go first.
const MAX_WEEKS: usize = 512;
/// Name tables kept.
const MAX_NAME_SETS: usize = 8;

/// Which database a key belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct DatabaseId {
    /// Host, port, socket and database name of the pool's connect options.
    server: String,
    started: DateTime<Utc>,
    database: i64,
}

/// The current keys of some weeks and of the names, read in one round trip.
/// Equal versions name equal data: a report built only from the weeks and
/// names they cover can be cached under them (`performance::page_cache`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Versions {
    database: DatabaseId,
    /// The generation of each week in the range that was ever scored.
    weeks: BTreeMap<NaiveDate, i64>,
    names: NamesKey,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct NamesKey {
    relation: Option<i64>,
    checkpoint: Option<i64>,
}

/// One state of the directory tables of one database: every `directory_*`
/// table is written only by the directory projector, in the transaction that
/// moves its checkpoint, and a `replay` swap replaces them all at once (a new
/// `directory_people` oid). So data read from them can be cached under it
/// ([`crate::app::scope_cache`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DirectoryKey {
    database: DatabaseId,
    state: NamesKey,
}

/// The SQL columns of a directory state (the `directory_people` oid and the
/// directory checkpoint), `$1` being the directory projector's name: read in
/// the same statement as the rows they key, so the two are one snapshot. A
/// macro, so statements built with it are `&'static str`s (`concat!`).
macro_rules! directory_state_columns {
    () => {
        "to_regclass('directory_people')::oid::int8,
         (SELECT position FROM projector_checkpoints WHERE projector = $1)"
    };
}
pub(crate) use directory_state_columns;

impl DirectoryKey {
    /// The same database in the state `(relation, checkpoint)` read with
    /// [`DIRECTORY_STATE_COLUMNS`].
    pub(crate) fn with_state(&self, relation: Option<i64>, checkpoint: Option<i64>) -> DirectoryKey {
        DirectoryKey { database: self.database.clone(), state: NamesKey { relation, checkpoint } }
    }
}

impl Versions {
    /// The directory state these versions were read at.
    pub fn directory(&self) -> DirectoryKey {
        DirectoryKey { database: self.database.clone(), state: self.names.clone() }
    }
}

/// One week's scores, sorted by person_id.
pub type WeekScores = Arc<Vec<ScoredPerson>>;
/// Display name by person_id.
pub type Names = Arc<HashMap<Uuid, String>>;

struct Cache {
    /// Each week's scores with the generation they were read at.
    weeks: BoundedCache<(DatabaseId, NaiveDate), (i64, WeekScores)>,
    /// Each database's names with the directory state they were read in.
    names: BoundedCache<DatabaseId, (NamesKey, Names)>,
}

fn cache() -> &'static Mutex<Cache> {
    static CACHE: OnceLock<Mutex<Cache>> = OnceLock::new();
    CACHE.get_or_init(|| {
        Mutex::new(Cache { weeks: BoundedCache::new(MAX_WEEKS), names: BoundedCache::new(MAX_NAME_SETS) })
    })
}

fn lock() -> std::sync::MutexGuard<'static, Cache> {
    // A panic while holding the lock cannot leave an entry half-written
    // (entries are replaced whole), so a poisoned lock is still usable.
    cache().lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn server_of(pool: &PgPool) -> String {
    let options = pool.connect_options();
    format!("{}:{}:{:?}:{:?}", options.get_host(), options.get_port(), options.get_socket(), options.get_database())
}

/// The generations of the weeks from `first` to `last` (Mondays) and the
/// names key.
pub async fn versions(pool: &PgPool, first: NaiveDate, last: NaiveDate) -> Result<Versions, sqlx::Error> {
    type Row = (Option<i64>, Option<i64>, DateTime<Utc>, i64, Vec<DateTime<Utc>>, Vec<i64>);
    const SQL: &str = concat!(
        "SELECT ",
        directory_state_columns!(),
        ",
         pg_postmaster_start_time(),
         (SELECT oid::int8 FROM pg_database WHERE datname = current_database()),
         ARRAY(SELECT period_start FROM scoring_periods WHERE period_start BETWEEN $2 AND $3 ORDER BY period_start),
         ARRAY(SELECT generation FROM scoring_periods WHERE period_start BETWEEN $2 AND $3 ORDER BY period_start)"
    );
    let (relation, checkpoint, started, database, starts, generations): Row = sqlx::query_as(SQL)
        .bind(perfledger_projections::directory::NAME)
        .bind(midnight(first))
        .bind(midnight(last))
        .fetch_one(pool)
        .await?;
    Ok(Versions {
        database: DatabaseId { server: server_of(pool), started, database },
        weeks: starts.iter().map(|s| s.date_naive()).zip(generations).collect(),
        names: NamesKey { relation, checkpoint },
    })
}

/// The stored scores of the week starting `week`, which must lie in the
/// range `versions` was read for.
pub async fn week(pool: &PgPool, versions: &Versions, week: NaiveDate) -> Result<WeekScores, AppError> {
    // A week never scored has no scoring_periods row and so no snapshots:
    // both are written in one transaction, and neither is deleted.
    let Some(&generation) = versions.weeks.get(&week) else { return Ok(Arc::new(Vec::new())) };
    let key = (versions.database.clone(), week);
    if let Some((cached, scores)) = lock().weeks.get(&key) {
        if *cached == generation {
            return Ok(scores.clone());
        }
    }
    // The generation and the rows from one statement: one snapshot.
    let Some((read_generation, snapshots)) =
        perfledger_scoring::rows::week_snapshots(pool, week).await.map_err(|e| match e {
            ReadError::Database(e) => AppError::database(&e),
            ReadError::Corrupt(e) => AppError::unreadable(e),
        })?
    else {
        return Ok(Arc::new(Vec::new()));
    };
    let people: Vec<ScoredPerson> = snapshots
        .into_iter()
        .map(|s| ScoredPerson {
            person_id: s.person_id,
            team_id: s.team_id,
            composite: s.composite,
            domain_scores: s.domain_scores,
            is_flagged: s.is_flagged,
        })
        .collect();
    let scores: WeekScores = Arc::new(people);
    lock().weeks.insert(key, (read_generation, scores.clone()));
    Ok(scores)
}

/// The stored scores of the weeks starting `first`, `first + 7`, …, up to
/// `last`, oldest first.
pub async fn weeks(
    pool: &PgPool,
    versions: &Versions,
    first: NaiveDate,
    last: NaiveDate,
) -> Result<Vec<WeekScores>, AppError> {
    let mut out = Vec::new();
    let mut monday = first;
    while monday <= last {
        out.push(week(pool, versions, monday).await?);
        monday = monday + Days::new(7);
    }
    Ok(out)
}

/// Every person's display name.
pub async fn names(pool: &PgPool, versions: &Versions) -> Result<Names, AppError> {
    if let Some((key, names)) = lock().names.get(&versions.database) {
        if *key == versions.names {
            return Ok(names.clone());
        }
    }
    type Row = (Option<i64>, Option<i64>, Vec<Uuid>, Vec<String>);
    const SQL: &str = concat!(
        "SELECT ",
        directory_state_columns!(),
        ",
         ARRAY(SELECT person_id FROM directory_people ORDER BY person_id),
         ARRAY(SELECT display_name FROM directory_people ORDER BY person_id)"
    );
    let (relation, checkpoint, ids, display_names): Row =
        sqlx::query_as(SQL).bind(perfledger_projections::directory::NAME).fetch_one(pool).await?;
    let names: Names = Arc::new(ids.into_iter().zip(display_names).collect());
    lock().names.insert(versions.database.clone(), (NamesKey { relation, checkpoint }, names.clone()));
    Ok(names)
}

/// The composite of `person` in a week's scores.
pub fn composite_of(scores: &[ScoredPerson], person: Uuid) -> Option<Decimal> {
    scores.binary_search_by_key(&person, |p| p.person_id).ok().map(|i| scores[i].composite)
}
