//! The one diesel schema of both storage adapters, in backend-neutral SQL types. Each adapter
//! keeps its own migrations (MySQL: `migrations/`, SQLite: `crates/adapters-sqlite/migrations/`);
//! the contract suite round-trips every column on both, so a mismatch fails a test.
//!
//! How the neutral types read and bind on MySQL (checked in diesel 2.3's `mysql/types`):
//! `Text` is what `Varchar`, `Char` and `Mediumtext` alias; `Binary` is what `Varbinary` and
//! `Blob` alias; `Timestamp` binds and reads a `DATETIME(6)` through the same `MysqlTime` as
//! `Datetime`; `BigInt` reads every integer column, signed or not (`INT UNSIGNED`,
//! `SMALLINT UNSIGNED`, `BIGINT UNSIGNED`), through `numeric_value()` widening, and binds as a
//! signed `BIGINT`, which the server converts on insert and compares exactly. `Bool` is MySQL's
//! `BOOLEAN` (`TINYINT(1)`) and SQLite's 0/1 integer.

diesel::table! {
    use diesel::sql_types::*;

    api_credential (client_id) {
        client_id -> Text,
        client_name -> Text,
        client_secret -> Binary,
        client_secret_key_version -> BigInt,
        webhook_secret -> Binary,
        webhook_secret_key_version -> BigInt,
        previous_webhook_secret -> Nullable<Binary>,
        previous_webhook_secret_key_version -> Nullable<BigInt>,
        previous_webhook_secret_until -> Nullable<Timestamp>,
        return_url -> Nullable<Text>,
        status -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        previous_client_secret -> Nullable<Binary>,
        previous_client_secret_key_version -> Nullable<BigInt>,
        previous_client_secret_until -> Nullable<Timestamp>,
        version -> BigInt,
        fee_rate_bps -> BigInt,
        settlement_delay_days -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;

    payment (payment_id) {
        payment_id -> Text,
        payment_key -> Text,
        client_id -> Text,
        order_no -> Text,
        amount -> BigInt,
        currency -> Text,
        method_code -> Text,
        status -> Text,
        product_name -> Nullable<Text>,
        customer_name -> Nullable<Text>,
        transaction_id -> Nullable<Text>,
        failure_code -> Nullable<Text>,
        failure_message -> Nullable<Text>,
        cancel_reason -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        approved_at -> Nullable<Timestamp>,
        completed_at -> Nullable<Timestamp>,
        canceled_at -> Nullable<Timestamp>,
        failed_at -> Nullable<Timestamp>,
        expires_at -> Timestamp,
        canceled_amount -> BigInt,
        authorization_expires_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    use diesel::sql_types::*;

    payment_cancel (seq) {
        seq -> BigInt,
        cancel_id -> Text,
        payment_id -> Text,
        amount -> BigInt,
        reason -> Text,
        status -> Text,
        acquirer_transaction_id -> Nullable<Text>,
        failure_code -> Nullable<Text>,
        failure_message -> Nullable<Text>,
        requested_at -> Timestamp,
        completed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    use diesel::sql_types::*;

    payment_log (log_id) {
        log_id -> BigInt,
        payment_id -> Text,
        action -> Text,
        from_status -> Nullable<Text>,
        status -> Text,
        actor -> Text,
        details -> Nullable<Text>,
        request_id -> Nullable<Text>,
        from_version -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;

    request_nonce (client_id, nonce) {
        client_id -> Text,
        nonce -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;

    outbox_event (seq) {
        seq -> BigInt,
        event_id -> Text,
        kind -> Text,
        payment_id -> Nullable<Text>,
        client_id -> Nullable<Text>,
        event_type -> Nullable<Text>,
        target_url -> Text,
        payload -> Text,
        state -> Text,
        attempts -> BigInt,
        not_before -> Timestamp,
        next_attempt_at -> Timestamp,
        lease_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        cancel_id -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;

    delivery_attempt (id) {
        id -> BigInt,
        event_id -> Text,
        attempt_no -> BigInt,
        started_at -> Timestamp,
        status_code -> Nullable<BigInt>,
        latency_ms -> BigInt,
        error -> Nullable<Text>,
        response_excerpt -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;

    operator_user (user_id) {
        user_id -> Text,
        email -> Text,
        role -> Text,
        client_id -> Nullable<Text>,
        password_hash -> Text,
        disabled -> Bool,
        failed_logins -> BigInt,
        locked_until -> Nullable<Timestamp>,
        totp_state -> Text,
        totp_key_version -> Nullable<BigInt>,
        totp_ciphertext -> Nullable<Binary>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
        totp_used_step -> Nullable<BigInt>,
    }
}

diesel::table! {
    use diesel::sql_types::*;

    operator_session (token_hash) {
        token_hash -> Text,
        user_id -> Text,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    use diesel::sql_types::*;

    operator_audit (audit_id) {
        audit_id -> BigInt,
        at -> Timestamp,
        actor -> Text,
        role -> Nullable<Text>,
        action -> Text,
        target -> Nullable<Text>,
        outcome -> Text,
        ip -> Nullable<Text>,
        request_id -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;

    settlement_batch (seq) {
        seq -> BigInt,
        settlement_id -> Text,
        client_id -> Text,
        currency -> Text,
        settlement_date -> Text,
        payout_date -> Text,
        fee_rate_bps -> BigInt,
        gross -> BigInt,
        fees -> BigInt,
        net -> BigInt,
        line_count -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;

    settlement_line (seq) {
        seq -> BigInt,
        settlement_id -> Text,
        settles -> Text,
        payment_id -> Text,
        payment_key -> Text,
        order_no -> Text,
        line_type -> Text,
        cancel_id -> Nullable<Text>,
        amount -> BigInt,
        fee -> BigInt,
        net -> BigInt,
        occurred_at -> Timestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;

    settlement_run (settlement_date) {
        settlement_date -> Text,
        claimed_by -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        finished_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    use diesel::sql_types::*;

    reconciliation (seq) {
        seq -> BigInt,
        reconciliation_id -> Text,
        reconciliation_date -> Text,
        matched -> BigInt,
        discrepancy_count -> BigInt,
        created_at -> Timestamp,
        created_by -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;

    reconciliation_item (seq) {
        seq -> BigInt,
        reconciliation_id -> Text,
        kind -> Text,
        payment_key -> Text,
        client_id -> Nullable<Text>,
        transaction_id -> Nullable<Text>,
        line_type -> Text,
        simplepg_amount -> Nullable<BigInt>,
        acquirer_amount -> Nullable<BigInt>,
        occurred_at -> Timestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;

    mock_acquirer_ledger (seq) {
        seq -> BigInt,
        transaction_id -> Text,
        payment_key -> Text,
        line_type -> Text,
        amount -> BigInt,
        payment_amount -> BigInt,
        recorded_at -> Timestamp,
    }
}

diesel::joinable!(payment -> api_credential (client_id));
diesel::joinable!(payment_log -> payment (payment_id));
diesel::joinable!(payment_cancel -> payment (payment_id));
diesel::joinable!(outbox_event -> payment (payment_id));
diesel::joinable!(operator_user -> api_credential (client_id));
diesel::joinable!(operator_session -> operator_user (user_id));
diesel::allow_tables_to_appear_in_same_query!(
    api_credential,
    payment,
    payment_cancel,
    payment_log,
    request_nonce,
    outbox_event,
    delivery_attempt,
    operator_user,
    operator_session,
    operator_audit,
    settlement_batch,
    settlement_line,
    settlement_run,
    reconciliation,
    reconciliation_item,
    mock_acquirer_ledger
);

diesel::table! {
    use diesel::sql_types::*;

    idempotency_record (client_id, idempotency_key) {
        client_id -> Text,
        idempotency_key -> Text,
        fingerprint -> Text,
        state -> Text,
        response_status -> Nullable<BigInt>,
        response_content_type -> Nullable<Text>,
        response_location -> Nullable<Text>,
        response_body -> Nullable<Binary>,
        lease_until -> Timestamp,
        expires_at -> Timestamp,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}
