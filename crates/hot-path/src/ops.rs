//! The measured ops: each prepared once (its request signed, its payment in the store), then run
//! any number of times, each run doing exactly what one request does on the CPU outside the
//! database and the network.

use actix_web::{
    HttpRequest, HttpResponse,
    body::MessageBody,
    http::{StatusCode, header},
    test::TestRequest,
};
use adapters_crypto::{Argon2Params, Argon2PasswordHasher};
use adapters_http::{JsonPayloadEncoder, hot_path};
use domain::{
    ids::{RequestId, TransactionId},
    outbox::{AttemptOutcome, ClaimedMessage, NextStep, OutboxKind},
    payment::{
        AcquirerReport, AuditAction, Payment, PaymentStatus, ReportedOutcome, TransitionKind,
    },
    people::{Password, PasswordHash},
    ports::{Destination, PasswordCheck, PasswordHasher, PayloadEncoder},
    services::auth::Deferred,
    signing::CanonicalRequest,
};
use serde_json::Value;

use crate::{ACQUIRER_RETURN_URL, MERCHANT_RETURN_URL, World, block_on};

/// One hot path.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Op {
    Create,
    Webhook,
    Sign,
    Login,
}

impl Op {
    pub const ALL: [Self; 4] = [Self::Create, Self::Webhook, Self::Sign, Self::Login];

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.name() == raw)
    }

    pub const fn name(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Webhook => "webhook",
            Self::Sign => "sign",
            Self::Login => "login",
        }
    }
}

/// A create body as a merchant's backend sends it (every field, a realistic length).
pub const CREATE_BODY: &str = r#"{"orderNo":"ORDER-20261124-000123","amount":15000,"currency":"KRW","methodCode":"CARD","productName":"Coffee beans, Ethiopia Yirgacheffe 1 kg","customerName":"Kim Minji"}"#;
const NONCE: &str = "5f0c2a9e8b7d4c3a1e6f9b2d";
const TRANSACTION_ID: &str = "TX-20261124-7f3a9c01";

fn json(bytes: &[u8], what: &str) -> Result<Value, String> {
    serde_json::from_slice(bytes).map_err(|e| format!("{what} is not JSON: {e}"))
}

fn body_of(response: HttpResponse, what: &str) -> Result<Vec<u8>, String> {
    response
        .into_body()
        .try_into_bytes()
        .map(|b| b.to_vec())
        .map_err(|_| format!("{what}: the body is not in memory"))
}

fn expect(ok: bool, what: impl FnOnce() -> String) -> Result<(), String> {
    if ok { Ok(()) } else { Err(what()) }
}

fn request_id() -> Option<RequestId> {
    Some(RequestId::from_uuid(uuid::Uuid::now_v7()))
}

/// `POST /api/payments`, signed by the world's merchant.
pub struct CreateOp {
    req: HttpRequest,
    body: Vec<u8>,
}

/// What a create answered.
pub struct Created {
    pub payment: Payment,
    pub response: HttpResponse,
}

impl CreateOp {
    /// The request signed with the merchant's client secret.
    pub fn new(world: &World) -> Result<Self, String> {
        Self::signed_with(world, &world.client_secret)
    }

    /// The request signed with `secret` (another secret: a forgery, refused).
    pub fn signed_with(world: &World, secret: &str) -> Result<Self, String> {
        let timestamp = world.now.unix_millis().to_string();
        let signature = CanonicalRequest {
            method: "POST",
            path: "/api/payments",
            query: "",
            timestamp: &timestamp,
            nonce: NONCE,
            body: CREATE_BODY.as_bytes(),
        }
        .sign(secret.as_bytes());
        let req = TestRequest::post()
            .uri("/api/payments")
            .insert_header((header::CONTENT_TYPE, "application/json"))
            .insert_header(("X-Client-Id", world.merchant.client_id.as_str()))
            .insert_header(("X-Timestamp", timestamp))
            .insert_header(("X-Nonce", NONCE))
            .insert_header(("X-Signature", signature))
            .to_http_request();
        Ok(Self {
            req,
            body: CREATE_BODY.as_bytes().to_vec(),
        })
    }

    pub fn run(&self, world: &World) -> Result<Created, String> {
        let signed = hot_path::signed_request(&self.req, &self.body);
        let Deferred { merchant, nonce } = block_on(world.auth.authenticate_deferred(signed))?
            .map_err(|e| format!("signature: {e}"))?;
        let command =
            hot_path::create_request(&self.req, &self.body).map_err(|e| format!("body: {e}"))?;
        let payment = block_on(world.payments.create(
            &merchant.client_id,
            command,
            request_id(),
            Some(&nonce),
        ))?
        .map_err(|e| format!("create: {e}"))?;
        let response = hot_path::created(&payment);
        Ok(Created { payment, response })
    }
}

impl Created {
    /// Everything a create must have done: 201 with `Location` and the READY payment, which
    /// parses back; one insert of the payment with its CREATE audit row, its acquirer request
    /// (JSON naming the payment) and the request's nonce.
    pub fn check(self, world: &World) -> Result<(), String> {
        let Self { payment, response } = self;
        let key = payment.key.as_str().to_owned();
        expect(response.status() == StatusCode::CREATED, || {
            format!("create answered {}", response.status())
        })?;
        let location = response
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        expect(
            location.as_deref() == Some(&format!("/api/payments/{key}")),
            || format!("Location {location:?}"),
        )?;
        let body = json(&body_of(response, "create")?, "the 201 body")?;
        expect(
            body["paymentKey"] == key.as_str()
                && body["status"] == "READY"
                && body["amount"] == 15000
                && body["orderNo"] == "ORDER-20261124-000123"
                && body["clientId"] == world.merchant.client_id.as_str(),
            || format!("201 body {body}"),
        )?;
        let inserted = world
            .store
            .inserted
            .get()
            .ok_or("the create stored nothing")?;
        expect(inserted.payment == payment, || {
            "the stored payment is not the one answered".to_owned()
        })?;
        expect(
            payment.status == PaymentStatus::Ready
                && inserted.audit.action == AuditAction::Create
                && inserted.audit.status == PaymentStatus::Ready,
            || {
                format!(
                    "stored {:?} with audit {:?}",
                    payment.status, inserted.audit
                )
            },
        )?;
        expect(
            inserted
                .nonce
                .as_ref()
                .is_some_and(|n| n.client == world.merchant.client_id && n.nonce.as_str() == NONCE),
            || format!("nonce {:?}", inserted.nonce),
        )?;
        let [request] = inserted.events.as_slice() else {
            return Err(format!("{} outbox messages, not 1", inserted.events.len()));
        };
        expect(request.kind == OutboxKind::AcquirerRequest, || {
            format!("outbox message {:?}", request.kind)
        })?;
        let payload = json(request.payload.as_bytes(), "the acquirer request")?;
        expect(
            payload["paymentKey"] == key.as_str()
                && payload["amount"] == 15000
                && payload["returnUrl"] == ACQUIRER_RETURN_URL,
            || format!("acquirer request {payload}"),
        )
    }
}

/// `POST /api/webhook/payment`: the acquirer approves the payment the set-up created.
pub struct WebhookOp {
    req: HttpRequest,
    body: Vec<u8>,
}

/// What an acquirer webhook answered.
pub struct WebhookAnswered {
    pub response: HttpResponse,
}

impl WebhookOp {
    /// The approval of `payment`, encoded and signed as the acquirer (the built-in mock) sends
    /// it.
    pub fn new(world: &World, payment: &Payment) -> Result<Self, String> {
        let report = AcquirerReport {
            payment_key: payment.key.clone(),
            transaction_id: TransactionId::parse(TRANSACTION_ID).map_err(|e| e.to_string())?,
            amount: payment.amount.minor_units(),
            outcome: ReportedOutcome::Approved,
        };
        let body = JsonPayloadEncoder.acquirer_webhook(&report, world.now);
        let id = format!("evt_{}", uuid::Uuid::now_v7().simple());
        let timestamp = world.now.unix_seconds();
        let signature = world.acquirer_key.sign(&id, timestamp, body.as_bytes());
        let req = TestRequest::post()
            .uri("/api/webhook/payment")
            .insert_header((header::CONTENT_TYPE, "application/json"))
            .insert_header(("webhook-id", id))
            .insert_header(("webhook-timestamp", timestamp.to_string()))
            .insert_header(("webhook-signature", signature))
            .to_http_request();
        Ok(Self {
            req,
            body: body.into_bytes(),
        })
    }

    pub fn run(&self, world: &World) -> Result<WebhookAnswered, String> {
        hot_path::verify_acquirer_webhook(&self.req, &self.body, &world.webhooks)
            .map_err(|e| format!("signature: {e}"))?;
        let report =
            hot_path::acquirer_report(&self.req, &self.body).map_err(|e| format!("body: {e}"))?;
        let outcome = block_on(world.payments.apply_acquirer_report(report, request_id()))?;
        let response = hot_path::webhook_answer(outcome).map_err(|e| format!("apply: {e}"))?;
        Ok(WebhookAnswered { response })
    }
}

impl WebhookAnswered {
    /// Everything an approval must have done: 200 `APPLIED` with the APPROVED payment, which
    /// parses back; one compare-and-set from version 0 with its APPROVE audit row and the
    /// merchant's `payment.approved` notification.
    pub fn check(self, world: &World) -> Result<(), String> {
        let response = self.response;
        expect(response.status() == StatusCode::OK, || {
            format!("webhook answered {}", response.status())
        })?;
        let body = json(&body_of(response, "webhook")?, "the webhook answer")?;
        expect(
            body["result"] == "APPLIED"
                && body["payment"]["status"] == "APPROVED"
                && body["payment"]["transactionId"] == TRANSACTION_ID,
            || format!("webhook answer {body}"),
        )?;
        let change = world
            .store
            .changed
            .get()
            .ok_or("the webhook changed nothing")?;
        expect(
            change.expected_version == 0
                && change.next.status == PaymentStatus::Approved
                && change.audit.action == AuditAction::Transition(TransitionKind::Approve),
            || {
                format!(
                    "change {:?} with audit {:?}",
                    change.next.status, change.audit
                )
            },
        )?;
        let [notification] = change.events.as_slice() else {
            return Err(format!("{} outbox messages, not 1", change.events.len()));
        };
        expect(
            notification.kind == OutboxKind::MerchantNotification
                && notification.event_type.as_deref() == Some("payment.approved")
                && notification.target_url == MERCHANT_RETURN_URL,
            || format!("notification {notification:?}"),
        )?;
        let payload = json(notification.payload.as_bytes(), "the notification")?;
        expect(
            payload["type"] == "payment.approved" && payload["data"]["status"] == "APPROVED",
            || format!("notification {payload}"),
        )
    }
}

/// One merchant notification, claimed by the dispatcher and delivered.
pub struct SignOp {
    claimed: ClaimedMessage,
}

/// What one delivery did.
pub struct Delivered {
    pub outcome: AttemptOutcome,
}

impl SignOp {
    /// The `payment.approved` notification `approval`'s change queued.
    pub fn new(world: &World, approval: &WebhookAnswered) -> Result<Self, String> {
        expect(approval.response.status() == StatusCode::OK, || {
            "the approval failed".to_owned()
        })?;
        let change = world
            .store
            .changed
            .get()
            .ok_or("keep the approval's change to sign its notification")?;
        let message = change
            .events
            .into_iter()
            .find(|m| m.kind == OutboxKind::MerchantNotification)
            .ok_or("the approval queued no notification")?;
        Ok(Self {
            claimed: ClaimedMessage {
                message,
                attempts: 0,
                lease_until: world.now,
            },
        })
    }

    /// The delivery (the claimed row cloned, as a store would decode it for each claim).
    pub fn run(&self, world: &World) -> Result<Delivered, String> {
        let outcome = block_on(world.dispatcher.deliver(self.claimed.clone()))?
            .map_err(|e| format!("deliver: {e}"))?;
        Ok(Delivered { outcome })
    }
}

impl Delivered {
    /// Everything a delivery must have done: one POST of the notification to the merchant's
    /// `returnUrl` with Standard Webhooks headers that verify with the merchant's webhook key,
    /// and the attempt recorded as delivered.
    pub fn check(self, world: &World, op: &SignOp) -> Result<(), String> {
        expect(
            self.outcome.step == NextStep::Delivered && self.outcome.attempt_no == 1,
            || format!("delivery {:?}", self.outcome),
        )?;
        let sent = world.sender.sent.get().ok_or("nothing was sent")?;
        let message = &op.claimed.message;
        expect(
            sent.destination == Destination::Merchant
                && sent.url == MERCHANT_RETURN_URL
                && sent.body == message.payload,
            || format!("sent {} to {}", sent.body, sent.url),
        )?;
        let header = |name: &str| {
            sent.headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        let id = message.id.to_string();
        let timestamp = world.now.unix_seconds();
        let timestamp_text = timestamp.to_string();
        expect(
            header("webhook-id") == Some(id.as_str())
                && header("webhook-timestamp") == Some(timestamp_text.as_str()),
            || format!("headers {:?}", sent.headers),
        )?;
        let signature = header("webhook-signature").ok_or("no webhook-signature")?;
        expect(
            world
                .merchant_webhook_key
                .verify(&id, timestamp, sent.body.as_bytes(), signature),
            || format!("webhook-signature {signature} does not verify"),
        )?;
        let (attempt, step) = world
            .outbox
            .finished
            .get()
            .ok_or("the attempt was not recorded")?;
        expect(
            step == NextStep::Delivered && attempt.event_id == message.id,
            || format!("recorded {step:?} for {}", attempt.event_id),
        )
    }
}

/// One login's password check: Argon2id at the server's configured cost.
pub struct LoginOp {
    hasher: Argon2PasswordHasher,
    password: Password,
    hash: PasswordHash,
}

impl LoginOp {
    /// A hasher at `params` and a password hashed with it, as an account stores it.
    pub fn new(params: Argon2Params) -> Result<Self, String> {
        let hasher = Argon2PasswordHasher::new(params).map_err(|e| e.to_string())?;
        let password = Password::attempt("correct horse battery staple");
        let hash = block_on(hasher.hash(&password))?.map_err(|e| e.to_string())?;
        Ok(Self {
            hasher,
            password,
            hash,
        })
    }

    /// The server's configured cost (`auth.argon2_*` of config/default.toml).
    pub fn configured() -> Result<Self, String> {
        Self::new(Argon2Params::OWASP)
    }

    pub fn params(&self) -> Argon2Params {
        self.hasher.params()
    }

    /// Verifies `attempt` (the account's password when `None`).
    pub fn run(&self, attempt: Option<&Password>) -> Result<PasswordCheck, String> {
        block_on(
            self.hasher
                .verify(attempt.unwrap_or(&self.password), &self.hash),
        )
    }
}

/// An op ready to run: its world set up and one run made and checked in full, so a count can
/// never be of an early error path.
pub enum Prepared {
    Create(World, CreateOp),
    Webhook(World, WebhookOp),
    Sign(World, SignOp),
    Login(LoginOp),
}

impl Prepared {
    pub fn new(op: Op) -> Result<Self, String> {
        if op == Op::Login {
            let login = LoginOp::configured()?;
            let check = login.run(None)?;
            expect(check == PasswordCheck::Matches { rehash: false }, || {
                format!("login: {check:?}")
            })?;
            return Ok(Self::Login(login));
        }
        let world = World::new()?;
        world.keep(true);
        let create = CreateOp::new(&world)?;
        let created = create.run(&world)?;
        let payment = created.payment.clone();
        created.check(&world)?;
        if op == Op::Create {
            world.keep(false);
            return Ok(Self::Create(world, create));
        }
        world.store.store(payment.clone());
        let webhook = WebhookOp::new(&world, &payment)?;
        let approved = webhook.run(&world)?;
        if op == Op::Webhook {
            approved.check(&world)?;
            world.keep(false);
            return Ok(Self::Webhook(world, webhook));
        }
        let sign = SignOp::new(&world, &approved)?;
        sign.run(&world)?.check(&world, &sign)?;
        world.keep(false);
        Ok(Self::Sign(world, sign))
    }

    /// One more run; an error if it did not end as the checked run did.
    pub fn run(&self) -> Result<(), String> {
        match self {
            Self::Create(world, op) => {
                let created = op.run(world)?;
                expect(created.response.status() == StatusCode::CREATED, || {
                    format!("create answered {}", created.response.status())
                })
            }
            Self::Webhook(world, op) => {
                let answered = op.run(world)?;
                expect(answered.response.status() == StatusCode::OK, || {
                    format!("webhook answered {}", answered.response.status())
                })
            }
            Self::Sign(world, op) => {
                let delivered = op.run(world)?;
                expect(delivered.outcome.step == NextStep::Delivered, || {
                    format!("delivery {:?}", delivered.outcome)
                })
            }
            Self::Login(op) => {
                let check = op.run(None)?;
                expect(check == PasswordCheck::Matches { rehash: false }, || {
                    format!("login: {check:?}")
                })
            }
        }
    }
}
