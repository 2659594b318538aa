//! One module per subcommand, plus what they share: opening the database and
//! reading the auth keys from the configuration.

pub mod bench;
mod bench_api;
mod bench_connect;
mod bench_project;
mod bench_reviews;
mod bench_what_if;
pub mod connect;
pub mod events;
pub mod import;
pub mod migrate;
pub mod project;
pub mod rescore;
pub mod serve;
pub mod settings;
pub mod token;
pub mod what_if;

use anyhow::Context;
use perfledger_api::auth::{Signer, Verifier};
use perfledger_store::{Database, DatabaseConfig};

use crate::config::GlobalArgs;

pub fn database_config(global: &GlobalArgs) -> DatabaseConfig {
    DatabaseConfig {
        database_url: global.database_url.clone(),
        data_dir: global.data_dir.clone(),
        max_connections: global.max_connections,
    }
}

/// Opens the configured database and applies pending migrations.
pub async fn open_database(global: &GlobalArgs) -> anyhow::Result<Database> {
    Ok(Database::open_migrated(&database_config(global)).await?)
}

/// The token verifier from PERFLEDGER_JWT_SECRET or PERFLEDGER_JWT_PUBLIC_KEY_FILE.
pub fn verifier(global: &GlobalArgs) -> anyhow::Result<Option<Verifier>> {
    let (issuer, audience) = (global.jwt_issuer.as_deref(), global.jwt_audience.as_deref());
    if let Some(secret) = &global.jwt_secret {
        return Ok(Some(Verifier::hs256(secret.as_bytes())?.with_issuer_audience(issuer, audience)));
    }
    if let Some(path) = &global.jwt_public_key_file {
        let pem = std::fs::read(path)
            .with_context(|| format!("cannot read PERFLEDGER_JWT_PUBLIC_KEY_FILE {}", path.display()))?;
        return Ok(Some(Verifier::rs256(&pem)?.with_issuer_audience(issuer, audience)));
    }
    Ok(None)
}

/// The HS256 signer, for commands that mint tokens.
pub fn signer(global: &GlobalArgs) -> anyhow::Result<Signer> {
    let secret = global
        .jwt_secret
        .as_ref()
        .context("minting tokens needs PERFLEDGER_JWT_SECRET (--jwt-secret); RS256 tokens are minted by the CRM")?;
    Ok(Signer::hs256(secret.as_bytes())?
        .with_issuer_audience(global.jwt_issuer.as_deref(), global.jwt_audience.as_deref()))
}
