//! Queues: the semantic-convention messaging instruments (`messaging.client.sent.messages`,
//! `messaging.client.consumed.messages`, `messaging.process.duration`) and our queue depth and
//! dead-letter gauges, per registered `messaging.destination.name`.

use std::borrow::Cow;
use std::sync::Arc;

use opentelemetry::metrics::{Counter, Gauge, Meter};
use opentelemetry::KeyValue;

use super::timed::{TimedCall, TimedRows};
use super::BoundRows;
use crate::catalog;
use crate::catalog::{LabelKey, LabelTable};

const DESTINATION: &str = "messaging.destination.name";

/// The queues of one `messaging.system` (`kafka`, `rabbitmq`, `aws_sqs`, `nats`… — the semconv
/// values where one applies), from
/// [`Platform::messaging`](crate::platform::Platform::messaging).
///
/// # Examples
///
/// ```
/// # let meter = opentelemetry::global::meter("docs");
/// # let platform = marketplace_telemetry::platform::Platform::new(&meter);
/// let queues = platform.messaging("rabbitmq", ["installs", "index"]);
/// let installs = queues.queue("installs");
/// installs.sent(1);                         // messaging_client_sent_messages_total
/// installs.consumed(1);                     // messaging_client_consumed_messages_total
/// installs.process().succeed();             // messaging_process_duration_seconds
/// installs.set_depth(42);                   // marketplace_queue_depth
/// installs.set_dead_letters(3);             // marketplace_queue_dead_letters
/// ```
#[derive(Clone)]
pub struct Messaging {
    inner: Arc<MessagingInner>,
}

struct MessagingInner {
    system: Cow<'static, str>,
    table: LabelTable,
    sent: BoundRows<Counter<u64>>,
    consumed: BoundRows<Counter<u64>>,
    process: TimedRows,
    depth: BoundRows<Gauge<u64>>,
    dead_letters: BoundRows<Gauge<u64>>,
}

impl std::fmt::Debug for Messaging {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Messaging")
            .field("messaging.system", &self.inner.system)
            .field("destinations", &self.inner.table)
            .finish()
    }
}

impl Messaging {
    pub(crate) fn new(
        meter: &Meter,
        ns: Option<&str>,
        system: Cow<'static, str>,
        destinations: LabelTable,
    ) -> Self {
        let system_kv = KeyValue::new("messaging.system", system.clone());
        let n = destinations.len();
        let attrs = |i: usize, op: Option<&'static str>| {
            let mut a = vec![system_kv.clone()];
            a.extend(destinations.attributes(i));
            if let Some(op) = op {
                a.push(KeyValue::new("messaging.operation.name", op));
            }
            a
        };
        let sent_counter = catalog::MESSAGING_SENT.u64_counter(meter, None);
        let consumed_counter = catalog::MESSAGING_CONSUMED.u64_counter(meter, None);
        let depth_gauge = catalog::QUEUE_DEPTH.u64_gauge(meter, ns);
        let dead_gauge = catalog::QUEUE_DEAD_LETTERS.u64_gauge(meter, ns);
        let registered = |i: usize| !destinations.is_fallback(LabelKey(i as u32));
        let rows = |op: Option<&'static str>| (0..n).map(|i| attrs(i, op)).collect::<Vec<_>>();
        let sent = BoundRows::new(sent_counter, rows(Some("send")), registered);
        let consumed = BoundRows::new(consumed_counter, rows(Some("receive")), registered);
        let depth = BoundRows::new(depth_gauge, rows(None), registered);
        let dead_letters = BoundRows::new(dead_gauge, rows(None), registered);
        let process = TimedRows::new(
            catalog::MESSAGING_PROCESS_DURATION.f64_histogram(meter, None),
            destinations.clone(),
            vec![
                system_kv,
                KeyValue::new("messaging.operation.name", "process"),
            ],
            registered,
        );
        Messaging {
            inner: Arc::new(MessagingInner {
                system,
                table: destinations,
                sent,
                consumed,
                process,
                depth,
                dead_letters,
            }),
        }
    }

    /// The handle of destination `name` (unregistered: `other`). Resolve once, keep it.
    pub fn queue(&self, name: &str) -> Queue {
        Queue {
            row: self.inner.table.key(&[name]).index(),
            inner: self.inner.clone(),
        }
    }
}

/// One registered destination (see [`Messaging`]). Cheap to clone.
#[derive(Clone)]
pub struct Queue {
    inner: Arc<MessagingInner>,
    row: usize,
}

impl std::fmt::Debug for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Queue")
            .field(&self.inner.table.row(self.row))
            .finish()
    }
}

impl Queue {
    /// Counts `n` messages sent (attempted) to the queue.
    #[inline]
    pub fn sent(&self, n: u64) {
        if let Some(c) = self.inner.sent.get(self.row) {
            c.add(n);
        }
    }

    /// Counts `n` messages delivered to the application.
    #[inline]
    pub fn consumed(&self, n: u64) {
        if let Some(c) = self.inner.consumed.get(self.row) {
            c.add(n);
        }
    }

    /// Times the processing of a message (`messaging.process.duration`, `error.type` on
    /// failure).
    #[inline]
    pub fn process(&self) -> TimedCall<'_> {
        TimedCall::start(&self.inner.process, self.row)
    }

    /// Sends one message's context: counts it sent, and — inside a sampled trace — records a
    /// producer span `send {destination}` (a child of the current span) whose context is
    /// injected into `headers` with the global propagator; outside one the current context
    /// (not sampled, or none) is injected as it is, so the consumer does not sample either.
    /// Put the headers on the message.
    ///
    /// ```
    /// use std::collections::HashMap;
    /// use marketplace_telemetry::platform::Platform;
    /// let meter = opentelemetry::global::meter("docs");
    /// let installs = Platform::new(&meter).messaging("rabbitmq", ["installs"]).queue("installs");
    /// let mut headers: HashMap<String, String> = HashMap::new();
    /// installs.send(&mut headers);                 // producer side: headers travel with the message
    /// let done: Result<(), std::io::Error> = Ok(());
    /// installs.receive(&headers).finish(done.map_err(|_| marketplace_telemetry::marketplace::ErrorCode::Internal));
    /// ```
    pub fn send(&self, headers: &mut dyn opentelemetry::propagation::Injector) {
        use tracing_opentelemetry::OpenTelemetrySpanExt as _;
        self.sent(1);
        let cx = if super::timed::in_sampled_trace() {
            let destination = self.destination();
            let span = tracing::info_span!(
                target: "marketplace_telemetry::platform",
                "messaging.send",
                otel.name = %format_args!("send {destination}"),
                otel.kind = "producer",
                messaging.system = %self.inner.system,
                messaging.destination.name = %destination,
                messaging.operation.type = "send",
                messaging.operation.name = "send",
            );
            span.context()
        } else {
            opentelemetry::Context::current()
        };
        opentelemetry::global::get_text_map_propagator(|p| p.inject_context(&cx, headers));
    }

    /// Receives one message: counts it consumed and times its processing
    /// (`messaging.process.duration`) under a consumer span `process {destination}` whose
    /// parent is the context the producer put in `headers` — the messaging conventions' rule
    /// for a message processed on its own, so the work joins the producer's trace. A message
    /// without a (sampled) context gets no span. Finish the returned call like
    /// [`process`](Self::process)'s.
    pub fn receive(&self, headers: &dyn opentelemetry::propagation::Extractor) -> TimedCall<'_> {
        use opentelemetry::trace::TraceContextExt as _;
        use tracing_opentelemetry::OpenTelemetrySpanExt as _;
        self.consumed(1);
        let parent = opentelemetry::global::get_text_map_propagator(|p| p.extract(headers));
        let span = parent.span().span_context().is_sampled().then(|| {
            let destination = self.destination();
            let span = tracing::info_span!(
                target: "marketplace_telemetry::platform",
                parent: None,
                "messaging.process",
                otel.name = %format_args!("process {destination}"),
                otel.kind = "consumer",
                messaging.system = %self.inner.system,
                messaging.destination.name = %destination,
                messaging.operation.type = "process",
                messaging.operation.name = "process",
                otel.status_code = tracing::field::Empty,
                error.type = tracing::field::Empty,
            );
            let _ = span.set_parent(parent);
            span
        });
        TimedCall::start_with_span(&self.inner.process, self.row, span)
    }

    /// Receives a message to process in a trace of its own, **linked** to the producer's: a
    /// dead-lettered message (moved with its headers, so the producer's context stays on it)
    /// processed later, or any consumer that must not extend the producer's trace. The
    /// consumer span `process {destination}` is a new root (or a child of the current span)
    /// with a link to the context in `headers`; made when either is sampled.
    pub fn receive_linked(
        &self,
        headers: &dyn opentelemetry::propagation::Extractor,
    ) -> TimedCall<'_> {
        self.receive_batch(&[headers])
    }

    /// Receives a batch processed together: counts each message consumed and times the batch
    /// under one consumer span `process {destination}` (a new root, or a child of the current
    /// span) with a **link** to each message's context — the messaging conventions' rule for
    /// batches (`messaging.batch.message_count` on the span). Made when a message's context or
    /// the current one is sampled.
    pub fn receive_batch(
        &self,
        messages: &[&dyn opentelemetry::propagation::Extractor],
    ) -> TimedCall<'_> {
        use opentelemetry::trace::TraceContextExt as _;
        use tracing_opentelemetry::OpenTelemetrySpanExt as _;
        self.consumed(messages.len() as u64);
        let links: Vec<opentelemetry::trace::SpanContext> = messages
            .iter()
            .map(|headers| {
                opentelemetry::global::get_text_map_propagator(|p| p.extract(*headers))
                    .span()
                    .span_context()
                    .clone()
            })
            .filter(|sc| sc.is_valid())
            .collect();
        let wanted = super::timed::in_sampled_trace() || links.iter().any(|sc| sc.is_sampled());
        let span = wanted.then(|| {
            let destination = self.destination();
            let span = tracing::info_span!(
                target: "marketplace_telemetry::platform",
                "messaging.process",
                otel.name = %format_args!("process {destination}"),
                otel.kind = "consumer",
                messaging.system = %self.inner.system,
                messaging.destination.name = %destination,
                messaging.operation.type = "process",
                messaging.operation.name = "process",
                messaging.batch.message_count = messages.len() as u64,
                otel.status_code = tracing::field::Empty,
                error.type = tracing::field::Empty,
            );
            for link in links {
                span.add_link(link);
            }
            span
        });
        TimedCall::start_with_span(&self.inner.process, self.row, span)
    }

    /// The destination's label value (`other` for an unregistered one).
    fn destination(&self) -> &str {
        self.inner
            .table
            .row(self.row)
            .first()
            .map_or(crate::catalog::OTHER, |v| v.as_ref())
    }

    /// Sets the number of messages waiting (`marketplace.queue.depth`).
    #[inline]
    pub fn set_depth(&self, depth: u64) {
        if let Some(g) = self.inner.depth.get(self.row) {
            g.record(depth);
        }
    }

    /// Sets the number of messages in the dead-letter queue (`marketplace.queue.dead_letters`).
    #[inline]
    pub fn set_dead_letters(&self, count: u64) {
        if let Some(g) = self.inner.dead_letters.get(self.row) {
            g.record(count);
        }
    }
}

pub(crate) fn destination_table<I, S>(names: I) -> LabelTable
where
    I: IntoIterator<Item = S>,
    S: Into<Cow<'static, str>>,
{
    LabelTable::new(DESTINATION, names)
}
