#!/usr/bin/env bash
# Export CPU, profiled (issue 28, must-have 5): `export_throughput otlp 10000 3` (our pipeline,
# `#[instrument]` spans at 10k/s, batch processor, OTLP/gRPC) into a rotel blackhole, under
# callgrind — instructions, so repeatable on a noisy machine. Writes the inclusive instruction
# counts of the functions that make up an exported span's cost, per span, to
# benches/results/export-profile.json, which scripts/bench_report.py renders in BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=target/profile
mkdir -p "$OUT"
[ -n "$(ls target/tools-venv/lib/python3*/site-packages/rotel/rotel-agent 2>/dev/null)" ] || bash scripts/install-tools.sh
ROTEL=$(ls target/tools-venv/lib/python3*/site-packages/rotel/rotel-agent)
cargo build -q --release -p marketplace-telemetry-stress --bin export_throughput
NO_COLOR=1 "$ROTEL" start --otlp-grpc-endpoint 127.0.0.1:24617 --otlp-http-endpoint 127.0.0.1:24618 \
  --exporter blackhole --debug-log traces >"$OUT/rotel.log" 2>&1 &
ROTEL_PID=$!
trap 'kill $ROTEL_PID 2>/dev/null || true' EXIT
sleep 1
# Native runs first (CPU seconds per 10k spans/s; spans the collector received).
target/release/export_throughput counting 100000 5 >"$OUT/native-counting.txt"
target/release/export_throughput otlp 100000 5 http://127.0.0.1:24617 >"$OUT/native-otlp.txt"
sleep 2
grep -o ' spans=[0-9]*' "$OUT/rotel.log" | grep -o '[0-9]*$' | paste -sd+ | bc >"$OUT/native-otlp-received.txt"
valgrind --tool=callgrind --callgrind-out-file="$OUT/export-otlp.cg" \
  target/release/export_throughput otlp 10000 3 http://127.0.0.1:24617 >"$OUT/run.txt" 2>"$OUT/valgrind.txt"
callgrind_annotate --inclusive=yes --threshold=100 "$OUT/export-otlp.cg" >"$OUT/annotate.txt"
python3 - "$OUT/run.txt" "$OUT/annotate.txt" benches/results/export-profile.json "$OUT" <<'PY'
import json, os, re, sys
run = open(sys.argv[1]).read()
native = {k: open(os.path.join(sys.argv[4], f"native-{k}.txt")).read().strip()
          for k in ["counting", "otlp", "otlp-received"]}
sent = int(re.search(r"sent=(\d+)", run).group(1))
rows = {}
for line in open(sys.argv[2]):
    m = re.match(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+\S*?:(.*) \[", line)
    if m:
        rows.setdefault(m.group(2), int(m.group(1).replace(",", "")))
total = next(int(l.split()[0].replace(",", "")) for l in open(sys.argv[2]) if "PROGRAM TOTALS" in l)
def find(pattern):
    hits = [v for k, v in rows.items() if re.search(pattern, k)]
    return max(hits) if hits else 0
parts = [
    ("host", "the span in the host thread (create, enter, exit, close)", r"^export_throughput::operation$"),
    ("host", "  new span: registry + layers (bridge builds the SDK span)", r"Layered<L,S> as tracing_core::subscriber::Subscriber>::new_span$"),
    ("host", "    SDK span start (`build_with_context`, sampler)", r"SdkTracer as opentelemetry::trace::tracer::Tracer>::build_with_context$"),
    ("host", "    console layer formats the span's fields (`RUST_LOG=info`)", r"fmt::fmt_layer::Layer<S,N,E,W> as tracing_subscriber::layer::Layer<S>>::on_new_span$"),
    ("host", "  enter (bridge activates the OTel context)", r"OpenTelemetryLayer<S,T> as tracing_subscriber::layer::Layer<S>>::on_enter$"),
    ("host", "  exit", r"OpenTelemetryLayer<S,T> as tracing_subscriber::layer::Layer<S>>::on_exit$"),
    ("host", "  close (bridge ends the SDK span)", r"Dispatch::try_close$"),
    ("host", "    SDK batch processor `on_end` (queue send)", r"BatchSpanProcessor as opentelemetry_sdk::trace::span_processor::SpanProcessor>::on_end$"),
    ("export", "the batch processor's export (its thread)", r"BatchSpanProcessor::get_spans_and_export$"),
    ("export", "  SpanData → OTLP proto structs (opentelemetry-proto)", r"group_spans_by_resource_and_scope$"),
    ("grpc", "gRPC request body: protobuf encoding (tonic + prost, on the exporter's runtime)", r"ProstEncoder<T> as tonic::codec::Encoder>::encode$"),
    ("alloc", "malloc + free, all threads (inside the rows above)", None),
]
out = []
for where, label, pattern in parts:
    v = (rows.get("malloc", 0) or find(r"^malloc$")) + find(r"^free$") if pattern is None else find(pattern)
    out.append({"where": where, "what": label, "instructions": v, "per_span": round(v / sent)})
json.dump({"command": "scripts/profile_export.sh (callgrind on `export_throughput otlp 10000 3`, rotel blackhole)",
           "native": native,
           "spans": sent, "total_instructions": total, "per_span_total": round(total / sent), "rows": out},
          open(sys.argv[3], "w"), indent=1)
print(json.dumps(out, indent=1))
PY
