#!/usr/bin/env bash
# Installs what opsight needs to build and test on Debian 12, only what is missing.
# Usage: scripts/install-deps.sh [build|test|bench]
#   bench = test + ClickHouse and zstd for bench/e2e/run_logs_vs_clickhouse.py (never installed by
#   `make test`).
set -euo pipefail
mode=${1:-build}
pkgs=(cmake ninja-build g++ ccache pkg-config make
      libboost-dev libboost-system-dev libzstd-dev libsnappy-dev libre2-dev libsimdjson-dev
      libyaml-cpp-dev libcli11-dev libspdlog-dev libfmt-dev libroaring-dev libsqlite3-dev zlib1g-dev)
if [ "$mode" = test ] || [ "$mode" = bench ]; then
  pkgs+=(libgtest-dev libgmock-dev libbenchmark-dev python3 prometheus prometheus-node-exporter curl rsyslog)
  # The AWS front ends are tested with Debian's AWS CLI (/usr/bin/aws) and boto3 (for
  # /usr/bin/python3), besides the AWS SDK for JavaScript v3 from npm (tests/integration/node).
  pkgs+=(awscli python3-boto3)
  # Real JavaScript clients (tests/integration/otel_js: the OpenTelemetry JS SDK) need node and
  # npm; checked as commands, since a NodeSource nodejs package ships npm inside it.
  command -v node >/dev/null 2>&1 || pkgs+=(nodejs)
  command -v npm >/dev/null 2>&1 || pkgs+=(npm)
fi
if [ "$mode" = bench ]; then
  pkgs+=(clickhouse-server clickhouse-client zstd)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo_cmd apt-get update -qq
  $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
  # Debian's prometheus package starts a system service on install; opsight's tests start their own.
  if [[ " ${missing[*]} " == *" prometheus "* || " ${missing[*]} " == *" prometheus-node-exporter "* ]]; then
    $sudo_cmd systemctl stop prometheus prometheus-node-exporter 2>/dev/null || true
    $sudo_cmd pkill -x prometheus 2>/dev/null || true
    $sudo_cmd pkill -f /usr/bin/prometheus-node-exporter 2>/dev/null || true
  fi
  # Likewise rsyslog's system daemon: the syslog test runs its own rsyslogd.
  if [[ " ${missing[*]} " == *" rsyslog "* ]]; then
    $sudo_cmd systemctl stop rsyslog syslog.socket 2>/dev/null || true
    $sudo_cmd pkill -x rsyslogd 2>/dev/null || true
  fi
  # clickhouse-server enables a system service on install; the logs benchmark runs its own.
  if [[ " ${missing[*]} " == *" clickhouse-server "* ]]; then
    $sudo_cmd systemctl stop clickhouse-server 2>/dev/null || true
    $sudo_cmd systemctl disable clickhouse-server 2>/dev/null || true
  fi
fi
# npm packages of the JavaScript client tests, exactly as pinned by their package-lock.json.
if [ "$mode" = test ] || [ "$mode" = bench ]; then
  root=$(cd "$(dirname "$0")/.." && pwd)
  if [ ! -d "$root/tests/integration/otel_js/node_modules" ]; then
    npm ci --prefix "$root/tests/integration/otel_js" --no-audit --no-fund
  fi
  # tests/integration/node: aws-xray-sdk-core and the AWS SDK for JavaScript v3 clients
  # (CloudWatch, CloudWatch Logs, X-Ray) of the AWS API tests.
  if [ ! -d "$root/tests/integration/node/node_modules" ]; then
    npm ci --prefix "$root/tests/integration/node" --no-audit --no-fund
  fi
fi
