//! Passkeys (WebAuthn, via webauthn-rs): registering several per person, naming and removing
//! them, and signing in with one by itself (user verification required), including through
//! the browser's autofill (conditional UI).
//!
//! Ceremony state is kept server-side by the caller (in the session); the credential id is
//! unique across all people; webauthn-rs refuses a signature counter that went backwards.

use std::sync::Arc;

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, TransactionSession, TransactionTrait,
};
use url::Url;
use webauthn_rs::prelude::{
    CreationChallengeResponse, DiscoverableAuthentication, Passkey, PasskeyAuthentication,
    PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential,
    RequestChallengeResponse, Uuid, Webauthn, WebauthnBuilder, WebauthnError,
};
use webauthn_rs_proto::{Mediation, ResidentKeyRequirement};

pub use super::passkey_entity as entity;
use super::{password_credential, totp_credential, user};
use crate::{
    audit::{AuditAction, Stamp},
    DomainError,
};

/// Longest passkey name, in characters.
pub const MAX_NAME_CHARS: usize = 60;

/// The relying party: built once from the public URL (its host is the RP id).
#[derive(Clone)]
pub struct Passkeys {
    webauthn: Arc<Webauthn>,
}

/// Why a passkey ceremony failed, for the caller to turn into one message and an audit row.
#[derive(Debug)]
pub enum PasskeyRefusal {
    /// The browser's answer does not verify (wrong challenge, origin, signature, no UV …).
    NotVerified(WebauthnError),
    /// The key is not registered here (or belongs to a disabled person).
    UnknownCredential,
    /// The counter went backwards: possibly a cloned authenticator.
    CounterRegression,
    /// This authenticator is already registered, to this or another person.
    AlreadyRegistered,
}

/// A person's passkey, as the security page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeySummary {
    pub id: i32,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

fn credential_key(id: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(id)
}

fn internal(e: impl std::fmt::Display) -> DomainError {
    DomainError::Internal(e.to_string())
}

impl Passkeys {
    /// `public_url`'s host is the RP id; its origin is the only one accepted.
    pub fn new(public_url: &Url, rp_name: &str) -> Result<Self, DomainError> {
        let host = public_url
            .host_str()
            .ok_or_else(|| DomainError::Internal("the public URL has no host".into()))?;
        let webauthn = WebauthnBuilder::new(host, public_url)
            .map_err(|e| DomainError::Internal(format!("WebAuthn relying party: {e}")))?
            .rp_name(rp_name)
            .build()
            .map_err(|e| DomainError::Internal(format!("WebAuthn relying party: {e}")))?;
        Ok(Self {
            webauthn: Arc::new(webauthn),
        })
    }

    /// Starts registering a new passkey for `person`. The credential is asked to be
    /// discoverable, so that it can be offered by autofill and used without typing an e-mail.
    pub async fn start_registration(
        &self,
        db: &impl ConnectionTrait,
        person: &user::Model,
    ) -> Result<(CreationChallengeResponse, PasskeyRegistration), DomainError> {
        let handle = user_handle(db, person).await?;
        let existing = keys_of(db, person.id).await?;
        let exclude = existing
            .iter()
            .map(|k| k.cred_id().clone())
            .collect::<Vec<_>>();
        let (mut challenge, state) = self
            .webauthn
            .start_passkey_registration(
                handle,
                &person.email,
                &person.display_name,
                (!exclude.is_empty()).then_some(exclude),
            )
            .map_err(internal)?;
        if let Some(selection) = challenge.public_key.authenticator_selection.as_mut() {
            selection.resident_key = Some(ResidentKeyRequirement::Required);
        }
        Ok((challenge, state))
    }

    /// Verifies the browser's answer and stores the passkey under `name`.
    pub async fn finish_registration(
        &self,
        db: &impl ConnectionTrait,
        now: DateTime<Utc>,
        user_id: i32,
        name: &str,
        answer: &RegisterPublicKeyCredential,
        state: &PasskeyRegistration,
    ) -> Result<Result<PasskeySummary, PasskeyRefusal>, DomainError> {
        let name = clean_name(name)?;
        let passkey = match self.webauthn.finish_passkey_registration(answer, state) {
            Ok(passkey) => passkey,
            Err(e) => return Ok(Err(PasskeyRefusal::NotVerified(e))),
        };
        let key = credential_key(passkey.cred_id());
        if entity::Entity::find()
            .filter(entity::Column::CredentialId.eq(&key))
            .count(db)
            .await?
            > 0
        {
            return Ok(Err(PasskeyRefusal::AlreadyRegistered));
        }
        let row = entity::ActiveModel {
            user_id: Set(user_id),
            name: Set(name),
            credential_id: Set(key),
            credential: Set(serde_json::to_string(&passkey).map_err(internal)?),
            created_at: Set(now),
            last_used_at: Set(None),
            ..Default::default()
        }
        .insert(db)
        .await?;
        Ok(Ok(summary(row)))
    }

    /// [`Self::finish_registration`] for the signed-in person, with the audit row of the new
    /// passkey in the same transaction.
    pub async fn add(
        &self,
        db: &impl TransactionTrait,
        stamp: &Stamp,
        user_id: i32,
        name: &str,
        answer: &RegisterPublicKeyCredential,
        state: &PasskeyRegistration,
    ) -> Result<Result<PasskeySummary, PasskeyRefusal>, DomainError> {
        let txn = db.begin().await?;
        let added = self
            .finish_registration(&txn, stamp.at, user_id, name, answer, state)
            .await?;
        if let Ok(passkey) = &added {
            stamp
                .record(
                    &txn,
                    AuditAction::PasskeyAdded,
                    format!("user:{user_id}"),
                    Some(format!("passkey {}", passkey.id)),
                )
                .await?;
        }
        txn.commit().await?;
        Ok(added)
    }

    /// [`Self::finish_sign_in`] with its audit row: the sign-in, or the refusal and why, in the
    /// same transaction as the stored counter.
    pub async fn sign_in(
        &self,
        db: &impl TransactionTrait,
        stamp: &Stamp,
        answer: &PublicKeyCredential,
        state: DiscoverableAuthentication,
    ) -> Result<Result<i32, PasskeyRefusal>, DomainError> {
        let txn = db.begin().await?;
        let outcome = self.finish_sign_in(&txn, stamp.at, answer, state).await?;
        match &outcome {
            Ok(user_id) => {
                Stamp {
                    by: Some(*user_id),
                    ..stamp.clone()
                }
                .record(
                    &txn,
                    AuditAction::SignedIn,
                    format!("user:{user_id}"),
                    Some("passkey".to_owned()),
                )
                .await?;
            }
            Err(refusal) => {
                let detail = match refusal {
                    PasskeyRefusal::CounterRegression => {
                        "passkey signature counter went backwards (possibly a cloned key)"
                            .to_owned()
                    }
                    PasskeyRefusal::UnknownCredential => "passkey not registered here".to_owned(),
                    PasskeyRefusal::AlreadyRegistered => "passkey already registered".to_owned(),
                    PasskeyRefusal::NotVerified(e) => format!("passkey not verified: {e}"),
                };
                tracing::info!(%detail, "passkey sign-in refused");
                stamp
                    .record(
                        &txn,
                        AuditAction::SignInFailed,
                        "passkey".to_owned(),
                        Some(detail),
                    )
                    .await?;
            }
        }
        txn.commit().await?;
        Ok(outcome)
    }

    /// Starts a sign-in with any passkey of this site. `conditional`: the browser offers it in
    /// the e-mail field's autofill rather than in a dialog.
    pub fn start_sign_in(
        &self,
        conditional: bool,
    ) -> Result<(RequestChallengeResponse, DiscoverableAuthentication), DomainError> {
        let (mut challenge, state) = self
            .webauthn
            .start_discoverable_authentication()
            .map_err(internal)?;
        challenge.mediation = conditional.then_some(Mediation::Conditional);
        Ok((challenge, state))
    }

    /// Verifies a sign-in answer; returns the person's id. The counter and last use are stored.
    pub async fn finish_sign_in(
        &self,
        db: &impl ConnectionTrait,
        now: DateTime<Utc>,
        answer: &PublicKeyCredential,
        state: DiscoverableAuthentication,
    ) -> Result<Result<i32, PasskeyRefusal>, DomainError> {
        let (handle, credential_id) =
            match self.webauthn.identify_discoverable_authentication(answer) {
                Ok(found) => found,
                Err(e) => return Ok(Err(PasskeyRefusal::NotVerified(e))),
            };
        let Some(person) = user::Entity::find()
            .filter(user::Column::WebauthnHandle.eq(handle.to_string()))
            .filter(user::Column::DisabledAt.is_null())
            .one(db)
            .await?
        else {
            return Ok(Err(PasskeyRefusal::UnknownCredential));
        };
        let Some(row) = entity::Entity::find()
            .filter(entity::Column::CredentialId.eq(credential_key(credential_id)))
            .filter(entity::Column::UserId.eq(person.id))
            .one(db)
            .await?
        else {
            return Ok(Err(PasskeyRefusal::UnknownCredential));
        };
        let mut passkey: Passkey = serde_json::from_str(&row.credential).map_err(internal)?;
        let result = match self
            .webauthn
            .finish_discoverable_authentication_v2(answer, state, &passkey)
        {
            Ok(result) => result,
            Err(WebauthnError::CredentialPossibleCompromise) => {
                return Ok(Err(PasskeyRefusal::CounterRegression))
            }
            Err(e) => return Ok(Err(PasskeyRefusal::NotVerified(e))),
        };
        if !result.user_verified() {
            return Ok(Err(PasskeyRefusal::NotVerified(
                WebauthnError::UserNotVerified,
            )));
        }
        passkey.update_credential(&result);
        let mut update: entity::ActiveModel = row.into();
        update.credential = Set(serde_json::to_string(&passkey).map_err(internal)?);
        update.last_used_at = Set(Some(now));
        update.update(db).await?;
        Ok(Ok(person.id))
    }
}

impl Passkeys {
    /// Starts a confirmation with one of `user_id`'s passkeys (e.g. to use a reset link).
    /// `None` when the person has no passkey.
    pub async fn start_confirmation(
        &self,
        db: &impl ConnectionTrait,
        user_id: i32,
    ) -> Result<Option<(RequestChallengeResponse, PasskeyAuthentication)>, DomainError> {
        let keys = keys_of(db, user_id).await?;
        if keys.is_empty() {
            return Ok(None);
        }
        self.webauthn
            .start_passkey_authentication(&keys)
            .map(Some)
            .map_err(internal)
    }

    /// Verifies the confirmation; the key must be one of `user_id`'s. Updates the counter.
    pub async fn finish_confirmation(
        &self,
        db: &impl ConnectionTrait,
        now: DateTime<Utc>,
        user_id: i32,
        answer: &PublicKeyCredential,
        state: &PasskeyAuthentication,
    ) -> Result<Result<(), PasskeyRefusal>, DomainError> {
        let result = match self.webauthn.finish_passkey_authentication(answer, state) {
            Ok(result) => result,
            Err(WebauthnError::CredentialPossibleCompromise) => {
                return Ok(Err(PasskeyRefusal::CounterRegression))
            }
            Err(e) => return Ok(Err(PasskeyRefusal::NotVerified(e))),
        };
        let Some(row) = entity::Entity::find()
            .filter(entity::Column::CredentialId.eq(credential_key(result.cred_id())))
            .filter(entity::Column::UserId.eq(user_id))
            .one(db)
            .await?
        else {
            return Ok(Err(PasskeyRefusal::UnknownCredential));
        };
        let mut passkey: Passkey = serde_json::from_str(&row.credential).map_err(internal)?;
        passkey.update_credential(&result);
        let mut update: entity::ActiveModel = row.into();
        update.credential = Set(serde_json::to_string(&passkey).map_err(internal)?);
        update.last_used_at = Set(Some(now));
        update.update(db).await?;
        Ok(Ok(()))
    }
}

/// The random WebAuthn user handle of a person, created at their first passkey.
async fn user_handle(db: &impl ConnectionTrait, person: &user::Model) -> Result<Uuid, DomainError> {
    if let Some(handle) = person
        .webauthn_handle
        .as_deref()
        .and_then(|h| Uuid::parse_str(h).ok())
    {
        return Ok(handle);
    }
    let handle = Uuid::new_v4();
    let mut row: user::ActiveModel = person.clone().into();
    row.webauthn_handle = Set(Some(handle.to_string()));
    row.update(db).await?;
    Ok(handle)
}

async fn keys_of(db: &impl ConnectionTrait, user_id: i32) -> Result<Vec<Passkey>, DomainError> {
    entity::Entity::find()
        .filter(entity::Column::UserId.eq(user_id))
        .all(db)
        .await?
        .into_iter()
        .map(|row| serde_json::from_str(&row.credential).map_err(internal))
        .collect()
}

fn clean_name(name: &str) -> Result<String, DomainError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(DomainError::invalid(
            "name",
            "Give the passkey a name, e.g. \"My phone\".",
        ));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(DomainError::invalid(
            "name",
            format!("Use at most {MAX_NAME_CHARS} characters."),
        ));
    }
    Ok(name.to_owned())
}

fn summary(row: entity::Model) -> PasskeySummary {
    PasskeySummary {
        id: row.id,
        name: row.name,
        created_at: row.created_at,
        last_used_at: row.last_used_at,
    }
}

/// A person's passkeys, newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    user_id: i32,
) -> Result<Vec<PasskeySummary>, DomainError> {
    Ok(entity::Entity::find()
        .filter(entity::Column::UserId.eq(user_id))
        .order_by_desc(entity::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(summary)
        .collect())
}

/// Renames one of the person's passkeys; another person's id is "not found".
pub async fn rename(
    db: &impl TransactionTrait,
    stamp: &Stamp,
    user_id: i32,
    passkey_id: i32,
    name: &str,
) -> Result<(), DomainError> {
    let name = clean_name(name)?;
    let txn = db.begin().await?;
    let row = own(&txn, user_id, passkey_id).await?;
    let mut update: entity::ActiveModel = row.into();
    update.name = Set(name);
    update.update(&txn).await?;
    stamp
        .record(
            &txn,
            AuditAction::PasskeyRenamed,
            format!("user:{user_id}"),
            Some(format!("passkey {passkey_id}")),
        )
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Removes one of the person's passkeys, unless it is their last way to sign in.
pub async fn remove(
    db: &impl TransactionTrait,
    stamp: &Stamp,
    user_id: i32,
    passkey_id: i32,
) -> Result<(), DomainError> {
    let txn = db.begin().await?;
    let row = own(&txn, user_id, passkey_id).await?;
    if sign_in_methods(&txn, user_id).await? <= 1 {
        return Err(DomainError::Conflict(
            "This is your only way to sign in. Add another passkey, or a password with an \
             authenticator app, before removing it."
                .into(),
        ));
    }
    entity::Entity::delete_by_id(row.id).exec(&txn).await?;
    stamp
        .record(
            &txn,
            AuditAction::PasskeyRemoved,
            format!("user:{user_id}"),
            Some(format!("passkey {passkey_id}")),
        )
        .await?;
    txn.commit().await?;
    Ok(())
}

/// How many independent ways the person has to sign in: each passkey, and password + TOTP.
pub async fn sign_in_methods(db: &impl ConnectionTrait, user_id: i32) -> Result<u64, DomainError> {
    let passkeys = entity::Entity::find()
        .filter(entity::Column::UserId.eq(user_id))
        .count(db)
        .await?;
    let password = password_credential::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .is_some();
    let totp = totp_credential::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .is_some_and(|t| t.confirmed_at.is_some());
    Ok(passkeys + u64::from(password && totp))
}

async fn own(
    db: &impl ConnectionTrait,
    user_id: i32,
    passkey_id: i32,
) -> Result<entity::Model, DomainError> {
    entity::Entity::find_by_id(passkey_id)
        .filter(entity::Column::UserId.eq(user_id))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("passkey"))
}
