//! An upload on its way in: written to a temporary file in the store's staging folder chunk by
//! chunk as it arrives, hashed on the way, and refused the moment it passes the size limit, so
//! an upload never sits in memory whole (20 MB × every slow client). A staged file that is not
//! kept is removed when it is dropped.

use std::path::PathBuf;

use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use super::Storage;
use crate::DomainError;

/// The first bytes are kept for telling the type from the content (an Office file's zip
/// directory can sit a few kilobytes in).
const HEAD_BYTES: usize = 64 * 1024;

pub fn too_large(limit: usize) -> DomainError {
    DomainError::invalid(
        "file",
        format!("The file is larger than {} MB.", limit / (1024 * 1024)),
    )
}

fn io(e: std::io::Error) -> DomainError {
    DomainError::Internal(format!("staging an upload: {e}"))
}

/// An upload being received.
pub struct Staging {
    file: tokio::fs::File,
    path: tempfile::TempPath,
    size: usize,
    limit: usize,
    hasher: Sha256,
    head: Vec<u8>,
}

impl Staging {
    /// A new, empty staged file in `storage`'s staging folder; at most `limit` bytes.
    pub async fn begin(storage: &dyn Storage, limit: usize) -> Result<Self, DomainError> {
        let dir: PathBuf = storage.staging_dir();
        tokio::fs::create_dir_all(&dir).await.map_err(io)?;
        let (file, path) =
            tokio::task::spawn_blocking(move || tempfile::NamedTempFile::new_in(dir))
                .await
                .map_err(|e| DomainError::Internal(format!("staging an upload: {e}")))?
                .map_err(io)?
                .into_parts();
        Ok(Self {
            file: tokio::fs::File::from_std(file),
            path,
            size: 0,
            limit,
            hasher: Sha256::new(),
            head: Vec::new(),
        })
    }

    /// Appends a chunk; past the limit the upload is refused (and the file removed).
    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), DomainError> {
        self.size = self.size.saturating_add(chunk.len());
        if self.size > self.limit {
            return Err(too_large(self.limit));
        }
        if self.head.len() < HEAD_BYTES {
            let take = chunk.len().min(HEAD_BYTES - self.head.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        self.hasher.update(chunk);
        self.file.write_all(chunk).await.map_err(io)
    }

    /// The whole upload has arrived.
    pub async fn finish(mut self) -> Result<StagedFile, DomainError> {
        self.file.flush().await.map_err(io)?;
        Ok(StagedFile {
            path: self.path,
            size: self.size,
            sha256: hex::encode(self.hasher.finalize()),
            head: self.head,
        })
    }
}

/// A received upload on disk, with its size, SHA-256 and first bytes.
pub struct StagedFile {
    path: tempfile::TempPath,
    size: usize,
    sha256: String,
    head: Vec<u8>,
}

impl StagedFile {
    pub fn size(&self) -> usize {
        self.size
    }

    pub fn head(&self) -> &[u8] {
        &self.head
    }

    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// The file (removed when dropped unless it is kept) and its SHA-256.
    pub fn into_parts(self) -> (tempfile::TempPath, String) {
        (self.path, self.sha256)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::LocalDisk;

    #[tokio::test]
    async fn an_upload_is_hashed_on_the_way_and_refused_past_the_limit() {
        let root = tempfile::tempdir().expect("dir");
        let disk = LocalDisk::new(root.path());
        let mut staging = Staging::begin(&disk, 10).await.expect("begin");
        staging.write(b"hello ").await.expect("write");
        staging.write(b"you").await.expect("write");
        let staged = staging.finish().await.expect("finish");
        assert_eq!(staged.size(), 9);
        assert_eq!(staged.head(), b"hello you");
        assert_eq!(
            staged.sha256(),
            hex::encode(Sha256::digest(b"hello you")),
            "the same hash as of the whole"
        );
        let (path, _) = staged.into_parts();
        assert!(path.starts_with(root.path().join("incoming")));
        let kept = path.to_path_buf();
        drop(path);
        assert!(!kept.exists(), "a staged file not kept is removed");

        let mut staging = Staging::begin(&disk, 10).await.expect("begin");
        staging.write(b"0123456789").await.expect("at the limit");
        assert!(matches!(
            staging.write(b"x").await,
            Err(DomainError::Invalid { field: "file", .. })
        ));
    }
}
