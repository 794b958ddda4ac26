//! Settlements (api.md §12.2): run a day (ADMIN), list and read batches, a batch's lines as
//! CSV. Scoping is the domain's: a merchant user sees its own merchant's batches only.

use actix_web::{HttpRequest, HttpResponse, web};
use domain::{
    ids::ClientId,
    people::{Action, Principal},
    settlement::{SettlementFilter, SettlementId, SettlementLine},
};
use futures_util::stream;
use serde::Serialize;

use super::guards::Caller;
use crate::{
    body::{date_body, dated_page, path_id},
    dto::{ListResponse, SettlementResponse, SettlementRunResponse},
    problem::{ApiError, ErrorCode, ProblemBody},
    state::AppState,
};

/// Lines in a batch's JSON (the CSV has every one).
const JSON_LINES: u32 = 1_000;
/// Lines per page of the CSV stream.
const CSV_PAGE: u32 = 1_000;

fn settlement_id(path: &web::Path<String>) -> Result<SettlementId, ApiError> {
    path_id(
        path,
        SettlementId::parse,
        ErrorCode::SettlementNotFound,
        "settlement",
    )
}

/// Run the settlement of a date (ADMIN); a second run creates nothing.
#[utoipa::path(
    post,
    path = "/admin/api/settlements/run",
    operation_id = "runSettlement",
    security(("adminToken" = []), ("sessionCookie" = [])),
    request_body(content = crate::annotations::schemas::SettlementRunRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Every batch of the date, and how many this run created", body = SettlementRunResponse),
        (status = 409, description = "`SETTLEMENT_DATE_NOT_OVER`: the date has not ended in the settlement time zone", body = ProblemBody, content_type = "application/problem+json"),
    ),
)]
pub async fn run(
    caller: Caller,
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::RunSettlement)?;
    let date = date_body(&req, &body)?;
    let run = state
        .settlements
        .run(&caller.principal, date, &caller.origin)
        .await?;
    tracing::info!(date = %run.date, created = run.created, "settlement run by hand");
    record_settlement(&run);
    Ok(HttpResponse::Ok().json(SettlementRunResponse::from(&run)))
}

/// Settlement batches, newest date first.
#[utoipa::path(
    get,
    path = "/admin/api/settlements",
    operation_id = "listSettlements",
    security(("adminToken" = []), ("sessionCookie" = [])),
    params(crate::annotations::schemas::SettlementListQuery),
    responses(
        (status = 200, description = "A page of batches (without lines)", body = ListResponse<SettlementResponse>),
    ),
)]
pub async fn list(
    caller: Caller,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut client_id = None;
    let query = dated_page(
        &req,
        &["clientId"],
        SettlementId::parse,
        |field, value, v| {
            client_id = v.check(field, ClientId::parse(value));
        },
    )?;
    let filter = SettlementFilter {
        client_id,
        from: query.from,
        to: query.to,
    };
    let page = state
        .settlements
        .list(&caller.principal, filter, query.limit, query.after)
        .await?;
    Ok(HttpResponse::Ok().json(ListResponse::page(&page, |b| SettlementResponse::from(b))))
}

/// One batch with its lines.
#[utoipa::path(
    get,
    path = "/admin/api/settlements/{settlementId}",
    operation_id = "getSettlement",
    security(("adminToken" = []), ("sessionCookie" = [])),
    params(("settlementId" = String, Path, pattern = "^stl_[0-9a-f]{32}$")),
    responses(
        (status = 200, description = "The batch and (up to 1000 of) its lines in time order", body = SettlementResponse),
        (status = 404, description = "`SETTLEMENT_NOT_FOUND`", body = ProblemBody, content_type = "application/problem+json"),
    ),
)]
pub async fn show(
    caller: Caller,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = settlement_id(&path)?;
    let (batch, lines) = state
        .settlements
        .lines(&caller.principal, &id, 0, JSON_LINES)
        .await?;
    Ok(HttpResponse::Ok().json(SettlementResponse::with_lines(&batch, &lines)))
}

/// One CSV row; the column order is the field order (docs/api.md).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Row<'a> {
    settlement_id: &'a str,
    client_id: &'a str,
    currency: &'a str,
    date: &'a str,
    payment_key: String,
    order_no: &'a str,
    #[serde(rename = "type")]
    line_type: &'static str,
    cancel_id: Option<&'a str>,
    amount: i64,
    fee: i64,
    net: i64,
    at: String,
}

/// The column names, in order.
pub const CSV_HEADER: [&str; 12] = [
    "settlementId",
    "clientId",
    "currency",
    "date",
    "paymentKey",
    "orderNo",
    "type",
    "cancelId",
    "amount",
    "fee",
    "net",
    "at",
];

/// What every row of one batch's file repeats.
struct BatchColumns {
    id: String,
    client_id: String,
    currency: String,
    date: String,
}

fn encode(
    batch: &BatchColumns,
    lines: &[SettlementLine],
    header: bool,
) -> Result<Vec<u8>, ApiError> {
    let mut out = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    if header {
        out.write_record(CSV_HEADER).map_err(ApiError::internal)?;
    }
    for l in lines {
        out.serialize(Row {
            settlement_id: &batch.id,
            client_id: &batch.client_id,
            currency: &batch.currency,
            date: &batch.date,
            payment_key: l.payment_key.to_string(),
            order_no: l.order_no.as_str(),
            line_type: l.line_type.as_str(),
            cancel_id: l.cancel_id.as_ref().map(|c| c.as_str()),
            amount: l.amount,
            fee: l.fee,
            net: l.net,
            at: l.at.to_rfc3339(),
        })
        .map_err(ApiError::internal)?;
    }
    out.into_inner()
        .map_err(|e| ApiError::internal(e.into_error()))
}

/// What is left of a batch's file.
struct LinesCsv {
    state: web::Data<AppState>,
    by: Principal,
    id: SettlementId,
    columns: BatchColumns,
    sent: u64,
    done: bool,
}

impl LinesCsv {
    async fn next_page(&mut self) -> Option<Result<web::Bytes, ApiError>> {
        if self.done {
            return None;
        }
        let lines = match self
            .state
            .settlements
            .lines(&self.by, &self.id, self.sent, CSV_PAGE)
            .await
        {
            Ok((_, lines)) => lines,
            Err(e) => {
                self.done = true;
                return Some(Err(e.into()));
            }
        };
        self.done = lines.len() < CSV_PAGE as usize;
        self.sent += lines.len() as u64;
        Some(encode(&self.columns, &lines, false).map(web::Bytes::from))
    }
}

/// A batch's lines as CSV (RFC 4180, UTF-8, a header row), streamed in pages.
#[utoipa::path(
    get,
    path = "/admin/api/settlements/{settlementId}/lines.csv",
    operation_id = "exportSettlementLines",
    security(("adminToken" = []), ("sessionCookie" = [])),
    params(("settlementId" = String, Path, pattern = "^stl_[0-9a-f]{32}$")),
    responses(
        (status = 200, description = "`text/csv; charset=utf-8`: a header row, then every line in time order", content_type = "text/csv", body = String),
        (status = 404, description = "`SETTLEMENT_NOT_FOUND`", body = ProblemBody, content_type = "application/problem+json"),
    ),
)]
pub async fn lines_csv(
    caller: Caller,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = settlement_id(&path)?;
    // The first page answers whether the caller may see the batch at all (a refusal is still
    // a problem body); the rest is streamed.
    let (batch, lines) = state
        .settlements
        .lines(&caller.principal, &id, 0, CSV_PAGE)
        .await?;
    let columns = BatchColumns {
        id: batch.id.to_string(),
        client_id: batch.client_id.to_string(),
        currency: batch.currency.to_string(),
        date: batch.date.to_string(),
    };
    let filename = format!("settlement-{}-{}.csv", columns.date, columns.id);
    let first = web::Bytes::from(encode(&columns, &lines, true)?);
    let file = LinesCsv {
        state,
        by: caller.principal,
        id,
        columns,
        sent: lines.len() as u64,
        done: lines.len() < CSV_PAGE as usize,
    };
    let rest = stream::unfold(file, |mut file| async move {
        let chunk = file.next_page().await?;
        Some((chunk.map_err(actix_web::Error::from), file))
    });
    Ok(super::export::csv_download(&filename, first, rest))
}

/// Counts the batches a settlement run created (the batches of its date that it made are the
/// newest `created` ones).
pub fn record_settlement(run: &domain::services::settlement::SettlementRun) {
    let created = usize::try_from(run.created).unwrap_or(usize::MAX);
    for batch in run.batches.iter().take(created) {
        let currency = batch.currency.as_str().to_owned();
        metrics::counter!("simplepg_settlement_batches_total", "currency" => currency.clone())
            .increment(1);
        // Counters only go up: net is counted when positive (a day of cancels only subtracts
        // nothing here; the batch itself shows it).
        if let Ok(net) = u64::try_from(batch.totals.net) {
            metrics::counter!("simplepg_settled_net_minor_units_total", "currency" => currency.clone())
                .increment(net);
        }
        if let Ok(fees) = u64::try_from(batch.totals.fees) {
            metrics::counter!("simplepg_settled_fees_minor_units_total", "currency" => currency)
                .increment(fees);
        }
    }
}
