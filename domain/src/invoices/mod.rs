//! Invoices: drafted from an accepted quote (or by hand), issued with a gap-free number per
//! year, paid (in parts or at once), overdue after the due date, and cancelled only by a
//! credit note. Issuing and payment move the job to `invoiced` and `paid`.

pub mod entity;
pub mod line;
pub mod numbering;
pub mod payment;

use chrono::{Datelike, Days, NaiveDate};
use sea_orm::{
    sea_query::{Expr, ExprTrait},
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, TransactionTrait,
};
use serde::{Deserialize, Serialize};

pub use entity::{InvoiceKind, InvoiceStatus, Model as Invoice};

use crate::{
    audit::{AuditAction, Stamp},
    documents::{paperwork, Storage},
    jobs::{self, JobStatus, Trigger},
    live::LiveKind,
    money::{format_euros, price_lines, LineInput, PricedLine, Totals},
    quotes::{self, QuoteStatus},
    DomainError,
};

/// An invoice with its lines and totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceWithLines {
    pub invoice: Invoice,
    pub lines: Vec<PricedLine>,
    pub totals: Totals,
}

/// How a payment arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    BankTransfer,
    Ideal,
    Card,
    Cash,
    /// Paid online by another method the provider offers (Bancontact, PayPal, …).
    Online,
    /// Portico's test checkout: no money moved.
    Test,
}

impl PaymentMethod {
    pub fn code(self) -> &'static str {
        match self {
            Self::BankTransfer => "bank_transfer",
            Self::Ideal => "ideal",
            Self::Card => "card",
            Self::Cash => "cash",
            Self::Online => "online",
            Self::Test => "test",
        }
    }
}

pub async fn find(db: &impl ConnectionTrait, id: i32) -> Result<Invoice, DomainError> {
    entity::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("invoice"))
}

pub async fn with_lines(
    db: &impl ConnectionTrait,
    invoice: Invoice,
) -> Result<InvoiceWithLines, DomainError> {
    let lines: Vec<PricedLine> = line::Entity::find()
        .filter(line::Column::InvoiceId.eq(invoice.id))
        .order_by_asc(line::Column::Position)
        .all(db)
        .await?
        .iter()
        .map(line::Model::priced)
        .collect();
    let totals = Totals::of(&lines);
    Ok(InvoiceWithLines {
        invoice,
        lines,
        totals,
    })
}

async fn insert_draft(
    txn: &impl ConnectionTrait,
    stamp: &Stamp,
    customer_id: i32,
    job_id: Option<i32>,
    quote_id: Option<i32>,
    lines: &[PricedLine],
) -> Result<Invoice, DomainError> {
    let totals = Totals::of(lines);
    let invoice = entity::ActiveModel {
        customer_id: Set(customer_id),
        job_id: Set(job_id),
        quote_id: Set(quote_id),
        kind: Set(InvoiceKind::Invoice),
        status: Set(InvoiceStatus::Draft),
        net_cents: Set(totals.net_cents),
        vat_cents: Set(totals.vat_cents),
        total_cents: Set(totals.total_cents),
        paid_cents: Set(0),
        created_at: Set(stamp.at),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    line::Entity::insert_many(
        lines
            .iter()
            .enumerate()
            .map(|(position, priced)| line::active(invoice.id, position, priced)),
    )
    .exec(txn)
    .await?;
    stamp
        .record(
            txn,
            AuditAction::InvoiceDrafted,
            format!("invoice:{}", invoice.id),
            Some(format!(
                "customer:{customer_id}, {}",
                format_euros(totals.total_cents)
            )),
        )
        .await?;
    Ok(invoice)
}

/// A draft invoice with the lines of the job's accepted quote. One invoice per quote: a second
/// is refused unless the first was credited.
pub async fn draft_from_quote<C>(
    db: &C,
    stamp: &Stamp,
    quote_id: i32,
) -> Result<Invoice, DomainError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let txn = db.begin().await?;
    let quote = quotes::find(&txn, quote_id).await?;
    if !quote.can_be_invoiced() {
        return Err(DomainError::Conflict(
            "Only an accepted quote becomes an invoice.".to_owned(),
        ));
    }
    let existing = entity::Entity::find()
        .filter(entity::Column::QuoteId.eq(quote_id))
        .filter(entity::Column::Kind.eq("invoice"))
        .filter(entity::Column::Status.ne("credited"))
        .one(&txn)
        .await?;
    if let Some(existing) = existing {
        return Err(DomainError::Conflict(format!(
            "This quote already has an invoice ({}).",
            existing.number.as_deref().unwrap_or("draft")
        )));
    }
    let job = jobs::find(&txn, quote.job_id).await?;
    let quoted = quotes::with_lines(&txn, quote).await?;
    let invoice = insert_draft(
        &txn,
        stamp,
        job.customer_id,
        Some(job.id),
        Some(quote_id),
        &quoted.lines,
    )
    .await?;
    crate::live::commit(txn).await?;
    Ok(invoice)
}

/// A draft invoice typed by hand (extra hours, materials, storage).
pub async fn draft_by_hand<C>(
    db: &C,
    stamp: &Stamp,
    customer_id: i32,
    job_id: Option<i32>,
    lines: Vec<LineInput>,
) -> Result<Invoice, DomainError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let lines = price_lines(lines)?;
    let txn = db.begin().await?;
    crate::customers::find(&txn, customer_id).await?;
    if let Some(job_id) = job_id {
        let job = jobs::find(&txn, job_id).await?;
        if job.customer_id != customer_id {
            return Err(DomainError::invalid(
                "job",
                "That job belongs to another customer.",
            ));
        }
    }
    let invoice = insert_draft(&txn, stamp, customer_id, job_id, None, &lines).await?;
    crate::live::commit(txn).await?;
    Ok(invoice)
}

/// Issues a draft: the next number of this year's series, the issue date and the due date
/// (`payment_term_days` later). A completed job becomes `invoiced`. With `paper`, its PDF is
/// rendered and kept in the same transaction (frozen: see `documents::paperwork`); the demo
/// seed, which has no storage, passes none and its first download freezes it.
#[allow(clippy::too_many_arguments)]
pub async fn issue<C>(
    db: &C,
    paper: Option<&dyn Storage>,
    stamp: &Stamp,
    invoice_id: i32,
    today: NaiveDate,
    prefix: &str,
    payment_term_days: u32,
) -> Result<Invoice, DomainError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let txn = db.begin().await?;
    // The first statement writes, so SQLite takes its write lock before anything is read.
    let claimed = entity::Entity::update_many()
        .col_expr(entity::Column::Status, Expr::value("issued"))
        .filter(entity::Column::Id.eq(invoice_id))
        .filter(entity::Column::Status.eq("draft"))
        .exec(&txn)
        .await?;
    let invoice = find(&txn, invoice_id).await?;
    if claimed.rows_affected != 1 {
        return Err(DomainError::Conflict(format!(
            "This invoice is already {}.",
            invoice.status.label()
        )));
    }
    let year = today.year();
    let sequence = numbering::next_sequence(&txn, year).await?;
    let number = numbering::format_number(prefix, year, sequence);
    let due = today
        .checked_add_days(Days::new(u64::from(payment_term_days)))
        .unwrap_or(today);
    let mut active: entity::ActiveModel = invoice.into();
    active.number = Set(Some(number.clone()));
    active.year = Set(Some(year));
    active.sequence = Set(Some(sequence));
    active.issue_date = Set(Some(today));
    active.due_date = Set(Some(due));
    active.issued_at = Set(Some(stamp.at));
    let invoice = active.update(&txn).await?;
    if let Some(job_id) = invoice.job_id {
        let job = jobs::find(&txn, job_id).await?;
        if job.status == JobStatus::Completed {
            jobs::transition(
                &txn,
                stamp,
                job,
                JobStatus::Invoiced,
                Trigger::Consequence,
                &format!("Invoice {number} issued."),
                None,
            )
            .await?;
        }
    }
    stamp
        .record(
            &txn,
            AuditAction::InvoiceIssued,
            format!("invoice:{invoice_id}"),
            Some(number),
        )
        .await?;
    announce(&txn, stamp, &invoice, LiveKind::InvoiceIssued).await?;
    let pdf_document_id = commit_frozen(txn, paper, stamp, &invoice).await?;
    Ok(Invoice {
        pdf_document_id,
        ..invoice
    })
}

/// Freezes the issued invoice's PDF (when there is storage) as the transaction's last write,
/// then commits; the kept bytes are removed again if the commit fails. Returns the PDF's
/// document id.
async fn commit_frozen<T>(
    txn: T,
    paper: Option<&dyn Storage>,
    stamp: &Stamp,
    invoice: &Invoice,
) -> Result<Option<i32>, DomainError>
where
    T: ConnectionTrait + sea_orm::TransactionSession,
{
    let frozen = match paper {
        Some(storage) => Some(paperwork::freeze_invoice(&txn, storage, stamp, invoice).await?),
        None => None,
    };
    if let Err(e) = txn.commit().await {
        if let (Some(storage), Some(document)) = (paper, &frozen) {
            paperwork::undo(storage, document).await;
        }
        return Err(e.into());
    }
    crate::live::committed();
    Ok(frozen.map(|d| d.id))
}

/// Tells the open pages of the customer's owner and payer contacts and of the office.
async fn announce(
    txn: &impl ConnectionTrait,
    stamp: &Stamp,
    invoice: &Invoice,
    kind: LiveKind,
) -> Result<(), DomainError> {
    crate::live::publish(
        txn,
        stamp.at,
        crate::live::News::money(kind, invoice.customer_id, invoice.job_id),
    )
    .await?;
    Ok(())
}

/// Records money received. More than is outstanding is refused; when the invoice is paid in
/// full it becomes `paid`, and so does its job.
pub async fn record_payment<C>(
    db: &C,
    stamp: &Stamp,
    invoice_id: i32,
    amount_cents: i64,
    method: PaymentMethod,
    reference: &str,
) -> Result<Invoice, DomainError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let reference = reference.trim();
    if reference.chars().count() > 200 {
        return Err(DomainError::invalid(
            "reference",
            "Keep the reference under 200 characters.",
        ));
    }
    let txn = db.begin().await?;
    let invoice = book(
        &txn,
        stamp,
        invoice_id,
        amount_cents,
        method,
        reference,
        None,
    )
    .await?;
    crate::live::commit(txn).await?;
    Ok(invoice)
}

/// Books a payment inside the caller's transaction (the office's hand, or an online payment
/// the provider confirmed): the payment row, the invoice's paid amount, `paid` for the invoice
/// and its job when it is covered, the audit row and the news. `attempt_id` ties it to the
/// online attempt it came from (unique: an attempt books once).
pub(crate) async fn book(
    txn: &impl ConnectionTrait,
    stamp: &Stamp,
    invoice_id: i32,
    amount_cents: i64,
    method: PaymentMethod,
    reference: &str,
    attempt_id: Option<i32>,
) -> Result<Invoice, DomainError> {
    if amount_cents <= 0 {
        return Err(DomainError::invalid("amount", "Enter the amount received."));
    }
    // Write first (see `issue`): the conditional add also stops two payments overshooting.
    let updated = entity::Entity::update_many()
        .col_expr(
            entity::Column::PaidCents,
            Expr::col(entity::Column::PaidCents).add(amount_cents),
        )
        .filter(entity::Column::Id.eq(invoice_id))
        .filter(entity::Column::Kind.eq("invoice"))
        .filter(entity::Column::Status.is_in(["issued", "overdue"]))
        .filter(
            Expr::col(entity::Column::PaidCents)
                .add(amount_cents)
                .lte(Expr::col(entity::Column::TotalCents)),
        )
        .exec(txn)
        .await?;
    let invoice = find(txn, invoice_id).await?;
    if updated.rows_affected != 1 {
        return Err(if invoice.takes_payments() {
            DomainError::invalid(
                "amount",
                format!(
                    "Only {} is still open.",
                    format_euros(invoice.outstanding_cents())
                ),
            )
        } else {
            DomainError::Conflict(format!(
                "A payment cannot be recorded on an invoice that is {}.",
                invoice.status.label()
            ))
        });
    }
    payment::ActiveModel {
        invoice_id: Set(invoice_id),
        amount_cents: Set(amount_cents),
        method: Set(method.code().to_owned()),
        reference: Set(reference.to_owned()),
        received_at: Set(stamp.at),
        recorded_by: Set(stamp.by),
        attempt_id: Set(attempt_id),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let invoice = if invoice.paid_cents >= invoice.total_cents {
        let mut active: entity::ActiveModel = invoice.into();
        active.status = Set(InvoiceStatus::Paid);
        let invoice = active.update(txn).await?;
        if let Some(job_id) = invoice.job_id {
            let job = jobs::find(txn, job_id).await?;
            if matches!(job.status, JobStatus::Invoiced | JobStatus::Overdue) {
                let note = format!(
                    "Invoice {} paid.",
                    invoice.number.as_deref().unwrap_or_default()
                );
                jobs::transition(
                    txn,
                    stamp,
                    job,
                    JobStatus::Paid,
                    Trigger::Consequence,
                    &note,
                    None,
                )
                .await?;
            }
        }
        invoice
    } else {
        invoice
    };
    stamp
        .record(
            txn,
            AuditAction::PaymentRecorded,
            format!("invoice:{invoice_id}"),
            Some(format!(
                "{} by {}",
                format_euros(amount_cents),
                method.code()
            )),
        )
        .await?;
    announce(txn, stamp, &invoice, LiveKind::PaymentRecorded).await?;
    if invoice.status == InvoiceStatus::Paid {
        announce(txn, stamp, &invoice, LiveKind::InvoicePaid).await?;
    }
    Ok(invoice)
}

/// Cancels an issued invoice with a credit note: the same lines negated, issued at once with
/// the next number. The invoice becomes `credited`. Returns the credit note.
pub async fn credit<C>(
    db: &C,
    paper: Option<&dyn Storage>,
    stamp: &Stamp,
    invoice_id: i32,
    today: NaiveDate,
    prefix: &str,
) -> Result<Invoice, DomainError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let txn = db.begin().await?;
    let claimed = entity::Entity::update_many()
        .col_expr(entity::Column::Status, Expr::value("credited"))
        .filter(entity::Column::Id.eq(invoice_id))
        .filter(entity::Column::Kind.eq("invoice"))
        .filter(entity::Column::Status.is_in(["issued", "overdue"]))
        .filter(entity::Column::PaidCents.eq(0))
        .exec(&txn)
        .await?;
    let original = find(&txn, invoice_id).await?;
    if claimed.rows_affected != 1 {
        return Err(DomainError::Conflict(if original.paid_cents > 0 {
            "Money was received on this invoice; refund it before crediting.".to_owned()
        } else {
            format!(
                "An invoice that is {} cannot be credited.",
                original.status.label()
            )
        }));
    }
    let original_number = original.number.clone().unwrap_or_default();
    let lines: Vec<PricedLine> = with_lines(&txn, original.clone())
        .await?
        .lines
        .into_iter()
        .map(|l| PricedLine {
            input: LineInput {
                quantity_hundredths: -l.input.quantity_hundredths,
                ..l.input
            },
            net_cents: -l.net_cents,
            vat_cents: -l.vat_cents,
        })
        .collect();
    let totals = Totals::of(&lines);
    let year = today.year();
    let sequence = numbering::next_sequence(&txn, year).await?;
    let number = numbering::format_number(prefix, year, sequence);
    let note = entity::ActiveModel {
        customer_id: Set(original.customer_id),
        job_id: Set(original.job_id),
        quote_id: Set(None),
        kind: Set(InvoiceKind::CreditNote),
        credits_invoice_id: Set(Some(original.id)),
        number: Set(Some(number.clone())),
        year: Set(Some(year)),
        sequence: Set(Some(sequence)),
        status: Set(InvoiceStatus::Issued),
        issue_date: Set(Some(today)),
        due_date: Set(None),
        net_cents: Set(totals.net_cents),
        vat_cents: Set(totals.vat_cents),
        total_cents: Set(totals.total_cents),
        paid_cents: Set(0),
        created_at: Set(stamp.at),
        issued_at: Set(Some(stamp.at)),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    line::Entity::insert_many(
        lines
            .iter()
            .enumerate()
            .map(|(position, priced)| line::active(note.id, position, priced)),
    )
    .exec(&txn)
    .await?;
    stamp
        .record(
            &txn,
            AuditAction::InvoiceCredited,
            format!("invoice:{invoice_id}"),
            Some(format!("{original_number} credited by {number}")),
        )
        .await?;
    announce(&txn, stamp, &original, LiveKind::InvoiceCredited).await?;
    let pdf_document_id = commit_frozen(txn, paper, stamp, &note).await?;
    Ok(Invoice {
        pdf_document_id,
        ..note
    })
}

/// Marks issued invoices past their due date as overdue (their jobs too). Returns how many.
pub async fn mark_overdue<C>(db: &C, stamp: &Stamp, today: NaiveDate) -> Result<usize, DomainError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let due = entity::Entity::find()
        .filter(entity::Column::Status.eq("issued"))
        .filter(entity::Column::Kind.eq("invoice"))
        .filter(entity::Column::DueDate.lt(today))
        .all(db)
        .await?;
    let mut marked = 0;
    for invoice in due {
        let txn = db.begin().await?;
        let updated = entity::Entity::update_many()
            .col_expr(entity::Column::Status, Expr::value("overdue"))
            .filter(entity::Column::Id.eq(invoice.id))
            .filter(entity::Column::Status.eq("issued"))
            .exec(&txn)
            .await?;
        if updated.rows_affected == 1 {
            if let Some(job_id) = invoice.job_id {
                let job = jobs::find(&txn, job_id).await?;
                if job.status == JobStatus::Invoiced {
                    let note = format!(
                        "Invoice {} is past its due date.",
                        invoice.number.as_deref().unwrap_or_default()
                    );
                    jobs::transition(
                        &txn,
                        stamp,
                        job,
                        JobStatus::Overdue,
                        Trigger::Consequence,
                        &note,
                        None,
                    )
                    .await?;
                }
            }
            stamp
                .record(
                    &txn,
                    AuditAction::InvoiceOverdue,
                    format!("invoice:{}", invoice.id),
                    None,
                )
                .await?;
            announce(&txn, stamp, &invoice, LiveKind::InvoiceOverdue).await?;
            marked += 1;
        }
        crate::live::commit(txn).await?;
    }
    Ok(marked)
}

/// A customer's invoices and credit notes, newest first.
pub async fn for_customer(
    db: &impl ConnectionTrait,
    customer_id: i32,
) -> Result<Vec<Invoice>, DomainError> {
    Ok(entity::Entity::find()
        .filter(entity::Column::CustomerId.eq(customer_id))
        .order_by_desc(entity::Column::Id)
        .all(db)
        .await?)
}

/// A job's invoices and credit notes, newest first.
pub async fn for_job(db: &impl ConnectionTrait, job_id: i32) -> Result<Vec<Invoice>, DomainError> {
    Ok(entity::Entity::find()
        .filter(entity::Column::JobId.eq(job_id))
        .order_by_desc(entity::Column::Id)
        .all(db)
        .await?)
}

/// The job's accepted quote that can still become its invoice: none while an invoice of it
/// stands (not credited), the same rule [`draft_from_quote`] enforces.
pub async fn quote_to_invoice(
    db: &impl ConnectionTrait,
    job_id: i32,
    invoices: &[Invoice],
) -> Result<Option<i32>, DomainError> {
    let accepted = quotes::entity::Entity::find()
        .filter(quotes::entity::Column::JobId.eq(job_id))
        .filter(quotes::entity::Column::Status.eq(QuoteStatus::Accepted))
        .order_by_desc(quotes::entity::Column::Version)
        .one(db)
        .await?;
    Ok(accepted.map(|q| q.id).filter(|quote_id| {
        !invoices
            .iter()
            .any(|i| i.quote_id == Some(*quote_id) && i.invoices_its_quote())
    }))
}

/// Overdue invoices, oldest due date first.
pub async fn overdue(db: &impl ConnectionTrait) -> Result<Vec<Invoice>, DomainError> {
    Ok(entity::Entity::find()
        .filter(entity::Column::Status.eq("overdue"))
        .order_by_asc(entity::Column::DueDate)
        .all(db)
        .await?)
}

/// The payments on an invoice, oldest first.
pub async fn payments(
    db: &impl ConnectionTrait,
    invoice_id: i32,
) -> Result<Vec<payment::Model>, DomainError> {
    Ok(payment::Entity::find()
        .filter(payment::Column::InvoiceId.eq(invoice_id))
        .order_by_asc(payment::Column::Id)
        .all(db)
        .await?)
}
