#!/usr/bin/env bash
# Memory during a long outage (not in CI): 1k spans/s + steady metrics for MINUTES (default 10)
# against a black-holed collector; prints RSS every 10 s and the maximum growth.
#   scripts/soak.sh [MINUTES]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q --release -p marketplace-telemetry-stress --bin soak
exec target/release/soak "${1:-10}"
