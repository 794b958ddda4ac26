//! Loopback ports for servers under test.

use std::net::TcpListener;

/// A loopback listener on a free port (bound, so nothing else takes the port meanwhile).
///
/// # Panics
/// When no port can be bound: the test cannot run at all.
pub fn loopback_listener() -> TcpListener {
    TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("no free loopback port: {e}"))
}

/// A port that was free a moment ago (for a child process that binds it itself).
///
/// # Panics
/// When no port can be bound.
pub fn free_port() -> u16 {
    loopback_listener()
        .local_addr()
        .unwrap_or_else(|e| panic!("a bound listener has an address: {e}"))
        .port()
}
