//! Checking a quote PDF against the recorded acceptances (`/receipts/check`): whoever holds the
//! PDF and its acceptance receipt can see whether these are the bytes that were accepted. The
//! form posts the file to `/files/receipts/check`, which hashes it and comes back here with
//! `?sha256=…`; a fingerprint can also be typed in. Works without scripts (a plain form).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use crate::{
    accounts::ErrorView,
    staff::{loading, FieldError},
    PorticoError,
};

/// An acceptance whose quote PDF has the checked fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcceptedQuoteView {
    pub job_id: i32,
    pub job_reference: String,
    pub version: i32,
    pub signed_name: String,
    pub signed_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptCheckView {
    /// The fingerprint checked, lower-case hex.
    pub sha256: String,
    pub accepted: Option<AcceptedQuoteView>,
}

/// Looks a fingerprint up among the acceptances the signed-in person may see.
#[server(name = CheckReceipt, prefix = "/api", endpoint = "quotes/check_receipt")]
pub async fn check_receipt(sha256: String) -> Result<ReceiptCheckView, PorticoError> {
    use portico_domain::{documents::paperwork, jobs, policy::Actor};

    use crate::{server, staff::local::Local};

    let actor = server::current_actor().await?;
    if actor == Actor::Anonymous {
        return Err(PorticoError::Unauthenticated);
    }
    let db = server::db()?;
    let check = paperwork::check_hash(&db, &actor, &sha256).await?;
    let accepted = match check.accepted {
        Some(quote) => {
            server::record_staff_view(&db, &actor, format!("quote:{}", quote.id)).await?;
            let here = Local::load(&db).await?;
            let job = jobs::find(&db, quote.job_id).await?;
            Some(AcceptedQuoteView {
                job_id: job.id,
                job_reference: job.reference,
                version: quote.version,
                signed_name: quote.signed_name.unwrap_or_default(),
                signed_at: quote
                    .decided_at
                    .map(|at| here.date_time(at))
                    .unwrap_or_default(),
            })
        }
        None => None,
    };
    Ok(ReceiptCheckView {
        sha256: check.sha256,
        accepted,
    })
}

#[component]
pub fn ReceiptCheckPage() -> impl IntoView {
    let query = use_query_map();
    let sha256 = move || query.with(|q| q.get("sha256")).filter(|s| !s.is_empty());
    // A lookup is for signed-in people (it shows who accepted): without a fingerprint yet,
    // the page still asks who is there, so a visitor is sent to sign in and back.
    let result = Resource::new(sha256, |hash| async move {
        match hash {
            Some(hash) => check_receipt(hash).await.map(Some),
            None => match crate::accounts::sign_in::current_user().await? {
                Some(_) => Ok(None),
                None => Err(PorticoError::Unauthenticated),
            },
        }
    });
    view! {
        <Title text="Check a quote against its acceptance" />
        <h1>"Check a quote against its acceptance"</h1>
        <p class="muted">
            "The acceptance receipt names the fingerprint (SHA-256) of the quote PDF that was accepted. "
            "Choose the quote PDF you have, and see whether it is exactly that document."
        </p>
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                match result.await {
                    Ok(Some(check)) => view! { <CheckResult check /> }.into_any(),
                    Ok(None) => ().into_any(),
                    Err(error @ PorticoError::Invalid { .. }) => {
                        let error = Signal::derive(move || Some(error.clone()));
                        view! { <FieldError error field="sha256" /> }.into_any()
                    }
                    Err(error) => view! { <ErrorView error /> }.into_any(),
                }
            })}
        </Suspense>
        <form class="form card" method="post" action="/files/receipts/check" enctype="multipart/form-data">
            <div class="field">
                <label for="check-pdf">"The quote PDF"</label>
                <input id="check-pdf" name="file" type="file" accept="application/pdf,.pdf" required />
            </div>
            <button type="submit" class="button">"Check this PDF"</button>
        </form>
        <form class="form card" method="get" action="/receipts/check">
            <div class="field">
                <label for="check-sha256">"Or type the fingerprint (SHA-256)"</label>
                <input id="check-sha256" name="sha256" type="text" inputmode="text" autocomplete="off"
                    spellcheck="false" minlength="64" maxlength="64" pattern="[0-9a-fA-F]{64}" required />
            </div>
            <button type="submit" class="button button--secondary">"Look it up"</button>
        </form>
    }
}

#[component]
fn CheckResult(check: ReceiptCheckView) -> impl IntoView {
    match check.accepted {
        Some(a) => view! {
            <div class="notice notice--success" role="status" id="receipt-check-result">
                <p><strong>"This is the accepted document."</strong></p>
                <p>
                    "Quote version " {a.version} " of move "
                    <a href=format!("/moves/{}", a.job_id)>{a.job_reference}</a>
                    ", accepted by " <strong>{a.signed_name}</strong> " on " {a.signed_at} "."
                </p>
                <p class="hash">"Fingerprint: " <code>{check.sha256}</code></p>
            </div>
        }
        .into_any(),
        None => view! {
            <div class="notice notice--error" role="status" id="receipt-check-result">
                <p><strong>"No acceptance of yours has this fingerprint."</strong></p>
                <p>
                    "Either the file is not the quote PDF that was accepted (even one changed byte "
                    "gives another fingerprint), or it belongs to an account you are not on."
                </p>
                <p class="hash">"Fingerprint of this file: " <code>{check.sha256}</code></p>
            </div>
        }
        .into_any(),
    }
}
