//! `GET /admin/api/stats`: counts and amounts per status, approval rate, per day and merchant.

use actix_web::{HttpRequest, HttpResponse, web};
use domain::{
    Timestamp,
    ids::ClientId,
    operator::stats::{Figures, PaymentStats, StatsFilter},
    validation::Violations,
};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::guards::Caller;
use crate::{
    annotations::schemas::StatsQuery,
    body::{query_pairs, query_time},
    problem::ApiError,
    state::AppState,
};

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Figures)]
struct FiguresResponse {
    count: u64,
    approved: u64,
    decided: u64,
    /// approved / decided; null when nothing was decided.
    #[schema(required = true)]
    approval_rate: Option<f64>,
    /// `{"APPROVED": {"count", "amounts": {"KRW": 15000}}, …}`, every status present.
    #[schema(value_type = HashMap<String, StatusFigures>)]
    by_status: Map<String, Value>,
    /// The money of the approved payments per currency (api.md §9.7):
    /// `{"KRW": {"approvedAmount", "canceledAmount", "partiallyCanceledAmount", "netAmount"}}`.
    #[schema(value_type = HashMap<String, CurrencyFigures>)]
    by_currency: Map<String, Value>,
}

/// One currency's share of [`FiguresResponse`] (documentation of its `byCurrency` values), in
/// minor units.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct CurrencyFigures {
    /// Sum of the amounts of the payments the acquirer approved.
    approved_amount: i64,
    /// Sum of the SUCCEEDED cancels of those payments, whole or partial.
    canceled_amount: i64,
    /// The part of `canceledAmount` of payments still PARTIAL_CANCELED.
    partially_canceled_amount: i64,
    /// `approvedAmount − canceledAmount`.
    net_amount: i64,
}

/// One status's share of [`FiguresResponse`] (documentation of its `byStatus` values).
#[derive(ToSchema)]
#[expect(
    dead_code,
    reason = "describes the JSON that FiguresResponse builds as a map"
)]
struct StatusFigures {
    count: u64,
    /// Sum of amounts per currency, in minor units.
    amounts: std::collections::HashMap<String, i64>,
}

impl From<&Figures> for FiguresResponse {
    fn from(f: &Figures) -> Self {
        let by_status = f
            .by_status
            .iter()
            .map(|(status, figures)| {
                let amounts: Map<String, Value> = figures
                    .amounts
                    .iter()
                    .map(|(c, sum)| (c.as_str().to_owned(), Value::from(*sum)))
                    .collect();
                let mut entry = Map::new();
                entry.insert("count".into(), Value::from(figures.count));
                entry.insert("amounts".into(), Value::Object(amounts));
                (status.as_str().to_owned(), Value::Object(entry))
            })
            .collect();
        let by_currency = f
            .money
            .iter()
            .map(|(currency, m)| {
                let figures = CurrencyFigures {
                    approved_amount: m.approved,
                    canceled_amount: m.canceled,
                    partially_canceled_amount: m.partially_canceled,
                    net_amount: m.net(),
                };
                let value = serde_json::to_value(figures).unwrap_or(Value::Null);
                (currency.as_str().to_owned(), value)
            })
            .collect();
        Self {
            count: f.count,
            approved: f.approved,
            decided: f.decided,
            approval_rate: f.approval_rate(),
            by_status,
            by_currency,
        }
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = DayFigures)]
struct DayResponse {
    #[schema(format = Date)]
    day: String,
    #[serde(flatten)]
    figures: FiguresResponse,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = MerchantFigures)]
struct MerchantResponse {
    client_id: String,
    #[serde(flatten)]
    figures: FiguresResponse,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Stats)]
pub(crate) struct StatsResponse {
    #[schema(format = DateTime, required = true)]
    from: Option<String>,
    #[schema(format = DateTime, required = true)]
    to: Option<String>,
    #[schema(required = true)]
    client_id: Option<String>,
    totals: FiguresResponse,
    by_day: Vec<DayResponse>,
    by_merchant: Vec<MerchantResponse>,
}

impl From<&PaymentStats> for StatsResponse {
    fn from(s: &PaymentStats) -> Self {
        Self {
            from: s.filter.from.map(Timestamp::to_rfc3339),
            to: s.filter.to.map(Timestamp::to_rfc3339),
            client_id: s.filter.client_id.as_ref().map(ToString::to_string),
            totals: FiguresResponse::from(&s.totals),
            by_day: s
                .by_day
                .iter()
                .map(|(day, f)| DayResponse {
                    day: format!(
                        "{:04}-{:02}-{:02}",
                        day.year(),
                        u8::from(day.month()),
                        day.day()
                    ),
                    figures: FiguresResponse::from(f),
                })
                .collect(),
            by_merchant: s
                .by_merchant
                .iter()
                .map(|(client, f)| MerchantResponse {
                    client_id: client.to_string(),
                    figures: FiguresResponse::from(f),
                })
                .collect(),
        }
    }
}

fn parse_filter(req: &HttpRequest) -> Result<StatsFilter, ApiError> {
    let mut v = Violations::new();
    let mut filter = StatsFilter::default();
    for (name, value) in query_pairs(req, &["from", "to", "clientId"])? {
        let field = name.as_str();
        let time = || query_time(&value);
        match field {
            "from" => filter.from = v.check(field, time()),
            "to" => filter.to = v.check(field, time()),
            _ => filter.client_id = v.check(field, ClientId::parse(&value)),
        }
    }
    v.into_result().map_err(ApiError::validation)?;
    Ok(filter)
}

/// Counts and amounts per status, approval rate, per day and per merchant.
#[utoipa::path(
    get,
    path = "/admin/api/stats",
    operation_id = "getStats",
    security(("adminToken" = []), ("sessionCookie" = [])),
    params(StatsQuery),
    responses(
        (status = 200, description = "The figures", body = StatsResponse),
    ),
)]
pub async fn stats(
    caller: Caller,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let filter = parse_filter(&req)?;
    let stats = state.stats.stats_for(&caller.principal, filter).await?;
    Ok(HttpResponse::Ok().json(StatsResponse::from(&stats)))
}
