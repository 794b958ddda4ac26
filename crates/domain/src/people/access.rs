//! Who is asking, and what they may do (api.md §10.1). One table, decided here for every
//! endpoint: a platform role acts on every merchant's data, a merchant role only on its own — and
//! another merchant's resource is answered exactly as an unknown one.

use crate::ids::ClientId;

use super::account::{Email, Role, UserId};

/// Who a request acts as: a person who logged in, or the configured admin token (automation;
/// recorded as actor `token`).
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Who {
    User {
        id: UserId,
        email: Email,
    },
    Token,
    /// The operator at the server, through the `simplepg` command line.
    Cli,
}

/// Whose data a principal may see: every merchant's, or one merchant's.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Scope {
    Platform,
    Merchant(ClientId),
}

/// An authenticated caller of the back office: who, in which role, over which scope. A merchant
/// role always has a merchant scope and a platform role the platform scope ([`Principal::user`]
/// enforces it).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Principal {
    who: Who,
    role: Role,
    scope: Scope,
}

/// What a principal may try to do. Reads and changes of payments, deliveries and statistics
/// carry the merchant they concern ([`Principal::may`]).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Action {
    /// Search and read payments, their audit trails and cancels.
    ReadPayments,
    /// Cancel (part of) a payment on its merchant's behalf.
    CancelPayment,
    /// Read deliveries and their attempts.
    ReadDeliveries,
    /// Redeliver a DEAD or DELIVERED message.
    RetryDelivery,
    /// Payment statistics.
    ReadStats,
    /// The live feed of every merchant (platform-wide by nature).
    LiveEvents,
    /// The acquirer simulator (sends signed acquirer webhooks).
    UseSimulator,
    /// Read merchant records.
    ReadMerchants,
    /// Register a merchant.
    RegisterMerchant,
    /// Update a merchant's `returnUrl` or `clientName`.
    UpdateMerchant,
    /// Rotate a merchant's client or webhook secret.
    RotateMerchantSecrets,
    /// Activate or deactivate a merchant.
    SetMerchantStatus,
    /// Re-encrypt stored secrets under the newest key.
    RotateEncryptionKeys,
    /// Create, list and change platform users (every role).
    ManageUsers,
    /// Create, list and change the users of one merchant (merchant roles only).
    ManageMerchantUsers,
    /// Read the operator audit log.
    ReadAudit,
    /// Send a merchant a test notification.
    SendTestNotification,
    /// Read settlement batches and their lines (a merchant's payouts).
    ReadSettlements,
    /// Run the settlement of a day.
    RunSettlement,
    /// Set a merchant's fee rate and settlement delay.
    SetSettlementTerms,
    /// Reconcile a day against the acquirer's settlement file, and read reconciliations
    /// (platform data: the acquirer's file covers every merchant).
    Reconcile,
    /// Read reconciliations.
    ReadReconciliations,
}

impl Action {
    /// Whether the action changes nothing (read-only roles may do exactly these).
    pub const fn is_read(self) -> bool {
        matches!(
            self,
            Self::ReadPayments
                | Self::ReadDeliveries
                | Self::ReadStats
                | Self::LiveEvents
                | Self::ReadMerchants
                | Self::ReadSettlements
                | Self::ReadReconciliations
        )
    }
}

/// Why a principal may not do something.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
pub enum Denied {
    /// The role may not do this (403 `FORBIDDEN`).
    #[error("your role may not do this")]
    Forbidden,
    /// The resource belongs to another merchant: answered exactly as an unknown one (404).
    #[error("not found")]
    NotFound,
}

/// Which merchants' data a listing or a statistic may cover for a principal
/// ([`Principal::reach`]).
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Reach {
    /// Every merchant's (a platform role that named no merchant).
    Everything,
    /// One merchant's: the one a platform role named, or a merchant role's own.
    One(ClientId),
    /// Nobody's: a merchant role named another merchant, which it sees exactly as an unknown
    /// one (an empty list, zero counts).
    Nothing,
}

impl Reach {
    /// The merchant filter this reach means, `None` for every merchant;
    /// [`NothingInReach`] for [`Reach::Nothing`] (nothing to look up at all).
    pub fn merchant_filter(self) -> Result<Option<ClientId>, NothingInReach> {
        match self {
            Self::Everything => Ok(None),
            Self::One(c) => Ok(Some(c)),
            Self::Nothing => Err(NothingInReach),
        }
    }
}

/// A listing a principal may make that can find nothing: the answer is empty without asking
/// storage.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct NothingInReach;

/// The answer of a use case that checks its principal first: 403 (`Forbidden`), or the use
/// case's own error `E` — into which another merchant's resource has already been turned as the
/// use case's "not found" ([`Guarded::denied`]).
#[derive(Debug, thiserror::Error)]
pub enum Guarded<E> {
    #[error("your role may not do this")]
    Forbidden,
    #[error(transparent)]
    Failed(#[from] E),
}

impl<E> Guarded<E> {
    /// `denied` as this use case answers it: `not_found` for another merchant's resource.
    pub fn denied(denied: Denied, not_found: E) -> Self {
        match denied {
            Denied::Forbidden => Self::Forbidden,
            Denied::NotFound => Self::Failed(not_found),
        }
    }
}

impl Principal {
    /// The configured admin token: ADMIN over the platform.
    pub fn token() -> Self {
        Self {
            who: Who::Token,
            role: Role::Admin,
            scope: Scope::Platform,
        }
    }

    /// The operator at the server (`simplepg user create`): ADMIN over the platform, recorded
    /// as actor `cli`.
    pub fn cli() -> Self {
        Self {
            who: Who::Cli,
            role: Role::Admin,
            scope: Scope::Platform,
        }
    }

    /// A logged-in user. `None` when the role and the merchant do not fit together (a merchant
    /// role without a merchant, or a platform role with one) — such a user cannot act.
    pub fn user(id: UserId, email: Email, role: Role, client_id: Option<ClientId>) -> Option<Self> {
        let scope = match (role.is_merchant_role(), client_id) {
            (true, Some(c)) => Scope::Merchant(c),
            (false, None) => Scope::Platform,
            _ => return None,
        };
        Some(Self {
            who: Who::User { id, email },
            role,
            scope,
        })
    }

    pub fn who(&self) -> &Who {
        &self.who
    }

    pub fn role(&self) -> Role {
        self.role
    }

    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// The merchant a merchant-scoped principal is limited to (`None`: every merchant). Lists
    /// and statistics narrow their filter to it.
    pub fn merchant(&self) -> Option<&ClientId> {
        match &self.scope {
            Scope::Platform => None,
            Scope::Merchant(c) => Some(c),
        }
    }

    /// The actor as the audit log names it: the user's email, or `token`.
    pub fn actor_label(&self) -> &str {
        match &self.who {
            Who::User { email, .. } => email.as_str(),
            Who::Token => "token",
            Who::Cli => "cli",
        }
    }

    /// May this principal do `action` to data of `merchant` (`None`: data of no one merchant,
    /// e.g. a list over all of them, the live feed, the user list)? Another merchant's data is
    /// [`Denied::NotFound`] for a merchant-scoped principal, *before* its role is looked at, so a
    /// merchant user learns nothing about other merchants' resources.
    pub fn may(&self, action: Action, merchant: Option<&ClientId>) -> Result<(), Denied> {
        if let (Scope::Merchant(own), Some(other)) = (&self.scope, merchant)
            && own != other
        {
            return Err(Denied::NotFound);
        }
        if self.role_allows(action, merchant.is_some()) {
            Ok(())
        } else {
            Err(Denied::Forbidden)
        }
    }

    /// May this principal's role do `action` to anything at all? Asked before a request is read
    /// any further (its body, the resource it names), so a role that may never do `action` is
    /// answered 403 whatever it sent — not a validation error, not a lookup's 404 (api.md §10.1:
    /// "an action outside the role gets 403"). The full check ([`Self::may`]) still follows.
    pub fn may_ever(&self, action: Action) -> Result<(), Denied> {
        if self.role_allows(action, true) || self.role_allows(action, false) {
            Ok(())
        } else {
            Err(Denied::Forbidden)
        }
    }

    /// May this principal manage any user at all (ADMIN: every user; MERCHANT_ADMIN: its own
    /// merchant's)? Like [`Self::may_ever`] for the user endpoints; [`Self::may_manage_user`]
    /// decides each user.
    pub fn may_manage_users(&self) -> Result<(), Denied> {
        self.may_ever(Action::ManageUsers)
            .or_else(|_| self.may_ever(Action::ManageMerchantUsers))
    }

    /// May this principal do `action` to a resource owned by `owner` (a payment's, a
    /// delivery's merchant)? Like [`Self::may`], except that a resource of no merchant (an
    /// acquirer request, say) is platform data: a merchant-scoped principal sees it exactly as
    /// an unknown one.
    pub fn may_touch(&self, action: Action, owner: Option<&ClientId>) -> Result<(), Denied> {
        match (&self.scope, owner) {
            (Scope::Merchant(_), None) => Err(Denied::NotFound),
            _ => self.may(action, owner),
        }
    }

    /// Which merchants a listing or statistic for `action` may cover when the request named
    /// `requested` (a `clientId` filter, or none): a platform role gets what it asked for; a
    /// merchant role its own merchant, and [`Reach::Nothing`] when it named another. A role
    /// that may not do `action` at all is [`Denied::Forbidden`].
    pub fn reach(&self, action: Action, requested: Option<ClientId>) -> Result<Reach, Denied> {
        match &self.scope {
            Scope::Platform => {
                self.may(action, requested.as_ref())?;
                Ok(requested.map_or(Reach::Everything, Reach::One))
            }
            Scope::Merchant(own) => {
                self.may(action, Some(own))?;
                Ok(match requested {
                    Some(other) if other != *own => Reach::Nothing,
                    _ => Reach::One(own.clone()),
                })
            }
        }
    }

    /// The merchant filter of a listing of `action` that asked for `requested` (see
    /// [`Self::reach`]): `Ok(None)` for every merchant, `Ok(Some(c))` for one, and
    /// [`NothingInReach`] when the answer is empty without asking storage; 403 when the role
    /// may not do `action` at all.
    pub fn merchant_filter<E>(
        &self,
        action: Action,
        requested: Option<ClientId>,
    ) -> Result<Result<Option<ClientId>, NothingInReach>, Guarded<E>> {
        let reach = self
            .reach(action, requested)
            .map_err(|_| Guarded::Forbidden)?;
        Ok(reach.merchant_filter())
    }

    /// May this principal create or change a user of `role` (of merchant `client_id`)? ADMIN:
    /// any user; MERCHANT_ADMIN: merchant users of its own merchant; nobody else.
    pub fn may_manage_user(&self, role: Role, client_id: Option<&ClientId>) -> Result<(), Denied> {
        match self.role {
            Role::Admin => Ok(()),
            Role::MerchantAdmin if role.is_merchant_role() => {
                self.may(Action::ManageMerchantUsers, client_id)
            }
            _ => Err(Denied::Forbidden),
        }
    }

    fn role_allows(&self, action: Action, concerns_one_merchant: bool) -> bool {
        use Action as A;
        match self.role {
            Role::Admin => true,
            Role::Operator => matches!(
                action,
                A::ReadPayments
                    | A::CancelPayment
                    | A::ReadDeliveries
                    | A::RetryDelivery
                    | A::ReadStats
                    | A::LiveEvents
                    | A::UseSimulator
                    | A::ReadMerchants
                    | A::SendTestNotification
                    | A::ReadSettlements
                    | A::ReadReconciliations
            ),
            Role::Viewer => action.is_read(),
            Role::MerchantAdmin => {
                matches!(
                    action,
                    A::ReadPayments
                        | A::CancelPayment
                        | A::ReadDeliveries
                        | A::RetryDelivery
                        | A::ReadStats
                        | A::ReadMerchants
                        | A::UpdateMerchant
                        | A::RotateMerchantSecrets
                        | A::ManageMerchantUsers
                        | A::SendTestNotification
                        | A::ReadSettlements
                ) && (concerns_one_merchant || action.is_read() || action == A::ManageMerchantUsers)
            }
            Role::MerchantViewer => {
                action.is_read() && !matches!(action, A::LiveEvents | A::ReadReconciliations)
            }
        }
    }
}

#[cfg(test)]
#[path = "access_tests.rs"]
mod tests;
