//! Managing accounts (api.md §10.1): who may create and change which users, the last ADMIN
//! kept, sessions ended when a user is disabled or changes role; and reading the operator audit
//! log. Every change writes its audit row in the same transaction.

use std::sync::Arc;

use crate::{
    RepositoryError, Timestamp,
    ids::ClientId,
    ports::{
        AccountKeys, AdminKept, Clock, HashError, InsertUserError, MerchantStore, PageRequest,
        PasswordHasher, PeopleStores,
    },
    service_struct::service_struct,
    services::Page,
    validation::Violations,
};

use crate::people::{
    Action, Denied, NewUser, OperatorAuditEntry, OperatorAuditFilter, OperatorCall, Principal,
    RequestOrigin, Role, TotpState, User, UserId,
};

/// Why a user was not created or changed.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error(transparent)]
    Denied(#[from] Denied),
    /// 400 `VALIDATION_FAILED`.
    #[error("{0}")]
    Invalid(Violations),
    /// 409 `EMAIL_TAKEN`.
    #[error("an account with this email exists")]
    EmailTaken,
    /// 404: no such user (or one the principal may not see).
    #[error("no such user")]
    NotFound,
    /// 409 `LAST_ADMIN`: the change would leave no enabled ADMIN.
    #[error("the last enabled ADMIN cannot be disabled or given another role")]
    LastAdmin,
    /// 409 `CONCURRENT_UPDATE`.
    #[error("the user changed concurrently; try again")]
    Contended,
    #[error(transparent)]
    Hash(#[from] HashError),
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

impl From<InsertUserError> for UserError {
    fn from(e: InsertUserError) -> Self {
        match e {
            InsertUserError::DuplicateEmail => Self::EmailTaken,
            InsertUserError::Repository(r) => Self::Repository(r),
        }
    }
}

/// A change of a user (`PATCH /admin/api/users/{userId}`): what is absent stays.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct UserChange {
    pub role: Option<Role>,
    pub disabled: Option<bool>,
    /// `true`: clear the failed-login count and any lock (an operator's reset of a locked user).
    pub unlock: bool,
}

service_struct! {
    /// Creating, listing and changing users; reading the operator audit log.
    pub struct UserService {
        stores: PeopleStores,
        merchants: Arc<dyn MerchantStore>,
        hasher: Arc<dyn PasswordHasher>,
        keys: Arc<dyn AccountKeys>,
        clock: Arc<dyn Clock>,
    }
    pub fn new;
}

/// The audit action of a user created.
pub const CREATED_ACTION: &str = "USER_CREATED";
/// The audit action of a user changed.
pub const CHANGED_ACTION: &str = "USER_CHANGED";

const ATTEMPTS: usize = 8;

/// How many of an actor's newest rows [`UserService::call_finished`] reads at a time.
const CALL_ROWS_PAGE: u32 = 64;

impl UserService {
    fn audit_row(
        &self,
        by: &Principal,
        action: &str,
        target: &User,
        origin: &RequestOrigin,
    ) -> OperatorAuditEntry {
        let target = Some(target.id.to_string());
        OperatorAuditEntry::success(by, action, target, origin, self.clock.now())
    }

    /// Creates a user (ADMIN: any; MERCHANT_ADMIN: users of its own merchant). Its merchant
    /// must exist.
    pub async fn create(
        &self,
        by: &Principal,
        new: NewUser,
        origin: &RequestOrigin,
    ) -> Result<User, UserError> {
        by.may_manage_user(new.role, new.client_id.as_ref())?;
        if let Some(client) = &new.client_id
            && self.merchants.find(client).await?.is_none()
        {
            return Err(UserError::Invalid(Violations::single(
                "clientId",
                "is not a registered merchant",
            )));
        }
        let now = self.clock.now();
        let user = User {
            id: self.keys.user_id(),
            email: new.email,
            role: new.role,
            client_id: new.client_id,
            password_hash: self.hasher.hash(&new.password).await?,
            disabled: false,
            failed_logins: 0,
            locked_until: None,
            totp_used_step: None,
            totp: TotpState::Off,
            created_at: now,
            updated_at: now,
            version: 0,
        };
        let row = self.audit_row(by, CREATED_ACTION, &user, origin);
        self.stores.users.insert(&user, &row).await?;
        Ok(user)
    }

    /// Finds a user by email for the operator at the server (`simplepg user unlock`).
    pub async fn find_by_email(
        &self,
        email: &crate::people::Email,
    ) -> Result<Option<User>, UserError> {
        Ok(self.stores.users.find_by_email(email).await?)
    }

    /// Creates a user with no principal (the `simplepg user create` command of the operator at
    /// the server): recorded as actor `cli`.
    pub async fn bootstrap(&self, new: NewUser) -> Result<User, UserError> {
        self.create(&Principal::cli(), new, &RequestOrigin::default())
            .await
    }

    /// Users the principal may manage, newest first: every user for ADMIN (optionally of one
    /// merchant), its merchant's users for MERCHANT_ADMIN.
    pub async fn list(
        &self,
        by: &Principal,
        client_id: Option<ClientId>,
        page: &PageRequest<UserId>,
    ) -> Result<Vec<User>, UserError> {
        let client_id = match by.role() {
            Role::Admin => client_id,
            _ => {
                let own = by.merchant().cloned();
                by.may(Action::ManageMerchantUsers, own.as_ref())?;
                if client_id.is_some() && client_id != own {
                    return Ok(Vec::new());
                }
                own
            }
        };
        Ok(self.stores.users.list(client_id, page).await?)
    }

    /// One user, as the principal may see it (another merchant's user is not found).
    pub async fn get(&self, by: &Principal, id: &UserId) -> Result<User, UserError> {
        let user = self
            .stores
            .users
            .find(id)
            .await?
            .ok_or(UserError::NotFound)?;
        match by.may_manage_user(user.role, user.client_id.as_ref()) {
            Ok(()) => Ok(user),
            Err(Denied::NotFound) => Err(UserError::NotFound),
            Err(Denied::Forbidden) if by.merchant().is_some() => Err(UserError::NotFound),
            Err(denied) => Err(denied.into()),
        }
    }

    /// Changes a user's role or disables it. The new role must fit the user's merchant; the
    /// last enabled ADMIN stays; a user disabled or given another role loses its sessions.
    pub async fn change(
        &self,
        by: &Principal,
        id: &UserId,
        change: &UserChange,
        origin: &RequestOrigin,
    ) -> Result<User, UserError> {
        for _ in 0..ATTEMPTS {
            let current = self.get(by, id).await?;
            let role = change.role.unwrap_or(current.role);
            by.may_manage_user(role, current.client_id.as_ref())?;
            if role.is_merchant_role() != current.client_id.is_some() {
                return Err(UserError::Invalid(Violations::single(
                    "role",
                    "must keep the user's scope (a merchant role for a merchant's user, a platform role otherwise)",
                )));
            }
            let disabled = change.disabled.unwrap_or(current.disabled);
            let was_admin = current.role == Role::Admin && !current.disabled;
            let stays_admin = role == Role::Admin && !disabled;
            let now = self.clock.now();
            let mut next = current.clone();
            next.role = role;
            next.disabled = disabled;
            if change.unlock {
                next.failed_logins = 0;
                next.locked_until = None;
            }
            next.updated_at = now;
            next.version = current.version + 1;
            let row = self.audit_row(by, CHANGED_ACTION, &current, origin);
            // Taking an enabled ADMIN away is written only while another remains, decided with
            // the write (concurrent removals of different admins cannot all pass).
            let written = if was_admin && !stays_admin {
                match self
                    .stores
                    .users
                    .update_keeping_an_admin(&next, &[row])
                    .await?
                {
                    AdminKept::Written => true,
                    AdminKept::Stale => false,
                    AdminKept::NoOtherAdmin => return Err(UserError::LastAdmin),
                }
            } else {
                self.stores.users.update(&next, &[row]).await?
            };
            if written {
                if next.role != current.role || (next.disabled && !current.disabled) {
                    self.stores.sessions.revoke_all_of(&next.id, now).await?;
                }
                return Ok(next);
            }
        }
        Err(UserError::Contended)
    }

    /// When a state-changing operator call starts: what [`Self::call_finished`] looks back to.
    pub fn call_started(&self) -> Timestamp {
        self.clock.now()
    }

    /// Every state-changing operator call is in the audit log (api.md §10.4). One that changed
    /// something wrote its row in the transaction of its change; one that was refused, failed or
    /// changed nothing has none, and gets one here, after its answer: `call` by `by`. Whether
    /// the call wrote its own row is told by the rows of its actor since `started` carrying its
    /// request id and the call's outcome: a call whose change was written but which then failed
    /// (a cancel reserved, then refused by the acquirer: `502`) gets its `FAILURE` row too.
    pub async fn call_finished(
        &self,
        by: &Principal,
        call: OperatorCall,
        origin: &RequestOrigin,
        started: Timestamp,
    ) -> Result<(), RepositoryError> {
        if let Some(request_id) = &origin.request_id {
            let filter = OperatorAuditFilter {
                actor: Some(by.actor_label().to_owned()),
                from: Some(started),
                ..OperatorAuditFilter::default()
            };
            let (filter, mut before) = (&filter, None);
            loop {
                let page = Page::fetch(CALL_ROWS_PAGE, before, |page| async move {
                    self.stores.audit.list(filter, &page).await
                })
                .await?;
                if page
                    .items
                    .iter()
                    .any(|r| r.request_id.as_ref() == Some(request_id) && r.outcome == call.outcome)
                {
                    return Ok(());
                }
                // Older rows of the call's time remain while the page is not the last.
                match page.next_cursor(|r| r.audit_id) {
                    Some(cursor) => before = Some(cursor),
                    None => break,
                }
            }
        }
        let row = OperatorAuditEntry::of_call(
            by,
            call.action,
            call.target,
            call.outcome,
            origin,
            self.clock.now(),
        );
        self.stores.audit.append(&row).await.map(|_| ())
    }

    /// The operator audit log, newest first (ADMIN only).
    pub async fn audit_log(
        &self,
        by: &Principal,
        filter: &OperatorAuditFilter,
        page: &PageRequest<u64>,
    ) -> Result<Vec<OperatorAuditEntry>, UserError> {
        by.may(Action::ReadAudit, None)?;
        Ok(self.stores.audit.list(filter, page).await?)
    }
}

#[cfg(test)]
#[path = "users_tests.rs"]
mod tests;
