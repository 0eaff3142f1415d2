//! `GET /healthz`: is the process up and does the database answer? For load balancers and
//! process supervisors; it reveals nothing else.

use axum::{extract::State, http::StatusCode, response::IntoResponse, Json};
use portico_domain::DatabaseConnection;
use serde_json::json;

pub async fn healthz(State(db): State<DatabaseConnection>) -> impl IntoResponse {
    if portico_domain::db::ping(&db).await {
        (
            StatusCode::OK,
            Json(json!({ "status": "ok", "database": "ok" })),
        )
    } else {
        tracing::warn!("health check: the database does not answer");
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable", "database": "unreachable" })),
        )
    }
}
