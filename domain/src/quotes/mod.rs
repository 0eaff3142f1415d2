//! Quotes: versions per job, each with priced lines and a validity date. A draft is edited
//! freely; once sent a version never changes, and a change is a new version that supersedes
//! it when sent. Sending, accepting, declining and expiring move the job along.

pub mod answer;
pub mod entity;
pub mod line;

use chrono::NaiveDate;
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait,
    QueryFilter, QueryOrder, TransactionSession, TransactionTrait,
};
use serde::{Deserialize, Serialize};

pub use entity::{Model as Quote, QuoteStatus};

use crate::{
    audit::{AuditAction, Stamp},
    jobs::{self, JobStatus, Trigger},
    live::{self, LiveKind, News},
    money::{price_lines, LineInput, PricedLine, Totals},
    DomainError,
};

/// A quote with its lines and totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuoteWithLines {
    pub quote: Quote,
    pub lines: Vec<PricedLine>,
    pub totals: Totals,
}

/// What staff type into the quote editor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuoteDraft {
    pub valid_until: NaiveDate,
    pub lines: Vec<LineInput>,
}

pub async fn find(db: &impl ConnectionTrait, id: i32) -> Result<Quote, DomainError> {
    entity::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("quote"))
}

pub async fn with_lines(
    db: &impl ConnectionTrait,
    quote: Quote,
) -> Result<QuoteWithLines, DomainError> {
    let lines: Vec<PricedLine> = line::Entity::find()
        .filter(line::Column::QuoteId.eq(quote.id))
        .order_by_asc(line::Column::Position)
        .all(db)
        .await?
        .iter()
        .map(line::Model::priced)
        .collect();
    let totals = Totals::of(&lines);
    Ok(QuoteWithLines {
        quote,
        lines,
        totals,
    })
}

/// Every version for a job, newest first, with lines.
pub async fn for_job(
    db: &impl ConnectionTrait,
    job_id: i32,
) -> Result<Vec<QuoteWithLines>, DomainError> {
    let quotes = entity::Entity::find()
        .filter(entity::Column::JobId.eq(job_id))
        .order_by_desc(entity::Column::Version)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(quotes.len());
    for quote in quotes {
        out.push(with_lines(db, quote).await?);
    }
    Ok(out)
}

/// Saves the job's draft: replaces the lines of the open draft, or starts a new version. The
/// job must still be open for a quote (requested, quoted, declined or expired).
pub async fn save_draft<C>(
    db: &C,
    stamp: &Stamp,
    job_id: i32,
    draft: QuoteDraft,
) -> Result<QuoteWithLines, DomainError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let lines = price_lines(draft.lines)?;
    if draft.valid_until < stamp.at.date_naive() {
        return Err(DomainError::invalid(
            "valid_until",
            "The quote must be valid until today or later.",
        ));
    }
    let totals = Totals::of(&lines);
    let txn = db.begin().await?;
    let job = jobs::find(&txn, job_id).await?;
    if !job.status.takes_a_quote() {
        return Err(DomainError::Conflict(format!(
            "A job that is {} takes no new quote.",
            job.status.label()
        )));
    }
    let versions = entity::Entity::find()
        .filter(entity::Column::JobId.eq(job_id))
        .order_by_desc(entity::Column::Version)
        .all(&txn)
        .await?;
    let quote = match versions.iter().find(|q| q.status == QuoteStatus::Draft) {
        Some(open) => {
            line::Entity::delete_many()
                .filter(line::Column::QuoteId.eq(open.id))
                .exec(&txn)
                .await?;
            let mut active: entity::ActiveModel = open.clone().into();
            active.valid_until = Set(draft.valid_until);
            active.net_cents = Set(totals.net_cents);
            active.vat_cents = Set(totals.vat_cents);
            active.total_cents = Set(totals.total_cents);
            active.update(&txn).await?
        }
        None => {
            entity::ActiveModel {
                job_id: Set(job_id),
                version: Set(versions.first().map_or(1, |q| q.version + 1)),
                status: Set(QuoteStatus::Draft),
                valid_until: Set(draft.valid_until),
                net_cents: Set(totals.net_cents),
                vat_cents: Set(totals.vat_cents),
                total_cents: Set(totals.total_cents),
                created_at: Set(stamp.at),
                created_by: Set(stamp.by),
                ..Default::default()
            }
            .insert(&txn)
            .await?
        }
    };
    line::Entity::insert_many(
        lines
            .iter()
            .enumerate()
            .map(|(position, priced)| line::active(quote.id, position, priced)),
    )
    .exec(&txn)
    .await?;
    stamp
        .record(
            &txn,
            AuditAction::QuoteSaved,
            format!("quote:{}", quote.id),
            Some(format!("job:{job_id} version {}", quote.version)),
        )
        .await?;
    crate::live::commit(txn).await?;
    Ok(QuoteWithLines {
        quote,
        lines,
        totals,
    })
}

/// Sends a draft to the customer: it becomes immutable, an earlier sent version is superseded,
/// and the job becomes `quoted`. With `paper`, the version's PDF is rendered and kept in the
/// same transaction (frozen: see `documents::paperwork`); the demo seed passes none.
pub async fn send<C>(
    db: &C,
    paper: Option<&dyn crate::documents::Storage>,
    stamp: &Stamp,
    quote_id: i32,
) -> Result<Quote, DomainError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let txn = db.begin().await?;
    let quote = find(&txn, quote_id).await?;
    if !quote.is_editable() {
        return Err(DomainError::Conflict(format!(
            "This quote was already {}; change it by making a new version.",
            quote.status.label()
        )));
    }
    if quote.valid_until < stamp.at.date_naive() {
        return Err(DomainError::invalid(
            "valid_until",
            "The validity date has passed; choose a later one.",
        ));
    }
    entity::Entity::update_many()
        .col_expr(entity::Column::Status, Expr::value("superseded"))
        .filter(entity::Column::JobId.eq(quote.job_id))
        .filter(entity::Column::Status.eq("sent"))
        .exec(&txn)
        .await?;
    let mut active: entity::ActiveModel = quote.clone().into();
    active.status = Set(QuoteStatus::Sent);
    active.sent_at = Set(Some(stamp.at));
    let quote = active.update(&txn).await?;
    let job = jobs::find(&txn, quote.job_id).await?;
    let job = jobs::transition(
        &txn,
        stamp,
        job,
        JobStatus::Quoted,
        Trigger::Consequence,
        &format!("Quote version {} sent.", quote.version),
        None,
    )
    .await?;
    live::publish(
        &txn,
        stamp.at,
        News::money_on_job(LiveKind::QuoteSent, &job),
    )
    .await?;
    crate::requests::answer_quote_changes(&txn, stamp, quote.job_id, quote.version).await?;
    stamp
        .record(
            &txn,
            AuditAction::QuoteSent,
            format!("quote:{quote_id}"),
            None,
        )
        .await?;
    let frozen = match paper {
        Some(storage) => {
            Some(crate::documents::paperwork::freeze_quote(&txn, storage, stamp, &quote).await?)
        }
        None => None,
    };
    if let Err(e) = txn.commit().await {
        if let (Some(storage), Some(document)) = (paper, &frozen) {
            crate::documents::paperwork::undo(storage, document).await;
        }
        return Err(e.into());
    }
    crate::live::committed();
    Ok(Quote {
        pdf_document_id: frozen.map(|d| d.id),
        ..quote
    })
}

/// The customer accepts a sent quote, typing their name as a signature; the time and address
/// are recorded with it, and the job becomes `accepted`.
pub async fn accept<C>(
    db: &C,
    stamp: &Stamp,
    quote_id: i32,
    signed_name: &str,
) -> Result<Quote, DomainError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let signed_name = signed_name.trim();
    if signed_name.chars().count() < 2 || signed_name.chars().count() > 120 {
        return Err(DomainError::invalid(
            "signed_name",
            "Type your full name to sign.",
        ));
    }
    decide(
        db,
        stamp,
        quote_id,
        QuoteStatus::Accepted,
        Some(signed_name),
        None,
    )
    .await
}

/// The customer declines a sent quote, optionally saying why; the job becomes `declined`.
pub async fn decline<C>(
    db: &C,
    stamp: &Stamp,
    quote_id: i32,
    reason: &str,
) -> Result<Quote, DomainError>
where
    C: ConnectionTrait + TransactionTrait,
{
    if reason.chars().count() > 2000 {
        return Err(DomainError::invalid(
            "reason",
            "Keep this under 2000 characters.",
        ));
    }
    decide(
        db,
        stamp,
        quote_id,
        QuoteStatus::Declined,
        None,
        Some(reason.trim()),
    )
    .await
}

async fn decide<C>(
    db: &C,
    stamp: &Stamp,
    quote_id: i32,
    to: QuoteStatus,
    signed_name: Option<&str>,
    reason: Option<&str>,
) -> Result<Quote, DomainError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let txn = db.begin().await?;
    let quote = find(&txn, quote_id).await?;
    if !quote.awaits_answer() {
        return Err(DomainError::Conflict(format!(
            "This quote is {}; only the latest sent quote can be answered.",
            quote.status.label()
        )));
    }
    if quote.valid_until < stamp.at.date_naive() {
        return Err(DomainError::Conflict(
            "This quote has expired. Ask us for a new one.".to_owned(),
        ));
    }
    // The frozen PDF this version was sent as: an acceptance names its hash.
    let pdf_sha256 = match (to, quote.pdf_document_id) {
        (QuoteStatus::Accepted, Some(document_id)) => {
            Some(crate::documents::find(&txn, document_id).await?.sha256)
        }
        _ => None,
    };
    // Only the version that is still sent can be decided, and only once.
    let updated = entity::Entity::update_many()
        .col_expr(
            entity::Column::Status,
            Expr::value(if to == QuoteStatus::Accepted {
                "accepted"
            } else {
                "declined"
            }),
        )
        .col_expr(entity::Column::DecidedAt, Expr::value(stamp.at))
        .col_expr(entity::Column::DecidedBy, Expr::value(stamp.by))
        .col_expr(
            entity::Column::SignedName,
            Expr::value(signed_name.map(str::to_owned)),
        )
        .col_expr(
            entity::Column::SignedIp,
            Expr::value(stamp.origin.ip.clone()),
        )
        .col_expr(
            entity::Column::SignedUserAgent,
            Expr::value(
                stamp
                    .origin
                    .user_agent
                    .clone()
                    .filter(|_| to == QuoteStatus::Accepted),
            ),
        )
        .col_expr(entity::Column::SignedPdfSha256, Expr::value(pdf_sha256))
        .col_expr(
            entity::Column::DeclineReason,
            Expr::value(reason.filter(|r| !r.is_empty()).map(str::to_owned)),
        )
        .filter(entity::Column::Id.eq(quote_id))
        .filter(entity::Column::Status.eq("sent"))
        .exec(&txn)
        .await?;
    if updated.rows_affected != 1 {
        return Err(DomainError::Conflict(
            "This quote was answered a moment ago.".to_owned(),
        ));
    }
    let job = jobs::find(&txn, quote.job_id).await?;
    let (job_status, action, note) = match to {
        QuoteStatus::Accepted => (
            JobStatus::Accepted,
            AuditAction::QuoteAccepted,
            format!(
                "Quote version {} accepted, signed “{}”.",
                quote.version,
                signed_name.unwrap_or_default()
            ),
        ),
        _ => (
            JobStatus::Declined,
            AuditAction::QuoteDeclined,
            format!("Quote version {} declined.", quote.version),
        ),
    };
    let job = jobs::transition(
        &txn,
        stamp,
        job,
        job_status,
        Trigger::Consequence,
        &note,
        None,
    )
    .await?;
    let kind = if to == QuoteStatus::Accepted {
        LiveKind::QuoteAccepted
    } else {
        LiveKind::QuoteDeclined
    };
    live::publish(&txn, stamp.at, News::money_on_job(kind, &job)).await?;
    stamp
        .record(
            &txn,
            action,
            format!("quote:{quote_id}"),
            reason.map(str::to_owned),
        )
        .await?;
    let quote = find(&txn, quote_id).await?;
    crate::live::commit(txn).await?;
    Ok(quote)
}

/// Expires every sent quote whose validity date is before `today`; their jobs become
/// `expired`. Returns how many expired. Runs daily (and before the dashboard is drawn).
pub async fn expire_due<C>(db: &C, stamp: &Stamp, today: NaiveDate) -> Result<usize, DomainError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let due = entity::Entity::find()
        .filter(entity::Column::Status.eq("sent"))
        .filter(entity::Column::ValidUntil.lt(today))
        .all(db)
        .await?;
    let mut expired = 0;
    for quote in due {
        let txn = db.begin().await?;
        let updated = entity::Entity::update_many()
            .col_expr(entity::Column::Status, Expr::value("expired"))
            .filter(entity::Column::Id.eq(quote.id))
            .filter(entity::Column::Status.eq("sent"))
            .exec(&txn)
            .await?;
        if updated.rows_affected == 1 {
            let job = jobs::find(&txn, quote.job_id).await?;
            if job.status == JobStatus::Quoted {
                let note = format!("Quote version {} expired unanswered.", quote.version);
                jobs::transition(
                    &txn,
                    stamp,
                    job,
                    JobStatus::Expired,
                    Trigger::Consequence,
                    &note,
                    None,
                )
                .await?;
            }
            stamp
                .record(
                    &txn,
                    AuditAction::QuoteExpired,
                    format!("quote:{}", quote.id),
                    None,
                )
                .await?;
            expired += 1;
        }
        crate::live::commit(txn).await?;
    }
    Ok(expired)
}

/// Sent quotes still waiting for the customer, oldest first.
pub async fn awaiting_answer(db: &impl ConnectionTrait) -> Result<Vec<Quote>, DomainError> {
    Ok(entity::Entity::find()
        .filter(entity::Column::Status.eq("sent"))
        .order_by_asc(entity::Column::SentAt)
        .all(db)
        .await?)
}
