-- A merchant's captures of one day in one currency (the settlement's capture pages): without it
-- the first page of each merchant read all its payments through ix_payment_client_id, a cost
-- that grew with every settled day (docs/benchmarks.md, settlement with history).
ALTER TABLE payment ADD INDEX ix_payment_client_currency_completed (client_id, currency, completed_at);
