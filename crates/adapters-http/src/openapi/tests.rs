use std::{collections::BTreeSet, path::PathBuf};

use serde_json::Value;

use super::*;
use crate::{annotations::schemas, problem::ErrorCode};

fn committed_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json")
}

fn document_value() -> Value {
    serde_json::from_str(&document_json()).expect("the document is JSON")
}

#[test]
fn the_committed_openapi_document_matches_the_code() {
    let generated = document_json();
    let path = committed_path();
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &generated).expect("write docs/openapi.json");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/openapi.json differs from the OpenAPI document the code generates. If the change \
         is intended, regenerate it with\n    UPDATE_OPENAPI=1 cargo test -p adapters-http \
         openapi\nand commit the result."
    );
}

#[test]
fn the_document_is_openapi_3_1() {
    assert_eq!(document_value()["openapi"], "3.1.0");
}

fn properties(doc: &Value, schema: &str) -> BTreeSet<String> {
    doc["components"]["schemas"][schema]["properties"]
        .as_object()
        .unwrap_or_else(|| panic!("schema {schema} has properties"))
        .keys()
        .cloned()
        .collect()
}

fn names(fields: &[&str]) -> BTreeSet<String> {
    fields.iter().map(|f| (*f).to_owned()).collect()
}

#[test]
fn each_request_schema_lists_exactly_the_fields_its_handler_accepts() {
    let doc = document_value();
    let cases: [(&str, &[&str]); 14] = [
        ("LoginRequest", routes::auth::LOGIN_FIELDS),
        ("ConfirmTotpRequest", routes::auth::CONFIRM_TOTP_FIELDS),
        ("CreateUserRequest", routes::users::CREATE_FIELDS),
        ("ChangeUserRequest", routes::users::CHANGE_FIELDS),
        ("CreatePaymentRequest", &routes::payments::CREATE_FIELDS),
        ("CancelPaymentRequest", routes::cancels::CANCEL_FIELDS),
        ("AcquirerWebhookRequest", routes::webhook::FIELDS),
        (
            "RegisterMerchantRequest",
            routes::merchants::REGISTRATION_FIELDS,
        ),
        ("UpdateMerchantRequest", routes::merchants::UPDATE_FIELDS),
        (
            "RotateSecretRequest",
            routes::merchants::ROTATE_SECRET_FIELDS,
        ),
        ("SimulatedWebhookRequest", routes::simulator::WEBHOOK_FIELDS),
        (
            "SimulatedMockRequest",
            routes::simulator::MOCK_REQUEST_FIELDS,
        ),
        ("AcquirerPaymentRequest", &routes::mock::REQUEST_FIELDS),
        ("AcquirerCancelRequest", routes::mock::CANCEL_FIELDS),
    ];
    for (schema, fields) in cases {
        assert_eq!(properties(&doc, schema), names(fields), "{schema}");
        assert_eq!(
            doc["components"]["schemas"][schema]["additionalProperties"],
            Value::Bool(false),
            "{schema} refuses unknown fields"
        );
    }
}

#[test]
fn every_error_response_is_problem_json() {
    let doc = document_value();
    let responses = &doc["components"]["responses"];
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            for (status, response) in op["responses"].as_object().expect("responses") {
                if !status.starts_with('4') && !status.starts_with('5') {
                    continue;
                }
                let response = match response["$ref"].as_str() {
                    Some(r) => &responses[r.trim_start_matches("#/components/responses/")],
                    None => response,
                };
                assert!(
                    response["content"]["application/problem+json"]["schema"]["$ref"]
                        == "#/components/schemas/Problem",
                    "{method} {path} {status} is not problem+json"
                );
            }
        }
    }
}

#[test]
fn signed_operations_require_all_four_signing_headers_together() {
    let doc = document_value();
    let payments = &doc["paths"]["/api/payments"]["post"];
    let requirement = payments["security"][0]
        .as_object()
        .expect("one security requirement");
    let names: BTreeSet<&str> = requirement.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        BTreeSet::from(["X-Client-Id", "X-Nonce", "X-Signature", "X-Timestamp"])
    );
    assert_eq!(
        payments["responses"]["401"]["$ref"],
        "#/components/responses/MerchantUnauthorized"
    );
}

#[test]
fn the_string_enums_name_values_the_domain_accepts() {
    use domain::{
        merchant::MerchantStatus,
        outbox::DeliveryState,
        payment::{Actor, AuditAction},
    };
    assert!(
        schemas::AUDIT_ACTIONS
            .iter()
            .all(|a| AuditAction::parse(a).is_some())
    );
    assert!(schemas::ACTORS.iter().all(|a| Actor::parse(a).is_some()));
    assert!(
        schemas::MERCHANT_STATUSES
            .iter()
            .all(|s| MerchantStatus::parse(s).is_some())
    );
    assert!(
        schemas::DELIVERY_STATES
            .iter()
            .all(|s| DeliveryState::parse(s).is_some())
    );
}

#[test]
fn the_problem_code_is_one_of_the_error_codes() {
    let doc = document_value();
    assert_eq!(
        doc["components"]["schemas"]["Problem"]["properties"]["code"]["$ref"],
        "#/components/schemas/ErrorCode"
    );
    let listed: Vec<&str> = doc["components"]["schemas"]["ErrorCode"]["enum"]
        .as_array()
        .expect("ErrorCode is an enum")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let ours: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(listed, ours);
}

/// Every upper-case name in backticks in an error response's description, `` `LIKE_THIS` ``.
fn quoted_codes(description: &str) -> Vec<&str> {
    description
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|word| word.len() > 1 && word.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'))
        .collect()
}

#[test]
fn every_code_an_error_response_names_is_an_error_code() {
    let doc = document_value();
    let known: BTreeSet<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    let mut descriptions: Vec<(String, &str)> = Vec::new();
    for (name, response) in doc["components"]["responses"]
        .as_object()
        .expect("responses")
    {
        descriptions.push((name.clone(), response["description"].as_str().unwrap_or("")));
    }
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            for (status, response) in op["responses"].as_object().expect("responses") {
                if status.starts_with('4') || status.starts_with('5') {
                    descriptions.push((
                        format!("{method} {path} {status}"),
                        response["description"].as_str().unwrap_or(""),
                    ));
                }
            }
        }
    }
    let mut named = 0;
    for (place, description) in descriptions {
        for code in quoted_codes(description) {
            assert!(
                known.contains(code),
                "{place} names `{code}`, not an ErrorCode"
            );
            named += 1;
        }
    }
    assert!(named > 20, "the descriptions name their codes ({named})");
}

/// The admin routes of the route table (`routes/mod.rs`), as `METHOD path`: each
/// `get("/admin/api/…", …)`, `post("/admin/api/…", …)` and `resource("/admin/api/…", "GET, POST")`
/// there.
fn routed_admin_operations() -> BTreeSet<String> {
    let mut rest = include_str!("../routes/mod.rs");
    let mut operations = BTreeSet::new();
    while let Some(at) = rest.find("\"/admin/api/") {
        let call = rest[..at]
            .trim_end()
            .strip_suffix('(')
            .expect("an admin path is the first argument of a call")
            .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .next()
            .unwrap_or_default();
        let (path, tail) = rest[at + 1..]
            .split_once('"')
            .expect("the path's closing quote");
        let methods: Vec<&str> = match call {
            "get" => vec!["GET"],
            "post" => vec!["POST"],
            "resource" => tail
                .split('"')
                .nth(1)
                .expect("the methods after the path")
                .split(',')
                .map(str::trim)
                .collect(),
            other => {
                panic!("the admin route {path} is made by {other}(), which this test does not read")
            }
        };
        // `HEAD` answers every `GET` (the same operation without a body): not documented apart.
        for method in methods.into_iter().filter(|m| *m != "HEAD") {
            operations.insert(format!("{method} {path}"));
        }
        rest = tail;
    }
    operations
}

#[test]
fn every_admin_route_is_documented_with_the_admin_token_or_the_session_and_its_401() {
    let doc = document_value();
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        if !path.starts_with("/admin/api/") {
            continue;
        }
        for (method, op) in item.as_object().expect("path item") {
            documented.insert(format!("{} {path}", method.to_uppercase()));
            assert_eq!(
                op["security"],
                serde_json::json!([{ "adminToken": [] }, { "sessionCookie": [] }]),
                "{method} {path}"
            );
            assert_eq!(
                op["responses"]["401"]["$ref"], "#/components/responses/AdminUnauthorized",
                "{method} {path}"
            );
        }
    }
    assert_eq!(routed_admin_operations(), documented);
    assert_eq!(documented.len(), 34);
}
