DROP TABLE mock_acquirer_ledger;
DROP TABLE reconciliation_item;
DROP TABLE reconciliation;
