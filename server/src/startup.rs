//! Start-up: logging, the database (opened, migrated, seeded in demo mode), listening, and a
//! graceful shutdown on Ctrl-C or SIGTERM that lets in-flight requests finish.

use std::{net::SocketAddr, path::Path, str::FromStr};

use portico_app::server::{AccountsContext, SessionSettings};
use portico_domain::{
    accounts::{
        at_rest::AtRestKey, passkey::Passkeys, password::PasswordHasher, session, sign_in,
        totp::TotpSecret,
    },
    clock::{SharedClock, SystemClock},
    db::{self, Backend},
    seed::{self, SeedSummary},
    DatabaseConnection,
};
use sea_orm::sqlx::sqlite::SqliteConnectOptions;
use thiserror::Error;
use tracing_subscriber::EnvFilter;

use crate::{config::Config, router, state, AppState};

#[derive(Debug, Error)]
pub enum StartupError {
    #[error("PORTICO_LOG: `{filter}` is not a log filter: {message}")]
    LogFilter { filter: String, message: String },
    #[error("PORTICO_DATA_DIR: cannot create `{path}`: {message}")]
    DataDir { path: String, message: String },
    #[error("DATABASE_URL: cannot open the {backend} database: {message}")]
    Database {
        backend: &'static str,
        message: String,
    },
    #[error("the database could not be migrated: {0}")]
    Migration(String),
    #[error("the demo data could not be written: {0}")]
    Seed(String),
    #[error("PORTICO_ADDR: cannot listen on {addr}: {message}")]
    Listen { addr: SocketAddr, message: String },
    #[error("the server stopped with an error: {0}")]
    Serve(String),
    #[error("the accounts services could not start: {0}")]
    Accounts(String),
    #[error("{0}")]
    Installation(String),
}

/// Everything the router needs, from the configuration. Tests pass their own clock.
pub fn app_state(
    config: &Config,
    leptos_options: leptos::config::LeptosOptions,
    db: DatabaseConnection,
    clock: SharedClock,
) -> Result<AppState, StartupError> {
    // Leave a core for everything else: argon2 takes ~19 MiB and a core for tens of ms.
    let permits = std::thread::available_parallelism()
        .map(|n| n.get().saturating_sub(1))
        .unwrap_or(1)
        .max(1);
    let hasher = PasswordHasher::new(permits).map_err(|e| StartupError::Accounts(e.to_string()))?;
    let to_chrono = |d: std::time::Duration| {
        chrono::Duration::from_std(d).unwrap_or_else(|_| chrono::Duration::hours(12))
    };
    let accounts = AccountsContext::new(
        hasher,
        clock.clone(),
        SessionSettings {
            idle: to_chrono(config.session_idle),
            absolute: to_chrono(config.session_absolute),
        },
        config.sign_in_attempts_per_minute,
        config.demo,
        Passkeys::new(&config.public_url, "Portico")
            .map_err(|e| StartupError::Accounts(format!("PORTICO_PUBLIC_URL: {e}")))?,
        config.public_url.as_str(),
        at_rest_key(config)?,
    );
    Ok(AppState {
        watch_reload_port: config.leptos_watch.then_some(leptos_options.reload_port),
        leptos_options,
        db: db.clone(),
        accounts,
        public_origin: config.public_url.origin().ascii_serialization(),
        https: config.public_url.scheme() == "https",
        session_idle: config.session_idle,
        documents: std::sync::Arc::new(portico_domain::documents::LocalDisk::new(
            config.data_dir.join("documents"),
        )),
        upload_limit: config.upload_limit,
        trusted_proxies: config.trusted_proxies.clone().into(),
        body_timeout: config.body_timeout,
        payments: crate::payments::provider(config, &db)?,
        live: crate::live::Hub::start(db, clock, config.live_streams_per_person),
    })
}

/// The key that seals authenticator secrets: from the configuration, or the data directory's
/// `secret.key`, made on the first start. Back it up with the database: without it the sealed
/// secrets cannot be read and everyone must set up their authenticator again.
fn at_rest_key(config: &Config) -> Result<AtRestKey, StartupError> {
    if let Some(key) = &config.secret_key {
        return Ok(key.clone());
    }
    let path = config.data_dir.join("secret.key");
    std::fs::create_dir_all(&config.data_dir).map_err(|e| StartupError::DataDir {
        path: config.data_dir.display().to_string(),
        message: e.to_string(),
    })?;
    AtRestKey::load_or_create(&path).map_err(|message| {
        StartupError::Accounts(format!(
            "the key file {} (or set PORTICO_SECRET_KEY): {message}",
            path.display()
        ))
    })
}

/// Deletes expired sessions every ten minutes, for as long as the server runs.
fn spawn_session_cleanup(db: DatabaseConnection, clock: SharedClock) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(600));
        loop {
            every.tick().await;
            match session::delete_expired(&db, clock.now()).await {
                Ok(0) => {}
                Ok(removed) => tracing::info!(removed, "expired sessions removed"),
                Err(e) => tracing::warn!(error = %e, "removing expired sessions"),
            }
        }
    });
}

/// Forgets, every minute, the client addresses that have their whole sign-in allowance back.
fn spawn_limiter_pruning(
    limiter: std::sync::Arc<portico_app::accounts::address_limit::AddressLimiter>,
) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            every.tick().await;
            limiter.prune();
        }
    });
}

/// Sets up structured logs. `PORTICO_LOG` takes `tracing` filter directives.
pub fn init_tracing(config: &Config) -> Result<(), StartupError> {
    let filter = EnvFilter::try_new(&config.log).map_err(|e| StartupError::LogFilter {
        filter: config.log.clone(),
        message: e.to_string(),
    })?;
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    // A second initialisation (in tests) is harmless: the first subscriber stays.
    let _ = if config.log_json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    Ok(())
}

/// Opens the database named by the configuration and applies pending migrations.
pub async fn open_database(config: &Config) -> Result<DatabaseConnection, StartupError> {
    std::fs::create_dir_all(&config.data_dir).map_err(|e| StartupError::DataDir {
        path: config.data_dir.display().to_string(),
        message: e.to_string(),
    })?;
    let backend = db::backend_of(&config.database_url).map_err(|e| StartupError::Database {
        backend: "configured",
        message: e.to_string(),
    })?;
    let backend_name = match backend {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    };
    if backend == Backend::Sqlite {
        ensure_sqlite_parent(&config.database_url).map_err(|message| StartupError::Database {
            backend: backend_name,
            message,
        })?;
    }
    let conn = db::connect(&config.database_url)
        .await
        .map_err(|e| StartupError::Database {
            backend: backend_name,
            message: e.to_string(),
        })?;
    db::migrate(&conn)
        .await
        .map_err(|e| StartupError::Migration(e.to_string()))?;
    Ok(conn)
}

/// SQLite creates the file but not its folder.
fn ensure_sqlite_parent(url: &str) -> Result<(), String> {
    let options = SqliteConnectOptions::from_str(url).map_err(|e| e.to_string())?;
    match options.get_filename().parent() {
        Some(parent) if !parent.as_os_str().is_empty() && parent != Path::new(":memory:") => {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create `{}`: {e}", parent.display()))
        }
        _ => Ok(()),
    }
}

/// Seeds the demo company into an empty database, with its documents (PDFs and photos) in the
/// data directory.
pub async fn seed_demo(
    db: &DatabaseConnection,
    config: &Config,
) -> Result<Option<SeedSummary>, StartupError> {
    let now = chrono::Utc::now();
    let summary = seed::seed_demo_if_empty(db, now)
        .await
        .map_err(|e| StartupError::Seed(e.to_string()))?;
    if summary.is_some() {
        let storage = portico_domain::documents::LocalDisk::new(config.data_dir.join("documents"));
        seed::attach_demo_documents(db, &storage, now)
            .await
            .map_err(|e| StartupError::Seed(e.to_string()))?;
    }
    Ok(summary)
}

/// Refuses to serve the demo company (whose passwords are published) outside demo mode, and
/// returns the first step to print when nobody can sign in yet.
pub async fn check_installation(
    db: &DatabaseConnection,
    config: &Config,
) -> Result<Option<String>, StartupError> {
    use portico_domain::installation::{self, Installation};
    let found = installation::inspect(db)
        .await
        .map_err(|e| StartupError::Installation(e.to_string()))?;
    match found {
        Installation::Demo if !config.demo => Err(StartupError::Installation(format!(
            "this database holds the demo company ({}), whose passwords and authenticator \
             secret are published, so it is served only in demo mode. Start with \
             PORTICO_DEMO=true to show the demo, or install your company on a new database \
             (README: \"Installing for your company\").",
            seed::DEMO_COMPANY_NAME
        ))),
        Installation::Empty | Installation::Company { staff: 0, .. } => Ok(Some(
            "Nobody can sign in yet. Invite the first admin (prints a set-up link, valid 72 h):\n\
             \n    portico create-admin --email you@your-company.nl --name \"Your Name\" \
             --company \"Your Company\"\n"
                .to_owned(),
        )),
        _ => Ok(None),
    }
}

/// `portico create-admin`: invites an admin and says where the set-up link is.
pub async fn create_admin(
    db: &DatabaseConnection,
    config: &Config,
    email: &str,
    name: &str,
    company: Option<&str>,
) -> Result<String, StartupError> {
    let sent = portico_domain::installation::invite_admin(
        db,
        chrono::Utc::now(),
        email,
        name,
        company,
        config.public_url.as_str(),
    )
    .await
    .map_err(|e| {
        StartupError::Installation(match e {
            portico_domain::DomainError::Invalid { message, .. } => message,
            other => other.to_string(),
        })
    })?;
    Ok(format!(
        "Invited {} ({}) as admin. Open this link to set up the account (a passkey, or a \
         password with an authenticator app); it works once, for 72 hours:\n\n    {}\n\n\
         The same link was put in the outbox and is e-mailed when PORTICO_SMTP_URL is set.",
        sent.summary.display_name, sent.summary.email, sent.link
    ))
}

/// Once at start and then every hour: sent quotes past their date expire, issued invoices past
/// their due date become overdue (by the company's calendar).
fn spawn_housekeeping(db: DatabaseConnection, clock: SharedClock) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            every.tick().await;
            if let Err(e) = housekeeping(&db, clock.now()).await {
                tracing::warn!(error = %e, "housekeeping");
            }
        }
    });
}

/// Expires due quotes and marks overdue invoices; returns how many of each.
pub async fn housekeeping(
    db: &DatabaseConnection,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(usize, usize), portico_domain::DomainError> {
    let zone = portico_domain::company::profile(db)
        .await
        .map(|c| c.time_zone)
        .unwrap_or_default();
    let today = portico_domain::jobs::local_today(now, &zone);
    let stamp = portico_domain::audit::Stamp::system(now);
    let expired = portico_domain::quotes::expire_due(db, &stamp, today).await?;
    let overdue = portico_domain::invoices::mark_overdue(db, &stamp, today).await?;
    if expired + overdue > 0 {
        tracing::info!(expired, overdue, "quotes expired, invoices overdue");
    }
    // A browser away for longer than this refetches its page instead of replaying.
    let pruned = portico_domain::live::prune(db, now - portico_domain::live::KEPT).await?;
    if pruned > 0 {
        tracing::debug!(pruned, "old live events removed");
    }
    Ok((expired, overdue))
}

/// The demo people's current authenticator code, and how long it stays valid.
pub fn demo_code(now: chrono::DateTime<chrono::Utc>) -> Result<String, StartupError> {
    let secret = TotpSecret::from_base32(seed::DEMO_TOTP_SECRET, seed::DEMO_COMPANY_NAME, "demo")
        .map_err(|e| StartupError::Accounts(e.to_string()))?;
    let left = 30 - now.timestamp().rem_euclid(30);
    Ok(format!(
        "{}  (the demo code for every demo person; valid for {left} more s)",
        secret.code_at(now)
    ))
}

/// What the console shows after seeding, so a newcomer knows whom the demo holds.
pub fn describe_seed(summary: &SeedSummary) -> String {
    let staff = summary
        .staff
        .iter()
        .map(|(email, role)| format!("    {email} ({})", format!("{role:?}").to_lowercase()))
        .collect::<Vec<_>>()
        .join("\n");
    let contacts = summary
        .contacts
        .iter()
        .map(|email| format!("    {email}"))
        .collect::<Vec<_>>()
        .join("\n");
    format!(
        "Demo data: {} with {} staff, {} customers and {} jobs.\n  Staff:\n{staff}\n  Customer contacts:\n{contacts}\n\
         Sign in as any of them with the password \"{}\" and the code from `portico demo-code`\n\
         (or add the TOTP secret {} to an authenticator app).",
        summary.company,
        summary.staff.len(),
        summary.customers,
        summary.jobs,
        seed::DEMO_PASSWORD,
        seed::DEMO_TOTP_SECRET,
    )
}

/// Binds, serves until Ctrl-C or SIGTERM, then lets in-flight requests finish.
pub async fn serve(config: &Config, db: DatabaseConnection) -> Result<(), StartupError> {
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|e| StartupError::Listen {
            addr: config.addr,
            message: e.to_string(),
        })?;
    let clock: SharedClock = std::sync::Arc::new(SystemClock);
    let state = app_state(
        config,
        state::leptos_options(config.addr),
        db.clone(),
        clock.clone(),
    )?;
    match sign_in::seal_plain_totp_secrets(&db, &state.accounts.at_rest).await {
        Ok(0) => {}
        Ok(sealed) => tracing::info!(sealed, "authenticator secrets sealed at rest"),
        Err(e) => return Err(StartupError::Accounts(format!("sealing secrets: {e}"))),
    }
    spawn_session_cleanup(db.clone(), clock.clone());
    spawn_limiter_pruning(state.accounts.sign_in_limiter.clone());
    spawn_housekeeping(db.clone(), clock.clone());
    crate::payments::spawn_reconciliation(state.clone());
    let mut state = state;
    match &config.smtp_url {
        Some(url) => {
            let mailer = crate::mailer::Mailer::new(db.clone(), clock, url, &config.mail_from)
                .map_err(|e| StartupError::Accounts(e.to_string()))?;
            state.accounts.mail_wake = Some(mailer.wake());
            mailer.spawn();
        }
        None => tracing::info!("no PORTICO_SMTP_URL: mail stays in the outbox"),
    }
    let pkg = crate::router::pkg_dir(&state.leptos_options);
    tokio::task::spawn_blocking(move || match crate::assets::precompress_dir(&pkg) {
        Ok(written) => tracing::info!(written, dir = %pkg.display(), "assets precompressed"),
        Err(e) => tracing::warn!(error = %e, dir = %pkg.display(), "assets not precompressed"),
    });
    let live = state.live.clone();
    let app = router(state);
    println!(
        "Portico is running at {} (listening on {})",
        config.public_url, config.addr
    );
    tracing::info!(addr = %config.addr, public_url = %config.public_url, "listening");
    // Open live streams would otherwise keep the server waiting for them (they never end).
    let shutdown = async move {
        shutdown_signal().await;
        live.close_all();
    };
    crate::connections::serve(listener, app, config.header_timeout, shutdown).await;
    // Bounded: a connection that never comes back must not keep the process alive.
    match tokio::time::timeout(std::time::Duration::from_secs(5), db.close()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "closing the database"),
        Err(_) => tracing::warn!("the database did not close within 5 s"),
    }
    tracing::info!("stopped");
    println!("Portico stopped.");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
