//! The DotMac CRM connector (issue 18, docs/connectors/dotmac.md): a pull
//! over DotMac's PostgreSQL tables that appends perfledger events through
//! the ingest writer, and the webhook signature check and inbox the API's
//! receiver uses.

mod derive;
mod enrich;
pub mod fixture;
pub mod pull;
mod rows;
mod state;
pub mod webhook;

pub use pull::{Connector, ConnectorError, ConnectorOptions, PollReport};

/// The channel the webhook receiver notifies and a following connector listens on.
pub const WAKE_CHANNEL: &str = "perfledger_dotmac";
