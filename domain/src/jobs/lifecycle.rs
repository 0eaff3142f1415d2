//! The job lifecycle (PRODUCT.md) as an explicit state machine:
//!
//! `requested → quoted → accepted | declined | expired → scheduled → en_route → in_progress →
//! completed → invoiced → paid | overdue`, and `cancelled` from any open state.
//!
//! Some moves happen by themselves as a consequence of something else (a quote sent, accepted
//! or declined; an invoice issued, paid or past due); the rest are buttons for staff or crew.
//! [`next_steps`] says which buttons a person gets.

use serde::{Deserialize, Serialize};

use super::JobStatus;
use crate::{accounts::StaffRole, DomainError};

/// Who or what causes a transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Trigger {
    /// A person pressed a status button.
    Manual,
    /// A quote, an invoice or a payment moved the job along.
    Consequence,
}

/// The states a job can move to from `from`, and what causes each move.
pub fn transitions(from: JobStatus) -> &'static [(JobStatus, Trigger)] {
    use JobStatus::*;
    use Trigger::{Consequence as C, Manual as M};
    match from {
        Requested => &[(Quoted, C), (Cancelled, M)],
        Quoted => &[
            (Quoted, C), // a new version of the quote was sent
            (Accepted, C),
            (Declined, C),
            (Expired, C),
            (Cancelled, M),
        ],
        // The customer said no, or let it lapse: a new quote may still win the job.
        Declined | Expired => &[(Quoted, C), (Cancelled, M)],
        // Saving a date, a slot and a crew schedules it.
        Accepted => &[(Scheduled, C), (Cancelled, M)],
        Scheduled => &[(EnRoute, M), (Cancelled, M)],
        // The crew may have set off too early; back to scheduled keeps the day honest.
        EnRoute => &[(InProgress, M), (Scheduled, M), (Cancelled, M)],
        InProgress => &[(Completed, M)],
        Completed => &[(Invoiced, C)],
        Invoiced => &[(Paid, C), (Overdue, C)],
        Overdue => &[(Paid, C)],
        Paid | Cancelled => &[],
    }
}

/// True when `from → to` is in the lifecycle for this trigger.
pub fn allows(from: JobStatus, to: JobStatus, trigger: Trigger) -> bool {
    transitions(from)
        .iter()
        .any(|(state, how)| *state == to && *how == trigger)
}

/// Refuses an illegal move with a message naming both states.
pub fn check(from: JobStatus, to: JobStatus, trigger: Trigger) -> Result<(), DomainError> {
    if allows(from, to, trigger) {
        return Ok(());
    }
    let how = if trigger == Trigger::Manual && allows(from, to, Trigger::Consequence) {
        match to {
            JobStatus::Quoted => " (send a quote instead)",
            JobStatus::Accepted | JobStatus::Declined => " (the customer decides on the quote)",
            JobStatus::Invoiced => " (issue an invoice instead)",
            JobStatus::Paid => " (record a payment instead)",
            JobStatus::Scheduled => " (save a date, time slot and crew instead)",
            _ => "",
        }
    } else {
        ""
    };
    Err(DomainError::Conflict(format!(
        "A job that is {} cannot become {}{how}.",
        from.label(),
        to.label()
    )))
}

/// The status buttons `role` gets on a job in state `from`. Crew only move their day along
/// (on our way, started, done); office and admin also schedule and cancel.
pub fn next_steps(from: JobStatus, role: StaffRole) -> Vec<JobStatus> {
    transitions(from)
        .iter()
        .filter(|(_, how)| *how == Trigger::Manual)
        .map(|(to, _)| *to)
        .filter(|to| match role {
            StaffRole::Admin | StaffRole::Office => true,
            StaffRole::Crew => matches!(
                to,
                JobStatus::EnRoute | JobStatus::InProgress | JobStatus::Completed
            ),
        })
        .collect()
}

impl JobStatus {
    pub const ALL: [JobStatus; 13] = [
        JobStatus::Requested,
        JobStatus::Quoted,
        JobStatus::Accepted,
        JobStatus::Declined,
        JobStatus::Expired,
        JobStatus::Scheduled,
        JobStatus::EnRoute,
        JobStatus::InProgress,
        JobStatus::Completed,
        JobStatus::Invoiced,
        JobStatus::Paid,
        JobStatus::Overdue,
        JobStatus::Cancelled,
    ];

    /// The state in words, as people read it on a page.
    pub fn label(self) -> &'static str {
        match self {
            Self::Requested => "requested",
            Self::Quoted => "quoted",
            Self::Accepted => "accepted",
            Self::Declined => "declined",
            Self::Expired => "expired",
            Self::Scheduled => "scheduled",
            Self::EnRoute => "on its way",
            Self::InProgress => "in progress",
            Self::Completed => "completed",
            Self::Invoiced => "invoiced",
            Self::Paid => "paid",
            Self::Overdue => "overdue",
            Self::Cancelled => "cancelled",
        }
    }

    /// The stored name (`en_route`), as in URLs and forms.
    pub fn code(self) -> &'static str {
        match self {
            Self::Requested => "requested",
            Self::Quoted => "quoted",
            Self::Accepted => "accepted",
            Self::Declined => "declined",
            Self::Expired => "expired",
            Self::Scheduled => "scheduled",
            Self::EnRoute => "en_route",
            Self::InProgress => "in_progress",
            Self::Completed => "completed",
            Self::Invoiced => "invoiced",
            Self::Paid => "paid",
            Self::Overdue => "overdue",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Still to happen or under way: cancelling is possible.
    pub fn is_open(self) -> bool {
        allows(self, JobStatus::Cancelled, Trigger::Manual)
    }

    /// A quote (or a new version of it) can be written: before one is accepted.
    pub fn takes_a_quote(self) -> bool {
        matches!(
            self,
            Self::Requested | Self::Quoted | Self::Declined | Self::Expired
        )
    }

    /// A date, a slot and a crew can be set: once the quote is accepted, and until the crew
    /// has started (rescheduling a move that is on its way is still possible).
    pub fn can_be_scheduled(self) -> bool {
        matches!(self, Self::Accepted | Self::Scheduled | Self::EnRoute)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use JobStatus::*;

    /// The whole table, written out once more by hand: every pair not listed is illegal.
    const LEGAL: &[(JobStatus, JobStatus, Trigger)] = &[
        (Requested, Quoted, Trigger::Consequence),
        (Requested, Cancelled, Trigger::Manual),
        (Quoted, Quoted, Trigger::Consequence),
        (Quoted, Accepted, Trigger::Consequence),
        (Quoted, Declined, Trigger::Consequence),
        (Quoted, Expired, Trigger::Consequence),
        (Quoted, Cancelled, Trigger::Manual),
        (Declined, Quoted, Trigger::Consequence),
        (Declined, Cancelled, Trigger::Manual),
        (Expired, Quoted, Trigger::Consequence),
        (Expired, Cancelled, Trigger::Manual),
        (Accepted, Scheduled, Trigger::Consequence),
        (Accepted, Cancelled, Trigger::Manual),
        (Scheduled, EnRoute, Trigger::Manual),
        (Scheduled, Cancelled, Trigger::Manual),
        (EnRoute, InProgress, Trigger::Manual),
        (EnRoute, Scheduled, Trigger::Manual),
        (EnRoute, Cancelled, Trigger::Manual),
        (InProgress, Completed, Trigger::Manual),
        (Completed, Invoiced, Trigger::Consequence),
        (Invoiced, Paid, Trigger::Consequence),
        (Invoiced, Overdue, Trigger::Consequence),
        (Overdue, Paid, Trigger::Consequence),
    ];

    #[test]
    fn every_pair_of_states_is_legal_exactly_when_listed() {
        let mut checked = 0;
        for from in JobStatus::ALL {
            for to in JobStatus::ALL {
                for trigger in [Trigger::Manual, Trigger::Consequence] {
                    let expected = LEGAL.contains(&(from, to, trigger));
                    assert_eq!(
                        allows(from, to, trigger),
                        expected,
                        "{from:?} → {to:?} ({trigger:?})"
                    );
                    assert_eq!(check(from, to, trigger).is_ok(), expected);
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 13 * 13 * 2);
    }

    #[test]
    fn an_illegal_move_names_both_states() {
        let Err(DomainError::Conflict(message)) = check(Paid, Scheduled, Trigger::Manual) else {
            panic!("paid → scheduled was allowed");
        };
        assert_eq!(message, "A job that is paid cannot become scheduled.");
        let Err(DomainError::Conflict(message)) = check(Quoted, Accepted, Trigger::Manual) else {
            panic!("a manual accept was allowed");
        };
        assert!(message.contains("quoted") && message.contains("the customer decides"));
    }

    #[test]
    fn crew_get_only_the_day_buttons_and_office_gets_the_rest() {
        assert_eq!(next_steps(Scheduled, StaffRole::Crew), vec![EnRoute]);
        assert_eq!(next_steps(EnRoute, StaffRole::Crew), vec![InProgress]);
        assert_eq!(next_steps(InProgress, StaffRole::Crew), vec![Completed]);
        assert_eq!(
            next_steps(Accepted, StaffRole::Crew),
            Vec::<JobStatus>::new()
        );
        assert_eq!(
            next_steps(Scheduled, StaffRole::Office),
            vec![EnRoute, Cancelled]
        );
        assert_eq!(
            next_steps(EnRoute, StaffRole::Admin),
            vec![InProgress, Scheduled, Cancelled]
        );
        assert_eq!(next_steps(Paid, StaffRole::Admin), Vec::<JobStatus>::new());
        assert_eq!(next_steps(Requested, StaffRole::Office), vec![Cancelled]);
        assert_eq!(next_steps(Accepted, StaffRole::Office), vec![Cancelled]);
    }

    #[test]
    fn codes_round_trip_and_open_states_can_be_cancelled() {
        for status in JobStatus::ALL {
            assert_eq!(JobStatus::from_code(status.code()), Some(status));
        }
        let open: Vec<_> = JobStatus::ALL.into_iter().filter(|s| s.is_open()).collect();
        assert_eq!(
            open,
            vec![Requested, Quoted, Accepted, Declined, Expired, Scheduled, EnRoute]
        );
    }
}
