//! Bounded label values as enums. A closed set of values is an enum, never a string: the
//! series count of every instrument is known at compile time.

/// A bounded label: an enum whose values are known up front. Implement it with
/// [`label_enum!`](crate::label_enum) for your own operations.
///
/// # Examples
///
/// ```
/// use marketplace_telemetry::marketplace::{ItemType, Label};
/// assert_eq!(ItemType::KEY, "item_type");
/// assert_eq!(ItemType::Plugin.as_str(), "plugin");
/// assert_eq!(ItemType::ALL.len(), 4);
/// ```
pub trait Label: Copy + Send + Sync + 'static {
    /// The label name, e.g. `item_type`.
    const KEY: &'static str;
    /// Every value, in index order.
    const ALL: &'static [Self];
    /// Position in [`ALL`](Self::ALL); the hot path indexes pre-bound instruments with it.
    fn index(self) -> usize;
    /// The label value as exported.
    fn as_str(self) -> &'static str;
}

/// Defines a bounded label enum implementing [`Label`], `Display` and `Debug`.
///
/// # Examples
///
/// ```
/// marketplace_telemetry::label_enum! {
///     /// Which queue a consumer reads.
///     pub enum Queue: "queue" {
///         Ingest => "ingest",
///         Reindex => "reindex",
///     }
/// }
/// use marketplace_telemetry::marketplace::Label;
/// assert_eq!(Queue::Reindex.as_str(), "reindex");
/// assert_eq!(Queue::Reindex.index(), 1);
/// ```
#[macro_export]
macro_rules! label_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident : $key:literal {
            $( $(#[$vmeta:meta])* $variant:ident => $value:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $vis enum $name {
            $( $(#[$vmeta])* #[doc = concat!("`", $value, "`")] $variant ),+
        }

        impl $crate::catalog::Label for $name {
            const KEY: &'static str = $key;
            const ALL: &'static [Self] = &[$($name::$variant),+];
            #[inline]
            fn index(self) -> usize {
                self as usize
            }
            #[inline]
            fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $value),+
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str($crate::catalog::Label::as_str(*self))
            }
        }
    };
}

crate::label_enum! {
    /// What kind of marketplace item an operation is about.
    pub enum ItemType: "item_type" {
        Plugin => "plugin",
        Template => "template",
        Scenario => "scenario",
        Package => "package",
    }
}

crate::label_enum! {
    /// How an operation ended.
    pub enum Outcome: "outcome" {
        Success => "success",
        Error => "error",
        /// Dropped before it finished (a cancelled future, an early return).
        Cancelled => "cancelled",
        /// Failed with a client fault ([`Fault::Client`]: the caller's mistake or its quota,
        /// e.g. `rate_limited`, `not_found`): not an error of the service, so error-ratio SLIs,
        /// SLO burn alerts and the paging error alert do not count it.
        ClientError => "client_error",
    }
}

/// Whose fault a failure is: the one place every [`ErrorCode`] is classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// The caller's: bad input, a missing item, no permission, a conflict, its rate limit —
    /// HTTP 4xx. Counted as `outcome="client_error"`; burns no error budget.
    Client,
    /// The service's (or a dependency's): timeouts, unavailability, internal errors — HTTP
    /// 5xx. Counted as `outcome="error"`; burns the error budget and can page.
    Server,
}

impl ErrorCode {
    /// Whose fault this code is. Client: `not_found`, `validation_failed`, `conflict`,
    /// `unauthorized`, `rate_limited`. Server: `timeout`, `unavailable`, `internal`, `other`
    /// (an unclassified failure counts against the service, so nothing is hidden). A custom
    /// error type declares its class through the code its
    /// [`ErrorCodeOf::error_code`] returns.
    pub const fn fault(self) -> Fault {
        match self {
            ErrorCode::NotFound
            | ErrorCode::ValidationFailed
            | ErrorCode::Conflict
            | ErrorCode::Unauthorized
            | ErrorCode::RateLimited => Fault::Client,
            ErrorCode::Timeout
            | ErrorCode::Unavailable
            | ErrorCode::Internal
            | ErrorCode::Other => Fault::Server,
        }
    }

    /// The [`Outcome`] an operation failing with this code ends with.
    pub const fn outcome(self) -> Outcome {
        match self.fault() {
            Fault::Client => Outcome::ClientError,
            Fault::Server => Outcome::Error,
        }
    }
}

crate::label_enum! {
    /// Why an operation failed. Anything unclassified is [`ErrorCode::Other`].
    pub enum ErrorCode: "error_code" {
        NotFound => "not_found",
        ValidationFailed => "validation_failed",
        Timeout => "timeout",
        Unavailable => "unavailable",
        Conflict => "conflict",
        Unauthorized => "unauthorized",
        RateLimited => "rate_limited",
        Internal => "internal",
        Other => "other",
    }
}

crate::label_enum! {
    /// The built-in marketplace operations (values of the `operation` label).
    pub enum Operation: "operation" {
        Search => "search",
        CacheLookup => "cache_lookup",
        Install => "install",
        RdfQuery => "rdf_query",
        Publish => "publish",
        Download => "download",
    }
}

crate::label_enum! {
    /// Result of a cache lookup.
    pub enum CacheResult: "result" {
        Hit => "hit",
        Miss => "miss",
    }
}

crate::label_enum! {
    /// SPARQL query form of an RDF query.
    pub enum QueryKind: "query_kind" {
        Select => "select",
        Construct => "construct",
        Ask => "ask",
        Describe => "describe",
        Update => "update",
    }
}

/// Lets an error type name its [`ErrorCode`]. The default method says
/// [`ErrorCode::Other`], so `impl ErrorCodeOf for MyError {}` is enough to start.
///
/// # Examples
///
/// ```
/// use marketplace_telemetry::marketplace::{ErrorCode, ErrorCodeOf};
///
/// enum RegistryError { Missing, Busy }
/// impl ErrorCodeOf for RegistryError {
///     fn error_code(&self) -> ErrorCode {
///         match self {
///             RegistryError::Missing => ErrorCode::NotFound,
///             RegistryError::Busy => ErrorCode::Unavailable,
///         }
///     }
/// }
/// assert_eq!(RegistryError::Busy.error_code(), ErrorCode::Unavailable);
/// ```
pub trait ErrorCodeOf {
    /// The code this error is counted under.
    fn error_code(&self) -> ErrorCode {
        ErrorCode::Other
    }
}

impl ErrorCodeOf for ErrorCode {
    fn error_code(&self) -> ErrorCode {
        *self
    }
}

impl<E: ErrorCodeOf + ?Sized> ErrorCodeOf for &E {
    fn error_code(&self) -> ErrorCode {
        (**self).error_code()
    }
}

impl<E: ErrorCodeOf + ?Sized> ErrorCodeOf for Box<E> {
    fn error_code(&self) -> ErrorCode {
        (**self).error_code()
    }
}

impl ErrorCodeOf for std::io::Error {
    fn error_code(&self) -> ErrorCode {
        use std::io::ErrorKind as K;
        match self.kind() {
            K::NotFound => ErrorCode::NotFound,
            K::TimedOut | K::WouldBlock => ErrorCode::Timeout,
            K::PermissionDenied => ErrorCode::Unauthorized,
            K::ConnectionRefused | K::ConnectionReset | K::ConnectionAborted | K::NotConnected => {
                ErrorCode::Unavailable
            }
            K::AlreadyExists => ErrorCode::Conflict,
            K::InvalidInput | K::InvalidData => ErrorCode::ValidationFailed,
            _ => ErrorCode::Other,
        }
    }
}

impl ErrorCodeOf for dyn std::error::Error + Send + Sync {}
impl ErrorCodeOf for dyn std::error::Error {}
impl ErrorCodeOf for String {}
impl ErrorCodeOf for str {}
impl ErrorCodeOf for std::convert::Infallible {}
impl ErrorCodeOf for () {}
