//! The `customer_request` table: something a customer asked the office for on one move.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// What was asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// Another moving day: one to three preferred dates.
    #[sea_orm(string_value = "reschedule")]
    Reschedule,
    /// A change to the quote: answered with a new version.
    #[sea_orm(string_value = "quote_change")]
    QuoteChange,
}

/// open → accepted (a date chosen) | answered (a new quote version sent) | declined (a note).
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    #[sea_orm(string_value = "open")]
    Open,
    #[sea_orm(string_value = "accepted")]
    Accepted,
    #[sea_orm(string_value = "answered")]
    Answered,
    #[sea_orm(string_value = "declined")]
    Declined,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "customer_request")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub job_id: i32,
    /// The quote version a change is asked for.
    pub quote_id: Option<i32>,
    pub kind: RequestKind,
    pub status: RequestStatus,
    pub asked_by: Option<i32>,
    pub asked_at: DateTimeUtc,
    #[sea_orm(column_type = "Text")]
    pub note: String,
    /// `YYYY-MM-DD` dates, comma-separated (a reschedule), soonest first.
    #[sea_orm(column_type = "Text")]
    pub preferred_dates: String,
    pub answered_by: Option<i32>,
    pub answered_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text", nullable)]
    pub answer_note: Option<String>,
    /// The date the office took (an accepted reschedule).
    pub chosen_date: Option<Date>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// The preferred dates, as dates.
    pub fn dates(&self) -> Vec<Date> {
        self.preferred_dates
            .split(',')
            .filter_map(|d| chrono::NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").ok())
            .collect()
    }

    pub fn is_open(&self) -> bool {
        self.status == RequestStatus::Open
    }
}
