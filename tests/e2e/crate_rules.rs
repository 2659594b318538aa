//! The crate rules of ARCHITECTURE.md, checked against `cargo metadata`:
//! the layering of the workspace crates, a pure domain, and the API crate
//! used by the binary alone. No database needed.

use std::collections::BTreeMap;
use std::process::Command;

use serde_json::Value;

/// The layers, lowest first: a crate may depend only on crates of a lower
/// layer (so `replay` and `reviews`, side by side, not on each other). The
/// folds (`projections`), the scoring pass (`scoring`) and the scheduler
/// that runs them and writes the close and goal events (`scheduler`) are
/// one layer each. The test kit sits beside `projections` and is only ever
/// a dev-dependency.
const LAYERS: &[(&str, u8)] = &[
    ("perfledger-domain", 0),
    ("perfledger-store", 1),
    ("perfledger-projections", 2),
    ("perfledger-tests", 2),
    ("perfledger-dotmac", 2),
    ("perfledger-scoring", 3),
    ("perfledger-scheduler", 4),
    ("perfledger-replay", 5),
    ("perfledger-reviews", 5),
    ("perfledger-api", 6),
    ("perfledger", 7),
];

/// Crates that do I/O (or exist for it): the domain names none of them.
const IO_CRATES: &[&str] =
    &["sqlx", "tokio", "axum", "reqwest", "postgres-es", "async-openai", "hyper", "tower", "tower-http", "wiremock"];

/// (package, dependency, kind) for every workspace package's direct dependencies.
fn dependencies() -> Vec<(String, String, String)> {
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.toml");
    let output = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--no-deps", "--offline", "--manifest-path", manifest])
        .output()
        .expect("cargo metadata runs");
    assert!(output.status.success(), "cargo metadata: {}", String::from_utf8_lossy(&output.stderr));
    let metadata: Value = serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON");
    let mut out = Vec::new();
    for package in metadata["packages"].as_array().expect("packages") {
        let name = package["name"].as_str().expect("a package name");
        for dependency in package["dependencies"].as_array().expect("dependencies") {
            let dep = dependency["name"].as_str().expect("a dependency name");
            let kind = dependency["kind"].as_str().unwrap_or("normal");
            out.push((name.to_string(), dep.to_string(), kind.to_string()));
        }
        if !out.iter().any(|(p, _, _)| p == name) {
            out.push((name.to_string(), String::new(), String::new()));
        }
    }
    out
}

#[test]
fn crates_keep_their_layers() {
    let layers: BTreeMap<&str, u8> = LAYERS.iter().copied().collect();
    let dependencies = dependencies();
    let mut packages: Vec<&str> = dependencies.iter().map(|(p, _, _)| p.as_str()).collect();
    packages.dedup();
    packages.sort_unstable();
    packages.dedup();
    let mut known: Vec<&str> = layers.keys().copied().collect();
    known.sort_unstable();
    assert_eq!(packages, known, "every workspace crate has its place in LAYERS (and ARCHITECTURE.md)");

    let mut broken = Vec::new();
    for (package, dep, kind) in &dependencies {
        let Some(&below) = layers.get(dep.as_str()) else { continue };
        let above = layers[package.as_str()];
        if below >= above {
            broken.push(format!("{package} ({above}) -> {dep} ({below}) [{kind}]"));
        }
        if dep == "perfledger-tests" && kind != "dev" {
            broken.push(format!("{package} -> perfledger-tests is a {kind} dependency, not dev"));
        }
        if dep == "perfledger-api" && package != "perfledger" {
            broken.push(format!("{package} -> perfledger-api: only the binary serves the API"));
        }
    }
    assert!(broken.is_empty(), "crate rules broken: {broken:#?}");
}

#[test]
fn the_domain_does_no_io() {
    let domain: Vec<(String, String)> = dependencies()
        .into_iter()
        .filter(|(package, _, kind)| package == "perfledger-domain" && kind != "dev")
        .map(|(_, dep, kind)| (dep, kind))
        .collect();
    assert!(domain.iter().any(|(dep, _)| dep == "cqrs-es"), "the aggregates are cqrs-es aggregates (D2)");
    let io: Vec<&(String, String)> = domain.iter().filter(|(dep, _)| IO_CRATES.contains(&dep.as_str())).collect();
    assert!(io.is_empty(), "perfledger-domain must stay pure, but depends on {io:?}");
    let inner: Vec<&(String, String)> = domain.iter().filter(|(dep, _)| dep.starts_with("perfledger")).collect();
    assert!(inner.is_empty(), "perfledger-domain depends on no workspace crate: {inner:?}");
}
