//! Jobs: one move for one customer, from request to payment.

pub mod crew_assignment;
pub mod entity;

pub use entity::{JobStatus, Model as Job};
