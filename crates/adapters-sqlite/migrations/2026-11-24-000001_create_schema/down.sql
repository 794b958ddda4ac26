DROP TABLE idempotency_record;
DROP TABLE delivery_attempt;
DROP TABLE outbox_event;
DROP TABLE request_nonce;
DROP TABLE payment_log;
DROP TABLE payment;
DROP TABLE api_credential;
