//! The single source of truth for every domain instrument: OpenTelemetry name, kind, unit,
//! description, bucket boundaries and label set. Instrument creation, the README's series
//! table and the ops assets' checks all read from [`CATALOG`].

use opentelemetry::metrics::{
    AsyncInstrumentBuilder, Counter, Gauge, Histogram, Meter, ObservableUpDownCounter,
    UpDownCounter,
};

use super::labels::Operation;

/// What kind of instrument a catalog entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Monotonic counter (`_total` on the scrape).
    Counter,
    /// Up-down counter (a gauge on the scrape).
    UpDownCounter,
    /// Gauge.
    Gauge,
    /// Explicit-bucket histogram.
    Histogram,
}

/// One domain instrument.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct InstrumentSpec {
    /// OpenTelemetry name without namespace, e.g. `marketplace.search.duration`.
    pub name: &'static str,
    /// Instrument kind.
    pub kind: Kind,
    /// UCUM unit (`s` for durations; `{...}` annotations for counts).
    pub unit: &'static str,
    /// Description (`# HELP` on the scrape).
    pub description: &'static str,
    /// Histogram bucket boundaries (empty for other kinds).
    pub boundaries: &'static [f64],
    /// Label names, in the order documented.
    pub labels: &'static [&'static str],
    /// The OpenTelemetry semantic-conventions release that defines this instrument (its name,
    /// unit, attributes and buckets are used exactly), or `None` for our own.
    pub semconv: Option<&'static str>,
}

impl InstrumentSpec {
    /// The OpenTelemetry name with an optional namespace (`mockforge` →
    /// `mockforge.marketplace.search.duration`); semantic-convention instruments keep their
    /// name.
    pub fn otel_name(&self, namespace: Option<&str>) -> String {
        match namespace.filter(|_| self.semconv.is_none()) {
            Some(ns) => format!("{ns}.{}", self.name),
            None => self.name.to_string(),
        }
    }

    /// The metric family name on the Prometheus scrape, as opentelemetry-prometheus renders it
    /// (dots → `_`, unit suffix, `_total` for counters).
    ///
    /// # Examples
    ///
    /// ```
    /// use marketplace_telemetry::marketplace::catalog::SEARCH_DURATION;
    /// assert_eq!(SEARCH_DURATION.prometheus_name(None), "marketplace_search_duration_seconds");
    /// assert_eq!(
    ///     SEARCH_DURATION.prometheus_name(Some("mockforge")),
    ///     "mockforge_marketplace_search_duration_seconds"
    /// );
    /// ```
    pub fn prometheus_name(&self, namespace: Option<&str>) -> String {
        let mut name = self.otel_name(namespace).replace(['.', '-'], "_");
        match self.unit {
            "s" => name.push_str("_seconds"),
            "By" => name.push_str("_bytes"),
            "1" => name.push_str("_ratio"),
            _ => {}
        }
        if self.kind == Kind::Counter {
            name.push_str("_total");
        }
        name
    }
}

// === instruments built from their spec ===

/// Each instrument is built from its spec — name (namespaced unless the spec is a semantic
/// convention's), unit, description and, for histograms, the spec's buckets (none given: the
/// SDK's defaults) — never by a hand-chained builder that could drift from the catalog.
///
/// ```
/// use marketplace_telemetry::catalog::{DB_OPERATION_DURATION, QUEUE_DEPTH};
/// let meter = opentelemetry::global::meter("docs");
/// let queue_depth = QUEUE_DEPTH.u64_gauge(&meter, Some("shop")); // shop.marketplace.queue.depth
/// let db = DB_OPERATION_DURATION.f64_histogram(&meter, Some("shop")); // semconv: no namespace
/// queue_depth.record(3, &[]);
/// db.record(0.002, &[]);
/// ```
impl InstrumentSpec {
    /// A `u64` counter from this spec.
    pub fn u64_counter(&self, meter: &Meter, namespace: Option<&str>) -> Counter<u64> {
        meter
            .u64_counter(self.otel_name(namespace))
            .with_unit(self.unit)
            .with_description(self.description)
            .build()
    }

    /// An `f64` counter from this spec.
    pub fn f64_counter(&self, meter: &Meter, namespace: Option<&str>) -> Counter<f64> {
        meter
            .f64_counter(self.otel_name(namespace))
            .with_unit(self.unit)
            .with_description(self.description)
            .build()
    }

    /// An `i64` up-down counter from this spec.
    pub fn i64_up_down_counter(
        &self,
        meter: &Meter,
        namespace: Option<&str>,
    ) -> UpDownCounter<i64> {
        meter
            .i64_up_down_counter(self.otel_name(namespace))
            .with_unit(self.unit)
            .with_description(self.description)
            .build()
    }

    /// A `u64` gauge from this spec.
    pub fn u64_gauge(&self, meter: &Meter, namespace: Option<&str>) -> Gauge<u64> {
        meter
            .u64_gauge(self.otel_name(namespace))
            .with_unit(self.unit)
            .with_description(self.description)
            .build()
    }

    /// An `i64` gauge from this spec.
    pub fn i64_gauge(&self, meter: &Meter, namespace: Option<&str>) -> Gauge<i64> {
        meter
            .i64_gauge(self.otel_name(namespace))
            .with_unit(self.unit)
            .with_description(self.description)
            .build()
    }

    /// An `f64` gauge from this spec.
    pub fn f64_gauge(&self, meter: &Meter, namespace: Option<&str>) -> Gauge<f64> {
        meter
            .f64_gauge(self.otel_name(namespace))
            .with_unit(self.unit)
            .with_description(self.description)
            .build()
    }

    /// An `f64` histogram from this spec, with its buckets.
    pub fn f64_histogram(&self, meter: &Meter, namespace: Option<&str>) -> Histogram<f64> {
        let builder = meter
            .f64_histogram(self.otel_name(namespace))
            .with_unit(self.unit)
            .with_description(self.description);
        match self.boundaries {
            [] => builder.build(),
            buckets => builder.with_boundaries(buckets.to_vec()).build(),
        }
    }

    /// A `u64` histogram from this spec, with its buckets.
    pub fn u64_histogram(&self, meter: &Meter, namespace: Option<&str>) -> Histogram<u64> {
        let builder = meter
            .u64_histogram(self.otel_name(namespace))
            .with_unit(self.unit)
            .with_description(self.description);
        match self.boundaries {
            [] => builder.build(),
            buckets => builder.with_boundaries(buckets.to_vec()).build(),
        }
    }

    /// The builder of an `i64` observable up-down counter from this spec (add callbacks, then
    /// `build`).
    pub fn i64_observable_up_down_counter<'m>(
        &self,
        meter: &'m Meter,
        namespace: Option<&str>,
    ) -> AsyncInstrumentBuilder<'m, ObservableUpDownCounter<i64>, i64> {
        meter
            .i64_observable_up_down_counter(self.otel_name(namespace))
            .with_unit(self.unit)
            .with_description(self.description)
    }
}

const SEARCH_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0, 2.5, 5.0, 10.0,
];
const LOOKUP_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.2, 0.5, 1.0,
];
const INSTALL_BUCKETS: &[f64] = &[
    0.01, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0,
];
const RDF_BUCKETS: &[f64] = &[
    0.001, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0, 10.0,
];
const PUBLISH_BUCKETS: &[f64] = &[0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];
const DOWNLOAD_BUCKETS: &[f64] = &[0.01, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];
const RESULT_BUCKETS: &[f64] = &[0.0, 1.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0];

/// `marketplace.search.duration`
pub const SEARCH_DURATION: InstrumentSpec = InstrumentSpec {
    name: "marketplace.search.duration",
    kind: Kind::Histogram,
    unit: "s",
    description: "Duration of marketplace searches.",
    boundaries: SEARCH_BUCKETS,
    labels: &["item_type", "outcome"],
    semconv: None,
};
/// `marketplace.search.results`
pub const SEARCH_RESULTS: InstrumentSpec = InstrumentSpec {
    name: "marketplace.search.results",
    kind: Kind::Histogram,
    unit: "{result}",
    description: "Number of results returned by marketplace searches.",
    boundaries: RESULT_BUCKETS,
    labels: &["item_type"],
    semconv: None,
};
/// `marketplace.cache.lookup.duration`
pub const CACHE_LOOKUP_DURATION: InstrumentSpec = InstrumentSpec {
    name: "marketplace.cache.lookup.duration",
    kind: Kind::Histogram,
    unit: "s",
    description: "Duration of cache lookups.",
    boundaries: LOOKUP_BUCKETS,
    labels: &["cache", "outcome"],
    semconv: None,
};
/// `marketplace.cache.requests`
pub const CACHE_REQUESTS: InstrumentSpec = InstrumentSpec {
    name: "marketplace.cache.requests",
    kind: Kind::Counter,
    unit: "{request}",
    description: "Cache lookups by result (hit or miss).",
    boundaries: &[],
    labels: &["cache", "result"],
    semconv: None,
};
/// `marketplace.cache.entries`
pub const CACHE_ENTRIES: InstrumentSpec = InstrumentSpec {
    name: "marketplace.cache.entries",
    kind: Kind::Gauge,
    unit: "{entry}",
    description: "Entries currently held by each cache.",
    boundaries: &[],
    labels: &["cache"],
    semconv: None,
};
/// `marketplace.install.duration`
pub const INSTALL_DURATION: InstrumentSpec = InstrumentSpec {
    name: "marketplace.install.duration",
    kind: Kind::Histogram,
    unit: "s",
    description: "Duration of item installs.",
    boundaries: INSTALL_BUCKETS,
    labels: &["item_type", "outcome"],
    semconv: None,
};
/// `marketplace.rdf.query.duration`
pub const RDF_QUERY_DURATION: InstrumentSpec = InstrumentSpec {
    name: "marketplace.rdf.query.duration",
    kind: Kind::Histogram,
    unit: "s",
    description: "Duration of RDF/SPARQL queries.",
    boundaries: RDF_BUCKETS,
    labels: &["query_kind", "outcome"],
    semconv: None,
};
/// `marketplace.publish.duration`
pub const PUBLISH_DURATION: InstrumentSpec = InstrumentSpec {
    name: "marketplace.publish.duration",
    kind: Kind::Histogram,
    unit: "s",
    description: "Duration of item publishes.",
    boundaries: PUBLISH_BUCKETS,
    labels: &["item_type", "outcome"],
    semconv: None,
};
/// `marketplace.download.duration`
pub const DOWNLOAD_DURATION: InstrumentSpec = InstrumentSpec {
    name: "marketplace.download.duration",
    kind: Kind::Histogram,
    unit: "s",
    description: "Duration of item downloads.",
    boundaries: DOWNLOAD_BUCKETS,
    labels: &["item_type", "outcome"],
    semconv: None,
};
/// `marketplace.errors`
pub const ERRORS: InstrumentSpec = InstrumentSpec {
    name: "marketplace.errors",
    kind: Kind::Counter,
    unit: "{error}",
    description: "Failed operations by error code.",
    boundaries: &[],
    labels: &["operation", "error_code"],
    semconv: None,
};
/// `marketplace.items`
pub const ITEMS: InstrumentSpec = InstrumentSpec {
    name: "marketplace.items",
    kind: Kind::Gauge,
    unit: "{item}",
    description: "Items in the marketplace by type.",
    boundaries: &[],
    labels: &["item_type"],
    semconv: None,
};
/// `marketplace.operations.active`
pub const OPERATIONS_ACTIVE: InstrumentSpec = InstrumentSpec {
    name: "marketplace.operations.active",
    kind: Kind::UpDownCounter,
    unit: "{operation}",
    description: "Operations in flight.",
    boundaries: &[],
    labels: &["operation"],
    semconv: None,
};

/// A built-in operation and its duration histogram.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct OperationSpec {
    /// The `operation` label value.
    pub operation: Operation,
    /// Its duration histogram (request rates and error ratios come from its `_count`).
    pub duration: InstrumentSpec,
}

/// Every built-in operation with its duration instrument, in the order of [`Operation::ALL`](super::Label::ALL):
/// the one list the helpers' series, the README table and the ops assets agree on.
///
/// # Examples
///
/// ```
/// use marketplace_telemetry::marketplace::{catalog::OPERATIONS, Label, Operation};
/// assert_eq!(OPERATIONS.len(), Operation::ALL.len());
/// for (spec, op) in OPERATIONS.iter().zip(Operation::ALL) {
///     assert_eq!(spec.operation, *op);
/// }
/// ```
pub const OPERATIONS: &[OperationSpec] = &[
    OperationSpec {
        operation: Operation::Search,
        duration: SEARCH_DURATION,
    },
    OperationSpec {
        operation: Operation::CacheLookup,
        duration: CACHE_LOOKUP_DURATION,
    },
    OperationSpec {
        operation: Operation::Install,
        duration: INSTALL_DURATION,
    },
    OperationSpec {
        operation: Operation::RdfQuery,
        duration: RDF_QUERY_DURATION,
    },
    OperationSpec {
        operation: Operation::Publish,
        duration: PUBLISH_DURATION,
    },
    OperationSpec {
        operation: Operation::Download,
        duration: DOWNLOAD_DURATION,
    },
];

/// `marketplace.panics`: panics anywhere in the process, counted by the panic hook
/// `init_telemetry` installs (`marketplace_panics_total` on the scrape, no labels; present at
/// 0 from the start). Not a `MarketplaceMetrics` instrument.
pub const PANICS: InstrumentSpec = InstrumentSpec {
    name: "marketplace.panics",
    kind: Kind::Counter,
    unit: "{panic}",
    description: "Panics in the process (any thread), counted by the telemetry panic hook.",
    boundaries: &[],
    labels: &[],
    semconv: None,
};

/// Instruments `init_telemetry` itself creates, beside the domain ones.
pub const PROCESS_INSTRUMENTS: &[InstrumentSpec] = &[PANICS];

/// Every domain instrument.
pub const CATALOG: &[InstrumentSpec] = &[
    SEARCH_DURATION,
    SEARCH_RESULTS,
    CACHE_LOOKUP_DURATION,
    CACHE_REQUESTS,
    CACHE_ENTRIES,
    INSTALL_DURATION,
    RDF_QUERY_DURATION,
    PUBLISH_DURATION,
    DOWNLOAD_DURATION,
    ERRORS,
    ITEMS,
    OPERATIONS_ACTIVE,
];

/// A Markdown table of every exported series (the README's table is checked against it).
pub fn markdown_table(namespace: Option<&str>) -> String {
    let mut out = String::from(
        "| Prometheus series | OpenTelemetry instrument | kind | unit | labels | meaning |\n|---|---|---|---|---|---|\n",
    );
    for spec in CATALOG.iter().chain(PROCESS_INSTRUMENTS) {
        out.push_str(&table_row(
            spec,
            namespace,
            |l| l.to_string(),
            spec.description,
        ));
    }
    out
}

/// One row: series, instrument, kind, unit, labels (as `label` renders them), `last`.
pub(super) fn table_row(
    spec: &InstrumentSpec,
    namespace: Option<&str>,
    label: impl Fn(&str) -> String,
    last: &str,
) -> String {
    let kind = match spec.kind {
        Kind::Counter => "counter",
        Kind::UpDownCounter => "up-down counter",
        Kind::Gauge => "gauge",
        Kind::Histogram => "histogram",
    };
    format!(
        "| `{}` | `{}` | {kind} | `{}` | {} | {last} |\n",
        spec.prometheus_name(namespace),
        spec.otel_name(namespace),
        spec.unit,
        spec.labels
            .iter()
            .map(|l| format!("`{}`", label(l)))
            .collect::<Vec<_>>()
            .join(", "),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_seconds_histogram_contains_the_slo_thresholds_in_increasing_order() {
        for spec in CATALOG.iter().filter(|s| s.kind == Kind::Histogram) {
            assert!(
                spec.boundaries.windows(2).all(|w| w[0] < w[1]),
                "{}",
                spec.name
            );
            if spec.unit == "s" {
                for slo in [0.1, 0.2] {
                    assert!(spec.boundaries.contains(&slo), "{} lacks {slo}", spec.name);
                }
            }
        }
    }

    #[test]
    fn names_are_unique_and_never_carry_prometheus_suffixes() {
        for (i, spec) in CATALOG.iter().enumerate() {
            assert!(!spec.name.ends_with("_total") && !spec.name.ends_with("seconds"));
            assert!(CATALOG[i + 1..].iter().all(|o| o.name != spec.name));
        }
    }
}
