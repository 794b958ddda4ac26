//! The bare-HTTP ceiling (issue 19): a minimal actix server with one handler, `POST
//! /api/payments`, that takes the body as bytes and commits the raw ceiling's create
//! transaction ([`crate::raw::create_tx`]) — no signature check, no JSON, no domain, no nonce
//! rule — answering 201 with the payment key. It runs as its own process with one worker and
//! the same pool size as the server under test (`--workload bare-server --concurrency <pool>`),
//! and the `bare` workload drives it with the very requests `create` sends (signed, so the load
//! generator spends the same), so create / bare is what SimplePG's own code costs on top of
//! actix and the database.

use actix_web::{App, HttpResponse, HttpServer, web};
use anyhow::Context;

use crate::{
    Args,
    raw::{Pool, create_tx, prepare},
};

struct Bare {
    pool: Pool,
    client: String,
}

/// Serves until killed, on the port of `--url`.
pub async fn serve(args: &Args) -> anyhow::Result<()> {
    let port: u16 = args
        .url
        .rsplit(':')
        .next()
        .and_then(|p| p.trim_end_matches('/').parse().ok())
        .context("--url must end in :<port>")?;
    let (pool, client) = prepare(args).await?;
    let state = web::Data::new(Bare { pool, client });
    HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .route("/api/payments", web::post().to(create))
    })
    .workers(1)
    .bind(("127.0.0.1", port))?
    .run()
    .await?;
    Ok(())
}

async fn create(state: web::Data<Bare>, body: web::Bytes) -> HttpResponse {
    if body.is_empty() {
        return HttpResponse::BadRequest().finish();
    }
    let Ok(mut conn) = state.pool.get().await else {
        return HttpResponse::ServiceUnavailable().finish();
    };
    match create_tx(&mut conn, &state.client).await {
        Ok(created) => HttpResponse::Created()
            .content_type("application/json")
            .body(format!("{{\"paymentKey\":\"{}\"}}", created.key)),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}
