#!/usr/bin/env bash
# Fails when the contract under proto/ breaks what the previous commit of main
# published (buf's FILE rules, buf.yaml). The baseline is HEAD~1 compared with
# the work tree, so a commit is checked against its parent and uncommitted
# edits are checked too. BREAKING_BASE overrides the baseline (any git rev).
set -euo pipefail
cd "$(dirname "$0")/.."

base=${BREAKING_BASE:-HEAD~1}
sha=$(git rev-parse -q --verify "${base}^{commit}" 2>/dev/null || true)
if [[ -z "$sha" ]]; then
  echo "buf breaking: SKIPPED, no baseline: ${base} does not exist in this clone."
  exit 0
fi
if ! git cat-file -e "${sha}:buf.yaml" 2>/dev/null || ! git cat-file -e "${sha}:proto" 2>/dev/null; then
  echo "buf breaking: SKIPPED, no baseline: ${base} (${sha:0:12}) has no contract yet."
  exit 0
fi
echo "buf breaking: checking proto/ against ${base} (${sha:0:12})"
node_modules/.bin/buf breaking --against ".git#ref=${sha}"
echo "buf breaking: no breaking change."
