#!/usr/bin/env bash
# What the SDK costs a service (issue 28, must-have 7): `stress/src/bin/service_cost.rs` served
# in five stacks (no telemetry; hand-wired tracing-opentelemetry default layer + tower-http
# TraceLayer + fmt + prometheus-client, at warn and info; ours at warn and info), each its own
# process on one Tokio worker, all exporting traces over OTLP/gRPC to one rotel blackhole, and
# driven at saturation by wrk (1 thread, 32 connections, the routes in turn) in interleaved
# rounds: every round runs every stack once, in an order rotated round by round.
#   scripts/service_cost.sh                 # ROUNDS=5 DURATION=8
# Writes target/service-cost/results.json and copies it to benches/results/service-cost.json,
# which scripts/bench_report.py turns into BENCHMARKS.md's whole-service table.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-8}
CONNECTIONS=${CONNECTIONS:-32}
OUT=target/service-cost
rm -rf "$OUT" && mkdir -p "$OUT"
command -v wrk >/dev/null || { echo "service_cost: apt-get install wrk"; apt-get install -y -qq wrk >/dev/null; }
[ -n "$(ls target/tools-venv/lib/python3*/site-packages/rotel/rotel-agent 2>/dev/null)" ] || bash scripts/install-tools.sh
ROTEL=$(ls target/tools-venv/lib/python3*/site-packages/rotel/rotel-agent)
cargo build -q --release -p marketplace-telemetry-stress --bin service_cost
BIN=target/release/service_cost

pids=()
cleanup() { for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

"$ROTEL" start --otlp-grpc-endpoint 127.0.0.1:24417 --otlp-http-endpoint 127.0.0.1:24418 \
  --exporter blackhole >"$OUT/rotel.log" 2>&1 &
pids+=($!)
STACKS=(none handwired-warn handwired-info ours-warn ours-info)
port=18080
declare -A PORT
for s in "${STACKS[@]}"; do
  PORT[$s]=$port
  "$BIN" "$s" "$port" http://127.0.0.1:24417 >"$OUT/server-$s.log" 2>&1 &
  pids+=($!)
  port=$((port + 1))
done
for s in "${STACKS[@]}"; do
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:${PORT[$s]}/health" >/dev/null && break
    sleep 0.1
  done
  curl -sf "http://127.0.0.1:${PORT[$s]}/health" >/dev/null || { cat "$OUT/server-$s.log"; exit 1; }
done

cat >"$OUT/routes.lua" <<'LUA'
-- The demo's routes in turn (one request each), and the latency distribution at the end.
local paths = {
  {"GET", "/search?q=tokio&type=plugin"},
  {"POST", "/install/plugin/serde"},
  {"GET", "/download/template/starter"},
  {"GET", "/packages/rand"},
  {"GET", "/search?q=serde&type=package"},
  {"GET", "/packages/hyper"},
}
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format(paths[i][1], paths[i][2])
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%d seconds=%.6f errors=%d p50_us=%d p99_us=%d mean_us=%.1f\n",
    summary.requests, summary.duration / 1e6,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99), latency.mean))
end
LUA

# Warm-up: every stack for 2 s.
for s in "${STACKS[@]}"; do
  wrk -t1 -c"$CONNECTIONS" -d2s -s "$OUT/routes.lua" "http://127.0.0.1:${PORT[$s]}" >/dev/null
done
n=${#STACKS[@]}
for round in $(seq 1 "$ROUNDS"); do
  for k in $(seq 0 $((n - 1))); do
    s=${STACKS[$(((k + round) % n))]}
    line=$(wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" -s "$OUT/routes.lua" "http://127.0.0.1:${PORT[$s]}" | grep '^RESULT')
    echo "round=$round stack=$s $line" | tee -a "$OUT/runs.txt"
  done
done
python3 - "$OUT/runs.txt" "$OUT/results.json" "$ROUNDS" "$DURATION" "$CONNECTIONS" <<'PY'
import json, re, sys, platform
runs = []
for line in open(sys.argv[1]):
    d = dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
    runs.append({"round": int(d["round"]), "stack": d["stack"], "requests": int(d["requests"]),
                 "seconds": float(d["seconds"]), "errors": int(d["errors"]),
                 "p50_us": int(d["p50_us"]), "p99_us": int(d["p99_us"]), "mean_us": float(d["mean_us"])})
json.dump({"rounds": int(sys.argv[3]), "duration_s": int(sys.argv[4]), "connections": int(sys.argv[5]),
           "load": "wrk 1 thread; server on 1 Tokio worker; OTLP/gRPC to one rotel blackhole", "runs": runs},
          open(sys.argv[2], "w"), indent=1)
PY
cp "$OUT/results.json" benches/results/service-cost.json
echo "service_cost: results in benches/results/service-cost.json"
