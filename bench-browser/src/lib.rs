//! Browser benchmarks of trustfold; see `BENCHMARKS.md`, section "Browser".
//!
//! The wasm side ([`bench`], wasm32 only) exports async functions the bench
//! page (`www/`) calls; the fixtures are made natively by `src/bin/gen-fixtures.rs`.

pub mod fixture;

#[cfg(target_arch = "wasm32")]
mod bench;
