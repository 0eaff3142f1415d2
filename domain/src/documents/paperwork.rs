//! Paperwork that cannot change after the fact. An invoice or credit note is rendered to PDF
//! once, when it is issued, and a quote version once, when it is sent; the bytes are kept as a
//! document (shown to the customer) with their SHA-256, and every download serves exactly those
//! bytes. A later change of the company's details, a part payment or a new template never
//! changes a document the customer already has, and an acceptance can name the bytes it
//! accepted. Drafts are previews, rendered fresh each time and never kept.
//!
//! Rendering runs on the blocking pool, at most [`RENDERING_AT_ONCE`] at a time.

use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait,
    DatabaseTransaction, EntityTrait, QueryFilter, TransactionTrait,
};
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use super::{entity, find, Document, DocumentKind, Storage, Visibility};
use crate::{
    audit::{AuditAction, Stamp},
    invoices::{self, Invoice, InvoiceKind, InvoiceStatus},
    jobs, pdf,
    policy::{self, Action, Actor, Decision, DocumentAccess},
    quotes::{self, Quote, QuoteStatus},
    DomainError,
};

/// PDFs rendered at the same time; the rest wait their turn.
pub const RENDERING_AT_ONCE: usize = 2;
static RENDERING: Semaphore = Semaphore::const_new(RENDERING_AT_ONCE);

/// Renders a paper off the async runtime, bounded like password hashing.
pub async fn render(paper: pdf::Paper) -> Result<Vec<u8>, DomainError> {
    let _permit = RENDERING
        .acquire()
        .await
        .map_err(|e| DomainError::Internal(format!("renderer closed: {e}")))?;
    tokio::task::spawn_blocking(move || pdf::render(&paper))
        .await
        .map_err(|e| DomainError::Internal(format!("rendering a PDF: {e}")))
}

/// What a frozen paper is about.
struct Frozen {
    customer_id: i32,
    job_id: Option<i32>,
    kind: DocumentKind,
    file_name: String,
}

/// Writes the bytes to storage and their document row in `txn`. When the transaction does not
/// commit, the caller removes the stored bytes again (see [`undo`]).
async fn keep(
    txn: &impl ConnectionTrait,
    storage: &dyn Storage,
    stamp: &Stamp,
    frozen: Frozen,
    bytes: &[u8],
) -> Result<Document, DomainError> {
    let key = uuid::Uuid::new_v4().simple().to_string();
    storage.put(&key, bytes).await?;
    let row = entity::ActiveModel {
        customer_id: Set(Some(frozen.customer_id)),
        job_id: Set(frozen.job_id),
        kind: Set(frozen.kind),
        file_name: Set(frozen.file_name),
        content_type: Set("application/pdf".to_owned()),
        size_bytes: Set(i64::try_from(bytes.len()).unwrap_or(i64::MAX)),
        sha256: Set(hex::encode(Sha256::digest(bytes))),
        storage_key: Set(key.clone()),
        visibility: Set(Visibility::Customer),
        uploaded_by: Set(stamp.by),
        created_at: Set(stamp.at),
        ..Default::default()
    }
    .insert(txn)
    .await;
    match row {
        Ok(document) => {
            stamp
                .record(
                    txn,
                    AuditAction::DocumentUploaded,
                    format!("document:{}", document.id),
                    Some(format!("{} (frozen at issue)", document.file_name)),
                )
                .await?;
            Ok(document)
        }
        Err(e) => {
            let _ = storage.delete(&key).await;
            Err(e.into())
        }
    }
}

/// Removes the bytes of a document whose transaction did not commit.
pub(crate) async fn undo(storage: &dyn Storage, document: &Document) {
    if let Err(e) = storage.delete(&document.storage_key).await {
        tracing::warn!(error = %e, key = %document.storage_key, "removing an unused frozen PDF");
    }
}

/// The kept PDF once the paper's row points at it; when another freeze won the row (or the
/// update failed), the bytes kept here are removed and the answer is a conflict (or the error).
async fn claimed(
    storage: &dyn Storage,
    document: Document,
    set: Result<sea_orm::UpdateResult, sea_orm::DbErr>,
) -> Result<Document, DomainError> {
    match set {
        Ok(done) if done.rows_affected == 1 => Ok(document),
        other => {
            undo(storage, &document).await;
            match other {
                Err(e) => Err(e.into()),
                Ok(_) => Err(DomainError::Conflict(
                    "This paper's PDF was made meanwhile.".into(),
                )),
            }
        }
    }
}

/// Freezes an issued invoice or credit note inside the issuing transaction.
pub(crate) async fn freeze_invoice(
    txn: &impl ConnectionTrait,
    storage: &dyn Storage,
    stamp: &Stamp,
    invoice: &Invoice,
) -> Result<Document, DomainError> {
    let bytes = render(pdf::invoice_paper(txn, invoice).await?).await?;
    let number = invoice.number.clone().unwrap_or_default();
    let what = match invoice.kind {
        InvoiceKind::Invoice => "Invoice",
        InvoiceKind::CreditNote => "Credit note",
    };
    let document = keep(
        txn,
        storage,
        stamp,
        Frozen {
            customer_id: invoice.customer_id,
            job_id: invoice.job_id,
            kind: DocumentKind::Invoice,
            file_name: format!("{what} {number}.pdf"),
        },
        &bytes,
    )
    .await?;
    let set = invoices::entity::Entity::update_many()
        .col_expr(
            invoices::entity::Column::PdfDocumentId,
            Expr::value(document.id),
        )
        .filter(invoices::entity::Column::Id.eq(invoice.id))
        .filter(invoices::entity::Column::PdfDocumentId.is_null())
        .exec(txn)
        .await;
    claimed(storage, document, set).await
}

/// Freezes a quote version inside the transaction that sends it.
pub(crate) async fn freeze_quote(
    txn: &impl ConnectionTrait,
    storage: &dyn Storage,
    stamp: &Stamp,
    quote: &Quote,
) -> Result<Document, DomainError> {
    let bytes = render(pdf::quote_paper(txn, quote).await?).await?;
    let job = jobs::find(txn, quote.job_id).await?;
    let document = keep(
        txn,
        storage,
        stamp,
        Frozen {
            customer_id: job.customer_id,
            job_id: Some(job.id),
            kind: DocumentKind::Quote,
            file_name: format!("Quote {} v{}.pdf", job.reference, quote.version),
        },
        &bytes,
    )
    .await?;
    let set = quotes::entity::Entity::update_many()
        .col_expr(
            quotes::entity::Column::PdfDocumentId,
            Expr::value(document.id),
        )
        .filter(quotes::entity::Column::Id.eq(quote.id))
        .filter(quotes::entity::Column::PdfDocumentId.is_null())
        .exec(txn)
        .await;
    claimed(storage, document, set).await
}

/// A downloaded PDF: its bytes and the name to save it under.
pub struct PaperFile {
    pub bytes: Vec<u8>,
    pub file_name: String,
    /// SHA-256 of the bytes, hex; none for a draft's preview.
    pub sha256: Option<String>,
}

async fn frozen_bytes(
    db: &impl ConnectionTrait,
    storage: &dyn Storage,
    document_id: i32,
) -> Result<PaperFile, DomainError> {
    let document = find(db, document_id).await?;
    Ok(PaperFile {
        bytes: storage.get(&document.storage_key).await?,
        file_name: document.file_name,
        sha256: Some(document.sha256),
    })
}

/// The PDF of an invoice: the frozen bytes once issued, a fresh preview while a draft. An
/// invoice issued before paperwork was frozen is frozen at its first download, once.
pub async fn invoice_pdf<C>(
    db: &C,
    storage: &dyn Storage,
    stamp: &Stamp,
    invoice: &Invoice,
) -> Result<PaperFile, DomainError>
where
    C: ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>,
{
    if let Some(id) = invoice.pdf_document_id {
        return frozen_bytes(db, storage, id).await;
    }
    if invoice.status == InvoiceStatus::Draft {
        return Ok(PaperFile {
            bytes: render(pdf::invoice_paper(db, invoice).await?).await?,
            file_name: format!("draft-{}.pdf", invoice.id),
            sha256: None,
        });
    }
    let txn = db.begin().await?;
    match freeze_invoice(&txn, storage, stamp, invoice).await {
        Ok(document) => {
            if let Err(e) = txn.commit().await {
                undo(storage, &document).await;
                return Err(e.into());
            }
            frozen_bytes(db, storage, document.id).await
        }
        // Frozen by a download at the same moment: serve that one.
        Err(DomainError::Conflict(_)) => {
            drop(txn);
            let again = invoices::find(db, invoice.id).await?;
            let id = again
                .pdf_document_id
                .ok_or_else(|| DomainError::Internal("the frozen invoice PDF is missing".into()))?;
            frozen_bytes(db, storage, id).await
        }
        Err(e) => Err(e),
    }
}

/// The PDF of a quote version: the frozen bytes once sent, a fresh preview while a draft. A
/// version sent before paperwork was frozen is frozen at its first download, once.
pub async fn quote_pdf<C>(
    db: &C,
    storage: &dyn Storage,
    stamp: &Stamp,
    quote: &Quote,
) -> Result<PaperFile, DomainError>
where
    C: ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>,
{
    if let Some(id) = quote.pdf_document_id {
        return frozen_bytes(db, storage, id).await;
    }
    if quote.status == QuoteStatus::Draft {
        let job = jobs::find(db, quote.job_id).await?;
        return Ok(PaperFile {
            bytes: render(pdf::quote_paper(db, quote).await?).await?,
            file_name: format!("{}-v{}-draft.pdf", job.reference, quote.version),
            sha256: None,
        });
    }
    let txn = db.begin().await?;
    match freeze_quote(&txn, storage, stamp, quote).await {
        Ok(document) => {
            if let Err(e) = txn.commit().await {
                undo(storage, &document).await;
                return Err(e.into());
            }
            frozen_bytes(db, storage, document.id).await
        }
        Err(DomainError::Conflict(_)) => {
            drop(txn);
            let again = quotes::find(db, quote.id).await?;
            let id = again
                .pdf_document_id
                .ok_or_else(|| DomainError::Internal("the frozen quote PDF is missing".into()))?;
            frozen_bytes(db, storage, id).await
        }
        Err(e) => Err(e),
    }
}

/// Who may download a money document: office and admin; the customer's owner and payer
/// contacts once it was sent (`Action::ViewDocument`, the same rule as a stored document's).
fn money_document(actor: &Actor, customer_id: i32, sent: bool) -> Result<(), DomainError> {
    match policy::can(
        actor,
        Action::ViewDocument(DocumentAccess {
            customer_id: Some(customer_id),
            job: None,
            money: true,
            shown_to_customer: sent,
        }),
    ) {
        Decision::Allow => Ok(()),
        refused => Err(DomainError::Denied(refused)),
    }
}

async fn record_download(
    db: &impl ConnectionTrait,
    stamp: &Stamp,
    subject: String,
    file: &PaperFile,
) -> Result<(), DomainError> {
    let detail = file.sha256.as_ref().map_or_else(
        || "pdf (draft preview)".to_owned(),
        |h| format!("pdf sha256 {h}"),
    );
    stamp
        .record(db, AuditAction::DocumentDownloaded, subject, Some(detail))
        .await
}

/// An invoice's PDF for `actor`: another customer's invoice is not found, a draft is only for
/// staff; the download is in the audit log with the hash of what was served.
pub async fn invoice_pdf_for<C>(
    db: &C,
    storage: &dyn Storage,
    actor: &Actor,
    stamp: &Stamp,
    invoice_id: i32,
) -> Result<PaperFile, DomainError>
where
    C: ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>,
{
    let invoice = invoices::find(db, invoice_id).await?;
    money_document(
        actor,
        invoice.customer_id,
        invoice.status != InvoiceStatus::Draft,
    )?;
    let file = invoice_pdf(db, storage, stamp, &invoice).await?;
    record_download(db, stamp, format!("invoice:{invoice_id}"), &file).await?;
    Ok(file)
}

/// A quote version's PDF for `actor`, by the same rule as [`invoice_pdf_for`].
pub async fn quote_pdf_for<C>(
    db: &C,
    storage: &dyn Storage,
    actor: &Actor,
    stamp: &Stamp,
    quote_id: i32,
) -> Result<PaperFile, DomainError>
where
    C: ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>,
{
    let quote = quotes::find(db, quote_id).await?;
    let job = jobs::find(db, quote.job_id).await?;
    money_document(actor, job.customer_id, quote.status != QuoteStatus::Draft)?;
    let file = quote_pdf(db, storage, stamp, &quote).await?;
    record_download(db, stamp, format!("quote:{quote_id}"), &file).await?;
    Ok(file)
}

/// Freezes the receipt of an acceptance inside the accepting transaction: the company's
/// details on it stay those of the moment of acceptance.
pub(crate) async fn freeze_receipt(
    txn: &impl ConnectionTrait,
    storage: &dyn Storage,
    stamp: &Stamp,
    quote: &Quote,
) -> Result<Document, DomainError> {
    let bytes = render(pdf::receipt_paper(txn, quote).await?).await?;
    let job = jobs::find(txn, quote.job_id).await?;
    let document = keep(
        txn,
        storage,
        stamp,
        Frozen {
            customer_id: job.customer_id,
            job_id: Some(job.id),
            kind: DocumentKind::Contract,
            file_name: format!("Acceptance {} v{}.pdf", job.reference, quote.version),
        },
        &bytes,
    )
    .await?;
    let set = quotes::entity::Entity::update_many()
        .col_expr(
            quotes::entity::Column::ReceiptDocumentId,
            Expr::value(document.id),
        )
        .filter(quotes::entity::Column::Id.eq(quote.id))
        .filter(quotes::entity::Column::ReceiptDocumentId.is_null())
        .exec(txn)
        .await;
    claimed(storage, document, set).await
}

/// The acceptance receipt of a quote version for `actor`, by the rule of the quote's own PDF;
/// a version without a receipt (not accepted in the portal) is not found.
pub async fn receipt_pdf_for(
    db: &impl ConnectionTrait,
    storage: &dyn Storage,
    actor: &Actor,
    stamp: &Stamp,
    quote_id: i32,
) -> Result<PaperFile, DomainError> {
    let quote = quotes::find(db, quote_id).await?;
    let job = jobs::find(db, quote.job_id).await?;
    money_document(actor, job.customer_id, quote.status != QuoteStatus::Draft)?;
    let document_id = quote
        .receipt_document_id
        .ok_or(DomainError::NotFound("acceptance receipt"))?;
    let file = frozen_bytes(db, storage, document_id).await?;
    record_download(db, stamp, format!("quote:{quote_id}:receipt"), &file).await?;
    Ok(file)
}

/// What a check of a file against the recorded acceptances found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptCheck {
    /// SHA-256 of the file checked, hex.
    pub sha256: String,
    /// The acceptance of `actor`'s own (or, for office staff, any) quote whose frozen PDF has
    /// exactly these bytes.
    pub accepted: Option<Quote>,
}

/// Checks a file's SHA-256 (hex, as a receipt prints it) against the acceptances `actor` may
/// see: did the customer accept a quote whose frozen PDF has exactly these bytes? A contact
/// learns only about their own customer accounts' quotes; office staff about any. A hash that
/// is not 64 hex digits is bad input, named by its field.
pub async fn check_hash(
    db: &impl ConnectionTrait,
    actor: &Actor,
    sha256: &str,
) -> Result<ReceiptCheck, DomainError> {
    let sha256 = sha256.trim().to_ascii_lowercase();
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(DomainError::invalid(
            "sha256",
            "A SHA-256 is 64 characters, 0–9 and a–f, as the receipt prints it.",
        ));
    }
    let candidates = quotes::entity::Entity::find()
        .filter(quotes::entity::Column::SignedPdfSha256.eq(sha256.clone()))
        .all(db)
        .await?;
    let mut accepted = None;
    for quote in candidates {
        let job = jobs::find(db, quote.job_id).await?;
        if money_document(actor, job.customer_id, true).is_ok() {
            accepted = Some(quote);
            break;
        }
    }
    Ok(ReceiptCheck { sha256, accepted })
}
