//! The `operator_user`, `operator_session` and `operator_audit` rows (api.md §10).

use domain::people::{
    AuditOutcome, Email, OperatorAuditEntry, PasswordHash, Role, Session, SessionTokenHash,
    TotpState, User, UserId,
};
use uuid::Uuid;

use super::*;
use crate::schema::{operator_audit, operator_session, operator_user};

/// The widest value of each text column of `operator_audit`, in characters: a longer value (an
/// email typed at a failed login, a forwarded address) is cut to fit rather than refused, so
/// the event is still recorded.
pub const MAX_ACTOR_CHARS: usize = 254;
pub const MAX_ACTION_CHARS: usize = 64;
pub const MAX_TARGET_CHARS: usize = 255;
pub const MAX_IP_CHARS: usize = 64;

const TOTP_OFF: &str = "OFF";
const TOTP_PENDING: &str = "PENDING";
const TOTP_ON: &str = "ON";

/// A user id as stored: the hyphenated lower-case UUID (`usr_<hex>` is only its public
/// spelling).
pub fn user_key(id: &UserId) -> String {
    id.as_uuid().hyphenated().to_string()
}

fn parse_user_id(raw: &str) -> Result<UserId, String> {
    Uuid::try_parse(raw)
        .map(UserId::from_uuid)
        .map_err(|e| e.to_string())
}

// ---------------------------------------------------------------------------------------------
// operator_user

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = operator_user)]
pub struct UserRow {
    pub user_id: String,
    pub email: String,
    pub role: String,
    pub client_id: Option<String>,
    pub password_hash: String,
    pub disabled: bool,
    pub failed_logins: i64,
    pub locked_until: Option<PrimitiveDateTime>,
    pub totp_state: String,
    pub totp_key_version: Option<i64>,
    pub totp_ciphertext: Option<Vec<u8>>,
    pub created_at: PrimitiveDateTime,
    pub updated_at: PrimitiveDateTime,
    pub version: i64,
    pub totp_used_step: Option<i64>,
}

impl From<&User> for UserRow {
    fn from(u: &User) -> Self {
        let (totp_state, sealed) = match &u.totp {
            TotpState::Off => (TOTP_OFF, None),
            TotpState::Pending(s) => (TOTP_PENDING, Some(s)),
            TotpState::On(s) => (TOTP_ON, Some(s)),
        };
        Self {
            user_id: user_key(&u.id),
            email: u.email.as_str().to_owned(),
            role: u.role.as_str().to_owned(),
            client_id: u.client_id.as_ref().map(|c| c.as_str().to_owned()),
            password_hash: u.password_hash.as_str().to_owned(),
            disabled: u.disabled,
            failed_logins: i64::from(u.failed_logins),
            locked_until: u.locked_until.map(to_db_time),
            totp_state: totp_state.to_owned(),
            totp_key_version: sealed.map(|s| i64::from(s.key_version)),
            totp_ciphertext: sealed.map(|s| s.ciphertext.clone()),
            created_at: to_db_time(u.created_at),
            updated_at: to_db_time(u.updated_at),
            version: i64::from(u.version),
            // A step is a Unix time over 30: in range for 2^63 × 30 seconds.
            totp_used_step: u.totp_used_step.and_then(|s| i64::try_from(s).ok()),
        }
    }
}

impl TryFrom<UserRow> for User {
    type Error = RepositoryError;

    fn try_from(r: UserRow) -> Result<Self, Self::Error> {
        const T: &str = "operator_user";
        let k = r.user_id.as_str();
        let c = Cells { table: T, key: k };
        let sealed = match (r.totp_key_version, r.totp_ciphertext) {
            (None, None) => None,
            (Some(key_version), Some(ciphertext)) => Some(SealedSecret {
                key_version: c.int("totp_key_version", key_version)?,
                ciphertext,
            }),
            _ => return Err(corrupt(T, k, "totp columns are only partly set")),
        };
        let totp = match (r.totp_state.as_str(), sealed) {
            (TOTP_OFF, None) => TotpState::Off,
            (TOTP_PENDING, Some(s)) => TotpState::Pending(s),
            (TOTP_ON, Some(s)) => TotpState::On(s),
            (state, _) => {
                return Err(corrupt(
                    T,
                    k,
                    format_args!("totp_state {state:?} does not match the totp columns"),
                ));
            }
        };
        Ok(User {
            id: c.col("user_id", parse_user_id(k))?,
            email: c.col("email", Email::parse(&r.email))?,
            role: c.col("role", Role::parse(&r.role))?,
            client_id: c.opt("client_id", r.client_id, ClientId::parse)?,
            password_hash: PasswordHash::new(r.password_hash),
            disabled: r.disabled,
            failed_logins: c.int("failed_logins", r.failed_logins)?,
            locked_until: r.locked_until.map(from_db_time),
            totp,
            totp_used_step: c.opt_int("totp_used_step", r.totp_used_step)?,
            created_at: from_db_time(r.created_at),
            updated_at: from_db_time(r.updated_at),
            version: c.int("version", r.version)?,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// operator_session

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = operator_session)]
pub struct SessionRow {
    pub token_hash: String,
    pub user_id: String,
    pub created_at: PrimitiveDateTime,
    pub last_seen_at: PrimitiveDateTime,
    pub revoked_at: Option<PrimitiveDateTime>,
}

impl From<&Session> for SessionRow {
    fn from(s: &Session) -> Self {
        Self {
            token_hash: s.token_hash.as_str().to_owned(),
            user_id: user_key(&s.user_id),
            created_at: to_db_time(s.created_at),
            last_seen_at: to_db_time(s.last_seen_at),
            revoked_at: s.revoked_at.map(to_db_time),
        }
    }
}

impl TryFrom<SessionRow> for Session {
    type Error = RepositoryError;

    fn try_from(r: SessionRow) -> Result<Self, Self::Error> {
        let c = Cells {
            table: "operator_session",
            key: &r.token_hash,
        };
        let user_id = c.col("user_id", parse_user_id(&r.user_id))?;
        Ok(Session {
            token_hash: SessionTokenHash::from_stored(r.token_hash),
            user_id,
            created_at: from_db_time(r.created_at),
            last_seen_at: from_db_time(r.last_seen_at),
            revoked_at: r.revoked_at.map(from_db_time),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// operator_audit

/// A new audit row: `audit_id` is the database's.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = operator_audit)]
pub struct NewOperatorAuditRow {
    pub at: PrimitiveDateTime,
    pub actor: String,
    pub role: Option<&'static str>,
    pub action: String,
    pub target: Option<String>,
    pub outcome: &'static str,
    pub ip: Option<String>,
    pub request_id: Option<String>,
}

impl From<&OperatorAuditEntry> for NewOperatorAuditRow {
    fn from(e: &OperatorAuditEntry) -> Self {
        Self {
            at: to_db_time(e.at),
            actor: truncate_chars(&e.actor, MAX_ACTOR_CHARS),
            role: e.role.map(Role::as_str),
            action: truncate_chars(&e.action, MAX_ACTION_CHARS),
            target: e
                .target
                .as_deref()
                .map(|t| truncate_chars(t, MAX_TARGET_CHARS)),
            outcome: e.outcome.as_str(),
            ip: e.ip.as_deref().map(|ip| truncate_chars(ip, MAX_IP_CHARS)),
            request_id: e.request_id.as_ref().map(|r| r.as_str().to_owned()),
        }
    }
}

/// A stored audit row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = operator_audit)]
pub struct OperatorAuditRow {
    pub audit_id: i64,
    pub at: PrimitiveDateTime,
    pub actor: String,
    pub role: Option<String>,
    pub action: String,
    pub target: Option<String>,
    pub outcome: String,
    pub ip: Option<String>,
    pub request_id: Option<String>,
}

impl TryFrom<OperatorAuditRow> for OperatorAuditEntry {
    type Error = RepositoryError;

    fn try_from(r: OperatorAuditRow) -> Result<Self, Self::Error> {
        const T: &str = "operator_audit";
        let k = r.audit_id.to_string();
        let c = Cells { table: T, key: &k };
        let outcome = AuditOutcome::parse(&r.outcome)
            .ok_or_else(|| corrupt(T, &k, format_args!("unknown outcome {:?}", r.outcome)))?;
        Ok(OperatorAuditEntry {
            audit_id: c.int("audit_id", r.audit_id)?,
            at: from_db_time(r.at),
            actor: r.actor,
            role: c.opt("role", r.role, Role::parse)?,
            action: r.action,
            target: r.target,
            outcome,
            ip: r.ip,
            request_id: c.opt("request_id", r.request_id, RequestId::parse)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn user_row() -> UserRow {
        UserRow {
            user_id: "0192f5e4-7b1c-7cc0-8000-000000000001".to_owned(),
            email: "ops@shop.example".to_owned(),
            role: "ADMIN".to_owned(),
            client_id: None,
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned(),
            disabled: false,
            failed_logins: 2,
            locked_until: None,
            totp_state: "ON".to_owned(),
            totp_key_version: Some(3),
            totp_ciphertext: Some(vec![1, 2, 3]),
            totp_used_step: Some(58_000_000),
            created_at: datetime!(2026-12-06 08:00:00.123),
            updated_at: datetime!(2026-12-06 08:00:00.123),
            version: 4,
        }
    }

    #[test]
    fn a_user_row_reads_back_as_the_user_it_was_written_from() {
        let user = User::try_from(user_row()).unwrap();
        assert_eq!(user.id.to_string(), "usr_0192f5e47b1c7cc08000000000000001");
        assert_eq!(
            user.totp,
            TotpState::On(SealedSecret {
                key_version: 3,
                ciphertext: vec![1, 2, 3]
            })
        );
        let again = UserRow::from(&user);
        assert_eq!(again.user_id, user_row().user_id);
        assert_eq!(again.totp_state, "ON");
        assert_eq!(User::try_from(again).unwrap(), user);
    }

    #[test]
    fn a_totp_state_that_disagrees_with_its_columns_is_a_corrupt_row() {
        let mut row = user_row();
        row.totp_state = "OFF".to_owned();
        let e = User::try_from(row).unwrap_err();
        assert!(e.to_string().contains("totp_state"), "{e}");
        let mut row = user_row();
        row.totp_ciphertext = None;
        let e = User::try_from(row).unwrap_err();
        assert!(e.to_string().contains("partly set"), "{e}");
    }

    #[test]
    fn an_audit_entry_longer_than_its_columns_is_cut_to_fit() {
        let entry = OperatorAuditEntry {
            audit_id: 0,
            at: Timestamp::from_unix_millis(0).unwrap(),
            actor: "é".repeat(300),
            role: None,
            action: "LOGIN_FAILED".to_owned(),
            target: None,
            outcome: AuditOutcome::Failure,
            ip: Some("x".repeat(100)),
            request_id: None,
        };
        let row = NewOperatorAuditRow::from(&entry);
        assert_eq!(row.actor.chars().count(), MAX_ACTOR_CHARS);
        assert_eq!(row.ip.unwrap().len(), MAX_IP_CHARS);
        assert_eq!(row.role, None);
        assert_eq!(row.outcome, "FAILURE");
    }
}
