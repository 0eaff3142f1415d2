//! What the staff pages share: field-level error messages, status badges, and (on the server)
//! times and dates shown in the company's time zone.

pub mod dashboard;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::PorticoError;

/// A person to pick or show: crew on a job, the author of a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub id: i32,
    pub name: String,
}

/// Answers 200 for office and admin: pages without data of their own ask it first.
#[server(name = MayManageJobs, prefix = "/api", endpoint = "staff/may_manage_jobs")]
pub async fn may_manage_jobs() -> Result<(), PorticoError> {
    crate::server::authorize(portico_domain::policy::Action::ManageJobs).await?;
    Ok(())
}

/// The latest error of a server action, as a signal.
pub fn action_error<I, O>(action: ServerAction<I>) -> Signal<Option<PorticoError>>
where
    I: leptos::server_fn::ServerFn<Output = O, Error = PorticoError>
        + Clone
        + Send
        + Sync
        + 'static,
    O: Clone + Send + Sync + 'static,
{
    Signal::derive(move || action.value().get().and_then(Result::err))
}

/// The message for one field, shown under it, when the server refused that field.
#[component]
pub fn FieldError(
    #[prop(into)] error: Signal<Option<PorticoError>>,
    field: &'static str,
) -> impl IntoView {
    move || match error.get() {
        Some(PorticoError::Invalid { field: f, message }) if f == field => Some(view! {
            <p class="field__error" id=format!("{field}-error") role="alert">{message}</p>
        }),
        _ => None,
    }
}

/// An error that belongs to no single field (a conflict, a refusal), above the buttons.
#[component]
pub fn FormError(#[prop(into)] error: Signal<Option<PorticoError>>) -> impl IntoView {
    move || match error.get() {
        None | Some(PorticoError::Invalid { .. }) => None,
        Some(error) => {
            Some(view! { <p class="notice notice--error" role="alert">{error.to_string()}</p> })
        }
    }
}

/// A state in a coloured pill; the state picks the colour (`badge--en_route`) and the words.
#[component]
pub fn StatusBadge<S: crate::states::Shown + Send + 'static>(state: S) -> impl IntoView {
    view! { <span class=format!("badge badge--{}", state.badge())>{state.label()}</span> }
}

/// Shows `Loading…` while a resource loads, then the view, or the error.
pub fn loading() -> impl IntoView {
    view! { <p class="loading" role="status">"Loading…"</p> }
}

#[cfg(feature = "ssr")]
pub mod local {
    //! Times as the company reads them: stored in UTC, shown in the company's zone.

    use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
    use chrono_tz::Tz;

    use crate::PorticoError;

    /// The company's clock and calendar.
    #[derive(Debug, Clone, Copy)]
    pub struct Local {
        pub zone: Tz,
        pub now: DateTime<Utc>,
    }

    impl Local {
        /// The company's zone (UTC before a company is set up) and the host's clock.
        pub async fn load(db: &portico_domain::DatabaseConnection) -> Result<Self, PorticoError> {
            let zone = portico_domain::company::profile(db)
                .await
                .ok()
                .and_then(|c| c.time_zone.parse::<Tz>().ok())
                .unwrap_or(Tz::UTC);
            Ok(Self {
                zone,
                now: crate::server::now()?,
            })
        }

        pub fn today(&self) -> NaiveDate {
            self.now.with_timezone(&self.zone).date_naive()
        }

        /// `Mon 30 Nov 2026, 14:05`
        pub fn date_time(&self, at: DateTime<Utc>) -> String {
            at.with_timezone(&self.zone)
                .format("%a %-d %b %Y, %H:%M")
                .to_string()
        }

        /// `14:05`
        pub fn time(&self, at: DateTime<Utc>) -> String {
            at.with_timezone(&self.zone).format("%H:%M").to_string()
        }

        /// The next moment the local clock shows `HH:MM` (today, or tomorrow when that time has
        /// passed more than a few minutes ago): what "ETA 10:40" means on the road.
        pub fn next_at(&self, text: &str, field: &str) -> Result<DateTime<Utc>, PorticoError> {
            let time = NaiveTime::parse_from_str(text.trim(), "%H:%M").map_err(|_| {
                PorticoError::Invalid {
                    field: field.to_owned(),
                    message: "Use hours and minutes, e.g. 10:40.".to_owned(),
                }
            })?;
            let today = self.today();
            for day in [today, today.succ_opt().unwrap_or(today)] {
                if let Some(at) = self
                    .zone
                    .from_local_datetime(&day.and_time(time))
                    .earliest()
                {
                    let at = at.with_timezone(&Utc);
                    if at >= self.now - chrono::Duration::minutes(5) {
                        return Ok(at);
                    }
                }
            }
            Err(PorticoError::Invalid {
                field: field.to_owned(),
                message: "That time does not exist here today.".to_owned(),
            })
        }
    }

    /// `Mon 30 Nov 2026`
    pub fn date(day: NaiveDate) -> String {
        day.format("%a %-d %b %Y").to_string()
    }

    /// Reads `YYYY-MM-DD` from a date input.
    pub fn parse_date(text: &str, field: &str) -> Result<NaiveDate, PorticoError> {
        NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| PorticoError::Invalid {
            field: field.to_owned(),
            message: "Choose a date.".to_owned(),
        })
    }
}
