//! The Content-Security-Policy of every HTML page, built around the per-request nonce that
//! Leptos puts on its own inline scripts.

use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

/// What the host tells the pages about itself. `reload_port` is set only under
/// `cargo leptos watch`, whose live-reload script opens a WebSocket to that port.
#[derive(Debug, Clone, Copy, Default)]
pub struct PageSecurity {
    pub reload_port: Option<u32>,
}

/// The policy for one response: scripts only from our origin or carrying this nonce, WASM
/// compilation allowed (`'wasm-unsafe-eval'`), no plugins, no `<base>`, no framing.
pub fn content_security_policy(nonce: &str, reload_port: Option<u32>) -> String {
    let reload = reload_port
        .map(|port| format!(" ws://localhost:{port} ws://127.0.0.1:{port}"))
        .unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'{reload}; \
         object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    )
}

/// Puts the policy on the response being rendered. Called from the shell, so every page and the
/// 404 page carry it.
pub fn apply_content_security_policy() {
    let Some(response) = use_context::<ResponseOptions>() else {
        return;
    };
    let Some(nonce) = leptos::nonce::use_nonce() else {
        tracing::error!("no nonce for this page; sending the strictest policy instead");
        response.insert_header(
            http::header::CONTENT_SECURITY_POLICY,
            http::HeaderValue::from_static("default-src 'none'"),
        );
        return;
    };
    let reload_port = use_context::<PageSecurity>().and_then(|s| s.reload_port);
    if let Ok(value) = http::HeaderValue::from_str(&content_security_policy(&nonce, reload_port)) {
        response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_names_the_nonce_and_forbids_framing_plugins_and_base() {
        let policy = content_security_policy("abc123", None);
        assert!(policy.contains("script-src 'self' 'nonce-abc123' 'wasm-unsafe-eval'"));
        for directive in [
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ] {
            assert!(policy.contains(directive), "{directive} in {policy}");
        }
        assert!(
            !policy.contains("ws://"),
            "no WebSocket outside cargo leptos watch"
        );
        assert!(content_security_policy("n", Some(3001)).contains("ws://localhost:3001"));
    }
}
