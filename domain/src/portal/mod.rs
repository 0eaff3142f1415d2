//! The customer's side of Portico: what a contact of a customer account sees of their moves.
//! Every answer starts from the actor and the policy: a contact reaches only the customer
//! accounts they belong to, and within one only what their scope allows (owner: everything and
//! the answers; payer: also the money; viewer: the move without amounts).

pub mod words;

use chrono::Datelike;
use chrono_tz::Tz;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

pub use words::{MoveStatus, NextStep};

use crate::{
    documents::{self, Document},
    invoices::{self, Invoice, InvoiceKind, InvoiceStatus},
    jobs::{self, Job, TimelineEntry},
    messages,
    policy::{self, Action, Actor, Decision},
    quotes::{self, Quote, QuoteStatus, QuoteWithLines},
    DomainError,
};

/// What this contact may do on one customer account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rights {
    /// Amounts, quotes' lines, invoices (owner and payer).
    pub sees_money: bool,
    /// Accept or decline a quote (owner).
    pub answers_quotes: bool,
    /// Write to the office (owner).
    pub writes_messages: bool,
}

impl Rights {
    fn of(actor: &Actor, customer_id: i32, job: policy::JobAccess<'_>) -> Self {
        Self {
            sees_money: policy::can(actor, Action::ViewInvoices { customer_id }).is_allowed(),
            answers_quotes: policy::can(actor, Action::AcceptQuote { customer_id }).is_allowed(),
            writes_messages: policy::can(actor, Action::SendMessage(job)).is_allowed(),
        }
    }
}

/// One move on the home page.
#[derive(Debug, Clone)]
pub struct MoveCard {
    pub job: Job,
    pub status: MoveStatus,
    /// Messages from the office this person has not read.
    pub unread: usize,
}

/// The home page: the moves of one customer account, upcoming first.
#[derive(Debug, Clone)]
pub struct Overview {
    pub moves: Vec<MoveCard>,
    /// Unread messages over all moves.
    pub unread: usize,
    /// Quotes to answer and invoices to pay (as far as this person answers or pays them).
    pub open_items: usize,
}

/// The versions a customer was sent (never drafts), newest first.
async fn sent_quotes(
    db: &impl ConnectionTrait,
    job_ids: &[i32],
) -> Result<Vec<Quote>, DomainError> {
    Ok(quotes::entity::Entity::find()
        .filter(quotes::entity::Column::JobId.is_in(job_ids.iter().copied()))
        .filter(quotes::entity::Column::Status.ne(QuoteStatus::Draft))
        .order_by_desc(quotes::entity::Column::Version)
        .all(db)
        .await?)
}

/// A customer's issued invoices (never drafts), newest first.
fn issued(invoices: Vec<Invoice>) -> Vec<Invoice> {
    invoices
        .into_iter()
        .filter(|i| i.status != InvoiceStatus::Draft)
        .collect()
}

/// The invoice a move's status speaks of: its latest issued invoice (not a credit note).
fn latest_invoice(invoices: &[Invoice], job_id: i32) -> Option<&Invoice> {
    invoices
        .iter()
        .find(|i| i.job_id == Some(job_id) && i.kind == InvoiceKind::Invoice)
}

/// The home page of a contact, on customer account `customer_id`: another account is not
/// found, staff are refused (their workspace is elsewhere).
pub async fn overview(
    db: &impl ConnectionTrait,
    actor: &Actor,
    customer_id: i32,
    zone: Tz,
) -> Result<Overview, DomainError> {
    let Actor::Contact { user_id, .. } = actor else {
        return Err(DomainError::Denied(match actor {
            Actor::Anonymous => Decision::Unauthenticated,
            _ => Decision::Forbidden,
        }));
    };
    match policy::can(actor, Action::ViewCustomer { customer_id }) {
        Decision::Allow => {}
        refused => return Err(DomainError::Denied(refused)),
    }
    let jobs = jobs::for_customer(db, customer_id).await?;
    let job_ids: Vec<i32> = jobs.iter().map(|j| j.id).collect();
    let quotes = sent_quotes(db, &job_ids).await?;
    let invoices = issued(invoices::for_customer(db, customer_id).await?);
    let unread = messages::unread_counts(db, *user_id, &job_ids).await?;
    // The same for every move of the account: a contact's scope is per account.
    let rights = Rights::of(
        actor,
        customer_id,
        policy::JobAccess {
            customer_id,
            crew: &[],
        },
    );
    let mut moves = Vec::with_capacity(jobs.len());
    let mut open_items = 0;
    for job in jobs {
        let status = words::status(
            words::MoveFacts {
                job: &job,
                quote: quotes.iter().find(|q| q.job_id == job.id),
                invoice: latest_invoice(&invoices, job.id),
                sees_money: rights.sees_money,
                answers_quotes: rights.answers_quotes,
            },
            zone,
        );
        if matches!(
            status.next,
            NextStep::AnswerQuote { .. } | NextStep::SeeInvoice { .. }
        ) {
            open_items += 1;
        }
        let unread = unread
            .iter()
            .find(|(id, _)| *id == job.id)
            .map_or(0, |(_, n)| *n);
        moves.push(MoveCard {
            job,
            status,
            unread,
        });
    }
    // Open moves by their day, soonest first; finished ones after, latest first.
    moves.sort_by_key(|card| {
        let day = card.job.confirmed_date.unwrap_or(card.job.requested_date);
        let closed = words::is_closed(card.job.status);
        (
            closed,
            if closed {
                -day.num_days_from_ce()
            } else {
                day.num_days_from_ce()
            },
        )
    });
    Ok(Overview {
        unread: moves.iter().map(|m| m.unread).sum(),
        open_items,
        moves,
    })
}

/// Everything the move page shows, as far as `actor` may see it.
#[derive(Debug, Clone)]
pub struct MoveDetail {
    pub job: Job,
    pub status: MoveStatus,
    pub rights: Rights,
    pub timeline: Vec<TimelineEntry>,
    /// Sent versions, newest first, with their lines (empty for a viewer).
    pub quotes: Vec<QuoteWithLines>,
    /// Issued invoices and credit notes of the move (empty for a viewer).
    pub invoices: Vec<Invoice>,
    pub documents: Vec<Document>,
}

/// One move for `actor`: a contact of another customer, or crew not on it, does not find it.
pub async fn move_detail(
    db: &impl ConnectionTrait,
    actor: &Actor,
    job_id: i32,
    zone: Tz,
) -> Result<MoveDetail, DomainError> {
    let (job, crew) = jobs::find_for(db, actor, job_id, policy::view_job).await?;
    let rights = Rights::of(
        actor,
        job.customer_id,
        policy::JobAccess {
            customer_id: job.customer_id,
            crew: &crew,
        },
    );
    let (quotes, invoices) = if rights.sees_money {
        let mut sent = quotes::for_job(db, job_id).await?;
        sent.retain(|q| q.quote.status != QuoteStatus::Draft);
        (sent, issued(invoices::for_job(db, job_id).await?))
    } else {
        (Vec::new(), Vec::new())
    };
    // A viewer still learns that a quote awaits the owner, without its amounts.
    let latest_quote = if rights.sees_money {
        quotes.first().map(|q| q.quote.clone())
    } else {
        sent_quotes(db, &[job_id]).await?.into_iter().next()
    };
    let status = words::status(
        words::MoveFacts {
            job: &job,
            quote: latest_quote.as_ref(),
            invoice: latest_invoice(&invoices, job_id),
            sees_money: rights.sees_money,
            answers_quotes: rights.answers_quotes,
        },
        zone,
    );
    Ok(MoveDetail {
        timeline: jobs::timeline(db, job_id).await?,
        documents: documents::for_job(db, actor, job_id).await?,
        job,
        status,
        rights,
        quotes,
        invoices,
    })
}
