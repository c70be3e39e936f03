//! LLM calls, GenAI semantic conventions (1.41, their last release in the main repository):
//! `gen_ai.client.operation.duration`, `gen_ai.client.token.usage`, and our cost counter,
//! per operation × registered provider/model pair.

use std::borrow::Cow;
use std::sync::Arc;

use opentelemetry::metrics::{BoundCounter, BoundHistogram, Counter, Histogram, Meter};
use opentelemetry::KeyValue;

use super::timed::{TimedCall, TimedRows};
use super::Lazy;
use crate::catalog;
use crate::catalog::{ErrorCodeOf, Label, LabelKey, LabelTable, OperationResult};

crate::label_enum! {
    /// `gen_ai.operation.name` (the semconv values).
    pub enum GenAiOperation: "gen_ai.operation.name" {
        Chat => "chat",
        GenerateContent => "generate_content",
        TextCompletion => "text_completion",
        Embeddings => "embeddings",
        Retrieval => "retrieval",
        CreateAgent => "create_agent",
        InvokeAgent => "invoke_agent",
        ExecuteTool => "execute_tool",
        InvokeWorkflow => "invoke_workflow",
    }
}

crate::label_enum! {
    /// `gen_ai.token.type`.
    pub enum TokenType: "gen_ai.token.type" {
        Input => "input",
        Output => "output",
    }
}

/// LLM calls per `gen_ai.operation.name` × registered `gen_ai.provider.name` /
/// `gen_ai.request.model` pairs (an unregistered model of a known provider counts as
/// `(provider, other)`, an unknown provider as `(other, other)`), from
/// [`Platform::gen_ai`](crate::platform::Platform::gen_ai). The
/// operations given there are pre-bound; others are bound on first use.
///
/// # Examples
///
/// ```
/// # let meter = opentelemetry::global::meter("docs");
/// # let platform = marketplace_telemetry::platform::Platform::new(&meter);
/// use marketplace_telemetry::marketplace::ErrorCode;
/// use marketplace_telemetry::platform::GenAiOperation;
/// let llm = platform.gen_ai(
///     [GenAiOperation::Chat],
///     [("openai", "gpt-4o"), ("anthropic", "claude-sonnet-4")],
/// );
/// let call = llm.call(GenAiOperation::Chat, "anthropic", "claude-sonnet-4");
/// call.tokens(812, 96);   // gen_ai_client_token_usage{gen_ai_token_type="input"|"output"}
/// call.cost_usd(0.0038);  // marketplace_gen_ai_cost_usd_total
/// call.fail(ErrorCode::RateLimited); // gen_ai_client_operation_duration_seconds{error_type="rate_limited"}
/// ```
#[derive(Clone)]
pub struct GenAi {
    inner: Arc<GenAiInner>,
}

struct GenAiInner {
    duration: TimedRows,
    tokens_histogram: Histogram<u64>,
    tokens: Lazy<[BoundHistogram<u64>; 2]>,
    cost_counter: Counter<f64>,
    cost: Lazy<BoundCounter<f64>>,
}

impl std::fmt::Debug for GenAi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GenAi")
            .field("labels", self.inner.duration.table())
            .finish()
    }
}

impl GenAi {
    pub(crate) fn new(
        meter: &Meter,
        ns: Option<&str>,
        operations: &[GenAiOperation],
        models: LabelTable,
    ) -> Self {
        let ops: Vec<&'static str> = GenAiOperation::ALL.iter().map(|o| o.as_str()).collect();
        let table = LabelTable::closed(GenAiOperation::KEY, &ops).product(&models);
        let per_op = models.len();
        // The listed operations' registered rows; `other` rows bind on first use.
        let fallback: Vec<bool> = (0..table.len())
            .map(|r| table.is_fallback(crate::catalog::LabelKey(r as u32)))
            .collect();
        let prebound = |row: usize| {
            !fallback[row] && operations.iter().any(|o| row / per_op.max(1) == o.index())
        };
        let rows = table.len();
        let duration = TimedRows::new(
            catalog::GENAI_OPERATION_DURATION.f64_histogram(meter, None),
            table,
            Vec::new(),
            prebound,
        );
        let inner = GenAiInner {
            tokens_histogram: catalog::GENAI_TOKEN_USAGE.u64_histogram(meter, None),
            tokens: Lazy::new(rows),
            cost_counter: catalog::GENAI_COST.f64_counter(meter, ns),
            cost: Lazy::new(rows),
            duration,
        };
        for row in (0..rows).filter(|r| prebound(*r)) {
            inner.tokens(row);
            inner.cost(row);
        }
        GenAi {
            inner: Arc::new(inner),
        }
    }

    /// The row of `operation` × `provider` × `model`.
    #[inline]
    pub fn key(&self, operation: GenAiOperation, provider: &str, model: &str) -> LabelKey {
        self.inner
            .duration
            .table()
            .key(&[operation.as_str(), provider, model])
    }

    /// Starts timing an LLM call.
    #[inline]
    pub fn call(&self, operation: GenAiOperation, provider: &str, model: &str) -> GenAiCall<'_> {
        self.call_key(self.key(operation, provider, model))
    }

    /// Starts timing an LLM call of a resolved row.
    #[inline]
    pub fn call_key(&self, key: LabelKey) -> GenAiCall<'_> {
        let row = key.index();
        GenAiCall {
            call: TimedCall::start_with_span(&self.inner.duration, row, self.inner.span(row)),
            inner: &self.inner,
        }
    }
}

impl GenAiInner {
    /// The semconv client span of a call on `row` (`{gen_ai.operation.name}
    /// {gen_ai.request.model}`, kind client), a child of the current span — only inside a
    /// sampled trace.
    fn span(&self, row: usize) -> Option<tracing::Span> {
        if !super::timed::in_sampled_trace() {
            return None;
        }
        let values = self.duration.table().row(row);
        let (operation, provider, model) = (values.first()?, values.get(1)?, values.get(2)?);
        Some(tracing::info_span!(
            target: "marketplace_telemetry::platform",
            "gen_ai.client",
            otel.name = %format_args!("{operation} {model}"),
            otel.kind = "client",
            gen_ai.operation.name = %operation,
            gen_ai.provider.name = %provider,
            gen_ai.request.model = %model,
            gen_ai.usage.input_tokens = tracing::field::Empty,
            gen_ai.usage.output_tokens = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
        ))
    }

    fn tokens(&self, row: usize) -> Option<&[BoundHistogram<u64>; 2]> {
        self.tokens.get(row, || {
            let attrs = self.duration.attributes(row);
            [TokenType::Input, TokenType::Output].map(|t| {
                let mut a = attrs.clone();
                a.push(KeyValue::new(TokenType::KEY, t.as_str()));
                self.tokens_histogram.bind(&a)
            })
        })
    }

    fn cost(&self, row: usize) -> Option<&BoundCounter<f64>> {
        self.cost.get(row, || {
            self.cost_counter.bind(&self.duration.attributes(row))
        })
    }
}

/// An LLM call in progress (see [`TimedCall`]).
#[must_use = "a call dropped unfinished records error.type=\"cancelled\""]
pub struct GenAiCall<'a> {
    call: TimedCall<'a>,
    inner: &'a GenAiInner,
}

impl std::fmt::Debug for GenAiCall<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("GenAiCall").field(&self.call).finish()
    }
}

impl GenAiCall<'_> {
    /// Records the input and output tokens the call used (`gen_ai.client.token.usage`).
    #[inline]
    pub fn tokens(&self, input: u64, output: u64) {
        if let Some([i, o]) = self.inner.tokens(self.call.row()) {
            i.record(input);
            o.record(output);
        }
        if let Some(span) = self.call.span_ref() {
            span.record("gen_ai.usage.input_tokens", input);
            span.record("gen_ai.usage.output_tokens", output);
        }
    }

    /// Adds the call's cost in US dollars (`marketplace.gen_ai.cost.usd`); negative or
    /// non-finite amounts are ignored.
    #[inline]
    pub fn cost_usd(&self, usd: f64) {
        if usd.is_finite() && usd >= 0.0 {
            if let Some(c) = self.inner.cost(self.call.row()) {
                c.add(usd);
            }
        }
    }

    /// See [`TimedCall::finish`].
    #[inline]
    pub fn finish<R: OperationResult>(self, result: R) -> R {
        self.call.finish(result)
    }

    /// See [`TimedCall::succeed`].
    #[inline]
    pub fn succeed(self) {
        self.call.succeed()
    }

    /// See [`TimedCall::fail`].
    #[inline]
    pub fn fail(self, code: impl ErrorCodeOf) {
        self.call.fail(code)
    }
}

pub(crate) fn model_table<I, A, B>(pairs: I) -> LabelTable
where
    I: IntoIterator<Item = (A, B)>,
    A: Into<Cow<'static, str>>,
    B: Into<Cow<'static, str>>,
{
    LabelTable::pairs(["gen_ai.provider.name", "gen_ai.request.model"], pairs)
}
