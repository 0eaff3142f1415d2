//! Notification mail about a move, through the outbox, with the company's name as sender:
//! a quote is ready, moving day is confirmed or changed, an invoice is issued, there is a reply
//! on the move's thread. Each mail links to the page and grants nothing by itself (the reader
//! signs in as usual), carries no message text (that stays behind the sign-in), and goes only
//! to the contacts who may see what it is about and did not turn that kind off. A thread sends
//! at most one mail per reader per [`THREAD_QUIET`], however many messages arrive.

pub mod entity;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};

use crate::{accounts::ContactScope, company, customers, invoices, jobs, mail, DomainError};

/// One mail per reader per thread in this window.
pub const THREAD_QUIET: Duration = Duration::minutes(15);

/// The kinds a person can turn off on their profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    QuoteReady,
    MovingDay,
    InvoiceIssued,
    Messages,
}

impl NoticeKind {
    pub const ALL: [NoticeKind; 4] = [
        Self::QuoteReady,
        Self::MovingDay,
        Self::InvoiceIssued,
        Self::Messages,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::QuoteReady => "quote_ready",
            Self::MovingDay => "moving_day",
            Self::InvoiceIssued => "invoice_issued",
            Self::Messages => "messages",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    /// On the profile page.
    pub fn label(self) -> &'static str {
        match self {
            Self::QuoteReady => "A quote is ready",
            Self::MovingDay => "Moving day is confirmed or changed",
            Self::InvoiceIssued => "An invoice is issued",
            Self::Messages => "A reply to your messages",
        }
    }

    /// Money matters go to owner and payer contacts only.
    fn for_scope(self, scope: ContactScope) -> bool {
        match self {
            Self::QuoteReady | Self::InvoiceIssued => {
                matches!(scope, ContactScope::Owner | ContactScope::Payer)
            }
            Self::MovingDay | Self::Messages => true,
        }
    }
}

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    QuoteReady {
        job_id: i32,
    },
    MovingDay {
        job_id: i32,
        changed: bool,
    },
    InvoiceIssued {
        invoice_id: i32,
    },
    /// A message on the move's thread by `author`: staff write to the customer's contacts, a
    /// contact writes to the office.
    Reply {
        job_id: i32,
        author: i32,
    },
    /// An online payment was booked: a receipt to the contact who paid (always sent: it is
    /// the answer to their own action, not news they may turn off).
    PaymentReceived {
        attempt_id: i32,
    },
}

struct Letter {
    kind: NoticeKind,
    job: jobs::Job,
    subject: String,
    /// What happened, one sentence.
    what: String,
    /// The page, under the portal's address.
    path: String,
}

/// The mail a notice sends; answers how many messages went into the outbox.
pub async fn send(
    db: &impl ConnectionTrait,
    notice: Notice,
    public_url: &str,
    now: DateTime<Utc>,
) -> Result<usize, DomainError> {
    let company_name = company::name_or_portico(db).await;
    let letter = match notice {
        Notice::QuoteReady { job_id } => {
            let job = jobs::find(db, job_id).await?;
            Letter {
                kind: NoticeKind::QuoteReady,
                subject: format!("Your quote for move {} is ready", job.reference),
                what: format!(
                    "{company_name} has sent you a quote for your move {}. You can read it, \
                     accept it or ask for a change in your portal.",
                    job.reference
                ),
                path: format!("/moves/{job_id}#quote"),
                job,
            }
        }
        Notice::MovingDay { job_id, changed } => {
            let job = jobs::find(db, job_id).await?;
            let day = crate::portal::words::moving_day(&job).unwrap_or_default();
            Letter {
                kind: NoticeKind::MovingDay,
                subject: if changed {
                    format!("Moving day changed: {day}")
                } else {
                    format!("Moving day confirmed: {day}")
                },
                what: format!(
                    "Your moving day for {} is {}: {day}. You can add it to your calendar in \
                     your portal.",
                    job.reference,
                    if changed { "now" } else { "confirmed" }
                ),
                path: format!("/moves/{job_id}"),
                job,
            }
        }
        Notice::InvoiceIssued { invoice_id } => {
            let invoice = invoices::find(db, invoice_id).await?;
            let Some(job_id) = invoice.job_id else {
                return Ok(0);
            };
            let job = jobs::find(db, job_id).await?;
            Letter {
                kind: NoticeKind::InvoiceIssued,
                subject: format!(
                    "Invoice {} for move {}",
                    invoice.number.clone().unwrap_or_default(),
                    job.reference
                ),
                what: format!(
                    "{company_name} has sent you invoice {} for your move {}. You can download \
                     it and see how to pay in your portal.",
                    invoice.number.clone().unwrap_or_default(),
                    job.reference
                ),
                path: format!("/moves/{job_id}#invoices"),
                job,
            }
        }
        Notice::PaymentReceived { attempt_id } => {
            return receipt(db, attempt_id, &company_name, public_url, now).await;
        }
        Notice::Reply { job_id, author } => {
            let job = jobs::find(db, job_id).await?;
            let writer = crate::accounts::admin::person(db, author).await?;
            if writer.staff_role.is_none() {
                return to_office(db, &job, public_url, now).await;
            }
            Letter {
                kind: NoticeKind::Messages,
                subject: format!("A reply about your move {}", job.reference),
                what: format!(
                    "{company_name} has written to you about your move {}. Read it in your \
                     portal (the message is there, not in this e-mail).",
                    job.reference
                ),
                path: format!("/moves/{job_id}#messages-title"),
                job,
            }
        }
    };
    to_contacts(db, letter, public_url, now).await
}

async fn receipt(
    db: &impl ConnectionTrait,
    attempt_id: i32,
    company_name: &str,
    public_url: &str,
    now: DateTime<Utc>,
) -> Result<usize, DomainError> {
    let attempt = crate::payments::find(db, attempt_id).await?;
    let Some(payer) = attempt.started_by else {
        return Ok(0);
    };
    let booked = crate::invoices::payment::Entity::find()
        .filter(crate::invoices::payment::Column::AttemptId.eq(attempt_id))
        .one(db)
        .await?;
    let Some(booked) = booked else {
        return Ok(0);
    };
    let invoice = invoices::find(db, attempt.invoice_id).await?;
    let person = crate::accounts::admin::person(db, payer).await?;
    let number = invoice.number.clone().unwrap_or_default();
    let test = attempt.provider == crate::payments::ProviderName::Test;
    let what = format!(
        "{company_name} received {} for invoice {number}{}. Payment reference: {}. Thank \
         you.{}",
        crate::money::format_euros(booked.amount_cents),
        if invoice.outstanding_cents() > 0 {
            format!(
                "; {} is still open",
                crate::money::format_euros(invoice.outstanding_cents())
            )
        } else {
            String::new()
        },
        booked.reference,
        if test {
            "\n\nThis was a TEST payment in Portico's test mode: no money moved."
        } else {
            ""
        }
    );
    let path = invoice
        .job_id
        .map(|job_id| format!("/moves/{job_id}#invoices"))
        .unwrap_or_else(|| "/".to_owned());
    let link = format!("{}{path}", public_url.trim_end_matches('/'));
    mail::enqueue(
        db,
        now,
        &person.email,
        &format!(
            "{}Payment received: invoice {number}",
            if test { "[TEST] " } else { "" }
        ),
        &body(&person.display_name, &what, &link),
    )
    .await?;
    Ok(1)
}

fn body(name: &str, what: &str, link: &str) -> String {
    format!(
        "Hello {name},\n\n{what}\n\n{link}\n\n\
         This e-mail gives no access by itself: you sign in as usual. You can choose which \
         e-mails you receive on your profile page in the portal.\n"
    )
}

/// Whether `to` was told about this thread within [`THREAD_QUIET`]; if not, notes it now.
async fn quiet_or_note(
    db: &impl ConnectionTrait,
    job_id: i32,
    to: &str,
    now: DateTime<Utc>,
) -> Result<bool, DomainError> {
    let recent = entity::Entity::find()
        .filter(entity::Column::JobId.eq(job_id))
        .filter(entity::Column::ToAddress.eq(to))
        .filter(entity::Column::Kind.eq(NoticeKind::Messages.code()))
        .filter(entity::Column::SentAt.gt(now - THREAD_QUIET))
        .one(db)
        .await?;
    if recent.is_some() {
        return Ok(true);
    }
    entity::ActiveModel {
        job_id: Set(job_id),
        to_address: Set(to.to_owned()),
        kind: Set(NoticeKind::Messages.code().to_owned()),
        sent_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(false)
}

async fn to_contacts(
    db: &impl ConnectionTrait,
    letter: Letter,
    public_url: &str,
    now: DateTime<Utc>,
) -> Result<usize, DomainError> {
    let link = format!("{}{}", public_url.trim_end_matches('/'), letter.path);
    let mut sent = 0;
    for (person, scope) in customers::contacts(db, letter.job.customer_id).await? {
        if !letter.kind.for_scope(scope) || !person.wants_mail(letter.kind.code()) {
            continue;
        }
        if letter.kind == NoticeKind::Messages
            && quiet_or_note(db, letter.job.id, &person.email, now).await?
        {
            continue;
        }
        mail::enqueue(
            db,
            now,
            &person.email,
            &letter.subject,
            &body(&person.display_name, &letter.what, &link),
        )
        .await?;
        sent += 1;
    }
    Ok(sent)
}

/// A customer wrote: the office's address hears of it, once per quiet window.
async fn to_office(
    db: &impl ConnectionTrait,
    job: &jobs::Job,
    public_url: &str,
    now: DateTime<Utc>,
) -> Result<usize, DomainError> {
    let Ok(company) = company::profile(db).await else {
        return Ok(0);
    };
    if company.email.is_empty() || quiet_or_note(db, job.id, &company.email, now).await? {
        return Ok(0);
    }
    let customer = customers::find(db, job.customer_id).await?;
    let link = format!(
        "{}/staff/jobs/{}#messages-title",
        public_url.trim_end_matches('/'),
        job.id
    );
    mail::enqueue(
        db,
        now,
        &company.email,
        &format!("New message from {} ({})", customer.name, job.reference),
        &body(
            &company.name,
            &format!(
                "{} wrote about move {}. Read and answer it in the portal.",
                customer.name, job.reference
            ),
            &link,
        ),
    )
    .await?;
    Ok(1)
}
