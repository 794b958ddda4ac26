-- Settlement (api.md §12):
-- * each merchant's terms: `fee_rate_bps` (0..10000) and `settlement_delay_days` (0..30); a
--   merchant registered before this migration gets the defaults (2.5 %, 2 days).
-- * `settlement_batch`: one per merchant, currency and settlement date (unique: a second run
--   of a date creates nothing); immutable once its transaction commits. Dates are the
--   settlement time zone's calendar days, `YYYY-MM-DD`.
-- * `settlement_line`: one per movement settled. `settles` is what it settles — the payment id
--   of a capture, the cancel id of a cancel — and is unique, so a movement is settled at most
--   once whatever runs, instances or time-zone changes happen.
-- * `settlement_run`: the daily run's claim per date (exactly one instance runs a date while
--   its lease lasts) and when the date was finished.
-- * indexes for the day's movements: payments by `completed_at`, cancels by `completed_at`.
ALTER TABLE api_credential
    ADD COLUMN fee_rate_bps          INT NOT NULL DEFAULT 250,
    ADD COLUMN settlement_delay_days INT NOT NULL DEFAULT 2,
    ADD CONSTRAINT ck_api_credential_fee_rate CHECK (fee_rate_bps BETWEEN 0 AND 10000),
    ADD CONSTRAINT ck_api_credential_settlement_delay CHECK (settlement_delay_days BETWEEN 0 AND 30);

ALTER TABLE payment ADD INDEX ix_payment_completed (completed_at, client_id);
ALTER TABLE payment_cancel ADD INDEX ix_payment_cancel_completed (completed_at);

CREATE TABLE settlement_batch (
    seq             BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    settlement_id   VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    client_id       VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    currency        CHAR(3)     CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    settlement_date CHAR(10)    CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    payout_date     CHAR(10)    CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    fee_rate_bps    INT         NOT NULL,
    gross           BIGINT      NOT NULL,
    fees            BIGINT      NOT NULL,
    net             BIGINT      NOT NULL,
    line_count      BIGINT      NOT NULL,
    created_at      DATETIME(6) NOT NULL,
    CONSTRAINT pk_settlement_batch PRIMARY KEY (seq),
    CONSTRAINT uq_settlement_batch_id UNIQUE (settlement_id),
    CONSTRAINT uq_settlement_batch_day UNIQUE (client_id, currency, settlement_date),
    CONSTRAINT fk_settlement_batch_merchant FOREIGN KEY (client_id)
        REFERENCES api_credential (client_id),
    CONSTRAINT ck_settlement_batch_net CHECK (net = gross - fees),
    INDEX ix_settlement_batch_date (settlement_date, seq)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE settlement_line (
    seq           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    settlement_id VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    settles       VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    payment_id    CHAR(36)    CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    payment_key   CHAR(64)    CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    order_no      VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    line_type     VARCHAR(8)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    cancel_id     VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
    amount        BIGINT      NOT NULL,
    fee           BIGINT      NOT NULL,
    net           BIGINT      NOT NULL,
    occurred_at   DATETIME(6) NOT NULL,
    CONSTRAINT pk_settlement_line PRIMARY KEY (seq),
    CONSTRAINT uq_settlement_line_settles UNIQUE (settles),
    CONSTRAINT fk_settlement_line_batch FOREIGN KEY (settlement_id)
        REFERENCES settlement_batch (settlement_id),
    CONSTRAINT ck_settlement_line_type CHECK (line_type IN ('CAPTURE', 'CANCEL')),
    CONSTRAINT ck_settlement_line_net CHECK (net = amount - fee),
    INDEX ix_settlement_line_batch (settlement_id, occurred_at, seq)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE settlement_run (
    settlement_date CHAR(10)     CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    claimed_by      VARCHAR(128) NULL,
    lease_until     DATETIME(6)  NULL,
    finished_at     DATETIME(6)  NULL,
    CONSTRAINT pk_settlement_run PRIMARY KEY (settlement_date)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
