//! What an admin does to other people's accounts: change a colleague's role, disable an
//! account, release a lockout. Each is audited. (The users page arrives with the staff
//! workspace; these are its server functions.)

use leptos::prelude::*;

use crate::PorticoError;

#[cfg(feature = "ssr")]
async fn audited(
    actor: &portico_domain::policy::Actor,
    action: portico_domain::audit::AuditAction,
    user_id: i32,
    detail: Option<String>,
) -> Result<(), PorticoError> {
    use portico_domain::audit::{self, AuditEntry};

    use crate::server::{accounts, db, request_origin};

    audit::record(
        &db()?,
        accounts()?.clock.now(),
        AuditEntry {
            actor_user_id: actor.user_id(),
            action,
            subject: format!("user:{user_id}"),
            origin: &request_origin(),
            detail,
        },
    )
    .await?;
    Ok(())
}

/// Changes a colleague's role (`admin`, `office` or `crew`); their sessions end.
#[server(name = ChangeRole, prefix = "/api", endpoint = "accounts/change_role")]
pub async fn change_role(user_id: i32, role: String) -> Result<(), PorticoError> {
    use portico_domain::{
        accounts::{admin, StaffRole},
        audit::AuditAction,
        policy::Action,
    };

    use crate::server::{answer, authorize, db};

    answer(async {
        let actor = authorize(Action::ManageUsers).await?;
        let role = match role.as_str() {
            "admin" => StaffRole::Admin,
            "office" => StaffRole::Office,
            "crew" => StaffRole::Crew,
            _ => {
                return Err(PorticoError::Invalid {
                    field: "role".to_owned(),
                    message: "Choose admin, office or crew.".to_owned(),
                })
            }
        };
        if actor.user_id() == Some(user_id) {
            return Err(PorticoError::Conflict(
                "You cannot change your own role.".to_owned(),
            ));
        }
        let previous = admin::change_role(&db()?, user_id, role).await?;
        audited(
            &actor,
            AuditAction::RoleChanged,
            user_id,
            Some(format!("{previous:?} → {role:?}").to_lowercase()),
        )
        .await
    })
    .await
}

/// Disables an account: no more sign-ins, and every session of theirs ends now.
#[server(name = DisableUser, prefix = "/api", endpoint = "accounts/disable_user")]
pub async fn disable_user(user_id: i32) -> Result<(), PorticoError> {
    use portico_domain::{accounts::admin, audit::AuditAction, policy::Action};

    use crate::server::{accounts, answer, authorize, db};

    answer(async {
        let actor = authorize(Action::ManageUsers).await?;
        if actor.user_id() == Some(user_id) {
            return Err(PorticoError::Conflict(
                "You cannot disable your own account.".to_owned(),
            ));
        }
        admin::disable_user(&db()?, accounts()?.clock.now(), user_id).await?;
        audited(&actor, AuditAction::UserDisabled, user_id, None).await
    })
    .await
}

/// Lifts a lockout before it runs out.
#[server(name = ReleaseLock, prefix = "/api", endpoint = "accounts/release_lock")]
pub async fn release_lock(user_id: i32) -> Result<(), PorticoError> {
    use portico_domain::{accounts::admin, audit::AuditAction, policy::Action};
    use sea_orm::EntityTrait;

    use crate::server::{answer, authorize, db};

    answer(async {
        let actor = authorize(Action::ManageUsers).await?;
        let db = db()?;
        portico_domain::accounts::user::Entity::find_by_id(user_id)
            .one(&db)
            .await
            .map_err(portico_domain::DomainError::from)?
            .ok_or(PorticoError::NotFound)?;
        admin::release_lock(&db, user_id).await?;
        audited(&actor, AuditAction::LockReleased, user_id, None).await
    })
    .await
}
