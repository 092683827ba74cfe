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
