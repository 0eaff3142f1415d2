//! Passwords: the rules a new password must meet, and argon2id hashing that runs off the async
//! runtime, a bounded number at a time, so a storm of sign-ins cannot stall other requests.

use std::sync::Arc;

use argon2::{
    password_hash::{
        rand_core::OsRng, PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString,
    },
    Algorithm, Argon2, Params, Version,
};
use tokio::sync::Semaphore;

use crate::DomainError;

/// Shortest accepted password, in characters (Unicode scalar values).
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longest accepted password, in characters; longer input is refused, never truncated.
pub const MAX_PASSWORD_CHARS: usize = 256;
/// zxcvbn's score (0–4) a new password must reach.
const MIN_STRENGTH: u8 = 3;
/// zxcvbn's cost grows with length; a prefix this long already decides the score.
const STRENGTH_PREFIX_CHARS: usize = 64;

/// Checks a new password against the rules in SECURITY.md: length, and strength as estimated
/// by zxcvbn (with the person's own name and e-mail as words to avoid). No composition rules.
pub fn check_new_password(password: &str, personal_words: &[&str]) -> Result<(), DomainError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(DomainError::invalid(
            "password",
            format!(
                "Use at least {MIN_PASSWORD_CHARS} characters; a few unrelated words work well."
            ),
        ));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(DomainError::invalid(
            "password",
            format!("Use at most {MAX_PASSWORD_CHARS} characters."),
        ));
    }
    let prefix: String = password.chars().take(STRENGTH_PREFIX_CHARS).collect();
    let estimate = zxcvbn::zxcvbn(&prefix, personal_words);
    if u8::from(estimate.score()) < MIN_STRENGTH {
        let reason = estimate
            .feedback()
            .and_then(|feedback| feedback.warning().map(|w| w.to_string()))
            .unwrap_or_else(|| "This password is too easy to guess.".to_owned());
        let hint = estimate
            .feedback()
            .and_then(|feedback| feedback.suggestions().first().map(|s| s.to_string()))
            .unwrap_or_else(|| "Add another word or two that are not related to you.".to_owned());
        return Err(DomainError::invalid("password", format!("{reason} {hint}")));
    }
    Ok(())
}

/// Hashes and verifies passwords with argon2id (m = 19456 KiB, t = 2, p = 1) on tokio's
/// blocking pool, at most `permits` at once. Cheap to clone.
#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    /// Verified against when the e-mail is unknown, so that answer takes as long as a real one.
    decoy_hash: Arc<str>,
}

impl PasswordHasher {
    /// `permits`: how many hashes may run at once; leave a core for everything else.
    pub fn new(permits: usize) -> Result<Self, DomainError> {
        let decoy_hash = hash_blocking("portico decoy password, never used")?;
        Ok(Self {
            permits: Arc::new(Semaphore::new(permits.max(1))),
            decoy_hash: decoy_hash.into(),
        })
    }

    /// A PHC string: `$argon2id$v=19$m=19456,t=2,p=1$…`.
    pub async fn hash(&self, password: &str) -> Result<String, DomainError> {
        let password = password.to_owned();
        self.run(move || hash_blocking(&password)).await?
    }

    /// Whether `password` matches the stored PHC string. A malformed hash is an error, not a "no".
    pub async fn verify(&self, password: &str, phc: &str) -> Result<bool, DomainError> {
        let password = password.to_owned();
        let phc = phc.to_owned();
        self.run(move || verify_blocking(&password, &phc)).await?
    }

    /// Spends the time a verification takes, for an e-mail address that has no password.
    pub async fn verify_decoy(&self, password: &str) -> Result<(), DomainError> {
        let decoy = self.decoy_hash.to_string();
        self.verify(password, &decoy).await.map(|_| ())
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, DomainError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| DomainError::Internal(format!("hasher closed: {e}")))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| DomainError::Internal(format!("hashing task failed: {e}")))
    }
}

/// One hash off the async runtime, without a hasher (the demo seed uses it once).
pub async fn hash_once(password: &str) -> Result<String, DomainError> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || hash_blocking(&password))
        .await
        .map_err(|e| DomainError::Internal(format!("hashing task failed: {e}")))?
}

fn argon2() -> Result<Argon2<'static>, DomainError> {
    let params = Params::new(19_456, 2, 1, None)
        .map_err(|e| DomainError::Internal(format!("argon2 parameters: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

fn hash_blocking(password: &str) -> Result<String, DomainError> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()?
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| DomainError::Internal(format!("argon2 hash: {e}")))
}

fn verify_blocking(password: &str, phc: &str) -> Result<bool, DomainError> {
    let parsed =
        PasswordHash::new(phc).map_err(|e| DomainError::Internal(format!("stored hash: {e}")))?;
    match argon2()?.verify_password(password.as_bytes(), &parsed) {
        Ok(()) => Ok(true),
        Err(argon2::password_hash::Error::Password) => Ok(false),
        Err(e) => Err(DomainError::Internal(format!("argon2 verify: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(password: &str) -> Option<String> {
        match check_new_password(password, &["sanne", "sanne@deboer.example"]) {
            Ok(()) => None,
            Err(DomainError::Invalid { message, .. }) => Some(message),
            Err(other) => Some(format!("unexpected: {other}")),
        }
    }

    #[test]
    fn length_rules_count_characters_not_bytes() {
        assert!(problem("short pass").is_some_and(|m| m.contains("at least 12")));
        // 12 characters, many of them multi-byte: accepted if strong.
        assert_eq!(problem("🦀 крабы 搬家 tänzer ∑"), None);
        assert!(problem(&"correct horse battery staple ".repeat(9))
            .is_some_and(|m| m.contains("at most 256")));
    }

    #[test]
    fn common_and_personal_passwords_are_refused_with_a_reason() {
        assert!(problem("password1234").is_some());
        assert!(problem("qwertyuiopasdf").is_some());
        assert!(problem("sanne@deboer.example").is_some());
        assert_eq!(problem("lantern quarry mosaic velvet"), None);
        // Spaces and any Unicode are accepted; no composition rules.
        assert_eq!(problem("verhuisdoos op de derde verdieping"), None);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn hashes_are_argon2id_with_the_required_cost_and_do_not_truncate() {
        let hasher = PasswordHasher::new(2).unwrap_or_else(|e| unreachable!("{e}"));
        let password = "lantern quarry mosaic velvet";
        let hash = hasher.hash(password).await.unwrap_or_default();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(hasher.verify(password, &hash).await.unwrap_or(false));
        assert!(!hasher
            .verify(&format!("{password}x"), &hash)
            .await
            .unwrap_or(true));
        assert!(!hasher
            .verify("lantern quarry mosaic velve", &hash)
            .await
            .unwrap_or(true));
        // A long password is not cut short: changing its last character fails.
        let long = "a very long passphrase that keeps going ".repeat(6);
        let long_hash = hasher.hash(&long).await.unwrap_or_default();
        assert!(!hasher
            .verify(&format!("{}X", &long[..long.len() - 1]), &long_hash)
            .await
            .unwrap_or(true));
        assert!(hasher.verify_decoy(password).await.is_ok());
    }
}
