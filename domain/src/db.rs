//! Opening the database: SQLite (the default, one file) or PostgreSQL, and running migrations.

use std::{path::Path, str::FromStr, time::Duration};

use portico_migrations::{Migrator, MigratorTrait};
use sea_orm::{
    sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous},
    ConnectOptions, Database, DatabaseConnection, DbErr,
};
use thiserror::Error;

/// Which database engine a `DATABASE_URL` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, Error)]
pub enum DatabaseUrlError {
    #[error("is empty")]
    Empty,
    #[error(
        "uses the scheme `{0}`; Portico supports `sqlite:` and `postgres://` (or `postgresql://`)"
    )]
    UnsupportedScheme(String),
    #[error("is not a valid URL: {0}")]
    Malformed(String),
}

/// Checks a database URL without connecting, so that a typo is reported at start-up with the
/// variable's name rather than as a connection failure later.
pub fn backend_of(url: &str) -> Result<Backend, DatabaseUrlError> {
    let url = url.trim();
    if url.is_empty() {
        return Err(DatabaseUrlError::Empty);
    }
    let scheme = url
        .split(':')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    match scheme.as_str() {
        "sqlite" => {
            SqliteConnectOptions::from_str(url)
                .map_err(|e| DatabaseUrlError::Malformed(e.to_string()))?;
            Ok(Backend::Sqlite)
        }
        "postgres" | "postgresql" => {
            url::Url::parse(url).map_err(|e| DatabaseUrlError::Malformed(e.to_string()))?;
            Ok(Backend::Postgres)
        }
        _ if !url.contains(':') => Err(DatabaseUrlError::Malformed(
            "no scheme; expected e.g. sqlite://data/portico.db or postgres://host/db".into(),
        )),
        other => Err(DatabaseUrlError::UnsupportedScheme(other.to_string())),
    }
}

/// The default database: a SQLite file in the data directory, created when missing.
pub fn default_sqlite_url(data_dir: &Path) -> String {
    format!(
        "sqlite://{}?mode=rwc",
        data_dir.join("portico.db").display()
    )
}

/// Connects with the settings Portico relies on. For SQLite: the file is created when missing,
/// WAL (readers do not block the writer), `synchronous=FULL` (a committed invoice survives a power cut), foreign keys on, and a
/// busy timeout so that concurrent writers wait instead of failing.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10));
    if matches!(backend_of(url), Ok(Backend::Sqlite)) {
        options.map_sqlx_sqlite_opts(|o| {
            o.create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5))
        });
    }
    Database::connect(options).await
}

/// Applies every migration not yet applied. Safe to run at each start.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// The names of the migrations applied so far, oldest first.
pub async fn applied_migrations(db: &DatabaseConnection) -> Result<Vec<String>, DbErr> {
    Ok(Migrator::get_applied_migrations(db)
        .await?
        .into_iter()
        .map(|m| m.name().to_owned())
        .collect())
}

/// True when the database answers a trivial query.
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.ping().await.is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_supported_urls() {
        assert_eq!(
            backend_of("sqlite://data/p.db?mode=rwc").ok(),
            Some(Backend::Sqlite)
        );
        assert_eq!(backend_of("sqlite::memory:").ok(), Some(Backend::Sqlite));
        assert_eq!(
            backend_of("postgres://u@localhost/db").ok(),
            Some(Backend::Postgres)
        );
        assert_eq!(
            backend_of("postgresql://localhost/db").ok(),
            Some(Backend::Postgres)
        );
    }

    #[test]
    fn refuses_other_urls_with_a_reason() {
        assert!(matches!(backend_of(""), Err(DatabaseUrlError::Empty)));
        assert!(matches!(
            backend_of("mysql://localhost/db"),
            Err(DatabaseUrlError::UnsupportedScheme(s)) if s == "mysql"
        ));
        assert!(matches!(
            backend_of("not a url"),
            Err(DatabaseUrlError::Malformed(_))
        ));
    }
}
