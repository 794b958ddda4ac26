//! The types the handlers' `#[utoipa::path]` annotations and the DTOs name, and nothing else
//! uses: path and header parameters, the problem responses of each error, and schema-only
//! types (enumerations of stable strings, request bodies read by hand). They depend on no
//! handler, so the OpenAPI document (`openapi`, which lists the handlers) and the handlers
//! (`routes`, which name these types) do not depend on each other.

pub mod params;
pub(crate) mod problems;
pub mod schemas;
