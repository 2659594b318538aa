//! Runs `tests/browser/run.mjs` (Playwright in Debian's Chromium) on a plan
//! of steps and returns what it observed, one JSON object per step.
//!
//! Missing tools fail the test with a message naming what to install: the
//! browser test is never skipped.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

pub const CHROMIUM: &str = "/usr/bin/chromium";

/// The workspace root (the e2e target belongs to the `cli` package).
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the cli package sits in the workspace").to_path_buf()
}

fn browser_dir() -> PathBuf {
    workspace().join("tests/browser")
}

/// Fails loudly unless node, npm and Chromium are here, then installs the
/// pinned npm packages when `node_modules` is missing or stale.
pub fn prepare() {
    for (tool, package) in [("node", "nodejs"), ("npm", "npm")] {
        let found = std::process::Command::new(tool).arg("--version").output().map(|o| o.status.success());
        assert!(
            matches!(found, Ok(true)),
            "the browser test needs `{tool}`: install Debian's {package} (apt-get install nodejs npm; .ci/run does)"
        );
    }
    assert!(
        Path::new(CHROMIUM).exists(),
        "the browser test needs {CHROMIUM}: install Debian's chromium (apt-get install chromium; .ci/run does)"
    );
    let install = browser_dir().join("install.sh");
    let status = std::process::Command::new("bash").arg(&install).status().expect("run tests/browser/install.sh");
    assert!(
        status.success(),
        "{} failed ({status}): the npm registry must be reachable to install playwright-core and axe-core",
        install.display()
    );
}

/// The steps' results by step id, in plan order, plus the run's wall time.
pub struct Observations {
    pub steps: BTreeMap<String, Value>,
    pub order: Vec<String>,
    pub millis: u64,
}

impl Observations {
    /// The result of step `id`; fails the test if the step did not run or failed.
    pub fn ok(&self, id: &str) -> &Value {
        let step = self.steps.get(id).unwrap_or_else(|| panic!("step '{id}' printed no result"));
        assert_eq!(step["ok"], true, "step '{id}' failed: {}", step["error"]);
        step
    }
}

/// Runs the plan in one Chromium and parses one JSON line per step.
pub async fn run(plan: &Value, timeout: Duration) -> Observations {
    let plan_file = tempfile::Builder::new().prefix("browser-plan-").suffix(".json").tempfile().unwrap();
    std::fs::write(plan_file.path(), serde_json::to_vec_pretty(plan).unwrap()).unwrap();
    let started = std::time::Instant::now();
    let child = tokio::process::Command::new("node")
        .arg(browser_dir().join("run.mjs"))
        .arg(plan_file.path())
        .env("PERFLEDGER_CHROMIUM", CHROMIUM)
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(timeout, child)
        .await
        .unwrap_or_else(|_| panic!("the browser run took longer than {timeout:?}"))
        .expect("start node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the browser run failed ({}):\n{stderr}\n{stdout}", output.status);
    let mut steps = BTreeMap::new();
    let mut order = Vec::new();
    for line in stdout.lines().filter(|l| !l.trim().is_empty()) {
        let step: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("run.mjs printed a line that is not JSON ({e}): {line}"));
        let id = step["id"].as_str().expect("every step has an id").to_string();
        order.push(id.clone());
        steps.insert(id, step);
    }
    assert!(steps.contains_key("done"), "the browser run ended early:\n{stderr}\n{stdout}");
    Observations { steps, order, millis: started.elapsed().as_millis() as u64 }
}
