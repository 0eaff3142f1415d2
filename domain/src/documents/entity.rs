//! The `document` table: a stored file's facts. The bytes live in a [`super::Storage`] under
//! `storage_key`, never under the name the uploader gave.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    #[sea_orm(string_value = "quote")]
    Quote,
    #[sea_orm(string_value = "contract")]
    Contract,
    #[sea_orm(string_value = "inventory_list")]
    InventoryList,
    #[sea_orm(string_value = "invoice")]
    Invoice,
    #[sea_orm(string_value = "photo")]
    Photo,
    #[sea_orm(string_value = "other")]
    Other,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 6] = [
        Self::Quote,
        Self::Contract,
        Self::InventoryList,
        Self::Invoice,
        Self::Photo,
        Self::Other,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Quote => "quote",
            Self::Contract => "contract",
            Self::InventoryList => "inventory_list",
            Self::Invoice => "invoice",
            Self::Photo => "photo",
            Self::Other => "other",
        }
    }

    /// Quotes and invoices show prices: they follow the invoice rule (owner and payer
    /// contacts, office staff; never crew or viewers).
    pub fn is_money(self) -> bool {
        matches!(self, Self::Quote | Self::Invoice)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Quote => "Quote",
            Self::Contract => "Contract",
            Self::InventoryList => "Inventory list",
            Self::Invoice => "Invoice",
            Self::Photo => "Photo",
            Self::Other => "Other",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// Who may see a document besides staff.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    #[sea_orm(string_value = "staff")]
    Staff,
    #[sea_orm(string_value = "customer")]
    Customer,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "document")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub customer_id: Option<i32>,
    pub job_id: Option<i32>,
    pub kind: DocumentKind,
    /// As the uploader named it, cleaned of paths and control characters.
    pub file_name: String,
    /// From the file's first bytes, not from the upload's headers.
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    #[sea_orm(unique)]
    pub storage_key: String,
    pub visibility: Visibility,
    pub uploaded_by: Option<i32>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
