//! Pages, one module each.

mod home;
mod not_found;

pub use home::HomePage;
pub use not_found::NotFound;
