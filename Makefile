# trustfold — the two commands a person needs are `make run` (coming with the
# node page) and `make test`. Everything else is a step of those.

WASM_TARGET := wasm32-unknown-unknown
# Runs the wasm32 test binaries in headless Chromium (flags: webdriver.json).
WASM_TEST_ENV := CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
	CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_TIMEOUT=300

.PHONY: test setup lint test-native test-wasm bench

## Every test, on a fresh machine: installs what is missing, then lints and
## runs the native and the browser suites.
test: setup lint test-native test-wasm

setup:
	./scripts/setup.sh

lint:
	cargo fmt --all -- --check
	cargo clippy --all-targets -- -D warnings
	cargo clippy --all-targets --target $(WASM_TARGET) -- -D warnings

test-native:
	cargo test

## The same core tests compiled to wasm32 and run in headless Chromium.
test-wasm:
	./scripts/test-wasm.sh

bench:
	cargo bench --bench core
