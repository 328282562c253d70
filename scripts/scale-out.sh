#!/usr/bin/env bash
# The scaled-out setup on one machine (`make run-scaled`): a 3-node NATS
# JetStream cluster (Debian's nats-server) and two trustfold-server
# instances sharing their relays' networks and their signalling rooms
# through it, behind HAProxy
# (Debian's) at http://127.0.0.1:8080 — each page is sent to either
# instance. Everything on loopback; Ctrl-C stops it all. State is kept in
# target/scaled/ across runs (delete it to start empty).
#
# What it shows: a payment written through one instance reaches a page on
# the other through the relay; kill an instance (`kill -9`, its pid is
# printed) and the pages reconnect through HAProxy to the other; kill a
# NATS node and nothing the relays acknowledged is lost. Two pages served
# by different instances meet in the same signalling room and link
# directly over WebRTC.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m[scaled]\033[0m %s\n' "$*"; }
need() {
  command -v "$1" >/dev/null && return
  say "installing Debian's $1"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq "$1" >/dev/null
}
need nats-server
need haproxy

state=target/scaled
mkdir -p "$state"
pids=()
stop() {
  say "stopping"
  kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap stop EXIT INT TERM

routes=nats://127.0.0.1:6222,nats://127.0.0.1:6223,nats://127.0.0.1:6224
# Events may be up to 2 MiB + 16 KiB: NATS takes 1 MiB messages by default,
# and the relay refuses to start on servers that take less than an event.
echo "max_payload: 4194304" >"$state/nats.conf"
for n in 0 1 2; do
  nats-server -c "$state/nats.conf" -a 127.0.0.1 -p $((4222 + n)) -n "n$n" -js -sd "$state/nats-$n" \
    --cluster_name trustfold --cluster "nats://127.0.0.1:$((6222 + n))" --routes "$routes" \
    >"$state/nats-$n.log" 2>&1 &
  pids+=($!)
  say "NATS node n$n: client port $((4222 + n)), pid $!"
done
urls=nats://127.0.0.1:4222,nats://127.0.0.1:4223,nats://127.0.0.1:4224
# JetStream takes a few seconds to elect its leader.
for _ in $(seq 100); do
  grep -q "metadata leader" "$state/nats-0.log" && break
  sleep 0.1
done

server=target/run/serve/trustfold-server
for n in 1 2; do
  "$server" --addr "127.0.0.1:$((8080 + n))" --site dist --relay-db "$state/relay-$n.sqlite" \
    --nats "$urls" --trusted-proxy 127.0.0.1 >"$state/server-$n.log" 2>&1 &
  pids+=($!)
  say "instance $n: http://127.0.0.1:$((8080 + n))/, pid $!"
done

cat >"$state/haproxy.cfg" <<CFG
global
  log stdout format raw local0
defaults
  mode http
  timeout connect 5s
  timeout client 120s
  timeout server 120s
  timeout tunnel 1h
  option forwardfor
frontend trustfold
  bind 127.0.0.1:8080
  default_backend instances
backend instances
  balance roundrobin
  option httpchk GET /readyz
  server one 127.0.0.1:8081 check inter 1s
  server two 127.0.0.1:8082 check inter 1s
CFG
haproxy -f "$state/haproxy.cfg" >"$state/haproxy.log" 2>&1 &
pids+=($!)
say "HAProxy: http://127.0.0.1:8080/#net=our-coop (round robin over both instances), pid $!"
say "logs in $state/; Ctrl-C stops everything"
wait
