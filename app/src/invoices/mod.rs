//! Invoices on the staff side: drafted from the accepted quote, issued with the next number,
//! payments recorded, credited with a credit note; each with its PDF.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{states::InvoiceState, PorticoError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceView {
    pub id: i32,
    /// `F2026-00001`, or "Draft".
    pub number: String,
    pub credit_note: bool,
    pub state: InvoiceState,
    pub issue_date: Option<String>,
    pub due_date: Option<String>,
    pub total: String,
    pub paid: String,
    pub outstanding: String,
    pub outstanding_cents: i64,
    /// The open amount as the payment form's field takes it (`1234,50`).
    pub outstanding_input: String,
    /// Where its PDF is (issued invoices and credit notes).
    pub pdf_url: Option<String>,
    /// What the office may do with it now, by the domain's rules.
    pub may_issue: bool,
    pub may_record_payment: bool,
    pub may_credit: bool,
    /// The customer's "Pay € …" button (owner and payer, open and nothing being confirmed).
    pub may_pay: bool,
    /// "Pay € 1.234,50".
    pub pay_label: String,
    /// Payments go to Portico's test checkout: no money moves.
    pub test_mode: bool,
    /// A word about the last online payment ("your bank is confirming it", "try again").
    pub payment_note: Option<String>,
    /// Online payments on it, newest first.
    pub attempts: Vec<crate::payments::AttemptView>,
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
        state: invoice.status.into(),
        issue_date: invoice.issue_date.map(local::date),
        due_date: invoice.due_date.map(local::date),
        total: format_euros(invoice.total_cents),
        paid: format_euros(invoice.paid_cents),
        outstanding: format_euros(invoice.outstanding_cents()),
        outstanding_cents: invoice.outstanding_cents(),
        outstanding_input: crate::quotes::convert::plain_euros(invoice.outstanding_cents()),
        pdf_url: (invoice.status != InvoiceStatus::Draft)
            .then(|| format!("/files/invoices/{}.pdf", invoice.id)),
        may_issue: invoice.can_be_issued(),
        may_record_payment: invoice.takes_payments(),
        may_credit: invoice.can_be_credited(),
        may_pay: false,
        pay_label: format!("Pay {}", format_euros(invoice.outstanding_cents())),
        test_mode: false,
        payment_note: None,
        attempts: Vec::new(),
    }
}

/// The job's invoices, and the accepted quote that can still become one.
#[cfg(feature = "ssr")]
pub(crate) async fn for_job(
    db: &portico_domain::DatabaseConnection,
    job_id: i32,
) -> Result<(Vec<InvoiceView>, Option<i32>), PorticoError> {
    use portico_domain::invoices;

    let rows = invoices::for_job(db, job_id).await?;
    let from_quote = invoices::quote_to_invoice(db, job_id, &rows).await?;
    let ids: Vec<i32> = rows.iter().map(|i| i.id).collect();
    let mut attempts = crate::payments::attempts_by_invoice(db, &ids).await?;
    let here = crate::staff::local::Local::load(db).await?;
    let views = rows
        .iter()
        .map(|invoice| InvoiceView {
            attempts: attempts
                .remove(&invoice.id)
                .unwrap_or_default()
                .iter()
                .map(|a| crate::payments::attempt_view(a, &here, true))
                .collect(),
            ..view_of(invoice)
        })
        .collect();
    Ok((views, from_quote))
}

/// A draft invoice from the job's accepted quote.
#[server(name = InvoiceFromQuote, prefix = "/api", endpoint = "invoices/from_quote")]
pub async fn invoice_from_quote(quote_id: i32) -> Result<(), PorticoError> {
    use portico_domain::{invoices, policy::Action};

    use crate::server;

    let actor = server::authorize(Action::ManageBilling).await?;
    invoices::draft_from_quote(&server::db()?, &server::stamp(&actor)?, quote_id).await?;
    Ok(())
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
}

/// Issues a draft with the next number of the year, dated today in the company's zone.
#[server(name = IssueInvoice, prefix = "/api", endpoint = "invoices/issue")]
pub async fn issue_invoice(invoice_id: i32) -> Result<(), PorticoError> {
    use portico_domain::{company, invoices, policy::Action};

    use crate::{server, staff::local::Local};

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
    server::notify(
        &db,
        portico_domain::notices::Notice::InvoiceIssued { invoice_id },
    )
    .await;
    Ok(())
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
}

/// Cancels an issued, unpaid invoice with a credit note.
#[server(name = CreditInvoice, prefix = "/api", endpoint = "invoices/credit")]
pub async fn credit_invoice(invoice_id: i32) -> Result<(), PorticoError> {
    use portico_domain::{company, invoices, policy::Action};

    use crate::{server, staff::local::Local};

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
}
