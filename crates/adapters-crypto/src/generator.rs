use base64::{
    Engine,
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
};
use domain::{
    ids::{ClientId, EventId, PaymentId, PaymentKey},
    payment::CancelId,
    ports::KeyGenerator,
    secret::Secret,
    signing::WebhookKey,
};
use ring::rand::{SecureRandom, SystemRandom};
use uuid::Uuid;

/// Ids and secrets from the operating system's CSPRNG.
pub struct RandomKeyGenerator {
    rng: SystemRandom,
}

impl Default for RandomKeyGenerator {
    fn default() -> Self {
        Self::new()
    }
}

impl RandomKeyGenerator {
    pub fn new() -> Self {
        Self {
            rng: SystemRandom::new(),
        }
    }

    fn bytes<const N: usize>(&self) -> [u8; N] {
        fill(&self.rng)
    }
}

/// `N` bytes from the operating system's CSPRNG.
pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    fill(&SystemRandom::new())
}

fn fill<const N: usize>(rng: &SystemRandom) -> [u8; N] {
    let mut buf = [0u8; N];
    if rng.fill(&mut buf).is_err() {
        // The OS generator does not fail on supported platforms; if it ever does, refusing
        // to continue beats issuing a predictable secret.
        std::process::abort();
    }
    buf
}

impl KeyGenerator for RandomKeyGenerator {
    fn payment_id(&self) -> PaymentId {
        PaymentId::from_uuid(Uuid::now_v7())
    }

    fn payment_key(&self) -> PaymentKey {
        PaymentKey::from_bytes(self.bytes::<32>())
    }

    fn event_id(&self) -> EventId {
        EventId::from_uuid(Uuid::now_v7())
    }

    fn cancel_id(&self) -> CancelId {
        CancelId::from_uuid(Uuid::now_v7())
    }

    fn settlement_id(&self) -> domain::settlement::SettlementId {
        domain::settlement::SettlementId::from_uuid(Uuid::now_v7())
    }

    fn reconciliation_id(&self) -> domain::reconciliation::ReconciliationId {
        domain::reconciliation::ReconciliationId::from_uuid(Uuid::now_v7())
    }

    fn client_id(&self) -> ClientId {
        ClientId::from_uuid(Uuid::now_v7())
    }

    fn client_secret(&self) -> Secret {
        Secret::new(format!("sk_{}", URL_SAFE_NO_PAD.encode(self.bytes::<32>())))
    }

    fn webhook_secret(&self) -> Secret {
        Secret::new(format!(
            "{}{}",
            WebhookKey::PREFIX,
            STANDARD.encode(self.bytes::<32>())
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_values_are_well_formed_and_distinct() {
        let g = RandomKeyGenerator::new();
        assert_ne!(g.payment_key(), g.payment_key());
        let s = g.client_secret();
        assert!(s.expose().starts_with("sk_") && s.expose().len() == 46);
        assert!(WebhookKey::parse(g.webhook_secret().expose()).is_ok());
        assert!(ClientId::parse(g.client_id().as_str()).is_ok());
        assert!(g.payment_id() < g.payment_id() || cfg!(miri));
    }
}
