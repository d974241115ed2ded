#!/usr/bin/env bash
# Installs what Tributary needs from Debian's packages when it is missing:
# nats-server (JetStream included), and clickhouse-server, which only the test
# that proves an old server (18.16) is refused uses. Needs root for apt-get;
# says what to run otherwise.
set -euo pipefail
PATH="$PATH:/usr/sbin:/sbin"
missing=()
command -v nats-server >/dev/null 2>&1 || missing+=(nats-server)
[[ "${1:-}" == "--with-test-servers" ]] && { command -v clickhouse-server >/dev/null 2>&1 || missing+=(clickhouse-server); }
[[ ${#missing[@]} -eq 0 ]] && exit 0
if [[ $(id -u) -ne 0 ]]; then
  echo "missing: ${missing[*]}; install with: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "installing ${missing[*]} with apt-get"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
