-- Reconciliation (api.md §12.3), in SQLite's dialect: the same columns, keys and checks as
-- migrations/2026-12-08-000001_reconciliation (see there for what each is for).
CREATE TABLE reconciliation (
    seq                 INTEGER PRIMARY KEY AUTOINCREMENT,
    reconciliation_id   TEXT   NOT NULL,
    reconciliation_date TEXT   NOT NULL,
    matched             BIGINT NOT NULL,
    discrepancy_count   BIGINT NOT NULL,
    created_at          TEXT   NOT NULL,
    created_by          TEXT   NOT NULL,
    CONSTRAINT uq_reconciliation_id UNIQUE (reconciliation_id)
);
CREATE INDEX ix_reconciliation_date ON reconciliation (reconciliation_date, seq);

CREATE TABLE reconciliation_item (
    seq               INTEGER PRIMARY KEY AUTOINCREMENT,
    reconciliation_id TEXT   NOT NULL REFERENCES reconciliation (reconciliation_id),
    kind              TEXT   NOT NULL,
    payment_key       TEXT   NOT NULL,
    client_id         TEXT   NULL,
    transaction_id    TEXT   NULL,
    line_type         TEXT   NOT NULL,
    simplepg_amount   BIGINT NULL,
    acquirer_amount   BIGINT NULL,
    occurred_at       TEXT   NOT NULL,
    CONSTRAINT ck_reconciliation_item_kind CHECK (kind IN
        ('AMOUNT_MISMATCH', 'MISSING_AT_ACQUIRER', 'MISSING_AT_SIMPLEPG')),
    CONSTRAINT ck_reconciliation_item_type CHECK (line_type IN ('CAPTURE', 'CANCEL'))
);
CREATE INDEX ix_reconciliation_item ON reconciliation_item (reconciliation_id, seq);

CREATE TABLE mock_acquirer_ledger (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    transaction_id TEXT   NOT NULL,
    payment_key    TEXT   NOT NULL,
    line_type      TEXT   NOT NULL,
    amount         BIGINT NOT NULL,
    payment_amount BIGINT NOT NULL,
    recorded_at    TEXT   NOT NULL,
    CONSTRAINT uq_mock_acquirer_ledger_tx UNIQUE (transaction_id),
    CONSTRAINT ck_mock_acquirer_ledger_type CHECK (line_type IN ('CAPTURE', 'CANCEL'))
);
CREATE INDEX ix_mock_acquirer_ledger_at ON mock_acquirer_ledger (recorded_at);
CREATE INDEX ix_mock_acquirer_ledger_payment ON mock_acquirer_ledger (payment_key, line_type);
