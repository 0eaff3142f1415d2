//! The `quote` table: one version of a quote for a job.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// draft → sent → accepted / declined / expired / superseded. Only a draft changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum QuoteStatus {
    #[sea_orm(string_value = "draft")]
    Draft,
    #[sea_orm(string_value = "sent")]
    Sent,
    #[sea_orm(string_value = "accepted")]
    Accepted,
    #[sea_orm(string_value = "declined")]
    Declined,
    #[sea_orm(string_value = "expired")]
    Expired,
    #[sea_orm(string_value = "superseded")]
    Superseded,
}

impl QuoteStatus {
    pub fn label(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Sent => "sent",
            Self::Accepted => "accepted",
            Self::Declined => "declined",
            Self::Expired => "expired",
            Self::Superseded => "superseded",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "quote")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub job_id: i32,
    pub version: i32,
    pub status: QuoteStatus,
    pub valid_until: Date,
    pub net_cents: i64,
    pub vat_cents: i64,
    pub total_cents: i64,
    pub created_at: DateTimeUtc,
    pub created_by: Option<i32>,
    pub sent_at: Option<DateTimeUtc>,
    pub decided_at: Option<DateTimeUtc>,
    pub decided_by: Option<i32>,
    /// The name the customer typed as a signature when accepting.
    pub signed_name: Option<String>,
    pub signed_ip: Option<String>,
    /// The browser the acceptance came from, as it named itself.
    #[sea_orm(column_type = "Text", nullable)]
    pub signed_user_agent: Option<String>,
    /// SHA-256 (hex) of the frozen PDF of this version at the moment it was accepted: the
    /// document the customer agreed to, provable from their copy.
    pub signed_pdf_sha256: Option<String>,
    /// The acceptance receipt (a document), rendered and kept when the customer accepted.
    pub receipt_document_id: Option<i32>,
    #[sea_orm(column_type = "Text", nullable)]
    pub decline_reason: Option<String>,
    /// The PDF rendered when this version was sent (a document); what every download serves,
    /// and what an acceptance refers to by its SHA-256.
    pub pdf_document_id: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl Model {
    /// Only a draft changes; a sent version is changed by making a new one.
    pub fn is_editable(&self) -> bool {
        self.status == QuoteStatus::Draft
    }

    /// Sent and not yet answered: the customer (or staff, for an answer by phone) can accept
    /// or decline it.
    pub fn awaits_answer(&self) -> bool {
        self.status == QuoteStatus::Sent
    }

    /// Accepted: it can become the job's invoice.
    pub fn can_be_invoiced(&self) -> bool {
        self.status == QuoteStatus::Accepted
    }
}

impl ActiveModelBehavior for ActiveModel {}
