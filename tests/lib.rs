//! Black-box test crate: see api/.
