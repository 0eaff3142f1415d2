//! What Portico asks of a payment provider: start a payment, and say how one stands. Mollie and
//! the built-in test mode both answer these two questions; everything else (booking, "exactly
//! once", who may pay) is Portico's and the same for both.

use async_trait::async_trait;

use super::entity::{AttemptStatus, ProviderName};

/// A payment to start at the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPayment {
    pub amount_cents: i64,
    pub currency: String,
    /// "Invoice F2026-00012" — shown on the bank statement.
    pub description: String,
    /// Where the customer comes back to when done at the provider.
    pub redirect_url: String,
    /// Where the provider says "something changed about tr_…"; none when the public address
    /// cannot be reached from outside (the provider then only hears from the reconciliation).
    pub webhook_url: Option<String>,
    pub invoice_id: i32,
    pub attempt_id: i32,
}

/// A payment as the provider reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderPayment {
    pub id: String,
    pub status: AttemptStatus,
    pub amount_cents: i64,
    pub currency: String,
    pub method: Option<String>,
    /// Where to send the customer to pay (while open).
    pub checkout_url: Option<String>,
    pub refunded_cents: i64,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProviderError {
    /// The provider does not know this id.
    #[error("the provider does not know this payment")]
    Unknown,
    /// No answer, a time-out, or a 5xx: try again later.
    #[error("the provider did not answer: {0}")]
    Unavailable(String),
    /// The provider refused the request (a 4xx other than 404): a fault on our side, logged.
    #[error("the provider refused the request: {0}")]
    Refused(String),
}

#[async_trait]
pub trait PaymentProvider: Send + Sync {
    fn name(&self) -> ProviderName;
    async fn create(&self, payment: &NewPayment) -> Result<ProviderPayment, ProviderError>;
    async fn get(&self, id: &str) -> Result<ProviderPayment, ProviderError>;
}

/// Euros as providers write them: `"1234.50"`.
pub fn decimal(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let cents = cents.unsigned_abs();
    format!("{sign}{}.{:02}", cents / 100, cents % 100)
}

/// `"1234.50"` back to cents; `None` unless it has exactly two decimals.
pub fn parse_decimal(value: &str) -> Option<i64> {
    let (negative, digits) = match value.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, value),
    };
    let (whole, fraction) = digits.split_once('.')?;
    if whole.is_empty()
        || fraction.len() != 2
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let cents = whole
        .parse::<i64>()
        .ok()?
        .checked_mul(100)?
        .checked_add(fraction.parse::<i64>().ok()?)?;
    Some(if negative { -cents } else { cents })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_go_to_the_provider_with_two_decimals_and_come_back_whole() {
        assert_eq!(decimal(123_450), "1234.50");
        assert_eq!(decimal(5), "0.05");
        assert_eq!(decimal(-1_000), "-10.00");
        assert_eq!(parse_decimal("1234.50"), Some(123_450));
        assert_eq!(parse_decimal("0.05"), Some(5));
        assert_eq!(parse_decimal("-10.00"), Some(-1_000));
        for bad in ["1234.5", "1234", ".50", "12a.00", "1.234", "", "1e3.00"] {
            assert_eq!(parse_decimal(bad), None, "{bad}");
        }
    }
}
