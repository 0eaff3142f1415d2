//! Progressive lockout per account: each failed sign-in makes the next attempt wait longer,
//! and after [`LOCK_AFTER_FAILURES`] the account is locked until [`LOCK_DURATION`] has passed
//! or staff release it. A successful sign-in clears the count.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    sea_query::{Expr, ExprTrait, OnConflict, Query},
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};

use super::sign_in_throttle as throttle;
use crate::DomainError;

/// Failures after which the account is locked rather than merely slowed down.
pub const LOCK_AFTER_FAILURES: i32 = 10;
/// How long a lock lasts unless staff release it earlier.
pub const LOCK_DURATION: Duration = Duration::hours(1);

/// The wait after the n-th consecutive failure (1-based).
pub fn delay_after(failures: i32) -> Duration {
    match failures {
        i32::MIN..=0 => Duration::zero(),
        1 => Duration::seconds(1),
        2 => Duration::seconds(3),
        3 => Duration::seconds(5),
        4 => Duration::seconds(10),
        5 => Duration::seconds(30),
        6 => Duration::minutes(1),
        7 => Duration::minutes(2),
        8 => Duration::minutes(5),
        9 => Duration::minutes(10),
        _ => LOCK_DURATION,
    }
}

/// `Some(until)` while the account may not try again.
pub async fn blocked_until(
    db: &impl ConnectionTrait,
    user_id: i32,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, DomainError> {
    Ok(throttle::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .and_then(|row| row.blocked_until)
        .filter(|until| *until > now))
}

/// Counts one more failure and returns the new count. One statement (insert, or add one on
/// conflict) so that concurrent failures are all counted and two first failures at once do not
/// collide on the key; the wait then follows the count that this failure made.
pub async fn record_failure(
    db: &impl ConnectionTrait,
    user_id: i32,
    now: DateTime<Utc>,
) -> Result<i32, DomainError> {
    use throttle::Column;
    let mut count = Query::insert();
    count
        .into_table(throttle::Entity)
        .columns([
            Column::UserId,
            Column::Failures,
            Column::LastFailureAt,
            Column::BlockedUntil,
        ])
        .values([
            user_id.into(),
            1.into(),
            now.into(),
            Some(now + delay_after(1)).into(),
        ])
        .map_err(|e| DomainError::Internal(e.to_string()))?
        .on_conflict(
            OnConflict::column(Column::UserId)
                .value(
                    Column::Failures,
                    Expr::col((throttle::Entity, Column::Failures)).add(1),
                )
                .value(Column::LastFailureAt, now)
                .to_owned(),
        )
        .returning_col(Column::Failures);
    let row = db
        .query_one(&count)
        .await?
        .ok_or_else(|| DomainError::Internal("the throttle row is missing".into()))?;
    let failures = row.try_get::<i32>("", "failures")?;
    // Only while no later failure has counted: the highest count sets the wait.
    throttle::Entity::update_many()
        .col_expr(
            Column::BlockedUntil,
            Expr::value(Some(now + delay_after(failures))),
        )
        .filter(Column::UserId.eq(user_id))
        .filter(Column::Failures.eq(failures))
        .exec(db)
        .await?;
    Ok(failures)
}

/// After a success, or when staff release a lock.
pub async fn clear(db: &impl ConnectionTrait, user_id: i32) -> Result<(), DomainError> {
    throttle::Entity::delete_by_id(user_id).exec(db).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_then_lock() {
        let delays: Vec<i64> = (1..=10).map(|n| delay_after(n).num_seconds()).collect();
        assert_eq!(delays, vec![1, 3, 5, 10, 30, 60, 120, 300, 600, 3600]);
        assert!(delays.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(delay_after(25), LOCK_DURATION);
    }
}
