#!/usr/bin/env bash
# Sourced by scripts/test.sh and .ci/run. Makes a RabbitMQ broker available to the tests and exports
# RABBITMQ_URL, in this order of preference:
#   1. RABBITMQ_URL already set: use that broker.
#   2. A Docker daemon answers: leave RABBITMQ_URL unset; the tests start one with Testcontainers.
#   3. Otherwise: Debian's rabbitmq-server, installed with apt if missing and started locally.
ensure_broker() {
  if [ -n "${RABBITMQ_URL:-}" ]; then
    echo "broker: using RABBITMQ_URL"
    return 0
  fi
  if command -v docker >/dev/null 2>&1 && timeout 5 docker info >/dev/null 2>&1; then
    echo "broker: Docker answers; tests start RabbitMQ with Testcontainers"
    export PLATFORM_TEST_BROKER=testcontainers
    return 0
  fi
  local sudo=""
  [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && sudo="sudo -n"
  if ! command -v rabbitmq-server >/dev/null 2>&1 && [ ! -x /usr/sbin/rabbitmq-server ]; then
    echo "broker: installing Debian's rabbitmq-server"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get install -y -q rabbitmq-server >/dev/null 2>&1 \
      || { $sudo apt-get update -q >/dev/null 2>&1 && $sudo apt-get install -y -q rabbitmq-server >/dev/null; } \
      || { echo "broker: could not install rabbitmq-server" >&2; return 1; }
  fi
  export PATH="$PATH:/usr/sbin:/usr/lib/rabbitmq/bin"
  if ! timeout 15 $sudo rabbitmqctl -q status >/dev/null 2>&1; then
    echo "broker: starting rabbitmq-server"
    $sudo rabbitmq-server -detached >/dev/null 2>&1 || true
  fi
  # `-detached` returns before the Erlang node registers with epmd, and `await_startup` fails at once on a
  # node it cannot reach: wait for the node to answer first, then for the broker application to boot.
  local waited=0
  until timeout 15 $sudo rabbitmqctl -q ping >/dev/null 2>&1; do
    if [ "$waited" -ge 120 ]; then break; fi
    sleep 2; waited=$((waited + 2))
  done
  if ! timeout 180 $sudo rabbitmqctl -q await_startup >/dev/null 2>&1; then
    echo "broker: rabbitmq-server did not start" >&2
    tail -n 20 /var/log/rabbitmq/*.log 2>/dev/null >&2 || true
    return 1
  fi
  export RABBITMQ_URL="amqp://guest:guest@127.0.0.1:5672/"
  echo "broker: local rabbitmq-server at $RABBITMQ_URL"
}
