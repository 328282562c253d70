# trustfold — the two commands a person needs are `make run` (the node page
# and the signalling server) and `make test`. Everything else is a step of those.

WASM_TARGET := wasm32-unknown-unknown

.PHONY: run run-scaled run-page run-server test setup setup-run lint test-native test-wasm test-browser test-heavy pkg www bench bench-browser bench-typing bench-server bench-relay bench-scaled bench-mesh bench-page

## The node page, the signalling server and the relay at
## http://127.0.0.1:8080 (builds the package and the page first); the relay
## keeps what it stores in target/trustfold-relay.sqlite across restarts.
## The page (with the tools it needs) and the server build side by side: the
## server in a target directory of its own, since one cargo build holds its
## directory's lock and they share no artefact (wasm32 and native).
run:
	$(MAKE) -j2 run-page run-server
	CARGO_TARGET_DIR=target/run cargo run --profile serve -p trustfold-server -- \
	  --addr 127.0.0.1:8080 --site dist --relay-db target/trustfold-relay.sqlite

## The scaled-out setup on this machine: a 3-node NATS JetStream cluster,
## two server instances sharing their relays' networks through it, and
## HAProxy at http://127.0.0.1:8080 in front (scripts/scale-out.sh).
run-scaled:
	$(MAKE) -j2 run-page run-server
	./scripts/scale-out.sh

run-page: setup-run
	$(MAKE) www

run-server:
	CARGO_TARGET_DIR=target/run cargo build --profile serve -p trustfold-server

## Every test, on a fresh machine: installs what is missing, then lints and
## runs the native suite, the same suite in headless Chromium, and the
## package's tests in real pages (Playwright driving Debian's chromium).
test: setup lint test-native test-wasm test-browser

setup:
	./scripts/setup.sh

## What `make run` needs: no browser (that is for the tests).
setup-run:
	TRUSTFOLD_SETUP=run ./scripts/setup.sh

lint:
	cargo fmt --all -- --check
	@# BENCHMARKS.md documents experiments as patches to apply: they must apply.
	@for p in tests/experiments/*.patch; do git apply --check "$$p" || { echo "$$p no longer applies: mend it (BENCHMARKS.md runs it as written)" >&2; exit 1; }; done
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy -p trustfold -p trustfold-web --all-targets --target $(WASM_TARGET) -- -D warnings

test-native:
	cargo test --workspace

## The same core tests compiled to wasm32 and run in headless Chromium.
test-wasm:
	./scripts/test-wasm.sh

## pkg/: the npm package (release wasm, JS glue, TypeScript types).
pkg:
	./scripts/build-pkg.sh

## dist/: the node page (www/) bundled with webpack 5.
www: pkg
	npx webpack --config webpack.config.js

## The package in real pages: reloads, tabs, bad input, bundlers, and the
## page served by the signalling server.
test-browser: www
	cargo build -p trustfold-server
	node --test tests/browser/

## The fault and abuse scenarios at full scale (20,000-event catch-ups cut
## 50 times, 1,000,000 orphans, a 100,000-event catch-up through the
## window, the 1,000-chain catch-up for eight seeds instead of one, the
## relay server SIGKILLed 100 times instead of 20): minutes, so not part of
## `make test`, which runs them smaller.
test-heavy:
	TRUSTFOLD_SCALE=full cargo test --release --test faults --test byzantine --test window --test catchup --test mesh --test mesh_joins -- --nocapture
	TRUSTFOLD_SCALE=full cargo test --release -p trustfold-server --test relay_crash -- --nocapture

bench:
	cargo bench --bench core

## Rooms of hundreds: the partial-mesh simulation at 1,000 pages, lazy push
## against flooding in the same run (BENCHMARKS.md, "Rooms of hundreds").
bench-mesh:
	TRUSTFOLD_SCALE=full cargo test --release --test mesh -- --nocapture

## Browser benchmarks (ingest, cold open, size) in headless chromium; see BENCHMARKS.md.
bench-browser:
	./scripts/bench-browser.sh

## The editing trace typed one keystroke a task in one Chromium page, 3
## interleaved runs (BENCHMARKS.md, "Typing the editing trace"): the whole
## trace into trustfold and @automerge/automerge, then its first 50,000
## keystrokes into those and Yjs + y-indexeddb (≈ 4.5 ms a keystroke
## here: the whole trace would take ≈ 20 min a run). ≈ 15 min.
bench-typing: pkg
	node bench-browser/typing.mjs --runs 3 --editors trustfold,automerge
	node bench-browser/typing.mjs --runs 3 --edits 50000

## The page with a year of history: every interaction's longest task at
## 1,000 and 100,000 payments by 200 people, 3 runs each (BENCHMARKS.md,
## "A year of history in the page"). ≈ 10 min, the histories made once.
bench-page: pkg
	./scripts/bench-page.sh

## The signalling server's resident memory under 10,000 idle sockets
## (before, with them, after); figures in target/bench-server.txt.
bench-server:
	cargo test -p trustfold-server --test server_limits -- --ignored --nocapture resident_memory

## The relay's benchmarks (issue #14; BENCHMARKS.md "Relay (issue #14)"),
## release build: ingest (the relay's path against verify_strict on all
## cores and raw writes of the same events) and load (1,000 WebSocket
## clients in 50 networks against the real server for 60 s: delivery
## latency, server RSS and CPU), three runs each. ≈ 12 min here.
bench-relay:
	cargo bench -p trustfold-server --bench relay_ingest
	RELAY_LOAD_RUNS=3 cargo bench -p trustfold-server --bench relay_load

## The relay's load through 1 embedded instance and 1, 2 and 3 instances on
## a 3-node NATS JetStream cluster, interleaved, 3 rounds (issue #16;
## BENCHMARKS.md "Relays on NATS JetStream"); lines in target/bench-scaled.txt.
bench-scaled:
	scripts/bench-scaled.sh
