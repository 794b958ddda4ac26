//! Diesel table definitions, written by hand to match `migrations/` (the schema's only source of
//! truth). The contract tests round-trip every column, so a mismatch fails a test.

diesel::table! {
    use diesel::sql_types::*;

    api_credential (client_id) {
        client_id -> Varchar,
        client_name -> Varchar,
        client_secret -> Varbinary,
        client_secret_key_version -> Unsigned<Integer>,
        webhook_secret -> Varbinary,
        webhook_secret_key_version -> Unsigned<Integer>,
        previous_webhook_secret -> Nullable<Varbinary>,
        previous_webhook_secret_key_version -> Nullable<Unsigned<Integer>>,
        previous_webhook_secret_until -> Nullable<Datetime>,
        return_url -> Nullable<Varchar>,
        status -> Varchar,
        created_at -> Datetime,
        updated_at -> Datetime,
    }
}

diesel::table! {
    use diesel::sql_types::*;

    payment (payment_id) {
        payment_id -> Char,
        payment_key -> Char,
        client_id -> Varchar,
        order_no -> Varchar,
        amount -> BigInt,
        currency -> Char,
        method_code -> Varchar,
        status -> Varchar,
        product_name -> Nullable<Varchar>,
        customer_name -> Nullable<Varchar>,
        transaction_id -> Nullable<Varchar>,
        failure_code -> Nullable<Varchar>,
        failure_message -> Nullable<Varchar>,
        cancel_reason -> Nullable<Varchar>,
        version -> Unsigned<Integer>,
        created_at -> Datetime,
        updated_at -> Datetime,
        approved_at -> Nullable<Datetime>,
        completed_at -> Nullable<Datetime>,
        canceled_at -> Nullable<Datetime>,
        failed_at -> Nullable<Datetime>,
        expires_at -> Datetime,
    }
}

diesel::table! {
    use diesel::sql_types::*;

    payment_log (log_id) {
        log_id -> Unsigned<BigInt>,
        payment_id -> Char,
        action -> Varchar,
        from_status -> Nullable<Varchar>,
        status -> Varchar,
        actor -> Varchar,
        details -> Nullable<Varchar>,
        request_id -> Nullable<Varchar>,
        from_version -> Nullable<Unsigned<Integer>>,
        created_at -> Datetime,
    }
}

diesel::table! {
    use diesel::sql_types::*;

    request_nonce (client_id, nonce) {
        client_id -> Varchar,
        nonce -> Varchar,
        expires_at -> Datetime,
    }
}

diesel::table! {
    use diesel::sql_types::*;

    outbox_event (seq) {
        seq -> Unsigned<BigInt>,
        event_id -> Char,
        kind -> Varchar,
        payment_id -> Nullable<Char>,
        client_id -> Nullable<Varchar>,
        event_type -> Nullable<Varchar>,
        target_url -> Varchar,
        payload -> Mediumtext,
        state -> Varchar,
        attempts -> Unsigned<Integer>,
        not_before -> Datetime,
        next_attempt_at -> Datetime,
        lease_until -> Nullable<Datetime>,
        last_error -> Nullable<Varchar>,
        created_at -> Datetime,
        updated_at -> Datetime,
    }
}

diesel::table! {
    use diesel::sql_types::*;

    delivery_attempt (id) {
        id -> Unsigned<BigInt>,
        event_id -> Char,
        attempt_no -> Unsigned<Integer>,
        started_at -> Datetime,
        status_code -> Nullable<Unsigned<SmallInt>>,
        latency_ms -> Unsigned<Integer>,
        error -> Nullable<Varchar>,
        response_excerpt -> Nullable<Text>,
    }
}

diesel::joinable!(payment -> api_credential (client_id));
diesel::joinable!(payment_log -> payment (payment_id));
diesel::joinable!(outbox_event -> payment (payment_id));
diesel::allow_tables_to_appear_in_same_query!(
    api_credential,
    payment,
    payment_log,
    request_nonce,
    outbox_event,
    delivery_attempt
);

diesel::table! {
    use diesel::sql_types::*;

    idempotency_record (client_id, idempotency_key) {
        client_id -> Varchar,
        idempotency_key -> Varchar,
        fingerprint -> Char,
        state -> Varchar,
        response_status -> Nullable<Unsigned<SmallInt>>,
        response_content_type -> Nullable<Varchar>,
        response_location -> Nullable<Varchar>,
        response_body -> Nullable<Blob>,
        lease_until -> Datetime,
        expires_at -> Datetime,
        created_at -> Datetime,
        updated_at -> Datetime,
    }
}
