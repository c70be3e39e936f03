//! Integration tests that need nothing but this process: configuration, helpers, the scrape
//! endpoint, shutdown bounds, and OTLP export to in-process receivers (plain and TLS).
//! One binary, so `common` is compiled once for all of them.

use marketplace_telemetry_test_support as common;

mod architecture_doc;
mod config_errors_name_the_variable;
mod config_file;
mod config_fuzz;
mod config_matrix;
mod console_filters;
mod env_spec_applied;
mod export_outcomes_are_counted;
mod grpc_layers;
mod helpers_record_outcomes;
mod http_client;
mod http_layer;
mod openmetrics;
mod otlp_receiver_gets_instrumented_spans;
mod platform_instruments;
mod prometheus_translation;
mod readme_matches_catalog;
mod recording_never_blocks;
mod scrape_auth;
mod scrape_endpoint;
mod shutdown_never_hangs;
mod tls_collector;
mod without_optional_features;
