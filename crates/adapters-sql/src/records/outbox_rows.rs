//! The `outbox_event` and `delivery_attempt` rows.

use super::*;

/// The longest `last_error` / `delivery_attempt.error` stored (MySQL: `VARCHAR(1024)`), in
/// characters.
pub const MAX_ERROR_CHARS: usize = 1024;
/// The longest response excerpt stored: the sender keeps it to 1 KiB, which is at most this
/// many characters; anything longer is cut here rather than refused.
pub const MAX_EXCERPT_CHARS: usize = 1024;

/// `s` cut to at most `max` characters (never inside a character).
pub fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((end, _)) => s[..end].to_owned(),
        None => s.to_owned(),
    }
}

/// An event id as stored: the hyphenated lower-case UUID (`evt_<hex>` is only its public
/// spelling).
pub fn event_key(id: &EventId) -> String {
    id.as_uuid().hyphenated().to_string()
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = outbox_event)]
pub struct NewOutboxRow {
    pub event_id: String,
    pub kind: &'static str,
    pub payment_id: Option<String>,
    pub client_id: Option<String>,
    pub event_type: Option<String>,
    pub target_url: String,
    pub payload: String,
    pub state: &'static str,
    pub attempts: i64,
    pub not_before: PrimitiveDateTime,
    pub next_attempt_at: PrimitiveDateTime,
    pub created_at: PrimitiveDateTime,
    pub updated_at: PrimitiveDateTime,
    pub cancel_id: Option<String>,
}

impl From<&OutboxMessage> for NewOutboxRow {
    /// A new message is PENDING with no attempts, first due at `not_before`.
    fn from(m: &OutboxMessage) -> Self {
        Self {
            event_id: event_key(&m.id),
            kind: m.kind.as_str(),
            payment_id: m.payment_id.map(|p| p.to_string()),
            client_id: m.client_id.as_ref().map(|c| c.as_str().to_owned()),
            event_type: m.event_type.clone(),
            target_url: m.target_url.clone(),
            payload: m.payload.clone(),
            state: DeliveryState::Pending.as_str(),
            attempts: 0,
            not_before: to_db_time(m.not_before),
            next_attempt_at: to_db_time(m.not_before),
            created_at: to_db_time(m.created_at),
            updated_at: to_db_time(m.created_at),
            cancel_id: m.cancel_id.as_ref().map(|c| c.as_str().to_owned()),
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbox_event)]
pub struct OutboxRow {
    pub seq: i64,
    pub event_id: String,
    pub kind: String,
    pub payment_id: Option<String>,
    pub client_id: Option<String>,
    pub event_type: Option<String>,
    pub target_url: String,
    pub payload: String,
    pub state: String,
    pub attempts: i64,
    pub not_before: PrimitiveDateTime,
    pub next_attempt_at: PrimitiveDateTime,
    pub last_error: Option<String>,
    pub created_at: PrimitiveDateTime,
    pub updated_at: PrimitiveDateTime,
    pub cancel_id: Option<String>,
}

const OUTBOX: &str = "outbox_event";

impl OutboxRow {
    /// The message as it was enqueued.
    pub fn message(&self) -> Result<OutboxMessage, RepositoryError> {
        let k = self.event_id.as_str();
        let c = Cells {
            table: OUTBOX,
            key: k,
        };
        let kind = OutboxKind::parse(&self.kind)
            .ok_or_else(|| corrupt(OUTBOX, k, format_args!("unknown kind {:?}", self.kind)))?;
        Ok(OutboxMessage {
            id: c.col("event_id", EventId::parse(k))?,
            kind,
            payment_id: c.opt("payment_id", self.payment_id.as_deref(), PaymentId::parse)?,
            client_id: c.opt("client_id", self.client_id.as_deref(), ClientId::parse)?,
            event_type: self.event_type.clone(),
            target_url: self.target_url.clone(),
            payload: self.payload.clone(),
            created_at: from_db_time(self.created_at),
            not_before: from_db_time(self.not_before),
            cancel_id: c.opt("cancel_id", self.cancel_id.as_deref(), CancelId::parse)?,
        })
    }

    /// How many attempts have been recorded.
    pub fn attempts(&self) -> Result<u32, RepositoryError> {
        Cells {
            table: OUTBOX,
            key: &self.event_id,
        }
        .int("attempts", self.attempts)
    }

    pub fn state(&self) -> Result<DeliveryState, RepositoryError> {
        DeliveryState::parse(&self.state).ok_or_else(|| {
            corrupt(
                OUTBOX,
                &self.event_id,
                format_args!("unknown state {:?}", self.state),
            )
        })
    }

    /// The operator view, with `attempts` (oldest first). `next_attempt_at` is only set while
    /// the message is PENDING: a finished message has no next attempt.
    pub fn into_delivery(
        self,
        attempts: Vec<DeliveryAttempt>,
    ) -> Result<Delivery, RepositoryError> {
        let message = self.message()?;
        let state = self.state()?;
        Ok(Delivery {
            message,
            state,
            attempts,
            next_attempt_at: (state == DeliveryState::Pending)
                .then(|| from_db_time(self.next_attempt_at)),
            last_error: self.last_error,
            updated_at: from_db_time(self.updated_at),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// delivery_attempt

/// An attempt as written; read back inside [`AttemptRow`].
#[derive(Debug, Clone, Insertable, Queryable, Selectable)]
#[diesel(table_name = delivery_attempt)]
pub struct NewAttemptRow {
    pub event_id: String,
    pub attempt_no: i64,
    pub started_at: PrimitiveDateTime,
    pub status_code: Option<i64>,
    pub latency_ms: i64,
    pub error: Option<String>,
    pub response_excerpt: Option<String>,
}

impl From<&DeliveryAttempt> for NewAttemptRow {
    /// Latency in whole milliseconds (saturating); the error and excerpt cut to what the columns
    /// hold. `retry_after` is not stored.
    fn from(a: &DeliveryAttempt) -> Self {
        let r = &a.report;
        Self {
            event_id: event_key(&a.event_id),
            attempt_no: i64::from(a.attempt_no),
            started_at: to_db_time(a.started_at),
            status_code: r.status.map(i64::from),
            latency_ms: i64::try_from(r.latency.as_millis()).unwrap_or(i64::MAX),
            error: r
                .error
                .as_deref()
                .map(|e| truncate_chars(e, MAX_ERROR_CHARS)),
            response_excerpt: r
                .excerpt
                .as_deref()
                .map(|e| truncate_chars(e, MAX_EXCERPT_CHARS)),
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = delivery_attempt)]
pub struct AttemptRow {
    pub id: i64,
    #[diesel(embed)]
    pub attempt: NewAttemptRow,
}

impl TryFrom<AttemptRow> for DeliveryAttempt {
    type Error = RepositoryError;

    fn try_from(r: AttemptRow) -> Result<Self, Self::Error> {
        const T: &str = "delivery_attempt";
        let k = r.id.to_string();
        let c = Cells { table: T, key: &k };
        let r = r.attempt;
        Ok(DeliveryAttempt {
            event_id: c.col("event_id", EventId::parse(&r.event_id))?,
            attempt_no: c.int("attempt_no", r.attempt_no)?,
            started_at: from_db_time(r.started_at),
            report: SendReport {
                status: c.opt_int("status_code", r.status_code)?,
                latency: Duration::from_millis(c.int("latency_ms", r.latency_ms)?),
                error: r.error,
                excerpt: r.response_excerpt,
                retry_after: None,
            },
        })
    }
}
