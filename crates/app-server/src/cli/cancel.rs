//! `simplepg cancel`: an operator cancels all or part of a payment on the merchant's behalf
//! (`POST /admin/api/payments/{paymentKey}/cancel`, the admin API; audit actor `ADMIN`). A
//! merchant cancels its own with `simplepg call -X POST /api/payments/{key}/cancel -d …`.

use clap::Args;
use serde_json::{Value, json};
use simplepg_client::{AdminClient, Method, SecretString};

#[derive(Debug, Args)]
pub struct CancelArgs {
    /// The payment's key (64 lower-case hex characters).
    #[arg(value_parser = payment_key)]
    pub payment_key: String,
    /// Why (1–200 characters); kept on the cancel and sent to the merchant.
    #[arg(long, short = 'r')]
    pub reason: String,
    /// How much to cancel, in minor units (a partial cancel of a COMPLETED or PARTIAL_CANCELED
    /// payment); without it, everything still cancelable.
    #[arg(long, short = 'a', value_parser = clap::value_parser!(i64).range(1..))]
    pub amount: Option<i64>,
    /// Base URL of the server.
    #[arg(long, env = "SIMPLEPG_URL", default_value = "http://127.0.0.1:8080")]
    pub url: String,
    #[arg(long, env = "SIMPLEPG_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: String,
}

fn payment_key(raw: &str) -> Result<String, String> {
    if raw.len() == 64 && raw.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        Ok(raw.to_owned())
    } else {
        Err("a payment key is 64 lower-case hex characters".into())
    }
}

/// The request body: `{ cancelReason, cancelAmount? }`.
pub fn body(args: &CancelArgs) -> Value {
    let mut body = json!({ "cancelReason": args.reason });
    if let Some(amount) = args.amount {
        body["cancelAmount"] = json!(amount);
    }
    body
}

/// Sends the cancel; returns the status and the body as answered.
pub async fn cancel(args: &CancelArgs) -> anyhow::Result<(u16, String)> {
    let admin = AdminClient::new(&args.url, SecretString::from(args.admin_token.as_str()))?;
    let path = format!("/admin/api/payments/{}/cancel", args.payment_key);
    let res = admin
        .request(Method::POST, &path, Some(serde_json::to_vec(&body(args))?))
        .await?;
    Ok((res.status.as_u16(), res.text()))
}

/// One line saying what the answer means (api.md §9.2): done, pending, refused or exceeded.
pub fn outcome(status: u16, body: &str) -> String {
    let json: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let text = |name: &str| json[name].as_str().unwrap_or("?").to_owned();
    let number = |name: &str| json[name].as_i64().map_or("?".into(), |n| n.to_string());
    match status {
        200 => format!(
            "done: the payment is {}; canceled {}, still cancelable {}",
            text("status"),
            number("canceledAmount"),
            number("cancelableAmount"),
        ),
        202 => {
            let pending = json["cancels"]
                .as_array()
                .and_then(|c| c.last())
                .map(|c| {
                    format!(
                        "{} of {}",
                        c["cancelId"].as_str().unwrap_or("?"),
                        c["amount"].as_i64().unwrap_or_default()
                    )
                })
                .unwrap_or_else(|| "?".into());
            format!(
                "pending: the acquirer has not answered yet; cancel {pending} is PENDING (its amount reserved) and the server finishes it"
            )
        }
        502 => format!(
            "refused by the acquirer ({}): nothing was canceled; the FAILED cancel stays on the payment",
            text("detail"),
        ),
        _ if json["code"] == "CANCEL_AMOUNT_EXCEEDED" => {
            format!("exceeded: {}", text("detail"))
        }
        _ => format!("not canceled: {} {}", text("code"), text("detail")),
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    fn parse(args: &[&str]) -> Result<CancelArgs, clap::Error> {
        let cli = Cli::try_parse_from(
            ["simplepg", "cancel"]
                .iter()
                .chain(args)
                .chain(&["--admin-token", "t"]),
        )?;
        match cli.command {
            Some(Command::Cancel(args)) => Ok(args),
            other => panic!("not a cancel: {other:?}"),
        }
    }

    const KEY: &str = "8f8f8f8f8f8f8f8f8f8f8f8f8f8f8f8f8f8f8f8f8f8f8f8f8f8f8f8f8f8f8f8f";

    #[test]
    fn a_partial_cancel_sends_its_amount_and_a_full_one_only_the_reason() {
        let partial = parse(&[KEY, "--amount", "5000", "--reason", "one item"]).unwrap();
        let full = parse(&[KEY, "-r", "all of it"]).unwrap();
        assert_eq!(
            body(&partial),
            json!({ "cancelReason": "one item", "cancelAmount": 5000 })
        );
        assert_eq!(body(&full), json!({ "cancelReason": "all of it" }));
    }

    #[test]
    fn a_key_that_is_not_64_hex_characters_or_an_amount_below_one_is_refused_before_sending() {
        assert!(parse(&["../merchants", "-r", "x"]).is_err());
        assert!(parse(&[&KEY.to_uppercase(), "-r", "x"]).is_err());
        assert!(parse(&[KEY, "-r", "x", "--amount", "0"]).is_err());
        assert!(
            parse(&[KEY, "--amount", "5"]).is_err(),
            "a reason is required"
        );
    }

    #[test]
    fn each_answer_is_told_in_one_line() {
        let done = outcome(
            200,
            r#"{"status":"PARTIAL_CANCELED","canceledAmount":5000,"cancelableAmount":10000}"#,
        );
        let pending = outcome(
            202,
            r#"{"status":"COMPLETED","cancels":[{"cancelId":"cnl_1","amount":3000}]}"#,
        );
        let refused = outcome(502, r#"{"code":"ACQUIRER_ERROR","detail":"refused"}"#);
        let exceeded = outcome(
            409,
            r#"{"code":"CANCEL_AMOUNT_EXCEEDED","detail":"only 10000 is cancelable"}"#,
        );
        let other = outcome(
            409,
            r#"{"code":"INVALID_STATE_TRANSITION","detail":"FAILED"}"#,
        );
        assert_eq!(
            done,
            "done: the payment is PARTIAL_CANCELED; canceled 5000, still cancelable 10000"
        );
        assert!(
            pending.starts_with("pending:") && pending.contains("cnl_1 of 3000"),
            "{pending}"
        );
        assert!(
            refused.starts_with("refused by the acquirer (refused)"),
            "{refused}"
        );
        assert_eq!(exceeded, "exceeded: only 10000 is cancelable");
        assert_eq!(other, "not canceled: INVALID_STATE_TRANSITION FAILED");
    }
}
