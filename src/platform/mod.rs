//! Platform instruments: what a service needs besides its domain operations — database calls
//! and connection pools, queues and dead letters, LLM calls, circuit breakers and rate
//! limiters. Where the OpenTelemetry semantic conventions define an instrument it is used
//! exactly (name, unit, attributes, recommended buckets: [`catalog::SEMCONV`] and
//! [`catalog::SEMCONV_GENAI`]), so the shipped rules and dashboards also serve services
//! instrumented with an official OpenTelemetry SDK in another language; our own names cover
//! the rest (queue depth, dead letters, breakers, rate limits, cost). The full list with units
//! and labels is [`catalog::PLATFORM`].
//!
//! Every handle is created once at startup from [`Platform`] with its label values
//! registered ([`LabelTable`]: unknown values count as `other`), pre-bound, cheap to clone and
//! allocation-free per call.
//!
//! ```
//! # let meter = opentelemetry::global::meter("docs");
//! use marketplace_telemetry::marketplace::ErrorCode;
//! use marketplace_telemetry::platform::{BreakerState, GenAiOperation, Platform};
//!
//! let platform = Platform::new(&meter);       // or `telemetry.platform()`
//! let db = platform.db_client("postgresql", ["SELECT", "INSERT"], ["packages"]);
//! let pools = platform.connection_pools(["main"]);
//! let queues = platform.messaging("rabbitmq", ["installs"]);
//! let llm = platform.gen_ai([GenAiOperation::Chat], [("openai", "gpt-4o")]);
//! let breakers = platform.circuit_breakers(["rdf"]);
//! let limiters = platform.rate_limiters(["api"]);
//!
//! let pool = pools.pool("main");
//! pool.set_max(10);
//! let conn = pool.acquire().acquired();           // wait time, used +1
//! let rows: Result<u64, ErrorCode> = db.query("SELECT", "packages").finish(Ok(3));
//! drop(conn);                                     // use time, used −1
//!
//! let installs = queues.queue("installs");
//! installs.sent(1);
//! installs.set_depth(12);
//! let call = llm.call(GenAiOperation::Chat, "openai", "gpt-4o");
//! call.tokens(1_200, 300);
//! call.cost_usd(0.004);
//! call.succeed();
//!
//! let rdf = breakers.breaker("rdf");
//! rdf.record_failure();
//! rdf.set_state(BreakerState::Open);
//! limiters.limiter("api").record(false);          // limited
//! ```
//!
//! [`LabelTable`]: crate::catalog::LabelTable
//! [`catalog::SEMCONV`]: crate::catalog::SEMCONV
//! [`catalog::SEMCONV_GENAI`]: crate::catalog::SEMCONV_GENAI
//! [`catalog::PLATFORM`]: crate::catalog::PLATFORM

mod db;
mod genai;
mod messaging;
mod resilience;
mod timed;

use std::sync::OnceLock;

pub use db::{
    ConnectionPool, ConnectionPools, DbCall, DbClient, PendingConnection, PoolStatus,
    PooledConnection,
};
pub use genai::{GenAi, GenAiCall, GenAiOperation, TokenType};
pub use messaging::{Messaging, Queue};
pub use resilience::{
    BreakerResult, BreakerState, CircuitBreaker, CircuitBreakers, RateLimitDecision, RateLimiter,
    RateLimiters,
};
#[cfg(feature = "http-client")]
pub(crate) use timed::in_sampled_trace;
pub use timed::{TimedCall, CANCELLED};

use db::pool_table;
use genai::model_table;
use messaging::destination_table;
use resilience::name_table;

use std::borrow::Cow;

pub(crate) use crate::catalog::bound_rows::{Bind, BoundRows};
use crate::catalog::LabelTable;
use opentelemetry::metrics::Meter;

/// The factory of the platform handles: a meter, and the namespace of our own instrument names
/// (the semantic-convention ones never take it). Get it from
/// [`Telemetry::platform`](crate::Telemetry::platform) (the pipeline's meter and the configured
/// namespace) or build it from any meter with [`Platform::new`]. Cheap to clone; create each
/// handle once at startup and keep it in your state.
///
/// ```
/// use marketplace_telemetry::platform::{DbClient, Platform};
///
/// let meter = opentelemetry::global::meter("docs");
/// let platform = Platform::new(&meter).with_metrics_namespace("shop");
/// let db: DbClient = platform.db_client("postgresql", ["SELECT"], ["orders"]);
/// db.query("SELECT", "orders").succeed();
/// ```
#[derive(Clone)]
pub struct Platform {
    meter: Meter,
    namespace: Option<std::sync::Arc<str>>,
}

impl std::fmt::Debug for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Platform")
            .field("namespace", &self.namespace)
            .finish()
    }
}

impl Platform {
    /// The platform handles over `meter`, without a namespace.
    pub fn new(meter: &Meter) -> Self {
        Platform {
            meter: meter.clone(),
            namespace: None,
        }
    }

    /// Prefixes our own instrument names (`shop.marketplace.queue.depth`); the semantic-convention
    /// instruments keep their names.
    pub fn with_metrics_namespace(mut self, namespace: impl Into<String>) -> Self {
        let ns: String = namespace.into();
        self.namespace = (!ns.trim().is_empty()).then(|| ns.trim().into());
        self
    }

    fn meter_ref(&self) -> &Meter {
        &self.meter
    }

    fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }

    /// Database calls of one `db.system.name` over registered `db.operation.name` ×
    /// `db.collection.name` values (see [`DbClient`]).
    pub fn db_client<O, C>(
        &self,
        system: impl Into<Cow<'static, str>>,
        operations: impl IntoIterator<Item = O>,
        collections: impl IntoIterator<Item = C>,
    ) -> DbClient
    where
        O: Into<Cow<'static, str>>,
        C: Into<Cow<'static, str>>,
    {
        let table = LabelTable::new("db.operation.name", operations)
            .cross("db.collection.name", collections);
        DbClient::new(self.meter_ref(), system.into(), table)
    }

    /// The registered connection pools (see
    /// [`ConnectionPools`]).
    pub fn connection_pools<I, S>(&self, names: I) -> ConnectionPools
    where
        I: IntoIterator<Item = S>,
        S: Into<Cow<'static, str>>,
    {
        ConnectionPools::new(self.meter_ref(), pool_table(names))
    }

    /// The registered queues of one `messaging.system` (see
    /// [`Messaging`]).
    pub fn messaging<I, S>(
        &self,
        system: impl Into<Cow<'static, str>>,
        destinations: I,
    ) -> Messaging
    where
        I: IntoIterator<Item = S>,
        S: Into<Cow<'static, str>>,
    {
        Messaging::new(
            self.meter_ref(),
            self.namespace(),
            system.into(),
            destination_table(destinations),
        )
    }

    /// LLM calls over registered provider/model pairs, `operations` pre-bound (see
    /// [`GenAi`]).
    pub fn gen_ai<I, A, B>(
        &self,
        operations: impl IntoIterator<Item = GenAiOperation>,
        models: I,
    ) -> GenAi
    where
        I: IntoIterator<Item = (A, B)>,
        A: Into<Cow<'static, str>>,
        B: Into<Cow<'static, str>>,
    {
        let operations: Vec<_> = operations.into_iter().collect();
        GenAi::new(
            self.meter_ref(),
            self.namespace(),
            &operations,
            model_table(models),
        )
    }

    /// The registered circuit breakers (see
    /// [`CircuitBreakers`]).
    pub fn circuit_breakers<I, S>(&self, names: I) -> CircuitBreakers
    where
        I: IntoIterator<Item = S>,
        S: Into<Cow<'static, str>>,
    {
        CircuitBreakers::new(
            self.meter_ref(),
            self.namespace(),
            name_table("breaker", names),
        )
    }

    /// The registered rate limiters (see [`RateLimiters`]).
    pub fn rate_limiters<I, S>(&self, names: I) -> RateLimiters
    where
        I: IntoIterator<Item = S>,
        S: Into<Cow<'static, str>>,
    {
        RateLimiters::new(
            self.meter_ref(),
            self.namespace(),
            name_table("limiter", names),
        )
    }
}

/// Instruments bound per row on first use (or at build when pre-bound).
pub(crate) struct Lazy<B> {
    cells: Box<[OnceLock<B>]>,
}

impl<B> Lazy<B> {
    pub(crate) fn new(len: usize) -> Self {
        Lazy {
            cells: (0..len).map(|_| OnceLock::new()).collect(),
        }
    }

    #[inline]
    pub(crate) fn get(&self, i: usize, bind: impl FnOnce() -> B) -> Option<&B> {
        Some(self.cells.get(i)?.get_or_init(bind))
    }
}
