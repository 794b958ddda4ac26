//! Building the actix server.

use std::{net::TcpListener, time::Duration};

use actix_web::{App, HttpServer, dev::Server, middleware::from_fn, web};

use tracing_actix_web::TracingLogger;

use crate::{
    context::{RequestSpan, request_context},
    openapi, routes,
    state::AppState,
};

/// Request bodies above this many bytes get 413 (api.md conventions).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

#[derive(Clone, Debug)]
pub struct ServerOptions {
    pub workers: usize,
    /// How long a graceful shutdown waits for in-flight requests.
    pub shutdown_timeout: Duration,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            workers: 2,
            shutdown_timeout: Duration::from_secs(30),
        }
    }
}

/// Serves the API on an already bound listener (port 0 in tests). Signals are left to the
/// caller, which owns shutdown (see app-server).
pub fn serve(
    listener: TcpListener,
    state: AppState,
    options: &ServerOptions,
) -> std::io::Result<Server> {
    let data = web::Data::new(state);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
            // Inside the request context (the request id is assigned before it runs).
            .wrap(from_fn(routes::operator_calls::record_operator_calls))
            .wrap(from_fn(request_context))
            // Outermost (the last `wrap`): the request span is entered before anything else runs.
            .wrap(TracingLogger::<RequestSpan>::new())
            .configure(routes::configure)
            .configure(openapi::configure)
            .default_service(web::to(routes::not_found))
    })
    .workers(options.workers.max(1))
    .shutdown_timeout(options.shutdown_timeout.as_secs())
    .disable_signals()
    .listen(listener)?
    .run();
    Ok(server)
}
