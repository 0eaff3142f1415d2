//! Time-based one-time passwords (RFC 6238: SHA-1, 6 digits, 30 s) for authenticator apps,
//! with replay protection: a code's time step must be later than the last one accepted.

use chrono::{DateTime, Utc};
use totp_rs::{Algorithm, Builder, Secret, Totp};

use crate::DomainError;

const STEP_SECONDS: u64 = 30;
const DIGITS: u8 = 6;
/// 160 bits, the size RFC 4226 recommends for SHA-1.
const SECRET_BYTES: usize = 20;

/// A TOTP secret with the labels an authenticator app shows. Not `Debug`, not `Serialize`.
pub struct TotpSecret {
    totp: Totp,
}

impl TotpSecret {
    /// A new secret from the operating system's random source.
    pub fn generate(issuer: &str, account: &str) -> Result<Self, DomainError> {
        let mut bytes = vec![0u8; SECRET_BYTES];
        getrandom::fill(&mut bytes).map_err(|e| DomainError::Internal(format!("random: {e}")))?;
        Self::from_secret(Secret::from(bytes), issuer, account)
    }

    /// The stored secret (base32, as shown to people).
    pub fn from_base32(secret: &str, issuer: &str, account: &str) -> Result<Self, DomainError> {
        let secret = Secret::try_from_base32(secret)
            .map_err(|e| DomainError::Internal(format!("stored TOTP secret: {e}")))?;
        Self::from_secret(secret, issuer, account)
    }

    fn from_secret(secret: Secret, issuer: &str, account: &str) -> Result<Self, DomainError> {
        // otpauth labels may not contain ':'.
        let totp = Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(DIGITS)
            .with_skew(1)
            .with_step_duration(STEP_SECONDS)
            .with_secret(secret)
            .with_issuer(Some(issuer.replace(':', " ")))
            .with_account_name(account.replace(':', " "))
            .build()
            .map_err(|e| DomainError::Internal(format!("TOTP: {e}")))?;
        Ok(Self { totp })
    }

    pub fn base32(&self) -> String {
        self.totp.secret().to_base32()
    }

    /// The `otpauth://totp/…` URL that the QR code carries.
    pub fn provisioning_url(&self) -> Result<String, DomainError> {
        self.totp
            .to_url()
            .map_err(|e| DomainError::Internal(format!("otpauth URL: {e}")))
    }

    /// The code for a moment (for tests and the demo's instructions).
    pub fn code_at(&self, at: DateTime<Utc>) -> String {
        self.totp.generate(unix_seconds(at)).to_string()
    }

    /// The time step a code belongs to, if it is valid now (current step ± 1) and later than
    /// `last_used_step`. The caller stores the returned step as the new last used one.
    pub fn accept(
        &self,
        code: &str,
        at: DateTime<Utc>,
        last_used_step: Option<i64>,
    ) -> Option<i64> {
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if code.len() != usize::from(DIGITS) || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        // totp-rs compares in constant time and tells which step matched.
        let step = i64::try_from(self.totp.check(&code, unix_seconds(at))?).ok()?;
        last_used_step
            .is_none_or(|last| step > last)
            .then_some(step)
    }
}

fn unix_seconds(at: DateTime<Utc>) -> u64 {
    u64::try_from(at.timestamp()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;

    fn secret() -> TotpSecret {
        TotpSecret::from_base32(
            "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
            "Van Dijk: Verhuizingen",
            "sanne@deboer.example",
        )
        .unwrap_or_else(|e| unreachable!("{e}"))
    }

    #[test]
    fn rfc_6238_shape_and_url() {
        let s = secret();
        let url = s.provisioning_url().unwrap_or_default();
        assert!(url.starts_with("otpauth://totp/"), "{url}");
        assert!(
            url.contains("issuer=Van%20Dijk%20%20Verhuizingen") || url.contains("issuer=Van"),
            "{url}"
        );
        let generated =
            TotpSecret::generate("Portico", "a@b.example").unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(generated.base32().len(), 32);
        assert_ne!(generated.base32(), secret().base32());
    }

    #[test]
    fn current_step_plus_minus_one_is_accepted_once() {
        let s = secret();
        let now = Utc
            .with_ymd_and_hms(2026, 11, 28, 12, 0, 10)
            .single()
            .unwrap_or_default();
        let step = now.timestamp() / 30;
        let code = s.code_at(now);
        assert_eq!(s.accept(&code, now, None), Some(step));
        // Replay of the same code (same step) is refused.
        assert_eq!(s.accept(&code, now, Some(step)), None);
        // Previous and next step are accepted; two steps away is not.
        assert_eq!(
            s.accept(&s.code_at(now - Duration::seconds(30)), now, None),
            Some(step - 1)
        );
        assert_eq!(
            s.accept(&s.code_at(now + Duration::seconds(30)), now, None),
            Some(step + 1)
        );
        assert_eq!(
            s.accept(&s.code_at(now - Duration::seconds(60)), now, None),
            None
        );
        // An older step than the last used one is refused even if inside the window.
        assert_eq!(
            s.accept(&s.code_at(now - Duration::seconds(30)), now, Some(step)),
            None
        );
        assert_eq!(s.accept("12345", now, None), None);
        assert_eq!(s.accept("abcdef", now, None), None);
        assert_eq!(
            s.accept(&format!("{} {}", &code[..3], &code[3..]), now, None),
            Some(step)
        );
    }
}
