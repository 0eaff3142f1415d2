//! Gap-free invoice numbers: one counter row per year, incremented inside the transaction that
//! issues the invoice. A transaction that rolls back gives its number back; two that run at
//! once are serialised by the row (PostgreSQL) or the database write lock (SQLite), so no
//! number is used twice or skipped.

use sea_orm::{
    sea_query::{Expr, ExprTrait, OnConflict, Query},
    ConnectionTrait, DeriveIden,
};

use crate::DomainError;

#[derive(DeriveIden)]
enum InvoiceCounter {
    Table,
    Year,
    LastSequence,
}

/// Takes the next number of `year`'s series. Call it inside the issuing transaction, after a
/// write (so SQLite holds the write lock from the start).
pub async fn next_sequence(txn: &impl ConnectionTrait, year: i32) -> Result<i32, DomainError> {
    let mut create = Query::insert();
    create
        .into_table(InvoiceCounter::Table)
        .columns([InvoiceCounter::Year, InvoiceCounter::LastSequence])
        .values([year.into(), 0.into()])
        .map_err(|e| DomainError::Internal(e.to_string()))?
        .on_conflict(
            OnConflict::column(InvoiceCounter::Year)
                .do_nothing()
                .to_owned(),
        );
    txn.execute(&create).await?;

    let mut bump = Query::update();
    bump.table(InvoiceCounter::Table)
        .value(
            InvoiceCounter::LastSequence,
            Expr::col(InvoiceCounter::LastSequence).add(1),
        )
        .and_where(Expr::col(InvoiceCounter::Year).eq(year))
        .returning_col(InvoiceCounter::LastSequence);
    let row = txn
        .query_one(&bump)
        .await?
        .ok_or_else(|| DomainError::Internal("the invoice counter row is missing".into()))?;
    Ok(row.try_get::<i32>("", "last_sequence")?)
}

/// The printed number: prefix, year, and the sequence padded to five digits.
pub fn format_number(prefix: &str, year: i32, sequence: i32) -> String {
    format!("{prefix}{year}-{sequence:05}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_are_prefixed_and_padded() {
        assert_eq!(super::format_number("F", 2026, 7), "F2026-00007");
        assert_eq!(super::format_number("VD-", 2027, 123456), "VD-2027-123456");
    }
}
