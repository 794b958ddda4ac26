-- See migrations/2026-12-08-000002_settlement_index.
CREATE INDEX ix_payment_client_currency_completed ON payment (client_id, currency, completed_at);
