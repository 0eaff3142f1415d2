//! The company that runs this Portico: its name and contact details, shown on every page.

pub mod entity;

use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder};

use crate::DomainError;
pub use entity::Model as Company;

/// The name used in e-mails and authenticator apps; "Portico" before a company is set up.
pub async fn name_or_portico(db: &impl ConnectionTrait) -> String {
    profile(db)
        .await
        .map(|c| c.name)
        .unwrap_or_else(|_| "Portico".to_owned())
}

/// The company's profile. A Portico serves one company; the first row is it.
pub async fn profile(db: &impl ConnectionTrait) -> Result<Company, DomainError> {
    entity::Entity::find()
        .order_by_asc(entity::Column::Id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("company profile"))
}

/// The largest logo, in bytes.
pub const LOGO_LIMIT: usize = 1024 * 1024;

/// Sets the company's logo: a PNG, JPEG or WebP picture (read from its bytes) up to 1 MB,
/// stored like any document and shown in the header.
pub async fn set_logo<C>(
    db: &C,
    storage: &dyn crate::documents::Storage,
    stamp: &crate::audit::Stamp,
    file_name: &str,
    content: crate::documents::Content,
) -> Result<Company, DomainError>
where
    C: ConnectionTrait + sea_orm::TransactionTrait,
{
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};

    use crate::documents::{self, DocumentKind, Upload, Visibility};
    if content.size() > 0
        && !matches!(
            documents::sniff(content.head()),
            Some("image/png" | "image/jpeg" | "image/webp")
        )
    {
        return Err(DomainError::invalid(
            "file",
            "The logo is a PNG, JPEG or WebP picture.",
        ));
    }
    let upload = Upload {
        customer_id: None,
        job_id: None,
        kind: DocumentKind::Other,
        visibility: Visibility::Customer,
        file_name: file_name.to_owned(),
        content,
    };
    let document = documents::upload(db, storage, stamp, upload, LOGO_LIMIT).await?;
    let mut row: entity::ActiveModel = profile(db).await?.into();
    row.logo_document_id = Set(Some(document.id));
    let company = row.update(db).await?;
    stamp
        .record(
            db,
            crate::audit::AuditAction::CompanySettingsChanged,
            "company".to_owned(),
            Some(format!("logo: document:{}", document.id)),
        )
        .await?;
    Ok(company)
}

/// The logo's type and bytes, when one is set.
pub async fn logo(
    db: &impl ConnectionTrait,
    storage: &dyn crate::documents::Storage,
) -> Result<Option<(String, Vec<u8>)>, DomainError> {
    let Some(id) = profile(db).await.ok().and_then(|c| c.logo_document_id) else {
        return Ok(None);
    };
    let document = crate::documents::find(db, id).await?;
    Ok(Some((
        document.content_type,
        storage.get(&document.storage_key).await?,
    )))
}

/// The company settings as typed by an admin.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CompanySettings {
    pub name: String,
    pub email: String,
    pub phone: String,
    pub address: String,
    pub kvk_number: String,
    pub vat_number: String,
    pub iban: String,
    pub invoice_prefix: String,
    pub time_zone: String,
    pub payment_term_days: i32,
    pub brand_colour: String,
}

impl CompanySettings {
    fn checked(self) -> Result<Self, DomainError> {
        let name = self.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 120 {
            return Err(DomainError::invalid("name", "Give the company's name."));
        }
        let email = self.email.trim().to_lowercase();
        if !email
            .split_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && d.contains('.'))
        {
            return Err(DomainError::invalid(
                "email",
                "Enter an e-mail address like office@example.nl.",
            ));
        }
        let phone = self.phone.trim().to_owned();
        if phone.chars().filter(char::is_ascii_digit).count() < 6 {
            return Err(DomainError::invalid(
                "phone",
                "Enter a phone number customers can call.",
            ));
        }
        let kvk: String = self
            .kvk_number
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        if !kvk.is_empty() && (kvk.len() != 8 || !kvk.chars().all(|c| c.is_ascii_digit())) {
            return Err(DomainError::invalid(
                "kvk_number",
                "A KvK number has 8 digits.",
            ));
        }
        let vat: String = self
            .vat_number
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_uppercase();
        if !vat.is_empty()
            && (vat.len() < 8
                || vat.len() > 14
                || !vat.chars().all(|c| c.is_ascii_alphanumeric())
                || !vat.chars().take(2).all(|c| c.is_ascii_uppercase()))
        {
            return Err(DomainError::invalid(
                "vat_number",
                "Enter the VAT number with its country code, e.g. NL001234567B01.",
            ));
        }
        let iban = if self.iban.trim().is_empty() {
            String::new()
        } else {
            let electronic: String = self
                .iban
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .to_uppercase();
            match electronic.parse::<iban::Iban>() {
                Ok(iban) => iban.to_string(),
                Err(_) => {
                    return Err(DomainError::invalid(
                        "iban",
                        "That IBAN is not valid; check the digits.",
                    ));
                }
            }
        };
        let prefix = self.invoice_prefix.trim().to_owned();
        if prefix.chars().count() > 10
            || !prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(DomainError::invalid(
                "invoice_prefix",
                "Use up to 10 letters, digits or dashes.",
            ));
        }
        if self.time_zone.parse::<chrono_tz::Tz>().is_err() {
            return Err(DomainError::invalid(
                "time_zone",
                "Choose a time zone such as Europe/Amsterdam.",
            ));
        }
        if !(0..=90).contains(&self.payment_term_days) {
            return Err(DomainError::invalid(
                "payment_term_days",
                "The payment term is 0 to 90 days.",
            ));
        }
        let colour = self.brand_colour.trim().to_lowercase();
        if colour.len() != 7
            || !colour.starts_with('#')
            || !colour[1..].chars().all(|c| c.is_ascii_hexdigit())
        {
            return Err(DomainError::invalid(
                "brand_colour",
                "Pick a colour (#rrggbb).",
            ));
        }
        Ok(Self {
            name,
            email,
            phone,
            address: self.address.trim().chars().take(500).collect(),
            kvk_number: kvk,
            vat_number: vat,
            iban,
            invoice_prefix: prefix,
            time_zone: self.time_zone.trim().to_owned(),
            payment_term_days: self.payment_term_days,
            brand_colour: colour,
        })
    }
}

/// Saves the company settings (audited). Issued invoices keep the number they have; the prefix
/// applies to the next one.
pub async fn update<C>(
    db: &C,
    stamp: &crate::audit::Stamp,
    settings: CompanySettings,
) -> Result<Company, DomainError>
where
    C: ConnectionTrait + sea_orm::TransactionTrait,
{
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, TransactionSession};
    let settings = settings.checked()?;
    let txn = db.begin().await?;
    let mut row: entity::ActiveModel = profile(&txn).await?.into();
    row.name = Set(settings.name);
    row.email = Set(settings.email);
    row.phone = Set(settings.phone);
    row.address = Set(settings.address);
    row.kvk_number = Set(settings.kvk_number);
    row.vat_number = Set(settings.vat_number);
    row.iban = Set(settings.iban);
    row.invoice_prefix = Set(settings.invoice_prefix);
    row.time_zone = Set(settings.time_zone);
    row.payment_term_days = Set(settings.payment_term_days);
    row.brand_colour = Set(settings.brand_colour);
    let company = row.update(&txn).await?;
    stamp
        .record(
            &txn,
            crate::audit::AuditAction::CompanySettingsChanged,
            "company".to_owned(),
            None,
        )
        .await?;
    txn.commit().await?;
    Ok(company)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> CompanySettings {
        CompanySettings {
            name: "Van Dijk Verhuizingen".into(),
            email: "Office@VanDijk.example".into(),
            phone: "+31 20 123 4567".into(),
            address: "Transportweg 7".into(),
            kvk_number: "1234 5678".into(),
            vat_number: "nl001234567b01".into(),
            iban: "nl91abna0417164300".into(),
            invoice_prefix: "VD".into(),
            time_zone: "Europe/Amsterdam".into(),
            payment_term_days: 14,
            brand_colour: "#1F5F8B".into(),
        }
    }

    fn field(settings: CompanySettings) -> &'static str {
        match settings.checked() {
            Err(DomainError::Invalid { field, .. }) => field,
            other => panic!("expected a field error, got {other:?}"),
        }
    }

    #[test]
    fn settings_are_normalised_and_checked_field_by_field() {
        let ok = good().checked().unwrap();
        assert_eq!(ok.email, "office@vandijk.example");
        assert_eq!(ok.kvk_number, "12345678");
        assert_eq!(ok.vat_number, "NL001234567B01");
        assert_eq!(ok.iban, "NL91 ABNA 0417 1643 00");
        assert_eq!(ok.brand_colour, "#1f5f8b");
        assert_eq!(
            field(CompanySettings {
                iban: "NL91ABNA0417164301".into(),
                ..good()
            }),
            "iban"
        );
        assert_eq!(
            field(CompanySettings {
                kvk_number: "123".into(),
                ..good()
            }),
            "kvk_number"
        );
        assert_eq!(
            field(CompanySettings {
                time_zone: "Mars/Olympus".into(),
                ..good()
            }),
            "time_zone"
        );
        assert_eq!(
            field(CompanySettings {
                brand_colour: "blue".into(),
                ..good()
            }),
            "brand_colour"
        );
        assert_eq!(
            field(CompanySettings {
                payment_term_days: 120,
                ..good()
            }),
            "payment_term_days"
        );
        assert_eq!(
            field(CompanySettings {
                invoice_prefix: "F/".into(),
                ..good()
            }),
            "invoice_prefix"
        );
        assert_eq!(
            field(CompanySettings {
                name: " ".into(),
                ..good()
            }),
            "name"
        );
    }
}
