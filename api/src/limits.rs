//! The limits of one server (flags of `perfledger serve`) and the shared
//! budgets they size: part of [`crate::state::AppState`], read by the server
//! loop ([`crate::server`]) and the ingest route ([`crate::ingest`]).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

/// The largest ingest body, in bytes.
pub const MAX_INGEST_BODY_BYTES: usize = 32 * 1024 * 1024;

/// Limits of one server (flags of `perfledger serve`).
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Mark the session cookie `Secure` (the public URL is https).
    pub secure_cookies: bool,
    /// Longest a request may take until its answer starts.
    pub request_timeout: Duration,
    /// Longest a client may take to send a request head; also the longest
    /// pause inside an ingest body.
    pub header_read_timeout: Duration,
    /// Request-body bytes in flight across concurrent ingest requests.
    pub ingest_max_inflight_bytes: u32,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            secure_cookies: false,
            request_timeout: Duration::from_secs(60),
            header_read_timeout: Duration::from_secs(30),
            ingest_max_inflight_bytes: 4 * MAX_INGEST_BODY_BYTES as u32,
        }
    }
}

/// The options and the shared budgets they size, part of `AppState`.
#[derive(Debug, Clone)]
pub struct ServerLimits {
    pub options: ServerOptions,
    /// One permit per ingest body byte in flight.
    pub ingest_budget: Arc<Semaphore>,
}

impl ServerLimits {
    pub fn new(options: ServerOptions) -> Self {
        let ingest_budget = Arc::new(Semaphore::new(options.ingest_max_inflight_bytes as usize));
        ServerLimits { options, ingest_budget }
    }
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits::new(ServerOptions::default())
    }
}
