#!/usr/bin/env bash
# Fetches nats-server 2.10 from Debian's archive (trixie's package, pinned by
# its SHA-256) into .tools/, for what Debian bookworm's 2.9.10 cannot do:
# JetStream's `sync_interval` (TRIBUTARY_NATS_SYNC, docs/faults.md). The
# binary is static but for libc, which bookworm's satisfies. Prints the
# binary's absolute path; does nothing when it is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=2.10.27-1+b2
SHA256=6d913ac987b78734c08537c2adeb1526cf735f216173a9170d94b185fcfe6f8a
TARGET=.tools/nats-server-2.10/nats-server
if [[ ! -x "$TARGET" ]]; then
  if [[ "$(dpkg --print-architecture)" != amd64 ]]; then
    echo "fetch-nats-server-2.10.sh pins the amd64 package; on $(dpkg --print-architecture) install nats-server 2.10 yourself and set NATS_SERVER_BIN" >&2
    exit 1
  fi
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  curl -fsS --retry 3 -o "$work/nats.deb" "http://deb.debian.org/debian/pool/main/n/nats-server/nats-server_${VERSION}_amd64.deb"
  echo "$SHA256  $work/nats.deb" | sha256sum -c --quiet -
  dpkg-deb -x "$work/nats.deb" "$work/root"
  mkdir -p "$(dirname "$TARGET")"
  install -m 755 "$work/root/usr/sbin/nats-server" "$TARGET"
fi
echo "$PWD/$TARGET"
