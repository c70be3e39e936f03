//! How the environment is read: the per-signal and per-processor tables of the settings
//! declared in [`settings`](super::settings), and the one lookup every read goes through
//! (empty counts as unset).

use super::settings::{var, Setting};
use super::syntax::*;
use crate::error::{Error, Result};
use crate::signal::Signal;

/// Per-signal forms of the OTLP variables, in the order traces, metrics, logs.
pub(super) const SIGNAL_VARS: [SignalVars; 3] = [
    SignalVars {
        signal: Signal::Traces,
        endpoint: var::OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
        protocol: var::OTEL_EXPORTER_OTLP_TRACES_PROTOCOL,
        headers: var::OTEL_EXPORTER_OTLP_TRACES_HEADERS,
        timeout: var::OTEL_EXPORTER_OTLP_TRACES_TIMEOUT,
        compression: var::OTEL_EXPORTER_OTLP_TRACES_COMPRESSION,
        certificate: var::OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE,
        client_certificate: var::OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE,
        client_key: var::OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY,
        insecure: var::OTEL_EXPORTER_OTLP_TRACES_INSECURE,
    },
    SignalVars {
        signal: Signal::Metrics,
        endpoint: var::OTEL_EXPORTER_OTLP_METRICS_ENDPOINT,
        protocol: var::OTEL_EXPORTER_OTLP_METRICS_PROTOCOL,
        headers: var::OTEL_EXPORTER_OTLP_METRICS_HEADERS,
        timeout: var::OTEL_EXPORTER_OTLP_METRICS_TIMEOUT,
        compression: var::OTEL_EXPORTER_OTLP_METRICS_COMPRESSION,
        certificate: var::OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE,
        client_certificate: var::OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE,
        client_key: var::OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY,
        insecure: var::OTEL_EXPORTER_OTLP_METRICS_INSECURE,
    },
    SignalVars {
        signal: Signal::Logs,
        endpoint: var::OTEL_EXPORTER_OTLP_LOGS_ENDPOINT,
        protocol: var::OTEL_EXPORTER_OTLP_LOGS_PROTOCOL,
        headers: var::OTEL_EXPORTER_OTLP_LOGS_HEADERS,
        timeout: var::OTEL_EXPORTER_OTLP_LOGS_TIMEOUT,
        compression: var::OTEL_EXPORTER_OTLP_LOGS_COMPRESSION,
        certificate: var::OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE,
        client_certificate: var::OTEL_EXPORTER_OTLP_LOGS_CLIENT_CERTIFICATE,
        client_key: var::OTEL_EXPORTER_OTLP_LOGS_CLIENT_KEY,
        insecure: var::OTEL_EXPORTER_OTLP_LOGS_INSECURE,
    },
];

/// The per-signal forms of the OTLP variables.
pub(super) struct SignalVars {
    pub(super) signal: Signal,
    pub(super) endpoint: Setting<Endpoint>,
    pub(super) protocol: Setting<Protocol>,
    pub(super) headers: Setting<Headers>,
    pub(super) timeout: Setting<Millis>,
    pub(super) compression: Setting<Compression>,
    pub(super) certificate: Setting<PemCertificate>,
    pub(super) client_certificate: Setting<PemCertificate>,
    pub(super) client_key: Setting<PemKey>,
    pub(super) insecure: Setting<Bool>,
}

/// Where a batch processor's three settings come from.
pub(super) struct BatchVars<B> {
    pub(super) schedule_delay: Setting<Millis>,
    pub(super) max_queue_size: Setting<QueueSize>,
    pub(super) max_export_batch_size: Setting<B>,
    pub(super) export_timeout: Setting<Millis>,
    /// Builder field names, for [`Error::InvalidConfig`].
    pub(super) queue_field: &'static str,
    pub(super) batch_field: &'static str,
}

pub(super) const BSP_VARS: BatchVars<SpanBatchSize> = BatchVars {
    schedule_delay: var::OTEL_BSP_SCHEDULE_DELAY,
    max_queue_size: var::OTEL_BSP_MAX_QUEUE_SIZE,
    max_export_batch_size: var::OTEL_BSP_MAX_EXPORT_BATCH_SIZE,
    export_timeout: var::OTEL_BSP_EXPORT_TIMEOUT,
    queue_field: "batch_max_queue_size",
    batch_field: "batch_max_export_batch_size",
};

pub(super) const BLRP_VARS: BatchVars<LogBatchSize> = BatchVars {
    schedule_delay: var::OTEL_BLRP_SCHEDULE_DELAY,
    max_queue_size: var::OTEL_BLRP_MAX_QUEUE_SIZE,
    max_export_batch_size: var::OTEL_BLRP_MAX_EXPORT_BATCH_SIZE,
    export_timeout: var::OTEL_BLRP_EXPORT_TIMEOUT,
    queue_field: "log_batch_max_queue_size",
    batch_field: "log_batch_max_export_batch_size",
};

/// The environment (or what stands in for it): every read goes through here.
pub(super) struct Env<'a, F>(&'a F);

impl<'a, F: Fn(&str) -> Option<String>> Env<'a, F> {
    pub(super) fn new(lookup: &'a F) -> Self {
        Env(lookup)
    }

    pub(super) fn get(&self, var: &str) -> Option<String> {
        (self.0)(var).filter(|v| !v.trim().is_empty())
    }

    /// The setting's value, if set; a value its syntax refuses is an error naming the variable,
    /// showing the value (redacted where it may hold a secret) and what was expected.
    pub(super) fn read<S: Syntax>(&self, setting: Setting<S>) -> Result<Option<S::Value>> {
        self.read_with(setting, S::parse)
    }

    /// As [`Self::read`], with a parser that needs more than the text (it still reports the
    /// syntax's expected text).
    pub(super) fn read_with<S: Syntax, T>(
        &self,
        setting: Setting<S>,
        parse: impl FnOnce(&str) -> std::result::Result<T, &'static str>,
    ) -> Result<Option<T>> {
        match self.get(setting.name) {
            None => Ok(None),
            Some(raw) => match parse(&raw) {
                Ok(v) => Ok(Some(v)),
                Err(expected) => Err(Error::InvalidEnv {
                    var: setting.name,
                    value: S::shown(&raw),
                    expected,
                }),
            },
        }
    }
}
