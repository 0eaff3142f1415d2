//! Encryption at rest for the authenticator (TOTP) secrets: a copy of the database (a backup, a
//! dump) must not be enough to produce someone's codes. Each secret is sealed with
//! XChaCha20-Poly1305 under a 256-bit key that lives outside the database
//! (`PORTICO_SECRET_KEY`, or `secret.key` in the data directory, created with mode 0600), with a
//! random 192-bit nonce and the row's owner as associated data, so a sealed secret cannot be
//! moved to another person's row.

use std::{io::Write, path::Path};

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use chacha20poly1305::{
    aead::{Aead, KeyInit, Payload},
    XChaCha20Poly1305, XNonce,
};

use crate::DomainError;

/// Marks a sealed value; a value without it is from before encryption at rest.
const SEALED: &str = "sealed1:";
const NONCE_LEN: usize = 24;

/// The key. Its bytes are never printed.
#[derive(Clone)]
pub struct AtRestKey(std::sync::Arc<[u8; 32]>);

impl std::fmt::Debug for AtRestKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AtRestKey(…)")
    }
}

impl AtRestKey {
    /// A new random key.
    pub fn generate() -> Result<Self, DomainError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| DomainError::Internal(format!("random: {e}")))?;
        Ok(Self(bytes.into()))
    }

    /// A key written as base64url (43 characters, as [`AtRestKey::encoded`] gives it).
    pub fn from_base64(text: &str) -> Result<Self, String> {
        let bytes = URL_SAFE_NO_PAD
            .decode(text.trim())
            .map_err(|_| "is not base64url text".to_owned())?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| "must be 32 bytes (43 base64url characters)".to_owned())?;
        Ok(Self(bytes.into()))
    }

    pub fn encoded(&self) -> String {
        URL_SAFE_NO_PAD.encode(*self.0)
    }

    /// Reads the key file, or creates it (mode 0600, never overwritten) when there is none.
    pub fn load_or_create(path: &Path) -> Result<Self, String> {
        match std::fs::read_to_string(path) {
            Ok(text) => return Self::from_base64(&text),
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(format!("cannot read it: {e}"))
            }
            Err(_) => {}
        }
        let key = Self::generate().map_err(|e| e.to_string())?;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options
            .open(path)
            .map_err(|e| format!("cannot create it: {e}"))?;
        file.write_all(key.encoded().as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| format!("cannot write it: {e}"))?;
        Ok(key)
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new((&*self.0).into())
    }

    /// Seals `plain` for the row `context` (e.g. `totp:user:12`).
    pub fn seal(&self, plain: &str, context: &str) -> Result<String, DomainError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|e| DomainError::Internal(format!("random: {e}")))?;
        let sealed = self
            .cipher()
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| DomainError::Internal("sealing a secret failed".into()))?;
        Ok(format!(
            "{SEALED}{}",
            URL_SAFE_NO_PAD.encode([nonce.as_slice(), &sealed].concat())
        ))
    }

    /// Opens a value [`AtRestKey::seal`] made for the same `context`; a value from before
    /// encryption at rest is returned as it is (start-up seals those, see `is_sealed`).
    pub fn open(&self, stored: &str, context: &str) -> Result<String, DomainError> {
        let Some(body) = stored.strip_prefix(SEALED) else {
            return Ok(stored.to_owned());
        };
        let refused = || {
            DomainError::Internal(format!(
                "a sealed secret for {context} does not open with this key"
            ))
        };
        let bytes = URL_SAFE_NO_PAD.decode(body).map_err(|_| refused())?;
        if bytes.len() <= NONCE_LEN {
            return Err(refused());
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let plain = self
            .cipher()
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| refused())?;
        String::from_utf8(plain).map_err(|_| refused())
    }
}

pub fn is_sealed(stored: &str) -> bool {
    stored.starts_with(SEALED)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_only_with_their_key_and_row() -> Result<(), DomainError> {
        let key = AtRestKey::generate()?;
        let sealed = key.seal("JBSWY3DPEHPK3PXP", "totp:user:1")?;
        assert!(is_sealed(&sealed) && !sealed.contains("JBSWY3DPEHPK3PXP"));
        assert_ne!(
            sealed,
            key.seal("JBSWY3DPEHPK3PXP", "totp:user:1")?,
            "fresh nonce"
        );
        assert_eq!(key.open(&sealed, "totp:user:1")?, "JBSWY3DPEHPK3PXP");
        assert!(key.open(&sealed, "totp:user:2").is_err(), "another row");
        assert!(AtRestKey::generate()?.open(&sealed, "totp:user:1").is_err());
        let copy = AtRestKey::from_base64(&key.encoded()).map_err(DomainError::Internal)?;
        assert_eq!(copy.open(&sealed, "totp:user:1")?, "JBSWY3DPEHPK3PXP");
        assert_eq!(
            key.open("JBSWY3DPEHPK3PXP", "totp:user:1")?,
            "JBSWY3DPEHPK3PXP"
        );
        assert!(!format!("{key:?}").contains(&key.encoded()));
        Ok(())
    }

    #[test]
    fn the_key_file_is_made_once_and_private() -> Result<(), String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let path = dir.path().join("secret.key");
        let first = AtRestKey::load_or_create(&path)?;
        let again = AtRestKey::load_or_create(&path)?;
        assert_eq!(first.encoded(), again.encoded());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path)
                .map_err(|e| e.to_string())?
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "short").map_err(|e| e.to_string())?;
        assert!(AtRestKey::load_or_create(&path).is_err());
        Ok(())
    }
}
