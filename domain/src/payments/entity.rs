//! The `payment_attempt` table: one checkout at a payment provider for one invoice.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Where an attempt stands, in the provider's words (Mollie's payment statuses), plus
/// `creating` for the moment between our row and the provider's answer.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum AttemptStatus {
    #[sea_orm(string_value = "creating")]
    Creating,
    #[sea_orm(string_value = "open")]
    Open,
    #[sea_orm(string_value = "pending")]
    Pending,
    #[sea_orm(string_value = "authorized")]
    Authorized,
    #[sea_orm(string_value = "paid")]
    Paid,
    #[sea_orm(string_value = "canceled")]
    Canceled,
    #[sea_orm(string_value = "expired")]
    Expired,
    #[sea_orm(string_value = "failed")]
    Failed,
}

impl AttemptStatus {
    /// The provider's own word for it (Mollie's `status` field).
    pub fn code(self) -> &'static str {
        match self {
            Self::Creating => "creating",
            Self::Open => "open",
            Self::Pending => "pending",
            Self::Authorized => "authorized",
            Self::Paid => "paid",
            Self::Canceled => "canceled",
            Self::Expired => "expired",
            Self::Failed => "failed",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Some(match code {
            "creating" => Self::Creating,
            "open" => Self::Open,
            "pending" => Self::Pending,
            "authorized" => Self::Authorized,
            "paid" => Self::Paid,
            "canceled" => Self::Canceled,
            "expired" => Self::Expired,
            "failed" => Self::Failed,
            _ => return None,
        })
    }

    /// Still on its way to an outcome: the invoice's one open attempt.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            Self::Creating | Self::Open | Self::Pending | Self::Authorized
        )
    }

    /// Ended without money: the customer may try again.
    pub fn ended_unpaid(self) -> bool {
        matches!(self, Self::Canceled | Self::Expired | Self::Failed)
    }

    /// Words for the customer and the office.
    pub fn label(self) -> &'static str {
        match self {
            Self::Creating => "starting",
            Self::Open => "waiting for the payment",
            Self::Pending | Self::Authorized => "processing",
            Self::Paid => "paid",
            Self::Canceled => "cancelled",
            Self::Expired => "expired",
            Self::Failed => "failed",
        }
    }
}

/// Which provider an attempt went to.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum ProviderName {
    #[sea_orm(string_value = "mollie")]
    Mollie,
    /// Portico's own test checkout: no money moves.
    #[sea_orm(string_value = "test")]
    Test,
}

impl ProviderName {
    pub fn label(self) -> &'static str {
        match self {
            Self::Mollie => "Mollie",
            Self::Test => "Test mode",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payment_attempt")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub invoice_id: i32,
    pub provider: ProviderName,
    /// The provider's id (`tr_…` at Mollie); none until the provider has answered.
    #[sea_orm(unique)]
    pub provider_id: Option<String>,
    /// The invoice while this attempt may still be paid; unique, so one open attempt each.
    #[sea_orm(unique)]
    pub open_invoice_id: Option<i32>,
    pub status: AttemptStatus,
    /// What we asked the provider to collect.
    pub amount_cents: i64,
    pub currency: String,
    /// `ideal`, `creditcard`, … once the customer chose.
    pub method: Option<String>,
    pub checkout_url: Option<String>,
    pub started_by: Option<i32>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// When the provider was last asked about it.
    pub checked_at: DateTimeUtc,
    /// When its `paid` outcome was dealt with: booked on the invoice, or flagged to the office.
    pub settled_at: Option<DateTimeUtc>,
    /// Money given back from the provider's dashboard.
    pub refunded_cents: i64,
    /// Something the office must look at (an amount that does not match, money paid twice).
    pub problem: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
