//! A test hook for crash-resume tests: with `PERFLEDGER_TEST_CRASH_AT=name:N`
//! the process aborts (like kill -9: no unwinding, no commit) inside the N-th
//! transaction of projector `name`, after its rows are written and before the
//! commit. Unset, it costs one relaxed atomic load.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::OnceLock;

static TARGET: OnceLock<Option<(String, i64)>> = OnceLock::new();
static COUNT: AtomicI64 = AtomicI64::new(0);

pub fn maybe_crash(projector: &str) {
    let target = TARGET.get_or_init(|| {
        let spec = std::env::var("PERFLEDGER_TEST_CRASH_AT").ok()?;
        let (name, n) = spec.split_once(':')?;
        Some((name.to_string(), n.parse().ok()?))
    });
    if let Some((name, n)) = target {
        if name == projector && COUNT.fetch_add(1, Ordering::Relaxed) + 1 == *n {
            eprintln!("PERFLEDGER_TEST_CRASH_AT: aborting inside {projector} transaction {n}");
            std::process::abort();
        }
    }
}
