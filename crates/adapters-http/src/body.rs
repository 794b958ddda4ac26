//! Reading JSON bodies and query strings so that every rejection names the offending field.

use actix_web::{HttpRequest, http::header};
use domain::{
    Timestamp,
    ports::PageRequest,
    services::Limit,
    settlement::SettlementDate,
    validation::{Invalid, Violations},
};
use serde_json::{Map, Value};

use crate::problem::{ApiError, ErrorCode};

mod unique_keys;

/// True when the request declares `application/json` (parameters such as charset allowed).
fn is_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
}

/// Like [`json_object`] for endpoints whose body may be omitted: `None` when it is empty.
pub fn optional_json_object(
    req: &HttpRequest,
    body: &[u8],
    allowed: &[&str],
) -> Result<Option<JsonObject>, ApiError> {
    if body.is_empty() {
        return Ok(None);
    }
    json_object(req, body, allowed).map(Some)
}

/// One list of the fields in `first` and in `then`, for a request made of another's fields and
/// its own (`L`, the length of both, is checked when the constant is built).
pub const fn fields<const N: usize, const M: usize, const L: usize>(
    first: [&'static str; N],
    then: [&'static str; M],
) -> [&'static str; L] {
    assert!(N + M == L, "L must be the length of both lists");
    let mut all = [""; L];
    let mut i = 0;
    while i < N {
        all[i] = first[i];
        i += 1;
    }
    while i < L {
        all[i] = then[i - N];
        i += 1;
    }
    all
}

/// The body as a JSON object; keys not in `allowed` are recorded as violations. Invalid JSON,
/// including an object (at any depth) with the same key twice, is `MALFORMED_JSON`.
pub fn json_object(
    req: &HttpRequest,
    body: &[u8],
    allowed: &[&str],
) -> Result<JsonObject, ApiError> {
    if !is_json(req) {
        return Err(ApiError::unsupported_media_type());
    }
    if body.is_empty() {
        return Err(ApiError::malformed_json(
            "The request body is empty; a JSON object is required",
        ));
    }
    // A key sent twice is refused, at any depth: whoever else reads the body (a proxy, a log)
    // might take the first where serde_json would take the last.
    let value = unique_keys::from_slice(body)
        .map_err(|e| ApiError::malformed_json(format!("The body is not valid JSON: {e}")))?;
    let Value::Object(map) = value else {
        return Err(ApiError::field("body", "must be a JSON object"));
    };
    let mut unknown = Violations::new();
    for key in map.keys() {
        if !allowed.contains(&key.as_str()) {
            unknown.push(key.clone(), "is not a known field");
        }
    }
    Ok(JsonObject { map, unknown })
}

/// The required fields of a request as parsed: one `Option`, or a tuple of them.
pub trait Required {
    /// The values themselves.
    type Values;

    /// All the values, where none is missing.
    fn all(self) -> Option<Self::Values>;
}

impl<T> Required for Option<T> {
    type Values = T;

    fn all(self) -> Option<T> {
        self
    }
}

macro_rules! required_tuples {
    ($(($($field:ident),+))*) => {$(
        impl<$($field),+> Required for ($(Option<$field>,)+) {
            type Values = ($($field,)+);

            #[expect(non_snake_case, reason = "each value is named after its type parameter")]
            fn all(self) -> Option<Self::Values> {
                let ($($field,)+) = self;
                Some(($($field?,)+))
            }
        }
    )*};
}

required_tuples! { (A, B) (A, B, C) (A, B, C, D) }

/// The required fields where every field was valid: a required field that is missing or bad is
/// `None` and has left a violation in `v`. Otherwise 400 listing every violation.
pub fn valid<R: Required>(v: Violations, required: R) -> Result<R::Values, ApiError> {
    match required.all() {
        Some(values) if v.is_empty() => Ok(values),
        _ => Err(ApiError::validation(v)),
    }
}

/// Typed access to a JSON object's fields, recording a violation per bad field.
pub struct JsonObject {
    map: Map<String, Value>,
    unknown: Violations,
}

impl JsonObject {
    /// Violations found so far: one per field that is not allowed. Start a field check with it,
    /// so a request with several problems hears about all of them.
    pub fn violations(&self) -> Violations {
        self.unknown.clone()
    }

    fn get(&self, field: &str) -> Option<&Value> {
        self.map.get(field).filter(|v| !v.is_null())
    }

    /// A field of any JSON type (`None` when absent or null).
    pub fn value(&self, field: &str) -> Option<&Value> {
        self.get(field)
    }

    /// Whether the field is there as JSON `null` (which [`Self::value`] treats as absent), for
    /// a change where `null` means "clear it".
    pub fn is_null(&self, field: &str) -> bool {
        self.map.get(field).is_some_and(Value::is_null)
    }

    pub fn string(&self, field: &str, required: bool, v: &mut Violations) -> Option<&str> {
        match self.get(field) {
            None if required => {
                v.push(field, "is required");
                None
            }
            None => None,
            Some(Value::String(s)) => Some(s),
            Some(_) => {
                v.push(field, "must be a string");
                None
            }
        }
    }

    /// A string field parsed into its domain type; a failure is recorded against the field.
    pub fn parsed<T>(
        &self,
        field: &str,
        required: bool,
        v: &mut Violations,
        parse: impl FnOnce(&str) -> Result<T, Invalid>,
    ) -> Option<T> {
        let raw = self.string(field, required, v)?;
        v.check(field, parse(raw))
    }

    pub fn integer(&self, field: &str, required: bool, v: &mut Violations) -> Option<i64> {
        match self.get(field) {
            None if required => {
                v.push(field, "is required");
                None
            }
            None => None,
            Some(Value::Number(n)) => match n.as_i64() {
                Some(i) => Some(i),
                None => {
                    v.push(field, "must be an integer (minor units, no decimals)");
                    None
                }
            },
            Some(_) => {
                v.push(field, "must be an integer");
                None
            }
        }
    }
}

/// The `limit` query parameter of a listing.
pub fn page_limit(raw: &str) -> Result<Limit, Invalid> {
    raw.parse::<i64>()
        .map_err(|_| Invalid::new("must be an integer"))
        .and_then(Limit::parse)
}

/// An RFC 3339 instant given as a query parameter. The `+` of a UTC offset sent unencoded
/// (`createdFrom=2026-12-07T09:00:00+09:00`) arrives as a space, since a query is form-decoded;
/// an instant holds no space, so it is read back as the `+` it was (`%2B` works as well).
pub fn query_time(value: &str) -> Result<Timestamp, Invalid> {
    let restored = match value.rsplit_once(' ') {
        Some((instant, offset)) if is_utc_offset(offset) => format!("{instant}+{offset}"),
        _ => value.to_owned(),
    };
    Timestamp::parse_rfc3339(&restored).map_err(|e| Invalid::new(e.to_string()))
}

/// `HH:MM`.
fn is_utc_offset(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 5 && b[2] == b':' && [0, 1, 3, 4].iter().all(|&i| b[i].is_ascii_digit())
}

/// A query string as `(name, value)` pairs, refusing unknown and repeated parameters.
pub fn query_pairs(req: &HttpRequest, allowed: &[&str]) -> Result<Vec<(String, String)>, ApiError> {
    let pairs = actix_web::web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .map_err(|_| ApiError::field("query", "is not a valid URL-encoded query string"))?
        .into_inner();
    let mut violations = Violations::new();
    let mut seen: Vec<&str> = Vec::new();
    for (name, _) in &pairs {
        if !allowed.contains(&name.as_str()) {
            violations.push(name.clone(), "is not a known query parameter");
        } else if seen.contains(&name.as_str()) {
            violations.push(name.clone(), "must not be repeated");
        }
        seen.push(name);
    }
    violations.into_result().map_err(ApiError::validation)?;
    Ok(pairs)
}

/// The paging parameters of a listing: `limit` and `startingAfter` (an id `parse_id` reads).
pub struct PageQuery<Id> {
    pub limit: Limit,
    pub after: Option<Id>,
}

impl<Id> PageQuery<Id> {
    /// The store's request: `limit` rows older than `startingAfter`.
    pub fn request(self) -> PageRequest<Id> {
        PageRequest {
            limit: self.limit.get(),
            before: self.after,
        }
    }
}

/// Reads a [`PageQuery`] from the query; `other` reads each of the `more` parameters a listing
/// also takes. Every violation is reported at once.
pub fn page_query<Id>(
    req: &HttpRequest,
    more: &[&str],
    parse_id: impl Fn(&str) -> Result<Id, Invalid>,
    other: impl FnMut(&str, &str, &mut Violations),
) -> Result<PageQuery<Id>, ApiError> {
    let mut allowed = more.to_vec();
    allowed.extend(["limit", "startingAfter"]);
    let (page, v) = page_pairs(query_pairs(req, &allowed)?, parse_id, other);
    v.into_result().map_err(ApiError::validation)?;
    Ok(page)
}

/// The paging parameters among query pairs already read (and checked against the allowed
/// names), `other` reading the rest, and the violations found so far.
pub fn page_pairs<Id>(
    pairs: Vec<(String, String)>,
    parse_id: impl Fn(&str) -> Result<Id, Invalid>,
    mut other: impl FnMut(&str, &str, &mut Violations),
) -> (PageQuery<Id>, Violations) {
    let mut v = Violations::new();
    let mut page = PageQuery {
        limit: Limit::DEFAULT,
        after: None,
    };
    for (name, value) in pairs {
        let field = name.as_str();
        match field {
            "limit" => {
                if let Some(l) = v.check(field, page_limit(&value)) {
                    page.limit = l;
                }
            }
            "startingAfter" => page.after = v.check(field, parse_id(&value)),
            _ => other(field, &value, &mut v),
        }
    }
    (page, v)
}

/// The parameters of a listing by settlement date: `from` and `to` (inclusive `YYYY-MM-DD`,
/// `from` not after `to`), `limit` and `startingAfter` (an id `parse_id` reads).
pub struct DatedPage<Id> {
    pub from: Option<SettlementDate>,
    pub to: Option<SettlementDate>,
    pub limit: Limit,
    pub after: Option<Id>,
}

/// Reads a [`DatedPage`] from the query; `other` reads each of the `more` parameters a listing
/// also takes. Every violation is reported at once.
pub fn dated_page<Id>(
    req: &HttpRequest,
    more: &[&str],
    parse_id: impl Fn(&str) -> Result<Id, Invalid>,
    mut other: impl FnMut(&str, &str, &mut Violations),
) -> Result<DatedPage<Id>, ApiError> {
    let mut allowed = vec!["from", "to", "limit", "startingAfter"];
    allowed.extend_from_slice(more);
    let (mut from, mut to) = (None, None);
    let (page, mut v) =
        page_pairs(
            query_pairs(req, &allowed)?,
            parse_id,
            |field, value, v| match field {
                "from" => from = v.check(field, SettlementDate::parse(value)),
                "to" => to = v.check(field, SettlementDate::parse(value)),
                _ => other(field, value, v),
            },
        );
    if let (Some(from), Some(to)) = (from, to)
        && from > to
    {
        v.push("from", "must not be after to");
    }
    v.into_result().map_err(ApiError::validation)?;
    Ok(DatedPage {
        from,
        to,
        limit: page.limit,
        after: page.after,
    })
}

/// The `date` of a request body that names one settlement date (a settlement run, a
/// reconciliation).
pub fn date_body(req: &HttpRequest, body: &[u8]) -> Result<SettlementDate, ApiError> {
    let obj = json_object(req, body, &["date"])?;
    let mut v = obj.violations();
    let date = obj.parsed("date", true, &mut v, SettlementDate::parse);
    valid(v, date)
}

/// The id at the end of a path, or `code` (a "not found") naming it: a malformed id is as
/// unknown as an absent one.
pub fn path_id<Id, E>(
    path: &str,
    parse: impl FnOnce(&str) -> Result<Id, E>,
    code: ErrorCode,
    noun: &str,
) -> Result<Id, ApiError> {
    parse(path).map_err(|_| ApiError::new(code, format!("{noun} {path} not found")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_instant_whose_offset_plus_was_decoded_to_a_space_reads_as_sent() {
        let sent = query_time("2026-12-07T09:00:00+09:00").unwrap();
        assert_eq!(query_time("2026-12-07T09:00:00 09:00").unwrap(), sent);
        assert_eq!(query_time("2026-12-07T00:00:00Z").unwrap(), sent);
        assert_eq!(
            query_time("2026-12-07T00:00:00.000-05:00").unwrap(),
            query_time("2026-12-07T00:00:00.000 05:00")
                .unwrap()
                .plus(std::time::Duration::from_secs(10 * 3600))
        );
        assert_eq!(
            query_time("2026-12-07 09:00:00 09:00").unwrap(),
            sent,
            "RFC 3339's space separator too"
        );
        for bad in [
            "2026-12-07T09:00:00 9:00",
            "2026-12-07T09:00:00 09:00:00",
            "tomorrow",
            "",
        ] {
            assert!(query_time(bad).is_err(), "{bad}");
        }
    }
}
