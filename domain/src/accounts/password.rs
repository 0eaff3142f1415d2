//! Passwords: the rules a new password must meet, and argon2id hashing that runs off the async
//! runtime, a bounded number at a time, so a storm of sign-ins cannot stall other requests.

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};

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
/// blocking pool, at most `permits` at once. The queue in front is bounded too: at most
/// [`QUEUED_PER_PERMIT`] per permit wait, none longer than [`MAX_WAIT`]; past either the answer
/// is [`DomainError::Busy`] (503 with Retry-After) at once, so a flood of hashing requests
/// cannot make everyone else's sign-in wait without end. Cheap to clone.
#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    /// Hashing requests running or waiting now.
    in_line: Arc<AtomicUsize>,
    max_in_line: usize,
    max_wait: Duration,
    /// Verified against when the e-mail is unknown, so that answer takes as long as a real one.
    decoy_hash: Arc<str>,
}

/// Waiting requests allowed per permit (one argon2 hash is about 25 ms on this hardware, so a
/// full queue drains in well under a second).
pub const QUEUED_PER_PERMIT: usize = 16;
/// The longest a request waits for a permit before it is answered "busy".
pub const MAX_WAIT: Duration = Duration::from_secs(2);
/// What a "busy" answer asks the client to wait.
const RETRY_AFTER_SECS: u64 = 2;

/// Takes a request out of the line when it ends, whatever way it ends.
struct InLine(Arc<AtomicUsize>);

impl Drop for InLine {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl PasswordHasher {
    /// `permits`: how many hashes may run at once; leave a core for everything else.
    pub fn new(permits: usize) -> Result<Self, DomainError> {
        let permits = permits.max(1);
        Self::with_queue(permits, permits * QUEUED_PER_PERMIT, MAX_WAIT)
    }

    /// `max_queued` may wait at most `max_wait` for one of the `permits`.
    pub fn with_queue(
        permits: usize,
        max_queued: usize,
        max_wait: Duration,
    ) -> Result<Self, DomainError> {
        let decoy_hash = hash_blocking("portico decoy password, never used")?;
        let permits = permits.max(1);
        Ok(Self {
            permits: Arc::new(Semaphore::new(permits)),
            in_line: Arc::new(AtomicUsize::new(0)),
            max_in_line: permits + max_queued,
            max_wait,
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
        let busy = || DomainError::Busy {
            retry_after_secs: RETRY_AFTER_SECS,
        };
        let place = self.in_line.fetch_add(1, Ordering::SeqCst) + 1;
        let _in_line = InLine(self.in_line.clone());
        if place > self.max_in_line {
            tracing::warn!(
                in_line = place - 1,
                "password hashing queue full: answering busy"
            );
            return Err(busy());
        }
        let _permit = tokio::time::timeout(self.max_wait, self.permits.acquire())
            .await
            .map_err(|_| busy())?
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
    async fn a_full_queue_answers_busy_at_once_and_recovers() {
        let hasher = PasswordHasher::with_queue(1, 2, Duration::from_secs(30))
            .unwrap_or_else(|e| unreachable!("{e}"));
        let started = std::time::Instant::now();
        let outcomes: Vec<_> = (0..8)
            .map(|_| {
                let hasher = hasher.clone();
                tokio::spawn(async move { hasher.hash("lantern quarry mosaic velvet").await })
            })
            .collect();
        let mut busy = 0;
        let mut done = 0;
        for outcome in outcomes {
            match outcome.await.unwrap_or_else(|e| unreachable!("{e}")) {
                Ok(_) => done += 1,
                Err(DomainError::Busy { retry_after_secs }) => {
                    assert!(retry_after_secs >= 1);
                    busy += 1;
                }
                Err(other) => unreachable!("{other}"),
            }
        }
        // One running and two waiting; the other five are refused rather than queued.
        assert_eq!((done, busy), (3, 5));
        assert!(started.elapsed() < Duration::from_secs(10));
        assert!(
            hasher.hash("lantern quarry mosaic velvet").await.is_ok(),
            "the line is free again"
        );

        // Waiting longer than the limit is "busy" too.
        let impatient = PasswordHasher::with_queue(1, 10, Duration::from_millis(1))
            .unwrap_or_else(|e| unreachable!("{e}"));
        let a = impatient.clone();
        let b = impatient.clone();
        let (first, second) = tokio::join!(
            tokio::spawn(async move { a.hash("lantern quarry mosaic velvet").await }),
            tokio::spawn(async move { b.hash("lantern quarry mosaic velvet").await })
        );
        let results = [
            first.is_ok_and(|r| r.is_ok()),
            second.is_ok_and(|r| r.is_ok()),
        ];
        assert!(
            results.contains(&true) && results.contains(&false),
            "{results:?}"
        );
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
