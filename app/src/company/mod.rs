//! The company's public profile: the name in the header, the contact details in the footer.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::PorticoError;

/// What a visitor may see of the company before signing in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanyProfile {
    pub name: String,
    pub email: String,
    pub phone: String,
    /// Where the logo is, when one is set.
    pub logo_url: Option<String>,
}

/// The company's public profile. Public by design: it is what the header and footer show to a
/// visitor who has not signed in.
#[server(name = GetCompanyProfile, prefix = "/api", endpoint = "company_profile")]
pub async fn company_profile() -> Result<CompanyProfile, PorticoError> {
    crate::server::authorize(portico_domain::policy::Action::ViewCompanyProfile).await?;
    let db = crate::server::db()?;
    let company = portico_domain::company::profile(&db).await?;
    Ok(CompanyProfile {
        name: company.name,
        email: company.email,
        phone: company.phone,
        logo_url: company
            .logo_document_id
            .map(|id| format!("/files/company/logo?v={id}")),
    })
}

/// The profile, loaded once per page and shared by the header, the footer and the pages.
pub type CompanyResource = Resource<Result<CompanyProfile, PorticoError>>;

/// Loads the profile as a blocking resource, so the server-rendered HTML already carries the
/// company's name before any script runs.
pub fn provide_company_profile() {
    let resource: CompanyResource = Resource::new_blocking(|| (), |_| company_profile());
    provide_context(resource);
}

pub fn use_company_profile() -> CompanyResource {
    expect_context::<CompanyResource>()
}
