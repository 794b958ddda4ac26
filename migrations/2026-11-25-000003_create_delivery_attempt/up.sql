-- One row per delivery attempt of an outbox message, kept for operators. `attempt_no` restarts
-- at 1 after a manual redelivery, so it is not unique per event: `id` orders the attempts.
CREATE TABLE delivery_attempt (
    id               BIGINT UNSIGNED   NOT NULL AUTO_INCREMENT,
    event_id         CHAR(36)          CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    attempt_no       INT UNSIGNED      NOT NULL,
    started_at       DATETIME(6)       NOT NULL,
    status_code      SMALLINT UNSIGNED NULL,
    latency_ms       INT UNSIGNED      NOT NULL,
    error            VARCHAR(1024)     NULL,
    response_excerpt TEXT              NULL,
    CONSTRAINT pk_delivery_attempt PRIMARY KEY (id),
    CONSTRAINT fk_delivery_attempt_event FOREIGN KEY (event_id)
        REFERENCES outbox_event (event_id) ON DELETE CASCADE,
    INDEX ix_delivery_attempt_event (event_id, id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
