-- Money movement (api.md §9), in SQLite's dialect: the same tables, columns, checks and backfill
-- as migrations/2026-12-05-000001_money_movement (see there for what each part is for). The
-- tables whose CHECK constraints change (payment, payment_log, outbox_event) are rebuilt and
-- copied row for row, ids kept, inside one transaction with foreign keys off.
PRAGMA foreign_keys = OFF;
BEGIN;

CREATE TABLE payment_new (
    payment_id      TEXT    NOT NULL PRIMARY KEY,
    payment_key     TEXT    NOT NULL,
    client_id       TEXT    NOT NULL REFERENCES api_credential (client_id),
    order_no        TEXT    NOT NULL,
    amount          BIGINT  NOT NULL CHECK (amount > 0),
    currency        TEXT    NOT NULL,
    method_code     TEXT    NOT NULL CHECK (method_code IN ('CARD', 'BANK', 'MOBILE')),
    status          TEXT    NOT NULL CHECK (status IN
        ('READY', 'APPROVED', 'COMPLETED', 'PARTIAL_CANCELED', 'FAILED', 'CANCELED', 'EXPIRED')),
    product_name    TEXT    NULL,
    customer_name   TEXT    NULL,
    transaction_id  TEXT    NULL,
    failure_code    TEXT    NULL,
    failure_message TEXT    NULL,
    cancel_reason   TEXT    NULL,
    version         BIGINT  NOT NULL DEFAULT 0,
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL,
    approved_at     TEXT    NULL,
    completed_at    TEXT    NULL,
    canceled_at     TEXT    NULL,
    failed_at       TEXT    NULL,
    expires_at      TEXT    NOT NULL,
    canceled_amount BIGINT  NOT NULL DEFAULT 0,
    authorization_expires_at TEXT NULL,
    CONSTRAINT uq_payment_key UNIQUE (payment_key),
    CONSTRAINT uq_payment_client_order UNIQUE (client_id, order_no)
);
INSERT INTO payment_new (payment_id, payment_key, client_id, order_no, amount, currency,
    method_code, status, product_name, customer_name, transaction_id, failure_code,
    failure_message, cancel_reason, version, created_at, updated_at, approved_at, completed_at,
    canceled_at, failed_at, expires_at, canceled_amount, authorization_expires_at)
SELECT payment_id, payment_key, client_id, order_no, amount, currency,
    method_code, status, product_name, customer_name, transaction_id, failure_code,
    failure_message, cancel_reason, version, created_at, updated_at, approved_at, completed_at,
    canceled_at, failed_at, expires_at,
    CASE WHEN status = 'CANCELED' THEN amount ELSE 0 END,
    -- The date moves 7 days, the time of day is kept as written: the deadline is spelled like
    -- every stored instant (diesel: no fraction on a whole second, no trailing zeros), so it
    -- compares right as text. strftime would respell it (`.000`, milliseconds rounded).
    CASE WHEN status = 'APPROVED' AND approved_at IS NOT NULL
         THEN date(substr(approved_at, 1, 10), '+7 days') || substr(approved_at, 11)
         ELSE NULL END
FROM payment;
DROP TABLE payment;
ALTER TABLE payment_new RENAME TO payment;
CREATE INDEX ix_payment_client_id ON payment (client_id, payment_id);
CREATE INDEX ix_payment_status_expires ON payment (status, expires_at);
CREATE INDEX ix_payment_client_created ON payment (client_id, created_at);
CREATE INDEX ix_payment_status_authorization ON payment (status, authorization_expires_at);

CREATE TABLE payment_log_new (
    log_id       INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    payment_id   TEXT    NOT NULL REFERENCES payment (payment_id) ON DELETE CASCADE,
    action       TEXT    NOT NULL,
    from_status  TEXT    NULL CHECK (from_status IS NULL OR from_status IN
        ('READY', 'APPROVED', 'COMPLETED', 'PARTIAL_CANCELED', 'FAILED', 'CANCELED', 'EXPIRED')),
    status       TEXT    NOT NULL CHECK (status IN
        ('READY', 'APPROVED', 'COMPLETED', 'PARTIAL_CANCELED', 'FAILED', 'CANCELED', 'EXPIRED')),
    actor        TEXT    NOT NULL CHECK (actor IN ('MERCHANT', 'ACQUIRER', 'SYSTEM', 'ADMIN')),
    details      TEXT    NULL,
    request_id   TEXT    NULL,
    from_version BIGINT  NULL,
    created_at   TEXT    NOT NULL,
    CONSTRAINT uq_payment_log_transition UNIQUE (payment_id, from_version)
);
INSERT INTO payment_log_new (log_id, payment_id, action, from_status, status, actor, details,
    request_id, from_version, created_at)
SELECT log_id, payment_id, action, from_status, status, actor, details,
    request_id, from_version, created_at
FROM payment_log;
DROP TABLE payment_log;
ALTER TABLE payment_log_new RENAME TO payment_log;
CREATE INDEX ix_payment_log_payment ON payment_log (payment_id, log_id);

CREATE TABLE outbox_event_new (
    seq             INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    event_id        TEXT    NOT NULL,
    kind            TEXT    NOT NULL CHECK (kind IN ('ACQUIRER_REQUEST', 'ACQUIRER_CANCEL',
        'ACQUIRER_CAPTURE', 'MERCHANT_NOTIFICATION', 'ACQUIRER_WEBHOOK')),
    payment_id      TEXT    NULL REFERENCES payment (payment_id) ON DELETE CASCADE,
    client_id       TEXT    NULL,
    event_type      TEXT    NULL,
    target_url      TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    state           TEXT    NOT NULL CHECK (state IN ('PENDING', 'DELIVERED', 'DEAD')),
    attempts        BIGINT  NOT NULL DEFAULT 0,
    not_before      TEXT    NOT NULL,
    next_attempt_at TEXT    NOT NULL,
    lease_until     TEXT    NULL,
    last_error      TEXT    NULL,
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL,
    cancel_id       TEXT    NULL,
    CONSTRAINT uq_outbox_event_id UNIQUE (event_id)
);
INSERT INTO outbox_event_new (seq, event_id, kind, payment_id, client_id, event_type, target_url,
    payload, state, attempts, not_before, next_attempt_at, lease_until, last_error, created_at,
    updated_at)
SELECT seq, event_id, kind, payment_id, client_id, event_type, target_url,
    payload, state, attempts, not_before, next_attempt_at, lease_until, last_error, created_at,
    updated_at
FROM outbox_event;
DROP TABLE outbox_event;
ALTER TABLE outbox_event_new RENAME TO outbox_event;
CREATE INDEX ix_outbox_event_due ON outbox_event (state, next_attempt_at);
CREATE INDEX ix_outbox_event_payment_order ON outbox_event (payment_id, kind, state, seq);
CREATE INDEX ix_outbox_event_client ON outbox_event (client_id, seq);
CREATE INDEX ix_outbox_event_kind ON outbox_event (kind, seq);
CREATE INDEX ix_outbox_event_state ON outbox_event (state, seq);

CREATE TABLE payment_cancel (
    seq                     INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    cancel_id               TEXT    NOT NULL,
    payment_id              TEXT    NOT NULL REFERENCES payment (payment_id) ON DELETE CASCADE,
    amount                  BIGINT  NOT NULL CHECK (amount > 0),
    reason                  TEXT    NOT NULL,
    status                  TEXT    NOT NULL CHECK (status IN ('PENDING', 'SUCCEEDED', 'FAILED')),
    acquirer_transaction_id TEXT    NULL,
    failure_code            TEXT    NULL,
    failure_message         TEXT    NULL,
    requested_at            TEXT    NOT NULL,
    completed_at            TEXT    NULL,
    CONSTRAINT uq_payment_cancel_id UNIQUE (cancel_id)
);
CREATE INDEX ix_payment_cancel_payment ON payment_cancel (payment_id, seq);
CREATE INDEX ix_payment_cancel_status ON payment_cancel (status, requested_at);

INSERT INTO payment_cancel (cancel_id, payment_id, amount, reason, status, requested_at,
    completed_at)
SELECT 'cnl_' || replace(payment_id, '-', ''), payment_id, amount,
    COALESCE(cancel_reason, 'canceled'), 'SUCCEEDED',
    COALESCE(canceled_at, updated_at), COALESCE(canceled_at, updated_at)
FROM payment
WHERE status = 'CANCELED';

COMMIT;
PRAGMA foreign_keys = ON;
