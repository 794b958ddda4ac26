-- Settlement (api.md §12), in SQLite's dialect: the same columns, keys and checks as
-- migrations/2026-12-07-000001_settlement (see there for what each is for).
ALTER TABLE api_credential ADD COLUMN fee_rate_bps BIGINT NOT NULL DEFAULT 250
    CHECK (fee_rate_bps BETWEEN 0 AND 10000);
ALTER TABLE api_credential ADD COLUMN settlement_delay_days BIGINT NOT NULL DEFAULT 2
    CHECK (settlement_delay_days BETWEEN 0 AND 30);

CREATE INDEX ix_payment_completed ON payment (completed_at, client_id);
CREATE INDEX ix_payment_cancel_completed ON payment_cancel (completed_at);

CREATE TABLE settlement_batch (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    settlement_id   TEXT    NOT NULL,
    client_id       TEXT    NOT NULL REFERENCES api_credential (client_id),
    currency        TEXT    NOT NULL,
    settlement_date TEXT    NOT NULL,
    payout_date     TEXT    NOT NULL,
    fee_rate_bps    BIGINT  NOT NULL,
    gross           BIGINT  NOT NULL,
    fees            BIGINT  NOT NULL,
    net             BIGINT  NOT NULL,
    line_count      BIGINT  NOT NULL,
    created_at      TEXT    NOT NULL,
    CONSTRAINT uq_settlement_batch_id UNIQUE (settlement_id),
    CONSTRAINT uq_settlement_batch_day UNIQUE (client_id, currency, settlement_date),
    CONSTRAINT ck_settlement_batch_net CHECK (net = gross - fees)
);
CREATE INDEX ix_settlement_batch_date ON settlement_batch (settlement_date, seq);

CREATE TABLE settlement_line (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    settlement_id TEXT    NOT NULL REFERENCES settlement_batch (settlement_id),
    settles       TEXT    NOT NULL,
    payment_id    TEXT    NOT NULL,
    payment_key   TEXT    NOT NULL,
    order_no      TEXT    NOT NULL,
    line_type     TEXT    NOT NULL,
    cancel_id     TEXT    NULL,
    amount        BIGINT  NOT NULL,
    fee           BIGINT  NOT NULL,
    net           BIGINT  NOT NULL,
    occurred_at   TEXT    NOT NULL,
    CONSTRAINT uq_settlement_line_settles UNIQUE (settles),
    CONSTRAINT ck_settlement_line_type CHECK (line_type IN ('CAPTURE', 'CANCEL')),
    CONSTRAINT ck_settlement_line_net CHECK (net = amount - fee)
);
CREATE INDEX ix_settlement_line_batch ON settlement_line (settlement_id, occurred_at, seq);

CREATE TABLE settlement_run (
    settlement_date TEXT NOT NULL PRIMARY KEY,
    claimed_by      TEXT NULL,
    lease_until     TEXT NULL,
    finished_at     TEXT NULL
);
