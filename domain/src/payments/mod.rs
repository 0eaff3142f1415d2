//! Paying an invoice online, exactly once per payment.
//!
//! A customer (owner or payer contact) starts an *attempt*: a row here first, claiming the
//! invoice's one open slot, then a payment at the provider for the outstanding balance. From
//! then on Portico only believes what the provider says when asked ([`refresh`]): the webhook's
//! body is an id and nothing more, the redirect back is only a page to show, and a
//! reconciliation ([`reconcile`]) asks again about attempts that went quiet, so a lost webhook
//! never leaves an invoice unpaid here.
//!
//! "Exactly once" rests on the schema: the first statement of [`apply`] writes the attempt's
//! row (PostgreSQL holds its row lock, SQLite its write lock, until commit), so concurrent
//! webhooks about one payment are dealt with one after the other; only the one that finds the
//! attempt unsettled books, and `payment.attempt_id` is unique besides.
//!
//! What a provider's `paid` books: the amount it reports, in the currency asked for, up to
//! what is still open on the invoice. Another amount or currency than asked is a *mismatch*:
//! flagged to the office, not booked. More than is still open (the office booked a transfer
//! meanwhile) books what was open and flags the rest to be refunded. A refund made in the
//! provider's dashboard shows on the attempt.

pub mod entity;
pub mod mollie;
pub mod provider;
pub mod test_mode;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, TransactionSession, TransactionTrait,
};

pub use entity::{AttemptStatus, Model as Attempt, ProviderName};
pub use provider::{NewPayment, PaymentProvider, ProviderError, ProviderPayment};

use crate::{
    audit::{AuditAction, Stamp},
    invoices::{self, Invoice, PaymentMethod},
    live::{self, LiveKind, News},
    money::format_euros,
    policy::{self, Action, Actor, Decision},
    DomainError,
};

/// The only currency Portico invoices in.
pub const CURRENCY: &str = "EUR";

/// An attempt still `creating` this long after it began lost its provider call (a crash, a
/// time-out): it is given up so the customer can try again.
pub const STALE_START: Duration = Duration::minutes(2);

/// The reconciliation asks the provider about an open attempt not heard of for this long.
pub const QUIET: Duration = Duration::minutes(2);

/// The return page asks the provider itself when it has heard nothing for this long.
pub const LATE_WEBHOOK: Duration = Duration::seconds(3);

/// The payment provider this installation uses, with the addresses it gives the provider.
#[derive(Clone)]
pub struct Payments {
    pub provider: std::sync::Arc<dyn PaymentProvider>,
    /// The portal's public address, without a trailing slash.
    pub public_url: String,
    /// `…/payments/webhook`, or none when the provider could not reach it (a real Mollie and a
    /// `localhost` address): the return page and the reconciliation ask instead.
    pub webhook_url: Option<String>,
}

impl Payments {
    pub fn new(
        provider: std::sync::Arc<dyn PaymentProvider>,
        public_url: &str,
        webhook: bool,
    ) -> Self {
        let public_url = public_url.trim_end_matches('/').to_owned();
        Self {
            webhook_url: webhook.then(|| format!("{public_url}{WEBHOOK_PATH}")),
            provider,
            public_url,
        }
    }

    /// Payments go to Portico's own test checkout: no money moves.
    pub fn test_mode(&self) -> bool {
        self.provider.name() == ProviderName::Test
    }
}

/// Where providers report changes (`POST`, form field `id`).
pub const WEBHOOK_PATH: &str = "/payments/webhook";

/// Where to send the customer to pay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkout {
    pub attempt_id: i32,
    pub checkout_url: String,
}

/// What [`apply`] did, for the caller's mail and log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub attempt: Attempt,
    /// This call booked the payment (the receipt goes out once, from here).
    pub booked: bool,
}

fn unavailable(error: ProviderError) -> DomainError {
    match error {
        ProviderError::Unknown => DomainError::NotFound("payment"),
        ProviderError::Unavailable(why) => DomainError::ProviderUnavailable(why),
        ProviderError::Refused(why) => DomainError::Internal(format!("payment provider: {why}")),
    }
}

pub async fn find(db: &impl ConnectionTrait, attempt_id: i32) -> Result<Attempt, DomainError> {
    entity::Entity::find_by_id(attempt_id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("payment"))
}

/// An invoice `actor` may pay: another customer's is `NotFound`, one they may only read (a
/// viewer) or that is not theirs to pay (staff) is `Forbidden`.
pub async fn invoice_to_pay(
    db: &impl ConnectionTrait,
    actor: &Actor,
    invoice_id: i32,
) -> Result<Invoice, DomainError> {
    if matches!(actor, Actor::Anonymous) {
        return Err(DomainError::Denied(Decision::Unauthenticated));
    }
    let invoice = invoices::find(db, invoice_id).await?;
    match policy::can(
        actor,
        Action::PayInvoice {
            customer_id: invoice.customer_id,
        },
    ) {
        Decision::Allow => Ok(invoice),
        refused => Err(DomainError::Denied(refused)),
    }
}

/// An attempt on an invoice `actor` may see (the customer's owner and payer, the office).
pub async fn attempt_for(
    db: &impl ConnectionTrait,
    actor: &Actor,
    attempt_id: i32,
) -> Result<Attempt, DomainError> {
    if matches!(actor, Actor::Anonymous) {
        return Err(DomainError::Denied(Decision::Unauthenticated));
    }
    let attempt = find(db, attempt_id).await?;
    let invoice = invoices::find(db, attempt.invoice_id).await?;
    match policy::can(
        actor,
        Action::ViewInvoices {
            customer_id: invoice.customer_id,
        },
    ) {
        Decision::Allow => Ok(attempt),
        refused => Err(DomainError::Denied(refused)),
    }
}

pub async fn by_provider_id(
    db: &impl ConnectionTrait,
    provider_id: &str,
) -> Result<Option<Attempt>, DomainError> {
    Ok(entity::Entity::find()
        .filter(entity::Column::ProviderId.eq(provider_id))
        .one(db)
        .await?)
}

/// Attempts flagged to the office (an amount that did not match, money paid twice) that ended
/// since `since`, newest first, with their invoices.
pub async fn flagged_since(
    db: &impl ConnectionTrait,
    since: DateTime<Utc>,
) -> Result<Vec<(Attempt, Invoice)>, DomainError> {
    let flagged = entity::Entity::find()
        .filter(entity::Column::Problem.is_not_null())
        .filter(entity::Column::SettledAt.gte(since))
        .order_by_desc(entity::Column::Id)
        .all(db)
        .await?;
    // One query for their invoices, not one per attempt.
    let invoices = invoices::entity::Entity::find()
        .filter(invoices::entity::Column::Id.is_in(flagged.iter().map(|a| a.invoice_id)))
        .all(db)
        .await?;
    Ok(flagged
        .into_iter()
        .filter_map(|attempt| {
            let invoice = invoices
                .iter()
                .find(|i| i.id == attempt.invoice_id)?
                .clone();
            Some((attempt, invoice))
        })
        .collect())
}

/// Every attempt on an invoice, newest first.
pub async fn for_invoice(
    db: &impl ConnectionTrait,
    invoice_id: i32,
) -> Result<Vec<Attempt>, DomainError> {
    Ok(entity::Entity::find()
        .filter(entity::Column::InvoiceId.eq(invoice_id))
        .order_by_desc(entity::Column::Id)
        .all(db)
        .await?)
}

/// The attempts on several invoices, newest first (one query for a page of invoices).
pub async fn for_invoices(
    db: &impl ConnectionTrait,
    invoice_ids: &[i32],
) -> Result<Vec<Attempt>, DomainError> {
    if invoice_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(entity::Entity::find()
        .filter(entity::Column::InvoiceId.is_in(invoice_ids.iter().copied()))
        .order_by_desc(entity::Column::Id)
        .all(db)
        .await?)
}

async fn open_on(
    db: &impl ConnectionTrait,
    invoice_id: i32,
) -> Result<Option<Attempt>, DomainError> {
    Ok(entity::Entity::find()
        .filter(entity::Column::OpenInvoiceId.eq(invoice_id))
        .one(db)
        .await?)
}

/// Starts paying what is still open on `invoice_id` and answers where the customer pays. An
/// attempt the provider still holds open is reused (one open attempt per invoice); one being
/// confirmed by the bank is a conflict. `redirect` makes the return address for an attempt id.
pub async fn start<C>(
    db: &C,
    provider: &dyn PaymentProvider,
    stamp: &Stamp,
    invoice_id: i32,
    redirect: &(dyn Fn(i32) -> String + Sync),
    webhook_url: Option<&str>,
) -> Result<Checkout, DomainError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let invoice = invoices::find(db, invoice_id).await?;
    if !invoice.takes_payments() || invoice.outstanding_cents() <= 0 {
        return Err(DomainError::Conflict(format!(
            "This invoice is {}: there is nothing to pay.",
            invoice.status.label()
        )));
    }
    if let Some(open) = open_on(db, invoice_id).await? {
        let open = if open.status == AttemptStatus::Creating {
            if stamp.at - open.created_at < STALE_START {
                return Err(DomainError::Conflict(
                    "This payment is being started. Try again in a moment.".to_owned(),
                ));
            }
            give_up(db, stamp, open.id, "The provider did not answer in time.").await?
        } else if open.provider == provider.name() {
            refresh(db, provider, stamp, open).await?.attempt
        } else {
            // Left by a provider no longer configured: it cannot be paid any more.
            give_up(db, stamp, open.id, "Made with another payment provider.").await?
        };
        match open.status {
            AttemptStatus::Open => {
                if let Some(checkout_url) = open.checkout_url.clone() {
                    return Ok(Checkout {
                        attempt_id: open.id,
                        checkout_url,
                    });
                }
            }
            AttemptStatus::Pending | AttemptStatus::Authorized => {
                return Err(DomainError::Conflict(
                    "Your bank is still confirming the last payment; it shows here as soon as \
                     it does."
                        .to_owned(),
                ));
            }
            AttemptStatus::Paid => {
                return Err(DomainError::Conflict(
                    "This invoice was just paid.".to_owned(),
                ));
            }
            _ => {}
        }
    }
    let invoice = invoices::find(db, invoice_id).await?;
    let amount_cents = invoice.outstanding_cents();
    if !invoice.takes_payments() || amount_cents <= 0 {
        return Err(DomainError::Conflict(
            "This invoice was just paid.".to_owned(),
        ));
    }
    // Claim the invoice's one open slot before leaving for the provider.
    let claimed = entity::ActiveModel {
        invoice_id: Set(invoice_id),
        provider: Set(provider.name()),
        provider_id: Set(None),
        open_invoice_id: Set(Some(invoice_id)),
        status: Set(AttemptStatus::Creating),
        amount_cents: Set(amount_cents),
        currency: Set(CURRENCY.to_owned()),
        method: Set(None),
        checkout_url: Set(None),
        started_by: Set(stamp.by),
        created_at: Set(stamp.at),
        updated_at: Set(stamp.at),
        checked_at: Set(stamp.at),
        settled_at: Set(None),
        refunded_cents: Set(0),
        problem: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(DomainError::from)?;
    let asked = NewPayment {
        amount_cents,
        currency: CURRENCY.to_owned(),
        description: format!("Invoice {}", invoice.number.clone().unwrap_or_default()),
        redirect_url: redirect(claimed.id),
        webhook_url: webhook_url.map(str::to_owned),
        invoice_id,
        attempt_id: claimed.id,
    };
    let created = match provider.create(&asked).await {
        Ok(created) => created,
        Err(error) => {
            tracing::warn!(attempt = claimed.id, %error, "payment could not be started");
            give_up(db, stamp, claimed.id, "The provider did not start it.").await?;
            return Err(unavailable(error));
        }
    };
    let Some(checkout_url) = created.checkout_url.clone() else {
        give_up(db, stamp, claimed.id, "The provider gave no checkout.").await?;
        return Err(DomainError::Internal(
            "payment provider: a new payment without a checkout link".to_owned(),
        ));
    };
    let txn = db.begin().await?;
    let mut active = claimed.clone().into_active_model();
    active.provider_id = Set(Some(created.id.clone()));
    active.status = Set(AttemptStatus::Open);
    active.checkout_url = Set(Some(checkout_url.clone()));
    active.method = Set(created.method.clone());
    active.updated_at = Set(stamp.at);
    active.checked_at = Set(stamp.at);
    let attempt = active.update(&txn).await?;
    stamp
        .record(
            &txn,
            AuditAction::PaymentStarted,
            format!("invoice:{invoice_id}"),
            Some(format!(
                "{} at {} ({})",
                format_euros(amount_cents),
                provider.name().label(),
                created.id
            )),
        )
        .await?;
    announce(&txn, stamp, &invoice).await?;
    live::commit(txn).await?;
    Ok(Checkout {
        attempt_id: attempt.id,
        checkout_url,
    })
}

/// Ends an attempt that can no longer be paid through Portico and frees the invoice's slot.
async fn give_up<C>(
    db: &C,
    stamp: &Stamp,
    attempt_id: i32,
    why: &str,
) -> Result<Attempt, DomainError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let txn = db.begin().await?;
    entity::Entity::update_many()
        .col_expr(
            entity::Column::Status,
            Expr::value(AttemptStatus::Failed.code()),
        )
        .col_expr(
            entity::Column::OpenInvoiceId,
            Expr::value(Option::<i32>::None),
        )
        .col_expr(entity::Column::Problem, Expr::value(why))
        .col_expr(entity::Column::UpdatedAt, Expr::value(stamp.at))
        .filter(entity::Column::Id.eq(attempt_id))
        .filter(entity::Column::Status.eq(AttemptStatus::Creating.code()))
        .exec(&txn)
        .await?;
    let attempt = find(&txn, attempt_id).await?;
    txn.commit().await?;
    Ok(attempt)
}

/// Asks the provider how the attempt stands and applies the answer.
pub async fn refresh<C>(
    db: &C,
    provider: &dyn PaymentProvider,
    stamp: &Stamp,
    attempt: Attempt,
) -> Result<Applied, DomainError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let Some(provider_id) = attempt.provider_id.clone() else {
        return Ok(Applied {
            attempt,
            booked: false,
        });
    };
    if attempt.provider != provider.name() {
        return Ok(Applied {
            attempt,
            booked: false,
        });
    }
    let reported = provider.get(&provider_id).await.map_err(unavailable)?;
    apply(db, stamp, attempt.id, &reported).await
}

/// The webhook: the provider says "something changed about `provider_id`". An id Portico
/// did not create is ignored (`Ok(None)`); anything else is asked of the provider.
pub async fn on_webhook<C>(
    db: &C,
    provider: &dyn PaymentProvider,
    stamp: &Stamp,
    provider_id: &str,
) -> Result<Option<Applied>, DomainError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let Some(attempt) = by_provider_id(db, provider_id).await? else {
        return Ok(None);
    };
    refresh(db, provider, stamp, attempt).await.map(Some)
}

/// The return page: the attempt as it stands, asking the provider itself when nothing was
/// heard for [`LATE_WEBHOOK`] while it is still open.
pub async fn check<C>(
    db: &C,
    provider: &dyn PaymentProvider,
    stamp: &Stamp,
    attempt: Attempt,
) -> Result<Applied, DomainError>
where
    C: ConnectionTrait + TransactionTrait,
{
    if attempt.status.is_open() && stamp.at - attempt.checked_at >= LATE_WEBHOOK {
        refresh(db, provider, stamp, attempt).await
    } else {
        Ok(Applied {
            attempt,
            booked: false,
        })
    }
}

/// Open attempts not heard of for [`QUIET`] are asked about again; starts that never got an
/// answer are given up. Answers the attempts that booked a payment (for their receipts).
pub async fn reconcile<C>(
    db: &C,
    provider: &dyn PaymentProvider,
    now: DateTime<Utc>,
) -> Result<Vec<Attempt>, DomainError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let stamp = Stamp::system(now);
    let stale = entity::Entity::find()
        .filter(entity::Column::OpenInvoiceId.is_not_null())
        .filter(entity::Column::CheckedAt.lt(now - QUIET))
        .order_by_asc(entity::Column::Id)
        .all(db)
        .await?;
    let mut booked = Vec::new();
    for attempt in stale {
        if attempt.status == AttemptStatus::Creating {
            if now - attempt.created_at >= STALE_START {
                give_up(
                    db,
                    &stamp,
                    attempt.id,
                    "The provider did not answer in time.",
                )
                .await?;
            }
            continue;
        }
        match refresh(db, provider, &stamp, attempt).await {
            Ok(applied) if applied.booked => booked.push(applied.attempt),
            Ok(_) => {}
            // One provider hiccup must not stop the others; the next round asks again.
            Err(error) => tracing::warn!(%error, "payment reconciliation"),
        }
    }
    Ok(booked)
}

/// Whether the provider's new word may replace the one Portico holds. Answers can arrive out
/// of order (two webhooks, the return page), so a status never goes back: open, then pending
/// or authorized, then one final word that stays.
fn moves_on(from: AttemptStatus, to: AttemptStatus) -> bool {
    fn rank(status: AttemptStatus) -> u8 {
        match status {
            AttemptStatus::Creating => 0,
            AttemptStatus::Open => 1,
            AttemptStatus::Pending => 2,
            AttemptStatus::Authorized => 3,
            AttemptStatus::Paid
            | AttemptStatus::Canceled
            | AttemptStatus::Expired
            | AttemptStatus::Failed => 4,
        }
    }
    rank(to) > rank(from) || (from == to)
}

fn method_of(provider: ProviderName, method: Option<&str>) -> PaymentMethod {
    match (provider, method) {
        (ProviderName::Test, _) => PaymentMethod::Test,
        (_, Some("ideal")) => PaymentMethod::Ideal,
        (_, Some("creditcard")) => PaymentMethod::Card,
        (_, Some("banktransfer")) => PaymentMethod::BankTransfer,
        _ => PaymentMethod::Online,
    }
}

/// Applies what the provider reported about an attempt, once: the status (never backwards),
/// the method, refunds, and on `paid` the booking or the flag.
pub async fn apply<C>(
    db: &C,
    stamp: &Stamp,
    attempt_id: i32,
    reported: &ProviderPayment,
) -> Result<Applied, DomainError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let txn = db.begin().await?;
    // Write first: concurrent answers about this attempt wait here for each other.
    entity::Entity::update_many()
        .col_expr(entity::Column::CheckedAt, Expr::value(stamp.at))
        .filter(entity::Column::Id.eq(attempt_id))
        .exec(&txn)
        .await?;
    let before = find(&txn, attempt_id).await?;
    if before.provider_id.as_deref() != Some(reported.id.as_str()) {
        return Err(DomainError::Internal(format!(
            "payment {attempt_id}: the provider answered about another payment"
        )));
    }
    let invoice = invoices::find(&txn, before.invoice_id).await?;
    let mut active = before.clone().into_active_model();
    let mut changed = false;
    let mut booked = false;
    let mut notes: Vec<String> = Vec::new();
    if reported.status != before.status {
        if moves_on(before.status, reported.status) {
            active.status = Set(reported.status);
            notes.push(format!("now {}", reported.status.code()));
            changed = true;
            if !reported.status.is_open() {
                active.open_invoice_id = Set(None);
            }
        } else {
            tracing::info!(
                attempt = attempt_id,
                from = before.status.code(),
                to = reported.status.code(),
                "a late answer from the provider is ignored"
            );
        }
    }
    if reported.method.is_some() && reported.method != before.method {
        active.method = Set(reported.method.clone());
        changed = true;
    }
    if reported.refunded_cents > before.refunded_cents {
        active.refunded_cents = Set(reported.refunded_cents);
        notes.push(format!(
            "{} refunded at the provider",
            format_euros(reported.refunded_cents - before.refunded_cents)
        ));
        changed = true;
    }
    if reported.status == AttemptStatus::Paid && before.settled_at.is_none() {
        active.settled_at = Set(Some(stamp.at));
        changed = true;
        let problem = if reported.currency != before.currency
            || reported.amount_cents != before.amount_cents
        {
            Some(format!(
                "The provider reports {} {}, not the {} {} asked for: nothing was booked. Check \
                 the payment at the provider.",
                provider::decimal(reported.amount_cents),
                reported.currency,
                provider::decimal(before.amount_cents),
                before.currency
            ))
        } else {
            let open = if invoice.takes_payments() {
                invoice.outstanding_cents().max(0)
            } else {
                0
            };
            let to_book = reported.amount_cents.min(open);
            if to_book > 0 {
                invoices::book(
                    &txn,
                    stamp,
                    invoice.id,
                    to_book,
                    method_of(before.provider, reported.method.as_deref()),
                    &reported.id,
                    Some(before.id),
                )
                .await?;
                booked = true;
            }
            (reported.amount_cents > to_book).then(|| {
                format!(
                    "{} more was paid than was still open: refund it at the provider.",
                    format_euros(reported.amount_cents - to_book)
                )
            })
        };
        if let Some(problem) = problem {
            notes.push(problem.clone());
            active.problem = Set(Some(problem));
        }
    }
    if !changed {
        // Only `checked_at` moved.
        txn.commit().await?;
        return Ok(Applied {
            attempt: Attempt {
                checked_at: stamp.at,
                ..before
            },
            booked: false,
        });
    }
    active.updated_at = Set(stamp.at);
    let attempt = active.update(&txn).await?;
    if !notes.is_empty() {
        stamp
            .record(
                &txn,
                AuditAction::PaymentUpdated,
                format!("invoice:{}", invoice.id),
                Some(format!("{}: {}", reported.id, notes.join("; "))),
            )
            .await?;
    }
    announce(&txn, stamp, &invoice).await?;
    live::commit(txn).await?;
    Ok(Applied { attempt, booked })
}

async fn announce(
    txn: &impl ConnectionTrait,
    stamp: &Stamp,
    invoice: &Invoice,
) -> Result<(), DomainError> {
    live::publish(
        txn,
        stamp.at,
        News::money(
            LiveKind::PaymentUpdated,
            invoice.customer_id,
            invoice.job_id,
        ),
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_never_goes_back_and_a_final_word_stays() {
        use AttemptStatus::*;
        assert!(moves_on(Open, Pending));
        assert!(moves_on(Pending, Paid));
        assert!(moves_on(Open, Failed));
        assert!(moves_on(Paid, Paid));
        assert!(!moves_on(Paid, Open));
        assert!(!moves_on(Pending, Open));
        assert!(!moves_on(Paid, Failed));
        assert!(!moves_on(Canceled, Paid));
    }
}
