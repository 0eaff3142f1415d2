//! The one place that answers "may this person do this?". Every server function and route
//! asks [`can`] before it acts; queries are also scoped by the actor so a forgotten check
//! cannot leak another customer's data.
//!
//! Another customer's records are answered with [`Decision::NotFound`], never `Forbidden`, so
//! that ids cannot be probed. A contact who may see a record but not do this to it gets
//! `Forbidden`.

use serde::{Deserialize, Serialize};

use crate::accounts::{ContactScope, StaffRole};

/// One customer account a contact belongs to, and what they may do there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    pub customer_id: i32,
    pub scope: ContactScope,
}

/// Who is asking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Actor {
    Anonymous,
    Staff {
        user_id: i32,
        role: StaffRole,
    },
    Contact {
        user_id: i32,
        memberships: Vec<Membership>,
    },
}

impl Actor {
    pub fn user_id(&self) -> Option<i32> {
        match self {
            Self::Anonymous => None,
            Self::Staff { user_id, .. } | Self::Contact { user_id, .. } => Some(*user_id),
        }
    }

    fn scope_on(&self, customer_id: i32) -> Option<ContactScope> {
        match self {
            Self::Contact { memberships, .. } => memberships
                .iter()
                .find(|m| m.customer_id == customer_id)
                .map(|m| m.scope),
            _ => None,
        }
    }
}

/// A job, as far as access decisions need it.
#[derive(Debug, Clone, Copy)]
pub struct JobAccess<'a> {
    pub customer_id: i32,
    /// The crew members assigned to the job.
    pub crew: &'a [i32],
}

/// A document, as far as access decisions need it.
#[derive(Debug, Clone, Copy)]
pub struct DocumentAccess<'a> {
    pub customer_id: Option<i32>,
    pub job: Option<JobAccess<'a>>,
    /// A quote or an invoice: it shows prices, so it follows the rule for invoices (owner and
    /// payer contacts, office staff), whatever folder it sits in.
    pub money: bool,
    /// Shown to the customer's contacts (otherwise staff only).
    pub shown_to_customer: bool,
}

/// What the actor wants to do, and to what.
#[derive(Debug, Clone, Copy)]
pub enum Action<'a> {
    /// The company's public name and contact details.
    ViewCompanyProfile,
    /// The person's own security page: factors, sessions.
    ManageOwnAccount,
    /// A customer account's overview.
    ViewCustomer {
        customer_id: i32,
    },
    ViewJob(JobAccess<'a>),
    /// Status changes on the day: "on our way", "started", "done".
    UpdateJobStatus(JobAccess<'a>),
    ViewDocuments {
        customer_id: i32,
    },
    /// One document: listed, or downloaded.
    ViewDocument(DocumentAccess<'a>),
    ViewInvoices {
        customer_id: i32,
    },
    PayInvoice {
        customer_id: i32,
    },
    AcceptQuote {
        customer_id: i32,
    },
    /// Ask the office for something on the customer's behalf: another moving day, a change to
    /// a quote (owner contacts; staff answer such requests, they do not make them).
    AskForChange {
        customer_id: i32,
    },
    SendMessage(JobAccess<'a>),
    /// Add files to a move: the office any, a customer's owner and payer contacts photos and
    /// lists for the inventory (shown to the customer and the office).
    UploadToJob(JobAccess<'a>),
    /// Invite a contact to a customer account.
    InviteContact {
        customer_id: i32,
    },
    /// "My people": see who is on a customer account, invite a payer or viewer, change a
    /// scope, take someone off (owner contacts; office staff for the customers they serve).
    ManagePeople {
        customer_id: i32,
    },
    /// Invite a colleague (a staff user).
    InviteStaff,
    /// See and revoke invitations.
    ManageInvitations,
    /// Release an account lock, disable users, change roles.
    ManageUsers,
    ViewAuditLog,
    /// The demo's "Outgoing mail" page.
    ViewOutbox,
    /// The staff side of the app (crew see their own day there).
    ViewWorkspace,
    /// A job's staff page: office and admin on every job, crew on the jobs they are assigned.
    WorkOnJob(JobAccess<'a>),
    /// Create and edit customers and jobs, quote, schedule, upload documents.
    ManageJobs,
    /// Draft and issue invoices, credit them, record payments.
    ManageBilling,
    /// Company settings: name, address, numbers, branding.
    ManageCompany,
}

/// `Action::ViewJob` as a function of any job, for the finders that take the action to ask
/// (`jobs::find_for`): a variant's constructor is not general over the borrow's lifetime.
pub fn view_job(job: JobAccess<'_>) -> Action<'_> {
    Action::ViewJob(job)
}

/// `Action::UploadToJob` as a function of any job (see [`view_job`]).
pub fn upload_to_job(job: JobAccess<'_>) -> Action<'_> {
    Action::UploadToJob(job)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// Sign in first.
    Unauthenticated,
    /// Signed in, may know the thing exists, may not do this.
    Forbidden,
    /// Not theirs: answered as if it did not exist.
    NotFound,
}

impl Decision {
    pub fn is_allowed(self) -> bool {
        self == Self::Allow
    }
}

/// The access policy.
pub fn can(actor: &Actor, action: Action<'_>) -> Decision {
    use Action as A;
    use Decision::{Allow, Forbidden, NotFound, Unauthenticated};

    if matches!(action, A::ViewCompanyProfile) {
        return Allow;
    }
    match actor {
        Actor::Anonymous => Unauthenticated,
        Actor::Staff { user_id, role } => {
            let office = matches!(role, StaffRole::Admin | StaffRole::Office);
            let assigned = |job: JobAccess<'_>| job.crew.contains(user_id);
            let allowed = match action {
                A::ViewCompanyProfile | A::ManageOwnAccount => true,
                A::ViewJob(job)
                | A::UpdateJobStatus(job)
                | A::SendMessage(job)
                | A::WorkOnJob(job) => {
                    if !office && !assigned(job) {
                        return NotFound;
                    }
                    true
                }
                // Crew see the papers of their own jobs, never the ones with prices; what
                // they may not see is not there for them.
                A::ViewDocument(doc) => match doc.job {
                    _ if office => true,
                    Some(job) if assigned(job) && !doc.money => true,
                    _ => return NotFound,
                },
                // Crew see their own jobs (403 here), not the others (404).
                A::UploadToJob(job) if !office => {
                    return if assigned(job) { Forbidden } else { NotFound };
                }
                A::UploadToJob(_) => true,
                A::ViewCustomer { .. }
                | A::ViewDocuments { .. }
                | A::ViewInvoices { .. }
                | A::InviteContact { .. }
                | A::ManagePeople { .. }
                | A::ManageInvitations
                | A::ViewOutbox
                | A::ManageJobs
                | A::ManageBilling => office,
                A::ViewWorkspace => true,
                // Only the customer accepts a quote or pays.
                A::PayInvoice { .. } | A::AcceptQuote { .. } | A::AskForChange { .. } => false,
                A::InviteStaff | A::ManageUsers | A::ViewAuditLog | A::ManageCompany => {
                    *role == StaffRole::Admin
                }
            };
            if allowed {
                Allow
            } else {
                Forbidden
            }
        }
        Actor::Contact { .. } => {
            let on = |customer_id: i32, allowed: &[ContactScope]| match actor.scope_on(customer_id)
            {
                None => NotFound,
                Some(scope) if allowed.contains(&scope) => Allow,
                Some(_) => Forbidden,
            };
            const ALL: &[ContactScope] = &[
                ContactScope::Owner,
                ContactScope::Payer,
                ContactScope::Viewer,
            ];
            const PAYING: &[ContactScope] = &[ContactScope::Owner, ContactScope::Payer];
            const OWNER: &[ContactScope] = &[ContactScope::Owner];
            match action {
                A::ViewCompanyProfile | A::ManageOwnAccount => Allow,
                A::ViewCustomer { customer_id } | A::ViewDocuments { customer_id } => {
                    on(customer_id, ALL)
                }
                A::ViewJob(job) => on(job.customer_id, ALL),
                // Staff-only papers, and money papers for a viewer, are not there for them.
                A::ViewDocument(doc) => match doc.customer_id.and_then(|c| actor.scope_on(c)) {
                    Some(scope)
                        if doc.shown_to_customer && (!doc.money || PAYING.contains(&scope)) =>
                    {
                        Allow
                    }
                    _ => NotFound,
                },
                A::ViewInvoices { customer_id } | A::PayInvoice { customer_id } => {
                    on(customer_id, PAYING)
                }
                A::AcceptQuote { customer_id } | A::AskForChange { customer_id } => {
                    on(customer_id, OWNER)
                }
                A::SendMessage(job) => on(job.customer_id, OWNER),
                A::ManagePeople { customer_id } => on(customer_id, OWNER),
                A::UploadToJob(job) => on(job.customer_id, PAYING),
                A::UpdateJobStatus(job) | A::WorkOnJob(job) => match on(job.customer_id, ALL) {
                    Allow => Forbidden,
                    other => other,
                },
                A::InviteContact { customer_id } => match on(customer_id, ALL) {
                    Allow => Forbidden,
                    other => other,
                },
                A::InviteStaff
                | A::ManageInvitations
                | A::ManageUsers
                | A::ViewAuditLog
                | A::ViewOutbox
                | A::ViewWorkspace
                | A::ManageJobs
                | A::ManageBilling
                | A::ManageCompany => Forbidden,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Decision::{Allow as Y, Forbidden as F, NotFound as N, Unauthenticated as U};

    const A: i32 = 1;
    const B: i32 = 2;

    fn people() -> Vec<(&'static str, Actor)> {
        let contact = |user_id, customer_id, scope| Actor::Contact {
            user_id,
            memberships: vec![Membership { customer_id, scope }],
        };
        vec![
            ("anonymous", Actor::Anonymous),
            ("A owner", contact(10, A, ContactScope::Owner)),
            ("A payer", contact(11, A, ContactScope::Payer)),
            ("A viewer", contact(12, A, ContactScope::Viewer)),
            ("B owner", contact(20, B, ContactScope::Owner)),
            (
                "crew assigned",
                Actor::Staff {
                    user_id: 30,
                    role: StaffRole::Crew,
                },
            ),
            (
                "crew other",
                Actor::Staff {
                    user_id: 31,
                    role: StaffRole::Crew,
                },
            ),
            (
                "office",
                Actor::Staff {
                    user_id: 40,
                    role: StaffRole::Office,
                },
            ),
            (
                "admin",
                Actor::Staff {
                    user_id: 50,
                    role: StaffRole::Admin,
                },
            ),
        ]
    }

    #[test]
    fn the_access_matrix() {
        let job = JobAccess {
            customer_id: A,
            crew: &[30],
        };
        // Columns follow `people()`.
        let table: Vec<(&str, Action<'_>, [Decision; 9])> = vec![
            (
                "company profile",
                Action::ViewCompanyProfile,
                [Y, Y, Y, Y, Y, Y, Y, Y, Y],
            ),
            (
                "own account",
                Action::ManageOwnAccount,
                [U, Y, Y, Y, Y, Y, Y, Y, Y],
            ),
            (
                "view customer A",
                Action::ViewCustomer { customer_id: A },
                [U, Y, Y, Y, N, F, F, Y, Y],
            ),
            (
                "view job of A",
                Action::ViewJob(job),
                [U, Y, Y, Y, N, Y, N, Y, Y],
            ),
            (
                "job status",
                Action::UpdateJobStatus(job),
                [U, F, F, F, N, Y, N, Y, Y],
            ),
            (
                "documents of A",
                Action::ViewDocuments { customer_id: A },
                [U, Y, Y, Y, N, F, F, Y, Y],
            ),
            (
                "a photo of A's job, shown",
                Action::ViewDocument(DocumentAccess {
                    customer_id: Some(A),
                    job: Some(job),
                    money: false,
                    shown_to_customer: true,
                }),
                [U, Y, Y, Y, N, Y, N, Y, Y],
            ),
            (
                "an invoice PDF of A's job, shown",
                Action::ViewDocument(DocumentAccess {
                    customer_id: Some(A),
                    job: Some(job),
                    money: true,
                    shown_to_customer: true,
                }),
                [U, Y, Y, N, N, N, N, Y, Y],
            ),
            (
                "a staff-only paper of A's job",
                Action::ViewDocument(DocumentAccess {
                    customer_id: Some(A),
                    job: Some(job),
                    money: false,
                    shown_to_customer: false,
                }),
                [U, N, N, N, N, Y, N, Y, Y],
            ),
            (
                "invoices of A",
                Action::ViewInvoices { customer_id: A },
                [U, Y, Y, F, N, F, F, Y, Y],
            ),
            (
                "pay invoice of A",
                Action::PayInvoice { customer_id: A },
                [U, Y, Y, F, N, F, F, F, F],
            ),
            (
                "my people of A",
                Action::ManagePeople { customer_id: A },
                [U, Y, F, F, N, F, F, Y, Y],
            ),
            (
                "accept quote of A",
                Action::AcceptQuote { customer_id: A },
                [U, Y, F, F, N, F, F, F, F],
            ),
            (
                "ask for a change for A",
                Action::AskForChange { customer_id: A },
                [U, Y, F, F, N, F, F, F, F],
            ),
            (
                "message on job of A",
                Action::SendMessage(job),
                [U, Y, F, F, N, Y, N, Y, Y],
            ),
            (
                "upload to job of A",
                Action::UploadToJob(job),
                [U, Y, Y, F, N, F, N, Y, Y],
            ),
            (
                "invite contact to A",
                Action::InviteContact { customer_id: A },
                [U, F, F, F, N, F, F, Y, Y],
            ),
            (
                "invite staff",
                Action::InviteStaff,
                [U, F, F, F, F, F, F, F, Y],
            ),
            (
                "invitations",
                Action::ManageInvitations,
                [U, F, F, F, F, F, F, Y, Y],
            ),
            ("users", Action::ManageUsers, [U, F, F, F, F, F, F, F, Y]),
            (
                "audit log",
                Action::ViewAuditLog,
                [U, F, F, F, F, F, F, F, Y],
            ),
            (
                "outgoing mail",
                Action::ViewOutbox,
                [U, F, F, F, F, F, F, Y, Y],
            ),
            (
                "workspace",
                Action::ViewWorkspace,
                [U, F, F, F, F, Y, Y, Y, Y],
            ),
            (
                "staff page of job of A",
                Action::WorkOnJob(job),
                [U, F, F, F, N, Y, N, Y, Y],
            ),
            (
                "manage jobs",
                Action::ManageJobs,
                [U, F, F, F, F, F, F, Y, Y],
            ),
            (
                "billing",
                Action::ManageBilling,
                [U, F, F, F, F, F, F, Y, Y],
            ),
            (
                "company",
                Action::ManageCompany,
                [U, F, F, F, F, F, F, F, Y],
            ),
        ];
        let people = people();
        let mut wrong = Vec::new();
        for (name, action, expected) in &table {
            for ((who, actor), want) in people.iter().zip(expected) {
                let got = can(actor, *action);
                if got != *want {
                    wrong.push(format!("{name} × {who}: expected {want:?}, got {got:?}"));
                }
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }
}
