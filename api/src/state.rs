//! The state every handler and use case shares, and its one constructor.

use axum::extract::FromRef;
use perfledger_store::Ingestor;
use sqlx::PgPool;

use crate::auth::{GrantSource, Signer, Verifier};

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub ingestor: Ingestor,
    pub verifier: Verifier,
    /// Demo mode (`--demo`, D16): `/auth/demo` lists the seeded people and
    /// signs in as any of them. Off in production.
    pub demo: bool,
    /// Mints the demo sign-in tokens (HS256 only); `None` without a secret.
    pub signer: Option<Signer>,
    /// Timeouts, cookie flags and the ingest memory budget (`crate::server`).
    pub limits: crate::limits::ServerLimits,
    /// The secret DotMac signs its webhooks with
    /// (`PERFLEDGER_DOTMAC_WEBHOOK_SECRET`); `None`: the receiver answers 404.
    pub dotmac_webhook_secret: Option<std::sync::Arc<[u8]>>,
}

impl AppState {
    /// The one way to build the state (serve, the benches, the tests): the
    /// database and the token verifier; everything else has a default and a
    /// `with_*` to change it.
    pub fn new(pool: PgPool, verifier: Verifier) -> Self {
        AppState {
            ingestor: Ingestor::new(pool.clone(), "http"),
            pool,
            verifier,
            demo: false,
            signer: None,
            limits: crate::limits::ServerLimits::default(),
            dotmac_webhook_secret: None,
        }
    }

    /// The `occurred_at` window ingest checks (`--earliest-occurred-at`, `--max-future-hours`).
    pub fn with_window(mut self, window: perfledger_domain::validate::OccurredWindow) -> Self {
        self.ingestor = self.ingestor.with_window(window);
        self
    }

    /// The signer of demo sign-ins (HS256); `demo` turns `/auth/demo` on.
    pub fn with_signer(mut self, signer: Option<Signer>, demo: bool) -> Self {
        self.signer = signer;
        self.demo = demo;
        self
    }

    /// Timeouts, cookie flags and the ingest memory budget.
    pub fn with_limits(mut self, options: crate::limits::ServerOptions) -> Self {
        self.limits = crate::limits::ServerLimits::new(options);
        self
    }

    /// The DotMac webhook secret (`--dotmac-webhook-secret`); `None` or an
    /// empty secret leaves the receiver off (404).
    pub fn with_dotmac_webhook_secret(mut self, secret: Option<&str>) -> Self {
        self.dotmac_webhook_secret = secret.filter(|s| !s.is_empty()).map(|s| s.as_bytes().into());
        self
    }
}

impl FromRef<AppState> for Verifier {
    fn from_ref(state: &AppState) -> Verifier {
        state.verifier.clone()
    }
}

impl FromRef<AppState> for GrantSource {
    fn from_ref(state: &AppState) -> GrantSource {
        GrantSource(Some(state.pool.clone()))
    }
}
