//! MerchantStore's changes (api.md §10.6, §10.4): each a compare-and-set on the merchant's
//! `version`, written with its operator audit rows in one transaction; the previous client
//! secret of a rotation with grace.

use domain::{
    merchant::{ClientName, Merchant, PreviousSecret},
    people::{AuditOutcome, OperatorAuditEntry, Role},
    secret::SealedSecret,
};

use crate::{
    StoreFactory,
    people::entry,
    support::{Env, at, merchant, spawn_all},
};

/// `m` renamed to `name`: the change of a writer that read version 0.
fn renamed(m: &Merchant, name: &str) -> Merchant {
    let mut next = m.clone();
    next.client_name = ClientName::parse(name).unwrap();
    next.version = 1;
    next
}

fn row(action: &str, target: &str) -> OperatorAuditEntry {
    OperatorAuditEntry {
        role: Some(Role::MerchantAdmin),
        target: Some(target.to_owned()),
        ip: Some("192.0.2.1".to_owned()),
        ..entry("boss@shop.example", action, at(10))
    }
}

pub async fn a_previous_client_secret_round_trips_and_a_rotation_without_grace_clears_it<
    F: StoreFactory,
>() {
    let env = Env::new::<F>().await;
    let mut m = merchant("mch_grace", at(0));
    m.previous_client_secret = Some(PreviousSecret {
        secret: SealedSecret {
            key_version: u32::MAX,
            ciphertext: (0..=255).collect(),
        },
        until: at(604_800_123),
    });
    env.merchants.insert(&m, &[]).await.unwrap();
    assert_eq!(
        env.merchants.find(&m.client_id).await.unwrap(),
        Some(m.clone())
    );

    m.previous_client_secret = None;
    m.client_secret = SealedSecret {
        key_version: 1,
        ciphertext: vec![8; 40],
    };
    m.version = 1;
    assert!(env.merchants.update(&m, &[]).await.unwrap());
    assert_eq!(env.merchants.find(&m.client_id).await.unwrap(), Some(m));
}

pub async fn a_merchant_s_registration_and_changes_write_their_audit_rows_with_them<
    F: StoreFactory,
>() {
    let env = Env::new::<F>().await;
    let m = merchant("mch_audited", at(0));
    env.merchants
        .insert(&m, &[row("MERCHANT_REGISTERED", "mch_audited")])
        .await
        .unwrap();
    let next = renamed(&m, "Renamed");
    assert!(
        env.merchants
            .update(&next, &[row("MERCHANT_UPDATED", "mch_audited")])
            .await
            .unwrap()
    );

    let audit = &env.people().operator_audit;
    let page = domain::ports::PageRequest::first(10);
    let rows = audit.list(&Default::default(), &page).await.unwrap();
    let actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(actions, ["MERCHANT_UPDATED", "MERCHANT_REGISTERED"]);
    assert!(rows.iter().all(|r| {
        r.target.as_deref() == Some("mch_audited")
            && r.role == Some(Role::MerchantAdmin)
            && r.outcome == AuditOutcome::Success
            && r.ip.as_deref() == Some("192.0.2.1")
    }));
}

pub async fn a_registration_refused_by_the_database_writes_no_audit_row<F: StoreFactory>() {
    let env = Env::new::<F>().await;
    env.merchant("mch_dup").await;
    env.merchants
        .insert(
            &merchant("mch_dup", at(1)),
            &[row("MERCHANT_REGISTERED", "mch_dup")],
        )
        .await
        .unwrap_err();
    assert_eq!(env.count("operator_audit").await, 0);
}

pub async fn a_change_decided_on_a_stale_version_writes_nothing_not_even_its_audit_row<
    F: StoreFactory,
>() {
    let env = Env::new::<F>().await;
    let m = merchant("mch_stale", at(0));
    env.merchants.insert(&m, &[]).await.unwrap();
    let first = renamed(&m, "First");
    assert!(
        env.merchants
            .update(&first, &[row("MERCHANT_UPDATED", "mch_stale")])
            .await
            .unwrap()
    );

    let late = renamed(&m, "Late");
    assert!(
        !env.merchants
            .update(&late, &[row("MERCHANT_DEACTIVATED", "mch_stale")])
            .await
            .unwrap()
    );
    assert_eq!(env.merchants.find(&m.client_id).await.unwrap(), Some(first));
    assert_eq!(env.count("operator_audit").await, 1);
    assert_eq!(
        env.count("operator_audit WHERE action = 'MERCHANT_DEACTIVATED'")
            .await,
        0
    );
}

pub async fn sixteen_concurrent_changes_from_the_same_version_let_exactly_one_through<
    F: StoreFactory,
>() {
    let env = Env::new::<F>().await;
    let m = merchant("mch_busy", at(0));
    env.merchants.insert(&m, &[]).await.unwrap();
    let merchants = env.merchants.clone();

    let outcomes = spawn_all(16, |i| {
        let (merchants, m) = (merchants.clone(), m.clone());
        async move {
            let next = renamed(&m, &format!("Name {i}"));
            merchants
                .update(&next, &[row("MERCHANT_UPDATED", "mch_busy")])
                .await
                .unwrap()
        }
    })
    .await;

    assert_eq!(
        outcomes.iter().filter(|won| **won).count(),
        1,
        "{outcomes:?}"
    );
    let stored = env.merchants.find(&m.client_id).await.unwrap().unwrap();
    assert_eq!(stored.version, 1);
    assert_eq!(
        env.count("operator_audit").await,
        1,
        "only the winner's audit row"
    );
}

pub async fn re_sealing_after_a_change_that_kept_the_secrets_writes_nothing<F: StoreFactory>() {
    let env = Env::new::<F>().await;
    let m = merchant("mch_reseal_patch", at(0));
    env.merchants.insert(&m, &[]).await.unwrap();
    let renamed = renamed(&m, "Renamed");
    assert!(env.merchants.update(&renamed, &[]).await.unwrap());

    let mut resealed = m.clone();
    resealed.client_secret = SealedSecret {
        key_version: 9,
        ciphertext: vec![70; 44],
    };
    resealed.version = 1;
    assert!(
        !env.merchants
            .replace_secrets(&m, &resealed, &[])
            .await
            .unwrap(),
        "same ciphertexts, but the version moved on"
    );
    assert_eq!(
        env.merchants.find(&m.client_id).await.unwrap(),
        Some(renamed)
    );
}
