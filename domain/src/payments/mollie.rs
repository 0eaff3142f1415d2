//! Mollie's Payments API v2, the two calls Portico needs: create a payment, get a payment.
//! A thin client over reqwest rather than a generated crate for the whole API (the only one
//! maintained was weeks old and compiles 124 operations for these two).
//!
//! Shapes, as documented: amounts are `{"currency":"EUR","value":"1234.50"}` with the value a
//! string of exactly two decimals; the checkout is `_links.checkout.href` (gone once paid);
//! `amountRefunded` appears on a paid payment that can be refunded; errors are
//! `application/problem+json`-like bodies with `status`, `title`, `detail` and maybe `field`.

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::{
    entity::{AttemptStatus, ProviderName},
    provider::{
        decimal, parse_decimal, NewPayment, PaymentProvider, ProviderError, ProviderPayment,
    },
};

/// Mollie's own address; another one is only for a local fake in the tests.
pub const API_URL: &str = "https://api.mollie.com/v2";

/// Mollie answers within a second or two; a webhook must be answered within 15 s.
const TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A Mollie API key (`test_…` or `live_…`). Never printed: `Debug` shows the mode only.
#[derive(Clone)]
pub struct ApiKey(String);

impl ApiKey {
    /// As Mollie's own clients check it: `test_` or `live_` and at least 30 more letters,
    /// digits or underscores.
    pub fn parse(key: &str) -> Option<Self> {
        let key = key.trim();
        let rest = key
            .strip_prefix("test_")
            .or_else(|| key.strip_prefix("live_"))?;
        (rest.len() >= 30 && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
            .then(|| Self(key.to_owned()))
    }

    pub fn is_live(&self) -> bool {
        self.0.starts_with("live_")
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.is_live() {
            "ApiKey(live_…)"
        } else {
            "ApiKey(test_…)"
        })
    }
}

pub struct Mollie {
    http: reqwest::Client,
    key: ApiKey,
    base: String,
}

impl Mollie {
    /// `base` is [`API_URL`] except in tests.
    pub fn new(key: ApiKey, base: &str) -> Result<Self, ProviderError> {
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(concat!("Portico/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ProviderError::Refused(format!("HTTP client: {e}")))?;
        Ok(Self {
            http,
            key,
            base: base.trim_end_matches('/').to_owned(),
        })
    }

    async fn answer(response: reqwest::Response) -> Result<MolliePayment, ProviderError> {
        let status = response.status();
        if status.is_success() {
            return response
                .json::<MolliePayment>()
                .await
                .map_err(|e| ProviderError::Unavailable(format!("unreadable answer: {e}")));
        }
        let problem = response.json::<Problem>().await.ok();
        let detail = problem
            .map(|p| match p.field {
                Some(field) => format!("{} ({field})", p.detail),
                None => p.detail,
            })
            .unwrap_or_default();
        Err(match status.as_u16() {
            404 | 410 => ProviderError::Unknown,
            429 | 500..=599 => ProviderError::Unavailable(format!("{status} {detail}")),
            _ => ProviderError::Refused(format!("{status} {detail}")),
        })
    }
}

fn transport(error: reqwest::Error) -> ProviderError {
    ProviderError::Unavailable(if error.is_timeout() {
        "no answer in time".to_owned()
    } else {
        // Without the URL: it carries nothing secret, but the message stays short.
        error.without_url().to_string()
    })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CreatePayment<'a> {
    amount: Amount,
    description: &'a str,
    redirect_url: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    webhook_url: Option<&'a str>,
    metadata: Metadata,
}

#[derive(Serialize)]
struct Metadata {
    invoice_id: i32,
    attempt_id: i32,
}

#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct Amount {
    pub currency: String,
    pub value: String,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
struct MolliePayment {
    id: String,
    status: String,
    amount: Amount,
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    amount_refunded: Option<Amount>,
    #[serde(default, rename = "_links")]
    links: Links,
}

#[derive(Deserialize, Debug, Default)]
struct Links {
    #[serde(default)]
    checkout: Option<Link>,
}

#[derive(Deserialize, Debug)]
struct Link {
    href: String,
}

#[derive(Deserialize, Debug)]
struct Problem {
    #[serde(default)]
    detail: String,
    #[serde(default)]
    field: Option<String>,
}

impl MolliePayment {
    fn into_report(self) -> Result<ProviderPayment, ProviderError> {
        let status = AttemptStatus::from_code(&self.status)
            .filter(|s| *s != AttemptStatus::Creating)
            .ok_or_else(|| ProviderError::Refused(format!("unknown status {:?}", self.status)))?;
        let cents = |amount: &Amount| {
            parse_decimal(&amount.value)
                .ok_or_else(|| ProviderError::Refused(format!("amount {:?}", amount.value)))
        };
        Ok(ProviderPayment {
            amount_cents: cents(&self.amount)?,
            refunded_cents: self
                .amount_refunded
                .as_ref()
                .map(cents)
                .transpose()?
                .unwrap_or(0),
            currency: self.amount.currency,
            id: self.id,
            status,
            method: self.method,
            checkout_url: self.links.checkout.map(|l| l.href),
        })
    }
}

#[async_trait]
impl PaymentProvider for Mollie {
    fn name(&self) -> ProviderName {
        ProviderName::Mollie
    }

    async fn create(&self, payment: &NewPayment) -> Result<ProviderPayment, ProviderError> {
        let body = CreatePayment {
            amount: Amount {
                currency: payment.currency.clone(),
                value: decimal(payment.amount_cents),
            },
            description: &payment.description,
            redirect_url: &payment.redirect_url,
            webhook_url: payment.webhook_url.as_deref(),
            metadata: Metadata {
                invoice_id: payment.invoice_id,
                attempt_id: payment.attempt_id,
            },
        };
        let response = self
            .http
            .post(format!("{}/payments", self.base))
            .bearer_auth(&self.key.0)
            // One attempt, one payment, even if this request is sent twice.
            .header(
                "Idempotency-Key",
                format!("portico-attempt-{}", payment.attempt_id),
            )
            .json(&body)
            .send()
            .await
            .map_err(transport)?;
        Self::answer(response).await?.into_report()
    }

    async fn get(&self, id: &str) -> Result<ProviderPayment, ProviderError> {
        // An id is `tr_` and letters and digits; anything else is not asked about.
        if !id.starts_with("tr_") || !id[3..].bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(ProviderError::Unknown);
        }
        let response = self
            .http
            .get(format!("{}/payments/{id}", self.base))
            .bearer_auth(&self.key.0)
            .send()
            .await
            .map_err(transport)?;
        Self::answer(response).await?.into_report()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_checked_like_mollie_does_and_never_printed() {
        let key = ApiKey::parse("test_dHar4XY7LxsDOtmnkVtjNVWXLSlXsM").expect("a test key");
        assert!(!key.is_live());
        assert_eq!(format!("{key:?}"), "ApiKey(test_…)");
        assert!(ApiKey::parse("live_dHar4XY7LxsDOtmnkVtjNVWXLSlXsM").is_some_and(|k| k.is_live()));
        for bad in [
            "",
            "dHar4XY7LxsDOtmnkVtjNVWXLSlXsM",
            "test_short",
            "prod_dHar4XY7LxsDOtmnkVtjNVWXLSlXsM",
            "test_dHar4XY7LxsDOtmnkVtjNVWX-SlXsM",
        ] {
            assert!(ApiKey::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn a_documented_payment_reads_back_with_refunds_and_checkout() {
        let paid: MolliePayment = serde_json::from_str(
            r#"{"resource":"payment","id":"tr_6qh37hS3FF","mode":"test",
            "amount":{"value":"10.00","currency":"EUR"},"method":"ideal","status":"paid",
            "amountRefunded":{"value":"2.50","currency":"EUR"},
            "amountRemaining":{"value":"7.50","currency":"EUR"},
            "_links":{"self":{"href":"x","type":"application/hal+json"}}}"#,
        )
        .expect("documented shape");
        let report = paid.into_report().expect("known status");
        assert_eq!(report.status, AttemptStatus::Paid);
        assert_eq!(report.amount_cents, 1_000);
        assert_eq!(report.refunded_cents, 250);
        assert_eq!(report.checkout_url, None);
        let open: MolliePayment = serde_json::from_str(
            r#"{"id":"tr_5B8cwPMGnU6qLbRvo7qEZo","status":"open","method":null,
            "amount":{"value":"1234.50","currency":"EUR"},
            "_links":{"checkout":{"href":"https://www.mollie.com/checkout/select-method/7UhSN1zuXS","type":"text/html"}}}"#,
        )
        .expect("documented shape");
        let report = open.into_report().expect("known status");
        assert_eq!(report.amount_cents, 123_450);
        assert_eq!(
            report.checkout_url.as_deref(),
            Some("https://www.mollie.com/checkout/select-method/7UhSN1zuXS")
        );
    }
}
