//! Command-line flags. Every long flag also reads a `PERFLEDGER_*` environment
//! variable (or `DATABASE_URL`), named in `--help`; the test at the end of
//! this file walks every subcommand and fails on a flag without one.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "perfledger", version, about = "Event-sourced staff performance analytics for DotMac CRM")]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// PostgreSQL URL. Without it, perfledger starts its own cluster under --data-dir.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
    /// Where the embedded PostgreSQL cluster and demo keys live.
    #[arg(long, env = "PERFLEDGER_DATA_DIR", default_value = "./var", global = true)]
    pub data_dir: PathBuf,
    /// Most connections in the pool.
    #[arg(long, env = "PERFLEDGER_MAX_CONNECTIONS", default_value_t = 16, global = true,
          value_parser = clap::value_parser!(u32).range(2..=500))]
    pub max_connections: u32,
    /// Shared secret for HS256 bearer tokens (at least 32 bytes).
    #[arg(
        long,
        env = "PERFLEDGER_JWT_SECRET",
        global = true,
        hide_env_values = true,
        conflicts_with = "jwt_public_key_file"
    )]
    pub jwt_secret: Option<String>,
    /// RSA public key (PEM) for RS256 bearer tokens.
    #[arg(long, env = "PERFLEDGER_JWT_PUBLIC_KEY_FILE", global = true)]
    pub jwt_public_key_file: Option<PathBuf>,
    /// Required `iss` claim: when set, tokens without this issuer get 401 (tokens minted by perfledger carry it).
    #[arg(long, env = "PERFLEDGER_JWT_ISSUER", global = true)]
    pub jwt_issuer: Option<String>,
    /// Required `aud` claim: when set, tokens without this audience get 401 (tokens minted by perfledger carry it).
    #[arg(long, env = "PERFLEDGER_JWT_AUDIENCE", global = true)]
    pub jwt_audience: Option<String>,
    /// Log filter (tracing EnvFilter syntax), e.g. info or perfledger_store=debug.
    #[arg(long, env = "PERFLEDGER_LOG", default_value = "info", global = true)]
    pub log: String,
    /// The earliest `occurred_at` accepted (a UTC date); older activity is an item rejection.
    #[arg(long, env = "PERFLEDGER_EARLIEST_OCCURRED_AT", default_value = "2000-01-01", global = true)]
    pub earliest_occurred_at: chrono::NaiveDate,
    /// How many hours after its receipt an `occurred_at` may lie (0–8760).
    #[arg(long, env = "PERFLEDGER_MAX_FUTURE_HOURS", default_value_t = 24, global = true,
          value_parser = clap::value_parser!(u32).range(0..=8760))]
    pub max_future_hours: u32,
}

impl GlobalArgs {
    /// The `occurred_at` window every ingest path checks (issue 14).
    pub fn occurred_window(&self) -> perfledger_domain::validate::OccurredWindow {
        perfledger_domain::validate::OccurredWindow {
            earliest: perfledger_domain::period::midnight(self.earliest_occurred_at),
            ahead: chrono::Duration::hours(i64::from(self.max_future_hours)),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the HTTP API (applies migrations first).
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Import an NDJSON file of envelopes (streamed; re-importing is a no-op).
    Import(ImportArgs),
    /// Seed a demo organisation if the log is empty, then serve; or `demo seed`.
    Demo(DemoArgs),
    /// Measure throughput in a scratch database; prints one JSON object.
    Bench(BenchArgs),
    /// Mint a bearer token (HS256, with --jwt-secret) for operators and tests.
    Token(TokenArgs),
    /// Run the projectors and the scoring pass alone (a worker process).
    Project(ProjectArgs),
    /// Read or change the performance and integration settings (D10).
    Settings(SettingsArgs),
    /// Score periods under proposed weights without writing anything (D10).
    WhatIf(WhatIfArgs),
    /// Rebuild every read model from position 0, blue-green (`--from-week`/`--to-week`: an alias of `rescore`).
    Replay(ReplayArgs),
    /// Rescore a range of ISO weeks from the accumulators (after catching the projectors up); idempotent.
    Rescore(RescoreArgs),
    /// Score every week that has activity but was never scored.
    Backfill(BackfillArgs),
    /// Rebuild every read model into a scratch schema and compare it with the serving tables; exit 1 on any difference.
    Verify(BackfillArgs),
    /// Operate on single events of the log: `events void` frees a stalled projector.
    Events(EventsArgs),
    /// Pull a CRM's database into the log: `connect dotmac` (docs/connectors/dotmac.md).
    Connect(ConnectArgs),
}

#[derive(Debug, Clone, Args)]
pub struct ConnectArgs {
    #[command(subcommand)]
    pub command: ConnectCommand,
}

#[derive(Debug, Clone, Subcommand)]
pub enum ConnectCommand {
    /// DotMac CRM: read its tables through a read-only login, append perfledger events, follow.
    Dotmac(DotmacArgs),
}

#[derive(Debug, Clone, Args)]
pub struct DotmacArgs {
    /// DotMac's PostgreSQL (a read-only role), e.g. postgres://perfledger_reader:…@host/dotmac.
    #[arg(long, env = "PERFLEDGER_DOTMAC_SOURCE_URL", hide_env_values = true)]
    pub source_url: String,
    /// Catch up once, print what was appended as JSON, and exit.
    #[arg(long, env = "PERFLEDGER_CONNECT_ONCE", default_value_t = false)]
    pub once: bool,
    /// Seconds between polls when no webhook wakes the connector.
    #[arg(long, env = "PERFLEDGER_CONNECT_POLL_SECONDS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub poll_seconds: u64,
    /// How far behind each table's watermark a poll re-reads (late commits).
    #[arg(long, env = "PERFLEDGER_CONNECT_OVERLAP_SECONDS", default_value_t = 600,
          value_parser = clap::value_parser!(u64).range(0..=604_800))]
    pub overlap_seconds: u64,
    /// Source rows per chunk (one append and one state transaction each);
    /// smaller chunks make a killed run resume from closer to where it
    /// stopped (the kill-and-resume test uses a small one).
    #[arg(long, env = "PERFLEDGER_CONNECT_CHUNK_ROWS", default_value_t = 5000,
          value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub chunk_rows: u64,
}

#[derive(Debug, Clone, Args)]
pub struct EventsArgs {
    #[command(subcommand)]
    pub command: EventsCommand,
}

#[derive(Debug, Clone, Subcommand)]
pub enum EventsCommand {
    /// Append `log.event_voided` for one event: every projector skips it from
    /// then on and in every replay. The log itself is never changed.
    Void(VoidArgs),
}

#[derive(Debug, Clone, Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["event_id", "position"])))]
pub struct VoidArgs {
    /// The event's id (the CRM's `event_id`, as /healthz shows a stalled projector's event).
    #[arg(long, env = "PERFLEDGER_VOID_EVENT_ID")]
    pub event_id: Option<String>,
    /// The event's log position (as /healthz and `project --lag` show it).
    #[arg(long, env = "PERFLEDGER_VOID_POSITION", value_parser = clap::value_parser!(i64).range(1..))]
    pub position: Option<i64>,
    /// Why it is voided; kept in the event and the audit log.
    #[arg(long, env = "PERFLEDGER_VOID_REASON")]
    pub reason: String,
    /// Who voids it (default: `cli:` and the login name).
    #[arg(long, env = "PERFLEDGER_ACTOR")]
    pub actor: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct ReplayArgs {
    /// Alias of `rescore --from-week`: first ISO week to rescore, e.g. 2026-W10 (with --to-week: rescore only that range, no rebuild).
    #[arg(long, env = "PERFLEDGER_REPLAY_FROM_WEEK", requires = "to_week",
          conflicts_with_all = ["resume", "restart", "dry_run"])]
    pub from_week: Option<String>,
    /// Alias of `rescore --to-week`: last ISO week to rescore (inclusive), e.g. 2026-W20.
    #[arg(long, env = "PERFLEDGER_REPLAY_TO_WEEK", requires = "from_week")]
    pub to_week: Option<String>,
    /// Continue a replay that was interrupted (killed, crashed) from its checkpoints.
    #[arg(long, env = "PERFLEDGER_REPLAY_RESUME", conflicts_with = "restart")]
    pub resume: bool,
    /// Throw away an interrupted replay and start again from position 0.
    #[arg(long, env = "PERFLEDGER_REPLAY_RESTART")]
    pub restart: bool,
    /// Build the new version and compare it with the serving one, without switching.
    #[arg(long, env = "PERFLEDGER_REPLAY_DRY_RUN")]
    pub dry_run: bool,
    /// Events per projector batch while rebuilding (bigger than a catch-up's: each accumulator row is written fewer times).
    #[arg(long, env = "PERFLEDGER_REPLAY_BATCH", default_value_t = perfledger_scheduler::worker::REBUILD_BATCH,
          value_parser = clap::value_parser!(i64).range(1..=1_000_000))]
    pub batch_size: i64,
}

#[derive(Debug, Clone, Args)]
pub struct RescoreArgs {
    /// First ISO week to rescore, e.g. 2026-W10.
    #[arg(long, env = "PERFLEDGER_RESCORE_FROM_WEEK")]
    pub from_week: String,
    /// Last ISO week to rescore (inclusive), e.g. 2026-W20.
    #[arg(long, env = "PERFLEDGER_RESCORE_TO_WEEK")]
    pub to_week: String,
    /// Events per projector batch while catching up before the rescore.
    #[arg(long, env = "PERFLEDGER_PROJECT_BATCH", default_value_t = 20_000,
          value_parser = clap::value_parser!(i64).range(1..=1_000_000))]
    pub batch_size: i64,
}

#[derive(Debug, Clone, Args)]
pub struct BackfillArgs {
    /// Events per projector batch while catching up.
    #[arg(long, env = "PERFLEDGER_PROJECT_BATCH", default_value_t = 20_000,
          value_parser = clap::value_parser!(i64).range(1..=1_000_000))]
    pub batch_size: i64,
}

#[derive(Debug, Clone, Args)]
#[command(group(clap::ArgGroup::new("range").required(true).args(["period", "last_weeks"])))]
pub struct WhatIfArgs {
    /// JSON file: a weight map ({"support": 30, …}) or settings changes ({"domain_weights_support": {…}}).
    #[arg(long, env = "PERFLEDGER_WHAT_IF_WEIGHTS")]
    pub weights: std::path::PathBuf,
    /// The team type the weight map is for (operations, support, field_service, sales, other); only its people are reported.
    #[arg(long, env = "PERFLEDGER_WHAT_IF_TEAM_TYPE")]
    pub team_type: Option<String>,
    /// One ISO week, e.g. 2026-W20.
    #[arg(long, env = "PERFLEDGER_WHAT_IF_PERIOD")]
    pub period: Option<String>,
    /// The last N complete weeks (1–104).
    #[arg(long, env = "PERFLEDGER_WHAT_IF_LAST_WEEKS", value_parser = clap::value_parser!(u32).range(1..=104))]
    pub last_weeks: Option<u32>,
    /// How many of the biggest changes to list.
    #[arg(long, env = "PERFLEDGER_WHAT_IF_TOP", default_value_t = 20,
          value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub top: u64,
    /// Print the full report as JSON instead of a table.
    #[arg(long, env = "PERFLEDGER_WHAT_IF_JSON")]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ProjectArgs {
    /// Catch up to the head, score every period with events, close ended weeks, and exit.
    #[arg(long, env = "PERFLEDGER_PROJECT_ONCE", conflicts_with = "lag")]
    pub once: bool,
    /// Print each projector's lag as JSON and exit.
    #[arg(long, env = "PERFLEDGER_PROJECT_LAG")]
    pub lag: bool,
    /// Events per batch (one transaction per projector per batch).
    #[arg(long, env = "PERFLEDGER_PROJECT_BATCH", default_value_t = 20_000,
          value_parser = clap::value_parser!(i64).range(1..=1_000_000))]
    pub batch_size: i64,
    /// Seconds between polls when no notification arrives.
    #[arg(long, env = "PERFLEDGER_PROJECT_POLL_SECONDS", default_value_t = 2,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub poll_seconds: u64,
}

#[derive(Debug, Clone, Args)]
pub struct SettingsArgs {
    #[command(subcommand)]
    pub command: SettingsCommand,
}

#[derive(Debug, Clone, Subcommand)]
pub enum SettingsCommand {
    /// Print the settings in force (all of them, or one key) as JSON.
    Get {
        /// One setting's key; all settings when omitted.
        key: Option<String>,
        /// The day whose settings to show (default: today).
        #[arg(long, env = "PERFLEDGER_SETTINGS_AT")]
        at: Option<chrono::NaiveDate>,
        /// Show secret values instead of ********.
        #[arg(long, env = "PERFLEDGER_SETTINGS_REVEAL_SECRETS")]
        reveal_secrets: bool,
    },
    /// Record a settings change (an event): `set KEY VALUE`, VALUE as JSON.
    Set {
        /// The setting's key, e.g. flagged_threshold or domain_weights_support.
        key: String,
        /// The value as JSON, e.g. 65, true, null or '{"support":30,"communication":30}'.
        // A negative number (-1) is a value, so the settings rules explain it.
        #[arg(allow_negative_numbers = true)]
        value: String,
        /// First day the change is in force (default: the start of the current week).
        #[arg(long, env = "PERFLEDGER_SETTINGS_EFFECTIVE_FROM")]
        effective_from: Option<chrono::NaiveDate>,
        /// Who makes the change, recorded in the event and the audit log.
        #[arg(long, env = "PERFLEDGER_SETTINGS_ACTOR", default_value = "operator")]
        actor: String,
        /// Why the change is made (one line, at most 500 characters), recorded in the event.
        #[arg(long, env = "PERFLEDGER_SETTINGS_REASON")]
        reason: Option<String>,
    },
    /// Print every recorded change, oldest first, as JSON lines.
    History,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "PERFLEDGER_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Do not run the projectors in this process (run `perfledger project` workers instead).
    #[arg(long, env = "PERFLEDGER_NO_PROJECTORS")]
    pub no_projectors: bool,
    /// Demo mode: the sign-in page lists the seeded people and signs in as
    /// any of them (needs PERFLEDGER_JWT_SECRET). Never in production.
    #[arg(long, env = "PERFLEDGER_DEMO")]
    pub demo: bool,
    /// Do not run the review worker (flagged runs and review jobs) in this process.
    #[arg(long, env = "PERFLEDGER_NO_REVIEW_WORKER")]
    pub no_review_worker: bool,
    /// The address people open, e.g. https://perf.example.com: when it is
    /// https, the session cookie is marked Secure.
    #[arg(long, env = "PERFLEDGER_PUBLIC_URL", value_parser = parse_public_url)]
    pub public_url: Option<String>,
    /// Longest a request may take until its answer starts (503 after it).
    #[arg(long, env = "PERFLEDGER_REQUEST_TIMEOUT_SECONDS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..=3_600))]
    pub request_timeout_seconds: u64,
    /// Longest a client may take to send a request's headers, and the
    /// longest pause between two parts of its body; then the connection is closed.
    #[arg(long, env = "PERFLEDGER_HEADER_READ_TIMEOUT_SECONDS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3_600))]
    pub header_read_timeout_seconds: u64,
    /// Request-body bytes in flight across concurrent POST /api/v1/events
    /// requests, in MiB; past it, 503 with Retry-After.
    #[arg(long, env = "PERFLEDGER_INGEST_MAX_INFLIGHT_MB", default_value_t = 128,
          value_parser = clap::value_parser!(u32).range(1..=4_095))]
    pub ingest_max_inflight_mb: u32,
    /// The secret DotMac signs its webhooks with (the same as in DotMac's
    /// webhook endpoint): turns on POST /api/v1/connectors/dotmac/webhook,
    /// which answers 404 without it (docs/connectors/dotmac.md).
    #[arg(long, env = "PERFLEDGER_DOTMAC_WEBHOOK_SECRET", hide_env_values = true)]
    pub dotmac_webhook_secret: Option<String>,
    /// DotMac's PostgreSQL (a read-only role): runs the DotMac pull connector
    /// inside this server (backfill, then follow, woken by the webhook), as
    /// `perfledger connect dotmac` does on its own.
    #[arg(long, env = "PERFLEDGER_SERVE_DOTMAC_SOURCE_URL", hide_env_values = true)]
    pub dotmac_source_url: Option<String>,
    /// Seconds between the in-server connector's polls when no webhook wakes it.
    #[arg(long, env = "PERFLEDGER_DOTMAC_POLL_SECONDS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub dotmac_poll_seconds: u64,
}

impl ServeArgs {
    /// The server options these flags set.
    pub fn server_options(&self) -> perfledger_api::ServerOptions {
        perfledger_api::ServerOptions {
            secure_cookies: self.public_url.as_deref().is_some_and(|url| url.starts_with("https://")),
            request_timeout: std::time::Duration::from_secs(self.request_timeout_seconds),
            header_read_timeout: std::time::Duration::from_secs(self.header_read_timeout_seconds),
            ingest_max_inflight_bytes: self.ingest_max_inflight_mb.saturating_mul(1024 * 1024),
        }
    }
}

/// `--public-url`: an absolute http or https URL.
pub fn parse_public_url(text: &str) -> Result<String, String> {
    let text = text.trim().trim_end_matches('/');
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
        .ok_or_else(|| format!("'{text}' is not an http:// or https:// URL, e.g. https://perf.example.com"))?;
    if rest.is_empty() || rest.contains(char::is_whitespace) {
        return Err(format!("'{text}' has no host, e.g. https://perf.example.com"));
    }
    Ok(text.to_string())
}

#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// The NDJSON file: one envelope per line.
    pub file: PathBuf,
    /// Envelopes per transaction.
    #[arg(long, env = "PERFLEDGER_IMPORT_BATCH", default_value_t = 5_000,
          value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub batch: u64,
}

#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    #[command(subcommand)]
    pub command: Option<DemoCommand>,
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Clone, Subcommand)]
pub enum DemoCommand {
    /// Generate a deterministic organisation and its activity.
    Seed(SeedArgs),
}

#[derive(Debug, Clone, Args)]
pub struct SeedArgs {
    /// Number of people.
    #[arg(long, env = "PERFLEDGER_DEMO_PEOPLE", default_value_t = 40,
          value_parser = clap::value_parser!(u64).range(5..=100_000))]
    pub people: u64,
    /// Number of ISO weeks, ending with the current week.
    #[arg(long, env = "PERFLEDGER_DEMO_WEEKS", default_value_t = 12,
          value_parser = clap::value_parser!(u32).range(1..=520))]
    pub weeks: u32,
    /// Random seed: the same seed gives the same events.
    #[arg(long, env = "PERFLEDGER_DEMO_SEED", default_value_t = 42)]
    pub seed: u64,
    /// Write NDJSON here instead of importing into the database.
    #[arg(long, env = "PERFLEDGER_DEMO_OUT")]
    pub out: Option<PathBuf>,
    /// Monday of the last generated week (default: this week's Monday).
    #[arg(long, env = "PERFLEDGER_DEMO_LAST_WEEK")]
    pub last_week: Option<chrono::NaiveDate>,
}

#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub command: BenchCommand,
}

#[derive(Debug, Clone, Subcommand)]
pub enum BenchCommand {
    /// Ingest throughput: HTTP batches from 4 clients, bulk import, raw COPY.
    Ingest {
        /// Approximate number of events to generate.
        #[arg(long, env = "PERFLEDGER_BENCH_EVENTS", default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1_000..=20_000_000))]
        events: u64,
    },
    /// Projection throughput: demo data imported, then every projector from a
    /// cold checkpoint to all weeks scored; plus the scoring pass alone and
    /// the seed's SQL GROUP BY baseline over the same events.
    Project(BenchLogArgs),
    /// Replay speed: demo data imported and projected (not measured), then a
    /// full blue-green `replay`, the raw read limit (COPY of the log to
    /// nowhere), the fold's floor (the log read, decoded and folded in
    /// memory, nothing written) and the seed's SQL baseline, in one run.
    Replay(BenchLogArgs),
    /// DotMac connector speed: DotMac's tables seeded in a scratch database
    /// (--people staff × --weeks), a backfill into a scratch perfledger
    /// database, then idle polls; prints
    /// `{rows_read, events_appended, backfill_s, events_per_s, incremental_poll_ms}`.
    Connect(BenchLogArgs),
    /// JSON API read speed: demo data imported and projected, then the
    /// leaderboard, scorecard and peer-comparison routes each driven by
    /// concurrent keep-alive clients; prints one JSON array of latencies and
    /// throughput. The server's pool has --max-connections connections.
    Api(BenchApiArgs),
    /// What-if speed: demo data imported and projected (not measured), then
    /// `what-if` of a weight proposal over the last --last-weeks complete
    /// weeks, timed over several runs.
    WhatIf(BenchWhatIfArgs),
    /// Review pipeline overhead: flagged reviews generated against an
    /// in-process fake OpenAI-compatible server answering in 300 ms; prints
    /// `{"reviews", "wall_s", "overhead_ms_per_review", …}`.
    Reviews {
        /// Number of flagged reviews to generate.
        #[arg(long, env = "PERFLEDGER_BENCH_REVIEWS", default_value_t = 200,
              value_parser = clap::value_parser!(u64).range(1..=10_000))]
        reviews: u64,
        /// Provider calls in flight (review_concurrency, at most 8).
        #[arg(long, env = "PERFLEDGER_BENCH_CONCURRENCY", default_value_t = 8,
              value_parser = clap::value_parser!(u64).range(1..=8))]
        concurrency: u64,
    },
}

/// The generated demo log a benchmark measures on (shared by the benches
/// that project demo data).
#[derive(Debug, Clone, Copy, Args)]
pub struct BenchLogArgs {
    /// Number of people in the generated organisation.
    #[arg(long, env = "PERFLEDGER_BENCH_PEOPLE", default_value_t = 500,
          value_parser = clap::value_parser!(u64).range(5..=100_000))]
    pub people: u64,
    /// Number of weeks of activity, ending with the current week.
    #[arg(long, env = "PERFLEDGER_BENCH_WEEKS", default_value_t = 52,
          value_parser = clap::value_parser!(u32).range(1..=520))]
    pub weeks: u32,
    /// Random seed of the generated data (and of a benchmark's request mix).
    #[arg(long, env = "PERFLEDGER_BENCH_SEED", default_value_t = 42)]
    pub seed: u64,
}

#[derive(Debug, Clone, Args)]
pub struct BenchApiArgs {
    #[command(flatten)]
    pub log: BenchLogArgs,
    /// Seconds of load per route (after one second of warm-up).
    #[arg(long, env = "PERFLEDGER_BENCH_SECONDS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3_600))]
    pub seconds: u64,
    /// Concurrent keep-alive client connections.
    #[arg(long, env = "PERFLEDGER_BENCH_CONNECTIONS", default_value_t = 64,
          value_parser = clap::value_parser!(u64).range(1..=4_096))]
    pub connections: u64,
}

#[derive(Debug, Clone, Args)]
pub struct BenchWhatIfArgs {
    #[command(flatten)]
    pub log: BenchLogArgs,
    /// How many complete weeks the what-if scores (the last N before the current week).
    #[arg(long, env = "PERFLEDGER_BENCH_LAST_WEEKS", default_value_t = 12,
          value_parser = clap::value_parser!(u32).range(1..=104))]
    pub last_weeks: u32,
    /// Timed runs of the same what-if (the first one is also reported alone).
    #[arg(long, env = "PERFLEDGER_BENCH_RUNS", default_value_t = 5,
          value_parser = clap::value_parser!(u32).range(1..=100))]
    pub runs: u32,
}

#[derive(Debug, Clone, Args)]
pub struct TokenArgs {
    /// The subject: a person_id, or a service name for service tokens.
    /// `--person ID` is the same flag under the name the API issue uses.
    #[arg(long, visible_alias = "person", env = "PERFLEDGER_TOKEN_SUBJECT")]
    pub subject: String,
    /// Roles, comma separated (e.g. admin,manager).
    #[arg(long, env = "PERFLEDGER_TOKEN_ROLES", value_delimiter = ',')]
    pub roles: Vec<String>,
    /// Permissions, comma separated (e.g. ingest,reports:operations).
    #[arg(long, env = "PERFLEDGER_TOKEN_PERMISSIONS", value_delimiter = ',')]
    pub permissions: Vec<String>,
    /// Lifetime: seconds (`3600`) or a number with a unit (`90s`, `30m`, `1h`, `7d`); at most 365 days.
    #[arg(long, env = "PERFLEDGER_TOKEN_TTL", default_value = "3600", value_parser = parse_ttl)]
    pub ttl: u64,
}

/// `--ttl`: plain seconds, or a positive integer followed by `s`, `m`, `h` or `d`; 1 s to 365 days.
pub fn parse_ttl(text: &str) -> Result<u64, String> {
    const MAX: u64 = 31_536_000;
    let text = text.trim();
    let (digits, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => text.split_at(i),
        None => (text, ""),
    };
    let multiplier = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => {
            return Err(format!("'{text}' is not a duration: expected seconds or a number with s, m, h or d (e.g. 1h)"))
        }
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("'{text}' is not a duration: expected seconds or a number with s, m, h or d (e.g. 1h)"))?;
    let seconds = n.checked_mul(multiplier).filter(|s| (1..=MAX).contains(s));
    seconds.ok_or_else(|| format!("'{text}' is out of range: expected 1 second to 365 days"))
}

#[cfg(test)]
mod ttl_tests {
    use super::parse_ttl;

    #[test]
    fn ttl_accepts_seconds_and_units() {
        assert_eq!(parse_ttl("60"), Ok(60));
        assert_eq!(parse_ttl("90s"), Ok(90));
        assert_eq!(parse_ttl("30m"), Ok(1_800));
        assert_eq!(parse_ttl("1h"), Ok(3_600));
        assert_eq!(parse_ttl("2d"), Ok(172_800));
        for bad in ["", "0", "h", "1w", "-5", "1.5h", "366d"] {
            assert!(parse_ttl(bad).is_err(), "{bad} must be refused");
        }
    }
}

#[cfg(test)]
mod env_tests {
    use std::collections::BTreeMap;

    use clap::CommandFactory;

    use super::Cli;

    /// Flags that need no environment variable: clap's own.
    const EXEMPT: &[&str] = &["help", "version"];

    /// Every long flag of every (sub)command, with the command path it is on.
    fn flags(command: &clap::Command, path: &str, out: &mut Vec<(String, clap::Arg)>) {
        for arg in command.get_arguments() {
            if !arg.is_positional() && arg.get_long().is_some() {
                out.push((path.to_string(), arg.clone()));
            }
        }
        for sub in command.get_subcommands() {
            flags(sub, &format!("{path} {}", sub.get_name()), out);
        }
    }

    #[test]
    fn every_long_flag_has_a_perfledger_env_var() {
        let mut command = Cli::command();
        command.build();
        let mut all = Vec::new();
        flags(&command, "perfledger", &mut all);
        assert!(all.len() > 50, "the walk found the flags ({})", all.len());
        let mut missing = Vec::new();
        // One variable, one meaning: a variable shared by several commands names the same flag.
        let mut by_env: BTreeMap<String, String> = BTreeMap::new();
        for (path, arg) in &all {
            let long = arg.get_long().expect("a long flag");
            if EXEMPT.contains(&long) {
                continue;
            }
            let Some(env) = arg.get_env() else {
                missing.push(format!("{path} --{long}"));
                continue;
            };
            let env = env.to_string_lossy().into_owned();
            assert!(
                env.starts_with("PERFLEDGER_") || env == "DATABASE_URL",
                "{path} --{long}: {env} is not a PERFLEDGER_* variable"
            );
            let previous = by_env.entry(env.clone()).or_insert_with(|| long.to_string());
            assert_eq!(previous, long, "{env} is read by --{previous} and by {path} --{long}");
        }
        assert!(missing.is_empty(), "flags without an environment variable: {missing:?}");
    }
}
