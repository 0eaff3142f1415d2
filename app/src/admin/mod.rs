//! The admin's pages: users and roles (change a role, disable and enable, release a lock),
//! company settings, and the audit log with filters.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_query_map};
use serde::{Deserialize, Serialize};

use crate::{
    accounts::admin::{ChangeRole, DisableUser, ReleaseLock},
    staff::{action_error, loading, FieldError, FormError},
    PorticoError,
};

/// Audit rows per page.
pub const AUDIT_PER_PAGE: u64 = 50;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonView {
    pub id: i32,
    pub name: String,
    pub email: String,
    pub role: crate::accounts::Role,
    pub disabled: bool,
    pub locked_until: Option<String>,
    /// The admin looking at the page.
    pub me: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CompanyForm {
    pub name: String,
    pub email: String,
    pub phone: String,
    pub address: String,
    pub kvk_number: String,
    pub vat_number: String,
    pub iban: String,
    pub invoice_prefix: String,
    pub time_zone: String,
    pub payment_term_days: String,
    pub brand_colour: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuditFilterForm {
    pub action: String,
    pub subject: String,
    pub actor: String,
    /// `YYYY-MM-DD`
    pub from: String,
    pub until: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRow {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub origin: String,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub rows: Vec<AuditRow>,
    pub total: u64,
    pub page: u64,
    pub pages: u64,
    pub actions: Vec<String>,
}

/// Everyone who signs in, with role and state.
#[server(name = ListPeople, prefix = "/api", endpoint = "admin/people")]
pub async fn list_people() -> Result<Vec<PersonView>, PorticoError> {
    use portico_domain::{accounts::admin, policy::Action};

    use crate::{server, staff::local::Local};

    let actor = server::authorize(Action::ManageUsers).await?;
    let db = server::db()?;
    let here = Local::load(&db).await?;
    Ok(admin::people(&db, here.now)
        .await?
        .into_iter()
        .map(|(person, locked)| PersonView {
            me: actor.user_id() == Some(person.id),
            id: person.id,
            name: person.display_name,
            email: person.email,
            role: crate::accounts::Role::of(person.staff_role),
            disabled: person.disabled_at.is_some(),
            locked_until: locked.map(|until| here.date_time(until)),
        })
        .collect())
}

/// Lets a disabled person sign in again.
#[server(name = EnableUser, prefix = "/api", endpoint = "admin/enable_user")]
pub async fn enable_user(user_id: i32) -> Result<(), PorticoError> {
    use portico_domain::{accounts::admin, policy::Action};

    use crate::server;

    let actor = server::authorize(Action::ManageUsers).await?;
    admin::enable_user(&server::db()?, &server::stamp(&actor)?, user_id).await?;
    Ok(())
}

/// The company settings, for the form.
#[server(name = CompanySettingsForm, prefix = "/api", endpoint = "admin/company")]
pub async fn company_settings() -> Result<CompanyForm, PorticoError> {
    use portico_domain::{company, policy::Action};

    use crate::server;

    server::authorize(Action::ManageCompany).await?;
    let c = company::profile(&server::db()?).await?;
    Ok(CompanyForm {
        name: c.name,
        email: c.email,
        phone: c.phone,
        address: c.address,
        kvk_number: c.kvk_number,
        vat_number: c.vat_number,
        iban: c.iban,
        invoice_prefix: c.invoice_prefix,
        time_zone: c.time_zone,
        payment_term_days: c.payment_term_days.to_string(),
        brand_colour: c.brand_colour,
    })
}

/// Saves the company settings.
#[server(name = SaveCompanySettings, prefix = "/api", endpoint = "admin/save_company")]
pub async fn save_company_settings(company: CompanyForm) -> Result<(), PorticoError> {
    use portico_domain::{
        company::{self, CompanySettings},
        policy::Action,
    };

    use crate::server;

    let actor = server::authorize(Action::ManageCompany).await?;
    let payment_term_days = company
        .payment_term_days
        .trim()
        .parse::<i32>()
        .map_err(|_| PorticoError::Invalid {
            field: "payment_term_days".into(),
            message: "Enter a number of days, e.g. 14.".into(),
        })?;
    let settings = CompanySettings {
        name: company.name,
        email: company.email,
        phone: company.phone,
        address: company.address,
        kvk_number: company.kvk_number,
        vat_number: company.vat_number,
        iban: company.iban,
        invoice_prefix: company.invoice_prefix,
        time_zone: company.time_zone,
        payment_term_days,
        brand_colour: company.brand_colour,
    };
    company::update(&server::db()?, &server::stamp(&actor)?, settings).await?;
    Ok(())
}

/// One page of the audit log, newest first, filtered.
#[server(name = AuditLog, prefix = "/api", endpoint = "admin/audit")]
pub async fn audit_log(
    #[server(default)] filter: AuditFilterForm,
    #[server(default)] page: u64,
) -> Result<AuditPage, PorticoError> {
    use portico_domain::{audit, jobs, policy::Action};

    use crate::{
        server,
        staff::local::{parse_date, Local},
    };

    server::authorize(Action::ViewAuditLog).await?;
    let db = server::db()?;
    let here = Local::load(&db).await?;
    let date = |text: &str, field: &str| -> Result<Option<chrono::NaiveDate>, PorticoError> {
        if text.trim().is_empty() {
            Ok(None)
        } else {
            parse_date(text, field).map(Some)
        }
    };
    let domain_filter = audit::AuditFilter {
        action: filter.action.clone(),
        subject: filter.subject.clone(),
        actor_email: filter.actor.clone(),
        from: date(&filter.from, "from")?,
        until: date(&filter.until, "until")?.and_then(|d| d.succ_opt()),
    };
    let page = page.max(1);
    let (rows, total) = audit::search(&db, &domain_filter, page - 1, AUDIT_PER_PAGE).await?;
    let names = jobs::names_of(&db, rows.iter().filter_map(|r| r.actor_user_id)).await?;
    Ok(AuditPage {
        rows: rows
            .into_iter()
            .map(|r| AuditRow {
                at: here.date_time(r.occurred_at),
                actor: r
                    .actor_user_id
                    .and_then(|id| names.iter().find(|(pid, _)| *pid == id))
                    .map_or_else(|| "system".to_owned(), |(_, name)| name.clone()),
                action: r.action.replace('_', " "),
                subject: r.subject,
                origin: [r.ip.unwrap_or_default(), r.user_agent.unwrap_or_default()]
                    .iter()
                    .filter(|s| !s.is_empty())
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" · "),
                detail: r.detail.unwrap_or_default(),
            })
            .collect(),
        total,
        page,
        pages: total.div_ceil(AUDIT_PER_PAGE).max(1),
        actions: audit::ACTION_NAMES
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
    })
}

#[component]
fn AdminTabs() -> impl IntoView {
    view! {
        <nav class="toolbar" aria-label="Admin">
            <A href="/admin/users" attr:class="button button--secondary">"Users and roles"</A>
            <A href="/admin/company" attr:class="button button--secondary">"Company settings"</A>
            <A href="/admin/audit" attr:class="button button--secondary">"Audit log"</A>
        </nav>
    }
}

#[component]
pub fn UsersPage() -> impl IntoView {
    let role = ServerAction::<ChangeRole>::new();
    let disable = ServerAction::<DisableUser>::new();
    let enable = ServerAction::<EnableUser>::new();
    let release = ServerAction::<ReleaseLock>::new();
    let people = Resource::new(
        move || {
            (
                role.version().get(),
                disable.version().get(),
                enable.version().get(),
                release.version().get(),
            )
        },
        |_| list_people(),
    );
    let errors = Signal::derive(move || {
        action_error(role)
            .get()
            .or(action_error(disable).get())
            .or(action_error(enable).get())
            .or(action_error(release).get())
    });
    view! {
        <Title text="Users and roles" />
        <section aria-labelledby="users-title">
            <h1 id="users-title">"Users and roles"</h1>
            <AdminTabs />
            <FormError error=errors />
            <Suspense fallback=loading>
                {move || Suspend::new(async move {
                    match people.await {
                        Ok(list) => view! {
                            <ul class="item-list" id="people">
                                {list.into_iter().map(|p| {
                                    let staff = p.role != crate::accounts::Role::Customer;
                                    let id = p.id;
                                    let label = format!("Role of {}", p.name);
                                    view! {
                                        <li class="item">
                                            <div>
                                                <p class="item__title">{p.name.clone()} {p.me.then_some(" (you)")}</p>
                                                <p class="item__meta">{p.email.clone()} " · " {p.role.label()}
                                                    {p.disabled.then_some(" · disabled")}
                                                    {p.locked_until.clone().map(|until| format!(" · locked until {until}"))}</p>
                                            </div>
                                            <div class="item__actions">
                                                {(staff && !p.me).then(|| view! {
                                                    <ActionForm action=role attr:class="form form--inline">
                                                        <input type="hidden" name="user_id" value=id />
                                                        <label class="visually-hidden" for=format!("role-{id}")>{label.clone()}</label>
                                                        <select id=format!("role-{id}") name="role">
                                                            <option value="admin" selected=p.role == crate::accounts::Role::Admin>"Admin"</option>
                                                            <option value="office" selected=p.role == crate::accounts::Role::Office>"Office"</option>
                                                            <option value="crew" selected=p.role == crate::accounts::Role::Crew>"Crew"</option>
                                                        </select>
                                                        <button type="submit" class="button button--secondary">"Change role"</button>
                                                    </ActionForm>
                                                })}
                                                {p.locked_until.is_some().then(|| view! {
                                                    <ActionForm action=release>
                                                        <input type="hidden" name="user_id" value=id />
                                                        <button type="submit" class="button button--secondary">"Release lock"</button>
                                                    </ActionForm>
                                                })}
                                                {(!p.me && !p.disabled).then(|| view! {
                                                    <details class="disclosure">
                                                        <summary class="button button--secondary">"Disable…"</summary>
                                                        <ActionForm action=disable>
                                                            <input type="hidden" name="user_id" value=id />
                                                            <p>"They are signed out everywhere and cannot sign in until enabled again."</p>
                                                            <button type="submit" class="button button--danger">"Yes, disable " {p.name.clone()}</button>
                                                        </ActionForm>
                                                    </details>
                                                })}
                                                {p.disabled.then(|| view! {
                                                    <ActionForm action=enable>
                                                        <input type="hidden" name="user_id" value=id />
                                                        <button type="submit" class="button">"Enable"</button>
                                                    </ActionForm>
                                                })}
                                            </div>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(error) => view! { <crate::accounts::ErrorView error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
    .into_any()
}

#[component]
pub fn CompanyPage() -> impl IntoView {
    let save = ServerAction::<SaveCompanySettings>::new();
    let settings = Resource::new(|| (), |_| company_settings());
    let error = action_error(save);
    view! {
        <Title text="Company settings" />
        <section aria-labelledby="company-title">
            <h1 id="company-title">"Company settings"</h1>
            <AdminTabs />
            <Suspense fallback=loading>
                {move || Suspend::new(async move {
                    match settings.await {
                        Ok(c) => view! {
                            <ActionForm action=save attr:class="form card">
                                <CompanyField label="Company name" name="name" value=c.name error />
                                <div class="field-row">
                                    <CompanyField label="E-mail" name="email" value=c.email error />
                                    <CompanyField label="Phone" name="phone" value=c.phone error />
                                </div>
                                <div class="field">
                                    <label for="company-address">"Address (as on invoices)"</label>
                                    <textarea id="company-address" name="company[address]" rows="3">{c.address}</textarea>
                                </div>
                                <div class="field-row">
                                    <CompanyField label="KvK number" name="kvk_number" value=c.kvk_number error />
                                    <CompanyField label="VAT number" name="vat_number" value=c.vat_number error />
                                    <CompanyField label="IBAN" name="iban" value=c.iban error />
                                </div>
                                <div class="field-row">
                                    <CompanyField label="Invoice number prefix" name="invoice_prefix" value=c.invoice_prefix error />
                                    <CompanyField label="Payment term (days)" name="payment_term_days" value=c.payment_term_days error />
                                    <CompanyField label="Time zone" name="time_zone" value=c.time_zone error />
                                </div>
                                <div class="field">
                                    <label for="company-brand_colour">"Brand colour"</label>
                                    <input id="company-brand_colour" name="company[brand_colour]" type="color" value=c.brand_colour />
                                    <FieldError error field="brand_colour" />
                                </div>
                                <FormError error />
                                {move || matches!(save.value().get(), Some(Ok(()))).then(|| view! { <p class="notice" role="status">"Saved."</p> })}
                                <button type="submit" class="button" disabled=move || save.pending().get()>"Save settings"</button>
                            </ActionForm>
                            <LogoForm />
                        }.into_any(),
                        Err(error) => view! { <crate::accounts::ErrorView error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
    .into_any()
}

/// The logo upload: a picture up to 1 MB, shown in the header once saved.
#[component]
fn LogoForm() -> impl IntoView {
    let progress = RwSignal::new(None::<u32>);
    let error = RwSignal::new(None::<String>);
    let uploaded = RwSignal::new(0usize);
    let form_ref = NodeRef::<leptos::html::Form>::new();
    #[cfg_attr(
        not(any(feature = "hydrate", feature = "csr")),
        allow(unused_variables)
    )]
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        #[cfg(any(feature = "hydrate", feature = "csr"))]
        {
            ev.prevent_default();
            if let Some(form) = form_ref.get() {
                crate::documents::browser::send(
                    &form,
                    "/files/company/logo",
                    progress,
                    error,
                    uploaded,
                );
            }
        }
    };
    view! {
        <form node_ref=form_ref class="form card upload" method="post" enctype="multipart/form-data" action="/files/company/logo" on:submit=on_submit>
            <h2>"Logo"</h2>
            <img class="logo-preview" src=move || format!("/files/company/logo?u={}", uploaded.get()) alt="The current logo, if one is set" />
            <div class="field">
                <label for="logo-file">"Picture (PNG, JPEG or WebP, up to 1 MB)"</label>
                <input id="logo-file" name="file" type="file" required accept="image/png,image/jpeg,image/webp" aria-describedby="logo-error" />
                {move || error.get().map(|m| view! { <p class="field__error" id="logo-error" role="alert">{m}</p> })}
            </div>
            {move || (uploaded.get() > 0).then(|| view! { <p class="notice" role="status">"Logo saved."</p> })}
            <button type="submit" class="button" disabled=move || progress.get().is_some()>"Upload logo"</button>
        </form>
    }
    .into_any()
}

#[component]
fn CompanyField(
    label: &'static str,
    name: &'static str,
    value: String,
    #[prop(into)] error: Signal<Option<PorticoError>>,
) -> impl IntoView {
    let id = format!("company-{name}");
    let described = format!("{name}-error");
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input id=id name=format!("company[{name}]") type="text" value=value aria-describedby=described />
            <FieldError error field=name />
        </div>
    }
    .into_any()
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let filter = move || {
        let q = query.read();
        AuditFilterForm {
            action: q.get("action").unwrap_or_default(),
            subject: q.get("subject").unwrap_or_default(),
            actor: q.get("actor").unwrap_or_default(),
            from: q.get("from").unwrap_or_default(),
            until: q.get("until").unwrap_or_default(),
        }
    };
    let page = move || {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<u64>().ok())
            .unwrap_or(1)
    };
    let log = Resource::new(move || (filter(), page()), |(f, p)| audit_log(f, p));
    view! {
        <Title text="Audit log" />
        <section aria-labelledby="audit-title">
            <h1 id="audit-title">"Audit log"</h1>
            <AdminTabs />
            <Suspense fallback=loading>
                {move || Suspend::new(async move {
                    let f = filter();
                    match log.await {
                        Ok(log) => {
                            let link = {
                                let f = f.clone();
                                move |n: u64| format!(
                                    "/admin/audit?action={}&subject={}&actor={}&from={}&until={}&page={n}",
                                    f.action, f.subject.replace(' ', "+"), f.actor, f.from, f.until
                                )
                            };
                            view! {
                                <form class="form form--inline card" method="get" action="/admin/audit" role="search">
                                    <div class="field">
                                        <label for="audit-action">"What"</label>
                                        <select id="audit-action" name="action">
                                            <option value="">"Everything"</option>
                                            {log.actions.iter().map(|a| view! { <option value=a.clone() selected=*a == f.action>{a.replace('_', " ")}</option> }).collect_view()}
                                        </select>
                                    </div>
                                    <div class="field">
                                        <label for="audit-subject">"About (e.g. job:12)"</label>
                                        <input id="audit-subject" name="subject" type="search" value=f.subject.clone() />
                                    </div>
                                    <div class="field">
                                        <label for="audit-actor">"By (e-mail)"</label>
                                        <input id="audit-actor" name="actor" type="search" value=f.actor.clone() />
                                    </div>
                                    <div class="field">
                                        <label for="audit-from">"From"</label>
                                        <input id="audit-from" name="from" type="date" value=f.from.clone() />
                                    </div>
                                    <div class="field">
                                        <label for="audit-until">"Until"</label>
                                        <input id="audit-until" name="until" type="date" value=f.until.clone() />
                                    </div>
                                    <button type="submit" class="button button--secondary">"Filter"</button>
                                </form>
                                <p class="muted">{log.total} " entries"</p>
                                <div class="table-scroll">
                                    <table class="lines audit">
                                        <thead><tr><th scope="col">"When"</th><th scope="col">"Who"</th><th scope="col">"What"</th><th scope="col">"About"</th><th scope="col">"Detail"</th><th scope="col">"From"</th></tr></thead>
                                        <tbody>
                                            {log.rows.into_iter().map(|r| view! {
                                                <tr><td>{r.at}</td><td>{r.actor}</td><td>{r.action}</td><td>{r.subject}</td><td>{r.detail}</td><td class="muted">{r.origin}</td></tr>
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                                <nav class="pager" aria-label="Pages">
                                    {(log.page > 1).then(|| view! { <A href=link(log.page - 1)>"← Newer"</A> })}
                                    <span>"Page " {log.page} " of " {log.pages}</span>
                                    {(log.page < log.pages).then(|| view! { <A href=link(log.page + 1)>"Older →"</A> })}
                                </nav>
                            }.into_any()
                        }
                        Err(error) => view! { <crate::accounts::ErrorView error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
    .into_any()
}
