//! A person's own second factors: where they stand, enrolling the authenticator app, and new
//! recovery codes. Each change and its audit rows are one transaction.

use sea_orm::{
    ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, TransactionSession, TransactionTrait,
};

use super::{at_rest::AtRestKey, password_credential, recovery_code, sign_in, totp_credential};
use crate::{
    audit::{AuditAction, Stamp},
    DomainError,
};

/// What the security page shows about the person's password and second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FactorOverview {
    pub has_password: bool,
    pub has_totp: bool,
    pub recovery_codes_left: u64,
}

pub async fn overview(
    db: &impl sea_orm::ConnectionTrait,
    user_id: i32,
) -> Result<FactorOverview, DomainError> {
    Ok(FactorOverview {
        has_password: password_credential::Entity::find_by_id(user_id)
            .one(db)
            .await?
            .is_some(),
        has_totp: totp_credential::Entity::find_by_id(user_id)
            .one(db)
            .await?
            .is_some_and(|t| t.confirmed_at.is_some()),
        recovery_codes_left: recovery_code::Entity::find()
            .filter(recovery_code::Column::UserId.eq(user_id))
            .filter(recovery_code::Column::UsedAt.is_null())
            .count(db)
            .await?,
    })
}

/// Makes a confirmed authenticator the person's second factor (replacing an earlier one) and
/// returns ten new recovery codes, shown once.
pub async fn enrol_authenticator(
    db: &impl TransactionTrait,
    key: &AtRestKey,
    stamp: &Stamp,
    user_id: i32,
    secret_base32: &str,
    confirmed_step: i64,
) -> Result<Vec<String>, DomainError> {
    let txn = db.begin().await?;
    sign_in::save_totp(&txn, key, stamp.at, user_id, secret_base32, confirmed_step).await?;
    let codes = sign_in::replace_recovery_codes(&txn, stamp.at, user_id).await?;
    for action in [
        AuditAction::TotpEnrolled,
        AuditAction::RecoveryCodesGenerated,
    ] {
        stamp
            .record(&txn, action, format!("user:{user_id}"), None)
            .await?;
    }
    txn.commit().await?;
    Ok(codes)
}

/// Replaces the recovery codes with ten new ones (the old ones stop working).
pub async fn regenerate_recovery_codes(
    db: &impl TransactionTrait,
    stamp: &Stamp,
    user_id: i32,
) -> Result<Vec<String>, DomainError> {
    let txn = db.begin().await?;
    let codes = sign_in::replace_recovery_codes(&txn, stamp.at, user_id).await?;
    stamp
        .record(
            &txn,
            AuditAction::RecoveryCodesGenerated,
            format!("user:{user_id}"),
            None,
        )
        .await?;
    txn.commit().await?;
    Ok(codes)
}
