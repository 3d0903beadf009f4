#!/usr/bin/env bash
# Unary load benchmark (`make bench-load`): starts the host in Release with every role, then h2load with CLIENTS
# concurrent HTTP/2 clients (one request in flight each) for DURATION seconds per method, side by side in one run:
# grpc.health.v1.Health/Check, EmulatorService/EstimateOps (one GEMM), TrainingCostService/EstimateTrainingRun with
# the README's request (plan search) and with a fixed plan. Prints req/s, p50/p99 latency, errors, the ratio to
# Health/Check and the CPU seconds of the server and of h2load. Each method is first called once with curl and its
# grpc-status checked (h2load counts any HTTP 200 as a success).
#   DURATION=60 CLIENTS=16 WARMUP=3 GPORT=15180 HPORT=15181 BUILD=1 OUT=<dir> bash scripts/load-bench.sh
# The host inherits the environment, e.g. Platform__TrainingCost__EstimateCache__MaxEntries=0 (no estimate cache).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-60}
CLIENTS=${CLIENTS:-16}
WARMUP=${WARMUP:-3}
GPORT=${GPORT:-15180}
HPORT=${HPORT:-15181}
OUT=${OUT:-$(mktemp -d -t load-bench.XXXXXX)}
mkdir -p "$OUT"
BENCH=tests/Platform.Benchmarks/bin/Release/net10.0/Platform.Benchmarks.dll
HOST_DIR=services/Platform.Host/bin/Release/net10.0

if [ "${BUILD:-1}" = 1 ]; then
  dotnet build -c Release services/Platform.Host -nologo -v q >/dev/null
  dotnet build -c Release tests/Platform.Benchmarks -nologo -v q >/dev/null
fi
command -v h2load >/dev/null || { echo "load-bench: h2load not found (apt-get install nghttp2-client)" >&2; exit 1; }
if ss -ltn | grep -qE ":($GPORT|$HPORT) "; then
  echo "load-bench: port $GPORT or $HPORT is in use; set GPORT/HPORT" >&2; exit 1
fi

README_RUN='"model":{"preset":"deepseek-v3"},"trainingTokens":"14800000000000","sequenceLength":4096,'
README_RUN+='"cluster":{"accelerator":"h800","count":2048},"precision":"PRECISION_FP8"'
FIXED_PLAN='"parallelism":{"pipelineParallel":16,"expertParallel":64,"zeroStage":1,'
FIXED_PLAN+='"pipelineSchedule":"PIPELINE_SCHEDULE_DUAL_PIPE","recompute":"RECOMPUTE_MODE_SELECTIVE",'
FIXED_PLAN+='"microBatchSize":1,"bf16OptimizerMoments":true}'
# name|path|message type|JSON (empty: the empty message)
CASES=(
  "Health/Check|/grpc.health.v1.Health/Check||"
  "EstimateOps (1 GEMM)|/platform.emulator.v1.EmulatorService/EstimateOps|platform.emulator.v1.EstimateOpsRequest|"\
'{"device":"h100-sxm","ops":[{"name":"g","gemm":{"m":4096,"n":4096,"k":4096},"dtype":"DTYPE_BF16"}]}'
  "EstimateTrainingRun (README, plan search)|/platform.training.v1.TrainingCostService/EstimateTrainingRun|"\
"platform.training.v1.EstimateTrainingRunRequest|{\"run\":{$README_RUN}}"
  "EstimateTrainingRun (fixed plan)|/platform.training.v1.TrainingCostService/EstimateTrainingRun|"\
"platform.training.v1.EstimateTrainingRunRequest|{\"run\":{$README_RUN,$FIXED_PLAN}}"
)

for i in "${!CASES[@]}"; do
  IFS='|' read -r _ _ type json <<<"${CASES[$i]}"
  if [ -z "$type" ]; then printf '\0\0\0\0\0' >"$OUT/frame$i.bin"
  else dotnet "$BENCH" grpc-frame "$type" "$json" "$OUT/frame$i.bin" >/dev/null; fi
done

# The host: Warning-level logs (no per-request lines), its own process group so it can be stopped as a whole.
( cd "$HOST_DIR" && exec env Kestrel__Endpoints__Grpc__Url="http://127.0.0.1:$GPORT" \
    Kestrel__Endpoints__Http__Url="http://127.0.0.1:$HPORT" Serilog__MinimumLevel__Default=Warning \
    setsid dotnet Platform.Host.dll >"$OUT/host.log" 2>&1 ) &
HOSTPID=$!
stop_host() { kill -- -"$HOSTPID" 2>/dev/null || kill "$HOSTPID" 2>/dev/null || true; wait "$HOSTPID" 2>/dev/null || true; }
trap stop_host EXIT

call() { # call PATH FRAME: grpc-status of one call (headers and trailers)
  curl -s --http2-prior-knowledge -m 30 -H 'content-type: application/grpc' -H 'te: trailers' \
    --data-binary @"$2" -D - -o /dev/null "http://127.0.0.1:$GPORT$1" | tr -d '\r' \
    | awk -F': ' 'tolower($1)=="grpc-status"{s=$2} END{print (s==""?"none":s)}'
}
for _ in $(seq 1 60); do
  [ "$(call /grpc.health.v1.Health/Check "$OUT/frame0.bin" 2>/dev/null)" = 0 ] && break
  kill -0 "$HOSTPID" 2>/dev/null || { echo "load-bench: the host exited (log: $OUT/host.log)" >&2; exit 1; }
  sleep 1
done
for i in "${!CASES[@]}"; do
  IFS='|' read -r name path _ _ <<<"${CASES[$i]}"
  status=$(call "$path" "$OUT/frame$i.bin")
  [ "$status" = 0 ] || { echo "load-bench: $name answered grpc-status $status" >&2; exit 1; }
done

TICK=$(getconf CLK_TCK)
server_cpu() { awk -v t="$TICK" '{printf "%.2f", ($14 + $15) / t}' "/proc/$HOSTPID/stat"; }
echo "load-bench: $CLIENTS clients, ${DURATION}s per method (after ${WARMUP}s warm-up), host pid $HOSTPID, out $OUT"
echo "| Method | req/s | × Health/Check | p50 ms | p99 ms | max ms | errors | server CPU s | h2load CPU s |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
health=""
for i in "${!CASES[@]}"; do
  IFS='|' read -r name path _ _ <<<"${CASES[$i]}"
  before=$(server_cpu)
  /usr/bin/time -f '%U %S' -o "$OUT/h2load$i.time" h2load -D "$DURATION" --warm-up-time="$WARMUP" -c "$CLIENTS" \
    -m 1 -H 'content-type: application/grpc' -H 'te: trailers' -d "$OUT/frame$i.bin" --log-file "$OUT/h2load$i.log" \
    "http://127.0.0.1:$GPORT$path" >"$OUT/h2load$i.out" 2>&1
  after=$(server_cpu)
  rps=$(awk '/^finished in/{gsub(",", ""); for (i = 1; i <= NF; i++) if ($(i+1) == "req/s") print $i}' \
    "$OUT/h2load$i.out")
  errors=$(awk '/^requests:/{gsub(",", ""); print $(NF-5) + $(NF-3) + $(NF-1)}' "$OUT/h2load$i.out")
  non200=$(awk -F'\t' '$2 != 200 {n++} END{print n + 0}' "$OUT/h2load$i.log")
  read -r p50 p99 max < <(awk -F'\t' '{print $3}' "$OUT/h2load$i.log" | sort -n | awk '{v[NR] = $1}
    END{i50 = int(NR * 0.50); i99 = int(NR * 0.99); if (i50 < 1) i50 = 1; if (i99 < 1) i99 = 1;
        printf "%.1f %.1f %.1f\n", v[i50] / 1000, v[i99] / 1000, v[NR] / 1000}')
  [ -n "$health" ] || health=$rps
  ratio=$(awk -v a="$rps" -v b="$health" 'BEGIN{printf "%.2f", a / b}')
  h2cpu=$(awk '{printf "%.1f", $1 + $2}' "$OUT/h2load$i.time")
  server=$(awk -v a="$before" -v b="$after" 'BEGIN{printf "%.1f", b - a}')
  echo "| $name | ${rps%.*} | $ratio | $p50 | $p99 | $max | $((errors + non200)) | $server | $h2cpu |"
done
