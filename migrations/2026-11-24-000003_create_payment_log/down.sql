DROP TABLE IF EXISTS payment_log;
