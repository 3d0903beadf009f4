#!/usr/bin/env bash
# Runs every test project. Broker for the RabbitMQ tests, in order: RABBITMQ_URL if set; else Docker
# (Testcontainers) when a daemon answers; else Debian's rabbitmq-server, installed and started here.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/broker.sh
ensure_broker
dotnet build Platform.sln -c Release -warnaserror 2>&1 | tail -3
mkdir -p artifacts/test-results
rm -f artifacts/test-results/*.trx
status=0
dotnet test Platform.sln -c Release --no-build --logger "trx" --results-directory artifacts/test-results "$@" || status=$?
exit $status
