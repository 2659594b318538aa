//! perfledger's domain: the event catalog, the aggregates that validate and
//! enrich CRM activity, and redaction. Pure: no I/O, no clocks, no randomness.

pub mod aggregates;
pub mod catalog;
pub mod coach;
pub mod directory;
pub mod envelope;
pub mod event;
pub mod format;
pub mod goals;
pub mod period;
pub mod redaction;
pub mod reviews;
pub mod scoring;
pub mod settings;
pub mod stored_payload;
pub mod time;
pub mod validate;
pub mod voids;

pub use catalog::{ActivityData, EntityKind, EntityRef};
pub use envelope::{parse_envelope, parse_envelope_bytes, ItemRejection};
pub use event::{Activity, EventBody, LogEvent};
pub use validate::Rejection;
