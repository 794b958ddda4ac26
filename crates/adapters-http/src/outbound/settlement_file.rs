//! [`AcquirerFiles`] over HTTPS: `GET {settlement_file_url}?date=YYYY-MM-DD`, signed like every
//! server → acquirer call (Standard Webhooks headers with the acquirer secret, the signed
//! content being the query string), the answer read as the CSV of api.md §12.3
//! (`transactionId,paymentKey,type,amount,at`, a header row, RFC 4180) with the `csv` crate.

use std::time::Duration;

use async_trait::async_trait;
use domain::{
    Timestamp,
    ids::{PaymentKey, TransactionId},
    ports::{AcquirerFileError, AcquirerFiles, Clock, KeyGenerator},
    reconciliation::AcquirerLine,
    services::outbound::signed_headers,
    settlement::{LineType, SettlementDate},
    signing::WebhookKey,
};
use reqwest::Client;
use std::sync::Arc;

/// The columns of a settlement file, in order.
const HEADER: [&str; 5] = ["transactionId", "paymentKey", "type", "amount", "at"];

/// The largest file read (a day of a busy acquirer is far smaller).
const MAX_BYTES: usize = 256 * 1024 * 1024;

/// Fetches the acquirer's settlement files.
pub struct SettlementFileClient {
    client: Client,
    url: String,
    key: WebhookKey,
    timeout: Duration,
    keys: Arc<dyn KeyGenerator>,
    clock: Arc<dyn Clock>,
}

impl super::HttpsSender {
    /// A client of the acquirer's settlement files at `url`, on the acquirer's TLS client.
    pub fn settlement_files(
        &self,
        url: String,
        key: WebhookKey,
        timeout: Duration,
        keys: Arc<dyn KeyGenerator>,
        clock: Arc<dyn Clock>,
    ) -> SettlementFileClient {
        SettlementFileClient {
            client: self.acquirer.clone(),
            url,
            key,
            timeout,
            keys,
            clock,
        }
    }
}

#[async_trait]
impl AcquirerFiles for SettlementFileClient {
    async fn settlement_file(
        &self,
        date: SettlementDate,
    ) -> Result<Vec<AcquirerLine>, AcquirerFileError> {
        let query = format!("date={date}");
        let id = self.keys.event_id().to_string();
        let headers = signed_headers(
            std::slice::from_ref(&self.key),
            &id,
            self.clock.now().unix_seconds(),
            &query,
        );
        let mut request = self
            .client
            .get(format!("{}?{query}", self.url))
            .timeout(self.timeout);
        for (name, value) in headers.iter().filter(|(n, _)| n != "content-type") {
            request = request.header(name.as_str(), value.as_str());
        }
        let response = request
            .send()
            .await
            .map_err(|e| AcquirerFileError::Unavailable(super::failure::describe(&e)))?;
        let status = response.status();
        if !status.is_success() {
            return Err(AcquirerFileError::Unavailable(format!(
                "{} answered HTTP {}",
                self.url,
                status.as_u16()
            )));
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| AcquirerFileError::Unavailable(super::failure::describe(&e)))?;
        if body.len() > MAX_BYTES {
            return Err(AcquirerFileError::Malformed(format!(
                "larger than {MAX_BYTES} bytes"
            )));
        }
        parse(&body)
    }
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Row {
    transaction_id: String,
    payment_key: String,
    #[serde(rename = "type")]
    line_type: String,
    amount: i64,
    at: String,
}

/// The lines of a settlement file; the first line that is not one names the file malformed.
pub fn parse(body: &[u8]) -> Result<Vec<AcquirerLine>, AcquirerFileError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(body);
    let header = reader
        .headers()
        .map_err(|e| AcquirerFileError::Malformed(format!("header: {e}")))?;
    if header.iter().ne(HEADER) {
        return Err(AcquirerFileError::Malformed(format!(
            "the header must be {}",
            HEADER.join(",")
        )));
    }
    let mut lines = Vec::new();
    for (i, row) in reader.deserialize::<Row>().enumerate() {
        let n = i + 2;
        let bad = |what: String| AcquirerFileError::Malformed(format!("line {n}: {what}"));
        let row = row.map_err(|e| bad(e.to_string()))?;
        let transaction_id = TransactionId::parse(&row.transaction_id)
            .map_err(|e| bad(format!("transactionId {e}")))?;
        let payment_key =
            PaymentKey::parse(&row.payment_key).map_err(|e| bad(format!("paymentKey {e}")))?;
        let line_type = LineType::parse(&row.line_type)
            .ok_or_else(|| bad("type must be CAPTURE or CANCEL".into()))?;
        let at = Timestamp::parse_rfc3339(&row.at).map_err(|e| bad(format!("at {e}")))?;
        let line = AcquirerLine::new(transaction_id, payment_key, line_type, row.amount, at)
            .map_err(|e| bad(e.to_string()))?;
        lines.push(line);
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "1111111111111111111111111111111111111111111111111111111111111111";

    #[test]
    fn a_file_is_read_line_by_line_with_quoting_and_signs() {
        let file = format!(
            "transactionId,paymentKey,type,amount,at\r\n\
             mtx_1,{KEY},CAPTURE,15000,2026-12-06T01:02:03.456Z\r\n\
             \"mcx,quoted\",{KEY},CANCEL,-5000,2026-12-06T02:00:00Z\r\n"
        );
        let lines = parse(file.as_bytes()).unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].amount, 15_000);
        assert_eq!(lines[1].transaction_id.as_str(), "mcx,quoted");
        assert_eq!(lines[1].line_type, LineType::Cancel);
    }

    #[test]
    fn an_empty_day_is_a_header_alone() {
        assert!(
            parse(b"transactionId,paymentKey,type,amount,at\n")
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn a_file_that_is_not_a_settlement_file_is_refused_naming_the_line() {
        for (file, says) in [
            ("id,key\n".to_owned(), "header"),
            (
                format!("transactionId,paymentKey,type,amount,at\nmtx_1,{KEY},REFUND,1,2026-12-06T00:00:00Z\n"),
                "line 2: type",
            ),
            (
                format!("transactionId,paymentKey,type,amount,at\nmtx_1,{KEY},CAPTURE,-1,2026-12-06T00:00:00Z\n"),
                "line 2: amount",
            ),
            (
                "transactionId,paymentKey,type,amount,at\nmtx_1,nokey,CAPTURE,1,2026-12-06T00:00:00Z\n".to_owned(),
                "line 2: paymentKey",
            ),
            (
                format!("transactionId,paymentKey,type,amount,at\nmtx_1,{KEY},CAPTURE,1.5,2026-12-06T00:00:00Z\n"),
                "line 2",
            ),
        ] {
            let err = parse(file.as_bytes()).unwrap_err().to_string();
            assert!(err.contains(says), "{err} should say {says}");
        }
    }
}
