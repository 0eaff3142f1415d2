//! Customers on the staff side: the list with search and pages, a customer's page with
//! contacts, jobs and invoices, creating and editing an account, and starting a job.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{
    components::A,
    hooks::{use_navigate, use_params_map, use_query_map},
};
use serde::{Deserialize, Serialize};

use crate::{
    invoices::InvoiceView,
    jobs::{page::JobDetailsFields, CreateJob, JobDetailsForm},
    staff::{action_error, loading, FieldError, FormError, StatusBadge},
    states::{CustomerKind, JobState, Scope},
    PorticoError,
};

/// Customers per page in the list.
pub const PER_PAGE: u64 = 20;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CustomerForm {
    pub name: String,
    /// `household` or `business`.
    pub kind: String,
    pub email: String,
    pub phone: String,
    pub address: String,
    pub postcode: String,
    pub city: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerRow {
    pub id: i32,
    pub name: String,
    pub kind: CustomerKind,
    pub email: String,
    pub place: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerPage {
    pub rows: Vec<CustomerRow>,
    pub total: u64,
    /// From 1.
    pub page: u64,
    pub pages: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactRow {
    pub name: String,
    pub email: String,
    pub scope: Scope,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobRow {
    pub id: i32,
    pub reference: String,
    pub state: JobState,
    pub route: String,
    pub date: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerDetail {
    pub id: i32,
    pub form: CustomerForm,
    pub contacts: Vec<ContactRow>,
    pub jobs: Vec<JobRow>,
    pub invoices: Vec<InvoiceView>,
}

#[cfg(feature = "ssr")]
fn input_of(form: CustomerForm) -> portico_domain::customers::CustomerInput {
    use portico_domain::customers::{CustomerInput, CustomerKind};
    CustomerInput {
        name: form.name,
        kind: match form.kind.as_str() {
            "household" => Some(CustomerKind::Household),
            "business" => Some(CustomerKind::Business),
            _ => None,
        },
        email: form.email,
        phone: form.phone,
        address: form.address,
        postcode: form.postcode,
        city: form.city,
    }
}

/// One page of customers matching the search (name, e-mail, postcode, city).
#[server(name = ListCustomers, prefix = "/api", endpoint = "customers/list")]
pub async fn list_customers(
    #[server(default)] query: String,
    #[server(default)] page: u64,
) -> Result<CustomerPage, PorticoError> {
    use portico_domain::{customers, policy::Action};

    use crate::server;

    server::authorize(Action::ManageJobs).await?;
    let page = page.max(1);
    let (rows, total) = customers::search(&server::db()?, &query, page - 1, PER_PAGE).await?;
    Ok(CustomerPage {
        rows: rows
            .into_iter()
            .map(|c| CustomerRow {
                id: c.id,
                name: c.name,
                kind: c.kind.into(),
                email: c.email,
                place: [c.postcode, c.city]
                    .iter()
                    .filter(|s| !s.is_empty())
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" "),
            })
            .collect(),
        total,
        page,
        pages: total.div_ceil(PER_PAGE).max(1),
    })
}

/// A customer's page: details, contacts, jobs and invoices.
#[server(name = CustomerDetails, prefix = "/api", endpoint = "customers/detail")]
pub async fn customer_detail(customer_id: i32) -> Result<CustomerDetail, PorticoError> {
    use portico_domain::{customers, invoices, jobs, policy::Action};

    use crate::{server, staff::local};

    let actor = server::authorize(Action::ManageJobs).await?;
    let db = server::db()?;
    let customer = customers::find(&db, customer_id).await?;
    server::record_staff_view(&db, &actor, format!("customer:{customer_id}")).await?;
    let contacts = customers::contacts(&db, customer_id)
        .await?
        .into_iter()
        .map(|(person, scope)| ContactRow {
            name: person.display_name,
            email: person.email,
            scope: scope.into(),
        })
        .collect();
    let jobs = jobs::for_customer(&db, customer_id)
        .await?
        .into_iter()
        .map(|j| JobRow {
            id: j.id,
            reference: j.reference,
            state: j.status.into(),
            route: format!("{} → {}", j.origin_address, j.destination_address),
            date: local::date(j.confirmed_date.unwrap_or(j.requested_date)),
        })
        .collect();
    let invoices = invoices::for_customer(&db, customer_id)
        .await?
        .iter()
        .map(crate::invoices::view_of)
        .collect();
    Ok(CustomerDetail {
        id: customer.id,
        form: CustomerForm {
            name: customer.name,
            kind: CustomerKind::from(customer.kind).label().to_owned(),
            email: customer.email,
            phone: customer.phone,
            address: customer.address,
            postcode: customer.postcode,
            city: customer.city,
        },
        contacts,
        jobs,
        invoices,
    })
}

/// Creates a customer (without `customer_id`) or saves one; answers its id.
#[server(name = SaveCustomer, prefix = "/api", endpoint = "customers/save")]
pub async fn save_customer(
    #[server(default)] customer_id: Option<i32>,
    customer: CustomerForm,
) -> Result<i32, PorticoError> {
    use portico_domain::{customers, policy::Action};

    use crate::server;

    let actor = server::authorize(Action::ManageJobs).await?;
    let db = server::db()?;
    let stamp = server::stamp(&actor)?;
    let input = input_of(customer);
    let saved = match customer_id {
        Some(id) => customers::update(&db, &stamp, id, input).await?,
        None => customers::create(&db, &stamp, input).await?,
    };
    Ok(saved.id)
}

#[component]
pub fn CustomersPage() -> impl IntoView {
    let query = use_query_map();
    let search = move || query.read().get("q").unwrap_or_default();
    let page = move || {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<u64>().ok())
            .unwrap_or(1)
    };
    let list = Resource::new(move || (search(), page()), |(q, p)| list_customers(q, p));
    view! {
        <Title text="Customers" />
        <section aria-labelledby="customers-title">
            <header class="page-header page-header--row">
                <h1 id="customers-title">"Customers"</h1>
                <A href="/staff/customers/new" attr:class="button">"New customer"</A>
            </header>
            <form class="form form--inline search" method="get" action="/staff/customers" role="search">
                <div class="field">
                    <label for="customer-search">"Search name, e-mail, postcode or city"</label>
                    <input id="customer-search" name="q" type="search" value=search />
                </div>
                <button type="submit" class="button button--secondary">"Search"</button>
            </form>
            <Suspense fallback=loading>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(p) if p.rows.is_empty() => view! { <p class="empty">"No customers match."</p> }.into_any(),
                        Ok(p) => {
                            let q = search();
                            let link = move |n: u64| format!("/staff/customers?q={}&page={n}", q.replace(' ', "+"));
                            view! {
                                <p class="muted">{p.total} " customers"</p>
                                <ul class="item-list" id="customer-list">
                                    {p.rows.into_iter().map(|c| view! {
                                        <li class="item">
                                            <div>
                                                <p class="item__title"><A href=format!("/staff/customers/{}", c.id)>{c.name}</A></p>
                                                <p class="item__meta">{c.kind.label()} " · " {c.email} " · " {c.place}</p>
                                            </div>
                                        </li>
                                    }).collect_view()}
                                </ul>
                                <nav class="pager" aria-label="Pages">
                                    {(p.page > 1).then(|| view! { <A href=link(p.page - 1) attr:rel="prev">"← Previous"</A> })}
                                    <span>"Page " {p.page} " of " {p.pages}</span>
                                    {(p.page < p.pages).then(|| view! { <A href=link(p.page + 1) attr:rel="next">"Next →"</A> })}
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

/// The customer fields, named `customer[…]`.
#[component]
fn CustomerFields(
    form: CustomerForm,
    #[prop(into)] error: Signal<Option<PorticoError>>,
) -> impl IntoView {
    let business = form.kind == "business";
    view! {
        <div class="field">
            <label for="customer-name">"Name (household or company)"</label>
            <input id="customer-name" name="customer[name]" type="text" required value=form.name aria-describedby="name-error" />
            <FieldError error field="name" />
        </div>
        <fieldset class="field">
            <legend>"Kind"</legend>
            <label class="check"><input type="radio" name="customer[kind]" value="household" checked=!business />" Household"</label>
            <label class="check"><input type="radio" name="customer[kind]" value="business" checked=business />" Business"</label>
            <FieldError error field="kind" />
        </fieldset>
        <div class="field-row">
            <div class="field">
                <label for="customer-email">"E-mail"</label>
                <input id="customer-email" name="customer[email]" type="email" required value=form.email aria-describedby="email-error" />
                <FieldError error field="email" />
            </div>
            <div class="field">
                <label for="customer-phone">"Phone"</label>
                <input id="customer-phone" name="customer[phone]" type="tel" required value=form.phone aria-describedby="phone-error" />
                <FieldError error field="phone" />
            </div>
        </div>
        <div class="field">
            <label for="customer-address">"Street and number"</label>
            <input id="customer-address" name="customer[address]" type="text" value=form.address autocomplete="street-address" />
            <FieldError error field="address" />
        </div>
        <div class="field-row">
            <div class="field">
                <label for="customer-postcode">"Postcode"</label>
                <input id="customer-postcode" name="customer[postcode]" type="text" value=form.postcode autocomplete="postal-code" />
                <FieldError error field="postcode" />
            </div>
            <div class="field">
                <label for="customer-city">"City"</label>
                <input id="customer-city" name="customer[city]" type="text" value=form.city />
                <FieldError error field="city" />
            </div>
        </div>
    }
    .into_any()
}

#[component]
pub fn NewCustomerPage() -> impl IntoView {
    let allowed = Resource::new(|| (), |_| crate::staff::may_manage_jobs());
    view! {
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                match allowed.await {
                    Ok(()) => view! { <NewCustomerForm /> }.into_any(),
                    Err(error) => view! { <crate::accounts::ErrorView error /> }.into_any(),
                }
            })}
        </Suspense>
    }
    .into_any()
}

#[component]
fn NewCustomerForm() -> impl IntoView {
    let save = ServerAction::<SaveCustomer>::new();
    let error = action_error(save);
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(id)) = save.value().get() {
            navigate(&format!("/staff/customers/{id}"), Default::default());
        }
    });
    view! {
        <Title text="New customer" />
        <section aria-labelledby="new-customer-title">
            <h1 id="new-customer-title">"New customer"</h1>
            <ActionForm action=save attr:class="form card">
                <CustomerFields form=CustomerForm::default() error />
                <FormError error />
                <button type="submit" class="button" disabled=move || save.pending().get()>"Create customer"</button>
            </ActionForm>
        </section>
    }
    .into_any()
}

#[component]
pub fn CustomerPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<i32>().ok())
            .unwrap_or_default()
    };
    let save = ServerAction::<SaveCustomer>::new();
    let detail = Resource::new(
        move || (id(), save.version().get()),
        |(id, _)| customer_detail(id),
    );
    view! {
        <Title text="Customer" />
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(c) => view! { <CustomerView customer=c save /> }.into_any(),
                    Err(error) => view! { <crate::accounts::ErrorView error /> }.into_any(),
                }
            })}
        </Suspense>
    }
    .into_any()
}

#[component]
fn CustomerView(customer: CustomerDetail, save: ServerAction<SaveCustomer>) -> impl IntoView {
    let error = action_error(save);
    let create_job = ServerAction::<CreateJob>::new();
    let job_error = action_error(create_job);
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(id)) = create_job.value().get() {
            navigate(&format!("/staff/jobs/{id}"), Default::default());
        }
    });
    let id = customer.id;
    view! {
        <Title text=customer.form.name.clone() />
        <section class="customer-page" aria-labelledby="customer-title">
            <header class="page-header">
                <p class="page-header__eyebrow"><A href="/staff/customers">"Customers"</A></p>
                <h1 id="customer-title">{customer.form.name.clone()}</h1>
                <p class="muted">{customer.form.email.clone()} " · " {customer.form.phone.clone()}</p>
            </header>
            <div class="job-page__grid">
                <div class="job-page__main">
                    <section class="card" aria-labelledby="customer-jobs-title">
                        <h2 id="customer-jobs-title">"Jobs"</h2>
                        {customer.jobs.is_empty().then(|| view! { <p class="empty">"No jobs yet."</p> })}
                        <ul class="item-list">
                            {customer.jobs.iter().cloned().map(|j| view! {
                                <li class="item">
                                    <div>
                                        <p class="item__title"><A href=format!("/staff/jobs/{}", j.id)>{j.reference}</A> " " <StatusBadge state=j.state /></p>
                                        <p class="item__meta">{j.date} " · " {j.route}</p>
                                    </div>
                                </li>
                            }).collect_view()}
                        </ul>
                        <details class="disclosure">
                            <summary class="button">"New job"</summary>
                            <ActionForm action=create_job attr:class="form">
                                <input type="hidden" name="customer_id" value=id />
                                <JobDetailsFields details=JobDetailsForm::default() error=job_error />
                                <FormError error=job_error />
                                <button type="submit" class="button" disabled=move || create_job.pending().get()>"Create job"</button>
                            </ActionForm>
                        </details>
                    </section>
                    <section class="card" aria-labelledby="customer-invoices-title">
                        <h2 id="customer-invoices-title">"Invoices"</h2>
                        {customer.invoices.is_empty().then(|| view! { <p class="empty">"No invoices yet."</p> })}
                        <ul class="item-list">
                            {customer.invoices.iter().map(|i| view! {
                                <li class="item">
                                    <div>
                                        <p class="item__title">{i.number.clone()} " · " {i.total.clone()} " " <StatusBadge state=i.state /></p>
                                        <p class="item__meta">{i.due_date.clone().map(|d| format!("due {d}"))}</p>
                                    </div>
                                    {i.pdf_url.clone().map(|url| view! { <a class="button button--secondary" href=url download>"PDF"</a> })}
                                </li>
                            }).collect_view()}
                        </ul>
                    </section>
                </div>
                <aside class="job-page__side">
                    <section class="card" aria-labelledby="contacts-title">
                        <h2 id="contacts-title">"People with access"</h2>
                        {customer.contacts.is_empty().then(|| view! { <p class="empty">"Nobody has been invited yet."</p> })}
                        <ul class="item-list">
                            {customer.contacts.iter().cloned().map(|c| view! {
                                <li class="item"><div><p class="item__title">{c.name}</p><p class="item__meta">{c.email} " · " {c.scope.label()}</p></div></li>
                            }).collect_view()}
                        </ul>
                        <A href="/staff/invitations" attr:class="button button--secondary">"Invite a contact"</A>
                    </section>
                    <details class="card">
                        <summary><h2 class="summary-title">"Edit details"</h2></summary>
                        <ActionForm action=save attr:class="form">
                            <input type="hidden" name="customer_id" value=id />
                            <CustomerFields form=customer.form.clone() error />
                            <FormError error />
                            {move || matches!(save.value().get(), Some(Ok(_))).then(|| view! { <p class="notice" role="status">"Saved."</p> })}
                            <button type="submit" class="button">"Save"</button>
                        </ActionForm>
                    </details>
                </aside>
            </div>
        </section>
    }
    .into_any()
}
