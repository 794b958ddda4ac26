-- Reconciliation (api.md §12.3):
-- * `reconciliation`: one row per run of a date against the acquirer's settlement file (a date
--   may be reconciled again; each run is kept). `matched` counts the lines that agreed.
-- * `reconciliation_item`: one row per discrepancy: `kind` AMOUNT_MISMATCH (both amounts),
--   MISSING_AT_ACQUIRER (SimplePG's line: client id, its amount) or MISSING_AT_SIMPLEPG (the
--   acquirer's line: its amount). Amounts are signed minor units (a cancel negative).
-- * `mock_acquirer_ledger`: the built-in mock acquirer's own books — every capture and cancel it
--   carried out, keyed by its transaction id (so a retried call records nothing twice), with
--   the payment's whole amount, which chooses the discrepancy scenario of its settlement file.
--   Shared by every instance and kept over restarts, as a real acquirer's books are.
CREATE TABLE reconciliation (
    seq                 BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    reconciliation_id   VARCHAR(40)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    reconciliation_date CHAR(10)     CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    matched             BIGINT       NOT NULL,
    discrepancy_count   BIGINT       NOT NULL,
    created_at          DATETIME(6)  NOT NULL,
    created_by          VARCHAR(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    CONSTRAINT pk_reconciliation PRIMARY KEY (seq),
    CONSTRAINT uq_reconciliation_id UNIQUE (reconciliation_id),
    INDEX ix_reconciliation_date (reconciliation_date, seq)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE reconciliation_item (
    seq               BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    reconciliation_id VARCHAR(40)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    kind              VARCHAR(24)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    payment_key       CHAR(64)     CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    client_id         VARCHAR(64)  CHARACTER SET ascii COLLATE ascii_bin NULL,
    transaction_id    VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NULL,
    line_type         VARCHAR(8)   CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    simplepg_amount   BIGINT       NULL,
    acquirer_amount   BIGINT       NULL,
    occurred_at       DATETIME(6)  NOT NULL,
    CONSTRAINT pk_reconciliation_item PRIMARY KEY (seq),
    CONSTRAINT fk_reconciliation_item FOREIGN KEY (reconciliation_id)
        REFERENCES reconciliation (reconciliation_id),
    CONSTRAINT ck_reconciliation_item_kind CHECK (kind IN
        ('AMOUNT_MISMATCH', 'MISSING_AT_ACQUIRER', 'MISSING_AT_SIMPLEPG')),
    CONSTRAINT ck_reconciliation_item_type CHECK (line_type IN ('CAPTURE', 'CANCEL')),
    INDEX ix_reconciliation_item (reconciliation_id, seq)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE mock_acquirer_ledger (
    seq            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    transaction_id VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    payment_key    CHAR(64)     CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    line_type      VARCHAR(8)   CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    amount         BIGINT       NOT NULL,
    payment_amount BIGINT       NOT NULL,
    recorded_at    DATETIME(6)  NOT NULL,
    CONSTRAINT pk_mock_acquirer_ledger PRIMARY KEY (seq),
    CONSTRAINT uq_mock_acquirer_ledger_tx UNIQUE (transaction_id),
    CONSTRAINT ck_mock_acquirer_ledger_type CHECK (line_type IN ('CAPTURE', 'CANCEL')),
    INDEX ix_mock_acquirer_ledger_at (recorded_at),
    INDEX ix_mock_acquirer_ledger_payment (payment_key, line_type)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
