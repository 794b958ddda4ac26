//! The `api_credential` (merchant), `request_nonce` and `idempotency_record` rows.

use super::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = api_credential)]
pub struct MerchantRow {
    pub client_id: String,
    pub client_name: String,
    pub client_secret: Vec<u8>,
    pub client_secret_key_version: i64,
    pub webhook_secret: Vec<u8>,
    pub webhook_secret_key_version: i64,
    pub previous_webhook_secret: Option<Vec<u8>>,
    pub previous_webhook_secret_key_version: Option<i64>,
    pub previous_webhook_secret_until: Option<PrimitiveDateTime>,
    pub return_url: Option<String>,
    pub status: String,
    pub created_at: PrimitiveDateTime,
    pub updated_at: PrimitiveDateTime,
    pub previous_client_secret: Option<Vec<u8>>,
    pub previous_client_secret_key_version: Option<i64>,
    pub previous_client_secret_until: Option<PrimitiveDateTime>,
    pub version: i64,
    pub fee_rate_bps: i64,
    pub settlement_delay_days: i64,
}

impl From<&Merchant> for MerchantRow {
    fn from(m: &Merchant) -> Self {
        let prev = m.previous_webhook_secret.as_ref();
        let prev_client = m.previous_client_secret.as_ref();
        Self {
            client_id: m.client_id.as_str().to_owned(),
            client_name: m.client_name.as_str().to_owned(),
            client_secret: m.client_secret.ciphertext.clone(),
            client_secret_key_version: i64::from(m.client_secret.key_version),
            webhook_secret: m.webhook_secret.ciphertext.clone(),
            webhook_secret_key_version: i64::from(m.webhook_secret.key_version),
            previous_webhook_secret: prev.map(|p| p.secret.ciphertext.clone()),
            previous_webhook_secret_key_version: prev.map(|p| i64::from(p.secret.key_version)),
            previous_webhook_secret_until: prev.map(|p| to_db_time(p.until)),
            return_url: m.return_url.as_ref().map(|u| u.as_str().to_owned()),
            status: m.status.as_str().to_owned(),
            created_at: to_db_time(m.created_at),
            updated_at: to_db_time(m.updated_at),
            previous_client_secret: prev_client.map(|p| p.secret.ciphertext.clone()),
            previous_client_secret_key_version: prev_client
                .map(|p| i64::from(p.secret.key_version)),
            previous_client_secret_until: prev_client.map(|p| to_db_time(p.until)),
            // The domain's versions start at 0 and grow by one per change: far below i64::MAX.
            version: i64::try_from(m.version).unwrap_or(i64::MAX),
            fee_rate_bps: i64::from(m.terms.fee_rate.bps()),
            settlement_delay_days: i64::from(m.terms.delay.days()),
        }
    }
}

/// The sealed secrets of a merchant and their key versions, as one changeset (`None` writes
/// `NULL`: no previous webhook secret any more).
#[derive(Debug, Clone, Copy, AsChangeset)]
#[diesel(table_name = api_credential, treat_none_as_null = true)]
pub struct SealedSecretsChange<'a> {
    pub client_secret: &'a [u8],
    pub client_secret_key_version: i64,
    pub webhook_secret: &'a [u8],
    pub webhook_secret_key_version: i64,
    pub previous_webhook_secret: Option<&'a [u8]>,
    pub previous_webhook_secret_key_version: Option<i64>,
    pub previous_client_secret: Option<&'a [u8]>,
    pub previous_client_secret_key_version: Option<i64>,
}

impl MerchantRow {
    pub fn sealed_secrets(&self) -> SealedSecretsChange<'_> {
        SealedSecretsChange {
            client_secret: &self.client_secret,
            client_secret_key_version: self.client_secret_key_version,
            webhook_secret: &self.webhook_secret,
            webhook_secret_key_version: self.webhook_secret_key_version,
            previous_webhook_secret: self.previous_webhook_secret.as_deref(),
            previous_webhook_secret_key_version: self.previous_webhook_secret_key_version,
            previous_client_secret: self.previous_client_secret.as_deref(),
            previous_client_secret_key_version: self.previous_client_secret_key_version,
        }
    }
}

impl TryFrom<MerchantRow> for Merchant {
    type Error = RepositoryError;

    fn try_from(r: MerchantRow) -> Result<Self, Self::Error> {
        const T: &str = "api_credential";
        let k = r.client_id.as_str();
        let c = Cells { table: T, key: k };
        let status = MerchantStatus::parse(&r.status)
            .ok_or_else(|| corrupt(T, k, format_args!("unknown status {:?}", r.status)))?;
        let previous =
            |name: &str, ciphertext, key_version, until| match (ciphertext, key_version, until) {
                (None, None, None) => Ok(None),
                (Some(ciphertext), Some(key_version), Some(until)) => Ok(Some(PreviousSecret {
                    secret: SealedSecret {
                        key_version: c.int(&format!("{name}_key_version"), key_version)?,
                        ciphertext,
                    },
                    until: from_db_time(until),
                })),
                _ => Err(corrupt(
                    T,
                    k,
                    format_args!("{name} columns are only partly set"),
                )),
            };
        let previous_webhook_secret = previous(
            "previous_webhook_secret",
            r.previous_webhook_secret,
            r.previous_webhook_secret_key_version,
            r.previous_webhook_secret_until,
        )?;
        let previous_client_secret = previous(
            "previous_client_secret",
            r.previous_client_secret,
            r.previous_client_secret_key_version,
            r.previous_client_secret_until,
        )?;
        Ok(Merchant {
            client_id: c.col("client_id", ClientId::parse(k))?,
            client_name: c.col("client_name", ClientName::parse(&r.client_name))?,
            client_secret: SealedSecret {
                key_version: c.int("client_secret_key_version", r.client_secret_key_version)?,
                ciphertext: r.client_secret,
            },
            webhook_secret: SealedSecret {
                key_version: c.int("webhook_secret_key_version", r.webhook_secret_key_version)?,
                ciphertext: r.webhook_secret,
            },
            previous_client_secret,
            previous_webhook_secret,
            return_url: c.opt("return_url", r.return_url, ReturnUrl::parse)?,
            status,
            terms: domain::settlement::SettlementTerms {
                fee_rate: c.col(
                    "fee_rate_bps",
                    domain::settlement::FeeRate::from_bps(r.fee_rate_bps),
                )?,
                delay: c.col(
                    "settlement_delay_days",
                    domain::settlement::SettlementDelay::from_days(r.settlement_delay_days),
                )?,
            },
            created_at: from_db_time(r.created_at),
            updated_at: from_db_time(r.updated_at),
            version: c.int("version", r.version)?,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// request_nonce

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = request_nonce)]
pub struct NonceRow<'a> {
    pub client_id: &'a str,
    pub nonce: &'a str,
    pub expires_at: PrimitiveDateTime,
}

impl<'a> NonceRow<'a> {
    pub fn new(client: &'a ClientId, nonce: &'a Nonce, expires_at: Timestamp) -> Self {
        Self {
            client_id: client.as_str(),
            nonce: nonce.as_str(),
            expires_at: to_db_time(expires_at),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// idempotency_record

/// What a claim re-reads of an existing idempotency record.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = idempotency_record)]
pub struct IdempotencyRow {
    pub fingerprint: String,
    pub state: String,
    pub response_status: Option<i64>,
    pub response_content_type: Option<String>,
    pub response_location: Option<String>,
    pub response_body: Option<Vec<u8>>,
    pub lease_until: PrimitiveDateTime,
    pub expires_at: PrimitiveDateTime,
}

// ---------------------------------------------------------------------------------------------
// outbox_event
