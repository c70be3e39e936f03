//! The shared vocabulary, a leaf: it imports nothing of this crate. Every instrument's spec
//! ([`InstrumentSpec`], [`CATALOG`], [`PLATFORM`], the semantic-convention tables), the
//! bounded label types ([`Label`], [`label_enum!`](crate::label_enum), [`ErrorCode`],
//! [`ItemType`], …), the runtime label tables ([`LabelTable`]), how an operation ends
//! ([`OperationResult`]) and the row binding the instruments share. The domain
//! (`marketplace`), the platform handles (`platform`),
//! the HTTP layer and the assets crate all build on it; it builds on nothing of theirs.
//!
//! `marketplace::catalog` is this module, and the `marketplace::` paths of these types keep
//! working.
//!
//! ```
//! use marketplace_telemetry::catalog::{Kind, CATALOG};
//! let search = CATALOG.iter().find(|s| s.name == "marketplace.search.duration").unwrap();
//! assert_eq!(search.kind, Kind::Histogram);
//! assert_eq!(search.prometheus_name(None), "marketplace_search_duration_seconds");
//! ```

pub(crate) mod bound_rows;
mod instruments;
mod label_table;
mod labels;
mod outcome;
mod semconv;
mod settings;

pub use instruments::*;
pub use label_table::{LabelKey, LabelTable, MAX_ROWS, MAX_VALUE_LEN, OTHER};
pub use labels::{
    CacheResult, ErrorCode, ErrorCodeOf, Fault, ItemType, Label, Operation, Outcome, QueryKind,
};
pub use outcome::OperationResult;
pub(crate) use outcome::{
    mark_span_error, mark_span_error_attribute, mark_span_error_type, with_active_span,
};
pub use semconv::*;
pub use settings::MarketplaceSettings;
