#!/usr/bin/env bash
# Installs what the build and the tests need, skipping what is already there.
# Safe to run repeatedly; `make test` and `make setup` call it.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi
for component in rustfmt clippy; do
  if ! rustup component list --installed | grep -q "^$component"; then
    rustup component add "$component"
  fi
done

# The browser is for the tests; `make run` (TRUSTFOLD_SETUP=run) skips it.
if [ "${TRUSTFOLD_SETUP:-test}" != run ] && { ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; }; then
  say "installing Debian's chromium and chromium-driver"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium chromium-driver >/dev/null
fi

# The ICE-restart and slow-link tests put one browser in a network
# namespace they make with iproute2's `ip` (a link taken down and up) and
# shape with its `tc` (a link slowed to 200 kbit/s).
if [ "${TRUSTFOLD_SETUP:-test}" != run ] && ! { command -v ip && command -v tc; } >/dev/null; then
  say "installing Debian's iproute2"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq iproute2 >/dev/null
fi

# The relay's JetStream tests start a real cluster of Debian's nats-server
# (2.9.10 in bookworm; the relay needs 2.9.2 or later), and the scaled-out
# page test puts Debian's HAProxy in front of two instances. Not for
# `make run`.
if [ "${TRUSTFOLD_SETUP:-test}" != run ] && { ! command -v nats-server >/dev/null || ! command -v haproxy >/dev/null; }; then
  say "installing Debian's nats-server and haproxy"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq nats-server haproxy >/dev/null
fi

# The CLI must match the wasm-bindgen crate in Cargo.lock exactly.
wanted=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3 }' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$wanted" ]; then
  say "installing wasm-bindgen-cli $wanted (takes a few minutes; cached in ~/.cargo/bin)"
  # Not --locked: the CLI's own lockfile pins a webpki-roots the registry lacks.
  cargo install wasm-bindgen-cli --version "$wanted"
fi
# Node ≥ 20 runs the browser tests and the bundlers (Vite needs 20.19+).
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  say "installing Debian's nodejs and npm"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq nodejs npm >/dev/null
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "Node $(node --version) is too old: the browser tests need Node 20 or later" >&2
  exit 1
fi
# npm packages exactly as package-lock.json pins them; none downloads a browser.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund
fi

say "ready: $(rustc --version), wasm-bindgen $(wasm-bindgen --version | awk '{print $2}'), $(chromium --version 2>/dev/null | head -1 || echo "no browser"), $(nats-server --version 2>/dev/null || echo "no nats-server"), node $(node --version)"
