//! The demo's history, told with the real services: quotes sent and answered, moves scheduled
//! and done, invoices issued and paid or overdue, and the conversations on three jobs.

use super::{cast::DemoJob, *};

/// The quote a move of this size gets: crew hours, the van, boxes and a parking permit.
pub(super) fn demo_lines(volume_m3: i32) -> Vec<crate::money::LineInput> {
    use crate::money::{LineInput, VatRate};
    let hours = i64::from(volume_m3.max(4)) * 25; // a quarter of an hour per m³
    vec![
        LineInput {
            description: "Movers, crew of two".to_owned(),
            quantity_hundredths: hours,
            unit: "hour".to_owned(),
            unit_price_cents: 11_500,
            vat_rate: VatRate::Standard,
        },
        LineInput {
            description: "Moving van (40 m³) with fuel".to_owned(),
            quantity_hundredths: 100,
            unit: "day".to_owned(),
            unit_price_cents: 19_500,
            vat_rate: VatRate::Standard,
        },
        LineInput {
            description: "Moving boxes, delivered beforehand".to_owned(),
            quantity_hundredths: i64::from(volume_m3) * 150,
            unit: "box".to_owned(),
            unit_price_cents: 275,
            vat_rate: VatRate::Standard,
        },
        LineInput {
            description: "Parking permit, municipality".to_owned(),
            quantity_hundredths: 100,
            unit: "permit".to_owned(),
            unit_price_cents: 4_250,
            vat_rate: VatRate::Zero,
        },
    ]
}

/// What is left to do for a job once it is completed: issue its invoice, then pay it or let it
/// fall due.
pub(super) struct Bill {
    pub(super) quote_id: i32,
    pub(super) issue_day: NaiveDate,
    pub(super) end: JobStatus,
    pub(super) day: NaiveDate,
}

/// Takes a job through its lifecycle with the real services, up to its story's state. Times
/// are set back so the timeline reads like the weeks before the move.
#[allow(clippy::too_many_arguments)]
pub(super) async fn tell_story(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    today: NaiveDate,
    office: i32,
    owner: i32,
    crew: &[i32],
    customer_id: i32,
    demo: &DemoJob,
) -> Result<Option<Bill>, DomainError> {
    use crate::quotes::{self, QuoteDraft};
    use JobStatus as S;

    let day = shift(today, demo.day);
    // Past moves were booked three weeks ahead; future ones in the last few days.
    let start = if demo.day > 0 {
        now - chrono::Duration::days(4)
    } else {
        at(day, -20, 9)
    };
    let hours = |h: i64| start + chrono::Duration::hours(h);
    let details = jobs::JobDetails {
        origin_address: demo.origin.0.to_owned(),
        origin_notes: demo.origin.1.to_owned(),
        destination_address: demo.destination.0.to_owned(),
        destination_notes: demo.destination.1.to_owned(),
        requested_date: Some(day),
        volume_m3: Some(demo.volume_m3),
        notes: String::new(),
    };
    let job = jobs::create(txn, &demo_stamp(hours(0), owner), customer_id, details).await?;
    match demo.story {
        S::Requested => return Ok(None),
        S::Cancelled => {
            let stamp = demo_stamp(hours(30), office);
            jobs::change_status(
                txn,
                &stamp,
                job.id,
                S::Cancelled,
                "The customer found a closer mover.",
                None,
            )
            .await?;
            return Ok(None);
        }
        _ => {}
    }
    let valid_until = if demo.story == S::Expired {
        shift(start.date_naive(), 7)
    } else {
        shift(start.date_naive(), 30)
    };
    let draft = QuoteDraft {
        valid_until,
        lines: demo_lines(demo.volume_m3),
    };
    let quote = quotes::save_draft(txn, &demo_stamp(hours(20), office), job.id, draft).await?;
    quotes::send(txn, None, &demo_stamp(hours(21), office), quote.quote.id).await?;
    let signer = CUSTOMERS
        .iter()
        .find(|c| c.jobs.iter().any(|j| std::ptr::eq(j, demo)))
        .map_or("Customer", |c| c.contact.0);
    match demo.story {
        S::Quoted => return Ok(None),
        S::Declined => {
            quotes::decline(
                txn,
                &demo_stamp(hours(70), owner),
                quote.quote.id,
                "We will move ourselves after all.",
            )
            .await?;
            return Ok(None);
        }
        S::Expired => {
            let lapse = crate::audit::Stamp::system(at(valid_until, 1, 2));
            quotes::expire_due(txn, &lapse, shift(valid_until, 1)).await?;
            return Ok(None);
        }
        _ => {}
    }
    quotes::accept(txn, &demo_stamp(hours(70), owner), quote.quote.id, signer).await?;
    if demo.story == S::Accepted {
        return Ok(None);
    }
    let plan = jobs::Schedule {
        date: day,
        slot_start: demo.slot.0.to_owned(),
        slot_end: demo.slot.1.to_owned(),
        crew: demo
            .crew
            .iter()
            .filter_map(|i| crew.get(*i).copied())
            .collect(),
    };
    jobs::schedule(txn, &demo_stamp(hours(90).min(now), office), job.id, plan).await?;
    if demo.story == S::Scheduled {
        return Ok(None);
    }
    let lead = demo
        .crew
        .first()
        .and_then(|i| crew.get(*i).copied())
        .unwrap_or(office);
    // Today's moves are under way now; earlier ones went by the clock of their day.
    let (left, started, done) = if demo.day == 0 {
        (
            now - chrono::Duration::minutes(10),
            now - chrono::Duration::minutes(5),
            now,
        )
    } else {
        (at(day, 0, 6), at(day, 0, 7), at(day, 0, 14))
    };
    let eta = left + chrono::Duration::minutes(35);
    jobs::change_status(
        txn,
        &demo_stamp(left, lead),
        job.id,
        S::EnRoute,
        "",
        Some(eta),
    )
    .await?;
    if demo.story == S::EnRoute {
        return Ok(None);
    }
    let started = if demo.day == 0 {
        started.max(left)
    } else {
        started
    };
    jobs::change_status(
        txn,
        &demo_stamp(started, lead),
        job.id,
        S::InProgress,
        "",
        None,
    )
    .await?;
    if demo.story == S::InProgress {
        return Ok(None);
    }
    jobs::change_status(
        txn,
        &demo_stamp(done.max(started), lead),
        job.id,
        S::Completed,
        "All furniture in place, boxes emptied.",
        None,
    )
    .await?;
    if demo.story == S::Completed {
        return Ok(None);
    }
    Ok(Some(Bill {
        quote_id: quote.quote.id,
        issue_day: shift(day, 1),
        end: demo.story,
        day,
    }))
}

/// Issues the invoice of a completed job, then pays it or lets it fall due.
pub(super) async fn bill_story(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    office: i32,
    bill: Bill,
) -> Result<(), DomainError> {
    use crate::invoices::{self, PaymentMethod};
    let issued_at = at(bill.issue_day, 0, 9);
    let invoice =
        invoices::draft_from_quote(txn, &demo_stamp(issued_at, office), bill.quote_id).await?;
    let invoice = invoices::issue(
        txn,
        None,
        &demo_stamp(issued_at, office),
        invoice.id,
        bill.issue_day,
        "VD",
        14,
    )
    .await?;
    match bill.end {
        JobStatus::Paid => {
            let paid_at = at(bill.day, 9, 10);
            invoices::record_payment(
                txn,
                &demo_stamp(paid_at, office),
                invoice.id,
                invoice.total_cents,
                PaymentMethod::Ideal,
                "iDEAL tr_demo",
            )
            .await?;
        }
        JobStatus::Overdue => {
            let today = jobs::local_today(now, "Europe/Amsterdam");
            invoices::mark_overdue(txn, &crate::audit::Stamp::system(now), today).await?;
        }
        _ => {}
    }
    Ok(())
}

/// Conversations on three jobs; the newest customer messages are unread by the office.
pub(super) async fn demo_messages(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    office: i32,
    owners: &[i32],
    crew: &[i32],
) -> Result<(), DomainError> {
    use crate::messages;
    let ago = |minutes: i64| now - chrono::Duration::minutes(minutes);
    let thread: [(i32, usize, i64, &str); 6] = [
        // (job, who: 0 = customer, 1 = office, 2 = crew lead, minutes ago, text)
        (
            1,
            0,
            600,
            "Hello! Is the parking permit for the Oudegracht arranged, or should we do that?",
        ),
        (
            1,
            1,
            560,
            "We arranged it: the permit is in your documents. The crew will call when they leave.",
        ),
        (
            1,
            0,
            30,
            "Great. Could the crew bring two wardrobe boxes extra?",
        ),
        (3, 0, 900, "Is moving the piano included in the quote?"),
        (5, 0, 20, "Please use the back entrance, the shop is open."),
        (5, 2, 12, "Will do, we are almost there."),
    ];
    let owner_of_job = [(1, 0), (3, 1), (5, 2)];
    for (job_id, who, minutes, text) in thread {
        let customer_index = owner_of_job
            .iter()
            .find(|(j, _)| *j == job_id)
            .map_or(0, |(_, c)| *c);
        let author = match who {
            0 => owners.get(customer_index).copied().unwrap_or(office),
            1 => office,
            _ => crew.get(2).copied().unwrap_or(office),
        };
        messages::post(txn, &demo_stamp(ago(minutes), author), job_id, author, text).await?;
    }
    Ok(())
}
