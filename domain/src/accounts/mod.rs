//! People who sign in: staff with a role, and customer contacts with a scope on an account.

pub mod contact;
pub mod user;

pub use contact::ContactScope;
pub use user::StaffRole;
