//! A local fake of Mollie's Payments API v2 on a loopback port, speaking its documented shapes:
//! `POST /v2/payments` (201, `_links.checkout`), `GET /v2/payments/{id}` (200, or 404 with a
//! problem body), Bearer keys checked as Mollie's clients check them, amounts as strings with
//! two decimals (else 422 naming the field). The test turns the knobs a real payment would:
//! the customer pays, fails, cancels or lets it expire; a refund is made in the dashboard;
//! the API answers 500 or not at all.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Normal,
    /// Every call answers 500 with a problem body.
    Failing,
    /// Every call waits longer than Portico's client does.
    Silent,
}

#[derive(Debug, Clone)]
pub struct Payment {
    pub id: String,
    pub amount: Value,
    pub description: String,
    pub redirect_url: String,
    pub webhook_url: Option<String>,
    pub metadata: Value,
    pub status: String,
    pub method: Option<String>,
    /// What GET reports as the amount, when a test wants it to differ from what was asked.
    pub reported_amount: Option<Value>,
    pub refunded: Option<String>,
}

#[derive(Default)]
struct Inner {
    payments: HashMap<String, Payment>,
    order: Vec<String>,
    mode: Option<Mode>,
    /// `METHOD path` of every request, in order.
    requests: Vec<String>,
    idempotency_keys: Vec<String>,
}

#[derive(Clone)]
pub struct FakeMollie {
    inner: Arc<Mutex<Inner>>,
    pub base: String,
}

pub const KEY: &str = "test_dHar4XY7LxsDOtmnkVtjNVWXLSlXsM";

fn problem(status: StatusCode, detail: &str, field: Option<&str>) -> Response {
    let mut body = json!({
        "status": status.as_u16(),
        "title": status.canonical_reason().unwrap_or("Error"),
        "detail": detail,
        "_links": {"documentation": {"href": "https://docs.mollie.com/errors", "type": "text/html"}}
    });
    if let Some(field) = field {
        body["field"] = json!(field);
    }
    (
        status,
        [("content-type", "application/hal+json")],
        body.to_string(),
    )
        .into_response()
}

fn authorised(headers: &HeaderMap) -> bool {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|key| {
            let rest = key
                .strip_prefix("test_")
                .or_else(|| key.strip_prefix("live_"));
            rest.is_some_and(|r| {
                r.len() >= 30 && r.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            })
        })
}

/// Mollie's 401 for a missing or malformed key.
fn unauthorised(headers: &HeaderMap) -> Option<Response> {
    (!authorised(headers)).then(|| {
        problem(
            StatusCode::UNAUTHORIZED,
            "Missing authentication, or failed to authenticate",
            None,
        )
    })
}

fn two_decimals(value: &str) -> bool {
    value.split_once('.').is_some_and(|(w, f)| {
        !w.is_empty()
            && w.bytes().all(|b| b.is_ascii_digit())
            && f.len() == 2
            && f.bytes().all(|b| b.is_ascii_digit())
    })
}

impl Payment {
    fn json(&self) -> Value {
        let mut body = json!({
            "resource": "payment",
            "id": self.id,
            "mode": "test",
            "createdAt": "2026-12-03T09:13:37+00:00",
            "amount": self.reported_amount.clone().unwrap_or_else(|| self.amount.clone()),
            "description": self.description,
            "method": self.method,
            "metadata": self.metadata,
            "status": self.status,
            "profileId": "pfl_QkEhN94Ba",
            "sequenceType": "oneoff",
            "redirectUrl": self.redirect_url,
            "_links": {
                "self": {"href": format!("https://api.mollie.com/v2/payments/{}", self.id), "type": "application/hal+json"},
                "dashboard": {"href": format!("https://www.mollie.com/dashboard/org_1/payments/{}", self.id), "type": "text/html"}
            }
        });
        if let Some(webhook) = &self.webhook_url {
            body["webhookUrl"] = json!(webhook);
        }
        if self.status == "open" {
            body["_links"]["checkout"] = json!({
                "href": format!("https://www.mollie.com/checkout/select-method/{}", &self.id[3..]),
                "type": "text/html"
            });
            body["isCancelable"] = json!(false);
            body["expiresAt"] = json!("2026-12-03T09:28:37+00:00");
        }
        if self.status == "paid" {
            body["paidAt"] = json!("2026-12-03T09:15:00+00:00");
            let currency = self.amount["currency"].clone();
            let refunded = self.refunded.clone().unwrap_or_else(|| "0.00".to_owned());
            body["amountRefunded"] = json!({"currency": currency, "value": refunded});
            if self.refunded.is_some() {
                body["_links"]["refunds"] = json!({
                    "href": format!("https://api.mollie.com/v2/payments/{}/refunds", self.id),
                    "type": "application/hal+json"
                });
            }
        }
        body
    }
}

async fn wait_if_silent(fake: &FakeMollie) -> Option<Response> {
    let mode = fake.mode();
    match mode {
        Mode::Normal => None,
        Mode::Failing => Some(problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong on our side",
            None,
        )),
        Mode::Silent => {
            tokio::time::sleep(std::time::Duration::from_secs(30)).await;
            Some(problem(StatusCode::GATEWAY_TIMEOUT, "late", None))
        }
    }
}

async fn create(State(fake): State<FakeMollie>, headers: HeaderMap, body: String) -> Response {
    fake.log("POST /v2/payments");
    if let Some(refusal) = wait_if_silent(&fake).await {
        return refusal;
    }
    if let Some(refusal) = unauthorised(&headers) {
        return refusal;
    }
    if let Some(key) = headers.get("idempotency-key").and_then(|v| v.to_str().ok()) {
        fake.inner
            .lock()
            .unwrap()
            .idempotency_keys
            .push(key.to_owned());
    }
    let Ok(request) = serde_json::from_str::<Value>(&body) else {
        return problem(
            StatusCode::BAD_REQUEST,
            "The request body is not JSON",
            None,
        );
    };
    let value = request["amount"]["value"].as_str().unwrap_or_default();
    if !two_decimals(value) || request["amount"]["currency"].as_str().is_none() {
        return problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "The amount contains an invalid value",
            Some("amount.value"),
        );
    }
    for field in ["description", "redirectUrl"] {
        if request[field].as_str().is_none_or(str::is_empty) {
            return problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                &format!("The '{field}' field is missing"),
                Some(field),
            );
        }
    }
    let mut inner = fake.inner.lock().unwrap();
    let id = format!("tr_Fake{:06}x", inner.order.len() + 1);
    let payment = Payment {
        id: id.clone(),
        amount: request["amount"].clone(),
        description: request["description"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        redirect_url: request["redirectUrl"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        webhook_url: request["webhookUrl"].as_str().map(str::to_owned),
        metadata: request["metadata"].clone(),
        status: "open".to_owned(),
        method: None,
        reported_amount: None,
        refunded: None,
    };
    let body = payment.json();
    inner.payments.insert(id.clone(), payment);
    inner.order.push(id);
    (
        StatusCode::CREATED,
        [("content-type", "application/hal+json")],
        body.to_string(),
    )
        .into_response()
}

async fn fetch(
    State(fake): State<FakeMollie>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    fake.log(&format!("GET /v2/payments/{id}"));
    if let Some(refusal) = wait_if_silent(&fake).await {
        return refusal;
    }
    if let Some(refusal) = unauthorised(&headers) {
        return refusal;
    }
    let found = fake.inner.lock().unwrap().payments.get(&id).cloned();
    match found {
        Some(payment) => Json(payment.json()).into_response(),
        None => problem(
            StatusCode::NOT_FOUND,
            &format!("No payment exists with token {id}."),
            None,
        ),
    }
}

impl FakeMollie {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake Mollie");
        let port = listener.local_addr().expect("address").port();
        let fake = Self {
            inner: Arc::default(),
            base: format!("http://127.0.0.1:{port}/v2"),
        };
        let app = Router::new()
            .route("/v2/payments", post(create))
            .route("/v2/payments/{id}", get(fetch))
            .with_state(fake.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        fake
    }

    /// The Portico settings that point at this fake.
    pub fn settings(&self) -> [(&'static str, String); 2] {
        [
            ("PORTICO_MOLLIE_API_KEY", KEY.to_owned()),
            ("PORTICO_MOLLIE_API_URL", self.base.clone()),
        ]
    }

    fn log(&self, line: &str) {
        self.inner.lock().unwrap().requests.push(line.to_owned());
    }

    fn mode(&self) -> Mode {
        self.inner.lock().unwrap().mode.unwrap_or(Mode::Normal)
    }

    pub fn set_mode(&self, mode: Mode) {
        self.inner.lock().unwrap().mode = Some(mode);
    }

    pub fn requests(&self) -> Vec<String> {
        self.inner.lock().unwrap().requests.clone()
    }

    pub fn idempotency_keys(&self) -> Vec<String> {
        self.inner.lock().unwrap().idempotency_keys.clone()
    }

    /// The payments created, in order.
    pub fn payments(&self) -> Vec<Payment> {
        let inner = self.inner.lock().unwrap();
        inner
            .order
            .iter()
            .filter_map(|id| inner.payments.get(id).cloned())
            .collect()
    }

    pub fn last(&self) -> Payment {
        self.payments().pop().expect("a payment was created")
    }

    /// What the customer (or the bank) did: `paid` (with `method`), `failed`, `canceled`,
    /// `expired`, `pending`, `authorized`.
    pub fn set_status(&self, id: &str, status: &str) {
        let mut inner = self.inner.lock().unwrap();
        let payment = inner.payments.get_mut(id).expect("a known payment");
        payment.status = status.to_owned();
        if status == "paid" {
            payment.method.get_or_insert_with(|| "ideal".to_owned());
        }
    }

    /// Makes GET report another amount than was asked for.
    pub fn report_amount(&self, id: &str, currency: &str, value: &str) {
        let mut inner = self.inner.lock().unwrap();
        let payment = inner.payments.get_mut(id).expect("a known payment");
        payment.reported_amount = Some(json!({"currency": currency, "value": value}));
    }

    /// A refund made in Mollie's dashboard (`value` as Mollie writes it: "25.00").
    pub fn refund(&self, id: &str, value: &str) {
        let mut inner = self.inner.lock().unwrap();
        let payment = inner.payments.get_mut(id).expect("a known payment");
        payment.refunded = Some(value.to_owned());
    }
}
