//! Invoices on the staff side: drafted from the accepted quote, issued with the next number,
//! payments recorded, credited with a credit note; each with its PDF.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::PorticoError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceView {
    pub id: i32,
    /// `F2026-00001`, or "Draft".
    pub number: String,
    pub credit_note: bool,
    pub status: String,
    pub status_label: String,
    pub issue_date: Option<String>,
    pub due_date: Option<String>,
    pub total: String,
    pub paid: String,
    pub outstanding: String,
    pub outstanding_cents: i64,
    /// Where its PDF is (issued invoices and credit notes).
    pub pdf_url: Option<String>,
}

#[cfg(feature = "ssr")]
pub(crate) fn view_of(invoice: &portico_domain::invoices::Invoice) -> InvoiceView {
    use portico_domain::{
        invoices::{InvoiceKind, InvoiceStatus},
        money::format_euros,
    };

    use crate::staff::local;

    InvoiceView {
        id: invoice.id,
        number: invoice.number.clone().unwrap_or_else(|| "Draft".to_owned()),
        credit_note: invoice.kind == InvoiceKind::CreditNote,
        status: format!("{:?}", invoice.status).to_lowercase(),
        status_label: invoice.status.label().to_owned(),
        issue_date: invoice.issue_date.map(local::date),
        due_date: invoice.due_date.map(local::date),
        total: format_euros(invoice.total_cents),
        paid: format_euros(invoice.paid_cents),
        outstanding: format_euros(invoice.outstanding_cents()),
        outstanding_cents: invoice.outstanding_cents(),
        pdf_url: (invoice.status != InvoiceStatus::Draft)
            .then(|| format!("/files/invoices/{}.pdf", invoice.id)),
    }
}

#[cfg(feature = "ssr")]
pub(crate) async fn views_for_job(
    db: &sea_orm::DatabaseConnection,
    _here: &crate::staff::local::Local,
    job_id: i32,
) -> Result<Vec<InvoiceView>, PorticoError> {
    Ok(portico_domain::invoices::for_job(db, job_id)
        .await?
        .iter()
        .map(view_of)
        .collect())
}

/// A draft invoice from the job's accepted quote.
#[server(name = InvoiceFromQuote, prefix = "/api", endpoint = "invoices/from_quote")]
pub async fn invoice_from_quote(quote_id: i32) -> Result<(), PorticoError> {
    use portico_domain::{invoices, policy::Action};

    use crate::server;

    server::answer(async {
        let actor = server::authorize(Action::ManageBilling).await?;
        invoices::draft_from_quote(&server::db()?, &server::stamp(&actor)?, quote_id).await?;
        Ok(())
    })
    .await
}

/// A draft invoice typed by hand for a job (extra hours, materials, storage). Rows left blank
/// are skipped; the rest are checked like quote lines.
#[server(name = InvoiceByHand, prefix = "/api", endpoint = "invoices/by_hand")]
pub async fn invoice_by_hand(
    job_id: i32,
    #[server(default)] lines: Vec<crate::quotes::LineForm>,
) -> Result<(), PorticoError> {
    use portico_domain::{invoices, jobs, policy::Action};

    use crate::server;

    server::answer(async {
        let actor = server::authorize(Action::ManageBilling).await?;
        let db = server::db()?;
        let job = jobs::find(&db, job_id).await?;
        let typed: Vec<_> = lines
            .into_iter()
            .filter(|l| !(l.description.trim().is_empty() && l.unit_price.trim().is_empty()))
            .collect();
        let inputs = crate::quotes::convert::inputs(typed)?;
        invoices::draft_by_hand(
            &db,
            &server::stamp(&actor)?,
            job.customer_id,
            Some(job_id),
            inputs,
        )
        .await?;
        Ok(())
    })
    .await
}

/// Issues a draft with the next number of the year, dated today in the company's zone.
#[server(name = IssueInvoice, prefix = "/api", endpoint = "invoices/issue")]
pub async fn issue_invoice(invoice_id: i32) -> Result<(), PorticoError> {
    use portico_domain::{company, invoices, policy::Action};

    use crate::{server, staff::local::Local};

    server::answer(async {
        let actor = server::authorize(Action::ManageBilling).await?;
        let db = server::db()?;
        let settings = company::profile(&db).await?;
        let today = Local::load(&db).await?.today();
        let storage = server::storage()?;
        invoices::issue(
            &db,
            Some(&*storage),
            &server::stamp(&actor)?,
            invoice_id,
            today,
            &settings.invoice_prefix,
            u32::try_from(settings.payment_term_days).unwrap_or(14),
        )
        .await?;
        Ok(())
    })
    .await
}

/// Records money received (`amount` as typed, e.g. `250,00`).
#[server(name = RecordPayment, prefix = "/api", endpoint = "invoices/record_payment")]
pub async fn record_payment(
    invoice_id: i32,
    amount: String,
    method: String,
    #[server(default)] reference: String,
) -> Result<(), PorticoError> {
    use portico_domain::{
        invoices::{self, PaymentMethod},
        money::parse_euros,
        policy::Action,
    };

    use crate::server;

    server::answer(async {
        let actor = server::authorize(Action::ManageBilling).await?;
        let amount = parse_euros(&amount, "amount")?;
        let method = match method.as_str() {
            "bank_transfer" => PaymentMethod::BankTransfer,
            "ideal" => PaymentMethod::Ideal,
            "card" => PaymentMethod::Card,
            "cash" => PaymentMethod::Cash,
            _ => {
                return Err(PorticoError::Invalid {
                    field: "method".into(),
                    message: "Choose how the money came in.".into(),
                })
            }
        };
        invoices::record_payment(
            &server::db()?,
            &server::stamp(&actor)?,
            invoice_id,
            amount,
            method,
            &reference,
        )
        .await?;
        Ok(())
    })
    .await
}

/// Cancels an issued, unpaid invoice with a credit note.
#[server(name = CreditInvoice, prefix = "/api", endpoint = "invoices/credit")]
pub async fn credit_invoice(invoice_id: i32) -> Result<(), PorticoError> {
    use portico_domain::{company, invoices, policy::Action};

    use crate::{server, staff::local::Local};

    server::answer(async {
        let actor = server::authorize(Action::ManageBilling).await?;
        let db = server::db()?;
        let settings = company::profile(&db).await?;
        let today = Local::load(&db).await?.today();
        let storage = server::storage()?;
        invoices::credit(
            &db,
            Some(&*storage),
            &server::stamp(&actor)?,
            invoice_id,
            today,
            &settings.invoice_prefix,
        )
        .await?;
        Ok(())
    })
    .await
}
