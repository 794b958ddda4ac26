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

diesel::joinable!(payment -> api_credential (client_id));
diesel::joinable!(payment_log -> payment (payment_id));
diesel::allow_tables_to_appear_in_same_query!(api_credential, payment, payment_log, request_nonce);
