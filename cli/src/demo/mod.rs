//! `perfledger demo`: a seeded organisation on the embedded default, served.
//! `perfledger demo seed`: generate the same data into the database or a file.

pub mod generate;

use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use chrono::{Datelike, NaiveDate, Utc};
use perfledger_api::auth::{Signer, Verifier, INGEST};
use perfledger_store::Ingestor;

use crate::commands::import::{import_file, ImportSummary};
use crate::config::{DemoArgs, DemoCommand, GlobalArgs, SeedArgs};
use generate::{DemoSpec, GenerateStats};

/// The default organisation: about 40 people over 12 weeks.
const DEFAULT_PEOPLE: usize = 40;
const DEFAULT_WEEKS: u32 = 12;
const DEFAULT_SEED: u64 = 42;

pub async fn run(global: &GlobalArgs, args: DemoArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        Some(DemoCommand::Seed(seed)) => seed_command(global, seed).await,
        None => demo_server(global, args.serve).await,
    }
}

/// The Monday of the current ISO week: demo data ends in the week you look at it.
pub fn this_monday() -> NaiveDate {
    let today = Utc::now().date_naive();
    today - chrono::Days::new(u64::from(today.weekday().num_days_from_monday()))
}

async fn seed_command(global: &GlobalArgs, args: SeedArgs) -> anyhow::Result<ExitCode> {
    let spec = DemoSpec {
        people: args.people as usize,
        weeks: args.weeks,
        seed: args.seed,
        end_week_monday: monday_of(args.last_week.unwrap_or_else(this_monday))?,
    };
    if let Some(out) = &args.out {
        let stats = write_ndjson(&spec, out)?;
        eprintln!(
            "wrote {} events ({} people, {} teams) to {}",
            stats.events,
            stats.people,
            stats.teams,
            out.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let db = crate::commands::open_database(global).await?;
    let result = seed_database(&Ingestor::new(db.pool.clone(), "demo"), &spec, &global.data_dir).await;
    db.close().await;
    let summary = result?;
    eprintln!("seeded {} events ({} duplicates, {} rejected)", summary.accepted, summary.duplicates, summary.rejected);
    Ok(if summary.rejected == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn monday_of(date: NaiveDate) -> anyhow::Result<NaiveDate> {
    if date.weekday() != chrono::Weekday::Mon {
        anyhow::bail!("--last-week {date} is a {}; give the Monday that starts the ISO week", date.weekday());
    }
    Ok(date)
}

/// Writes the generated envelopes as NDJSON.
pub fn write_ndjson(spec: &DemoSpec, out: &Path) -> anyhow::Result<GenerateStats> {
    let file = std::fs::File::create(out).with_context(|| format!("cannot write {}", out.display()))?;
    let mut writer = BufWriter::with_capacity(1 << 20, file);
    let stats = generate::generate(spec, &mut |envelope| {
        serde_json::to_writer(&mut writer, &envelope)?;
        writer.write_all(b"\n")?;
        Ok(())
    })?;
    writer.flush()?;
    Ok(stats)
}

/// Generates into a scratch file and imports it through the ordinary import
/// path, so demo data is validated exactly like CRM data.
pub async fn seed_database(ingestor: &Ingestor, spec: &DemoSpec, data_dir: &Path) -> anyhow::Result<ImportSummary> {
    std::fs::create_dir_all(data_dir).with_context(|| format!("cannot create {}", data_dir.display()))?;
    let file = data_dir.join(format!("demo-seed-{}.ndjson", spec.seed));
    let spec_copy = DemoSpec { ..*spec };
    let path = file.clone();
    tokio::task::spawn_blocking(move || write_ndjson(&spec_copy, &path)).await??;
    let summary = import_file(ingestor, &file, 5_000, true).await;
    let _ = std::fs::remove_file(&file);
    summary
}

/// The demo's token key: PERFLEDGER_JWT_SECRET when set, else a random
/// secret kept in the data dir so tokens survive restarts.
fn demo_secret(global: &GlobalArgs) -> anyhow::Result<String> {
    if let Some(secret) = &global.jwt_secret {
        return Ok(secret.clone());
    }
    let path = global.data_dir.join("demo-jwt-secret");
    if let Ok(secret) = std::fs::read_to_string(&path) {
        return Ok(secret.trim().to_string());
    }
    use rand::Rng;
    let secret: String =
        rand::thread_rng().sample_iter(rand::distributions::Alphanumeric).take(48).map(char::from).collect();
    std::fs::create_dir_all(&global.data_dir)?;
    std::fs::write(&path, &secret).with_context(|| format!("cannot write {}", path.display()))?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    Ok(secret)
}

/// The demo writes reviews with the offline rules coach (D12): generation on,
/// `llm_provider = rules`, in force from this week, so the flagged run after
/// the demo's weekly closes and the "Generate review" button both work. Its
/// organisation flags about 35 people a week, more than the seed's default
/// cap of 20 per run, and the rules coach costs nothing: the demo raises the
/// cap to 50 so its queue does not grow week after week (a production
/// admin picks the threshold and the cap with the settings page's helper).
async fn enable_rules_reviews(pool: &sqlx::PgPool) -> anyhow::Result<()> {
    use perfledger_domain::aggregates::{ChangeSettings, SettingsAggregate, SETTINGS_AGGREGATE_ID};
    let changes = [
        ("review_generation_enabled".to_string(), serde_json::json!(true)),
        ("llm_provider".to_string(), serde_json::json!("rules")),
        ("max_reviews_per_run".to_string(), serde_json::json!(50)),
    ]
    .into_iter()
    .collect();
    let command = ChangeSettings {
        actor: "demo".to_string(),
        changes,
        effective_from: this_monday(),
        reason: Some("The demo writes reviews with the offline rules coach, up to 50 a run".to_string()),
        event_id: "demo-enable-rules-reviews".to_string(),
        occurred_at: Utc::now(),
    };
    perfledger_store::commands::execute::<SettingsAggregate>(pool, SETTINGS_AGGREGATE_ID, command)
        .await
        .map_err(|e| anyhow::anyhow!("cannot enable rules reviews for the demo: {e}"))
}

async fn demo_server(global: &GlobalArgs, mut serve: crate::config::ServeArgs) -> anyhow::Result<ExitCode> {
    let secret = demo_secret(global)?;
    let (issuer, audience) = (global.jwt_issuer.as_deref(), global.jwt_audience.as_deref());
    let verifier = Verifier::hs256(secret.as_bytes())?.with_issuer_audience(issuer, audience);
    let signer = Signer::hs256(secret.as_bytes())?.with_issuer_audience(issuer, audience);
    let db = crate::commands::open_database(global).await?;
    let head = perfledger_store::log::head(&db.pool).await?;
    if head == 0 {
        let spec = DemoSpec {
            people: DEFAULT_PEOPLE,
            weeks: DEFAULT_WEEKS,
            seed: DEFAULT_SEED,
            end_week_monday: this_monday(),
        };
        eprintln!("seeding the demo organisation ({DEFAULT_PEOPLE} people, {DEFAULT_WEEKS} weeks)…");
        let seeded = seed_database(&Ingestor::new(db.pool.clone(), "demo"), &spec, &global.data_dir).await;
        let summary = match seeded {
            Ok(summary) => summary,
            Err(err) => {
                db.close().await;
                return Err(err);
            }
        };
        eprintln!("seeded {} events", summary.accepted);
        if let Err(err) = enable_rules_reviews(&db.pool).await {
            db.close().await;
            return Err(err);
        }
    } else {
        eprintln!("the log already holds {head} events; not seeding");
    }
    let token = signer.token("demo-crm", &[], &[INGEST], 86_400);
    // `perfledger demo` always offers the demo sign-in.
    serve.demo = true;
    crate::commands::serve::serve(db, verifier, Some(signer.clone()), &serve, global.occurred_window(), |address| {
        println!("ingest token (24 h): {token}");
        println!("try: curl -s http://{address}/healthz");
    })
    .await?;
    Ok(ExitCode::SUCCESS)
}
