#!/usr/bin/env bash
# The mission's headline on one machine: a real 3-broker Kafka 0.10.2.2 cluster (IBP and
# log.message.format.version pinned to 0.10.2) upgraded to the real Kafka 0.11.0.3 over real SSH
# while Kafka's own VerifiableProducer (acks=all) and VerifiableConsumer run, the zero-loss line
# printed, then `verify --at 0.11`, then a real second `upgrade` that restarts nothing.
# The first run on a machine downloads both releases from Maven Central (about 30 MB; progress
# shown), later runs take them from the cache ($KAFKA_OPS_CACHE or ~/.cache/kafka-ops).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-machine.sh
dir="${KAFKA_OPS_SANDBOX_DIR:-.kafka-ops/sandbox}"
run() { echo; echo "\$ kafka-ops $*"; node bin/run.js "$@"; }
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  run sandbox down --dir "$dir" --purge || true
}
trap cleanup EXIT
run sandbox up --dir "$dir" --from 0.10.2.2 --to 0.11.0.3

# The sandbox dir may be relative (the default) or absolute (KAFKA_OPS_SANDBOX_DIR=/tmp/x).
state() { node -e 'const s=require(require("path").resolve(process.argv[1])); console.log(eval(process.argv[2]))' "$dir/sandbox.json" "$1"; }
home="$(state 's.installs.from.dir')"
bootstrap="$(state 's.brokers.map((b) => "127.0.0.1:" + b.port).join(",")')"
clients() { exec java -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp "$home/libs/*" "$@" 2>/dev/null; }
echo; echo "Starting Kafka 0.10.2.2's VerifiableConsumer and VerifiableProducer (acks=all, 200 msg/s)"
clients org.apache.kafka.tools.VerifiableConsumer --topic kafka-ops-sandbox --broker-list "$bootstrap" \
  --group-id demo --reset-policy earliest --verbose >"$dir/consumer.jsonl" &
pids+=($!)
clients org.apache.kafka.tools.VerifiableProducer --topic kafka-ops-sandbox --broker-list "$bootstrap" \
  --acks -1 --throughput 200 >"$dir/producer.jsonl" &
producer=$!
pids+=($producer)
sleep 3

run upgrade --to 0.11 --inventory "$dir/inventory.yaml" --state-dir "$dir/state" --yes --clients-upgraded
sleep 2
kill -TERM "$producer"
wait "$producer" 2>/dev/null || true
sleep 10
node -e '
const fs = require("fs");
const lines = (f) => fs.readFileSync(f, "utf8").split("\n").filter((l) => l.startsWith("{")).map((l) => { try { return JSON.parse(l); } catch { return {}; } });
const p = lines(process.argv[1]);
const acked = new Set(p.filter((e) => e.name === "producer_send_success").map((e) => String(e.value)));
const errors = p.filter((e) => e.name === "producer_send_error").length;
const consumed = new Set(lines(process.argv[2]).filter((e) => e.name === "record_data").map((e) => String(e.value)));
const lost = [...acked].filter((v) => !consumed.has(v)).length;
console.log(`\nsent ${acked.size + errors} / acked ${acked.size} / consumed ${consumed.size} / lost ${lost}`);
process.exitCode = lost === 0 ? 0 : 1;
' "$dir/producer.jsonl" "$dir/consumer.jsonl"

run verify --at 0.11 --inventory "$dir/inventory.yaml"
run sandbox status --dir "$dir"
echo; echo "Running the same upgrade again (for real, not --dry-run) restarts nothing:"
run upgrade --to 0.11 --inventory "$dir/inventory.yaml" --state-dir "$dir/state" --yes --clients-upgraded
