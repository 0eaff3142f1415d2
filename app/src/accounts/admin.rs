//! What an admin does to other people's accounts: change a colleague's role, disable an
//! account, release a lockout. Each is audited. (The users page arrives with the staff
//! workspace; these are its server functions.)

use leptos::prelude::*;

use crate::PorticoError;

/// Changes a colleague's role (`admin`, `office` or `crew`); their sessions end.
#[server(name = ChangeRole, prefix = "/api", endpoint = "accounts/change_role")]
pub async fn change_role(user_id: i32, role: String) -> Result<(), PorticoError> {
    use portico_domain::{
        accounts::{admin, StaffRole},
        policy::Action,
    };

    use crate::server::{authorize, db, stamp};

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
    admin::change_role(&db()?, &stamp(&actor)?, user_id, role).await?;
    Ok(())
}

/// Disables an account: no more sign-ins, and every session of theirs ends now.
#[server(name = DisableUser, prefix = "/api", endpoint = "accounts/disable_user")]
pub async fn disable_user(user_id: i32) -> Result<(), PorticoError> {
    use portico_domain::{accounts::admin, policy::Action};

    use crate::server::{authorize, db, stamp};

    let actor = authorize(Action::ManageUsers).await?;
    admin::disable_user(&db()?, &stamp(&actor)?, user_id).await?;
    Ok(())
}

/// Lifts a lockout before it runs out.
#[server(name = ReleaseLock, prefix = "/api", endpoint = "accounts/release_lock")]
pub async fn release_lock(user_id: i32) -> Result<(), PorticoError> {
    use portico_domain::{accounts::admin, policy::Action};

    use crate::server::{authorize, db, stamp};

    let actor = authorize(Action::ManageUsers).await?;
    admin::release_lock(&db()?, &stamp(&actor)?, user_id).await?;
    Ok(())
}
