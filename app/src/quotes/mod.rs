//! Quotes on the staff job page: the versions with their lines and VAT, the editor for the
//! draft (totals worked out by the server as lines change), sending, and recording the
//! customer's answer given by phone or e-mail.

pub mod editor;
pub mod receipt_check;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::PorticoError;

/// A line as typed into the editor: amounts as text ("145,00"), the VAT rate in percent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineForm {
    pub description: String,
    pub quantity: String,
    pub unit: String,
    pub unit_price: String,
    pub vat_rate: i32,
}

impl Default for LineForm {
    fn default() -> Self {
        Self {
            description: String::new(),
            quantity: "1".into(),
            unit: "stuk".into(),
            unit_price: String::new(),
            vat_rate: 21,
        }
    }
}

/// A priced line, formatted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineView {
    pub description: String,
    pub quantity: String,
    pub unit: String,
    pub unit_price: String,
    pub vat_rate: i32,
    pub net: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VatView {
    pub rate: i32,
    pub net: String,
    pub vat: String,
}

/// Net, VAT per rate, and total, formatted (`€ 1.234,56`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotalsView {
    pub net: String,
    pub vat: Vec<VatView>,
    pub total: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuoteView {
    pub id: i32,
    pub version: i32,
    pub state: crate::states::QuoteState,
    /// A draft: the editor and "Send" are offered.
    pub may_edit: bool,
    /// Sent and unanswered: staff may record the customer's answer.
    pub may_record_answer: bool,
    pub valid_until: String,
    pub valid_until_iso: String,
    pub sent_at: Option<String>,
    /// "Accepted by Sanne de Boer on …", "Declined: too expensive".
    pub decision: Option<String>,
    pub lines: Vec<LineView>,
    /// The lines as the editor shows them (for a draft).
    pub line_forms: Vec<LineForm>,
    pub totals: TotalsView,
}

#[cfg(feature = "ssr")]
pub(crate) mod convert {
    //! From the domain's numbers to what pages show, and back from what was typed.

    use portico_domain::money::{
        format_euros, format_quantity, parse_euros, parse_hundredths, LineInput, PricedLine,
        Totals, VatRate,
    };

    use super::{LineForm, LineView, TotalsView, VatView};
    use crate::PorticoError;

    /// `14500` → `145,00` (for an input, without the euro sign or thousands dots).
    pub fn plain_euros(cents: i64) -> String {
        let sign = if cents < 0 { "-" } else { "" };
        format!(
            "{sign}{},{:02}",
            cents.unsigned_abs() / 100,
            cents.unsigned_abs() % 100
        )
    }

    pub fn line_view(line: &PricedLine) -> LineView {
        LineView {
            description: line.input.description.clone(),
            quantity: format_quantity(line.input.quantity_hundredths),
            unit: line.input.unit.clone(),
            unit_price: format_euros(line.input.unit_price_cents),
            vat_rate: line.input.vat_rate.percent(),
            net: format_euros(line.net_cents),
        }
    }

    pub fn line_form(line: &PricedLine) -> LineForm {
        LineForm {
            description: line.input.description.clone(),
            quantity: format_quantity(line.input.quantity_hundredths),
            unit: line.input.unit.clone(),
            unit_price: plain_euros(line.input.unit_price_cents),
            vat_rate: line.input.vat_rate.percent(),
        }
    }

    pub fn totals(totals: &Totals) -> TotalsView {
        TotalsView {
            net: format_euros(totals.net_cents),
            vat: totals
                .vat
                .iter()
                .map(|v| VatView {
                    rate: v.rate.percent(),
                    net: format_euros(v.net_cents),
                    vat: format_euros(v.vat_cents),
                })
                .collect(),
            total: format_euros(totals.total_cents),
        }
    }

    /// What was typed, read into lines; the first problem names its field and line.
    pub fn inputs(lines: Vec<LineForm>) -> Result<Vec<LineInput>, PorticoError> {
        lines
            .into_iter()
            .enumerate()
            .map(|(index, line)| {
                let at = |e: portico_domain::DomainError| -> PorticoError {
                    match PorticoError::from(e) {
                        PorticoError::Invalid { field, message } => PorticoError::Invalid {
                            field,
                            message: format!("Line {}: {message}", index + 1),
                        },
                        other => other,
                    }
                };
                Ok(LineInput {
                    description: line.description,
                    quantity_hundredths: parse_hundredths(&line.quantity, "quantity")
                        .map_err(at)?,
                    unit: line.unit,
                    unit_price_cents: parse_euros(&line.unit_price, "unit_price").map_err(at)?,
                    vat_rate: VatRate::from_percent(line.vat_rate).map_err(at)?,
                })
            })
            .collect()
    }
}

#[cfg(feature = "ssr")]
pub(crate) async fn views_for_job(
    db: &portico_domain::DatabaseConnection,
    here: &crate::staff::local::Local,
    job_id: i32,
) -> Result<Vec<QuoteView>, PorticoError> {
    use portico_domain::quotes::{self, QuoteStatus};

    use crate::staff::local;

    Ok(quotes::for_job(db, job_id)
        .await?
        .into_iter()
        .map(|q| {
            let decision = match q.quote.status {
                QuoteStatus::Accepted => Some(format!(
                    "Accepted, signed “{}”, {}",
                    q.quote.signed_name.clone().unwrap_or_default(),
                    q.quote
                        .decided_at
                        .map(|at| here.date_time(at))
                        .unwrap_or_default()
                )),
                QuoteStatus::Declined => Some(match &q.quote.decline_reason {
                    Some(reason) => format!("Declined: {reason}"),
                    None => "Declined".to_owned(),
                }),
                _ => None,
            };
            QuoteView {
                id: q.quote.id,
                version: q.quote.version,
                state: q.quote.status.into(),
                may_edit: q.quote.is_editable(),
                may_record_answer: q.quote.awaits_answer(),
                valid_until: local::date(q.quote.valid_until),
                valid_until_iso: q.quote.valid_until.format("%Y-%m-%d").to_string(),
                sent_at: q.quote.sent_at.map(|at| here.date_time(at)),
                decision,
                lines: q.lines.iter().map(convert::line_view).collect(),
                line_forms: q.lines.iter().map(convert::line_form).collect(),
                totals: convert::totals(&q.totals),
            }
        })
        .collect())
}

/// Saves the job's draft quote (a new version when the last one was sent).
#[server(name = SaveQuote, prefix = "/api", endpoint = "quotes/save_quote", input = server_fn::codec::Json)]
pub async fn save_quote(
    job_id: i32,
    valid_until: String,
    lines: Vec<LineForm>,
) -> Result<(), PorticoError> {
    use portico_domain::{policy::Action, quotes};

    use crate::{server, staff::local::parse_date};

    let actor = server::authorize(Action::ManageJobs).await?;
    let draft = quotes::QuoteDraft {
        valid_until: parse_date(&valid_until, "valid_until")?,
        lines: convert::inputs(lines)?,
    };
    quotes::save_draft(&server::db()?, &server::stamp(&actor)?, job_id, draft).await?;
    Ok(())
}

/// What the editor shows under the lines while they are typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotePreview {
    /// The totals, once every line reads.
    pub totals: Option<TotalsView>,
    /// Why there are no totals yet ("Line 2: …").
    pub problem: Option<String>,
}

/// The totals of lines being typed, worked out by the same code that saves them. Half-typed
/// lines are normal here, so they are answered (200) with what is missing, not refused.
#[server(name = PreviewQuote, prefix = "/api", endpoint = "quotes/preview", input = server_fn::codec::Json)]
pub async fn preview_quote(lines: Vec<LineForm>) -> Result<QuotePreview, PorticoError> {
    use portico_domain::{
        money::{price_lines, Totals},
        policy::Action,
    };

    use crate::server;

    server::authorize(Action::ManageJobs).await?;
    let priced = convert::inputs(lines).and_then(|inputs| Ok(price_lines(inputs)?));
    Ok(match priced {
        Ok(priced) => QuotePreview {
            totals: Some(convert::totals(&Totals::of(&priced))),
            problem: None,
        },
        Err(PorticoError::Invalid { message, .. }) => QuotePreview {
            totals: None,
            problem: Some(message),
        },
        Err(other) => return Err(other),
    })
}

/// Sends the draft: it can no longer change, and the job is `quoted`.
#[server(name = SendQuote, prefix = "/api", endpoint = "quotes/send_quote")]
pub async fn send_quote(quote_id: i32) -> Result<(), PorticoError> {
    use portico_domain::{policy::Action, quotes};

    use crate::server;

    let actor = server::authorize(Action::ManageJobs).await?;
    let storage = server::storage()?;
    let db = server::db()?;
    let quote = quotes::send(&db, Some(&*storage), &server::stamp(&actor)?, quote_id).await?;
    server::notify(
        &db,
        portico_domain::notices::Notice::QuoteReady {
            job_id: quote.job_id,
        },
    )
    .await;
    Ok(())
}

/// Records the customer's answer given by phone or e-mail: `accepted` with the name they
/// gave, or `declined` with their reason. The audit log shows who recorded it.
#[server(name = RecordQuoteAnswer, prefix = "/api", endpoint = "quotes/record_answer")]
pub async fn record_quote_answer(
    quote_id: i32,
    answer: String,
    #[server(default)] name: String,
    #[server(default)] reason: String,
) -> Result<(), PorticoError> {
    use portico_domain::{policy::Action, quotes};

    use crate::server;

    let actor = server::authorize(Action::ManageJobs).await?;
    let db = server::db()?;
    let stamp = server::stamp(&actor)?;
    match answer.as_str() {
        "accepted" => quotes::accept(&db, &stamp, quote_id, &name).await?,
        "declined" => quotes::decline(&db, &stamp, quote_id, &reason).await?,
        _ => {
            return Err(PorticoError::Invalid {
                field: "answer".into(),
                message: "Choose accepted or declined.".into(),
            })
        }
    };
    Ok(())
}
