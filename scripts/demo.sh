#!/usr/bin/env bash
# The main job on one machine: a real 3-broker Kafka 0.9.0.1 cluster with its
# inter.broker.protocol.version pinned to 0.8.2, upgraded to 0.9 over real SSH, then
# checked and torn down.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-machine.sh
dir="${KAFKA_OPS_SANDBOX_DIR:-.kafka-ops/sandbox}"
run() { echo; echo "\$ kafka-ops $*"; node bin/run.js "$@"; }
trap 'run sandbox down --dir "$dir" --purge || true' EXIT
run sandbox up --dir "$dir"
run upgrade --to 0.9 --inventory "$dir/inventory.yaml" --state-dir "$dir/state" --yes
run sandbox status --dir "$dir"
echo; echo "Running the same upgrade again restarts nothing:"
run upgrade --to 0.9 --inventory "$dir/inventory.yaml" --state-dir "$dir/state" --dry-run || true
