//! What every request handler can reach.

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use portico_app::server::AccountsContext;
use portico_domain::DatabaseConnection;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: DatabaseConnection,
    /// Set under `cargo leptos watch`: the live-reload WebSocket port the pages may connect to.
    pub watch_reload_port: Option<u32>,
    /// Password hashing, the clock, session lifetimes, sign-in limits.
    pub accounts: AccountsContext,
    /// `scheme://host[:port]` of the public URL: the only origin allowed to change state.
    pub public_origin: String,
    /// Served over HTTPS: send Strict-Transport-Security.
    pub https: bool,
    /// The idle timeout, for the session cookie and store.
    pub session_idle: std::time::Duration,
    /// Where document bytes are kept (a folder under the data directory).
    pub documents: portico_domain::documents::SharedStorage,
    /// The largest upload, in bytes.
    pub upload_limit: usize,
    /// Proxies whose `X-Forwarded-For` names the client (`PORTICO_TRUSTED_PROXIES`).
    pub trusted_proxies: std::sync::Arc<[ipnet::IpNet]>,
    /// The live-status hub: open streams and the news they are given.
    #[from_ref(skip)]
    pub live: crate::live::Hub,
    /// The payment provider (Mollie, or the test mode) and the addresses it is given.
    #[from_ref(skip)]
    pub payments: portico_domain::payments::Payments,
    /// The longest pause inside a request body (`PORTICO_BODY_TIMEOUT_SECONDS`).
    #[from_ref(skip)]
    pub body_timeout: std::time::Duration,
}

/// Leptos' options for serving the site: where the compiled assets are (cargo-leptos sets
/// `LEPTOS_*` variables when it runs the server; the defaults match a `cargo leptos build` in
/// the workspace), and the address from Portico's own configuration.
pub fn leptos_options(addr: std::net::SocketAddr) -> LeptosOptions {
    let mut options = leptos::config::get_configuration(None)
        .map(|conf| conf.leptos_options)
        .unwrap_or_else(|_| LeptosOptions::builder().output_name("portico").build());
    if options.output_name.is_empty() {
        options.output_name = "portico".into();
    }
    options.site_addr = addr;
    options
}
