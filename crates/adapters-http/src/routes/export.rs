//! `GET /admin/api/payments/export.csv` (api.md §10.5): the payment search as a CSV file for
//! spreadsheets — the same filters and the same scoping as `GET /admin/api/payments`, every
//! matching payment (newest first, up to `limit` rows), streamed page by page.

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use domain::{
    payment::Payment,
    people::Principal,
    services::{Limit, payments::ListPayments},
    validation::Invalid,
};
use futures_util::stream;
use serde::Serialize;

use super::{guards::Caller, payments};
use crate::{body::query_pairs, problem::ApiError, state::AppState};

/// The most rows one export holds (and its default `limit`).
pub const MAX_ROWS: u32 = 100_000;

/// One row of the file; the column order is the field order (documented in docs/api.md).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Row<'a> {
    payment_key: String,
    client_id: &'a str,
    order_no: &'a str,
    status: &'static str,
    amount: i64,
    currency: String,
    canceled_amount: i64,
    cancelable_amount: i64,
    method_code: &'static str,
    product_name: Option<&'a str>,
    customer_name: Option<&'a str>,
    transaction_id: Option<&'a str>,
    failure_code: Option<&'a str>,
    created_at: String,
    approved_at: Option<String>,
    completed_at: Option<String>,
    canceled_at: Option<String>,
    failed_at: Option<String>,
}

impl<'a> From<&'a Payment> for Row<'a> {
    fn from(p: &'a Payment) -> Self {
        let ts = |t: Option<domain::Timestamp>| t.map(|t| t.to_rfc3339());
        Self {
            payment_key: p.key.to_string(),
            client_id: p.client_id.as_str(),
            order_no: p.order_no.as_str(),
            status: p.status.as_str(),
            amount: p.amount.minor_units(),
            currency: p.currency.to_string(),
            canceled_amount: p.canceled_amount(),
            cancelable_amount: p.cancelable_amount(),
            method_code: p.method.as_str(),
            product_name: p.product_name.as_ref().map(|n| n.as_str()),
            customer_name: p.customer_name.as_ref().map(|n| n.as_str()),
            transaction_id: p.transaction_id.as_ref().map(|t| t.as_str()),
            failure_code: p.failure_code.as_ref().map(|c| c.as_str()),
            created_at: p.created_at.to_rfc3339(),
            approved_at: ts(p.approved_at),
            completed_at: ts(p.completed_at),
            canceled_at: ts(p.canceled_at),
            failed_at: ts(p.failed_at),
        }
    }
}

/// The CSV text of `payments`, with the header row first when `header`.
fn encode(payments: &[Payment], header: bool) -> Result<Vec<u8>, ApiError> {
    let mut out = csv::WriterBuilder::new()
        .has_headers(header)
        .from_writer(Vec::new());
    if header && payments.is_empty() {
        // serde writes the header with the first record; an empty export still has one.
        out.write_record(HEADER).map_err(ApiError::internal)?;
    }
    for p in payments {
        out.serialize(Row::from(p)).map_err(ApiError::internal)?;
    }
    out.into_inner()
        .map_err(|e| ApiError::internal(e.into_error()))
}

/// The column names, in order.
pub const HEADER: [&str; 18] = [
    "paymentKey",
    "clientId",
    "orderNo",
    "status",
    "amount",
    "currency",
    "canceledAmount",
    "cancelableAmount",
    "methodCode",
    "productName",
    "customerName",
    "transactionId",
    "failureCode",
    "createdAt",
    "approvedAt",
    "completedAt",
    "canceledAt",
    "failedAt",
];

fn max_rows(raw: &str) -> Result<u32, Invalid> {
    match raw.parse::<u32>() {
        Ok(n) if (1..=MAX_ROWS).contains(&n) => Ok(n),
        _ => Err(Invalid::new(format!(
            "must be an integer from 1 to {MAX_ROWS}"
        ))),
    }
}

/// What is left to export.
struct Export {
    state: web::Data<AppState>,
    by: Principal,
    query: ListPayments,
    left: u32,
    done: bool,
}

impl Export {
    /// The next page as CSV (the header with the first), or `None` when everything was sent.
    async fn next_page(&mut self, header: bool) -> Option<Result<web::Bytes, ApiError>> {
        if self.done {
            return None;
        }
        self.query.limit =
            Limit::parse(i64::from(self.left.min(Limit::MAX.get()))).unwrap_or(Limit::MAX);
        let page = match self
            .state
            .payments
            .search(&self.by, self.query.clone())
            .await
        {
            Ok(page) => page,
            Err(e) => {
                self.done = true;
                return Some(Err(e.into()));
            }
        };
        self.left = self.left.saturating_sub(page.items.len() as u32);
        self.query.starting_after = page.next_cursor(|p| p.key.clone());
        self.done = self.left == 0 || self.query.starting_after.is_none();
        Some(encode(&page.items, header).map(web::Bytes::from))
    }
}

/// Export the payment search as CSV (api.md §10.5).
#[utoipa::path(
    get,
    path = "/admin/api/payments/export.csv",
    operation_id = "exportPayments",
    security(("adminToken" = []), ("sessionCookie" = [])),
    params(
        crate::annotations::schemas::PaymentFilterQuery,
        crate::annotations::schemas::PaymentExportQuery,
        ("clientId" = Option<String>, Query, description = "Only this merchant's payments", pattern = "^[A-Za-z0-9_-]{1,64}$"),
    ),
    responses(
        (status = 200, description = "`text/csv; charset=utf-8`: a header row, then one row per payment, newest first (RFC 4180 quoting), at most `limit` rows.",
            content_type = "text/csv", body = String),
    ),
)]
pub async fn export(
    caller: Caller,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut left = MAX_ROWS;
    let mut pairs = Vec::new();
    for (name, value) in query_pairs(&req, &payments::LIST_PARAMETERS)? {
        if name == "limit" {
            left = max_rows(&value).map_err(|e| ApiError::field("limit", &e.0))?;
        } else {
            pairs.push((name, value));
        }
    }
    let query = payments::parse_list_pairs(pairs, None)?;
    let mut export = Export {
        state,
        by: caller.principal,
        query,
        left,
        done: false,
    };
    // The first page before the answer: a refusal (an unknown cursor) is still a problem.
    let first = match export.next_page(true).await {
        Some(first) => first?,
        None => web::Bytes::new(),
    };
    let rest = stream::unfold(export, |mut export| async move {
        let chunk = export.next_page(false).await?;
        Some((chunk.map_err(actix_web::Error::from), export))
    });
    Ok(csv_download("payments.csv", first, rest))
}

/// A CSV file to download (`text/csv; charset=utf-8`, not cached): `first`, then `rest` as it
/// is produced.
pub(super) fn csv_download<S>(filename: &str, first: web::Bytes, rest: S) -> HttpResponse
where
    S: futures_util::Stream<Item = Result<web::Bytes, actix_web::Error>> + 'static,
{
    let body = futures_util::StreamExt::chain(
        stream::once(async move { Ok::<_, actix_web::Error>(first) }),
        rest,
    );
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_export_is_the_header_row_alone() {
        let text = encode(&[], true).unwrap();
        assert_eq!(
            String::from_utf8(text).unwrap(),
            format!("{}\n", HEADER.join(","))
        );
    }

    #[test]
    fn a_row_limit_outside_one_to_a_hundred_thousand_is_refused() {
        assert!(max_rows("0").is_err());
        assert!(max_rows("100001").is_err());
        assert!(max_rows("x").is_err());
        assert_eq!(max_rows("100000"), Ok(100_000));
    }
}
