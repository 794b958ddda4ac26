//! RFC 6238 one-time codes (the `totp-rs` crate) behind the domain's [`TotpCodes`] port:
//! HMAC-SHA-1, 6 digits, 30-second steps, one step of clock skew either way — what every
//! authenticator app understands.

use domain::{Timestamp, people::Email, ports::TotpCodes, secret::Secret};
use totp_rs::{Algorithm, Builder, Totp};

use crate::generator::random_bytes;

/// Bytes of a shared secret: 160 bits, the length RFC 4226 §4 recommends for HMAC-SHA-1.
const SECRET_BYTES: usize = 20;
const DIGITS: u8 = 6;
const STEP_SECS: u64 = 30;
const SKEW_STEPS: u16 = 1;

/// TOTP as [`TotpCodes`] describes it, issued as "SimplePG" with the account's email as the
/// label. Accepting a code at most once (RFC 6238 §5.2) is the caller's job: this only says
/// which time step a code belongs to (the login spends it on the account).
#[derive(Clone, Copy, Default, Debug)]
pub struct RfcTotp;

impl RfcTotp {
    /// The issuer an authenticator app shows next to the account.
    pub const ISSUER: &'static str = "SimplePG";

    pub fn new() -> Self {
        Self
    }
}

/// A generator for `secret` (base32); `None` when it is not base32 or shorter than 128 bits.
fn totp_for(secret: &Secret) -> Option<Totp> {
    let bytes = totp_rs::Secret::try_from_base32(secret.expose()).ok()?;
    builder(bytes).build().ok()
}

fn builder(secret: totp_rs::Secret) -> Builder {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(DIGITS)
        .with_step_duration(STEP_SECS)
        .with_skew(SKEW_STEPS)
        .with_secret(secret)
}

impl TotpCodes for RfcTotp {
    fn new_secret(&self) -> Secret {
        Secret::new(totp_rs::Secret::from(random_bytes::<SECRET_BYTES>()).to_base32())
    }

    /// `otpauth://totp/SimplePG:{email}?secret=…&issuer=SimplePG` (the email percent-encoded).
    /// The key URI format allows no colon in the label, so one in the email (legal in its
    /// local part) shows as `_`: the label is only what the app displays. A secret that is not
    /// base32 gives a URI with an empty secret, which apps refuse to enroll.
    fn provisioning_uri(&self, secret: &Secret, account: &Email) -> String {
        let bytes = totp_rs::Secret::try_from_base32(secret.expose())
            .unwrap_or_else(|_| totp_rs::Secret::from(Vec::new()));
        let label = account.as_str().replace(':', "_");
        let totp = builder(bytes)
            .with_issuer(Some(Self::ISSUER))
            .with_account_name(label)
            .build_noncompliant();
        // Fails only on an empty or colon-holding label, both ruled out above.
        totp.to_url().unwrap_or_default()
    }

    fn verify(&self, secret: &Secret, code: &str, now: Timestamp) -> Option<u64> {
        let unix = u64::try_from(now.unix_seconds()).ok()?;
        totp_for(secret)?.check(code, unix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The RFC 6238 appendix B SHA-1 seed, ASCII "12345678901234567890", in base32.
    const RFC_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

    fn rfc_secret() -> Secret {
        Secret::new(RFC_SECRET.to_owned())
    }

    fn at(unix_seconds: i64) -> Timestamp {
        Timestamp::from_unix_millis(unix_seconds * 1000).unwrap()
    }

    #[test]
    fn the_rfc_6238_sha1_vectors_truncated_to_six_digits_are_accepted_at_their_time() {
        // RFC 6238 appendix B gives 8 digits; a 6-digit code is the same number modulo 10^6,
        // i.e. its last six digits.
        let vectors = [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ];
        for (time, eight) in vectors {
            let six = &eight[2..];
            assert_eq!(
                RfcTotp.verify(&rfc_secret(), six, at(time)),
                Some(time as u64 / 30),
                "{six} at {time}"
            );
        }
    }

    #[test]
    fn a_code_is_accepted_one_step_early_or_late_but_not_two_and_names_its_own_step() {
        // 081804 belongs to the step of 1111111109 (steps start at 1111111080).
        let code = "081804";
        let t = 1_111_111_109;
        let step = Some(1_111_111_080 / 30);
        assert_eq!(RfcTotp.verify(&rfc_secret(), code, at(t)), step);
        assert_eq!(RfcTotp.verify(&rfc_secret(), code, at(t + 30)), step);
        assert_eq!(RfcTotp.verify(&rfc_secret(), code, at(t - 30)), step);
        assert_eq!(RfcTotp.verify(&rfc_secret(), code, at(t + 60)), None);
        assert_eq!(RfcTotp.verify(&rfc_secret(), code, at(t - 60)), None);
    }

    #[test]
    fn a_code_of_the_wrong_length_or_with_non_digits_is_refused() {
        let t = at(59);
        for code in [
            "",
            "28708",
            "2870820",
            "94287082",
            "28708a",
            "+87082",
            " 287082",
            "287082 ",
            "２８７０８２",
        ] {
            assert_eq!(RfcTotp.verify(&rfc_secret(), code, t), None, "{code:?}");
        }
        assert_eq!(RfcTotp.verify(&rfc_secret(), "287083", t), None);
    }

    #[test]
    fn a_malformed_or_short_secret_verifies_nothing() {
        let t = at(59);
        for secret in [
            "",
            "not base32!",
            "GEZDGNBVGY3TQOJQ",
            "gezdgnbvgy3tqojqgezdgnbvgy3tqojq1",
        ] {
            assert_eq!(
                RfcTotp.verify(&Secret::new(secret.to_owned()), "287082", t),
                None,
                "{secret:?}"
            );
        }
    }

    #[test]
    fn a_time_before_the_epoch_verifies_nothing() {
        assert_eq!(RfcTotp.verify(&rfc_secret(), "287082", at(-30)), None);
    }

    #[test]
    fn a_new_secret_is_160_random_bits_in_unpadded_base32_and_works() {
        let s = RfcTotp.new_secret();
        assert_eq!(s.expose().len(), 32);
        assert!(
            s.expose()
                .bytes()
                .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
        );
        assert_ne!(s, RfcTotp.new_secret());
        let bytes = totp_rs::Secret::try_from_base32(s.expose()).unwrap();
        let totp = totp_for(&s).unwrap();
        assert_eq!(bytes.as_bytes().len(), SECRET_BYTES);
        let now = 1_700_000_000;
        let code = totp.generate(now).to_string();
        assert_eq!(RfcTotp.verify(&s, &code, at(now as i64)), Some(now / 30));
    }

    #[test]
    fn the_provisioning_uri_names_the_issuer_and_the_account() {
        let email = Email::parse("Ops@Example.com").unwrap();
        let uri = RfcTotp.provisioning_uri(&rfc_secret(), &email);
        assert_eq!(
            uri,
            format!(
                "otpauth://totp/SimplePG:ops%40example.com?secret={RFC_SECRET}&issuer=SimplePG"
            )
        );
        let parsed = Totp::from_url(&uri).unwrap();
        assert_eq!(parsed.digits(), 6);
        assert_eq!(parsed.step(), 30);
        assert_eq!(parsed.algorithm(), Algorithm::SHA1);
        assert_eq!(parsed.generate(59).to_string(), "287082");
    }

    #[test]
    fn a_colon_in_the_email_does_not_break_the_provisioning_uri() {
        let email = Email::parse("a:b@example.com").unwrap();
        let uri = RfcTotp.provisioning_uri(&rfc_secret(), &email);
        assert!(
            uri.starts_with("otpauth://totp/SimplePG:a_b%40example.com?"),
            "{uri}"
        );
        assert!(Totp::from_url(&uri).is_ok());
    }
}
