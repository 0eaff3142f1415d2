//! The `job_event` table: the job's timeline. One row per status move (or reschedule), with
//! who, when, a note and, for "on our way", the ETA.

use sea_orm::entity::prelude::*;

use super::JobStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "job_event")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub job_id: i32,
    pub at: DateTimeUtc,
    pub actor_user_id: Option<i32>,
    pub from_status: Option<JobStatus>,
    pub to_status: JobStatus,
    #[sea_orm(column_type = "Text")]
    pub note: String,
    pub eta: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
