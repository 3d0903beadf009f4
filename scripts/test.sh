#!/usr/bin/env bash
# Builds once, then runs every test project (results in artifacts/test-results/<project>.trx).
# Broker for the RabbitMQ tests: see scripts/broker.sh; PostgreSQL for the database tests: scripts/postgres.sh.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/broker.sh
ensure_broker || exit 1
source scripts/postgres.sh
ensure_postgres || exit 1
# buf (lint), amqplib (the polyglot pipeline test), @grpc/grpc-js and @grpc/proto-loader (the Node gRPC client
# test) and the Kubernetes schema models (scripts/validate-k8s.mjs) come from npm.
{ [ -d node_modules/amqplib ] && [ -d node_modules/kubernetes-models ] && [ -d node_modules/@grpc/grpc-js ] \
  && [ -d node_modules/@grpc/proto-loader ]; } || npm ci --no-audit --no-fund >/dev/null || exit 1
# Debian's chromium for the browser tests (tests/Platform.Web.Tests drive it with Playwright; nothing is downloaded).
command -v chromium >/dev/null 2>&1 || bash scripts/apt-install.sh chromium ||
  echo "test: chromium could not be installed; the web page tests will fail" >&2
dotnet build Platform.sln -c Release -warnaserror -nologo -v q || exit 1
rm -rf artifacts/test-results && mkdir -p artifacts/test-results
status=0
for proj in tests/*/*.csproj; do
  name=$(basename "$proj" .csproj)
  grep -q 'Microsoft.NET.Test.Sdk' "$proj" || continue
  dotnet test "$proj" -c Release --no-build --nologo \
    --logger "trx;LogFileName=${name}.trx" --logger "console;verbosity=minimal" \
    --results-directory artifacts/test-results "$@" || status=1
done
exit $status
