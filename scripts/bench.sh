#!/usr/bin/env bash
# Runs the whole benchmark suite RUNS times (default 3) and regenerates the tables of
# BENCHMARKS.md from criterion's estimates (median of each run, ratios within the same run).
#   scripts/bench.sh            # 3 runs, ~4 min each on 2 vCPU
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
  for bench in clock hot_path spans scrape contention; do
    cargo bench -q --bench "$bench" -- --warm-up-time 1 --measurement-time "$MEASURE" 2>&1 \
      | grep -E '^scrape-size' >>"$OUT/sizes-$run.txt" || true
  done
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
