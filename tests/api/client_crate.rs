//! The merchant client crate (`simplepg_client`) against the real server: every method, its
//! typed errors, its webhook verifier on a real delivery, and its signatures cross-checked
//! against the harness's independent signer (ADR 0006).

use awc::http::Method;
use simplepg_client::{
    Actor, CancelOutcome, CancelPayment, CancelStatus, Client, CreatePayment, Error, ErrorCode,
    EventType, Idempotent, ListPayments, MethodCode, PaymentPage, PaymentStatus, SecretString,
    WebhookError, WebhookSecret, WebhookVerifier, fresh_nonce, now_millis,
};

use crate::{
    helpers::{
        Draft, STAYS_READY, WAIT, key_of, spawn_app, spawn_app_configured, spawn_app_with_merchant,
        spawn_app_with_ready_payment,
    },
    receiver::Receiver,
    signature, standard_webhooks,
};

/// The answers to one keyed request sent twice: the first executed, the second its replay.
async fn sent_twice<T>(send: impl AsyncFn() -> Result<Idempotent<T>, Error>) -> (T, T) {
    let first = send().await.unwrap();
    let again = send().await.unwrap();
    assert!(!first.replayed, "the first answer is executed");
    assert!(again.replayed, "the retry is a replay");
    (first.value, again.value)
}

#[actix_web::test]
async fn the_client_signs_exactly_as_the_independent_signer_and_the_server_accepts_it() {
    let (app, merchant) = spawn_app_with_merchant().await;
    let client = app.client(&merchant);
    let body = br#"{"orderNo":"SIGNED-1","amount":15002,"methodCode":"CARD"}"#;

    for (method, path, query, body) in [
        (Method::POST, "/api/payments", "", &body[..]),
        (
            Method::GET,
            "/api/payments",
            "limit=5&status=READY",
            &b""[..],
        ),
    ] {
        let (timestamp, nonce) = (now_millis(), fresh_nonce());
        let path_and_query = if query.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{query}")
        };
        let ours = client
            .signer()
            .sign(method.as_str(), &path_and_query, body, timestamp, &nonce);
        let independent = signature::canonical_string(
            method.as_str(),
            path,
            query,
            &timestamp.to_string(),
            &nonce,
            body,
        );
        assert_eq!(ours.canonical_string, independent);
        assert_eq!(
            ours.signature,
            signature::sign(&merchant.client_secret, &independent)
        );

        let mut draft = Draft::new(
            method.clone(),
            &path_and_query,
            (!body.is_empty()).then(|| std::str::from_utf8(body).unwrap()),
        );
        draft.client_id = Some(ours.client_id.clone());
        draft.timestamp = Some(ours.timestamp.clone());
        draft.nonce = Some(ours.nonce.clone());
        draft.signature = Some(ours.signature.clone());
        let res = app.send(&draft).await;
        let expected = if method == Method::POST { 201 } else { 200 };
        assert_eq!(
            res.status,
            expected,
            "{method} {path_and_query}: {}",
            res.text()
        );
    }

    // The low-level signed request (what `simplepg call` sends) reaches the same page.
    let raw = client
        .signed_request(
            simplepg_client::Method::GET,
            "/api/payments?orderNo=SIGNED-1",
            None,
        )
        .await
        .unwrap();
    assert_eq!(raw.status.as_u16(), 200, "{}", raw.text());
    let page: PaymentPage = raw.into_result().unwrap();
    assert_eq!(page.data.len(), 1);
    assert_eq!(page.data[0].order_no, "SIGNED-1");
}

#[actix_web::test]
async fn an_idempotent_create_replays_the_first_payment_and_refuses_another_body_with_the_key() {
    let (app, merchant) = spawn_app_with_merchant().await;
    let client = app.client(&merchant);
    let order = CreatePayment::new("IDEM-1", STAYS_READY, MethodCode::Card)
        .with_currency("KRW")
        .with_product_name("Coffee beans")
        .with_customer_name("Kim Minji");

    let (first, again) =
        sent_twice(async || client.create_payment_idempotent(&order, "idem-key-1").await).await;
    let other_body = CreatePayment::new("IDEM-2", STAYS_READY, MethodCode::Bank);
    let reused = client
        .create_payment_idempotent(&other_body, "idem-key-1")
        .await
        .unwrap_err();

    assert_eq!(again, first, "the same payment, not a second one");
    let payment = &first;
    assert_eq!(payment.status, PaymentStatus::Ready);
    assert_eq!(payment.client_id, merchant.client_id);
    assert_eq!(
        (payment.amount, payment.currency.as_str()),
        (STAYS_READY, "KRW")
    );
    assert_eq!(payment.method_code, MethodCode::Card);
    assert_eq!(payment.product_name.as_deref(), Some("Coffee beans"));
    assert_eq!(payment.customer_name.as_deref(), Some("Kim Minji"));
    assert!(payment.expires_at > payment.created_at);
    assert_eq!(reused.code(), Some(&ErrorCode::IdempotencyKeyReused));
    assert_eq!(reused.status(), Some(422));
    assert_eq!(app.all_payments(&merchant).await.len(), 1);
}

#[actix_web::test]
async fn listing_through_the_client_filters_by_status_and_order_and_pages_newest_first() {
    let (app, merchant) = spawn_app_with_merchant().await;
    let client = app.client(&merchant);
    let mut keys = Vec::new();
    for i in 1..=3 {
        keys.push(key_of(
            &app.ready_payment(&merchant, &format!("LIST-{i}")).await,
        ));
        actix_web::rt::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    client
        .cancel_payment(&keys[0], "changed mind")
        .await
        .unwrap();

    let query = ListPayments {
        limit: Some(2),
        ..ListPayments::default()
    };
    let first = client.list_payments(&query).await.unwrap();
    let next = first.next_page(&query).expect("a second page");
    let second = client.list_payments(&next).await.unwrap();
    let ready = client
        .list_payments(&ListPayments {
            status: Some(PaymentStatus::Ready),
            ..ListPayments::default()
        })
        .await
        .unwrap();
    let by_order = client
        .list_payments(&ListPayments {
            order_no: Some("LIST-2".into()),
            created_from: Some(time::OffsetDateTime::now_utc() - time::Duration::hours(1)),
            created_to: Some(time::OffsetDateTime::now_utc() + time::Duration::hours(1)),
            ..ListPayments::default()
        })
        .await
        .unwrap();

    let listed: Vec<String> = first
        .data
        .iter()
        .chain(&second.data)
        .map(|p| p.payment_key.clone())
        .collect();
    assert!(first.has_more && !second.has_more);
    assert!(second.next_page(&next).is_none());
    assert_eq!(
        listed,
        [keys[2].clone(), keys[1].clone(), keys[0].clone()],
        "newest first"
    );
    assert_eq!(
        ready
            .data
            .iter()
            .map(|p| &p.payment_key)
            .collect::<Vec<_>>(),
        [&keys[2], &keys[1]]
    );
    assert_eq!(by_order.data.len(), 1);
    assert_eq!(by_order.data[0].payment_key, keys[1]);
}

#[actix_web::test]
async fn an_approved_payment_completes_and_its_audit_trail_reads_through_the_client() {
    let (app, merchant) = spawn_app_with_merchant().await;
    let client = app.client(&merchant);
    let key = key_of(&app.pay(&merchant, "COMPLETE-1", 15_000).await);
    app.wait_for_status(&key, "APPROVED", WAIT).await;

    let approved = client.get_payment(&key).await.unwrap();
    let completed = client.complete_payment(&key).await.unwrap();
    let logs = client.payment_logs(&key).await.unwrap();

    assert_eq!(approved.status, PaymentStatus::Approved);
    assert!(approved.transaction_id.is_some() && approved.approved_at.is_some());
    assert_eq!(completed.status, PaymentStatus::Completed);
    assert!(completed.completed_at.unwrap() >= approved.approved_at.unwrap());
    let trail: Vec<(&str, Option<PaymentStatus>, PaymentStatus, Actor)> = logs
        .iter()
        .map(|l| (l.action.as_str(), l.from_status, l.status, l.actor))
        .collect();
    assert_eq!(
        trail,
        [
            ("CREATE", None, PaymentStatus::Ready, Actor::Merchant),
            (
                "APPROVE",
                Some(PaymentStatus::Ready),
                PaymentStatus::Approved,
                Actor::Acquirer
            ),
            (
                "COMPLETE",
                Some(PaymentStatus::Approved),
                PaymentStatus::Completed,
                Actor::Merchant
            ),
        ]
    );
    assert!(logs.windows(2).all(|w| w[0].log_id < w[1].log_id));
}

#[actix_web::test]
async fn problems_become_typed_errors_with_their_code_fields_and_request_id() {
    let (app, merchant) = spawn_app_with_merchant().await;
    let client = app.client(&merchant);
    let ready = app.ready_payment(&merchant, "EXISTS").await;

    let unknown = client.get_payment(&"0".repeat(64)).await.unwrap_err();
    let duplicate = client
        .create_payment(&CreatePayment::new("EXISTS", 1_002, MethodCode::Card))
        .await
        .unwrap_err();
    let invalid = client
        .create_payment(&CreatePayment::new("BAD", 0, MethodCode::Card))
        .await
        .unwrap_err();
    let not_approved = client
        .complete_payment(&ready.payment_key)
        .await
        .unwrap_err();
    let impostor = Client::new(
        &app.base_url,
        merchant.client_id.as_str(),
        SecretString::from("sk_not-the-secret"),
    )
    .unwrap()
    .get_payment(&ready.payment_key)
    .await
    .unwrap_err();

    for (err, status, code) in [
        (&unknown, 404, ErrorCode::PaymentNotFound),
        (&duplicate, 409, ErrorCode::DuplicateOrder),
        (&invalid, 400, ErrorCode::ValidationFailed),
        (&not_approved, 409, ErrorCode::InvalidStateTransition),
        (&impostor, 401, ErrorCode::InvalidSignature),
    ] {
        let problem = err
            .problem()
            .unwrap_or_else(|| panic!("not a problem: {err:?}"));
        assert_eq!((problem.status, &problem.code), (status, &code), "{err}");
        assert!(!problem.title.is_empty(), "{problem:?}");
        assert!(
            problem
                .request_id
                .as_deref()
                .is_some_and(|id| !id.is_empty()),
            "{problem:?}"
        );
        assert!(
            problem
                .instance
                .as_deref()
                .is_some_and(|i| i.starts_with("/api/payments")),
            "{problem:?}"
        );
    }
    let fields: Vec<&str> = invalid
        .problem()
        .unwrap()
        .errors
        .iter()
        .map(|e| e.field.as_str())
        .collect();
    assert_eq!(fields, ["amount"]);
}

#[actix_web::test]
async fn a_real_notification_verifies_with_the_client_verifier_and_any_secret_of_a_rotation() {
    let receiver = Receiver::ok().await;
    let app = spawn_app().await;
    let merchant = app
        .register_merchant("Shop", &receiver.url("/notify"))
        .await;
    let key = key_of(&app.pay(&merchant, "HOOK-1", 15_000).await);
    let delivery = receiver
        .wait_for("the payment.approved event", 1, WAIT, |r| {
            r.payment_key() == key
        })
        .await
        .remove(0);
    let secret = WebhookSecret::parse(&merchant.webhook_secret).unwrap();
    let unrelated = WebhookSecret::parse(standard_webhooks::ACQUIRER_SECRET).unwrap();

    let event = WebhookVerifier::new([unrelated.clone(), secret.clone()])
        .verify(delivery.headers.as_slice(), &delivery.body)
        .unwrap();
    let wrong_secret =
        WebhookVerifier::new([unrelated]).verify(delivery.headers.as_slice(), &delivery.body);
    let mut tampered = delivery.body.clone();
    tampered.extend_from_slice(b" ");
    let tampered =
        WebhookVerifier::new([secret.clone()]).verify(delivery.headers.as_slice(), &tampered);
    let free_fn = simplepg_client::verify_webhook(
        delivery.headers.as_slice(),
        &delivery.body,
        &[secret],
        simplepg_client::DEFAULT_TOLERANCE,
    )
    .unwrap();

    assert_eq!(
        delivery.verify(&merchant.webhook_secret),
        Ok(()),
        "the independent check agrees"
    );
    assert_eq!(event.id, delivery.webhook_id());
    assert_eq!(event.kind, EventType::PaymentApproved);
    let payment = event.payment.as_ref().expect("a payment event");
    assert_eq!(payment.payment_key, key);
    assert_eq!(payment.status, PaymentStatus::Approved);
    assert_eq!(payment.order_no, "HOOK-1");
    assert_eq!(free_fn, event);
    assert!(matches!(
        wrong_secret,
        Err(WebhookError::NoMatchingSignature)
    ));
    assert!(matches!(tampered, Err(WebhookError::NoMatchingSignature)));
}

#[actix_web::test]
async fn the_client_payment_carries_every_field_the_server_sends() {
    let (app, merchant, payment) = spawn_app_with_ready_payment("FIELDS").await;

    let raw = app.get_payment(&merchant, &payment.payment_key).await;
    let sent: Vec<&String> = raw.json.as_object().unwrap().keys().collect();
    let typed = serde_json::to_value(&payment).unwrap();
    let kept: Vec<&String> = typed.as_object().unwrap().keys().collect();

    let mut sent_sorted = sent.clone();
    let mut kept_sorted = kept.clone();
    sent_sorted.sort();
    kept_sorted.sort();
    assert_eq!(kept_sorted, sent_sorted, "no field dropped or invented");
    assert_eq!(
        serde_json::from_value::<simplepg_client::Payment>(raw.json.clone()).unwrap(),
        payment
    );
}

#[actix_web::test]
async fn a_partial_cancel_through_the_client_is_done_and_more_than_the_rest_is_a_typed_409() {
    let (app, merchant) = spawn_app_with_merchant().await;
    let client = app.client(&merchant);
    let key = app.completed_payment(&merchant, "PART-1", 15_000).await;
    let part = CancelPayment::new("one item returned").with_amount(5_000);

    let (first, replay) =
        sent_twice(async || client.cancel_idempotent(&key, &part, "part-1-cancel").await).await;
    let too_much = client
        .cancel(&key, &CancelPayment::new("too much").with_amount(10_001))
        .await
        .unwrap_err();
    let rest = client
        .cancel_payment(&key, "customer returned the rest")
        .await
        .unwrap();

    assert_eq!(replay, first, "the same cancel, not a second");
    let CancelOutcome::Done(partial) = &first else {
        panic!("a confirmed cancel is done (200): {first:?}");
    };
    assert_eq!(partial.status, PaymentStatus::PartialCanceled);
    assert_eq!(
        (partial.canceled_amount, partial.cancelable_amount),
        (5_000, 10_000)
    );
    let cancel = first.latest_cancel().unwrap();
    assert!(cancel.cancel_id.starts_with("cnl_"), "{cancel:?}");
    assert_eq!(
        (cancel.amount, cancel.status, cancel.reason.as_str()),
        (5_000, CancelStatus::Succeeded, "one item returned")
    );
    assert!(cancel.completed_at.is_some());
    assert_eq!(too_much.code(), Some(&ErrorCode::CancelAmountExceeded));
    assert_eq!(too_much.status(), Some(409));
    assert_eq!(rest.status, PaymentStatus::Canceled);
    assert_eq!((rest.canceled_amount, rest.cancelable_amount), (15_000, 0));
    assert_eq!(
        rest.cancels
            .iter()
            .map(|c| (c.amount, c.status))
            .collect::<Vec<_>>(),
        [
            (5_000, CancelStatus::Succeeded),
            (10_000, CancelStatus::Succeeded)
        ]
    );
    assert_eq!(
        rest.cancel_reason.as_deref(),
        Some("customer returned the rest")
    );
}

#[actix_web::test]
async fn an_operator_cancels_part_of_a_payment_on_the_merchants_behalf_through_the_admin_client() {
    let (app, merchant) = spawn_app_with_merchant().await;
    let admin = app.admin_client();
    let key = app
        .completed_payment(&merchant, "ADMIN-PART-1", 15_000)
        .await;

    let outcome = admin
        .cancel_payment(
            &key,
            &CancelPayment::new("goodwill refund").with_amount(4_000),
        )
        .await
        .unwrap();
    let unknown = admin
        .cancel_payment(&"0".repeat(64), &CancelPayment::new("nothing"))
        .await
        .unwrap_err();
    let seen_by_operator = admin.get_payment(&key).await.unwrap();
    let seen_by_merchant = app.client(&merchant).get_payment(&key).await.unwrap();
    let logs = app.client(&merchant).payment_logs(&key).await.unwrap();

    assert!(!outcome.is_pending(), "{outcome:?}");
    assert_eq!(outcome.payment().status, PaymentStatus::PartialCanceled);
    assert_eq!(outcome.payment().cancelable_amount, 11_000);
    assert_eq!(unknown.code(), Some(&ErrorCode::PaymentNotFound));
    assert_eq!(&seen_by_operator, outcome.payment());
    assert_eq!(seen_by_merchant, seen_by_operator);
    let partial = logs
        .iter()
        .find(|l| l.action == "PARTIAL_CANCEL")
        .expect("a PARTIAL_CANCEL audit row");
    assert_eq!(partial.actor, Actor::Admin);
    assert_eq!(partial.status, PaymentStatus::PartialCanceled);

    // Retried with its Idempotency-Key, an operator's cancel is answered again, not repeated.
    let more = CancelPayment::new("second goodwill refund").with_amount(1_000);
    let (first, again) = sent_twice(async || {
        admin
            .cancel_payment_idempotent(&key, &more, "op-refund-2")
            .await
    })
    .await;
    assert_eq!(again.payment(), first.payment());
    assert_eq!(first.payment().cancelable_amount, 10_000);
    assert_eq!(admin.get_payment(&key).await.unwrap().cancels.len(), 2);
}

#[actix_web::test]
async fn a_cancel_the_acquirer_answers_late_is_pending_then_settles_and_a_refused_one_is_a_typed_502()
 {
    // A short cancel timeout: the outbox takes an unanswered cancel over sooner.
    let app = spawn_app_configured(&[("SIMPLEPG__ACQUIRER__CANCEL_TIMEOUT_MS", "300")]).await;
    let merchant = app.merchant().await;
    let client = app.client(&merchant);
    // …008: the acquirer answers the cancel 503 twice, then confirms it.
    let late = app.completed_payment(&merchant, "LATE-1", 15_008).await;
    // …007: the acquirer refuses every cancel.
    let refused = app.completed_payment(&merchant, "REFUSED-1", 15_007).await;

    let pending = client
        .cancel(
            &late,
            &CancelPayment::new("one item returned").with_amount(3_000),
        )
        .await
        .unwrap();
    let refusal = client
        .cancel(
            &refused,
            &CancelPayment::new("one item returned").with_amount(3_000),
        )
        .await
        .unwrap_err();
    let after_refusal = client.get_payment(&refused).await.unwrap();

    assert!(
        pending.is_pending(),
        "503 from the acquirer is a 202: {pending:?}"
    );
    let reserved = pending.latest_cancel().unwrap().clone();
    assert_eq!(
        (reserved.amount, reserved.status),
        (3_000, CancelStatus::Pending)
    );
    assert_eq!(pending.payment().status, PaymentStatus::Completed);
    assert_eq!(
        (
            pending.payment().canceled_amount,
            pending.payment().cancelable_amount
        ),
        (0, 12_008),
        "the pending amount is reserved"
    );
    assert_eq!(refusal.code(), Some(&ErrorCode::AcquirerError));
    assert_eq!(refusal.status(), Some(502));
    assert_eq!(after_refusal.status, PaymentStatus::Completed);
    assert_eq!(
        after_refusal.cancelable_amount, 15_007,
        "the refused amount is released"
    );
    let failed = &after_refusal.cancels[0];
    assert_eq!(
        (failed.amount, failed.status),
        (3_000, CancelStatus::Failed)
    );
    assert!(failed.failure_code.is_some(), "{failed:?}");

    let settled = crate::helpers::eventually("the pending cancel to settle", 3 * WAIT, || {
        let client = client.clone();
        let late = late.clone();
        async move {
            let p = client.get_payment(&late).await.map_err(|e| e.to_string())?;
            if p.status == PaymentStatus::PartialCanceled {
                Ok(p)
            } else {
                Err(format!("{:?} {:?}", p.status, p.cancels))
            }
        }
    })
    .await;
    assert_eq!(settled.cancels.len(), 1);
    assert_eq!(settled.cancels[0].cancel_id, reserved.cancel_id);
    assert_eq!(settled.cancels[0].status, CancelStatus::Succeeded);
    assert_eq!(
        (settled.canceled_amount, settled.cancelable_amount),
        (3_000, 12_008)
    );
}
