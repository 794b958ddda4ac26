-- The whole schema of `migrations/` (MySQL) in SQLite's dialect, as one migration. Same tables,
-- columns, keys and checks; identifiers compare byte-wise (SQLite's default BINARY collation).
-- Instants are TEXT `YYYY-MM-DD HH:MM:SS.ffffff` in UTC (diesel's Timestamp), which sort correctly.
CREATE TABLE api_credential (
    client_id                           TEXT    NOT NULL PRIMARY KEY,
    client_name                         TEXT    NOT NULL,
    client_secret                       BLOB    NOT NULL,
    client_secret_key_version           BIGINT  NOT NULL,
    webhook_secret                      BLOB    NOT NULL,
    webhook_secret_key_version          BIGINT  NOT NULL,
    previous_webhook_secret             BLOB    NULL,
    previous_webhook_secret_key_version BIGINT  NULL,
    previous_webhook_secret_until       TEXT    NULL,
    return_url                          TEXT    NULL,
    status                              TEXT    NOT NULL CHECK (status IN ('ACTIVE', 'INACTIVE')),
    created_at                          TEXT    NOT NULL,
    updated_at                          TEXT    NOT NULL,
    CHECK ((previous_webhook_secret IS NULL
            AND previous_webhook_secret_key_version IS NULL
            AND previous_webhook_secret_until IS NULL)
        OR (previous_webhook_secret IS NOT NULL
            AND previous_webhook_secret_key_version IS NOT NULL
            AND previous_webhook_secret_until IS NOT NULL))
);

CREATE TABLE payment (
    payment_id      TEXT    NOT NULL PRIMARY KEY,
    payment_key     TEXT    NOT NULL,
    client_id       TEXT    NOT NULL REFERENCES api_credential (client_id),
    order_no        TEXT    NOT NULL,
    amount          BIGINT  NOT NULL CHECK (amount > 0),
    currency        TEXT    NOT NULL,
    method_code     TEXT    NOT NULL CHECK (method_code IN ('CARD', 'BANK', 'MOBILE')),
    status          TEXT    NOT NULL
        CHECK (status IN ('READY', 'APPROVED', 'COMPLETED', 'FAILED', 'CANCELED', 'EXPIRED')),
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
    CONSTRAINT uq_payment_key UNIQUE (payment_key),
    CONSTRAINT uq_payment_client_order UNIQUE (client_id, order_no)
);
CREATE INDEX ix_payment_client_id ON payment (client_id, payment_id);
CREATE INDEX ix_payment_status_expires ON payment (status, expires_at);
CREATE INDEX ix_payment_client_created ON payment (client_id, created_at);

CREATE TABLE payment_log (
    log_id       INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    payment_id   TEXT    NOT NULL REFERENCES payment (payment_id) ON DELETE CASCADE,
    action       TEXT    NOT NULL,
    from_status  TEXT    NULL CHECK (from_status IS NULL
        OR from_status IN ('READY', 'APPROVED', 'COMPLETED', 'FAILED', 'CANCELED', 'EXPIRED')),
    status       TEXT    NOT NULL
        CHECK (status IN ('READY', 'APPROVED', 'COMPLETED', 'FAILED', 'CANCELED', 'EXPIRED')),
    actor        TEXT    NOT NULL CHECK (actor IN ('MERCHANT', 'ACQUIRER', 'SYSTEM', 'ADMIN')),
    details      TEXT    NULL,
    request_id   TEXT    NULL,
    from_version BIGINT  NULL,
    created_at   TEXT    NOT NULL,
    CONSTRAINT uq_payment_log_transition UNIQUE (payment_id, from_version)
);
CREATE INDEX ix_payment_log_payment ON payment_log (payment_id, log_id);

CREATE TABLE request_nonce (
    client_id  TEXT NOT NULL,
    nonce      TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    PRIMARY KEY (client_id, nonce)
);
CREATE INDEX ix_request_nonce_expires_at ON request_nonce (expires_at);

CREATE TABLE outbox_event (
    seq             INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    event_id        TEXT    NOT NULL,
    kind            TEXT    NOT NULL CHECK (kind IN
        ('ACQUIRER_REQUEST', 'ACQUIRER_CANCEL', 'MERCHANT_NOTIFICATION', 'ACQUIRER_WEBHOOK')),
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
    CONSTRAINT uq_outbox_event_id UNIQUE (event_id)
);
CREATE INDEX ix_outbox_event_due ON outbox_event (state, next_attempt_at);
CREATE INDEX ix_outbox_event_payment_order ON outbox_event (payment_id, kind, state, seq);
CREATE INDEX ix_outbox_event_client ON outbox_event (client_id, seq);
CREATE INDEX ix_outbox_event_kind ON outbox_event (kind, seq);
CREATE INDEX ix_outbox_event_state ON outbox_event (state, seq);

CREATE TABLE delivery_attempt (
    id               INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    event_id         TEXT    NOT NULL REFERENCES outbox_event (event_id) ON DELETE CASCADE,
    attempt_no       BIGINT  NOT NULL,
    started_at       TEXT    NOT NULL,
    status_code      BIGINT  NULL,
    latency_ms       BIGINT  NOT NULL,
    error            TEXT    NULL,
    response_excerpt TEXT    NULL
);
CREATE INDEX ix_delivery_attempt_event ON delivery_attempt (event_id, id);

CREATE TABLE idempotency_record (
    client_id             TEXT   NOT NULL REFERENCES api_credential (client_id),
    idempotency_key       TEXT   NOT NULL,
    fingerprint           TEXT   NOT NULL,
    state                 TEXT   NOT NULL CHECK (state IN ('IN_FLIGHT', 'COMPLETED')),
    response_status       BIGINT NULL,
    response_content_type TEXT   NULL,
    response_location     TEXT   NULL,
    response_body         BLOB   NULL,
    lease_until           TEXT   NOT NULL,
    expires_at            TEXT   NOT NULL,
    created_at            TEXT   NOT NULL,
    updated_at            TEXT   NOT NULL,
    PRIMARY KEY (client_id, idempotency_key)
);
CREATE INDEX ix_idempotency_expires_at ON idempotency_record (expires_at);
