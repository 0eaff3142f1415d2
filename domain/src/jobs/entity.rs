//! The `job` table.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Where a job stands in its lifecycle (see PRODUCT.md). The transitions between these states
/// are enforced by the job service, not by the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    #[sea_orm(string_value = "requested")]
    Requested,
    #[sea_orm(string_value = "quoted")]
    Quoted,
    #[sea_orm(string_value = "accepted")]
    Accepted,
    #[sea_orm(string_value = "declined")]
    Declined,
    #[sea_orm(string_value = "expired")]
    Expired,
    #[sea_orm(string_value = "scheduled")]
    Scheduled,
    #[sea_orm(string_value = "en_route")]
    EnRoute,
    #[sea_orm(string_value = "in_progress")]
    InProgress,
    #[sea_orm(string_value = "completed")]
    Completed,
    #[sea_orm(string_value = "invoiced")]
    Invoiced,
    #[sea_orm(string_value = "paid")]
    Paid,
    #[sea_orm(string_value = "overdue")]
    Overdue,
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "job")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub reference: String,
    pub customer_id: i32,
    pub status: JobStatus,
    pub origin_address: String,
    pub destination_address: String,
    pub requested_date: Date,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Floor, lift, parking: what the crew needs to know at the origin.
    #[sea_orm(column_type = "Text")]
    pub origin_notes: String,
    #[sea_orm(column_type = "Text")]
    pub destination_notes: String,
    /// The moving day agreed with the customer, in the company's time zone.
    pub confirmed_date: Option<Date>,
    /// The arrival window, `HH:MM` in the company's time zone.
    pub slot_start: Option<String>,
    pub slot_end: Option<String>,
    /// Estimated volume in cubic metres.
    pub volume_m3: Option<i32>,
    #[sea_orm(column_type = "Text")]
    pub notes: String,
    /// When the crew expects to arrive; set while the job is en route.
    pub eta: Option<DateTimeUtc>,
    /// How often the date or window changed after it was first confirmed: the calendar
    /// entry's `SEQUENCE`, so that a calendar replaces the entry it already has.
    pub schedule_sequence: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "crate::customers::entity::Entity",
        from = "Column::CustomerId",
        to = "crate::customers::entity::Column::Id"
    )]
    Customer,
}

impl Related<crate::customers::entity::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Customer.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
