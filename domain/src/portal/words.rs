//! A move's status in the customer's words, and the one next thing they can do about it:
//! "Quote ready for you", "Confirmed: Tue 12 May, 08:00–10:00", "Crew on its way — arriving
//! about 10:40", "Invoice open: € 1.234,50". Decided here, on the server, from the job, its
//! latest quote and invoice and what this contact may see; the page only shows it.

use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::{
    invoices::{Invoice, InvoiceStatus},
    jobs::{Job, JobStatus},
    money::format_euros,
    quotes::Quote,
};

/// The one button a move's card offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "step")]
pub enum NextStep {
    /// Read the quote and accept or decline it (owner contacts).
    AnswerQuote { quote_id: i32 },
    /// Read the quote (payers: the owner answers it).
    ReadQuote { quote_id: i32 },
    /// Put moving day in the calendar.
    AddToCalendar,
    /// Follow the crew on the move page.
    FollowCrew,
    /// See what is still to pay.
    SeeInvoice { invoice_id: i32 },
    /// Open the move.
    OpenMove,
}

/// What a card says and offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveStatus {
    pub words: String,
    pub next: NextStep,
}

/// What the words depend on.
#[derive(Debug, Clone, Copy)]
pub struct MoveFacts<'a> {
    pub job: &'a Job,
    /// The latest version the customer was sent (never a draft).
    pub quote: Option<&'a Quote>,
    /// The move's latest issued invoice (never a draft or a credit note).
    pub invoice: Option<&'a Invoice>,
    /// Owner and payer contacts see amounts; a viewer does not.
    pub sees_money: bool,
    /// An owner contact: answers quotes.
    pub answers_quotes: bool,
}

/// "Tue 12 May"
pub fn short_date(day: chrono::NaiveDate) -> String {
    day.format("%a %-d %b").to_string()
}

/// "Tue 12 May, 08:00–10:00", or the day alone without a window.
pub fn moving_day(job: &Job) -> Option<String> {
    let day = short_date(job.confirmed_date?);
    Some(match (&job.slot_start, &job.slot_end) {
        (Some(start), Some(end)) => format!("{day}, {start}–{end}"),
        _ => day,
    })
}

/// The status and the next step of one move.
pub fn status(facts: MoveFacts<'_>, zone: Tz) -> MoveStatus {
    let job = facts.job;
    let open_move = NextStep::OpenMove;
    let quote_step = facts.quote.filter(|q| q.awaits_answer()).and_then(|q| {
        if facts.answers_quotes {
            Some(NextStep::AnswerQuote { quote_id: q.id })
        } else if facts.sees_money {
            Some(NextStep::ReadQuote { quote_id: q.id })
        } else {
            None
        }
    });
    let invoice_step = facts
        .invoice
        .filter(|_| facts.sees_money)
        .map_or(open_move, |i| NextStep::SeeInvoice { invoice_id: i.id });
    let outstanding = facts
        .invoice
        .filter(|_| facts.sees_money)
        .map(|i| format_euros(i.total_cents - i.paid_cents));
    let (words, next) = match job.status {
        JobStatus::Requested => (
            "Request received — we are preparing your quote".to_owned(),
            open_move,
        ),
        JobStatus::Quoted => match quote_step {
            Some(step @ NextStep::AnswerQuote { .. }) => ("Quote ready for you".to_owned(), step),
            Some(step) => ("Quote sent — the account owner answers it".to_owned(), step),
            None => ("Quote sent to the account owner".to_owned(), open_move),
        },
        JobStatus::Accepted => (
            "Quote accepted — we will confirm your moving day".to_owned(),
            open_move,
        ),
        JobStatus::Declined => ("Quote declined".to_owned(), open_move),
        JobStatus::Expired => (
            "The quote has expired — ask us for a new one".to_owned(),
            open_move,
        ),
        JobStatus::Scheduled => match moving_day(job) {
            Some(day) => (format!("Confirmed: {day}"), NextStep::AddToCalendar),
            None => ("Moving day confirmed".to_owned(), open_move),
        },
        JobStatus::EnRoute => match job.eta {
            Some(eta) => (
                format!(
                    "Crew on its way — arriving about {}",
                    eta.with_timezone(&zone).format("%H:%M")
                ),
                NextStep::FollowCrew,
            ),
            None => ("Crew on its way".to_owned(), NextStep::FollowCrew),
        },
        JobStatus::InProgress => ("The crew is at work".to_owned(), NextStep::FollowCrew),
        JobStatus::Completed => ("Move done — the invoice follows".to_owned(), open_move),
        JobStatus::Invoiced => match (facts.invoice.map(|i| i.status), outstanding) {
            (Some(InvoiceStatus::Overdue), Some(amount)) => {
                (format!("Invoice overdue: {amount}"), invoice_step)
            }
            (_, Some(amount)) => (format!("Invoice open: {amount}"), invoice_step),
            (_, None) => ("Invoice sent to the account owner".to_owned(), open_move),
        },
        JobStatus::Overdue => match outstanding {
            Some(amount) => (format!("Invoice overdue: {amount}"), invoice_step),
            None => ("Invoice overdue".to_owned(), open_move),
        },
        JobStatus::Paid => ("Paid — thank you".to_owned(), open_move),
        JobStatus::Cancelled => ("Cancelled".to_owned(), open_move),
    };
    MoveStatus { words, next }
}

/// A move that needs nothing more from anyone (it stays on the list, below the open ones).
pub fn is_closed(status: JobStatus) -> bool {
    matches!(
        status,
        JobStatus::Declined | JobStatus::Expired | JobStatus::Paid | JobStatus::Cancelled
    )
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone, Utc};
    use sea_orm::Iterable;

    use super::*;
    use crate::{invoices::InvoiceKind, quotes::QuoteStatus};

    fn job(status: JobStatus) -> Job {
        let at = Utc.with_ymd_and_hms(2026, 5, 1, 9, 0, 0).single().unwrap();
        Job {
            id: 7,
            reference: "J-0007".into(),
            customer_id: 1,
            status,
            origin_address: "A".into(),
            destination_address: "B".into(),
            requested_date: NaiveDate::from_ymd_opt(2026, 5, 12).unwrap(),
            created_at: at,
            updated_at: at,
            origin_notes: String::new(),
            destination_notes: String::new(),
            confirmed_date: Some(NaiveDate::from_ymd_opt(2026, 5, 12).unwrap()),
            slot_start: Some("08:00".into()),
            slot_end: Some("10:00".into()),
            volume_m3: None,
            notes: String::new(),
            // 08:40 UTC is 10:40 in Amsterdam in May (CEST).
            eta: Some(
                Utc.with_ymd_and_hms(2026, 5, 12, 8, 40, 0)
                    .single()
                    .unwrap(),
            ),
            schedule_sequence: 0,
        }
    }

    fn quote(status: QuoteStatus) -> Quote {
        let at = Utc.with_ymd_and_hms(2026, 5, 1, 9, 0, 0).single().unwrap();
        Quote {
            id: 3,
            job_id: 7,
            version: 1,
            status,
            valid_until: NaiveDate::from_ymd_opt(2026, 5, 30).unwrap(),
            net_cents: 100_000,
            vat_cents: 21_000,
            total_cents: 121_000,
            created_at: at,
            created_by: None,
            sent_at: Some(at),
            decided_at: None,
            decided_by: None,
            signed_name: None,
            signed_ip: None,
            signed_user_agent: None,
            signed_pdf_sha256: None,
            receipt_document_id: None,
            decline_reason: None,
            pdf_document_id: None,
        }
    }

    fn invoice(status: InvoiceStatus) -> Invoice {
        let at = Utc.with_ymd_and_hms(2026, 5, 13, 9, 0, 0).single().unwrap();
        Invoice {
            id: 9,
            customer_id: 1,
            job_id: Some(7),
            quote_id: Some(3),
            kind: InvoiceKind::Invoice,
            credits_invoice_id: None,
            number: Some("F2026-00001".into()),
            year: Some(2026),
            sequence: Some(1),
            status,
            issue_date: Some(at.date_naive()),
            due_date: Some(at.date_naive()),
            net_cents: 102_025,
            vat_cents: 21_425,
            total_cents: 123_450,
            paid_cents: 0,
            created_at: at,
            issued_at: Some(at),
            pdf_document_id: None,
        }
    }

    #[test]
    fn every_lifecycle_state_in_the_owners_words() {
        let zone: Tz = "Europe/Amsterdam".parse().unwrap();
        let sent = quote(QuoteStatus::Sent);
        let expected = [
            (
                JobStatus::Requested,
                "Request received — we are preparing your quote",
                NextStep::OpenMove,
            ),
            (
                JobStatus::Quoted,
                "Quote ready for you",
                NextStep::AnswerQuote { quote_id: 3 },
            ),
            (
                JobStatus::Accepted,
                "Quote accepted — we will confirm your moving day",
                NextStep::OpenMove,
            ),
            (JobStatus::Declined, "Quote declined", NextStep::OpenMove),
            (
                JobStatus::Expired,
                "The quote has expired — ask us for a new one",
                NextStep::OpenMove,
            ),
            (
                JobStatus::Scheduled,
                "Confirmed: Tue 12 May, 08:00–10:00",
                NextStep::AddToCalendar,
            ),
            (
                JobStatus::EnRoute,
                "Crew on its way — arriving about 10:40",
                NextStep::FollowCrew,
            ),
            (
                JobStatus::InProgress,
                "The crew is at work",
                NextStep::FollowCrew,
            ),
            (
                JobStatus::Completed,
                "Move done — the invoice follows",
                NextStep::OpenMove,
            ),
            (
                JobStatus::Invoiced,
                "Invoice open: € 1.234,50",
                NextStep::SeeInvoice { invoice_id: 9 },
            ),
            (
                JobStatus::Overdue,
                "Invoice overdue: € 1.234,50",
                NextStep::SeeInvoice { invoice_id: 9 },
            ),
            (JobStatus::Paid, "Paid — thank you", NextStep::OpenMove),
            (JobStatus::Cancelled, "Cancelled", NextStep::OpenMove),
        ];
        assert_eq!(
            expected.len(),
            JobStatus::iter().count(),
            "every state is listed"
        );
        for (state, words, next) in expected {
            let job = job(state);
            let open = invoice(if state == JobStatus::Overdue {
                InvoiceStatus::Overdue
            } else {
                InvoiceStatus::Issued
            });
            let facts = MoveFacts {
                job: &job,
                quote: (state == JobStatus::Quoted).then_some(&sent),
                invoice: matches!(state, JobStatus::Invoiced | JobStatus::Overdue).then_some(&open),
                sees_money: true,
                answers_quotes: true,
            };
            let got = status(facts, zone);
            assert_eq!((got.words.as_str(), got.next), (words, next), "{state:?}");
        }
    }

    #[test]
    fn a_viewer_sees_no_amount_and_a_payer_does_not_answer() {
        let zone: Tz = "Europe/Amsterdam".parse().unwrap();
        let invoiced = job(JobStatus::Invoiced);
        let open = invoice(InvoiceStatus::Issued);
        let viewer = status(
            MoveFacts {
                job: &invoiced,
                quote: None,
                invoice: Some(&open),
                sees_money: false,
                answers_quotes: false,
            },
            zone,
        );
        assert_eq!(viewer.words, "Invoice sent to the account owner");
        assert!(!viewer.words.contains('€'));
        assert_eq!(viewer.next, NextStep::OpenMove);

        let quoted = job(JobStatus::Quoted);
        let sent = quote(QuoteStatus::Sent);
        let payer = status(
            MoveFacts {
                job: &quoted,
                quote: Some(&sent),
                invoice: None,
                sees_money: true,
                answers_quotes: false,
            },
            zone,
        );
        assert_eq!(payer.next, NextStep::ReadQuote { quote_id: 3 });
    }

    #[test]
    fn the_arrival_time_is_shown_in_the_companys_zone_in_winter_too() {
        let zone: Tz = "Europe/Amsterdam".parse().unwrap();
        let mut en_route = job(JobStatus::EnRoute);
        // 09:40 UTC in January is 10:40 in Amsterdam (CET).
        en_route.eta = Some(
            Utc.with_ymd_and_hms(2027, 1, 12, 9, 40, 0)
                .single()
                .unwrap(),
        );
        let facts = MoveFacts {
            job: &en_route,
            quote: None,
            invoice: None,
            sees_money: true,
            answers_quotes: true,
        };
        assert_eq!(
            status(facts, zone).words,
            "Crew on its way — arriving about 10:40"
        );
    }
}
