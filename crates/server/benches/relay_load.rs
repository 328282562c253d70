//! The relay's load benchmark (issue #14): 1,000 WebSocket clients in 50
//! networks on loopback against the real `trustfold-server` (this
//! benchmark's build, release), one payment per client per second for
//! 60 s: p50/p99 of the delivery latency to the other clients of each
//! network, and the server's resident memory at the end. Goals: p99 <
//! 100 ms, RSS < 500 MB.
//!
//! Each client is a real node (`trustfold::Node`, in memory) syncing with
//! the relay over a WebSocket link — the harness of the relay's tests
//! (`tests/relay_support`), included here by path, since a bench target
//! can use the dev-dependencies it needs (tokio-tungstenite, the core's
//! testing helpers) but cannot import another test target. The server runs
//! with every default but its address, database and site: clients come
//! from 40 loopback addresses (25 each), so the per-address connection cap
//! (`--max-per-address`, 32) holds as in production — from 20 addresses
//! 1,000 clients would need it raised to 50 — and the server-wide cap
//! (`--max-connections`, 1,000) is met exactly.
//!
//! Settings (environment): `RELAY_LOAD_CLIENTS` (1,000),
//! `RELAY_LOAD_NETWORKS` (50), `RELAY_LOAD_SECONDS` (60),
//! `RELAY_LOAD_ADDRESSES` (40), `RELAY_LOAD_THREADS` (client threads:
//! the machine's cores), `RELAY_LOAD_RUNS` (1; each run a fresh server
//! and database), `RELAY_LOAD_SERVER_ARGS` (flags added, space-separated),
//! `RELAY_LOAD_INSTANCES` (1: server instances, a network's clients spread
//! over them in turn), `RELAY_LOAD_NATS` (1: the instances share their
//! networks through a fresh 3-node JetStream cluster of Debian's
//! nats-server; issue #16).
//!
//! ```sh
//! cargo bench -p trustfold-server --bench relay_load
//! ```
//!
//! See BENCHMARKS.md, "Relay (issue #14)".

#[path = "../tests/relay_support/mod.rs"]
mod relay_support;

#[path = "../tests/nats_support/mod.rs"]
mod nats_support;

use relay_support::load::{Plan, env_usize, run};
use std::path::PathBuf;
use std::time::Duration;

fn main() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let runs = env_usize("RELAY_LOAD_RUNS", 1);
    // The binary cargo built for this benchmark is shared with other
    // builds of the target directory: run a copy taken now.
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("relay-load-bench")
        .join(std::process::id().to_string());
    std::fs::create_dir_all(&dir).unwrap();
    let server = dir.join("trustfold-server");
    std::fs::copy(env!("CARGO_BIN_EXE_trustfold-server"), &server).unwrap();
    let plan = Plan {
        clients: env_usize("RELAY_LOAD_CLIENTS", 1_000),
        networks: env_usize("RELAY_LOAD_NETWORKS", 50),
        seconds: env_usize("RELAY_LOAD_SECONDS", 60) as u64,
        addresses: env_usize("RELAY_LOAD_ADDRESSES", 40),
        threads: env_usize("RELAY_LOAD_THREADS", cores),
        server,
        server_args: std::env::var("RELAY_LOAD_SERVER_ARGS")
            .map(|a| a.split_whitespace().map(str::to_owned).collect())
            .unwrap_or_default(),
        dir: dir.join("run"),
        join_within: Duration::from_secs(120),
        drain_within: Duration::from_secs(60),
        instances: env_usize("RELAY_LOAD_INSTANCES", 1),
        nats: None,
    };
    // Relays sharing their networks through a 3-node JetStream cluster,
    // started afresh for each run (issue #16).
    let on_nats = env_usize("RELAY_LOAD_NATS", 0) == 1;
    assert!(
        plan.addresses <= 250,
        "127.0.0.2 onwards: at most 250 addresses"
    );
    for r in 1..=runs {
        let cluster = on_nats.then(|| nats_support::Cluster::start(&dir.join("nats"), 3));
        let plan = Plan {
            nats: cluster.as_ref().map(nats_support::Cluster::urls),
            ..plan.clone()
        };
        let report = run(plan.clone());
        drop(cluster);
        eprintln!("relay_load run {r}: {}", report.summary(&plan));
        eprintln!(
            "relay_load run {r}: p50 {:.1} ms, p99 {:.1} ms (goal < 100 ms: {}), server RSS {:.1} MB \
             (goal < 500 MB: {}), {} of {} delivered",
            report.quantile_ms(0.5),
            report.quantile_ms(0.99),
            if report.quantile_ms(0.99) < 100.0 {
                "met"
            } else {
                "missed"
            },
            report.server_rss_kib as f64 / 1024.0,
            if report.server_rss_kib < 500 * 1024 {
                "met"
            } else {
                "missed"
            },
            report.delivered,
            report.expected,
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
