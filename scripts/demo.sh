#!/usr/bin/env bash
# make demo: DeepSeek-V3's training and serving story against a running host, written to out/report.md with charts.
# Uses the host at PLATFORM_ENDPOINT (default http://127.0.0.1:5080); when none answers there, builds and starts
# services/Platform.Host in the background on free loopback ports and stops it at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-out}
ENDPOINT=${PLATFORM_ENDPOINT:-http://127.0.0.1:5080}
CLI=services/Platform.Cli/bin/Release/net10.0/Platform.Cli.dll
dotnet build services/Platform.Cli -c Release -nologo -v q >/dev/null
platform() { dotnet "$CLI" "$@"; }

HOST_PID=
stop_host() {
  [ -n "$HOST_PID" ] || return 0
  kill "$HOST_PID" 2>/dev/null || true
  for _ in $(seq 1 40); do kill -0 "$HOST_PID" 2>/dev/null || break; sleep 0.25; done
  kill -9 "$HOST_PID" 2>/dev/null || true
  echo "demo: stopped the host it started (pid $HOST_PID)"
}
trap stop_host EXIT

free_port() { # the first port from $1 up that nothing listens on
  local p=$1
  while (echo >"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
  echo "$p"
}

if ! platform devices list --json --endpoint "$ENDPOINT" --timeout 5 >/dev/null 2>&1; then
  echo "demo: no host answers at $ENDPOINT; building and starting one"
  dotnet build services/Platform.Host -c Release -nologo -v q >/dev/null
  GPORT=$(free_port 15380)
  HPORT=$(free_port $((GPORT + 1)))
  ENDPOINT=http://127.0.0.1:$GPORT
  mkdir -p "$OUT"
  (cd services/Platform.Host/bin/Release/net10.0 &&
    exec env Kestrel__Endpoints__Grpc__Url="$ENDPOINT" Kestrel__Endpoints__Http__Url="http://127.0.0.1:$HPORT" \
      Platform__Database__Provider=none dotnet Platform.Host.dll) >"$OUT/host.log" 2>&1 &
  HOST_PID=$!
  for _ in $(seq 1 90); do
    platform devices list --json --endpoint "$ENDPOINT" --timeout 5 >/dev/null 2>&1 && break
    kill -0 "$HOST_PID" 2>/dev/null || { echo "demo: the host exited at start; see $OUT/host.log" >&2; exit 1; }
    sleep 1
  done
  echo "demo: host started at $ENDPOINT (pid $HOST_PID, log $OUT/host.log)"
fi
platform demo --out "$OUT" --endpoint "$ENDPOINT"
