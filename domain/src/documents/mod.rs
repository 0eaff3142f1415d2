//! Documents: quotes, contracts, inventory lists, invoices, photos. The type is read from the
//! file's bytes, the size is limited, the bytes are hashed (SHA-256) and stored outside the
//! web root under a name the server makes up, behind the [`Storage`] trait (a folder on local
//! disk by default). Each is visible to staff only or to the customer too.

pub mod entity;
pub mod paperwork;
pub mod staging;

use std::{path::PathBuf, sync::Arc};

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, TransactionTrait,
};
use sha2::{Digest, Sha256};

pub use entity::{DocumentKind, Model as Document, Visibility};

use crate::{
    audit::{AuditAction, Stamp},
    live::LiveKind,
    policy::{self, Action, Actor, Decision, DocumentAccess, JobAccess},
    DomainError,
};

/// Where document bytes are kept.
#[async_trait::async_trait]
pub trait Storage: Send + Sync {
    async fn put(&self, key: &str, bytes: &[u8]) -> Result<(), DomainError>;
    async fn get(&self, key: &str) -> Result<Vec<u8>, DomainError>;
    async fn delete(&self, key: &str) -> Result<(), DomainError>;

    /// Where an upload is written while it arrives; on the store's own disk, so that keeping
    /// it is a rename.
    fn staging_dir(&self) -> PathBuf {
        std::env::temp_dir()
    }

    /// Keeps a staged upload under `key`.
    async fn put_staged(&self, key: &str, file: tempfile::TempPath) -> Result<(), DomainError> {
        let bytes = tokio::fs::read(&file)
            .await
            .map_err(|e| DomainError::Internal(format!("reading a staged upload: {e}")))?;
        self.put(key, &bytes).await
    }
}

/// A folder on the server's disk (`<data dir>/documents`), two levels of sub-folders by key.
#[derive(Debug, Clone)]
pub struct LocalDisk {
    root: PathBuf,
}

impl LocalDisk {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    fn path(&self, key: &str) -> Result<PathBuf, DomainError> {
        // Keys are made here (hex); anything else is refused rather than joined into a path.
        if key.len() < 8 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(DomainError::Internal(format!("bad storage key {key:?}")));
        }
        Ok(self.root.join(&key[..2]).join(&key[2..4]).join(key))
    }
}

#[async_trait::async_trait]
impl Storage for LocalDisk {
    async fn put(&self, key: &str, bytes: &[u8]) -> Result<(), DomainError> {
        let path = self.path(key)?;
        let io = |e: std::io::Error| DomainError::Internal(format!("storing a document: {e}"));
        if let Some(parent) = path.parent() {
            tokio::fs::create_dir_all(parent).await.map_err(io)?;
        }
        // Written under a temporary name and renamed, so a reader never sees half a file.
        let partial = path.with_extension("partial");
        tokio::fs::write(&partial, bytes).await.map_err(io)?;
        tokio::fs::rename(&partial, &path).await.map_err(io)
    }

    async fn get(&self, key: &str) -> Result<Vec<u8>, DomainError> {
        tokio::fs::read(self.path(key)?)
            .await
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => DomainError::NotFound("document file"),
                _ => DomainError::Internal(format!("reading a document: {e}")),
            })
    }

    async fn delete(&self, key: &str) -> Result<(), DomainError> {
        match tokio::fs::remove_file(self.path(key)?).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(DomainError::Internal(format!("removing a document: {e}"))),
        }
    }

    fn staging_dir(&self) -> PathBuf {
        self.root.join("incoming")
    }

    async fn put_staged(&self, key: &str, file: tempfile::TempPath) -> Result<(), DomainError> {
        let path = self.path(key)?;
        let io = |e: std::io::Error| DomainError::Internal(format!("storing a document: {e}"));
        if let Some(parent) = path.parent() {
            tokio::fs::create_dir_all(parent).await.map_err(io)?;
        }
        // The staging folder is inside the store's root: one rename, never a copy.
        tokio::task::spawn_blocking(move || file.persist(&path).map_err(|e| io(e.error)))
            .await
            .map_err(|e| DomainError::Internal(format!("storing a document: {e}")))?
    }
}

pub type SharedStorage = Arc<dyn Storage>;

/// The types a document may have, by what its bytes say: (MIME type, words for a message).
const ALLOWED: &[&str] = &[
    "application/pdf",
    "image/jpeg",
    "image/png",
    "image/webp",
    "image/heif",
    "image/heic",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
];

/// The content type from the first bytes; `None` when it is not one we accept.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    let kind = infer::get(bytes)?;
    ALLOWED
        .iter()
        .copied()
        .find(|allowed| *allowed == kind.mime_type())
}

/// Keeps the last path segment, drops control characters, and limits the length.
pub fn clean_file_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>' | '|' | '*' | '?' | ':'))
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_owned();
    if cleaned.is_empty() {
        "document".to_owned()
    } else {
        cleaned.chars().take(200).collect()
    }
}

/// An upload, as received.
pub struct Upload {
    /// The customer it belongs to; none for the company's own files (the logo).
    pub customer_id: Option<i32>,
    pub job_id: Option<i32>,
    pub kind: DocumentKind,
    pub visibility: Visibility,
    pub file_name: String,
    pub content: Content,
}

/// An upload's bytes: in memory for the small files Portico makes itself (the logo, the demo's
/// photos), or staged on disk as they arrived, for what people upload.
pub enum Content {
    InMemory(Vec<u8>),
    Staged(staging::StagedFile),
}

impl Content {
    pub fn size(&self) -> usize {
        match self {
            Self::InMemory(bytes) => bytes.len(),
            Self::Staged(file) => file.size(),
        }
    }

    /// The first bytes, which tell the type.
    pub fn head(&self) -> &[u8] {
        match self {
            Self::InMemory(bytes) => bytes,
            Self::Staged(file) => file.head(),
        }
    }
}

/// Whether a file of `size` bytes starting with `head` may be uploaded: not empty, within
/// `limit`, and of a type we accept as its bytes tell (never as its name or the browser says).
pub fn acceptable(size: usize, head: &[u8], limit: usize) -> Result<&'static str, DomainError> {
    if size == 0 {
        return Err(DomainError::invalid("file", "The file is empty."));
    }
    if size > limit {
        return Err(staging::too_large(limit));
    }
    sniff(head).ok_or_else(|| {
        DomainError::invalid(
            "file",
            "Upload a PDF, a photo (JPEG, PNG, WebP, HEIC) or a Word or Excel file.",
        )
    })
}

/// Checks, hashes and stores an upload, then records it. `limit` is in bytes.
pub async fn upload<C>(
    db: &C,
    storage: &dyn Storage,
    stamp: &Stamp,
    upload: Upload,
    limit: usize,
) -> Result<Document, DomainError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let size = upload.content.size();
    let content_type = acceptable(size, upload.content.head(), limit)?;
    if let Some(customer_id) = upload.customer_id {
        crate::customers::find(db, customer_id).await?;
    }
    if let Some(job_id) = upload.job_id {
        if Some(crate::jobs::find(db, job_id).await?.customer_id) != upload.customer_id {
            return Err(DomainError::invalid(
                "job",
                "That job belongs to another customer.",
            ));
        }
    }
    let key = uuid::Uuid::new_v4().simple().to_string();
    let digest = match upload.content {
        Content::InMemory(bytes) => {
            let (bytes, digest) = tokio::task::spawn_blocking(move || {
                let digest = hex::encode(Sha256::digest(&bytes));
                (bytes, digest)
            })
            .await
            .map_err(|e| DomainError::Internal(format!("hashing an upload: {e}")))?;
            storage.put(&key, &bytes).await?;
            digest
        }
        Content::Staged(file) => {
            let (path, digest) = file.into_parts();
            storage.put_staged(&key, path).await?;
            digest
        }
    };
    let saved = async {
        let txn = db.begin().await?;
        let document = entity::ActiveModel {
            customer_id: Set(upload.customer_id),
            job_id: Set(upload.job_id),
            kind: Set(upload.kind),
            file_name: Set(clean_file_name(&upload.file_name)),
            content_type: Set(content_type.to_owned()),
            size_bytes: Set(i64::try_from(size).unwrap_or(i64::MAX)),
            sha256: Set(digest),
            storage_key: Set(key.clone()),
            visibility: Set(upload.visibility),
            uploaded_by: Set(stamp.by),
            created_at: Set(stamp.at),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        stamp
            .record(
                &txn,
                AuditAction::DocumentUploaded,
                format!("document:{}", document.id),
                Some(format!("{} ({content_type})", document.file_name)),
            )
            .await?;
        announce(&txn, stamp, &document, LiveKind::DocumentAdded).await?;
        crate::live::commit(txn).await?;
        Ok::<_, DomainError>(document)
    }
    .await;
    if saved.is_err() {
        // Nothing half-saved: the bytes go when the row could not be written.
        let _ = storage.delete(&key).await;
    }
    saved
}

pub async fn find(db: &impl ConnectionTrait, id: i32) -> Result<Document, DomainError> {
    entity::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("document"))
}

/// What the policy needs to know of a document.
fn access<'a>(doc: &Document, job_customer: Option<i32>, crew: &'a [i32]) -> DocumentAccess<'a> {
    DocumentAccess {
        customer_id: doc.customer_id.or(job_customer),
        job: doc
            .job_id
            .zip(job_customer)
            .map(|(_, customer_id)| JobAccess { customer_id, crew }),
        money: doc.kind.is_money(),
        shown_to_customer: doc.visibility == Visibility::Customer,
    }
}

/// One document, if the policy lets `actor` see it (for a download); otherwise the policy's
/// refusal, which for a document is always "not found".
pub async fn find_for(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: i32,
) -> Result<Document, DomainError> {
    let doc = find(db, id).await?;
    let (job_customer, crew) = match doc.job_id {
        Some(job_id) => (
            Some(crate::jobs::find(db, job_id).await?.customer_id),
            crate::jobs::crew_of(db, job_id).await?,
        ),
        None => (None, Vec::new()),
    };
    match policy::can(
        actor,
        Action::ViewDocument(access(&doc, job_customer, &crew)),
    ) {
        Decision::Allow => Ok(doc),
        refused => Err(DomainError::Denied(refused)),
    }
}

/// A job's documents that `actor` may see, newest first: the same rule as [`find_for`], so a
/// listing never offers what the download would refuse.
pub async fn for_job(
    db: &impl ConnectionTrait,
    actor: &Actor,
    job_id: i32,
) -> Result<Vec<Document>, DomainError> {
    let job = crate::jobs::find(db, job_id).await?;
    let crew = crate::jobs::crew_of(db, job_id).await?;
    let all = entity::Entity::find()
        .filter(entity::Column::JobId.eq(job_id))
        .order_by_desc(entity::Column::Id)
        .all(db)
        .await?;
    Ok(all
        .into_iter()
        .filter(|doc| {
            policy::can(
                actor,
                Action::ViewDocument(access(doc, Some(job.customer_id), &crew)),
            )
            .is_allowed()
        })
        .collect())
}

/// Shows a document to the customer or hides it again.
pub async fn set_visibility<C>(
    db: &C,
    stamp: &Stamp,
    id: i32,
    visibility: Visibility,
) -> Result<Document, DomainError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let txn = db.begin().await?;
    let mut active: entity::ActiveModel = find(&txn, id).await?.into();
    active.visibility = Set(visibility);
    let document = active.update(&txn).await?;
    stamp
        .record(
            &txn,
            AuditAction::DocumentVisibilityChanged,
            format!("document:{id}"),
            Some(format!("{visibility:?}").to_lowercase()),
        )
        .await?;
    // Shown now or until now: the customer's side hears of it either way (a hidden one drops
    // off their list), with the money rule for quotes and invoices.
    let shown = Document {
        visibility: Visibility::Customer,
        ..document.clone()
    };
    announce(&txn, stamp, &shown, LiveKind::DocumentShown).await?;
    crate::live::commit(txn).await?;
    Ok(document)
}

/// Tells open pages of a document that arrived or changed visibility; a file of the company's
/// own (no customer) concerns nobody's page.
pub(crate) async fn announce(
    txn: &impl ConnectionTrait,
    stamp: &Stamp,
    document: &Document,
    kind: LiveKind,
) -> Result<(), DomainError> {
    let customer_id = match (document.customer_id, document.job_id) {
        (Some(customer_id), _) => customer_id,
        (None, Some(job_id)) => crate::jobs::find(txn, job_id).await?.customer_id,
        (None, None) => return Ok(()),
    };
    crate::live::publish(
        txn,
        stamp.at,
        crate::live::News::on_document(document, kind, customer_id),
    )
    .await?;
    Ok(())
}

/// Files customers' contacts uploaded since `since`, newest first: the office's to-do list
/// shows them so that a photo of the piano is looked at before moving day.
pub async fn from_customers_since(
    db: &impl ConnectionTrait,
    since: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<Document>, DomainError> {
    use sea_orm::sea_query::{Expr, ExprTrait, Query};

    use crate::accounts::user;

    let contacts = Query::select()
        .column(user::Column::Id)
        .from(user::Entity)
        .and_where(Expr::col(user::Column::StaffRole).is_null())
        .to_owned();
    Ok(entity::Entity::find()
        .filter(entity::Column::UploadedBy.in_subquery(contacts))
        // What a customer can send; the acceptance receipt their "yes" freezes is not one.
        .filter(entity::Column::Kind.is_in([
            DocumentKind::Photo,
            DocumentKind::InventoryList,
            DocumentKind::Other,
        ]))
        .filter(entity::Column::CreatedAt.gte(since))
        .order_by_desc(entity::Column::Id)
        .all(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_type_comes_from_the_bytes() {
        assert_eq!(
            sniff(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"),
            Some("application/pdf")
        );
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some("image/png"));
        assert_eq!(sniff(b"<html><script>alert(1)</script>"), None);
        assert_eq!(sniff(b"MZ\x90\0\x03\0\0\0"), None, "a Windows program");
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn file_names_lose_their_paths_and_odd_characters() {
        assert_eq!(clean_file_name("../../etc/passwd"), "passwd");
        assert_eq!(
            clean_file_name("C:\\Users\\me\\inventaris.pdf"),
            "inventaris.pdf"
        );
        assert_eq!(clean_file_name("a\u{0}b\"c.pdf"), "abc.pdf");
        assert_eq!(clean_file_name("..."), "document");
        assert_eq!(clean_file_name(".hidden.png"), "hidden.png");
    }
}
