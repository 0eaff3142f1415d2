//! Customer accounts: the households and businesses a company moves.

pub mod entity;

pub use entity::{CustomerKind, Model as Customer};
