#!/usr/bin/env bash
# The local full stack, no Docker: two demo instances — a registry (with load) that fetches
# every install's package from a storage service (a second instance) over the instrumented HTTP
# client — → rotel collector (front → sink),
# Prometheus with the shipped rules scraping the demo, Alertmanager with the shipped routing.
# Prints a summary every 15 s (per-operation p95 from Prometheus, active alerts, spans counted
# at the collector, traces that cross registry → storage) and the URLs. Ctrl-C stops everything.
#
#   scripts/stack.sh            # until Ctrl-C
#   scripts/stack.sh 120        # stop after 120 s
# Ports (override with env): DEMO_PORT=8080 SCRAPE_PORT=9464 STORAGE_PORT=8081
#   STORAGE_SCRAPE_PORT=9465 OTLP_GRPC=4317 OTLP_HTTP=4318
#   SINK_GRPC=14317 SINK_HTTP=14318 PROM_PORT=9090 AM_PORT=9093
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-0}
DEMO_PORT=${DEMO_PORT:-8080} SCRAPE_PORT=${SCRAPE_PORT:-9464}
STORAGE_PORT=${STORAGE_PORT:-8081} STORAGE_SCRAPE_PORT=${STORAGE_SCRAPE_PORT:-9465}
OTLP_GRPC=${OTLP_GRPC:-4317} OTLP_HTTP=${OTLP_HTTP:-4318}
SINK_GRPC=${SINK_GRPC:-14317} SINK_HTTP=${SINK_HTTP:-14318}
PROM_PORT=${PROM_PORT:-9090} AM_PORT=${AM_PORT:-9093}

bash scripts/install-tools.sh
cargo build -q --examples --features reqwest,grpc-layers
ROTEL=$(ls target/tools-venv/lib/python3*/site-packages/rotel/rotel-agent)
D=$PWD/target/stack
rm -rf "$D" && mkdir -p "$D"
PIDS=()
cleanup() {
  echo; echo "stack: stopping ${#PIDS[@]} processes"
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

wait_port() { for _ in $(seq 1 200); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done; echo "stack: port $1 never opened (see $D)"; exit 1; }

# Collector: sink prints what it receives; front is what the service talks to.
NO_COLOR=1 "$ROTEL" --log-format json start --otlp-grpc-endpoint 127.0.0.1:$SINK_GRPC \
  --otlp-http-endpoint 127.0.0.1:$SINK_HTTP --exporter blackhole \
  --debug-log traces --debug-log-verbosity detailed >"$D/sink.out" 2>&1 & PIDS+=($!)
NO_COLOR=1 "$ROTEL" start --otlp-grpc-endpoint 127.0.0.1:$OTLP_GRPC --otlp-http-endpoint 127.0.0.1:$OTLP_HTTP \
  --exporter otlp --otlp-exporter-endpoint http://127.0.0.1:$SINK_GRPC >"$D/front.out" 2>&1 & PIDS+=($!)
wait_port $SINK_GRPC; wait_port $OTLP_GRPC

# Two demo instances exporting traces to the front collector: the storage service (no load of
# its own) and the registry, whose installs fetch their package from it.
OTEL_SERVICE_NAME=storage OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$OTLP_GRPC \
OTEL_EXPORTER_PROMETHEUS_PORT=$STORAGE_SCRAPE_PORT OTEL_BSP_SCHEDULE_DELAY=1000 RUST_LOG_FORMAT=json \
  target/debug/examples/marketplace_demo --port "$STORAGE_PORT" --no-load >"$D/storage.log" 2>&1 & PIDS+=($!)
wait_port $STORAGE_PORT
OTEL_SERVICE_NAME=registry OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$OTLP_GRPC \
OTEL_EXPORTER_PROMETHEUS_PORT=$SCRAPE_PORT OTEL_BSP_SCHEDULE_DELAY=1000 RUST_LOG_FORMAT=json \
  target/debug/examples/marketplace_demo --port "$DEMO_PORT" \
  --downstream "http://127.0.0.1:$STORAGE_PORT" >"$D/demo.log" 2>&1 & PIDS+=($!)
wait_port $SCRAPE_PORT

# Alertmanager: shipped routing; receivers without integrations (no secrets on a laptop).
sed '/^receivers:/,$d' collector-config/alertmanager/alertmanager.yml >"$D/alertmanager.yml"
echo "receivers:" >>"$D/alertmanager.yml"
grep -E '^  - name: ' collector-config/alertmanager/alertmanager.yml >>"$D/alertmanager.yml"
prometheus-alertmanager --config.file="$D/alertmanager.yml" --storage.path="$D/am" \
  --web.listen-address=127.0.0.1:$AM_PORT --cluster.listen-address= >"$D/alertmanager.log" 2>&1 & PIDS+=($!)

# Prometheus: shipped scrape config and rules, pointed at the demo and this Alertmanager.
R=$PWD/collector-config/prometheus/rules
sed -e "s#'127.0.0.1:9464'#'127.0.0.1:$SCRAPE_PORT', '127.0.0.1:$STORAGE_SCRAPE_PORT'#" -e "s#127.0.0.1:9093#127.0.0.1:$AM_PORT#" \
    -e "s#  - rules/#  - $R/#" -e "s#scrape_interval: 15s#scrape_interval: 5s#" \
    collector-config/prometheus/prometheus.yml >"$D/prometheus.yml"
prometheus --config.file="$D/prometheus.yml" --storage.tsdb.path="$D/prom" \
  --web.listen-address=127.0.0.1:$PROM_PORT --web.enable-lifecycle \
  --enable-feature=exemplar-storage >"$D/prometheus.log" 2>&1 & PIDS+=($!)
wait_port $PROM_PORT; wait_port $AM_PORT

cat <<EOF2
stack: up (logs in $D)
  registry (demo)  http://127.0.0.1:$DEMO_PORT/search?q=rdf
  storage (demo)   http://127.0.0.1:$STORAGE_PORT/packages/rdf-toolkit
  demo metrics     http://127.0.0.1:$SCRAPE_PORT/metrics
  OTLP collector   grpc 127.0.0.1:$OTLP_GRPC, http 127.0.0.1:$OTLP_HTTP (spans printed to $D/sink.out)
  Prometheus       http://127.0.0.1:$PROM_PORT   (rules: collector-config/prometheus/rules)
  Alertmanager     http://127.0.0.1:$AM_PORT
EOF2

query() { curl -s --get "http://127.0.0.1:$PROM_PORT/api/v1/query" --data-urlencode "query=$1"; }
summary() {
  echo "---- $(date -u +%H:%M:%S) ----"
  query 'marketplace:operation_latency_seconds:p95_5m' | python3 -c '
import json,sys
r=json.load(sys.stdin)["data"]["result"]
for s in sorted(r, key=lambda s: s["metric"].get("operation","")):
    v=s["value"][1]
    print("  p95 %-13s %s" % (s["metric"].get("operation"), "n/a" if v=="NaN" else "%.1f ms" % (float(v)*1000)))
if not r: print("  p95: no data yet")'
  curl -s "http://127.0.0.1:$PROM_PORT/api/v1/alerts" | python3 -c '
import json,sys
a=json.load(sys.stdin)["data"]["alerts"]
print("  alerts: %d active%s" % (len(a), "".join("\n    %s %s (%s)" % (x["state"], x["labels"]["alertname"], x["labels"].get("severity")) for x in a)))'
  echo "  spans at the collector: $(grep -c '^Span #' "$D/sink.out" || true)"
  python3 - "$D/sink.out" <<'PY'
import sys
services, svc = {}, None
for line in open(sys.argv[1], errors="replace"):
    s = line.strip()
    if s.startswith("-> service.name: Str("):
        svc = s[len("-> service.name: Str("):-1]
    elif s.startswith("Trace ID"):
        services.setdefault(s.split(":", 1)[1].strip(), set()).add(svc)
crossing = sum(1 for v in services.values() if {"registry", "storage"} <= v)
print("  traces crossing registry -> storage: %d of %d" % (crossing, len(services)))
PY
}
START=$(date +%s)
while true; do
  sleep 15
  summary
  if [ "$DURATION" -gt 0 ] && [ $(( $(date +%s) - START )) -ge "$DURATION" ]; then break; fi
done
