//! The demo's files: the frozen PDF of every sent quote and issued invoice, and photos.

use super::*;

/// Real files for the demo: the PDF of every sent quote and issued invoice, visible to the
/// customer, and a photo on today's moves for the crew. Runs once, when there are no
/// documents yet.
pub async fn attach_demo_documents<C>(
    db: &C,
    storage: &dyn crate::documents::Storage,
    now: DateTime<Utc>,
) -> Result<usize, DomainError>
where
    C: ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>,
{
    use crate::{
        documents::{self, paperwork, DocumentKind, Upload, Visibility},
        invoices, quotes,
    };
    if documents::entity::Entity::find().count(db).await? > 0 {
        return Ok(0);
    }
    let office = crate::accounts::sign_in::find_user_by_email(db, "olga@vandijk.example")
        .await?
        .map_or(0, |u| u.id);
    let stamp = demo_stamp(now, office);
    let limit = 20 * 1024 * 1024;
    let mut count = 0;
    // The demo's quotes and invoices were issued without storage (the seed's transaction has
    // none); freezing them now is what their first download would do.
    for quote in quotes::entity::Entity::find().all(db).await? {
        if quote.status == quotes::QuoteStatus::Draft {
            continue;
        }
        paperwork::quote_pdf(db, storage, &stamp, &quote).await?;
        count += 1;
    }
    for invoice in invoices::entity::Entity::find().all(db).await? {
        if invoice.number.is_none() {
            continue;
        }
        paperwork::invoice_pdf(db, storage, &stamp, &invoice).await?;
        count += 1;
    }
    for summary in jobs::on_day(db, jobs::local_today(now, "Europe/Amsterdam"), None).await? {
        let upload = Upload {
            customer_id: Some(summary.job.customer_id),
            job_id: Some(summary.job.id),
            kind: DocumentKind::Photo,
            visibility: Visibility::Staff,
            file_name: "boxes-in-the-hallway.png".to_owned(),
            content: documents::Content::InMemory(DEMO_PHOTO.to_vec()),
        };
        documents::upload(db, storage, &stamp, upload, limit).await?;
        count += 1;
    }
    Ok(count)
}

/// A small real picture (PNG) for the demo's photos.
pub(super) const DEMO_PHOTO: &[u8] = include_bytes!("../../assets/demo-boxes.png");
