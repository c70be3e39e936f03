//! Circuit breakers and rate limiters (our catalog: the semantic conventions define neither).

use std::borrow::Cow;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

use opentelemetry::metrics::{Counter, Gauge, Meter};
use opentelemetry::KeyValue;

use super::{Bind, BoundRows};
use crate::catalog;
use crate::catalog::{Label, LabelKey, LabelTable};

crate::label_enum! {
    /// A circuit breaker's state (label `state`).
    pub enum BreakerState: "state" {
        Closed => "closed",
        HalfOpen => "half_open",
        Open => "open",
    }
}

crate::label_enum! {
    /// What became of a call through a breaker (label `result`).
    pub enum BreakerResult: "result" {
        Success => "success",
        Failure => "failure",
        /// Refused without trying: the breaker was open.
        Rejected => "rejected",
    }
}

crate::label_enum! {
    /// A rate limiter's decision (label `decision`).
    pub enum RateLimitDecision: "decision" {
        Allowed => "allowed",
        Limited => "limited",
    }
}

/// `instrument` over every row of `table` × every value of `L` (index `row * L::ALL.len() +
/// value`), the registered rows bound now, the `other` rows on first use.
fn bind_rows<I: Bind, L: Label>(table: &LabelTable, instrument: I) -> BoundRows<I> {
    let mut attributes = Vec::with_capacity(table.len() * L::ALL.len());
    for row in 0..table.len() {
        for value in L::ALL {
            let mut a = table.attributes(row);
            a.push(KeyValue::new(L::KEY, value.as_str()));
            attributes.push(a);
        }
    }
    let n = L::ALL.len();
    BoundRows::new(instrument, attributes, |i| {
        !table.is_fallback(LabelKey((i / n) as u32))
    })
}

/// The registered circuit breakers (label `breaker`), from
/// [`Platform::circuit_breakers`](crate::platform::Platform::circuit_breakers):
/// `marketplace.circuit_breaker.state` (1 on the current state, 0 on the others; every breaker
/// starts closed), `.calls` by result and `.transitions` by the state entered.
///
/// # Examples
///
/// ```
/// # let meter = opentelemetry::global::meter("docs");
/// # let platform = marketplace_telemetry::platform::Platform::new(&meter);
/// use marketplace_telemetry::platform::BreakerState;
/// let breakers = platform.circuit_breakers(["rdf", "registry"]);
/// let rdf = breakers.breaker("rdf");
/// rdf.record_failure();
/// assert!(rdf.set_state(BreakerState::Open));   // a transition: counted
/// assert!(!rdf.set_state(BreakerState::Open));  // no change: not counted
/// rdf.record_rejected();
/// assert_eq!(rdf.state(), BreakerState::Open);
/// ```
#[derive(Clone)]
pub struct CircuitBreakers {
    inner: Arc<BreakersInner>,
}

struct BreakersInner {
    table: LabelTable,
    state: BoundRows<Gauge<i64>>,
    calls: BoundRows<Counter<u64>>,
    transitions: BoundRows<Counter<u64>>,
    current: Box<[AtomicU8]>,
}

impl BreakersInner {
    /// Shows row `row`'s state (1 on the current state, 0 on the others).
    fn show_state(&self, row: usize) {
        let n = BreakerState::ALL.len();
        let current = self
            .current
            .get(row)
            .map_or(0, |c| c.load(Ordering::Acquire) as usize);
        for i in 0..n {
            if let Some(g) = self.state.get(row * n + i) {
                g.record(i64::from(i == current));
            }
        }
    }
}

impl std::fmt::Debug for CircuitBreakers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CircuitBreakers")
            .field("breakers", &self.inner.table)
            .finish()
    }
}

impl CircuitBreakers {
    pub(crate) fn new(meter: &Meter, ns: Option<&str>, table: LabelTable) -> Self {
        let state_gauge = catalog::BREAKER_STATE.i64_gauge(meter, ns);
        let calls_counter = catalog::BREAKER_CALLS.u64_counter(meter, ns);
        let transitions_counter = catalog::BREAKER_TRANSITIONS.u64_counter(meter, ns);
        let state = bind_rows::<_, BreakerState>(&table, state_gauge);
        let calls = bind_rows::<_, BreakerResult>(&table, calls_counter);
        let transitions = bind_rows::<_, BreakerState>(&table, transitions_counter);
        let current = (0..table.len())
            .map(|_| AtomicU8::new(BreakerState::Closed.index() as u8))
            .collect();
        let inner = BreakersInner {
            table,
            state,
            calls,
            transitions,
            current,
        };
        // Registered breakers show as closed from the start; the `other` row only once an
        // unregistered name asks for its handle (no breaker that does not exist on a
        // dashboard).
        for row in 0..inner.table.len() {
            if !inner.table.is_fallback(LabelKey(row as u32)) {
                inner.show_state(row);
            }
        }
        CircuitBreakers {
            inner: Arc::new(inner),
        }
    }

    /// The handle of breaker `name` (unregistered: `other`, shown from then on). Resolve
    /// once, keep it.
    pub fn breaker(&self, name: &str) -> CircuitBreaker {
        let key = self.inner.table.key(&[name]);
        let n = BreakerState::ALL.len();
        if self.inner.table.is_fallback(key) && !self.inner.state.is_bound(key.index() * n) {
            self.inner.show_state(key.index());
        }
        CircuitBreaker {
            row: key.index(),
            inner: self.inner.clone(),
        }
    }
}

/// One registered breaker (see [`CircuitBreakers`]). Cheap to clone.
#[derive(Clone)]
pub struct CircuitBreaker {
    inner: Arc<BreakersInner>,
    row: usize,
}

impl std::fmt::Debug for CircuitBreaker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CircuitBreaker")
            .field("breaker", &self.inner.table.row(self.row))
            .field("state", &self.state())
            .finish()
    }
}

impl CircuitBreaker {
    /// Counts a call by its result.
    #[inline]
    pub fn record(&self, result: BreakerResult) {
        let i = self.row * BreakerResult::ALL.len() + result.index();
        if let Some(c) = self.inner.calls.get(i) {
            c.add(1);
        }
    }

    /// Counts a successful call.
    #[inline]
    pub fn record_success(&self) {
        self.record(BreakerResult::Success);
    }

    /// Counts a failed call.
    #[inline]
    pub fn record_failure(&self) {
        self.record(BreakerResult::Failure);
    }

    /// Counts a call the open breaker refused.
    #[inline]
    pub fn record_rejected(&self) {
        self.record(BreakerResult::Rejected);
    }

    /// Moves the breaker to `state`; returns whether that was a change (then the transition
    /// is counted and the state gauge updated).
    pub fn set_state(&self, state: BreakerState) -> bool {
        let Some(current) = self.inner.current.get(self.row) else {
            return false;
        };
        let previous = current.swap(state.index() as u8, Ordering::AcqRel);
        if previous as usize == state.index() {
            return false;
        }
        let n = BreakerState::ALL.len();
        let base = self.row * n;
        if let Some(g) = self.inner.state.get(base + previous as usize) {
            g.record(0);
        }
        if let Some(g) = self.inner.state.get(base + state.index()) {
            g.record(1);
        }
        if let Some(c) = self.inner.transitions.get(base + state.index()) {
            c.add(1);
        }
        true
    }

    /// The current state.
    pub fn state(&self) -> BreakerState {
        let i = self
            .inner
            .current
            .get(self.row)
            .map_or(0, |c| c.load(Ordering::Acquire) as usize);
        BreakerState::ALL
            .get(i)
            .copied()
            .unwrap_or(BreakerState::Closed)
    }
}

/// The registered rate limiters (label `limiter`), from
/// [`Platform::rate_limiters`](crate::platform::Platform::rate_limiters):
/// `marketplace.rate_limit.decisions` (allowed/limited) and `marketplace.rate_limit.usage`
/// (share of the window's budget used, 0–1).
///
/// # Examples
///
/// ```
/// # let meter = opentelemetry::global::meter("docs");
/// # let platform = marketplace_telemetry::platform::Platform::new(&meter);
/// let limiters = platform.rate_limiters(["api", "llm"]);
/// let api = limiters.limiter("api");
/// api.record(true);        // allowed
/// api.record(false);       // limited
/// api.set_usage(80, 100);  // marketplace_rate_limit_usage_ratio 0.8
/// ```
#[derive(Clone)]
pub struct RateLimiters {
    inner: Arc<LimitersInner>,
}

struct LimitersInner {
    table: LabelTable,
    decisions: BoundRows<Counter<u64>>,
    usage: BoundRows<Gauge<f64>>,
}

impl std::fmt::Debug for RateLimiters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiters")
            .field("limiters", &self.inner.table)
            .finish()
    }
}

impl RateLimiters {
    pub(crate) fn new(meter: &Meter, ns: Option<&str>, table: LabelTable) -> Self {
        let decisions_counter = catalog::RATE_LIMIT_DECISIONS.u64_counter(meter, ns);
        let usage_gauge = catalog::RATE_LIMIT_USAGE.f64_gauge(meter, ns);
        let decisions = bind_rows::<_, RateLimitDecision>(&table, decisions_counter);
        let usage = BoundRows::new(
            usage_gauge,
            (0..table.len()).map(|i| table.attributes(i)).collect(),
            |i| !table.is_fallback(LabelKey(i as u32)),
        );
        RateLimiters {
            inner: Arc::new(LimitersInner {
                table,
                decisions,
                usage,
            }),
        }
    }

    /// The handle of limiter `name` (unregistered: `other`). Resolve once, keep it.
    pub fn limiter(&self, name: &str) -> RateLimiter {
        RateLimiter {
            row: self.inner.table.key(&[name]).index(),
            inner: self.inner.clone(),
        }
    }
}

/// One registered rate limiter (see [`RateLimiters`]). Cheap to clone.
#[derive(Clone)]
pub struct RateLimiter {
    inner: Arc<LimitersInner>,
    row: usize,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("RateLimiter")
            .field(&self.inner.table.row(self.row))
            .finish()
    }
}

impl RateLimiter {
    /// Counts a decision: `true` allowed, `false` limited.
    #[inline]
    pub fn record(&self, allowed: bool) {
        let d = if allowed {
            RateLimitDecision::Allowed
        } else {
            RateLimitDecision::Limited
        };
        if let Some(c) = self
            .inner
            .decisions
            .get(self.row * RateLimitDecision::ALL.len() + d.index())
        {
            c.add(1);
        }
    }

    /// Sets the share of the budget used in the current window: `used / limit`, clamped to
    /// 0–1 (a zero limit reads 1 when anything was used).
    pub fn set_usage(&self, used: u64, limit: u64) {
        let ratio = if limit == 0 {
            f64::from(u8::from(used > 0))
        } else {
            (used as f64 / limit as f64).min(1.0)
        };
        if let Some(g) = self.inner.usage.get(self.row) {
            g.record(ratio);
        }
    }
}

pub(crate) fn name_table<I, S>(key: &'static str, names: I) -> LabelTable
where
    I: IntoIterator<Item = S>,
    S: Into<Cow<'static, str>>,
{
    LabelTable::new(key, names)
}
