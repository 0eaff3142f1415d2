//! The customer's own answer to a quote, in the portal: accept it (their typed name as the
//! signature, and an explicit confirmation) or decline it (with a reason). Only an owner contact
//! of the customer answers; another customer's quote, and a draft, are not there for anyone
//! else. The acceptance records who, when, from which address and browser, and the SHA-256 of
//! the frozen PDF accepted, and keeps the receipt, all in one transaction.

use sea_orm::{ConnectionTrait, DatabaseTransaction, TransactionTrait};

use super::{find, Quote, QuoteStatus};
use crate::{
    audit::Stamp,
    documents::{paperwork, Storage},
    jobs,
    policy::{self, Action, Actor, Decision},
    DomainError,
};

/// The quote, if `actor` may answer it: a contact of another customer (or of none) does not
/// find it, nor a draft; a payer or viewer, and staff, are refused.
async fn answerable(
    db: &impl ConnectionTrait,
    actor: &Actor,
    quote_id: i32,
) -> Result<Quote, DomainError> {
    // The anonymous learn nothing, not even whether the quote exists.
    if *actor == Actor::Anonymous {
        return Err(DomainError::Denied(Decision::Unauthenticated));
    }
    let quote = find(db, quote_id).await?;
    let job = jobs::find(db, quote.job_id).await?;
    let decision = policy::can(
        actor,
        Action::AcceptQuote {
            customer_id: job.customer_id,
        },
    );
    match decision {
        Decision::Allow if quote.status == QuoteStatus::Draft => {
            Err(DomainError::NotFound("quote"))
        }
        Decision::Allow => Ok(quote),
        refused => Err(DomainError::Denied(refused)),
    }
}

/// Accepts a sent quote for the signed-in owner contact.
pub async fn accept_in_portal<C>(
    db: &C,
    storage: &dyn Storage,
    actor: &Actor,
    stamp: &Stamp,
    quote_id: i32,
    signed_name: &str,
    confirmed: bool,
) -> Result<Quote, DomainError>
where
    C: ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>,
{
    let quote = answerable(db, actor, quote_id).await?;
    if !confirmed {
        return Err(DomainError::invalid(
            "confirmed",
            "Tick the box to confirm that you accept this quote.",
        ));
    }
    // A version sent before paperwork was frozen is frozen now, so that the acceptance can
    // name the bytes the customer accepted (and has downloaded, or can).
    if quote.pdf_document_id.is_none() && quote.awaits_answer() {
        paperwork::quote_pdf(db, storage, stamp, &quote).await?;
    }
    let txn = db.begin().await?;
    let accepted = super::accept(&txn, stamp, quote_id, signed_name).await?;
    let receipt = paperwork::freeze_receipt(&txn, storage, stamp, &accepted).await?;
    if let Err(e) = txn.commit().await {
        paperwork::undo(storage, &receipt).await;
        return Err(e.into());
    }
    crate::live::committed();
    Ok(Quote {
        receipt_document_id: Some(receipt.id),
        ..accepted
    })
}

/// Declines a sent quote for the signed-in owner contact, with their reason.
pub async fn decline_in_portal<C>(
    db: &C,
    actor: &Actor,
    stamp: &Stamp,
    quote_id: i32,
    reason: &str,
) -> Result<Quote, DomainError>
where
    C: ConnectionTrait + TransactionTrait,
{
    answerable(db, actor, quote_id).await?;
    super::decline(db, stamp, quote_id, reason).await
}
