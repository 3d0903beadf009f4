#!/usr/bin/env bash
# Live-serving benchmark (`make bench-serve`): starts the host in Release (inference and emulator roles, no database)
# on GPORT/HPORT, then the load client (tests/Platform.Benchmarks `serve`, its own process) with STREAMS concurrent
# Generate streams of MAX_TOKENS tokens at TIME_SCALE against a Llama-3.1-8B deployment on one H100 after WARMUP
# unmeasured rounds (WARMUP=0: a cold run); prints the machine's load (uptime) before and after, the figures, and
# stops the host. The host runs with a 64 MB gen0 budget as in the image.
# CLIENT=raw (default): the client reads the streams over plain HTTP/2 frames on sockets of its own, one thread per
# connection (Serving/RawGrpcStreams.cs, like h2load: about a microsecond per message, so what it measures is the
# host). CLIENT=grpc: Grpc.Net.Client, as a .NET application would call the host (about 20 us of CPU per message on
# the client's side, which then shares the two cores with the host). Either way the client runs with server GC, a
# 512 MB gen0 budget (no collection of its own while the streams run; it prints how many it had) and a shared array
# pool of 1,024 arrays per partition (.NET's HTTP/2 client rents a 16 KB block per received message; with 1,000
# streams at once the default pool of 32 runs dry and every message allocates one). HOST_DIR: another build of the
# host to compare. HOST_ENV: extra NAME=value settings for the host (space-separated). RUNS: how many times the
# client runs (each with its warm-up rounds) against the one host. PIN=1: the host on CPU 0 and the client on CPU 1
# (taskset), so that neither preempts the other.
#   STREAMS=1000 MAX_TOKENS=64 PROMPT=256 TIME_SCALE=1 WARMUP=1 CLIENT=raw RUNS=1 HOST_ENV= GPORT=15280 HPORT=15281 \
#     BUILD=1 PIN=0 bash scripts/serve-bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
GPORT=${GPORT:-15280}
HPORT=${HPORT:-15281}
HOST_DIR=${HOST_DIR:-services/Platform.Host/bin/Release/net10.0}
BENCH=tests/Platform.Benchmarks/bin/Release/net10.0/Platform.Benchmarks.dll
if [ "${BUILD:-1}" = 1 ]; then
  dotnet build -c Release services/Platform.Host -nologo -v q >/dev/null
  dotnet build -c Release tests/Platform.Benchmarks -nologo -v q >/dev/null
fi
if ss -ltn | grep -qE ":($GPORT|$HPORT) "; then
  echo "serve-bench: port $GPORT or $HPORT is in use; set GPORT/HPORT" >&2; exit 1
fi
LOG=$(mktemp -t serve-bench-host.XXXXXX)
HOST_CPU=() CLIENT_CPU=()
if [ "${PIN:-0}" = 1 ]; then HOST_CPU=(taskset -c 0) CLIENT_CPU=(taskset -c 1); fi
# The host as the image runs it: a 64 MB gen0 budget (deploy/docker/Dockerfile).
# shellcheck disable=SC2086 # HOST_ENV is a list of NAME=value words
env ${HOST_ENV:-} DOTNET_GCgen0size=0x4000000 \
  Platform__Roles=inference,emulator Platform__Database__Provider=none Serilog__MinimumLevel__Default=Warning \
  Kestrel__Endpoints__Grpc__Url=http://127.0.0.1:$GPORT Kestrel__Endpoints__Http__Url=http://127.0.0.1:$HPORT \
  setsid "${HOST_CPU[@]}" dotnet "$HOST_DIR/Platform.Host.dll" >"$LOG" 2>&1 &
HOST=$!
trap 'kill -- -$HOST 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do
  curl -sf "http://127.0.0.1:$HPORT/health/ready" >/dev/null && break
  kill -0 $HOST 2>/dev/null || { echo "serve-bench: the host exited (log $LOG)" >&2; exit 1; }
  sleep 1
done
rc=0
for _ in $(seq 1 "${RUNS:-1}"); do
  echo "before: $(uptime)"
  DOTNET_gcServer=1 DOTNET_GCgen0size=0x20000000 DOTNET_SYSTEM_BUFFERS_SHAREDARRAYPOOL_MAXARRAYSPERPARTITION=1024 \
    "${CLIENT_CPU[@]}" dotnet "$BENCH" serve --grpc "http://127.0.0.1:$GPORT" \
    --http "http://127.0.0.1:$HPORT" --streams "${STREAMS:-1000}" --max-tokens "${MAX_TOKENS:-64}" \
    --prompt "${PROMPT:-256}" --time-scale "${TIME_SCALE:-1}" --warmup "${WARMUP:-1}" --client "${CLIENT:-raw}" || rc=$?
  echo "after: $(uptime)"
done
exit $rc
