//! Integration tests against real components installed by `scripts/install-tools.sh`: the
//! rotel OTLP collector (restarts, faults, hostile values), Prometheus and promtool.
//! One binary, so `common` is compiled once for all of them.

use marketplace_telemetry_test_support as common;

mod collector_faults;
mod collector_topology;
mod exemplars_reach_prometheus;
mod hostile_headers;
mod hostile_input_and_limits;
mod kubernetes_resource;
mod openmetrics_ingested_as_text;
mod real_collector_receives_all_signals;
mod real_prometheus_scrapes_metrics;
mod scrape_over_tls;
mod sigterm_delivers_the_last_batch;
mod traces_cross_languages;
