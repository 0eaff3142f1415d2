//! The `users` table: everyone who can sign in, staff or customer contact.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// What a member of staff may do. Customers' contacts have no staff role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum StaffRole {
    #[sea_orm(string_value = "admin")]
    Admin,
    #[sea_orm(string_value = "office")]
    Office,
    #[sea_orm(string_value = "crew")]
    Crew,
}

impl StaffRole {
    /// The stored value, as in the database and the audit log.
    pub fn code(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Office => "office",
            Self::Crew => "crew",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub email: String,
    pub display_name: String,
    pub staff_role: Option<StaffRole>,
    pub created_at: DateTimeUtc,
    pub disabled_at: Option<DateTimeUtc>,
    /// The WebAuthn user handle: random bytes (base64url), set at the first passkey.
    #[sea_orm(unique)]
    pub webauthn_handle: Option<String>,
    /// For the crew on moving day; may be empty.
    pub phone: String,
    /// `en` or `nl`: the language of pages and mail (used by the translation work).
    pub language: String,
    /// The kinds of notification mail this person turned off, comma-separated
    /// (`quote_ready,messages`); security mail is always sent.
    #[sea_orm(column_type = "Text")]
    pub mail_off: String,
}

impl Model {
    /// Whether this person wants notification mail of `kind` (a `notices::NoticeKind` code).
    pub fn wants_mail(&self, kind: &str) -> bool {
        self.disabled_at.is_none() && !self.mail_off.split(',').any(|k| k.trim() == kind)
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::contact::Entity")]
    Contact,
}

impl Related<super::contact::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Contact.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
