#!/usr/bin/env bash
# Runs the whole benchmark suite RUNS times (default 3) and regenerates the tables of
# BENCHMARKS.md from criterion's estimates (median of each run, ratios within the same run).
#   scripts/bench.sh            # 3 runs, ~6 min each on 2 vCPU
#   RUNS=1 MEASURE=2 scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
MEASURE=${MEASURE:-3}
OUT=target/bench-runs
rm -rf "$OUT" && mkdir -p "$OUT"
cargo bench --no-run -q
for run in $(seq 1 "$RUNS"); do
  echo "== bench run $run/$RUNS"
  rm -rf target/criterion
  for bench in clock hot_path hot_path_in_span spans scrape contention; do
    # A panicking setup (e.g. a recorder that failed to install) fails the run.
    cargo bench -q --bench "$bench" -- --warm-up-time 1 --measurement-time "$MEASURE" \
      >"$OUT/log-$bench-$run.txt" 2>&1 || { tail -20 "$OUT/log-$bench-$run.txt"; echo "bench $bench failed"; exit 1; }
    grep -E '^scrape-size' "$OUT/log-$bench-$run.txt" >>"$OUT/sizes-$run.txt" || true
  done
  # Each variant in its own process: a dispatcher created earlier changes tracing's globals.
  for variant in no_subscriber ours_filtered_out; do
    cargo bench -q --bench disabled_span -- --warm-up-time 1 --measurement-time "$MEASURE" "$variant" \
      >"$OUT/log-disabled_span-$variant-$run.txt" 2>&1 || { echo "disabled_span $variant failed"; exit 1; }
  done
  cp target/span-bench-drops.txt "$OUT/span-bench-drops-$run.txt" 2>/dev/null || true
  cp target/span-interleaved.json "$OUT/span-interleaved-$run.json" 2>/dev/null || true
  cp -r target/criterion "$OUT/run$run"
done
python3 scripts/bench_report.py "$OUT" "$RUNS" > "$OUT/tables.md"
python3 - "$OUT/tables.md" <<'PY'
import re, sys
tables = open(sys.argv[1]).read()
doc = open("BENCHMARKS.md").read()
start, end = "<!-- tables:start -->", "<!-- tables:end -->"
doc = re.sub(re.escape(start) + ".*" + re.escape(end), start + "\n" + tables + "\n" + end, doc, flags=re.S)
open("BENCHMARKS.md", "w").write(doc)
PY
echo "BENCHMARKS.md tables regenerated from $OUT"
