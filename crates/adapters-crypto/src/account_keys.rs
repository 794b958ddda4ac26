//! Fresh user ids and session tokens for the people room.

use domain::{
    people::{SessionToken, UserId},
    ports::AccountKeys,
};
use uuid::Uuid;

use crate::generator::random_bytes;

/// User ids are UUIDv7 (time-ordered, like every other id here); session tokens are 32 bytes
/// from the operating system's CSPRNG.
#[derive(Clone, Copy, Default, Debug)]
pub struct OsAccountKeys;

impl OsAccountKeys {
    pub fn new() -> Self {
        Self
    }
}

impl AccountKeys for OsAccountKeys {
    fn user_id(&self) -> UserId {
        UserId::from_uuid(Uuid::now_v7())
    }

    fn session_token(&self) -> SessionToken {
        SessionToken::from_bytes(random_bytes::<32>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_ids_are_uuid_v7_and_increase() {
        let a = OsAccountKeys.user_id();
        let b = OsAccountKeys.user_id();
        assert_eq!(a.as_uuid().get_version_num(), 7);
        assert!(a < b);
        assert_eq!(UserId::parse(&a.to_string()).unwrap(), a);
    }

    #[test]
    fn session_tokens_are_43_base64url_characters_and_never_repeat() {
        let tokens: std::collections::HashSet<_> = (0..100)
            .map(|_| OsAccountKeys.session_token().expose().to_owned())
            .collect();
        assert_eq!(tokens.len(), 100);
        for t in &tokens {
            assert!(SessionToken::parse(t).is_ok(), "{t}");
        }
    }
}
