//! Documents on the staff job page: the list with downloads and a visibility switch, and the
//! upload form, which shows progress while the file goes up.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{
    staff::{action_error, loading, FormError},
    PorticoError,
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentView {
    pub id: i32,
    pub file_name: String,
    pub kind: String,
    pub size: String,
    pub uploaded: String,
    pub visible_to_customer: bool,
    pub url: String,
}

/// `2.4 MB`, `830 KB`.
pub fn human_size(bytes: i64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} KB", (bytes + 1023) / 1024)
    }
}

/// A job's documents, for staff who may work on it.
#[server(name = JobDocuments, prefix = "/api", endpoint = "documents/for_job")]
pub async fn job_documents(job_id: i32) -> Result<Vec<DocumentView>, PorticoError> {
    use portico_domain::documents::{self, Visibility};

    use crate::{jobs::access, server, staff::local::Local};

    let (actor, _, _) = access::job_for(job_id, access::On::Work).await?;
    let db = server::db()?;
    let here = Local::load(&db).await?;
    Ok(documents::for_job(&db, &actor, job_id)
        .await?
        .into_iter()
        .map(|d| DocumentView {
            id: d.id,
            kind: d.kind.label().to_owned(),
            size: human_size(d.size_bytes),
            uploaded: here.date_time(d.created_at),
            visible_to_customer: d.visibility == Visibility::Customer,
            url: format!("/files/documents/{}", d.id),
            file_name: d.file_name,
        })
        .collect())
}

/// Shows a document to the customer (`customer`) or keeps it for staff (`staff`).
#[server(name = SetDocumentVisibility, prefix = "/api", endpoint = "documents/visibility")]
pub async fn set_document_visibility(
    document_id: i32,
    visibility: String,
) -> Result<(), PorticoError> {
    use portico_domain::{
        documents::{self, Visibility},
        policy::Action,
    };

    use crate::server;

    let actor = server::authorize(Action::ManageJobs).await?;
    let visibility = match visibility.as_str() {
        "customer" => Visibility::Customer,
        "staff" => Visibility::Staff,
        _ => {
            return Err(PorticoError::Invalid {
                field: "visibility".into(),
                message: "Choose staff or customer.".into(),
            })
        }
    };
    documents::set_visibility(
        &server::db()?,
        &server::stamp(&actor)?,
        document_id,
        visibility,
    )
    .await?;
    Ok(())
}

/// A job's document list and the signal that reloads it. The page creates it beside the job's
/// own resource, outside any `Suspense`: created inside the job's `Suspend`, the list would be
/// fetched twice on the server (once for a render that is thrown away) and only after the job.
#[derive(Clone, Copy)]
pub struct DocumentList {
    pub list: Resource<Result<Vec<DocumentView>, PorticoError>>,
    /// Bumped after an upload or a visibility change.
    pub reload: RwSignal<usize>,
}

impl DocumentList {
    /// The list of `job_id`, read again when `also` changes (the page's own changes) or after
    /// an upload or a visibility change.
    pub fn new(
        job_id: impl Fn() -> i32 + Send + Sync + 'static,
        also: impl Fn() -> usize + Send + Sync + 'static,
    ) -> Self {
        let reload = RwSignal::new(0usize);
        let list = Resource::new(
            move || (job_id(), also(), reload.get()),
            |(id, _, _)| job_documents(id),
        );
        Self { list, reload }
    }
}

#[component]
pub fn DocumentSection(job_id: i32, can_manage: bool, documents: DocumentList) -> impl IntoView {
    let toggle = ServerAction::<SetDocumentVisibility>::new();
    let DocumentList {
        list,
        reload: uploaded,
    } = documents;
    Effect::new(move |_| {
        if matches!(toggle.value().get(), Some(Ok(()))) {
            uploaded.update(|n| *n += 1);
        }
    });
    let toggle_error = action_error(toggle);
    view! {
        <section class="card" aria-labelledby="documents-title">
            <h2 id="documents-title">"Documents"</h2>
            <Transition fallback=loading>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(docs) if docs.is_empty() => view! { <p class="empty">"No documents yet."</p> }.into_any(),
                        Ok(docs) => view! {
                            <ul class="item-list" id="document-list">
                                {docs.into_iter().map(|d| {
                                    let next = if d.visible_to_customer { "staff" } else { "customer" };
                                    view! {
                                        <li class="item">
                                            <div>
                                                <p class="item__title"><a href=d.url.clone() download>{d.file_name.clone()}</a></p>
                                                <p class="item__meta">{d.kind.clone()} " · " {d.size.clone()} " · " {d.uploaded.clone()} " · "
                                                    {if d.visible_to_customer { "visible to the customer" } else { "staff only" }}</p>
                                            </div>
                                            {can_manage.then(|| view! {
                                                <ActionForm action=toggle>
                                                    <input type="hidden" name="document_id" value=d.id />
                                                    <input type="hidden" name="visibility" value=next />
                                                    <button type="submit" class="button button--secondary">
                                                        {if d.visible_to_customer { "Hide from customer" } else { "Show to customer" }}
                                                    </button>
                                                </ActionForm>
                                            })}
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(error) => view! { <crate::accounts::ErrorView error /> }.into_any(),
                    }
                })}
            </Transition>
            <FormError error=toggle_error />
            {can_manage.then(|| view! { <UploadForm job_id uploaded /> })}
        </section>
    }
    .into_any()
}

/// The upload form. With scripts, the file goes up by XMLHttpRequest so that progress can be
/// shown; the server's refusal (too big, empty, wrong type) appears under the file field.
#[component]
fn UploadForm(job_id: i32, uploaded: RwSignal<usize>) -> impl IntoView {
    let progress = RwSignal::new(None::<u32>);
    let error = RwSignal::new(None::<String>);
    let form_ref = NodeRef::<leptos::html::Form>::new();
    let action = format!("/files/jobs/{job_id}/documents");
    #[cfg(not(any(feature = "hydrate", feature = "csr")))]
    let _ = uploaded;
    #[cfg_attr(
        not(any(feature = "hydrate", feature = "csr")),
        allow(unused_variables)
    )]
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        #[cfg(any(feature = "hydrate", feature = "csr"))]
        {
            ev.prevent_default();
            if let Some(form) = form_ref.get() {
                browser::send(
                    &form,
                    &format!("/files/jobs/{job_id}/documents"),
                    progress,
                    error,
                    uploaded,
                );
            }
        }
    };
    view! {
        <form node_ref=form_ref class="form upload" method="post" enctype="multipart/form-data" action=action on:submit=on_submit>
            <h3>"Upload"</h3>
            <div class="field">
                <label for="upload-file">"File (PDF, photo, Word or Excel)"</label>
                <input id="upload-file" name="file" type="file" required accept=".pdf,.jpg,.jpeg,.png,.webp,.heic,.docx,.xlsx,application/pdf,image/*" aria-describedby="file-error" />
                {move || error.get().map(|m| view! { <p class="field__error" id="file-error" role="alert">{m}</p> })}
            </div>
            <div class="field-row">
                <div class="field">
                    <label for="upload-kind">"Kind"</label>
                    <select id="upload-kind" name="kind">
                        <option value="inventory_list">"Inventory list"</option>
                        <option value="contract">"Contract"</option>
                        <option value="photo">"Photo"</option>
                        <option value="quote">"Quote"</option>
                        <option value="invoice">"Invoice"</option>
                        <option value="other" selected=true>"Other"</option>
                    </select>
                </div>
                <div class="field">
                    <label for="upload-visibility">"Who may see it"</label>
                    <select id="upload-visibility" name="visibility">
                        <option value="staff">"Staff only"</option>
                        <option value="customer">"The customer too"</option>
                    </select>
                </div>
            </div>
            {move || progress.get().map(|p| view! {
                <progress max="100" value=p aria-label="Upload progress">{p}" %"</progress>
            })}
            <button type="submit" class="button" disabled=move || progress.get().is_some()>
                {move || if progress.get().is_some() { "Uploading…" } else { "Upload" }}
            </button>
        </form>
    }
    .into_any()
}

#[cfg(any(feature = "hydrate", feature = "csr"))]
pub(crate) mod browser {
    //! The upload by XMLHttpRequest, for its progress events.

    use leptos::prelude::*;
    use wasm_bindgen::{closure::Closure, JsCast};
    use web_sys::{FormData, HtmlFormElement, ProgressEvent, XmlHttpRequest};

    use crate::PorticoError;

    /// Posts the form's fields to `url`; a 201 bumps `uploaded`, anything else shows the
    /// server's message in `error`.
    pub fn send(
        form: &HtmlFormElement,
        url: &str,
        progress: RwSignal<Option<u32>>,
        error: RwSignal<Option<String>>,
        uploaded: RwSignal<usize>,
    ) {
        let fail = move |message: &str| {
            progress.set(None);
            error.set(Some(message.to_owned()));
        };
        let (Ok(data), Ok(request)) = (FormData::new_with_form(form), XmlHttpRequest::new()) else {
            fail("Your browser could not prepare the upload.");
            return;
        };
        if request.open("POST", url).is_err() {
            fail("Your browser could not start the upload.");
            return;
        }
        error.set(None);
        progress.set(Some(0));
        let on_progress = Closure::<dyn FnMut(ProgressEvent)>::new(move |ev: ProgressEvent| {
            if ev.length_computable() && ev.total() > 0.0 {
                progress.set(Some((ev.loaded() / ev.total() * 100.0).round() as u32));
            }
        });
        if let Ok(upload) = request.upload() {
            upload.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
        }
        on_progress.forget();
        let done_request = request.clone();
        let form = form.clone();
        let on_done = Closure::<dyn FnMut()>::new(move || {
            progress.set(None);
            let status = done_request.status().unwrap_or(0);
            if status == 201 {
                form.reset();
                uploaded.update(|n| *n += 1);
                return;
            }
            let text = done_request
                .response_text()
                .ok()
                .flatten()
                .unwrap_or_default();
            let message = match serde_json::from_str::<PorticoError>(&text) {
                Ok(error) => error.to_string(),
                Err(_) if status == 413 => "The file is too large.".to_owned(),
                Err(_) => PorticoError::Unreachable.to_string(),
            };
            error.set(Some(message));
        });
        request.set_onloadend(Some(on_done.as_ref().unchecked_ref()));
        on_done.forget();
        if request.send_with_opt_form_data(Some(&data)).is_err() {
            fail("The upload could not be sent.");
        }
    }
}
