//! People who sign in: staff with a role, and customer contacts with a scope on an account;
//! their sign-in factors, sessions, invitations and the rules around them.

pub mod actor;
pub mod admin;
pub mod at_rest;
pub mod contact;
pub mod email_change;
pub mod factors;
pub mod invitation;
pub mod invitations;
pub mod passkey;
pub mod passkey_entity;
pub mod password;
pub mod password_change;
pub mod password_credential;
pub mod password_reset;
pub mod profile;
pub mod recovery_code;
pub mod resets;
pub mod secrets;
pub mod session;
pub mod session_entity;
pub mod set_up;
pub mod sign_in;
pub mod sign_in_throttle;
pub mod throttle;
pub mod totp;
pub mod totp_credential;
pub mod user;

pub use contact::ContactScope;
pub use user::StaffRole;
