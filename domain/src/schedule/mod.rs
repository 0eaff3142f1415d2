//! Moving day in the customer's own calendar: an iCalendar (`.ics`) entry built with the
//! `icalendar` crate. Times are written in UTC (converted from the arrival window in the
//! company's time zone), which every calendar reads the same way; the entry's `UID` stays the
//! same for a move and its `SEQUENCE` counts the date changes, so a downloaded entry is
//! replaced by the new one rather than duplicated.

use chrono::{DateTime, NaiveDateTime, NaiveTime, Utc};
use chrono_tz::Tz;
use icalendar::{Calendar, Component, Event, EventLike};

use crate::{jobs::Job, DomainError};

/// What goes into the entry besides the move.
#[derive(Debug, Clone)]
pub struct CalendarContext<'a> {
    pub company_name: &'a str,
    pub company_phone: &'a str,
    /// The host name the UIDs are made unique with (`portal.example.com`).
    pub host: &'a str,
    /// The move page, for the description.
    pub move_url: &'a str,
    pub zone: Tz,
    pub now: DateTime<Utc>,
}

fn local_to_utc(zone: Tz, at: NaiveDateTime) -> Result<DateTime<Utc>, DomainError> {
    // A window that falls in the hour the clocks skip (or repeat) takes the earlier reading.
    at.and_local_timezone(zone)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| DomainError::Internal(format!("{at} does not exist in {zone}")))
}

/// The `.ics` text for a scheduled move; a move without a confirmed date has none.
pub fn moving_day_calendar(
    job: &Job,
    context: &CalendarContext<'_>,
) -> Result<String, DomainError> {
    let day = job
        .confirmed_date
        .ok_or(DomainError::NotFound("confirmed moving day"))?;
    let time = |text: &Option<String>, fallback: NaiveTime| {
        text.as_deref()
            .and_then(|t| NaiveTime::parse_from_str(t, "%H:%M").ok())
            .unwrap_or(fallback)
    };
    let start = time(&job.slot_start, NaiveTime::MIN);
    let end = time(&job.slot_end, start);
    let starts = local_to_utc(context.zone, day.and_time(start))?;
    let ends = local_to_utc(context.zone, day.and_time(end))?.max(starts);
    let mut description = format!(
        "{} arrives between {} and {}.\nFrom: {}\nTo: {}\n",
        context.company_name,
        start.format("%H:%M"),
        end.format("%H:%M"),
        job.origin_address,
        job.destination_address,
    );
    if !context.company_phone.is_empty() {
        description.push_str(&format!("Questions: {}\n", context.company_phone));
    }
    description.push_str(&format!("Your move: {}", context.move_url));
    let event = Event::new()
        .uid(&format!("move-{}@{}", job.id, context.host))
        .sequence(u32::try_from(job.schedule_sequence).unwrap_or(0))
        .timestamp(context.now)
        .summary(&format!(
            "Moving day with {} ({})",
            context.company_name, job.reference
        ))
        .description(&description)
        .location(&job.origin_address)
        .starts(starts)
        .ends(ends)
        .url(context.move_url)
        .done();
    let calendar = Calendar::new()
        .name(&format!("{} — {}", context.company_name, job.reference))
        .push(event)
        .done();
    Ok(calendar.to_string())
}

/// The calendar entry of move `job_id` for `actor` (who may view the move; another
/// customer's move is not found); `public_origin` is the portal's `scheme://host[:port]`.
pub async fn calendar_for(
    db: &impl sea_orm::ConnectionTrait,
    actor: &crate::policy::Actor,
    job_id: i32,
    public_origin: &str,
    now: DateTime<Utc>,
) -> Result<(String, String), DomainError> {
    let (job, _) = crate::jobs::find_for(db, actor, job_id, crate::policy::view_job).await?;
    let company = crate::company::profile(db).await?;
    let host = public_origin
        .split_once("://")
        .map_or(public_origin, |(_, host)| host)
        .split(':')
        .next()
        .unwrap_or("portico");
    let move_url = format!("{public_origin}/moves/{job_id}");
    let text = moving_day_calendar(
        &job,
        &CalendarContext {
            company_name: &company.name,
            company_phone: &company.phone,
            host,
            move_url: &move_url,
            zone: company
                .time_zone
                .parse()
                .unwrap_or(chrono_tz::Europe::Amsterdam),
            now,
        },
    )?;
    Ok((text, format!("Moving day {}.ics", job.reference)))
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone};
    use icalendar::{CalendarDateTime, DatePerhapsTime};

    use super::*;
    use crate::jobs::JobStatus;

    fn job(sequence: i32) -> Job {
        let at = Utc.with_ymd_and_hms(2026, 5, 1, 9, 0, 0).unwrap();
        Job {
            id: 12,
            reference: "J-0012".into(),
            customer_id: 1,
            status: JobStatus::Scheduled,
            origin_address: "Keizersgracht 12, Amsterdam".into(),
            destination_address: "Oudegracht 45, Utrecht".into(),
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
            eta: None,
            schedule_sequence: sequence,
        }
    }

    fn context(now: DateTime<Utc>) -> CalendarContext<'static> {
        CalendarContext {
            company_name: "Van Dijk Verhuizingen",
            company_phone: "020 123 4567",
            host: "portal.example.com",
            move_url: "https://portal.example.com/moves/12",
            zone: "Europe/Amsterdam".parse().unwrap(),
            now,
        }
    }

    fn utc(value: Option<DatePerhapsTime>) -> DateTime<Utc> {
        match value {
            Some(DatePerhapsTime::DateTime(CalendarDateTime::Utc(at))) => at,
            other => panic!("expected a UTC time, got {other:?}"),
        }
    }

    #[test]
    fn the_entry_parses_back_with_the_window_in_utc() {
        let now = Utc.with_ymd_and_hms(2026, 5, 2, 12, 0, 0).unwrap();
        let text = moving_day_calendar(&job(0), &context(now)).unwrap();
        let parsed: Calendar = text.parse().unwrap();
        let events: Vec<&Event> = parsed.events().collect();
        assert_eq!(events.len(), 1);
        let event = events[0];
        assert_eq!(event.get_uid(), Some("move-12@portal.example.com"));
        assert_eq!(event.get_sequence(), Some(0));
        // 08:00–10:00 in Amsterdam in May (CEST, UTC+2) is 06:00–08:00 UTC.
        assert_eq!(
            utc(event.get_start()),
            Utc.with_ymd_and_hms(2026, 5, 12, 6, 0, 0).unwrap()
        );
        assert_eq!(
            utc(event.get_end()),
            Utc.with_ymd_and_hms(2026, 5, 12, 8, 0, 0).unwrap()
        );
        assert_eq!(event.get_location(), Some("Keizersgracht 12, Amsterdam"));
        assert!(event.get_summary().is_some_and(|s| s.contains("J-0012")));
    }

    #[test]
    fn a_new_date_keeps_the_uid_and_raises_the_sequence() {
        let now = Utc.with_ymd_and_hms(2026, 5, 2, 12, 0, 0).unwrap();
        let mut moved = job(1);
        moved.confirmed_date = NaiveDate::from_ymd_opt(2026, 12, 15);
        let parsed: Calendar = moving_day_calendar(&moved, &context(now))
            .unwrap()
            .parse()
            .unwrap();
        let event = parsed.events().next().unwrap();
        assert_eq!(event.get_uid(), Some("move-12@portal.example.com"));
        assert_eq!(event.get_sequence(), Some(1));
        // In December Amsterdam is UTC+1.
        assert_eq!(
            utc(event.get_start()),
            Utc.with_ymd_and_hms(2026, 12, 15, 7, 0, 0).unwrap()
        );
    }

    #[test]
    fn a_move_without_a_date_has_no_entry() {
        let mut open = job(0);
        open.confirmed_date = None;
        let now = Utc::now();
        assert!(matches!(
            moving_day_calendar(&open, &context(now)),
            Err(DomainError::NotFound(_))
        ));
    }
}
