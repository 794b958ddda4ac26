//! The live feed's values ([`crate::feed`], which storage answers too), next to the feed itself
//! ([`super::live`]).

pub use crate::feed::{AttemptFeedEntry, AuditFeedEntry, FeedPosition};
