//! Observable-instrument callbacks that cannot take the metrics pipeline down.
//!
//! In opentelemetry_sdk 0.33 the meter provider runs every observable callback while holding
//! its pipeline lock. One callback that panics poisons that lock, and from then on every
//! collection fails: the Prometheus scrape and the OTLP push both go empty, silently, for the
//! life of the process. The SDK has no option to contain it, so the meters we hand out
//! ([`Telemetry::meter`](crate::Telemetry::meter) and, with
//! [`init_telemetry`](crate::init_telemetry), the global meter provider) wrap each callback in
//! `catch_unwind`: a panicking callback loses its own observation for that collection, logs
//! one warning, and everything else is still collected.
//!
//! Synchronous instruments are created by the SDK's meter unchanged, so recording costs the
//! same as with the SDK's own meter.

use std::borrow::Cow;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use opentelemetry::metrics::{
    AsyncInstrument, AsyncInstrumentBuilder, Callback, Counter, Gauge, Histogram, HistogramBuilder,
    InstrumentBuilder, InstrumentProvider, Meter, MeterProvider, ObservableCounter,
    ObservableGauge, ObservableUpDownCounter, UpDownCounter,
};
use opentelemetry::InstrumentationScope;

/// A meter whose observable callbacks are panic-contained; everything else is `inner`'s.
pub(crate) fn guarded_meter(inner: Meter) -> Meter {
    Meter::new(Arc::new(GuardedInstruments { inner }))
}

/// A [`MeterProvider`] handing out [`guarded_meter`]s of `P`'s meters (installed globally by
/// [`init_telemetry`](crate::init_telemetry)).
#[derive(Debug, Clone)]
pub(crate) struct GuardedMeterProvider<P>(pub(crate) P);

impl<P: MeterProvider> MeterProvider for GuardedMeterProvider<P> {
    fn meter_with_scope(&self, scope: InstrumentationScope) -> Meter {
        guarded_meter(self.0.meter_with_scope(scope))
    }
}

struct GuardedInstruments {
    inner: Meter,
}

/// Wraps one callback: a panic is caught, reported once, and the collection goes on.
fn guard<T: 'static>(
    callback: Callback<T>,
    instrument: Cow<'static, str>,
) -> impl Fn(&dyn AsyncInstrument<T>) + Send + Sync + 'static {
    let reported = AtomicBool::new(false);
    move |observer| {
        let outcome = catch_unwind(AssertUnwindSafe(|| callback(observer)));
        if outcome.is_err() && !reported.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                name: "ObservableCallback.Panicked",
                instrument = %instrument,
                "an observable callback panicked; its observations are skipped when it does, \
                 every other metric is still collected (reported once per callback)"
            );
        }
    }
}

macro_rules! sync_instruments {
    ($($method:ident -> $ty:ty;)*) => {$(
        fn $method(&self, builder: InstrumentBuilder<'_, $ty>) -> $ty {
            let mut out = self.inner.$method(builder.name);
            if let Some(description) = builder.description {
                out = out.with_description(description);
            }
            if let Some(unit) = builder.unit {
                out = out.with_unit(unit);
            }
            out.build()
        }
    )*};
}

macro_rules! histograms {
    ($($method:ident -> $ty:ty;)*) => {$(
        fn $method(&self, builder: HistogramBuilder<'_, $ty>) -> $ty {
            let mut out = self.inner.$method(builder.name);
            if let Some(description) = builder.description {
                out = out.with_description(description);
            }
            if let Some(unit) = builder.unit {
                out = out.with_unit(unit);
            }
            if let Some(boundaries) = builder.boundaries {
                out = out.with_boundaries(boundaries);
            }
            out.build()
        }
    )*};
}

macro_rules! observables {
    ($($method:ident -> $ty:ty, $value:ty;)*) => {$(
        fn $method(&self, builder: AsyncInstrumentBuilder<'_, $ty, $value>) -> $ty {
            let mut out = self.inner.$method(builder.name.clone());
            if let Some(description) = builder.description {
                out = out.with_description(description);
            }
            if let Some(unit) = builder.unit {
                out = out.with_unit(unit);
            }
            for callback in builder.callbacks {
                out = out.with_callback(guard(callback, builder.name.clone()));
            }
            out.build()
        }
    )*};
}

impl InstrumentProvider for GuardedInstruments {
    sync_instruments! {
        u64_counter -> Counter<u64>;
        f64_counter -> Counter<f64>;
        i64_up_down_counter -> UpDownCounter<i64>;
        f64_up_down_counter -> UpDownCounter<f64>;
        u64_gauge -> Gauge<u64>;
        f64_gauge -> Gauge<f64>;
        i64_gauge -> Gauge<i64>;
    }

    histograms! {
        f64_histogram -> Histogram<f64>;
        u64_histogram -> Histogram<u64>;
    }

    observables! {
        u64_observable_counter -> ObservableCounter<u64>, u64;
        f64_observable_counter -> ObservableCounter<f64>, f64;
        i64_observable_up_down_counter -> ObservableUpDownCounter<i64>, i64;
        f64_observable_up_down_counter -> ObservableUpDownCounter<f64>, f64;
        u64_observable_gauge -> ObservableGauge<u64>, u64;
        i64_observable_gauge -> ObservableGauge<i64>, i64;
        f64_observable_gauge -> ObservableGauge<f64>, f64;
    }
}

#[cfg(all(test, feature = "testing"))] // the in-memory exporter
mod tests {
    use super::*;
    use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};

    fn names(exporter: &InMemoryMetricExporter) -> Vec<String> {
        let mut out = Vec::new();
        for rm in exporter.get_finished_metrics().unwrap_or_default() {
            for sm in rm.scope_metrics() {
                for m in sm.metrics() {
                    out.push(m.name().to_string());
                }
            }
        }
        out.sort();
        out.dedup();
        out
    }

    #[test]
    fn every_instrument_kind_is_created_by_the_inner_meter() {
        let exporter = InMemoryMetricExporter::default();
        let provider = SdkMeterProvider::builder()
            .with_reader(PeriodicReader::builder(exporter.clone()).build())
            .build();
        let meter = GuardedMeterProvider(provider.clone()).meter("test");
        meter.u64_counter("c.u64").build().add(1, &[]);
        meter.f64_counter("c.f64").build().add(1.0, &[]);
        meter.i64_up_down_counter("ud.i64").build().add(-1, &[]);
        meter.f64_up_down_counter("ud.f64").build().add(-1.0, &[]);
        meter.u64_gauge("g.u64").build().record(1, &[]);
        meter.f64_gauge("g.f64").build().record(1.0, &[]);
        meter.i64_gauge("g.i64").build().record(1, &[]);
        meter
            .f64_histogram("h.f64")
            .with_boundaries(vec![1.0])
            .build()
            .record(1.0, &[]);
        meter.u64_histogram("h.u64").build().record(1, &[]);
        let _a = meter
            .u64_observable_counter("oc.u64")
            .with_callback(|o| o.observe(1, &[]))
            .build();
        let _b = meter
            .f64_observable_counter("oc.f64")
            .with_callback(|o| o.observe(1.0, &[]))
            .build();
        let _c = meter
            .i64_observable_up_down_counter("oud.i64")
            .with_callback(|o| o.observe(1, &[]))
            .build();
        let _d = meter
            .f64_observable_up_down_counter("oud.f64")
            .with_callback(|o| o.observe(1.0, &[]))
            .build();
        let _e = meter
            .u64_observable_gauge("og.u64")
            .with_callback(|o| o.observe(1, &[]))
            .build();
        let _f = meter
            .i64_observable_gauge("og.i64")
            .with_callback(|o| o.observe(1, &[]))
            .build();
        let _g = meter
            .f64_observable_gauge("og.f64")
            .with_callback(|o| o.observe(1.0, &[]))
            .build();
        provider.force_flush().unwrap();
        assert_eq!(
            names(&exporter),
            [
                "c.f64", "c.u64", "g.f64", "g.i64", "g.u64", "h.f64", "h.u64", "oc.f64", "oc.u64",
                "og.f64", "og.i64", "og.u64", "oud.f64", "oud.i64", "ud.f64", "ud.i64"
            ]
        );
        let _ = provider.shutdown();
    }

    #[test]
    fn a_panicking_callback_does_not_poison_the_pipeline() {
        let exporter = InMemoryMetricExporter::default();
        let provider = SdkMeterProvider::builder()
            .with_reader(PeriodicReader::builder(exporter.clone()).build())
            .build();
        let meter = guarded_meter(provider.meter("test"));
        let _bad = meter
            .u64_observable_gauge("bad")
            .with_callback(|_| panic!("a user's bug"))
            .build();
        let _good = meter
            .u64_observable_gauge("good")
            .with_callback(|o| o.observe(1, &[]))
            .build();
        for _ in 0..2 {
            provider.force_flush().unwrap();
        }
        assert_eq!(names(&exporter), ["good"]);
        let _ = provider.shutdown();
    }
}
