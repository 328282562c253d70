#!/usr/bin/env bash
# The scaled-out relay benchmark (issue #16; BENCHMARKS.md "Relays on NATS
# JetStream"): the relay issue's load (1,000 WebSocket clients in 50
# networks, one payment a client a second) through 1 embedded instance,
# and through 1, 2 and 3 instances on a fresh 3-node JetStream cluster,
# interleaved, ROUNDS times (3), so each setup is measured against the
# same round's embedded anchor. One line per run in target/bench-scaled.txt.
# Settings: ROUNDS, RELAY_LOAD_SECONDS (30), RELAY_LOAD_CLIENTS (1,000),
# RELAY_LOAD_NETWORKS (50).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-3}
export RELAY_LOAD_SECONDS=${RELAY_LOAD_SECONDS:-30}
out=target/bench-scaled.txt
mkdir -p target
: > "$out"
# Built once, before the first run is timed.
cargo bench -p trustfold-server --bench relay_load --no-run 2>&1 | tail -1
for round in $(seq "$rounds"); do
  for setup in "1 0" "1 1" "2 1" "3 1"; do
    read -r instances nats <<<"$setup"
    label="round $round: $instances instance(s), $([ "$nats" = 1 ] && echo NATS || echo embedded)"
    echo "== $label" | tee -a "$out"
    RELAY_LOAD_INSTANCES=$instances RELAY_LOAD_NATS=$nats \
      cargo bench -p trustfold-server --bench relay_load 2>&1 \
      | grep -E "^relay_load run|written|CPU|server RSS|last delivery" | tee -a "$out"
  done
done
