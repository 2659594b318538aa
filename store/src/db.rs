//! Opening the database: `DATABASE_URL` when given, else the embedded cluster (D1).

use std::path::PathBuf;
use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgPool};

use crate::cluster::{ClusterError, EmbeddedCluster};

/// The database name perfledger uses inside its embedded cluster.
pub const EMBEDDED_DATABASE: &str = "perfledger";

#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    /// A PostgreSQL URL; `None` means the embedded cluster under `data_dir`.
    pub database_url: Option<String>,
    pub data_dir: PathBuf,
    pub max_connections: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    #[error("DATABASE_URL is not a valid PostgreSQL URL: {0}")]
    BadUrl(String),
    #[error("cannot connect to PostgreSQL (check DATABASE_URL, or unset it for the embedded cluster): {0}")]
    Connect(sqlx::Error),
    #[error("cannot create database {name} in the embedded cluster: {source}")]
    CreateDatabase { name: String, source: sqlx::Error },
    #[error("migrating the schema failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// An open database: the pool, and the embedded cluster when this process
/// started it (dropping the `Database` stops that cluster).
pub struct Database {
    pub pool: PgPool,
    pub connect_options: PgConnectOptions,
    cluster: Option<EmbeddedCluster>,
}

impl Database {
    /// Connects (starting the embedded cluster if needed). Does not migrate.
    pub async fn open(config: &DatabaseConfig) -> Result<Database, DatabaseError> {
        let (connect_options, cluster) = match &config.database_url {
            Some(url) => {
                // Never echo the URL: it may hold a password.
                if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                    return Err(DatabaseError::BadUrl("it must start with postgres:// or postgresql://".into()));
                }
                let options = PgConnectOptions::from_str(url).map_err(|e| DatabaseError::BadUrl(e.to_string()))?;
                (options, None)
            }
            None => {
                let cluster = EmbeddedCluster::start(&config.data_dir).await?;
                ensure_database(&cluster, EMBEDDED_DATABASE).await?;
                (cluster.connect_options(EMBEDDED_DATABASE), Some(cluster))
            }
        };
        let connect_options = connect_options.log_statements(tracing::log::LevelFilter::Trace);
        let pool = PgPoolOptions::new()
            .max_connections(config.max_connections)
            .connect_with(connect_options.clone())
            .await
            .map_err(DatabaseError::Connect)?;
        Ok(Database { pool, connect_options, cluster })
    }

    /// Connects and applies pending migrations.
    pub async fn open_migrated(config: &DatabaseConfig) -> Result<Database, DatabaseError> {
        let db = Database::open(config).await?;
        crate::migrate::run(&db.pool).await?;
        Ok(db)
    }

    /// True when the data lives in the embedded cluster.
    pub fn is_embedded(&self) -> bool {
        self.cluster.is_some()
    }

    /// Closes the pool, then stops the embedded cluster if this process owns it.
    pub async fn close(mut self) {
        self.pool.close().await;
        if let Some(mut cluster) = self.cluster.take() {
            if let Err(err) = cluster.stop() {
                tracing::warn!(%err, "stopping the embedded PostgreSQL cluster failed");
            }
        }
    }
}

async fn ensure_database(cluster: &EmbeddedCluster, name: &str) -> Result<(), DatabaseError> {
    let create_err = |source| DatabaseError::CreateDatabase { name: name.to_string(), source };
    let mut conn = sqlx::PgConnection::connect_with(&cluster.connect_options("postgres")).await.map_err(create_err)?;
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
        .bind(name)
        .fetch_one(&mut conn)
        .await
        .map_err(create_err)?;
    if !exists {
        sqlx::query(&format!("CREATE DATABASE \"{name}\"")).execute(&mut conn).await.map_err(create_err)?;
    }
    conn.close().await.map_err(create_err)?;
    Ok(())
}
