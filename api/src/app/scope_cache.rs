//! The directory facts scope is resolved from, cached per directory state
//! ([`DirectoryKey`]): each caller's projected grants (`directory_grants`,
//! D16) and the people a manager manages ([`crate::app::scope::managed_person_ids`]).
//!
//! Never stale, as [`crate::queries::score_cache`]: a request reads the
//! current directory key first (with the report keys, in the same round
//! trip) and uses an entry only under that exact key; a miss reads the key
//! and the rows in one statement and files them under the key it read. A
//! directory change (a new grant, a member leaving a team, a `replay` swap)
//! moves the key, so the next request reads the rows again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use sqlx::PgPool;
use uuid::Uuid;

use crate::bounded_cache::BoundedCache;
use crate::ids::PersonId;
use crate::queries::score_cache::{directory_state_columns, DirectoryKey};

/// Directory states kept; the oldest filled go first.
const MAX_STATES: usize = 8;
/// Callers kept per state: past it the state's entries start over, so
/// tokens of ever new people cannot grow the cache without bound.
const MAX_CALLERS: usize = 65_536;

/// A person's projected roles and permissions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grants {
    pub roles: Vec<String>,
    pub permissions: Vec<String>,
}

#[derive(Default)]
struct State {
    grants: HashMap<Uuid, Option<Arc<Grants>>>,
    managed: HashMap<Uuid, Arc<Vec<Uuid>>>,
}

struct Cache {
    states: BoundedCache<DirectoryKey, State>,
}

fn lock() -> std::sync::MutexGuard<'static, Cache> {
    static CACHE: OnceLock<Mutex<Cache>> = OnceLock::new();
    // Entries are replaced whole, so a poisoned lock holds nothing half-written.
    CACHE
        .get_or_init(|| Mutex::new(Cache { states: BoundedCache::new(MAX_STATES) }))
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Cache {
    /// The entries of `key`, made (and the oldest state dropped) if new.
    fn state(&mut self, key: &DirectoryKey) -> &mut State {
        let state = self.states.write(key, State::default);
        if state.grants.len() >= MAX_CALLERS || state.managed.len() >= MAX_CALLERS {
            *state = State::default();
        }
        state
    }
}

/// The projected grants of `person` in the directory state `key` (`None`:
/// no `person.permissions_set` was projected for them).
pub async fn grants(pool: &PgPool, key: &DirectoryKey, person: Uuid) -> Result<Option<Arc<Grants>>, sqlx::Error> {
    if let Some(state) = lock().states.get(key) {
        if let Some(grants) = state.grants.get(&person) {
            return Ok(grants.clone());
        }
    }
    type Row = (Option<i64>, Option<i64>, Option<Vec<String>>, Option<Vec<String>>);
    const SQL: &str = concat!(
        "SELECT ",
        directory_state_columns!(),
        ",
         (SELECT roles FROM directory_grants WHERE person_id = $2),
         (SELECT permissions FROM directory_grants WHERE person_id = $2)"
    );
    let (relation, checkpoint, roles, permissions): Row =
        sqlx::query_as(SQL).bind(perfledger_projections::directory::NAME).bind(person).fetch_one(pool).await?;
    let grants = match (roles, permissions) {
        (Some(roles), Some(permissions)) => Some(Arc::new(Grants { roles, permissions })),
        _ => None,
    };
    lock().state(&key.with_state(relation, checkpoint)).grants.insert(person, grants.clone());
    Ok(grants)
}

/// [`crate::app::scope::managed_person_ids`] of `manager` in the directory state
/// `key`: sorted, without duplicates.
pub async fn managed_person_ids(
    pool: &PgPool,
    key: &DirectoryKey,
    manager: PersonId,
) -> Result<Arc<Vec<Uuid>>, sqlx::Error> {
    let manager = manager.uuid();
    if let Some(state) = lock().states.get(key) {
        if let Some(managed) = state.managed.get(&manager) {
            return Ok(managed.clone());
        }
    }
    let sql = format!(
        concat!("SELECT ", directory_state_columns!(), ", ARRAY({})"),
        crate::app::scope::managed_person_ids_sql("$2")
    );
    let (relation, checkpoint, people): (Option<i64>, Option<i64>, Vec<Uuid>) =
        sqlx::query_as(&sql).bind(perfledger_projections::directory::NAME).bind(manager).fetch_one(pool).await?;
    let people = Arc::new(people);
    lock().state(&key.with_state(relation, checkpoint)).managed.insert(manager, people.clone());
    Ok(people)
}
