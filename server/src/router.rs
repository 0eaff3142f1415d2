//! The router: health check, compiled assets, server functions and pages, with the middleware
//! every response passes through.

use std::{any::Any, path::PathBuf};

use axum::{
    body::Body,
    extract::DefaultBodyLimit,
    http::{header, HeaderValue, Request, Response, StatusCode},
    routing::{get, post},
    Router,
};
use leptos::prelude::provide_context;
use leptos_axum::{file_and_error_handler_with_context, generate_route_list, LeptosRoutes};
use portico_app::{security::PageSecurity, shell, App};
use tower::ServiceBuilder;
use tower_http::{
    catch_panic::CatchPanicLayer,
    compression::CompressionLayer,
    limit::RequestBodyLimitLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    services::ServeDir,
    set_header::SetResponseHeaderLayer,
    timeout::RequestBodyTimeoutLayer,
    trace::{DefaultOnResponse, TraceLayer},
    LatencyUnit,
};
use tracing::{Level, Span};

use crate::{errors, files, health, requests, sessions, AppState};

/// Where the compiled assets are.
pub fn pkg_dir(options: &leptos::config::LeptosOptions) -> PathBuf {
    [&*options.site_root, &*options.site_pkg_dir]
        .iter()
        .collect()
}

/// `/pkg` files keep their names across builds (no content hash yet), so browsers may keep them
/// but must revalidate; an unchanged file costs a 304.
const PKG_CACHE_CONTROL: &str = "public, max-age=0, must-revalidate";

/// The largest request body accepted anywhere but the document upload, which has its own.
pub const MAX_REQUEST_BODY: usize = 2 * 1024 * 1024;

/// The app's routes, generated once per process. Generating them runs the app with resource
/// loading suppressed process-wide, so a page whose resource first polls meanwhile, in another
/// router of the same process, would wait forever (leptos-rs/leptos#4773): the tests build
/// many routers side by side.
fn routes() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// Builds the whole application. Tests call this with a fresh database and drive it with
/// `oneshot`, so what they exercise is what production serves.
pub fn router(state: AppState) -> Router {
    let routes = routes();
    let db = state.db.clone();
    let accounts = state.accounts.clone();
    let storage = state.documents.clone();
    let payments = state.payments.clone();
    let page_security = PageSecurity {
        reload_port: state.watch_reload_port,
    };
    let context = move || {
        provide_context(db.clone());
        provide_context(accounts.clone());
        provide_context(storage.clone());
        provide_context(payments.clone());
        provide_context(page_security);
    };
    let session_layer = sessions::layer(
        sessions::DatabaseSessionStore::new(
            state.db.clone(),
            state.accounts.clock.clone(),
            state.session_idle,
        ),
        state.session_idle,
    );
    let hsts = state.https.then(|| {
        SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        )
    });
    let options = state.leptos_options.clone();
    let pkg_dir: PathBuf = [&*options.site_root, &*options.site_pkg_dir]
        .iter()
        .collect();

    let pkg = ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static(PKG_CACHE_CONTROL),
        ))
        .service(
            ServeDir::new(pkg_dir)
                .precompressed_br()
                .precompressed_gzip(),
        );

    // Uploads have their own, larger limit (PORTICO_UPLOAD_LIMIT_MB, plus room for the form).
    let upload_limit = state.upload_limit + 64 * 1024;
    let uploads = Router::new()
        .route("/files/jobs/{job_id}/documents", post(files::upload))
        .route("/files/company/logo", post(files::upload_logo))
        .route("/files/receipts/check", post(files::check_receipt))
        .layer(DefaultBodyLimit::max(upload_limit))
        .layer(RequestBodyLimitLayer::new(upload_limit));

    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/files/invoices/{file}", get(files::invoice_pdf))
        .route("/files/quotes/{file}", get(files::quote_pdf))
        .route("/files/quotes/{id}/receipt.pdf", get(files::quote_receipt))
        .route("/files/moves/{id}/moving-day.ics", get(files::moving_day))
        .route("/files/documents/{id}", get(files::document))
        .route("/files/company/logo", get(files::logo))
        .route("/brand.css", get(files::brand_css))
        .route("/live", get(crate::live::stream::live))
        .route(
            portico_domain::payments::WEBHOOK_PATH,
            post(crate::payments::webhook),
        )
        .route(
            "/pay/test/{id}",
            get(crate::payments::test_checkout::show).post(crate::payments::test_checkout::decide),
        )
        .nest_service("/pkg", pkg)
        .leptos_routes_with_context(&state, routes, context.clone(), move || {
            shell(options.clone())
        })
        .route_layer(RequestBodyLimitLayer::new(MAX_REQUEST_BODY))
        .merge(uploads)
        .fallback(file_and_error_handler_with_context::<AppState, _>(
            context, shell,
        ))
        .layer(session_layer)
        .layer(axum::middleware::from_fn(errors::server_fn_status))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            requests::same_origin_only,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            requests::record_origin,
        ))
        .layer(tower::util::option_layer(hsts))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(request_span)
                        .on_response(
                            DefaultOnResponse::new()
                                .level(Level::INFO)
                                .latency_unit(LatencyUnit::Millis),
                        ),
                )
                .layer(PropagateRequestIdLayer::x_request_id())
                .layer(CatchPanicLayer::custom(panic_response))
                // A body that pauses longer than this is cut off (then 4xx), so a slow client
                // cannot hold a connection and its buffered upload open at will.
                .layer(RequestBodyTimeoutLayer::new(state.body_timeout))
                // The hard ceiling for any request; routes set their own, lower limits.
                .layer(RequestBodyLimitLayer::new(upload_limit))
                .layer(CompressionLayer::new())
                .layer(SetResponseHeaderLayer::if_not_present(
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ))
                .layer(SetResponseHeaderLayer::if_not_present(
                    header::REFERRER_POLICY,
                    HeaderValue::from_static("same-origin"),
                )),
        )
        .with_state(state)
}

fn request_span(request: &Request<Body>) -> Span {
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!(
        "request",
        id = %request_id,
        method = %request.method(),
        path = %requests::loggable_path(request.uri().path()),
    )
}

/// A panic is logged with its cause and answered with a page that reveals nothing of it.
fn panic_response(cause: Box<dyn Any + Send + 'static>) -> Response<Body> {
    let detail = cause
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| cause.downcast_ref::<&str>().copied())
        .unwrap_or("unknown cause");
    tracing::error!(panic = detail, "request handler panicked");
    let mut response = Response::new(Body::from(
        "Something went wrong on our side. Please try again in a moment.",
    ));
    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}
