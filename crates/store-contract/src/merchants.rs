//! MerchantStore: round trips, compare-and-set updates with their audit rows in the same
//! transaction, newest-first listing, re-sealing.

use domain::{
    ids::ClientId,
    merchant::{ClientName, MerchantStatus, PreviousSecret},
    ports::PageRequest,
    secret::SealedSecret,
};

use crate::{
    StoreFactory,
    support::{Env, at, client, merchant},
};

pub async fn a_merchant_round_trips_with_its_sealed_secrets_and_unicode_name<F: StoreFactory>() {
    let env = Env::new::<F>().await;
    let mut m = merchant("mch_0195a1b2c3d4e5f60718293a4b5c6d7e", at(1_234));
    m.client_name = ClientName::parse(&format!("카페 모카 ☕ {}", "가".repeat(90))).unwrap();
    m.client_secret = SealedSecret {
        key_version: u32::MAX,
        ciphertext: (0..=255).collect(),
    };
    m.webhook_secret = SealedSecret {
        key_version: 0,
        ciphertext: vec![0; 512],
    };
    m.updated_at = at(5_678);

    env.merchants.insert(&m, &[]).await.unwrap();

    assert_eq!(env.merchants.find(&m.client_id).await.unwrap(), Some(m));
}

pub async fn a_merchant_without_a_return_url_round_trips<F: StoreFactory>() {
    let env = Env::new::<F>().await;
    let mut m = merchant("mch_nourl", at(0));
    m.return_url = None;
    m.status = MerchantStatus::Inactive;
    env.merchants.insert(&m, &[]).await.unwrap();
    assert_eq!(env.merchants.find(&m.client_id).await.unwrap(), Some(m));
}

pub async fn an_unknown_merchant_is_not_found_and_client_ids_are_case_sensitive<F: StoreFactory>() {
    let env = Env::new::<F>().await;
    env.merchant("mch_case").await;
    assert_eq!(
        env.merchants.find(&client("mch_nobody")).await.unwrap(),
        None
    );
    assert_eq!(env.merchants.find(&client("MCH_CASE")).await.unwrap(), None);
}

pub async fn registering_the_same_client_id_twice_is_an_error<F: StoreFactory>() {
    let env = Env::new::<F>().await;
    env.merchant("mch_twice").await;
    let err = env
        .merchants
        .insert(&merchant("mch_twice", at(1)), &[])
        .await
        .unwrap_err();
    assert!(!err.is_unavailable());
}

pub async fn updating_a_merchant_replaces_its_mutable_fields<F: StoreFactory>() {
    let env = Env::new::<F>().await;
    let original = merchant("mch_upd", at(0));
    env.merchants.insert(&original, &[]).await.unwrap();
    let mut changed = original.clone();
    changed.client_name = ClientName::parse("Renamed ☕").unwrap();
    changed.client_secret = SealedSecret {
        key_version: 3,
        ciphertext: vec![42; 40],
    };
    changed.webhook_secret = SealedSecret {
        key_version: 4,
        ciphertext: vec![43; 41],
    };
    changed.previous_client_secret = Some(PreviousSecret {
        secret: SealedSecret {
            key_version: 5,
            ciphertext: vec![44; 42],
        },
        until: at(120_000),
    });
    changed.return_url = None;
    changed.status = MerchantStatus::Inactive;
    changed.updated_at = at(60_000);
    changed.version = 1;

    assert!(env.merchants.update(&changed, &[]).await.unwrap());
    assert_eq!(
        env.merchants.find(&original.client_id).await.unwrap(),
        Some(changed.clone())
    );

    let mut same = changed.clone();
    same.version = 2;
    assert!(
        env.merchants.update(&same, &[]).await.unwrap(),
        "an update that changes nothing but the version still matched"
    );
}

pub async fn updating_an_unknown_merchant_reports_false_and_creates_nothing<F: StoreFactory>() {
    let env = Env::new::<F>().await;
    let mut ghost = merchant("mch_ghost", at(0));
    ghost.version = 1;
    assert!(!env.merchants.update(&ghost, &[]).await.unwrap());
    assert_eq!(env.merchants.find(&ghost.client_id).await.unwrap(), None);
}

pub async fn merchants_list_newest_first_with_a_cursor_and_one_extra_row<F: StoreFactory>() {
    let env = Env::new::<F>().await;
    // Issued ids embed a UUIDv7, so they sort by creation time.
    let ids: Vec<ClientId> = (0..5)
        .map(|_| ClientId::from_uuid(uuid::Uuid::now_v7()))
        .collect();
    for (i, id) in ids.iter().enumerate() {
        env.merchants
            .insert(&merchant(id.as_str(), at(i as i64)), &[])
            .await
            .unwrap();
    }
    let list = async |limit, before: Option<&ClientId>| -> Vec<ClientId> {
        let page = PageRequest {
            limit,
            before: before.cloned(),
        };
        env.merchants
            .list(&page)
            .await
            .unwrap()
            .into_iter()
            .map(|m| m.client_id)
            .collect()
    };

    assert_eq!(
        list(2, None).await,
        [ids[4].clone(), ids[3].clone(), ids[2].clone()]
    );
    assert_eq!(
        list(2, Some(&ids[2])).await,
        [ids[1].clone(), ids[0].clone()]
    );
    assert!(list(2, Some(&ids[0])).await.is_empty());
    assert_eq!(list(100, None).await.len(), 5);
}

pub async fn a_previous_webhook_secret_round_trips_and_can_be_set_and_cleared_by_update<
    F: StoreFactory,
>() {
    let env = Env::new::<F>().await;
    let mut m = merchant("mch_rotated", at(0));
    m.previous_webhook_secret = Some(PreviousSecret {
        secret: SealedSecret {
            key_version: 7,
            ciphertext: (0..=255).rev().collect(),
        },
        until: at(86_400_123),
    });
    env.merchants.insert(&m, &[]).await.unwrap();
    assert_eq!(
        env.merchants.find(&m.client_id).await.unwrap(),
        Some(m.clone())
    );

    m.previous_webhook_secret = None;
    m.version = 1;
    assert!(env.merchants.update(&m, &[]).await.unwrap());
    assert_eq!(
        env.merchants.find(&m.client_id).await.unwrap(),
        Some(m.clone())
    );

    // A rotation: the current secret becomes the previous one, valid for a day.
    m.previous_webhook_secret = Some(PreviousSecret {
        secret: m.webhook_secret.clone(),
        until: at(172_800_000),
    });
    m.webhook_secret = SealedSecret {
        key_version: 2,
        ciphertext: vec![77; 61],
    };
    m.updated_at = at(86_400_000);
    m.version = 2;
    assert!(env.merchants.update(&m, &[]).await.unwrap());
    assert_eq!(env.merchants.find(&m.client_id).await.unwrap(), Some(m));
}

fn resealed(m: &domain::merchant::Merchant, version: u32) -> domain::merchant::Merchant {
    let mut r = m.clone();
    r.client_secret = SealedSecret {
        key_version: version,
        ciphertext: vec![70; 44],
    };
    r.webhook_secret = SealedSecret {
        key_version: version,
        ciphertext: vec![71; 45],
    };
    r.previous_webhook_secret = m.previous_webhook_secret.as_ref().map(|p| PreviousSecret {
        secret: SealedSecret {
            key_version: version,
            ciphertext: vec![72; 46],
        },
        until: p.until,
    });
    r.previous_client_secret = m.previous_client_secret.as_ref().map(|p| PreviousSecret {
        secret: SealedSecret {
            key_version: version,
            ciphertext: vec![73; 47],
        },
        until: p.until,
    });
    r.version = m.version + 1;
    r
}

pub async fn replacing_secrets_writes_them_when_the_stored_ciphertexts_are_still_the_expected_ones<
    F: StoreFactory,
>() {
    let env = Env::new::<F>().await;
    let plain = merchant("mch_reseal_a", at(0));
    let mut with_previous = merchant("mch_reseal_b", at(1));
    with_previous.previous_webhook_secret = Some(PreviousSecret {
        secret: SealedSecret {
            key_version: 1,
            ciphertext: vec![5; 33],
        },
        until: at(99_000),
    });
    with_previous.previous_client_secret = Some(PreviousSecret {
        secret: SealedSecret {
            key_version: 1,
            ciphertext: vec![6; 34],
        },
        until: at(98_000),
    });
    for m in [&plain, &with_previous] {
        env.merchants.insert(m, &[]).await.unwrap();
        let next = resealed(m, 9);
        assert!(env.merchants.replace_secrets(m, &next, &[]).await.unwrap());
        assert_eq!(env.merchants.find(&m.client_id).await.unwrap(), Some(next));
    }
}

pub async fn replacing_secrets_after_a_concurrent_rotation_writes_nothing<F: StoreFactory>() {
    let env = Env::new::<F>().await;
    let original = merchant("mch_reseal_race", at(0));
    env.merchants.insert(&original, &[]).await.unwrap();
    let mut rotated = original.clone();
    rotated.client_secret = SealedSecret {
        key_version: 1,
        ciphertext: vec![33; 40],
    };
    rotated.updated_at = at(5_000);
    rotated.version = 1;
    assert!(env.merchants.update(&rotated, &[]).await.unwrap());

    let mut stale = resealed(&original, 9);
    stale.version = 1;
    let mut same_version_as_now = original.clone();
    same_version_as_now.version = 1;
    assert!(
        !env.merchants
            .replace_secrets(&same_version_as_now, &stale, &[])
            .await
            .unwrap(),
        "the stored client secret is not the expected one"
    );
    assert_eq!(
        env.merchants.find(&original.client_id).await.unwrap(),
        Some(rotated.clone()),
        "the rotated secret survives"
    );

    let mut expected_previous = original.clone();
    expected_previous.previous_webhook_secret = Some(PreviousSecret {
        secret: original.webhook_secret.clone(),
        until: at(1),
    });
    assert!(
        !env.merchants
            .replace_secrets(&expected_previous, &resealed(&rotated, 9), &[])
            .await
            .unwrap(),
        "a previous secret that is not stored does not match"
    );
}
