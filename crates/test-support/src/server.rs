//! The real server, started in-process on a listener of its own.

use std::{
    collections::HashMap,
    net::TcpListener,
    ops::Deref,
    sync::{Mutex, PoisonError},
    thread::JoinHandle,
    time::{Duration, Instant},
};

use actix_web::dev::ServerHandle;

use crate::{Api, net::loopback_listener, profile::server_env};

/// Why a server did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("the application did not start: {0}")]
    Build(String),
    #[error("the application's thread died while starting")]
    ThreadDied,
    #[error("no thread for the server: {0}")]
    Thread(String),
}

/// One running server instance.
///
/// It runs on its own thread with its own actix system, so that stopping or dropping it ends
/// everything it runs — HTTP workers, the outbox dispatcher, the sweepers — with their database
/// connections, as when a process dies. (On the test's own thread, the background tasks would
/// outlive `stop()`, and a transaction they left open would make the blocking `DROP DATABASE`
/// of a test database's `Drop` wait for a metadata lock forever.) They also keep running while
/// the test's thread blocks.
pub struct InProcessServer {
    base_url: String,
    handle: ServerHandle,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl InProcessServer {
    /// Starts the server configured by `env` (see [`server_env`]) on `listener`.
    pub async fn start(
        env: HashMap<String, String>,
        listener: TcpListener,
    ) -> Result<Self, StartError> {
        let (started_tx, started) = tokio::sync::oneshot::channel::<Result<_, String>>();
        let thread = std::thread::Builder::new()
            .name("simplepg-under-test".to_owned())
            .spawn(move || {
                actix_web::rt::System::new().block_on(async move {
                    let built = match app_server::Settings::load_from(&env) {
                        Ok(settings) => {
                            app_server::Application::build_with_listener(settings, listener).await
                        }
                        Err(e) => Err(e),
                    };
                    match built {
                        Ok(app) => {
                            let _ = started_tx.send(Ok((app.port(), app.handle())));
                            let _ = app.run_until_stopped().await;
                        }
                        Err(e) => {
                            let _ = started_tx.send(Err(format!("{e:#}")));
                        }
                    }
                });
            })
            .map_err(|e| StartError::Thread(e.to_string()))?;
        let (port, handle) = started
            .await
            .map_err(|_| StartError::ThreadDied)?
            .map_err(StartError::Build)?;
        Ok(Self {
            base_url: format!("http://127.0.0.1:{port}"),
            handle,
            thread: Mutex::new(Some(thread)),
        })
    }

    /// `http://127.0.0.1:port`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn handle(&self) -> &ServerHandle {
        &self.handle
    }

    /// Stops this instance gracefully, with its background workers (its database stays).
    pub async fn stop(&self) {
        self.handle.stop(true).await;
        self.wait_for_thread().await;
    }

    /// Stops this instance at once: in-flight requests and deliveries are dropped, nothing is
    /// finished or recorded (a crash, as far as the database and the network can tell).
    pub async fn kill(&self) {
        self.handle.stop(false).await;
        self.wait_for_thread().await;
    }

    async fn wait_for_thread(&self) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while !self.thread_ended() {
            assert!(Instant::now() < deadline, "the server's thread did not end");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// True (and the thread joined) once the server's thread has ended.
    fn thread_ended(&self) -> bool {
        let mut slot = self.thread.lock().unwrap_or_else(PoisonError::into_inner);
        match slot.take() {
            None => true,
            Some(thread) if thread.is_finished() => {
                let _ = thread.join();
                true
            }
            Some(thread) => {
                *slot = Some(thread);
                false
            }
        }
    }
}

impl Drop for InProcessServer {
    fn drop(&mut self) {
        // `stop` sends its command at once; the future only waits for completion. The server's
        // thread then ends on its own (it needs nothing from this one), closing its connections.
        drop(self.handle.stop(false));
        let thread = self
            .thread
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(thread) = thread {
            let _ = thread.join();
        }
    }
}

/// A server started on the test profile and a client of it; derefs to the client, and stops
/// the server when dropped.
pub struct Instance {
    pub server: InProcessServer,
    pub api: Api,
}

impl Instance {
    /// Starts a server on the test profile over `db_url`, with `extra` configuration.
    ///
    /// # Panics
    /// When the server does not start: the test cannot run.
    pub async fn start(db_url: &str, extra: &[(&str, &str)]) -> Self {
        Self::start_with(server_env(db_url, extra), loopback_listener(), Api::new).await
    }

    /// Starts a server configured by `env` on `listener`, with a client made by `client`.
    ///
    /// # Panics
    /// When the server does not start.
    pub async fn start_with(
        env: HashMap<String, String>,
        listener: TcpListener,
        client: impl FnOnce(String) -> Api,
    ) -> Self {
        let server = InProcessServer::start(env, listener)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let api = client(server.base_url().to_owned());
        Self { server, api }
    }
}

impl Deref for Instance {
    type Target = Api;

    fn deref(&self) -> &Api {
        &self.api
    }
}
