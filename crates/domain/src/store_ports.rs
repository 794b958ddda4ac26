//! The bundle of every storage port, declared once: what a storage adapter provides and the
//! composition root wires. Outside `ports` so that `ports` needs nothing from the modules whose
//! ports it does not declare (the idempotency store's port lives with its use case).

use std::sync::Arc;

use crate::{
    idempotency::IdempotencyStore,
    ports::{
        AcquirerLedger, MerchantStore, NonceStore, OperatorReads, OutboxStore, PaymentStore,
        ReconciliationStore, SettlementStore, StoreHealth,
    },
};

/// Every storage port on one database: what a storage adapter provides and the composition root
/// wires (declared once, here).
#[derive(Clone)]
pub struct StorePorts {
    pub payments: Arc<dyn PaymentStore>,
    pub merchants: Arc<dyn MerchantStore>,
    pub nonces: Arc<dyn NonceStore>,
    pub outbox: Arc<dyn OutboxStore>,
    pub idempotency: Arc<dyn IdempotencyStore>,
    /// The read side: statistics, the live feed, deliveries, the backlog.
    pub reads: Arc<dyn OperatorReads>,
    pub health: Arc<dyn StoreHealth>,
    /// Settlement batches, their lines and the daily run's claims (api.md §12).
    pub settlements: Arc<dyn SettlementStore>,
    /// SimplePG's movements of a day and the stored reconciliations (api.md §12.3).
    pub reconciliations: Arc<dyn ReconciliationStore>,
    /// The built-in mock acquirer's books (what it captured and canceled).
    pub acquirer_ledger: Arc<dyn AcquirerLedger>,
}
