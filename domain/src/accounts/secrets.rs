//! Random tokens for e-mailed links and recovery codes, and the hashes that are stored
//! instead of them.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use sha2::{Digest, Sha256};

use crate::DomainError;

/// 256 random bits from the operating system, base64url without padding (43 characters).
pub fn random_token() -> Result<String, DomainError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| DomainError::Internal(format!("random: {e}")))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// What is stored for a token or recovery code: SHA-256, hex. The inputs carry at least
/// 60 random bits, so a fast hash is enough; a stolen table cannot be turned back into links.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A recovery code: 15 characters from an alphabet without look-alikes (75 bits), shown
/// in groups of five, e.g. `k7m2p-x9q4r-t3v8w`.
pub fn recovery_code() -> Result<String, DomainError> {
    // Neither i, l nor o, so 1 and 0 cannot be misread (0 is left out to make 32).
    const ALPHABET: &[u8; 32] = b"abcdefghjkmnpqrstuvwxyz123456789";
    let mut bytes = [0u8; 15];
    getrandom::fill(&mut bytes).map_err(|e| DomainError::Internal(format!("random: {e}")))?;
    let mut code = String::with_capacity(17);
    for (i, byte) in bytes.iter().enumerate() {
        if i > 0 && i % 5 == 0 {
            code.push('-');
        }
        code.push(char::from(ALPHABET[usize::from(byte & 31)]));
    }
    Ok(code)
}

/// Recovery codes are compared without dashes, spaces or case.
pub fn normalise_recovery_code(input: &str) -> String {
    input
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_distinct() {
        let a = random_token().unwrap_or_default();
        let b = random_token().unwrap_or_default();
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
        assert_eq!(hash_token(&a).len(), 64);
        assert_ne!(hash_token(&a), a);
    }

    #[test]
    fn recovery_codes_have_three_groups_and_normalise() {
        let code = recovery_code().unwrap_or_default();
        assert_eq!(code.len(), 17);
        assert_eq!(code.matches('-').count(), 2);
        assert_eq!(
            normalise_recovery_code(&code.to_uppercase().replace('-', " ")),
            code.replace('-', "")
        );
    }
}
