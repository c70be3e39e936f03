#!/usr/bin/env bash
# Runs the benchmark suite RUNS times (default 3), compacts each run's raw results into
# benches/results/run{N}.json (criterion's medians and every block of the block-interleaved
# measurements) and regenerates BENCHMARKS.md's targets table and result tables from them
# (scripts/bench_report.py; `--check` verifies the committed document against the data).
#   scripts/bench.sh            # 3 runs, ~6 min each on 2 vCPU; run on a quiet machine
#   RUNS=1 MEASURE=2 scripts/bench.sh
# The whole-service table comes from scripts/service_cost.sh, the export profile from
# scripts/profile_export.sh (each writes its own file under benches/results/).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
MEASURE=${MEASURE:-3}
OUT=target/bench-runs
rm -rf "$OUT" && mkdir -p "$OUT"
cargo bench --all-features --no-run -q
for run in $(seq 1 "$RUNS"); do
  echo "== bench run $run/$RUNS"
  rm -rf target/criterion
  for bench in clock hot_path hot_path_in_span spans scrape contention small_effects http_client; do
    # A panicking setup (e.g. a recorder that failed to install) fails the run.
    cargo bench --all-features -q --bench "$bench" -- --warm-up-time 1 --measurement-time "$MEASURE" \
      >"$OUT/log-$bench-$run.txt" 2>&1 || { tail -20 "$OUT/log-$bench-$run.txt"; echo "bench $bench failed"; exit 1; }
    grep -E '^scrape-size' "$OUT/log-$bench-$run.txt" >>"$OUT/sizes-$run.txt" || true
  done
  # Each variant in its own process: a dispatcher created earlier changes tracing's globals.
  for variant in no_subscriber ours_filtered_out; do
    cargo bench --all-features -q --bench disabled_span -- --warm-up-time 1 --measurement-time "$MEASURE" "$variant" \
      >"$OUT/log-disabled_span-$variant-$run.txt" 2>&1 || { echo "disabled_span $variant failed"; exit 1; }
  done
  cp target/span-interleaved.json "$OUT/span-interleaved-$run.json"
  for f in small-effects-counters small-effects-exemplars-outside small-effects-exemplars-inside http-client-bench; do
    cp "target/$f.json" "$OUT/$f-$run.json"
  done
  cp -r target/criterion "$OUT/run$run"
done
rm -f benches/results/run*.json
python3 scripts/bench_report.py compact "$OUT" "$RUNS"
python3 scripts/bench_report.py --write
echo "BENCHMARKS.md regenerated from benches/results/ (check: python3 scripts/bench_report.py --check)"
