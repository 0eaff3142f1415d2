//! The customer's side: the home page with their moves, the move page with its quote, moving
//! day, documents, invoices and messages, and answering a quote. Every server function starts
//! from the signed-in contact and asks `portico_domain::portal`, which asks the policy.

pub mod home;
pub mod move_page;
pub mod people;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{
    documents::DocumentView,
    invoices::InvoiceView,
    jobs::TimelineItem,
    quotes::{LineView, TotalsView},
    states::{JobState, QuoteState},
    PorticoError,
};

/// The one thing a move's card offers, decided on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "step")]
pub enum NextAction {
    AnswerQuote { quote_id: i32 },
    ReadQuote { quote_id: i32 },
    AddToCalendar,
    FollowCrew,
    SeeInvoice { invoice_id: i32 },
    OpenMove,
}

impl NextAction {
    /// The button's words.
    pub fn label(self) -> &'static str {
        match self {
            Self::AnswerQuote { .. } => "Review and accept the quote",
            Self::ReadQuote { .. } => "Read the quote",
            Self::AddToCalendar => "Add to calendar",
            Self::FollowCrew => "Follow the crew",
            Self::SeeInvoice { .. } => "See the invoice",
            Self::OpenMove => "Open the move",
        }
    }

    /// Where the button goes for move `job_id`.
    pub fn href(self, job_id: i32) -> String {
        match self {
            Self::AnswerQuote { .. } | Self::ReadQuote { .. } => format!("/moves/{job_id}#quote"),
            Self::AddToCalendar => calendar_url(job_id),
            Self::FollowCrew => format!("/moves/{job_id}#status"),
            Self::SeeInvoice { .. } => format!("/moves/{job_id}#invoices"),
            Self::OpenMove => format!("/moves/{job_id}"),
        }
    }

    /// A download rather than a page.
    pub fn is_download(self) -> bool {
        self == Self::AddToCalendar
    }
}

/// The move's calendar entry.
pub fn calendar_url(job_id: i32) -> String {
    format!("/files/moves/{job_id}/moving-day.ics")
}

/// One move on the home page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveCardView {
    pub id: i32,
    pub reference: String,
    pub state: JobState,
    /// "Confirmed: Tue 12 May, 08:00–10:00"
    pub words: String,
    pub next: NextAction,
    /// "Keizersgracht 12, Amsterdam → Oudegracht 45, Utrecht"
    pub route: String,
    pub unread: usize,
}

/// The customer account the contact is looking at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountChoice {
    pub customer_id: i32,
    pub name: String,
    pub active: bool,
}

/// The home page of a signed-in contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HomeView {
    pub account_name: String,
    /// Every account this person belongs to (more than one: a switch is shown).
    pub accounts: Vec<AccountChoice>,
    pub moves: Vec<MoveCardView>,
    pub unread: usize,
    pub open_items: usize,
    /// An owner of this account: "People on this account" is offered.
    pub may_manage_people: bool,
}

/// An acceptance, as the customer reads it back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcceptanceView {
    pub signed_name: String,
    pub at: String,
    /// SHA-256 of the quote PDF accepted, hex.
    pub sha256: Option<String>,
    pub receipt_url: Option<String>,
}

/// A sent version of the move's quote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerQuoteView {
    pub id: i32,
    pub version: i32,
    pub state: QuoteState,
    pub valid_until: String,
    pub sent_at: Option<String>,
    pub lines: Vec<LineView>,
    pub totals: TotalsView,
    pub pdf_url: String,
    /// Sent, unanswered, and this person is an owner contact.
    pub may_answer: bool,
    /// The same, and no change asked for yet: "Ask for a change" is offered.
    pub may_ask_change: bool,
    pub accepted: Option<AcceptanceView>,
    pub decline_reason: Option<String>,
}

/// How to pay an open invoice by bank transfer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentInstructions {
    pub beneficiary: String,
    pub iban: String,
}

/// Everything the move page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveView {
    pub id: i32,
    pub reference: String,
    pub state: JobState,
    pub words: String,
    pub next: NextAction,
    pub origin_address: String,
    pub origin_notes: String,
    pub destination_address: String,
    pub destination_notes: String,
    /// "Tue 12 May, 08:00–10:00" once confirmed.
    pub moving_day: Option<String>,
    pub calendar_url: Option<String>,
    pub timeline: Vec<TimelineItem>,
    pub quotes: Vec<CustomerQuoteView>,
    pub invoices: Vec<InvoiceView>,
    pub payment: Option<PaymentInstructions>,
    pub documents: Vec<DocumentView>,
    /// Owner and payer: amounts, quotes and invoices are on the page.
    pub sees_money: bool,
    /// Owner: may write to the office.
    pub may_write: bool,
    /// Owner and payer: may send photos and files for the inventory.
    pub may_upload: bool,
    /// Owner, the day confirmed and ahead, no request open: "Ask to reschedule" is offered.
    pub may_ask_reschedule: bool,
    /// What the customer asked the office, with the answers.
    pub requests: Vec<crate::requests::RequestView>,
}

#[cfg(feature = "ssr")]
mod convert {
    use portico_domain::portal::NextStep;

    use super::NextAction;

    impl From<NextStep> for NextAction {
        fn from(step: NextStep) -> Self {
            match step {
                NextStep::AnswerQuote { quote_id } => Self::AnswerQuote { quote_id },
                NextStep::ReadQuote { quote_id } => Self::ReadQuote { quote_id },
                NextStep::AddToCalendar => Self::AddToCalendar,
                NextStep::FollowCrew => Self::FollowCrew,
                NextStep::SeeInvoice { invoice_id } => Self::SeeInvoice { invoice_id },
                NextStep::OpenMove => Self::OpenMove,
            }
        }
    }
}

/// The signed-in contact's moves on their active customer account.
#[server(name = MyMoves, prefix = "/api", endpoint = "portal/my_moves")]
pub async fn my_moves() -> Result<HomeView, PorticoError> {
    use portico_domain::{customers, policy::Actor, portal};

    use crate::{accounts::customer_accounts::active_customer, server, staff::local::Local};

    let actor = server::current_actor().await?;
    let db = server::db()?;
    let Some(customer_id) = active_customer(&actor).await? else {
        return Err(match actor {
            Actor::Anonymous => PorticoError::Unauthenticated,
            _ => PorticoError::Forbidden,
        });
    };
    let here = Local::load(&db).await?;
    let overview = portal::overview(&db, &actor, customer_id, here.zone).await?;
    let mut accounts = Vec::new();
    if let Actor::Contact { memberships, .. } = &actor {
        let ids: Vec<i32> = memberships.iter().map(|m| m.customer_id).collect();
        for customer in customers::find_many(&db, &ids).await? {
            accounts.push(AccountChoice {
                active: customer.id == customer_id,
                customer_id: customer.id,
                name: customer.name,
            });
        }
    }
    let account_name = accounts
        .iter()
        .find(|a| a.active)
        .map(|a| a.name.clone())
        .unwrap_or_default();
    let may_manage_people = portico_domain::policy::can(
        &actor,
        portico_domain::policy::Action::ManagePeople { customer_id },
    )
    .is_allowed();
    Ok(HomeView {
        may_manage_people,
        account_name,
        accounts,
        unread: overview.unread,
        open_items: overview.open_items,
        moves: overview
            .moves
            .into_iter()
            .map(|card| MoveCardView {
                id: card.job.id,
                reference: card.job.reference.clone(),
                state: card.job.status.into(),
                words: card.status.words,
                next: card.status.next.into(),
                route: format!(
                    "{} → {}",
                    card.job.origin_address, card.job.destination_address
                ),
                unread: card.unread,
            })
            .collect(),
    })
}

/// One move, as far as the signed-in person may see it (another customer's move is 404).
#[server(name = CustomerMove, prefix = "/api", endpoint = "portal/move")]
pub async fn customer_move(job_id: i32) -> Result<MoveView, PorticoError> {
    use portico_domain::{
        company, jobs::JobStatus, portal, quotes::QuoteStatus, requests as asked,
        requests::RequestKind,
    };

    use crate::{documents::human_size, server, staff::local::Local};

    let actor = server::current_actor().await?;
    let db = server::db()?;
    let here = Local::load(&db).await?;
    let detail = portal::move_detail(&db, &actor, job_id, here.zone).await?;
    server::record_staff_view(&db, &actor, format!("job:{job_id}")).await?;
    let job = &detail.job;
    let requests = asked::for_job(&db, job_id).await?;
    let open = |kind: RequestKind| requests.iter().any(|r| r.kind == kind && r.is_open());
    let quotes = detail
        .quotes
        .iter()
        .map(|q| {
            let quote = &q.quote;
            CustomerQuoteView {
                id: quote.id,
                version: quote.version,
                state: quote.status.into(),
                valid_until: crate::staff::local::date(quote.valid_until),
                sent_at: quote.sent_at.map(|at| here.date_time(at)),
                lines: q
                    .lines
                    .iter()
                    .map(crate::quotes::convert::line_view)
                    .collect(),
                totals: crate::quotes::convert::totals(&q.totals),
                pdf_url: format!("/files/quotes/{}.pdf", quote.id),
                may_answer: detail.rights.answers_quotes
                    && quote.awaits_answer()
                    && quote.valid_until >= here.today(),
                may_ask_change: detail.rights.answers_quotes
                    && quote.awaits_answer()
                    && !open(RequestKind::QuoteChange),
                accepted: (quote.status == QuoteStatus::Accepted).then(|| AcceptanceView {
                    signed_name: quote.signed_name.clone().unwrap_or_default(),
                    at: quote
                        .decided_at
                        .map(|at| here.date_time(at))
                        .unwrap_or_default(),
                    sha256: quote.signed_pdf_sha256.clone(),
                    receipt_url: quote
                        .receipt_document_id
                        .map(|_| format!("/files/quotes/{}/receipt.pdf", quote.id)),
                }),
                decline_reason: quote.decline_reason.clone(),
            }
        })
        .collect();
    let invoice_ids: Vec<i32> = detail.invoices.iter().map(|i| i.id).collect();
    let mut attempts = crate::payments::attempts_by_invoice(&db, &invoice_ids).await?;
    let test_mode =
        use_context::<portico_domain::payments::Payments>().is_some_and(|p| p.test_mode());
    let pays = portico_domain::policy::can(
        &actor,
        portico_domain::policy::Action::PayInvoice {
            customer_id: job.customer_id,
        },
    )
    .is_allowed();
    let invoices: Vec<InvoiceView> = detail
        .invoices
        .iter()
        .map(|i| {
            let tried = attempts.remove(&i.id).unwrap_or_default();
            let open = i.takes_payments() && i.outstanding_cents() > 0;
            let confirming = tried.iter().any(|a| {
                matches!(
                    a.status,
                    portico_domain::payments::AttemptStatus::Pending
                        | portico_domain::payments::AttemptStatus::Authorized
                )
            });
            let payment_note = match tried.first() {
                _ if !open => None,
                _ if confirming => Some(
                    "Your bank is confirming your payment; this page shows it as soon as it \
                     does."
                        .to_owned(),
                ),
                Some(last) if last.status.ended_unpaid() => Some(format!(
                    "Your last payment was {}. Nothing was charged; you can try again.",
                    last.status.label()
                )),
                _ => None,
            };
            InvoiceView {
                may_issue: false,
                may_record_payment: false,
                may_credit: false,
                may_pay: pays && open && !confirming,
                test_mode,
                payment_note,
                attempts: tried
                    .iter()
                    .map(|a| crate::payments::attempt_view(a, &here, false))
                    .collect(),
                ..crate::invoices::view_of(i)
            }
        })
        .collect();
    let payment = if invoices
        .iter()
        .any(|i| i.outstanding_cents > 0 && !i.credit_note)
    {
        let company = company::profile(&db).await?;
        (!company.iban.is_empty()).then_some(PaymentInstructions {
            beneficiary: company.name,
            iban: company.iban,
        })
    } else {
        None
    };
    Ok(MoveView {
        id: job.id,
        reference: job.reference.clone(),
        state: job.status.into(),
        words: detail.status.words.clone(),
        next: detail.status.next.into(),
        origin_address: job.origin_address.clone(),
        origin_notes: job.origin_notes.clone(),
        destination_address: job.destination_address.clone(),
        destination_notes: job.destination_notes.clone(),
        moving_day: portal::words::moving_day(job),
        calendar_url: job.confirmed_date.map(|_| calendar_url(job.id)),
        timeline: detail
            .timeline
            .iter()
            .rev()
            .map(|e| TimelineItem {
                at: here.date_time(e.at),
                by: e.by.clone(),
                to: e.to.into(),
                note: e.note.clone(),
                eta: e.eta.map(|eta| here.time(eta)),
            })
            .collect(),
        quotes,
        invoices,
        payment,
        documents: detail
            .documents
            .iter()
            .map(|d| DocumentView {
                id: d.id,
                kind: d.kind.label().to_owned(),
                size: human_size(d.size_bytes),
                uploaded: here.date_time(d.created_at),
                visible_to_customer: true,
                url: format!("/files/documents/{}", d.id),
                file_name: d.file_name.clone(),
            })
            .collect(),
        sees_money: detail.rights.sees_money,
        may_write: detail.rights.writes_messages,
        may_upload: portico_domain::policy::can(
            &actor,
            portico_domain::policy::Action::UploadToJob(portico_domain::policy::JobAccess {
                customer_id: job.customer_id,
                crew: &[],
            }),
        )
        .is_allowed(),
        may_ask_reschedule: detail.rights.answers_quotes
            && job.status == JobStatus::Scheduled
            && job.confirmed_date.is_some_and(|d| d >= here.today())
            && !open(RequestKind::Reschedule),
        requests: requests
            .iter()
            .map(|r| crate::requests::RequestView {
                may_take_a_date: false,
                may_decline: false,
                ..crate::requests::view_of(r, &here)
            })
            .collect(),
    })
}

/// Accepts a quote for the signed-in owner contact: their typed full name as the signature and
/// an explicit confirmation. The server records the time, address, browser and the SHA-256 of
/// the quote PDF, and keeps the acceptance receipt.
#[server(name = AcceptQuote, prefix = "/api", endpoint = "portal/accept_quote")]
pub async fn accept_quote(
    quote_id: i32,
    #[server(default)] signed_name: String,
    #[server(default)] confirmed: Option<String>,
) -> Result<(), PorticoError> {
    use portico_domain::quotes::answer;

    use crate::server;

    let actor = server::current_actor().await?;
    let db = server::db()?;
    let storage = server::storage()?;
    answer::accept_in_portal(
        &db,
        storage.as_ref(),
        &actor,
        &server::stamp(&actor)?,
        quote_id,
        &signed_name,
        confirmed.is_some_and(|c| !c.is_empty()),
    )
    .await?;
    Ok(())
}

/// Declines a quote for the signed-in owner contact, with their reason.
#[server(name = DeclineQuote, prefix = "/api", endpoint = "portal/decline_quote")]
pub async fn decline_quote(
    quote_id: i32,
    #[server(default)] reason: String,
) -> Result<(), PorticoError> {
    use portico_domain::quotes::answer;

    use crate::server;

    let actor = server::current_actor().await?;
    answer::decline_in_portal(
        &server::db()?,
        &actor,
        &server::stamp(&actor)?,
        quote_id,
        &reason,
    )
    .await?;
    Ok(())
}

/// The owner contact asks to move moving day: one to three preferred dates and a note.
#[server(name = AskToReschedule, prefix = "/api", endpoint = "portal/ask_to_reschedule")]
pub async fn ask_to_reschedule(
    job_id: i32,
    #[server(default)] date_1: String,
    #[server(default)] date_2: String,
    #[server(default)] date_3: String,
    #[server(default)] note: String,
) -> Result<(), PorticoError> {
    use portico_domain::requests;

    use crate::{
        server,
        staff::local::{self, Local},
    };

    let actor = server::current_actor().await?;
    let db = server::db()?;
    let here = Local::load(&db).await?;
    let mut dates = Vec::new();
    for (field, text) in [
        ("date_1", &date_1),
        ("date_2", &date_2),
        ("date_3", &date_3),
    ] {
        if !text.trim().is_empty() {
            dates.push(local::parse_date(text, field)?);
        }
    }
    requests::ask_to_reschedule(
        &db,
        &actor,
        &server::stamp(&actor)?,
        job_id,
        &dates,
        &note,
        here.today(),
    )
    .await?;
    Ok(())
}

/// The owner contact asks for a change to a sent quote version, saying what.
#[server(name = AskForQuoteChange, prefix = "/api", endpoint = "portal/ask_for_change")]
pub async fn ask_for_quote_change(
    quote_id: i32,
    #[server(default)] note: String,
) -> Result<(), PorticoError> {
    use portico_domain::requests;

    use crate::server;

    let actor = server::current_actor().await?;
    requests::ask_for_quote_change(
        &server::db()?,
        &actor,
        &server::stamp(&actor)?,
        quote_id,
        &note,
    )
    .await?;
    Ok(())
}

/// What the menu counts for a contact: unread messages and things waiting for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MenuCounts {
    pub unread: usize,
    pub open_items: usize,
}

#[server(name = MyCounts, prefix = "/api", endpoint = "portal/counts")]
pub async fn my_counts() -> Result<MenuCounts, PorticoError> {
    use portico_domain::{policy::Actor, portal};

    use crate::{accounts::customer_accounts::active_customer, server, staff::local::Local};

    let actor = server::current_actor().await?;
    let Some(customer_id) = active_customer(&actor).await? else {
        return Err(match actor {
            Actor::Anonymous => PorticoError::Unauthenticated,
            _ => PorticoError::Forbidden,
        });
    };
    let db = server::db()?;
    let zone = Local::load(&db).await?.zone;
    let overview = portal::overview(&db, &actor, customer_id, zone).await?;
    Ok(MenuCounts {
        unread: overview.unread,
        open_items: overview.open_items,
    })
}

/// "Your moves" in the menu, with what waits: unread messages and open items.
#[component]
pub fn MovesLink(
    counts: Option<MenuCounts>,
    #[prop(into)] on_click: Callback<()>,
) -> impl IntoView {
    use leptos_router::components::A;

    // The same elements whatever the counts (only text and attributes change), so the
    // server's HTML and the hydrating browser agree on the shape.
    let counts = counts.unwrap_or(MenuCounts {
        unread: 0,
        open_items: 0,
    });
    let waiting = counts.unread + counts.open_items;
    let title = format!("{} unread, {} to do", counts.unread, counts.open_items);
    let spoken = format!(
        " ({} unread messages, {} things to do)",
        counts.unread, counts.open_items
    );
    view! {
        <A href="/" on:click=move |_| on_click.run(())>
            <span>"Your moves"</span>
            <span class="count count--menu" title=title hidden=waiting == 0>
                <span aria-hidden="true">{waiting.to_string()}</span>
                <span class="visually-hidden">{spoken}</span>
            </span>
        </A>
    }
}
