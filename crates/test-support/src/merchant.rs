//! A registered merchant's credentials.

use simplepg_client::{RequestSigner, SecretString};

/// A registered merchant with the secrets shown at registration.
#[derive(Clone, Debug)]
pub struct Merchant {
    pub client_id: String,
    pub client_secret: String,
    pub webhook_secret: String,
}

impl Merchant {
    /// The client crate's signer for this merchant's requests.
    pub fn signer(&self) -> RequestSigner {
        RequestSigner::new(
            self.client_id.as_str(),
            SecretString::from(self.client_secret.as_str()),
        )
    }
}
