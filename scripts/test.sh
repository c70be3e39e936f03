#!/usr/bin/env bash
# The project's test command (CI runs it through .ci/run):
# installs the real components when missing, then lints and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "install tools (prometheus, promtool, amtool, rotel)"
bash scripts/install-tools.sh

step "one version of each opentelemetry crate"
dups=$(cargo tree -d --workspace --all-features --depth 0 --prefix none --format '{p}' 2>/dev/null | grep -E '^(opentelemetry|tracing-opentelemetry)' || true)
if [ -n "$dups" ]; then echo "duplicate OpenTelemetry crates:"; echo "$dups"; exit 1; fi

step "BENCHMARKS.md says what benches/results/ says (tables and verdicts regenerated, compared)"
python3 scripts/bench_report.py --check >/dev/null || python3 scripts/bench_report.py --check

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --workspace --all-targets --all-features -- -D warnings"
cargo clippy --workspace --all-targets --all-features -- -D warnings

step "cargo doc (no broken links)"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --workspace --all-features

step "cargo check --no-default-features (feature combinations compile)"
cargo check --lib --no-default-features
cargo check --lib --no-default-features --features otlp-http
cargo check --lib --no-default-features --features http   # the former name still works
cargo check --lib --no-default-features --features reqwest
cargo check --lib --no-default-features --features grpc-layers
cargo check --lib --no-default-features --features scrape-auth

step "build examples (the secret and assets tests run the demo as a child process)"
cargo build --all-features --examples

step "tests"
# Real-component tests may only skip on a developer's machine, never here: a missing tool fails.
unset MARKETPLACE_TELEMETRY_ALLOW_MISSING_TOOLS
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --all-features --no-fail-fast
  step "in-process tests with default features (what a plain dependency compiles)"
  cargo nextest run --test in_process --no-fail-fast
else
  cargo test --workspace --all-features --no-fail-fast --tests
  cargo test --test in_process --no-fail-fast
fi

step "doc tests (every member)"
cargo test --workspace --all-features --doc
