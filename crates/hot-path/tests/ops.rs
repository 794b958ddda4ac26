//! Each op, run once, did the real thing (so `scripts/instructions` never counts an early error
//! path), and a forged request is refused (so the signature check really runs).

use hot_path::{CreateOp, LoginOp, Op, Prepared, SignOp, WebhookOp, World};

use adapters_crypto::Argon2Params;
use domain::{people::Password, ports::PasswordCheck};

#[test]
fn a_create_verifies_its_signature_stores_a_ready_payment_and_answers_201() {
    let world = World::new().unwrap();
    world.keep(true);
    let op = CreateOp::new(&world).unwrap();
    op.run(&world).unwrap().check(&world).unwrap();
    // Again: the measured loop runs the same request many times.
    op.run(&world).unwrap().check(&world).unwrap();
}

#[test]
fn a_forged_create_is_refused_before_anything_is_stored() {
    let world = World::new().unwrap();
    world.keep(true);
    let forged = CreateOp::signed_with(&world, "sk_not_the_merchants_secret").unwrap();
    let err = forged.run(&world).err().unwrap();
    assert!(err.starts_with("signature:"), "{err}");
    assert!(world.store.inserted.get().is_none());
}

#[test]
fn an_approval_is_verified_applied_once_and_notifies_the_merchant() {
    let world = World::new().unwrap();
    world.keep(true);
    let created = CreateOp::new(&world).unwrap().run(&world).unwrap();
    world.store.store(created.payment.clone());
    let webhook = WebhookOp::new(&world, &created.payment).unwrap();
    webhook.run(&world).unwrap().check(&world).unwrap();
    // The store answers the READY payment again, so every run applies the approval anew.
    webhook.run(&world).unwrap().check(&world).unwrap();
}

#[test]
fn a_notification_is_delivered_with_a_signature_the_merchant_can_verify() {
    let world = World::new().unwrap();
    world.keep(true);
    let created = CreateOp::new(&world).unwrap().run(&world).unwrap();
    world.store.store(created.payment.clone());
    let approved = WebhookOp::new(&world, &created.payment)
        .unwrap()
        .run(&world)
        .unwrap();
    let sign = SignOp::new(&world, &approved).unwrap();
    sign.run(&world).unwrap().check(&world, &sign).unwrap();
}

#[test]
fn a_login_check_accepts_the_password_and_refuses_another() {
    // Cheap parameters: the check is the same code at any cost.
    let login = LoginOp::new(Argon2Params {
        memory_kib: 1024,
        iterations: 1,
        parallelism: 1,
    })
    .unwrap();
    assert_eq!(
        login.run(None).unwrap(),
        PasswordCheck::Matches { rehash: false }
    );
    assert_eq!(
        login
            .run(Some(&Password::attempt("not the password at all")))
            .unwrap(),
        PasswordCheck::Mismatch
    );
}

#[test]
fn the_login_op_measures_the_configured_argon2_cost() {
    let default_toml = include_str!("../../../config/default.toml");
    let value = |key: &str| -> u32 {
        default_toml
            .lines()
            .find_map(|l| {
                l.strip_prefix(key)?
                    .trim()
                    .strip_prefix('=')?
                    .trim()
                    .parse()
                    .ok()
            })
            .unwrap_or_else(|| panic!("{key} in config/default.toml"))
    };
    let configured = Argon2Params {
        memory_kib: value("argon2_memory_kib"),
        iterations: value("argon2_iterations"),
        parallelism: value("argon2_parallelism"),
    };
    assert_eq!(configured, Argon2Params::OWASP);
}

#[test]
fn every_op_prepares_with_its_full_check_and_runs_again() {
    for op in [Op::Create, Op::Webhook, Op::Sign] {
        let prepared = Prepared::new(op).unwrap_or_else(|e| panic!("{op:?}: {e}"));
        prepared.run().unwrap_or_else(|e| panic!("{op:?}: {e}"));
    }
}
