#!/usr/bin/env bash
# Installs what Tributary needs from Debian's packages when it is missing:
# nats-server (JetStream included); with --with-test-servers also what only
# tests use: clickhouse-server (the old 18.16 a test must refuse) and
# chromium (the browser the SDK's browser test drives), and curl (which
# fetch-nats-server-2.10.sh uses). Needs root for
# apt-get; says what to run otherwise.
set -euo pipefail
PATH="$PATH:/usr/sbin:/sbin"
missing=()
command -v nats-server >/dev/null 2>&1 || missing+=(nats-server)
if [[ "${1:-}" == "--with-test-servers" ]]; then
  command -v clickhouse-server >/dev/null 2>&1 || missing+=(clickhouse-server)
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  command -v curl >/dev/null 2>&1 || missing+=(curl)
fi
[[ ${#missing[@]} -eq 0 ]] && exit 0
if [[ $(id -u) -ne 0 ]]; then
  echo "missing: ${missing[*]}; install with: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "installing ${missing[*]} with apt-get"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
