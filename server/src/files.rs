//! Files that are not pages: quote and invoice PDFs, document downloads and uploads. Each asks
//! the same policy as the server functions; another customer's file is 404. Downloads are
//! attachments with `nosniff` and a sandboxing CSP, never rendered inline.

use axum::{
    body::Body,
    extract::{multipart::Field, Multipart, Path, State},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Extension, Json,
};
use portico_app::{
    server::{actor_of, permit},
    PorticoError,
};
use portico_domain::{
    audit::{AuditAction, RequestOrigin, Stamp},
    documents::{
        self, paperwork,
        staging::{self, StagedFile, Staging},
        Content, DocumentKind, Storage, Upload, Visibility,
    },
    jobs,
    policy::{self, Action, Actor},
};
use tower_sessions::Session;

use crate::{errors::Refusal, AppState};

async fn who(state: &AppState, session: &Session) -> Result<Actor, Refusal> {
    let actor = actor_of(session, &state.accounts, &state.db).await?;
    if actor == Actor::Anonymous {
        return Err(PorticoError::Unauthenticated.into());
    }
    Ok(actor)
}

fn stamp(state: &AppState, actor: &Actor, origin: &RequestOrigin) -> Stamp {
    Stamp::new(state.accounts.clock.now(), actor.user_id(), origin.clone())
}

/// `12.pdf` → 12; anything else is not found.
fn id_of(file: &str, extension: &str) -> Result<i32, Refusal> {
    file.strip_suffix(extension)
        .and_then(|id| id.parse().ok())
        .ok_or(Refusal(PorticoError::NotFound))
}

/// An attachment download: the browser saves it and never renders it in our origin.
fn attachment(bytes: Vec<u8>, content_type: &str, file_name: &str) -> Response {
    let ascii: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = file_name
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' => {
                char::from(b).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect();
    let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}");
    let mut response = Response::new(Body::from(bytes));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    response
}

/// `GET /files/invoices/{id}.pdf`: office and admin; the customer's owner and payer contacts
/// once it is issued (`Action::ViewDocument`, a money document).
pub async fn invoice_pdf(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Extension(origin): Extension<RequestOrigin>,
    Path(file): Path<String>,
) -> Result<Response, Refusal> {
    let id = id_of(&file, ".pdf")?;
    let actor = who(&state, &session).await?;
    let stamp = stamp(&state, &actor, &origin);
    let file = paperwork::invoice_pdf_for(&state.db, &*state.documents, &actor, &stamp, id).await?;
    Ok(attachment(file.bytes, "application/pdf", &file.file_name))
}

/// `GET /files/quotes/{id}.pdf`: office and admin; the customer's owner and payer contacts once
/// it is sent (`Action::ViewDocument`, a money document: the same rule as invoices).
pub async fn quote_pdf(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Extension(origin): Extension<RequestOrigin>,
    Path(file): Path<String>,
) -> Result<Response, Refusal> {
    let id = id_of(&file, ".pdf")?;
    let actor = who(&state, &session).await?;
    let stamp = stamp(&state, &actor, &origin);
    let file = paperwork::quote_pdf_for(&state.db, &*state.documents, &actor, &stamp, id).await?;
    Ok(attachment(file.bytes, "application/pdf", &file.file_name))
}

/// `GET /files/quotes/{id}/receipt.pdf`: the acceptance receipt kept when the customer accepted
/// the quote in the portal; the same readers as the quote's own PDF.
pub async fn quote_receipt(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Extension(origin): Extension<RequestOrigin>,
    Path(id): Path<String>,
) -> Result<Response, Refusal> {
    let id: i32 = id.parse().map_err(|_| Refusal(PorticoError::NotFound))?;
    let actor = who(&state, &session).await?;
    let stamp = stamp(&state, &actor, &origin);
    let file = paperwork::receipt_pdf_for(&state.db, &*state.documents, &actor, &stamp, id).await?;
    Ok(attachment(file.bytes, "application/pdf", &file.file_name))
}

/// `GET /files/moves/{id}/moving-day.ics`: moving day as a calendar entry, for whoever may see
/// the move (`Action::ViewJob`); a move without a confirmed date has none (404).
pub async fn moving_day(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Path(id): Path<String>,
) -> Result<Response, Refusal> {
    let id: i32 = id.parse().map_err(|_| Refusal(PorticoError::NotFound))?;
    let actor = who(&state, &session).await?;
    let (text, file_name) = portico_domain::schedule::calendar_for(
        &state.db,
        &actor,
        id,
        &state.public_origin,
        state.accounts.clock.now(),
    )
    .await?;
    Ok(attachment(
        text.into_bytes(),
        "text/calendar; charset=utf-8",
        &file_name,
    ))
}

/// `GET /files/documents/{id}`: whoever the policy lets see it (`Action::ViewDocument`, the
/// same rule as the listing): office all; crew their jobs' papers without prices; contacts of its
/// customer what is shown to them, quotes and invoices for owner and payer only.
pub async fn document(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Extension(origin): Extension<RequestOrigin>,
    Path(id): Path<String>,
) -> Result<Response, Refusal> {
    let id: i32 = id.parse().map_err(|_| Refusal(PorticoError::NotFound))?;
    let actor = who(&state, &session).await?;
    let doc = documents::find_for(&state.db, &actor, id).await?;
    let bytes = state.documents.get(&doc.storage_key).await?;
    stamp(&state, &actor, &origin)
        .record(
            &state.db,
            AuditAction::DocumentDownloaded,
            format!("document:{id}"),
            None,
        )
        .await?;
    Ok(attachment(bytes, &doc.content_type, &doc.file_name))
}

/// The most files one upload takes.
const FILES_AT_ONCE: usize = 10;

/// `POST /files/jobs/{job_id}/documents` (multipart: `kind`, `visibility`, one or more `file`):
/// office and admin any kind, for staff or the customer; a customer's owner and payer contacts
/// photos, inventory lists and other files, which the customer and the office see
/// (`Action::UploadToJob`). Each file's type is checked from its bytes. Answers 201 with the
/// new documents' ids, or the refusal with the field it concerns; nothing is kept when a file
/// is refused.
pub async fn upload(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Extension(origin): Extension<RequestOrigin>,
    Path(job_id): Path<String>,
    headers: axum::http::HeaderMap,
    mut form: Multipart,
) -> Result<Response, Refusal> {
    // A plain form (no script yet) asks for a page, not for the ids: it goes back to the move.
    let plain_form = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    let job_id: i32 = job_id
        .parse()
        .map_err(|_| Refusal(PorticoError::NotFound))?;
    let actor = who(&state, &session).await?;
    let (job, _) = jobs::find_for(&state.db, &actor, job_id, policy::upload_to_job).await?;
    let from_customer = matches!(actor, Actor::Contact { .. });
    let invalid = |field: &str, message: &str| {
        Refusal(PorticoError::Invalid {
            field: field.into(),
            message: message.into(),
        })
    };
    let mut kind = if from_customer {
        DocumentKind::Photo
    } else {
        DocumentKind::Other
    };
    let mut visibility = if from_customer {
        Visibility::Customer
    } else {
        Visibility::Staff
    };
    let mut files: Vec<(String, StagedFile)> = Vec::new();
    loop {
        let field = match form.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(error) if error.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(staging::too_large(state.upload_limit).into());
            }
            Err(_) => return Err(PorticoError::BadRequest.into()),
        };
        match field.name().unwrap_or_default() {
            "kind" => {
                let text = field
                    .text()
                    .await
                    .map_err(|_| Refusal(PorticoError::BadRequest))?;
                kind = DocumentKind::from_code(&text)
                    .ok_or_else(|| invalid("kind", "Choose what kind of document this is."))?;
                // Quotes, invoices and contracts come from the office.
                if from_customer
                    && !matches!(
                        kind,
                        DocumentKind::Photo | DocumentKind::InventoryList | DocumentKind::Other
                    )
                {
                    return Err(invalid("kind", "Choose photo, inventory list or other."));
                }
            }
            // A customer's files are always shown to them; staff choose.
            "visibility" if !from_customer => {
                let text = field
                    .text()
                    .await
                    .map_err(|_| Refusal(PorticoError::BadRequest))?;
                visibility = match text.as_str() {
                    "customer" => Visibility::Customer,
                    "staff" => Visibility::Staff,
                    _ => return Err(invalid("visibility", "Choose who may see it.")),
                };
            }
            "file" => {
                if files.len() == FILES_AT_ONCE {
                    return Err(invalid(
                        "file",
                        &format!("Upload at most {FILES_AT_ONCE} files at once."),
                    ));
                }
                let name = field.file_name().unwrap_or("document").to_owned();
                // A file input left empty still sends a part without a name or bytes.
                let staged = stage(state.documents.as_ref(), field, state.upload_limit).await?;
                if name.is_empty() && staged.size() == 0 {
                    continue;
                }
                files.push((name, staged));
            }
            _ => {}
        }
    }
    if files.is_empty() {
        return Err(invalid("file", "Choose a file to upload."));
    }
    // Every file is checked before any is kept: one refused file stores none.
    let several = files.len() > 1;
    for (name, staged) in &files {
        if let Err(error) = documents::acceptable(staged.size(), staged.head(), state.upload_limit)
        {
            return Err(match PorticoError::from(error) {
                PorticoError::Invalid { field, message } if several => {
                    Refusal(PorticoError::Invalid {
                        field,
                        message: format!("{}: {message}", documents::clean_file_name(name)),
                    })
                }
                other => Refusal(other),
            });
        }
    }
    let stamp = stamp(&state, &actor, &origin);
    let mut ids = Vec::with_capacity(files.len());
    for (file_name, staged) in files {
        let document = documents::upload(
            &state.db,
            state.documents.as_ref(),
            &stamp,
            Upload {
                customer_id: Some(job.customer_id),
                job_id: Some(job_id),
                kind,
                visibility,
                file_name,
                content: Content::Staged(staged),
            },
            state.upload_limit,
        )
        .await?;
        ids.push(document.id);
    }
    if plain_form {
        let back = if from_customer {
            format!("/moves/{job_id}#documents")
        } else {
            format!("/staff/jobs/{job_id}")
        };
        return Ok((
            StatusCode::SEE_OTHER,
            [(
                header::LOCATION,
                HeaderValue::try_from(back).map_err(|_| Refusal(PorticoError::Internal))?,
            )],
        )
            .into_response());
    }
    Ok((StatusCode::CREATED, Json(ids)).into_response())
}

/// Streams a file field to a staged file on disk, chunk by chunk, up to `limit` bytes: an
/// upload is never held in memory whole.
async fn stage(
    storage: &dyn Storage,
    mut field: Field<'_>,
    limit: usize,
) -> Result<StagedFile, Refusal> {
    let mut staging = Staging::begin(storage, limit).await?;
    loop {
        match field.chunk().await {
            Ok(Some(chunk)) => staging.write(&chunk).await?,
            Ok(None) => break,
            Err(error) if error.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(staging::too_large(limit).into())
            }
            Err(_) => return Err(PorticoError::BadRequest.into()),
        }
    }
    Ok(staging.finish().await?)
}

/// The first file field of a multipart form: its name and the staged file.
async fn file_field(
    storage: &dyn Storage,
    form: &mut Multipart,
    limit: usize,
) -> Result<Option<(String, StagedFile)>, Refusal> {
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|_| Refusal(PorticoError::BadRequest))?
    {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or("logo").to_owned();
            return Ok(Some((name, stage(storage, field, limit).await?)));
        }
    }
    Ok(None)
}

/// `POST /files/receipts/check` (multipart `file`): hashes a quote PDF on its way in (it is
/// kept nowhere) and sends the browser to `/receipts/check?sha256=…`, where the page says
/// whether an acceptance this person may see names that fingerprint.
pub async fn check_receipt(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    mut form: Multipart,
) -> Result<Response, Refusal> {
    who(&state, &session).await?;
    let Some((_, staged)) =
        file_field(state.documents.as_ref(), &mut form, state.upload_limit).await?
    else {
        return Err(Refusal(PorticoError::Invalid {
            field: "file".into(),
            message: "Choose the quote PDF to check.".into(),
        }));
    };
    let target = format!("/receipts/check?sha256={}", staged.sha256());
    Ok((
        StatusCode::SEE_OTHER,
        [(
            header::LOCATION,
            HeaderValue::try_from(target).map_err(|_| Refusal(PorticoError::Internal))?,
        )],
    )
        .into_response())
}

/// `POST /files/company/logo` (multipart `file`): admins set the logo shown in the header.
pub async fn upload_logo(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Extension(origin): Extension<RequestOrigin>,
    mut form: Multipart,
) -> Result<Response, Refusal> {
    let actor = who(&state, &session).await?;
    permit(&actor, Action::ManageCompany)?;
    let Some((name, staged)) = file_field(
        state.documents.as_ref(),
        &mut form,
        portico_domain::company::LOGO_LIMIT,
    )
    .await?
    else {
        return Err(Refusal(PorticoError::Invalid {
            field: "file".into(),
            message: "Choose a picture.".into(),
        }));
    };
    portico_domain::company::set_logo(
        &state.db,
        state.documents.as_ref(),
        &stamp(&state, &actor, &origin),
        &name,
        Content::Staged(staged),
    )
    .await?;
    Ok(StatusCode::CREATED.into_response())
}

/// `GET /files/company/logo`: public, like the company's name; 404 until one is set.
pub async fn logo(State(state): State<AppState>) -> Result<Response, Refusal> {
    let Some((content_type, bytes)) =
        portico_domain::company::logo(&state.db, state.documents.as_ref()).await?
    else {
        return Err(PorticoError::NotFound.into());
    };
    let mut response = Response::new(Body::from(bytes));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    Ok(response)
}

/// The company's brand colour as `#rrggbb` → (r, g, b).
fn rgb(colour: &str) -> Option<(u8, u8, u8)> {
    let hex = colour.strip_prefix('#')?;
    if hex.len() != 6 {
        return None;
    }
    let part = |i: usize| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok();
    Some((part(0)?, part(2)?, part(4)?))
}

/// Mixes a colour towards black (`to` = 0) or white (`to` = 255) by `share` (0–1).
fn mix((r, g, b): (u8, u8, u8), to: u8, share: f32) -> String {
    let blend = |c: u8| (f32::from(c) * (1.0 - share) + f32::from(to) * share).round() as u8;
    format!("#{:02x}{:02x}{:02x}", blend(r), blend(g), blend(b))
}

/// `GET /brand.css`: the company's colour as the pages' CSS variables (a stylesheet from our
/// origin, so the CSP needs no inline styles). Empty before a company is set up.
pub async fn brand_css(State(state): State<AppState>) -> Response {
    let colour = portico_domain::company::profile(&state.db)
        .await
        .ok()
        .and_then(|c| rgb(&c.brand_colour));
    let css = match colour {
        Some(base) => format!(
            ":root {{ --brand: {}; --brand-strong: {}; --brand-soft: {}; }}\n",
            mix(base, 0, 0.0),
            mix(base, 0, 0.3),
            mix(base, 255, 0.88)
        ),
        None => String::new(),
    };
    let mut response = Response::new(Body::from(css));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=60"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brand_colours_are_mixed_darker_and_lighter() {
        let base = rgb("#1f5f8b").expect("colour");
        assert_eq!(base, (0x1f, 0x5f, 0x8b));
        assert_eq!(mix(base, 0, 0.0), "#1f5f8b");
        assert_eq!(mix((100, 200, 0), 0, 0.5), "#326400");
        assert_eq!(mix((0, 0, 0), 255, 1.0), "#ffffff");
        assert_eq!(rgb("blue"), None);
    }
}
