//! Errors shared by every port.

/// Infrastructure failed (database unreachable, a query failed, ...). The domain never inspects
/// it; it carries the source so the edge can log the chain once.
#[derive(Debug, thiserror::Error)]
#[error("storage backend failed: {0}")]
pub struct RepositoryError(#[source] Box<dyn std::error::Error + Send + Sync + 'static>);

impl RepositoryError {
    pub fn new(source: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self(Box::new(source))
    }

    /// A failure described only by a message (e.g. a row that violates the schema's promises).
    pub fn msg(message: impl Into<String>) -> Self {
        Self(message.into().into())
    }

    /// True when the underlying cause says the backend could not be reached at all, as opposed
    /// to a query that ran and failed. Adapters mark such errors with [`Unavailable`].
    pub fn is_unavailable(&self) -> bool {
        self.0.downcast_ref::<Unavailable>().is_some()
    }
}

/// Marker cause: the storage backend is unreachable (connection refused, pool timed out).
#[derive(Debug, thiserror::Error)]
#[error("storage backend unavailable: {0}")]
pub struct Unavailable(pub String);

impl From<Unavailable> for RepositoryError {
    fn from(value: Unavailable) -> Self {
        Self::new(value)
    }
}
