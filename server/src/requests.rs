//! Request middleware for accounts: who the client is (address, user agent), and the refusal
//! of state-changing requests that did not come from Portico's own pages.

use std::net::{IpAddr, SocketAddr};

use ipnet::IpNet;

use axum::{
    extract::{ConnectInfo, Request, State},
    http::{header, Method},
    middleware::Next,
    response::Response,
};
use portico_app::PorticoError;
use portico_domain::audit::RequestOrigin;

use crate::AppState;

/// Records the client's address and user agent in the request, for sessions, throttling and
/// the audit log.
pub async fn record_origin(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let ip = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| {
            let forwarded = request
                .headers()
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok());
            client_address(peer.ip(), forwarded, &state.trusted_proxies).to_string()
        });
    let user_agent = request
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|ua| ua.chars().take(300).collect());
    request
        .extensions_mut()
        .insert(RequestOrigin { ip, user_agent });
    next.run(request).await
}

/// Who the client is. The connecting peer, unless it is one of the trusted proxies: then each
/// proxy has appended the address it saw to `X-Forwarded-For`, so the entries are read from the
/// right, skipping trusted proxies, and the first one that is not trusted is the client. Entries
/// further left were written by the client itself and are never believed. Without a trusted
/// proxy in front, the header is ignored: anyone can send it.
pub fn client_address<'a>(
    peer: IpAddr,
    forwarded_for: impl Iterator<Item = &'a str>,
    trusted: &[IpNet],
) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let peer = peer.to_canonical();
    if !is_trusted(&peer) {
        return peer;
    }
    let hops: Vec<&str> = forwarded_for
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        let Some(ip) = parse_hop(hop) else {
            // Garbage in the header: the last proxy we trust is as far as we can see.
            return client;
        };
        client = ip;
        if !is_trusted(&ip) {
            return ip;
        }
    }
    client
}

/// `192.0.2.1`, `2001:db8::1`, and the forms with a port some proxies write.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|addr| addr.ip()))
        .map(|ip| ip.to_canonical())
}

/// Path prefixes whose next segment is a secret (an invitation or reset token).
const SECRET_SEGMENT_AFTER: &[&str] = &["/invitation/", "/reset-password/"];

/// The path as logs may show it: the token in an invitation or reset link is replaced, so
/// that reading the logs never gives a working link.
pub fn loggable_path(path: &str) -> std::borrow::Cow<'_, str> {
    for prefix in SECRET_SEGMENT_AFTER {
        if let Some(rest) = path.strip_prefix(prefix) {
            let after = rest.find('/').map_or("", |i| &rest[i..]);
            return format!("{prefix}[token]{after}").into();
        }
    }
    path.into()
}

/// Refuses a state-changing request (anything but GET, HEAD, OPTIONS) with 403 unless the
/// browser says it came from our own origin: `Sec-Fetch-Site: same-origin`, or, from browsers
/// that do not send that, an `Origin` equal to the public URL's.
pub async fn same_origin_only(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    // Payment providers call from their own servers; the webhook believes nothing it is told
    // (it asks the provider), so it is the one state-changing route open to any origin.
    if request.uri().path() == portico_domain::payments::WEBHOOK_PATH {
        return next.run(request).await;
    }
    let headers = request.headers();
    let allowed = match headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        Some(site) => site == "same-origin",
        None => headers
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|origin| origin == state.public_origin.as_str()),
    };
    if allowed {
        return next.run(request).await;
    }
    tracing::warn!(
        method = %request.method(),
        path = %loggable_path(request.uri().path()),
        origin = ?headers.get(header::ORIGIN),
        sec_fetch_site = ?headers.get("sec-fetch-site"),
        "cross-origin request refused"
    );
    crate::errors::respond(PorticoError::CrossOrigin)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|n| n.parse().expect("net")).collect()
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("ip")
    }

    #[test]
    fn tokens_do_not_reach_the_log() {
        assert_eq!(
            loggable_path("/invitation/abcDEF-_1"),
            "/invitation/[token]"
        );
        assert_eq!(
            loggable_path("/reset-password/xyz/more"),
            "/reset-password/[token]/more"
        );
        assert_eq!(loggable_path("/staff/jobs/3"), "/staff/jobs/3");
    }

    #[test]
    fn the_header_counts_only_behind_a_trusted_proxy() {
        let trusted = nets(&["10.0.0.0/8", "2001:db8:ffff::/48"]);
        // Straight from the internet: the header is the client's own claim.
        assert_eq!(
            client_address(ip("203.0.113.9"), ["198.51.100.1"].into_iter(), &trusted),
            ip("203.0.113.9")
        );
        // Behind the proxy: the right-most address that is not a proxy.
        assert_eq!(
            client_address(
                ip("10.0.0.2"),
                ["6.6.6.6, 198.51.100.1", "10.0.0.5"].into_iter(),
                &trusted
            ),
            ip("198.51.100.1"),
            "the client's own 6.6.6.6 is not believed"
        );
        // No header, or only proxies in it.
        assert_eq!(
            client_address(ip("10.0.0.2"), std::iter::empty(), &trusted),
            ip("10.0.0.2")
        );
        assert_eq!(
            client_address(ip("10.0.0.2"), ["10.1.1.1, 10.0.0.5"].into_iter(), &trusted),
            ip("10.1.1.1")
        );
        // Garbage stops the walk at the last trusted hop.
        assert_eq!(
            client_address(
                ip("10.0.0.2"),
                ["198.51.100.1, nonsense"].into_iter(),
                &trusted
            ),
            ip("10.0.0.2")
        );
        // Ports and IPv6, and an IPv4 peer written as IPv6.
        assert_eq!(
            client_address(
                ip("2001:db8:ffff::1"),
                ["[2001:db8:1::7]:443"].into_iter(),
                &trusted
            ),
            ip("2001:db8:1::7")
        );
        assert_eq!(
            client_address(
                ip("::ffff:10.0.0.2"),
                ["198.51.100.1:5000"].into_iter(),
                &trusted
            ),
            ip("198.51.100.1")
        );
        // Nobody trusted: the peer, always.
        assert_eq!(
            client_address(ip("10.0.0.2"), ["198.51.100.1"].into_iter(), &[]),
            ip("10.0.0.2")
        );
    }
}
