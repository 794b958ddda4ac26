//! The authorisation table of api.md §10.1, role × action × scope, written out.

use uuid::Uuid;

use super::*;
use crate::people::{Email, Role, UserId};

fn mch(raw: &str) -> ClientId {
    ClientId::parse(raw).unwrap()
}

fn user(role: Role, client: Option<&str>) -> Principal {
    Principal::user(
        UserId::from_uuid(Uuid::nil()),
        Email::parse("someone@example.com").unwrap(),
        role,
        client.map(mch),
    )
    .unwrap()
}

const ALL_ACTIONS: [Action; 22] = [
    Action::ReadPayments,
    Action::CancelPayment,
    Action::ReadDeliveries,
    Action::RetryDelivery,
    Action::ReadStats,
    Action::LiveEvents,
    Action::UseSimulator,
    Action::ReadMerchants,
    Action::RegisterMerchant,
    Action::UpdateMerchant,
    Action::RotateMerchantSecrets,
    Action::SetMerchantStatus,
    Action::RotateEncryptionKeys,
    Action::ManageUsers,
    Action::ManageMerchantUsers,
    Action::ReadAudit,
    Action::SendTestNotification,
    Action::ReadSettlements,
    Action::RunSettlement,
    Action::SetSettlementTerms,
    Action::Reconcile,
    Action::ReadReconciliations,
];

/// `Y`: allowed on the principal's own merchant's data (or on platform data for platform roles);
/// `-`: 403.
fn row(principal: &Principal) -> String {
    let own = principal.merchant().cloned();
    ALL_ACTIONS
        .iter()
        .map(|a| match principal.may(*a, own.as_ref()) {
            Ok(()) => 'Y',
            Err(Denied::Forbidden) => '-',
            Err(Denied::NotFound) => '?',
        })
        .collect()
}

#[test]
fn each_role_may_exactly_what_the_table_of_the_contract_says() {
    // Read, Cancel, Deliveries, Retry, Stats, Live, simUlator, Merchants, Register, Update,
    // Rotate, Status, Keys, Users, Merchant users, Audit, Test notification; Settlements,
    // run settlement, fee Terms, reConcile, read reconciliations (V).
    //                                               RCDRSLUMRURSKUMATSRTCV
    assert_eq!(row(&Principal::token()), "YYYYYYYYYYYYYYYYYYYYYY");
    assert_eq!(row(&user(Role::Admin, None)), "YYYYYYYYYYYYYYYYYYYYYY");
    assert_eq!(row(&user(Role::Operator, None)), "YYYYYYYY--------YY---Y");
    assert_eq!(row(&user(Role::Viewer, None)), "Y-Y-YY-Y---------Y---Y");
    assert_eq!(
        row(&user(Role::MerchantAdmin, Some("mch_a"))),
        "YYYYY--Y-YY---Y-YY----"
    );
    assert_eq!(
        row(&user(Role::MerchantViewer, Some("mch_a"))),
        "Y-Y-Y--Y---------Y----"
    );
}

#[test]
fn another_merchants_data_is_not_found_for_a_merchant_user_whatever_the_action() {
    for role in [Role::MerchantAdmin, Role::MerchantViewer] {
        let p = user(role, Some("mch_a"));
        for action in ALL_ACTIONS {
            assert_eq!(
                p.may(action, Some(&mch("mch_b"))),
                Err(Denied::NotFound),
                "{role} {action:?}"
            );
        }
    }
}

#[test]
fn platform_roles_reach_every_merchants_data() {
    for role in [Role::Admin, Role::Operator, Role::Viewer] {
        let p = user(role, None);
        assert_eq!(p.may(Action::ReadPayments, Some(&mch("mch_b"))), Ok(()));
        assert_eq!(p.merchant(), None);
    }
}

#[test]
fn a_merchant_admin_changes_only_its_own_merchants_things_and_never_all_at_once() {
    let p = user(Role::MerchantAdmin, Some("mch_a"));
    assert_eq!(p.may(Action::CancelPayment, Some(&mch("mch_a"))), Ok(()));
    assert_eq!(
        p.may(Action::CancelPayment, None),
        Err(Denied::Forbidden),
        "a change must name its merchant"
    );
    assert_eq!(
        p.may(Action::ReadPayments, None),
        Ok(()),
        "lists narrow to its own"
    );
    assert_eq!(p.merchant(), Some(&mch("mch_a")));
}

#[test]
fn who_may_create_which_users() {
    let a = mch("mch_a");
    let admin = user(Role::Admin, None);
    for role in Role::ALL {
        assert_eq!(admin.may_manage_user(role, None), Ok(()));
    }
    let merchant_admin = user(Role::MerchantAdmin, Some("mch_a"));
    assert_eq!(
        merchant_admin.may_manage_user(Role::MerchantViewer, Some(&a)),
        Ok(())
    );
    assert_eq!(
        merchant_admin.may_manage_user(Role::MerchantAdmin, Some(&a)),
        Ok(())
    );
    assert_eq!(
        merchant_admin.may_manage_user(Role::MerchantViewer, Some(&mch("mch_b"))),
        Err(Denied::NotFound)
    );
    assert_eq!(
        merchant_admin.may_manage_user(Role::Operator, None),
        Err(Denied::Forbidden),
        "no escalation to a platform role"
    );
    for role in [Role::Operator, Role::Viewer, Role::MerchantViewer] {
        let client = role.is_merchant_role().then_some("mch_a");
        assert_eq!(
            user(role, client).may_manage_user(Role::MerchantViewer, Some(&a)),
            Err(Denied::Forbidden)
        );
    }
}

#[test]
fn a_role_and_a_merchant_that_do_not_fit_make_no_principal() {
    let id = UserId::from_uuid(Uuid::nil());
    let email = Email::parse("x@example.com").unwrap();
    assert!(Principal::user(id, email.clone(), Role::MerchantViewer, None).is_none());
    assert!(Principal::user(id, email, Role::Operator, Some(mch("mch_a"))).is_none());
}

#[test]
fn the_actor_is_the_email_or_token() {
    assert_eq!(Principal::token().actor_label(), "token");
    assert_eq!(
        user(Role::Viewer, None).actor_label(),
        "someone@example.com"
    );
}

#[test]
fn a_listing_reaches_what_a_platform_role_asks_for_and_only_a_merchant_roles_own_merchant() {
    let (a, b) = (mch("mch_a"), mch("mch_b"));
    let operator = user(Role::Operator, None);
    assert_eq!(
        operator.reach(Action::ReadPayments, None),
        Ok(Reach::Everything)
    );
    assert_eq!(
        operator.reach(Action::ReadPayments, Some(b.clone())),
        Ok(Reach::One(b.clone()))
    );
    for role in [Role::MerchantAdmin, Role::MerchantViewer] {
        let p = user(role, Some("mch_a"));
        assert_eq!(
            p.reach(Action::ReadPayments, None),
            Ok(Reach::One(a.clone()))
        );
        assert_eq!(
            p.reach(Action::ReadStats, Some(a.clone())),
            Ok(Reach::One(a.clone()))
        );
        assert_eq!(
            p.reach(Action::ReadDeliveries, Some(b.clone())),
            Ok(Reach::Nothing),
            "another merchant is an empty answer, as an unknown one"
        );
        assert_eq!(p.reach(Action::LiveEvents, None), Err(Denied::Forbidden));
    }
    assert_eq!(Reach::Nothing.merchant_filter(), Err(NothingInReach));
    assert_eq!(Reach::One(a.clone()).merchant_filter(), Ok(Some(a)));
}

#[test]
fn a_resource_of_no_merchant_is_unknown_to_merchant_users_and_visible_to_platform_roles() {
    let a = mch("mch_a");
    assert_eq!(
        user(Role::MerchantAdmin, Some("mch_a")).may_touch(Action::ReadDeliveries, None),
        Err(Denied::NotFound)
    );
    assert_eq!(
        user(Role::MerchantAdmin, Some("mch_a")).may_touch(Action::RetryDelivery, Some(&a)),
        Ok(())
    );
    assert_eq!(
        user(Role::MerchantViewer, Some("mch_a")).may_touch(Action::RetryDelivery, Some(&a)),
        Err(Denied::Forbidden)
    );
    assert_eq!(
        user(Role::Viewer, None).may_touch(Action::ReadDeliveries, None),
        Ok(())
    );
    assert_eq!(
        user(Role::Viewer, None).may_touch(Action::RetryDelivery, Some(&a)),
        Err(Denied::Forbidden)
    );
}

#[test]
fn a_role_is_refused_at_the_door_exactly_the_actions_it_may_do_to_nothing() {
    let principals = [
        Principal::token(),
        user(Role::Admin, None),
        user(Role::Operator, None),
        user(Role::Viewer, None),
        user(Role::MerchantAdmin, Some("mch_a")),
        user(Role::MerchantViewer, Some("mch_a")),
    ];
    for p in &principals {
        let own = p.merchant().cloned();
        for a in ALL_ACTIONS {
            let somewhere = p.may(a, own.as_ref()).is_ok() || p.may(a, None).is_ok();
            assert_eq!(p.may_ever(a).is_ok(), somewhere, "{:?} {a:?}", p.role());
        }
    }
    let managers: Vec<Role> = principals
        .iter()
        .filter(|p| p.may_manage_users().is_ok())
        .map(Principal::role)
        .collect();
    assert_eq!(
        managers,
        [Role::Admin, Role::Admin, Role::MerchantAdmin],
        "the token, an ADMIN and a MERCHANT_ADMIN"
    );
}
